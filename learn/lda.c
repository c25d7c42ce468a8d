/* lda.c — linear discriminant analysis (ezmsg-learn's LDA; scikit-learn
 * 1.2's LinearDiscriminantAnalysis fit and predict_proba).
 *
 * Port `signal`: each sample (the message flattened in C order around
 * `axis`) -> class probabilities, dims [axis, classes]. Port `train`: the
 * same layout plus a coordinate axis of labels along `axis`; a successful
 * fit replaces the model, a failed one leaves the old model in force.
 * Data-sized work (class sums, Gram matrices, the within-class SVD) runs
 * through xp on the data's device; the F x F and K x F algebra after it is
 * host work on coefficients. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "learn_util.h"
#include "model_file.h"

typedef struct lda_model {
    int64_t k, kc, f; /* classes, coef rows (1 when k == 2), features */
    double *coef;     /* kc x f */
    double *intercept;
    ezc_coords *classes;
} lda_model;

typedef struct lda_state {
    const char *axis, *save;
    int svd;
    int shrink; /* 0 none, 1 auto (Ledoit-Wolf), 2 fixed */
    double alpha;
    lda_model m;
    int dirty; /* the device copies below predate the model */
    ezc_template tpl;
    ezc_array *w, *ones, *jkk; /* kd x f coefficients, 1 x k and k x k ones */
    double off[2], scale[2];   /* binary: 1 - p, p */
    double *bias;              /* kd intercepts */
    ezc_buffer *out_cache, *perm_cache, *max_cache, *tmp_cache;
} lda_state;

static const ezc_setting_spec lda_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the sample axis; the other dims are the features", 0, NULL},
    {"solver", EZC_SETTING_STRING, "lsqr", "training solver", 0, "lsqr|svd"},
    {"shrinkage", EZC_SETTING_STRING, NULL,
     "lsqr only: \"auto\" (Ledoit-Wolf) or a number in [0, 1]; absent: none", 0, NULL},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each successful fit", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_port_spec lda_ports[] = {
    {"signal", "samples to classify"},
    {"train", "features with a coordinate axis of class labels along the sample axis"},
    {NULL, NULL},
};

static void model_free(lda_model *m)
{
    free(m->coef);
    free(m->intercept);
    ezc_coords_unref(&m->classes);
    memset(m, 0, sizeof *m);
}

static void device_free(lda_state *st)
{
    ezc_array_destroy(&st->w);
    ezc_array_destroy(&st->ones);
    ezc_array_destroy(&st->jkk);
    free(st->bias);
    st->bias = NULL;
}

static void lda_fini(void *state)
{
    lda_state *st = state;
    if (!st)
        return;
    model_free(&st->m);
    device_free(st);
    ezc_buffer_unref(&st->out_cache);
    ezc_buffer_unref(&st->perm_cache);
    ezc_buffer_unref(&st->max_cache);
    ezc_buffer_unref(&st->tmp_cache);
    free(st);
}

static void install(lda_state *st, lda_model *m)
{
    model_free(&st->m);
    st->m = *m;
    memset(m, 0, sizeof *m);
    st->dirty = 1;
}

static int load_model(lda_state *st, const char *path, ezc_error *err)
{
    ezc_model *f = NULL;
    int rc = ezc_model_load(path, &f, err);
    if (rc)
        return ezc_error_prefix(err, "lda: setting 'model'");
    lda_model m = {0};
    const ezc_model_array *coef = NULL, *icpt = NULL;
    int64_t kc = f->nlabels == 2 ? 1 : (int64_t)f->nlabels, cshape[2] = {kc, -1};
    if (strcmp(f->kind, "lda") != 0)
        rc = ezc_error_set(err, EZC_EINVAL, "lda: setting 'model' = %s: a '%s' model, not 'lda'",
                           path, f->kind);
    else if (f->nlabels < 2)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "lda: setting 'model' = %s: %zu class labels (need at least 2)", path,
                           f->nlabels);
    else if (!(coef = ezc_model_get(f, path, "coef", 2, cshape, err)) ||
             !(icpt = ezc_model_get(f, path, "intercept", 1, &kc, err)))
        rc = ezc_error_prefix(err, "lda: setting 'model'");
    else if (!lu_all_finite(coef->data, (size_t)(coef->shape[0] * coef->shape[1])) ||
             !lu_all_finite(icpt->data, (size_t)kc))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "lda: setting 'model' = %s: NaN or inf in coef or intercept", path);
    if (!rc) {
        m.k = (int64_t)f->nlabels;
        m.kc = kc;
        m.f = coef->shape[1];
        m.coef = malloc((size_t)(kc * m.f + 1) * sizeof(double));
        m.intercept = malloc((size_t)kc * sizeof(double));
        m.classes = ezc_coords_new(f->nlabels, f->label_values, (const char *const *)f->labels, err);
        if (!m.coef || !m.intercept || !m.classes)
            rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    }
    if (!rc) {
        memcpy(m.coef, coef->data, (size_t)(kc * m.f) * sizeof(double));
        memcpy(m.intercept, icpt->data, (size_t)kc * sizeof(double));
        install(st, &m);
    }
    model_free(&m);
    ezc_model_destroy(&f);
    return rc;
}

