/* rollingscaler.c — z-score against the mean and standard deviation of the
 * last k samples (ezmsg-sigproc's RollingScaler). Samples enter the window
 * from the `train` port (ezmsg's partial_fit) and, with
 * update_with_signal, from the signal itself; until min_samples have been
 * seen the signal passes through raw. Per sample, so any chunking gives
 * the same output: with update_with_signal, sample t is scored against the
 * k samples before it (not the window at the start of its message).
 * The window sums of x and x^2 are one FIR, b = [0, 1 x k], run by xp.iir
 * over a stacked float64 [2, ...] work array (state carried; with b0 = 0
 * its first state row is the sum of the last k samples, which scores a
 * message when the signal does not update the window). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"
#include "tf_util.h"

#define MAX_K 100000

typedef struct rolling_state {
    char axis[EZC_NAME_MAX];
    int64_t k_set, min_set;
    double window_size, min_seconds, clip; /* window_size 0: k_set counts */
    int update;
    ezc_template tpl;
    int64_t k, min_n, seen; /* window length, samples before scoring, samples pushed */
    double *coef;
    ezc_array *zi; /* [k][2 * outer * inner] */
    double *f;     /* host: per sample 1 / count */
    int64_t *idx;
    size_t cap;
    ezc_buffer *c_x, *c_work, *c_t, *c_y, *c_s;
} rolling_state;

static const ezc_port_spec rolling_ports[] = {
    {"in", "signal to scale (and to learn from, with update_with_signal)"},
    {"train", "samples that only update the window (ezmsg's partial_fit); no output"},
    {NULL, NULL},
};

