/* linalg.c — matmul (cblas gemm) and small dense LAPACK: cholesky, solve,
 * eigh, svd, all row-major.
 *
 * LAPACK overwrites what it factors, so every routine works on a copy (the
 * output itself where it has the input's shape) and inputs stay untouched.
 * One code path serves both precisions. Argument checks are the ops'
 * contracts in core/xp_check.c plus LAPACK's int limit here. */
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "cpu_internal.h"
#include "xp_check.h"

/* LAPACK and CBLAS take int sizes; each dim of a checked matrix must fit. */
static int fits(const char *op, const char *name, const ezc_array *a, ezc_error *err)
{
    for (int i = 0; i < a->tensor.ndim; i++)
        if (a->shape[i] > INT_MAX / 2)
            return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s is too large for LAPACK", op, name);
    return 0;
}

static int lapack_fail(const char *op, const char *routine, int info, ezc_error *err)
{
    /* LAPACKE's own checks (a negative info) report NaN in the input first. */
    return ezc_error_set(err, EZC_ENUMERIC, "xp.%s: %s failed (info %d; NaN or inf in the input?)",
                         op, routine, info);
}

/* ---- matmul ------------------------------------------------------------- */

int ezc_cpu_matmul(const ezc_array *a, const ezc_array *b, ezc_array *c, int trans_a, int trans_b,
                   ezc_error *err)
{
    int rc;
    if ((rc = ezc_xp_check_matmul(&ezc_cpu_dev, a, b, c, trans_a, trans_b, err)) ||
        (rc = fits("matmul", "a", a, err)) || (rc = fits("matmul", "b", b, err)) ||
        (rc = fits("matmul", "c", c, err)))
        return rc;
    int64_t m = a->shape[trans_a ? 1 : 0], k = a->shape[trans_a ? 0 : 1];
    int64_t n = b->shape[trans_b ? 0 : 1];
    if (!m || !n)
        return 0;
    if (!k)
        return ezc_cpu_fill(c, 0.0, err);
    int lda = a->shape[1] ? (int)a->shape[1] : 1, ldb = b->shape[1] ? (int)b->shape[1] : 1;
    enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    if (a->dtype == EZC_FLOAT32)
        cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, ezc_array_data(a), lda,
                    ezc_array_data(b), ldb, 0.0f, ezc_array_data(c), (int)n);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0, ezc_array_data(a), lda,
                    ezc_array_data(b), ldb, 0.0, ezc_array_data(c), (int)n);
    return 0;
}

/* ---- cholesky ----------------------------------------------------------- */

int ezc_cpu_cholesky(const ezc_array *a, ezc_array *l, ezc_error *err)
{
    const char *op = "cholesky";
    int rc;
    if ((rc = ezc_xp_check_cholesky(&ezc_cpu_dev, a, l, err)) || (rc = fits(op, "a", a, err)))
        return rc;
    int n = (int)a->shape[0];
    if (!n)
        return 0;
    memmove(ezc_array_data(l), ezc_array_data(a), ezc_array_nbytes(a));
    int info;
    if (a->dtype == EZC_FLOAT32) {
        float *p = ezc_array_data(l);
        info = LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'L', n, p, n);
        for (int i = 0; i < n && info == 0; i++)
            memset(p + (size_t)i * n + i + 1, 0, (size_t)(n - i - 1) * sizeof *p);
    } else {
        double *p = ezc_array_data(l);
        info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, p, n);
        for (int i = 0; i < n && info == 0; i++)
            memset(p + (size_t)i * n + i + 1, 0, (size_t)(n - i - 1) * sizeof *p);
    }
    if (info > 0)
        return ezc_error_set(err, EZC_ENUMERIC,
                             "xp.%s: matrix is not positive definite (leading minor of order %d)",
                             op, info);
    return info ? lapack_fail(op, "potrf", info, err) : 0;
}

/* ---- solve -------------------------------------------------------------- */

