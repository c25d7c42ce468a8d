/* min_phase.c — scipy.signal.minimum_phase (scipy 1.10, as ezmsg-sigproc's
 * filterbank calls it: n_fft by default, the first len(h) / 2 + len(h) % 2
 * taps), on the host through the CPU backend's FFT.
 *
 * Every spectrum in both methods is that of a real sequence, so each FFT is
 * a real one over n_fft / 2 + 1 bins: the magnitudes are even, and exp of a
 * Hermitian spectrum is Hermitian.
 *
 * homomorphic: c = irfft(log|H| / 2) (the real cepstrum of the square root
 * of the magnitude), folded onto n >= 0 by w = 1, 2, .., 2, (1 when len(h)
 * is odd), 0..; the taps are irfft(exp(rfft(c))).
 * hilbert: H = Re(H(w) e^{j w n_half}) (the zero-phase response), shifted and
 * scaled into [0, 1] by its ripples (dp above 1, ds below 0) and square-
 * rooted, + 1e-10; then the modified discrete Hilbert transform: the
 * cepstrum of log H, times sign (+1 for 0 < k < n/2, -1 above, 0 at DC and
 * Nyquist), back through exp to a phase for H. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fir_design.h"
#include "ezc/ezc.h"

#define MIN_PHASE_MAX_FFT (1 << 22)

int ezc_min_phase_parse(const char *name)
{
    return !strcmp(name, "none")          ? EZC_MIN_PHASE_NONE
           : !strcmp(name, "hilbert")     ? EZC_MIN_PHASE_HILBERT
           : !strcmp(name, "homomorphic") ? EZC_MIN_PHASE_HOMOMORPHIC
                                          : -1;
}

typedef struct mp_work {
    int64_t nfft;
    ezc_array *re, *sp; /* nfft float64; nfft/2 + 1 complex128 */
    const ezc_xp *xp;
} mp_work;

/* sp = rfft(re) */
static int rfft(mp_work *w, ezc_error *err)
{
    return w->xp->fft(EZC_FFT_R2C, w->re, 0, w->nfft, w->sp, err);
}

/* re = irfft(sp) */
static int irfft(mp_work *w, ezc_error *err)
{
    return w->xp->fft(EZC_FFT_C2R, w->sp, 0, w->nfft, w->re, err);
}

static int homomorphic(mp_work *w, int64_t n, double *re, double complex *sp, ezc_error *err)
{
    int64_t nb = w->nfft / 2 + 1;
    int rc = rfft(w, err);
    if (rc)
        return rc;
    double lo = INFINITY; /* the smallest non-zero magnitude */
    for (int64_t k = 0; k < nb; k++) {
        double m = cabs(sp[k]);
        if (m > 0 && m < lo)
            lo = m;
    }
    if (!isfinite(lo))
        return ezc_error_set(err, EZC_EINVAL, "the filter is all zeros");
    for (int64_t k = 0; k < nb; k++)
        sp[k] = 0.5 * log(cabs(sp[k]) + 1e-7 * lo);
    if ((rc = irfft(w, err)))
        return rc;
    int64_t stop = (n + 1) / 2;
    for (int64_t i = 1; i < w->nfft; i++)
        re[i] *= i < stop ? 2.0 : (i == stop && n % 2) ? 1.0 : 0.0;
    if ((rc = rfft(w, err)))
        return rc;
    for (int64_t k = 0; k < nb; k++)
        sp[k] = cexp(sp[k]);
    return irfft(w, err);
}

