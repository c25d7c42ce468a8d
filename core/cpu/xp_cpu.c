/* xp_cpu.c — the CPU backend's table, its memory operations, and how it
 * checks that an array is one it computes on (ezc_cpu_check, ezc_cpu_dev).
 *
 * The rest of every op's contract is checked in core/xp_check.c, the same
 * for all backends: "xp.<op>: <arg> ..." naming the dtype, shape or device. */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cpu_internal.h"

/* ---- argument checks ------------------------------------------------- */

int ezc_cpu_check(const char *op, const char *name, const ezc_array *a, ezc_error *err)
{
    if (!a)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: %s is NULL", op, name);
    if (a->tensor.device.device_type != kDLCPU) {
        char dev[32];
        ezc_device_format(a->tensor.device, dev, sizeof dev);
        return ezc_error_set(err, EZC_EDEVICE,
                             "xp.%s: %s is on device %s; the cpu backend computes on host "
                             "memory only (move it with to_device)",
                             op, name, dev);
    }
    if (!ezc_dtype_size(a->dtype))
        return ezc_error_set(err, EZC_EDTYPE, "xp.%s: %s has an invalid dtype (%d)", op, name,
                             (int)a->dtype);
    if (a->tensor.ndim < 0 || a->tensor.ndim > EZC_MAX_DIMS)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has %d dims", op, name, a->tensor.ndim);
    if (a->tensor.strides) {
        /* Only C-contiguous strides are accepted, even when spelled out. */
        int64_t expect = 1;
        for (int i = a->tensor.ndim - 1; i >= 0; i--) {
            if (a->shape[i] > 1 && a->tensor.strides[i] != expect)
                return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s is not C-contiguous", op, name);
            expect *= a->shape[i];
        }
    }
    if (!a->tensor.data && ezc_array_size(a))
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: %s has no data", op, name);
    return 0;
}

int ezc_cpu_bad_dtype(const char *op, ezc_dtype t, ezc_error *err)
{
    return ezc_error_set(err, EZC_EDTYPE, "xp.%s: dtype %s not supported on cpu", op,
                         ezc_dtype_name(t));
}

static int cpu_place(const char *op, const char *name, const ezc_array *a, const ezc_array *like,
                     ezc_error *err)
{
    (void)like; /* one host */
    return ezc_cpu_check(op, name, a, err);
}

static int cpu_bad_dtype(const char *op, const char *name, const ezc_array *a, const char *expected,
                         ezc_error *err)
{
    (void)name;
    (void)expected;
    return ezc_cpu_bad_dtype(op, a->dtype, err);
}

const ezc_xp_dev ezc_cpu_dev = {"cpu", cpu_place, cpu_bad_dtype};

/* ---- memory ---------------------------------------------------------- */

ezc_buffer *ezc_cpu_alloc(DLDevice device, size_t nbytes, ezc_error *err)
{
    if (device.device_type != kDLCPU) {
        char dev[32];
        ezc_device_format(device, dev, sizeof dev);
        ezc_error_set(err, EZC_EDEVICE, "xp.alloc: the cpu backend cannot allocate on %s", dev);
        return NULL;
    }
    return ezc_buffer_new_host(nbytes, err);
}

int ezc_cpu_copy(const ezc_array *src, ezc_array *dst, ezc_error *err)
{
    int rc;
    if ((rc = ezc_cpu_check("copy", "src", src, err)) ||
        (rc = ezc_cpu_check("copy", "dst", dst, err)))
        return rc;
    if (src->dtype != dst->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.copy: src is %s but dst is %s",
                             ezc_dtype_name(src->dtype), ezc_dtype_name(dst->dtype));
    if (ezc_array_size(src) != ezc_array_size(dst)) {
        char ss[128], sd[128];
        return ezc_error_set(err, EZC_ESHAPE, "xp.copy: src has shape %s but dst %s",
                             ezc_shape_str(src, ss, sizeof ss), ezc_shape_str(dst, sd, sizeof sd));
    }
    if (ezc_array_nbytes(src))
        memmove(ezc_array_data(dst), ezc_array_data(src), ezc_array_nbytes(src));
    return 0;
}

#define FILL_CASE(E, T, S)                                                                         \
    case E: {                                                                                      \
        T *p = data, v = (T)value;                                                                 \
        for (size_t i = 0; i < n; i++)                                                             \
            p[i] = v;                                                                              \
        return 0;                                                                                  \
    }

int ezc_cpu_int_range(ezc_dtype t, double *lo, double *hi)
{
    switch (t) {
    case EZC_INT8:
        *lo = INT8_MIN;
        *hi = 0x1p7;
        return 1;
    case EZC_INT16:
        *lo = INT16_MIN;
        *hi = 0x1p15;
        return 1;
    case EZC_INT32:
        *lo = INT32_MIN;
        *hi = 0x1p31;
        return 1;
    case EZC_INT64:
        *lo = -0x1p63;
        *hi = 0x1p63;
        return 1;
    case EZC_UINT8:
        *lo = 0;
        *hi = 0x1p8;
        return 1;
    case EZC_UINT16:
        *lo = 0;
        *hi = 0x1p16;
        return 1;
    case EZC_UINT32:
        *lo = 0;
        *hi = 0x1p32;
        return 1;
    case EZC_UINT64:
        *lo = 0;
        *hi = 0x1p64;
        return 1;
    case EZC_BOOL:
        *lo = 0;
        *hi = 2;
        return 1;
    default: return 0;
    }
}

