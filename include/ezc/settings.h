/* ezc/settings.h — typed settings checked against a schema.
 *
 * A schema is a NULL-terminated array of ezc_setting_spec. Values arrive as
 * text (from YAML or a command line; lists as "[1, 2]" or several items) and
 * are parsed once, in ezc_settings_validate; errors name the setting and
 * the expected type. Transformers read them with the typed getters in init,
 * never on the per-message path.
 *
 * Threads: an ezc_settings has no lock. Build and validate it in one thread;
 * a validated one that nobody modifies may be read from several threads.
 * Schemas are const tables and always shareable. */
#ifndef EZC_SETTINGS_H
#define EZC_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EZC_SETTING_BOOL,
    EZC_SETTING_INT,
    EZC_SETTING_FLOAT,
    EZC_SETTING_STRING,
    EZC_SETTING_INTS,   /* list of integers */
    EZC_SETTING_FLOATS, /* list of numbers */
    EZC_SETTING_STRINGS /* list of strings */
} ezc_setting_type;

typedef struct ezc_setting_spec {
    const char *name;
    ezc_setting_type type;
    const char *def; /* default as text; NULL = absent unless given */
    const char *doc;
    int required;        /* must be given */
    const char *choices; /* STRING: allowed values "a|b|c", or NULL */
} ezc_setting_spec;

typedef struct ezc_settings ezc_settings;

ezc_settings *ezc_settings_new(ezc_error *err);
void ezc_settings_destroy(ezc_settings **s);
ezc_settings *ezc_settings_copy(const ezc_settings *s, ezc_error *err);

/* Records a raw value (replaces an earlier one). where (may be NULL) is
 * kept for messages, e.g. "graph.yaml:12". */
int ezc_settings_set(ezc_settings *s, const char *name, const char *text, const char *where,
                     ezc_error *err);
/* Records a list value item by item. */
int ezc_settings_set_list(ezc_settings *s, const char *name, const char *const *items, size_t n,
                          const char *where, ezc_error *err);

/* Parses every value against schema, fills defaults, refuses unknown names
 * ("clip: unknown setting 'mn' (known: min, max)"), type errors ("clip:
 * setting 'min' = 'abc': expected a number") and missing required ones.
 * owner names the transformer in messages. */
int ezc_settings_validate(ezc_settings *s, const ezc_setting_spec *schema, const char *owner,
                          ezc_error *err);

/* Typed getters, valid after validate: 0, or EZC_ENOTFOUND when the setting
 * is absent (no value, no default). */
int ezc_settings_has(const ezc_settings *s, const char *name);
int ezc_settings_get_bool(const ezc_settings *s, const char *name, int *out);
int ezc_settings_get_int(const ezc_settings *s, const char *name, int64_t *out);
int ezc_settings_get_float(const ezc_settings *s, const char *name, double *out);
/* The string stays owned by s. */
int ezc_settings_get_string(const ezc_settings *s, const char *name, const char **out);
/* Lists: pointer to n items owned by s. */
int ezc_settings_get_floats(const ezc_settings *s, const char *name, const double **out, size_t *n);
int ezc_settings_get_ints(const ezc_settings *s, const char *name, const int64_t **out, size_t *n);
int ezc_settings_get_strings(const ezc_settings *s, const char *name, const char *const **out,
                             size_t *n);

const char *ezc_setting_type_name(ezc_setting_type t);

#ifdef __cplusplus
}
#endif
#endif
