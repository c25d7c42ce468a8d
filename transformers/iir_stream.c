/* iir_stream.c — the streaming IIR core of butterworth, filter, decimate and
 * ewma: coefficients (designed again when the sampling rate changes), state
 * on the data's device, reset only on a template change, primed from the
 * first sample so that the output starts at the input's steady state.
 *
 * Data are touched only through xp (iir, astype, affine); the state is
 * built at reset as zi_unit[s][k] * x[0] per signal, one affine per state
 * row, so it works on any backend without a host round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_design.h"
#include "filter_stream.h"
#include "tf_util.h"

int ezc_axis_rate(const ezc_array *a, int ax, double *fs, ezc_error *err)
{
    const ezc_axis *x = &a->axes[ax];
    if (x->kind != EZC_AXIS_LINEAR || !(x->gain > 0))
        return ezc_error_set(err, EZC_EINVAL,
                             "axis '%s' needs a linear axis with gain = 1/fs > 0 to know the "
                             "sampling rate",
                             a->dims[ax]);
    *fs = 1.0 / x->gain;
    return 0;
}

static int set_coef(ezc_iir_stream *st, double *coef, int nsec, int order, ezc_error *err)
{
    double *zu = calloc((size_t)nsec * order + 1, sizeof *zu);
    if (!zu) {
        free(coef);
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    }
    /* A filter without a steady state (a pole at z = 1) starts from zeros. */
    ezc_error ignore;
    if (ezc_cascade_zi(coef, nsec, order, zu, &ignore))
        memset(zu, 0, ((size_t)nsec * order + 1) * sizeof *zu);
    free(st->coef);
    free(st->zi_unit);
    st->coef = coef;
    st->zi_unit = zu;
    st->nsec = nsec;
    st->order = order;
    return 0;
}

int ezc_iir_stream_init(ezc_iir_stream *st, const char *axis, const double *coef, int nsec,
                        int order, ezc_iir_design_fn design, const void *ctx, ezc_error *err)
{
    memset(st, 0, sizeof *st);
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    st->design = design;
    st->ctx = ctx;
    if (design)
        return 0;
    size_t nc = (size_t)nsec * 2 * (order + 1);
    double *c = malloc((nc ? nc : 1) * sizeof *c);
    if (!c)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    memcpy(c, coef, nc * sizeof *c);
    return set_coef(st, c, nsec, order, err);
}

void ezc_iir_stream_fini(ezc_iir_stream *st)
{
    free(st->coef);
    free(st->zi_unit);
    ezc_array_destroy(&st->zi);
    ezc_buffer_unref(&st->cache);
    ezc_buffer_unref(&st->prime_cache);
    memset(st, 0, sizeof *st);
}

/* New stream: coefficients for its rate, a state array of its size. */
static int reset(ezc_iir_stream *st, const ezc_array *x, int ax, ezc_error *err)
{
    int rc;
    if (st->design) {
        double fs = 0, *coef = NULL;
        int nsec = 0, order = 0;
        if ((rc = ezc_axis_rate(x, ax, &fs, err)) ||
            (rc = st->design(st->ctx, fs, &coef, &nsec, &order, err)) ||
            (rc = set_coef(st, coef, nsec, order, err)))
            return rc;
    }
    size_t outer, n, inner;
    ezc_array_split(x, ax, &outer, &n, &inner);
    int64_t count = (int64_t)((size_t)st->nsec * st->order * outer * inner);
    if (!st->zi || st->zi->shape[0] != count ||
        !ezc_device_equal(st->zi->tensor.device, x->tensor.device)) {
        ezc_array_destroy(&st->zi);
        st->zi = ezc_array_new(EZC_FLOAT64, 1, &count, NULL, x->tensor.device, err);
        if (!st->zi)
            return err->code;
    }
    st->primed = 0;
    st->resets++;
    return 0;
}

/* zi[q][o][i] = zi_unit[q] * x[o][0][i]: the steady state for an input
 * that had always been equal to its first sample. */
static int prime(ezc_iir_stream *st, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    int nq = st->nsec * st->order, rc = 0;
    if (nq == 0)
        return 0;
    ezc_array *first = ezc_array_slice(x, ax, 0, 1, err), *f64 = NULL;
    if (!first)
        return err->code;
    /* cached: butterworthzerophase primes its backward pass every message */
    f64 = ezc_array_new_like_cached(first, EZC_FLOAT64, ezc_array_ndim(first), first->shape,
                                    &st->prime_cache, err);
    rc = f64 ? ezc_xp_call(xp, astype, err, first, f64) : err->code;
    size_t per = ezc_array_size(first);
    size_t base = (size_t)((char *)ezc_array_data(st->zi) - (char *)st->zi->buf->data);
    for (int q = 0; !rc && q < nq; q++) {
        ezc_array *row =
            ezc_array_from_buffer(st->zi->buf, base + q * per * sizeof(double), EZC_FLOAT64,
                                  ezc_array_ndim(first), first->shape, NULL, err);
        rc = row ? ezc_xp_call(xp, affine, err, f64, row, st->zi_unit[q], 0.0) : err->code;
        ezc_array_destroy(&row);
    }
    ezc_array_destroy(&first);
    ezc_array_destroy(&f64);
    return rc;
}

int ezc_iir_stream_process(ezc_iir_stream *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
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
    if (!st->primed) {
        rc = st->zero_start ? ezc_xp_call(xp, fill, err, st->zi, 0.0) : prime(st, x, ax, xp, err);
        if (rc)
            goto fail;
        st->primed = 1;
    }
    if (ezc_array_is_writable(x)) {
        y = x;
    } else {
        y = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->cache, err);
        if (!y) {
            rc = err->code;
            goto fail;
        }
    }
    rc = ezc_xp_call(xp, iir, err, x, ax, st->coef, st->nsec, st->order, st->zi, y);
    if (y != x)
        ezc_array_destroy(&x);
    if (rc) {
        ezc_array_destroy(&y);
        return rc;
    }
    *out = y;
    return 0;
fail:
    ezc_array_destroy(&x);
    return rc;
}
