/* iir.c — the CPU backend's recursive filter: a cascade of sections in
 * transposed direct-form II (scipy's lfilter/sosfilt recurrences), float64
 * arithmetic on float32 or float64 data.
 *
 * The recurrence is sequential in time, so speed comes from running many
 * independent signals side by side: LANES signals form one vector (GCC
 * vector extension), either neighbouring elements of the inner dims (data
 * laid out [time, ch]: contiguous loads) or neighbouring outer rows (the
 * filtered axis is the last: strided loads). For a block of lanes, all
 * sections are applied to each sample before the next, so the data is read
 * and written once; the state lives in a small local array meanwhile. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu_internal.h"

#define LANES 8
/* Sections of one pass share MAX_Z state vectors; a longer cascade runs in
 * several passes (the later ones in place on y). */
#define MAX_Z 64

/* One build, the widest vectors the machine has (as fir.c): the AVX-512
 * clone holds a block of LANES signals in one register and fuses the
 * multiply-adds; the default clone spreads it over four SSE2 registers. */
#define IIR_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))

typedef double vd __attribute__((vector_size(LANES * sizeof(double))));
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));

/* One pass: sections [s0, s1) (normalised coefficients cn, 2*order+1 per
 * section: b0..b_order, a1..a_order) over n samples of `w` lanes. Sample
 * (t, j) sits at t*ts + j*ls in x and y; state (s, k, j) at
 * (s*order + k)*zs + j in zi. CONTIG (ls == 1) and FULL (w == LANES) are
 * compile-time in the callers, so the loads become plain vector moves. */
#define DEF_PASS(T, S, VT)                                                                         \
    static inline __attribute__((always_inline)) void pass_##S(                                    \
        const T *x, T *y, size_t n, size_t ts, size_t ls, int w, double *zi, size_t zs,            \
        const double *cn, int s0, int s1, int order, int contig, int full)                         \
    {                                                                                              \
        vd z[MAX_Z];                                                                               \
        int nz = (s1 - s0) * order;                                                                \
        for (int q = 0; q < nz; q++) {                                                             \
            const double *zp = zi + (size_t)(s0 * order + q) * zs;                                 \
            vd v = {0};                                                                            \
            if (full)                                                                              \
                memcpy(&v, zp, sizeof v);                                                          \
            else                                                                                   \
                for (int j = 0; j < w; j++)                                                        \
                    v[j] = zp[j];                                                                  \
            z[q] = v;                                                                              \
        }                                                                                          \
        for (size_t t = 0; t < n; t++) {                                                           \
            const T *xp = x + t * ts;                                                              \
            vd v = {0};                                                                            \
            if (contig && full) {                                                                  \
                VT raw;                                                                            \
                memcpy(&raw, xp, sizeof raw);                                                      \
                v = __builtin_convertvector(raw, vd);                                              \
            } else {                                                                               \
                for (int j = 0; j < (full ? LANES : w); j++)                                       \
                    v[j] = (double)xp[j * ls];                                                     \
            }                                                                                      \
            vd *zq = z;                                                                            \
            const double *c = cn + (size_t)s0 * (2 * order + 1);                                   \
            for (int s = s0; s < s1; s++, zq += order, c += 2 * order + 1) {                       \
                const double *b = c, *a = c + order; /* a[k] is a_k, k >= 1 */                     \
                vd out = b[0] * v + (order ? zq[0] : (vd){0});                                     \
                for (int k = 0; k + 1 < order; k++)                                                \
                    zq[k] = b[k + 1] * v - a[k + 1] * out + zq[k + 1];                             \
                if (order)                                                                         \
                    zq[order - 1] = b[order] * v - a[order] * out;                                 \
                v = out;                                                                           \
            }                                                                                      \
            T *yp = y + t * ts;                                                                    \
            if (contig && full) {                                                                  \
                VT raw = __builtin_convertvector(v, VT);                                           \
                memcpy(yp, &raw, sizeof raw);                                                      \
            } else {                                                                               \
                for (int j = 0; j < (full ? LANES : w); j++)                                       \
                    yp[j * ls] = (T)v[j];                                                          \
            }                                                                                      \
        }                                                                                          \
        for (int q = 0; q < nz; q++) {                                                             \
            double *zp = zi + (size_t)(s0 * order + q) * zs;                                       \
            if (full)                                                                              \
                memcpy(zp, &z[q], sizeof z[q]);                                                    \
            else                                                                                   \
                for (int j = 0; j < w; j++)                                                        \
                    zp[j] = z[q][j];                                                               \
        }                                                                                          \
    }

/* A block of lanes: the common orders get their own instances so the
 * section loop unrolls. */
#define DEF_BLOCK(T, S)                                                                            \
    IIR_SIMD static void block_##S(const T *x, T *y, size_t n, size_t ts, size_t ls, int w,        \
                                   double *zi, size_t zs, const double *cn, int s0, int s1,        \
                                   int order)                                                      \
    {                                                                                              \
        int contig = ls == 1, full = w == LANES;                                                   \
        if (contig && full) {                                                                      \
            if (order == 2)                                                                        \
                pass_##S(x, y, n, ts, 1, LANES, zi, zs, cn, s0, s1, 2, 1, 1);                      \
            else if (order == 1)                                                                   \
                pass_##S(x, y, n, ts, 1, LANES, zi, zs, cn, s0, s1, 1, 1, 1);                      \
            else                                                                                   \
                pass_##S(x, y, n, ts, 1, LANES, zi, zs, cn, s0, s1, order, 1, 1);                  \
        } else if (full) {                                                                         \
            if (order == 2)                                                                        \
                pass_##S(x, y, n, ts, ls, LANES, zi, zs, cn, s0, s1, 2, 0, 1);                     \
            else                                                                                   \
                pass_##S(x, y, n, ts, ls, LANES, zi, zs, cn, s0, s1, order, 0, 1);                 \
        } else {                                                                                   \
            pass_##S(x, y, n, ts, ls, w, zi, zs, cn, s0, s1, order, 0, 0);                         \
        }                                                                                          \
    }

