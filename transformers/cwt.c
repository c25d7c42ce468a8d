/* cwt.c — the continuous wavelet transform as a stream (ezmsg-sigproc's
 * CWT, wavelets.py): PyWavelets' cwt method run as a filter bank.
 *
 * PyWavelets samples the wavelet psi on 2^10 points over its support [lb,
 * ub] (linspace), integrates it by a running sum times the step, and for
 * scale s takes int_psi at indices floor(m / (s * step)), m = 0, 1, ...
 * below s * (ub - lb) + 1 (those inside the table), reversed: one FIR
 * kernel per scale (conjugated for a complex wavelet). The stream is
 * filtered by every kernel from a zero state (the filterbank core), then
 * differenced along time (the first sample against the last one of the
 * previous message, zero at the start) and scaled by -sqrt(s). Scales come
 * from `frequencies` (Hz, sorted ascending) as central_frequency / (f /
 * fs), or are given (sorted descending); the central frequency is where
 * |DFT(psi)| peaks, as PyWavelets finds it. Output: [others.., freq, time]
 * with a `freq` coordinate axis in Hz; real for a real wavelet, complex for
 * a complex one (two real kernels per scale, joined by one permute into
 * interleaved pairs that a complex header reads).
 *
 * Wavelets, with PyWavelets' formulas and supports: morl, mexh, cmorB-C (B
 * bandwidth, C centre frequency; plain cmor is B = 1, C = 0.5), shanB-C
 * (sqrt(B) sinc(B t) e^{2 pi j C t} on [-20, 20]; plain shan B = 0.5, C =
 * 1) and fbspM-B-C (sqrt(B) sinc(B t / M)^M e^{2 pi j C t}; plain fbsp M =
 * 2, B = 1, C = 0.5); gausP and cgauP (P = 1..8: the P-th derivative of
 * e^{-t^2}, or of e^{-jt} e^{-t^2}, at unit L2 norm on [-5, 5]; see
 * parse_gauss). float32 data get PyWavelets' float32 step and support
 * length (ezmsg casts them to the data's dtype), so the kernels' lengths
 * and indices match it there too. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filterbank.h"
#include "fir_design.h"

#define CWT_POINTS 1024 /* 2^precision, precision 10 as ezmsg-sigproc */
#define CWT_MAX_SCALES 512
#define CWT_MAX_TAPS 200000

/* the complex ones from WAV_CMOR on */
typedef enum { WAV_MORL, WAV_MEXH, WAV_GAUS, WAV_CMOR, WAV_SHAN, WAV_FBSP, WAV_CGAU } wav_family;

typedef struct cwt_state {
    wav_family fam;
    double B, C;       /* cmor, shan, fbsp: bandwidth and centre frequency */
    int M;             /* fbsp: the spline order */
    int P;             /* gaus, cgau: the derivative's order */
    double norm;       /* gaus, cgau: PyWavelets' sign over the L2 norm */
    double lb, ub, cf; /* support and central frequency */
    double *given;     /* frequencies (Hz, ascending) or scales (descending) */
    int ns, by_freq, f32;
    ezc_min_phase min_phase;
    double gain;        /* the time axis's gain (1 / fs) as the message gives it */
    double *scales;     /* for the current rate: ns of them */
    double *neg_rt;     /* -sqrt(scale), per kernel (twice over when complex) */
    double *freq;       /* Hz per scale, the output's coordinate axis */
    ezc_coords *coords; /* made from freq */
    ezc_fbank fb;
    ezc_template tpl; /* of the filter bank's output: prev starts over with it */
    ezc_array *prev;  /* its last sample along time, [.., K, 1] */
    int64_t *last;    /* the index of that sample, for take */
    ezc_buffer *d_cache, *z_cache;
    char axis[EZC_NAME_MAX];
} cwt_state;

