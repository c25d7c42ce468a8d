/* test_wire.c — the wire codec: round trips of every dtype and axis kind,
 * attrs of every type, and every kind of malformed header refused with
 * EZC_EPROTO and a message naming the field; truncation at every byte and
 * seeded random corruption never crash (ASan in CI proves no over-read).
 * CUDA IPC headers ("data": "cuda_ipc"): round trip of the descriptor
 * through a fake opener, every malformed field refused, and the clean
 * refusal where no CUDA device can open the handle. */
#include <check.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"

static ezc_wire_encoder *enc;

static ezc_array *roundtrip(const ezc_array *a)
{
    ezc_error err;
    const void *h;
    size_t hl;
    ck_assert_msg(ezc_wire_encode_header(enc, a, &h, &hl, &err) == 0, "%s", err.msg);
    ezc_buffer *data = ezc_buffer_new_host(ezc_array_nbytes(a), &err);
    memcpy(data->data, ezc_array_data(a), ezc_array_nbytes(a));
    ezc_array *b = NULL;
    int rc = ezc_wire_decode(h, hl, data, &b, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ezc_buffer_unref(&data);
    return b;
}

START_TEST(t_every_dtype)
{
    ezc_error err;
    for (int t = 1; t < EZC_DTYPE_COUNT; t++) {
        int64_t shape[3] = {2, 3, 5};
        const char *dims[3] = {"time", "ch", "freq"};
        ezc_array *a = ezc_array_new((ezc_dtype)t, 3, shape, dims, ezc_device_cpu(), &err);
        unsigned char *p = ezc_array_data(a);
        for (size_t i = 0; i < ezc_array_nbytes(a); i++)
            p[i] = (unsigned char)(i * 7 + (size_t)t);
        a->src = 0xfedcba9876543210ull;
        a->seq = 123456789012ull;
        a->ts_ns = -42;
        ezc_array *b = roundtrip(a);
        ck_assert_int_eq(b->dtype, t);
        ck_assert_int_eq(ezc_array_ndim(b), 3);
        ck_assert_int_eq(b->shape[2], 5);
        ck_assert_str_eq(b->dims[1], "ch");
        ck_assert_int_eq(memcmp(ezc_array_data(a), ezc_array_data(b), ezc_array_nbytes(a)), 0);
        ck_assert(b->src == a->src && b->seq == a->seq && b->ts_ns == -42);
        ezc_array_destroy(&a);
        ezc_array_destroy(&b);
    }
}
END_TEST

START_TEST(t_axes_key_attrs)
{
    ezc_error err;
    int64_t shape[3] = {4, 3, 2};
    const char *dims[3] = {"time", "ch", "band"};
    ezc_array *a = ezc_array_zeros(EZC_FLOAT64, 3, shape, dims, &err);
    ezc_array_set_linear_axis(a, 0, 1.0 / 30000, 12.25, "s");
    const char *labels[3] = {"Fp1", "", "Oz-ü"};
    ezc_array_set_coord_labels(a, 1, labels, 3, "", &err);
    double vals[2] = {17.5, -1e300};
    ezc_array_set_coord_values(a, 2, vals, 2, "Hz", &err);
    ezc_array_set_key(a, "amp-42", &err);
    ezc_array_attr_set_str(a, "subject", "S01", &err);
    ezc_array_attr_set_int(a, "trial", -7, &err);
    ezc_array_attr_set_float(a, "gain", 2.5, &err);
    ezc_array_attr_set_bool(a, "ok", 1, &err);
    ezc_attr nil = {.key = "none", .type = EZC_ATTR_NIL};
    ezc_array_attr_set(a, &nil, &err);
    static const unsigned char raw[] = {0x92, 0x01, 0x81, 0xa1, 0x78, 0xc3}; /* [1, {"x": true}] */
    ezc_attr r = {.key = "nested", .type = EZC_ATTR_RAW};
    r.v.raw.ptr = (void *)raw;
    r.v.raw.len = sizeof raw;
    ezc_array_attr_set(a, &r, &err);
    ezc_array *b = roundtrip(a);
    ck_assert_int_eq(b->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq(b->axes[0].gain, 1.0 / 30000);
    ck_assert_double_eq(b->axes[0].offset, 12.25);
    ck_assert_str_eq(b->axes[0].unit, "s");
    ck_assert_int_eq(b->axes[1].kind, EZC_AXIS_COORD);
    ck_assert_str_eq(b->axes[1].coords->labels[0], "Fp1");
    ck_assert_str_eq(b->axes[1].coords->labels[1], "");
    ck_assert_str_eq(b->axes[1].coords->labels[2], "Oz-ü");
    ck_assert_ptr_null(b->axes[1].coords->values);
    ck_assert_double_eq(b->axes[2].coords->values[1], -1e300);
    ck_assert_str_eq(b->axes[2].unit, "Hz");
    ck_assert_str_eq(b->key, "amp-42");
    ck_assert_str_eq(ezc_array_attr(b, "subject")->v.s.ptr, "S01");
    ck_assert_int_eq(ezc_array_attr(b, "trial")->v.i, -7);
    ck_assert_double_eq(ezc_array_attr(b, "gain")->v.f, 2.5);
    ck_assert_int_eq(ezc_array_attr(b, "ok")->v.b, 1);
    ck_assert_int_eq(ezc_array_attr(b, "none")->type, EZC_ATTR_NIL);
    const ezc_attr *n = ezc_array_attr(b, "nested");
    ck_assert_int_eq(n->type, EZC_ATTR_RAW);
    ck_assert_uint_eq(n->v.raw.len, sizeof raw);
    ck_assert_int_eq(memcmp(n->v.raw.ptr, raw, sizeof raw), 0);
    ck_assert_int_eq(ezc_array_check(b, &err), 0);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

START_TEST(t_zero_size_and_scalar)
{
    ezc_error err;
    int64_t shape[2] = {0, 4};
    ezc_array *a = ezc_array_zeros(EZC_INT32, 2, shape, NULL, &err);
    ezc_array *b = roundtrip(a);
    ck_assert_int_eq(b->shape[0], 0);
    ck_assert_uint_eq(ezc_array_nbytes(b), 0);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    a = ezc_array_zeros(EZC_FLOAT64, 0, NULL, NULL, &err);
    *(double *)ezc_array_data(a) = 3.5;
    b = roundtrip(a);
    ck_assert_int_eq(ezc_array_ndim(b), 0);
    ck_assert_double_eq(*(double *)ezc_array_data(b), 3.5);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

/* ---- malformed headers, built with msgpack-c ------------------------ */

static msgpack_sbuffer sb;
static msgpack_packer pk;

static void begin(size_t n)
{
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, n);
}
static void s(const char *v)
{
    msgpack_pack_str(&pk, strlen(v));
    msgpack_pack_str_body(&pk, v, strlen(v));
}
static void base(const char *dtype) /* 4 entries: v, dtype, shape [2], dims ["t"] */
{
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s(dtype);
    s("shape");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint8(&pk, 2);
    s("dims");
    msgpack_pack_array(&pk, 1);
    s("t");
}

static void expect_bad(size_t data_len, const char *want)
{
    ezc_error err;
    ezc_buffer *d = ezc_buffer_new_host(data_len, &err);
    ezc_array *a = (ezc_array *)1;
    int rc = ezc_wire_decode(sb.data, sb.size, d, &a, &err);
    ck_assert_msg(rc == EZC_EPROTO, "accepted, wanted '%s'", want);
    ck_assert_ptr_null(a);
    ck_assert_msg(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    ezc_buffer_unref(&d);
}

START_TEST(t_malformed)
{
    begin(4);
    base("float32");
    ezc_error err;
    ezc_buffer *d = ezc_buffer_new_host(8, &err);
    ezc_array *a;
    ck_assert_int_eq(ezc_wire_decode(sb.data, sb.size, d, &a, &err), 0); /* the base is valid */
    ezc_array_destroy(&a);
    ezc_buffer_unref(&d);

    begin(4);
    base("float32");
    expect_bad(7, "data: frame has 7 bytes, header.shape x itemsize(float32) = 8");
    begin(4);
    base("float16");
    expect_bad(4, "header.dtype: unknown dtype 'float16'");
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 0);
    expect_bad(0, "header: expected a msgpack map");
    begin(3);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 0);
    expect_bad(1, "header.dims: missing");
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 2);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 0);
    s("dims");
    msgpack_pack_array(&pk, 0);
    expect_bad(1, "header.v: unsupported format version 2");
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_int8(&pk, -1);
    s("dims");
    msgpack_pack_array(&pk, 2);
    s("a");
    s("b");
    expect_bad(1, "header.shape[1]: expected a non-negative integer");
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint8(&pk, 1);
    s("dims");
    msgpack_pack_array(&pk, 2);
    s("a");
    s("a");
    expect_bad(1, "header.dims[1]: duplicate dim 'a'");
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint8(&pk, 1);
    s("dims");
    msgpack_pack_array(&pk, 1);
    s("a");
    expect_bad(1, "header.dims: 1 names for 2 dims");
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 9);
    for (int i = 0; i < 9; i++)
        msgpack_pack_uint8(&pk, 1);
    s("dims");
    msgpack_pack_array(&pk, 0);
    expect_bad(1, "header.shape: 9 dims (at most 8)");
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("float64");
    s("shape");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint64(&pk, 1ull << 30);
    msgpack_pack_uint64(&pk, 1ull << 30);
    s("dims");
    msgpack_pack_array(&pk, 2);
    s("a");
    s("b");
    expect_bad(0, "more than 2^40 elements");
    /* [2^32, 2^32]: the product wraps to 0 in 64 bits unless checked before
     * multiplying; a 60-byte message with an empty data frame crashed nodes. */
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("float32");
    s("shape");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint64(&pk, 1ull << 32);
    msgpack_pack_uint64(&pk, 1ull << 32);
    s("dims");
    msgpack_pack_array(&pk, 2);
    s("a");
    s("b");
    expect_bad(0, "header.shape: more than 2^40 elements");
    /* The same with a zero dim: no elements, but other dims' products would
     * still wrap (outer x inner), so it is refused too. */
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("float32");
    s("shape");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint64(&pk, 1ull << 32);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_uint64(&pk, 1ull << 32);
    s("dims");
    msgpack_pack_array(&pk, 3);
    s("a");
    s("b");
    s("c");
    expect_bad(0, "header.shape: more than 2^40 elements in its non-zero dims");
    { /* [2^40, 0] is legal: no elements, no data bytes. */
        begin(4);
        s("v");
        msgpack_pack_uint8(&pk, 1);
        s("dtype");
        s("float32");
        s("shape");
        msgpack_pack_array(&pk, 2);
        msgpack_pack_uint64(&pk, 1ull << 40);
        msgpack_pack_uint64(&pk, 0);
        s("dims");
        msgpack_pack_array(&pk, 2);
        s("time");
        s("ch");
        ezc_array *z = NULL;
        ck_assert_int_eq(ezc_wire_decode(sb.data, sb.size, NULL, &z, &err), 0);
        ck_assert_uint_eq(ezc_array_size(z), 0);
        ck_assert_int_eq(z->shape[0], 1ll << 40);
        ezc_array_destroy(&z);
    }
    begin(4);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint8(&pk, 1);
    s("dims");
    msgpack_pack_array(&pk, 1);
    s("a_name_that_is_longer_than_31_bytes");
    expect_bad(1, "header.dims[0]: a dim name must be 1..31 bytes");
    begin(4);
    s("v");
    s("one");
    s("dtype");
    s("uint8");
    s("shape");
    msgpack_pack_array(&pk, 0);
    s("dims");
    msgpack_pack_array(&pk, 0);
    expect_bad(1, "header.v: expected a non-negative integer");
    /* axes */
    begin(5);
    base("uint8");
    s("axes");
    msgpack_pack_map(&pk, 1);
    s("x");
    msgpack_pack_map(&pk, 0);
    expect_bad(2, "header.axes: 'x' is not one of the dims");
    begin(5);
    base("uint8");
    s("axes");
    msgpack_pack_map(&pk, 1);
    s("t");
    msgpack_pack_map(&pk, 1);
    s("kind");
    s("log");
    expect_bad(2, "header.axes.t.kind: 'log' is not");
    begin(5);
    base("uint8");
    s("axes");
    msgpack_pack_map(&pk, 1);
    s("t");
    msgpack_pack_map(&pk, 2);
    s("kind");
    s("coord");
    s("labels");
    msgpack_pack_array(&pk, 3);
    s("a");
    s("b");
    s("c");
    expect_bad(2, "header.axes.t.labels: 3 entries for a dim of length 2");
    begin(5);
    base("uint8");
    s("axes");
    msgpack_pack_map(&pk, 1);
    s("t");
    msgpack_pack_map(&pk, 2);
    s("kind");
    s("linear");
    s("gain");
    s("fast");
    expect_bad(2, "header.axes.t.gain: expected a number");
    begin(5);
    base("uint8");
    s("axes");
    msgpack_pack_map(&pk, 1);
    s("t");
    msgpack_pack_map(&pk, 1);
    s("gain");
    msgpack_pack_double(&pk, 1.0);
    expect_bad(2, "header.axes.t.kind: missing");
    /* other fields */
    begin(5);
    base("uint8");
    s("data");
    s("shm");
    expect_bad(2, "header.data: transport 'shm' is not supported");
    begin(5);
    base("uint8");
    s("seq");
    msgpack_pack_int8(&pk, -3);
    expect_bad(2, "header.seq: expected a non-negative integer");
    begin(5);
    base("uint8");
    s("key");
    msgpack_pack_uint8(&pk, 3);
    expect_bad(2, "header.key: expected a string");
    begin(5);
    base("uint8");
    s("attrs");
    msgpack_pack_array(&pk, 0);
    expect_bad(2, "header.attrs: expected a map");
    begin(4);
    base("uint8");
    msgpack_pack_nil(&pk);
    expect_bad(2, "header: 1 trailing bytes after the map");
    begin(5);
    base("uint8");
    s("dtype");
    s("int8");
    expect_bad(2, "header.dtype: given twice");
    /* an unknown key is skipped, whatever its value */
    begin(5);
    base("uint8");
    s("future");
    msgpack_pack_map(&pk, 1);
    s("x");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_nil(&pk);
    d = ezc_buffer_new_host(2, &err);
    ck_assert_int_eq(ezc_wire_decode(sb.data, sb.size, d, &a, &err), 0);
    ezc_array_destroy(&a);
    ezc_buffer_unref(&d);
    /* no header at all, and a huge one */
    d = ezc_buffer_new_host(0, &err);
    ck_assert_int_eq(ezc_wire_decode("", 0, d, &a, &err), EZC_EPROTO);
    ck_assert_int_eq(ezc_wire_decode("", EZC_WIRE_MAX_HEADER + 1, d, &a, &err), EZC_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "at most"));
    ezc_buffer_unref(&d);
}
END_TEST

