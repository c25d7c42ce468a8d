/* array.c — AxisArray life cycle, dims, axes and copy-on-write.
 *
 * The header is a plain struct owned by one holder; everything heavy in it
 * (buffer, coordinates, attrs) is reference counted, so cloning a header is
 * a memcpy plus a few atomic increments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/array.h"
#include "ezc/xp.h"

static char empty_key[] = "";

static void fix_tensor(ezc_array *a)
{
    a->tensor.shape = a->shape;
    a->tensor.strides = NULL;
    a->tensor.dtype = ezc_dtype_to_dl(a->dtype);
}

int ezc_shape_count(int ndim, const int64_t *shape, const char *what, size_t *out, ezc_error *err)
{
    if (ndim < 0 || ndim > EZC_MAX_DIMS)
        return ezc_error_set(err, EZC_ESHAPE, "%s: %d dims (at most %d)", what, ndim, EZC_MAX_DIMS);
    int zero = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || shape[i] > EZC_MAX_ELEMENTS)
            return ezc_error_set(err, EZC_ESHAPE, "%s[%d] = %lld is out of range [0, 2^40]", what,
                                 i, (long long)shape[i]);
        zero |= shape[i] == 0;
    }
    /* The product of the non-zero dims is bounded too, so that no product
     * of some of the dims (outer x inner around an axis) can wrap, even in
     * an array with no elements. Each partial product is at most 2^40 and
     * each dim at most 2^40 before the check, so 64 bits hold it exactly. */
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] &&
            (__builtin_mul_overflow(n, (uint64_t)shape[i], &n) || n > (uint64_t)EZC_MAX_ELEMENTS))
            return ezc_error_set(err, EZC_ESHAPE, "%s: more than 2^40 elements%s", what,
                                 zero ? " in its non-zero dims" : "");
    }
    if (zero)
        n = 0;
    *out = (size_t)n;
    return 0;
}

static int shape_elements(int ndim, const int64_t *shape, size_t *out, ezc_error *err)
{
    return ezc_shape_count(ndim, shape, "array: shape", out, err);
}

/* A header with no buffer and default metadata. */
static ezc_array *header_new(ezc_dtype dtype, int ndim, const int64_t *shape,
                             const char *const *dims, ezc_error *err)
{
    size_t n;
    if (!ezc_dtype_size(dtype)) {
        ezc_error_set(err, EZC_EDTYPE, "array: invalid dtype %d", (int)dtype);
        return NULL;
    }
    if (shape_elements(ndim, shape, &n, err))
        return NULL;
    ezc_array *a = calloc(1, sizeof *a);
    if (!a) {
        ezc_error_set(err, EZC_ENOMEM, "array: out of memory");
        return NULL;
    }
    a->dtype = dtype;
    a->tensor.ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        a->shape[i] = shape[i];
        if (dims && dims[i]) {
            if (strlen(dims[i]) >= EZC_NAME_MAX) {
                ezc_error_set(err, EZC_EINVAL, "array: dim name '%s' is longer than %d bytes",
                              dims[i], EZC_NAME_MAX - 1);
                free(a);
                return NULL;
            }
            strcpy(a->dims[i], dims[i]);
        } else {
            snprintf(a->dims[i], EZC_NAME_MAX, "dim%d", i);
        }
    }
    a->key = empty_key;
    fix_tensor(a);
    return a;
}

int ezc_array_set_buffer(ezc_array *a, ezc_buffer *b, size_t byte_offset, ezc_error *err)
{
    size_t need = ezc_array_nbytes(a);
    if (!b || byte_offset > b->nbytes || b->nbytes - byte_offset < need)
        return ezc_error_set(err, EZC_ESHAPE, "array: buffer of %zu bytes is too small for %zu",
                             b ? b->nbytes : 0, need + byte_offset);
    ezc_buffer_ref(b);
    ezc_buffer_unref(&a->buf);
    a->buf = b;
    a->tensor.data = b->data;
    a->tensor.byte_offset = byte_offset;
    a->tensor.device = b->device;
    return 0;
}

ezc_array *ezc_array_from_buffer(ezc_buffer *buf, size_t byte_offset, ezc_dtype dtype, int ndim,
                                 const int64_t *shape, const char *const *dims, ezc_error *err)
{
    ezc_array *a = header_new(dtype, ndim, shape, dims, err);
    if (a && ezc_array_set_buffer(a, buf, byte_offset, err))
        ezc_array_destroy(&a);
    return a;
}

