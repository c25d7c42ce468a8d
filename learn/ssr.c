/* ssr.c — self-supervised re-referencing by linear regression (LRR;
 * ezmsg-learn's ssr module, LRRTransformer): each channel is predicted by
 * ridge regression from the other channels of its cluster and the
 * prediction subtracted, y = x @ (I - W) with diag(W) = 0.
 *
 * Port `train` adds X'X of the message (xp, on the data's device) to the
 * accumulated channel covariance C on the host and refits W per cluster from
 * M = (C_cluster + ridge I)^-1 by the block-inverse identity
 * W[:, c] = -M[:, c] / M[c, c] (the same as solving each channel's ridge
 * system). Port `signal` applies I - W as one matrix along the channel dim
 * (transformers/matrix_axis.h); before a model: identity, or a
 * leave-one-out CAR per cluster. As today's ezmsg-learn, clusters of fewer
 * than min_cluster_size channels (3) pass through in both: with one or two
 * channels the others are too few a reference to regress on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../transformers/matrix_axis.h"
#include "../transformers/tf_util.h"
#include "hostla.h"
#include "learn_util.h"
#include "model_file.h"

/* A cluster covariance (+ ridge) with a 1-norm condition above this is
 * refused as singular: its inverse would carry no correct digits worth
 * having (float64 keeps ~16). */
#define SSR_MAX_COND 1e12

typedef struct ssr_state {
    const char *axis, *save;
    const int64_t *ids; /* cluster id per channel (settings' storage) */
    size_t nids;
    int64_t block, min_size;
    double ridge;
    int incremental, car;
    /* the model in force (n = 0: none; the initial matrix applies) */
    int64_t n;
    double *w;   /* n x n, diag 0 */
    double *cxx; /* n x n accumulated X'X, or NULL (none yet) */
    double n_samples;
    ezc_matrix_axis m; /* I - W (or the initial CAR) for m_n channels */
    int64_t m_n;
    /* training work, for g_n channels */
    int64_t g_n;
    ezc_array *g_dev, *g_host; /* X'X where the data are / on the host */
    ezc_buffer *x_cache;
} ssr_state;

static const ezc_setting_spec ssr_settings[] = {
    {"axis", EZC_SETTING_STRING, "ch", "channel dim", 0, NULL},
    {"clusters", EZC_SETTING_INTS, NULL,
     "cluster id per channel: a channel is predicted from its cluster only (default: one cluster)",
     0, NULL},
    {"block_size", EZC_SETTING_INT, "0",
     "without clusters: consecutive blocks of this many channels form the clusters (0: off)", 0,
     NULL},
    {"ridge", EZC_SETTING_FLOAT, "0", "ridge (L2) penalty lambda added to X'X", 0, NULL},
    {"incremental", EZC_SETTING_BOOL, "true",
     "train messages add up (false: each train message replaces the statistics)", 0, NULL},
    {"min_cluster_size", EZC_SETTING_INT, "3",
     "clusters with fewer channels pass through unchanged (fit and initial CAR)", 0, NULL},
    {"initial", EZC_SETTING_STRING, "identity",
     "before a model: pass through, or subtract the mean of the cluster's other channels", 0,
     "identity|car"},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each successful fit", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_port_spec ssr_ports[] = {
    {"signal", "channels to re-reference"},
    {"train", "data whose channel covariance the regressions learn from"},
    {NULL, NULL},
};

static void work_free(ssr_state *st)
{
    if (st->g_dev != st->g_host)
        ezc_array_destroy(&st->g_dev);
    st->g_dev = NULL;
    ezc_array_destroy(&st->g_host);
    st->g_n = 0;
}

static void ssr_fini(void *state)
{
    ssr_state *st = state;
    if (!st)
        return;
    free(st->w);
    free(st->cxx);
    ezc_matrix_axis_clear(&st->m);
    work_free(st);
    ezc_buffer_unref(&st->x_cache);
    free(st);
}

/* Dense cluster index per channel (in order of first appearance), the
 * count in *nc. Errors when the settings do not fit n channels. */
