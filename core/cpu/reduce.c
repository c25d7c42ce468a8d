/* reduce.c — reductions along one axis on the CPU (sum ... nanargmax).
 *
 * x is seen as (outer, n, inner). With inner > 1 the kernels sweep the rows
 * in order, keeping up to CHUNK accumulators side by side, so reads are
 * sequential and the inner loops contiguous blocks of fixed length
 * (vectorised); with inner == 1 the run of n is read as rows of LANES and the
 * lanes are folded at the end. Sums accumulate in
 * double (float32 too); integer sums and products wrap in uint64_t as
 * numpy's int64 does. Medians select (quickselect), never sort. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu_internal.h"

#define LANES 16  /* accumulators one vector block works on */
#define CHUNK 256 /* accumulators kept per sweep over the rows (stack arrays) */

/* for (k = 0; k < kn; k++) BODY, in blocks of LANES with a constant trip
 * count (what the vectoriser takes at -O2) and a scalar tail. */
#define ROW_FOR(kn, BODY)                                                                          \
    do {                                                                                           \
        size_t kb_ = (kn) / LANES * LANES;                                                         \
        for (size_t b_ = 0; b_ < kb_; b_ += LANES)                                                 \
            for (size_t j_ = 0; j_ < LANES; j_++) {                                                \
                size_t k = b_ + j_;                                                                \
                BODY;                                                                              \
            }                                                                                      \
        for (size_t k = kb_; k < (kn); k++) {                                                      \
            BODY;                                                                                  \
        }                                                                                          \
    } while (0)

#define NO_NAN(v) 0

/* ---- stores of per-lane double results ---------------------------------- */

static void store_f(void *y, ezc_dtype yt, size_t at, const double *r, size_t kn)
{
    if (yt == EZC_FLOAT32)
        for (size_t k = 0; k < kn; k++)
            ((float *)y)[at + k] = (float)r[k];
    else
        memcpy((double *)y + at, r, kn * sizeof *r);
}

static double moment_result(ezc_reduce_op op, double s, double c, double q)
{
    switch (op) {
    case EZC_REDUCE_SUM: return s;
    case EZC_REDUCE_MEAN: return s / c;
    case EZC_REDUCE_VAR: return q / c;
    default: return sqrt(q / c); /* STD */
    }
}

/* ---- sum, mean, var, std (with their nan- forms) in double ------------- */

