/* xp_check.c — each op's contract, checked once for all backends
 * (xp_check.h): a backend passes its ezc_xp_dev, which checks placement and
 * words refused dtypes; everything else about the arguments is here. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "xp_check.h"

const char *ezc_shape_str(const ezc_array *a, char *buf, size_t n)
{
    size_t at = 0;
    int nd = a->tensor.ndim;
    at += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < nd && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    if (at < n)
        snprintf(buf + at, n - at, nd == 1 ? ",)" : ")");
    return buf;
}

int ezc_xp_want_square(const char *op, const ezc_array *a, ezc_error *err)
{
    if (a->shape[0] == a->shape[1])
        return 0;
    char s[128];
    return ezc_error_set(err, EZC_ESHAPE, "xp.%s: a must be square, got shape %s", op,
                         ezc_shape_str(a, s, sizeof s));
}

int ezc_xp_want_shape(const char *op, const char *name, const ezc_array *a, int64_t r, int64_t c,
                      ezc_error *err)
{
    int nd = c < 0 ? 1 : 2;
    if (a->tensor.ndim == nd && a->shape[0] == r && (nd == 1 || a->shape[1] == c))
        return 0;
    char s[128];
    if (nd == 1)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has shape %s, expected (%lld,)", op, name,
                             ezc_shape_str(a, s, sizeof s), (long long)r);
    return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has shape %s, expected (%lld, %lld)", op, name,
                         ezc_shape_str(a, s, sizeof s), (long long)r, (long long)c);
}

static const char *const reduce_names[EZC_REDUCE_COUNT] = {
    "sum",    "prod",   "mean",      "min",       "max",       "std",    "var",
    "median", "argmin", "argmax",    "nansum",    "nanmean",   "nanmin", "nanmax",
    "nanstd", "nanvar", "nanmedian", "nanargmin", "nanargmax",
};

const char *ezc_xp_reduce_name(ezc_reduce_op op)
{
    return (unsigned)op < EZC_REDUCE_COUNT ? reduce_names[op] : "?";
}

ezc_reduce_op ezc_xp_reduce_base(ezc_reduce_op op, int *skipnan)
{
    static const ezc_reduce_op plain[] = {
        [EZC_REDUCE_NANSUM] = EZC_REDUCE_SUM,       [EZC_REDUCE_NANMEAN] = EZC_REDUCE_MEAN,
        [EZC_REDUCE_NANMIN] = EZC_REDUCE_MIN,       [EZC_REDUCE_NANMAX] = EZC_REDUCE_MAX,
        [EZC_REDUCE_NANSTD] = EZC_REDUCE_STD,       [EZC_REDUCE_NANVAR] = EZC_REDUCE_VAR,
        [EZC_REDUCE_NANMEDIAN] = EZC_REDUCE_MEDIAN, [EZC_REDUCE_NANARGMIN] = EZC_REDUCE_ARGMIN,
        [EZC_REDUCE_NANARGMAX] = EZC_REDUCE_ARGMAX,
    };
    int skip = op >= EZC_REDUCE_NANSUM && op < EZC_REDUCE_COUNT;
    if (skipnan)
        *skipnan = skip;
    return skip ? plain[op] : op;
}

/* ---- shared pieces --------------------------------------------------------- */

int ezc_xp_want_dtype(const char *op, const char *name, const ezc_array *a, ezc_dtype want,
                      ezc_error *err)
{
    if (a->dtype == want)
        return 0;
    return ezc_error_set(err, EZC_EDTYPE, "xp.%s: %s has dtype %s, expected %s", op, name,
                         ezc_dtype_name(a->dtype), ezc_dtype_name(want));
}

int ezc_xp_axis(const char *op, const ezc_array *a, int *axis, ezc_error *err)
{
    int nd = a->tensor.ndim, ax = *axis;
    if (ax < 0)
        ax += nd;
    if (ax < 0 || ax >= nd)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: axis %d out of range for %d dims", op, *axis,
                             nd);
    *axis = ax;
    return 0;
}

