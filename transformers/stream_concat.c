/* stream_concat.c — two messages joined along a dim, with the merged
 * coordinate table cached per pair of input tables. */
#include "stream_concat.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ezc_stream_concat_init(ezc_stream_concat *c, const char *tf, const ezc_settings *s,
                           const char *dflt_axis, ezc_error *err)
{
    return ezc_stream_concat_init_labels(c, tf, s, dflt_axis, "_a", "_b", err);
}

int ezc_stream_concat_init_labels(ezc_stream_concat *c, const char *tf, const ezc_settings *s,
                                  const char *dflt_axis, const char *label_a, const char *label_b,
                                  ezc_error *err)
{
    memset(c, 0, sizeof *c);
    c->tf = tf;
    c->axis = dflt_axis;
    c->label_a = label_a;
    c->label_b = label_b;
    c->relabel = 1;
    if (s) {
        ezc_settings_get_string(s, "axis", &c->axis);
        ezc_settings_get_string(s, "align_axis", &c->align_axis);
        ezc_settings_get_string(s, "label_a", &c->label_a);
        ezc_settings_get_string(s, "label_b", &c->label_b);
        ezc_settings_get_bool(s, "relabel_axis", &c->relabel);
        ezc_settings_get_bool(s, "assert_identical_shared_axes", &c->assert_identical);
        if (ezc_settings_get_string(s, "new_key", &c->new_key) == 0 && !*c->new_key)
            c->new_key = NULL;
    }
    if (!c->axis || !*c->axis || strlen(c->axis) >= EZC_NAME_MAX)
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: setting 'axis' = '%s': expected a dim name of 1 to %d bytes", tf,
                             c->axis ? c->axis : "", EZC_NAME_MAX - 1);
    const char *labels[2] = {c->label_a, c->label_b};
    c->new_labels = ezc_coords_new(2, NULL, labels, err);
    return c->new_labels ? 0 : ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", tf);
}

void ezc_stream_concat_fini(ezc_stream_concat *c)
{
    ezc_buffer_unref(&c->cache);
    ezc_coords_unref(&c->in_a);
    ezc_coords_unref(&c->in_b);
    ezc_coords_unref(&c->merged);
    ezc_coords_unref(&c->new_labels);
}

static int coords_equal(const ezc_coords *x, const ezc_coords *y)
{
    if (x == y)
        return 1;
    if (!x || !y || x->n != y->n || !x->values != !y->values || !x->labels != !y->labels)
        return 0;
    for (size_t i = 0; i < x->n; i++) {
        if (x->values && x->values[i] != y->values[i] &&
            !(isnan(x->values[i]) && isnan(y->values[i])))
            return 0;
        if (x->labels && strcmp(x->labels[i], y->labels[i]) != 0)
            return 0;
    }
    return 1;
}

/* Entry i of a coordinate table as text: its label, or its number. */
static const char *entry_text(const ezc_coords *t, size_t i, char *buf, size_t n)
{
    if (t->labels)
        return t->labels[i];
    snprintf(buf, n, "%.17g", t->values[i]);
    return buf;
}

/* The joined table of ta (n_a entries) and tb: relabelled with the suffixes
 * (numbers become text then), or joined as they are. */
static ezc_coords *join_coords(const ezc_stream_concat *c, const ezc_coords *ta,
                               const ezc_coords *tb, ezc_error *err)
{
    size_t n = ta->n + tb->n;
    if (!c->relabel && !ta->labels != !tb->labels) {
        ezc_error_set(err, EZC_EINVAL,
                      "%s: dim '%s' has labels on one port and numbers on the other: set "
                      "relabel_axis to join them as text",
                      c->tf, c->axis);
        return NULL;
    }
    if (!c->relabel && ta->values) {
        double *v = malloc((n ? n : 1) * sizeof *v);
        if (!v) {
            ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", c->tf);
            return NULL;
        }
        if (ta->n)
            memcpy(v, ta->values, ta->n * sizeof *v);
        if (tb->n)
            memcpy(v + ta->n, tb->values, tb->n * sizeof *v);
        ezc_coords *j = ezc_coords_new(n, v, NULL, err);
        free(v);
        return j;
    }
    char **lab = calloc(n ? n : 1, sizeof *lab);
    ezc_coords *j = NULL;
    if (!lab)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const ezc_coords *t = i < ta->n ? ta : tb;
        size_t k = i < ta->n ? i : i - ta->n;
        const char *suffix = c->relabel ? (t == ta ? c->label_a : c->label_b) : "";
        char num[32];
        const char *base = entry_text(t, k, num, sizeof num);
        size_t len = strlen(base) + strlen(suffix) + 1;
        if (!(lab[i] = malloc(len)))
            goto oom;
        snprintf(lab[i], len, "%s%s", base, suffix);
    }
    j = ezc_coords_new(n, NULL, (const char *const *)lab, err);
    goto done;
