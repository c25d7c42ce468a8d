/* lda.c — linear discriminant analysis (ezmsg-learn's LDA; scikit-learn
 * 1.2's LinearDiscriminantAnalysis fit, predict_proba, decision_function
 * and predict).
 *
 * Port `signal`: each sample (the message flattened in C order around
 * `axis`) -> class probabilities, dims [axis, classes] (or, by `output`,
 * decision values, or the predicted class's index). Port `train`: the
 * same layout plus a coordinate axis of labels along `axis`; a successful
 * fit replaces the model, a failed one leaves the old model in force.
 * Data-sized work (class sums, Gram matrices, the within-class SVD) runs
 * through xp on the data's device; the F x F and K x F algebra after it is
 * host work on coefficients. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostla.h"
#include "learn_util.h"
#include "model_file.h"

typedef struct lda_model {
    int64_t k, kc, f; /* classes, coef rows (1 when k == 2), features */
    double *coef;     /* kc x f */
    double *intercept;
    ezc_coords *classes;
} lda_model;

enum { OUT_PROBA, OUT_DECISION, OUT_PREDICT };

typedef struct lda_state {
    const char *axis, *save;
    int svd, out;
    int shrink; /* 0 none, 1 auto (Ledoit-Wolf), 2 fixed */
    double alpha;
    lda_model m;
    int dirty; /* the device copies below predate the model */
    ezc_template tpl;
    ezc_array *w, *ones, *jkk; /* kd x f coefficients, 1 x k and k x k ones */
    ezc_coords *out_coords;    /* labels of the output columns */
    double off[2], scale[2];   /* binary: 1 - p, p */
    double *bias;              /* kd intercepts */
    ezc_buffer *out_cache, *perm_cache, *max_cache, *tmp_cache;
    /* history > 0: the labelled samples kept across train messages (the
     * latest `history`), refitted on as a whole each time */
    int64_t history, hn, hf; /* capacity, samples held, features */
    double *hx;              /* hn x hf, oldest first */
    double *hval;            /* numeric labels, or */
    char **hlab;             /* text labels (one kind for the whole history) */
} lda_state;

static const ezc_setting_spec lda_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the sample axis; the other dims are the features", 0,
     NULL},
    {"solver", EZC_SETTING_STRING, "lsqr", "training solver", 0, "lsqr|svd"},
    {"shrinkage", EZC_SETTING_STRING, NULL,
     "lsqr only: \"auto\" (Ledoit-Wolf) or a number in [0, 1]; absent: none", 0, NULL},
    {"output", EZC_SETTING_STRING, "proba",
     "per sample: class probabilities, decision values (sklearn's decision_function) or the "
     "predicted class's index",
     0, "proba|decision|predict"},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each successful fit", 0, NULL},
    {"history", EZC_SETTING_INT, "0",
     "0: each train message is fitted alone; N > 0: the latest N labelled samples of all train "
     "messages are, once they hold two classes and features + classes samples (one trial a "
     "message, as a BCI calibration sends them)",
     0, NULL},
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
    ezc_coords_unref(&st->out_coords);
    free(st->bias);
    st->bias = NULL;
}

static void history_free(lda_state *st)
{
    for (int64_t i = 0; st->hlab && i < st->hn; i++)
        free(st->hlab[i]);
    free(st->hlab);
    free(st->hval);
    free(st->hx);
    st->hlab = NULL;
    st->hval = NULL;
    st->hx = NULL;
    st->hn = 0;
}

