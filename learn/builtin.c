/* learn/builtin.c — the learning transformers this build ships (none yet). */
#include "builtin.h"

static const ezc_transformer_type *const types[] = {NULL};
static const ezc_plugin_info info = {EZC_PLUGIN_ABI, "learn", types};

const ezc_plugin_info *ezc_learn_builtin(void) { return &info; }