int ezc_xp_same_shape(const char *op, const char *na, const ezc_array *a, const char *nb,
                      const ezc_array *b, ezc_error *err)
{
    int same = a->tensor.ndim == b->tensor.ndim;
    for (int i = 0; same && i < a->tensor.ndim; i++)
        same = a->shape[i] == b->shape[i];
    if (same)
        return 0;
    char sa[128], sb[128];
    return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has shape %s but %s has shape %s", op, nb,
                         ezc_shape_str(b, sb, sizeof sb), na, ezc_shape_str(a, sa, sizeof sa));
}

int ezc_xp_shape_except(const char *op, const ezc_array *x, int axis, int64_t len,
                        const ezc_array *y, ezc_error *err)
{
    int ok = x->tensor.ndim == y->tensor.ndim;
    for (int i = 0; ok && i < x->tensor.ndim; i++)
        ok = y->shape[i] == (i == axis ? len : x->shape[i]);
    if (ok)
        return 0;
    char sx[128], sy[128];
    return ezc_error_set(err, EZC_ESHAPE,
                         "xp.%s: y has shape %s; expected x's shape %s with length %lld "
                         "along axis %d",
                         op, ezc_shape_str(y, sy, sizeof sy), ezc_shape_str(x, sx, sizeof sx),
                         (long long)len, axis);
}

static int overlap(const ezc_array *a, const ezc_array *b)
{
    const char *pa = ezc_array_data(a), *pb = ezc_array_data(b);
    size_t na = ezc_array_nbytes(a), nb = ezc_array_nbytes(b);
    return na && nb && pa < pb + nb && pb < pa + na;
}

int ezc_xp_no_partial_overlap(const char *op, const ezc_array *a, const ezc_array *b,
                              ezc_error *err)
{
    if (ezc_array_data(a) == ezc_array_data(b) || !overlap(a, b))
        return 0;
    return ezc_error_set(err, EZC_EINVAL,
                         "xp.%s: output overlaps an input at another offset (in place "
                         "means the same array)",
                         op);
}

int ezc_xp_disjoint(const char *op, const ezc_array *a, const ezc_array *b, ezc_error *err)
{
    if (!overlap(a, b))
        return 0;
    return ezc_error_set(err, EZC_EINVAL,
                         "xp.%s: output shares memory with an input (not supported in place)", op);
}

/* ---- linear algebra ---------------------------------------------------------- */

/* a is placed like `like`, float32/float64 (of dtype `want` unless that is
 * invalid), 2-D (or 1-D with ndim1_ok). */
static int check_mat(const ezc_xp_dev *d, const char *op, const char *name, const ezc_array *a,
                     const ezc_array *like, ezc_dtype want, int ndim1_ok, ezc_error *err)
{
    int rc = d->place(op, name, a, like, err);
    if (rc)
        return rc;
    if (!ezc_dtype_is_float(a->dtype))
        return d->bad_dtype(op, name, a, "float32 or float64", err);
    if (want != EZC_DTYPE_INVALID && (rc = ezc_xp_want_dtype(op, name, a, want, err)))
        return rc;
    if (a->tensor.ndim != 2 && !(ndim1_ok && a->tensor.ndim == 1)) {
        char s[128];
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s must be %s, got shape %s", op, name,
                             ndim1_ok ? "1-D or 2-D" : "2-D", ezc_shape_str(a, s, sizeof s));
    }
    return 0;
}

int ezc_xp_check_matmul(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *b,
                        const ezc_array *c, int trans_a, int trans_b, ezc_error *err)
{
    const char *op = "matmul";
    int rc;
    if ((rc = check_mat(d, op, "a", a, NULL, EZC_DTYPE_INVALID, 0, err)) ||
        (rc = check_mat(d, op, "b", b, a, a->dtype, 0, err)) ||
        (rc = check_mat(d, op, "c", c, a, a->dtype, 0, err)))
        return rc;
    int64_t m = a->shape[trans_a ? 1 : 0], k = a->shape[trans_a ? 0 : 1];
    int64_t kb = b->shape[trans_b ? 1 : 0], n = b->shape[trans_b ? 0 : 1];
    if (k != kb) {
        char sa[128], sb[128];
        return ezc_error_set(
            err, EZC_ESHAPE, "xp.%s: a%s %s and b%s %s do not fit (inner lengths %lld and %lld)",
            op, trans_a ? ".T of" : "", ezc_shape_str(a, sa, sizeof sa), trans_b ? ".T of" : "",
            ezc_shape_str(b, sb, sizeof sb), (long long)k, (long long)kb);
    }
    if ((rc = ezc_xp_want_shape(op, "c", c, m, n, err)) || (rc = ezc_xp_disjoint(op, a, c, err)) ||
        (rc = ezc_xp_disjoint(op, b, c, err)))
        return rc;
    return 0;
}

