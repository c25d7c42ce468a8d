/* settings.c — raw text values checked and parsed once against a schema.
 *
 * Values are stored as text until ezc_settings_validate, which parses each
 * into its typed slot (lists into arrays), fills defaults and refuses
 * unknown names; getters then only look up. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ezc/settings.h"

typedef struct entry {
    char *name;
    char *text;   /* scalar text, or NULL for a list */
    char **items; /* list items */
    size_t nitems;
    char *where;
    /* parsed */
    int parsed;
    ezc_setting_type type;
    int b;
    int64_t i;
    double f;
    double *fs;
    int64_t *is;
} entry;

struct ezc_settings {
    entry *e;
    size_t n, cap;
};

ezc_settings *ezc_settings_new(ezc_error *err)
{
    ezc_settings *s = calloc(1, sizeof *s);
    if (!s)
        ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
    return s;
}

static void entry_free(entry *e)
{
    free(e->name);
    free(e->text);
    for (size_t i = 0; i < e->nitems; i++)
        free(e->items[i]);
    free(e->items);
    free(e->where);
    free(e->fs);
    free(e->is);
    memset(e, 0, sizeof *e);
}

void ezc_settings_destroy(ezc_settings **sp)
{
    if (!sp || !*sp)
        return;
    for (size_t i = 0; i < (*sp)->n; i++)
        entry_free(&(*sp)->e[i]);
    free((*sp)->e);
    free(*sp);
    *sp = NULL;
}

static entry *find(const ezc_settings *s, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0)
            return &s->e[i];
    return NULL;
}

/* A fresh (cleared) entry for name, replacing an earlier value. */
static entry *slot(ezc_settings *s, const char *name, ezc_error *err)
{
    entry *e = find(s, name);
    if (e) {
        char *keep = e->name;
        e->name = NULL;
        entry_free(e);
        e->name = keep;
        return e;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        entry *ne = realloc(s->e, cap * sizeof *ne);
        if (!ne) {
            ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
            return NULL;
        }
        s->e = ne;
        s->cap = cap;
    }
    e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name))) {
        ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
        return NULL;
    }
    s->n++;
    return e;
}

int ezc_settings_set(ezc_settings *s, const char *name, const char *text, const char *where,
                     ezc_error *err)
{
    if (!name || !*name)
        return ezc_error_set(err, EZC_EINVAL, "settings: empty setting name");
    entry *e = slot(s, name, err);
    if (!e)
        return EZC_ENOMEM;
    e->text = strdup(text ? text : "");
    e->where = where ? strdup(where) : NULL;
    if (!e->text || (where && !e->where))
        return ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
    return 0;
}

int ezc_settings_set_list(ezc_settings *s, const char *name, const char *const *items, size_t n,
                          const char *where, ezc_error *err)
{
    if (!name || !*name)
        return ezc_error_set(err, EZC_EINVAL, "settings: empty setting name");
    entry *e = slot(s, name, err);
    if (!e)
        return EZC_ENOMEM;
    e->items = calloc(n ? n : 1, sizeof *e->items);
    if (!e->items)
        return ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(e->items[i] = strdup(items[i])))
            return ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
        e->nitems++;
    }
    e->where = where ? strdup(where) : NULL;
    return 0;
}

ezc_settings *ezc_settings_copy(const ezc_settings *s, ezc_error *err)
{
    ezc_settings *c = ezc_settings_new(err);
    for (size_t i = 0; c && s && i < s->n; i++) {
        const entry *e = &s->e[i];
        int rc = e->text ? ezc_settings_set(c, e->name, e->text, e->where, err)
                         : ezc_settings_set_list(c, e->name, (const char *const *)e->items,
                                                 e->nitems, e->where, err);
        if (rc)
            ezc_settings_destroy(&c);
    }
    return c;
}

