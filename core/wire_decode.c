/* wire_decode.c — header bytes + data frame -> AxisArray, refusing anything
 * malformed with an error that names the field (docs/wire-format.md).
 *
 * Two passes over the map: the first reads the scalar fields and remembers
 * where "axes" and "attrs" start; the second reads those once dims and
 * shape are known. Nothing is trusted before it is checked against the
 * bytes that are really there. Data sent as a CUDA IPC handle ("data":
 * "cuda_ipc") is made into a buffer by an opener: the CUDA module's (found
 * through core/transport_hooks.c, never loaded by a message) unless the
 * caller gives one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cuda/ipc.h"
#include "ezc/wire.h"
#include "ezc/xp.h"
#include "msgpack_reader.h"

#define MAX_DEPTH 32
#define MAX_KEY_BYTES 4096
#define LABEL_STACK 256

static int bad(ezc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(ezc_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = EZC_EPROTO;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return EZC_EPROTO;
}

typedef struct fields {
    int have_v, have_dtype, have_shape, have_dims;
    ezc_dtype dtype;
    int ndim, ndims_names;
    int64_t shape[EZC_MAX_DIMS];
    char dims[EZC_MAX_DIMS][EZC_NAME_MAX];
    const char *key;
    uint32_t key_len;
    uint64_t src, seq;
    int64_t ts, start;
    mp_cursor axes, attrs;
    int have_axes, have_attrs;
    int data_ipc, have_ipc;
    ezc_wire_cuda_ipc ipc;
    int eos; /* "eos": true: an end-of-stream marker, no array */
} fields;

/* A msgpack bin (the reader has str only): bounds-checked like it. */
static int read_bin(mp_cursor *c, const uint8_t **p, uint32_t *n)
{
    if (c->p >= c->end)
        return -1;
    int w = *c->p == 0xc4 ? 1 : *c->p == 0xc5 ? 2 : *c->p == 0xc6 ? 4 : 0;
    if (!w || mp_left(c) < (size_t)(1 + w))
        return -1;
    uint64_t len = 0;
    for (int i = 0; i < w; i++)
        len = len << 8 | c->p[1 + i];
    if (len > mp_left(c) - (size_t)(1 + w))
        return -1;
    *p = c->p + 1 + w;
    *n = (uint32_t)len;
    c->p += 1 + w + len;
    return 0;
}

/* The "cuda_ipc" map: every field required, each checked. */
static int read_ipc(mp_cursor *c, ezc_wire_cuda_ipc *ipc, ezc_error *err)
{
    static const char *const keys[] = {"handle", "device", "offset", "pid", "shm", "slot", "gen"};
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    uint32_t n;
    if (mp_read_map(c, &n))
        return bad(err, "header.cuda_ipc: expected a map");
    unsigned seen = 0;
    for (uint32_t k = 0; k < n; k++) {
        const char *key;
        uint32_t klen;
        if (mp_read_str(c, &key, &klen))
            return bad(err, "header.cuda_ipc: key %u is not a string", k);
        int which = -1;
        for (int i = 0; i < NKEYS; i++)
            if (mp_str_eq(key, klen, keys[i]))
                which = i;
        if (which < 0) {
            if (mp_skip(c, MAX_DEPTH))
                return bad(err, "header.cuda_ipc.%.*s: malformed value",
                           (int)(klen > 40 ? 40 : klen), key);
            continue;
        }
        if (seen & (1u << which))
            return bad(err, "header.cuda_ipc.%s: given twice", keys[which]);
        seen |= 1u << which;
        uint64_t v = 0;
        if (which == 0) {
            const uint8_t *p;
            uint32_t len;
            if (read_bin(c, &p, &len) || len != EZC_WIRE_IPC_HANDLE)
                return bad(err, "header.cuda_ipc.handle: expected %d bytes (msgpack bin)",
                           EZC_WIRE_IPC_HANDLE);
            memcpy(ipc->handle, p, len);
        } else if (which == 4) {
            const char *str;
            uint32_t len;
            if (mp_read_str(c, &str, &len) || len < 2 || len >= EZC_WIRE_IPC_SHM_MAX ||
                str[0] != '/' || memchr(str, '\0', len) || memchr(str + 1, '/', len - 1))
                return bad(err,
                           "header.cuda_ipc.shm: expected a shared-memory name '/name' "
                           "of 2..%d bytes",
                           EZC_WIRE_IPC_SHM_MAX - 1);
            memcpy(ipc->shm, str, len);
            ipc->shm[len] = '\0';
        } else if (mp_read_uint(c, &v)) {
            return bad(err, "header.cuda_ipc.%s: expected a non-negative integer", keys[which]);
        } else if (which == 1) {
            if (v > 1023)
                return bad(err, "header.cuda_ipc.device: %llu is not a device ordinal",
                           (unsigned long long)v);
            ipc->device = (int32_t)v;
        } else if (which == 5) {
            if (v > UINT32_MAX)
                return bad(err, "header.cuda_ipc.slot: %llu out of range", (unsigned long long)v);
            ipc->slot = (uint32_t)v;
        } else {
            *(which == 2 ? &ipc->offset : which == 3 ? &ipc->pid : &ipc->gen) = v;
        }
    }
    for (int i = 0; i < NKEYS; i++)
        if (!(seen & (1u << i)))
            return bad(err, "header.cuda_ipc.%s: missing", keys[i]);
    return 0;
}