#define DEF_MOMENTS(T, S, ISNAN)                                                                   \
    /* s[k] = sum, c[k] = count of the kept values of `rows` rows. */                              \
    static void mom_sum_##S(const T *x, size_t rows, size_t stride, size_t kn, int skipnan,        \
                            double *restrict s, double *restrict c)                                \
    {                                                                                              \
        for (size_t k = 0; k < kn; k++)                                                            \
            s[k] = c[k] = 0;                                                                       \
        if (!skipnan) {                                                                            \
            for (size_t i = 0; i < rows; i++) {                                                    \
                const T *restrict r = x + i * stride;                                              \
                ROW_FOR(kn, s[k] += (double)r[k]);                                                 \
            }                                                                                      \
            for (size_t k = 0; k < kn; k++)                                                        \
                c[k] = (double)rows;                                                               \
            return;                                                                                \
        }                                                                                          \
        for (size_t i = 0; i < rows; i++) {                                                        \
            const T *restrict r = x + i * stride;                                                  \
            ROW_FOR(kn, {                                                                          \
                double v = (double)r[k];                                                           \
                int nan = ISNAN(v);                                                                \
                s[k] += nan ? 0.0 : v;                                                             \
                c[k] += nan ? 0.0 : 1.0;                                                           \
            });                                                                                    \
        }                                                                                          \
    }                                                                                              \
    /* q[k] = sum of squared deviations from m[k]. */                                              \
    static void mom_sq_##S(const T *x, size_t rows, size_t stride, size_t kn, int skipnan,         \
                           const double *restrict m, double *restrict q)                           \
    {                                                                                              \
        for (size_t k = 0; k < kn; k++)                                                            \
            q[k] = 0;                                                                              \
        for (size_t i = 0; i < rows; i++) {                                                        \
            const T *restrict r = x + i * stride;                                                  \
            if (skipnan)                                                                           \
                ROW_FOR(kn, {                                                                      \
                    double d = (double)r[k] - m[k];                                                \
                    q[k] += ISNAN(d) ? 0.0 : d * d;                                                \
                });                                                                                \
            else                                                                                   \
                ROW_FOR(kn, {                                                                      \
                    double d = (double)r[k] - m[k];                                                \
                    q[k] += d * d;                                                                 \
                });                                                                                \
        }                                                                                          \
    }                                                                                              \
    static void moments_##S(const T *x, size_t outer, size_t n, size_t inner, ezc_reduce_op op,    \
                            int skipnan, void *y, ezc_dtype yt)                                    \
    {                                                                                              \
        double s[CHUNK], c[CHUNK], q[CHUNK], m[CHUNK], r[CHUNK];                                   \
        int second = op == EZC_REDUCE_VAR || op == EZC_REDUCE_STD;                                 \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * n * inner;                                                       \
            if (inner == 1) {                                                                      \
                size_t rows = n / LANES, tail = rows * LANES;                                      \
                double S = 0, C = 0, Q = 0;                                                        \
                mom_sum_##S(xo, rows, LANES, LANES, skipnan, s, c);                                \
                for (size_t k = 0; k < LANES; k++) {                                               \
                    S += s[k];                                                                     \
                    C += c[k];                                                                     \
                }                                                                                  \
                for (size_t j = tail; j < n; j++) {                                                \
                    double v = (double)xo[j];                                                      \
                    if (!skipnan || !ISNAN(v)) {                                                   \
                        S += v;                                                                    \
                        C += 1;                                                                    \
                    }                                                                              \
                }                                                                                  \
                if (second) {                                                                      \
                    for (size_t k = 0; k < LANES; k++)                                             \
                        m[k] = S / C;                                                              \
                    mom_sq_##S(xo, rows, LANES, LANES, skipnan, m, q);                             \
                    for (size_t k = 0; k < LANES; k++)                                             \
                        Q += q[k];                                                                 \
                    for (size_t j = tail; j < n; j++) {                                            \
                        double d = (double)xo[j] - m[0];                                           \
                        if (!skipnan || !ISNAN(d))                                                 \
                            Q += d * d;                                                            \
                    }                                                                              \
                }                                                                                  \
                r[0] = moment_result(op, S, C, Q);                                                 \
                store_f(y, yt, o, r, 1);                                                           \
                continue;                                                                          \
            }                                                                                      \
            for (size_t k0 = 0; k0 < inner; k0 += CHUNK) {                                         \
                size_t kn = inner - k0 < CHUNK ? inner - k0 : CHUNK;                               \
                mom_sum_##S(xo + k0, n, inner, kn, skipnan, s, c);                                 \
                if (second) {                                                                      \
                    for (size_t k = 0; k < kn; k++)                                                \
                        m[k] = s[k] / c[k];                                                        \
                    mom_sq_##S(xo + k0, n, inner, kn, skipnan, m, q);                              \
                }                                                                                  \
                for (size_t k = 0; k < kn; k++)                                                    \
                    r[k] = moment_result(op, s[k], c[k], second ? q[k] : 0);                       \
                store_f(y, yt, o *inner + k0, r, kn);                                              \
            }                                                                                      \
        }                                                                                          \
    }

/* ---- sums and products in an accumulator type A ------------------------ */

/* A is uint64_t for integers (wrapping, stored as int64 or uint64) or
 * double for float products (stored as x's dtype by STORE). */
