/* kernels.h — the launchers in the .cu files, in plain C (internal).
 *
 * Host logic (checks, dispatch, memory) is C compiled by the C compiler;
 * only kernels and their launchers are CUDA C++. So the .cu files never
 * include ezc headers (which use C11 atomics) and this header is all the
 * two sides share: raw device pointers, element counts, a stream. Each
 * launcher returns a cudaError_t as int (0 = cudaSuccess). */
#ifndef EZC_CUDA_KERNELS_H
#define EZC_CUDA_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types the kernels know (a subset of ezc_dtype). Most kernels take
 * the floats only; the integers are for reductions. */
enum {
    EZK_F32 = 0,
    EZK_F64 = 1,
    EZK_I8,
    EZK_I16,
    EZK_I32,
    EZK_I64,
    EZK_U8,
    EZK_U16,
    EZK_U32,
    EZK_U64
};

/* Unary ops, numbered as ezc_unary_op. */
int ezk_unary(int op, int type, const void *x, void *y, size_t n, void *stream);
/* y = x * a + b */
int ezk_affine(int type, const void *x, void *y, size_t n, double a, double b, void *stream);
/* y = clamp(x, lo, hi), NaN through */
int ezk_clip(int type, const void *x, void *y, size_t n, double lo, double hi, void *stream);
/* y = x ** p */
int ezk_pow(int type, const void *x, void *y, size_t n, double p, void *stream);
/* Binary ops, numbered as ezc_binary_op. */
int ezk_binary(int op, int type, const void *a, const void *b, void *y, size_t n, void *stream);
/* Every element = v. */
int ezk_fill(int type, void *y, size_t n, double v, void *stream);
/* float32 <-> float64 */
int ezk_convert(int from, int to, const void *x, void *y, size_t n, void *stream);

/* Reductions of an (outer, n, inner) array along the middle axis into
 * (outer, inner); op numbered as ezc_reduce_op (SUM, MEAN, MIN, MAX, STD,
 * VAR only). Accumulates in double. */
int ezk_reduce(int op, int type, const void *x, void *y, size_t outer, size_t n, size_t inner,
               void *stream);

/* IIR cascade (xp.iir) over an (outer, n, inner) array, one thread per
 * signal: sections [s0, s1) with normalised coefficients cn (per section
 * b0..b_order then a1..a_order, on the device) and state zi laid out
 * [section][order][outer*inner] (float64, on the device). (s1 - s0) * order
 * must be <= 64, or s1 - s0 == 1 for a longer order. x may equal y. */
int ezk_iir(int type, const void *x, void *y, size_t outer, size_t n, size_t inner, double *zi,
            const double *cn, int s0, int s1, int order, void *stream);

/* Every other reduction (prod, median, arg*, the nan- forms with skipnan,
 * and integer x), op numbered as ezc_reduce_op without its nan- prefix.
 * y's type ytype: EZK_F32/F64 for moments and medians, x's type for min and
 * max (and float prod), int64 for arg* and 64-bit integer sums/products
 * (wrapping). scratch: outer*n*inner doubles on the device for MEDIAN, else
 * NULL. *allnan (device) is set to 1 when a nan-arg* meets an all-NaN slice.
 * n == 0 gives sum 0, prod 1 and NaN moments/medians; min/max/arg* need n > 0. */
int ezk_reduce_more(int op, int skipnan, int type, int ytype, const void *x, void *y, size_t outer,
                    size_t n, size_t inner, double *scratch, int *allnan, void *stream);

/* dst (cols x rows) = src (rows x cols) transposed, both row-major; also
 * turns a row-major matrix into column-major and back. src != dst. */
int ezk_transpose(int type, const void *src, void *dst, size_t rows, size_t cols, void *stream);
/* Zeroes the strict upper triangle (j > i) of a row-major n x n matrix. */
int ezk_upper_zero(int type, void *a, size_t n, void *stream);

#ifdef __cplusplus
}
#endif
#endif