ezc_array *ezc_array_new(ezc_dtype dtype, int ndim, const int64_t *shape, const char *const *dims,
                         DLDevice device, ezc_error *err)
{
    ezc_array *a = header_new(dtype, ndim, shape, dims, err);
    if (!a)
        return NULL;
    ezc_buffer *b = ezc_buffer_new(device, ezc_array_nbytes(a), err);
    if (!b) {
        ezc_array_destroy(&a);
        return NULL;
    }
    ezc_array_set_buffer(a, b, 0, NULL);
    ezc_buffer_unref(&b);
    return a;
}

ezc_array *ezc_array_zeros(ezc_dtype dtype, int ndim, const int64_t *shape, const char *const *dims,
                           ezc_error *err)
{
    ezc_array *a = ezc_array_new(dtype, ndim, shape, dims, ezc_device_cpu(), err);
    if (a)
        memset(ezc_array_data(a), 0, ezc_array_nbytes(a));
    return a;
}

static int copy_key(ezc_array *dst, const char *key, ezc_error *err)
{
    if (!key || !*key) {
        dst->key = empty_key;
        return 0;
    }
    dst->key = strdup(key);
    if (!dst->key) {
        dst->key = empty_key;
        return ezc_error_set(err, EZC_ENOMEM, "array: out of memory");
    }
    return 0;
}

ezc_array *ezc_array_clone(const ezc_array *a, ezc_error *err)
{
    ezc_array *c = malloc(sizeof *c);
    if (!c) {
        ezc_error_set(err, EZC_ENOMEM, "array: out of memory");
        return NULL;
    }
    memcpy(c, a, sizeof *c);
    fix_tensor(c);
    ezc_buffer_ref(c->buf);
    ezc_attrs_ref(c->attrs);
    for (int i = 0; i < a->tensor.ndim; i++)
        ezc_coords_ref(c->axes[i].coords);
    if (copy_key(c, a->key, err)) {
        c->key = empty_key;
        ezc_array_destroy(&c);
    }
    return c;
}

/* a's metadata over `buf` (a reference is added), or over a new buffer on
 * a's device when buf is NULL. */
static ezc_array *new_like_over(const ezc_array *a, ezc_dtype dtype, int ndim, const int64_t *shape,
                                ezc_buffer *buf, ezc_error *err)
{
    if (!shape) {
        ndim = a->tensor.ndim;
        shape = a->shape;
    }
    const char *dims[EZC_MAX_DIMS] = {NULL};
    for (int i = 0; i < ndim && i < EZC_MAX_DIMS; i++)
        dims[i] = i < a->tensor.ndim ? a->dims[i] : NULL;
    ezc_array *c = buf ? ezc_array_from_buffer(buf, 0, dtype, ndim, shape, dims, err)
                       : ezc_array_new(dtype, ndim, shape, dims, a->tensor.device, err);
    if (!c)
        return NULL;
    for (int i = 0; i < ndim && i < a->tensor.ndim; i++) {
        if (shape[i] != a->shape[i] && a->axes[i].kind == EZC_AXIS_COORD)
            continue;
        c->axes[i] = a->axes[i];
        ezc_coords_ref(c->axes[i].coords);
    }
    c->attrs = ezc_attrs_ref(a->attrs);
    c->src = a->src;
    c->seq = a->seq;
    c->ts_ns = a->ts_ns;
    if (copy_key(c, a->key, err))
        ezc_array_destroy(&c);
    return c;
}

ezc_array *ezc_array_new_like(const ezc_array *a, ezc_dtype dtype, int ndim, const int64_t *shape,
                              ezc_error *err)
{
    return new_like_over(a, dtype, ndim, shape, NULL, err);
}

ezc_buffer *ezc_buffer_cached(ezc_buffer **cache, size_t need, DLDevice device, ezc_error *err)
{
    ezc_buffer *b = *cache;
    if (b && ezc_buffer_is_unique(b) && b->nbytes >= need && ezc_device_equal(b->device, device))
        return ezc_buffer_ref(b);
    /* Outgrown (sizes that vary a little from message to message: a window
     * count, a tail): leave a quarter of headroom, so the cache settles
     * after a step or two instead of following every new maximum. */
    size_t want = b && b->nbytes < need ? need + need / 4 : need;
    ezc_buffer *nb = ezc_buffer_new(device, want, err);
    if (!nb)
        return NULL;
    ezc_buffer_unref(cache);
    *cache = ezc_buffer_ref(nb);
    return nb;
}

