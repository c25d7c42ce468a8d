/* hostla.c — host matmul, transpose and LU solve for the learners'
 * coefficient algebra (learn/hostla.h): thin wrappers that keep BLAS's
 * leading dimensions and LAPACK's pivots out of the formulas. */
#include "hostla.h"
#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include "ezc/error.h"

void hl_matmul(int64_t m, int64_t n, int64_t k, const double *a, int ta, const double *b, int tb,
               double *c, double beta)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) { /* BLAS leaves c alone then; the empty product is zero */
        for (int64_t i = 0; i < m * n; i++)
            c[i] = beta == 0 ? 0 : beta * c[i]; /* beta 0: c is not read, as BLAS */
        return;
    }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, 1.0, a, (int)(ta ? m : k), b, (int)(tb ? k : n), beta, c,
                (int)n);
}

void hl_transpose(int64_t rows, int64_t cols, const double *a, double *out)
{
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            out[j * rows + i] = a[i * cols + j];
}

int hl_solve(int64_t n, int64_t nrhs, double *a, double *b)
{
    lapack_int *piv = malloc((size_t)(n > 0 ? n : 1) * sizeof *piv);
    if (!piv)
        return EZC_ENOMEM;
    lapack_int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)n, (lapack_int)nrhs, a,
                                    (lapack_int)n, piv, b, (lapack_int)(nrhs > 0 ? nrhs : 1));
    free(piv);
    return info == 0 ? 0 : EZC_ENUMERIC;
}

int hl_svd(int64_t m, int64_t n, double *a, double *s, double *vt)
{
    int64_t r = m < n ? m : n;
    double *u = malloc((size_t)(m * r > 0 ? m * r : 1) * sizeof *u);
    if (!u)
        return EZC_ENOMEM;
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)m, (lapack_int)n, a,
                                     (lapack_int)n, s, u, (lapack_int)r, vt, (lapack_int)n);
    free(u);
    return info == 0 ? 0 : EZC_ENUMERIC;
}

int hl_eigvalsh(int64_t n, double *a, double *w)
{
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'L', (lapack_int)n, a, (lapack_int)n, w);
    return info == 0 ? 0 : EZC_ENUMERIC;
}
