/* xp_cuda.c — the CUDA backend's table, its entry point, and the checks
 * every op makes before it launches: arrays on a cuda device, dtypes the
 * kernels know (float32/float64; complex too for fft), shapes that agree.
 * Linear algebra and fft live in linalg.c and fft.c. Ops the table
 * leaves NULL are reported as not implemented by ezc_xp_call. */
#include <stdio.h>
#include <string.h>
#include "cuda_internal.h"
#include "kernels.h"

int ezc_cuda_check_device(const char *op, const char *name, const ezc_array *a, ezc_error *err)
{
    if (!a)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: %s is NULL", op, name);
    if (a->tensor.device.device_type != kDLCUDA) {
        char dev[32];
        return ezc_error_set(err, EZC_EDEVICE,
                             "xp.%s: %s is on device %s; the cuda backend computes on cuda "
                             "memory only (move it with to_device)",
                             op, name, ezc_device_format(a->tensor.device, dev, sizeof dev));
    }
    cudaSetDevice(a->tensor.device.device_id);
    return 0;
}

int ezc_cuda_check_types(const char *op, const char *name, const ezc_array *a, int complex_ok,
                         ezc_error *err)
{
    int rc = ezc_cuda_check_device(op, name, a, err);
    if (rc)
        return rc;
    int ok = a->dtype == EZC_FLOAT32 || a->dtype == EZC_FLOAT64 ||
             (complex_ok && (a->dtype == EZC_COMPLEX64 || a->dtype == EZC_COMPLEX128));
    if (!ok)
        return ezc_error_set(err, EZC_EDTYPE,
                             "xp.%s: dtype %s not supported on cuda (float32, float64%s)", op,
                             ezc_dtype_name(a->dtype), complex_ok ? ", complex64, complex128" : "");
    return 0;
}

int ezc_cuda_check(const char *op, const char *name, const ezc_array *a, ezc_error *err)
{
    return ezc_cuda_check_types(op, name, a, 0, err);
}

static int cuda_place(const char *op, const char *name, const ezc_array *a, const ezc_array *like,
                      ezc_error *err)
{
    int rc = ezc_cuda_check_device(op, name, a, err);
    if (rc)
        return rc;
    if (like && like->tensor.device.device_id != a->tensor.device.device_id)
        return ezc_error_set(err, EZC_EDEVICE, "xp.%s: %s is on cuda:%d, the others on cuda:%d", op,
                             name, a->tensor.device.device_id, like->tensor.device.device_id);
    return 0;
}

static int cuda_bad_dtype(const char *op, const char *name, const ezc_array *a,
                          const char *expected, ezc_error *err)
{
    return ezc_error_set(err, EZC_EDTYPE, "xp.%s: %s has dtype %s, expected %s", op, name,
                         ezc_dtype_name(a->dtype), expected);
}

const ezc_xp_dev ezc_cuda_dev = {"cuda", cuda_place, cuda_bad_dtype};

static int same(const char *op, const ezc_array *x, const ezc_array *y, ezc_error *err)
{
    if (x->dtype != y->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.%s: y has dtype %s, expected %s", op,
                             ezc_dtype_name(y->dtype), ezc_dtype_name(x->dtype));
    if (ezc_array_size(x) != ezc_array_size(y) || x->tensor.ndim != y->tensor.ndim ||
        memcmp(x->shape, y->shape, sizeof(int64_t) * (size_t)x->tensor.ndim) != 0)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: x and y differ in shape", op);
    if (x->tensor.device.device_id != y->tensor.device.device_id)
        return ezc_error_set(err, EZC_EDEVICE, "xp.%s: x and y are on different cuda devices", op);
    return 0;
}

int ezc_cuda_ktype(const ezc_array *a)
{
    return a->dtype == EZC_FLOAT32 ? EZK_F32 : EZK_F64;
}

/* Waits for the launched work and turns a CUDA error into ours. */
int ezc_cuda_finish(const char *op, int rc, ezc_error *err)
{
    if (!rc)
        rc = (int)cudaStreamSynchronize(cudaStreamPerThread);
    return rc ? ezc_cuda_fail(err, op, rc) : 0;
}

static int cuda_fill(ezc_array *a, double v, ezc_error *err)
{
    int rc = ezc_cuda_check("fill", "a", a, err);
    return rc ? rc
              : ezc_cuda_finish("fill",
                                ezk_fill(ezc_cuda_ktype(a), ezc_array_data(a), ezc_array_size(a), v,
                                         EZC_CUDA_STREAM),
                                err);
}

static int cuda_astype(const ezc_array *x, ezc_array *y, ezc_error *err)
{
    int rc = ezc_cuda_check("astype", "x", x, err);
    if (!rc)
        rc = ezc_cuda_check("astype", "y", y, err);
    if (rc)
        return rc;
    if (ezc_array_size(x) != ezc_array_size(y))
        return ezc_error_set(err, EZC_ESHAPE, "xp.astype: x and y differ in size");
    if (x->dtype == y->dtype)
        return ezc_cuda_copy(x, y, err);
    return ezc_cuda_finish("astype",
                           ezk_convert(ezc_cuda_ktype(x), ezc_cuda_ktype(y), ezc_array_data(x),
                                       ezc_array_data(y), ezc_array_size(x), EZC_CUDA_STREAM),
                           err);
}

static int cuda_sync(DLDevice device, ezc_error *err)
{
    if (device.device_type != kDLCUDA)
        return ezc_error_set(err, EZC_EDEVICE, "xp.sync: not a cuda device");
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || device.device_id < 0 ||
        device.device_id >= count)
        return ezc_error_set(err, EZC_EDEVICE, "xp.sync: no device cuda:%d (this machine has %d)",
                             device.device_id, count);
    return ezc_cuda_finish("sync", (int)cudaSetDevice(device.device_id), err);
}

