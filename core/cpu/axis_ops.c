/* axis_ops.c — diff, take, concat and permute on the CPU.
 *
 * take/concat/permute only move elements, so they work on bytes: whole rows
 * by memcpy, single elements by an unsigned type of the element's size.
 * permute first merges dims that stay adjacent, then copies contiguous runs
 * or, when the last dim moves, transposes 32 x 32 tiles to stay in cache. */
#include <complex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cpu_internal.h"

/* ---- diff --------------------------------------------------------------- */

#define SUB_NUM(T, a, b) ((a) - (b))
#define SUB_INT(T, a, b) ((T)(uint64_t)((uint64_t)(a) - (uint64_t)(b)))

/* y[i] = x[i] - x[i-1] along the axis; with prev, y[0] = x[0] - prev. When y
 * is x (in place, with prev) rows are done last to first so that each row
 * is read before it is overwritten. */
#define DEF_DIFF(T, S, SUB)                                                                        \
    static void diff_##S(const T *x, const T *prev, size_t outer, size_t n, size_t inner, T *y)    \
    {                                                                                              \
        size_t m = prev ? n : n - 1;                                                               \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * n * inner;                                                       \
            T *yo = y + o * m * inner;                                                             \
            const T *po = prev ? prev + o * inner : NULL;                                          \
            if ((const T *)yo == xo) {                                                             \
                for (size_t i = n; i-- > 1;)                                                       \
                    for (size_t k = 0; k < inner; k++)                                             \
                        yo[i * inner + k] = SUB(T, xo[i * inner + k], xo[(i - 1) * inner + k]);    \
                for (size_t k = 0; k < inner; k++)                                                 \
                    yo[k] = SUB(T, xo[k], po[k]);                                                  \
                continue;                                                                          \
            }                                                                                      \
            const T *restrict xr = xo;                                                             \
            T *restrict yr = yo;                                                                   \
            if (po) {                                                                              \
                EZC_CPU_FOR(k, inner, yr[k] = SUB(T, xr[k], po[k]));                               \
                yr += inner;                                                                       \
            }                                                                                      \
            /* Rows 1..n-1 minus rows 0..n-2: one run of (n-1)*inner. */                           \
            if (n > 1)                                                                             \
                EZC_CPU_FOR(i, (n - 1) * inner, yr[i] = SUB(T, xr[i + inner], xr[i]));             \
        }                                                                                          \
    }
#define DEF_DIFF_NUM(E, T, S) DEF_DIFF(T, S, SUB_NUM)
#define DEF_DIFF_INT(E, T, S) DEF_DIFF(T, S, SUB_INT)
EZC_CPU_FLOATS(DEF_DIFF_NUM)
EZC_CPU_COMPLEX(DEF_DIFF_NUM)
EZC_CPU_INTS(DEF_DIFF_INT)

#define DIFF_CASE(E, T, S)                                                                         \
    case E: diff_##S(xd, pd, outer, n, inner, yd); return 0;

int ezc_cpu_diff(const ezc_array *x, const ezc_array *prev, int axis, ezc_array *y, ezc_error *err)
{
    const char *op = "diff";
    int rc = ezc_xp_check_diff(&ezc_cpu_dev, x, prev, &axis, y, err);
    if (rc)
        return rc;
    if (!ezc_array_size(y)) /* no output: O(elements) work, not O(other dims) */
        return 0;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    const void *xd = ezc_array_data(x), *pd = prev ? ezc_array_data(prev) : NULL;
    void *yd = ezc_array_data(y);
    switch (x->dtype) {
        EZC_CPU_FLOATS(DIFF_CASE)
        EZC_CPU_COMPLEX(DIFF_CASE)
        EZC_CPU_INTS(DIFF_CASE)
    default: break;
    }
    return ezc_cpu_bad_dtype(op, x->dtype, err);
}

/* ---- element moves by size -------------------------------------------- */

/* Byte blocks with alignment 1: data is aligned to its item size only (a
 * float32 row of 4 channels is 16 bytes at any 4-byte address, as ZeroMQ
 * frames arrive), so a row must never be moved as a wider aligned type.
 * Assigning these compiles to plain unaligned loads and stores. */
typedef struct {
    unsigned char b[2];
} blk2;
typedef struct {
    unsigned char b[4];
} blk4;
typedef struct {
    unsigned char b[8];
} blk8;
typedef struct {
    unsigned char b[16];
} blk16;

#define BY_SIZE(X) X(1, uint8_t) X(2, blk2) X(4, blk4) X(8, blk8) X(16, blk16)

/* ---- take --------------------------------------------------------------- */

#define TAKE_ONE(SZ, T)                                                                            \
    case SZ: {                                                                                     \
        const T *xs = (const void *)xd;                                                            \
        T *ys = (void *)yd;                                                                        \
        for (size_t o = 0; o < outer; o++)                                                         \
            for (size_t j = 0; j < n; j++)                                                         \
                ys[o * n + j] = xs[o * len + (size_t)idx[j]];                                      \
        return 0;                                                                                  \
    }

