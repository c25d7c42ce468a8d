/* sgd.c — online linear classifier (ezmsg-learn's sgd decoder: scikit-learn
 * 1.2's SGDClassifier.partial_fit on each labelled sample, in order, with
 * penalty l2 and a fixed schedule, 'optimal' or 'constant').
 *
 * Port `train`: samples with a coordinate axis of class labels along `axis`
 * (one of the `classes` setting each); every sample is one partial_fit call
 * (one-vs-all for more than two classes). Port `signal`: probabilities as
 * sklearn's _predict_proba_lr (what ezmsg-learn outputs), decision values or
 * the predicted class, through the shared linear predictor (learn_util). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "learn_util.h"
#include "model_file.h"

enum { OUT_PROBA, OUT_DECISION, OUT_PREDICT };

typedef struct sgd_state {
    const char *axis, *save;
    int out;
    lu_sgd sgd;
    int64_t k, kc, f;  /* classes, coef rows (1 when k == 2), features (0: none yet) */
    double *coef;      /* kc x f */
    double *intercept; /* kc */
    double steps;      /* sklearn's t_ */
    ezc_coords *classes;
    double *rows, *bias; /* the predictor's rows for `output` (kd x f, kd) */
    int64_t kd;
    lu_linear pred;
    ezc_array *ones; /* 1 x ... / k x k ones for the row sums */
    ezc_buffer *tmp_cache, *idx_cache;
} sgd_state;

static const ezc_setting_spec sgd_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the sample axis; the other dims are the features", 0,
     NULL},
    {"classes", EZC_SETTING_STRINGS, NULL,
     "the class labels (sklearn's partial_fit classes; numbers when all parse as numbers)", 0,
     NULL},
    {"loss", EZC_SETTING_STRING, "hinge", "sklearn's loss", 0, "hinge|log_loss"},
    {"alpha", EZC_SETTING_FLOAT, "0.0001", "L2 penalty", 0, NULL},
    {"learning_rate", EZC_SETTING_STRING, "optimal", "step size schedule", 0, "optimal|constant"},
    {"eta0", EZC_SETTING_FLOAT, "0", "constant: the step size", 0, NULL},
    {"output", EZC_SETTING_STRING, "proba",
     "per sample: class probabilities (_predict_proba_lr), decision values or the predicted "
     "class's index",
     0, "proba|decision|predict"},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each train message", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_port_spec sgd_ports[] = {
    {"signal", "samples to classify"},
    {"train", "features with a coordinate axis of class labels along the sample axis"},
    {NULL, NULL},
};

static void sgd_fini(void *state)
{
    sgd_state *st = state;
    if (!st)
        return;
    free(st->coef);
    free(st->intercept);
    free(st->rows);
    ezc_coords_unref(&st->classes);
    lu_linear_free(&st->pred);
    ezc_array_destroy(&st->ones);
    ezc_buffer_unref(&st->tmp_cache);
    ezc_buffer_unref(&st->idx_cache);
    free(st);
}

/* The predictor's rows for the output: binary proba repeats the decision
 * row (then 1 - p, p), binary predict puts a zero row first (argmax picks
 * class 1 when d > 0, sklearn's rule). */
static int set_rows(sgd_state *st, ezc_error *err)
{
    int bin = st->kc == 1;
    st->kd = bin && st->out != OUT_DECISION ? 2 : st->kc;
    free(st->rows);
    st->rows = calloc((size_t)(st->kd * (st->f + 1)), sizeof(double));
    if (!st->rows)
        return ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    st->bias = st->rows + st->kd * st->f;
    for (int64_t r = bin && st->out == OUT_PREDICT; r < st->kd; r++) {
        memcpy(st->rows + r * st->f, st->coef + (bin ? 0 : r) * st->f,
               (size_t)st->f * sizeof(double));
        st->bias[r] = st->intercept[bin ? 0 : r];
    }
    st->pred.stale = 1;
    ezc_array_destroy(&st->ones);
    return 0;
}