/* A full header, cut at every length: always a clean refusal. */
START_TEST(t_truncation_everywhere)
{
    ezc_error err;
    int64_t shape[2] = {3, 4};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_zeros(EZC_FLOAT32, 2, shape, dims, &err);
    ezc_array_set_linear_axis(a, 0, 0.001, 1, "s");
    const char *labels[4] = {"a", "b", "c", "d"};
    ezc_array_set_coord_labels(a, 1, labels, 4, "", &err);
    ezc_array_attr_set_str(a, "k", "v", &err);
    const void *h;
    size_t hl;
    ezc_wire_encode_header(enc, a, &h, &hl, &err);
    unsigned char *copy = malloc(hl);
    memcpy(copy, h, hl);
    ezc_buffer *d = ezc_buffer_new_host(48, &err);
    for (size_t cut = 0; cut < hl; cut++) {
        /* exactly `cut` bytes on the heap, so ASan sees any read past them */
        unsigned char *p = malloc(cut ? cut : 1);
        memcpy(p, copy, cut);
        ezc_array *b = NULL;
        ck_assert_int_eq(ezc_wire_decode(p, cut, d, &b, &err), EZC_EPROTO);
        ck_assert_ptr_null(b);
        free(p);
    }
    free(copy);
    ezc_buffer_unref(&d);
    ezc_array_destroy(&a);
}
END_TEST

