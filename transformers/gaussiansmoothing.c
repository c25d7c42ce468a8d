/* gaussiansmoothing.c — a normalised Gaussian FIR kernel along an axis
 * (ezmsg-sigproc's GaussianSmoothingFilter): sigma in seconds becomes
 * sigma * fs samples, the kernel has kernel_size taps (default
 * int(2 * width * sigma_samples + 1)) of scipy.signal.windows.gaussian,
 * divided by their sum, and runs as lfilter(b, [1]) with its state carried
 * across messages and started at the first sample's steady state (as every
 * ezmsg filter). Designed again when the sampling rate changes; the taps
 * run through the shared IIR stream as one section of order ntaps - 1. */
#include <math.h>
#include <stdlib.h>
#include "filter_stream.h"
#include "tf_util.h"

#define MAX_TAPS 65536

typedef struct gauss_state {
    double sigma;
    int64_t width, ksize; /* ksize 0: from sigma and width */
    ezc_iir_stream iir;
} gauss_state;

static const ezc_setting_spec gauss_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to smooth along", 0, NULL},
    {"sigma", EZC_SETTING_FLOAT, "0.01", "standard deviation of the kernel, seconds", 0, NULL},
    {"width", EZC_SETTING_INT, "4", "standard deviations on each side of the kernel", 0, NULL},
    {"kernel_size", EZC_SETTING_INT, NULL, "taps (absent: int(2 width sigma fs + 1))", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int gauss_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                        ezc_error *err)
{
    const gauss_state *st = ctx;
    double sd = st->sigma * fs, m = st->ksize ? (double)st->ksize : floor(2 * st->width * sd + 1);
    if (!(m <= MAX_TAPS))
        return ezc_error_set(err, EZC_EINVAL,
                             "setting 'sigma' = %g s: %.0f taps at fs = %g Hz (at most %d)",
                             st->sigma, m, fs, MAX_TAPS);
    int n = (int)m;
    if (n == 1) { /* the identity, as one first-order section (b = a = [1, 0]) */
        double *c = calloc(4, sizeof *c);
        if (!c)
            return ezc_error_set(err, EZC_ENOMEM, "out of memory");
        c[0] = c[2] = 1;
        *coef = c;
        *nsec = *order = 1;
        return 0;
    }
    double *c = calloc(2 * (size_t)n, sizeof *c), sum = 0;
    if (!c)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory for %d taps", n);
    for (int i = 0; i < n; i++) {
        double u = ((double)i - (double)(n - 1) / 2) / sd;
        c[i] = exp(-0.5 * u * u);
        sum += c[i];
    }
    for (int i = 0; i < n; i++)
        c[i] /= sum;
    c[n] = 1; /* a = [1, 0, ...] */
    *coef = c;
    *nsec = 1;
    *order = n - 1;
    return 0;
}

static void gauss_fini(void *state)
{
    gauss_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->iir);
    free(st);
}

static int gauss_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    gauss_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "gaussiansmoothing: out of memory");
    st->sigma = 0.01;
    st->width = 4;
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_float(s, "sigma", &st->sigma);
    ezc_settings_get_int(s, "width", &st->width);
    int has_k = ezc_settings_get_int(s, "kernel_size", &st->ksize) == 0;
    int rc = 0;
    if (!(st->sigma > 0) || isinf(st->sigma))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "gaussiansmoothing: setting 'sigma' = %g: must be a positive number of "
                           "seconds",
                           st->sigma);
    else if (st->width <= 0)
        rc =
            ezc_error_set(err, EZC_EINVAL, "gaussiansmoothing: setting 'width' = %lld: must be > 0",
                          (long long)st->width);
    else if (has_k && (st->ksize < 1 || st->ksize > MAX_TAPS))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "gaussiansmoothing: setting 'kernel_size' = %lld: must be 1 to %d",
                           (long long)st->ksize, MAX_TAPS);
    if (!rc)
        rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, gauss_design, st, err);
    if (rc) {
        gauss_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int gauss_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    gauss_state *st = state;
    (void)port;
    return ezc_iir_stream_process(&st->iir, in, out, xp, err);
}

const ezc_transformer_type ezc_gaussiansmoothing_type = {
    .name = "gaussiansmoothing",
    .summary = "Gaussian kernel smoothing (FIR, sigma in seconds) along an axis",
    .settings = gauss_settings,
    .init = gauss_init,
    .process = gauss_process,
    .fini = gauss_fini,
};
