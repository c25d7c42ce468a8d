/* fir_pmc.c — Parks–McClellan equiripple FIR filter along an axis
 * (ezmsg-sigproc's ParksMcClellanFIR): bands built from cuton / cutoff and
 * a transition width in Hz exactly as ezmsg-sigproc builds them (edges
 * clipped to [0, fs/2], overlaps nudged by 1e-6 Hz), taps from the Remez
 * exchange (scipy.signal.remez semantics, fir_design.c) for the stream's
 * sampling rate; run on the shared FIR stream (filter_stream.h). An odd
 * order is raised by one (odd tap counts only). */
#include <math.h>
#include <stdlib.h>
#include "fir_design.h"
#include "filter_stream.h"

#define MAX_ORDER 4000

typedef struct pmc_state {
    int64_t order;
    int has_on, has_off;
    double cuton, cutoff, transition, w_pass, w_lo, w_hi;
    ezc_fir_stream fir;
} pmc_state;

static const ezc_setting_spec pmc_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"order", EZC_SETTING_INT, "0", "filter order, taps = order + 1 (odd: raised by one; 0: pass)",
     0, NULL},
    {"cuton", EZC_SETTING_FLOAT, NULL, "lower band edge in Hz (absent: lowpass)", 0, NULL},
    {"cutoff", EZC_SETTING_FLOAT, NULL, "upper band edge in Hz (absent: highpass)", 0, NULL},
    {"transition", EZC_SETTING_FLOAT, "10", "transition width in Hz at each passband edge", 0,
     NULL},
    {"weight_pass", EZC_SETTING_FLOAT, "1", "passband weight", 0, NULL},
    {"weight_stop_lo", EZC_SETTING_FLOAT, "1", "lower stopband weight (not for bandstop)", 0, NULL},
    {"weight_stop_hi", EZC_SETTING_FLOAT, "1", "upper (bandstop: middle) stopband weight", 0, NULL},
    {"coef_type", EZC_SETTING_STRING, "ba", "ba only: FIR taps run in direct form", 0, "ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static double clip_hz(double f, double nyq)
{
    return fmin(fmax(f, 0.0), nyq);
}

static int pmc_design(const void *ctx, double fs, double **taps, int64_t *ntaps, ezc_error *err)
{
    const pmc_state *st = ctx;
    double nyq = fs / 2, tw = fmax(st->transition, 0.0);
    double wp = fmax(st->w_pass, 0.0), wl = fmax(st->w_lo, 0.0), wh = fmax(st->w_hi, 0.0);
    double b[6], d[3], w[3];
    int nb;
    if (!st->has_on) { /* lowpass */
        double c = st->cutoff;
        double e[4] = {0, clip_hz(c, nyq), clip_hz(c + tw, nyq), nyq};
        double dd[2] = {1, 0}, ww[2] = {wp, wh};
        nb = 2;
        for (int i = 0; i < 4; i++)
            b[i] = e[i];
        for (int i = 0; i < 2; i++)
            d[i] = dd[i], w[i] = ww[i];
    } else if (!st->has_off) { /* highpass */
        double c = st->cuton;
        double e[4] = {0, clip_hz(c - tw, nyq), clip_hz(c, nyq), nyq};
        double dd[2] = {0, 1}, ww[2] = {wl, wp};
        nb = 2;
        for (int i = 0; i < 4; i++)
            b[i] = e[i];
        for (int i = 0; i < 2; i++)
            d[i] = dd[i], w[i] = ww[i];
    } else if (st->cuton <= st->cutoff) { /* bandpass */
        double lo = st->cuton, hi = st->cutoff;
        double e[6] = {
            0,  clip_hz(lo - tw, nyq), clip_hz(lo, nyq), clip_hz(hi, nyq), clip_hz(hi + tw, nyq),
            nyq};
        double dd[3] = {0, 1, 0}, ww[3] = {wl, wp, wh};
        nb = 3;
        for (int i = 0; i < 6; i++)
            b[i] = e[i];
        for (int i = 0; i < 3; i++)
            d[i] = dd[i], w[i] = ww[i];
    } else { /* bandstop between cutoff and cuton */
        double lo = st->cutoff, hi = st->cuton;
        double e[6] = {
            0,  clip_hz(lo, nyq), clip_hz(lo + tw, nyq), clip_hz(hi - tw, nyq), clip_hz(hi, nyq),
            nyq};
        double dd[3] = {1, 0, 1}, ww[3] = {wp, wh, wp};
        nb = 3;
        for (int i = 0; i < 6; i++)
            b[i] = e[i];
        for (int i = 0; i < 3; i++)
            d[i] = dd[i], w[i] = ww[i];
    }
    for (int i = 1; i < 2 * nb; i++) /* strictly increasing, as ezmsg-sigproc nudges them */
        if (b[i] <= b[i - 1])
            b[i] = fmin(b[i - 1] + 1e-6, nyq);
    for (int i = 0; i < 2 * nb; i++)
        b[i] /= fs;
    int64_t n = (st->order % 2 ? st->order + 1 : st->order) + 1;
    double *h = malloc((size_t)n * sizeof *h);
    if (!h)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    int rc = ezc_remez(n, b, nb, d, w, h, err);
    if (rc) {
        free(h);
        return ezc_error_prefix(err, "fs = %g Hz", fs);
    }
    *taps = h;
    *ntaps = n;
    return 0;
}

static void pmc_fini(void *state)
{
    pmc_state *st = state;
    if (!st)
        return;
    ezc_fir_stream_fini(&st->fir);
    free(st);
}

static int pmc_check(pmc_state *st, const ezc_settings *s, ezc_error *err)
{
    ezc_settings_get_int(s, "order", &st->order);
    ezc_settings_get_float(s, "transition", &st->transition);
    ezc_settings_get_float(s, "weight_pass", &st->w_pass);
    ezc_settings_get_float(s, "weight_stop_lo", &st->w_lo);
    ezc_settings_get_float(s, "weight_stop_hi", &st->w_hi);
    st->has_on = ezc_settings_get_float(s, "cuton", &st->cuton) == 0;
    st->has_off = ezc_settings_get_float(s, "cutoff", &st->cutoff) == 0;
    if (st->order < 0 || st->order > MAX_ORDER)
        return ezc_error_set(err, EZC_EINVAL, "fir_pmc: setting 'order' = %lld: expected 0 to %d",
                             (long long)st->order, MAX_ORDER);
    if (!st->has_on && !st->has_off)
        st->order = 0; /* under-specified: no filter, as ezmsg-sigproc */
    if (st->order == 0)
        return 0;
    if (st->has_on && !(st->cuton > 0 && isfinite(st->cuton)))
        return ezc_error_set(err, EZC_EINVAL, "fir_pmc: setting 'cuton' = %g: must be > 0 Hz",
                             st->cuton);
    if (st->has_off && !(st->cutoff > 0 && isfinite(st->cutoff)))
        return ezc_error_set(err, EZC_EINVAL, "fir_pmc: setting 'cutoff' = %g: must be > 0 Hz",
                             st->cutoff);
    if (!isfinite(st->transition))
        return ezc_error_set(err, EZC_EINVAL, "fir_pmc: setting 'transition' = %g: not finite",
                             st->transition);
    /* weights below 0 become 0 in ezmsg-sigproc; a band of weight 0 has no
     * optimum to find, so ezc refuses the weights that the layout uses */
    const char *names[3] = {"weight_pass", "weight_stop_lo", "weight_stop_hi"};
    double ws[3] = {st->w_pass, st->w_lo, st->w_hi};
    int band = st->has_on && st->has_off, stop = band && st->cuton > st->cutoff;
    int used[3] = {1, st->has_on && !stop, st->has_off || stop};
    for (int i = 0; i < 3; i++)
        if (used[i] && !(ws[i] > 0 && isfinite(ws[i])))
            return ezc_error_set(err, EZC_EINVAL, "fir_pmc: setting '%s' = %g: must be > 0",
                                 names[i], ws[i]);
    return 0;
}

static int pmc_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    pmc_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "fir_pmc: out of memory");
    int rc = pmc_check(st, s, err);
    if (!rc)
        rc = ezc_fir_stream_init(&st->fir, axis, pmc_design, st);
    if (rc) {
        pmc_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int pmc_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    pmc_state *st = state;
    (void)port;
    if (st->order == 0) {
        *out = in;
        return 0;
    }
    return ezc_fir_stream_process(&st->fir, in, out, xp, err);
}

const ezc_transformer_type ezc_fir_pmc_type = {
    .name = "fir_pmc",
    .summary = "Parks-McClellan equiripple FIR filter (scipy.signal.remez), direct form, state "
               "carried across messages",
    .settings = pmc_settings,
    .init = pmc_init,
    .process = pmc_process,
    .fini = pmc_fini,
};
