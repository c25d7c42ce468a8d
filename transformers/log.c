/* stub */
#include "ezc/plugin.h"
const ezc_transformer_type ezc_log_type = {"log", "stub", NULL, NULL, NULL, NULL, NULL};