static const ezc_setting_spec rolling_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim of the samples", 0, NULL},
    {"k_samples", EZC_SETTING_INT, "20", "window length in samples", 0, NULL},
    {"window_size", EZC_SETTING_FLOAT, NULL, "window length in seconds (wins over k_samples)", 0,
     NULL},
    {"update_with_signal", EZC_SETTING_BOOL, "false", "the signal's samples enter the window too",
     0, NULL},
    {"min_samples", EZC_SETTING_INT, "1", "samples in the window before scoring", 0, NULL},
    {"min_seconds", EZC_SETTING_FLOAT, "1.0", "the same in seconds, used with window_size", 0,
     NULL},
    {"clip", EZC_SETTING_FLOAT, "10.0", "limit of |z| (0: none)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void rolling_fini(void *state)
{
    rolling_state *st = state;
    if (!st)
        return;
    free(st->coef);
    ezc_array_destroy(&st->zi);
    free(st->f);
    free(st->idx);
    ezc_buffer **c[] = {&st->c_x, &st->c_work, &st->c_t, &st->c_y, &st->c_s};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        ezc_buffer_unref(c[i]);
    free(st);
}

static int rolling_init(void **state, const ezc_settings *s, ezc_error *err)
{
    rolling_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "rollingscaler: out of memory");
    const char *axis = "time";
    st->k_set = 20;
    st->min_set = 1;
    st->min_seconds = 1;
    st->clip = 10;
    ezc_settings_get_string(s, "axis", &axis);
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    ezc_settings_get_int(s, "k_samples", &st->k_set);
    ezc_settings_get_float(s, "window_size", &st->window_size);
    ezc_settings_get_bool(s, "update_with_signal", &st->update);
    ezc_settings_get_int(s, "min_samples", &st->min_set);
    ezc_settings_get_float(s, "min_seconds", &st->min_seconds);
    ezc_settings_get_float(s, "clip", &st->clip);
    int rc = 0;
    if (ezc_settings_has(s, "window_size") && (!(st->window_size > 0) || isinf(st->window_size)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "rollingscaler: setting 'window_size' = %g: must be a positive number "
                           "of seconds",
                           st->window_size);
    else if (st->k_set < 1 || st->k_set > MAX_K)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "rollingscaler: setting 'k_samples' = %lld: must be 1 to %d",
                           (long long)st->k_set, MAX_K);
    else if (st->min_set < 0)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "rollingscaler: setting 'min_samples' = %lld: must be >= 0",
                           (long long)st->min_set);
    else if (!(st->min_seconds >= 0) || isinf(st->min_seconds))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "rollingscaler: setting 'min_seconds' = %g: must be >= 0 s",
                           st->min_seconds);
    else if (!(st->clip >= 0))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "rollingscaler: setting 'clip' = %g: must be >= 0 (0: none)", st->clip);
    if (rc) {
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* A new stream: window length for its rate, FIR taps, a zero state. */
static int reset(rolling_state *st, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    st->k = st->k_set;
    st->min_n = st->min_set;
    if (st->window_size > 0) {
        double fs;
        int rc = ezc_axis_rate(x, ax, &fs, err);
        if (rc)
            return rc;
        double k = ceil(st->window_size * fs - 1e-9), m = ceil(st->min_seconds * fs - 1e-9);
        if (!(k <= MAX_K))
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting 'window_size' = %g s: %.0f samples at fs = %g Hz (at "
                                 "most %d)",
                                 st->window_size, k, fs, MAX_K);
        st->k = k < 1 ? 1 : (int64_t)k;
        st->min_n = (int64_t)m;
    }
    if (st->min_n > st->k)
        st->min_n = st->k;
    free(st->coef);
    st->coef = calloc(2 * ((size_t)st->k + 1), sizeof *st->coef);
    if (!st->coef)
        return ezc_error_set(err, EZC_ENOMEM, "rollingscaler: out of memory");
    for (int64_t i = 1; i <= st->k; i++)
        st->coef[i] = 1;
    st->coef[st->k + 1] = 1; /* a = [1, 0, ...] */
    size_t outer, n, inner;
    ezc_array_split(x, ax, &outer, &n, &inner);
    int64_t count = st->k * 2 * (int64_t)(outer * inner);
    ezc_array_destroy(&st->zi);
    st->zi = ezc_array_new(EZC_FLOAT64, 1, &count, NULL, x->tensor.device, err);
    st->seen = 0;
    return st->zi ? ezc_xp_call(xp, fill, err, st->zi, 0.0) : err->code;
}

static int grow(rolling_state *st, size_t n, ezc_error *err)
{
    if (n <= st->cap && st->f)
        return 0;
    double *f = realloc(st->f, (n ? n : 1) * sizeof *f);
    if (f)
        st->f = f;
    int64_t *i = f ? realloc(st->idx, (n ? n : 1) * sizeof *i) : NULL;
    if (!i)
        return ezc_error_set(err, EZC_ENOMEM, "rollingscaler: out of memory");
    st->idx = i;
    st->cap = n;
    return 0;
}

/* A float64 header of shape over b at element `at`. */
static ezc_array *view(const ezc_array *owner, size_t at, int nd, const int64_t *shape,
                       ezc_error *err)
{
    return ezc_array_from_buffer(owner->buf, owner->tensor.byte_offset + at * sizeof(double),
                                 EZC_FLOAT64, nd, shape, NULL, err);
}

/* work = [x, x^2] (float64, [2, ...]) pushed through the window FIR: on
 * return work holds the sums of x and x^2 over the k samples before each. */
static int window_sums(rolling_state *st, const ezc_array *xd, int ax, ezc_array *work,
                       const ezc_xp *xp, ezc_error *err)
{
    size_t n = ezc_array_size(xd);
    int nd = ezc_array_ndim(xd);
    ezc_array *s1 = view(work, 0, nd, xd->shape, err), *s2 = view(work, n, nd, xd->shape, err);
    int rc = s1 && s2 ? 0 : err->code;
    if (!rc && !(rc = ezc_xp_call(xp, copy, err, xd, s1)) &&
        !(rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, xd, xd, s2)))
        rc = ezc_xp_call(xp, iir, err, work, ax + 1, st->coef, 1, (int)st->k, st->zi, work);
    ezc_array_destroy(&s1);
    ezc_array_destroy(&s2);
    return rc;
}

/* y = clip(finite((x - mean) / max(std, 1e-8))) from the sums in work
 * (s1, s2 per sample, or per lane with `lanes`), counts 1/f along ax. */