static int clusters_of(const ssr_state *st, int64_t n, int64_t *cid, int64_t *nc, ezc_error *err)
{
    if (st->nids && (int64_t)st->nids != n)
        return ezc_error_set(err, EZC_ESHAPE,
                             "ssr: setting 'clusters' has %zu ids but dim '%s' has length %lld",
                             st->nids, st->axis, (long long)n);
    *nc = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t id = st->nids ? st->ids[i] : st->block ? i / st->block : 0, j = 0;
        while (j < i && (st->nids ? st->ids[j] : st->block ? j / st->block : 0) != id)
            j++;
        cid[i] = j < i ? cid[j] : (*nc)++;
    }
    return 0;
}

/* The matrix along the channel dim becomes I - w (n x n). */
static int set_matrix(ssr_state *st, int64_t n, const double *w, ezc_error *err)
{
    double *a = malloc((size_t)(n > 0 ? n * n : 1) * sizeof *a);
    if (!a)
        return ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    for (int64_t i = 0; i < n * n; i++)
        a[i] = (i % (n + 1) == 0 ? 1.0 : 0.0) - w[i];
    ezc_matrix_axis_set(&st->m, n, n, a, NULL);
    st->m_n = n;
    return 0;
}

/* Installs w (and cxx, may be NULL) for n channels; takes both. */
static int install(ssr_state *st, int64_t n, double *w, double *cxx, double n_samples,
                   ezc_error *err)
{
    int rc = set_matrix(st, n, w, err);
    if (rc) {
        free(w);
        free(cxx);
        return rc;
    }
    free(st->w);
    free(st->cxx);
    st->n = n, st->w = w, st->cxx = cxx, st->n_samples = n_samples;
    return 0;
}

static int load_model(ssr_state *st, const char *path, ezc_error *err)
{
    ezc_model *f = NULL;
    int rc = ezc_model_load(path, &f, err);
    if (rc)
        return ezc_error_prefix(err, "ssr: setting 'model'");
    const ezc_model_array *w = NULL, *c = NULL, *ns = NULL;
    int64_t any[2] = {-1, -1}, n = 0;
    if (strcmp(f->kind, "ssr") != 0) {
        rc = ezc_error_set(err, EZC_EINVAL, "ssr: setting 'model' = %s: a '%s' model, not 'ssr'",
                           path, f->kind);
    } else if (!(w = ezc_model_get(f, path, "W", 2, any, err))) {
        rc = ezc_error_prefix(err, "ssr: setting 'model'");
    } else if ((n = w->shape[0]) != w->shape[1] || n < 1) {
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "ssr: setting 'model' = %s: W is %lld x %lld, not square", path,
                           (long long)w->shape[0], (long long)w->shape[1]);
    } else if (!lu_all_finite(w->data, (size_t)(n * n))) {
        rc = ezc_error_set(err, EZC_EINVAL, "ssr: setting 'model' = %s: NaN or inf in W", path);
    } else if (st->nids && (int64_t)st->nids != n) {
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "ssr: setting 'clusters' has %zu ids but the model (%s) has %lld "
                           "channels",
                           st->nids, path, (long long)n);
    }
    /* optional: the statistics, so that training goes on from them */
    for (size_t i = 0; !rc && i < f->narrays; i++)
        if (!strcmp(f->arrays[i].name, "cxx")) {
            int64_t sq[2] = {n, n};
            if (!(c = ezc_model_get(f, path, "cxx", 2, sq, err)))
                rc = ezc_error_prefix(err, "ssr: setting 'model'");
            else if (!lu_all_finite(c->data, (size_t)(n * n)))
                rc = ezc_error_set(err, EZC_EINVAL, "ssr: setting 'model' = %s: NaN or inf in cxx",
                                   path);
        } else if (!strcmp(f->arrays[i].name, "n_samples")) {
            ns = &f->arrays[i];
        }
    if (!rc) {
        size_t bytes = (size_t)(n * n) * sizeof(double);
        double *wc = malloc(bytes), *cc = c ? malloc(bytes) : NULL;
        if (!wc || (c && !cc)) {
            free(wc);
            free(cc);
            rc = ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
        } else {
            memcpy(wc, w->data, bytes);
            if (cc)
                memcpy(cc, c->data, bytes);
            rc = install(st, n, wc, cc, c && ns && ns->ndim == 0 ? ns->data[0] : 0, err);
        }
    }
    ezc_model_destroy(&f);
    return rc;
}