const char *ezc_setting_type_name(ezc_setting_type t)
{
    static const char *names[] = {"bool", "int", "float", "string", "ints", "floats", "strings"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    return p;
}

static int parse_bool(const char *t, int *out)
{
    if (!strcasecmp(t, "true") || !strcasecmp(t, "yes") || !strcasecmp(t, "on") || !strcmp(t, "1"))
        return *out = 1, 0;
    if (!strcasecmp(t, "false") || !strcasecmp(t, "no") || !strcasecmp(t, "off") || !strcmp(t, "0"))
        return *out = 0, 0;
    return -1;
}

static int parse_int(const char *t, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (errno || end == t || *end)
        return -1;
    *out = v;
    return 0;
}

/* Finite numbers, plus inf/-inf (YAML's .inf too) for open bounds; not nan. */
static int parse_float(const char *t, double *out)
{
    if (!strcmp(t, ".inf") || !strcmp(t, "+.inf") || !strcasecmp(t, "inf") ||
        !strcasecmp(t, "+inf"))
        return *out = INFINITY, 0;
    if (!strcmp(t, "-.inf") || !strcasecmp(t, "-inf"))
        return *out = -INFINITY, 0;
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (errno == ERANGE || end == t || *end || isnan(v) || isinf(v))
        return -1;
    *out = v;
    return 0;
}

/* "[1, 2, 3]" (or "1, 2, 3", or "1", or nested "[[1, 2], [3, 4]]") into items. */
static int split_list(entry *e, ezc_error *err)
{
    char *buf = strdup(e->text);
    if (!buf)
        return ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
    char *p = trim(buf);
    size_t n = strlen(p);
    if (n && p[0] == '[') {
        if (p[n - 1] != ']') {
            free(buf);
            return -1;
        }
        p[n - 1] = '\0';
        p = trim(p + 1);
    }
    size_t cap = 1;
    for (char *q = p; *q; q++)
        cap += *q == ',';
    e->items = calloc(cap, sizeof *e->items);
    if (!e->items) {
        free(buf);
        return ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
    }
    if (*p) {
        char *save = NULL;
        for (char *tok = strtok_r(p, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *t = trim(tok);
            /* nested lists flatten: "[[17, 30], [70, 170]]" is four numbers */
            while (*t == '[')
                t = trim(t + 1);
            size_t tl = strlen(t);
            while (tl && t[tl - 1] == ']') {
                t[--tl] = '\0';
                t = trim(t);
                tl = strlen(t);
            }
            if (tl >= 2 && (t[0] == '"' || t[0] == '\'') && t[tl - 1] == t[0]) {
                t[tl - 1] = '\0';
                t++;
            }
            e->items[e->nitems++] = strdup(t);
        }
    }
    free(buf);
    return 0;
}

static int type_error(ezc_error *err, const char *owner, const entry *e, const char *value,
                      const ezc_setting_spec *spec, const char *what)
{
    return ezc_error_set(err, EZC_EINVAL, "%s%s%s: setting '%s' = '%s': expected %s (%s)",
                         e->where ? e->where : "", e->where ? ": " : "", owner, e->name, value,
                         what, ezc_setting_type_name(spec->type));
}

static int parse_entry(entry *e, const ezc_setting_spec *spec, const char *owner, ezc_error *err)
{
    e->type = spec->type;
    int list = spec->type == EZC_SETTING_INTS || spec->type == EZC_SETTING_FLOATS ||
               spec->type == EZC_SETTING_STRINGS;
    if (list && e->text) {
        int rc = split_list(e, err);
        if (rc == EZC_ENOMEM)
            return rc;
        if (rc)
            return type_error(err, owner, e, e->text, spec, "a list like [1, 2]");
    } else if (!list && !e->text) {
        return type_error(err, owner, e, "[...]", spec, "a single value, not a list");
    }
    const char *t = e->text ? e->text : "";
    switch (spec->type) {
    case EZC_SETTING_BOOL:
        if (parse_bool(t, &e->b))
            return type_error(err, owner, e, t, spec, "true or false");
        break;
    case EZC_SETTING_INT:
        if (parse_int(t, &e->i))
            return type_error(err, owner, e, t, spec, "an integer");
        break;
    case EZC_SETTING_FLOAT:
        if (parse_float(t, &e->f))
            return type_error(err, owner, e, t, spec, "a number");
        break;
    case EZC_SETTING_STRING:
        if (spec->choices) {
            size_t n = strlen(t);
            const char *c = spec->choices;
            int ok = 0;
            while (*c && !ok) {
                const char *bar = strchr(c, '|');
                size_t len = bar ? (size_t)(bar - c) : strlen(c);
                ok = len == n && strncmp(c, t, n) == 0;
                c += len + (bar ? 1 : 0);
            }
            if (!ok)
                return ezc_error_set(err, EZC_EINVAL,
                                     "%s%s%s: setting '%s' = '%s': expected one of %s",
                                     e->where ? e->where : "", e->where ? ": " : "", owner, e->name,
                                     t, spec->choices);
        }
        break;
    case EZC_SETTING_INTS:
    case EZC_SETTING_FLOATS: {
        int ints = spec->type == EZC_SETTING_INTS;
        size_t n = e->nitems ? e->nitems : 1;
        if (ints ? !(e->is = calloc(n, sizeof *e->is)) : !(e->fs = calloc(n, sizeof *e->fs)))
            return ezc_error_set(err, EZC_ENOMEM, "settings: out of memory");
        for (size_t k = 0; k < e->nitems; k++) {
            const char *it = e->items[k] ? e->items[k] : "";
            if (ints ? parse_int(it, &e->is[k]) : parse_float(it, &e->fs[k]))
                return type_error(err, owner, e, it, spec, ints ? "integers" : "numbers");
        }
        break;
    }
    case EZC_SETTING_STRINGS: break;
    }
    e->parsed = 1;
    return 0;
}

int ezc_settings_validate(ezc_settings *s, const ezc_setting_spec *schema, const char *owner,
                          ezc_error *err)
{
    owner = owner ? owner : "settings";
    for (size_t i = 0; i < s->n; i++) {
        entry *e = &s->e[i];
        const ezc_setting_spec *spec = NULL;
        for (const ezc_setting_spec *p = schema; p && p->name; p++)
            if (strcmp(p->name, e->name) == 0)
                spec = p;
        if (!spec) {
            char known[256] = "";
            size_t used = 0;
            for (const ezc_setting_spec *p = schema; p && p->name && used < sizeof known - 40; p++)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                         p == schema ? "" : ", ", p->name);
            return ezc_error_set(err, EZC_EINVAL, "%s%s%s: unknown setting '%s' (known: %s)",
                                 e->where ? e->where : "", e->where ? ": " : "", owner, e->name,
                                 used ? known : "none");
        }
        int rc = parse_entry(e, spec, owner, err);
        if (rc)
            return rc;
    }
    for (const ezc_setting_spec *p = schema; p && p->name; p++) {
        if (find(s, p->name))
            continue;
        if (p->required)
            return ezc_error_set(err, EZC_EINVAL, "%s: setting '%s' is required (%s)", owner,
                                 p->name, p->doc ? p->doc : ezc_setting_type_name(p->type));
        if (!p->def)
            continue;
        int rc = ezc_settings_set(s, p->name, p->def, "default", err);
        if (rc)
            return rc;
        rc = parse_entry(find(s, p->name), p, owner, err);
        if (rc)
            return rc;
    }
    return 0;
}

static const entry *get(const ezc_settings *s, const char *name, ezc_setting_type t)
{
    const entry *e = find(s, name);
    return e && e->parsed && e->type == t ? e : NULL;
}

int ezc_settings_has(const ezc_settings *s, const char *name)
{
    const entry *e = find(s, name);
    return e && e->parsed;
}

int ezc_settings_get_bool(const ezc_settings *s, const char *name, int *out)
{
    const entry *e = get(s, name, EZC_SETTING_BOOL);
    return e ? (*out = e->b, 0) : EZC_ENOTFOUND;
}

int ezc_settings_get_int(const ezc_settings *s, const char *name, int64_t *out)
{
    const entry *e = get(s, name, EZC_SETTING_INT);
    return e ? (*out = e->i, 0) : EZC_ENOTFOUND;
}

int ezc_settings_get_float(const ezc_settings *s, const char *name, double *out)
{
    const entry *e = get(s, name, EZC_SETTING_FLOAT);
    return e ? (*out = e->f, 0) : EZC_ENOTFOUND;
}

int ezc_settings_get_string(const ezc_settings *s, const char *name, const char **out)
{
    const entry *e = get(s, name, EZC_SETTING_STRING);
    return e ? (*out = e->text, 0) : EZC_ENOTFOUND;
}

int ezc_settings_get_floats(const ezc_settings *s, const char *name, const double **out, size_t *n)
{
    const entry *e = get(s, name, EZC_SETTING_FLOATS);
    return e ? (*out = e->fs, *n = e->nitems, 0) : EZC_ENOTFOUND;
}

int ezc_settings_get_ints(const ezc_settings *s, const char *name, const int64_t **out, size_t *n)
{
    const entry *e = get(s, name, EZC_SETTING_INTS);
    return e ? (*out = e->is, *n = e->nitems, 0) : EZC_ENOTFOUND;
}

int ezc_settings_get_strings(const ezc_settings *s, const char *name, const char *const **out,
                             size_t *n)
{
    const entry *e = get(s, name, EZC_SETTING_STRINGS);
    return e ? (*out = (const char *const *)e->items, *n = e->nitems, 0) : EZC_ENOTFOUND;
}