/* Seeded single-byte corruption: decode or refuse, never anything else,
 * and an accepted array is internally consistent. */
START_TEST(t_random_flips)
{
    ezc_error err;
    int64_t shape[2] = {2, 3};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_zeros(EZC_INT16, 2, shape, dims, &err);
    const char *labels[3] = {"x", "y", "z"};
    ezc_array_set_coord_labels(a, 1, labels, 3, "", &err);
    ezc_array_set_linear_axis(a, 0, 0.5, 0, "s");
    const void *h;
    size_t hl;
    ezc_wire_encode_header(enc, a, &h, &hl, &err);
    unsigned char *p = malloc(hl);
    srand(12345);
    int accepted = 0;
    for (int k = 0; k < 2000; k++) {
        memcpy(p, h, hl);
        p[(size_t)rand() % hl] = (unsigned char)rand();
        ezc_buffer *d = ezc_buffer_new_host(12, &err);
        ezc_array *b = NULL;
        int rc = ezc_wire_decode(p, hl, d, &b, &err);
        ck_assert(rc == 0 || rc == EZC_EPROTO);
        if (rc == 0) {
            accepted++;
            ck_assert_int_eq(ezc_array_check(b, &err), 0);
        }
        ezc_array_destroy(&b);
        ezc_buffer_unref(&d);
    }
    ck_assert_int_gt(accepted, 0); /* flips inside values (labels, gain) still decode */
    free(p);
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_gpu_data_is_not_inlined)
{
    ezc_error err;
    int64_t n = 4;
    ezc_buffer *b = ezc_buffer_wrap((void *)0x1000, 16, ezc_device_cuda(0), NULL, NULL, &err);
    ezc_array *a = ezc_array_from_buffer(b, 0, EZC_FLOAT32, 1, &n, NULL, &err);
    const void *h;
    size_t hl;
    ck_assert_int_eq(ezc_wire_encode_header(enc, a, &h, &hl, &err), EZC_EDEVICE);
    ck_assert_ptr_nonnull(strstr(err.msg, "cuda:0"));
    ezc_array_destroy(&a);
    ezc_buffer_unref(&b);
}
END_TEST