static int lda_init(void **state, const ezc_settings *s, ezc_error *err)
{
    lda_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    const char *solver, *shrink = NULL, *model = NULL;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "solver", &solver);
    ezc_settings_get_string(s, "shrinkage", &shrink);
    ezc_settings_get_string(s, "model", &model);
    ezc_settings_get_string(s, "save", &st->save);
    st->svd = strcmp(solver, "svd") == 0;
    int rc = 0;
    if (shrink) {
        char *end;
        st->shrink = strcmp(shrink, "auto") == 0 ? 1 : 2;
        if (st->shrink == 2) {
            st->alpha = strtod(shrink, &end);
            if (end == shrink || *end || !(st->alpha >= 0 && st->alpha <= 1))
                rc = ezc_error_set(err, EZC_EINVAL,
                                   "lda: setting 'shrinkage' = '%s': expected \"auto\" or a number in [0, 1]",
                                   shrink);
        }
        if (!rc && st->svd)
            rc = ezc_error_set(err, EZC_EINVAL,
                               "lda: setting 'shrinkage' = '%s': the svd solver does not shrink (use lsqr)",
                               shrink);
    }
    if (!rc && model)
        rc = load_model(st, model, err);
    if (rc) {
        lda_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* ---- inference -------------------------------------------------------- */

static int build_device(lda_state *st, const ezc_array *in, ezc_dtype t, ezc_error *err)
{
    const lda_model *m = &st->m;
    int64_t kd = m->k, f = m->f;
    double *w = malloc((size_t)(kd * f + kd * kd) * sizeof(double));
    if (!w)
        return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    device_free(st);
    st->bias = malloc((size_t)kd * sizeof(double));
    for (int64_t r = 0; r < kd; r++) /* binary: both columns hold the one decision value */
        memcpy(w + r * f, m->coef + (m->kc == 1 ? 0 : r) * f, (size_t)f * sizeof(double));
    for (int64_t i = 0; i < kd * kd; i++)
        w[kd * f + i] = 1;
    DLDevice dev = in->tensor.device;
    int rc = 0;
    if (!st->bias || !(st->w = lu_matrix(w, kd, f, t, dev, err)) ||
        !(st->ones = lu_matrix(w + kd * f, 1, kd, t, dev, err)) ||
        !(st->jkk = lu_matrix(w + kd * f, kd, kd, t, dev, err)))
        rc = err->code ? err->code : ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    if (!rc)
        for (int64_t r = 0; r < kd; r++)
            st->bias[r] = m->intercept[m->kc == 1 ? 0 : r];
    st->scale[0] = -1, st->scale[1] = 1, st->off[0] = 1, st->off[1] = 0;
    free(w);
    if (rc)
        device_free(st);
    return rc;
}

/* Rows of d (n x k) replaced by their softmax (or, binary, 1 - p, p with
 * p = 1 / (1 + exp(-d)), sklearn's expit form). */
static int probabilities(lda_state *st, ezc_array *d, const ezc_xp *xp, ezc_error *err)
{
    int64_t n = d->shape[0], k = d->shape[1];
    int rc;
    if (st->m.kc == 1) {
        if ((rc = ezc_xp_call(xp, affine, err, d, d, -1.0, 0.0)) ||
            (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_EXP, d, d)) ||
            (rc = ezc_xp_call(xp, affine, err, d, d, 1.0, 1.0)) ||
            (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_RECIPROCAL, d, d)))
            return rc;
        return ezc_xp_call(xp, affine_axis, err, d, d, 1, st->scale, st->off);
    }
    int64_t shape[2] = {n, k};
    ezc_array *mx = ezc_array_new_like_cached(d, d->dtype, 1, shape, &st->max_cache, err);
    ezc_array *tmp = mx ? ezc_array_new_like_cached(d, d->dtype, 2, shape, &st->tmp_cache, err) : NULL;
    ezc_array col;
    if (!tmp)
        rc = err->code;
    else if (!(rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_MAX, d, 1, mx))) {
        lu_view(&col, mx, 0, n, 1); /* row maxima, broadcast by an outer product with ones */
        if (!(rc = ezc_xp_call(xp, matmul, err, &col, st->ones, tmp, 0, 0)) &&
            !(rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, d, tmp, d)) &&
            !(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_EXP, d, d)) &&
            !(rc = ezc_xp_call(xp, matmul, err, d, st->jkk, tmp, 0, 0))) /* row sums */
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, d, tmp, d);
    }
    ezc_array_destroy(&mx);
    ezc_array_destroy(&tmp);
    return rc;
}