int ezc_xp_check_cholesky(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *l,
                          ezc_error *err)
{
    const char *op = "cholesky";
    int rc;
    if ((rc = check_mat(d, op, "a", a, NULL, EZC_DTYPE_INVALID, 0, err)) ||
        (rc = ezc_xp_want_square(op, a, err)) ||
        (rc = check_mat(d, op, "l", l, a, a->dtype, 0, err)) ||
        (rc = ezc_xp_want_shape(op, "l", l, a->shape[0], a->shape[0], err)) ||
        (rc = ezc_xp_no_partial_overlap(op, a, l, err)))
        return rc;
    return 0;
}

int ezc_xp_check_solve(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *b,
                       const ezc_array *x, ezc_error *err)
{
    const char *op = "solve";
    int rc;
    if ((rc = check_mat(d, op, "a", a, NULL, EZC_DTYPE_INVALID, 0, err)) ||
        (rc = ezc_xp_want_square(op, a, err)) ||
        (rc = check_mat(d, op, "b", b, a, a->dtype, 1, err)) ||
        (rc = check_mat(d, op, "x", x, a, a->dtype, 1, err)))
        return rc;
    int64_t n = a->shape[0], k = b->tensor.ndim == 2 ? b->shape[1] : -1;
    if ((rc = ezc_xp_want_shape(op, "b", b, n, k, err)) ||
        (rc = ezc_xp_want_shape(op, "x", x, n, k, err)) || (rc = ezc_xp_disjoint(op, a, x, err)) ||
        (rc = ezc_xp_no_partial_overlap(op, b, x, err)))
        return rc;
    return 0;
}

int ezc_xp_check_eigh(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *w,
                      const ezc_array *v, ezc_error *err)
{
    const char *op = "eigh";
    int rc;
    if ((rc = check_mat(d, op, "a", a, NULL, EZC_DTYPE_INVALID, 0, err)) ||
        (rc = ezc_xp_want_square(op, a, err)) ||
        (rc = check_mat(d, op, "w", w, a, a->dtype, 1, err)) ||
        (rc = check_mat(d, op, "v", v, a, a->dtype, 0, err)))
        return rc;
    int64_t n = a->shape[0];
    if ((rc = ezc_xp_want_shape(op, "w", w, n, -1, err)) ||
        (rc = ezc_xp_want_shape(op, "v", v, n, n, err)) ||
        (rc = ezc_xp_no_partial_overlap(op, a, v, err)) || (rc = ezc_xp_disjoint(op, a, w, err)) ||
        (rc = ezc_xp_disjoint(op, v, w, err)))
        return rc;
    return 0;
}

int ezc_xp_check_svd(const ezc_xp_dev *d, const ezc_array *a, const ezc_array *u,
                     const ezc_array *s, const ezc_array *vt, ezc_error *err)
{
    const char *op = "svd";
    int rc;
    if ((rc = check_mat(d, op, "a", a, NULL, EZC_DTYPE_INVALID, 0, err)) ||
        (rc = check_mat(d, op, "u", u, a, a->dtype, 0, err)) ||
        (rc = check_mat(d, op, "s", s, a, a->dtype, 1, err)) ||
        (rc = check_mat(d, op, "vt", vt, a, a->dtype, 0, err)))
        return rc;
    int64_t m = a->shape[0], n = a->shape[1], k = m < n ? m : n;
    if ((rc = ezc_xp_want_shape(op, "u", u, m, k, err)) ||
        (rc = ezc_xp_want_shape(op, "s", s, k, -1, err)) ||
        (rc = ezc_xp_want_shape(op, "vt", vt, k, n, err)) ||
        (rc = ezc_xp_disjoint(op, u, s, err)) || (rc = ezc_xp_disjoint(op, u, vt, err)) ||
        (rc = ezc_xp_disjoint(op, s, vt, err)))
        return rc;
    return 0;
}

