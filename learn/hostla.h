/* hostla.h — the learners' small host linear algebra (internal): the
 * coefficient-sized products and solves that follow the data-sized work
 * done through xp, written as the math reads. Row-major doubles; BLAS and
 * LAPACK underneath. Callers own every buffer. */
#ifndef EZC_LEARN_HOSTLA_H
#define EZC_LEARN_HOSTLA_H

#include <stdint.h>

/* c = op(a) op(b) + beta c, op(a) m x k, op(b) k x n (ta, tb: transpose). */
void hl_matmul(int64_t m, int64_t n, int64_t k, const double *a, int ta, const double *b, int tb,
               double *c, double beta);
/* out (cols x rows) = a' for a rows x cols (out must not be a). */
void hl_transpose(int64_t rows, int64_t cols, const double *a, double *out);
/* b (n x nrhs) becomes a^-1 b by LU with partial pivoting; a (n x n) is
 * overwritten by its factors. 0, or EZC_ENUMERIC when a is singular
 * (EZC_ENOMEM when the pivots cannot be allocated). */
int hl_solve(int64_t n, int64_t nrhs, double *a, double *b);
/* Thin SVD a = U diag(s) vt of a (m x n, overwritten): s (min(m, n),
 * descending) and vt (min(m, n) x n); U is not returned. 0, EZC_ENUMERIC
 * when it does not converge, EZC_ENOMEM. */
int hl_svd(int64_t m, int64_t n, double *a, double *s, double *vt);
/* The n eigenvalues w (ascending) of the symmetric a (n x n, lower triangle
 * read, overwritten), without eigenvectors (a fraction of eigh's cost). 0,
 * EZC_ENUMERIC when it does not converge. */
int hl_eigvalsh(int64_t n, double *a, double *w);

#endif