int ezc_cpu_fill(ezc_array *a, double value, ezc_error *err)
{
    int rc = ezc_cpu_check("fill", "a", a, err);
    if (rc)
        return rc;
    double lo, hi;
    if (a->dtype != EZC_BOOL && ezc_cpu_int_range(a->dtype, &lo, &hi) &&
        !(trunc(value) >= lo && trunc(value) < hi))
        return ezc_error_set(err, EZC_EINVAL, "xp.fill: value %g does not fit dtype %s", value,
                             ezc_dtype_name(a->dtype));
    void *data = ezc_array_data(a);
    size_t n = ezc_array_size(a);
    if (a->dtype == EZC_BOOL) {
        memset(data, value != 0.0, n);
        return 0;
    }
    switch (a->dtype) {
        EZC_CPU_REALS(FILL_CASE)
        EZC_CPU_COMPLEX(FILL_CASE)
    default: break;
    }
    return ezc_cpu_bad_dtype("fill", a->dtype, err);
}

/* Conversion of one value v to the destination category. numpy's astype:
 * complex -> real keeps the real part, anything -> bool is "!= 0". */
#define REAL_PART(v)                                                                               \
    _Generic((v), float _Complex : crealf(v), double _Complex : creal(v), default : (v))

#define CONV_LOOP(DT, EXPR)                                                                        \
    {                                                                                              \
        DT *restrict d = dst;                                                                      \
        for (size_t i = 0; i < n; i++)                                                             \
            d[i] = (DT)(EXPR);                                                                     \
        return;                                                                                    \
    }
/* One-line case macros: clang-format would join them into one. */
/* clang-format off */
#define TO_REAL(E, DT, S) case E: CONV_LOOP(DT, REAL_PART(s[i]))
#define TO_CPLX(E, DT, S) case E: CONV_LOOP(DT, s[i])
/* clang-format on */

/* One converter per source type, each switching over the destination. */
#define DEF_CONVERT_FROM(ST, SUF)                                                                  \
    static void convert_from_##SUF(const ST *restrict s, void *dst, ezc_dtype dt, size_t n)        \
    {                                                                                              \
        switch (dt) {                                                                              \
            EZC_CPU_REALS(TO_REAL)                                                                 \
            EZC_CPU_COMPLEX(TO_CPLX)                                                               \
        case EZC_BOOL: CONV_LOOP(uint8_t, s[i] != 0)                                               \
        default: return;                                                                           \
        }                                                                                          \
    }
DEF_CONVERT_FROM(float, f32)
DEF_CONVERT_FROM(double, f64)
DEF_CONVERT_FROM(int8_t, i8)
DEF_CONVERT_FROM(int16_t, i16)
DEF_CONVERT_FROM(int32_t, i32)
DEF_CONVERT_FROM(int64_t, i64)
DEF_CONVERT_FROM(uint8_t, u8)
DEF_CONVERT_FROM(uint16_t, u16)
DEF_CONVERT_FROM(uint32_t, u32)
DEF_CONVERT_FROM(uint64_t, u64)
DEF_CONVERT_FROM(uint8_t, b8)
DEF_CONVERT_FROM(float _Complex, c64)
DEF_CONVERT_FROM(double _Complex, c128)

#define CONVERT_CASE(E, T, S)                                                                      \
    case E: convert_from_##S(src, dst, y->dtype, n); return 0;

int ezc_cpu_astype(const ezc_array *x, ezc_array *y, ezc_error *err)
{
    int rc;
    if ((rc = ezc_cpu_check("astype", "x", x, err)) ||
        (rc = ezc_cpu_check("astype", "y", y, err)) ||
        (rc = ezc_xp_same_shape("astype", "x", x, "y", y, err)))
        return rc;
    if (x->dtype == y->dtype)
        return ezc_cpu_copy(x, y, err);
    if ((rc = ezc_xp_disjoint("astype", x, y, err)))
        return rc;
    const void *src = ezc_array_data(x);
    void *dst = ezc_array_data(y);
    size_t n = ezc_array_size(x);
    switch (x->dtype) {
        EZC_CPU_ALL(CONVERT_CASE)
    default: break;
    }
    return ezc_cpu_bad_dtype("astype", x->dtype, err);
}

int ezc_cpu_sync(DLDevice device, ezc_error *err)
{
    if (device.device_type != kDLCPU)
        return ezc_error_set(err, EZC_EDEVICE, "xp.sync: the cpu backend has no device type %d",
                             (int)device.device_type);
    return 0;
}

const ezc_xp ezc_xp_cpu_table = {
    .abi = EZC_XP_ABI,
    .name = "cpu",
    .device_type = kDLCPU,
    .alloc = ezc_cpu_alloc,
    .copy = ezc_cpu_copy,
    .fill = ezc_cpu_fill,
    .astype = ezc_cpu_astype,
    .sync = ezc_cpu_sync,
    .unary = ezc_cpu_unary,
    .affine = ezc_cpu_affine,
    .affine_axis = ezc_cpu_affine_axis,
    .clip = ezc_cpu_clip,
    .pow = ezc_cpu_pow,
    .binary = ezc_cpu_binary,
    .reduce = ezc_cpu_reduce,
    .diff = ezc_cpu_diff,
    .take = ezc_cpu_take,
    .concat = ezc_cpu_concat,
    .permute = ezc_cpu_permute,
    .fft = ezc_cpu_fft,
    .matmul = ezc_cpu_matmul,
    .cholesky = ezc_cpu_cholesky,
    .solve = ezc_cpu_solve,
    .eigh = ezc_cpu_eigh,
    .svd = ezc_cpu_svd,
    .iir = ezc_cpu_iir,
    .fir = ezc_cpu_fir,
    .log_base = ezc_cpu_log_base,
    .lattice_notch = ezc_cpu_lattice_notch,
};