static int alloc_model(sgd_state *st, int64_t f, ezc_error *err)
{
    free(st->coef);
    free(st->intercept);
    st->f = f;
    st->coef = calloc((size_t)(st->kc * f), sizeof(double));
    st->intercept = calloc((size_t)st->kc, sizeof(double));
    if (!st->coef || !st->intercept)
        return ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    return 0;
}

static int cmp_num(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The classes setting, sorted as np.unique sorts them. */
static int classes_from(sgd_state *st, const char *const *l, size_t n, ezc_error *err)
{
    if (n < 2)
        return ezc_error_set(err, EZC_EINVAL,
                             "sgd: setting 'classes': %zu labels (need at least 2)", n);
    double *v = malloc(n * sizeof(double));
    const char **s = malloc(n * sizeof(char *));
    int numeric = 1, rc = 0;
    for (size_t i = 0; v && s && i < n; i++) {
        char *end;
        v[i] = strtod(l[i], &end);
        numeric &= end != l[i] && !*end;
        s[i] = l[i];
    }
    if (!v || !s) {
        rc = ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    } else {
        if (numeric)
            qsort(v, n, sizeof *v, cmp_num);
        else
            qsort(s, n, sizeof *s, cmp_str);
        for (size_t i = 1; !rc && i < n; i++)
            if (numeric ? v[i] == v[i - 1] : !strcmp(s[i], s[i - 1]))
                rc = ezc_error_set(err, EZC_EINVAL, "sgd: setting 'classes': '%s' is repeated",
                                   numeric ? l[0] : s[i]);
        if (!rc && !(st->classes = ezc_coords_new(n, numeric ? v : NULL, numeric ? NULL : s, err)))
            rc = err->code;
    }
    free(v);
    free(s);
    st->k = (int64_t)n;
    st->kc = n == 2 ? 1 : (int64_t)n;
    return rc;
}

static int load_model(sgd_state *st, const char *path, ezc_error *err)
{
    ezc_model *f = NULL;
    int rc = ezc_model_load(path, &f, err);
    if (rc)
        return ezc_error_prefix(err, "sgd: setting 'model'");
    const ezc_model_array *coef = NULL, *icpt = NULL, *steps = NULL;
    int64_t kc = f->nlabels == 2 ? 1 : (int64_t)f->nlabels, cshape[2] = {kc, -1};
    if (strcmp(f->kind, "sgd") != 0)
        rc = ezc_error_set(err, EZC_EINVAL, "sgd: setting 'model' = %s: a '%s' model, not 'sgd'",
                           path, f->kind);
    else if (f->nlabels < 2)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sgd: setting 'model' = %s: %zu class labels (need at least 2)", path,
                           f->nlabels);
    else if (!(coef = ezc_model_get(f, path, "coef", 2, cshape, err)) ||
             !(icpt = ezc_model_get(f, path, "intercept", 1, &kc, err)) ||
             !(steps = ezc_model_get(f, path, "t", 0, NULL, err)))
        rc = ezc_error_prefix(err, "sgd: setting 'model'");
    else if (!lu_all_finite(coef->data, (size_t)(kc * coef->shape[1])) ||
             !lu_all_finite(icpt->data, (size_t)kc))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sgd: setting 'model' = %s: NaN or inf in coef or intercept", path);
    if (!rc) {
        ezc_coords_unref(&st->classes);
        st->k = (int64_t)f->nlabels;
        st->kc = kc;
        if (!(st->classes =
                  ezc_coords_new(f->nlabels, f->label_values, (const char *const *)f->labels, err)))
            rc = err->code;
    }
    if (!rc && !(rc = alloc_model(st, coef->shape[1], err))) {
        memcpy(st->coef, coef->data, (size_t)(kc * st->f) * sizeof(double));
        memcpy(st->intercept, icpt->data, (size_t)kc * sizeof(double));
        st->steps = steps->data[0];
        rc = set_rows(st, err);
    }
    ezc_model_destroy(&f);
    return rc;
}

