// iir.cu — the recursive filter on the GPU: one thread per signal.
// The recurrence is sequential in time, so the parallelism is across the
// outer*inner independent signals; neighbouring threads take neighbouring
// inner elements, so for data laid out [time, ch] each time step is one
// coalesced load. All sections of a pass are applied to a sample before the
// next (data read and written once), their state held in registers/local
// memory; the arithmetic is float64 with explicit round-to-nearest ops (no
// fused multiply-add), so it matches the CPU backend's bit for bit in
// float64 up to the order of operations, which is the same.
#include <cuda_runtime.h>
#include "kernels.h"

namespace {

constexpr int MAX_Z = 64; // state values one thread keeps locally (as the CPU)

__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double sub(double a, double b) { return __dsub_rn(a, b); }

// Sections [s0, s1) over signal t; cn: per section b0..b_order, a1..a_order.
template <typename T, int ORDER>
__global__ void iir_kernel(const T *x, T *y, size_t outer, size_t n, size_t inner, double *zi,
                           const double *cn, int s0, int s1, int order_rt)
{
    const int order = ORDER > 0 ? ORDER : order_rt;
    size_t sigs = outer * inner;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= sigs)
        return;
    size_t o = t / inner, k = t % inner;
    const T *xp = x + o * n * inner + k;
    T *yp = y + o * n * inner + k;
    double z[MAX_Z];
    int nz = (s1 - s0) * order;
    for (int q = 0; q < nz; q++)
        z[q] = zi[(size_t)(s0 * order + q) * sigs + t];
    const int per = 2 * order + 1;
    for (size_t i = 0; i < n; i++) {
        double v = (double)xp[i * inner];
        double *zq = z;
        const double *c = cn + (size_t)s0 * per;
        for (int s = s0; s < s1; s++, zq += order, c += per) {
            const double *b = c, *a = c + order; // a[j] is a_j, j >= 1
            double out = mul(b[0], v);
            if (order)
                out = add(out, zq[0]);
            for (int j = 0; j + 1 < order; j++)
                zq[j] = add(sub(mul(b[j + 1], v), mul(a[j + 1], out)), zq[j + 1]);
            if (order)
                zq[order - 1] = sub(mul(b[order], v), mul(a[order], out));
            v = out;
        }
        yp[i * inner] = (T)v;
    }
    for (int q = 0; q < nz; q++)
        zi[(size_t)(s0 * order + q) * sigs + t] = z[q];
}

// One section of an order above MAX_Z: the state stays in zi (global).
template <typename T>
__global__ void iir_long_kernel(const T *x, T *y, size_t outer, size_t n, size_t inner,
                                double *zi, const double *cn, int s0, int order)
{
    size_t sigs = outer * inner;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= sigs)
        return;
    size_t o = t / inner, k = t % inner;
    const T *xp = x + o * n * inner + k;
    T *yp = y + o * n * inner + k;
    double *z = zi + (size_t)s0 * order * sigs + t;
    const double *b = cn + (size_t)s0 * (2 * order + 1), *a = b + order;
    for (size_t i = 0; i < n; i++) {
        double v = (double)xp[i * inner];
        double out = add(mul(b[0], v), z[0]);
        for (int j = 0; j + 1 < order; j++)
            z[(size_t)j * sigs] =
                add(sub(mul(b[j + 1], v), mul(a[j + 1], out)), z[(size_t)(j + 1) * sigs]);
        z[(size_t)(order - 1) * sigs] = sub(mul(b[order], v), mul(a[order], out));
        yp[i * inner] = (T)out;
    }
}

template <typename T>
int launch(const void *x, void *y, size_t outer, size_t n, size_t inner, double *zi,
           const double *cn, int s0, int s1, int order, cudaStream_t s)
{
    size_t sigs = outer * inner;
    unsigned threads = 128;
    unsigned blocks = (unsigned)((sigs + threads - 1) / threads);
    const T *xt = (const T *)x;
    T *yt = (T *)y;
    if (order > MAX_Z)
        iir_long_kernel<T><<<blocks, threads, 0, s>>>(xt, yt, outer, n, inner, zi, cn, s0, order);
    else if (order == 2)
        iir_kernel<T, 2><<<blocks, threads, 0, s>>>(xt, yt, outer, n, inner, zi, cn, s0, s1, 2);
    else if (order == 1)
        iir_kernel<T, 1><<<blocks, threads, 0, s>>>(xt, yt, outer, n, inner, zi, cn, s0, s1, 1);
    else
        iir_kernel<T, 0><<<blocks, threads, 0, s>>>(xt, yt, outer, n, inner, zi, cn, s0, s1, order);
    return (int)cudaGetLastError();
}

} // namespace

extern "C" int ezk_iir(int type, const void *x, void *y, size_t outer, size_t n, size_t inner,
                       double *zi, const double *cn, int s0, int s1, int order, void *stream)
{
    if (outer * inner == 0 || n == 0)
        return 0;
    if (order > MAX_Z && s1 - s0 != 1)
        return (int)cudaErrorInvalidValue;
    if (order <= MAX_Z && (s1 - s0) * order > MAX_Z)
        return (int)cudaErrorInvalidValue;
    cudaStream_t s = (cudaStream_t)stream;
    return type == EZK_F32 ? launch<float>(x, y, outer, n, inner, zi, cn, s0, s1, order, s)
                           : launch<double>(x, y, outer, n, inner, zi, cn, s0, s1, order, s);
}
