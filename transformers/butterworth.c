/* butterworth.c — Butterworth filter along an axis (ezmsg-sigproc's
 * ButterworthFilter): designed as scipy.signal.butter for the stream's
 * sampling rate (designed again when the rate changes), run as second-order
 * sections (or one b/a polynomial) with state carried across messages.
 * Band type from the edges: only cutoff -> lowpass, only cuton -> highpass,
 * cuton < cutoff -> bandpass, cuton > cutoff -> bandstop. */
#include <math.h>
#include <stdlib.h>
#include "filter_design.h"
#include "filter_stream.h"

typedef struct butter_state {
    int order, ba;
    int has_on, has_off;
    double cuton, cutoff;
    ezc_iir_stream iir;
} butter_state;

static const ezc_setting_spec butter_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"order", EZC_SETTING_INT, "0", "filter order (0: pass the data through)", 0, NULL},
    {"cuton", EZC_SETTING_FLOAT, NULL, "lower band edge in Hz (absent: lowpass)", 0, NULL},
    {"cutoff", EZC_SETTING_FLOAT, NULL, "upper band edge in Hz (absent: highpass)", 0, NULL},
    {"coef_type", EZC_SETTING_STRING, "sos",
     "sos: second-order sections; ba: one polynomial (less accurate at high orders)", 0, "sos|ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int butter_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                         ezc_error *err)
{
    const butter_state *st = ctx;
    double nyq = fs / 2;
    const char *names[2] = {"cuton", "cutoff"};
    const double f[2] = {st->cuton, st->cutoff};
    const int has[2] = {st->has_on, st->has_off};
    for (int i = 0; i < 2; i++)
        if (has[i] && !(f[i] < nyq))
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting '%s' = %g Hz: must be below Nyquist (%g Hz at fs = "
                                 "%g Hz)",
                                 names[i], f[i], nyq, fs);
    ezc_filter_spec spec = {.family = EZC_DESIGN_BUTTER, .order = st->order};
    if (!st->has_on) {
        spec.band = EZC_BAND_LOWPASS;
        spec.wn[0] = st->cutoff / nyq;
    } else if (!st->has_off) {
        spec.band = EZC_BAND_HIGHPASS;
        spec.wn[0] = st->cuton / nyq;
    } else {
        spec.band = st->cuton < st->cutoff ? EZC_BAND_BANDPASS : EZC_BAND_BANDSTOP;
        spec.wn[0] = fmin(st->cuton, st->cutoff) / nyq;
        spec.wn[1] = fmax(st->cuton, st->cutoff) / nyq;
    }
    if (st->ba) {
        *nsec = 1;
        return ezc_filter_design_ba(&spec, coef, order, err);
    }
    *order = 2;
    return ezc_filter_design_sos(&spec, coef, nsec, err);
}

static void butter_fini(void *state)
{
    butter_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->iir);
    free(st);
}

static int butter_init(void **state, const ezc_settings *s, ezc_error *err)
{
    int64_t order = 0;
    const char *axis = "time", *type = "sos";
    ezc_settings_get_int(s, "order", &order);
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_string(s, "coef_type", &type);
    if (order < 0 || order > 50)
        return ezc_error_set(err, EZC_EINVAL,
                             "butterworth: setting 'order' = %lld: expected 0 to 50",
                             (long long)order);
    butter_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "butterworth: out of memory");
    st->order = (int)order;
    st->ba = type[0] == 'b';
    st->has_on = ezc_settings_get_float(s, "cuton", &st->cuton) == 0;
    st->has_off = ezc_settings_get_float(s, "cutoff", &st->cutoff) == 0;
    int rc = 0;
    if (st->has_on && !(st->cuton > 0))
        rc = ezc_error_set(err, EZC_EINVAL, "butterworth: setting 'cuton' = %g: must be > 0 Hz",
                           st->cuton);
    else if (st->has_off && !(st->cutoff > 0))
        rc = ezc_error_set(err, EZC_EINVAL, "butterworth: setting 'cutoff' = %g: must be > 0 Hz",
                           st->cutoff);
    else if (st->has_on && st->has_off && st->cuton == st->cutoff)
        rc =
            ezc_error_set(err, EZC_EINVAL,
                          "butterworth: settings 'cuton' = 'cutoff' = %g: no band left", st->cuton);
    else if (st->order > 0 && !st->has_on && !st->has_off)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "butterworth: setting 'order' = %d needs 'cuton' and/or 'cutoff'",
                           st->order);
    if (!rc)
        rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, butter_design, st, err);
    if (rc) {
        butter_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int butter_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    butter_state *st = state;
    (void)port;
    if (st->order == 0) {
        *out = in;
        return 0;
    }
    return ezc_iir_stream_process(&st->iir, in, out, xp, err);
}

const ezc_transformer_type ezc_butterworth_type = {
    .name = "butterworth",
    .summary = "Butterworth low/high/band-pass/band-stop filter (scipy.signal.butter), "
               "state carried across messages",
    .settings = butter_settings,
    .init = butter_init,
    .process = butter_process,
    .fini = butter_fini,
};
