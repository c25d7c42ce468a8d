/* registry.c — every transformer type by name: built-ins and plugins.
 *
 * Built-ins come in through the same door as plugins (an ezc_plugin_info),
 * so nothing here names a transformer. Plugins are dlopened, their ABI
 * checked before anything else of theirs is used, and kept loaded until the
 * registry goes. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ezc/registry.h"

typedef struct item {
    const ezc_transformer_type *type;
    char *source;
    ezc_transformer_type *copy; /* an ABI-1 type read into a full table (type points here) */
} item;

/* The size of a type table as ABI-1 plugins built it: everything before
 * the fields ABI 2 added. */
#define ABI1_TYPE_SIZE offsetof(ezc_transformer_type, update)

struct ezc_registry {
    item *items;
    size_t n, cap;
    void **handles;
    size_t nhandles;
};

ezc_registry *ezc_registry_new(ezc_error *err)
{
    ezc_registry *r = calloc(1, sizeof *r);
    if (!r)
        ezc_error_set(err, EZC_ENOMEM, "registry: out of memory");
    return r;
}

void ezc_registry_destroy(ezc_registry **rp)
{
    if (!rp || !*rp)
        return;
    ezc_registry *r = *rp;
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].source);
        free(r->items[i].copy);
    }
    free(r->items);
    for (size_t i = 0; i < r->nhandles; i++)
        dlclose(r->handles[i]);
    free(r->handles);
    free(r);
    *rp = NULL;
}

static const item *lookup(const ezc_registry *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].type->name, name) == 0)
            return &r->items[i];
    return NULL;
}

int ezc_registry_add(ezc_registry *r, const ezc_plugin_info *info, const char *source,
                     ezc_error *err)
{
    if (!info || !info->types)
        return ezc_error_set(err, EZC_EINVAL, "%s: no transformer types", source);
    if (info->abi < EZC_PLUGIN_ABI_MIN || info->abi > EZC_PLUGIN_ABI)
        return ezc_error_set(err, EZC_EABI,
                             "plugin '%s' was built for ezc plugin ABI %d; this ezc has ABI %d "
                             "(and loads ABI %d and later): rebuild it against this ezc",
                             source, info->abi, EZC_PLUGIN_ABI, EZC_PLUGIN_ABI_MIN);
    size_t n = 0;
    for (; info->types[n]; n++) {
        const ezc_transformer_type *t = info->types[n];
        if (!t->name || !*t->name || !t->process)
            return ezc_error_set(err, EZC_EINVAL, "%s: type %zu has no name or no process function",
                                 source, n);
        const item *old = lookup(r, t->name);
        if (old)
            return ezc_error_set(err, EZC_EINVAL,
                                 "%s: transformer type '%s' is already registered by %s", source,
                                 t->name, old->source);
    }
    if (r->n + n > r->cap) {
        size_t cap = (r->n + n) * 2 + 8;
        item *ni = realloc(r->items, cap * sizeof *ni);
        if (!ni)
            return ezc_error_set(err, EZC_ENOMEM, "registry: out of memory");
        r->items = ni;
        r->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        item *it = &r->items[r->n];
        memset(it, 0, sizeof *it);
        it->type = info->types[i];
        if (info->abi < 2) { /* a shorter table: never read past its end */
            if (!(it->copy = calloc(1, sizeof *it->copy)))
                return ezc_error_set(err, EZC_ENOMEM, "registry: out of memory");
            memcpy(it->copy, info->types[i], ABI1_TYPE_SIZE);
            it->type = it->copy;
        }
        it->source = strdup(source);
        r->n++;
    }
    return 0;
}

/* dlopen reads a name without a '/' as a library to search for on the
 * loader path, never as a file here: `--plugin sq2.so` would not find
 * ./sq2.so. A path that names an existing file is loaded as that file;
 * anything else goes to the loader's search, and a failure says where
 * both looked. */
static void *open_plugin(const char *path, ezc_error *err)
{
    char local[4096];
    const char *as = path;
    int is_file = access(path, F_OK) == 0;
    if (is_file && !strchr(path, '/')) {
        if (snprintf(local, sizeof local, "./%s", path) >= (int)sizeof local) {
            ezc_error_set(err, EZC_EINVAL, "plugin '%s': path too long", path);
            return NULL;
        }
        as = local;
    }
    void *h = dlopen(as, RTLD_NOW | RTLD_LOCAL);
    if (h)
        return h;
    const char *why = dlerror();
    if (is_file)
        ezc_error_set(err, EZC_ENOTFOUND, "plugin '%s' does not load: %s", path, why ? why : "?");
    else if (strchr(path, '/'))
        ezc_error_set(err, EZC_ENOTFOUND, "plugin '%s' does not load: no such file", path);
    else
        ezc_error_set(err, EZC_ENOTFOUND,
                      "plugin '%s' does not load: no file '%s' in the "
                      "current folder, and the loader's search (LD_LIBRARY_PATH, the system "
                      "library folders) found none: %s",
                      path, path, why ? why : "?");
    return NULL;
}

int ezc_registry_load_plugin(ezc_registry *r, const char *path, ezc_error *err)
{
    void *h = open_plugin(path, err);
    if (!h)
        return err->code;
    for (size_t i = 0; i < r->nhandles; i++)
        if (r->handles[i] == h) { /* the same library again: already registered */
            dlclose(h);
            return 0;
        }
    ezc_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, EZC_PLUGIN_ENTRY_NAME);
    if (!entry) {
        dlclose(h);
        return ezc_error_set(err, EZC_EINVAL, "plugin '%s' has no %s() (is it an ezc plugin?)",
                             path, EZC_PLUGIN_ENTRY_NAME);
    }
    const ezc_plugin_info *info = entry();
    if (!info) {
        dlclose(h);
        return ezc_error_set(err, EZC_EINVAL, "plugin '%s': %s() returned NULL", path,
                             EZC_PLUGIN_ENTRY_NAME);
    }
    int rc = ezc_registry_add(r, info, path, err);
    if (rc) {
        dlclose(h);
        return rc;
    }
    void **nh = realloc(r->handles, (r->nhandles + 1) * sizeof *nh);
    if (!nh)
        return ezc_error_set(err, EZC_ENOMEM, "registry: out of memory");
    r->handles = nh;
    r->handles[r->nhandles++] = h;
    return 0;
}

/* Levenshtein distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const ezc_transformer_type *ezc_registry_find(const ezc_registry *r, const char *name,
                                              ezc_error *err)
{
    const item *it = lookup(r, name);
    if (it)
        return it->type;
    const char *best = NULL;
    size_t bd = 3; /* suggest only close names */
    for (size_t i = 0; i < r->n; i++) {
        size_t d = distance(name, r->items[i].type->name);
        if (d < bd) {
            bd = d;
            best = r->items[i].type->name;
        }
    }
    if (best)
        ezc_error_set(err, EZC_ENOTFOUND, "unknown transformer type '%s' (did you mean '%s'?)",
                      name, best);
    else
        ezc_error_set(err, EZC_ENOTFOUND, "unknown transformer type '%s' (`ezc list` shows them)",
                      name);
    return NULL;
}

size_t ezc_registry_count(const ezc_registry *r)
{
    return r->n;
}

const ezc_transformer_type *ezc_registry_at(const ezc_registry *r, size_t i, const char **source)
{
    if (i >= r->n)
        return NULL;
    if (source)
        *source = r->items[i].source;
    return r->items[i].type;
}
