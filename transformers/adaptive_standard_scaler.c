/* adaptive_standard_scaler.c — z-score against exponentially weighted
 * running statistics (ezmsg-sigproc's AdaptiveStandardScaler), NaN-aware.
 *
 * Per signal, with alpha = 1 - exp(-1 / (fs tau)) and w[n] = 1 for a finite
 * sample, 0 for NaN/inf (whose value then counts as 0):
 *   Sw[n] = (1-alpha) Sw[n-1] + alpha w[n]           (all S start at 0)
 *   Sx[n] = (1-alpha) Sx[n-1] + alpha w[n] x[n]
 *   Sq[n] = (1-alpha) Sq[n-1] + alpha w[n] x[n]^2
 *   mean = Sx / Sw,  var = Sq / Sw - mean^2,  y = (x - mean) / sqrt(var)
 * i.e. bias-corrected EWMAs: the first finite sample is the mean exactly. A
 * NaN sample gives NaN and leaves mean and var unchanged (Sw, Sx, Sq all
 * decay by the same factor), so one NaN does not poison the state. Where y
 * is NaN for a finite x (0/0 on the first sample, var < 0 by rounding) it
 * is 0, as ezmsg-sigproc does. All statistics run in float64 through
 * xp.iir on a stacked [3, ...] work array; "NaN -> 0" is a nansum over an
 * added length-1 axis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"
#include "tf_util.h"

typedef struct scaler_state {
    double tau;
    char axis[EZC_NAME_MAX];
    ezc_template tpl;
    double coef[4];
    ezc_array *zi; /* 3 * outer * inner float64 */
    ezc_buffer *c_work, *c_tmp, *c_x, *c_out;
} scaler_state;

static const ezc_setting_spec scaler_settings[] = {
    {"time_constant", EZC_SETTING_FLOAT, "1.0", "seconds of the running mean and variance", 0,
     NULL},
    {"axis", EZC_SETTING_STRING, "time", "dim the statistics run along", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void scaler_fini(void *state)
{
    scaler_state *st = state;
    if (!st)
        return;
    ezc_array_destroy(&st->zi);
    ezc_buffer_unref(&st->c_work);
    ezc_buffer_unref(&st->c_tmp);
    ezc_buffer_unref(&st->c_x);
    ezc_buffer_unref(&st->c_out);
    free(st);
}

static int scaler_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis;
    double tau;
    int rc = ezc_tf_time_constant("adaptive_standard_scaler", s, &tau, &axis, err);
    if (rc)
        return rc;
    scaler_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "adaptive_standard_scaler: out of memory");
    st->tau = tau;
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    *state = st;
    return 0;
}

/* A float64 header over buf at element offset `at`, of shape `shape`. */
static ezc_array *view(const ezc_array *owner, size_t at, int ndim, const int64_t *shape,
                       ezc_error *err)
{
    size_t base = (size_t)((char *)ezc_array_data(owner) - (char *)owner->buf->data);
    return ezc_array_from_buffer(owner->buf, base + at * sizeof(double), EZC_FLOAT64, ndim, shape,
                                 NULL, err);
}

/* y = x with NaN turned into 0: a nansum over an added length-1 axis. */
static int nan_to_zero(const ezc_xp *xp, const ezc_array *x, ezc_array *y, ezc_error *err)
{
    int nd = ezc_array_ndim(x);
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[nd] = 1;
    ezc_array *v = view(x, 0, nd + 1, shape, err);
    if (!v)
        return err->code;
    int rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_NANSUM, v, nd, y);
    ezc_array_destroy(&v);
    return rc;
}

static int reset(scaler_state *st, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    double fs;
    int rc = ezc_axis_rate(x, ax, &fs, err);
    if (rc)
        return rc;
    double alpha = -expm1(-1.0 / (fs * st->tau));
    st->coef[0] = alpha;
    st->coef[1] = 0;
    st->coef[2] = 1;
    st->coef[3] = alpha - 1;
    size_t outer, n, inner;
    ezc_array_split(x, ax, &outer, &n, &inner);
    int64_t count = (int64_t)(3 * outer * inner);
    ezc_array_destroy(&st->zi);
    st->zi = ezc_array_new(EZC_FLOAT64, 1, &count, NULL, x->tensor.device, err);
    return st->zi ? ezc_xp_call(xp, fill, err, st->zi, 0.0) : err->code;
}

