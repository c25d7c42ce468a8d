/* axis_ops.c — diff, take, concat, permute and per-index affine on the GPU.
 *
 * Host arrays of parameters (indices, scales) travel to the device in a
 * buffer from the backend's caching allocator, so the steady path does not
 * cudaMalloc. concat needs no kernel: each input is one strided 2-D copy. */
#include <string.h>
#include "axis_kernels.h"
#include "cuda_internal.h"
#include "kernels.h"

static int norm_axis(const char *op, const ezc_array *x, int *axis, ezc_error *err)
{
    int nd = x->tensor.ndim;
    if (*axis < 0)
        *axis += nd;
    if (*axis < 0 || *axis >= nd)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: axis %d out of range for %d dims", op, *axis, nd);
    return 0;
}

/* y must have x's dtype and x's shape except `len` along axis. */
static int shape_except(const char *op, const ezc_array *x, int axis, int64_t len,
                        const ezc_array *y, const char *yname, ezc_error *err)
{
    if (y->dtype != x->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.%s: %s has dtype %s, expected %s", op, yname,
                             ezc_dtype_name(y->dtype), ezc_dtype_name(x->dtype));
    if (y->tensor.ndim != x->tensor.ndim)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has %d dims, expected %d", op, yname,
                             y->tensor.ndim, x->tensor.ndim);
    for (int d = 0; d < x->tensor.ndim; d++)
        if (y->shape[d] != (d == axis ? len : x->shape[d]))
            return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has length %lld along dim %d, expected %lld",
                                 op, yname, (long long)y->shape[d], d,
                                 (long long)(d == axis ? len : x->shape[d]));
    return 0;
}

/* Copies n host values to a fresh device buffer. */
static ezc_buffer *upload(const char *op, DLDevice dev, const void *host, size_t bytes, ezc_error *err)
{
    ezc_buffer *b = ezc_cuda_alloc(dev, bytes ? bytes : 8, err);
    if (!b)
        return NULL;
    int rc = bytes ? (int)cudaMemcpyAsync(b->data, host, bytes, cudaMemcpyHostToDevice, cudaStreamPerThread) : 0;
    if (rc) {
        ezc_cuda_fail(err, op, rc);
        ezc_buffer_unref(&b);
    }
    return b;
}

