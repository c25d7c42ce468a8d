/* axis_kernels.h — launchers for the along-an-axis kernels (internal; plain
 * C, see kernels.h for why). Arrays are viewed as (outer, n, inner). */
#ifndef EZC_CUDA_AXIS_KERNELS_H
#define EZC_CUDA_AXIS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EZK_MAX_DIMS 8

/* y[o, i, k] = x[o, i, k] - x[o, i-1, k]; for i = 0 the previous sample is
 * prev[o, k] when prev is given (y then has n rows), else y has n-1 rows. */
int ezk_diff(int type, const void *x, const void *prev, void *y, size_t outer, size_t n,
             size_t inner, void *stream);
/* y[o, j, k] = x[o, idx[j], k]; idx on the device. elem = bytes per element. */
int ezk_take(size_t elem, const void *x, const int64_t *idx, void *y, size_t outer, size_t n,
             size_t m, size_t inner, void *stream);
/* y = x with dims permuted: out_shape[d] and in_stride[d] (elements of x per
 * step along output dim d). */
int ezk_permute(size_t elem, const void *x, void *y, int ndim, const int64_t *out_shape,
                const int64_t *in_stride, size_t total, void *stream);
/* y[o, i, k] = x[o, i, k] * scale[i] + offset[i]; scale/offset on the device. */
int ezk_affine_axis(int type, const void *x, void *y, const double *scale, const double *offset,
                    size_t outer, size_t n, size_t inner, void *stream);

#ifdef __cplusplus
}
#endif
#endif
