/* adaptive_lnc.c — adaptive line-noise cancellation (ezmsg-sigproc's
 * AdaptiveLNC): the quadrature-LMS canceller in its exact LTI form, one
 * biquad notch per harmonic of the tracked line frequency (xp.iir, state on
 * the device), and a frequency-locked loop that, once per line period,
 * nudges the frequency by the pooled rotation of the removed line's
 * demodulated phasor. The window grid and the oscillator phase are global
 * (carried in the state), so any chunking gives the same output. The time
 * dim is moved first (xp.permute) when it is not, so segments of a window
 * are plain views. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

#define TF "adaptive_lnc"

typedef struct {
    double line_freq, tau_adapt, tau_freq, max_dev;
    int nharm, passthrough;
    const char *axis;
    ezc_template tpl;
    /* per stream */
    double fs, omega, omega_min, omega_max, phase;
    int64_t block_len, in_block;
    size_t m;                /* series (product of the other dims) */
    ezc_array *zi;           /* float64 [nharm][2][1][m] on the device */
    double *acc_re, *acc_im; /* demodulation sums this window, per series */
    double complex *prev;    /* last window's phasors; NULL before the first */
    int have_prev;
    double *trig; /* cos then sin of a segment's phases (host) */
    size_t ntrig;
    double *coef; /* nharm sections b0 b1 b2 a0 a1 a2 */
    ezc_buffer *c_out, *c_t, *c_y, *c_r, *c_p, *c_s, *c_h;
} lnc_state;

