/* fir_hilbert.c — analytic signal by an FIR Hilbert transformer along an
 * axis (ezmsg-sigproc's FIRHilbertFilter and FIRHilbertEnvelope): an
 * equiripple type III filter (scipy.signal.remez type 'hilbert', bands in
 * Hz built as ezmsg-sigproc builds them) gives the imaginary part on the
 * shared FIR stream (started from the first sample); the real part is the
 * input delayed by the filter's (taps - 1) / 2 samples (zeros before the
 * stream). `output` picks the envelope |re + j im|, the phase, or the
 * filtered signal alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fir_design.h"
#include "filter_stream.h"

#define MAX_ORDER 100000
#define NORM_POINTS 2048

enum { OUT_ENVELOPE, OUT_PHASE, OUT_FILTER };

typedef struct hilbert_state {
    char axis[EZC_NAME_MAX];
    int64_t order; /* even */
    int output;
    int has_fhi, has_norm_freq, has_norm_band;
    double f_lo, f_hi, trans_lo, trans_hi, w_pass, w_lo, w_hi, norm_freq, norm_band[2];
    ezc_fir_stream fir;
    ezc_template tpl;
    ezc_array *hist; /* the last order / 2 input samples along the axis */
    int64_t *idx;
    size_t idx_cap;
    ezc_buffer *ext_cache, *re_cache;
} hilbert_state;

