// axis_kernels.cu — diff, take, permute and per-index affine along an axis.
// One thread per output element, grid-stride; index arithmetic in 64 bits.
#include <cuda_runtime.h>
#include <stdint.h>
#include "axis_kernels.h"
#include "kernels.h"

namespace {

int blocks_for(size_t n)
{
    size_t b = (n + 255) / 256;
    return (int)(b > 65535 ? 65535 : (b ? b : 1));
}

template <typename T>
__global__ void diff_kernel(const T *x, const T *prev, T *y, size_t outer, size_t n, size_t inner)
{
    size_t rows = prev ? n : n - 1;
    size_t total = outer * rows * inner;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += stride) {
        size_t k = t % inner, r = (t / inner) % rows, o = t / (inner * rows);
        size_t i = prev ? r : r + 1; // the sample this output is for
        T cur = x[(o * n + i) * inner + k];
        T before = i == 0 ? prev[o * inner + k] : x[(o * n + i - 1) * inner + k];
        y[t] = cur - before;
    }
}

template <typename T>
__global__ void take_kernel(const T *x, const int64_t *idx, T *y, size_t outer, size_t n, size_t m,
                            size_t inner)
{
    size_t total = outer * m * inner;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += stride) {
        size_t k = t % inner, j = (t / inner) % m, o = t / (inner * m);
        y[t] = x[(o * n + (size_t)idx[j]) * inner + k];
    }
}

struct Perm {
    int ndim;
    int64_t shape[EZK_MAX_DIMS];
    int64_t stride[EZK_MAX_DIMS];
};

template <typename T> __global__ void permute_kernel(const T *x, T *y, Perm p, size_t total)
{
    size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += stride) {
        size_t rest = t, src = 0;
        for (int d = p.ndim - 1; d >= 0; d--) {
            size_t c = rest % (size_t)p.shape[d];
            rest /= (size_t)p.shape[d];
            src += c * (size_t)p.stride[d];
        }
        y[t] = x[src];
    }
}

template <typename T>
__global__ void affine_axis_kernel(const T *x, T *y, const double *scale, const double *offset,
                                   size_t outer, size_t n, size_t inner)
{
    size_t total = outer * n * inner;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += stride) {
        size_t i = (t / inner) % n;
        double s = scale ? scale[i] : 1.0, b = offset ? offset[i] : 0.0;
        y[t] = (T)((double)x[t] * s + b);
    }
}

// Moves elements by size only: 1, 2, 4, 8 or 16 bytes.
struct B16 {
    double a, b;
};


} // namespace

extern "C" {

int ezk_diff(int type, const void *x, const void *prev, void *y, size_t outer, size_t n,
             size_t inner, void *stream)
{
    size_t rows = prev ? n : (n ? n - 1 : 0);
    size_t total = outer * rows * inner;
    if (total == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    if (type == EZK_F32)
        diff_kernel<float><<<blocks_for(total), 256, 0, s>>>((const float *)x, (const float *)prev,
                                                            (float *)y, outer, n, inner);
    else
        diff_kernel<double><<<blocks_for(total), 256, 0, s>>>((const double *)x, (const double *)prev,
                                                             (double *)y, outer, n, inner);
    return (int)cudaGetLastError();
}

int ezk_take(size_t elem, const void *x, const int64_t *idx, void *y, size_t outer, size_t n,
             size_t m, size_t inner, void *stream)
{
    size_t total = outer * m * inner;
    if (total == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    int g = blocks_for(total);
    switch (elem) {
    case 1: take_kernel<uint8_t><<<g, 256, 0, s>>>((const uint8_t *)x, idx, (uint8_t *)y, outer, n, m, inner); break;
    case 2: take_kernel<uint16_t><<<g, 256, 0, s>>>((const uint16_t *)x, idx, (uint16_t *)y, outer, n, m, inner); break;
    case 4: take_kernel<uint32_t><<<g, 256, 0, s>>>((const uint32_t *)x, idx, (uint32_t *)y, outer, n, m, inner); break;
    case 8: take_kernel<uint64_t><<<g, 256, 0, s>>>((const uint64_t *)x, idx, (uint64_t *)y, outer, n, m, inner); break;
    case 16: take_kernel<B16><<<g, 256, 0, s>>>((const B16 *)x, idx, (B16 *)y, outer, n, m, inner); break;
    default: return (int)cudaErrorInvalidValue;
    }
    return (int)cudaGetLastError();
}

int ezk_permute(size_t elem, const void *x, void *y, int ndim, const int64_t *out_shape,
                const int64_t *in_stride, size_t total, void *stream)
{
    if (total == 0)
        return 0;
    if (ndim < 1 || ndim > EZK_MAX_DIMS)
        return (int)cudaErrorInvalidValue;
    Perm p;
    p.ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        p.shape[d] = out_shape[d];
        p.stride[d] = in_stride[d];
    }
    cudaStream_t s = (cudaStream_t)stream;
    int g = blocks_for(total);
    switch (elem) {
    case 1: permute_kernel<uint8_t><<<g, 256, 0, s>>>((const uint8_t *)x, (uint8_t *)y, p, total); break;
    case 2: permute_kernel<uint16_t><<<g, 256, 0, s>>>((const uint16_t *)x, (uint16_t *)y, p, total); break;
    case 4: permute_kernel<uint32_t><<<g, 256, 0, s>>>((const uint32_t *)x, (uint32_t *)y, p, total); break;
    case 8: permute_kernel<uint64_t><<<g, 256, 0, s>>>((const uint64_t *)x, (uint64_t *)y, p, total); break;
    case 16: permute_kernel<B16><<<g, 256, 0, s>>>((const B16 *)x, (B16 *)y, p, total); break;
    default: return (int)cudaErrorInvalidValue;
    }
    return (int)cudaGetLastError();
}

int ezk_affine_axis(int type, const void *x, void *y, const double *scale, const double *offset,
                    size_t outer, size_t n, size_t inner, void *stream)
{
    size_t total = outer * n * inner;
    if (total == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    if (type == EZK_F32)
        affine_axis_kernel<float><<<blocks_for(total), 256, 0, s>>>((const float *)x, (float *)y, scale,
                                                                    offset, outer, n, inner);
    else
        affine_axis_kernel<double><<<blocks_for(total), 256, 0, s>>>((const double *)x, (double *)y,
                                                                     scale, offset, outer, n, inner);
    return (int)cudaGetLastError();
}

} // extern "C"