static int scale(scaler_state *st, const ezc_array *x, int ax, ezc_array *xd, ezc_array *work,
                 ezc_array *tmp, const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(x), rc;
    size_t n = ezc_array_size(x);
    ezc_array *w = view(work, 0, nd, x->shape, err), *sx = view(work, n, nd, x->shape, err),
              *sq = view(work, 2 * n, nd, x->shape, err);
    if (!w || !sx || !sq) {
        rc = err->code;
        goto done;
    }
    /* tmp = 1 where finite, NaN elsewhere; w = its NaN-free form; sx = x or 0 */
    if ((rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, xd, xd, tmp)) ||
        (rc = ezc_xp_call(xp, affine, err, tmp, tmp, 1.0, 1.0)) ||
        (rc = nan_to_zero(xp, tmp, w, err)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, xd, tmp, tmp)) ||
        (rc = nan_to_zero(xp, tmp, sx, err)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, sx, sx, sq)) ||
        (rc = ezc_xp_call(xp, iir, err, work, ax + 1, st->coef, 1, 1, st->zi, work)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, sx, w, sx)) || /* mean */
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, sq, w, sq)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, sx, sx, tmp)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, sq, tmp, sq)) || /* var */
        (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SQRT, sq, sq)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, xd, sx, tmp)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, tmp, sq, tmp)) ||
        /* NaN -> 0, then NaN back where x was not finite (x - x is NaN there) */
        (rc = nan_to_zero(xp, tmp, sx, err)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, xd, xd, tmp)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, sx, tmp, tmp)))
        goto done;
done:
    ezc_array_destroy(&w);
    ezc_array_destroy(&sx);
    ezc_array_destroy(&sq);
    return rc;
}

static int scaler_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    scaler_state *st = state;
    int ax, rc;
    ezc_array *xd = NULL, *work = NULL, *tmp = NULL, *y = NULL;
    (void)port;
    *out = NULL;
    if ((rc = ezc_array_require_axis(in, st->axis, &ax, err)))
        goto fail;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL) {
        rc = ezc_error_set(err, EZC_EDTYPE, "%s data is not supported (real numbers only)",
                           ezc_dtype_name(in->dtype));
        goto fail;
    }
    int nd = ezc_array_ndim(in);
    if (nd >= EZC_MAX_DIMS) {
        rc = ezc_error_set(err, EZC_ESHAPE, "at most %d dims, got %d", EZC_MAX_DIMS - 1, nd);
        goto fail;
    }
    if (ezc_template_changed(&st->tpl, in, ax) && (rc = reset(st, in, ax, xp, err))) {
        st->tpl.valid = 0;
        goto fail;
    }
    if (in->shape[ax] == 0) {
        *out = in;
        return 0;
    }
    int64_t wshape[EZC_MAX_DIMS];
    wshape[0] = 3;
    memcpy(wshape + 1, in->shape, (size_t)nd * sizeof *wshape);
    if (in->dtype == EZC_FLOAT64) {
        xd = ezc_array_clone(in, err);
    } else {
        xd = ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->c_x, err);
        if (xd && (rc = ezc_xp_call(xp, astype, err, in, xd)))
            goto fail;
    }
    int64_t total = 3 * (int64_t)ezc_array_size(in);
    work = ezc_array_new_like_cached(in, EZC_FLOAT64, 1, &total, &st->c_work, err);
    tmp = ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->c_tmp, err);
    if (!xd || !work || !tmp) {
        rc = err->code;
        goto fail;
    }
    /* work holds three arrays of in's size: reshape its header to [3, ...] */
    ezc_array *w3 = view(work, 0, nd + 1, wshape, err);
    ezc_array_destroy(&work);
    work = w3;
    if (!work) {
        rc = err->code;
        goto fail;
    }
    if ((rc = scale(st, in, ax, xd, work, tmp, xp, err)))
        goto fail;
    /* the result is in tmp (float64): into in's dtype, in place when we may */
    ezc_array_destroy(&xd);
    ezc_dtype t = in->dtype == EZC_FLOAT32 ? EZC_FLOAT32 : EZC_FLOAT64;
    if (in->dtype == t && ezc_array_is_writable(in)) {
        y = in;
        in = NULL;
    } else {
        y = ezc_array_new_like_cached(in, t, 0, NULL, &st->c_out, err);
        if (!y) {
            rc = err->code;
            goto fail;
        }
    }
    if ((rc = ezc_xp_call(xp, astype, err, tmp, y)))
        goto fail;
    ezc_array_destroy(&in);
    ezc_array_destroy(&work);
    ezc_array_destroy(&tmp);
    *out = y;
    return 0;
fail:
    if (!rc)
        rc = err->code ? err->code : EZC_ENOMEM;
    ezc_array_destroy(&in);
    ezc_array_destroy(&xd);
    ezc_array_destroy(&work);
    ezc_array_destroy(&tmp);
    ezc_array_destroy(&y);
    return rc;
}

const ezc_transformer_type ezc_adaptive_standard_scaler_type = {
    .name = "adaptive_standard_scaler",
    .summary = "z-score with exponentially weighted running mean and variance; NaN-aware",
    .settings = scaler_settings,
    .init = scaler_init,
    .process = scaler_process,
    .fini = scaler_fini,
};