static const ezc_setting_spec hilbert_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"order", EZC_SETTING_INT, "170", "filter order, taps = order + 1 (odd: raised by one)", 0,
     NULL},
    {"f_lo", EZC_SETTING_FLOAT, "1", "Hz: the passband starts at f_lo + trans_lo", 0, NULL},
    {"f_hi", EZC_SETTING_FLOAT, NULL,
     "Hz: upper passband corner (absent: the passband runs to Nyquist)", 0, NULL},
    {"trans_lo", EZC_SETTING_FLOAT, "1", "Hz: lower transition width", 0, NULL},
    {"trans_hi", EZC_SETTING_FLOAT, "1", "Hz: upper transition width", 0, NULL},
    {"weight_pass", EZC_SETTING_FLOAT, "1", "passband weight", 0, NULL},
    {"weight_stop_lo", EZC_SETTING_FLOAT, "1", "lower stopband weight", 0, NULL},
    {"weight_stop_hi", EZC_SETTING_FLOAT, "1", "upper stopband weight", 0, NULL},
    {"norm_band", EZC_SETTING_FLOATS, NULL,
     "[lo, hi] Hz: divide the taps by the median gain over the band (clipped to the passband)", 0,
     NULL},
    {"norm_freq", EZC_SETTING_FLOAT, NULL,
     "Hz: divide the taps by the gain at this frequency (wins over norm_band)", 0, NULL},
    {"output", EZC_SETTING_STRING, "envelope",
     "envelope: |analytic|; phase: its angle in radians; filter: the Hilbert-filtered signal", 0,
     "envelope|phase|filter"},
    {"coef_type", EZC_SETTING_STRING, "ba", "ba only: FIR taps run in direct form", 0, "ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* |sum_n h[n] e^{-j w n}|, w = 2 pi f / fs (scipy.signal.freqz at one point). */
static double gain_at(const double *h, int64_t n, double f, double fs)
{
    double w = 2 * M_PI * f / fs, re = 0, im = 0;
    for (int64_t i = 0; i < n; i++) {
        re += h[i] * cos(w * (double)i);
        im -= h[i] * sin(w * (double)i);
    }
    return hypot(re, im);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The gain the taps are divided by (0: none), as ezmsg-sigproc measures it. */
static int norm_gain(const hilbert_state *st, const double *h, int64_t n, double fs, double f1,
                     double f2, double *g, ezc_error *err)
{
    *g = 0;
    if (st->has_norm_freq) {
        if (st->norm_freq < f1 || st->norm_freq > f2)
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting 'norm_freq' = %g Hz: outside the passband [%g, %g] Hz "
                                 "at fs = %g Hz",
                                 st->norm_freq, f1, f2, fs);
        *g = gain_at(h, n, st->norm_freq, fs);
        return 0;
    }
    if (!st->has_norm_band)
        return 0;
    double lo = fmax(st->norm_band[0], f1), hi = fmin(st->norm_band[1], f2);
    if (!(lo < hi))
        return ezc_error_set(err, EZC_EINVAL,
                             "setting 'norm_band' = [%g, %g] Hz: nothing of it in the passband "
                             "[%g, %g] Hz at fs = %g Hz",
                             st->norm_band[0], st->norm_band[1], f1, f2, fs);
    double *v = malloc(NORM_POINTS * sizeof *v);
    if (!v)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    double step = (hi - lo) / (NORM_POINTS - 1);
    for (int i = 0; i < NORM_POINTS; i++)
        v[i] = gain_at(h, n, i == NORM_POINTS - 1 ? hi : lo + (double)i * step, fs);
    qsort(v, NORM_POINTS, sizeof *v, cmp_double);
    *g = 0.5 * (v[NORM_POINTS / 2 - 1] + v[NORM_POINTS / 2]);
    free(v);
    return 0;
}

static int hilbert_design(const void *ctx, double fs, double **taps, int64_t *ntaps, ezc_error *err)
{
    const hilbert_state *st = ctx;
    double nyq = fs / 2.0;
    double f1 = fmax(st->f_lo, 0.0) + st->trans_lo;
    double f2 = st->has_fhi ? fmin(st->f_hi, nyq - st->trans_hi) : nyq - st->trans_hi;
    if (!(0.0 < f1 && f1 < f2 && f2 < nyq))
        return ezc_error_set(err, EZC_EINVAL,
                             "settings 'f_lo' = %g, 'f_hi' = %g, 'trans_lo' = %g, 'trans_hi' = "
                             "%g: no passband left at fs = %g Hz (it would be [%g, %g] Hz)",
                             st->f_lo, st->has_fhi ? st->f_hi : nyq, st->trans_lo, st->trans_hi, fs,
                             f1, f2);
    double b[6] = {0.0, fmax(f1 - st->trans_lo, 0.0), f1, f2, fmin(f2 + st->trans_hi, nyq), nyq};
    double d[3] = {0, 1, 0}, w[3] = {st->w_lo, st->w_pass, st->w_hi};
    for (int i = 1; i < 5; i++)
        if (b[i] <= b[i - 1])
            b[i] = nextafter(b[i - 1], INFINITY);
    int nb = 3;
    if (b[4] >= nyq) { /* no room for an upper stopband: stop / pass */
        b[3] = nyq;
        nb = 2;
    }
    for (int i = 0; i < 2 * nb; i++)
        b[i] /= fs;
    int64_t n = st->order + 1;
    double *h = malloc((size_t)n * sizeof *h), g = 0;
    if (!h)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    int rc = ezc_remez_hilbert(n, b, nb, d, w, h, err);
    if (!rc)
        rc = norm_gain(st, h, n, fs, f1, f2, &g, err);
    if (rc) {
        free(h);
        return rc;
    }
    if (g > 0)
        for (int64_t i = 0; i < n; i++)
            h[i] /= g;
    *taps = h;
    *ntaps = n;
    return 0;
}

static void hilbert_fini(void *state)
{
    hilbert_state *st = state;
    if (!st)
        return;
    ezc_fir_stream_fini(&st->fir);
    ezc_array_destroy(&st->hist);
    free(st->idx);
    ezc_buffer_unref(&st->ext_cache);
    ezc_buffer_unref(&st->re_cache);
    free(st);
}

static int positive(const ezc_settings *s, const char *name, double *v, int zero_ok, ezc_error *err)
{
    ezc_settings_get_float(s, name, v);
    if (zero_ok ? !(*v >= 0) : !(*v > 0))
        return ezc_error_set(err, EZC_EINVAL, "fir_hilbert: setting '%s' = %g: must be %s", name,
                             *v, zero_ok ? ">= 0" : "> 0");
    if (!isfinite(*v))
        return ezc_error_set(err, EZC_EINVAL, "fir_hilbert: setting '%s' = %g: must be finite",
                             name, *v);
    return 0;
}

static int hilbert_check(hilbert_state *st, const ezc_settings *s, ezc_error *err)
{
    int64_t order = 170;
    const char *out = "envelope";
    ezc_settings_get_int(s, "order", &order);
    ezc_settings_get_string(s, "output", &out);
    st->output = out[0] == 'e' ? OUT_ENVELOPE : out[0] == 'p' ? OUT_PHASE : OUT_FILTER;
    if (order < 1 || order > MAX_ORDER)
        return ezc_error_set(err, EZC_EINVAL,
                             "fir_hilbert: setting 'order' = %lld: expected 1 to %d",
                             (long long)order, MAX_ORDER);
    st->order = order + order % 2;
    st->f_lo = 1;
    st->trans_lo = st->trans_hi = st->w_pass = st->w_lo = st->w_hi = 1;
    ezc_settings_get_float(s, "f_lo", &st->f_lo);
    if (!isfinite(st->f_lo))
        return ezc_error_set(err, EZC_EINVAL, "fir_hilbert: setting 'f_lo' = %g: must be finite",
                             st->f_lo);
    st->has_fhi = ezc_settings_get_float(s, "f_hi", &st->f_hi) == 0;
    if (st->has_fhi && !(st->f_hi > 0 && isfinite(st->f_hi)))
        return ezc_error_set(err, EZC_EINVAL, "fir_hilbert: setting 'f_hi' = %g: must be > 0",
                             st->f_hi);
    int rc;
    if ((rc = positive(s, "trans_lo", &st->trans_lo, 1, err)) ||
        (rc = positive(s, "trans_hi", &st->trans_hi, 1, err)) ||
        (rc = positive(s, "weight_pass", &st->w_pass, 0, err)) ||
        (rc = positive(s, "weight_stop_lo", &st->w_lo, 0, err)) ||
        (rc = positive(s, "weight_stop_hi", &st->w_hi, 0, err)))
        return rc;
    st->has_norm_freq = ezc_settings_get_float(s, "norm_freq", &st->norm_freq) == 0;
    if (st->has_norm_freq && !(st->norm_freq > 0 && isfinite(st->norm_freq)))
        return ezc_error_set(err, EZC_EINVAL,
                             "fir_hilbert: setting 'norm_freq' = %g: must be > 0 Hz",
                             st->norm_freq);
    const double *nb = NULL;
    size_t nnb = 0;
    if (ezc_settings_get_floats(s, "norm_band", &nb, &nnb) == 0) {
        if (nnb != 2)
            return ezc_error_set(err, EZC_EINVAL,
                                 "fir_hilbert: setting 'norm_band' has %zu values: expected [lo, "
                                 "hi]",
                                 nnb);
        if (!(nb[0] < nb[1]) || !isfinite(nb[0]) || !isfinite(nb[1]))
            return ezc_error_set(err, EZC_EINVAL,
                                 "fir_hilbert: setting 'norm_band' = [%g, %g]: lo must be below hi",
                                 nb[0], nb[1]);
        st->has_norm_band = 1;
        st->norm_band[0] = nb[0];
        st->norm_band[1] = nb[1];
    }
    return 0;
}

static int hilbert_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    hilbert_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "fir_hilbert: out of memory");
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    int rc = hilbert_check(st, s, err);
    if (!rc)
        rc = ezc_fir_stream_init(&st->fir, axis, hilbert_design, st);
    if (rc) {
        hilbert_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int grow_idx(hilbert_state *st, size_t n, ezc_error *err)
{
    if (n <= st->idx_cap)
        return 0;
    int64_t *p = realloc(st->idx, n * sizeof *p);
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    st->idx = p;
    st->idx_cap = n;
    return 0;
}

/* The real part: x delayed by order / 2 samples through the carried tail
 * (zeros at a reset), into *re (x's shape and metadata). */
static int delayed(hilbert_state *st, const ezc_array *x, int ax, ezc_array **re, const ezc_xp *xp,
                   ezc_error *err)
{
    int64_t m = st->order / 2, n = x->shape[ax], shape[EZC_MAX_DIMS];
    int nd = ezc_array_ndim(x), rc;
    if (ezc_template_changed(&st->tpl, x, ax)) {
        ezc_array_destroy(&st->hist);
        memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
        shape[ax] = m;
        st->hist = ezc_array_new(x->dtype, nd, shape, NULL, x->tensor.device, err);
        if (!st->hist || (rc = ezc_xp_call(xp, fill, err, st->hist, 0.0))) {
            st->tpl.valid = 0;
            return err->code;
        }
    }
    if ((rc = grow_idx(st, (size_t)(n > m ? n : m), err)))
        return rc;
    memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
    shape[ax] = n + m;
    ezc_array *ext = ezc_array_new_like_cached(x, x->dtype, nd, shape, &st->ext_cache, err);
    *re = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->re_cache, err);
    if (!ext || !*re) {
        ezc_array_destroy(&ext);
        return err->code;
    }
    const ezc_array *parts[2] = {st->hist, x};
    rc = ezc_xp_call(xp, concat, err, parts, 2, ax, ext);
    for (int64_t i = 0; i < n; i++)
        st->idx[i] = i;
    if (!rc)
        rc = ezc_xp_call(xp, take, err, ext, ax, st->idx, (size_t)n, *re);
    for (int64_t i = 0; i < m; i++)
        st->idx[i] = n + i;
    if (!rc)
        rc = ezc_xp_call(xp, take, err, ext, ax, st->idx, (size_t)m, st->hist);
    ezc_array_destroy(&ext);
    if (rc)
        st->tpl.valid = 0; /* the tail is unknown: start again */
    return rc;
}