/* ---- along an axis --------------------------------------------------------- */

/* y has x's shape without axis (or with length 1 there). */
static int reduce_out_shape(const char *op, const ezc_array *x, int axis, const ezc_array *y,
                            ezc_error *err)
{
    int nd = x->tensor.ndim, ok = 0;
    if (y->tensor.ndim == nd - 1) {
        ok = 1;
        for (int i = 0, j = 0; i < nd && ok; i++)
            if (i != axis)
                ok = y->shape[j++] == x->shape[i];
    } else if (y->tensor.ndim == nd) {
        ok = ezc_xp_shape_except(op, x, axis, 1, y, NULL) == 0;
    }
    if (ok)
        return 0;
    char sx[128], sy[128];
    return ezc_error_set(err, EZC_ESHAPE,
                         "xp.%s: y has shape %s; expected x's shape %s without axis %d", op,
                         ezc_shape_str(y, sy, sizeof sy), ezc_shape_str(x, sx, sizeof sx), axis);
}

int ezc_xp_check_reduce(const ezc_xp_dev *d, ezc_reduce_op op, const ezc_array *x, int *axis,
                        const ezc_array *y, char *name, size_t namen, ezc_error *err)
{
    if ((unsigned)op >= EZC_REDUCE_COUNT)
        return ezc_error_set(err, EZC_EINVAL, "xp.reduce: unknown op %d", (int)op);
    snprintf(name, namen, "reduce(%s)", ezc_xp_reduce_name(op));
    int rc;
    if ((rc = d->place(name, "x", x, NULL, err)) || (rc = d->place(name, "y", y, x, err)))
        return rc;
    if (!ezc_dtype_is_float(x->dtype) && !ezc_dtype_is_int(x->dtype))
        return d->bad_dtype(name, "x", x, "a float or integer dtype", err);
    ezc_reduce_op base = ezc_xp_reduce_base(op, NULL);
    if ((rc = ezc_xp_axis(name, x, axis, err)) ||
        (rc = ezc_xp_want_dtype(name, "y", y, ezc_reduce_dtype(base, x->dtype), err)) ||
        (rc = reduce_out_shape(name, x, *axis, y, err)) || (rc = ezc_xp_disjoint(name, x, y, err)))
        return rc;
    if (x->shape[*axis] == 0 && (base == EZC_REDUCE_MIN || base == EZC_REDUCE_MAX ||
                                 base == EZC_REDUCE_ARGMIN || base == EZC_REDUCE_ARGMAX))
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: axis %d has length 0", name, *axis);
    return 0;
}

int ezc_xp_check_diff(const ezc_xp_dev *d, const ezc_array *x, const ezc_array *prev, int *axis,
                      const ezc_array *y, ezc_error *err)
{
    const char *op = "diff";
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)) ||
        (prev && (rc = d->place(op, "prev", prev, x, err))))
        return rc;
    if (x->dtype == EZC_BOOL || !(ezc_dtype_is_float(x->dtype) || ezc_dtype_is_int(x->dtype) ||
                                  ezc_dtype_is_complex(x->dtype)))
        return d->bad_dtype(op, "x", x, "a numeric dtype", err);
    if ((rc = ezc_xp_axis(op, x, axis, err)) ||
        (rc = ezc_xp_want_dtype(op, "y", y, x->dtype, err)) ||
        (prev && (rc = ezc_xp_want_dtype(op, "prev", prev, x->dtype, err))))
        return rc;
    int64_t len = x->shape[*axis];
    if (!prev && len < 1)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: axis %d has length 0 and there is no prev",
                             op, *axis);
    if ((rc = ezc_xp_shape_except(op, x, *axis, prev ? len : len - 1, y, err)))
        return rc;
    if (prev) {
        int ok = prev->tensor.ndim == x->tensor.ndim;
        for (int i = 0; ok && i < x->tensor.ndim; i++)
            ok = prev->shape[i] == (i == *axis ? 1 : x->shape[i]);
        if (!ok) {
            char sp[128], sx[128];
            return ezc_error_set(err, EZC_ESHAPE,
                                 "xp.%s: prev has shape %s; expected x's shape %s with length 1 "
                                 "along axis %d",
                                 op, ezc_shape_str(prev, sp, sizeof sp),
                                 ezc_shape_str(x, sx, sizeof sx), *axis);
        }
        if ((rc = ezc_xp_disjoint(op, prev, y, err)))
            return rc;
    }
    /* In place only where y has x's shape, i.e. with prev. */
    return prev ? ezc_xp_no_partial_overlap(op, x, y, err) : ezc_xp_disjoint(op, x, y, err);
}

