/* stub */
#include "ezc/plugin.h"
const ezc_transformer_type ezc_abs_type = {"abs", "stub", NULL, NULL, NULL, NULL, NULL};