static const char *unary_names[EZC_UNARY_COUNT] = {"abs",   "neg",        "square", "sign",
                                                   "sqrt",  "exp",        "log",    "log2",
                                                   "log10", "reciprocal", "sin",    "cos"};

static int cuda_unary(ezc_unary_op op, const ezc_array *x, ezc_array *y, ezc_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "unary(%s)",
             (unsigned)op < EZC_UNARY_COUNT ? unary_names[op] : "?");
    if ((unsigned)op >= EZC_UNARY_COUNT)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: unknown op %d", name, (int)op);
    int rc = ezc_cuda_check(name, "x", x, err);
    if (!rc)
        rc = ezc_cuda_check(name, "y", y, err);
    if (!rc)
        rc = same(name, x, y, err);
    if (rc)
        return rc;
    return ezc_cuda_finish(name,
                           ezk_unary((int)op, ezc_cuda_ktype(x), ezc_array_data(x),
                                     ezc_array_data(y), ezc_array_size(x), EZC_CUDA_STREAM),
                           err);
}

static int cuda_affine(const ezc_array *x, ezc_array *y, double a, double b, ezc_error *err)
{
    int rc = ezc_cuda_check("affine", "x", x, err);
    if (!rc)
        rc = ezc_cuda_check("affine", "y", y, err);
    if (!rc)
        rc = same("affine", x, y, err);
    return rc ? rc
              : ezc_cuda_finish("affine",
                                ezk_affine(ezc_cuda_ktype(x), ezc_array_data(x), ezc_array_data(y),
                                           ezc_array_size(x), a, b, EZC_CUDA_STREAM),
                                err);
}

static int cuda_clip(const ezc_array *x, ezc_array *y, double lo, double hi, ezc_error *err)
{
    int rc = ezc_cuda_check("clip", "x", x, err);
    if (!rc)
        rc = ezc_cuda_check("clip", "y", y, err);
    if (!rc)
        rc = same("clip", x, y, err);
    if (!rc && lo > hi)
        rc = ezc_error_set(err, EZC_EINVAL, "xp.clip: lo (%g) > hi (%g)", lo, hi);
    return rc ? rc
              : ezc_cuda_finish("clip",
                                ezk_clip(ezc_cuda_ktype(x), ezc_array_data(x), ezc_array_data(y),
                                         ezc_array_size(x), lo, hi, EZC_CUDA_STREAM),
                                err);
}

static int cuda_pow(const ezc_array *x, ezc_array *y, double p, ezc_error *err)
{
    int rc = ezc_cuda_check("pow", "x", x, err);
    if (!rc)
        rc = ezc_cuda_check("pow", "y", y, err);
    if (!rc)
        rc = same("pow", x, y, err);
    return rc ? rc
              : ezc_cuda_finish("pow",
                                ezk_pow(ezc_cuda_ktype(x), ezc_array_data(x), ezc_array_data(y),
                                        ezc_array_size(x), p, EZC_CUDA_STREAM),
                                err);
}

static int cuda_binary(ezc_binary_op op, const ezc_array *a, const ezc_array *b, ezc_array *y,
                       ezc_error *err)
{
    if ((unsigned)op >= EZC_BINARY_COUNT)
        return ezc_error_set(err, EZC_EINVAL, "xp.binary: unknown op %d", (int)op);
    int rc = ezc_cuda_check("binary", "a", a, err);
    if (!rc)
        rc = ezc_cuda_check("binary", "b", b, err);
    if (!rc)
        rc = ezc_cuda_check("binary", "y", y, err);
    if (!rc)
        rc = same("binary", a, b, err);
    if (!rc)
        rc = same("binary", a, y, err);
    return rc ? rc
              : ezc_cuda_finish("binary",
                                ezk_binary((int)op, ezc_cuda_ktype(a), ezc_array_data(a),
                                           ezc_array_data(b), ezc_array_data(y), ezc_array_size(a),
                                           EZC_CUDA_STREAM),
                                err);
}

static const ezc_xp table = {
    .abi = EZC_XP_ABI,
    .name = "cuda",
    .device_type = kDLCUDA,
    .alloc = ezc_cuda_alloc,
    .copy = ezc_cuda_copy,
    .fill = cuda_fill,
    .astype = cuda_astype,
    .sync = cuda_sync,
    .unary = cuda_unary,
    .affine = cuda_affine,
    .clip = cuda_clip,
    .pow = cuda_pow,
    .binary = cuda_binary,
    .reduce = ezc_cuda_reduce,
    .diff = ezc_cuda_diff,
    .take = ezc_cuda_take,
    .concat = ezc_cuda_concat,
    .permute = ezc_cuda_permute,
    .affine_axis = ezc_cuda_affine_axis,
    .fft = ezc_cuda_fft,
    .matmul = ezc_cuda_matmul,
    .cholesky = ezc_cuda_cholesky,
    .solve = ezc_cuda_solve,
    .eigh = ezc_cuda_eigh,
    .svd = ezc_cuda_svd,
    .iir = ezc_cuda_iir,
};

__attribute__((visibility("default"))) const ezc_xp *ezc_xp_cuda_entry(char *errbuf, size_t n)
{
    int count = 0;
    cudaError_t rc = cudaGetDeviceCount(&count);
    if (rc != cudaSuccess || count == 0) {
        snprintf(errbuf, n, "no CUDA device (%s)",
                 rc != cudaSuccess ? cudaGetErrorString(rc) : "device count is 0");
        return NULL;
    }
    ezc_cuda_ipc_register(&ezc_cuda_ipc_table);
    return &table;
}
