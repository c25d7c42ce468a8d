/* learn_util.c — host/device moves and views shared by the learners. */
#include "learn_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

ezc_array *lu_matrix(const double *host, int64_t rows, int64_t cols, ezc_dtype t, DLDevice dev,
                     ezc_error *err)
{
    int64_t shape[2] = {rows, cols};
    ezc_array *h = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err);
    if (!h)
        return NULL;
    if (rows > 0 && cols > 0)
        memcpy(ezc_array_data(h), host, (size_t)(rows * cols) * sizeof(double));
    if (t != EZC_FLOAT64) {
        ezc_array *c = ezc_array_new(t, 2, shape, NULL, ezc_device_cpu(), err);
        if (!c || ezc_xp_cpu()->astype(h, c, err))
            ezc_array_destroy(&c);
        ezc_array_destroy(&h);
        if (!(h = c))
            return NULL;
    }
    if (dev.device_type == kDLCPU)
        return h;
    ezc_array *d = ezc_array_to_device(h, dev, err);
    ezc_array_destroy(&h);
    return d;
}

int lu_to_host(const ezc_array *a, double *out, ezc_error *err)
{
    ezc_array *h =
        ezc_array_new(EZC_FLOAT64, a->tensor.ndim, a->shape, NULL, ezc_device_cpu(), err);
    if (!h)
        return err->code;
    int rc = 0;
    const ezc_xp *xp = ezc_xp_of(a, err);
    if (!xp) {
        rc = err->code;
    } else if (a->dtype == EZC_FLOAT64) {
        rc = ezc_xp_call(xp, copy, err, a, h);
    } else { /* convert where the data is, then move */
        ezc_array *c =
            ezc_array_new(EZC_FLOAT64, a->tensor.ndim, a->shape, NULL, a->tensor.device, err);
        rc = c ? ezc_xp_call(xp, astype, err, a, c) : err->code;
        if (!rc)
            rc = ezc_xp_call(xp, copy, err, c, h);
        ezc_array_destroy(&c);
    }
    if (!rc)
        memcpy(out, ezc_array_data(h), ezc_array_nbytes(h));
    ezc_array_destroy(&h);
    return rc;
}

void lu_view(ezc_array *v, const ezc_array *m, int64_t row0, int64_t rows, int64_t cols)
{
    memcpy(v, m, sizeof *v);
    v->tensor.shape = v->shape;
    v->tensor.ndim = 2;
    v->shape[0] = rows;
    v->shape[1] = cols;
    v->tensor.byte_offset += (uint64_t)(row0 * cols) * ezc_dtype_size(m->dtype);
}

int lu_samples_first(const ezc_array *in, int axis, ezc_dtype t, ezc_buffer **cache, ezc_array **x,
                     ezc_error *err)
{
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    int64_t shape[2] = {(int64_t)n, (int64_t)(outer * inner)};
    *x = NULL;
    if (axis == 0 && in->dtype == t) {
        *x = ezc_array_from_buffer(in->buf, in->tensor.byte_offset, t, 2, shape, NULL, err);
        return *x ? 0 : err->code;
    }
    const ezc_xp *xp = ezc_xp_of(in, err);
    if (!xp)
        return err->code;
    const ezc_array *src = in;
    ezc_array *conv = NULL, *perm = NULL;
    int rc = 0;
    if (in->dtype != t) {
        conv = ezc_array_new_like(in, t, 0, NULL, err);
        rc = conv ? ezc_xp_call(xp, astype, err, in, conv) : err->code;
        src = conv;
    }
    if (!rc && axis != 0) {
        int p[EZC_MAX_DIMS], k = 0;
        int64_t ps[EZC_MAX_DIMS];
        p[k++] = axis;
        for (int i = 0; i < in->tensor.ndim; i++)
            if (i != axis)
                p[k++] = i;
        for (int i = 0; i < k; i++)
            ps[i] = in->shape[p[i]];
        perm = ezc_array_new_like_cached(in, t, in->tensor.ndim, ps, cache, err);
        rc = perm ? ezc_xp_call(xp, permute, err, src, p, perm) : err->code;
        src = perm;
    }
    if (!rc) {
        *x = ezc_array_from_buffer(src->buf, src->tensor.byte_offset, t, 2, shape, NULL, err);
        rc = *x ? 0 : err->code;
    }
    ezc_array_destroy(&conv);
    ezc_array_destroy(&perm);
    return rc;
}

int lu_all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}