/* ---- CUDA IPC headers (no GPU needed: a fake handle and a fake opener) ---- */

typedef struct {
    ezc_wire_cuda_ipc seen;
    size_t nbytes;
    int calls;
} fake_open_state;

static ezc_buffer *fake_open(const ezc_wire_cuda_ipc *ipc, size_t nbytes, void *ctx, ezc_error *err)
{
    fake_open_state *st = ctx;
    st->seen = *ipc;
    st->nbytes = nbytes;
    st->calls++;
    return ezc_buffer_new_host(nbytes, err);
}

static ezc_wire_cuda_ipc fake_ipc(void)
{
    ezc_wire_cuda_ipc ipc;
    memset(&ipc, 0, sizeof ipc);
    for (int i = 0; i < EZC_WIRE_IPC_HANDLE; i++)
        ipc.handle[i] = (unsigned char)(i * 37 + 5);
    ipc.device = 1;
    ipc.offset = 4096;
    ipc.pid = 0x7fffffffULL + 12;
    strcpy(ipc.shm, "/ezc-cuda-ipc-test-1234");
    ipc.slot = 63;
    ipc.gen = 1ULL << 40;
    return ipc;
}

START_TEST(t_cuda_ipc_header_roundtrip)
{
    ezc_error err;
    int64_t shape[2] = {3, 4};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_zeros(EZC_FLOAT32, 2, shape, dims, &err);
    ezc_array_set_linear_axis(a, 0, 0.001, 2.5, "s");
    a->seq = 17;
    ezc_wire_cuda_ipc ipc = fake_ipc();
    const void *h;
    size_t hl;
    ck_assert_int_eq(ezc_wire_encode_header_cuda_ipc(enc, a, &ipc, &h, &hl, &err), 0);
    fake_open_state st = {0};
    ezc_array *b = NULL;
    ck_assert_msg(ezc_wire_decode_with(h, hl, NULL, fake_open, &st, &b, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(st.calls, 1);
    ck_assert_uint_eq(st.nbytes, 48);
    ck_assert_int_eq(memcmp(st.seen.handle, ipc.handle, EZC_WIRE_IPC_HANDLE), 0);
    ck_assert_int_eq(st.seen.device, 1);
    ck_assert(st.seen.offset == 4096 && st.seen.pid == ipc.pid && st.seen.gen == ipc.gen);
    ck_assert_uint_eq(st.seen.slot, 63);
    ck_assert_str_eq(st.seen.shm, ipc.shm);
    ck_assert_str_eq(b->dims[1], "ch");
    ck_assert_double_eq(b->axes[0].offset, 2.5);
    ck_assert(b->seq == 17);
    ezc_array_destroy(&b);
    /* an empty data frame is required */
    ezc_buffer *d = ezc_buffer_new_host(48, &err);
    ck_assert_int_eq(ezc_wire_decode_with(h, hl, d, fake_open, &st, &b, &err), EZC_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "a cuda_ipc message has an empty data frame"));
    ezc_buffer_unref(&d);
    /* a bad descriptor is refused by the encoder */
    ipc.shm[0] = '\0';
    ck_assert_int_eq(ezc_wire_encode_header_cuda_ipc(enc, a, &ipc, &h, &hl, &err), EZC_EINVAL);
    ezc_array_destroy(&a);
}
END_TEST

/* True when a shared object whose path contains `name` is mapped here. */
static int mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, name) != NULL;
    if (f)
        fclose(f);
    return found;
}