static int ssr_init(void **state, const ezc_settings *s, ezc_error *err)
{
    ssr_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    const char *initial = "identity", *model = NULL;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_ints(s, "clusters", &st->ids, &st->nids);
    ezc_settings_get_int(s, "block_size", &st->block);
    ezc_settings_get_int(s, "min_cluster_size", &st->min_size);
    ezc_settings_get_float(s, "ridge", &st->ridge);
    ezc_settings_get_bool(s, "incremental", &st->incremental);
    ezc_settings_get_string(s, "initial", &initial);
    ezc_settings_get_string(s, "model", &model);
    ezc_settings_get_string(s, "save", &st->save);
    st->car = strcmp(initial, "car") == 0;
    st->m_n = -1;
    int rc = 0;
    if (!(st->ridge >= 0) || !isfinite(st->ridge))
        rc = ezc_error_set(err, EZC_EINVAL, "ssr: setting 'ridge' = %g: expected a number >= 0",
                           st->ridge);
    else if (st->block < 0)
        rc = ezc_error_set(err, EZC_EINVAL, "ssr: setting 'block_size' = %lld: expected >= 0",
                           (long long)st->block);
    else if (st->min_size < 2)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "ssr: setting 'min_cluster_size' = %lld: expected >= 2 (a lone channel "
                           "has nothing to regress on)",
                           (long long)st->min_size);
    else if (st->block && st->nids)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "ssr: setting 'block_size' = %lld: give it or 'clusters', not both",
                           (long long)st->block);
    if (!rc && model)
        rc = load_model(st, model, err);
    if (rc) {
        ssr_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* ---- fitting ---------------------------------------------------------- */

static double norm1(const double *a, int64_t k)
{
    double best = 0;
    for (int64_t j = 0; j < k; j++) {
        double s = 0;
        for (int64_t i = 0; i < k; i++)
            s += fabs(a[i * k + j]);
        best = s > best ? s : best;
    }
    return best;
}

/* W (n x n, zeroed first) from the covariance c, cluster by cluster. */
static int solve_weights(const ssr_state *st, const double *c, int64_t n, double *w, ezc_error *err)
{
    int64_t nc, *cid = malloc((size_t)(2 * n) * sizeof *cid);
    if (!cid)
        return ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    int64_t *mem = cid + n; /* the current cluster's channels */
    int rc = clusters_of(st, n, cid, &nc, err);
    memset(w, 0, (size_t)(n * n) * sizeof *w);
    /* the current cluster's covariance + ridge, its LU, its inverse */
    double *ad = malloc((size_t)(n * n) * sizeof *ad), *lu = malloc((size_t)(n * n) * sizeof *lu);
    double *m = malloc((size_t)(n * n) * sizeof *m);
    if (!rc && (!ad || !lu || !m))
        rc = ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    for (int64_t q = 0; !rc && q < nc; q++) {
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++)
            if (cid[i] == q)
                mem[k++] = i;
        if (k < st->min_size) /* too few references: passed through */
            continue;
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++) {
                ad[i * k + j] = c[mem[i] * n + mem[j]] + (i == j ? st->ridge : 0);
                m[i * k + j] = i == j;
            }
        memcpy(lu, ad, (size_t)(k * k) * sizeof *lu);
        int bad = hl_solve(k, k, lu, m); /* m = (C_qq + ridge I)^-1 */
        double cond = bad ? INFINITY : norm1(ad, k) * norm1(m, k);
        if (bad == EZC_ENOMEM)
            rc = ezc_error_set(err, bad, "ssr: out of memory");
        else if (bad || !(cond <= SSR_MAX_COND))
            rc = ezc_error_set(err, EZC_ENUMERIC,
                               "ssr: the covariance of cluster %lld (%lld channels, from channel "
                               "%lld) with ridge %g is singular (condition %.3g > %g): the model "
                               "in force stays; send more data or set 'ridge' > 0",
                               (long long)q, (long long)k, (long long)mem[0], st->ridge, cond,
                               SSR_MAX_COND);
        for (int64_t j = 0; !rc && j < k; j++) /* W[:, c] = -M[:, c] / M[c, c] */
            for (int64_t i = 0; i < k; i++)
                if (i != j)
                    w[mem[i] * n + mem[j]] = -m[i * k + j] / m[j * k + j];
    }
    free(ad);
    free(lu);
    free(m);
    free(cid);
    return rc;
}