DEF_PASS(float, f32, vf)
DEF_PASS(double, f64, vd)
DEF_BLOCK(float, f32)
DEF_BLOCK(double, f64)

/* One section of an order above MAX_Z: scalar, state in zi itself. */
#define DEF_LONG(T, S)                                                                             \
    IIR_SIMD static void long_##S(const T *x, T *y, size_t n, size_t ts, double *zi, size_t zs,    \
                                  const double *b, const double *a, int order)                     \
    {                                                                                              \
        for (size_t t = 0; t < n; t++) {                                                           \
            double v = (double)x[t * ts], out = b[0] * v + zi[0];                                  \
            for (int k = 0; k + 1 < order; k++)                                                    \
                zi[k * zs] = b[k + 1] * v - a[k + 1] * out + zi[(k + 1) * zs];                     \
            zi[(size_t)(order - 1) * zs] = b[order] * v - a[order] * out;                          \
            y[t * ts] = (T)out;                                                                    \
        }                                                                                          \
    }
DEF_LONG(float, f32)
DEF_LONG(double, f64)

/* All lanes of one pass (sections [s0, s1)) over the array. */
#define DEF_RUN(T, S)                                                                              \
    static void run_##S(const T *x, T *y, size_t outer, size_t n, size_t inner, double *zi,        \
                        const double *cn, int s0, int s1, int order)                               \
    {                                                                                              \
        size_t zs = outer * inner;                                                                 \
        if (order > MAX_Z) { /* one long section: scalar per signal */                             \
            const double *b = cn + (size_t)s0 * (2 * order + 1), *a = b + order;                   \
            for (size_t o = 0; o < outer; o++)                                                     \
                for (size_t i = 0; i < inner; i++)                                                 \
                    long_##S(x + o * n * inner + i, y + o * n * inner + i, n, inner,               \
                             zi + (size_t)s0 * order * zs + o * inner + i, zs, b, a, order);       \
            return;                                                                                \
        }                                                                                          \
        if (inner == 1) { /* filtered axis last: lanes are rows */                                 \
            for (size_t o = 0; o < outer; o += LANES) {                                            \
                int w = (int)(outer - o < LANES ? outer - o : LANES);                              \
                block_##S(x + o * n, y + o * n, n, 1, n, w, zi + o, zs, cn, s0, s1, order);        \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        for (size_t o = 0; o < outer; o++) /* lanes are inner elements */                          \
            for (size_t i = 0; i < inner; i += LANES) {                                            \
                int w = (int)(inner - i < LANES ? inner - i : LANES);                              \
                size_t at = o * n * inner + i;                                                     \
                block_##S(x + at, y + at, n, inner, 1, w, zi + o * inner + i, zs, cn, s0, s1,      \
                          order);                                                                  \
            }                                                                                      \
    }
DEF_RUN(float, f32)
DEF_RUN(double, f64)

int ezc_cpu_iir(const ezc_array *x, int axis, const double *coef, int nsec, int order,
                ezc_array *zi, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_iir(&ezc_cpu_dev, x, &axis, coef, nsec, order, zi, y, err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    /* Normalised coefficients: per section b0..b_order then a1..a_order. */
    size_t per = 2 * (size_t)order + 1;
    double cn_local[512];
    double *cn = cn_local;
    if ((size_t)nsec * per > sizeof cn_local / sizeof *cn_local) {
        cn = malloc((size_t)nsec * per * sizeof *cn);
        if (!cn)
            return ezc_error_set(err, EZC_ENOMEM, "xp.iir: out of memory");
    }
    if ((rc = ezc_xp_iir_normalise(coef, nsec, order, cn, err))) {
        if (cn != cn_local)
            free(cn);
        return rc;
    }
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    double *zd = ezc_array_data(zi);
    if (nsec == 0 || n == 0 || outer * inner == 0) {
        if (xd != yd && ezc_array_nbytes(x))
            memcpy(yd, xd, ezc_array_nbytes(x));
    } else {
        /* Passes of sections whose state fits MAX_Z vectors; the first reads
         * x, the others y in place. */
        int per_pass = order ? MAX_Z / order : nsec;
        if (per_pass < 1)
            per_pass = 1;
        for (int s0 = 0; s0 < nsec; s0 += per_pass) {
            int s1 = s0 + per_pass < nsec ? s0 + per_pass : nsec;
            const void *src = s0 ? yd : xd;
            if (x->dtype == EZC_FLOAT64)
                run_f64(src, yd, outer, n, inner, zd, cn, s0, s1, order);
            else
                run_f32(src, yd, outer, n, inner, zd, cn, s0, s1, order);
        }
    }
    if (cn != cn_local)
        free(cn);
    return 0;
}