/* The decoder's own opener. A message never loads a backend module: before
 * this process asked for a CUDA backend itself, a cuda_ipc header is refused
 * and libezc-cuda stays unmapped (it used to be searched for and dlopened
 * by the message). Once configuration loaded it: without a device the
 * message is refused with a clear error; with one, this fake handle's lease
 * table does not exist, which is refused too. */
START_TEST(t_cuda_ipc_without_cuda)
{
    ezc_error err;
    int64_t n = 4;
    ezc_array *a = ezc_array_zeros(EZC_FLOAT64, 1, &n, NULL, &err);
    ezc_wire_cuda_ipc ipc = fake_ipc();
    ipc.device = 0;
    const void *h;
    size_t hl;
    ck_assert_int_eq(ezc_wire_encode_header_cuda_ipc(enc, a, &ipc, &h, &hl, &err), 0);
    ezc_array *b = (ezc_array *)1;
    int rc = ezc_wire_decode(h, hl, NULL, &b, &err);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(rc, EZC_EDEVICE);
    ck_assert_msg(strstr(err.msg, "no CUDA backend is loaded in this process") != NULL, "%s",
                  err.msg);
    ck_assert_msg(!mapped("libezc-cuda"), "a message made this process load libezc-cuda");

    ezc_error xerr;
    int have_cuda = ezc_xp_for(ezc_device_cuda(0), &xerr) != NULL; /* configuration: may load */
    ck_assert_int_eq(ezc_wire_encode_header_cuda_ipc(enc, a, &ipc, &h, &hl, &err), 0);
    b = (ezc_array *)1;
    rc = ezc_wire_decode(h, hl, NULL, &b, &err);
    ck_assert_ptr_null(b);
    if (!have_cuda) {
        ck_assert_int_eq(rc, EZC_EDEVICE);
        ck_assert_msg(strstr(err.msg, "no CUDA backend is loaded") != NULL, "%s", err.msg);
    } else {
        ck_assert_int_eq(rc, EZC_EPROTO);
        ck_assert_msg(strstr(err.msg, "lease table") != NULL, "%s", err.msg);
    }
    ezc_array_destroy(&a);
}
END_TEST

