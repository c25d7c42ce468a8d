/* singlebandpow.c — time-domain power in one band, ezmsg-sigproc's two
 * ways. mode rms (RMSBandPower): Butterworth band-pass, square, mean over
 * non-overlapping bins of bin_duration, square root (apply_sqrt). mode
 * square_law (SquareLawBandPower): band-pass, square, Butterworth low-pass
 * (smoothing), downsample. Built from inner instances of the registered
 * `butterworth`, `window` (shift = duration, no zero padding, so any
 * chunking gives the same bins), `aggregate` (mean over the within-bin
 * axis) and `downsample`; the bin axis then takes the name of the
 * processed axis, as ezmsg's ModifyAxis does. The square and the root are
 * xp.unary in place. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

extern const ezc_transformer_type ezc_butterworth_type, ezc_window_type, ezc_aggregate_type,
    ezc_downsample_type;

typedef struct sbp_state {
    const char *axis;
    int sqrt, square_law;
    ezc_transformer *bp, *win, *agg, *lp, *ds; /* lp: NULL without a low-pass */
    ezc_buffer *c_out;
} sbp_state;

static const ezc_setting_spec sbp_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter and bin", 0, NULL},
    {"order", EZC_SETTING_INT, "4", "Butterworth band-pass order", 0, NULL},
    {"cuton", EZC_SETTING_FLOAT, NULL, "band's low edge, Hz", 1, NULL},
    {"cutoff", EZC_SETTING_FLOAT, NULL, "band's high edge, Hz", 1, NULL},
    {"bin_duration", EZC_SETTING_FLOAT, "0.05", "seconds per output sample (non-overlapping)", 0,
     NULL},
    {"apply_sqrt", EZC_SETTING_BOOL, "true", "RMS (true) or mean square (false)", 0, NULL},
    {"mode", EZC_SETTING_STRING, "rms", "rms: bin means; square_law: low-pass and downsample", 0,
     "rms|square_law"},
    {"lowpass_cutoff", EZC_SETTING_FLOAT, NULL, "square_law: low-pass edge, Hz (absent: none)", 0,
     NULL},
    {"lowpass_order", EZC_SETTING_INT, "4", "square_law: Butterworth low-pass order", 0, NULL},
    {"factor", EZC_SETTING_INT, NULL, "square_law: keep every factor-th sample (absent: 1)", 0,
     NULL},
    {"target_rate", EZC_SETTING_FLOAT, NULL, "square_law: output rate, Hz (when no factor)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void sbp_fini(void *state)
{
    sbp_state *st = state;
    if (!st)
        return;
    ezc_transformer_destroy(&st->bp);
    ezc_transformer_destroy(&st->win);
    ezc_transformer_destroy(&st->agg);
    ezc_transformer_destroy(&st->lp);
    ezc_transformer_destroy(&st->ds);
    ezc_buffer_unref(&st->c_out);
    free(st);
}

/* "butterworth: setting 'cuton' ..." as singlebandpow's own message. */
static int own(ezc_error *err, const char *inner)
{
    size_t n = strlen(inner);
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "singlebandpow: %.400s",
             strncmp(err->msg, inner, n) ? err->msg : err->msg + n);
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return err->code ? err->code : EZC_EINVAL;
}

/* The low-pass (when lowpass_cutoff is given) and the downsampler. */
static int square_law_init(sbp_state *st, const ezc_settings *s, ezc_error *err)
{
    ezc_settings *ls = ezc_settings_new(err), *ds = ezc_settings_new(err);
    int rc = ls && ds ? 0 : ezc_error_set(err, EZC_ENOMEM, "singlebandpow: out of memory");
    int64_t order = 4, factor = 1;
    char text[32];
    ezc_settings_get_int(s, "lowpass_order", &order);
    if (!rc && order < 1)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "singlebandpow: setting 'lowpass_order' = %lld: expected >= 1",
                           (long long)order);
    snprintf(text, sizeof text, "%lld", (long long)order);
    if (!rc && ezc_settings_has(s, "lowpass_cutoff")) {
        if ((rc = ezc_tf_setting_copy(ls, s, "axis", "axis", err)) ||
            (rc = ezc_tf_setting_copy(ls, s, "lowpass_cutoff", "cutoff", err)) ||
            (rc = ezc_settings_set(ls, "order", text, NULL, err)))
            rc = err->code;
        if (!rc && !(st->lp = ezc_transformer_new(&ezc_butterworth_type, ls, err)))
            rc = own(err, "butterworth: ");
    }
    /* factor wins over target_rate; neither: every sample */
    int has_factor = !ezc_settings_get_int(s, "factor", &factor);
    snprintf(text, sizeof text, "%lld", (long long)factor);
    if (!rc && ((rc = ezc_tf_setting_copy(ds, s, "axis", "axis", err)) ||
                (rc = ezc_tf_setting_copy(ds, s, "target_rate", "target_rate", err))))
        rc = err->code;
    if (!rc && (has_factor || !ezc_settings_has(s, "target_rate")))
        rc = ezc_settings_set(ds, "factor", text, NULL, err);
    if (!rc && !(st->ds = ezc_transformer_new(&ezc_downsample_type, ds, err)))
        rc = own(err, "downsample: ");
    ezc_settings_destroy(&ls);
    ezc_settings_destroy(&ds);
    return rc;
}