static int read_shape(mp_cursor *c, fields *f, ezc_error *err)
{
    uint32_t n;
    if (mp_read_array(c, &n))
        return bad(err, "header.shape: expected an array of integers");
    if (n > EZC_MAX_DIMS)
        return bad(err, "header.shape: %u dims (at most %d)", n, EZC_MAX_DIMS);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v;
        if (mp_read_uint(c, &v))
            return bad(err, "header.shape[%u]: expected a non-negative integer", i);
        if (v > (uint64_t)EZC_MAX_ELEMENTS)
            return bad(err, "header.shape[%u]: %llu is absurdly large", i, (unsigned long long)v);
        f->shape[i] = (int64_t)v;
    }
    f->ndim = (int)n;
    f->have_shape = 1;
    return 0;
}

static int read_dims(mp_cursor *c, fields *f, ezc_error *err)
{
    uint32_t n;
    if (mp_read_array(c, &n))
        return bad(err, "header.dims: expected an array of strings");
    if (n > EZC_MAX_DIMS)
        return bad(err, "header.dims: %u names (at most %d)", n, EZC_MAX_DIMS);
    for (uint32_t i = 0; i < n; i++) {
        const char *s;
        uint32_t len;
        if (mp_read_str(c, &s, &len))
            return bad(err, "header.dims[%u]: expected a string", i);
        if (len == 0 || len >= EZC_NAME_MAX || memchr(s, '\0', len))
            return bad(err, "header.dims[%u]: a dim name must be 1..%d bytes without NUL", i,
                       EZC_NAME_MAX - 1);
        memcpy(f->dims[i], s, len);
        f->dims[i][len] = '\0';
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(f->dims[i], f->dims[j]) == 0)
                return bad(err, "header.dims[%u]: duplicate dim '%s'", i, f->dims[i]);
    }
    f->ndims_names = (int)n;
    f->have_dims = 1;
    return 0;
}

/* The header's known keys; read_fields looks a key up once and switches on
 * the result. Unknown keys are skipped (forward compatible). */
typedef enum {
    K_V,
    K_DTYPE,
    K_SHAPE,
    K_DIMS,
    K_KEY,
    K_AXES,
    K_ATTRS,
    K_DEVICE,
    K_SRC,
    K_SEQ,
    K_TS,
    K_DATA,
    K_CUDA_IPC,
    K_EOS,
    K_START,
    K_COUNT,
    K_UNKNOWN = K_COUNT
} header_key;

static const char *const header_keys[K_COUNT] = {
    [K_V] = "v",
    [K_DTYPE] = "dtype",
    [K_SHAPE] = "shape",
    [K_DIMS] = "dims",
    [K_KEY] = "key",
    [K_AXES] = "axes",
    [K_ATTRS] = "attrs",
    [K_DEVICE] = "device",
    [K_SRC] = "src",
    [K_SEQ] = "seq",
    [K_TS] = "ts",
    [K_DATA] = "data",
    [K_CUDA_IPC] = "cuda_ipc",
    [K_EOS] = "eos",
    [K_START] = "start",
};