int ezc_xp_check_take(const ezc_xp_dev *d, const ezc_array *x, int *axis, const int64_t *idx,
                      size_t n, const ezc_array *y, ezc_error *err)
{
    const char *op = "take";
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)) ||
        (rc = ezc_xp_axis(op, x, axis, err)) || (rc = ezc_xp_want_dtype(op, "y", y, x->dtype, err)))
        return rc;
    if (n > (size_t)EZC_MAX_ELEMENTS || (n && !idx))
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: %zu indices%s", op, n,
                             idx ? " is too many" : " but idx is NULL");
    if ((rc = ezc_xp_shape_except(op, x, *axis, (int64_t)n, y, err)) ||
        (rc = ezc_xp_disjoint(op, x, y, err)))
        return rc;
    int64_t len = x->shape[*axis];
    for (size_t j = 0; j < n; j++)
        if (idx[j] < 0 || idx[j] >= len)
            return ezc_error_set(err, EZC_EINVAL,
                                 "xp.%s: index %lld at position %zu out of range for axis %d "
                                 "of length %zu",
                                 op, (long long)idx[j], j, *axis, (size_t)len);
    return 0;
}

int ezc_xp_check_concat(const ezc_xp_dev *d, const ezc_array *const *xs, size_t n, int *axis,
                        const ezc_array *y, ezc_error *err)
{
    const char *op = "concat";
    int rc;
    if (n == 0 || !xs)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: no arrays to join", op);
    if ((rc = d->place(op, "y", y, NULL, err)))
        return rc;
    const ezc_array *x0 = xs[0];
    char name[32];
    int64_t total = 0;
    for (size_t k = 0; k < n; k++) {
        const ezc_array *x = xs[k];
        snprintf(name, sizeof name, "xs[%zu]", k);
        if ((rc = d->place(op, name, x, y, err)))
            return rc;
        if (k == 0 && (rc = ezc_xp_axis(op, x, axis, err)))
            return rc;
        if (x->dtype != x0->dtype)
            return ezc_error_set(err, EZC_EDTYPE, "xp.%s: %s is %s but xs[0] is %s", op, name,
                                 ezc_dtype_name(x->dtype), ezc_dtype_name(x0->dtype));
        if (ezc_xp_shape_except(op, x0, *axis, x->shape[*axis], x, NULL)) {
            char s0[128], sk[128];
            return ezc_error_set(err, EZC_ESHAPE,
                                 "xp.%s: %s has shape %s, xs[0] %s: they may differ along axis "
                                 "%d only",
                                 op, name, ezc_shape_str(x, sk, sizeof sk),
                                 ezc_shape_str(x0, s0, sizeof s0), *axis);
        }
        if ((rc = ezc_xp_disjoint(op, x, y, err)))
            return rc;
        total += x->shape[*axis];
    }
    if ((rc = ezc_xp_want_dtype(op, "y", y, x0->dtype, err)) ||
        (rc = ezc_xp_shape_except(op, x0, *axis, total, y, err)))
        return rc;
    return 0;
}

int ezc_xp_check_permute(const ezc_xp_dev *d, const ezc_array *x, const int *perm,
                         const ezc_array *y, ezc_error *err)
{
    const char *op = "permute";
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)) ||
        (rc = ezc_xp_want_dtype(op, "y", y, x->dtype, err)))
        return rc;
    int nd = x->tensor.ndim, seen[EZC_MAX_DIMS] = {0};
    if (!perm && nd)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: perm is NULL", op);
    for (int i = 0; i < nd; i++)
        if (perm[i] < 0 || perm[i] >= nd || seen[perm[i]]++)
            return ezc_error_set(err, EZC_EINVAL, "xp.%s: perm is not a permutation of %d dims", op,
                                 nd);
    int ok = y->tensor.ndim == nd;
    for (int i = 0; ok && i < nd; i++)
        ok = y->shape[i] == x->shape[perm[i]];
    if (!ok) {
        char sx[128], sy[128];
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: y has shape %s, not x's shape %s permuted",
                             op, ezc_shape_str(y, sy, sizeof sy), ezc_shape_str(x, sx, sizeof sx));
    }
    return ezc_xp_disjoint(op, x, y, err);
}

