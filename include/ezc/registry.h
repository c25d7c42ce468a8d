/* ezc/registry.h — every transformer type a program can name.
 *
 * Built-in types register exactly the way a plugin's do (each folder
 * exports one ezc_plugin_info), so the core never names a transformer. */
#ifndef EZC_REGISTRY_H
#define EZC_REGISTRY_H

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_registry ezc_registry;

/* An empty registry; ezc_registry_add_builtins adds transformers/ and learn/. */
ezc_registry *ezc_registry_new(ezc_error *err);
void ezc_registry_destroy(ezc_registry **r);
int ezc_registry_add_builtins(ezc_registry *r, ezc_error *err);
/* Adds a plugin's types (source names the origin in messages). A name
 * already registered is an error. */
int ezc_registry_add(ezc_registry *r, const ezc_plugin_info *info, const char *source,
                     ezc_error *err);
/* dlopens a plugin by path, checks its ABI, adds its types. The library
 * stays loaded until the registry is destroyed. */
int ezc_registry_load_plugin(ezc_registry *r, const char *path, ezc_error *err);

/* NULL (and err: "unknown transformer type 'butterr' (did you mean
 * 'butter'?)") when absent. */
const ezc_transformer_type *ezc_registry_find(const ezc_registry *r, const char *name,
                                              ezc_error *err);
size_t ezc_registry_count(const ezc_registry *r);
const ezc_transformer_type *ezc_registry_at(const ezc_registry *r, size_t i,
                                            const char **source);

#ifdef __cplusplus
}
#endif
#endif