static header_key lookup_key(const char *key, uint32_t klen)
{
    for (int i = 0; i < K_COUNT; i++)
        if (mp_str_eq(key, klen, header_keys[i]))
            return (header_key)i;
    return K_UNKNOWN;
}

/* First pass: everything but axes and attrs, whose positions are kept. */
static int read_fields(mp_cursor *c, fields *f, ezc_error *err)
{
    uint32_t n;
    if (mp_read_map(c, &n))
        return bad(err, "header: expected a msgpack map");
    unsigned seen = 0;
    for (uint32_t k = 0; k < n; k++) {
        const char *key;
        uint32_t klen;
        if (mp_read_str(c, &key, &klen))
            return bad(err, "header: key %u is not a string", k);
        header_key which = lookup_key(key, klen);
        /* A known key given twice is ambiguous: refuse rather than pick one. */
        if (which != K_UNKNOWN) {
            if (seen & (1u << which))
                return bad(err, "header.%s: given twice", header_keys[which]);
            seen |= 1u << which;
        }
        const char *s;
        uint32_t len;
        uint64_t v;
        switch (which) {
        case K_V:
            if (mp_read_uint(c, &v))
                return bad(err, "header.v: expected a non-negative integer");
            if (v != EZC_WIRE_VERSION)
                return bad(err, "header.v: unsupported format version %llu (this ezc reads %d)",
                           (unsigned long long)v, EZC_WIRE_VERSION);
            f->have_v = 1;
            break;
        case K_DTYPE:
            if (mp_read_str(c, &s, &len))
                return bad(err, "header.dtype: expected a string");
            f->dtype = ezc_dtype_from_name(s, len);
            if (!f->dtype)
                return bad(err, "header.dtype: unknown dtype '%.*s'", (int)(len > 40 ? 40 : len),
                           s);
            f->have_dtype = 1;
            break;
        case K_SHAPE:
            if (read_shape(c, f, err))
                return EZC_EPROTO;
            break;
        case K_DIMS:
            if (read_dims(c, f, err))
                return EZC_EPROTO;
            break;
        case K_KEY:
            if (mp_read_str(c, &f->key, &f->key_len))
                return bad(err, "header.key: expected a string");
            if (f->key_len > MAX_KEY_BYTES || memchr(f->key, '\0', f->key_len))
                return bad(err, "header.key: longer than %d bytes or contains NUL", MAX_KEY_BYTES);
            break;
        case K_AXES:
        case K_ATTRS: {
            mp_cursor start = *c;
            if (mp_peek(c) != MP_MAP || mp_skip(c, MAX_DEPTH))
                return bad(err, "header.%s: expected a map", header_keys[which]);
            if (which == K_AXES) {
                f->axes = start;
                f->have_axes = 1;
            } else {
                f->attrs = start;
                f->have_attrs = 1;
            }
            break;
        }
        case K_DEVICE:
            if (mp_read_str(c, &s, &len))
                return bad(err, "header.device: expected a string such as \"cpu\"");
            break;
        case K_SRC:
        case K_SEQ:
            if (mp_read_uint(c, &v))
                return bad(err, "header.%s: expected a non-negative integer", header_keys[which]);
            *(which == K_SRC ? &f->src : &f->seq) = v;
            break;
        case K_TS:
            if (mp_read_int(c, &f->ts))
                return bad(err, "header.ts: expected an integer (ns since the epoch)");
            break;
        case K_START:
            if (mp_read_int(c, &f->start))
                return bad(err, "header.start: expected an integer (ns since the epoch)");
            break;
        case K_DATA:
            if (mp_read_str(c, &s, &len))
                return bad(err, "header.data: expected a string");
            f->data_ipc = mp_str_eq(s, len, "cuda_ipc");
            if (!f->data_ipc && !mp_str_eq(s, len, "inline"))
                return bad(err,
                           "header.data: transport '%.*s' is not supported by this ezc "
                           "(\"inline\" or \"cuda_ipc\")",
                           (int)(len > 40 ? 40 : len), s);
            break;
        case K_EOS:
            if (mp_read_bool(c, &f->eos))
                return bad(err, "header.eos: expected true or false");
            break;
        case K_CUDA_IPC:
            if (read_ipc(c, &f->ipc, err))
                return EZC_EPROTO;
            f->have_ipc = 1;
            break;
        case K_UNKNOWN:
            if (mp_skip(c, MAX_DEPTH))
                return bad(err, "header.%.*s: malformed value", (int)(klen > 40 ? 40 : klen), key);
            break;
        }
    }
    return 0;
}

