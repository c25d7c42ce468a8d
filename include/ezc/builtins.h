/* ezc/builtins.h — the transformers and learners that ship with ezc.
 *
 * They are registered like any plugin's types; this function is the one
 * place that names them (nodes/builtins.c), so the core never does. */
#ifndef EZC_BUILTINS_H
#define EZC_BUILTINS_H

#include "registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Adds every built-in type (transformers/ and learn/) to r, with
 * ezc_registry_add's errors (a name taken already). Fill a registry from
 * one thread (see registry.h). */
int ezc_registry_add_builtins(ezc_registry *r, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