/* ---- fft ----------------------------------------------------------------------- */

const char *ezc_xp_fft_name(ezc_fft_kind kind)
{
    static const char *const names[] = {"rfft", "fft", "ifft", "irfft"};
    return (unsigned)kind <= EZC_FFT_C2R ? names[kind] : "?";
}

int ezc_xp_check_fft(const ezc_xp_dev *d, ezc_fft_kind kind, const ezc_array *x, int *axis,
                     int64_t n, const ezc_array *y, char *op, size_t opn, ezc_error *err)
{
    if ((unsigned)kind > EZC_FFT_C2R)
        return ezc_error_set(err, EZC_EINVAL, "xp.fft: unknown kind %d", (int)kind);
    snprintf(op, opn, "fft(%s)", ezc_xp_fft_name(kind));
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)))
        return rc;
    int real_in = kind == EZC_FFT_R2C;
    if (real_in ? !ezc_dtype_is_float(x->dtype) : !ezc_dtype_is_complex(x->dtype))
        return d->bad_dtype(op, "x", x, real_in ? "float32 or float64" : "complex64 or complex128",
                            err);
    ezc_dtype yt = kind == EZC_FFT_R2C   ? ezc_dtype_complex(x->dtype)
                   : kind == EZC_FFT_C2R ? ezc_dtype_real(x->dtype)
                                         : x->dtype;
    if (n < 1 || n > EZC_MAX_ELEMENTS)
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: length n = %lld must be positive", op,
                             (long long)n);
    if ((rc = ezc_xp_axis(op, x, axis, err)) || (rc = ezc_xp_want_dtype(op, "y", y, yt, err)))
        return rc;
    int64_t nout = kind == EZC_FFT_R2C ? n / 2 + 1 : n;
    int ok = x->tensor.ndim == y->tensor.ndim;
    for (int i = 0; ok && i < x->tensor.ndim; i++)
        ok = y->shape[i] == (i == *axis ? nout : x->shape[i]);
    if (!ok) {
        /* Both halves are quoted by tests of the cpu and cuda backends. */
        char sx[128], sy[128];
        return ezc_error_set(err, EZC_ESHAPE,
                             "xp.%s: y must have x's shape with %lld along axis %d: y has "
                             "shape %s; expected x's shape %s with length %lld along axis %d",
                             op, (long long)nout, *axis, ezc_shape_str(y, sy, sizeof sy),
                             ezc_shape_str(x, sx, sizeof sx), (long long)nout, *axis);
    }
    return ezc_xp_disjoint(op, x, y, err);
}

/* ---- iir ----------------------------------------------------------------------- */

