/* ezc/plugin.h — the one header a plugin author includes.
 *
 * A plugin is a shared object that exports
 *
 *   EZC_PLUGIN_EXPORT const ezc_plugin_info *ezc_plugin_entry(void);
 *
 * returning its transformer types and the EZC_PLUGIN_ABI it was built
 * against; the loader refuses any other ABI. Build it with
 *   cc -shared -fPIC my.c $(pkg-config --cflags --libs ezc) -o my.so
 * and name it under `plugins:` in a graph file, or load it with
 * ezc_registry_load_plugin. See examples/plugin/.
 *
 * Trust: loading a plugin runs its code. The dynamic loader runs a
 * shared object's constructors (and those of the libraries it pulls in)
 * inside dlopen, before ezc can look at its ABI or its types, so no check
 * of ezc's can refuse a hostile plugin before it has run. `ezc validate`,
 * `ezc run` and `ezc list --plugin` load the plugins a graph file names;
 * `ezc validate --no-plugins` and `ezc graph` do not (docs/graphs.md). */
#ifndef EZC_PLUGIN_H
#define EZC_PLUGIN_H

#include "array.h"
#include "error.h"
#include "log.h"
#include "settings.h"
#include "transformer.h"
#include "xp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct or table a plugin sees changes layout. ABI 2
 * added ezc_transformer_type.update at the end of the type table; a
 * registry still loads ABI-1 plugins (EZC_PLUGIN_ABI_MIN), reading their
 * shorter tables into copies whose update is NULL. */
#define EZC_PLUGIN_ABI 2
#define EZC_PLUGIN_ABI_MIN 1
#define EZC_PLUGIN_ENTRY_NAME "ezc_plugin_entry"
#define EZC_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct ezc_plugin_info {
    int abi;                                  /* EZC_PLUGIN_ABI */
    const char *name;                         /* the plugin's name */
    const ezc_transformer_type *const *types; /* NULL-terminated */
} ezc_plugin_info;

typedef const ezc_plugin_info *(*ezc_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
