/* kaiser.c — Kaiser-window FIR filter along an axis (ezmsg-sigproc's
 * KaiserFilter): the length and beta from scipy.signal.kaiserord(ripple,
 * width) (made odd), the taps from firwin(..., window=('kaiser', beta),
 * scale=False), for the stream's sampling rate; run on the shared FIR
 * stream (filter_stream.h). Without cutoff, ripple or width it passes the
 * data through, as ezmsg-sigproc does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fir_design.h"
#include "filter_stream.h"

typedef struct kaiser_state {
    int active; /* cutoff, ripple and width all given */
    double cut[64], ripple, width;
    int ncut, pass_zero, wn_hz;
    ezc_fir_stream fir;
} kaiser_state;

static const ezc_setting_spec kaiser_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"cutoff", EZC_SETTING_FLOATS, NULL,
     "cutoff frequency, or increasing band edges; Hz unless wn_hz = false", 0, NULL},
    {"ripple", EZC_SETTING_FLOAT, NULL, "largest deviation from the ideal response, dB (>= 8)", 0,
     NULL},
    {"width", EZC_SETTING_FLOAT, NULL, "transition width (Hz unless wn_hz = false)", 0, NULL},
    {"pass_zero", EZC_SETTING_STRING, "true",
     "true: DC in the passband; false; or lowpass|highpass|bandpass|bandstop", 0, NULL},
    {"wn_hz", EZC_SETTING_BOOL, "true", "cutoff and width in Hz (false: fractions of Nyquist)", 0,
     NULL},
    {"coef_type", EZC_SETTING_STRING, "ba", "ba only: FIR taps run in direct form", 0, "ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int kaiser_design(const void *ctx, double fs, double **taps, int64_t *ntaps, ezc_error *err)
{
    const kaiser_state *st = ctx;
    double nyq = st->wn_hz ? fs / 2 : 1, cut[64], beta = 0;
    for (int i = 0; i < st->ncut; i++) {
        if (st->wn_hz && !(st->cut[i] < nyq))
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting 'cutoff' = %g Hz: must be below Nyquist (%g Hz at fs "
                                 "= %g Hz)",
                                 st->cut[i], nyq, fs);
        cut[i] = st->cut[i] / nyq;
    }
    int64_t n = 0;
    int rc = ezc_kaiserord(st->ripple, st->width / nyq, &n, &beta, err);
    if (rc)
        return ezc_error_prefix(err, "settings 'ripple' = %g, 'width' = %g", st->ripple, st->width);
    if (n % 2 == 0)
        n++;
    double *h = malloc((size_t)n * sizeof *h);
    if (!h)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    if ((rc = ezc_firwin(n, cut, st->ncut, EZC_WIN_KAISER, beta, st->pass_zero, 0, h, err))) {
        free(h);
        return rc;
    }
    *taps = h;
    *ntaps = n;
    return 0;
}

static void kaiser_fini(void *state)
{
    kaiser_state *st = state;
    if (!st)
        return;
    ezc_fir_stream_fini(&st->fir);
    free(st);
}

static int kaiser_check(kaiser_state *st, const ezc_settings *s, ezc_error *err)
{
    const char *pz = "true";
    const double *cut = NULL;
    size_t ncut = 0;
    ezc_settings_get_string(s, "pass_zero", &pz);
    ezc_settings_get_bool(s, "wn_hz", &st->wn_hz);
    int has_cut = ezc_settings_get_floats(s, "cutoff", &cut, &ncut) == 0 && ncut > 0;
    int has_ripple = ezc_settings_get_float(s, "ripple", &st->ripple) == 0;
    int has_width = ezc_settings_get_float(s, "width", &st->width) == 0;
    st->active = has_cut && has_ripple && has_width;
    if (!st->active)
        return 0;
    if (ncut > 64)
        return ezc_error_set(err, EZC_EINVAL, "kaiser: setting 'cutoff' has %zu values: at most 64",
                             ncut);
    for (size_t i = 0; i < ncut; i++) {
        if (!(cut[i] > 0) || (!st->wn_hz && !(cut[i] < 1)))
            return ezc_error_set(err, EZC_EINVAL, "kaiser: setting 'cutoff' = %g: expected %s",
                                 cut[i], st->wn_hz ? "> 0 Hz" : "a fraction of Nyquist in (0, 1)");
        if (i && !(cut[i] > cut[i - 1]))
            return ezc_error_set(err, EZC_EINVAL,
                                 "kaiser: setting 'cutoff': %g after %g: must strictly increase",
                                 cut[i], cut[i - 1]);
        st->cut[i] = cut[i];
    }
    st->ncut = (int)ncut;
    if (!(fabs(st->ripple) >= 8))
        return ezc_error_set(
            err, EZC_EINVAL,
            "kaiser: setting 'ripple' = %g: the Kaiser formula needs at least 8 dB", st->ripple);
    if (!(st->width > 0) || (!st->wn_hz && !(st->width <= 1)))
        return ezc_error_set(err, EZC_EINVAL, "kaiser: setting 'width' = %g: expected %s",
                             st->width, st->wn_hz ? "> 0 Hz" : "a fraction of Nyquist in (0, 1]");
    return ezc_fir_pass_zero("kaiser", pz, ncut, &st->pass_zero, err);
}

static int kaiser_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    kaiser_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "kaiser: out of memory");
    int rc = kaiser_check(st, s, err);
    if (!rc)
        rc = ezc_fir_stream_init(&st->fir, axis, kaiser_design, st);
    if (rc) {
        kaiser_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int kaiser_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    kaiser_state *st = state;
    (void)port;
    if (!st->active) {
        *out = in;
        return 0;
    }
    return ezc_fir_stream_process(&st->fir, in, out, xp, err);
}

const ezc_transformer_type ezc_kaiser_type = {
    .name = "kaiser",
    .summary = "Kaiser-window FIR filter (scipy.signal.kaiserord + firwin), direct form, state "
               "carried across messages",
    .settings = kaiser_settings,
    .init = kaiser_init,
    .process = kaiser_process,
    .fini = kaiser_fini,
};
