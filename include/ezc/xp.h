/* ezc/xp.h — the array namespace: one table of array operations per device.
 *
 * A transformer asks `ezc_xp_of(msg)` for the backend of the device holding
 * the message's data and calls operations through ezc_xp_call, which turns a
 * missing operation into an EZC_ENOTSUP error naming the op and the device.
 * Backends never move data between devices behind the caller's back: every
 * array passed to an operation must live on the backend's device (checked),
 * and only `copy` crosses devices, when asked to.
 *
 * Conventions for every operation:
 * - outputs are allocated by the caller with the documented dtype and shape
 *   (ezc_array_new / ezc_array_new_like); the backend checks them;
 * - an output may be the input itself where marked "in place ok";
 * - arrays are C-contiguous; `axis` is a dim index (may be negative: -1 is
 *   the last);
 * - errors name the operation, the dtype or shape, and the device.
 *
 * Threads: backend tables are const and registered once; ezc_xp_for /
 * ezc_xp_of / ezc_xp_loaded take a lock only to look up (and, for
 * ezc_xp_for, to load a module the first time) and may be called from any
 * thread. Operations may run concurrently on different arrays; two calls
 * that write the same array at once are the caller's race. Backends keep
 * per-thread or locked caches (FFT plans, handles) themselves. */
#ifndef EZC_XP_H
#define EZC_XP_H

#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_XP_ABI 2

typedef enum {
    EZC_UNARY_ABS,        /* any numeric; complex -> real magnitude */
    EZC_UNARY_NEG,        /* signed ints, floats, complex */
    EZC_UNARY_SQUARE,     /* ints, floats, complex */
    EZC_UNARY_SIGN,       /* ints, floats */
    EZC_UNARY_SQRT,       /* floats */
    EZC_UNARY_EXP,        /* floats */
    EZC_UNARY_LOG,        /* floats: natural log */
    EZC_UNARY_LOG2,       /* floats */
    EZC_UNARY_LOG10,      /* floats */
    EZC_UNARY_RECIPROCAL, /* floats, complex */
    EZC_UNARY_SIN,        /* floats */
    EZC_UNARY_COS,        /* floats */
    EZC_UNARY_COUNT
} ezc_unary_op;

typedef enum {
    EZC_BINARY_ADD,
    EZC_BINARY_SUB,
    EZC_BINARY_MUL,
    EZC_BINARY_DIV,
    EZC_BINARY_MIN, /* NaN propagates, as numpy.minimum */
    EZC_BINARY_MAX,
    EZC_BINARY_ATAN2, /* floats: angle of (x = b, y = a), as numpy.arctan2(a, b) */
    EZC_BINARY_HYPOT, /* floats: sqrt(a^2 + b^2) without overflow */
    EZC_BINARY_COUNT
} ezc_binary_op;

typedef enum {
    EZC_REDUCE_SUM,
    EZC_REDUCE_PROD,
    EZC_REDUCE_MEAN,
    EZC_REDUCE_MIN,
    EZC_REDUCE_MAX,
    EZC_REDUCE_STD, /* ddof = 0 */
    EZC_REDUCE_VAR, /* ddof = 0 */
    EZC_REDUCE_MEDIAN,
    EZC_REDUCE_ARGMIN, /* int64 output; first occurrence; NaN wins as numpy */
    EZC_REDUCE_ARGMAX,
    EZC_REDUCE_NANSUM,
    EZC_REDUCE_NANMEAN,
    EZC_REDUCE_NANMIN,
    EZC_REDUCE_NANMAX,
    EZC_REDUCE_NANSTD,
    EZC_REDUCE_NANVAR,
    EZC_REDUCE_NANMEDIAN,
    EZC_REDUCE_NANARGMIN,
    EZC_REDUCE_NANARGMAX,
    EZC_REDUCE_COUNT
} ezc_reduce_op;

typedef enum {
    EZC_FFT_R2C,  /* real n -> complex n/2+1 (numpy.fft.rfft) */
    EZC_FFT_C2C,  /* complex n -> complex n, forward (numpy.fft.fft) */
    EZC_FFT_C2CI, /* complex n -> complex n, inverse, scaled by 1/n (ifft) */
    EZC_FFT_C2R   /* complex n/2+1 -> real n, scaled by 1/n (irfft) */
} ezc_fft_kind;

typedef struct ezc_xp ezc_xp;

struct ezc_xp {
    int abi;          /* EZC_XP_ABI the table was built for */
    const char *name; /* "cpu", "cuda" */
    DLDeviceType device_type;

    /* ---- memory ---- */
    /* nbytes on `device`; caller owns one reference. */
    ezc_buffer *(*alloc)(DLDevice device, size_t nbytes, ezc_error *err);
    /* Same dtype and shape; src and dst may be on different devices when one
     * of them is this backend's and the other the host. */
    int (*copy)(const ezc_array *src, ezc_array *dst, ezc_error *err);
    /* Every element set to value (cast to the dtype). */
    int (*fill)(ezc_array *a, double value, ezc_error *err);
    /* Element-wise dtype conversion, same shape (numpy astype; complex ->
     * real keeps the real part; float -> int truncates). */
    int (*astype)(const ezc_array *x, ezc_array *y, ezc_error *err);
    /* Blocks until queued work on the device is done (no-op on the CPU). */
    int (*sync)(DLDevice device, ezc_error *err);

