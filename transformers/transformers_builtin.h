/* transformers_builtin.h — the built-in signal transformers, exported the
 * way a plugin exports its types (internal; registered from nodes/builtins.c,
 * above this folder, so the core names no transformer). */
#ifndef EZC_TRANSFORMERS_BUILTIN_H
#define EZC_TRANSFORMERS_BUILTIN_H

#include "ezc/plugin.h"

const ezc_plugin_info *ezc_transformers_builtin(void);

#endif
