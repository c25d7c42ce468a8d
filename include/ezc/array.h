/* ezc/array.h — the AxisArray: the message that flows between nodes.
 *
 * An ezc_array is a DLPack tensor (C-contiguous, little-endian) over a
 * shared ezc_buffer, plus a name per dimension, an optional axis per
 * dimension (linear: gain/offset/unit; coordinate: numbers or string labels),
 * a stream key, free-form attrs and transport metadata (publisher id,
 * sequence number, publish time). Semantics follow ezmsg's AxisArray.
 *
 * The header (this struct) is never shared: each holder has its own, and
 * ezc_array_clone is cheap (it adds references to the buffer, coordinates
 * and attrs). Writes go through ezc_array_make_writable, which copies the
 * buffer only when someone else holds it. Functions here are safe to call
 * from any thread on distinct arrays. */
#ifndef EZC_ARRAY_H
#define EZC_ARRAY_H

#include <stdint.h>
#include <stddef.h>
#include <dlpack/dlpack.h>
#include "buffer.h"
#include "dtype.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_MAX_DIMS 8
#define EZC_NAME_MAX 32 /* dim names and units, including the NUL */
#define EZC_MAX_ELEMENTS ((int64_t)1 << 40)

typedef enum {
    EZC_AXIS_NONE = 0, /* no axis: indices only */
    EZC_AXIS_LINEAR,   /* value(i) = offset + gain * i */
    EZC_AXIS_COORD     /* explicit values or labels, one per index */
} ezc_axis_kind;

/* Immutable, reference-counted coordinate data: n numbers or n labels. */
typedef struct ezc_coords {
    atomic_int refs;
    size_t n;
    double *values; /* n numbers, or NULL */
    char **labels;  /* n NUL-terminated labels, or NULL */
} ezc_coords;

typedef struct ezc_axis {
    ezc_axis_kind kind;
    double gain;   /* linear */
    double offset; /* linear */
    char unit[EZC_NAME_MAX];
    ezc_coords *coords; /* coordinate axes; a reference owned by the array */
} ezc_axis;

typedef enum {
    EZC_ATTR_NIL = 0,
    EZC_ATTR_BOOL,
    EZC_ATTR_INT,
    EZC_ATTR_FLOAT,
    EZC_ATTR_STR,
    EZC_ATTR_RAW /* any other msgpack value, kept as its encoded bytes */
} ezc_attr_type;

typedef struct ezc_attr {
    char *key;
    ezc_attr_type type;
    union {
        int b;
        int64_t i;
        double f;
        struct {
            char *ptr;
            size_t len;
        } s; /* STR: NUL-terminated too */
        struct {
            void *ptr;
            size_t len;
        } raw; /* RAW: one msgpack object */
    } v;
} ezc_attr;

/* Immutable, reference-counted attribute list (setters replace it). */
typedef struct ezc_attrs {
    atomic_int refs;
    size_t n;
    ezc_attr *items;
} ezc_attrs;

typedef struct ezc_array {
    DLTensor tensor; /* data = buf->data + byte_offset handled by DLPack */
    int64_t shape[EZC_MAX_DIMS];
    ezc_dtype dtype;
    ezc_buffer *buf; /* one reference owned by this header */
    char dims[EZC_MAX_DIMS][EZC_NAME_MAX];
    ezc_axis axes[EZC_MAX_DIMS]; /* axes[i] describes dims[i] */
    char *key;                   /* stream key, never NULL ("" when absent) */
    ezc_attrs *attrs;            /* NULL when empty */
    uint64_t src;                /* publisher id (random per publisher instance) */
    uint64_t seq;                /* publisher's sequence number */
    int64_t ts_ns;               /* publish time, CLOCK_REALTIME nanoseconds */
} ezc_array;

/* ---- life cycle ------------------------------------------------------- */

/* A new array of the given dtype and shape on `device`, data uninitialised.
 * dims may be NULL (names "dim0", "dim1", ...). Caller owns the result. */
ezc_array *ezc_array_new(ezc_dtype dtype, int ndim, const int64_t *shape, const char *const *dims,
                         DLDevice device, ezc_error *err);
/* Like ezc_array_new on the CPU, filled with zeros. */
ezc_array *ezc_array_zeros(ezc_dtype dtype, int ndim, const int64_t *shape, const char *const *dims,
                           ezc_error *err);
/* A header over an existing buffer (adds a reference to it); the buffer must
 * hold at least byte_offset + nbytes(shape, dtype). */
ezc_array *ezc_array_from_buffer(ezc_buffer *buf, size_t byte_offset, ezc_dtype dtype, int ndim,
                                 const int64_t *shape, const char *const *dims, ezc_error *err);
