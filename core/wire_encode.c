/* wire_encode.c — an AxisArray's header as one msgpack map
 * (docs/wire-format.md), packed with msgpack-c into a buffer that the
 * encoder keeps and reuses, so steady-state encoding does not allocate.
 * Data on a CUDA device is described by an IPC handle ("data": "cuda_ipc")
 * when the publisher asks for it; it never travels inline from a GPU. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/wire.h"

struct ezc_wire_encoder {
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int64_t start_ns; /* "start" written into every header; 0 = none */
};

ezc_wire_encoder *ezc_wire_encoder_new(ezc_error *err)
{
    ezc_wire_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        ezc_error_set(err, EZC_ENOMEM, "wire: out of memory");
        return NULL;
    }
    msgpack_sbuffer_init(&e->sbuf);
    msgpack_packer_init(&e->pk, &e->sbuf, msgpack_sbuffer_write);
    return e;
}

void ezc_wire_encoder_set_start(ezc_wire_encoder *e, int64_t start_ns)
{
    if (e)
        e->start_ns = start_ns;
}

void ezc_wire_encoder_destroy(ezc_wire_encoder **ep)
{
    if (!ep || !*ep)
        return;
    msgpack_sbuffer_destroy(&(*ep)->sbuf);
    free(*ep);
    *ep = NULL;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_axis(msgpack_packer *pk, const ezc_axis *ax)
{
    if (ax->kind == EZC_AXIS_LINEAR) {
        msgpack_pack_map(pk, 4);
        pack_str(pk, "kind");
        pack_str(pk, "linear");
        pack_str(pk, "gain");
        msgpack_pack_double(pk, ax->gain);
        pack_str(pk, "offset");
        msgpack_pack_double(pk, ax->offset);
        pack_str(pk, "unit");
        pack_str(pk, ax->unit);
        return;
    }
    const ezc_coords *c = ax->coords;
    msgpack_pack_map(pk, 3);
    pack_str(pk, "kind");
    pack_str(pk, "coord");
    pack_str(pk, "unit");
    pack_str(pk, ax->unit);
    if (c->labels) {
        pack_str(pk, "labels");
        msgpack_pack_array(pk, c->n);
        for (size_t i = 0; i < c->n; i++)
            pack_str(pk, c->labels[i]);
    } else {
        pack_str(pk, "values");
        msgpack_pack_array(pk, c->n);
        for (size_t i = 0; i < c->n; i++)
            msgpack_pack_double(pk, c->values ? c->values[i] : (double)i);
    }
}

static void pack_attr(ezc_wire_encoder *e, const ezc_attr *a)
{
    msgpack_packer *pk = &e->pk;
    pack_str(pk, a->key);
    switch (a->type) {
    case EZC_ATTR_BOOL: a->v.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case EZC_ATTR_INT: msgpack_pack_int64(pk, a->v.i); break;
    case EZC_ATTR_FLOAT: msgpack_pack_double(pk, a->v.f); break;
    case EZC_ATTR_STR:
        msgpack_pack_str(pk, a->v.s.len);
        msgpack_pack_str_body(pk, a->v.s.ptr, a->v.s.len);
        break;
    case EZC_ATTR_RAW: /* already one encoded msgpack value */
        msgpack_sbuffer_write(&e->sbuf, a->v.raw.ptr, a->v.raw.len);
        break;
    default: msgpack_pack_nil(pk); break;
    }
}

static void pack_bin(msgpack_packer *pk, const void *p, size_t n)
{
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, p, n);
}

/* The header; ipc non-NULL: the data travels as a CUDA IPC handle. */
/* The transport stamp every message and end marker carries: 3 map entries,
 * 4 with the publisher's start (stamp_entries). */
static size_t stamp_entries(const ezc_wire_encoder *e)
{
    return e->start_ns ? 4 : 3;
}

static void pack_stamp(ezc_wire_encoder *e, uint64_t src, uint64_t seq, int64_t ts_ns)
{
    msgpack_packer *pk = &e->pk;
    if (e->start_ns) {
        pack_str(pk, "start");
        msgpack_pack_int64(pk, e->start_ns);
    }
    pack_str(pk, "src");
    msgpack_pack_uint64(pk, src);
    pack_str(pk, "seq");
    msgpack_pack_uint64(pk, seq);
    pack_str(pk, "ts");
    msgpack_pack_int64(pk, ts_ns);
}