static int read_unit(mp_cursor *c, const char *dim, char *unit, ezc_error *err)
{
    const char *s;
    uint32_t len;
    if (mp_read_str(c, &s, &len) || len >= EZC_NAME_MAX || memchr(s, '\0', len))
        return bad(err, "header.axes.%s.unit: expected a string under %d bytes", dim, EZC_NAME_MAX);
    memcpy(unit, s, len);
    unit[len] = '\0';
    return 0;
}

/* Labels into one ezc_coords allocation (no malloc per label). */
static ezc_coords *read_labels(mp_cursor *c, const char *dim, uint32_t n, ezc_error *err)
{
    mp_cursor probe = *c;
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *s;
        uint32_t len;
        if (mp_read_str(&probe, &s, &len) || memchr(s, '\0', len)) {
            bad(err, "header.axes.%s.labels[%u]: expected a string", dim, i);
            return NULL;
        }
        bytes += len + 1;
    }
    size_t total = sizeof(ezc_coords) + n * sizeof(char *) + bytes;
    ezc_coords *co = malloc(total);
    if (!co) {
        ezc_error_set(err, EZC_ENOMEM, "wire: out of memory for %u labels", n);
        return NULL;
    }
    atomic_init(&co->refs, 1);
    co->n = n;
    co->values = NULL;
    co->labels = (char **)(co + 1);
    char *p = (char *)(co->labels + n);
    for (uint32_t i = 0; i < n; i++) {
        const char *s;
        uint32_t len;
        mp_read_str(c, &s, &len);
        memcpy(p, s, len);
        p[len] = '\0';
        co->labels[i] = p;
        p += len + 1;
    }
    return co;
}

static ezc_coords *read_values(mp_cursor *c, const char *dim, uint32_t n, ezc_error *err)
{
    ezc_coords *co = malloc(sizeof(ezc_coords) + n * sizeof(double));
    if (!co) {
        ezc_error_set(err, EZC_ENOMEM, "wire: out of memory for %u coordinates", n);
        return NULL;
    }
    atomic_init(&co->refs, 1);
    co->n = n;
    co->labels = NULL;
    co->values = (double *)(co + 1);
    for (uint32_t i = 0; i < n; i++)
        if (mp_read_number(c, &co->values[i])) {
            free(co);
            bad(err, "header.axes.%s.values[%u]: expected a number", dim, i);
            return NULL;
        }
    return co;
}