/* A new header sharing a's buffer, coordinates and attrs (no data copy). */
ezc_array *ezc_array_clone(const ezc_array *a, ezc_error *err);
/* A new array with a's metadata and its own copy of the data, on a's device. */
ezc_array *ezc_array_copy(const ezc_array *a, ezc_error *err);
/* Metadata of a (dims, axes, key, attrs, transport fields) with a new
 * uninitialised buffer of another dtype and/or shape. Axes of dims whose
 * length changed are dropped; pass shape NULL to keep a's shape. */
ezc_array *ezc_array_new_like(const ezc_array *a, ezc_dtype dtype, int ndim, const int64_t *shape,
                              ezc_error *err);
/* Like ezc_array_new_like, but the data comes from *cache when nobody else
 * holds that buffer any more and it is large enough and on a's device;
 * otherwise a new buffer is allocated and *cache keeps a reference to it.
 * A transformer keeps one cache per output (freed with ezc_buffer_unref in
 * fini), so its steady path allocates no data once downstream has let go
 * of the previous message. */
ezc_array *ezc_array_new_like_cached(const ezc_array *a, ezc_dtype dtype, int ndim,
                                     const int64_t *shape, ezc_buffer **cache, ezc_error *err);
/* The buffer behind the *_cached calls: a new reference to *cache when
 * nobody else holds it and it has need bytes on device, else a new buffer
 * (with headroom when the cache was outgrown) that *cache then keeps. */
ezc_buffer *ezc_buffer_cached(ezc_buffer **cache, size_t need, DLDevice device, ezc_error *err);
/* Frees the header and drops its references; sets *a to NULL. NULL-safe. */
void ezc_array_destroy(ezc_array **a);

/* ---- data ------------------------------------------------------------- */

static inline int ezc_array_ndim(const ezc_array *a)
{
    return a->tensor.ndim;
}
static inline void *ezc_array_data(const ezc_array *a)
{
    return (char *)a->tensor.data + a->tensor.byte_offset;
}
static inline DLDevice ezc_array_device(const ezc_array *a)
{
    return a->tensor.device;
}
/* Elements of a shape read from outside (wire, file, settings): the product
 * of the dims (0 when some dim is 0). Each dim must lie in
 * [0, EZC_MAX_ELEMENTS], and the product of the non-zero dims must not
 * exceed EZC_MAX_ELEMENTS (checked before each multiplication, so it never
 * wraps; bounding the non-zero dims keeps every partial product, such as
 * outer x inner around an axis, in range even when the array is empty);
 * otherwise EZC_ESHAPE with a message that starts with `what`
 * ("header.shape"). Every reader of an outside shape calls this before
 * trusting it; array constructors call it too. */
int ezc_shape_count(int ndim, const int64_t *shape, const char *what, size_t *out, ezc_error *err);
size_t ezc_array_size(const ezc_array *a);   /* elements */
size_t ezc_array_nbytes(const ezc_array *a); /* size * itemsize */
/* True when writing the data cannot be seen by another holder. */
int ezc_array_is_writable(const ezc_array *a);
/* Ensures a has a buffer of its own (copying the data when it is shared),
 * so the caller may write in place. */
int ezc_array_make_writable(ezc_array *a, ezc_error *err);

/* Where this thread's copies-on-write of CPU arrays go: fn(ctx, nbytes,
 * err) gives a buffer of nbytes, or NULL (err untouched) for the default
 * heap buffer. A node's loop sets its output publisher here
 * (ezc_pub_cow_buffer): a transformer that writes in place on data it
 * received through shared memory then copies it straight into the slot
 * that will carry its output, which is sent without another copy. NULL fn
 * restores the default. Thread-local: each thread sets its own. */
typedef struct ezc_buffer *(*ezc_array_cow_fn)(void *ctx, size_t nbytes, ezc_error *err);
void ezc_array_cow_target(ezc_array_cow_fn fn, void *ctx);
/* Replaces a's buffer by b (adds a reference), keeping a's dtype/shape;
 * b must be large enough. */
int ezc_array_set_buffer(ezc_array *a, ezc_buffer *b, size_t byte_offset, ezc_error *err);

/* ---- dims and axes ---------------------------------------------------- */

/* Index of the dim named `name`, or -1. */
int ezc_array_axis_index(const ezc_array *a, const char *name);
/* Like ezc_array_axis_index, but fills err ("array has no dim 'time' (dims:
 * ch, freq)") and returns EZC_ENOTFOUND when absent. */
/* a's dim names as "time, ch" ("none" for a 0-d array) in buf (n bytes,
 * truncated to fit); returns buf. For error messages. */
const char *ezc_array_dims_str(const ezc_array *a, char *buf, size_t n);
#define EZC_DIMS_STR_MAX (EZC_MAX_DIMS * (EZC_NAME_MAX + 2) + 1) /* room for any a */
int ezc_array_require_axis(const ezc_array *a, const char *name, int *index, ezc_error *err);
int ezc_array_set_dim(ezc_array *a, int index, const char *name, ezc_error *err);
/* Removes dim `axis`, which must have length 1 (data unchanged). */
int ezc_array_squeeze(ezc_array *a, int axis, ezc_error *err);
/* Inserts a dim of length 1 named `name` before dim `axis` (axis = ndim
 * appends; data unchanged). */
