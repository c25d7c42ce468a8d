/* transformers/builtin.c — the list of built-in signal transformers.
 * Adding a transformer: write transformers/NAME.c exporting
 * `const ezc_transformer_type ezc_NAME_type`, then list it here. */
#include "builtin.h"

extern const ezc_transformer_type ezc_abs_type, ezc_clip_type, ezc_log_type, ezc_to_device_type;
extern const ezc_transformer_type ezc_window_type, ezc_spectrum_type, ezc_spectrogram_type;

static const ezc_transformer_type *const types[] = {
    &ezc_abs_type,
    &ezc_clip_type,
    &ezc_log_type,
    &ezc_to_device_type,
    &ezc_window_type,
    &ezc_spectrum_type,
    &ezc_spectrogram_type,
    NULL,
};
static const ezc_plugin_info info = {EZC_PLUGIN_ABI, "transformers", types};

const ezc_plugin_info *ezc_transformers_builtin(void) { return &info; }