static int save_model(const ssr_state *st, ezc_error *err)
{
    int64_t sh[2] = {st->n, st->n};
    ezc_model *f = ezc_model_new("ssr", err);
    int rc = f ? 0 : err->code;
    if (!rc && !(rc = ezc_model_add(f, "W", 2, sh, st->w, err)) && st->cxx &&
        !(rc = ezc_model_add(f, "cxx", 2, sh, st->cxx, err)))
        rc = ezc_model_add(f, "n_samples", 0, sh, &st->n_samples, err);
    if (!rc && (rc = ezc_model_save(st->save, f, err)))
        ezc_error_prefix(err, "ssr: setting 'save' (the new model is in use)");
    ezc_model_destroy(&f);
    return rc;
}

/* X'X of the message into st->g_host (n x n), where the data are. */
static int gram(ssr_state *st, const ezc_array *in, int axis, int64_t n, const ezc_xp *xp,
                ezc_error *err)
{
    int64_t shape[2] = {n, n};
    if (st->g_n != n) {
        work_free(st);
        DLDevice dev = in->tensor.device;
        if (!(st->g_host = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), err)))
            return err->code;
        st->g_dev = dev.device_type == kDLCPU
                        ? st->g_host
                        : ezc_array_new(EZC_FLOAT64, 2, shape, NULL, dev, err);
        if (!st->g_dev) {
            work_free(st);
            return err->code;
        }
        st->g_n = n;
    }
    size_t outer, len, inner;
    ezc_array_split(in, axis, &outer, &len, &inner);
    ezc_array *x = NULL;
    int rc, last = axis == ezc_array_ndim(in) - 1;
    if (last && in->dtype == EZC_FLOAT64) { /* rows of channels already: X'X */
        int64_t s2[2] = {(int64_t)outer, n};
        x = ezc_array_from_buffer(in->buf, in->tensor.byte_offset, EZC_FLOAT64, 2, s2, NULL, err);
        rc = x ? ezc_xp_call(xp, matmul, err, x, x, st->g_dev, 1, 0) : err->code;
    } else if (!(rc = lu_samples_first(in, axis, EZC_FLOAT64, &st->x_cache, &x, err))) {
        rc = ezc_xp_call(xp, matmul, err, x, x, st->g_dev, 0, 1); /* x is X' here */
    }
    ezc_array_destroy(&x);
    if (!rc && st->g_dev != st->g_host)
        rc = ezc_xp_call(xp, copy, err, st->g_dev, st->g_host);
    return rc;
}

static int train(ssr_state *st, ezc_array *in, int axis, const ezc_xp *xp, ezc_error *err)
{
    if (ezc_dtype_is_complex(in->dtype))
        return ezc_error_set(err, EZC_EDTYPE, "ssr: port 'train': %s data (real numbers needed)",
                             ezc_dtype_name(in->dtype));
    int64_t n = in->shape[axis];
    size_t total = ezc_array_size(in);
    if (st->n && n != st->n)
        return ezc_error_set(err, EZC_ESHAPE,
                             "ssr: port 'train': dim '%s' has length %lld, the model has %lld "
                             "channels (the model in force stays)",
                             st->axis, (long long)n, (long long)st->n);
    if (n < 1 || total == 0)
        return 0; /* no samples: nothing to learn */
    int rc = gram(st, in, axis, n, xp, err);
    if (rc)
        return rc;
    const double *g = ezc_array_data(st->g_host);
    size_t nn = (size_t)(n * n);
    if (!lu_all_finite(g, nn))
        return ezc_error_set(err, EZC_EINVAL,
                             "ssr: port 'train': NaN or inf in the data (message skipped; the "
                             "model in force stays)");
    double *c = malloc(nn * sizeof *c), *w = malloc(nn * sizeof *w);
    if (!c || !w) {
        free(c);
        free(w);
        return ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    }
    int add = st->incremental && st->cxx;
    for (size_t i = 0; i < nn; i++)
        c[i] = g[i] + (add ? st->cxx[i] : 0);
    double ns = (add ? st->n_samples : 0) + (double)(total / (size_t)n);
    rc = solve_weights(st, c, n, w, err);
    free(rc ? w : NULL);
    if (rc == EZC_ENUMERIC) { /* good data, too little of it: keep the statistics */
        free(st->cxx);
        st->cxx = c;
        st->n_samples = ns;
        st->n = n;
        return rc;
    }
    if (rc) {
        free(c);
        return rc;
    }
    if ((rc = install(st, n, w, c, ns, err))) /* frees w and c on failure */
        return rc;
    return st->save ? save_model(st, err) : 0;
}