static const ezc_setting_spec lnc_settings[] = {
    {"line_freq", EZC_SETTING_FLOAT, "60", "nominal line frequency (Hz)", 0, NULL},
    {"num_harmonics", EZC_SETTING_INT, "1", "harmonics cancelled, the fundamental included", 0,
     NULL},
    {"adapt_time_constant", EZC_SETTING_FLOAT, "0.1", "settling time of the canceller (s)", 0,
     NULL},
    {"freq_time_constant", EZC_SETTING_FLOAT, "0.5",
     "settling time of the frequency tracker (s); <= 0: fixed frequency", 0, NULL},
    {"max_freq_deviation", EZC_SETTING_FLOAT, "2", "largest tracked deviation from line_freq (Hz)",
     0, NULL},
    {"cancel_method", EZC_SETTING_STRING, "notch", "notch, or passthrough (no cancellation)", 0,
     "notch|subtract|passthrough"},
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along (a linear axis)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* The code of a failed call that returned NULL (its err is set). */
static int failed(const ezc_error *err)
{
    return err->code ? err->code : EZC_ENOMEM;
}

static void free_stream(lnc_state *st)
{
    ezc_array_destroy(&st->zi);
    free(st->acc_re);
    free(st->acc_im);
    free(st->prev);
    st->acc_re = st->acc_im = NULL;
    st->prev = NULL;
}

static void lnc_fini(void *state)
{
    lnc_state *st = state;
    if (!st)
        return;
    free_stream(st);
    free(st->trig);
    free(st->coef);
    ezc_buffer **c[] = {&st->c_out, &st->c_t, &st->c_y, &st->c_r, &st->c_p, &st->c_s, &st->c_h};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        ezc_buffer_unref(c[i]);
    free(st);
}

static int lnc_init(void **state, const ezc_settings *s, ezc_error *err)
{
    lnc_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
    st->line_freq = 60;
    st->tau_adapt = 0.1;
    st->tau_freq = 0.5;
    st->max_dev = 2;
    st->axis = "time";
    int64_t nh = 1;
    const char *method = "notch";
    ezc_settings_get_float(s, "line_freq", &st->line_freq);
    ezc_settings_get_int(s, "num_harmonics", &nh);
    ezc_settings_get_float(s, "adapt_time_constant", &st->tau_adapt);
    ezc_settings_get_float(s, "freq_time_constant", &st->tau_freq);
    ezc_settings_get_float(s, "max_freq_deviation", &st->max_dev);
    ezc_settings_get_string(s, "cancel_method", &method);
    ezc_settings_get_string(s, "axis", &st->axis);
    int rc = 0;
    if (!(st->line_freq > 0) || !isfinite(st->line_freq))
        rc = ezc_error_set(err, EZC_EINVAL, TF ": setting 'line_freq' = %g: expected > 0 Hz",
                           st->line_freq);
    else if (nh < 1 || nh > 64)
        rc = ezc_error_set(err, EZC_EINVAL, TF ": setting 'num_harmonics' = %lld: expected 1 to 64",
                           (long long)nh);
    else if (!(st->tau_adapt > 0) || !isfinite(st->tau_adapt))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": setting 'adapt_time_constant' = %g: expected > 0 seconds",
                           st->tau_adapt);
    else if (isnan(st->tau_freq))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": setting 'freq_time_constant' = nan: expected seconds (<= 0: off)");
    else if (!(st->max_dev >= 0))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": setting 'max_freq_deviation' = %g: expected >= 0 Hz", st->max_dev);
    else if (!strcmp(method, "subtract"))
        rc = ezc_error_set(err, EZC_ENOTSUP,
                           TF ": setting 'cancel_method' = 'subtract': not implemented in ezc "
                              "(notch or passthrough)");
    st->nharm = (int)nh;
    st->passthrough = !strcmp(method, "passthrough");
    if (!rc && !(st->coef = calloc((size_t)st->nharm * 6, sizeof *st->coef)))
        rc = ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
    if (rc) {
        lnc_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* New stream: the nominal frequency, zero filter state, an empty window. */
static int reset(lnc_state *st, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    free_stream(st);
    st->fs = 1.0 / x->axes[ax].gain;
    st->omega = 2 * M_PI * st->line_freq / st->fs;
    double lo = fmax(0.0, st->line_freq - st->max_dev),
           hi = fmin(st->fs / 2, st->line_freq + st->max_dev);
    st->omega_min = 2 * M_PI * lo / st->fs;
    st->omega_max = 2 * M_PI * hi / st->fs;
    st->phase = 0;
    st->block_len = llround(st->fs / st->line_freq);
    if (st->block_len < 1)
        st->block_len = 1;
    st->in_block = 0;
    st->have_prev = 0;
    st->m = 1;
    for (int i = 0; i < ezc_array_ndim(x); i++)
        if (i != ax)
            st->m *= (size_t)x->shape[i];
    int64_t nz = (int64_t)st->nharm * 2 * (int64_t)st->m;
    size_t mm = st->m ? st->m : 1;
    st->zi = ezc_array_new(EZC_FLOAT64, 1, &nz, NULL, x->tensor.device, err);
    st->acc_re = calloc(mm, sizeof(double));
    st->acc_im = calloc(mm, sizeof(double));
    st->prev = calloc(mm, sizeof(double complex));
    if (!st->zi || !st->acc_re || !st->acc_im || !st->prev)
        return err->code ? err->code : ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
    return ezc_xp_call(xp, fill, err, st->zi, 0.0);
}

/* The notch cascade for the current frequency (design_lnc_sos). */
static void design(lnc_state *st)
{
    double mu = 2.0 / (st->tau_adapt * st->fs);
    for (int i = 0; i < st->nharm; i++) {
        double c = cos((i + 1) * st->omega), *r = st->coef + 6 * i;
        r[0] = 1;
        r[1] = -2 * c;
        r[2] = 1;
        r[3] = 1;
        r[4] = -(2 - mu) * c;
        r[5] = 1 - mu;
    }
}

/* A header over rows [t0, t0 + n) of a time-first contiguous array. */
static ezc_array *rows(const ezc_array *a, int64_t t0, int64_t n, ezc_error *err)
{
    size_t row = ezc_dtype_size(a->dtype);
    for (int i = 1; i < ezc_array_ndim(a); i++)
        row *= (size_t)a->shape[i];
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[0] = n;
    size_t base = (size_t)((char *)ezc_array_data(a) - (char *)a->buf->data);
    return ezc_array_from_buffer(a->buf, base + (size_t)t0 * row, a->dtype, ezc_array_ndim(a),
                                 shape, NULL, err);
}

/* Adds sum_t removed[t] * (cos, sin)(phase + omega t) to the window's sums. */
static int demodulate(lnc_state *st, const ezc_array *xs, const ezc_array *ys, const ezc_xp *xp,
                      ezc_error *err)
{
    int64_t n = xs->shape[0];
    if ((size_t)(2 * n) > st->ntrig) {
        double *p = realloc(st->trig, (size_t)(2 * n) * sizeof *p);
        if (!p)
            return ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
        st->trig = p;
        st->ntrig = (size_t)(2 * n);
    }
    for (int64_t i = 0; i < n; i++) {
        double ph = st->phase + st->omega * (double)i;
        st->trig[i] = cos(ph);
        st->trig[n + i] = sin(ph);
    }
    int64_t m = (int64_t)st->m;
    ezc_array *r = ezc_array_new_like_cached(xs, EZC_FLOAT64, 0, NULL, &st->c_r, err);
    ezc_array *pr = r ? ezc_array_new_like_cached(xs, EZC_FLOAT64, 0, NULL, &st->c_p, err) : NULL;
    ezc_array *sum = pr ? ezc_array_new_like_cached(xs, EZC_FLOAT64, ezc_array_ndim(xs) - 1,
                                                    xs->shape + 1, &st->c_s, err)
                        : NULL;
    int rc = sum ? 0 : failed(err);
    /* removed = x - y in float64, as numpy promotes against the float64 notch */
    if (!rc)
        rc = ezc_xp_call(xp, astype, err, xs, r);
    if (!rc)
        rc = ezc_xp_call(xp, astype, err, ys, pr);
    if (!rc)
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, r, pr, r);
    ezc_buffer *hb = NULL;
    ezc_array *host = NULL;
    for (int part = 0; !rc && part < 2; part++) {
        double *acc = part ? st->acc_im : st->acc_re;
        rc = ezc_xp_call(xp, affine_axis, err, r, pr, 0, st->trig + part * n, NULL);
        if (!rc)
            rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_SUM, pr, 0, sum);
        if (rc)
            break;
        const double *v = ezc_array_data(sum);
        if (sum->tensor.device.device_type != kDLCPU) {
            if (!host) {
                hb = ezc_buffer_cached(&st->c_h, (size_t)m * sizeof(double), ezc_device_cpu(), err);
                host = hb ? ezc_array_from_buffer(hb, 0, EZC_FLOAT64, ezc_array_ndim(sum),
                                                  sum->shape, NULL, err)
                          : NULL;
            }
            if (!host || (rc = ezc_xp_call(xp, copy, err, sum, host)))
                break;
            v = ezc_array_data(host);
        }
        for (int64_t j = 0; j < m; j++)
            acc[j] += v[j];
    }
    if (!rc && (!r || !pr || !sum))
        rc = err->code;
    ezc_array_destroy(&host);
    ezc_buffer_unref(&hb);
    ezc_array_destroy(&r);
    ezc_array_destroy(&pr);
    ezc_array_destroy(&sum);
    return rc;
}

