// reduce_more.cu — the reductions reduce.cu leaves out: prod, median,
// argmin/argmax, the nan- forms, and integer dtypes, along the middle axis
// of an (outer, n, inner) array. One thread per output, the same sequential
// rules as the CPU backend (core/cpu/reduce.c): first occurrence wins for
// arg*, a NaN wins the plain forms and is skipped by the nan- forms, integer
// sums and products wrap in uint64, moments accumulate in double. Medians
// select (quickselect) in a double scratch laid out [i][thread], so the
// threads of a warp touch neighbouring words.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include "kernels.h"

namespace {

enum { SUM = 0, PROD = 1, MEAN = 2, MIN = 3, MAX = 4, STD = 5, VAR = 6, MEDIAN = 7, ARGMIN = 8,
       ARGMAX = 9 };

template <typename T> __device__ __forceinline__ bool isnan_t(T v) { return v != v; }

template <typename T> struct Float { static const bool value = false; };
template <> struct Float<float> { static const bool value = true; };
template <> struct Float<double> { static const bool value = true; };

__device__ __forceinline__ void put_f(void *y, int ytype, size_t t, double r)
{
    if (ytype == EZK_F32)
        ((float *)y)[t] = (float)r;
    else
        ((double *)y)[t] = r;
}

// The k-th smallest of a[0..m) (element i at a[i * s], no NaNs).
__device__ double select_kth(double *a, size_t s, long long m, long long k)
{
    long long l = 0, r = m - 1;
    while (l < r) {
        double p0 = a[l * s], p1 = a[(l + (r - l) / 2) * s], p2 = a[r * s];
        if (p0 > p1) {
            double tmp = p0;
            p0 = p1;
            p1 = tmp;
        }
        double x = p2 < p0 ? p0 : p2 > p1 ? p1 : p2; // median of three
        long long i = l, j = r;
        do {
            while (i < r && a[i * s] < x)
                i++;
            while (j > l && x < a[j * s])
                j--;
            if (i <= j) {
                double tmp = a[i * s];
                a[i * s] = a[j * s];
                a[j * s] = tmp;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k)
            l = i;
        if (k < i)
            r = j;
    }
    return a[k * s];
}

template <typename T>
__global__ void more_kernel(int op, int skipnan, const T *x, void *y, int ytype, size_t outer,
                            size_t n, size_t inner, double *scratch, int *allnan)
{
    size_t total = outer * inner;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total)
        return;
    size_t o = t / inner, k = t % inner;
    const T *p = x + o * n * inner + k;
    const bool fl = Float<T>::value;
    switch (op) {
    case SUM:
    case MEAN:
    case VAR:
    case STD: {
        if (!fl && op == SUM) {
            uint64_t a = 0;
            for (size_t i = 0; i < n; i++)
                a += (uint64_t)p[i * inner];
            ((uint64_t *)y)[t] = a;
            return;
        }
        double s = 0, c = 0;
        for (size_t i = 0; i < n; i++) {
            double v = (double)p[i * inner];
            if (skipnan && isnan_t(v))
                continue;
            s += v;
            c += 1;
        }
        if (!skipnan)
            c = (double)n;
        double r = s;
        if (op == MEAN) {
            r = s / c;
        } else if (op != SUM) {
            double m = s / c, q = 0;
            for (size_t i = 0; i < n; i++) {
                double d = (double)p[i * inner] - m;
                if (!(skipnan && isnan_t(d)))
                    q += d * d;
            }
            r = op == VAR ? q / c : sqrt(q / c);
        }
        put_f(y, ytype, t, r);
        return;
    }
    case PROD: {
        if (!fl) {
            uint64_t a = 1;
            for (size_t i = 0; i < n; i++)
                a *= (uint64_t)p[i * inner];
            ((uint64_t *)y)[t] = a;
            return;
        }
        double a = 1;
        for (size_t i = 0; i < n; i++) {
            double v = (double)p[i * inner];
            a *= skipnan && isnan_t(v) ? 1.0 : v;
        }
        ((T *)y)[t] = (T)a;
        return;
    }
    case MIN:
    case MAX: {
        T a = p[0];
        for (size_t i = 1; i < n; i++) {
            T v = p[i * inner];
            bool take = op == MIN ? v < a : v > a;
            take = take || (skipnan ? isnan_t(a) : isnan_t(v));
            a = take ? v : a;
        }
        ((T *)y)[t] = a;
        return;
    }
    case ARGMIN:
    case ARGMAX: {
        T b = p[0];
        long long at = 0;
        for (size_t i = 1; i < n; i++) {
            T v = p[i * inner];
            bool better = op == ARGMIN ? v < b : v > b;
            bool take = skipnan ? better || (isnan_t(b) && !isnan_t(v))
                                : !isnan_t(b) && (better || isnan_t(v));
            if (take) {
                b = v;
                at = (long long)i;
            }
        }
        if (skipnan && isnan_t(b))
            *allnan = 1;
        ((int64_t *)y)[t] = at;
        return;
    }
    default: { // MEDIAN
        double *a = scratch + t;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double v = (double)p[i * inner];
            if (isnan_t(v)) {
                if (!skipnan) {
                    put_f(y, ytype, t, v);
                    return;
                }
                continue;
            }
            a[m++ * total] = v;
        }
        if (m == 0) {
            put_f(y, ytype, t, __longlong_as_double(0x7ff8000000000000LL));
            return;
        }
        double hi = select_kth(a, total, (long long)m, (long long)(m / 2));
        if (m % 2) {
            put_f(y, ytype, t, hi);
            return;
        }
        double lo = a[0];
        for (size_t i = 1; i < m / 2; i++)
            lo = a[i * total] > lo ? a[i * total] : lo;
        put_f(y, ytype, t, (lo + hi) / 2);
        return;
    }
    }
}

template <typename T>
int launch(int op, int skipnan, const void *x, void *y, int ytype, size_t outer, size_t n,
           size_t inner, double *scratch, int *allnan, cudaStream_t s)
{
    size_t total = outer * inner;
    unsigned threads = 128;
    unsigned blocks = (unsigned)((total + threads - 1) / threads);
    more_kernel<T><<<blocks, threads, 0, s>>>(op, skipnan, (const T *)x, y, ytype, outer, n, inner,
                                              scratch, allnan);
    return (int)cudaGetLastError();
}

} // namespace

extern "C" int ezk_reduce_more(int op, int skipnan, int type, int ytype, const void *x, void *y,
                               size_t outer, size_t n, size_t inner, double *scratch, int *allnan,
                               void *stream)
{
    if (outer * inner == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    switch (type) {
    case EZK_F32: return launch<float>(op, skipnan, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_F64: return launch<double>(op, skipnan, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_I8: return launch<int8_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_I16: return launch<int16_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_I32: return launch<int32_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_I64: return launch<int64_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_U8: return launch<uint8_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_U16: return launch<uint16_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_U32: return launch<uint32_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    case EZK_U64: return launch<uint64_t>(op, 0, x, y, ytype, outer, n, inner, scratch, allnan, s);
    default: return (int)cudaErrorInvalidValue;
    }
}