static int infer(lda_state *st, ezc_array *in, int axis, ezc_array **out, const ezc_xp *xp,
                 ezc_error *err)
{
    const lda_model *m = &st->m;
    if (!m->coef)
        return ezc_error_set(err, EZC_EINVAL,
                             "lda: no model yet (send labelled data to port 'train' or set 'model')");
    ezc_dtype t = in->dtype == EZC_FLOAT32 ? EZC_FLOAT32 : EZC_FLOAT64;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "lda: %s data are not features",
                             ezc_dtype_name(in->dtype));
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    if ((int64_t)(outer * inner) != m->f)
        return ezc_error_set(err, EZC_ESHAPE,
                             "lda: %zu features per sample (all dims but '%s'), the model has %lld",
                             outer * inner, st->axis, (long long)m->f);
    int rc;
    if ((ezc_template_changed(&st->tpl, in, axis) || st->dirty || !st->w) &&
        (rc = build_device(st, in, t, err)))
        return rc;
    st->dirty = 0;
    int64_t shape[2] = {(int64_t)n, m->k};
    ezc_array *y = ezc_array_new_like_cached(in, t, 2, shape, &st->out_cache, err), *x = NULL;
    if (!y)
        return err->code;
    for (int i = 0; i < 2; i++)
        ezc_array_clear_axis(y, i);
    snprintf(y->dims[0], EZC_NAME_MAX, "%s", in->dims[axis]);
    snprintf(y->dims[1], EZC_NAME_MAX, "classes");
    y->axes[0] = in->axes[axis];
    ezc_coords_ref(y->axes[0].coords);
    y->axes[1].kind = EZC_AXIS_COORD;
    y->axes[1].coords = ezc_coords_ref(m->classes);
    rc = 0;
    if (n && !(rc = lu_samples_first(in, axis, t, &st->perm_cache, &x, err)) &&
        !(rc = ezc_xp_call(xp, matmul, err, x, st->w, y, 0, 1)) &&
        !(rc = ezc_xp_call(xp, affine_axis, err, y, y, 1, NULL, st->bias)))
        rc = probabilities(st, y, xp, err);
    ezc_array_destroy(&x);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

/* ---- training --------------------------------------------------------- */

/* Writes the model in force to the 'save' path. */
static int save_model(const lda_state *st, ezc_error *err)
{
    const lda_model *m = &st->m;
    int64_t cs[2] = {m->kc, m->f};
    ezc_model *f = ezc_model_new("lda", err);
    int rc = f ? 0 : err->code;
    if (!rc && !(rc = ezc_model_add(f, "coef", 2, cs, m->coef, err)) &&
        !(rc = ezc_model_add(f, "intercept", 1, cs, m->intercept, err)))
        rc = ezc_model_set_labels(f, m->classes->n, (const char *const *)m->classes->labels,
                                  m->classes->values, err);
    if (!rc && (rc = ezc_model_save(st->save, f, err)))
        ezc_error_prefix(err, "lda: setting 'save' (the new model is in use)");
    ezc_model_destroy(&f);
    return rc;
}