#define DEF_FOLD(NAME, T, A, INIT, STEP, STORE)                                                    \
    static void NAME(const T *x, size_t outer, size_t n, size_t inner, void *y)                    \
    {                                                                                              \
        A a[CHUNK];                                                                                \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * n * inner;                                                       \
            size_t rows = inner == 1 ? n / LANES : n;                                              \
            size_t stride = inner == 1 ? LANES : inner;                                            \
            size_t width = inner == 1 ? 1 : inner;                                                 \
            for (size_t k0 = 0; k0 < width; k0 += CHUNK) {                                         \
                size_t kn = inner == 1 ? LANES : (width - k0 < CHUNK ? width - k0 : CHUNK);        \
                for (size_t k = 0; k < kn; k++)                                                    \
                    a[k] = (A)(INIT);                                                              \
                for (size_t i = 0; i < rows; i++) {                                                \
                    const T *restrict r = xo + k0 + i * stride;                                    \
                    ROW_FOR(kn, STEP(a[k], (A)r[k]));                                              \
                }                                                                                  \
                if (inner == 1) {                                                                  \
                    for (size_t k = 1; k < LANES; k++)                                             \
                        STEP(a[0], a[k]);                                                          \
                    for (size_t j = rows * LANES; j < n; j++)                                      \
                        STEP(a[0], (A)xo[j]);                                                      \
                    kn = 1;                                                                        \
                }                                                                                  \
                STORE(y, o *(inner == 1 ? 1 : inner) + k0, a, kn);                                 \
            }                                                                                      \
        }                                                                                          \
    }

#define STEP_ADD(a, v) ((a) += (v))
#define STEP_MUL(a, v) ((a) *= (v))
#define STORE_U64(y, at, a, kn) memcpy((uint64_t *)(y) + (at), (a), (kn) * sizeof(uint64_t))
#define STORE_F32(y, at, a, kn)                                                                    \
    for (size_t k = 0; k < (kn); k++)                                                              \
    ((float *)(y))[(at) + k] = (float)(a)[k]
#define STORE_F64(y, at, a, kn) memcpy((double *)(y) + (at), (a), (kn) * sizeof(double))

/* ---- min and max -------------------------------------------------------- */

/* Plain forms let a NaN win; nan- forms keep a number over a NaN (and give
 * NaN only when every value is NaN). */
#define TAKE_MIN(v, a, ISNAN) ((v) < (a) || ISNAN(v))
#define TAKE_MAX(v, a, ISNAN) ((v) > (a) || ISNAN(v))
#define TAKE_NANMIN(v, a, ISNAN) ((v) < (a) || ISNAN(a))
#define TAKE_NANMAX(v, a, ISNAN) ((v) > (a) || ISNAN(a))

#define DEF_MINMAX(NAME, T, TAKE, ISNAN)                                                           \
    static void NAME(const T *x, size_t outer, size_t n, size_t inner, T *y)                       \
    {                                                                                              \
        T a[CHUNK];                                                                                \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * n * inner;                                                       \
            size_t rows = inner == 1 ? n / LANES : n;                                              \
            size_t stride = inner == 1 ? LANES : inner;                                            \
            size_t width = inner == 1 ? 1 : inner;                                                 \
            for (size_t k0 = 0; k0 < width; k0 += CHUNK) {                                         \
                size_t kn = inner == 1 ? LANES : (width - k0 < CHUNK ? width - k0 : CHUNK);        \
                for (size_t k = 0; k < kn; k++)                                                    \
                    a[k] = xo[inner == 1 ? 0 : k0 + k];                                            \
                for (size_t i = 0; i < rows; i++) {                                                \
                    const T *restrict r = xo + k0 + i * stride;                                    \
                    ROW_FOR(kn, {                                                                  \
                        T v = r[k];                                                                \
                        a[k] = TAKE(v, a[k], ISNAN) ? v : a[k];                                    \
                    });                                                                            \
                }                                                                                  \
                if (inner == 1) {                                                                  \
                    for (size_t k = 1; k < LANES; k++)                                             \
                        a[0] = TAKE(a[k], a[0], ISNAN) ? a[k] : a[0];                              \
                    for (size_t j = rows * LANES; j < n; j++)                                      \
                        a[0] = TAKE(xo[j], a[0], ISNAN) ? xo[j] : a[0];                            \
                    kn = 1;                                                                        \
                }                                                                                  \
                memcpy(y + o * (inner == 1 ? 1 : inner) + k0, a, kn * sizeof(T));                  \
            }                                                                                      \
        }                                                                                          \
    }