ezc_array *ezc_array_new_like_cached(const ezc_array *a, ezc_dtype dtype, int ndim,
                                     const int64_t *shape, ezc_buffer **cache, ezc_error *err)
{
    size_t need = ezc_dtype_size(dtype);
    for (int i = 0; i < (shape ? ndim : a->tensor.ndim); i++)
        need *= (size_t)(shape ? shape[i] : a->shape[i]);
    ezc_buffer *b = ezc_buffer_cached(cache, need, a->tensor.device, err);
    if (!b)
        return NULL;
    ezc_array *c = new_like_over(a, dtype, ndim, shape, b, err);
    ezc_buffer_unref(&b);
    return c;
}

ezc_array *ezc_array_copy(const ezc_array *a, ezc_error *err)
{
    ezc_array *c = ezc_array_new_like(a, a->dtype, 0, NULL, err);
    if (!c)
        return NULL;
    const ezc_xp *xp = ezc_xp_of(a, err);
    if (!xp || ezc_xp_call(xp, copy, err, a, c))
        ezc_array_destroy(&c);
    return c;
}

void ezc_array_destroy(ezc_array **ap)
{
    if (!ap || !*ap)
        return;
    ezc_array *a = *ap;
    *ap = NULL;
    ezc_buffer_unref(&a->buf);
    for (int i = 0; i < EZC_MAX_DIMS; i++)
        ezc_coords_unref(&a->axes[i].coords);
    ezc_attrs_unref(&a->attrs);
    if (a->key != empty_key)
        free(a->key);
    free(a);
}

size_t ezc_array_size(const ezc_array *a)
{
    size_t n = 1;
    for (int i = 0; i < a->tensor.ndim; i++)
        n *= (size_t)a->shape[i];
    return n;
}

size_t ezc_array_nbytes(const ezc_array *a)
{
    return ezc_array_size(a) * ezc_dtype_size(a->dtype);
}

int ezc_array_is_writable(const ezc_array *a)
{
    return ezc_buffer_is_unique(a->buf);
}

static _Thread_local ezc_array_cow_fn cow_fn;
static _Thread_local void *cow_ctx;

void ezc_array_cow_target(ezc_array_cow_fn fn, void *ctx)
{
    cow_fn = fn;
    cow_ctx = fn ? ctx : NULL;
}

/* The copy into the thread's target, when it has one and a is on the CPU
 * (arrays are C-contiguous): 1 done, 0 not (the default copy follows), <0
 * an error. */
static int cow_to_target(ezc_array *a, ezc_error *err)
{
    size_t nbytes = ezc_array_nbytes(a);
    if (!cow_fn || a->tensor.device.device_type != kDLCPU || nbytes == 0)
        return 0;
    ezc_buffer *b = cow_fn(cow_ctx, nbytes, err);
    if (!b)
        return 0;
    memcpy(b->data, ezc_array_data(a), nbytes);
    int rc = ezc_array_set_buffer(a, b, 0, err);
    ezc_buffer_unref(&b);
    return rc ? rc : 1;
}

int ezc_array_make_writable(ezc_array *a, ezc_error *err)
{
    if (ezc_array_is_writable(a))
        return 0;
    int t = cow_to_target(a, err);
    if (t)
        return t < 0 ? ezc_error_prefix(err, "copy-on-write") : 0;
    ezc_array *c = ezc_array_copy(a, err);
    if (!c)
        return ezc_error_prefix(err, "copy-on-write");
    ezc_array_set_buffer(a, c->buf, c->tensor.byte_offset, NULL);
    ezc_array_destroy(&c);
    return 0;
}

/* ---- dims and axes ---------------------------------------------------- */

int ezc_array_axis_index(const ezc_array *a, const char *name)
{
    for (int i = 0; i < a->tensor.ndim; i++)
        if (strcmp(a->dims[i], name) == 0)
            return i;
    return -1;
}

int ezc_array_require_axis(const ezc_array *a, const char *name, int *index, ezc_error *err)
{
    int i = ezc_array_axis_index(a, name);
    if (i >= 0) {
        *index = i;
        return 0;
    }
    char known[EZC_DIMS_STR_MAX];
    return ezc_error_set(err, EZC_ENOTFOUND, "array has no dim '%s' (dims: %s)", name,
                         ezc_array_dims_str(a, known, sizeof known));
}