static int read_axis(mp_cursor *c, ezc_array *a, int d, ezc_error *err)
{
    const char *dim = a->dims[d];
    ezc_axis ax;
    memset(&ax, 0, sizeof ax);
    ax.gain = 1.0;
    int kind = 0; /* 1 linear, 2 coord */
    uint32_t n;
    if (mp_read_map(c, &n))
        return bad(err, "header.axes.%s: expected a map", dim);
    for (uint32_t k = 0; k < n; k++) {
        const char *key;
        uint32_t klen;
        if (mp_read_str(c, &key, &klen)) {
            ezc_coords_unref(&ax.coords);
            return bad(err, "header.axes.%s: key %u is not a string", dim, k);
        }
        int rc = 0;
        if (mp_str_eq(key, klen, "kind")) {
            const char *s;
            uint32_t len;
            if (mp_read_str(c, &s, &len))
                rc = bad(err, "header.axes.%s.kind: expected \"linear\" or \"coord\"", dim);
            else if (mp_str_eq(s, len, "linear"))
                kind = 1;
            else if (mp_str_eq(s, len, "coord"))
                kind = 2;
            else
                rc = bad(err, "header.axes.%s.kind: '%.*s' is not \"linear\" or \"coord\"", dim,
                         (int)(len > 40 ? 40 : len), s);
        } else if (mp_str_eq(key, klen, "gain") || mp_str_eq(key, klen, "offset")) {
            int gain = klen == 4;
            if (mp_read_number(c, gain ? &ax.gain : &ax.offset))
                rc =
                    bad(err, "header.axes.%s.%s: expected a number", dim, gain ? "gain" : "offset");
        } else if (mp_str_eq(key, klen, "unit")) {
            rc = read_unit(c, dim, ax.unit, err);
        } else if (mp_str_eq(key, klen, "labels") || mp_str_eq(key, klen, "values")) {
            int labels = key[0] == 'l';
            uint32_t cnt;
            if (ax.coords)
                rc = bad(err, "header.axes.%s: both labels and values", dim);
            else if (mp_read_array(c, &cnt))
                rc = bad(err, "header.axes.%s.%s: expected an array", dim,
                         labels ? "labels" : "values");
            else if ((int64_t)cnt != a->shape[d])
                rc = bad(err, "header.axes.%s.%s: %u entries for a dim of length %lld", dim,
                         labels ? "labels" : "values", cnt, (long long)a->shape[d]);
            else if (!(ax.coords =
                           labels ? read_labels(c, dim, cnt, err) : read_values(c, dim, cnt, err)))
                rc = err ? err->code : EZC_EPROTO;
        } else if (mp_skip(c, MAX_DEPTH)) {
            rc = bad(err, "header.axes.%s: malformed value", dim);
        }
        if (rc) {
            ezc_coords_unref(&ax.coords);
            return rc;
        }
    }
    if (kind == 0) {
        ezc_coords_unref(&ax.coords);
        return bad(err, "header.axes.%s.kind: missing", dim);
    }
    if (kind == 2 && !ax.coords)
        return bad(err, "header.axes.%s: a coord axis needs labels or values", dim);
    if (kind == 1)
        ezc_coords_unref(&ax.coords);
    ax.kind = kind == 1 ? EZC_AXIS_LINEAR : EZC_AXIS_COORD;
    a->axes[d] = ax;
    return 0;
}

static int read_axes(mp_cursor *c, ezc_array *a, ezc_error *err)
{
    uint32_t n;
    mp_read_map(c, &n); /* validated in the first pass */
    for (uint32_t k = 0; k < n; k++) {
        const char *name;
        uint32_t len;
        if (mp_read_str(c, &name, &len))
            return bad(err, "header.axes: key %u is not a dim name", k);
        int d = -1;
        for (int i = 0; i < a->tensor.ndim; i++)
            if (mp_str_eq(name, len, a->dims[i]))
                d = i;
        if (d < 0)
            return bad(err, "header.axes: '%.*s' is not one of the dims",
                       (int)(len > 40 ? 40 : len), name);
        if (a->axes[d].kind != EZC_AXIS_NONE)
            return bad(err, "header.axes: dim '%s' given twice", a->dims[d]);
        if (read_axis(c, a, d, err))
            return EZC_EPROTO;
    }
    return 0;
}

static int read_attrs(mp_cursor *c, ezc_array *a, ezc_error *err)
{
    uint32_t n;
    mp_read_map(c, &n);
    if (n == 0)
        return 0;
    ezc_attrs *at = calloc(1, sizeof *at);
    if (!at || !(at->items = calloc(n, sizeof *at->items))) {
        free(at);
        return ezc_error_set(err, EZC_ENOMEM, "wire: out of memory for attrs");
    }
    atomic_init(&at->refs, 1);
    a->attrs = at; /* freed with the array on error */
    for (uint32_t k = 0; k < n; k++) {
        const char *key;
        uint32_t klen;
        if (mp_read_str(c, &key, &klen) || klen == 0 || memchr(key, '\0', klen))
            return bad(err, "header.attrs: key %u is not a non-empty string", k);
        ezc_attr *it = &at->items[at->n];
        if (!(it->key = strndup(key, klen)))
            return ezc_error_set(err, EZC_ENOMEM, "wire: out of memory for attrs");
        at->n++;
        mp_cursor start = *c;
        int64_t iv;
        switch (mp_peek(c)) {
        case MP_NIL:
            mp_read_nil(c);
            it->type = EZC_ATTR_NIL;
            continue;
        case MP_BOOL:
            mp_read_bool(c, &it->v.b);
            it->type = EZC_ATTR_BOOL;
            continue;
        case MP_FLOAT:
            mp_read_number(c, &it->v.f);
            it->type = EZC_ATTR_FLOAT;
            continue;
        case MP_UINT:
        case MP_INT:
            if (mp_read_int(c, &iv) == 0) {
                it->type = EZC_ATTR_INT;
                it->v.i = iv;
                continue;
            }
            break; /* a uint64 beyond int64: kept raw */
        case MP_STR: {
            const char *s;
            uint32_t len;
            mp_read_str(c, &s, &len);
            if (!(it->v.s.ptr = strndup(s, len)))
                return ezc_error_set(err, EZC_ENOMEM, "wire: out of memory for attrs");
            it->v.s.len = strlen(it->v.s.ptr);
            it->type = EZC_ATTR_STR;
            continue;
        }
        default: break;
        }
        if (mp_skip(c, MAX_DEPTH))
            return bad(err, "header.attrs.%s: malformed value", it->key);
        size_t len = (size_t)(c->p - start.p);
        if (!(it->v.raw.ptr = malloc(len)))
            return ezc_error_set(err, EZC_ENOMEM, "wire: out of memory for attrs");
        memcpy(it->v.raw.ptr, start.p, len);
        it->v.raw.len = len;
        it->type = EZC_ATTR_RAW;
    }
    return 0;
}