int ezc_cuda_diff(const ezc_array *x, const ezc_array *prev, int axis, ezc_array *y, ezc_error *err)
{
    int rc = ezc_cuda_check("diff", "x", x, err);
    if (!rc) rc = ezc_cuda_check("diff", "y", y, err);
    if (!rc) rc = norm_axis("diff", x, &axis, err);
    if (rc)
        return rc;
    if (!prev && x->shape[axis] < 1)
        return ezc_error_set(err, EZC_ESHAPE, "xp.diff: an empty axis has no first difference");
    if (prev && ((rc = ezc_cuda_check("diff", "prev", prev, err)) ||
                 (rc = shape_except("diff", x, axis, 1, prev, "prev", err))))
        return rc;
    rc = shape_except("diff", x, axis, prev ? x->shape[axis] : x->shape[axis] - 1, y, "y", err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    return ezc_cuda_finish("diff", ezk_diff(ezc_cuda_ktype(x), ezc_array_data(x),
                                            prev ? ezc_array_data(prev) : NULL, ezc_array_data(y),
                                            outer, n, inner, EZC_CUDA_STREAM), err);
}

int ezc_cuda_take(const ezc_array *x, int axis, const int64_t *idx, size_t m, ezc_array *y,
                  ezc_error *err)
{
    int rc = ezc_cuda_check_device("take", "x", x, err);
    if (!rc) rc = ezc_cuda_check_device("take", "y", y, err);
    if (!rc) rc = norm_axis("take", x, &axis, err);
    if (!rc) rc = shape_except("take", x, axis, (int64_t)m, y, "y", err);
    if (rc)
        return rc;
    for (size_t j = 0; j < m; j++)
        if (idx[j] < 0 || idx[j] >= x->shape[axis])
            return ezc_error_set(err, EZC_EINVAL, "xp.take: index %lld out of range [0, %lld)",
                                 (long long)idx[j], (long long)x->shape[axis]);
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    ezc_buffer *d_idx = upload("take", x->tensor.device, idx, m * sizeof *idx, err);
    if (!d_idx)
        return err ? err->code : EZC_ENOMEM;
    rc = ezc_cuda_finish("take", ezk_take(ezc_dtype_size(x->dtype), ezc_array_data(x), d_idx->data,
                                          ezc_array_data(y), outer, n, m, inner, EZC_CUDA_STREAM), err);
    ezc_buffer_unref(&d_idx);
    return rc;
}

int ezc_cuda_concat(const ezc_array *const *xs, size_t k, int axis, ezc_array *y, ezc_error *err)
{
    if (k == 0)
        return ezc_error_set(err, EZC_EINVAL, "xp.concat: no arrays");
    int rc = ezc_cuda_check_device("concat", "y", y, err);
    if (!rc) rc = norm_axis("concat", y, &axis, err);
    if (rc)
        return rc;
    int64_t total = 0;
    for (size_t j = 0; j < k; j++) {
        if ((rc = ezc_cuda_check_device("concat", "xs[j]", xs[j], err)) ||
            (rc = shape_except("concat", y, axis, xs[j]->shape[axis], xs[j], "xs[j]", err)))
            return rc;
        total += xs[j]->shape[axis];
    }
    if (total != y->shape[axis])
        return ezc_error_set(err, EZC_ESHAPE, "xp.concat: inputs have %lld along the axis, y has %lld",
                             (long long)total, (long long)y->shape[axis]);
    size_t outer, n, inner, elem = ezc_dtype_size(y->dtype);
    ezc_array_split(y, axis, &outer, &n, &inner);
    size_t at = 0;
    for (size_t j = 0; j < k && outer; j++) {
        size_t w = (size_t)xs[j]->shape[axis] * inner * elem;
        if (w)
            rc = (int)cudaMemcpy2DAsync((char *)ezc_array_data(y) + at, n * inner * elem,
                                        ezc_array_data(xs[j]), w, w, outer, cudaMemcpyDeviceToDevice,
                                        cudaStreamPerThread);
        if (rc)
            return ezc_cuda_fail(err, "concat", rc);
        at += w;
    }
    return ezc_cuda_finish("concat", 0, err);
}

int ezc_cuda_permute(const ezc_array *x, const int *perm, ezc_array *y, ezc_error *err)
{
    int rc = ezc_cuda_check_device("permute", "x", x, err);
    if (!rc) rc = ezc_cuda_check_device("permute", "y", y, err);
    if (rc)
        return rc;
    int nd = x->tensor.ndim, seen[EZC_MAX_DIMS] = {0};
    if (y->tensor.ndim != nd || y->dtype != x->dtype)
        return ezc_error_set(err, EZC_ESHAPE, "xp.permute: y must have x's dtype and %d dims", nd);
    int64_t in_stride[EZC_MAX_DIMS], stride[EZC_MAX_DIMS];
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
        stride[d] = s;
        s *= x->shape[d];
    }
    for (int d = 0; d < nd; d++) {
        if (perm[d] < 0 || perm[d] >= nd || seen[perm[d]]++)
            return ezc_error_set(err, EZC_EINVAL, "xp.permute: perm is not a permutation of %d dims", nd);
        if (y->shape[d] != x->shape[perm[d]])
            return ezc_error_set(err, EZC_ESHAPE, "xp.permute: y dim %d has length %lld, expected %lld",
                                 d, (long long)y->shape[d], (long long)x->shape[perm[d]]);
        in_stride[d] = stride[perm[d]];
    }
    if (nd == 0)
        return ezc_cuda_copy(x, y, err);
    return ezc_cuda_finish("permute", ezk_permute(ezc_dtype_size(x->dtype), ezc_array_data(x),
                                                  ezc_array_data(y), nd, y->shape, in_stride,
                                                  ezc_array_size(x), EZC_CUDA_STREAM), err);
}

int ezc_cuda_affine_axis(const ezc_array *x, ezc_array *y, int axis, const double *scale,
                         const double *offset, ezc_error *err)
{
    int rc = ezc_cuda_check("affine_axis", "x", x, err);
    if (!rc) rc = ezc_cuda_check("affine_axis", "y", y, err);
    if (!rc) rc = norm_axis("affine_axis", x, &axis, err);
    if (!rc) rc = shape_except("affine_axis", x, axis, x->shape[axis], y, "y", err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    ezc_buffer *ds = scale ? upload("affine_axis", x->tensor.device, scale, n * sizeof(double), err) : NULL;
    ezc_buffer *dof = offset ? upload("affine_axis", x->tensor.device, offset, n * sizeof(double), err) : NULL;
    if ((scale && !ds) || (offset && !dof))
        rc = err ? err->code : EZC_ENOMEM;
    else
        rc = ezc_cuda_finish("affine_axis",
                             ezk_affine_axis(ezc_cuda_ktype(x), ezc_array_data(x), ezc_array_data(y),
                                             ds ? ds->data : NULL, dof ? dof->data : NULL, outer, n,
                                             inner, EZC_CUDA_STREAM), err);
    ezc_buffer_unref(&ds);
    ezc_buffer_unref(&dof);
    return rc;
}