int ezc_xp_check_iir(const ezc_xp_dev *d, const ezc_array *x, int *axis, const double *coef,
                     int nsec, int order, const ezc_array *zi, const ezc_array *y, ezc_error *err)
{
    const char *op = "iir";
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)) ||
        (rc = d->place(op, "zi", zi, x, err)) || (rc = ezc_xp_axis(op, x, axis, err)) ||
        (rc = ezc_xp_same_shape(op, "x", x, "y", y, err)) ||
        (rc = ezc_xp_want_dtype(op, "zi", zi, EZC_FLOAT64, err)) ||
        (rc = ezc_xp_no_partial_overlap(op, x, y, err)) || (rc = ezc_xp_disjoint(op, zi, y, err)) ||
        (rc = ezc_xp_disjoint(op, zi, x, err)))
        return rc;
    if (x->dtype != EZC_FLOAT32 && x->dtype != EZC_FLOAT64)
        return d->bad_dtype(op, "x", x, "float32 or float64", err);
    if (y->dtype != x->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.iir: x is %s but y is %s",
                             ezc_dtype_name(x->dtype), ezc_dtype_name(y->dtype));
    if (nsec < 0 || order < 0 || (nsec > 0 && !coef))
        return ezc_error_set(err, EZC_EINVAL,
                             "xp.iir: %d sections of order %d%s: expected nsec >= 0, "
                             "order >= 0 and coefficients",
                             nsec, order, coef ? "" : " without coefficients");
    size_t outer, n, inner;
    ezc_array_split(x, *axis, &outer, &n, &inner);
    size_t nz = (size_t)nsec * (size_t)order * outer * inner;
    if (ezc_array_size(zi) != nz) {
        /* Tests of the cpu and cuda backends quote both the count and the shape. */
        char sz[128];
        return ezc_error_set(err, EZC_ESHAPE,
                             "xp.iir: zi has %zu elements; expected %d sections x order %d x "
                             "%zu x %zu = %zu elements (zi has shape %s)",
                             ezc_array_size(zi), nsec, order, outer, inner, nz,
                             ezc_shape_str(zi, sz, sizeof sz));
    }
    return 0;
}

int ezc_xp_iir_normalise(const double *coef, int nsec, int order, double *cn, ezc_error *err)
{
    size_t per = 2 * (size_t)order + 1;
    for (int s = 0; s < nsec; s++) {
        const double *b = coef + (size_t)s * 2 * (order + 1), *a = b + order + 1;
        if (!(a[0] != 0) || !isfinite(a[0]))
            return ezc_error_set(err, EZC_EINVAL,
                                 "xp.iir: section %d has a[0] = %g; it must be finite and "
                                 "non-zero",
                                 s, a[0]);
        double *c = cn + (size_t)s * per;
        for (int k = 0; k <= order; k++)
            c[k] = b[k] / a[0];
        for (int k = 1; k <= order; k++)
            c[order + k] = a[k] / a[0];
    }
    return 0;
}

int ezc_xp_check_lattice_notch(const ezc_xp_dev *d, const ezc_array *x, int *axis,
                               const ezc_array *st, const ezc_array *y, const ezc_array *f,
                               ezc_error *err)
{
    const char *op = "lattice_notch";
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)) ||
        (rc = d->place(op, "st", st, x, err)) || (f && (rc = d->place(op, "f", f, x, err))) ||
        (rc = ezc_xp_axis(op, x, axis, err)) || (rc = ezc_xp_same_shape(op, "x", x, "y", y, err)) ||
        (f && (rc = ezc_xp_same_shape(op, "x", x, "f", f, err))) ||
        (rc = ezc_xp_want_dtype(op, "st", st, EZC_FLOAT64, err)) ||
        (rc = ezc_xp_no_partial_overlap(op, x, y, err)) || (rc = ezc_xp_disjoint(op, st, y, err)) ||
        (rc = ezc_xp_disjoint(op, st, x, err)) || (f && (rc = ezc_xp_disjoint(op, f, x, err))) ||
        (f && (rc = ezc_xp_disjoint(op, f, y, err))) ||
        (f && (rc = ezc_xp_disjoint(op, f, st, err))))
        return rc;
    if (x->dtype != EZC_FLOAT32 && x->dtype != EZC_FLOAT64)
        return d->bad_dtype(op, "x", x, "float32 or float64", err);
    if (y->dtype != x->dtype || (f && f->dtype != x->dtype))
        return ezc_error_set(err, EZC_EDTYPE, "xp.lattice_notch: x is %s but %s is %s",
                             ezc_dtype_name(x->dtype), y->dtype != x->dtype ? "y" : "f",
                             ezc_dtype_name(y->dtype != x->dtype ? y->dtype : f->dtype));
    size_t outer, n, inner;
    ezc_array_split(x, *axis, &outer, &n, &inner);
    if (ezc_array_size(st) != 5 * outer * inner) {
        char sz[128];
        return ezc_error_set(err, EZC_ESHAPE,
                             "xp.lattice_notch: st has %zu elements; expected 5 x %zu x %zu = %zu "
                             "(st has shape %s)",
                             ezc_array_size(st), outer, inner, 5 * outer * inner,
                             ezc_shape_str(st, sz, sizeof sz));
    }
    return 0;
}