/* ---- inference -------------------------------------------------------- */

/* The CAR matrix for n channels: W[i, j] = 1 / (k - 1) within a cluster of
 * k >= min_cluster_size; smaller clusters pass through, as in the fit. */
static int initial_car(ssr_state *st, int64_t n, ezc_error *err)
{
    int64_t nc, *cid = malloc((size_t)(n ? n : 1) * sizeof *cid), *cnt = NULL;
    double *w = calloc((size_t)(n > 0 ? n * n : 1), sizeof *w);
    int rc = cid && w ? clusters_of(st, n, cid, &nc, err)
                      : ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    if (!rc && !(cnt = calloc((size_t)(nc ? nc : 1), sizeof *cnt)))
        rc = ezc_error_set(err, EZC_ENOMEM, "ssr: out of memory");
    for (int64_t i = 0; !rc && i < n; i++)
        cnt[cid[i]]++;
    for (int64_t i = 0; !rc && i < n; i++)
        for (int64_t j = 0; j < n; j++)
            if (i != j && cid[i] == cid[j] && cnt[cid[i]] >= st->min_size)
                w[i * n + j] = 1.0 / (double)(cnt[cid[i]] - 1);
    if (!rc)
        rc = set_matrix(st, n, w, err);
    free(cid);
    free(cnt);
    free(w);
    return rc;
}

static int infer(ssr_state *st, ezc_array **inp, int axis, ezc_array **out, const ezc_xp *xp,
                 ezc_error *err)
{
    int64_t n = (*inp)->shape[axis];
    int rc = 0;
    if (st->n && st->w && n != st->n)
        return ezc_error_set(err, EZC_ESHAPE,
                             "ssr: port 'signal': dim '%s' has length %lld, the model has %lld "
                             "channels",
                             st->axis, (long long)n, (long long)st->n);
    if (!ezc_dtype_is_float((*inp)->dtype) && (rc = ezc_tf_writable_float("ssr", inp, 0, xp, err)))
        return rc;
    if (!st->w && !st->car) { /* identity until a model arrives */
        if (st->nids && (int64_t)st->nids != n)
            return ezc_error_set(err, EZC_ESHAPE,
                                 "ssr: setting 'clusters' has %zu ids but dim '%s' has length "
                                 "%lld",
                                 st->nids, st->axis, (long long)n);
        *out = *inp;
        *inp = NULL;
        return 0;
    }
    if (!st->w && st->m_n != n && (rc = initial_car(st, n, err)))
        return rc;
    return ezc_matrix_axis_apply(&st->m, "ssr", *inp, axis, out, xp, err);
}

static int ssr_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    ssr_state *st = state;
    int axis, rc = ezc_tf_axis("ssr", in, st->axis, &axis, err);
    *out = NULL;
    if (!rc)
        rc = port == 1 ? train(st, in, axis, xp, err) : infer(st, &in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_ssr_type = {
    .name = "ssr",
    .summary = "LRR re-referencing: subtract each channel's ridge prediction from its cluster "
               "(train on port 'train')",
    .settings = ssr_settings,
    .inputs = ssr_ports,
    .init = ssr_init,
    .process = ssr_process,
    .fini = ssr_fini,
};
