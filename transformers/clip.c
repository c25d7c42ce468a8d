/* stub */
#include "ezc/plugin.h"
const ezc_transformer_type ezc_clip_type = {"clip", "stub", NULL, NULL, NULL, NULL, NULL};
