/* builtin.h — the built-in type lists, each exported like a plugin's (internal). */
#ifndef EZC_BUILTIN_H
#define EZC_BUILTIN_H

#include "ezc/plugin.h"

const ezc_plugin_info *ezc_transformers_builtin(void);
const ezc_plugin_info *ezc_learn_builtin(void);

#endif
