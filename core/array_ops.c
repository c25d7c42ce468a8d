/* array_ops.c — slice, take, concat, permute and iterate AxisArrays.
 *
 * These keep the metadata right (linear offsets move, coordinates follow
 * their indices) and leave the bytes to the backend, so they work on any
 * device a backend is loaded for. */
#include <stdlib.h>
#include <string.h>
#include "ezc/xp.h"

static int norm_axis(const ezc_array *a, int *axis, ezc_error *err)
{
    int nd = a->tensor.ndim;
    if (*axis < 0)
        *axis += nd;
    if (*axis < 0 || *axis >= nd)
        return ezc_error_set(err, EZC_EINVAL, "axis %d out of range for %d dims", *axis, nd);
    return 0;
}

/* Coordinates at idx[0..n) of c (a new reference). */
static ezc_coords *coords_take(const ezc_coords *c, const int64_t *idx, size_t n, ezc_error *err)
{
    double *v = NULL;
    const char **l = NULL;
    if (c->values && !(v = malloc((n ? n : 1) * sizeof *v)))
        goto oom;
    if (c->labels && !(l = malloc((n ? n : 1) * sizeof *l)))
        goto oom;
    for (size_t i = 0; i < n; i++) {
        if (v)
            v[i] = c->values[idx[i]];
        if (l)
            l[i] = c->labels[idx[i]];
    }
    ezc_coords *out = ezc_coords_new(n, v, l, err);
    free(v);
    free(l);
    return out;
oom:
    free(v);
    ezc_error_set(err, EZC_ENOMEM, "coords: out of memory");
    return NULL;
}

/* Metadata for an output that has x's dims but `n` entries idx along axis. */
static int axis_after_take(ezc_array *y, int axis, const ezc_array *x, const int64_t *idx, size_t n,
                           int contiguous, ezc_error *err)
{
    const ezc_axis *ax = &x->axes[axis];
    ezc_array_clear_axis(y, axis);
    if (ax->kind == EZC_AXIS_LINEAR) {
        /* Evenly spaced indices (a slice with a step) keep a linear axis. */
        int64_t step = n > 1 ? idx[1] - idx[0] : 1;
        for (size_t i = 2; i < n && step > 0; i++)
            if (idx[i] - idx[i - 1] != step)
                step = 0;
        if (contiguous || step > 0) {
            ezc_array_set_linear_axis(y, axis, ax->gain * (double)(contiguous ? 1 : step),
                                      ax->offset + ax->gain * (double)(n ? idx[0] : 0), ax->unit);
        } else {
            /* Arbitrary indices: the values become explicit coordinates. */
            double *v = malloc((n ? n : 1) * sizeof *v);
            if (!v)
                return ezc_error_set(err, EZC_ENOMEM, "take: out of memory");
            for (size_t i = 0; i < n; i++)
                v[i] = ax->offset + ax->gain * (double)idx[i];
            int rc = ezc_array_set_coord_values(y, axis, v, n, ax->unit, err);
            free(v);
            return rc;
        }
    } else if (ax->kind == EZC_AXIS_COORD && ax->coords) {
        ezc_coords *c = coords_take(ax->coords, idx, n, err);
        if (!c)
            return err ? err->code : EZC_ENOMEM;
        y->axes[axis].kind = EZC_AXIS_COORD;
        y->axes[axis].coords = c;
        memcpy(y->axes[axis].unit, ax->unit, sizeof ax->unit);
    }
    return 0;
}

static ezc_array *take_impl(const ezc_array *a, int axis, const int64_t *idx, size_t n,
                            int contiguous, ezc_buffer **cache, ezc_error *err)
{
    if (norm_axis(a, &axis, err))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= a->shape[axis]) {
            ezc_error_set(err, EZC_EINVAL,
                          "take: index %lld out of range for dim '%s' of length %lld",
                          (long long)idx[i], a->dims[axis], (long long)a->shape[axis]);
            return NULL;
        }
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = (int64_t)n;
    ezc_array *y = NULL;
    if (contiguous && axis == 0) {
        /* A view: same buffer, later byte offset. */
        size_t row = ezc_array_nbytes(a) / (a->shape[0] ? (size_t)a->shape[0] : 1);
        if (a->shape[0] == 0)
            row = 0;
        y = ezc_array_clone(a, err);
        if (!y)
            return NULL;
        y->shape[0] = (int64_t)n;
        y->tensor.byte_offset += (n ? (size_t)idx[0] : 0) * row;
    } else {
        y = cache ? ezc_array_new_like_cached(a, a->dtype, a->tensor.ndim, shape, cache, err)
                  : ezc_array_new_like(a, a->dtype, a->tensor.ndim, shape, err);
        if (!y)
            return NULL;
        const ezc_xp *xp = ezc_xp_of(a, err);
        if (!xp || ezc_xp_call(xp, take, err, a, axis, idx, n, y)) {
            ezc_array_destroy(&y);
            return NULL;
        }
    }
    if (axis_after_take(y, axis, a, idx, n, contiguous, err))
        ezc_array_destroy(&y);
    return y;
}

