/* reduce_ops.c — the CUDA backend's xp.reduce: every op of ezc_reduce_op on
 * float and integer dtypes, with the CPU backend's output dtypes, empty-axis
 * results and errors. Float sum/mean/min/max/std/var go to reduce.cu's
 * kernels (a shared-memory tree for long last-axis rows); the rest to
 * reduce_more.cu. A nan-arg* over an all-NaN slice is EZC_ENUMERIC, as on
 * the CPU (numpy raises). */
#include <stdio.h>
#include "cuda_internal.h"
#include "kernels.h"
#include "xp_check.h"

/* The kernels' code for a dtype; -1 for one they do not reduce. */
static int ktype_of(ezc_dtype t)
{
    switch (t) {
    case EZC_FLOAT32: return EZK_F32;
    case EZC_FLOAT64: return EZK_F64;
    case EZC_INT8: return EZK_I8;
    case EZC_INT16: return EZK_I16;
    case EZC_INT32: return EZK_I32;
    case EZC_INT64: return EZK_I64;
    case EZC_UINT8: return EZK_U8;
    case EZC_UINT16: return EZK_U16;
    case EZC_UINT32: return EZK_U32;
    case EZC_UINT64: return EZK_U64;
    default: return -1;
    }
}

int ezc_cuda_reduce(ezc_reduce_op op, const ezc_array *x, int axis, ezc_array *y, ezc_error *err)
{
    char name[32];
    int rc;
    /* What the kernels compute comes first: it is this backend's, and worded so. */
    if ((unsigned)op < EZC_REDUCE_COUNT && x && x->tensor.device.device_type == kDLCUDA &&
        ktype_of(x->dtype) < 0)
        return ezc_error_set(err, EZC_EDTYPE,
                             "xp.reduce(%s): dtype %s not supported on cuda (float and integer "
                             "dtypes)",
                             ezc_xp_reduce_name(op), ezc_dtype_name(x->dtype));
    if ((rc = ezc_xp_check_reduce(&ezc_cuda_dev, op, x, &axis, y, name, sizeof name, err)))
        return rc;
    int kt = ktype_of(x->dtype), skipnan;
    ezc_reduce_op base = ezc_xp_reduce_base(op, &skipnan);
    ezc_dtype yt = ezc_reduce_dtype(base, x->dtype);
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    int is_float = kt == EZK_F32 || kt == EZK_F64;
    skipnan = skipnan && is_float; /* integers have no NaN: nan- forms are the plain ones */
    if (is_float && !skipnan &&
        (base == EZC_REDUCE_SUM || base == EZC_REDUCE_MEAN || base == EZC_REDUCE_MIN ||
         base == EZC_REDUCE_MAX || base == EZC_REDUCE_STD || base == EZC_REDUCE_VAR))
        return ezc_cuda_finish(name,
                               ezk_reduce((int)base, kt, ezc_array_data(x), ezc_array_data(y),
                                          outer, n, inner, EZC_CUDA_STREAM),
                               err);
    ezc_buffer *scratch = NULL, *flag = NULL;
    if (base == EZC_REDUCE_MEDIAN && outer * inner * n != 0 &&
        !(scratch = ezc_cuda_alloc(x->tensor.device, outer * inner * n * sizeof(double), err)))
        return err ? err->code : EZC_ENOMEM;
    if (!(flag = ezc_cuda_alloc(x->tensor.device, sizeof(int), err))) {
        ezc_buffer_unref(&scratch);
        return err ? err->code : EZC_ENOMEM;
    }
    int ykt = ktype_of(yt), allnan = 0;
    rc = (int)cudaMemsetAsync(flag->data, 0, sizeof(int), cudaStreamPerThread);
    if (!rc)
        rc = ezk_reduce_more((int)base, skipnan, kt, ykt, ezc_array_data(x), ezc_array_data(y),
                             outer, n, inner, scratch ? scratch->data : NULL, flag->data,
                             EZC_CUDA_STREAM);
    if (!rc)
        rc = (int)cudaMemcpyAsync(&allnan, flag->data, sizeof allnan, cudaMemcpyDeviceToHost,
                                  cudaStreamPerThread);
    rc = ezc_cuda_finish(name, rc, err);
    ezc_buffer_unref(&scratch);
    ezc_buffer_unref(&flag);
    if (!rc && allnan)
        rc = ezc_error_set(err, EZC_ENUMERIC, "xp.%s: all-NaN slice along axis %d", name, axis);
    return rc;
}
