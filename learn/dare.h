/* dare.h — the discrete algebraic Riccati equation (internal).
 *
 *   X = A'XA - A'XB (R + B'XB)^-1 B'XA + Q
 *
 * with scipy.linalg.solve_discrete_are's argument convention, solved by the
 * structure-preserving doubling algorithm (Chu, Fan, Lin 2005): quadratic
 * convergence, only n x n solves and products. Host doubles, row-major. */
#ifndef EZC_LEARN_DARE_H
#define EZC_LEARN_DARE_H

#include "ezc/error.h"

#define EZC_DARE_MAX_STEPS 64

/* a, q: n x n; b: n x m; r: m x m (q, r symmetric, r positive definite);
 * x: n x n, the stabilising solution. EZC_ENUMERIC with the reason when r
 * is singular or the doubling does not converge (no stabilising solution:
 * (a, b) not stabilisable or (a, q) not detectable). *steps (may be NULL)
 * gets the doublings taken. */
int ezc_dare_solve(int n, int m, const double *a, const double *b, const double *q, const double *r,
                   double *x, int *steps, ezc_error *err);

#endif
