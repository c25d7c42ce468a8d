/* fir_stream.c — the streaming FIR core of firfilter, kaiser and fir_pmc:
 * taps designed for the stream's rate, the last ntaps - 1 input samples
 * carried across messages (filled with the first sample at a reset).
 *
 * Each message: [carried samples, message] joined by xp.concat into a
 * cached buffer, xp.fir takes the "valid" part (exactly the message's
 * length), xp.take keeps the new tail. Direct form, the same sums in the
 * same order whatever the chunking, so chunked and whole runs agree to the
 * bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"
#include "tf_util.h"

int ezc_fir_stream_init(ezc_fir_stream *st, const char *axis, ezc_fir_design_fn design,
                        const void *ctx)
{
    memset(st, 0, sizeof *st);
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    st->design = design;
    st->ctx = ctx;
    return 0;
}

void ezc_fir_stream_fini(ezc_fir_stream *st)
{
    free(st->taps);
    free(st->idx);
    ezc_array_destroy(&st->hist);
    ezc_buffer_unref(&st->ext_cache);
    ezc_buffer_unref(&st->out_cache);
    memset(st, 0, sizeof *st);
}

/* New stream: taps for its rate, a tail array of its size. */
static int reset(ezc_fir_stream *st, const ezc_array *x, int ax, ezc_error *err)
{
    double fs = 0, *taps = NULL;
    int64_t nt = 0;
    int rc;
    if ((rc = ezc_axis_rate(x, ax, &fs, err)) || (rc = st->design(st->ctx, fs, &taps, &nt, err)))
        return rc;
    free(st->taps);
    free(st->idx);
    ezc_array_destroy(&st->hist);
    st->taps = taps;
    st->ntaps = nt;
    st->idx = NULL;
    int64_t m = nt - 1;
    if (m > 0) {
        int64_t shape[EZC_MAX_DIMS];
        int nd = ezc_array_ndim(x);
        memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
        shape[ax] = m;
        st->idx = malloc((size_t)m * sizeof *st->idx);
        if (!st->idx)
            return ezc_error_set(err, EZC_ENOMEM, "out of memory");
        st->hist = ezc_array_new(x->dtype, nd, shape, NULL, x->tensor.device, err);
        if (!st->hist)
            return err->code;
    }
    st->primed = 0;
    return 0;
}

static int filter(ezc_fir_stream *st, ezc_array *x, int ax, ezc_array *y, const ezc_xp *xp,
                  ezc_error *err)
{
    int64_t m = st->ntaps - 1, n = x->shape[ax];
    int rc;
    if (m == 0)
        return ezc_xp_call(xp, fir, err, x, ax, st->taps, st->ntaps, y);
    if (!st->primed) { /* the tail as if x[0] had always been the input */
        memset(st->idx, 0, (size_t)m * sizeof *st->idx);
        if ((rc = ezc_xp_call(xp, take, err, x, ax, st->idx, (size_t)m, st->hist)))
            return rc;
        st->primed = 1;
    }
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, (size_t)ezc_array_ndim(x) * sizeof *shape);
    shape[ax] = n + m;
    ezc_array *ext =
        ezc_array_new_like_cached(x, x->dtype, ezc_array_ndim(x), shape, &st->ext_cache, err);
    if (!ext)
        return err->code;
    const ezc_array *parts[2] = {st->hist, x};
    rc = ezc_xp_call(xp, concat, err, parts, 2, ax, ext);
    if (!rc)
        rc = ezc_xp_call(xp, fir, err, ext, ax, st->taps, st->ntaps, y);
    for (int64_t i = 0; !rc && i < m; i++)
        st->idx[i] = n + i;
    if (!rc)
        rc = ezc_xp_call(xp, take, err, ext, ax, st->idx, (size_t)m, st->hist);
    ezc_array_destroy(&ext);
    return rc;
}

int ezc_fir_stream_process(ezc_fir_stream *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    int ax, rc;
    ezc_array *x = in, *y = NULL;
    *out = NULL;
    if ((rc = ezc_tf_filter_input(&x, st->axis, &ax, xp, err)))
        goto fail;
    if (ezc_template_changed(&st->tpl, x, ax) && (rc = reset(st, x, ax, err))) {
        st->tpl.valid = 0; /* try again with the next message */
        goto fail;
    }
    if (x->shape[ax] == 0) {
        *out = x;
        return 0;
    }
    /* with carried samples xp.fir reads the joined copy, so x may take y */
    if (st->ntaps > 1 && ezc_array_is_writable(x))
        y = x;
    else
        y = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->out_cache, err);
    if (!y) {
        rc = err->code;
        goto fail;
    }
    rc = filter(st, x, ax, y, xp, err);
    if (y != x)
        ezc_array_destroy(&x);
    if (rc) {
        ezc_array_destroy(&y);
        if (rc != EZC_ENOTSUP)
            st->tpl.valid = 0; /* a failed step leaves the tail unknown: start again */
        return rc;
    }
    *out = y;
    return 0;
fail:
    ezc_array_destroy(&x);
    return rc;
}
