/* decimate.c — anti-alias lowpass then downsample (ezmsg-sigproc's
 * Decimate): a Chebyshev type I lowpass of order 8 with 0.05 dB passband
 * ripple and its edge at 0.8 of the new Nyquist rate (cheby1(8, 0.05,
 * 0.8 / q), as scipy.signal.decimate), run with carried state, then every
 * q-th sample kept with carried phase. q = 1 passes the data unfiltered. */
#include <stdlib.h>
#include "filter_design.h"
#include "filter_stream.h"

typedef struct decimate_state {
    ezc_ds_stream ds;
    ezc_iir_stream iir;
} decimate_state;

static const ezc_setting_spec decimate_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to decimate along", 0, NULL},
    {"target_rate", EZC_SETTING_FLOAT, NULL, "desired rate in Hz: q = floor(fs / target_rate)", 0,
     NULL},
    {"factor", EZC_SETTING_INT, NULL, "keep every factor-th sample (wins over target_rate)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int decimate_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                           ezc_error *err)
{
    const decimate_state *st = ctx;
    int64_t q = st->ds.factor;
    if (q <= 0) {
        double r = fs / st->ds.target_rate;
        q = r >= 1 && r < 1e15 ? (int64_t)r : 1;
    }
    *order = 2;
    if (q == 1) { /* nothing to protect against: no sections */
        *coef = malloc(sizeof **coef);
        *nsec = 0;
        return *coef ? 0 : ezc_error_set(err, EZC_ENOMEM, "out of memory");
    }
    ezc_filter_spec spec = {.family = EZC_DESIGN_CHEBY1,
                            .order = 8,
                            .rp = 0.05,
                            .band = EZC_BAND_LOWPASS,
                            .wn = {0.8 / (double)q, 0}};
    return ezc_filter_design_sos(&spec, coef, nsec, err);
}

static void decimate_fini(void *state)
{
    decimate_state *st = state;
    if (!st)
        return;
    ezc_ds_stream_fini(&st->ds);
    ezc_iir_stream_fini(&st->iir);
    free(st);
}

static int decimate_init(void **state, const ezc_settings *s, ezc_error *err)
{
    decimate_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "decimate: out of memory");
    int rc = ezc_ds_settings(&st->ds, s, "decimate", err);
    if (!rc)
        rc = ezc_iir_stream_init(&st->iir, st->ds.axis, NULL, 0, 0, decimate_design, st, err);
    if (rc) {
        decimate_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int decimate_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                            ezc_error *err)
{
    decimate_state *st = state;
    ezc_array *filtered = NULL;
    (void)port;
    int rc = ezc_iir_stream_process(&st->iir, in, &filtered, xp, err);
    return rc ? rc : ezc_ds_stream_process(&st->ds, filtered, out, xp, err);
}

const ezc_transformer_type ezc_decimate_type = {
    .name = "decimate",
    .summary = "Chebyshev I anti-alias lowpass (order 8, 0.05 dB, 0.8 x new Nyquist) then "
               "downsample",
    .settings = decimate_settings,
    .init = decimate_init,
    .process = decimate_process,
    .fini = decimate_fini,
};