typedef struct fit {
    int64_t n, f, k;
    int64_t *start; /* k + 1 row offsets of each class in xs */
    double *means;  /* k x f */
    double *priors;
    ezc_array *xs;  /* n x f float64, rows grouped by class (ours to modify) */
} fit;

static int cmp_num(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted distinct labels, each sample's class, the class counts. */
static int classes_of(const ezc_coords *c, ezc_coords **classes, int64_t *cls, int64_t *k,
                      ezc_error *err)
{
    size_t n = c->n, nu = 0;
    if (c->labels) {
        char **u = malloc(n * sizeof *u);
        if (!u)
            return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
        memcpy(u, c->labels, n * sizeof *u);
        qsort(u, n, sizeof *u, cmp_str);
        for (size_t i = 0; i < n; i++)
            if (!nu || strcmp(u[nu - 1], u[i]) != 0)
                u[nu++] = u[i];
        for (size_t i = 0; i < n; i++) {
            char **hit = bsearch(&c->labels[i], u, nu, sizeof *u, cmp_str);
            cls[i] = hit - u;
        }
        *classes = ezc_coords_new(nu, NULL, (const char *const *)u, err);
        free(u);
    } else {
        double *u = malloc(n * sizeof *u);
        if (!u)
            return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
        memcpy(u, c->values, n * sizeof *u);
        for (size_t i = 0; i < n; i++)
            if (isnan(u[i])) {
                free(u);
                return ezc_error_set(err, EZC_EINVAL, "lda: training label %zu is NaN", i);
            }
        qsort(u, n, sizeof *u, cmp_num);
        for (size_t i = 0; i < n; i++)
            if (!nu || u[nu - 1] != u[i])
                u[nu++] = u[i];
        for (size_t i = 0; i < n; i++) {
            double *hit = bsearch(&c->values[i], u, nu, sizeof *u, cmp_num);
            cls[i] = hit - u;
        }
        *classes = ezc_coords_new(nu, u, NULL, err);
        free(u);
    }
    *k = (int64_t)nu;
    return *classes ? 0 : err->code;
}

/* Mean of rows [s, e) of xs (device) into host out[f]. */
static int row_mean(const ezc_array *xs, int64_t s, int64_t e, double *out, const ezc_xp *xp,
                    ezc_error *err)
{
    ezc_array v;
    lu_view(&v, xs, s, e - s, xs->shape[1]);
    ezc_array *y = ezc_array_new(EZC_FLOAT64, 1, &xs->shape[1], NULL, xs->tensor.device, err);
    int rc = y ? ezc_xp_call(xp, reduce, err, EZC_REDUCE_MEAN, &v, 0, y) : err->code;
    if (!rc)
        rc = lu_to_host(y, out, err);
    ezc_array_destroy(&y);
    return rc;
}

static int row_std(const ezc_array *xs, int64_t s, int64_t e, double *out, const ezc_xp *xp,
                   ezc_error *err)
{
    ezc_array v;
    lu_view(&v, xs, s, e - s, xs->shape[1]);
    ezc_array *y = ezc_array_new(EZC_FLOAT64, 1, &xs->shape[1], NULL, xs->tensor.device, err);
    int rc = y ? ezc_xp_call(xp, reduce, err, EZC_REDUCE_STD, &v, 0, y) : err->code;
    if (!rc)
        rc = lu_to_host(y, out, err);
    ezc_array_destroy(&y);
    return rc;
}

/* a.T @ a of rows [s, e) of a (device) into host g (f x f). */
static int gram(const ezc_array *a, int64_t s, int64_t e, double *g, const ezc_xp *xp,
                ezc_error *err)
{
    int64_t f = a->shape[1], shape[2] = {f, f};
    ezc_array v;
    lu_view(&v, a, s, e - s, f);
    ezc_array *y = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, a->tensor.device, err);
    int rc = y ? ezc_xp_call(xp, matmul, err, &v, &v, y, 1, 0) : err->code;
    if (!rc)
        rc = lu_to_host(y, g, err);
    ezc_array_destroy(&y);
    return rc;
}

/* The covariance of class rows [s, e) (already centered in xs) as
 * sklearn's _cov: empirical, fixed shrinkage, or Ledoit-Wolf on
 * standardized data rescaled back. Adds prior * it to cov. */