static int sgd_init(void **state, const ezc_settings *s, ezc_error *err)
{
    sgd_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    const char *loss = "hinge", *lr = "optimal", *out = "proba", *model = NULL;
    const char *const *cl = NULL;
    size_t ncl = 0;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "save", &st->save);
    ezc_settings_get_string(s, "model", &model);
    ezc_settings_get_string(s, "loss", &loss);
    ezc_settings_get_string(s, "learning_rate", &lr);
    ezc_settings_get_string(s, "output", &out);
    ezc_settings_get_float(s, "alpha", &st->sgd.alpha);
    ezc_settings_get_float(s, "eta0", &st->sgd.eta0);
    ezc_settings_get_strings(s, "classes", &cl, &ncl);
    st->sgd.loss = strcmp(loss, "log_loss") ? LU_HINGE : LU_LOG_LOSS;
    st->sgd.schedule = strcmp(lr, "constant") ? LU_OPTIMAL : LU_CONSTANT;
    st->out = !strcmp(out, "decision")  ? OUT_DECISION
              : !strcmp(out, "predict") ? OUT_PREDICT
                                        : OUT_PROBA;
    st->steps = 1.0;
    int rc = 0;
    if (!(st->sgd.alpha >= 0 && isfinite(st->sgd.alpha)) ||
        (st->sgd.schedule == LU_OPTIMAL && st->sgd.alpha == 0))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sgd: setting 'alpha' = %g: expected a number >= 0 (> 0 with "
                           "learning_rate 'optimal')",
                           st->sgd.alpha);
    else if (st->sgd.schedule == LU_CONSTANT && !(st->sgd.eta0 > 0))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sgd: setting 'eta0' = %g: expected > 0 with learning_rate 'constant'",
                           st->sgd.eta0);
    else if (model && cl)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sgd: setting 'classes': give it or 'model' (whose labels are the "
                           "classes), not both");
    else if (model)
        rc = load_model(st, model, err);
    else if (!cl)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sgd: setting 'classes' is required (the labels partial_fit learns)");
    else
        rc = classes_from(st, cl, ncl, err);
    if (rc) {
        sgd_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* Rows of p (n x kd, after the logistic) divided by their sums. */
static int normalise(sgd_state *st, ezc_array *p, const ezc_xp *xp, ezc_error *err)
{
    int64_t kd = st->kd, shape[2] = {p->shape[0], kd};
    if (!st->ones || st->ones->tensor.device.device_type != p->tensor.device.device_type ||
        st->ones->dtype != p->dtype) {
        double *o = malloc((size_t)(kd * kd) * sizeof(double));
        ezc_array_destroy(&st->ones);
        for (int64_t i = 0; o && i < kd * kd; i++)
            o[i] = 1;
        st->ones = o ? lu_matrix(o, kd, kd, p->dtype, p->tensor.device, err) : NULL;
        free(o);
        if (!st->ones)
            return err->code ? err->code : ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    }
    ezc_array *tmp = ezc_array_new_like_cached(p, p->dtype, 2, shape, &st->tmp_cache, err);
    int rc = tmp ? ezc_xp_call(xp, matmul, err, p, st->ones, tmp, 0, 0) : err->code;
    if (!rc)
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, p, tmp, p);
    ezc_array_destroy(&tmp);
    return rc;
}

