/* dare.c — DARE by structure-preserving doubling.
 *
 * With G = B R^-1 B' the DARE reads X = A' X (I + G X)^-1 A + Q; doubling
 * iterates  W = I + G_k H_k,  A_{k+1} = A_k W^-1 A_k,
 * G_{k+1} = G_k + A_k W^-1 G_k A_k',  H_{k+1} = H_k + A_k' H_k W^-1 A_k
 * from (A, G, Q); H_k converges quadratically to X when a stabilising
 * solution exists, and A_k blows up (or W turns singular) when not. */
#include "dare.h"
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hostla.h"

static void symmetrize(int n, double *s)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            s[i * n + j] = s[j * n + i] = 0.5 * (s[i * n + j] + s[j * n + i]);
}

int ezc_dare_solve(int n, int m, const double *a, const double *b, const double *q, const double *r,
                   double *x, int *steps, ezc_error *err)
{
    size_t nn = (size_t)n * (size_t)n;
    double *buf = malloc((8 * nn + 2 * (size_t)m * (size_t)(m + n)) * sizeof(double));
    lapack_int *piv = malloc((size_t)(n > m ? n : m) * sizeof *piv);
    if (!buf || !piv) {
        free(buf);
        free(piv);
        return ezc_error_set(err, EZC_ENOMEM, "dare: out of memory");
    }
    double *ak = buf, *gk = ak + nn, *hk = gk + nn, *w = hk + nn, *z1 = w + nn, *z2 = z1 + nn,
           *t = z2 + nn, *hn = t + nn, *rf = hn + nn, *y = rf + (size_t)m * m;
    int rc = 0, k = 0;
    /* G = B R^-1 B' */
    memcpy(rf, r, (size_t)m * m * sizeof(double));
    hl_transpose(n, m, b, y);
    if (hl_solve(m, n, rf, y) != 0) {
        rc = ezc_error_set(err, EZC_ENUMERIC, "dare: R is singular");
        goto done;
    }
    hl_matmul(n, n, m, b, 0, y, 0, gk, 0);
    symmetrize(n, gk);
    memcpy(ak, a, nn * sizeof(double));
    memcpy(hk, q, nn * sizeof(double));
    double qmax = 0;
    for (size_t i = 0; i < nn; i++)
        qmax = fmax(qmax, fabs(q[i]));
    for (k = 1; k <= EZC_DARE_MAX_STEPS; k++) {
        hl_matmul(n, n, n, gk, 0, hk, 0, w, 0); /* W = I + G H */
        for (int i = 0; i < n; i++)
            w[i * n + i] += 1;
        memcpy(z1, ak, nn * sizeof(double));
        memcpy(z2, gk, nn * sizeof(double));
        if (LAPACKE_dgetrf(LAPACK_ROW_MAJOR, n, n, w, n, piv) != 0) {
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "dare: I + G H turned singular at doubling %d (no stabilising "
                               "solution?)",
                               k);
            goto done;
        }
        LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'N', n, n, w, n, piv, z1, n);
        LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'N', n, n, w, n, piv, z2, n);
        /* H' = H + A' H W^-1 A */
        memcpy(hn, hk, nn * sizeof(double));
        hl_matmul(n, n, n, hk, 0, z1, 0, t, 0);
        hl_matmul(n, n, n, ak, 1, t, 0, hn, 1);
        symmetrize(n, hn);
        /* G' = G + A W^-1 G A' */
        hl_matmul(n, n, n, ak, 0, z2, 0, t, 0);
        hl_matmul(n, n, n, t, 0, ak, 1, gk, 1);
        symmetrize(n, gk);
        /* A' = A W^-1 A */
        hl_matmul(n, n, n, ak, 0, z1, 0, t, 0);
        memcpy(ak, t, nn * sizeof(double));
        double d = 0, s = 0; /* max norms: squares would overflow first */
        int finite = 1;
        for (size_t i = 0; i < nn; i++) {
            d = fmax(d, fabs(hn[i] - hk[i]));
            s = fmax(s, fabs(hn[i]));
            finite &= isfinite(hn[i]) && isfinite(ak[i]);
        }
        memcpy(hk, hn, nn * sizeof(double));
        if (!finite || s > 1e100 * (1 + qmax)) {
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "dare: the doubling diverged at step %d (no stabilising solution: "
                               "is (A, B) stabilisable and (A, Q) detectable?)",
                               k);
            goto done;
        }
        if (d <= 1e-13 * s)
            break;
    }
    if (k > EZC_DARE_MAX_STEPS) {
        rc = ezc_error_set(err, EZC_ENUMERIC,
                           "dare: no convergence after %d doublings (no stabilising solution: is "
                           "(A, B) stabilisable and (A, Q) detectable?)",
                           EZC_DARE_MAX_STEPS);
        goto done;
    }
    memcpy(x, hk, nn * sizeof(double));
done:
    if (steps)
        *steps = k;
    free(buf);
    free(piv);
    return rc;
}