static int class_cov(const lda_state *st, fit *ft, int64_t s, int64_t e, double prior,
                     double *cov, double *g, const ezc_xp *xp, ezc_error *err)
{
    int64_t f = ft->f, n = e - s;
    double *sc = malloc((size_t)(2 * f) * sizeof(double)), *mz = sc + f, alpha = st->alpha;
    ezc_array v;
    ezc_array *sq = NULL;
    int rc = sc ? 0 : ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    lu_view(&v, ft->xs, s, n, f);
    for (int64_t i = 0; !rc && i < f; i++)
        sc[i] = 1;
    if (!rc && st->shrink == 1) {
        /* standardize (StandardScaler: zero deviation scales by 1), then
         * ledoit_wolf centers again */
        if (!(rc = row_std(ft->xs, s, e, sc, xp, err))) {
            for (int64_t i = 0; i < f; i++) {
                if (sc[i] == 0)
                    sc[i] = 1;
                mz[i] = 1 / sc[i];
            }
            if (!(rc = ezc_xp_call(xp, affine_axis, err, &v, &v, 1, mz, NULL)) &&
                !(rc = row_mean(ft->xs, s, e, mz, xp, err))) {
                for (int64_t i = 0; i < f; i++)
                    mz[i] = -mz[i];
                rc = ezc_xp_call(xp, affine_axis, err, &v, &v, 1, NULL, mz);
            }
        }
    }
    if (!rc)
        rc = gram(ft->xs, s, e, g, xp, err);
    double tr = 0;
    for (int64_t i = 0; !rc && i < f; i++)
        tr += g[i * f + i] / (double)n;
    if (!rc && st->shrink == 1) {
        alpha = 0;
        if (f > 1) {
            int64_t shape[2] = {n, f};
            double beta_ = 0, delta_ = 0, *g2h = malloc((size_t)(f * f) * sizeof(double));
            sq = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ft->xs->tensor.device, err);
            if (!g2h || !sq)
                rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
            else if (!(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SQUARE, &v, sq)))
                rc = gram(sq, 0, n, g2h, xp, err);
            for (int64_t i = 0; !rc && i < f * f; i++) {
                beta_ += g2h[i];
                delta_ += g[i] * g[i];
            }
            free(g2h);
            double mu = tr / (double)f, nn = (double)n;
            delta_ /= nn * nn;
            double beta = 1.0 / (double)(f * n) * (beta_ / nn - delta_);
            double delta = (delta_ - 2.0 * mu * tr + (double)f * mu * mu) / (double)f;
            beta = beta < delta ? beta : delta;
            alpha = beta == 0 ? 0 : beta / delta;
        }
    }
    if (!rc) {
        double mu = tr / (double)f, a = st->shrink ? alpha : 0;
        for (int64_t i = 0; i < f; i++)
            for (int64_t j = 0; j < f; j++) {
                double c = (1 - a) * g[i * f + j] / (double)n + (i == j ? a * mu : 0);
                cov[i * f + j] += prior * (sc[i] * c * sc[j]);
            }
    }
    ezc_array_destroy(&sq);
    free(sc);
    return rc;
}

