/* spectrogram.c — window then spectrum, in one transformer (ezmsg-sigproc's
 * Spectrogram). It owns a `window` and a `spectrum` instance made from the
 * registered types and feeds one to the other; afterwards the window axis
 * takes the windowed axis's name ("win" -> "time"), as ezmsg's
 * modify_axis(name_map={"win": "time"}) does. Without a zero_pad_until
 * setting the window pads until `window_shift` when one is given, as
 * ezmsg-sigproc's Spectrogram does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

extern const ezc_transformer_type ezc_window_type, ezc_spectrum_type;

typedef struct spectrogram_state {
    ezc_transformer *win, *spec;
    const char *axis;
} spectrogram_state;

static const ezc_setting_spec spectrogram_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "axis to window and transform", 0, NULL},
    {"window_dur", EZC_SETTING_FLOAT, NULL, "window length in seconds (see window)", 0, NULL},
    {"window_shift", EZC_SETTING_FLOAT, NULL,
     "step between windows in seconds (absent: one window per message)", 0, NULL},
    {"zero_pad_until", EZC_SETTING_STRING, NULL,
     "initial zeros (see window); absent: shift when window_shift is set, else input", 0,
     "full|input|shift|none"},
    {"window", EZC_SETTING_STRING, "hann", "taper (see spectrum)", 0,
     "hann|hanning|hamming|blackman|bartlett|boxcar|none"},
    {"transform", EZC_SETTING_STRING, "rel_db", "spectral values (see spectrum)", 0,
     "raw_complex|real|imag|rel_power|rel_db|abs|power"},
    {"output", EZC_SETTING_STRING, "positive", "which frequencies (see spectrum)", 0,
     "positive|full|negative"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void spectrogram_fini(void *state)
{
    spectrogram_state *st = state;
    if (!st)
        return;
    ezc_transformer_destroy(&st->win);
    ezc_transformer_destroy(&st->spec);
    free(st);
}

static int spectrogram_init(void **state, const ezc_settings *s, ezc_error *err)
{
    spectrogram_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "spectrogram: out of memory");
    ezc_settings *ws = ezc_settings_new(err), *ss = ezc_settings_new(err);
    int rc = ws && ss ? 0 : ezc_error_set(err, EZC_ENOMEM, "spectrogram: out of memory");
    if (!rc) {
        ezc_settings_get_string(s, "axis", &st->axis);
        static const char *const to_window[] = {"axis", "window_dur", "window_shift",
                                                "zero_pad_until"};
        static const char *const to_spectrum[] = {"axis", "window", "transform", "output"};
        for (size_t i = 0; !rc && i < 4; i++)
            rc = ezc_tf_setting_copy(ws, s, to_window[i], to_window[i], err) ||
                 ezc_tf_setting_copy(ss, s, to_spectrum[i], to_spectrum[i], err);
        /* ezmsg-sigproc pads until the shift whenever there is one, so the
         * first window comes after one shift of data, whatever the chunking */
        if (!rc && !ezc_settings_has(s, "zero_pad_until") && ezc_settings_has(s, "window_shift"))
            rc = ezc_settings_set(ws, "zero_pad_until", "shift", NULL, err);
        rc = rc || ezc_settings_set(ws, "newaxis", "win", NULL, err);
        if (rc)
            rc = err ? err->code : EZC_EINVAL;
    }
    if (!rc && !(st->win = ezc_transformer_new(&ezc_window_type, ws, err)))
        rc = err ? err->code : EZC_EINVAL;
    if (!rc && !(st->spec = ezc_transformer_new(&ezc_spectrum_type, ss, err)))
        rc = err ? err->code : EZC_EINVAL;
    ezc_settings_destroy(&ws);
    ezc_settings_destroy(&ss);
    if (rc) {
        spectrogram_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int spectrogram_process(void *state, int port, ezc_array *in, ezc_array **out,
                               const ezc_xp *xp, ezc_error *err)
{
    spectrogram_state *st = state;
    ezc_array *w = NULL, *y = NULL;
    (void)port;
    (void)xp;
    int rc = ezc_transformer_process(st->win, 0, in, &w, err);
    if (!rc)
        rc = ezc_transformer_process(st->spec, 0, w, &y, err);
    if (rc)
        return rc;
    /* the window axis becomes the time axis; a new name only when "win"
     * is there (window_dur absent passes messages through) */
    int wi = ezc_array_axis_index(y, "win");
    if (wi >= 0 && ezc_array_axis_index(y, st->axis) < 0)
        ezc_array_set_dim(y, wi, st->axis, NULL);
    *out = y;
    return 0;
}

const ezc_transformer_type ezc_spectrogram_type = {
    .name = "spectrogram",
    .summary = "window then spectrum: the window axis becomes the time axis (ezmsg Spectrogram)",
    .settings = spectrogram_settings,
    .init = spectrogram_init,
    .process = spectrogram_process,
    .fini = spectrogram_fini,
};