static ezc_buffer *open_default(const ezc_wire_cuda_ipc *ipc, size_t nbytes, void *ctx,
                                ezc_error *err)
{
    (void)ctx;
    /* A message never loads a module: without a CUDA backend already in
     * this process the message is refused (and counted by the subscriber). */
    if (!ezc_xp_loaded(ezc_device_cuda(ipc->device))) {
        ezc_error_set(err, EZC_EDEVICE,
                      "header.data: cuda_ipc: no CUDA backend is loaded in this process (a node "
                      "or program on a cuda device loads it; a message never does)");
        return NULL;
    }
    ezc_error why = {0, ""};
    const ezc_cuda_ipc_ops *ops = ezc_cuda_ipc_ops_get(ipc->device, &why);
    if (!ops) {
        ezc_error_set(err, EZC_EDEVICE,
                      "header.data: cuda_ipc: no CUDA device to open the IPC handle (%s)", why.msg);
        return NULL;
    }
    return ops->import(ipc, nbytes, err);
}

/* An end-of-stream marker carries no array: only v and the stamps count;
 * dtype, shape and dims may be there (checked as usual) and mean nothing. */
static int check_eos(const fields *f, const ezc_buffer *data, ezc_error *err)
{
    if (!f->have_v)
        return bad(err, "header.v: missing (required: v, and eos for an end of stream)");
    if (data && data->nbytes)
        return bad(err, "data: an end-of-stream marker has an empty data frame, not %zu bytes",
                   data->nbytes);
    if (f->data_ipc || f->have_ipc)
        return bad(err, "header.cuda_ipc: an end-of-stream marker carries no data");
    return ezc_error_set(err, EZC_EEOS, "end of stream (src %llu, seq %llu)",
                         (unsigned long long)f->src, (unsigned long long)f->seq);
}

int ezc_wire_eos_stamp(const void *header, size_t len, ezc_wire_stamp *st)
{
    fields f;
    memset(&f, 0, sizeof f);
    memset(st, 0, sizeof *st);
    mp_cursor c;
    mp_init(&c, header, len);
    if (len > EZC_WIRE_MAX_HEADER || read_fields(&c, &f, NULL) || mp_left(&c) || !f.eos ||
        !f.have_v)
        return 0;
    st->src = f.src;
    st->seq = f.seq;
    st->ts_ns = f.ts;
    st->start_ns = f.start;
    return 1;
}

int ezc_wire_decode(const void *header, size_t len, ezc_buffer *data, ezc_array **out,
                    ezc_error *err)
{
    return ezc_wire_decode_with(header, len, data, NULL, NULL, out, err);
}

int ezc_wire_decode_with(const void *header, size_t len, ezc_buffer *data,
                         ezc_wire_ipc_open_fn open, void *ctx, ezc_array **out, ezc_error *err)
{
    return ezc_wire_decode_stamp(header, len, data, open, ctx, out, NULL, err);
}

