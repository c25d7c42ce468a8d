/* bandpower.c — spectrogram then ranged_aggregate over the frequency axis
 * (ezmsg-sigproc's BandPower): one value per band and window. Made of the
 * registered `spectrogram` and `ranged_aggregate` types, so it inherits
 * their semantics and errors. Defaults as ezmsg-sigproc: bands (17, 30) and
 * (70, 170) Hz, the mean over each band of the spectrogram's rel_db. */
#include <stdlib.h>
#include "tf_util.h"

extern const ezc_transformer_type ezc_spectrogram_type, ezc_ranged_aggregate_type;

typedef struct bandpower_state {
    ezc_transformer *spec, *agg;
} bandpower_state;

static const ezc_setting_spec bandpower_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "axis to window and transform", 0, NULL},
    {"window_dur", EZC_SETTING_FLOAT, NULL, "window length in seconds (see spectrogram)", 0, NULL},
    {"window_shift", EZC_SETTING_FLOAT, NULL, "step between windows in seconds", 0, NULL},
    {"zero_pad_until", EZC_SETTING_STRING, NULL,
     "initial zeros (see window); absent: shift when window_shift is set, else input", 0,
     "full|input|shift|none"},
    {"window", EZC_SETTING_STRING, "hann", "taper (see spectrum)", 0,
     "hann|hanning|hamming|blackman|bartlett|boxcar|none"},
    {"transform", EZC_SETTING_STRING, "rel_db", "spectral values (see spectrum)", 0,
     "rel_power|rel_db|abs|power|real|imag"},
    {"bands", EZC_SETTING_FLOATS, "[[17, 30], [70, 170]]", "[[lo, hi], ...] in Hz, inclusive", 0,
     NULL},
    {"aggregation", EZC_SETTING_STRING, "mean", "reduction over each band (see aggregate)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void bandpower_fini(void *state)
{
    bandpower_state *st = state;
    if (!st)
        return;
    ezc_transformer_destroy(&st->spec);
    ezc_transformer_destroy(&st->agg);
    free(st);
}

static int bandpower_init(void **state, const ezc_settings *s, ezc_error *err)
{
    bandpower_state *st = calloc(1, sizeof *st);
    ezc_settings *ss = ezc_settings_new(err), *as = ezc_settings_new(err);
    int rc = st && ss && as ? 0 : ezc_error_set(err, EZC_ENOMEM, "bandpower: out of memory");
    static const char *const spec_names[] = {"axis",   "window_dur", "window_shift",
                                             "window", "transform",  "zero_pad_until"};
    for (size_t i = 0; !rc && i < sizeof spec_names / sizeof *spec_names; i++)
        rc = ezc_tf_setting_copy(ss, s, spec_names[i], spec_names[i], err);
    if (!rc)
        rc = ezc_settings_set(as, "axis", "freq", NULL, err);
    if (!rc)
        rc = ezc_tf_setting_copy(as, s, "bands", "bands", err);
    if (!rc)
        rc = ezc_tf_setting_copy(as, s, "aggregation", "operation", err);
    if (!rc && !(st->spec = ezc_transformer_new(&ezc_spectrogram_type, ss, err)))
        rc = err->code;
    if (!rc && !(st->agg = ezc_transformer_new(&ezc_ranged_aggregate_type, as, err)))
        rc = err->code;
    ezc_settings_destroy(&ss);
    ezc_settings_destroy(&as);
    if (rc) {
        bandpower_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int bandpower_process(void *state, int port, ezc_array *in, ezc_array **out,
                             const ezc_xp *xp, ezc_error *err)
{
    bandpower_state *st = state;
    (void)port;
    (void)xp;
    ezc_array *spec = NULL;
    int rc = ezc_transformer_process(st->spec, 0, in, &spec, err);
    if (!rc && spec)
        rc = ezc_transformer_process(st->agg, 0, spec, out, err);
    return rc;
}

const ezc_transformer_type ezc_bandpower_type = {
    .name = "bandpower",
    .summary = "power in frequency bands per window (spectrogram -> ranged_aggregate)",
    .settings = bandpower_settings,
    .init = bandpower_init,
    .process = bandpower_process,
    .fini = bandpower_fini,
};