static void lda_fini(void *state)
{
    lda_state *st = state;
    if (!st)
        return;
    history_free(st);
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
        m.classes =
            ezc_coords_new(f->nlabels, f->label_values, (const char *const *)f->labels, err);
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
    const char *solver, *shrink = NULL, *model = NULL, *out = "proba";
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "output", &out);
    ezc_settings_get_string(s, "solver", &solver);
    ezc_settings_get_string(s, "shrinkage", &shrink);
    ezc_settings_get_string(s, "model", &model);
    ezc_settings_get_string(s, "save", &st->save);
    st->svd = strcmp(solver, "svd") == 0;
    st->out = !strcmp(out, "decision")  ? OUT_DECISION
              : !strcmp(out, "predict") ? OUT_PREDICT
                                        : OUT_PROBA;
    int rc = 0;
    if (shrink) {
        char *end;
        st->shrink = strcmp(shrink, "auto") == 0 ? 1 : 2;
        if (st->shrink == 2) {
            st->alpha = strtod(shrink, &end);
            if (end == shrink || *end || !(st->alpha >= 0 && st->alpha <= 1))
                rc = ezc_error_set(
                    err, EZC_EINVAL,
                    "lda: setting 'shrinkage' = '%s': expected \"auto\" or a number in [0, 1]",
                    shrink);
        }
        if (!rc && st->svd)
            rc = ezc_error_set(
                err, EZC_EINVAL,
                "lda: setting 'shrinkage' = '%s': the svd solver does not shrink (use lsqr)",
                shrink);
    }
    if (!rc && model)
        rc = load_model(st, model, err);
    ezc_settings_get_int(s, "history", &st->history);
    if (!rc && (st->history < 0 || st->history > 1000000))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "lda: setting 'history' = %lld: expected 0 (off) to 1000000 samples",
                           (long long)st->history);
    if (rc) {
        lda_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* ---- inference -------------------------------------------------------- */

/* Rows of the device coefficients: kd decision columns. Binary models have
 * one decision value d (of classes[1]): proba repeats it in both columns
 * (then 1 - p, p), predict uses columns (0, d) so that argmax picks class 1
 * when d > 0 (sklearn), decision gives d alone. */
static int build_device(lda_state *st, const ezc_array *in, ezc_dtype t, ezc_error *err)
{
    const lda_model *m = &st->m;
    int bin = m->kc == 1;
    int64_t kd = st->out == OUT_DECISION ? m->kc : m->k, f = m->f;
    double *w = calloc((size_t)(kd * f + kd * kd), sizeof(double));
    if (!w)
        return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    device_free(st);
    st->bias = calloc((size_t)kd, sizeof(double));
    int zero_row0 = bin && st->out == OUT_PREDICT;
    for (int64_t r = zero_row0; st->bias && r < kd; r++) {
        memcpy(w + r * f, m->coef + (bin ? 0 : r) * f, (size_t)f * sizeof(double));
        st->bias[r] = m->intercept[bin ? 0 : r];
    }
    for (int64_t i = 0; i < kd * kd; i++)
        w[kd * f + i] = 1;
    DLDevice dev = in->tensor.device;
    int rc = 0;
    if (!st->bias || !(st->w = lu_matrix(w, kd, f, t, dev, err)) ||
        !(st->ones = lu_matrix(w + kd * f, 1, kd, t, dev, err)) ||
        !(st->jkk = lu_matrix(w + kd * f, kd, kd, t, dev, err)))
        rc = err->code ? err->code : ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    if (!rc && st->out == OUT_DECISION && bin) { /* the one column is classes[1]'s score */
        const ezc_coords *c = m->classes;
        const char *lab = c->labels ? c->labels[1] : NULL;
        if (!(st->out_coords = ezc_coords_new(1, c->labels ? NULL : c->values + 1,
                                              c->labels ? &lab : NULL, err)))
            rc = err->code;
    } else if (!rc) {
        st->out_coords = ezc_coords_ref(m->classes);
    }
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
    ezc_array *tmp =
        mx ? ezc_array_new_like_cached(d, d->dtype, 2, shape, &st->tmp_cache, err) : NULL;
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
        return ezc_error_set(
            err, EZC_EINVAL,
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
    int pred = st->out == OUT_PREDICT;
    int64_t kd = st->w->shape[0], shape[2] = {(int64_t)n, pred ? 1 : kd};
    ezc_array *y =
        ezc_array_new_like_cached(in, pred ? EZC_INT64 : t, 2, shape, &st->out_cache, err);
    ezc_array *x = NULL, *d = NULL, flat;
    if (!y)
        return err->code;
    for (int i = 0; i < 2; i++)
        ezc_array_clear_axis(y, i);
    snprintf(y->dims[0], EZC_NAME_MAX, "%s", in->dims[axis]);
    snprintf(y->dims[1], EZC_NAME_MAX, pred ? "class" : "classes");
    y->axes[0] = in->axes[axis];
    ezc_coords_ref(y->axes[0].coords);
    if (!pred) {
        y->axes[1].kind = EZC_AXIS_COORD;
        y->axes[1].coords = ezc_coords_ref(st->out_coords);
    }
    rc = 0;
    if (pred) { /* decision values in a scratch array, their argmax into y */
        int64_t ds[2] = {(int64_t)n, kd};
        if (!(d = ezc_array_new_like_cached(in, t, 2, ds, &st->tmp_cache, err)))
            rc = err->code;
    }
    if (!rc && n && !(rc = lu_samples_first(in, axis, t, &st->perm_cache, &x, err)) &&
        !(rc = ezc_xp_call(xp, matmul, err, x, st->w, pred ? d : y, 0, 1)) &&
        !(rc = ezc_xp_call(xp, affine_axis, err, pred ? d : y, pred ? d : y, 1, NULL, st->bias))) {
        if (st->out == OUT_PROBA) {
            rc = probabilities(st, y, xp, err);
        } else if (pred) {
            lu_view(&flat, y, 0, (int64_t)n, 1);
            flat.tensor.ndim = 1; /* argmax drops the class dim: y read as (n,) */
            rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_ARGMAX, d, 1, &flat);
        }
    }
    ezc_array_destroy(&x);
    ezc_array_destroy(&d);
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
    ezc_array *xs; /* n x f float64, rows grouped by class (ours to modify) */
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
static int class_cov(const lda_state *st, fit *ft, int64_t s, int64_t e, double prior, double *cov,
                     double *g, const ezc_xp *xp, ezc_error *err)
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
    /* Singular (or nearly) covariance: refuse rather than fit noise. The
     * eigenvalues alone (no vectors: a fifth of the refit at 256 features). */
    if (!rc && (w = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), err)) &&
        (v = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err))) {
        const double *ev = ezc_array_data(w);
        memcpy(ezc_array_data(v), ezc_array_data(cov), (size_t)(f * f) * sizeof(double));
        if (hl_eigvalsh(f, ezc_array_data(v), ezc_array_data(w)))
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "lda: the eigenvalues of the within-class covariance did not "
                               "converge");
        double top = fmax(fabs(ev[0]), fabs(ev[f - 1]));
        if (!rc && !(ev[0] > top * 1e-13))
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