int ezc_wire_decode_stamp(const void *header, size_t len, ezc_buffer *data,
                          ezc_wire_ipc_open_fn open, void *ctx, ezc_array **out, ezc_wire_stamp *st,
                          ezc_error *err)
{
    *out = NULL;
    if (len > EZC_WIRE_MAX_HEADER)
        return bad(err, "header: %zu bytes (at most %u)", len, EZC_WIRE_MAX_HEADER);
    fields f;
    memset(&f, 0, sizeof f);
    mp_cursor c;
    mp_init(&c, header, len);
    if (read_fields(&c, &f, err))
        return EZC_EPROTO;
    if (mp_left(&c))
        return bad(err, "header: %zu trailing bytes after the map", mp_left(&c));
    if (st)
        *st = (ezc_wire_stamp){f.src, f.seq, f.ts, f.start};
    if (f.eos)
        return check_eos(&f, data, err);
    if (!f.have_v || !f.have_dtype || !f.have_shape || !f.have_dims)
        return bad(err, "header.%s: missing (required: v, dtype, shape, dims)",
                   !f.have_v       ? "v"
                   : !f.have_dtype ? "dtype"
                   : !f.have_shape ? "shape"
                                   : "dims");
    if (f.ndims_names != f.ndim)
        return bad(err, "header.dims: %d names for %d dims in header.shape", f.ndims_names, f.ndim);
    size_t count;
    if (ezc_shape_count(f.ndim, f.shape, "header.shape", &count, err)) {
        if (err)
            err->code = EZC_EPROTO; /* a malformed message, whatever the check */
        return EZC_EPROTO;
    }
    size_t nbytes = (size_t)count * ezc_dtype_size(f.dtype);
    size_t have = data ? data->nbytes : 0;
    if (f.data_ipc != f.have_ipc)
        return bad(err, f.data_ipc ? "header.cuda_ipc: missing (header.data is \"cuda_ipc\")"
                                   : "header.cuda_ipc: given, but header.data is not \"cuda_ipc\"");
    if (f.data_ipc && have)
        return bad(err, "data: a cuda_ipc message has an empty data frame, not %zu bytes", have);
    if (!f.data_ipc && have != nbytes)
        return bad(err, "data: frame has %zu bytes, header.shape x itemsize(%s) = %zu", have,
                   ezc_dtype_name(f.dtype), nbytes);
    const char *dims[EZC_MAX_DIMS];
    for (int i = 0; i < f.ndim; i++)
        dims[i] = f.dims[i];
    ezc_buffer *owned = NULL;
    if (f.data_ipc) {
        /* The header's fields are checked; now the (costly) open. */
        if (!(data = owned = (open ? open : open_default)(&f.ipc, nbytes, ctx, err)))
            return err && err->code ? err->code : EZC_EIO;
        if (data->nbytes < nbytes) {
            ezc_buffer_unref(&owned);
            return ezc_error_set(err, EZC_EIO, "data: the cuda_ipc opener gave %zu bytes of %zu",
                                 data->nbytes, nbytes);
        }
    } else if (!data && !(data = owned = ezc_buffer_new_host(0, err))) {
        return EZC_ENOMEM;
    } else if (data->device.device_type != kDLCPU) {
        ezc_buffer_unref(&owned);
        return bad(err, "data: inline data must arrive in host memory");
    }
    ezc_array *a = ezc_array_from_buffer(data, 0, f.dtype, f.ndim, f.shape, dims, err);
    ezc_buffer_unref(&owned);
    if (!a)
        return err ? err->code : EZC_ENOMEM;
    int rc = 0;
    if (f.key_len) {
        char *k = strndup(f.key, f.key_len);
        if (!k)
            rc = ezc_error_set(err, EZC_ENOMEM, "wire: out of memory");
        else {
            rc = ezc_array_set_key(a, k, err);
            free(k);
        }
    }
    if (!rc && f.have_axes)
        rc = read_axes(&f.axes, a, err);
    if (!rc && f.have_attrs)
        rc = read_attrs(&f.attrs, a, err);
    if (rc) {
        ezc_array_destroy(&a);
        return rc;
    }
    a->src = f.src;
    a->seq = f.seq;
    a->ts_ns = f.ts;
    *out = a;
    return 0;
}