static int solve_lsqr(const lda_state *st, fit *ft, lda_model *m, const ezc_xp *xp, ezc_error *err)
{
    int64_t f = ft->f, k = ft->k, shape[2] = {f, f};
    const ezc_xp *cpu = ezc_xp_cpu();
    ezc_array *cov = ezc_array_zeros(EZC_FLOAT64, 2, shape, NULL, err), *rhs = NULL, *sol = NULL,
              *w = NULL, *v = NULL;
    double *g = malloc((size_t)(f * f) * sizeof(double));
    int rc = cov && g ? 0 : ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    for (int64_t c = 0; !rc && c < k; c++)
        rc = class_cov(st, ft, ft->start[c], ft->start[c + 1], ft->priors[c], ezc_array_data(cov),
                       g, xp, err);
    /* Singular (or nearly) covariance: refuse rather than fit noise. */
    if (!rc && (w = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), err)) &&
        (v = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err)) &&
        !(rc = cpu->eigh(cov, w, v, err))) {
        const double *ev = ezc_array_data(w);
        double top = fmax(fabs(ev[0]), fabs(ev[f - 1]));
        if (!(ev[0] > top * 1e-13))
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "lda: the within-class covariance is singular (eigenvalues %.3g .. "
                               "%.3g; %lld features from %lld samples: set 'shrinkage')",
                               ev[0], ev[f - 1], (long long)f, (long long)ft->n);
    } else if (!rc) {
        rc = err->code;
    }
    shape[1] = k;
    if (!rc && (!(rhs = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err)) ||
                !(sol = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err))))
        rc = err->code;
    if (!rc) {
        double *r = ezc_array_data(rhs);
        for (int64_t i = 0; i < f; i++)
            for (int64_t c = 0; c < k; c++)
                r[i * k + c] = ft->means[c * f + i];
        rc = cpu->solve(cov, rhs, sol, err);
    }
    if (!rc) {
        const double *x = ezc_array_data(sol);
        for (int64_t c = 0; c < k; c++) {
            double d = 0;
            for (int64_t i = 0; i < f; i++) {
                m->coef[c * f + i] = x[i * k + c];
                d += ft->means[c * f + i] * x[i * k + c];
            }
            m->intercept[c] = -0.5 * d + log(ft->priors[c]);
        }
    }
    ezc_array_destroy(&cov);
    ezc_array_destroy(&rhs);
    ezc_array_destroy(&sol);
    ezc_array_destroy(&w);
    ezc_array_destroy(&v);
    free(g);
    return rc;
}

static int solve_svd(fit *ft, lda_model *m, const ezc_xp *xp, ezc_error *err)
{
    const double tol = 1e-4; /* sklearn's default */
    int64_t n = ft->n, f = ft->f, k = ft->k, r = n < f ? n : f;
    if (n <= k)
        return ezc_error_set(err, EZC_EINVAL, "lda: the svd solver needs more samples (%lld) than classes (%lld)",
                             (long long)n, (long long)k);
    double *std = malloc((size_t)(f * (2 + 2 * r + 2 * k) + 4 * k + k * k + r) * sizeof(double));
    if (!std)
        return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    double *xbar = std + f, *s = xbar + f, *vt = s + r, *scal = vt + r * f, *b = scal + f * r,
           *s2 = b + k * r, *dm = s2 + k;
    int64_t su[2] = {n, r}, ss = r, sv[2] = {r, f};
    ezc_array *u = ezc_array_new(EZC_FLOAT64, 2, su, NULL, ft->xs->tensor.device, err);
    ezc_array *sd = ezc_array_new(EZC_FLOAT64, 1, &ss, NULL, ft->xs->tensor.device, err);
    ezc_array *vd = ezc_array_new(EZC_FLOAT64, 2, sv, NULL, ft->xs->tensor.device, err);
    ezc_array *bh = NULL, *u2 = NULL, *s2h = NULL, *vt2 = NULL;
    int rc = u && sd && vd ? row_std(ft->xs, 0, n, std, xp, err) : err->code;
    if (!rc) {
        double fac = sqrt(1.0 / (double)(n - k));
        for (int64_t i = 0; i < f; i++) {
            if (std[i] == 0)
                std[i] = 1;
            scal[i] = fac / std[i];
        }
        if (!(rc = ezc_xp_call(xp, affine_axis, err, ft->xs, ft->xs, 1, scal, NULL)) &&
            !(rc = ezc_xp_call(xp, svd, err, ft->xs, u, sd, vd)) && !(rc = lu_to_host(sd, s, err)))
            rc = lu_to_host(vd, vt, err);
    }
    int64_t rank = 0, rank2 = 0;
    while (!rc && rank < r && s[rank] > tol)
        rank++;
    if (!rc && !rank)
        rc = ezc_error_set(err, EZC_ENUMERIC, "lda: the within-class scatter has rank 0");
    if (!rc) {
        for (int64_t i = 0; i < f; i++) {
            xbar[i] = 0;
            for (int64_t c = 0; c < k; c++)
                xbar[i] += ft->priors[c] * ft->means[c * f + i];
        }
        for (int64_t i = 0; i < f; i++)
            for (int64_t j = 0; j < rank; j++)
                scal[i * rank + j] = vt[j * f + i] / std[i] / s[j];
        int64_t sb[2] = {k, rank}, r2 = k < rank ? k : rank, su2[2] = {k, r2}, sv2[2] = {r2, rank};
        double fac = 1.0 / (double)(k - 1);
        bh = ezc_array_new(EZC_FLOAT64, 2, sb, NULL, ezc_device_cpu(), err);
        u2 = ezc_array_new(EZC_FLOAT64, 2, su2, NULL, ezc_device_cpu(), err);
        s2h = ezc_array_new(EZC_FLOAT64, 1, &r2, NULL, ezc_device_cpu(), err);
        vt2 = ezc_array_new(EZC_FLOAT64, 2, sv2, NULL, ezc_device_cpu(), err);
        if (!bh || !u2 || !s2h || !vt2)
            rc = err->code;
        for (int64_t c = 0; !rc && c < k; c++) {
            double w = sqrt((double)n * ft->priors[c] * fac);
            for (int64_t j = 0; j < rank; j++) {
                double acc = 0;
                for (int64_t i = 0; i < f; i++)
                    acc += w * (ft->means[c * f + i] - xbar[i]) * scal[i * rank + j];
                ((double *)ezc_array_data(bh))[c * rank + j] = acc;
            }
        }
        if (!rc)
            rc = ezc_xp_cpu()->svd(bh, u2, s2h, vt2, err);
        const double *sv2d = rc ? NULL : ezc_array_data(s2h), *v2 = rc ? NULL : ezc_array_data(vt2);
        while (!rc && rank2 < r2 && sv2d[rank2] > tol * sv2d[0])
            rank2++;
        /* coef = (means - xbar) S S.T with S = scal @ vt2[:rank2].T (f x rank2) */
        double *sc2 = rc ? NULL : malloc((size_t)(f * rank2 + 1) * sizeof(double));
        if (!rc && !sc2)
            rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
        for (int64_t i = 0; !rc && i < f; i++)
            for (int64_t j = 0; j < rank2; j++) {
                double acc = 0;
                for (int64_t l = 0; l < rank; l++)
                    acc += scal[i * rank + l] * v2[j * rank + l];
                sc2[i * rank2 + j] = acc;
            }
        for (int64_t c = 0; !rc && c < k; c++) {
            double q = 0;
            for (int64_t j = 0; j < rank2; j++) {
                double acc = 0;
                for (int64_t i = 0; i < f; i++)
                    acc += (ft->means[c * f + i] - xbar[i]) * sc2[i * rank2 + j];
                dm[j] = acc;
                q += acc * acc;
            }
            double icpt = -0.5 * q + log(ft->priors[c]);
            for (int64_t i = 0; i < f; i++) {
                double acc = 0;
                for (int64_t j = 0; j < rank2; j++)
                    acc += dm[j] * sc2[i * rank2 + j];
                m->coef[c * f + i] = acc;
                icpt -= xbar[i] * acc;
            }
            m->intercept[c] = icpt;
        }
        free(sc2);
    }
    ezc_array_destroy(&u);
    ezc_array_destroy(&sd);
    ezc_array_destroy(&vd);
    ezc_array_destroy(&bh);
    ezc_array_destroy(&u2);
    ezc_array_destroy(&s2h);
    ezc_array_destroy(&vt2);
    free(std);
    return rc;
}