oom:
    ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", c->tf);
done:
    for (size_t i = 0; lab && i < n; i++)
        free(lab[i]);
    free(lab);
    return j;
}

static int attr_equal(const ezc_attr *x, const ezc_attr *y)
{
    if (!y || x->type != y->type)
        return 0;
    switch (x->type) {
    case EZC_ATTR_NIL: return 1;
    case EZC_ATTR_BOOL: return x->v.b == y->v.b;
    case EZC_ATTR_INT: return x->v.i == y->v.i;
    case EZC_ATTR_FLOAT: return x->v.f == y->v.f;
    case EZC_ATTR_STR:
        return x->v.s.len == y->v.s.len && memcmp(x->v.s.ptr, y->v.s.ptr, x->v.s.len) == 0;
    case EZC_ATTR_RAW:
        return x->v.raw.len == y->v.raw.len &&
               memcmp(x->v.raw.ptr, y->v.raw.ptr, x->v.raw.len) == 0;
    }
    return 0;
}

/* Keeps in y only the attrs a and b share with equal values. */
static int keep_equal_attrs(ezc_array *y, const ezc_array *b, ezc_error *err)
{
    for (int again = 1; again && y->attrs;) {
        again = 0;
        for (size_t i = 0; i < y->attrs->n; i++) {
            const ezc_attr *x = &y->attrs->items[i];
            if (attr_equal(x, ezc_array_attr(b, x->key)))
                continue;
            char key[256];
            snprintf(key, sizeof key, "%s", x->key);
            if (ezc_array_attr_remove(y, key) && ezc_array_attr(y, key))
                return ezc_error_set(err, EZC_ENOMEM, "out of memory");
            again = 1;
            break;
        }
    }
    return 0;
}

/* assert_identical_shared_axes: every dim but the joined one and the
 * alignment one that both sides describe must be described alike. */
static int check_shared(const ezc_stream_concat *c, const ezc_array *a, const ezc_array *b,
                        ezc_error *err)
{
    for (int i = 0; i < ezc_array_ndim(a); i++) {
        const char *d = a->dims[i];
        int j = ezc_array_axis_index(b, d);
        if (j < 0 || !strcmp(d, c->axis) || (c->align_axis && !strcmp(d, c->align_axis)))
            continue;
        const ezc_axis *x = &a->axes[i], *y = &b->axes[j];
        if (x->kind == EZC_AXIS_COORD && y->kind == EZC_AXIS_COORD &&
            !coords_equal(x->coords, y->coords))
            return ezc_error_set(err, EZC_EINVAL,
                                 "%s: shared dim '%s' has other coordinates on port 'a' than on "
                                 "port 'b' (assert_identical_shared_axes)",
                                 c->tf, d);
        if (x->kind == EZC_AXIS_LINEAR && y->kind == EZC_AXIS_LINEAR && x->gain != y->gain)
            return ezc_error_set(err, EZC_EINVAL,
                                 "%s: shared dim '%s' has gain %g on port 'a', %g on port 'b' "
                                 "(assert_identical_shared_axes)",
                                 c->tf, d, x->gain, y->gain);
    }
    return 0;
}

static int check_pair(const ezc_stream_concat *c, const ezc_array *a, const ezc_array *b, int ia,
                      int ib, ezc_error *err)
{
    char da[EZC_DIMS_STR_MAX], db[EZC_DIMS_STR_MAX];
    if (a->dtype != b->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "%s: port 'a' has %s data, port 'b' %s", c->tf,
                             ezc_dtype_name(a->dtype), ezc_dtype_name(b->dtype));
    if (!ezc_device_equal(a->tensor.device, b->tensor.device)) {
        char xa[32], xb[32];
        return ezc_error_set(err, EZC_EDEVICE, "%s: port 'a' has data on %s, port 'b' on %s", c->tf,
                             ezc_device_format(a->tensor.device, xa, sizeof xa),
                             ezc_device_format(b->tensor.device, xb, sizeof xb));
    }
    if ((ia < 0) != (ib < 0))
        return ezc_error_set(err, EZC_ESHAPE,
                             "%s: setting 'axis' = '%s': port '%s' has that dim and port '%s' "
                             "not (dims: a %s; b %s)",
                             c->tf, c->axis, ia >= 0 ? "a" : "b", ia >= 0 ? "b" : "a",
                             ezc_array_dims_str(a, da, sizeof da),
                             ezc_array_dims_str(b, db, sizeof db));
    int same = ezc_array_ndim(a) == ezc_array_ndim(b) && ia == ib;
    for (int i = 0; same && i < ezc_array_ndim(a); i++)
        same = !strcmp(a->dims[i], b->dims[i]);
    if (!same)
        return ezc_error_set(err, EZC_ESHAPE,
                             "%s: port 'a' has dims (%s), port 'b' (%s): they "
                             "must match",
                             c->tf, ezc_array_dims_str(a, da, sizeof da),
                             ezc_array_dims_str(b, db, sizeof db));
    for (int i = 0; i < ezc_array_ndim(a); i++)
        if (i != ia && a->shape[i] != b->shape[i])
            return ezc_error_set(err, EZC_ESHAPE,
                                 "%s: dim '%s' has length %lld on port 'a', %lld on port 'b'",
                                 c->tf, a->dims[i], (long long)a->shape[i], (long long)b->shape[i]);
    if (ia < 0 && ezc_array_ndim(a) >= EZC_MAX_DIMS)
        return ezc_error_set(err, EZC_ESHAPE, "%s: no room for a new dim '%s' (%d dims)", c->tf,
                             c->axis, ezc_array_ndim(a));
    return c->assert_identical ? check_shared(c, a, b, err) : 0;
}