/* A cuda_ipc map with one field changed by `bad_field` (index) and how. */
static void ipc_header(int which, int how)
{
    static const char *keys[7] = {"handle", "device", "offset", "pid", "shm", "slot", "gen"};
    unsigned char handle[64] = {1, 2, 3};
    begin(6);
    base("uint8");
    s("data");
    s("cuda_ipc");
    s("cuda_ipc");
    msgpack_pack_map(&pk, how == 2 ? 6 : 7);
    for (int k = 0; k < 7; k++) {
        if (k == which && how == 2)
            continue; /* missing */
        s(keys[k]);
        if (k == which && how == 1) { /* wrong type */
            msgpack_pack_array(&pk, 0);
            continue;
        }
        switch (k) {
        case 0:
            msgpack_pack_bin(&pk, k == which ? 63 : 64);
            msgpack_pack_bin_body(&pk, handle, k == which ? 63 : 64);
            break;
        case 1: msgpack_pack_uint32(&pk, k == which ? 5000 : 0); break;
        case 4: s(k == which ? "no-slash" : "/ezc-x"); break;
        case 5: msgpack_pack_uint64(&pk, k == which ? (1ull << 33) : 1); break;
        default: msgpack_pack_uint8(&pk, 1); break;
        }
    }
}

START_TEST(t_cuda_ipc_malformed)
{
    ipc_header(0, 0);
    expect_bad(0, "header.cuda_ipc.handle: expected 64 bytes");
    ipc_header(0, 1);
    expect_bad(0, "header.cuda_ipc.handle: expected 64 bytes");
    ipc_header(0, 2);
    expect_bad(0, "header.cuda_ipc.handle: missing");
    ipc_header(1, 0);
    expect_bad(0, "header.cuda_ipc.device: 5000 is not a device ordinal");
    ipc_header(1, 1);
    expect_bad(0, "header.cuda_ipc.device: expected a non-negative integer");
    ipc_header(2, 2);
    expect_bad(0, "header.cuda_ipc.offset: missing");
    ipc_header(3, 1);
    expect_bad(0, "header.cuda_ipc.pid: expected a non-negative integer");
    ipc_header(4, 0);
    expect_bad(0, "header.cuda_ipc.shm: expected a shared-memory name");
    ipc_header(4, 2);
    expect_bad(0, "header.cuda_ipc.shm: missing");
    ipc_header(5, 0);
    expect_bad(0, "header.cuda_ipc.slot: 8589934592 out of range");
    ipc_header(6, 1);
    expect_bad(0, "header.cuda_ipc.gen: expected a non-negative integer");
    /* a valid map, but bytes in the data frame */
    ipc_header(-1, 0);
    expect_bad(2, "data: a cuda_ipc message has an empty data frame");
    /* data says cuda_ipc without the map, and the map without data saying so */
    begin(5);
    base("uint8");
    s("data");
    s("cuda_ipc");
    expect_bad(0, "header.cuda_ipc: missing");
    begin(5);
    base("uint8");
    s("cuda_ipc");
    msgpack_pack_map(&pk, 0);
    expect_bad(2, "header.cuda_ipc.handle: missing");
    begin(5);
    base("uint8");
    s("cuda_ipc");
    msgpack_pack_nil(&pk);
    expect_bad(2, "header.cuda_ipc: expected a map");
    begin(6);
    base("uint8");
    s("data");
    s("inline");
    s("cuda_ipc");
    msgpack_pack_map(&pk, 7);
    {
        unsigned char hb[64] = {0};
        s("handle");
        msgpack_pack_bin(&pk, 64);
        msgpack_pack_bin_body(&pk, hb, 64);
        s("device");
        msgpack_pack_uint8(&pk, 0);
        s("offset");
        msgpack_pack_uint8(&pk, 0);
        s("pid");
        msgpack_pack_uint8(&pk, 1);
        s("shm");
        s("/x");
        s("slot");
        msgpack_pack_uint8(&pk, 0);
        s("gen");
        msgpack_pack_uint8(&pk, 0);
    }
    expect_bad(2, "header.cuda_ipc: given, but header.data is not \"cuda_ipc\"");
}
END_TEST

