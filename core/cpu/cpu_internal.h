/* cpu_internal.h — what the CPU backend's files share (not installed).
 *
 * The table's functions, one group per file, and the placement check every
 * operation runs before touching memory; the rest of each op's contract is
 * core/xp_check.c's, so that each error names the op ("xp.reduce(median)"),
 * the argument, its dtype or shape, and the device. */
#ifndef EZC_CPU_INTERNAL_H
#define EZC_CPU_INTERNAL_H

#include <stddef.h>
#include "ezc/xp.h"
#include "xp_check.h"

/* ---- element types ------------------------------------------------------
 * X(enum, C type, suffix) lists, so that one macro body instantiates a kernel
 * per dtype and a switch picks it: the hot loops see a concrete type, never a
 * per-element function pointer. Bool is stored as one byte, 0 or 1. */
#define EZC_CPU_FLOATS(X) X(EZC_FLOAT32, float, f32) X(EZC_FLOAT64, double, f64)
#define EZC_CPU_SINTS(X)                                                                           \
    X(EZC_INT8, int8_t, i8)                                                                        \
    X(EZC_INT16, int16_t, i16) X(EZC_INT32, int32_t, i32) X(EZC_INT64, int64_t, i64)
#define EZC_CPU_UINTS(X)                                                                           \
    X(EZC_UINT8, uint8_t, u8)                                                                      \
    X(EZC_UINT16, uint16_t, u16) X(EZC_UINT32, uint32_t, u32) X(EZC_UINT64, uint64_t, u64)
#define EZC_CPU_INTS(X) EZC_CPU_SINTS(X) EZC_CPU_UINTS(X)
#define EZC_CPU_REALS(X) EZC_CPU_FLOATS(X) EZC_CPU_INTS(X)
#define EZC_CPU_COMPLEX(X)                                                                         \
    X(EZC_COMPLEX64, float _Complex, c64) X(EZC_COMPLEX128, double _Complex, c128)
#define EZC_CPU_ALL(X) EZC_CPU_REALS(X) X(EZC_BOOL, uint8_t, b8) EZC_CPU_COMPLEX(X)

/* for (i = 0; i < n; i++) BODY, as blocks of 16 plus a scalar tail: a trip
 * count the vectoriser takes even under -O2's cheap cost model. BODY must
 * touch element i only (the blocks carry GCC ivdep). */
#define EZC_CPU_FOR(i, n, BODY)                                                                    \
    do {                                                                                           \
        size_t n_ = (n), nb_ = n_ / 16 * 16, b_ = 0;                                               \
        for (; b_ < nb_; b_ += 16) {                                                               \
            _Pragma("GCC ivdep") for (size_t j_ = 0; j_ < 16; j_++)                                \
            {                                                                                      \
                size_t i = b_ + j_;                                                                \
                BODY;                                                                              \
            }                                                                                      \
        }                                                                                          \
        for (size_t i = b_; i < n_; i++) {                                                         \
            BODY;                                                                                  \
        }                                                                                          \
    } while (0)

/* ---- argument checks (xp_cpu.c); `op` is the label after "xp." ---------- */

/* a is non-NULL, a C-contiguous array of a valid dtype in host memory. */
int ezc_cpu_check(const char *op, const char *name, const ezc_array *a, ezc_error *err);
/* EZC_EDTYPE: "xp.<op>: dtype <t> not supported on cpu". */
int ezc_cpu_bad_dtype(const char *op, ezc_dtype t, ezc_error *err);
/* The checkers of core/xp_check.c see the cpu backend through this. */
extern const ezc_xp_dev ezc_cpu_dev;
/* Values of an integer dtype (or bool) lie in [lo, hi); 0 for other dtypes.
 * Casting a double outside it to the dtype is undefined in C. */
int ezc_cpu_int_range(ezc_dtype t, double *lo, double *hi);

/* ---- the table's operations ---------------------------------------------- */

/* xp_cpu.c */
ezc_buffer *ezc_cpu_alloc(DLDevice device, size_t nbytes, ezc_error *err);
int ezc_cpu_copy(const ezc_array *src, ezc_array *dst, ezc_error *err);
int ezc_cpu_fill(ezc_array *a, double value, ezc_error *err);
int ezc_cpu_astype(const ezc_array *x, ezc_array *y, ezc_error *err);
int ezc_cpu_sync(DLDevice device, ezc_error *err);

/* elementwise.c */
int ezc_cpu_unary(ezc_unary_op op, const ezc_array *x, ezc_array *y, ezc_error *err);
int ezc_cpu_affine(const ezc_array *x, ezc_array *y, double scale, double offset, ezc_error *err);
int ezc_cpu_affine_axis(const ezc_array *x, ezc_array *y, int axis, const double *scale,
                        const double *offset, ezc_error *err);
int ezc_cpu_clip(const ezc_array *x, ezc_array *y, double lo, double hi, ezc_error *err);
int ezc_cpu_pow(const ezc_array *x, ezc_array *y, double p, ezc_error *err);
int ezc_cpu_binary(ezc_binary_op op, const ezc_array *a, const ezc_array *b, ezc_array *y,
                   ezc_error *err);
int ezc_cpu_log_base(const ezc_array *x, ezc_array *y, double base, ezc_error *err);

/* reduce.c */
int ezc_cpu_reduce(ezc_reduce_op op, const ezc_array *x, int axis, ezc_array *y, ezc_error *err);

/* axis_ops.c */
int ezc_cpu_diff(const ezc_array *x, const ezc_array *prev, int axis, ezc_array *y, ezc_error *err);
int ezc_cpu_take(const ezc_array *x, int axis, const int64_t *idx, size_t n, ezc_array *y,
                 ezc_error *err);
int ezc_cpu_concat(const ezc_array *const *xs, size_t n, int axis, ezc_array *y, ezc_error *err);
int ezc_cpu_permute(const ezc_array *x, const int *perm, ezc_array *y, ezc_error *err);

/* fft.c */
int ezc_cpu_fft(ezc_fft_kind kind, const ezc_array *x, int axis, int64_t n, ezc_array *y,
                ezc_error *err);

/* linalg.c */
int ezc_cpu_matmul(const ezc_array *a, const ezc_array *b, ezc_array *c, int trans_a, int trans_b,
                   ezc_error *err);
int ezc_cpu_cholesky(const ezc_array *a, ezc_array *l, ezc_error *err);
int ezc_cpu_solve(const ezc_array *a, const ezc_array *b, ezc_array *x, ezc_error *err);
int ezc_cpu_eigh(const ezc_array *a, ezc_array *w, ezc_array *v, ezc_error *err);
int ezc_cpu_svd(const ezc_array *a, ezc_array *u, ezc_array *s, ezc_array *vt, ezc_error *err);

/* iir.c */
int ezc_cpu_iir(const ezc_array *x, int axis, const double *coef, int nsec, int order,
                ezc_array *zi, ezc_array *y, ezc_error *err);

/* fir.c */
int ezc_cpu_fir(const ezc_array *x, int axis, const double *taps, int64_t ntaps, ezc_array *y,
                ezc_error *err);

/* lattice.c */
int ezc_cpu_lattice_notch(const ezc_array *x, int axis, double gamma, double mu, double eta,
                          ezc_array *st, ezc_array *y, ezc_array *f, ezc_error *err);

#endif