ezc_array *ezc_array_take(const ezc_array *a, int axis, const int64_t *idx, size_t n,
                          ezc_error *err)
{
    return take_impl(a, axis, idx, n, 0, NULL, err);
}

ezc_array *ezc_array_take_cached(const ezc_array *a, int axis, const int64_t *idx, size_t n,
                                 ezc_buffer **cache, ezc_error *err)
{
    int contiguous = 1;
    for (size_t i = 1; i < n && contiguous; i++)
        contiguous = idx[i] == idx[i - 1] + 1;
    return take_impl(a, axis, idx, n, contiguous, cache, err);
}

ezc_array *ezc_array_slice(const ezc_array *a, int axis, int64_t start, int64_t stop,
                           ezc_error *err)
{
    if (norm_axis(a, &axis, err))
        return NULL;
    int64_t len = a->shape[axis];
    if (start < 0)
        start += len;
    if (stop < 0)
        stop += len;
    if (start < 0)
        start = 0;
    if (start > len)
        start = len;
    if (stop > len)
        stop = len;
    if (stop < start)
        stop = start;
    size_t n = (size_t)(stop - start);
    int64_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) {
        ezc_error_set(err, EZC_ENOMEM, "slice: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = start + (int64_t)i;
    if (n == 0)
        idx[0] = start;
    ezc_array *y = NULL;
    if (n == 0) {
        /* Keep the offset of the (empty) position for a linear axis. */
        y = take_impl(a, axis, idx, 0, 1, NULL, err);
        if (y && a->axes[axis].kind == EZC_AXIS_LINEAR)
            y->axes[axis].offset = a->axes[axis].offset + a->axes[axis].gain * (double)start;
    } else {
        y = take_impl(a, axis, idx, n, 1, NULL, err);
    }
    free(idx);
    return y;
}

ezc_array *ezc_array_concat(const ezc_array *const *as, size_t n, int axis, ezc_error *err)
{
    if (n == 0) {
        ezc_error_set(err, EZC_EINVAL, "concat: no arrays");
        return NULL;
    }
    const ezc_array *a0 = as[0];
    if (norm_axis(a0, &axis, err))
        return NULL;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, a0->shape, sizeof shape);
    shape[axis] = 0;
    int coords = a0->axes[axis].kind == EZC_AXIS_COORD && a0->axes[axis].coords;
    for (size_t k = 0; k < n; k++) {
        const ezc_array *b = as[k];
        if (b->tensor.ndim != a0->tensor.ndim || b->dtype != a0->dtype ||
            !ezc_device_equal(b->tensor.device, a0->tensor.device)) {
            ezc_error_set(err, EZC_ESHAPE, "concat: array %zu differs in dims, dtype or device", k);
            return NULL;
        }
        for (int d = 0; d < a0->tensor.ndim; d++) {
            if (strcmp(b->dims[d], a0->dims[d]) != 0 ||
                (d != axis && b->shape[d] != a0->shape[d])) {
                ezc_error_set(err, EZC_ESHAPE,
                              "concat: array %zu dim %d ('%s', %lld) does not match ('%s', %lld)",
                              k, d, b->dims[d], (long long)b->shape[d], a0->dims[d],
                              (long long)a0->shape[d]);
                return NULL;
            }
        }
        if (coords && (b->axes[axis].kind != EZC_AXIS_COORD || !b->axes[axis].coords))
            coords = 0;
        shape[axis] += b->shape[axis];
    }
    ezc_array *y = ezc_array_new_like(a0, a0->dtype, a0->tensor.ndim, shape, err);
    if (!y)
        return NULL;
    const ezc_xp *xp = ezc_xp_of(a0, err);
    if (!xp || ezc_xp_call(xp, concat, err, as, n, axis, y)) {
        ezc_array_destroy(&y);
        return NULL;
    }
    ezc_array_clear_axis(y, axis);
    if (a0->axes[axis].kind == EZC_AXIS_LINEAR) {
        y->axes[axis] = a0->axes[axis];
    } else if (coords) {
        size_t total = (size_t)shape[axis], at = 0;
        int has_v = a0->axes[axis].coords->values != NULL;
        double *v = has_v ? malloc((total ? total : 1) * sizeof *v) : NULL;
        const char **l = has_v ? NULL : malloc((total ? total : 1) * sizeof *l);
        if ((has_v && !v) || (!has_v && !l)) {
            free(v);
            free(l);
            ezc_array_destroy(&y);
            ezc_error_set(err, EZC_ENOMEM, "concat: out of memory");
            return NULL;
        }
        int ok = 1;
        for (size_t k = 0; k < n && ok; k++) {
            const ezc_coords *c = as[k]->axes[axis].coords;
            for (size_t i = 0; i < c->n; i++, at++) {
                if (has_v && c->values)
                    v[at] = c->values[i];
                else if (!has_v && c->labels)
                    l[at] = c->labels[i];
                else
                    ok = 0;
            }
        }
        if (ok && has_v)
            ezc_array_set_coord_values(y, axis, v, total, a0->axes[axis].unit, err);
        else if (ok)
            ezc_array_set_coord_labels(y, axis, l, total, a0->axes[axis].unit, err);
        free(v);
        free(l);
    }
    return y;
}