static int hilbert_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    hilbert_state *st = state;
    (void)port;
    *out = NULL;
    if (st->output == OUT_FILTER)
        return ezc_fir_stream_process(&st->fir, in, out, xp, err);
    int ax, rc;
    ezc_array *x = in, *re = NULL, *im = NULL;
    if ((rc = ezc_array_require_axis(in, st->axis, &ax, err)))
        goto fail;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL) {
        rc = ezc_error_set(err, EZC_EDTYPE, "%s data is not supported (real numbers only)",
                           ezc_dtype_name(in->dtype));
        goto fail;
    }
    if (in->dtype != EZC_FLOAT32 && in->dtype != EZC_FLOAT64) {
        x = ezc_array_new_like(in, EZC_FLOAT64, 0, NULL, err);
        rc = x ? ezc_xp_call(xp, astype, err, in, x) : err->code;
        ezc_array_destroy(&in);
        if (rc)
            goto fail;
    }
    if ((rc = delayed(st, x, ax, &re, xp, err)))
        goto fail;
    rc = ezc_fir_stream_process(&st->fir, x, &im, xp, err);
    x = NULL;
    if (rc) {
        st->tpl.valid = 0; /* both parts start again together */
        goto fail;
    }
    if (im->shape[ax] > 0)
        rc = st->output == OUT_ENVELOPE
                 ? ezc_xp_call(xp, binary, err, EZC_BINARY_HYPOT, re, im, im)
                 : ezc_xp_call(xp, binary, err, EZC_BINARY_ATAN2, im, re, im);
    ezc_array_destroy(&re);
    if (rc) {
        ezc_array_destroy(&im);
        return rc;
    }
    *out = im;
    return 0;
fail:
    ezc_array_destroy(&x);
    ezc_array_destroy(&re);
    return rc;
}

const ezc_transformer_type ezc_fir_hilbert_type = {
    .name = "fir_hilbert",
    .summary = "analytic signal by an equiripple FIR Hilbert transformer (scipy.signal.remez "
               "type 'hilbert'): envelope, phase or the filtered signal, state carried across "
               "messages",
    .settings = hilbert_settings,
    .init = hilbert_init,
    .process = hilbert_process,
    .fini = hilbert_fini,
};
