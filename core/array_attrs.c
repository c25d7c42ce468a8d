/* array_attrs.c — free-form key/values carried along with an array.
 *
 * An attrs list is immutable once shared: a setter builds a new list
 * (copying the entries) and drops the old reference, so clones that share
 * the old list never see the change. Lists are short, so linear search. */
#include <stdlib.h>
#include <string.h>
#include "ezc/array.h"

static void attr_free(ezc_attr *a)
{
    free(a->key);
    if (a->type == EZC_ATTR_STR)
        free(a->v.s.ptr);
    else if (a->type == EZC_ATTR_RAW)
        free(a->v.raw.ptr);
}

static int attr_copy(ezc_attr *dst, const ezc_attr *src)
{
    *dst = *src;
    dst->key = strdup(src->key);
    if (!dst->key)
        return -1;
    if (src->type == EZC_ATTR_STR) {
        dst->v.s.ptr = malloc(src->v.s.len + 1);
        if (!dst->v.s.ptr)
            return free(dst->key), -1;
        memcpy(dst->v.s.ptr, src->v.s.ptr, src->v.s.len);
        dst->v.s.ptr[src->v.s.len] = '\0';
    } else if (src->type == EZC_ATTR_RAW) {
        dst->v.raw.ptr = malloc(src->v.raw.len ? src->v.raw.len : 1);
        if (!dst->v.raw.ptr)
            return free(dst->key), -1;
        memcpy(dst->v.raw.ptr, src->v.raw.ptr, src->v.raw.len);
    }
    return 0;
}

ezc_attrs *ezc_attrs_ref(ezc_attrs *at)
{
    if (at)
        atomic_fetch_add_explicit(&at->refs, 1, memory_order_relaxed);
    return at;
}

void ezc_attrs_unref(ezc_attrs **atp)
{
    if (!atp || !*atp)
        return;
    ezc_attrs *at = *atp;
    *atp = NULL;
    if (atomic_fetch_sub_explicit(&at->refs, 1, memory_order_acq_rel) == 1) {
        for (size_t i = 0; i < at->n; i++)
            attr_free(&at->items[i]);
        free(at->items);
        free(at);
    }
}

const ezc_attr *ezc_array_attr(const ezc_array *a, const char *key)
{
    if (!a->attrs)
        return NULL;
    for (size_t i = 0; i < a->attrs->n; i++)
        if (strcmp(a->attrs->items[i].key, key) == 0)
            return &a->attrs->items[i];
    return NULL;
}

/* A new list: the old entries except `skip` (a key to leave out, or NULL),
 * plus `add` (or NULL). */
static int rebuild(ezc_array *a, const char *skip, const ezc_attr *add, ezc_error *err)
{
    size_t old_n = a->attrs ? a->attrs->n : 0;
    ezc_attrs *at = calloc(1, sizeof *at);
    if (!at)
        return ezc_error_set(err, EZC_ENOMEM, "attrs: out of memory");
    atomic_init(&at->refs, 1);
    at->items = calloc(old_n + 1, sizeof *at->items);
    if (!at->items) {
        free(at);
        return ezc_error_set(err, EZC_ENOMEM, "attrs: out of memory");
    }
    for (size_t i = 0; i < old_n; i++) {
        const ezc_attr *src = &a->attrs->items[i];
        if (skip && strcmp(src->key, skip) == 0)
            continue;
        if (attr_copy(&at->items[at->n], src))
            goto oom;
        at->n++;
    }
    if (add) {
        if (attr_copy(&at->items[at->n], add))
            goto oom;
        at->n++;
    }
    ezc_attrs_unref(&a->attrs);
    if (at->n == 0) {
        ezc_attrs_unref(&at);
        return 0;
    }
    a->attrs = at;
    return 0;
oom:
    ezc_attrs_unref(&at);
    return ezc_error_set(err, EZC_ENOMEM, "attrs: out of memory");
}

int ezc_array_attr_set(ezc_array *a, const ezc_attr *attr, ezc_error *err)
{
    if (!attr || !attr->key || !*attr->key)
        return ezc_error_set(err, EZC_EINVAL, "attrs: empty key");
    return rebuild(a, attr->key, attr, err);
}

int ezc_array_attr_remove(ezc_array *a, const char *key)
{
    if (!ezc_array_attr(a, key))
        return EZC_ENOTFOUND;
    return rebuild(a, key, NULL, NULL);
}

int ezc_array_attr_set_int(ezc_array *a, const char *key, int64_t v, ezc_error *err)
{
    ezc_attr at = {.key = (char *)key, .type = EZC_ATTR_INT, .v.i = v};
    return ezc_array_attr_set(a, &at, err);
}

int ezc_array_attr_set_float(ezc_array *a, const char *key, double v, ezc_error *err)
{
    ezc_attr at = {.key = (char *)key, .type = EZC_ATTR_FLOAT, .v.f = v};
    return ezc_array_attr_set(a, &at, err);
}

int ezc_array_attr_set_bool(ezc_array *a, const char *key, int v, ezc_error *err)
{
    ezc_attr at = {.key = (char *)key, .type = EZC_ATTR_BOOL, .v.b = !!v};
    return ezc_array_attr_set(a, &at, err);
}

int ezc_array_attr_set_str(ezc_array *a, const char *key, const char *v, ezc_error *err)
{
    ezc_attr at = {.key = (char *)key, .type = EZC_ATTR_STR};
    at.v.s.ptr = (char *)v;
    at.v.s.len = strlen(v);
    return ezc_array_attr_set(a, &at, err);
}
