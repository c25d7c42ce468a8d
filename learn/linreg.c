/* linreg.c — the regressors: `linear_regressor` (ezmsg-learn's
 * linear_regressor: scikit-learn 1.2's LinearRegression, or Ridge with
 * alpha > 0, refit from each train message) and `adaptive_linear_regressor`
 * (SGDRegressor.partial_fit on each labelled sample, in order).
 *
 * Both take on port `train` per sample the features then `n_targets` target
 * columns (all dims but `axis`, flattened in C order, as kalman) and give on
 * `signal` x coef' + intercept per sample. The Gram matrix of the centred
 * data is xp work on the data's device; the F x F solve is host work. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostla.h"
#include "learn_util.h"
#include "model_file.h"

typedef struct reg_model {
    int64_t t, f;      /* targets, features */
    double *coef;      /* t x f */
    double *intercept; /* t */
    double steps;      /* adaptive: sklearn's t_ (1 before any sample) */
} reg_model;

typedef struct reg_state {
    const char *name, *axis, *save;
    int adaptive, intercept;
    int64_t n_targets;
    double alpha;
    lu_sgd sgd;
    reg_model m;
    lu_linear pred;
} reg_state;

static const ezc_setting_spec linreg_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the sample axis; the other dims are the columns", 0,
     NULL},
    {"n_targets", EZC_SETTING_INT, "1", "training: the last n_targets columns are the targets", 0,
     NULL},
    {"alpha", EZC_SETTING_FLOAT, "0", "ridge penalty (sklearn Ridge); 0: least squares", 0, NULL},
    {"fit_intercept", EZC_SETTING_BOOL, "true", "centre the data and fit an intercept", 0, NULL},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each successful fit", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_setting_spec adaptive_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the sample axis; the other dims are the columns", 0,
     NULL},
    {"n_targets", EZC_SETTING_INT, "1",
     "training: the last n_targets columns are the targets (one SGD regressor each)", 0, NULL},
    {"alpha", EZC_SETTING_FLOAT, "0.0001", "L2 penalty (sklearn SGDRegressor's alpha)", 0, NULL},
    {"learning_rate", EZC_SETTING_STRING, "invscaling", "step size schedule", 0,
     "invscaling|constant|optimal"},
    {"eta0", EZC_SETTING_FLOAT, "0.01", "initial step size (constant, invscaling)", 0, NULL},
    {"power_t", EZC_SETTING_FLOAT, "0.25", "invscaling: eta = eta0 / t^power_t", 0, NULL},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each train message", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_port_spec reg_ports[] = {
    {"signal", "samples to predict from"},
    {"train", "per sample the features then n_targets target columns"},
    {NULL, NULL},
};

static void model_free(reg_model *m)
{
    free(m->coef);
    free(m->intercept);
    memset(m, 0, sizeof *m);
}

static int model_alloc(reg_model *m, int64_t t, int64_t f, const char *who, ezc_error *err)
{
    m->t = t;
    m->f = f;
    m->steps = 1.0;
    m->coef = calloc((size_t)(t * f) + 1, sizeof(double));
    m->intercept = calloc((size_t)t, sizeof(double));
    if (!m->coef || !m->intercept) {
        model_free(m);
        return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", who);
    }
    return 0;
}

static void install(reg_state *st, reg_model *m)
{
    model_free(&st->m);
    st->m = *m;
    memset(m, 0, sizeof *m);
    st->pred.stale = 1;
}

static void reg_fini(void *state)
{
    reg_state *st = state;
    if (!st)
        return;
    model_free(&st->m);
    lu_linear_free(&st->pred);
    free(st);
}

