// reduce.cu — reductions of an (outer, n, inner) array along n.
// inner > 1: one thread per output, neighbours read neighbouring columns
// (coalesced). inner == 1 (the last axis): one block per row, a shared-
// memory tree. Both accumulate in double; variance is two-pass (mean
// first), as numpy computes it.
#include <cuda_runtime.h>
#include <math.h>
#include "kernels.h"

namespace {

enum { SUM = 0, MEAN = 2, MIN = 3, MAX = 4, STD = 5, VAR = 6 };

// Folds v into acc. `more` is 0 for the first value. NaN wins min and max
// (numpy's rule), and sums propagate it by themselves.
__device__ __forceinline__ double first_pass(int op, double acc, double v, int more)
{
    if (op != MIN && op != MAX)
        return acc + v;
    if (!more || v != v)
        return v;
    if (acc != acc)
        return acc;
    return op == MIN ? (v < acc ? v : acc) : (v > acc ? v : acc);
}

template <typename T>
__global__ void column_kernel(int op, const T *x, T *y, size_t outer, size_t n, size_t inner)
{
    size_t total = outer * inner;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += stride) {
        size_t o = t / inner, k = t % inner;
        const T *p = x + o * n * inner + k;
        double acc = 0.0;
        for (size_t i = 0; i < n; i++)
            acc = first_pass(op, acc, (double)p[i * inner], (int)(i > 0));
        double r = acc;
        if (op == MEAN || op == VAR || op == STD) {
            double mean = acc / (double)n;
            r = mean;
            if (op != MEAN) {
                double m2 = 0;
                for (size_t i = 0; i < n; i++) {
                    double d = (double)p[i * inner] - mean;
                    m2 += d * d;
                }
                r = m2 / (double)n;
                if (op == STD)
                    r = sqrt(r);
            }
        }
        y[t] = (T)r;
    }
}

// One block per row of length n (inner == 1).
template <typename T> __global__ void row_kernel(int op, const T *x, T *y, size_t n)
{
    __shared__ double sh[256];
    const T *p = x + (size_t)blockIdx.x * n;
    int tid = threadIdx.x;
    double acc = 0;
    int any = 0;
    for (size_t i = tid; i < n; i += blockDim.x) {
        acc = first_pass(op, acc, (double)p[i], any);
        any = 1;
    }
    // Threads that saw nothing must not win a min/max.
    if (!any && (op == MIN || op == MAX))
        acc = n ? (double)p[0] : 0.0;
    sh[tid] = acc;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (tid < w)
            sh[tid] = first_pass(op, sh[tid], sh[tid + w], 1);
        __syncthreads();
    }
    double total = sh[0];
    if (op == VAR || op == STD) {
        double mean = total / (double)n;
        __syncthreads();
        double m2 = 0;
        for (size_t i = tid; i < n; i += blockDim.x) {
            double d = (double)p[i] - mean;
            m2 += d * d;
        }
        sh[tid] = m2;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (tid < w)
                sh[tid] += sh[tid + w];
            __syncthreads();
        }
        if (tid == 0) {
            double v = sh[0] / (double)n;
            y[blockIdx.x] = (T)(op == STD ? sqrt(v) : v);
        }
        return;
    }
    if (tid == 0)
        y[blockIdx.x] = (T)(op == MEAN ? total / (double)n : total);
}

template <typename T>
int launch(int op, const void *x, void *y, size_t outer, size_t n, size_t inner, cudaStream_t s)
{
    if (inner == 1 && n >= 256) {
        row_kernel<T><<<(unsigned)outer, 256, 0, s>>>(op, (const T *)x, (T *)y, n);
    } else {
        size_t total = outer * inner;
        size_t blocks = (total + 255) / 256;
        if (blocks > 65535) blocks = 65535;
        column_kernel<T><<<(unsigned)(blocks ? blocks : 1), 256, 0, s>>>(op, (const T *)x, (T *)y,
                                                                       outer, n, inner);
    }
    return (int)cudaGetLastError();
}

} // namespace

extern "C" int ezk_reduce(int op, int type, const void *x, void *y, size_t outer, size_t n,
                          size_t inner, void *stream)
{
    if (op != SUM && op != MEAN && op != MIN && op != MAX && op != STD && op != VAR)
        return (int)cudaErrorInvalidValue;
    if (outer * inner == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    return type == EZK_F32 ? launch<float>(op, x, y, outer, n, inner, s)
                           : launch<double>(op, x, y, outer, n, inner, s);
}