/* ---- end of stream ------------------------------------------------- */

START_TEST(t_end_of_stream)
{
    ezc_error err;
    ezc_wire_stamp st = {7, 42, 123, 0}, got;
    const void *hdr;
    size_t len;
    ck_assert_int_eq(ezc_wire_encode_eos(enc, &st, &hdr, &len, &err), 0);
    unsigned char copy[64];
    ck_assert_uint_le(len, sizeof copy);
    memcpy(copy, hdr, len);
    ezc_array *a = (ezc_array *)1;
    ck_assert_int_eq(ezc_wire_decode(copy, len, NULL, &a, &err), EZC_EEOS);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(err.code, EZC_EEOS);
    ck_assert_int_eq(ezc_wire_eos_stamp(copy, len, &got), 1);
    ck_assert(got.src == 7 && got.seq == 42 && got.ts_ns == 123);
    ezc_buffer *empty = ezc_buffer_new_host(0, &err); /* an empty frame, as received */
    ck_assert_int_eq(ezc_wire_decode(copy, len, empty, &a, &err), EZC_EEOS);
    ezc_buffer_unref(&empty);
    /* A cut marker is malformed, never an array or another marker. */
    for (size_t n = 0; n < len; n++) {
        a = (ezc_array *)1;
        ck_assert_int_eq(ezc_wire_decode(copy, n, NULL, &a, &err), EZC_EPROTO);
        ck_assert_ptr_null(a);
        ck_assert_int_eq(ezc_wire_eos_stamp(copy, n, &got), 0);
    }
    /* dtype, shape and dims beside it are checked and ignored */
    begin(6);
    base("float32");
    s("eos");
    msgpack_pack_true(&pk);
    s("seq");
    msgpack_pack_uint8(&pk, 3);
    ck_assert_int_eq(ezc_wire_decode(sb.data, sb.size, NULL, &a, &err), EZC_EEOS);
    ck_assert_int_eq(ezc_wire_eos_stamp(sb.data, sb.size, &got), 1);
    ck_assert_uint_eq(got.seq, 3);
    begin(5);
    base("nonsense");
    s("eos");
    msgpack_pack_true(&pk);
    expect_bad(0, "header.dtype: unknown dtype");
    /* eos false: an ordinary message */
    begin(5);
    base("uint8");
    s("eos");
    msgpack_pack_false(&pk);
    ezc_buffer *two = ezc_buffer_new_host(2, &err);
    ck_assert_int_eq(ezc_wire_decode(sb.data, sb.size, two, &a, &err), 0);
    ck_assert_int_eq(a->shape[0], 2);
    ezc_array_destroy(&a);
    ezc_buffer_unref(&two);
    ck_assert_int_eq(ezc_wire_eos_stamp(sb.data, sb.size, &got), 0);
    /* malformed markers */
    begin(2);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("eos");
    msgpack_pack_true(&pk);
    expect_bad(4, "data: an end-of-stream marker has an empty data frame, not 4 bytes");
    begin(1);
    s("eos");
    msgpack_pack_true(&pk);
    expect_bad(0, "header.v: missing");
    begin(2);
    s("v");
    msgpack_pack_uint8(&pk, 2);
    s("eos");
    msgpack_pack_true(&pk);
    expect_bad(0, "header.v: unsupported format version 2");
    begin(2);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("eos");
    msgpack_pack_uint8(&pk, 1);
    expect_bad(0, "header.eos: expected true or false");
    begin(3);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("eos");
    msgpack_pack_true(&pk);
    s("eos");
    msgpack_pack_true(&pk);
    expect_bad(0, "header.eos: given twice");
    begin(3);
    s("v");
    msgpack_pack_uint8(&pk, 1);
    s("eos");
    msgpack_pack_true(&pk);
    s("data");
    s("cuda_ipc");
    expect_bad(0, "an end-of-stream marker carries no data");
}
END_TEST