/* The within-class scalings of sklearn's _solve_svd: with Xc the class-
 * centred samples (ft->xs, scaled here in place), X = Xc / std / sqrt(n - k)
 * and U S Vt = svd(X), sc = (Vt[:rank] / std)' / S[:rank] (f x rank, rank:
 * singular values above tol). The SVD runs where the data are. */
static int within_scalings(fit *ft, double tol, double *std, double *sc, int64_t *rank,
                           const ezc_xp *xp, ezc_error *err)
{
    int64_t n = ft->n, f = ft->f, r = n < f ? n : f, su[2] = {n, r}, sv[2] = {r, f};
    DLDevice dev = ft->xs->tensor.device;
    ezc_array *u = ezc_array_new(EZC_FLOAT64, 2, su, NULL, dev, err);
    ezc_array *sd = u ? ezc_array_new(EZC_FLOAT64, 1, &r, NULL, dev, err) : NULL;
    ezc_array *vd = sd ? ezc_array_new(EZC_FLOAT64, 2, sv, NULL, dev, err) : NULL;
    double *scale = malloc((size_t)f * sizeof *scale), *s = malloc((size_t)r * sizeof *s);
    double *vt = malloc((size_t)(r * f) * sizeof *vt);
    int rc = !vd                   ? err->code
             : !scale || !s || !vt ? ezc_error_set(err, EZC_ENOMEM, "lda: out of memory")
                                   : row_std(ft->xs, 0, n, std, xp, err);
    if (rc)
        goto done;
    for (int64_t i = 0; i < f; i++) {
        std[i] = std[i] == 0 ? 1 : std[i];
        scale[i] = sqrt(1.0 / (double)(n - ft->k)) / std[i];
    }
    if ((rc = ezc_xp_call(xp, affine_axis, err, ft->xs, ft->xs, 1, scale, NULL)) ||
        (rc = ezc_xp_call(xp, svd, err, ft->xs, u, sd, vd)) || (rc = lu_to_host(sd, s, err)) ||
        (rc = lu_to_host(vd, vt, err)))
        goto done;
    for (*rank = 0; *rank < r && s[*rank] > tol; ++*rank)
        ;
    if (!*rank) {
        rc = ezc_error_set(err, EZC_ENUMERIC, "lda: the within-class scatter has rank 0");
        goto done;
    }
    for (int64_t i = 0; i < f; i++)
        for (int64_t j = 0; j < *rank; j++)
            sc[i * *rank + j] = vt[j * f + i] / std[i] / s[j];
done:
    ezc_array_destroy(&u);
    ezc_array_destroy(&sd);
    ezc_array_destroy(&vd);
    free(scale);
    free(s);
    free(vt);
    return rc;
}