static int sbp_init(void **state, const ezc_settings *s, ezc_error *err)
{
    sbp_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "singlebandpow: out of memory");
    st->axis = "time";
    st->sqrt = 1;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_bool(s, "apply_sqrt", &st->sqrt);
    const char *mode = "rms";
    ezc_settings_get_string(s, "mode", &mode);
    st->square_law = !strcmp(mode, "square_law");
    double dur = 0.05;
    ezc_settings_get_float(s, "bin_duration", &dur);
    int rc = 0;
    char text[64];
    if (!(dur > 0) || isinf(dur))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "singlebandpow: setting 'bin_duration' = %g: must be a positive number "
                           "of seconds",
                           dur);
    ezc_settings *bs = ezc_settings_new(err), *ws = ezc_settings_new(err),
                 *as = ezc_settings_new(err);
    if (!rc && (!bs || !ws || !as))
        rc = ezc_error_set(err, EZC_ENOMEM, "singlebandpow: out of memory");
    static const char *const to_bp[] = {"axis", "cuton", "cutoff"};
    for (size_t i = 0; !rc && i < 3; i++)
        rc = ezc_tf_setting_copy(bs, s, to_bp[i], to_bp[i], err);
    int64_t order = 4;
    ezc_settings_get_int(s, "order", &order);
    snprintf(text, sizeof text, "%lld", (long long)order);
    if (!rc)
        rc = ezc_settings_set(bs, "order", text, NULL, err);
    if (!rc && !(st->bp = ezc_transformer_new(&ezc_butterworth_type, bs, err)))
        rc = own(err, "butterworth: ");
    snprintf(text, sizeof text, "%.17g", dur);
    if (!rc && ((rc = ezc_tf_setting_copy(ws, s, "axis", "axis", err)) ||
                (rc = ezc_settings_set(ws, "newaxis", "bin", NULL, err)) ||
                (rc = ezc_settings_set(ws, "window_dur", text, NULL, err)) ||
                (rc = ezc_settings_set(ws, "window_shift", text, NULL, err)) ||
                (rc = ezc_settings_set(ws, "zero_pad_until", "none", NULL, err))))
        rc = err->code;
    if (!rc && !(st->win = ezc_transformer_new(&ezc_window_type, ws, err)))
        rc = own(err, "window: ");
    if (!rc && ((rc = ezc_tf_setting_copy(as, s, "axis", "axis", err)) ||
                (rc = ezc_settings_set(as, "operation", "mean", NULL, err))))
        rc = err->code;
    if (!rc && !(st->agg = ezc_transformer_new(&ezc_aggregate_type, as, err)))
        rc = own(err, "aggregate: ");
    ezc_settings_destroy(&bs);
    ezc_settings_destroy(&ws);
    ezc_settings_destroy(&as);
    if (!rc && st->square_law)
        rc = square_law_init(st, s, err);
    if (rc) {
        sbp_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* The squared band, low-passed and downsampled (f consumed). */
static int square_law_rest(sbp_state *st, ezc_array *f, ezc_array **out, ezc_error *err)
{
    ezc_array *l = f;
    int rc = st->lp ? ezc_transformer_process(st->lp, 0, f, &l, err) : 0;
    return rc ? rc : ezc_transformer_process(st->ds, 0, l, out, err);
}

static int sbp_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    sbp_state *st = state;
    (void)port;
    *out = NULL;
    ezc_array *f = NULL, *w = NULL, *y = NULL;
    int rc = ezc_transformer_process(st->bp, 0, in, &f, err);
    if (!rc && !(rc = ezc_tf_writable_float("singlebandpow", &f, 0, xp, err)) &&
        !(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SQUARE, f, f))) {
        if (st->square_law)
            return square_law_rest(st, f, out, err);
        rc = ezc_transformer_process(st->win, 0, f, &w, err);
    } else {
        ezc_array_destroy(&f);
    }
    if (!rc)
        rc = ezc_transformer_process(st->agg, 0, w, &y, err);
    if (!rc && st->sqrt && ezc_array_size(y) > 0) {
        /* y's buffer is also aggregate's cache: the root goes to our own */
        ezc_array *r = ezc_array_new_like_cached(y, y->dtype, 0, NULL, &st->c_out, err);
        rc = r ? ezc_xp_call(xp, unary, err, EZC_UNARY_SQRT, y, r) : err->code;
        ezc_array_destroy(&y);
        y = r;
    }
    if (!rc) {
        int bi = ezc_array_axis_index(y, "bin");
        if (bi >= 0 && ezc_array_axis_index(y, st->axis) < 0)
            rc = ezc_array_set_dim(y, bi, st->axis, err);
    }
    if (rc) {
        ezc_array_destroy(&y);
        return rc;
    }
    *out = y;
    return 0;
}

const ezc_transformer_type ezc_singlebandpow_type = {
    .name = "singlebandpow",
    .summary = "band power in the time domain: band-pass, square, then bin mean and root "
               "(RMSBandPower) or low-pass and downsample (SquareLawBandPower)",
    .settings = sbp_settings,
    .init = sbp_init,
    .process = sbp_process,
    .fini = sbp_fini,
};
