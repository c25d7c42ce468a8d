/* axis_ops.c — diff, take, concat, permute and per-index affine on the GPU.
 *
 * Host arrays of parameters (indices, scales) travel to the device in a
 * buffer from the backend's caching allocator, so the steady path does not
 * cudaMalloc. concat needs no kernel: each input is one strided 2-D copy.
 * Arguments are checked against each op's contract in core/xp_check.c. */
#include <string.h>
#include "axis_kernels.h"
#include "cuda_internal.h"
#include "kernels.h"

/* Copies n host values to a fresh device buffer. */
static ezc_buffer *upload(const char *op, DLDevice dev, const void *host, size_t bytes,
                          ezc_error *err)
{
    ezc_buffer *b = ezc_cuda_alloc(dev, bytes ? bytes : 8, err);
    if (!b)
        return NULL;
    int rc = bytes ? (int)cudaMemcpyAsync(b->data, host, bytes, cudaMemcpyHostToDevice,
                                          cudaStreamPerThread)
                   : 0;
    if (rc) {
        ezc_cuda_fail(err, op, rc);
        ezc_buffer_unref(&b);
    }
    return b;
}

int ezc_cuda_diff(const ezc_array *x, const ezc_array *prev, int axis, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_diff(&ezc_cuda_dev, x, prev, &axis, y, err);
    if (!rc) /* the kernels know float32 and float64 */
        rc = ezc_cuda_check("diff", "x", x, err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    return ezc_cuda_finish("diff",
                           ezk_diff(ezc_cuda_ktype(x), ezc_array_data(x),
                                    prev ? ezc_array_data(prev) : NULL, ezc_array_data(y), outer, n,
                                    inner, EZC_CUDA_STREAM),
                           err);
}

int ezc_cuda_take(const ezc_array *x, int axis, const int64_t *idx, size_t m, ezc_array *y,
                  ezc_error *err)
{
    int rc = ezc_xp_check_take(&ezc_cuda_dev, x, &axis, idx, m, y, err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    ezc_buffer *d_idx = upload("take", x->tensor.device, idx, m * sizeof *idx, err);
    if (!d_idx)
        return err ? err->code : EZC_ENOMEM;
    rc = ezc_cuda_finish("take",
                         ezk_take(ezc_dtype_size(x->dtype), ezc_array_data(x), d_idx->data,
                                  ezc_array_data(y), outer, n, m, inner, EZC_CUDA_STREAM),
                         err);
    ezc_buffer_unref(&d_idx);
    return rc;
}

int ezc_cuda_concat(const ezc_array *const *xs, size_t k, int axis, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_concat(&ezc_cuda_dev, xs, k, &axis, y, err);
    if (rc)
        return rc;
    size_t outer, n, inner, elem = ezc_dtype_size(y->dtype);
    ezc_array_split(y, axis, &outer, &n, &inner);
    size_t at = 0;
    for (size_t j = 0; j < k && outer; j++) {
        size_t w = (size_t)xs[j]->shape[axis] * inner * elem;
        if (w)
            rc = (int)cudaMemcpy2DAsync((char *)ezc_array_data(y) + at, n * inner * elem,
                                        ezc_array_data(xs[j]), w, w, outer,
                                        cudaMemcpyDeviceToDevice, cudaStreamPerThread);
        if (rc)
            return ezc_cuda_fail(err, "concat", rc);
        at += w;
    }
    return ezc_cuda_finish("concat", 0, err);
}

int ezc_cuda_permute(const ezc_array *x, const int *perm, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_permute(&ezc_cuda_dev, x, perm, y, err);
    if (rc)
        return rc;
    int nd = x->tensor.ndim;
    int64_t in_stride[EZC_MAX_DIMS], stride[EZC_MAX_DIMS];
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
        stride[d] = s;
        s *= x->shape[d];
    }
    for (int d = 0; d < nd; d++)
        in_stride[d] = stride[perm[d]];
    if (nd == 0)
        return ezc_cuda_copy(x, y, err);
    return ezc_cuda_finish("permute",
                           ezk_permute(ezc_dtype_size(x->dtype), ezc_array_data(x),
                                       ezc_array_data(y), nd, y->shape, in_stride,
                                       ezc_array_size(x), EZC_CUDA_STREAM),
                           err);
}

int ezc_cuda_affine_axis(const ezc_array *x, ezc_array *y, int axis, const double *scale,
                         const double *offset, ezc_error *err)
{
    int rc = ezc_cuda_check("affine_axis", "x", x, err);
    if (!rc)
        rc = ezc_cuda_check("affine_axis", "y", y, err);
    if (!rc)
        rc = ezc_xp_axis("affine_axis", x, &axis, err);
    if (!rc)
        rc = ezc_xp_want_dtype("affine_axis", "y", y, x->dtype, err);
    if (!rc)
        rc = ezc_xp_same_shape("affine_axis", "x", x, "y", y, err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    ezc_buffer *ds =
        scale ? upload("affine_axis", x->tensor.device, scale, n * sizeof(double), err) : NULL;
    ezc_buffer *dof =
        offset ? upload("affine_axis", x->tensor.device, offset, n * sizeof(double), err) : NULL;
    if ((scale && !ds) || (offset && !dof))
        rc = err ? err->code : EZC_ENOMEM;
    else
        rc =
            ezc_cuda_finish("affine_axis",
                            ezk_affine_axis(ezc_cuda_ktype(x), ezc_array_data(x), ezc_array_data(y),
                                            ds ? ds->data : NULL, dof ? dof->data : NULL, outer, n,
                                            inner, EZC_CUDA_STREAM),
                            err);
    ezc_buffer_unref(&ds);
    ezc_buffer_unref(&dof);
    return rc;
}