    /* ---- element-wise (in place ok) ---- */
    /* y has x's dtype, except ABS of complex: the real type. */
    int (*unary)(ezc_unary_op op, const ezc_array *x, ezc_array *y, ezc_error *err);
    /* y = x * scale + offset; floats and complex. */
    int (*affine)(const ezc_array *x, ezc_array *y, double scale, double offset, ezc_error *err);
    /* y[..., i, ...] = x * scale[i] + offset[i] along axis; scale/offset are
     * host arrays of length shape[axis], either may be NULL (1, 0). */
    int (*affine_axis)(const ezc_array *x, ezc_array *y, int axis, const double *scale,
                       const double *offset, ezc_error *err);
    /* y = min(max(x, lo), hi); NaN passes through; +-INFINITY for no bound.
     * Integer dtypes round bounds inward. */
    int (*clip)(const ezc_array *x, ezc_array *y, double lo, double hi, ezc_error *err);
    /* y = x ** p; floats. */
    int (*pow)(const ezc_array *x, ezc_array *y, double p, ezc_error *err);
    /* y = a op b; a, b, y of one dtype and shape (y may be a or b). */
    int (*binary)(ezc_binary_op op, const ezc_array *a, const ezc_array *b, ezc_array *y,
                  ezc_error *err);

    /* ---- along an axis ---- */
    /* y has x's shape without `axis`. dtype of y: ARG* -> int64; SUM/PROD of
     * ints -> int64 (uint64 for unsigned); MEAN/STD/VAR/MEDIAN of ints ->
     * float64; otherwise x's dtype. Floats and ints; not complex. An empty
     * axis: SUM 0, PROD 1, MEAN/STD/VAR/MEDIAN NaN, MIN/MAX/ARG* EZC_ESHAPE. */
    int (*reduce)(ezc_reduce_op op, const ezc_array *x, int axis, ezc_array *y, ezc_error *err);
    /* First difference along axis: y[i] = x[i] - x[i-1]. With prev (x's shape
     * but length 1 along axis) y has x's length and y[0] = x[0] - prev;
     * without, y has length n - 1 (n >= 1). Numeric dtypes, not bool. */
    int (*diff)(const ezc_array *x, const ezc_array *prev, int axis, ezc_array *y, ezc_error *err);
    /* y[..., j, ...] = x[..., idx[j], ...] along axis; idx on the host. */
    int (*take)(const ezc_array *x, int axis, const int64_t *idx, size_t n, ezc_array *y,
                ezc_error *err);
    /* y = the xs joined along axis (same dtype, equal other lengths). */
    int (*concat)(const ezc_array *const *xs, size_t n, int axis, ezc_array *y, ezc_error *err);
    /* y's dim i is x's dim perm[i]; y has the permuted shape. */
    int (*permute)(const ezc_array *x, const int *perm, ezc_array *y, ezc_error *err);
    /* Fourier transform of length n along axis (x zero-padded or truncated
     * to n; C2R reads n/2+1 inputs); plans are cached per shape. R2C: float32
     * -> complex64, float64 -> complex128; C2R the reverse. */
    int (*fft)(ezc_fft_kind kind, const ezc_array *x, int axis, int64_t n, ezc_array *y,
               ezc_error *err);

    /* ---- linear algebra: float32/float64, 2-D, row-major ---- */
    /* c = op(a) @ op(b), op = transpose when the flag is set. */
    int (*matmul)(const ezc_array *a, const ezc_array *b, ezc_array *c, int trans_a, int trans_b,
                  ezc_error *err);
    /* Lower-triangular l with a = l @ l.T (upper part zeroed);
     * EZC_ENUMERIC when a is not positive definite. */
    int (*cholesky)(const ezc_array *a, ezc_array *l, ezc_error *err);
    /* x = solve(a, b); a n x n, b n x k (or 1-D n); EZC_ENUMERIC if singular. */
    int (*solve)(const ezc_array *a, const ezc_array *b, ezc_array *x, ezc_error *err);
    /* Symmetric a: ascending eigenvalues w (n) and eigenvectors as the
     * columns of v (n x n), as numpy.linalg.eigh. */
    int (*eigh)(const ezc_array *a, ezc_array *w, ezc_array *v, ezc_error *err);
    /* Thin SVD of a (m x n), k = min(m, n): u (m x k), s (k, descending),
     * vt (k x n), as numpy.linalg.svd(full_matrices=False). */
    int (*svd)(const ezc_array *a, ezc_array *u, ezc_array *s, ezc_array *vt, ezc_error *err);