static int hilbert(mp_work *w, int64_t n, double *re, double complex *sp, ezc_error *err)
{
    int64_t nb = w->nfft / 2 + 1, half = n / 2;
    int rc = rfft(w, err);
    if (rc)
        return rc;
    double *H = malloc((size_t)nb * sizeof *H), hi = -INFINITY, lo = INFINITY;
    if (!H)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    for (int64_t k = 0; k < nb; k++) {
        double ang = (double)k * (2 * M_PI / (double)w->nfft * (double)half);
        H[k] = creal(sp[k] * cexp(I * ang));
        hi = fmax(hi, H[k]);
        lo = fmin(lo, H[k]);
    }
    double dp = hi - 1, ds = 0 - lo;
    double S = 4.0 / pow(sqrt(1 + dp + ds) + sqrt(1 - dp + ds), 2);
    for (int64_t k = 0; k < nb; k++) {
        H[k] = sqrt((H[k] + ds) * S) + 1e-10;
        sp[k] = log(H[k]);
    }
    /* the modified discrete Hilbert transform (scipy's _dhtm) */
    if (!(rc = irfft(w, err))) {
        int64_t mid = w->nfft / 2;
        for (int64_t i = 0; i < w->nfft; i++)
            re[i] *= i == 0 || i == mid ? 0.0 : i < mid ? 1.0 : -1.0;
        rc = rfft(w, err);
    }
    if (!rc) {
        for (int64_t k = 0; k < nb; k++)
            sp[k] = H[k] * cexp(sp[k]);
        rc = irfft(w, err);
    }
    free(H);
    return rc;
}

int ezc_minimum_phase(const double *h, int64_t n, ezc_min_phase method, double *out, int64_t *nout,
                      ezc_error *err)
{
    if (n <= 2)
        return ezc_error_set(err, EZC_EINVAL,
                             "minimum phase: a kernel of %lld taps (at least 3 are needed)",
                             (long long)n);
    double want = ceil(log2(2.0 * (double)(n - 1) / 0.01));
    if (want > 22)
        return ezc_error_set(err, EZC_EINVAL,
                             "minimum phase: a kernel of %lld taps needs an FFT of 2^%.0f (at "
                             "most 2^22: %d taps)",
                             (long long)n, want, MIN_PHASE_MAX_FFT / 200);
    mp_work w = {.nfft = (int64_t)1 << (int)want, .xp = ezc_xp_cpu()};
    int64_t nb = w.nfft / 2 + 1;
    w.re = ezc_array_new(EZC_FLOAT64, 1, &w.nfft, NULL, ezc_device_cpu(), err);
    w.sp = w.re ? ezc_array_new(EZC_COMPLEX128, 1, &nb, NULL, ezc_device_cpu(), err) : NULL;
    int rc = w.sp ? 0 : err->code ? err->code : EZC_ENOMEM;
    if (!rc) {
        double *re = ezc_array_data(w.re);
        memset(re, 0, (size_t)w.nfft * sizeof *re);
        memcpy(re, h, (size_t)n * sizeof *re);
        double complex *sp = ezc_array_data(w.sp);
        rc = method == EZC_MIN_PHASE_HILBERT ? hilbert(&w, n, re, sp, err)
                                             : homomorphic(&w, n, re, sp, err);
        if (!rc) {
            *nout = n / 2 + n % 2;
            memcpy(out, re, (size_t)*nout * sizeof *out);
        }
    }
    ezc_array_destroy(&w.re);
    ezc_array_destroy(&w.sp);
    return rc ? ezc_error_prefix(err, "minimum phase") : 0;
}

int ezc_min_phase_rows(double **taps, int64_t nk, int64_t *ntaps, const int64_t *len,
                       ezc_min_phase method, ezc_error *err)
{
    if (method == EZC_MIN_PHASE_NONE)
        return 0;
    int64_t nt = *ntaps, out_nt = nt / 2 + nt % 2;
    double *out = calloc((size_t)(nk * out_nt), sizeof *out);
    if (!out)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    for (int64_t k = 0; k < nk; k++) {
        int64_t got = 0, n = len ? len[k] : nt;
        int rc = ezc_minimum_phase(*taps + k * nt, n, method, out + k * out_nt, &got, err);
        if (rc) {
            free(out);
            return ezc_error_prefix(err, "kernel %lld", (long long)k);
        }
    }
    free(*taps);
    *taps = out;
    *ntaps = out_nt;
    return 0;
}