static int train(lda_state *st, ezc_array *in, int axis, const ezc_xp *xp, ezc_error *err)
{
    const ezc_axis *ax = &in->axes[axis];
    if (ax->kind != EZC_AXIS_COORD || !ax->coords)
        return ezc_error_set(err, EZC_EINVAL,
                             "lda: training data need a coordinate axis of class labels along '%s'",
                             st->axis);
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "lda: %s data are not features",
                             ezc_dtype_name(in->dtype));
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    fit ft = {.n = (int64_t)n, .f = (int64_t)(outer * inner)};
    lda_model m = {0};
    int64_t *cls = malloc((n + 1) * sizeof *cls), *order = malloc((n + 1) * sizeof *order);
    ezc_array *x = NULL;
    ezc_buffer *scratch = NULL;
    int rc = cls && order ? 0 : ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    if (!rc && (n < 2 || !ft.f))
        rc = ezc_error_set(err, EZC_ESHAPE, "lda: training needs at least 2 samples and 1 feature (got %zu x %lld)",
                           n, (long long)ft.f);
    if (!rc)
        rc = classes_of(ax->coords, &m.classes, cls, &ft.k, err);
    if (!rc && ft.k < 2)
        rc = ezc_error_set(err, EZC_EINVAL, "lda: training data hold %lld class (need at least 2)",
                           (long long)ft.k);
    if (!rc) {
        m.k = ft.k;
        m.f = ft.f;
        m.kc = ft.k;
        ft.start = calloc((size_t)ft.k + 1, sizeof *ft.start);
        ft.means = malloc((size_t)(ft.k * ft.f + ft.k) * sizeof(double));
        m.coef = malloc((size_t)(ft.k * ft.f) * sizeof(double));
        m.intercept = malloc((size_t)ft.k * sizeof(double));
        if (!ft.start || !ft.means || !m.coef || !m.intercept)
            rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    }
    if (!rc) { /* rows grouped by class, in sample order within a class */
        ft.priors = ft.means + ft.k * ft.f;
        for (size_t i = 0; i < n; i++)
            ft.start[cls[i] + 1]++;
        for (int64_t c = 0; c < ft.k; c++) {
            ft.priors[c] = (double)ft.start[c + 1] / (double)n;
            ft.start[c + 1] += ft.start[c];
        }
        int64_t *at = malloc((size_t)ft.k * sizeof *at);
        if (!at)
            rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
        for (int64_t c = 0; at && c < ft.k; c++)
            at[c] = ft.start[c];
        for (size_t i = 0; at && i < n; i++)
            order[at[cls[i]]++] = (int64_t)i;
        free(at);
    }
    if (!rc && !(rc = lu_samples_first(in, axis, EZC_FLOAT64, &scratch, &x, err))) {
        int64_t shape[2] = {ft.n, ft.f};
        ft.xs = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, in->tensor.device, err);
        rc = ft.xs ? ezc_xp_call(xp, take, err, x, 0, order, n, ft.xs) : err->code;
    }
    for (int64_t c = 0; !rc && c < ft.k; c++)
        rc = row_mean(ft.xs, ft.start[c], ft.start[c + 1], ft.means + c * ft.f, xp, err);
    if (!rc && !lu_all_finite(ft.means, (size_t)(ft.k * ft.f)))
        rc = ezc_error_set(err, EZC_EINVAL, "lda: training features contain NaN or inf");
    for (int64_t c = 0; !rc && c < ft.k; c++) { /* center each class */
        ezc_array v;
        double *neg = ft.means + c * ft.f, *tmp = malloc((size_t)ft.f * sizeof(double));
        if (!tmp) {
            rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
            break;
        }
        for (int64_t i = 0; i < ft.f; i++)
            tmp[i] = -neg[i];
        lu_view(&v, ft.xs, ft.start[c], ft.start[c + 1] - ft.start[c], ft.f);
        if (v.shape[0])
            rc = ezc_xp_call(xp, affine_axis, err, &v, &v, 1, NULL, tmp);
        free(tmp);
    }
    if (!rc)
        rc = st->svd ? solve_svd(&ft, &m, xp, err) : solve_lsqr(st, &ft, &m, xp, err);
    if (!rc && !lu_all_finite(m.coef, (size_t)(m.k * m.f)))
        rc = ezc_error_set(err, EZC_ENUMERIC, "lda: the fit gave non-finite coefficients");
    if (!rc && m.k == 2) { /* sklearn's binary form: one decision value, for class 1 */
        for (int64_t i = 0; i < m.f; i++)
            m.coef[i] = m.coef[m.f + i] - m.coef[i];
        m.intercept[0] = m.intercept[1] - m.intercept[0];
        m.kc = 1;
    }
    if (!rc) {
        install(st, &m);
        if (st->save)
            rc = save_model(st, err);
    }
    model_free(&m);
    ezc_array_destroy(&x);
    ezc_array_destroy(&ft.xs);
    ezc_buffer_unref(&scratch);
    free(ft.start);
    free(ft.means);
    free(cls);
    free(order);
    return rc;
}

static int lda_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    lda_state *st = state;
    int axis, rc = ezc_array_require_axis(in, st->axis, &axis, err);
    *out = NULL;
    if (!rc)
        rc = port == 1 ? train(st, in, axis, xp, err) : infer(st, in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_lda_type = {
    .name = "lda",
    .summary = "linear discriminant analysis: class probabilities per sample (train on port 'train')",
    .settings = lda_settings,
    .inputs = lda_ports,
    .init = lda_init,
    .process = lda_process,
    .fini = lda_fini,
};