    /* ---- recursive filters ---- */
    /* IIR filter along axis as a cascade of nsec sections of order `order`:
     * scipy.signal.sosfilt for order 2, lfilter for one section of any
     * order. coef: host doubles, per section b[0..order] then a[0..order]
     * (a[0] != 0; the backend normalises by it). zi: float64 on the device
     * with nsec*order*outer*inner elements laid out [section][order][outer]
     * [inner] (outer/inner as ezc_array_split around axis): the transposed
     * direct-form II state, read as the initial state and overwritten with
     * the final one. x, y: float32 or float64, one shape and dtype (in place
     * ok); arithmetic in float64. NULL in a backend = not supported there. */
    int (*iir)(const ezc_array *x, int axis, const double *coef, int nsec, int order, ezc_array *zi,
               ezc_array *y, ezc_error *err);

    /* ---- appended after ABI 1 ---- */
    /* FIR filter along axis, the "valid" part of the convolution: with M =
     * ntaps - 1, y[.., n, ..] = sum_k taps[k] * x[.., n + M - k, ..] for n in
     * [0, len - M), len = x's length along axis (ntaps in 1..len). taps:
     * host doubles. x, y: float32 or float64, one dtype, y of x's shape but
     * len - M along axis, not overlapping x; arithmetic in float64. A
     * backend may use an FFT for long filters (the CPU does, for long
     * messages): the values agree to rounding. NULL = not supported. */
    int (*fir)(const ezc_array *x, int axis, const double *taps, int64_t ntaps, ezc_array *y,
               ezc_error *err);
    /* y = ln(x) / ln(base) in one pass, rounded as numpy's np.log(x) /
     * np.log(base) in x's dtype: the log rounded to the dtype, divided by
     * ln(base) rounded to it (float32, CPU: that formula with a correctly
     * rounded logf, bit for bit). x, y: float32 or float64, one shape and dtype
     * (in place ok); base > 0, finite, not 1. NULL in a backend: callers
     * fall back to unary LOG then binary DIV. */
    int (*log_base)(const ezc_array *x, ezc_array *y, double base, ezc_error *err);
    /* Adaptive lattice notch filter along axis, sample by sample (ezmsg-
     * sigproc's AdaptiveLatticeNotchFilter): per series, with s1, s2 the two
     * previous lattice states,
     *   s = x - k1 (1 + gamma) s1 - gamma s2;  y = s + 2 k1 s1 + s2;
     *   p = eta p + (1 - eta) s1 (s + s2);  q = eta q + (1 - eta) 2 s1^2;
     *   k1 = mu k1 + (1 - mu) clip(-p / (q + 1e-8), -1, 1);
     *   f = acos(-k1) (rad/sample);  s2 = s1;  s1 = s.
     * st: float64 on the device, 5*outer*inner elements laid out [5][outer]
     * [inner] (s1, s2, p, q, k1; outer/inner as ezc_array_split around axis),
     * read as the initial state and overwritten with the final one. x, y and
     * f: float32 or float64, one dtype and shape (y in place ok; f may be
     * NULL, else distinct from x and y); arithmetic in float64. NULL in a
     * backend = not supported there. */
    int (*lattice_notch)(const ezc_array *x, int axis, double gamma, double mu, double eta,
                         ezc_array *st, ezc_array *y, ezc_array *f, ezc_error *err);
};

/* The dtype xp.reduce writes for op over x's dtype t (see reduce above). */
ezc_dtype ezc_reduce_dtype(ezc_reduce_op op, ezc_dtype t);

/* Backend for the device holding a's data; NULL with err naming the device
 * when none is loaded (the CUDA backend is loaded on first use when
 * libezc-cuda is installed and a device is present). */
const ezc_xp *ezc_xp_of(const ezc_array *a, ezc_error *err);
const ezc_xp *ezc_xp_for(DLDevice device, ezc_error *err);
/* The backend for device when one is loaded already, else NULL: never loads
 * a module. What reacts to outside input (a received header naming a
 * device) uses this, so that only configuration (a node's device, a
 * to_device setting, a program's own ezc_xp_for) ever loads code. */
const ezc_xp *ezc_xp_loaded(DLDevice device);
/* The CPU backend; never NULL. */
const ezc_xp *ezc_xp_cpu(void);
/* Makes a backend available for its device type (used by device modules).
 * Refuses a table of another EZC_XP_ABI. */
int ezc_xp_register(const ezc_xp *xp, ezc_error *err);

/* Error for an operation a backend lacks. */
int ezc_xp_unsupported(const ezc_xp *xp, const char *op, ezc_error *err);

/* Calls an operation, or reports it missing:
 *   rc = ezc_xp_call(xp, clip, err, x, y, lo, hi); */
#define ezc_xp_call(xp, op, err, ...)                                                              \
    ((xp)->op ? (xp)->op(__VA_ARGS__, (err)) : ezc_xp_unsupported((xp), #op, (err)))

/* Moves a to `device` (a copy through the backends; a clone when already
 * there). This is the explicit transfer; nothing else moves data. */
ezc_array *ezc_array_to_device(const ezc_array *a, DLDevice device, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