static int load_model(reg_state *st, const char *path, ezc_error *err)
{
    ezc_model *f = NULL;
    int rc = ezc_model_load(path, &f, err);
    if (rc)
        return ezc_error_prefix(err, "%s: setting 'model'", st->name);
    const ezc_model_array *coef = NULL, *icpt = NULL, *steps = NULL;
    int64_t cshape[2] = {-1, -1}, t = -1;
    reg_model m = {0};
    if (strcmp(f->kind, st->name) != 0)
        rc = ezc_error_set(err, EZC_EINVAL, "%s: setting 'model' = %s: a '%s' model, not '%s'",
                           st->name, path, f->kind, st->name);
    else if (!(coef = ezc_model_get(f, path, "coef", 2, cshape, err)) ||
             !(icpt = ezc_model_get(f, path, "intercept", 1, (t = coef->shape[0], &t), err)) ||
             (st->adaptive && !(steps = ezc_model_get(f, path, "t", 0, NULL, err))))
        rc = ezc_error_prefix(err, "%s: setting 'model'", st->name);
    else if (!lu_all_finite(coef->data, (size_t)(coef->shape[0] * coef->shape[1])) ||
             !lu_all_finite(icpt->data, (size_t)t))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "%s: setting 'model' = %s: NaN or inf in coef or intercept", st->name,
                           path);
    else if (t != st->n_targets)
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "%s: setting 'model' = %s: %lld targets, setting 'n_targets' is %lld",
                           st->name, path, (long long)t, (long long)st->n_targets);
    if (!rc && !(rc = model_alloc(&m, t, coef->shape[1], st->name, err))) {
        memcpy(m.coef, coef->data, (size_t)(t * m.f) * sizeof(double));
        memcpy(m.intercept, icpt->data, (size_t)t * sizeof(double));
        if (steps)
            m.steps = steps->data[0];
        install(st, &m);
    }
    ezc_model_destroy(&f);
    return rc;
}

static int save_model(const reg_state *st, ezc_error *err)
{
    const reg_model *m = &st->m;
    int64_t cs[2] = {m->t, m->f};
    ezc_model *f = ezc_model_new(st->name, err);
    int rc = f ? 0 : err->code;
    if (!rc && !(rc = ezc_model_add(f, "coef", 2, cs, m->coef, err)) &&
        !(rc = ezc_model_add(f, "intercept", 1, cs, m->intercept, err)) && st->adaptive)
        rc = ezc_model_add(f, "t", 0, NULL, &m->steps, err);
    if (!rc && (rc = ezc_model_save(st->save, f, err)))
        ezc_error_prefix(err, "%s: setting 'save' (the new model is in use)", st->name);
    ezc_model_destroy(&f);
    return rc;
}

static int reg_init_common(void **state, const ezc_settings *s, const char *name, int adaptive,
                           ezc_error *err)
{
    reg_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", name);
    const char *model = NULL, *lr = "invscaling";
    st->name = name;
    st->adaptive = adaptive;
    st->intercept = 1;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "save", &st->save);
    ezc_settings_get_string(s, "model", &model);
    ezc_settings_get_int(s, "n_targets", &st->n_targets);
    ezc_settings_get_float(s, "alpha", &st->alpha);
    int rc = 0;
    if (adaptive) {
        ezc_settings_get_string(s, "learning_rate", &lr);
        ezc_settings_get_float(s, "eta0", &st->sgd.eta0);
        ezc_settings_get_float(s, "power_t", &st->sgd.power_t);
        st->sgd.loss = LU_SQUARED;
        st->sgd.alpha = st->alpha;
        st->sgd.schedule = !strcmp(lr, "constant")  ? LU_CONSTANT
                           : !strcmp(lr, "optimal") ? LU_OPTIMAL
                                                    : LU_INVSCALING;
        if (st->sgd.schedule != LU_OPTIMAL && !(st->sgd.eta0 > 0))
            rc = ezc_error_set(err, EZC_EINVAL,
                               "%s: setting 'eta0' = %g: expected > 0 with learning_rate '%s'",
                               name, st->sgd.eta0, lr);
        else if (st->sgd.schedule == LU_OPTIMAL && !(st->alpha > 0))
            rc = ezc_error_set(err, EZC_EINVAL,
                               "%s: setting 'alpha' = %g: learning_rate 'optimal' needs alpha > 0",
                               name, st->alpha);
    } else {
        ezc_settings_get_bool(s, "fit_intercept", &st->intercept);
    }
    if (!rc && !(st->alpha >= 0 && isfinite(st->alpha)))
        rc = ezc_error_set(err, EZC_EINVAL, "%s: setting 'alpha' = %g: expected a number >= 0",
                           name, st->alpha);
    if (!rc && st->n_targets < 1)
        rc = ezc_error_set(err, EZC_EINVAL, "%s: setting 'n_targets' = %lld: expected >= 1", name,
                           (long long)st->n_targets);
    if (!rc && model)
        rc = load_model(st, model, err);
    if (rc) {
        reg_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int linreg_init(void **state, const ezc_settings *s, ezc_error *err)
{
    return reg_init_common(state, s, "linear_regressor", 0, err);
}

static int adaptive_init(void **state, const ezc_settings *s, ezc_error *err)
{
    return reg_init_common(state, s, "adaptive_linear_regressor", 1, err);
}

static int infer(reg_state *st, ezc_array *in, int axis, ezc_array **out, const ezc_xp *xp,
                 ezc_error *err)
{
    const reg_model *m = &st->m;
    if (!m->coef)
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: no model yet (send samples to port 'train' or set 'model')",
                             st->name);
    int rc = lu_linear_apply(&st->pred, st->name, m->coef, m->intercept, m->t, m->f, in, axis, out,
                             xp, err);
    if (!rc)
        snprintf((*out)->dims[1], EZC_NAME_MAX, "target");
    return rc;
}