/* ---- argmin and argmax -------------------------------------------------- */

/* First occurrence wins (strict comparisons). Plain forms: the first NaN
 * wins and nothing replaces it; nan- forms skip NaNs. */
#define ARG_MIN(v, b, ISNAN) (!ISNAN(b) && ((v) < (b) || ISNAN(v)))
#define ARG_MAX(v, b, ISNAN) (!ISNAN(b) && ((v) > (b) || ISNAN(v)))
#define ARG_NANMIN(v, b, ISNAN) ((v) < (b) || (ISNAN(b) && !ISNAN(v)))
#define ARG_NANMAX(v, b, ISNAN) ((v) > (b) || (ISNAN(b) && !ISNAN(v)))

/* Returns 1 when a nan- form met a slice of NaNs only (numpy raises). */
#define DEF_ARG(NAME, T, TAKE, ISNAN, CHECK_ALLNAN)                                                \
    static int NAME(const T *x, size_t outer, size_t n, size_t inner, int64_t *y)                  \
    {                                                                                              \
        T b[CHUNK];                                                                                \
        int64_t bi[CHUNK];                                                                         \
        int allnan = 0;                                                                            \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * n * inner;                                                       \
            if (inner == 1) {                                                                      \
                T bv = xo[0];                                                                      \
                int64_t at = 0;                                                                    \
                for (size_t i = 1; i < n; i++)                                                     \
                    if (TAKE(xo[i], bv, ISNAN)) {                                                  \
                        bv = xo[i];                                                                \
                        at = (int64_t)i;                                                           \
                    }                                                                              \
                allnan |= CHECK_ALLNAN && ISNAN(bv);                                               \
                y[o] = at;                                                                         \
                continue;                                                                          \
            }                                                                                      \
            for (size_t k0 = 0; k0 < inner; k0 += CHUNK) {                                         \
                size_t kn = inner - k0 < CHUNK ? inner - k0 : CHUNK;                               \
                for (size_t k = 0; k < kn; k++) {                                                  \
                    b[k] = xo[k0 + k];                                                             \
                    bi[k] = 0;                                                                     \
                }                                                                                  \
                for (size_t i = 1; i < n; i++) {                                                   \
                    const T *restrict r = xo + k0 + i * inner;                                     \
                    ROW_FOR(kn, {                                                                  \
                        T v = r[k];                                                                \
                        int take = TAKE(v, b[k], ISNAN);                                           \
                        b[k] = take ? v : b[k];                                                    \
                        bi[k] = take ? (int64_t)i : bi[k];                                         \
                    });                                                                            \
                }                                                                                  \
                for (size_t k = 0; k < kn; k++)                                                    \
                    allnan |= CHECK_ALLNAN && ISNAN(b[k]);                                         \
                memcpy(y + o * inner + k0, bi, kn * sizeof *bi);                                   \
            }                                                                                      \
        }                                                                                          \
        return allnan;                                                                             \
    }

/* ---- median ------------------------------------------------------------- */

static double med3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    return c < a ? a : c > b ? b : c;
}

/* The k-th smallest of a[0..n) (no NaNs); afterwards a[0..k) <= a[k]. */
static double select_kth(double *a, ptrdiff_t n, ptrdiff_t k)
{
    ptrdiff_t l = 0, m = n - 1;
    while (l < m) {
        double x = med3(a[l], a[l + (m - l) / 2], a[m]);
        ptrdiff_t i = l, j = m;
        do {
            /* The pivot is one of a[l..m], so these stop in range; the
             * bounds only make that plain. */
            while (i < m && a[i] < x)
                i++;
            while (j > l && x < a[j])
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k)
            l = i;
        if (k < i)
            m = j;
    }
    return a[k];
}