static int encode(ezc_wire_encoder *e, const ezc_array *a, const ezc_wire_cuda_ipc *ipc,
                  const void **bytes, size_t *len, ezc_error *err)
{
    int nd = a->tensor.ndim;
    msgpack_packer *pk = &e->pk;
    e->sbuf.size = 0;
    msgpack_pack_map(pk, (ipc ? 10 : 9) + stamp_entries(e));
    pack_str(pk, "v");
    msgpack_pack_uint32(pk, EZC_WIRE_VERSION);
    pack_str(pk, "dtype");
    pack_str(pk, ezc_dtype_name(a->dtype));
    pack_str(pk, "shape");
    msgpack_pack_array(pk, (size_t)nd);
    for (int i = 0; i < nd; i++)
        msgpack_pack_uint64(pk, (uint64_t)a->shape[i]);
    pack_str(pk, "dims");
    msgpack_pack_array(pk, (size_t)nd);
    for (int i = 0; i < nd; i++)
        pack_str(pk, a->dims[i]);
    int naxes = 0;
    for (int i = 0; i < nd; i++)
        naxes += a->axes[i].kind == EZC_AXIS_LINEAR ||
                 (a->axes[i].kind == EZC_AXIS_COORD && a->axes[i].coords);
    pack_str(pk, "axes");
    msgpack_pack_map(pk, (size_t)naxes);
    for (int i = 0; i < nd; i++) {
        const ezc_axis *ax = &a->axes[i];
        if (ax->kind == EZC_AXIS_LINEAR || (ax->kind == EZC_AXIS_COORD && ax->coords)) {
            pack_str(pk, a->dims[i]);
            pack_axis(pk, ax);
        }
    }
    pack_str(pk, "key");
    pack_str(pk, a->key ? a->key : "");
    pack_str(pk, "attrs");
    size_t nattrs = a->attrs ? a->attrs->n : 0;
    msgpack_pack_map(pk, nattrs);
    for (size_t i = 0; i < nattrs; i++)
        pack_attr(e, &a->attrs->items[i]);
    pack_str(pk, "device");
    if (ipc) {
        char dev[32];
        pack_str(pk, ezc_device_format(ezc_device_cuda(ipc->device), dev, sizeof dev));
    } else {
        pack_str(pk, "cpu");
    }
    pack_stamp(e, a->src, a->seq, a->ts_ns);
    pack_str(pk, "data");
    pack_str(pk, ipc ? "cuda_ipc" : "inline");
    if (ipc) {
        pack_str(pk, "cuda_ipc");
        msgpack_pack_map(pk, 7);
        pack_str(pk, "handle");
        pack_bin(pk, ipc->handle, sizeof ipc->handle);
        pack_str(pk, "device");
        msgpack_pack_uint32(pk, (uint32_t)ipc->device);
        pack_str(pk, "offset");
        msgpack_pack_uint64(pk, ipc->offset);
        pack_str(pk, "pid");
        msgpack_pack_uint64(pk, ipc->pid);
        pack_str(pk, "shm");
        pack_str(pk, ipc->shm);
        pack_str(pk, "slot");
        msgpack_pack_uint32(pk, ipc->slot);
        pack_str(pk, "gen");
        msgpack_pack_uint64(pk, ipc->gen);
    }
    if (!e->sbuf.data)
        return ezc_error_set(err, EZC_ENOMEM, "wire: out of memory encoding the header");
    *bytes = e->sbuf.data;
    *len = e->sbuf.size;
    return 0;
}

int ezc_wire_encode_header(ezc_wire_encoder *e, const ezc_array *a, const void **bytes, size_t *len,
                           ezc_error *err)
{
    if (a->tensor.device.device_type != kDLCPU) {
        char dev[32];
        return ezc_error_set(
            err, EZC_EDEVICE,
            "wire: data on %s cannot travel inline; move it to the cpu first (to_device)",
            ezc_device_format(a->tensor.device, dev, sizeof dev));
    }
    return encode(e, a, NULL, bytes, len, err);
}

int ezc_wire_encode_header_cuda_ipc(ezc_wire_encoder *e, const ezc_array *a,
                                    const ezc_wire_cuda_ipc *ipc, const void **bytes, size_t *len,
                                    ezc_error *err)
{
    if (!ipc || ipc->device < 0 || !memchr(ipc->shm, '\0', sizeof ipc->shm) || !ipc->shm[0])
        return ezc_error_set(err, EZC_EINVAL,
                             "wire: a cuda_ipc descriptor needs a device >= 0 and a lease name");
    return encode(e, a, ipc, bytes, len, err);
}

int ezc_wire_encode_eos(ezc_wire_encoder *e, const ezc_wire_stamp *st, const void **bytes,
                        size_t *len, ezc_error *err)
{
    msgpack_packer *pk = &e->pk;
    e->sbuf.size = 0;
    msgpack_pack_map(pk, 2 + stamp_entries(e));
    pack_str(pk, "v");
    msgpack_pack_uint32(pk, EZC_WIRE_VERSION);
    pack_str(pk, "eos");
    msgpack_pack_true(pk);
    pack_stamp(e, st->src, st->seq, st->ts_ns);
    if (!e->sbuf.data)
        return ezc_error_set(err, EZC_ENOMEM, "wire: out of memory encoding an end of stream");
    *bytes = e->sbuf.data;
    *len = e->sbuf.size;
    return 0;
}
