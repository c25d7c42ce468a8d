/* cca.c — incremental canonical correlation analysis (ezmsg-learn's
 * IncrementalCCA): two views x (ports `x`, `y`, paired in arrival order)
 * update smoothed covariances C11, C22, C12 per message pair with an
 * adaptive smoothing factor; then inverse square roots by eigh (1e-8
 * ridge) whiten C12 and its SVD gives the canonical correlations and
 * weights. The batch products X'X, Y'Y, X'Y go through xp where the data
 * are; the d x d algebra after them is host work on coefficients.
 * Batches are the messages: unlike a filter, the result depends on how the
 * stream is cut (as in ezmsg-learn, where each message is one partial_fit).
 * The incremental state (covariances, factor, counts; weights for readers)
 * goes to a model file after each pair (`save`) and a run resumes from one
 * (`model`): fitting on from it equals never having stopped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../transformers/stream_pair.h"
#include "hostla.h"
#include "learn_util.h"
#include "model_file.h"

#define CCA_RIDGE 1e-8
#define CCA_EIG_FLOOR 1e-12

/* Host work arrays (CPU ezc_arrays, float64), built per template. */
enum {
    H_G11,
    H_G22,
    H_G12,
    H_R1,
    H_W1,
    H_V1,
    H_S1,
    H_R2,
    H_W2,
    H_V2,
    H_S2,
    H_T,
    H_K,
    H_U,
    H_SV,
    H_VT,
    H_WX,
    H_WY,
    H_N
};
/* Device arrays (only when the data are not on the CPU). */
enum { D_G11, D_G22, D_G12, D_WX, D_WY, D_N };

/* A model file's state, the start of the next (re)built state. */
typedef struct cca_start {
    int64_t d1, d2;
    double *c; /* C11, C22, C12 (one block), or NULL: no model file */
    double cur, n_samples, n_batches;
} cca_start;

typedef struct cca_state {
    const char *axis, *model, *save;
    int corr_out;
    int64_t k;
    double base, lo, hi, rate, cur;
    ezc_stream_pair pair;
    ezc_template tpl[2];
    int64_t d1, d2;
    int on_cpu;
    double *c11, *c22, *c12;     /* smoothed covariances (one block) */
    double n_samples, n_batches; /* fitted so far: samples and pairs */
    cca_start start;
    ezc_array *h[H_N], *d[D_N];
    ezc_buffer *xcache, *ycache, *pxcache, *pycache, *out_cache;
} cca_state;

