/* firfilter.c — windowed-sinc FIR filter along an axis (ezmsg-sigproc's
 * FIRFilter): taps from scipy.signal.firwin(order, cutoff, width, window,
 * pass_zero, scale) for the stream's sampling rate (designed again when the
 * rate changes), run in direct form on the shared FIR stream
 * (filter_stream.h), the last order - 1 samples carried across messages.
 * `order` is the number of taps, as ezmsg-sigproc passes it to firwin. */
#include <stdlib.h>
#include <string.h>
#include "fir_design.h"
#include "filter_stream.h"

#define MAX_TAPS 100000

typedef struct firfilter_state {
    int64_t ntaps;
    double cut[64], width;
    int ncut, has_width, pass_zero, scale, wn_hz;
    ezc_fir_window window;
    ezc_fir_stream fir;
} firfilter_state;

static const ezc_setting_spec firfilter_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"order", EZC_SETTING_INT, "0", "number of taps (0: pass the data through)", 0, NULL},
    {"cutoff", EZC_SETTING_FLOATS, NULL,
     "cutoff frequency, or increasing band edges; Hz unless wn_hz = false", 0, NULL},
    {"width", EZC_SETTING_FLOAT, NULL,
     "transition width (as cutoff): a Kaiser window designed for it replaces `window`", 0, NULL},
    {"window", EZC_SETTING_STRING, "hamming", "window (symmetric, as scipy.signal.get_window)", 0,
     "hamming|hann|hanning|blackman|bartlett|boxcar|rectangular|none"},
    {"pass_zero", EZC_SETTING_STRING, "true",
     "true: DC in the passband; false; or lowpass|highpass|bandpass|bandstop", 0, NULL},
    {"scale", EZC_SETTING_BOOL, "true", "unit gain at the centre of the first passband", 0, NULL},
    {"wn_hz", EZC_SETTING_BOOL, "true", "cutoff and width in Hz (false: fractions of Nyquist)", 0,
     NULL},
    {"coef_type", EZC_SETTING_STRING, "ba", "ba only: FIR taps run in direct form", 0, "ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int firfilter_design(const void *ctx, double fs, double **taps, int64_t *ntaps,
                            ezc_error *err)
{
    const firfilter_state *st = ctx;
    double nyq = st->wn_hz ? fs / 2 : 1, cut[64];
    for (int i = 0; i < st->ncut; i++) {
        if (st->wn_hz && !(st->cut[i] < nyq))
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting 'cutoff' = %g Hz: must be below Nyquist (%g Hz at fs "
                                 "= %g Hz)",
                                 st->cut[i], nyq, fs);
        cut[i] = st->cut[i] / nyq;
    }
    ezc_fir_window w = st->window;
    double beta = 0;
    if (st->has_width) {
        w = EZC_WIN_KAISER;
        beta = ezc_kaiser_beta(ezc_kaiser_atten(st->ntaps, st->width / nyq));
    }
    double *h = malloc((size_t)st->ntaps * sizeof *h);
    if (!h)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    int rc = ezc_firwin(st->ntaps, cut, st->ncut, w, beta, st->pass_zero, st->scale, h, err);
    if (rc) {
        free(h);
        return rc;
    }
    *taps = h;
    *ntaps = st->ntaps;
    return 0;
}

static void firfilter_fini(void *state)
{
    firfilter_state *st = state;
    if (!st)
        return;
    ezc_fir_stream_fini(&st->fir);
    free(st);
}

static int firfilter_check(firfilter_state *st, const ezc_settings *s, ezc_error *err)
{
    int64_t order = 0;
    const char *window = "hamming", *pz = "true";
    const double *cut = NULL;
    size_t ncut = 0;
    ezc_settings_get_int(s, "order", &order);
    ezc_settings_get_string(s, "window", &window);
    ezc_settings_get_string(s, "pass_zero", &pz);
    ezc_settings_get_bool(s, "scale", &st->scale);
    ezc_settings_get_bool(s, "wn_hz", &st->wn_hz);
    st->window = (ezc_fir_window)ezc_fir_window_parse(window);
    st->has_width = ezc_settings_get_float(s, "width", &st->width) == 0;
    if (order < 0 || order > MAX_TAPS)
        return ezc_error_set(err, EZC_EINVAL,
                             "firfilter: setting 'order' = %lld: expected 0 to %d taps",
                             (long long)order, MAX_TAPS);
    st->ntaps = order;
    if (order == 0)
        return 0;
    if (ezc_settings_get_floats(s, "cutoff", &cut, &ncut) != 0 || ncut == 0)
        return ezc_error_set(err, EZC_EINVAL, "firfilter: setting 'order' = %lld needs 'cutoff'",
                             (long long)order);
    if (ncut > 64)
        return ezc_error_set(err, EZC_EINVAL,
                             "firfilter: setting 'cutoff' has %zu values: at most 64", ncut);
    for (size_t i = 0; i < ncut; i++) {
        if (!(cut[i] > 0) || (!st->wn_hz && !(cut[i] < 1)))
            return ezc_error_set(err, EZC_EINVAL, "firfilter: setting 'cutoff' = %g: expected %s",
                                 cut[i], st->wn_hz ? "> 0 Hz" : "a fraction of Nyquist in (0, 1)");
        if (i && !(cut[i] > cut[i - 1]))
            return ezc_error_set(err, EZC_EINVAL,
                                 "firfilter: setting 'cutoff': %g after %g: must strictly increase",
                                 cut[i], cut[i - 1]);
        st->cut[i] = cut[i];
    }
    st->ncut = (int)ncut;
    if (st->has_width && !(st->width > 0))
        return ezc_error_set(err, EZC_EINVAL, "firfilter: setting 'width' = %g: must be > 0",
                             st->width);
    int rc = ezc_fir_pass_zero("firfilter", pz, ncut, &st->pass_zero, err);
    if (rc)
        return rc;
    if ((((int)ncut & 1) ^ st->pass_zero) && order % 2 == 0)
        return ezc_error_set(err, EZC_EINVAL,
                             "firfilter: setting 'order' = %lld: an even number of taps must have "
                             "zero gain at Nyquist, and this band layout passes it (use an odd "
                             "number)",
                             (long long)order);
    return 0;
}

static int firfilter_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    firfilter_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "firfilter: out of memory");
    int rc = firfilter_check(st, s, err);
    if (!rc)
        rc = ezc_fir_stream_init(&st->fir, axis, firfilter_design, st);
    if (rc) {
        firfilter_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int firfilter_process(void *state, int port, ezc_array *in, ezc_array **out,
                             const ezc_xp *xp, ezc_error *err)
{
    firfilter_state *st = state;
    (void)port;
    if (st->ntaps == 0) {
        *out = in;
        return 0;
    }
    return ezc_fir_stream_process(&st->fir, in, out, xp, err);
}

const ezc_transformer_type ezc_firfilter_type = {
    .name = "firfilter",
    .summary = "windowed-sinc FIR filter (scipy.signal.firwin), direct form, state carried across "
               "messages",
    .settings = firfilter_settings,
    .init = firfilter_init,
    .process = firfilter_process,
    .fini = firfilter_fini,
};