static const ezc_setting_spec cwt_settings[] = {
    {"frequencies", EZC_SETTING_FLOATS, NULL,
     "analysis frequencies in Hz (scales from them at the stream's rate)", 0, NULL},
    {"scales", EZC_SETTING_FLOATS, NULL, "wavelet scales, when frequencies are not given", 0, NULL},
    {"wavelet", EZC_SETTING_STRING, NULL,
     "morl, mexh, gausP, cmorB-C (e.g. cmor1.5-1.0), shanB-C, fbspM-B-C or cgauP (P 1 to 8)", 1,
     NULL},
    {"min_phase", EZC_SETTING_STRING, "none",
     "none, or each kernel made minimum phase (real wavelets only)", 0, "none|hilbert|homomorphic"},
    {"axis", EZC_SETTING_STRING, "time", "the time dim", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int parse_wavelet(cwt_state *st, const char *w, ezc_error *err);

static double complex psi_at(const cwt_state *st, double x)
{
    switch (st->fam) {
    case WAV_MORL: return exp(-x * x / 2) * cos(5 * x);
    case WAV_MEXH: return 2 / (sqrt(3.0) * pow(M_PI, 0.25)) * (1 - x * x) * exp(-x * x / 2);
    case WAV_CMOR:
        return 1 / sqrt(M_PI * st->B) * exp(-x * x / st->B) * cexp(2 * M_PI * I * st->C * x);
    case WAV_SHAN:
    case WAV_FBSP: {
        double m = st->fam == WAV_SHAN ? 1 : st->M, u = M_PI * st->B * x / m;
        double sinc = u == 0 ? 1 : sin(u) / u;
        return sqrt(st->B) * pow(sinc, m) * cexp(2 * M_PI * I * st->C * x);
    }
    case WAV_GAUS:
    case WAV_CGAU: {
        /* d^P/dx^P e^{-(x + a)^2} = (-1)^P H_P(x + a) e^{-(x + a)^2} (H the
         * physicists' Hermite polynomials), a = 0 for gaus and j/2 for cgau:
         * e^{-jx} e^{-x^2} = e^{-1/4} e^{-(x + j/2)^2}, e^{-1/4} a constant
         * factor. One recurrence serves both. */
        double complex z = st->fam == WAV_CGAU ? x + 0.5 * I : x, h0 = 1, h1 = 2 * z;
        for (int n = 1; n < st->P; n++) {
            double complex h2 = 2 * z * h1 - 2 * n * h0;
            h0 = h1, h1 = h2;
        }
        double complex g = st->fam == WAV_CGAU ? cexp(-I * x) : 1;
        return st->norm * h1 * g * exp(-x * x);
    }
    }
    return 0;
}

/* psi on the grid x_j = lb + j * step (numpy's linspace: the last point is
 * ub itself). */
static void psi_table(const cwt_state *st, double complex *psi)
{
    double step = (st->ub - st->lb) / (CWT_POINTS - 1);
    for (int j = 0; j < CWT_POINTS; j++) {
        volatile double jx = j * step; /* j * step + lb, rounded twice as numpy's */
        psi[j] = psi_at(st, j == CWT_POINTS - 1 ? st->ub : jx + st->lb);
    }
}

/* For the tests: psi of wavelet w (a setting's value) on its CWT_POINTS
 * grid, and the grid's ends. */
int ezc_cwt_wavefun(const char *w, double complex psi[CWT_POINTS], double *lb, double *ub,
                    ezc_error *err);
int ezc_cwt_wavefun(const char *w, double complex psi[CWT_POINTS], double *lb, double *ub,
                    ezc_error *err)
{
    cwt_state st = {0};
    int rc = parse_wavelet(&st, w, err);
    if (rc)
        return rc;
    psi_table(&st, psi);
    *lb = st.lb, *ub = st.ub;
    return 0;
}

/* PyWavelets' central_frequency: k = 1 + the bin (after the first) where
 * |DFT(psi)| is largest, folded into the lower half; 1 / (domain / k). */
static double central_frequency(const cwt_state *st, const double complex *psi)
{
    int n = CWT_POINTS, best = 1;
    double top = -1;
    for (int k = 1; k < n; k++) {
        double complex s = 0;
        for (int j = 0; j < n; j++)
            s += psi[j] * cexp(-2 * M_PI * I * (double)((int64_t)k * j % n) / n);
        if (cabs(s) > top)
            top = cabs(s), best = k;
    }
    int index = best + 1;
    if (index > n / 2)
        index = n - index + 2;
    return 1.0 / ((st->ub - st->lb) / (index - 1));
}

/* The kernels for rate fs: row k the real parts of scale k's kernel, rows
 * ns + k its imaginary parts (complex wavelets), zero-padded to the
 * longest. Records the scales, -sqrt(scale) and the frequencies. */
static int cwt_design(const void *ctx, double fs, double **taps, int64_t *nk, int64_t *ntaps,
                      ezc_error *err)
{
    cwt_state *st = (cwt_state *)ctx; /* this design writes its scales back */
    (void)fs;                         /* the gain itself, as PyWavelets is given f * gain */
    int cplx = st->fam >= WAV_CMOR, ns = st->ns;
    double complex *psi = malloc(CWT_POINTS * sizeof *psi);
    if (!psi)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    psi_table(st, psi);
    /* the running-sum integral, conjugated: what the kernels are cut from;
     * PyWavelets' step is x[1] - x[0] of the grid, not the grid's own step */
    double delta = (st->ub - st->lb) / (CWT_POINTS - 1), x1 = st->lb + delta;
    double step64 = x1 - st->lb, step = step64, range = st->ub - st->lb;
    if (st->f32) { /* ezmsg casts the grid to the data's dtype */
        step = (double)((float)x1 - (float)st->lb);
        range = (double)((float)st->ub - (float)st->lb);
    }
    double complex acc = 0;
    for (int j = 0; j < CWT_POINTS; j++) {
        acc += psi[j];
        psi[j] = conj(acc) * step64;
    }
    for (int k = 0; k < ns; k++) {
        double s = st->by_freq ? st->cf / (st->given[k] * st->gain) : st->given[k];
        if (!(s > 0) || !isfinite(s) || s * range + 1 > CWT_MAX_TAPS) {
            free(psi);
            return ezc_error_set(
                err, EZC_EINVAL, "scale %g (%s %g): the kernel would have %.0f taps (at most %d)",
                s, st->by_freq ? "frequency" : "scale", st->given[k], s * range + 1, CWT_MAX_TAPS);
        }
        st->scales[k] = s;
        st->freq[k] = st->cf / s / st->gain;
        st->neg_rt[k] = st->neg_rt[k + (cplx ? ns : 0)] = -sqrt(s);
    }
    int64_t nt = 0, len[CWT_MAX_SCALES];
    int rc;
    for (int k = 0; k < ns; k++) {                    /* taps: m / (s step) below the table's end */
        volatile double prod = st->scales[k] * range; /* no FMA: numpy rounds twice */
        double span = prod + 1, ss = st->scales[k] * step;
        int64_t m = 0, count = (int64_t)ceil(span);
        while (m < count && (int64_t)((double)m / ss) < CWT_POINTS)
            m++;
        len[k] = m;
        nt = m > nt ? m : nt;
    }
    int64_t rows = cplx ? 2 * ns : ns;
    double *all = calloc((size_t)(rows * nt), sizeof *all);
    if (!all) {
        free(psi);
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    }
    for (int k = 0; k < ns; k++) {
        double ss = st->scales[k] * step;
        for (int64_t m = 0; m < len[k]; m++) { /* reversed */
            double complex v = psi[(int64_t)((double)m / ss)];
            all[k * nt + len[k] - 1 - m] = creal(v);
            if (cplx)
                all[(ns + k) * nt + len[k] - 1 - m] = cimag(v);
        }
    }
    free(psi);
    if ((rc = ezc_min_phase_rows(&all, rows, &nt, len, st->min_phase, err))) {
        free(all);
        return rc;
    }
    ezc_coords_unref(&st->coords);
    if (!(st->coords = ezc_coords_new((size_t)ns, st->freq, NULL, err))) {
        free(all);
        return err->code;
    }
    *taps = all;
    *nk = rows;
    *ntaps = nt;
    return 0;
}

static void cwt_fini(void *state)
{
    cwt_state *st = state;
    if (!st)
        return;
    ezc_fbank_fini(&st->fb);
    ezc_array_destroy(&st->prev);
    ezc_coords_unref(&st->coords);
    ezc_buffer_unref(&st->d_cache);
    ezc_buffer_unref(&st->z_cache);
    free(st->given);
    free(st->scales);
    free(st->neg_rt);
    free(st->freq);
    free(st->last);
    free(st);
}

/* gausP, cgauP: psi is norm H_P(z) e^{-x^2} (times e^{-jx} for cgau), see
 * psi_at. norm folds three things: (-1)^P (the derivative's sign against
 * H_P); PyWavelets' own sign, (-1)^floor(P / 2) for gaus (gaus1 = -2x
 * e^{-x^2} / .., gaus2 = -2 (2x^2 - 1) e^{-x^2} / ..) and none for cgau;
 * and 1 / the L2 norm over R, analytic by Parseval: int |f^(P)|^2 dx =
 * sqrt(pi / 2) E[(Z - s)^(2P)], Z standard normal, s = 0 for gaus and 1
 * for cgau (e^{-jx} shifts the spectrum by one), which is (2P - 1)!! and
 * sum_k C(2P, 2k) (2k - 1)!!: PyWavelets' constants 1, 3, 15, .. and 2,
 * 10, 76, ... */
static int parse_gauss(cwt_state *st, const char *w, ezc_error *err)
{
    int cgau = w[0] == 'c';
    st->fam = cgau ? WAV_CGAU : WAV_GAUS;
    st->lb = -5, st->ub = 5;
    if (w[4] < '1' || w[4] > '8' || w[5])
        return ezc_error_set(err, EZC_EINVAL,
                             "cwt: setting 'wavelet' = '%s': expected %sP with P an integer in [1, "
                             "8] (e.g. %s4)",
                             w, cgau ? "cgau" : "gaus", cgau ? "cgau" : "gaus");
    int p = st->P = w[4] - '0';
    int64_t c = cgau, dfact = 1, binom = 1; /* the k = 0 term; (2k - 1)!!, C(2P, 2k) */
    for (int k = 1; k <= p; k++) {
        dfact *= 2 * k - 1;
        binom = binom * (2 * p - 2 * k + 2) * (2 * p - 2 * k + 1) / ((2 * k - 1) * 2 * k);
        c += binom * dfact;
    }
    if (!cgau)
        c = dfact;
    int sign = (p % 2 ? -1 : 1) * (cgau || p / 2 % 2 == 0 ? 1 : -1);
    st->norm = sign / sqrt((double)c * sqrt(M_PI / 2));
    return 0;
}

/* cmorB-C and shanB-C: B and C from what follows the 4-letter family name
 * (`name`) into st; an empty rest leaves st's defaults. 0, or EZC_EINVAL. */
static int parse_bc(cwt_state *st, const char *w, const char *name, ezc_error *err)
{
    char tail;
    if (w[4] && (sscanf(w + 4, "%lf-%lf%c", &st->B, &st->C, &tail) != 2 || !(st->B > 0) ||
                 !(st->C > 0) || !isfinite(st->B) || !isfinite(st->C)))
        return ezc_error_set(err, EZC_EINVAL,
                             "cwt: setting 'wavelet' = '%s': expected %sB-C with B and C > 0 "
                             "(e.g. %s1.5-1.0)",
                             w, name, name);
    return 0;
}

static int parse_wavelet(cwt_state *st, const char *w, ezc_error *err)
{
    st->lb = -8, st->ub = 8;
    if (!strncmp(w, "gaus", 4) || !strncmp(w, "cgau", 4))
        return parse_gauss(st, w, err);
    if (!strcmp(w, "morl"))
        st->fam = WAV_MORL;
    else if (!strcmp(w, "mexh"))
        st->fam = WAV_MEXH;
    else if (!strncmp(w, "cmor", 4)) {
        st->fam = WAV_CMOR;
        st->B = 1, st->C = 0.5;
        return parse_bc(st, w, "cmor", err);
    } else if (!strncmp(w, "shan", 4)) {
        st->fam = WAV_SHAN;
        st->lb = -20, st->ub = 20, st->B = 0.5, st->C = 1;
        return parse_bc(st, w, "shan", err);
    } else if (!strncmp(w, "fbsp", 4)) {
        st->fam = WAV_FBSP;
        st->lb = -20, st->ub = 20, st->M = 2, st->B = 1, st->C = 0.5;
        char tail;
        if (w[4] &&
            (sscanf(w + 4, "%d-%lf-%lf%c", &st->M, &st->B, &st->C, &tail) != 3 || st->M < 1 ||
             st->M > 64 || !(st->B > 0) || !(st->C > 0) || !isfinite(st->B) || !isfinite(st->C)))
            return ezc_error_set(err, EZC_EINVAL,
                                 "cwt: setting 'wavelet' = '%s': expected fbspM-B-C with M an "
                                 "integer in [1, 64] and B, C > 0 (e.g. fbsp2-1.0-0.5)",
                                 w);
    } else
        return ezc_error_set(err, EZC_EINVAL,
                             "cwt: setting 'wavelet' = '%s': expected morl, mexh, gausP, cmorB-C, "
                             "shanB-C, fbspM-B-C or cgauP",
                             w);
    return 0;
}

static int cmp_up(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cwt_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *w = NULL, *axis = "time";
    const double *f = NULL, *sc = NULL;
    size_t nf = 0, nsc = 0;
    ezc_settings_get_string(s, "wavelet", &w);
    ezc_settings_get_string(s, "axis", &axis);
    int has_f = ezc_settings_get_floats(s, "frequencies", &f, &nf) == 0;
    int has_s = ezc_settings_get_floats(s, "scales", &sc, &nsc) == 0;
    if (has_f == has_s)
        return ezc_error_set(err, EZC_EINVAL, "cwt: give one of 'frequencies' and 'scales' (%s)",
                             has_f ? "both given" : "neither given");
    size_t n = has_f ? nf : nsc;
    const double *v = has_f ? f : sc;
    if (n < 1 || n > CWT_MAX_SCALES)
        return ezc_error_set(err, EZC_EINVAL, "cwt: setting '%s' has %zu values: expected 1 to %d",
                             has_f ? "frequencies" : "scales", n, CWT_MAX_SCALES);
    for (size_t i = 0; i < n; i++)
        if (!(v[i] > 0) || !isfinite(v[i]))
            return ezc_error_set(err, EZC_EINVAL, "cwt: setting '%s' = %g: expected > 0",
                                 has_f ? "frequencies" : "scales", v[i]);
    cwt_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "cwt: out of memory");
    int rc = parse_wavelet(st, w, err);
    const char *mp = "none";
    ezc_settings_get_string(s, "min_phase", &mp);
    st->min_phase = (ezc_min_phase)ezc_min_phase_parse(mp);
    if (!rc && st->fam >= WAV_CMOR && st->min_phase != EZC_MIN_PHASE_NONE)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "cwt: setting 'min_phase' = %s: minimum phase is for real kernels, "
                           "and %s is complex (use none, or morl, mexh or gausP)",
                           mp, w);
    st->ns = (int)n;
    st->by_freq = has_f;
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    st->given = malloc(n * sizeof *st->given);
    st->scales = malloc(n * sizeof *st->scales);
    st->neg_rt = malloc(2 * n * sizeof *st->neg_rt);
    st->freq = malloc(n * sizeof *st->freq);
    if (!rc && (!st->given || !st->scales || !st->neg_rt || !st->freq))
        rc = ezc_error_set(err, EZC_ENOMEM, "cwt: out of memory");
    if (!rc) {
        memcpy(st->given, v, n * sizeof *v);
        qsort(st->given, n, sizeof *v, cmp_up);
        if (!has_f) /* scales descending: frequencies ascending */
            for (size_t i = 0; i < n / 2; i++) {
                double t = st->given[i];
                st->given[i] = st->given[n - 1 - i];
                st->given[n - 1 - i] = t;
            }
        double complex *psi = malloc(CWT_POINTS * sizeof *psi);
        if (!psi)
            rc = ezc_error_set(err, EZC_ENOMEM, "cwt: out of memory");
        else {
            psi_table(st, psi);
            st->cf = central_frequency(st, psi);
            free(psi);
        }
    }
    if (!rc)
        rc = ezc_fbank_init(&st->fb, axis, "freq", NULL, 0, 0, cwt_design, st, err);
    if (rc) {
        cwt_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* A header of dtype t and shape (nd, shape) over a's data (a contiguous). */
static ezc_array *view(const ezc_array *a, ezc_dtype t, int nd, const int64_t *shape,
                       ezc_error *err)
{
    size_t base = (size_t)((char *)ezc_array_data(a) - (char *)a->buf->data);
    return ezc_array_from_buffer(a->buf, base, t, nd, shape, NULL, err);
}

/* o: the filter bank's output [.., K, n] (consumed): differenced against the
 * previous message's last sample, scaled per kernel; *out the result. */
static int diff_scale(cwt_state *st, ezc_array *o, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    int nd = ezc_array_ndim(o), ta = nd - 1, ka = nd - 2, rc;
    int64_t n = o->shape[ta];
    if (ezc_template_changed(&st->tpl, o, ta)) {
        ezc_array_destroy(&st->prev);
        int64_t shape[EZC_MAX_DIMS];
        memcpy(shape, o->shape, (size_t)nd * sizeof *shape);
        shape[ta] = 1;
        if (!(st->prev = ezc_array_new(o->dtype, nd, shape, NULL, o->tensor.device, err)) ||
            (rc = ezc_xp_call(xp, fill, err, st->prev, 0.0))) {
            st->tpl.valid = 0;
            ezc_array_destroy(&o);
            return err->code ? err->code : EZC_ENOMEM;
        }
        if (!st->last && !(st->last = malloc(sizeof *st->last))) {
            st->tpl.valid = 0;
            ezc_array_destroy(&o);
            return ezc_error_set(err, EZC_ENOMEM, "out of memory");
        }
    }
    ezc_array *d = ezc_array_new_like_cached(o, o->dtype, 0, NULL, &st->d_cache, err);
    if (!d)
        rc = err->code ? err->code : EZC_ENOMEM;
    else if (n == 0)
        rc = 0;
    else if (!(rc = ezc_xp_call(xp, diff, err, o, st->prev, ta, d)) &&
             !(rc = ezc_xp_call(xp, affine_axis, err, d, d, ka, st->neg_rt, NULL))) {
        st->last[0] = n - 1;
        rc = ezc_xp_call(xp, take, err, o, ta, st->last, 1, st->prev);
    }
    if (rc)
        st->tpl.valid = 0; /* prev is unknown: start over */
    ezc_array_destroy(&o);
    if (rc)
        ezc_array_destroy(&d);
    *out = d;
    return rc;
}

/* d: [.., 2 ns, n] real, rows ns.. the imaginary parts: -> [.., ns, n]
 * complex (consumed), by one permute of d seen as [.., 2, ns, n] into the
 * output seen as [.., ns, n, 2] (real, imaginary pairs). */
static int to_complex(cwt_state *st, ezc_array *d, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    int nd = ezc_array_ndim(d), rc = 0;
    int64_t split[EZC_MAX_DIMS + 1], pairs[EZC_MAX_DIMS + 1], cshape[EZC_MAX_DIMS];
    int perm[EZC_MAX_DIMS + 1];
    memcpy(split, d->shape, (size_t)(nd - 2) * sizeof *split);
    split[nd - 2] = 2, split[nd - 1] = st->ns, split[nd] = d->shape[nd - 1];
    for (int i = 0; i < nd - 2; i++)
        perm[i] = i;
    perm[nd - 2] = nd - 1, perm[nd - 1] = nd, perm[nd] = nd - 2;
    for (int i = 0; i <= nd; i++)
        pairs[i] = split[perm[i]];
    memcpy(cshape, d->shape, (size_t)nd * sizeof *cshape);
    cshape[nd - 2] = st->ns;
    ezc_dtype ct = d->dtype == EZC_FLOAT32 ? EZC_COMPLEX64 : EZC_COMPLEX128;
    ezc_array *c = ezc_array_new_like_cached(d, ct, nd, cshape, &st->z_cache, err);
    ezc_array *v = c ? view(d, d->dtype, nd + 1, split, err) : NULL;
    ezc_array *r = v ? view(c, d->dtype, nd + 1, pairs, err) : NULL;
    if (!r)
        rc = err->code ? err->code : EZC_ENOMEM;
    else if (ezc_array_size(r))
        rc = ezc_xp_call(xp, permute, err, v, perm, r);
    ezc_array_destroy(&v);
    ezc_array_destroy(&r);
    ezc_array_destroy(&d);
    if (rc)
        ezc_array_destroy(&c);
    *out = c;
    return rc;
}

static int cwt_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    cwt_state *st = state;
    (void)port;
    *out = NULL;
    for (int i = 0; i < ezc_array_ndim(in); i++)
        if (!strcmp(in->dims[i], "freq")) {
            ezc_array_destroy(&in);
            return ezc_error_set(err, EZC_EINVAL,
                                 "cwt: the input has a 'freq' dim already (the output adds one): "
                                 "rename or remove it upstream");
        }
    st->f32 = in->dtype == EZC_FLOAT32;
    int ta = ezc_array_axis_index(in, st->axis);
    if (ta >= 0 && in->axes[ta].kind == EZC_AXIS_LINEAR)
        st->gain = in->axes[ta].gain; /* the bank checks the axis and the rate */
    ezc_array *o = NULL, *d = NULL;
    int rc = ezc_fbank_process(&st->fb, in, &o, xp, err);
    if (!rc)
        rc = diff_scale(st, o, &d, xp, err);
    if (!rc && st->fam >= WAV_CMOR)
        rc = to_complex(st, d, &d, xp, err);
    if (rc) {
        ezc_array_destroy(&d);
        return rc;
    }
    int fa = ezc_array_ndim(d) - 2; /* the freq axis, in Hz */
    ezc_array_clear_axis(d, fa);
    d->axes[fa].kind = EZC_AXIS_COORD;
    d->axes[fa].coords = ezc_coords_ref(st->coords);
    snprintf(d->axes[fa].unit, sizeof d->axes[fa].unit, "Hz");
    *out = d;
    return 0;
}

const ezc_transformer_type ezc_cwt_type = {
    .name = "cwt",
    .summary = "continuous wavelet transform (PyWavelets' method as a filter bank): [.., time] -> "
               "[.., freq, time]",
    .settings = cwt_settings,
    .init = cwt_init,
    .process = cwt_process,
    .fini = cwt_fini,
};