/* Window end: omega moves by the pooled rotation of the phasors. */
static void fll_step(lnc_state *st)
{
    double beta = 1 - exp(-((double)st->block_len / st->fs) / st->tau_freq);
    double complex cross = 0;
    for (size_t j = 0; j < st->m; j++) {
        double complex z = st->acc_re[j] - I * st->acc_im[j];
        if (st->have_prev)
            cross += z * conj(st->prev[j]);
        st->prev[j] = z;
        st->acc_re[j] = st->acc_im[j] = 0;
    }
    if (st->have_prev && cross != 0) {
        double w = st->omega + beta * carg(cross) / (double)st->block_len;
        st->omega = fmin(fmax(w, st->omega_min), st->omega_max);
    }
    st->have_prev = 1;
}

/* The notch over time-first x into y (same shape), window by window. */
static int cancel(lnc_state *st, const ezc_array *x, ezc_array *y, const ezc_xp *xp, ezc_error *err)
{
    int64_t n = x->shape[0];
    int tracking = st->tau_freq > 0;
    if (!tracking || !st->m) {
        design(st);
        st->phase += st->omega * (double)n;
        return ezc_xp_call(xp, iir, err, x, 0, st->coef, st->nharm, 2, st->zi, y);
    }
    for (int64_t pos = 0; pos < n;) {
        int64_t len = st->block_len - st->in_block;
        if (len > n - pos)
            len = n - pos;
        ezc_array *xs = rows(x, pos, len, err), *ys = xs ? rows(y, pos, len, err) : NULL;
        int rc = ys ? 0 : failed(err);
        design(st);
        if (!rc)
            rc = ezc_xp_call(xp, iir, err, xs, 0, st->coef, st->nharm, 2, st->zi, ys);
        if (!rc)
            rc = demodulate(st, xs, ys, xp, err);
        ezc_array_destroy(&xs);
        ezc_array_destroy(&ys);
        if (rc)
            return rc;
        st->phase += st->omega * (double)len;
        st->in_block += len;
        pos += len;
        if (st->in_block >= st->block_len) {
            fll_step(st);
            st->in_block = 0;
        }
    }
    return 0;
}

