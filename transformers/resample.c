/* resample.c — a stream to a prescribed rate by linear interpolation
 * (ezmsg-sigproc's Resample with resample_rate set): output sample k sits
 * at t0 + k / rate (t0: the stream's first sample) and is interpolated
 * between the two input samples around it, as scipy's interp1d(kind=
 * 'linear'); each message gives every grid point up to its last sample.
 *
 * Positions are kept in input-sample units (u_k = k * fs / rate), so they
 * do not depend on how the stream is cut. The last input sample is carried
 * (a reset carries the first sample as if before the stream), so each
 * message is [carried, message]: two xp.take gather the neighbours, two
 * xp.affine_axis weight them, one xp.binary adds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"
#include "lerp.h"

typedef struct resample_state {
    char axis[EZC_NAME_MAX];
    double rate;
    ezc_template tpl;
    double fs, t0;
    int64_t consumed; /* input samples of the stream so far */
    int64_t next;     /* grid index of the next output sample */
    ezc_array *hist;  /* the last input sample */
    ezc_lerp lp;
    ezc_buffer *ext_cache;
} resample_state;

static const ezc_setting_spec resample_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to resample along (a linear axis)", 0, NULL},
    {"resample_rate", EZC_SETTING_FLOAT, NULL, "target rate in Hz", 1, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void resample_fini(void *state)
{
    resample_state *st = state;
    if (!st)
        return;
    ezc_array_destroy(&st->hist);
    ezc_lerp_fini(&st->lp);
    ezc_buffer_unref(&st->ext_cache);
    free(st);
}

static int resample_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    double rate = 0;
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_float(s, "resample_rate", &rate);
    if (!(rate > 0) || !isfinite(rate))
        return ezc_error_set(err, EZC_EINVAL,
                             "resample: setting 'resample_rate' = %g: must be > 0 Hz", rate);
    resample_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "resample: out of memory");
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    st->rate = rate;
    *state = st;
    return 0;
}

static int reset(resample_state *st, const ezc_array *x, int ax, ezc_error *err)
{
    int rc = ezc_axis_rate(x, ax, &st->fs, err);
    if (rc)
        return rc;
    int64_t shape[EZC_MAX_DIMS];
    int nd = ezc_array_ndim(x);
    memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
    shape[ax] = 1;
    ezc_array_destroy(&st->hist);
    st->hist = ezc_array_new(x->dtype, nd, shape, NULL, x->tensor.device, err);
    if (!st->hist)
        return err->code;
    st->consumed = 0;
    st->next = 0;
    return 0;
}

static int resample_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                            ezc_error *err)
{
    resample_state *st = state;
    (void)port;
    int ax, rc;
    ezc_array *x = in, *ext = NULL, *a = NULL;
    *out = NULL;
    if ((rc = ezc_array_require_axis(in, st->axis, &ax, err)))
        goto done;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL) {
        rc = ezc_error_set(err, EZC_EDTYPE, "%s data is not supported (real numbers only)",
                           ezc_dtype_name(in->dtype));
        goto done;
    }
    if (in->dtype != EZC_FLOAT32 && in->dtype != EZC_FLOAT64) {
        x = ezc_array_new_like(in, EZC_FLOAT64, 0, NULL, err);
        rc = x ? ezc_xp_call(xp, astype, err, in, x) : err->code;
        ezc_array_destroy(&in);
        if (rc)
            goto done;
    }
    if (ezc_template_changed(&st->tpl, x, ax) && (rc = reset(st, x, ax, err))) {
        st->tpl.valid = 0;
        goto done;
    }
    int64_t n = x->shape[ax], shape[EZC_MAX_DIMS];
    int nd = ezc_array_ndim(x);
    if (n > 0 && st->consumed == 0) {
        st->t0 = x->axes[ax].offset;
        int64_t zero = 0; /* the carried sample before the stream: x[0] */
        if ((rc = ezc_xp_call(xp, take, err, x, ax, &zero, 1, st->hist)))
            goto fail;
    }
    /* grid points with u_k = k * fs / rate <= the last input sample */
    double ratio = st->fs / st->rate, last = (double)(st->consumed + n - 1);
    int64_t first = st->next, count = 0;
    if (n > 0) {
        double kmax = floor((last + 1e-9) / ratio);
        count = kmax >= (double)first ? (int64_t)kmax - first + 1 : 0;
    }
    if ((rc = ezc_lerp_reserve(&st->lp, (size_t)(count > 0 ? count : 1), "resample", err)))
        goto fail;
    int64_t base = st->consumed - 1; /* global index of ext's sample 0 */
    for (int64_t j = 0; j < count; j++) {
        double u = (double)(first + j) * ratio, fl = floor(u + 1e-9);
        int64_t i = (int64_t)fl;
        double f = fmin(fmax(u - fl, 0.0), 1.0);
        if (i >= st->consumed + n - 1) {
            i = st->consumed + n - 1;
            f = 0;
        }
        st->lp.lo[j] = i - base;
        st->lp.hi[j] = (f > 0 ? i + 1 : i) - base;
        st->lp.wlo[j] = 1 - f;
        st->lp.whi[j] = f;
    }
    if (count > 0) { /* [the carried sample, the message]: every neighbour is there */
        memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
        shape[ax] = n + 1;
        ext = ezc_array_new_like_cached(x, x->dtype, nd, shape, &st->ext_cache, err);
        const ezc_array *parts[2] = {st->hist, x};
        if (!ext)
            rc = err->code ? err->code : EZC_ENOMEM;
        if (rc || (rc = ezc_xp_call(xp, concat, err, parts, 2, ax, ext)) ||
            (rc = ezc_lerp_run(&st->lp, ext, ax, count, &a, xp, err)))
            goto fail;
    } else if ((rc = ezc_lerp_run(&st->lp, x, ax, 0, &a, xp, err))) {
        goto fail;
    }
    if (n > 0) {
        int64_t lastidx = n - 1;
        if ((rc = ezc_xp_call(xp, take, err, x, ax, &lastidx, 1, st->hist)))
            goto fail;
    }
    st->consumed += n;
    st->next = first + count;
    double t0 = st->consumed ? st->t0 : x->axes[ax].offset; /* nothing seen yet */
    ezc_array_set_linear_axis(a, ax, 1.0 / st->rate, t0 + (double)first / st->rate,
                              x->axes[ax].unit);
    *out = a;
    a = NULL;
    goto done;
fail:
    if (rc != EZC_ENOTSUP)
        st->tpl.valid = 0; /* the carried sample is unknown: start again */
done:
    ezc_array_destroy(&x);
    ezc_array_destroy(&ext);
    ezc_array_destroy(&a);
    return rc;
}

const ezc_transformer_type ezc_resample_type = {
    .name = "resample",
    .summary = "to a prescribed rate by linear interpolation on the grid t0 + k / rate, "
               "streaming (every grid point up to each message's last sample)",
    .settings = resample_settings,
    .init = resample_init,
    .process = resample_process,
    .fini = resample_fini,
};