/* Median of a[0..n) (destroyed); NaN when empty or, unless skipnan, when a
 * NaN is present. */
static double median_of(double *a, size_t n, int skipnan)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i])) {
            if (!skipnan)
                return NAN;
            continue;
        }
        a[m++] = a[i];
    }
    if (m == 0)
        return NAN;
    double hi = select_kth(a, (ptrdiff_t)m, (ptrdiff_t)(m / 2));
    if (m % 2)
        return hi;
    double lo = a[0];
    for (size_t i = 1; i < m / 2; i++)
        lo = a[i] > lo ? a[i] : lo;
    return (lo + hi) / 2; /* as numpy: the mean of the two middle values */
}

#define DEF_MEDIAN(T, S)                                                                           \
    static void median_##S(const T *x, size_t outer, size_t n, size_t inner, int skipnan,          \
                           double *scratch, void *y, ezc_dtype yt)                                 \
    {                                                                                              \
        for (size_t o = 0; o < outer; o++)                                                         \
            for (size_t k = 0; k < inner; k++) {                                                   \
                const T *xo = x + o * n * inner + k;                                               \
                for (size_t i = 0; i < n; i++)                                                     \
                    scratch[i] = (double)xo[i * inner];                                            \
                double r = median_of(scratch, n, skipnan);                                         \
                store_f(y, yt, o *inner + k, &r, 1);                                               \
            }                                                                                      \
    }

/* ---- instances ---------------------------------------------------------- */