int ezc_cpu_take(const ezc_array *x, int axis, const int64_t *idx, size_t n, ezc_array *y,
                 ezc_error *err)
{
    int rc = ezc_xp_check_take(&ezc_cpu_dev, x, &axis, idx, n, y, err);
    if (rc)
        return rc;
    size_t outer, len, inner;
    ezc_array_split(x, axis, &outer, &len, &inner);
    size_t row = inner * ezc_dtype_size(x->dtype);
    const char *xd = ezc_array_data(x);
    char *yd = ezc_array_data(y);
    if (!row || !outer || !n) /* nothing to copy: O(elements), not O(outer) */
        return 0;
    switch (row) {
        BY_SIZE(TAKE_ONE)
    default: break;
    }
    for (size_t o = 0; o < outer; o++)
        for (size_t j = 0; j < n; j++)
            memcpy(yd + (o * n + j) * row, xd + (o * len + (size_t)idx[j]) * row, row);
    return 0;
}

/* ---- concat ------------------------------------------------------------- */

int ezc_cpu_concat(const ezc_array *const *xs, size_t n, int axis, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_concat(&ezc_cpu_dev, xs, n, &axis, y, err);
    if (rc)
        return rc;
    const ezc_array *x0 = xs[0];
    if (!ezc_array_size(y)) /* no output: O(elements) work, not O(other dims) */
        return 0;
    size_t outer, len, inner;
    ezc_array_split(x0, axis, &outer, &len, &inner);
    size_t row = inner * ezc_dtype_size(x0->dtype);
    char *yd = ezc_array_data(y);
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < n; k++) {
            size_t bytes = (size_t)xs[k]->shape[axis] * row;
            if (bytes)
                memcpy(yd, (const char *)ezc_array_data(xs[k]) + o * bytes, bytes);
            yd += bytes;
        }
    return 0;
}

/* ---- permute ------------------------------------------------------------ */

#define TILE 32

/* y (p x q, contiguous) from x with strides (sp, sq) in elements. */
#define DEF_TILE(SZ, T)                                                                            \
    static void tile_##SZ(const void *xv, void *yv, size_t p, size_t q, size_t sp, size_t sq)      \
    {                                                                                              \
        const T *x = xv;                                                                           \
        T *y = yv;                                                                                 \
        for (size_t i0 = 0; i0 < p; i0 += TILE)                                                    \
            for (size_t j0 = 0; j0 < q; j0 += TILE) {                                              \
                size_t i1 = i0 + TILE < p ? i0 + TILE : p, j1 = j0 + TILE < q ? j0 + TILE : q;     \
                for (size_t i = i0; i < i1; i++)                                                   \
                    for (size_t j = j0; j < j1; j++)                                               \
                        y[i * q + j] = x[i * sp + j * sq];                                         \
            }                                                                                      \
    }
BY_SIZE(DEF_TILE)
#define TILE_CASE(SZ, T)                                                                           \
    case SZ: tile = tile_##SZ; break;

int ezc_cpu_permute(const ezc_array *x, const int *perm, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_permute(&ezc_cpu_dev, x, perm, y, err);
    if (rc)
        return rc;
    int nd = x->tensor.ndim;
    size_t isz = ezc_dtype_size(x->dtype), total = ezc_array_size(x);
    if (!total)
        return 0;
    /* Output dims with their input strides (elements), length-1 dims
     * dropped and neighbours merged where the input has them adjacent too. */
    size_t xstride[EZC_MAX_DIMS] = {0}, len[EZC_MAX_DIMS], str[EZC_MAX_DIMS];
    size_t acc = 1;
    for (int d = nd - 1; d >= 0; d--) {
        xstride[d] = acc;
        acc *= (size_t)x->shape[d];
    }
    int m = 0;
    for (int i = 0; i < nd; i++) {
        size_t l = (size_t)x->shape[perm[i]], s = xstride[perm[i]];
        if (l == 1)
            continue;
        if (m && str[m - 1] == s * l) {
            len[m - 1] *= l;
            str[m - 1] = s;
        } else {
            len[m] = l;
            str[m] = s;
            m++;
        }
    }
    const char *xd = ezc_array_data(x);
    char *yd = ezc_array_data(y);
    if (m == 0 || str[m - 1] == 1) {
        /* Runs of the last dim are contiguous in x too. */
        size_t run = (m ? len[m - 1] : 1) * isz, idx[EZC_MAX_DIMS] = {0}, off = 0;
        for (size_t done = 0; done < total * isz; done += run) {
            memcpy(yd + done, xd + off * isz, run);
            for (int d = m - 2; d >= 0; d--) {
                off += str[d];
                if (++idx[d] < len[d])
                    break;
                off -= str[d] * len[d];
                idx[d] = 0;
            }
        }
        return 0;
    }
    void (*tile)(const void *, void *, size_t, size_t, size_t, size_t) = NULL;
    switch (isz) {
        BY_SIZE(TILE_CASE)
    default: return ezc_cpu_bad_dtype("permute", x->dtype, err);
    }
    if (m == 1) {
        /* Cannot happen for a contiguous x, but a strided gather is right. */
        tile(xd, yd, 1, len[0], 0, str[0]);
        return 0;
    }
    size_t p = len[m - 2], q = len[m - 1], block = p * q, idx[EZC_MAX_DIMS] = {0}, off = 0;
    for (size_t done = 0; done < total; done += block) {
        tile(xd + off * isz, yd + done * isz, p, q, str[m - 2], str[m - 1]);
        for (int d = m - 3; d >= 0; d--) {
            off += str[d];
            if (++idx[d] < len[d])
                break;
            off -= str[d] * len[d];
            idx[d] = 0;
        }
    }
    return 0;
}
