/* xp_check.h — each op's contract, checked once for every backend (internal).
 *
 * An op's contract (dtypes and shapes of the outputs given the inputs, the
 * axis, lengths, which arguments may share memory) is the same on every
 * device, so it is checked here; a backend's table entry calls the op's
 * ezc_xp_check_* first, passing an ezc_xp_dev that says how to check that an
 * array lives on its device and how to word a dtype it does not compute,
 * and then checks only its own limits (int sizes of a library) and computes.
 * Errors read "xp.<op>: <arg> ..." and name the dtype, shape or device. */
#ifndef EZC_XP_CHECK_H
#define EZC_XP_CHECK_H

#include "ezc/array.h"
#include "ezc/xp.h"

/* "(3, 4)", "(5,)", "()" into buf; returns buf. */
const char *ezc_shape_str(const ezc_array *a, char *buf, size_t n);
/* EZC_ESHAPE unless a is square: "xp.OP: a must be square, got shape (2, 3)". */
int ezc_xp_want_square(const char *op, const ezc_array *a, ezc_error *err);
/* EZC_ESHAPE unless a has shape (r,) (c < 0) or (r, c). */
int ezc_xp_want_shape(const char *op, const char *name, const ezc_array *a, int64_t r, int64_t c,
                      ezc_error *err);

/* A reduction's name ("nanmedian"), and its op without the nan- prefix
 * (*skipnan set when NaNs are to be skipped). */
const char *ezc_xp_reduce_name(ezc_reduce_op op);
ezc_reduce_op ezc_xp_reduce_base(ezc_reduce_op op, int *skipnan);

/* ---- what a backend tells the checkers ---------------------------------- */

typedef struct ezc_xp_dev {
    const char *name; /* "cpu", "cuda" */
    /* a is non-NULL and lives where this backend computes (on the same
     * device as `like`, when like is not NULL): EZC_EINVAL / EZC_EDEVICE
     * otherwise. May make a's device current. */
    int (*place)(const char *op, const char *name, const ezc_array *a, const ezc_array *like,
                 ezc_error *err);
    /* EZC_EDTYPE for an input dtype the op refuses; `expected` lists what it
     * takes ("float32 or float64"). */
    int (*bad_dtype)(const char *op, const char *name, const ezc_array *a, const char *expected,
                     ezc_error *err);
} ezc_xp_dev;

/* ---- shared pieces --------------------------------------------------------- */

/* EZC_EDTYPE unless a has dtype want: "xp.OP: NAME has dtype T, expected W". */
int ezc_xp_want_dtype(const char *op, const char *name, const ezc_array *a, ezc_dtype want,
                      ezc_error *err);
/* Normalises a negative axis; EZC_EINVAL "xp.OP: axis A out of range for N dims". */
int ezc_xp_axis(const char *op, const ezc_array *a, int *axis, ezc_error *err);
/* EZC_ESHAPE unless a and b have the same shape. */
int ezc_xp_same_shape(const char *op, const char *na, const ezc_array *a, const char *nb,
                      const ezc_array *b, ezc_error *err);
/* EZC_ESHAPE unless y has x's shape with length `len` along `axis`. */
int ezc_xp_shape_except(const char *op, const ezc_array *x, int axis, int64_t len,
                        const ezc_array *y, ezc_error *err);
/* EZC_EINVAL when the data of a and b overlap without being the same
 * (in place is allowed, shifted is not). */
int ezc_xp_no_partial_overlap(const char *op, const ezc_array *a, const ezc_array *b,
                              ezc_error *err);
/* EZC_EINVAL when the data of a and b overlap at all. */
int ezc_xp_disjoint(const char *op, const ezc_array *a, const ezc_array *b, ezc_error *err);

/* ---- per-op contracts (xp.h documents each) -------------------------------- */

int ezc_xp_check_matmul(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *b,
                        const ezc_array *c, int trans_a, int trans_b, ezc_error *err);
int ezc_xp_check_cholesky(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *l,
                          ezc_error *err);
int ezc_xp_check_solve(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *b,
                       const ezc_array *x, ezc_error *err);
int ezc_xp_check_eigh(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *w,
                      const ezc_array *v, ezc_error *err);
int ezc_xp_check_svd(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *u,
                     const ezc_array *s, const ezc_array *vt, ezc_error *err);

/* Checks xp.reduce's arguments; on success *axis is normalised and name (at
 * least 32 bytes) holds the label for later errors ("reduce(nanmedian)").
 * Takes float and int x; an empty axis is an error for min, max and arg*. */
int ezc_xp_check_reduce(const ezc_xp_dev *d, ezc_reduce_op op, const ezc_array *x, int *axis,
                        const ezc_array *y, char *name, size_t namen, ezc_error *err);
/* Checks xp.diff's arguments (prev may be NULL); *axis normalised. */
int ezc_xp_check_diff(const ezc_xp_dev *d, const ezc_array *x, const ezc_array *prev, int *axis,
                      const ezc_array *y, ezc_error *err);
/* Checks xp.take's arguments, the indices included; *axis normalised. */
int ezc_xp_check_take(const ezc_xp_dev *d, const ezc_array *x, int *axis, const int64_t *idx,
                      size_t n, const ezc_array *y, ezc_error *err);
/* Checks xp.concat's arguments; *axis normalised. */
int ezc_xp_check_concat(const ezc_xp_dev *d, const ezc_array *const *xs, size_t n, int *axis,
                        const ezc_array *y, ezc_error *err);
/* Checks xp.permute's arguments. */
int ezc_xp_check_permute(const ezc_xp_dev *d, const ezc_array *x, const int *perm,
                         const ezc_array *y, ezc_error *err);

/* "rfft", "fft", "ifft", "irfft"; "?" for an unknown kind. */
const char *ezc_xp_fft_name(ezc_fft_kind kind);
/* Checks xp.fft's arguments; on success *axis is normalised and op (at
 * least 32 bytes) holds the label for later errors ("fft(rfft)"). */
int ezc_xp_check_fft(const ezc_xp_dev *d, ezc_fft_kind kind, const ezc_array *x, int *axis,
                     int64_t n, const ezc_array *y, char *op, size_t opn, ezc_error *err);

/* Checks xp.iir's arguments; on success *axis is normalised. */
int ezc_xp_check_iir(const ezc_xp_dev *d, const ezc_array *x, int *axis, const double *coef,
                     int nsec, int order, const ezc_array *zi, const ezc_array *y, ezc_error *err);
/* The coefficients of xp.iir divided by each section's a[0], into cn
 * (nsec * (2 * order + 1) doubles: b0..b_order, a1..a_order per section);
 * EZC_EINVAL when an a[0] is zero or not finite. */
int ezc_xp_iir_normalise(const double *coef, int nsec, int order, double *cn, ezc_error *err);
/* Checks xp.lattice_notch's arguments; on success *axis is normalised. */
int ezc_xp_check_lattice_notch(const ezc_xp_dev *d, const ezc_array *x, int *axis,
                               const ezc_array *st, const ezc_array *y, const ezc_array *f,
                               ezc_error *err);

#endif