#define DEF_FLOAT_KERNELS(E, T, S)                                                                 \
    DEF_MOMENTS(T, S, isnan)                                                                       \
    DEF_FOLD(prod_##S, T, double, 1, STEP_MUL, STORE_##S)                                          \
    DEF_MINMAX(min_##S, T, TAKE_MIN, isnan)                                                        \
    DEF_MINMAX(max_##S, T, TAKE_MAX, isnan)                                                        \
    DEF_MINMAX(nanmin_##S, T, TAKE_NANMIN, isnan)                                                  \
    DEF_MINMAX(nanmax_##S, T, TAKE_NANMAX, isnan)                                                  \
    DEF_ARG(argmin_##S, T, ARG_MIN, isnan, 0)                                                      \
    DEF_ARG(argmax_##S, T, ARG_MAX, isnan, 0)                                                      \
    DEF_ARG(nanargmin_##S, T, ARG_NANMIN, isnan, 1)                                                \
    DEF_ARG(nanargmax_##S, T, ARG_NANMAX, isnan, 1)                                                \
    DEF_MEDIAN(T, S)
#define STORE_f32 STORE_F32
#define STORE_f64 STORE_F64
EZC_CPU_FLOATS(DEF_FLOAT_KERNELS)

#define DEF_INT_KERNELS(E, T, S)                                                                   \
    DEF_MOMENTS(T, S, NO_NAN)                                                                      \
    DEF_FOLD(sum_##S, T, uint64_t, 0, STEP_ADD, STORE_U64)                                         \
    DEF_FOLD(prod_##S, T, uint64_t, 1, STEP_MUL, STORE_U64)                                        \
    DEF_MINMAX(min_##S, T, TAKE_MIN, NO_NAN)                                                       \
    DEF_MINMAX(max_##S, T, TAKE_MAX, NO_NAN)                                                       \
    DEF_ARG(argmin_##S, T, ARG_MIN, NO_NAN, 0)                                                     \
    DEF_ARG(argmax_##S, T, ARG_MAX, NO_NAN, 0)                                                     \
    DEF_MEDIAN(T, S)
EZC_CPU_INTS(DEF_INT_KERNELS)

/* ---- dispatch ----------------------------------------------------------- */

/* Results of a reduction over an empty axis (min, max and arg* are refused
 * by ezc_xp_check_reduce). */
static int reduce_empty(ezc_reduce_op base, ezc_array *y, ezc_error *err)
{
    switch (base) {
    case EZC_REDUCE_SUM: return ezc_cpu_fill(y, 0.0, err);
    case EZC_REDUCE_PROD: return ezc_cpu_fill(y, 1.0, err);
    default: return ezc_cpu_fill(y, NAN, err);
    }
}

#define FLOAT_CASE(E, T, S)                                                                        \
    case E:                                                                                        \
        switch (base) {                                                                            \
        case EZC_REDUCE_SUM:                                                                       \
        case EZC_REDUCE_MEAN:                                                                      \
        case EZC_REDUCE_VAR:                                                                       \
        case EZC_REDUCE_STD: moments_##S(xd, outer, n, inner, base, skipnan, yd, yt); break;       \
        case EZC_REDUCE_PROD: prod_##S(xd, outer, n, inner, yd); break;                            \
        case EZC_REDUCE_MIN: (skipnan ? nanmin_##S : min_##S)(xd, outer, n, inner, yd); break;     \
        case EZC_REDUCE_MAX: (skipnan ? nanmax_##S : max_##S)(xd, outer, n, inner, yd); break;     \
        case EZC_REDUCE_ARGMIN:                                                                    \
            allnan = (skipnan ? nanargmin_##S : argmin_##S)(xd, outer, n, inner, yd);              \
            break;                                                                                 \
        case EZC_REDUCE_ARGMAX:                                                                    \
            allnan = (skipnan ? nanargmax_##S : argmax_##S)(xd, outer, n, inner, yd);              \
            break;                                                                                 \
        default: median_##S(xd, outer, n, inner, skipnan, scratch, yd, yt); break;                 \
        }                                                                                          \
        break;

#define INT_CASE(E, T, S)                                                                          \
    case E:                                                                                        \
        switch (base) {                                                                            \
        case EZC_REDUCE_SUM: sum_##S(xd, outer, n, inner, yd); break;                              \
        case EZC_REDUCE_MEAN:                                                                      \
        case EZC_REDUCE_VAR:                                                                       \
        case EZC_REDUCE_STD: moments_##S(xd, outer, n, inner, base, 0, yd, yt); break;             \
        case EZC_REDUCE_PROD: prod_##S(xd, outer, n, inner, yd); break;                            \
        case EZC_REDUCE_MIN: min_##S(xd, outer, n, inner, yd); break;                              \
        case EZC_REDUCE_MAX: max_##S(xd, outer, n, inner, yd); break;                              \
        case EZC_REDUCE_ARGMIN: argmin_##S(xd, outer, n, inner, yd); break;                        \
        case EZC_REDUCE_ARGMAX: argmax_##S(xd, outer, n, inner, yd); break;                        \
        default: median_##S(xd, outer, n, inner, 0, scratch, yd, yt); break;                       \
        }                                                                                          \
        break;

int ezc_cpu_reduce(ezc_reduce_op op, const ezc_array *x, int axis, ezc_array *y, ezc_error *err)
{
    char name[48];
    int rc = ezc_xp_check_reduce(&ezc_cpu_dev, op, x, &axis, y, name, sizeof name, err);
    if (rc)
        return rc;
    int skipnan;
    ezc_reduce_op base = ezc_xp_reduce_base(op, &skipnan);
    ezc_dtype yt = ezc_reduce_dtype(base, x->dtype);
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    if (n == 0)
        return reduce_empty(base, y, err);
    if (outer == 0 || inner == 0)
        return 0;
    double *scratch = NULL;
    if (base == EZC_REDUCE_MEDIAN && !(scratch = malloc(n * sizeof *scratch)))
        return ezc_error_set(err, EZC_ENOMEM, "xp.%s: out of memory for %zu values", name, n);
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    int allnan = 0;
    switch (x->dtype) {
        EZC_CPU_FLOATS(FLOAT_CASE)
        EZC_CPU_INTS(INT_CASE)
    default: break;
    }
    free(scratch);
    if (allnan)
        return ezc_error_set(err, EZC_ENUMERIC, "xp.%s: all-NaN slice along axis %d", name, axis);
    return 0;
}