static int score(rolling_state *st, const ezc_array *xd, int ax, ezc_array *s1, ezc_array *s2,
                 ezc_array *t, ezc_array *y, const ezc_xp *xp, ezc_error *err)
{
    int rc;
    if ((rc = ezc_xp_call(xp, affine_axis, err, s1, s1, ax, st->f, NULL)) || /* mean */
        (rc = ezc_xp_call(xp, affine_axis, err, s2, s2, ax, st->f, NULL)) || /* E x^2 */
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, s1, s1, t)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, s2, t, s2)) ||
        (rc = ezc_xp_call(xp, clip, err, s2, s2, 1e-16, INFINITY)) || /* std >= 1e-8 */
        (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SQRT, s2, s2)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, xd, s1, t)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, t, s2, t)) ||
        /* NaN and +-inf -> 0: (t - t) is 0 where finite, NaN elsewhere */
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, t, t, s1)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, t, s1, s1)) ||
        (rc = ezc_tf_nan_to_zero(xp, s1, t, err)))
        return rc;
    if (st->clip > 0 && (rc = ezc_xp_call(xp, clip, err, t, t, -st->clip, st->clip)))
        return rc;
    return ezc_xp_call(xp, astype, err, t, y);
}

/* y = src[:raw] ++ y[raw:] along ax (src in y's dtype; t: scratch of at
 * least y's bytes). */
static int raw_head(rolling_state *st, const ezc_array *src, int ax, int64_t raw, ezc_array *t,
                    ezc_array *y, const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(y), rc;
    int64_t n = y->shape[ax], shape[EZC_MAX_DIMS];
    memcpy(shape, y->shape, sizeof shape);
    shape[ax] = raw;
    for (int64_t i = 0; i < n; i++)
        st->idx[i] = i;
    ezc_array *h = ezc_array_new_like_cached(y, y->dtype, nd, shape, &st->c_s, err), *tail = NULL;
    if (!h)
        return err->code;
    rc = ezc_xp_call(xp, take, err, src, ax, st->idx, (size_t)raw, h);
    if (!rc && raw == n) {
        rc = ezc_xp_call(xp, copy, err, h, y);
    } else if (!rc) {
        shape[ax] = n - raw;
        tail = ezc_array_from_buffer(t->buf, t->tensor.byte_offset, y->dtype, nd, shape, NULL, err);
        rc = tail ? ezc_xp_call(xp, take, err, y, ax, st->idx + raw, (size_t)(n - raw), tail)
                  : err->code;
        const ezc_array *parts[2] = {h, tail};
        if (!rc)
            rc = ezc_xp_call(xp, concat, err, parts, 2, ax, y);
    }
    ezc_array_destroy(&h);
    ezc_array_destroy(&tail);
    return rc;
}

