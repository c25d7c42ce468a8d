/* ezc/registry.h — every transformer type a program can name.
 *
 * Built-in types register exactly the way a plugin's do (each folder
 * exports one ezc_plugin_info), so the core never names a transformer.
 *
 * Threads: a registry has no lock. Fill it from one thread (new, add_*,
 * load); once filled, any number of threads may call find/list at once,
 * and the types it returns are immutable tables valid until destroy.
 * Adding while another thread reads is not safe. */
#ifndef EZC_REGISTRY_H
#define EZC_REGISTRY_H

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_registry ezc_registry;

/* An empty registry; ezc_registry_add_builtins (builtins.h) adds the types
 * that ship with ezc. */
ezc_registry *ezc_registry_new(ezc_error *err);
void ezc_registry_destroy(ezc_registry **r);
/* Adds a plugin's types (source names the origin in messages). A name
 * already registered is an error. */
int ezc_registry_add(ezc_registry *r, const ezc_plugin_info *info, const char *source,
                     ezc_error *err);
/* dlopens a plugin by path, checks its ABI, adds its types. The library
 * stays loaded until the registry is destroyed. A path naming an existing
 * file is loaded as that file (`sq2.so` is ./sq2.so); another name without
 * a '/' goes to the dynamic loader's search path. EZC_ENOTFOUND says where
 * it looked.
 * Loading runs the plugin's code: its constructors run inside dlopen,
 * before the ABI check or anything else here can refuse it. Load only
 * plugins you would run. */
int ezc_registry_load_plugin(ezc_registry *r, const char *path, ezc_error *err);

/* NULL (and err: "unknown transformer type 'butterr' (did you mean
 * 'butter'?)") when absent. */
const ezc_transformer_type *ezc_registry_find(const ezc_registry *r, const char *name,
                                              ezc_error *err);
size_t ezc_registry_count(const ezc_registry *r);
const ezc_transformer_type *ezc_registry_at(const ezc_registry *r, size_t i, const char **source);

#ifdef __cplusplus
}
#endif
#endif