int ezc_array_expand_dims(ezc_array *a, int axis, const char *name, ezc_error *err);
/* Checks that dim names are unique and non-empty and that coordinate axes
 * have one entry per index. */
int ezc_array_check(const ezc_array *a, ezc_error *err);

void ezc_array_set_linear_axis(ezc_array *a, int index, double gain, double offset,
                               const char *unit);
/* Coordinate axes: numeric values or labels (copied). */
int ezc_array_set_coord_values(ezc_array *a, int index, const double *values, size_t n,
                               const char *unit, ezc_error *err);
int ezc_array_set_coord_labels(ezc_array *a, int index, const char *const *labels, size_t n,
                               const char *unit, ezc_error *err);
void ezc_array_clear_axis(ezc_array *a, int index);
/* Value of index i along axis `index` (linear or numeric coordinate). */
int ezc_axis_value(const ezc_axis *ax, int64_t i, double *out);

ezc_coords *ezc_coords_new(size_t n, const double *values, const char *const *labels,
                           ezc_error *err);
ezc_coords *ezc_coords_ref(ezc_coords *c);
void ezc_coords_unref(ezc_coords **c);

/* ---- key and attrs ---------------------------------------------------- */

int ezc_array_set_key(ezc_array *a, const char *key, ezc_error *err);
const ezc_attr *ezc_array_attr(const ezc_array *a, const char *key);
int ezc_array_attr_set_int(ezc_array *a, const char *key, int64_t v, ezc_error *err);
int ezc_array_attr_set_float(ezc_array *a, const char *key, double v, ezc_error *err);
int ezc_array_attr_set_str(ezc_array *a, const char *key, const char *v, ezc_error *err);
int ezc_array_attr_set_bool(ezc_array *a, const char *key, int v, ezc_error *err);
/* Sets a copy of attr (any type, RAW included). */
int ezc_array_attr_set(ezc_array *a, const ezc_attr *attr, ezc_error *err);
int ezc_array_attr_remove(ezc_array *a, const char *key);
ezc_attrs *ezc_attrs_ref(ezc_attrs *at);
void ezc_attrs_unref(ezc_attrs **at);

/* ---- shape helpers every axis-wise operation needs -------------------- */

/* Splits a's shape around `axis` into outer (product of dims before),
 * n (the axis length) and inner (product of dims after): element (o, i, k)
 * sits at flat index (o * n + i) * inner + k. */
void ezc_array_split(const ezc_array *a, int axis, size_t *outer, size_t *n, size_t *inner);

/* ezc_array_take with the data in *cache when it is free (see
 * ezc_array_new_like_cached); consecutive indices keep a linear axis, evenly
 * spaced ones keep it linear with the gain times the step. */
ezc_array *ezc_array_take_cached(const ezc_array *a, int axis, const int64_t *idx, size_t n,
                                 ezc_buffer **cache, ezc_error *err);
/* Elements [start, stop) along `axis` as a new array (a view sharing the
 * buffer when axis is the first one, else a copy through the backend). A
 * linear axis offset moves by start*gain; coordinates are sliced too. */
ezc_array *ezc_array_slice(const ezc_array *a, int axis, int64_t start, int64_t stop,
                           ezc_error *err);
/* Elements at idx[0..n) along axis (copy through the backend). */
ezc_array *ezc_array_take(const ezc_array *a, int axis, const int64_t *idx, size_t n,
                          ezc_error *err);
/* Concatenation along `axis` of arrays with equal dims, dtype, device and
 * other lengths; the first one's metadata; coordinates are joined; a linear
 * axis keeps the first offset. */
ezc_array *ezc_array_concat(const ezc_array *const *as, size_t n, int axis, ezc_error *err);
/* Dims reordered: output dim i is input dim perm[i] (axes follow). */
ezc_array *ezc_array_permute(const ezc_array *a, const int *perm, ezc_error *err);
/* ezc_array_permute with the data in *cache when it is free. */
ezc_array *ezc_array_permute_cached(const ezc_array *a, const int *perm, ezc_buffer **cache,
                                    ezc_error *err);

/* Iteration over an axis: each step yields the sub-array at one index
 * (that dim removed). A view for axis 0, a copy otherwise.
 *   ezc_array_iter it; ezc_array_iter_init(&it, a, axis);
 *   ezc_array *s; while ((s = ezc_array_iter_next(&it, err))) { ...; ezc_array_destroy(&s); } */
typedef struct ezc_array_iter {
    const ezc_array *a;
    int axis;
    int64_t i;
} ezc_array_iter;
void ezc_array_iter_init(ezc_array_iter *it, const ezc_array *a, int axis);
ezc_array *ezc_array_iter_next(ezc_array_iter *it, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
