/* learn_builtin.h — the built-in learners, exported the way a plugin exports
 * its types (internal; registered from nodes/builtins.c). */
#ifndef EZC_LEARN_BUILTIN_H
#define EZC_LEARN_BUILTIN_H

#include "ezc/plugin.h"

const ezc_plugin_info *ezc_learn_builtin(void);

#endif