static int infer(sgd_state *st, ezc_array *in, int axis, ezc_array **out, const ezc_xp *xp,
                 ezc_error *err)
{
    *out = NULL;
    if (!st->f)
        return ezc_error_set(
            err, EZC_EINVAL,
            "sgd: no model yet (send labelled samples to port 'train' or set 'model')");
    ezc_array *d = NULL, flat;
    int rc =
        lu_linear_apply(&st->pred, "sgd", st->rows, st->bias, st->kd, st->f, in, axis, &d, xp, err);
    if (rc)
        return rc;
    int64_t n = d->shape[0];
    if (st->out == OUT_PREDICT) {
        int64_t shape[2] = {n, 1};
        ezc_array *y = ezc_array_new_like_cached(d, EZC_INT64, 2, shape, &st->idx_cache, err);
        if (!y) {
            rc = err->code;
        } else {
            ezc_array_clear_axis(y, 0);
            snprintf(y->dims[0], EZC_NAME_MAX, "%s", d->dims[0]);
            snprintf(y->dims[1], EZC_NAME_MAX, "class");
            y->axes[0] = d->axes[0];
            ezc_coords_ref(y->axes[0].coords);
            lu_view(&flat, y, 0, n, 1);
            flat.tensor.ndim = 1;
            if (n)
                rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_ARGMAX, d, 1, &flat);
        }
        ezc_array_destroy(&d);
        if (rc)
            ezc_array_destroy(&y);
        *out = y;
        return rc;
    }
    snprintf(d->dims[1], EZC_NAME_MAX, "classes");
    d->axes[1].kind = EZC_AXIS_COORD;
    if (st->out == OUT_DECISION && st->kc == 1) { /* the one column: classes[1]'s score */
        const ezc_coords *c = st->classes;
        const char *lab = c->labels ? c->labels[1] : NULL;
        d->axes[1].coords =
            ezc_coords_new(1, c->labels ? NULL : c->values + 1, c->labels ? &lab : NULL, err);
        rc = d->axes[1].coords ? 0 : err->code;
    } else {
        d->axes[1].coords = ezc_coords_ref(st->classes);
    }
    if (!rc && n && st->out == OUT_PROBA) { /* expit, then 1 - p, p or the row sums */
        static const double scale[2] = {-1, 1}, off[2] = {1, 0};
        if (!(rc = ezc_xp_call(xp, affine, err, d, d, -1.0, 0.0)) &&
            !(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_EXP, d, d)) &&
            !(rc = ezc_xp_call(xp, affine, err, d, d, 1.0, 1.0)) &&
            !(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_RECIPROCAL, d, d)))
            rc = st->kc == 1 ? ezc_xp_call(xp, affine_axis, err, d, d, 1, scale, off)
                             : normalise(st, d, xp, err);
    }
    if (rc)
        ezc_array_destroy(&d);
    *out = d;
    return rc;
}

static int save_model(const sgd_state *st, ezc_error *err)
{
    int64_t cs[2] = {st->kc, st->f};
    ezc_model *f = ezc_model_new("sgd", err);
    int rc = f ? 0 : err->code;
    if (!rc && !(rc = ezc_model_add(f, "coef", 2, cs, st->coef, err)) &&
        !(rc = ezc_model_add(f, "intercept", 1, cs, st->intercept, err)) &&
        !(rc = ezc_model_add(f, "t", 0, NULL, &st->steps, err)))
        rc = ezc_model_set_labels(f, st->classes->n, (const char *const *)st->classes->labels,
                                  st->classes->values, err);
    if (!rc && (rc = ezc_model_save(st->save, f, err)))
        ezc_error_prefix(err, "sgd: setting 'save' (the new model is in use)");
    ezc_model_destroy(&f);
    return rc;
}

/* Class index of label i of the train axis, or -1. */
static int64_t class_of(const sgd_state *st, const ezc_coords *c, size_t i)
{
    const ezc_coords *k = st->classes;
    for (int64_t j = 0; j < st->k; j++) {
        if (c->labels) {
            if (k->labels && !strcmp(c->labels[i], k->labels[j]))
                return j;
        } else if (k->values && c->values[i] == k->values[j]) {
            return j;
        }
    }
    return -1;
}