int ezc_cpu_solve(const ezc_array *a, const ezc_array *b, ezc_array *x, ezc_error *err)
{
    const char *op = "solve";
    int rc;
    if ((rc = ezc_xp_check_solve(&ezc_cpu_dev, a, b, x, err)) || (rc = fits(op, "a", a, err)) ||
        (rc = fits(op, "b", b, err)))
        return rc;
    int64_t n = a->shape[0], k = b->tensor.ndim == 2 ? b->shape[1] : -1;
    int nrhs = k < 0 ? 1 : (int)k;
    if (!n || !nrhs)
        return 0;
    size_t isz = ezc_dtype_size(a->dtype);
    void *lu = malloc(ezc_array_nbytes(a));
    lapack_int *piv = malloc((size_t)n * sizeof *piv);
    if (!lu || !piv) {
        free(lu);
        free(piv);
        return ezc_error_set(err, EZC_ENOMEM, "xp.%s: out of memory for a %lld x %lld copy", op,
                             (long long)n, (long long)n);
    }
    memcpy(lu, ezc_array_data(a), (size_t)(n * n) * isz);
    memmove(ezc_array_data(x), ezc_array_data(b), ezc_array_nbytes(b));
    int info = a->dtype == EZC_FLOAT32 ? LAPACKE_sgesv(LAPACK_ROW_MAJOR, (int)n, nrhs, lu, (int)n,
                                                       piv, ezc_array_data(x), nrhs)
                                       : LAPACKE_dgesv(LAPACK_ROW_MAJOR, (int)n, nrhs, lu, (int)n,
                                                       piv, ezc_array_data(x), nrhs);
    free(lu);
    free(piv);
    if (info > 0)
        return ezc_error_set(err, EZC_ENUMERIC,
                             "xp.%s: matrix is singular (U[%d, %d] of its LU factors is zero)", op,
                             info - 1, info - 1);
    return info ? lapack_fail(op, "gesv", info, err) : 0;
}

/* ---- eigh --------------------------------------------------------------- */

int ezc_cpu_eigh(const ezc_array *a, ezc_array *w, ezc_array *v, ezc_error *err)
{
    const char *op = "eigh";
    int rc;
    if ((rc = ezc_xp_check_eigh(&ezc_cpu_dev, a, w, v, err)) || (rc = fits(op, "a", a, err)))
        return rc;
    int64_t n = a->shape[0];
    if (!n)
        return 0;
    memmove(ezc_array_data(v), ezc_array_data(a), ezc_array_nbytes(a));
    int info = a->dtype == EZC_FLOAT32
                   ? LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', 'L', (int)n, ezc_array_data(v), (int)n,
                                    ezc_array_data(w))
                   : LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', (int)n, ezc_array_data(v), (int)n,
                                    ezc_array_data(w));
    if (info > 0)
        return ezc_error_set(err, EZC_ENUMERIC, "xp.%s: eigenvalues did not converge (info %d)", op,
                             info);
    return info ? lapack_fail(op, "syevd", info, err) : 0;
}

/* ---- svd ---------------------------------------------------------------- */

int ezc_cpu_svd(const ezc_array *a, ezc_array *u, ezc_array *s, ezc_array *vt, ezc_error *err)
{
    const char *op = "svd";
    int rc;
    if ((rc = ezc_xp_check_svd(&ezc_cpu_dev, a, u, s, vt, err)) || (rc = fits(op, "a", a, err)))
        return rc;
    int64_t m = a->shape[0], n = a->shape[1], k = m < n ? m : n;
    if (!k)
        return 0;
    void *copy = malloc(ezc_array_nbytes(a));
    if (!copy)
        return ezc_error_set(err, EZC_ENOMEM, "xp.%s: out of memory for a %lld x %lld copy", op,
                             (long long)m, (long long)n);
    memcpy(copy, ezc_array_data(a), ezc_array_nbytes(a));
    int info =
        a->dtype == EZC_FLOAT32
            ? LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', (int)m, (int)n, copy, (int)n, ezc_array_data(s),
                             ezc_array_data(u), (int)k, ezc_array_data(vt), (int)n)
            : LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (int)m, (int)n, copy, (int)n, ezc_array_data(s),
                             ezc_array_data(u), (int)k, ezc_array_data(vt), (int)n);
    free(copy);
    if (info > 0)
        return ezc_error_set(err, EZC_ENUMERIC, "xp.%s: did not converge (info %d)", op, info);
    return info ? lapack_fail(op, "gesdd", info, err) : 0;
}
