/* butterworth.c — Butterworth filter along an axis (ezmsg-sigproc's
 * ButterworthFilter): designed as scipy.signal.butter for the stream's
 * sampling rate (designed again when the rate changes), run as second-order
 * sections (or one b/a polynomial) with state carried across messages.
 * Band type from the edges: only cutoff -> lowpass, only cuton -> highpass,
 * cuton < cutoff -> bandpass, cuton > cutoff -> bandstop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_design.h"
#include "filter_stream.h"

typedef struct butter_state {
    ezc_butter_params p;
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

int ezc_butter_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                      ezc_error *err)
{
    const ezc_butter_params *st = ctx;
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

int ezc_butter_params_read(ezc_butter_params *p, const ezc_settings *s, const char *who,
                           ezc_error *err)
{
    int64_t order = 0;
    const char *type = "sos";
    ezc_settings_get_int(s, "order", &order);
    ezc_settings_get_string(s, "coef_type", &type);
    if (order < 0 || order > 50)
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'order' = %lld: expected 0 to 50", who,
                             (long long)order);
    p->order = (int)order;
    p->ba = type[0] == 'b';
    p->has_on = ezc_settings_get_float(s, "cuton", &p->cuton) == 0;
    p->has_off = ezc_settings_get_float(s, "cutoff", &p->cutoff) == 0;
    if (p->has_on && !(p->cuton > 0))
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'cuton' = %g: must be > 0 Hz", who,
                             p->cuton);
    if (p->has_off && !(p->cutoff > 0))
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'cutoff' = %g: must be > 0 Hz", who,
                             p->cutoff);
    if (p->has_on && p->has_off && p->cuton == p->cutoff)
        return ezc_error_set(err, EZC_EINVAL, "%s: settings 'cuton' = 'cutoff' = %g: no band left",
                             who, p->cuton);
    if (p->order > 0 && !p->has_on && !p->has_off)
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: setting 'order' = %d needs 'cuton' and/or 'cutoff'", who,
                             p->order);
    return 0;
}

static int butter_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    butter_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "butterworth: out of memory");
    int rc = ezc_butter_params_read(&st->p, s, "butterworth", err);
    if (!rc)
        rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, ezc_butter_design, &st->p, err);
    if (rc) {
        butter_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* Live settings (ezc set): a new band or order is designed for the rate
 * of the stream in hand and takes over at the next sample, the filter's
 * state (its delay line) kept, as ezmsg-sigproc's update_settings does;
 * only a change of the sections' layout (order, coef_type) or of the axis
 * starts the state over (as a new stream would). */
static int butter_update(void *state, const ezc_settings *s, ezc_error *err)
{
    butter_state *st = state;
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    ezc_butter_params p = {0};
    int rc = ezc_butter_params_read(&p, s, "butterworth", err);
    if (rc)
        return rc;
    ezc_iir_stream *iir = &st->iir;
    int same_axis = !strcmp(axis, iir->axis);
    if (!iir->tpl.valid || !same_axis || !(iir->tpl.gain > 0) || p.order == 0) {
        /* no stream yet (or a new layout): designed at the next message */
        st->p = p;
        snprintf(iir->axis, sizeof iir->axis, "%s", axis);
        iir->tpl.valid = 0;
        return 0;
    }
    double *coef = NULL;
    int nsec = 0, order = 0;
    if ((rc = ezc_butter_design(&p, 1.0 / iir->tpl.gain, &coef, &nsec, &order, err)))
        return rc;
    if (st->p.order == 0 || nsec != iir->nsec || order != iir->order) {
        free(coef); /* another layout: the state cannot carry over */
        st->p = p;
        iir->tpl.valid = 0;
        return 0;
    }
    double *zu = calloc((size_t)nsec * order + 1, sizeof *zu);
    if (!zu) {
        free(coef);
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    }
    ezc_error ignore; /* no steady state (a pole at z = 1): a later reset starts from zeros */
    if (ezc_cascade_zi(coef, nsec, order, zu, &ignore))
        memset(zu, 0, ((size_t)nsec * order + 1) * sizeof *zu);
    free(iir->coef);
    free(iir->zi_unit);
    iir->coef = coef;
    iir->zi_unit = zu;
    st->p = p;
    return 0;
}

static int butter_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    butter_state *st = state;
    (void)port;
    if (st->p.order == 0) {
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
    .update = butter_update,
};