static int train(sgd_state *st, ezc_array *in, int axis, ezc_error *err)
{
    const ezc_axis *ax = &in->axes[axis];
    if (ax->kind != EZC_AXIS_COORD || !ax->coords)
        return ezc_error_set(err, EZC_EINVAL,
                             "sgd: training data need a coordinate axis of class labels along '%s'",
                             st->axis);
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "sgd: %s data are not features",
                             ezc_dtype_name(in->dtype));
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    int64_t f = (int64_t)(outer * inner);
    if (st->f && f != st->f)
        return ezc_error_set(err, EZC_ESHAPE,
                             "sgd: port 'train': %lld features per sample, the model has %lld",
                             (long long)f, (long long)st->f);
    if (!n)
        return 0;
    if (!f)
        return ezc_error_set(err, EZC_ESHAPE, "sgd: port 'train': no features");
    int64_t *cls = malloc(n * sizeof *cls), kc = st->kc;
    double *h = malloc(n * (size_t)f * sizeof(double)), *w = NULL;
    ezc_buffer *scratch = NULL;
    ezc_array *x = NULL;
    int rc = cls && h ? 0 : ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        if ((cls[i] = class_of(st, ax->coords, i)) < 0) {
            if (ax->coords->labels)
                rc = ezc_error_set(err, EZC_EINVAL,
                                   "sgd: port 'train': label '%s' (sample %zu) is not one of "
                                   "setting 'classes'",
                                   ax->coords->labels[i], i);
            else
                rc = ezc_error_set(err, EZC_EINVAL,
                                   "sgd: port 'train': label %g (sample %zu) is not one of "
                                   "setting 'classes'",
                                   ax->coords->values[i], i);
        }
    if (!rc && !(rc = lu_samples_first(in, axis, EZC_FLOAT64, &scratch, &x, err)))
        rc = lu_to_host(x, h, err);
    if (!rc && !lu_all_finite(h, n * (size_t)f))
        rc = ezc_error_set(err, EZC_EINVAL, "sgd: port 'train': NaN or inf in the features");
    if (!rc && !st->f && (rc = alloc_model(st, f, err)) != 0)
        st->f = 0;
    if (!rc && !(w = malloc((size_t)(kc * f + kc) * sizeof(double))))
        rc = ezc_error_set(err, EZC_ENOMEM, "sgd: out of memory");
    if (!rc) { /* on a copy: the model changes only when the whole message went through */
        double *b = w + kc * f, t = st->steps;
        memcpy(w, st->coef, (size_t)(kc * f) * sizeof(double));
        memcpy(b, st->intercept, (size_t)kc * sizeof(double));
        for (size_t i = 0; i < n; i++, t += 1.0)
            for (int64_t c = 0; c < kc; c++) {
                int64_t pos = kc == 1 ? 1 : c; /* binary: +1 is classes[1] */
                lu_sgd_step(&st->sgd, t, w + c * f, b + c, h + i * (size_t)f, f,
                            cls[i] == pos ? 1.0 : -1.0);
            }
        if (!lu_all_finite(w, (size_t)(kc * f + kc))) {
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "sgd: the weights diverged (scale the features or lower eta0); "
                               "the model in force stays");
        } else {
            memcpy(st->coef, w, (size_t)(kc * f) * sizeof(double));
            memcpy(st->intercept, b, (size_t)kc * sizeof(double));
            st->steps = t;
            if (!(rc = set_rows(st, err)) && st->save)
                rc = save_model(st, err);
        }
    }
    free(w);
    free(cls);
    free(h);
    ezc_array_destroy(&x);
    ezc_buffer_unref(&scratch);
    return rc;
}

static int sgd_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    sgd_state *st = state;
    int axis, rc = ezc_array_require_axis(in, st->axis, &axis, err);
    *out = NULL;
    if (!rc)
        rc = port == 1 ? train(st, in, axis, err) : infer(st, in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_sgd_type = {
    .name = "sgd",
    .summary = "online linear classifier (sklearn SGDClassifier.partial_fit on each sample of "
               "port 'train'): class probabilities, decision values or predicted classes",
    .settings = sgd_settings,
    .inputs = sgd_ports,
    .init = sgd_init,
    .process = sgd_process,
    .fini = sgd_fini,
};