/* The coordinate table of the joined dim, or NULL (and no error) when the
 * inputs have none to join. */
static int merged_table(ezc_stream_concat *c, const ezc_array *a, const ezc_array *b, int ia,
                        ezc_coords **out, ezc_error *err)
{
    *out = NULL;
    if (ia < 0) {
        *out = c->new_labels;
        return 0;
    }
    ezc_coords *ta = a->axes[ia].kind == EZC_AXIS_COORD ? a->axes[ia].coords : NULL;
    ezc_coords *tb = b->axes[ia].kind == EZC_AXIS_COORD ? b->axes[ia].coords : NULL;
    if (!ta || !tb)
        return 0;
    if (!c->merged || !coords_equal(ta, c->in_a) || !coords_equal(tb, c->in_b)) {
        ezc_coords *m = join_coords(c, ta, tb, err);
        if (!m)
            return err->code ? err->code : EZC_ENOMEM;
        ezc_coords_unref(&c->merged);
        ezc_coords_unref(&c->in_a);
        ezc_coords_unref(&c->in_b);
        c->merged = m;
        c->in_a = ezc_coords_ref(ta);
        c->in_b = ezc_coords_ref(tb);
    }
    *out = c->merged;
    return 0;
}

int ezc_stream_concat_run(ezc_stream_concat *c, const ezc_array *a, const ezc_array *b,
                          ezc_array **out, ezc_error *err)
{
    *out = NULL;
    int ia = ezc_array_axis_index(a, c->axis), ib = ezc_array_axis_index(b, c->axis);
    int rc = check_pair(c, a, b, ia, ib, err);
    ezc_coords *table = NULL;
    if (!rc)
        rc = merged_table(c, a, b, ia, &table, err);
    if (rc)
        return rc;
    ezc_array *va = ezc_array_clone(a, err), *vb = ezc_array_clone(b, err), *y = NULL;
    int axis = ia < 0 ? ezc_array_ndim(a) : ia;
    const ezc_xp *xp = ezc_xp_of(a, err);
    if (!va || !vb || !xp)
        goto fail;
    if (ia < 0 && (ezc_array_expand_dims(va, axis, c->axis, err) ||
                   ezc_array_expand_dims(vb, axis, c->axis, err)))
        goto fail;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, va->shape, sizeof shape);
    shape[axis] = va->shape[axis] + vb->shape[axis];
    y = ezc_array_new_like_cached(va, va->dtype, ezc_array_ndim(va), shape, &c->cache, err);
    const ezc_array *parts[2] = {va, vb};
    /* nothing to copy: never loop over the rows of an empty message */
    if (!y || (ezc_array_size(y) && ezc_xp_call(xp, concat, err, parts, 2, axis, y)))
        goto fail;
    if (table) {
        ezc_coords_unref(&y->axes[axis].coords);
        y->axes[axis].kind = EZC_AXIS_COORD;
        y->axes[axis].gain = 0;
        y->axes[axis].offset = 0;
        y->axes[axis].coords = ezc_coords_ref(table);
    } else if (va->axes[axis].kind == EZC_AXIS_COORD) {
        ezc_array_clear_axis(y, axis);
    }
    if (keep_equal_attrs(y, b, err) || (c->new_key && ezc_array_set_key(y, c->new_key, err)))
        goto fail;
    ezc_array_destroy(&va);
    ezc_array_destroy(&vb);
    *out = y;
    return 0;
fail:
    ezc_array_destroy(&va);
    ezc_array_destroy(&vb);
    ezc_array_destroy(&y);
    return err->code ? err->code : EZC_ENOMEM;
}
