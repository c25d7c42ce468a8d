// linalg.cu — the small kernels around cuBLAS/cuSOLVER: a tiled transpose
// (row-major <-> column-major where the algebra cannot avoid a copy) and
// zeroing the strict upper triangle that potrf leaves untouched. Both move
// 4- or 8-byte words, so one instantiation per width serves every dtype.
#include <cuda_runtime.h>
#include <stdint.h>
#include "kernels.h"

namespace {

enum { TILE = 32, ROWS = 8 };

// dst (cols x rows) = src (rows x cols)^T, both row-major. A shared tile
// (padded by one column against bank conflicts) keeps reads and writes
// coalesced.
template <typename W>
__global__ void transpose_kernel(const W *src, W *dst, size_t rows, size_t cols)
{
    __shared__ W tile[TILE][TILE + 1];
    size_t c0 = (size_t)blockIdx.x * TILE, r0 = (size_t)blockIdx.y * TILE;
    for (int i = threadIdx.y; i < TILE; i += ROWS) {
        size_t r = r0 + i, c = c0 + threadIdx.x;
        if (r < rows && c < cols)
            tile[i][threadIdx.x] = src[r * cols + c];
    }
    __syncthreads();
    for (int i = threadIdx.y; i < TILE; i += ROWS) {
        size_t c = c0 + i, r = r0 + threadIdx.x;
        if (r < rows && c < cols)
            dst[c * rows + r] = tile[threadIdx.x][i];
    }
}

template <typename W> __global__ void upper_zero_kernel(W *a, size_t n)
{
    size_t total = n * n, stride = (size_t)blockDim.x * gridDim.x;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += stride)
        if (t % n > t / n)
            a[t] = 0;
}

template <typename W>
int transpose_t(const void *src, void *dst, size_t rows, size_t cols, cudaStream_t s)
{
    dim3 block(TILE, ROWS), grid((unsigned)((cols + TILE - 1) / TILE),
                                 (unsigned)((rows + TILE - 1) / TILE));
    if (grid.y > 65535)
        return (int)cudaErrorInvalidConfiguration;
    transpose_kernel<W><<<grid, block, 0, s>>>((const W *)src, (W *)dst, rows, cols);
    return (int)cudaGetLastError();
}

} // namespace

extern "C" int ezk_transpose(int type, const void *src, void *dst, size_t rows, size_t cols,
                             void *stream)
{
    if (rows * cols == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    return type == EZK_F32 ? transpose_t<uint32_t>(src, dst, rows, cols, s)
                           : transpose_t<uint64_t>(src, dst, rows, cols, s);
}

extern "C" int ezk_upper_zero(int type, void *a, size_t n, void *stream)
{
    if (n < 2)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    size_t blocks = (n * n + 255) / 256;
    if (blocks > 65535)
        blocks = 65535;
    if (type == EZK_F32)
        upper_zero_kernel<uint32_t><<<(unsigned)blocks, 256, 0, s>>>((uint32_t *)a, n);
    else
        upper_zero_kernel<uint64_t><<<(unsigned)blocks, 256, 0, s>>>((uint64_t *)a, n);
    return (int)cudaGetLastError();
}