/* 0 when the f x f system a is singular to working precision: its smallest
 * singular value <= 1e-13 x the largest (as lda's covariance check). LU
 * alone would return the noise of a rank-deficient system. */
static int well_posed(const double *a, int64_t f)
{
    double *c = malloc((size_t)(f * f + f + f * f) * sizeof(double));
    if (!c)
        return 1; /* hl_solve reports the memory */
    memcpy(c, a, (size_t)(f * f) * sizeof(double));
    int ok = hl_svd(f, f, c, c + f * f, c + f * f + f) == 0 &&
             c[f * f + f - 1] > 1e-13 * c[f * f] && c[f * f] > 0;
    free(c);
    return ok;
}

/* sklearn's LinearRegression / Ridge (cholesky) on the centred data:
 * (Xc'Xc + alpha I) coef' = Xc'Yc, intercept = ymean - coef xmean. */
static int fit_batch(reg_state *st, const ezc_array *x, int64_t f, reg_model *m, const ezc_xp *xp,
                     ezc_error *err)
{
    int64_t n = x->shape[0], c = x->shape[1], t = c - f;
    double *mean = calloc((size_t)(c + c * c + f * f), sizeof(double));
    double *g = mean + c, *a = g + c * c, *b = NULL;
    ezc_array *mu = NULL, *xc = NULL, *gd = NULL;
    int rc = mean ? 0 : ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", st->name);
    if (!rc && st->intercept) {
        mu = ezc_array_new(EZC_FLOAT64, 1, &c, NULL, x->tensor.device, err);
        rc = mu ? ezc_xp_call(xp, reduce, err, EZC_REDUCE_MEAN, x, 0, mu) : err->code;
        if (!rc)
            rc = lu_to_host(mu, mean, err);
    }
    if (!rc && !lu_all_finite(mean, (size_t)c))
        rc = ezc_error_set(err, EZC_EINVAL, "%s: port 'train': NaN or inf in the data", st->name);
    if (!rc) {
        int64_t gs[2] = {c, c};
        for (int64_t i = 0; i < c; i++)
            g[i] = -mean[i];
        xc = ezc_array_new(EZC_FLOAT64, 2, x->shape, NULL, x->tensor.device, err);
        gd = xc ? ezc_array_new(EZC_FLOAT64, 2, gs, NULL, x->tensor.device, err) : NULL;
        if (!gd)
            rc = err->code;
        else if (!(rc = ezc_xp_call(xp, affine_axis, err, x, xc, 1, NULL, g)) &&
                 !(rc = ezc_xp_call(xp, matmul, err, xc, xc, gd, 1, 0)))
            rc = lu_to_host(gd, g, err);
    }
    if (!rc && !lu_all_finite(g, (size_t)(c * c)))
        rc = ezc_error_set(err, EZC_EINVAL, "%s: port 'train': NaN or inf in the data", st->name);
    if (!rc && !(b = malloc((size_t)(f * t) * sizeof(double))))
        rc = ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", st->name);
    if (!rc) {
        for (int64_t i = 0; i < f; i++) {
            memcpy(a + i * f, g + i * c, (size_t)f * sizeof(double));
            a[i * f + i] += st->alpha;
            memcpy(b + i * t, g + i * c + f, (size_t)t * sizeof(double));
        }
        rc = well_posed(a, f) ? hl_solve(f, t, a, b) : EZC_ENUMERIC;
        if (rc == EZC_ENUMERIC)
            rc = ezc_error_set(err, rc,
                               "%s: the features' covariance (%lld samples, %lld features) with "
                               "alpha %g is singular; the model in force stays",
                               st->name, (long long)n, (long long)f, st->alpha);
        else if (rc)
            rc = ezc_error_set(err, rc, "%s: out of memory", st->name);
    }
    if (!rc && !(rc = model_alloc(m, t, f, st->name, err))) {
        hl_transpose(f, t, b, m->coef);
        for (int64_t j = 0; j < t; j++) {
            double s = mean[f + j];
            for (int64_t i = 0; i < f; i++)
                s -= m->coef[j * f + i] * mean[i];
            m->intercept[j] = s;
        }
        if (!lu_all_finite(m->coef, (size_t)(t * f)) || !lu_all_finite(m->intercept, (size_t)t))
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "%s: the fit gave non-finite coefficients; the model in force stays",
                               st->name);
    }
    free(mean);
    free(b);
    ezc_array_destroy(&mu);
    ezc_array_destroy(&xc);
    ezc_array_destroy(&gd);
    return rc;
}