/* "start" (the publisher instance's start time): written by an encoder that
 * was given one, read back with the stamps, absent = 0, a wrong type refused. */
START_TEST(t_start_stamp)
{
    ezc_error err;
    ezc_wire_encoder *e = ezc_wire_encoder_new(&err);
    int64_t shape[1] = {3};
    ezc_array *a = ezc_array_zeros(EZC_FLOAT32, 1, shape, NULL, &err), *b = NULL;
    a->src = 9;
    a->seq = 4;
    a->ts_ns = 1000;
    const void *hdr;
    size_t len;
    ezc_wire_stamp st;
    for (int with = 0; with < 2; with++) {
        ezc_wire_encoder_set_start(e, with ? 1234567890123LL : 0);
        ck_assert_int_eq(ezc_wire_encode_header(e, a, &hdr, &len, &err), 0);
        memset(&st, 0xff, sizeof st);
        ck_assert_int_eq(ezc_wire_decode_stamp(hdr, len, a->buf, NULL, NULL, &b, &st, &err), 0);
        ck_assert(st.src == 9 && st.seq == 4 && st.ts_ns == 1000);
        ck_assert_int_eq(st.start_ns, with ? 1234567890123LL : 0);
        ck_assert(b->src == 9 && b->seq == 4 && b->shape[0] == 3);
        ezc_array_destroy(&b);
        ck_assert_int_eq(ezc_wire_decode(hdr, len, a->buf, &b, &err), 0); /* as any reader */
        ezc_array_destroy(&b);
        ezc_wire_stamp eos = {9, 5, 2000, 0}, got;
        ck_assert_int_eq(ezc_wire_encode_eos(e, &eos, &hdr, &len, &err), 0);
        ck_assert_int_eq(ezc_wire_eos_stamp(hdr, len, &got), 1);
        ck_assert(got.seq == 5 && got.start_ns == (with ? 1234567890123LL : 0));
        ck_assert_int_eq(ezc_wire_decode_stamp(hdr, len, NULL, NULL, NULL, &b, &st, &err),
                         EZC_EEOS);
        ck_assert(b == NULL && st.seq == 5 && st.start_ns == got.start_ns);
    }
    begin(5);
    base("float32");
    s("start");
    s("yesterday");
    expect_bad(8, "header.start: expected an integer");
    ezc_array_destroy(&a);
    ezc_wire_encoder_destroy(&e);
}
END_TEST

int main(void)
{
    ezc_error err;
    enc = ezc_wire_encoder_new(&err);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    Suite *su = suite_create("wire");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, t_every_dtype);
    tcase_add_test(tc, t_axes_key_attrs);
    tcase_add_test(tc, t_zero_size_and_scalar);
    tcase_add_test(tc, t_malformed);
    tcase_add_test(tc, t_truncation_everywhere);
    tcase_add_test(tc, t_random_flips);
    tcase_add_test(tc, t_gpu_data_is_not_inlined);
    tcase_add_test(tc, t_cuda_ipc_header_roundtrip);
    tcase_add_test(tc, t_cuda_ipc_without_cuda);
    tcase_add_test(tc, t_cuda_ipc_malformed);
    tcase_add_test(tc, t_end_of_stream);
    tcase_add_test(tc, t_start_stamp);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    msgpack_sbuffer_destroy(&sb);
    ezc_wire_encoder_destroy(&enc);
    return nf ? 1 : 0;
}