static int rolling_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    rolling_state *st = state;
    *out = NULL;
    ezc_array *xd = NULL, *work = NULL, *t = NULL, *y = NULL, *s1 = NULL, *s2 = NULL;
    int ax, rc = ezc_tf_axis("rollingscaler", in, st->axis, &ax, err), nd = ezc_array_ndim(in);
    if (!rc && (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL))
        rc = ezc_error_set(err, EZC_EDTYPE, "rollingscaler: %s data is not supported",
                           ezc_dtype_name(in->dtype));
    if (!rc && nd >= EZC_MAX_DIMS)
        rc = ezc_error_set(err, EZC_ESHAPE, "rollingscaler: at most %d dims", EZC_MAX_DIMS - 1);
    if (!rc && ezc_array_size(in) == 0) { /* nothing to learn or score (and no state sized
                                             for a hostile [0, 2^40]) */
        if (port == 0) {
            *out = in;
            in = NULL;
        }
        goto done;
    }
    if (!rc && ezc_template_changed(&st->tpl, in, ax) && (rc = reset(st, in, ax, xp, err)))
        st->tpl.valid = 0;
    if (rc)
        goto done;
    size_t n = (size_t)in->shape[ax], size = ezc_array_size(in);
    int learn = port == 1 || st->update;
    if (size == 0 || (port == 0 && !learn && st->seen < (st->min_n > 0 ? st->min_n : 1))) {
        if (port == 0) { /* nothing to score with yet: the signal as it is */
            *out = in;
            in = NULL;
        }
        goto done;
    }
    if ((rc = grow(st, n, err)))
        goto done;
    if (in->dtype == EZC_FLOAT64) {
        xd = ezc_array_clone(in, err);
    } else {
        xd = ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->c_x, err);
        if (xd && (rc = ezc_xp_call(xp, astype, err, in, xd)))
            goto done;
    }
    int64_t wshape[EZC_MAX_DIMS], total = 2 * (int64_t)size;
    wshape[0] = 2;
    memcpy(wshape + 1, in->shape, (size_t)nd * sizeof *wshape);
    ezc_array *w1 =
        xd ? ezc_array_new_like_cached(in, EZC_FLOAT64, 1, &total, &st->c_work, err) : NULL;
    work = w1 ? view(w1, 0, nd + 1, wshape, err) : NULL;
    ezc_array_destroy(&w1);
    t = work ? ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->c_t, err) : NULL;
    if (!t) {
        rc = err->code;
        goto done;
    }
    ezc_dtype odt = in->dtype == EZC_FLOAT32 ? EZC_FLOAT32 : EZC_FLOAT64;
    if (learn) {
        int64_t seen0 = st->seen;
        if ((rc = window_sums(st, xd, ax, work, xp, err)))
            goto done;
        st->seen += (int64_t)n;
        if (port == 1)
            goto done;
        /* sample i is scored against min(seen0 + i, k) samples */
        int64_t raw = st->min_n > 0 ? st->min_n - seen0 : 1 - seen0;
        raw = raw < 0 ? 0 : raw > (int64_t)n ? (int64_t)n : raw;
        for (size_t i = 0; i < n; i++) {
            int64_t c = seen0 + (int64_t)i;
            st->f[i] = c > 0 ? 1.0 / (double)(c < st->k ? c : st->k) : 0;
        }
        s1 = view(work, 0, nd, in->shape, err);
        s2 = s1 ? view(work, size, nd, in->shape, err) : NULL;
        y = s2 ? ezc_array_new_like_cached(in, odt, 0, NULL, &st->c_y, err) : NULL;
        if (!y || (rc = score(st, xd, ax, s1, s2, t, y, xp, err)))
            goto done;
        if (raw > 0) /* the first `raw` samples: the input as it came */
            rc = raw_head(st, in->dtype == odt ? in : xd, ax, raw, t, y, xp, err);
    } else {
        /* the window as it stands: its sums are the FIR state's first row */
        size_t lanes = ezc_array_size(xd) / n;
        int64_t lshape[EZC_MAX_DIMS];
        memcpy(lshape, in->shape, sizeof lshape);
        lshape[ax] = 1;
        memset(st->idx, 0, n * sizeof *st->idx);
        double f = 1.0 / (double)(st->seen < st->k ? st->seen : st->k);
        for (size_t i = 0; i < n; i++)
            st->f[i] = f;
        s1 = view(work, 0, nd, in->shape, err);
        s2 = s1 ? view(work, size, nd, in->shape, err) : NULL;
        y = s2 ? ezc_array_new_like_cached(in, odt, 0, NULL, &st->c_y, err) : NULL;
        rc = y ? 0 : err->code;
        for (int q = 0; !rc && q < 2; q++) { /* spread each lane's sum along ax */
            ezc_array *l = ezc_array_from_buffer(
                st->zi->buf, st->zi->tensor.byte_offset + (size_t)q * lanes * sizeof(double),
                EZC_FLOAT64, nd, lshape, NULL, err);
            rc = l ? ezc_xp_call(xp, take, err, l, ax, st->idx, n, q ? s2 : s1) : err->code;
            ezc_array_destroy(&l);
        }
        if (!rc)
            rc = score(st, xd, ax, s1, s2, t, y, xp, err);
    }
done:
    if (!rc && port == 0 && !*out) {
        *out = y;
        y = NULL;
    }
    ezc_array_destroy(&in);
    ezc_array_destroy(&xd);
    ezc_array_destroy(&work);
    ezc_array_destroy(&t);
    ezc_array_destroy(&y);
    ezc_array_destroy(&s1);
    ezc_array_destroy(&s2);
    return rc;
}

const ezc_transformer_type ezc_rollingscaler_type = {
    .name = "rollingscaler",
    .summary = "z-score against the mean and sd of the last k samples (ezmsg RollingScaler)",
    .settings = rolling_settings,
    .inputs = rolling_ports,
    .init = rolling_init,
    .process = rolling_process,
    .fini = rolling_fini,
};