/* SGDRegressor.partial_fit per sample and target, on a copy of the model
 * (installed only when the whole message went through). */
static int fit_sgd(reg_state *st, const ezc_array *x, int64_t f, reg_model *m, ezc_error *err)
{
    int64_t n = x->shape[0], c = x->shape[1], t = c - f;
    const reg_model *old = &st->m;
    if (old->coef && old->f != f)
        return ezc_error_set(err, EZC_ESHAPE,
                             "%s: port 'train': %lld features per sample, the model has %lld",
                             st->name, (long long)f, (long long)old->f);
    double *h = malloc((size_t)(n * c) * sizeof(double) + 1);
    int rc = h ? model_alloc(m, t, f, st->name, err)
               : ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", st->name);
    if (!rc)
        rc = lu_to_host(x, h, err);
    if (!rc && !lu_all_finite(h, (size_t)(n * c)))
        rc = ezc_error_set(err, EZC_EINVAL, "%s: port 'train': NaN or inf in the data", st->name);
    if (!rc && old->coef) {
        memcpy(m->coef, old->coef, (size_t)(t * f) * sizeof(double));
        memcpy(m->intercept, old->intercept, (size_t)t * sizeof(double));
        m->steps = old->steps;
    }
    for (int64_t i = 0; !rc && i < n; i++, m->steps += 1.0)
        for (int64_t j = 0; j < t; j++)
            lu_sgd_step(&st->sgd, m->steps, m->coef + j * f, m->intercept + j, h + i * c, f,
                        h[i * c + f + j]);
    if (!rc &&
        (!lu_all_finite(m->coef, (size_t)(t * f)) || !lu_all_finite(m->intercept, (size_t)t)))
        rc = ezc_error_set(err, EZC_ENUMERIC,
                           "%s: the weights diverged (lower eta0 or scale the features); the "
                           "model in force stays",
                           st->name);
    free(h);
    return rc;
}

static int train(reg_state *st, ezc_array *in, int axis, const ezc_xp *xp, ezc_error *err)
{
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "%s: %s data are not features", st->name,
                             ezc_dtype_name(in->dtype));
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    int64_t c = (int64_t)(outer * inner), f = c - st->n_targets;
    if (f < 1)
        return ezc_error_set(err, EZC_ESHAPE,
                             "%s: port 'train': %lld columns per sample, need the features and "
                             "n_targets (%lld) targets",
                             st->name, (long long)c, (long long)st->n_targets);
    if (!n && st->adaptive)
        return 0;
    if (!n)
        return ezc_error_set(err, EZC_ESHAPE, "%s: port 'train': no samples", st->name);
    ezc_buffer *scratch = NULL;
    ezc_array *x = NULL;
    reg_model m = {0};
    int rc = lu_samples_first(in, axis, EZC_FLOAT64, &scratch, &x, err);
    if (!rc)
        rc = st->adaptive ? fit_sgd(st, x, f, &m, err) : fit_batch(st, x, f, &m, xp, err);
    if (!rc) {
        install(st, &m);
        if (st->save)
            rc = save_model(st, err);
    }
    model_free(&m);
    ezc_array_destroy(&x);
    ezc_buffer_unref(&scratch);
    return rc;
}

static int reg_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    reg_state *st = state;
    int axis, rc = ezc_array_require_axis(in, st->axis, &axis, err);
    *out = NULL;
    if (!rc)
        rc = port == 1 ? train(st, in, axis, xp, err) : infer(st, in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_linear_regressor_type = {
    .name = "linear_regressor",
    .summary = "least squares or ridge regression, refit from each message on port 'train'",
    .settings = linreg_settings,
    .inputs = reg_ports,
    .init = linreg_init,
    .process = reg_process,
    .fini = reg_fini,
};

const ezc_transformer_type ezc_adaptive_linear_regressor_type = {
    .name = "adaptive_linear_regressor",
    .summary = "SGD linear regression (sklearn SGDRegressor.partial_fit on each sample of port "
               "'train')",
    .settings = adaptive_settings,
    .inputs = reg_ports,
    .init = adaptive_init,
    .process = reg_process,
    .fini = reg_fini,
};