/* sklearn's _solve_svd: the within-class scalings sc, then the class means
 * about xbar = priors' means, dm = means - xbar, weighted and projected:
 * B = diag(sqrt(n priors / (k - 1))) dm sc, svd(B) = U2 S2 Vt2, sc2 = sc
 * Vt2[:rank2]' (rank2: S2 above tol S2[0]); then p = dm sc2,
 * coef = p sc2', intercept = -|p|^2 / 2 + log(priors) - coef xbar. */
static int solve_svd(fit *ft, lda_model *m, const ezc_xp *xp, ezc_error *err)
{
    const double tol = 1e-4; /* sklearn's default */
    int64_t n = ft->n, f = ft->f, k = ft->k, r = n < f ? n : f, rank = 0, rank2 = 0;
    if (n <= k)
        return ezc_error_set(err, EZC_EINVAL,
                             "lda: the svd solver needs more samples (%lld) than classes (%lld)",
                             (long long)n, (long long)k);
    size_t fr = (size_t)(f * r), kf = (size_t)(k * f), kr = (size_t)(k * r);
    double *std = malloc((size_t)f * sizeof(double)), *sc = malloc(fr * sizeof(double));
    double *xbar = malloc((size_t)f * sizeof(double)), *dm = malloc(kf * sizeof(double));
    double *b = malloc(kr * sizeof(double)), *s2 = malloc((size_t)r * sizeof(double));
    double *vt2 = malloc((size_t)(r * r) * sizeof(double)), *sc2 = malloc(fr * sizeof(double));
    double *p = malloc(kr * sizeof(double));
    int rc = 0;
    if (!std || !sc || !xbar || !dm || !b || !s2 || !vt2 || !sc2 || !p) {
        rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
        goto done;
    }
    if ((rc = within_scalings(ft, tol, std, sc, &rank, xp, err)))
        goto done;
    hl_matmul(1, f, k, ft->priors, 0, ft->means, 0, xbar, 0); /* xbar = priors' means */
    for (int64_t c = 0; c < k; c++)
        for (int64_t i = 0; i < f; i++)
            dm[c * f + i] = ft->means[c * f + i] - xbar[i];
    hl_matmul(k, rank, f, dm, 0, sc, 0, b, 0);
    for (int64_t c = 0; c < k; c++) {
        double w = sqrt((double)n * ft->priors[c] / (double)(k - 1));
        for (int64_t j = 0; j < rank; j++)
            b[c * rank + j] *= w;
    }
    if (hl_svd(k, rank, b, s2, vt2)) {
        rc = ezc_error_set(err, EZC_ENUMERIC, "lda: the SVD of the class means did not converge");
        goto done;
    }
    int64_t r2 = k < rank ? k : rank;
    while (rank2 < r2 && s2[rank2] > tol * s2[0])
        rank2++;
    hl_matmul(f, rank2, rank, sc, 0, vt2, 1, sc2, 0); /* sc2 = sc Vt2[:rank2]' */
    hl_matmul(k, rank2, f, dm, 0, sc2, 0, p, 0);
    hl_matmul(k, f, rank2, p, 0, sc2, 1, m->coef, 0);
    for (int64_t c = 0; c < k; c++) {
        double q = 0, cx = 0;
        for (int64_t j = 0; j < rank2; j++)
            q += p[c * rank2 + j] * p[c * rank2 + j];
        for (int64_t i = 0; i < f; i++)
            cx += m->coef[c * f + i] * xbar[i];
        m->intercept[c] = -0.5 * q + log(ft->priors[c]) - cx;
    }
done:
    free(std);
    free(sc);
    free(xbar);
    free(dm);
    free(b);
    free(s2);
    free(vt2);
    free(sc2);
    free(p);
    return rc;
}

