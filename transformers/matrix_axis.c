/* matrix_axis.c — x @ W along a dim, for affine and common_rereference. */
#include "matrix_axis.h"
#include <stdlib.h>
#include <string.h>

void ezc_matrix_axis_set(ezc_matrix_axis *m, int64_t n_in, int64_t n_out, double *w, double *bias)
{
    free(m->w);
    free(m->bias);
    ezc_array_destroy(&m->w_dev);
    m->n_in = n_in;
    m->n_out = n_out;
    m->w = w;
    m->bias = bias;
}

void ezc_matrix_axis_clear(ezc_matrix_axis *m)
{
    ezc_matrix_axis_set(m, 0, 0, NULL, NULL);
    ezc_buffer_unref(&m->perm_in);
    ezc_buffer_unref(&m->mat_out);
    ezc_buffer_unref(&m->perm_out);
}

/* W on x's device in x's dtype, made once per (device, dtype). */
static int weights_for(ezc_matrix_axis *m, const ezc_array *x, ezc_error *err)
{
    if (m->w_dev && m->w_dev->dtype == x->dtype &&
        ezc_device_equal(m->w_dev->tensor.device, x->tensor.device))
        return 0;
    ezc_array_destroy(&m->w_dev);
    int64_t shape[2] = {m->n_in, m->n_out};
    ezc_array *h = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err);
    if (!h)
        return err->code;
    if (m->n_in && m->n_out) /* none: w may be NULL */
        memcpy(ezc_array_data(h), m->w, (size_t)(m->n_in * m->n_out) * sizeof(double));
    ezc_array *t = h;
    int rc = 0;
    if (x->dtype != EZC_FLOAT64) {
        t = ezc_array_new(x->dtype, 2, shape, NULL, ezc_device_cpu(), err);
        rc = t ? ezc_xp_cpu()->astype(h, t, err) : err->code;
        ezc_array_destroy(&h);
    }
    if (!rc) {
        m->w_dev = ezc_array_to_device(t, x->tensor.device, err);
        rc = m->w_dev ? 0 : err->code;
    }
    ezc_array_destroy(&t);
    return rc;
}

int ezc_matrix_axis_apply(ezc_matrix_axis *m, const char *tf, const ezc_array *x, int axis,
                          ezc_array **y, const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(x), last = nd - 1, rc = 0;
    *y = NULL;
    if (x->dtype != EZC_FLOAT32 && x->dtype != EZC_FLOAT64)
        return ezc_error_set(err, EZC_EDTYPE, "%s: %s data: expected float32 or float64", tf,
                             ezc_dtype_name(x->dtype));
    if (x->shape[axis] != m->n_in)
        return ezc_error_set(err, EZC_ESHAPE,
                             "%s: dim '%s' has length %lld: the weights "
                             "expect %lld",
                             tf, x->dims[axis], (long long)x->shape[axis], (long long)m->n_in);
    if ((rc = weights_for(m, x, err)))
        return rc;
    /* the transformed dim last: rows of n_in values */
    int perm[EZC_MAX_DIMS], inv[EZC_MAX_DIMS];
    for (int i = 0, j = 0; i < nd; i++)
        if (i != axis)
            perm[j++] = i;
    perm[last] = axis;
    for (int i = 0; i < nd; i++)
        inv[perm[i]] = i;
    ezc_error e2;
    ezc_array *xt = axis == last ? ezc_array_clone(x, err)
                                 : ezc_array_permute_cached(x, perm, &m->perm_in, err);
    if (!xt)
        return err->code;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, xt->shape, sizeof shape);
    shape[last] = m->n_out;
    ezc_array *yt = ezc_array_new_like_cached(xt, x->dtype, nd, shape, &m->mat_out, err);
    int64_t rows = m->n_in ? (int64_t)(ezc_array_size(xt) / (size_t)m->n_in) : 0;
    if (!yt) {
        rc = err->code;
    } else if (rows > 0 && m->n_out > 0) {
        int64_t s_in[2] = {rows, m->n_in}, s_out[2] = {rows, m->n_out};
        ezc_array *xv =
            ezc_array_from_buffer(xt->buf, xt->tensor.byte_offset, x->dtype, 2, s_in, NULL, err);
        ezc_array *yv = xv ? ezc_array_from_buffer(yt->buf, yt->tensor.byte_offset, x->dtype, 2,
                                                   s_out, NULL, err)
                           : NULL;
        rc = yv ? ezc_xp_call(xp, matmul, err, xv, m->w_dev, yv, 0, 0) : err->code;
        if (!rc && m->bias)
            rc = ezc_xp_call(xp, affine_axis, err, yv, yv, 1, NULL, m->bias);
        ezc_array_destroy(&xv);
        ezc_array_destroy(&yv);
    }
    ezc_array_destroy(&xt);
    if (!rc && axis != last) {
        ezc_array *back = ezc_array_permute_cached(yt, inv, &m->perm_out, &e2);
        if (!back)
            rc = ezc_error_set(err, e2.code, "%s", e2.msg);
        ezc_array_destroy(&yt);
        yt = back;
    }
    if (rc)
        ezc_array_destroy(&yt);
    *y = yt;
    return rc;
}
