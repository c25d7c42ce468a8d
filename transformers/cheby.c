/* cheby.c — Chebyshev type I or II filter along an axis (ezmsg-sigproc's
 * ChebyshevFilter): designed as scipy.signal.cheby1 / cheby2 for the
 * stream's sampling rate (designed again when the rate changes), run on the
 * shared IIR stream (filter_stream.h) as second-order sections or one b/a
 * polynomial, so its state crosses messages exactly as butterworth's does.
 * The band type is given (`btype`), the edges are `Wn` in Hz or, with
 * wn_hz = false, as fractions of Nyquist. */
#include <stdlib.h>
#include <string.h>
#include "filter_design.h"
#include "filter_stream.h"

typedef struct cheby_state {
    int order, ba, wn_hz;
    ezc_design_family family;
    ezc_band band;
    double rp, wn[2];
    int nwn;
    ezc_iir_stream iir;
} cheby_state;

static const ezc_setting_spec cheby_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"order", EZC_SETTING_INT, "0", "filter order (0: pass the data through)", 0, NULL},
    {"ripple_tol", EZC_SETTING_FLOAT, NULL,
     "dB, positive: passband ripple (cheby1) or stopband attenuation (cheby2)", 0, NULL},
    {"Wn", EZC_SETTING_FLOATS, NULL,
     "critical frequency (lowpass/highpass) or two band edges; Hz unless wn_hz = false", 0, NULL},
    {"btype", EZC_SETTING_STRING, "lowpass", "band type", 0, "lowpass|highpass|bandpass|bandstop"},
    {"analog", EZC_SETTING_BOOL, "false", "analog design (refused: a stream needs a digital one)",
     0, NULL},
    {"cheby_type", EZC_SETTING_STRING, "cheby1", "Chebyshev type", 0, "cheby1|cheby2"},
    {"wn_hz", EZC_SETTING_BOOL, "true", "Wn in Hz (false: fractions of Nyquist, 1 = fs/2)", 0,
     NULL},
    {"coef_type", EZC_SETTING_STRING, "sos",
     "sos: second-order sections; ba: one polynomial (less accurate at high orders)", 0, "sos|ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int cheby_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                        ezc_error *err)
{
    const cheby_state *st = ctx;
    ezc_filter_spec spec = {
        .family = st->family, .order = st->order, .rp = st->rp, .band = st->band};
    double nyq = fs / 2;
    for (int i = 0; i < st->nwn; i++) {
        if (st->wn_hz && !(st->wn[i] < nyq))
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting 'Wn' = %g Hz: must be below Nyquist (%g Hz at "
                                 "fs = %g Hz)",
                                 st->wn[i], nyq, fs);
        spec.wn[i] = st->wn_hz ? st->wn[i] / nyq : st->wn[i];
    }
    if (st->ba) {
        *nsec = 1;
        return ezc_filter_design_ba(&spec, coef, order, err);
    }
    *order = 2;
    return ezc_filter_design_sos(&spec, coef, nsec, err);
}

static void cheby_fini(void *state)
{
    cheby_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->iir);
    free(st);
}

static const char *const band_names[4] = {"lowpass", "highpass", "bandpass", "bandstop"};

/* Settings checked once; the Nyquist check waits for the stream's rate. */
static int cheby_check(cheby_state *st, const ezc_settings *s, ezc_error *err)
{
    int64_t order = 0;
    int analog = 0;
    const char *btype = "lowpass", *ctype = "cheby1", *ctp = "sos";
    const double *wn = NULL;
    size_t nwn = 0;
    ezc_settings_get_int(s, "order", &order);
    ezc_settings_get_bool(s, "analog", &analog);
    ezc_settings_get_bool(s, "wn_hz", &st->wn_hz);
    ezc_settings_get_string(s, "btype", &btype);
    ezc_settings_get_string(s, "cheby_type", &ctype);
    ezc_settings_get_string(s, "coef_type", &ctp);
    st->ba = ctp[0] == 'b';
    st->family = strcmp(ctype, "cheby2") == 0 ? EZC_DESIGN_CHEBY2 : EZC_DESIGN_CHEBY1;
    for (int b = 0; b < 4; b++)
        if (strcmp(btype, band_names[b]) == 0)
            st->band = (ezc_band)b;
    if (order < 0 || order > 50)
        return ezc_error_set(err, EZC_EINVAL, "cheby: setting 'order' = %lld: expected 0 to 50",
                             (long long)order);
    st->order = (int)order;
    if (analog)
        return ezc_error_set(err, EZC_EINVAL,
                             "cheby: setting 'analog' = true: only digital filters can run on a "
                             "stream");
    if (order == 0)
        return 0;
    if (ezc_settings_get_float(s, "ripple_tol", &st->rp) != 0)
        return ezc_error_set(err, EZC_EINVAL, "cheby: setting 'order' = %d needs 'ripple_tol'",
                             st->order);
    if (!(st->rp > 0 && st->rp < 1e4))
        return ezc_error_set(err, EZC_EINVAL,
                             "cheby: setting 'ripple_tol' = %g: expected a positive number of dB",
                             st->rp);
    int want = st->band >= EZC_BAND_BANDPASS ? 2 : 1;
    if (ezc_settings_get_floats(s, "Wn", &wn, &nwn) != 0)
        return ezc_error_set(err, EZC_EINVAL, "cheby: setting 'order' = %d needs 'Wn'", st->order);
    if ((int)nwn != want)
        return ezc_error_set(err, EZC_EINVAL,
                             "cheby: setting 'Wn' has %zu values: btype '%s' needs %d", nwn, btype,
                             want);
    for (int i = 0; i < want; i++) {
        st->wn[i] = wn[i];
        if (!(wn[i] > 0) || (!st->wn_hz && !(wn[i] < 1)))
            return ezc_error_set(err, EZC_EINVAL, "cheby: setting 'Wn' = %g: expected %s", wn[i],
                                 st->wn_hz ? "> 0 Hz" : "a fraction of Nyquist in (0, 1)");
    }
    st->nwn = want;
    if (want == 2 && !(wn[0] < wn[1]))
        return ezc_error_set(err, EZC_EINVAL, "cheby: setting 'Wn' = [%g, %g]: edges must increase",
                             wn[0], wn[1]);
    return 0;
}

static int cheby_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    cheby_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "cheby: out of memory");
    int rc = cheby_check(st, s, err);
    if (!rc)
        rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, cheby_design, st, err);
    if (rc) {
        cheby_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int cheby_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    cheby_state *st = state;
    (void)port;
    if (st->order == 0) {
        *out = in;
        return 0;
    }
    return ezc_iir_stream_process(&st->iir, in, out, xp, err);
}

const ezc_transformer_type ezc_cheby_type = {
    .name = "cheby",
    .summary = "Chebyshev type I/II filter (scipy.signal.cheby1/cheby2), state carried across "
               "messages",
    .settings = cheby_settings,
    .init = cheby_init,
    .process = cheby_process,
    .fini = cheby_fini,
};