/* A train message must carry its labels along the sample axis and real
 * features. */
static int train_input_check(const lda_state *st, const ezc_array *in, int axis, ezc_error *err)
{
    const ezc_axis *ax = &in->axes[axis];
    if (ax->kind != EZC_AXIS_COORD || !ax->coords)
        return ezc_error_set(err, EZC_EINVAL,
                             "lda: training data need a coordinate axis of class labels along '%s'",
                             st->axis);
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "lda: %s data are not features",
                             ezc_dtype_name(in->dtype));
    return 0;
}

static int train(lda_state *st, ezc_array *in, int axis, const ezc_xp *xp, ezc_error *err)
{
    int rc0 = train_input_check(st, in, axis, err);
    if (rc0)
        return rc0;
    const ezc_axis *ax = &in->axes[axis];
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    fit ft = {.n = (int64_t)n, .f = (int64_t)(outer * inner)};
    lda_model m = {0};
    int64_t *cls = malloc((n + 1) * sizeof *cls), *order = malloc((n + 1) * sizeof *order);
    ezc_array *x = NULL;
    ezc_buffer *scratch = NULL;
    int rc = cls && order ? 0 : ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
    if (!rc && (n < 2 || !ft.f))
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "lda: training needs at least 2 samples and 1 feature (got %zu x %lld)",
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

/* The labelled samples of `in` added to the history (the oldest beyond
 * its capacity dropped), then *all = the whole history, [axis, feature]
 * float64 on the host with its labels; *classes = how many classes it
 * holds. The features must keep their count, the labels their kind. */
static int history_add(lda_state *st, const ezc_array *in, int axis, ezc_array **all,
                       int64_t *classes, ezc_error *err)
{
    *all = NULL;
    *classes = 0;
    int rc0 = train_input_check(st, in, axis, err);
    if (rc0)
        return rc0;
    const ezc_axis *ax = &in->axes[axis];
    const ezc_coords *c = ax->coords;
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    int64_t f = (int64_t)(outer * inner), cap = st->history;
    int text = c->labels != NULL;
    if (st->hn && (f != st->hf || text != (st->hlab != NULL)))
        return ezc_error_set(err, EZC_ESHAPE,
                             "lda: a train message of %lld features and %s labels after %lld "
                             "samples of %lld features and %s labels: setting 'history' keeps one "
                             "kind",
                             (long long)f, text ? "text" : "numeric", (long long)st->hn,
                             (long long)st->hf, st->hlab ? "text" : "numeric");
    if (!f)
        return ezc_error_set(err, EZC_ESHAPE, "lda: training data have no features");
    if (!st->hx) {
        st->hf = f;
        st->hx = malloc((size_t)cap * (size_t)f * sizeof *st->hx);
        if (text)
            st->hlab = calloc((size_t)cap, sizeof *st->hlab);
        else
            st->hval = malloc((size_t)cap * sizeof *st->hval);
        if (!st->hx || (text ? !st->hlab : !st->hval)) {
            history_free(st);
            return ezc_error_set(err, EZC_ENOMEM, "lda: out of memory (history of %lld x %lld)",
                                 (long long)cap, (long long)f);
        }
    }
    ezc_buffer *scratch = NULL;
    ezc_array *x = NULL, *h = NULL;
    int rc = lu_samples_first(in, axis, EZC_FLOAT64, &scratch, &x, err);
    if (!rc && !(h = ezc_array_to_device(x, ezc_device_cpu(), err)))
        rc = err->code ? err->code : EZC_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        if (st->hn == cap) { /* drop the oldest */
            if (text)
                free(st->hlab[0]);
            memmove(st->hx, st->hx + f, (size_t)((cap - 1) * f) * sizeof *st->hx);
            if (text)
                memmove(st->hlab, st->hlab + 1, (size_t)(cap - 1) * sizeof *st->hlab);
            else
                memmove(st->hval, st->hval + 1, (size_t)(cap - 1) * sizeof *st->hval);
            st->hn--;
        }
        memcpy(st->hx + st->hn * f, (const double *)ezc_array_data(h) + i * (size_t)f,
               (size_t)f * sizeof *st->hx);
        if (text && !(st->hlab[st->hn] = strdup(c->labels[i])))
            rc = ezc_error_set(err, EZC_ENOMEM, "lda: out of memory");
        else if (!text)
            st->hval[st->hn] = c->values[i];
        if (!rc)
            st->hn++;
    }
    ezc_array_destroy(&h);
    ezc_array_destroy(&x);
    ezc_buffer_unref(&scratch);
    if (rc)
        return rc;
    int64_t shape[2] = {st->hn, f};
    const char *dims[2] = {st->axis, "feature"};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 2, shape, dims, ezc_device_cpu(), err);
    if (!a)
        return err->code ? err->code : EZC_ENOMEM;
    memcpy(ezc_array_data(a), st->hx, (size_t)(st->hn * f) * sizeof *st->hx);
    if ((rc = text ? ezc_array_set_coord_labels(a, 0, (const char *const *)st->hlab, (size_t)st->hn,
                                                "", err)
                   : ezc_array_set_coord_values(a, 0, st->hval, (size_t)st->hn, "", err))) {
        ezc_array_destroy(&a);
        return rc;
    }
    /* the distinct labels (up to 64: beyond, "many" is all that matters) */
    int64_t seen[64], k = 0;
    for (int64_t i = 0; i < st->hn && k < 64; i++) {
        int64_t j = 0;
        while (j < k && (text ? strcmp(st->hlab[seen[j]], st->hlab[i]) != 0
                              : st->hval[seen[j]] != st->hval[i]))
            j++;
        if (j == k)
            seen[k++] = i;
    }
    *classes = k;
    *all = a;
    return 0;
}

static int lda_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    lda_state *st = state;
    int axis, rc = ezc_array_require_axis(in, st->axis, &axis, err);
    *out = NULL;
    if (!rc && port == 1 && st->history > 0) {
        ezc_array *all = NULL;
        int64_t k = 0;
        /* one class, or fewer samples than features + classes (a within-
         * class covariance that cannot be regular), is not an error yet:
         * the calibration goes on */
        if (!(rc = history_add(st, in, axis, &all, &k, err)) && k >= 2 && st->hn - k >= st->hf)
            rc = train(st, all, 0, ezc_xp_cpu(), err);
        ezc_array_destroy(&all);
    } else if (!rc) {
        rc = port == 1 ? train(st, in, axis, xp, err) : infer(st, in, axis, out, xp, err);
    }
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_lda_type = {
    .name = "lda",
    .summary = "linear discriminant analysis: class probabilities, decision values or "
               "predicted classes per sample (train on port 'train')",
    .settings = lda_settings,
    .inputs = lda_ports,
    .init = lda_init,
    .process = lda_process,
    .fini = lda_fini,
};
