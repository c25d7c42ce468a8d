/* learn_util.c — host/device moves and views shared by the learners. */
#include "learn_util.h"
#include <math.h>
#include <stdio.h>
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

void lu_linear_free(lu_linear *p)
{
    ezc_array_destroy(&p->w);
    free(p->bias);
    p->bias = NULL;
    ezc_buffer_unref(&p->out_cache);
    ezc_buffer_unref(&p->perm_cache);
}

int lu_linear_apply(lu_linear *p, const char *who, const double *coef, const double *intercept,
                    int64_t rows, int64_t f, const ezc_array *in, int axis, ezc_array **y,
                    const ezc_xp *xp, ezc_error *err)
{
    *y = NULL;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "%s: %s data are not features", who,
                             ezc_dtype_name(in->dtype));
    ezc_dtype t = in->dtype == EZC_FLOAT32 ? EZC_FLOAT32 : EZC_FLOAT64;
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    if ((int64_t)(outer * inner) != f)
        return ezc_error_set(err, EZC_ESHAPE,
                             "%s: %zu features per sample (all dims but '%s'), the model has %lld",
                             who, outer * inner, in->dims[axis], (long long)f);
    if (ezc_template_changed(&p->tpl, in, axis) || p->stale || !p->w) {
        ezc_array_destroy(&p->w);
        free(p->bias);
        p->bias = malloc((size_t)rows * sizeof(double));
        if (!p->bias)
            return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", who);
        memcpy(p->bias, intercept, (size_t)rows * sizeof(double));
        if (!(p->w = lu_matrix(coef, rows, f, t, in->tensor.device, err)))
            return err->code;
        p->stale = 0;
    }
    int64_t shape[2] = {(int64_t)n, rows};
    ezc_array *out = ezc_array_new_like_cached(in, t, 2, shape, &p->out_cache, err), *x = NULL;
    if (!out)
        return err->code;
    ezc_array_clear_axis(out, 0);
    ezc_array_clear_axis(out, 1);
    snprintf(out->dims[0], EZC_NAME_MAX, "%s", in->dims[axis]);
    out->dims[1][0] = 0;
    out->axes[0] = in->axes[axis];
    ezc_coords_ref(out->axes[0].coords);
    int rc = 0;
    if (n && rows && !(rc = lu_samples_first(in, axis, t, &p->perm_cache, &x, err)) &&
        !(rc = ezc_xp_call(xp, matmul, err, x, p->w, out, 0, 1)))
        rc = ezc_xp_call(xp, affine_axis, err, out, out, 1, NULL, p->bias);
    ezc_array_destroy(&x);
    if (rc)
        ezc_array_destroy(&out);
    *y = out;
    return rc;
}

double lu_sgd_eta(const lu_sgd *s, double t)
{
    if (s->schedule == LU_CONSTANT)
        return s->eta0;
    if (s->schedule == LU_INVSCALING)
        return s->eta0 / pow(t, s->power_t);
    /* 'optimal': eta = 1 / (alpha (t0 + t - 1)), t0 = 1 / (eta_first alpha),
     * eta_first = typw / max(1, dloss(-typw, 1)) = typw for every loss here */
    double typw = sqrt(1.0 / sqrt(s->alpha)), t0 = 1.0 / (typw * s->alpha);
    return 1.0 / (s->alpha * (t0 + t - 1.0));
}

static double dloss(int loss, double p, double y)
{
    double z = p * y;
    switch (loss) {
    case LU_HINGE: return z <= 1.0 ? -y : 0.0;
    case LU_LOG_LOSS:
        if (z > 18.0)
            return exp(-z) * -y;
        if (z < -18.0)
            return -y;
        return -y / (exp(z) + 1.0);
    default: return p - y;
    }
}

void lu_sgd_step(const lu_sgd *s, double t, double *w, double *b, const double *x, int64_t f,
                 double y)
{
    double p = 0, wscale = 1.0;
    for (int64_t j = 0; j < f; j++) /* sklearn's order: a plain running sum */
        p += w[j] * x[j];
    p += *b;
    double eta = lu_sgd_eta(s, t), d = dloss(s->loss, p, y);
    d = d < -1e12 ? -1e12 : d > 1e12 ? 1e12 : d;
    double update = -eta * d;
    wscale *= fmax(0.0, 1.0 - eta * s->alpha);
    if (wscale < 1e-9) {
        for (int64_t j = 0; j < f; j++)
            w[j] *= wscale;
        wscale = 1.0;
    }
    if (update != 0.0) {
        double c = update / wscale;
        for (int64_t j = 0; j < f; j++)
            w[j] += x[j] * c;
        *b += update;
    }
    for (int64_t j = 0; j < f; j++) /* the end of partial_fit: reset_wscale */
        w[j] *= wscale;
}