const char *ezc_array_dims_str(const ezc_array *a, char *buf, size_t n)
{
    size_t at = 0;
    if (!n)
        return buf;
    buf[0] = 0;
    for (int d = 0; d < a->tensor.ndim && at < n; d++) {
        int w = snprintf(buf + at, n - at, "%s%s", d ? ", " : "", a->dims[d]);
        at += w > 0 ? (size_t)w : 0;
    }
    if (!a->tensor.ndim)
        snprintf(buf, n, "none");
    return buf;
}

int ezc_array_set_dim(ezc_array *a, int index, const char *name, ezc_error *err)
{
    if (index < 0 || index >= a->tensor.ndim)
        return ezc_error_set(err, EZC_EINVAL, "array: dim index %d out of range", index);
    if (!name || !*name || strlen(name) >= EZC_NAME_MAX)
        return ezc_error_set(err, EZC_EINVAL, "array: dim name must be 1..%d bytes",
                             EZC_NAME_MAX - 1);
    strcpy(a->dims[index], name);
    return 0;
}

int ezc_array_check(const ezc_array *a, ezc_error *err)
{
    for (int i = 0; i < a->tensor.ndim; i++) {
        if (!a->dims[i][0])
            return ezc_error_set(err, EZC_EINVAL, "dims[%d]: empty name", i);
        for (int j = 0; j < i; j++)
            if (strcmp(a->dims[i], a->dims[j]) == 0)
                return ezc_error_set(err, EZC_EINVAL, "dims[%d]: duplicate dim '%s'", i,
                                     a->dims[i]);
        const ezc_axis *ax = &a->axes[i];
        if (ax->kind == EZC_AXIS_COORD && (!ax->coords || ax->coords->n != (size_t)a->shape[i]))
            return ezc_error_set(err, EZC_ESHAPE,
                                 "axes.%s: %zu coordinates for a dim of length %lld", a->dims[i],
                                 ax->coords ? ax->coords->n : 0, (long long)a->shape[i]);
    }
    return 0;
}

static void set_unit(ezc_axis *ax, const char *unit)
{
    snprintf(ax->unit, sizeof ax->unit, "%s", unit ? unit : "");
}

void ezc_array_clear_axis(ezc_array *a, int index)
{
    if (index < 0 || index >= EZC_MAX_DIMS)
        return;
    ezc_coords_unref(&a->axes[index].coords);
    memset(&a->axes[index], 0, sizeof a->axes[index]);
}

void ezc_array_set_linear_axis(ezc_array *a, int index, double gain, double offset,
                               const char *unit)
{
    if (index < 0 || index >= a->tensor.ndim)
        return;
    ezc_array_clear_axis(a, index);
    a->axes[index].kind = EZC_AXIS_LINEAR;
    a->axes[index].gain = gain;
    a->axes[index].offset = offset;
    set_unit(&a->axes[index], unit);
}

static int set_coords(ezc_array *a, int index, ezc_coords *c, const char *unit, ezc_error *err)
{
    if (!c)
        return err ? err->code : EZC_ENOMEM;
    ezc_array_clear_axis(a, index);
    a->axes[index].kind = EZC_AXIS_COORD;
    a->axes[index].coords = c;
    set_unit(&a->axes[index], unit);
    return 0;
}

int ezc_array_set_coord_values(ezc_array *a, int index, const double *values, size_t n,
                               const char *unit, ezc_error *err)
{
    if (index < 0 || index >= a->tensor.ndim)
        return ezc_error_set(err, EZC_EINVAL, "array: dim index %d out of range", index);
    return set_coords(a, index, ezc_coords_new(n, values, NULL, err), unit, err);
}

int ezc_array_set_coord_labels(ezc_array *a, int index, const char *const *labels, size_t n,
                               const char *unit, ezc_error *err)
{
    if (index < 0 || index >= a->tensor.ndim)
        return ezc_error_set(err, EZC_EINVAL, "array: dim index %d out of range", index);
    return set_coords(a, index, ezc_coords_new(n, NULL, labels, err), unit, err);
}

int ezc_axis_value(const ezc_axis *ax, int64_t i, double *out)
{
    if (ax->kind == EZC_AXIS_LINEAR) {
        *out = ax->offset + ax->gain * (double)i;
        return 0;
    }
    if (ax->kind == EZC_AXIS_COORD && ax->coords && ax->coords->values && i >= 0 &&
        (size_t)i < ax->coords->n) {
        *out = ax->coords->values[i];
        return 0;
    }
    return EZC_ENOTFOUND;
}