static const ezc_setting_spec cca_settings[] = {
    {"axis", EZC_SETTING_STRING, "time",
     "the sample axis; other dims flattened are a view's features", 0, NULL},
    {"n_components", EZC_SETTING_INT, "2", "canonical components kept", 0, NULL},
    {"base_smoothing", EZC_SETTING_FLOAT, "0.95", "smoothing factor before adaptation", 0, NULL},
    {"min_smoothing", EZC_SETTING_FLOAT, "0.5", "lowest adapted smoothing factor", 0, NULL},
    {"max_smoothing", EZC_SETTING_FLOAT, "0.99", "highest adapted smoothing factor", 0, NULL},
    {"adaptation_rate", EZC_SETTING_FLOAT, "0.1",
     "how fast the smoothing factor follows its target", 0, NULL},
    {"output", EZC_SETTING_STRING, "projections",
     "projections ([time, component]: x then y) or correlations (one row per pair)", 0,
     "projections|correlations"},
    {"max_lag", EZC_SETTING_INT, "16", "messages one port may run ahead before drops", 0, NULL},
    {"model", EZC_SETTING_STRING, NULL,
     "model file (kind cca) whose state the first pair (and any reset) starts from", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each pair that updates the state",
     0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_port_spec cca_ports[] = {
    {"x", "first view: [time, ...] features"},
    {"y", "second view: as many samples per message as x"},
    {NULL, NULL},
};

static void arrays_free(cca_state *st)
{
    for (int i = 0; i < D_N; i++)
        if (!st->on_cpu)
            ezc_array_destroy(&st->d[i]);
        else
            st->d[i] = NULL;
    for (int i = 0; i < H_N; i++)
        ezc_array_destroy(&st->h[i]);
    free(st->c11);
    st->c11 = st->c22 = st->c12 = NULL;
    st->d1 = st->d2 = 0;
}

static void cca_fini(void *state)
{
    cca_state *st = state;
    if (!st)
        return;
    arrays_free(st);
    ezc_stream_pair_fini(&st->pair);
    ezc_buffer_unref(&st->xcache);
    ezc_buffer_unref(&st->ycache);
    ezc_buffer_unref(&st->pxcache);
    ezc_buffer_unref(&st->pycache);
    ezc_buffer_unref(&st->out_cache);
    free(st->start.c);
    free(st);
}

/* Reads a cca model file into st->start (checked: shapes, finite values, a
 * factor in 0..1); the views' sizes are checked when the first pair comes. */
static int load_model(cca_state *st, const char *path, ezc_error *err)
{
    ezc_model *f = NULL;
    if (ezc_model_load(path, &f, err))
        return ezc_error_prefix(err, "cca: setting 'model'");
    int rc = 0;
    const ezc_model_array *c11, *c22, *c12 = NULL, *a;
    int64_t any[2] = {-1, -1};
    cca_start *s0 = &st->start;
    if (strcmp(f->kind, "cca") != 0) {
        rc = ezc_error_set(err, EZC_EINVAL, "cca: setting 'model' = %s: a '%s' model, not 'cca'",
                           path, f->kind);
    } else if (!(c11 = ezc_model_get(f, path, "C11", 2, any, err)) ||
               !(c22 = ezc_model_get(f, path, "C22", 2, any, err))) {
        rc = ezc_error_prefix(err, "cca: setting 'model'");
    } else {
        int64_t sq1[2] = {c11->shape[0], c11->shape[0]}, sq2[2] = {c22->shape[0], c22->shape[0]},
                cross[2] = {sq1[0], sq2[0]};
        if (!(c11 = ezc_model_get(f, path, "C11", 2, sq1, err)) ||
            !(c22 = ezc_model_get(f, path, "C22", 2, sq2, err)) ||
            !(c12 = ezc_model_get(f, path, "C12", 2, cross, err)) ||
            !(a = ezc_model_get(f, path, "smoothing", 0, NULL, err)))
            rc = ezc_error_prefix(err, "cca: setting 'model'");
        else if (!(a->data[0] >= 0 && a->data[0] <= 1))
            rc = ezc_error_set(err, EZC_EINVAL,
                               "cca: setting 'model' = %s: smoothing = %g: expected 0..1", path,
                               a->data[0]);
        else {
            int64_t d1 = sq1[0], d2 = sq2[0];
            size_t n11 = (size_t)(d1 * d1), n22 = (size_t)(d2 * d2), n12 = (size_t)(d1 * d2);
            s0->d1 = d1, s0->d2 = d2, s0->cur = a->data[0];
            if (!(s0->c = malloc((n11 + n22 + n12) * sizeof(double))))
                rc = ezc_error_set(err, EZC_ENOMEM, "cca: out of memory");
            else {
                memcpy(s0->c, c11->data, n11 * sizeof(double));
                memcpy(s0->c + n11, c22->data, n22 * sizeof(double));
                memcpy(s0->c + n11 + n22, c12->data, n12 * sizeof(double));
                if (!lu_all_finite(s0->c, n11 + n22 + n12))
                    rc = ezc_error_set(err, EZC_EINVAL,
                                       "cca: setting 'model' = %s: NaN or inf in C11, C22 or C12",
                                       path);
            }
            /* optional counts (ezc_models.save_cca may leave them out) */
            for (size_t i = 0; !rc && i < f->narrays; i++) {
                const ezc_model_array *x = &f->arrays[i];
                double *to = !strcmp(x->name, "n_samples")   ? &s0->n_samples
                             : !strcmp(x->name, "n_batches") ? &s0->n_batches
                                                             : NULL;
                if (to && (x->ndim != 0 || !(x->data[0] >= 0)))
                    rc = ezc_error_set(err, EZC_EINVAL,
                                       "cca: setting 'model' = %s: %s: expected a number >= 0",
                                       path, x->name);
                else if (to)
                    *to = x->data[0];
            }
        }
    }
    ezc_model_destroy(&f);
    if (rc) {
        free(s0->c);
        memset(s0, 0, sizeof *s0);
    }
    return rc;
}

static int cca_init(void **state, const ezc_settings *s, ezc_error *err)
{
    cca_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "cca: out of memory");
    const char *out;
    int64_t lag;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_int(s, "n_components", &st->k);
    ezc_settings_get_float(s, "base_smoothing", &st->base);
    ezc_settings_get_float(s, "min_smoothing", &st->lo);
    ezc_settings_get_float(s, "max_smoothing", &st->hi);
    ezc_settings_get_float(s, "adaptation_rate", &st->rate);
    ezc_settings_get_string(s, "output", &out);
    ezc_settings_get_int(s, "max_lag", &lag);
    ezc_settings_get_string(s, "model", &st->model);
    ezc_settings_get_string(s, "save", &st->save);
    st->corr_out = strcmp(out, "correlations") == 0;
    st->cur = st->base;
    int rc = 0;
    const struct {
        const char *name;
        double v;
    } unit[] = {{"base_smoothing", st->base},
                {"min_smoothing", st->lo},
                {"max_smoothing", st->hi},
                {"adaptation_rate", st->rate}};
    for (size_t i = 0; !rc && i < 4; i++)
        if (!(unit[i].v >= 0 && unit[i].v <= 1))
            rc = ezc_error_set(err, EZC_EINVAL, "cca: setting '%s' = %g: expected 0..1",
                               unit[i].name, unit[i].v);
    if (!rc && st->lo > st->hi)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "cca: setting 'min_smoothing' = %g is above max_smoothing (%g)", st->lo,
                           st->hi);
    if (!rc && st->k < 1)
        rc = ezc_error_set(err, EZC_EINVAL, "cca: setting 'n_components' = %lld: expected >= 1",
                           (long long)st->k);
    if (!rc && lag < 1)
        rc = ezc_error_set(err, EZC_EINVAL, "cca: setting 'max_lag' = %lld: expected >= 1",
                           (long long)lag);
    if (!rc && ezc_stream_pair_init(&st->pair, (size_t)lag, err))
        rc = ezc_error_set(err, EZC_ENOMEM, "cca: out of memory");
    if (!rc && st->model)
        rc = load_model(st, st->model, err);
    if (rc) {
        cca_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* Fresh state for views of d1 and d2 features on dev: covariances zero,
 * smoothing back to its base, work arrays allocated once. */
static int build(cca_state *st, int64_t d1, int64_t d2, DLDevice dev, const ezc_xp *xp,
                 ezc_error *err)
{
    arrays_free(st);
    if (st->k > d1 || st->k > d2)
        return ezc_error_set(err, EZC_EINVAL,
                             "cca: setting 'n_components' = %lld: the views have %lld and %lld "
                             "features",
                             (long long)st->k, (long long)d1, (long long)d2);
    const cca_start *s0 = &st->start;
    if (s0->c && (s0->d1 != d1 || s0->d2 != d2))
        return ezc_error_set(err, EZC_ESHAPE,
                             "cca: setting 'model' = %s: the model has %lld x and %lld y features, "
                             "the views %lld and %lld",
                             st->model, (long long)s0->d1, (long long)s0->d2, (long long)d1,
                             (long long)d2);
    int64_t m = d1 < d2 ? d1 : d2, k = st->k;
    st->d1 = d1, st->d2 = d2, st->cur = s0->c ? s0->cur : st->base;
    st->n_samples = s0->n_samples, st->n_batches = s0->n_batches;
    st->on_cpu = dev.device_type == kDLCPU;
    size_t n11 = (size_t)(d1 * d1), n22 = (size_t)(d2 * d2), n12 = (size_t)(d1 * d2);
    st->c11 = calloc(n11 + n22 + n12, sizeof(double));
    if (!st->c11)
        return ezc_error_set(err, EZC_ENOMEM, "cca: out of memory");
    st->c22 = st->c11 + n11, st->c12 = st->c22 + n22;
    if (s0->c)
        memcpy(st->c11, s0->c, (n11 + n22 + n12) * sizeof(double));
    const int64_t shapes[H_N][2] = {
        [H_G11] = {d1, d1}, [H_G22] = {d2, d2}, [H_G12] = {d1, d2}, [H_R1] = {d1, d1},
        [H_W1] = {d1, 0},   [H_V1] = {d1, d1},  [H_S1] = {d1, d1},  [H_R2] = {d2, d2},
        [H_W2] = {d2, 0},   [H_V2] = {d2, d2},  [H_S2] = {d2, d2},  [H_T] = {d1, d2},
        [H_K] = {d1, d2},   [H_U] = {d1, m},    [H_SV] = {m, 0},    [H_VT] = {m, d2},
        [H_WX] = {d1, k},   [H_WY] = {d2, k}};
    for (int i = 0; i < H_N; i++) {
        int nd = shapes[i][1] ? 2 : 1;
        if (!(st->h[i] = ezc_array_new(EZC_FLOAT64, nd, shapes[i], NULL, ezc_device_cpu(), err)))
            return err->code;
    }
    int map[D_N] = {H_G11, H_G22, H_G12, H_WX, H_WY};
    for (int i = 0; i < D_N; i++) {
        if (st->on_cpu) {
            st->d[i] = st->h[map[i]];
        } else if (!(st->d[i] =
                         ezc_array_new(EZC_FLOAT64, 2, st->h[map[i]]->shape, NULL, dev, err)) ||
                   ezc_xp_call(xp, fill, err, st->d[i], 0.0)) {
            return err->code;
        }
    }
    return 0;
}

static double *H(cca_state *st, int i)
{
    return ezc_array_data(st->h[i]);
}

static double frob_diff(const double *a, const double *b, size_t n)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(acc);
}

/* s = (c + ridge I)^(-1/2) = V diag(w^-1/2) V' by eigh; work arrays r, w, v. */
static int inv_sqrt(cca_state *st, const double *c, int64_t d, int r, int w, int v, int s,
                    ezc_error *err)
{
    const ezc_xp *cpu = ezc_xp_cpu();
    double *rd = H(st, r), *wd = H(st, w), *vd = H(st, v);
    memcpy(rd, c, (size_t)(d * d) * sizeof(double));
    for (int64_t i = 0; i < d; i++)
        rd[i * d + i] += CCA_RIDGE;
    int rc = cpu->eigh(st->h[r], st->h[w], st->h[v], err);
    if (rc)
        return rc;
    for (int64_t i = 0; i < d; i++)
        wd[i] = 1.0 / sqrt(wd[i] > CCA_EIG_FLOOR ? wd[i] : CCA_EIG_FLOOR);
    for (int64_t i = 0; i < d; i++) /* r = V diag(w), then s = r V' */
        for (int64_t j = 0; j < d; j++)
            rd[i * d + j] = vd[i * d + j] * wd[j];
    hl_matmul(d, d, d, rd, 0, vd, 1, H(st, s), 0);
    return 0;
}

/* Whitened cross-covariance, its SVD, weights with the sign convention. */
static int update_weights(cca_state *st, ezc_error *err)
{
    const ezc_xp *cpu = ezc_xp_cpu();
    int64_t d1 = st->d1, d2 = st->d2, k = st->k, m = d1 < d2 ? d1 : d2;
    int rc;
    if ((rc = inv_sqrt(st, st->c11, d1, H_R1, H_W1, H_V1, H_S1, err)) ||
        (rc = inv_sqrt(st, st->c22, d2, H_R2, H_W2, H_V2, H_S2, err)))
        return rc;
    memcpy(H(st, H_G12), st->c12, (size_t)(d1 * d2) * sizeof(double));
    hl_matmul(d1, d2, d1, H(st, H_S1), 0, H(st, H_G12), 0, H(st, H_T), 0); /* S1 C12 S2 */
    hl_matmul(d1, d2, d2, H(st, H_T), 0, H(st, H_S2), 0, H(st, H_K), 0);
    if ((rc = cpu->svd(st->h[H_K], st->h[H_U], st->h[H_SV], st->h[H_VT], err)))
        return rc;
    double *wx = H(st, H_WX), *wy = H(st, H_WY), *su = H(st, H_T); /* S1 U: d1 x m <= d1 x d2 */
    hl_matmul(d1, m, d1, H(st, H_S1), 0, H(st, H_U), 0, su, 0);
    for (int64_t i = 0; i < d1; i++) /* wx = (S1 U)[:, :k] */
        memcpy(wx + i * k, su + i * m, (size_t)k * sizeof *wx);
    hl_matmul(d2, k, d2, H(st, H_S2), 0, H(st, H_VT), 1, wy, 0); /* wy = S2 Vt[:k]' */
    for (int64_t j = 0; j < k; j++) {
        /* signs: the largest |x weight| (first on ties) is positive */
        int64_t big = 0;
        for (int64_t i = 1; i < d1; i++)
            if (fabs(wx[i * k + j]) > fabs(wx[big * k + j]))
                big = i;
        if (wx[big * k + j] < 0) {
            for (int64_t i = 0; i < d1; i++)
                wx[i * k + j] = -wx[i * k + j];
            for (int64_t i = 0; i < d2; i++)
                wy[i * k + j] = -wy[i * k + j];
        }
    }
    return 0;
}

/* One partial fit on a pair of samples-first float64 views (n > 0). */
static int partial_fit(cca_state *st, const ezc_array *x, const ezc_array *y, const ezc_xp *xp,
                       ezc_error *err)
{
    int64_t n = x->shape[0], d1 = st->d1, d2 = st->d2;
    size_t n11 = (size_t)(d1 * d1), n22 = (size_t)(d2 * d2), n12 = (size_t)(d1 * d2);
    int rc;
    if ((rc = ezc_xp_call(xp, matmul, err, x, x, st->d[D_G11], 1, 0)) ||
        (rc = ezc_xp_call(xp, matmul, err, y, y, st->d[D_G22], 1, 0)) ||
        (rc = ezc_xp_call(xp, matmul, err, x, y, st->d[D_G12], 1, 0)))
        return rc;
    if (!st->on_cpu && ((rc = ezc_xp_call(xp, copy, err, st->d[D_G11], st->h[H_G11])) ||
                        (rc = ezc_xp_call(xp, copy, err, st->d[D_G22], st->h[H_G22])) ||
                        (rc = ezc_xp_call(xp, copy, err, st->d[D_G12], st->h[H_G12]))))
        return rc;
    double *g11 = H(st, H_G11), *g22 = H(st, H_G22), *g12 = H(st, H_G12);
    for (size_t i = 0; i < n11; i++)
        g11[i] /= (double)n;
    for (size_t i = 0; i < n22; i++)
        g22[i] /= (double)n;
    for (size_t i = 0; i < n12; i++)
        g12[i] /= (double)n;
    if (!lu_all_finite(g11, n11) || !lu_all_finite(g22, n22) || !lu_all_finite(g12, n12))
        return ezc_error_set(err, EZC_EINVAL, "cca: NaN or inf in the data (pair skipped)");
    int started = 0;
    for (size_t i = 0; i < n11 && !started; i++)
        started = st->c11[i] != 0;
    if (started) { /* change in the correlation structure -> smoothing target */
        double change = (frob_diff(g11, st->c11, n11) / (double)n11 +
                         frob_diff(g22, st->c22, n22) / (double)n22 +
                         frob_diff(g12, st->c12, n12) / (double)n12) /
                        3;
        double target = st->base * (1.0 - change);
        target = target < st->lo ? st->lo : target > st->hi ? st->hi : target;
        st->cur = (1 - st->rate) * st->cur + st->rate * target;
    }
    double a = st->cur;
    for (size_t i = 0; i < n11; i++)
        st->c11[i] = a * st->c11[i] + (1 - a) * g11[i];
    for (size_t i = 0; i < n22; i++)
        st->c22[i] = a * st->c22[i] + (1 - a) * g22[i];
    for (size_t i = 0; i < n12; i++)
        st->c12[i] = a * st->c12[i] + (1 - a) * g12[i];
    st->n_samples += (double)n;
    st->n_batches += 1;
    if ((rc = update_weights(st, err)))
        return ezc_error_prefix(err, "cca: canonical weights");
    if (!st->on_cpu && ((rc = ezc_xp_call(xp, copy, err, st->h[H_WX], st->d[D_WX])) ||
                        (rc = ezc_xp_call(xp, copy, err, st->h[H_WY], st->d[D_WY]))))
        return rc;
    return 0;
}

/* Writes the state to the 'save' path: what a `model` run resumes from, and
 * the weights and correlations for readers (recomputed, not read, on load). */
static int save_model(const cca_state *st, ezc_error *err)
{
    int64_t d1 = st->d1, d2 = st->d2, k = st->k, m = d1 < d2 ? d1 : d2;
    int64_t s11[2] = {d1, d1}, s22[2] = {d2, d2}, s12[2] = {d1, d2}, wx[2] = {d1, k},
            wy[2] = {d2, k};
    ezc_model *f = ezc_model_new("cca", err);
    int rc = f ? 0 : err->code;
    if (!rc && !(rc = ezc_model_add(f, "C11", 2, s11, st->c11, err)) &&
        !(rc = ezc_model_add(f, "C22", 2, s22, st->c22, err)) &&
        !(rc = ezc_model_add(f, "C12", 2, s12, st->c12, err)) &&
        !(rc = ezc_model_add(f, "smoothing", 0, NULL, &st->cur, err)) &&
        !(rc = ezc_model_add(f, "n_samples", 0, NULL, &st->n_samples, err)) &&
        !(rc = ezc_model_add(f, "n_batches", 0, NULL, &st->n_batches, err)) &&
        !(rc = ezc_model_add(f, "x_weights", 2, wx, ezc_array_data(st->h[H_WX]), err)) &&
        !(rc = ezc_model_add(f, "y_weights", 2, wy, ezc_array_data(st->h[H_WY]), err)) &&
        !(rc = ezc_model_add(f, "correlations", 1, &m, ezc_array_data(st->h[H_SV]), err)) &&
        (rc = ezc_model_save(st->save, f, err)))
        ezc_error_prefix(err, "cca: setting 'save' (the state is updated)");
    ezc_model_destroy(&f);
    return rc;
}

/* Output dims: [axis of x, component]; the sample axis from x (all of it,
 * or its last sample for correlations). */
static ezc_array *output(cca_state *st, const ezc_array *xin, int axis, int64_t rows,
                         ezc_error *err)
{
    int64_t cols = st->corr_out ? st->k : 2 * st->k, shape[2] = {rows, cols};
    ezc_array *o = ezc_array_new_like_cached(xin, EZC_FLOAT64, 2, shape, &st->out_cache, err);
    if (!o)
        return NULL;
    for (int i = 0; i < 2; i++)
        ezc_array_clear_axis(o, i);
    snprintf(o->dims[0], EZC_NAME_MAX, "%s", xin->dims[axis]);
    snprintf(o->dims[1], EZC_NAME_MAX, "component");
    int64_t n = xin->shape[axis];
    if (!st->corr_out || n == rows) {
        o->axes[0] = xin->axes[axis];
        ezc_coords_ref(o->axes[0].coords);
    } else { /* the last sample's coordinate */
        ezc_array *last = ezc_array_slice(xin, axis, n - 1, n, err);
        if (!last) {
            ezc_array_destroy(&o);
            return NULL;
        }
        o->axes[0] = last->axes[axis];
        ezc_coords_ref(o->axes[0].coords);
        ezc_array_destroy(&last);
    }
    return o;
}

static int pair_process(cca_state *st, ezc_array *xin, ezc_array *yin, ezc_array **out,
                        const ezc_xp *xp, ezc_error *err)
{
    int ax[2], rc;
    if ((rc = ezc_array_require_axis(xin, st->axis, &ax[0], err)) ||
        (rc = ezc_array_require_axis(yin, st->axis, &ax[1], err)))
        return rc;
    ezc_array *in[2] = {xin, yin};
    size_t outer, n[2], inner, d[2];
    for (int p = 0; p < 2; p++) {
        if (ezc_dtype_is_complex(in[p]->dtype) || in[p]->dtype == EZC_BOOL)
            return ezc_error_set(err, EZC_EDTYPE,
                                 "cca: port '%s' has %s data (real numbers needed)", p ? "y" : "x",
                                 ezc_dtype_name(in[p]->dtype));
        ezc_array_split(in[p], ax[p], &outer, &n[p], &inner);
        d[p] = outer * inner;
    }
    if (n[0] != n[1])
        return ezc_error_set(err, EZC_ESHAPE,
                             "cca: port 'x' brought %zu samples, port 'y' %zu: a pair needs the "
                             "same count",
                             n[0], n[1]);
    if (!ezc_device_equal(xin->tensor.device, yin->tensor.device))
        return ezc_error_set(err, EZC_EDEVICE,
                             "cca: ports 'x' and 'y' have data on different devices");
    if (d[0] < 1 || d[1] < 1)
        return ezc_error_set(err, EZC_ESHAPE, "cca: a view without features");
    int changed = ezc_template_changed(&st->tpl[0], xin, ax[0]);
    changed |= ezc_template_changed(&st->tpl[1], yin, ax[1]);
    if ((changed || !st->c11) &&
        (rc = build(st, (int64_t)d[0], (int64_t)d[1], xin->tensor.device, xp, err))) {
        st->tpl[0].valid = st->tpl[1].valid = 0;
        return rc;
    }
    ezc_array *x = NULL, *y = NULL, *px = NULL, *py = NULL, *o = NULL;
    int64_t nn = (int64_t)n[0], k = st->k;
    if (nn && (!(rc = lu_samples_first(xin, ax[0], EZC_FLOAT64, &st->xcache, &x, err))) &&
        !(rc = lu_samples_first(yin, ax[1], EZC_FLOAT64, &st->ycache, &y, err)))
        rc = partial_fit(st, x, y, xp, err);
    if (!rc && nn && st->save)
        rc = save_model(st, err);
    if (!rc && st->corr_out) {
        ezc_array sv;
        lu_view(&sv, st->h[H_SV], 0, 1, k); /* the first k correlations */
        if (nn && (o = output(st, xin, ax[0], 1, err)))
            rc = ezc_xp_call(xp, copy, err, &sv, o);
        else if (nn)
            rc = err->code;
    } else if (!rc) {
        int64_t ps[2] = {nn, k};
        if (!(o = output(st, xin, ax[0], nn, err)))
            rc = err->code;
        else if (nn &&
                 (!(px = ezc_array_new_like_cached(x, EZC_FLOAT64, 2, ps, &st->pxcache, err)) ||
                  !(py = ezc_array_new_like_cached(x, EZC_FLOAT64, 2, ps, &st->pycache, err))))
            rc = err->code;
        else if (nn) {
            const ezc_array *parts[2] = {px, py};
            if (!(rc = ezc_xp_call(xp, matmul, err, x, st->d[D_WX], px, 0, 0)) &&
                !(rc = ezc_xp_call(xp, matmul, err, y, st->d[D_WY], py, 0, 0)))
                rc = ezc_xp_call(xp, concat, err, parts, 2, 1, o);
        }
    }
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    ezc_array_destroy(&px);
    ezc_array_destroy(&py);
    if (rc)
        ezc_array_destroy(&o);
    *out = o;
    return rc;
}

static int cca_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    cca_state *st = state;
    ezc_array *x, *y;
    *out = NULL;
    int rc = ezc_stream_pair_push(&st->pair, "cca", port, in, &x, &y, err);
    if (rc)
        return ezc_error_set(err, rc,
                             "cca: port '%s' ran %zu messages ahead of port '%s': its "
                             "oldest was dropped",
                             port ? "y" : "x", st->pair.cap, port ? "x" : "y");
    if (!x)
        return 0;
    rc = pair_process(st, x, y, out, xp, err);
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    return rc;
}

const ezc_transformer_type ezc_cca_type = {
    .name = "cca",
    .summary = "incremental canonical correlation analysis of two views (ports x, y)",
    .settings = cca_settings,
    .inputs = cca_ports,
    .init = cca_init,
    .process = cca_process,
    .fini = cca_fini,
};
