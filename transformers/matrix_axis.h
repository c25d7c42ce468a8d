/* matrix_axis.h — y = x @ W (+ bias) along one dim, through xp.matmul (not
 * installed). What affine and common_rereference share: the dim is moved
 * last when it is not (a cached permute), the data viewed as rows, W kept on
 * the data's device in the data's dtype, and every buffer cached, so a
 * steady stream allocates no data. */
#ifndef EZC_MATRIX_AXIS_H
#define EZC_MATRIX_AXIS_H

#include "ezc/plugin.h"

typedef struct ezc_matrix_axis {
    int64_t n_in, n_out;
    double *w;    /* host, n_in x n_out row-major (owned) */
    double *bias; /* host, n_out, or NULL (owned) */
    ezc_array *w_dev;
    ezc_buffer *perm_in, *mat_out, *perm_out;
} ezc_matrix_axis;

/* Takes ownership of w (n_in x n_out) and bias (may be NULL); drops any
 * earlier matrix. */
void ezc_matrix_axis_set(ezc_matrix_axis *m, int64_t n_in, int64_t n_out, double *w, double *bias);
/* x (float32/float64, shape[axis] == n_in) to *y (consumes nothing; x is
 * read only). */
int ezc_matrix_axis_apply(ezc_matrix_axis *m, const char *tf, const ezc_array *x, int axis,
                          ezc_array **y, const ezc_xp *xp, ezc_error *err);
/* Frees everything (the struct itself is the caller's). */
void ezc_matrix_axis_clear(ezc_matrix_axis *m);

#endif