ezc_array *ezc_array_permute(const ezc_array *a, const int *perm, ezc_error *err)
{
    return ezc_array_permute_cached(a, perm, NULL, err);
}

ezc_array *ezc_array_permute_cached(const ezc_array *a, const int *perm, ezc_buffer **cache,
                                    ezc_error *err)
{
    int nd = a->tensor.ndim, seen[EZC_MAX_DIMS] = {0};
    for (int i = 0; i < nd; i++) {
        if (perm[i] < 0 || perm[i] >= nd || seen[perm[i]]++) {
            ezc_error_set(err, EZC_EINVAL, "permute: perm is not a permutation of %d dims", nd);
            return NULL;
        }
    }
    int64_t shape[EZC_MAX_DIMS];
    const char *dims[EZC_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        shape[i] = a->shape[perm[i]];
        dims[i] = a->dims[perm[i]];
    }
    ezc_array *y = NULL;
    if (cache) {
        ezc_buffer *b = ezc_buffer_cached(cache, ezc_array_nbytes(a), a->tensor.device, err);
        y = b ? ezc_array_from_buffer(b, 0, a->dtype, nd, shape, dims, err) : NULL;
        ezc_buffer_unref(&b);
    } else {
        y = ezc_array_new(a->dtype, nd, shape, dims, a->tensor.device, err);
    }
    if (!y)
        return NULL;
    const ezc_xp *xp = ezc_xp_of(a, err);
    if (!xp || ezc_xp_call(xp, permute, err, a, perm, y)) {
        ezc_array_destroy(&y);
        return NULL;
    }
    for (int i = 0; i < nd; i++) {
        y->axes[i] = a->axes[perm[i]];
        ezc_coords_ref(y->axes[i].coords);
    }
    y->attrs = ezc_attrs_ref(a->attrs);
    y->src = a->src;
    y->seq = a->seq;
    y->ts_ns = a->ts_ns;
    if (ezc_array_set_key(y, a->key, err))
        ezc_array_destroy(&y);
    return y;
}

void ezc_array_iter_init(ezc_array_iter *it, const ezc_array *a, int axis)
{
    it->a = a;
    it->axis = axis < 0 ? axis + a->tensor.ndim : axis;
    it->i = 0;
}

ezc_array *ezc_array_iter_next(ezc_array_iter *it, ezc_error *err)
{
    const ezc_array *a = it->a;
    int axis = it->axis;
    if (axis < 0 || axis >= a->tensor.ndim || it->i >= a->shape[axis])
        return NULL;
    ezc_array *s = ezc_array_slice(a, axis, it->i, it->i + 1, err);
    if (!s)
        return NULL;
    it->i++;
    /* Drop the length-1 dim (the data stays C-contiguous). */
    for (int d = axis; d < s->tensor.ndim - 1; d++) {
        s->shape[d] = s->shape[d + 1];
        memcpy(s->dims[d], s->dims[d + 1], EZC_NAME_MAX);
        if (d == axis)
            ezc_coords_unref(&s->axes[d].coords);
        s->axes[d] = s->axes[d + 1];
    }
    if (axis == s->tensor.ndim - 1)
        ezc_coords_unref(&s->axes[axis].coords);
    s->tensor.ndim--;
    memset(&s->axes[s->tensor.ndim], 0, sizeof s->axes[0]);
    s->dims[s->tensor.ndim][0] = '\0';
    s->shape[s->tensor.ndim] = 0;
    return s;
}

ezc_array *ezc_array_to_device(const ezc_array *a, DLDevice device, ezc_error *err)
{
    if (ezc_device_equal(a->tensor.device, device))
        return ezc_array_clone(a, err);
    /* The non-CPU side's backend does the transfer. */
    DLDevice far = a->tensor.device.device_type == kDLCPU ? device : a->tensor.device;
    const ezc_xp *xp = ezc_xp_for(far, err);
    if (!xp)
        return NULL;
    ezc_array *y = ezc_array_clone(a, err);
    if (!y)
        return NULL;
    ezc_buffer *b = ezc_buffer_new(device, ezc_array_nbytes(a), err);
    if (!b) {
        ezc_array_destroy(&y);
        return NULL;
    }
    ezc_array_set_buffer(y, b, 0, NULL);
    ezc_buffer_unref(&b);
    if (ezc_xp_call(xp, copy, err, a, y))
        ezc_array_destroy(&y);
    return y;
}