/* One allocation holds the struct, the values or label pointers, and the
 * label bytes, so a decoded 64-label axis costs a single malloc. */
ezc_coords *ezc_coords_new(size_t n, const double *values, const char *const *labels,
                           ezc_error *err)
{
    size_t bytes = sizeof(ezc_coords);
    if (values)
        bytes += n * sizeof(double);
    if (labels) {
        bytes += n * sizeof(char *);
        for (size_t i = 0; i < n; i++)
            bytes += strlen(labels[i]) + 1;
    }
    ezc_coords *c = malloc(bytes);
    if (!c) {
        ezc_error_set(err, EZC_ENOMEM, "coords: out of memory");
        return NULL;
    }
    atomic_init(&c->refs, 1);
    c->n = n;
    c->values = NULL;
    c->labels = NULL;
    char *p = (char *)(c + 1);
    if (values) {
        c->values = (double *)p;
        memcpy(c->values, values, n * sizeof(double));
        p += n * sizeof(double);
    }
    if (labels) {
        c->labels = (char **)p;
        p += n * sizeof(char *);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(labels[i]) + 1;
            memcpy(p, labels[i], len);
            c->labels[i] = p;
            p += len;
        }
    }
    return c;
}

ezc_coords *ezc_coords_ref(ezc_coords *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void ezc_coords_unref(ezc_coords **cp)
{
    if (!cp || !*cp)
        return;
    ezc_coords *c = *cp;
    *cp = NULL;
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        free(c);
}

int ezc_array_set_key(ezc_array *a, const char *key, ezc_error *err)
{
    char *old = a->key;
    int rc = copy_key(a, key, err);
    if (rc) {
        a->key = old;
        return rc;
    }
    if (old != empty_key)
        free(old);
    return 0;
}

void ezc_array_split(const ezc_array *a, int axis, size_t *outer, size_t *n, size_t *inner)
{
    size_t o = 1, k = 1;
    for (int i = 0; i < axis; i++)
        o *= (size_t)a->shape[i];
    for (int i = axis + 1; i < a->tensor.ndim; i++)
        k *= (size_t)a->shape[i];
    *outer = o;
    *n = (size_t)a->shape[axis];
    *inner = k;
}

int ezc_array_squeeze(ezc_array *a, int axis, ezc_error *err)
{
    int nd = a->tensor.ndim;
    if (axis < 0)
        axis += nd;
    if (axis < 0 || axis >= nd || a->shape[axis] != 1)
        return ezc_error_set(err, EZC_ESHAPE, "array: cannot remove dim %d (%s)", axis,
                             axis >= 0 && axis < nd ? "its length is not 1" : "no such dim");
    ezc_coords_unref(&a->axes[axis].coords);
    for (int i = axis; i + 1 < nd; i++) {
        a->shape[i] = a->shape[i + 1];
        memcpy(a->dims[i], a->dims[i + 1], EZC_NAME_MAX);
        a->axes[i] = a->axes[i + 1];
    }
    memset(&a->axes[nd - 1], 0, sizeof a->axes[nd - 1]);
    a->dims[nd - 1][0] = 0;
    a->shape[nd - 1] = 0;
    a->tensor.ndim = nd - 1;
    fix_tensor(a);
    return 0;
}

int ezc_array_expand_dims(ezc_array *a, int axis, const char *name, ezc_error *err)
{
    int nd = a->tensor.ndim;
    if (axis < 0)
        axis += nd + 1;
    if (axis < 0 || axis > nd || nd >= EZC_MAX_DIMS)
        return ezc_error_set(err, EZC_ESHAPE, "array: cannot insert dim %d into %d dims", axis, nd);
    if (!name || !*name || strlen(name) >= EZC_NAME_MAX || ezc_array_axis_index(a, name) >= 0)
        return ezc_error_set(err, EZC_EINVAL, "array: dim name '%s' is %s", name ? name : "",
                             name && *name && strlen(name) < EZC_NAME_MAX ? "taken" : "not valid");
    for (int i = nd; i > axis; i--) {
        a->shape[i] = a->shape[i - 1];
        memcpy(a->dims[i], a->dims[i - 1], EZC_NAME_MAX);
        a->axes[i] = a->axes[i - 1];
    }
    a->shape[axis] = 1;
    strcpy(a->dims[axis], name);
    memset(&a->axes[axis], 0, sizeof a->axes[axis]);
    a->tensor.ndim = nd + 1;
    fix_tensor(a);
    return 0;
}