static int lnc_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    (void)port;
    lnc_state *st = state;
    *out = NULL;
    int ax, rc = ezc_tf_axis(TF, in, st->axis, &ax, err);
    if (!rc && (in->axes[ax].kind != EZC_AXIS_LINEAR || !(in->axes[ax].gain > 0) ||
                !isfinite(in->axes[ax].gain)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": dim '%s' has no linear axis with a gain > 0 (the sampling rate)",
                           in->dims[ax]);
    if (rc || st->passthrough) {
        if (rc)
            ezc_array_destroy(&in);
        *out = rc ? NULL : in;
        return rc;
    }
    ezc_array *x = in;
    if ((rc = ezc_tf_writable_float(TF, &x, 0, xp, err)))
        return rc;
    if (ezc_template_changed(&st->tpl, x, ax) && (rc = reset(st, x, ax, xp, err))) {
        st->tpl.valid = 0;
        ezc_array_destroy(&x);
        return rc;
    }
    int nd = ezc_array_ndim(x), perm[EZC_MAX_DIMS], inv[EZC_MAX_DIMS];
    ezc_array *xt = NULL, *yt = NULL, *y = NULL;
    if (ax != 0) {
        int64_t shape[EZC_MAX_DIMS];
        perm[0] = ax;
        for (int i = 0, k = 1; i < nd; i++)
            if (i != ax)
                perm[k++] = i;
        for (int i = 0; i < nd; i++) {
            shape[i] = x->shape[perm[i]];
            inv[perm[i]] = i;
        }
        xt = ezc_array_new_like_cached(x, x->dtype, nd, shape, &st->c_t, err);
        rc = xt ? ezc_xp_call(xp, permute, err, x, perm, xt) : failed(err);
        yt = rc ? NULL : ezc_array_new_like_cached(xt, xt->dtype, 0, NULL, &st->c_y, err);
        if (!rc && !yt)
            rc = failed(err);
    } else {
        yt = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->c_out, err);
        rc = yt ? 0 : failed(err);
    }
    if (!rc)
        rc = cancel(st, ax ? xt : x, yt, xp, err);
    if (!rc && ax != 0) {
        y = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->c_out, err);
        rc = y ? ezc_xp_call(xp, permute, err, yt, inv, y) : failed(err);
        ezc_array_destroy(&yt);
    } else if (!rc) {
        /* y: x's metadata over the filtered data */
        y = yt;
        yt = NULL;
    }
    ezc_array_destroy(&xt);
    ezc_array_destroy(&yt);
    ezc_array_destroy(&x);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_adaptive_lnc_type = {
    .name = "adaptive_lnc",
    .summary = "adaptive line-noise cancellation: tracked notches at the line frequency",
    .settings = lnc_settings,
    .init = lnc_init,
    .process = lnc_process,
    .fini = lnc_fini,
};
