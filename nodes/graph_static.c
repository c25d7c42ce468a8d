/* graph_static.c — what is known about each stream before it runs, and the
 * settings that contradict it.
 *
 * Sources declare their stream (fs, dims and their lengths, dtype); that
 * description follows edges in topological order through the transformers
 * whose rule says what their output keeps, and stops where a rule says
 * nothing (or a node has several inputs). Each rule names checks of the
 * node's settings against its input: one row per transformer type in
 * `rules`, each check a small function reused across rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../learn/model_file.h"
#include "graph_internal.h"

typedef struct stream_info {
    int known; /* 0: nothing is known (the rest is unset) */
    double fs; /* samples per second along "time"; 0 unknown */
    int ndims; /* 0: dims unknown */
    char dims[EZC_MAX_DIMS][32];
    int64_t len[EZC_MAX_DIMS]; /* -1: that length is unknown */
    int has_dtype;
    ezc_dtype dtype;
    const char *source; /* the node that declared it, for messages */
} stream_info;

typedef struct static_ctx {
    ezc_graph *g;
    const ezc_graph_node *n;
    const ezc_settings *s; /* validated: defaults filled */
    const stream_info *in;
} static_ctx;

typedef void (*static_check_fn)(const static_ctx *c);
typedef void (*static_out_fn)(const static_ctx *c, stream_info *out);

typedef struct static_rule {
    const char *type;
    static_out_fn out;         /* NULL: nothing is known downstream */
    static_check_fn checks[4]; /* NULL-terminated */
} static_rule;

/* ---- helpers ---- */

static int dim_index(const stream_info *in, const char *name)
{
    for (int i = 0; i < in->ndims; i++)
        if (!strcmp(in->dims[i], name))
            return i;
    return -1;
}

static void dims_text(const stream_info *in, char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < in->ndims && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", in->dims[i]);
    if (used < cap)
        snprintf(buf + used, cap - used, "]");
}

/* The line of setting `name` as written, else the node's settings (a default). */
static int setting_line(const ezc_graph_node *n, const char *name)
{
    for (size_t i = 0; i < n->nsettings; i++)
        if (!strcmp(n->settings[i].name, name))
            return n->settings[i].line;
    return n->settings_line ? n->settings_line : n->line;
}

/* The dim a node works along: its `axis`, else (no axis setting) `def`. */
static const char *axis_of(const static_ctx *c, const char *def)
{
    const char *axis = NULL;
    if (ezc_settings_get_string(c->s, "axis", &axis))
        return def;
    return axis;
}

/* ---- output rules ---- */

/* Element-wise and along-an-axis transformers: same fs, dims, lengths, dtype. */
static void out_same(const static_ctx *c, stream_info *out)
{
    *out = *c->in;
}

/* The same shape, but the values become floating point (which one depends
 * on the input: left unknown). */
static void out_same_float(const static_ctx *c, stream_info *out)
{
    *out = *c->in;
    if (!(out->has_dtype && ezc_dtype_is_float(out->dtype)))
        out->has_dtype = 0;
}

/* Keeps every factor-th sample along its axis: fs / factor when factor is
 * given and the axis is time; the length along the axis is unknown. */
static void out_resampled(const static_ctx *c, stream_info *out)
{
    *out = *c->in;
    const char *axis = axis_of(c, "time");
    int k = dim_index(out, axis);
    if (k >= 0)
        out->len[k] = -1;
    int64_t factor = 0;
    if (!strcmp(axis, "time") && !ezc_settings_get_int(c->s, "factor", &factor) && factor > 0)
        out->fs = out->fs / (double)factor;
    else if (!strcmp(axis, "time"))
        out->fs = 0;
}

/* ---- checks ---- */

/* `axis` names a dim the stream has. */
static void check_axis(const static_ctx *c)
{
    const char *axis = NULL;
    if (!c->in->ndims || ezc_settings_get_string(c->s, "axis", &axis) || !axis)
        return;
    if (dim_index(c->in, axis) >= 0)
        return;
    char dims[EZC_MAX_DIMS * 34 + 4];
    dims_text(c->in, dims, sizeof dims);
    ezc_graph_error_add(c->g, setting_line(c->n, "axis"),
                        "node '%s': %s: setting 'axis' = '%s': the stream from '%s' has no such "
                        "dim (dims: %s)",
                        c->n->name, c->n->type, axis, c->in->source, dims);
}

/* Band edges in Hz below Nyquist: what a filter design refuses at its
 * first message. */
static void check_nyquist(const static_ctx *c)
{
    static const char *const edges[] = {"cuton", "cutoff", NULL};
    if (!(c->in->fs > 0) || strcmp(axis_of(c, "time"), "time"))
        return;
    double nyq = c->in->fs / 2;
    for (int i = 0; edges[i]; i++) {
        double f;
        if (ezc_settings_get_float(c->s, edges[i], &f) || f < nyq)
            continue;
        ezc_graph_error_add(c->g, setting_line(c->n, edges[i]),
                            "node '%s': %s: setting '%s' = %g Hz: must be below Nyquist (%g Hz "
                            "at fs = %g Hz of the stream from '%s')",
                            c->n->name, c->n->type, edges[i], f, nyq, c->in->fs, c->in->source);
    }
}

/* A list setting with one value per index along the axis: its length is
 * the dim's length (one value applies to all). */
static void list_len(const static_ctx *c, const char *name, const char *def_axis, int one_ok)
{
    const double *fv;
    const int64_t *iv;
    size_t n = 0;
    if (ezc_settings_get_floats(c->s, name, &fv, &n) && ezc_settings_get_ints(c->s, name, &iv, &n))
        return;
    if (one_ok && n <= 1)
        return;
    const char *axis = axis_of(c, def_axis);
    int k = axis ? dim_index(c->in, axis) : -1;
    if (k < 0 || c->in->len[k] < 0 || (int64_t)n == c->in->len[k])
        return;
    ezc_graph_error_add(c->g, setting_line(c->n, name),
                        "node '%s': %s: setting '%s' has %zu values, but the stream from '%s' has "
                        "%lld along '%s'%s",
                        c->n->name, c->n->type, name, n, c->in->source, (long long)c->in->len[k],
                        axis, one_ok ? " (give one value, or one per index)" : "");
}

static void check_scale_offset_lists(const static_ctx *c)
{
    list_len(c, "scale", NULL, 1);
    list_len(c, "offset", NULL, 1);
}

static void check_clusters(const static_ctx *c)
{
    list_len(c, "clusters", "ch", 0);
}

/* A learner started from a model file: the model's feature count (the
 * length `dim` of its array `name`) must be the product of the stream's
 * dims other than the sample axis. The file was read once by init already
 * (a node whose init failed is not looked at here). */
static void model_features(const static_ctx *c, const char *name, int dim)
{
    const char *path = NULL, *axis = axis_of(c, "time");
    if (ezc_settings_get_string(c->s, "model", &path) || !path || !c->in->ndims)
        return;
    int64_t shape[EZC_MAX_DIMS];
    int nf = 0;
    for (int i = 0; i < c->in->ndims; i++) {
        if (!strcmp(c->in->dims[i], axis))
            continue;
        if (c->in->len[i] < 0)
            return; /* a length is unknown */
        shape[nf++] = c->in->len[i];
    }
    size_t features;
    ezc_error err;
    if (nf == c->in->ndims || ezc_shape_count(nf, shape, "stream", &features, &err))
        return;
    ezc_model *m = NULL;
    if (ezc_model_load(path, &m, &err))
        return;
    const ezc_model_array *a = ezc_model_get(m, NULL, name, 2, (const int64_t[2]){-1, -1}, &err);
    if (a && a->shape[dim] != (int64_t)features)
        ezc_graph_error_add(c->g, setting_line(c->n, "model"),
                            "node '%s': %s: setting 'model' = %s: the model takes %lld features, "
                            "but the stream from '%s' has %zu per sample (dims other than '%s')",
                            c->n->name, c->n->type, path, (long long)a->shape[dim], c->in->source,
                            features, axis);
    ezc_model_destroy(&m);
}

static void check_lda_model(const static_ctx *c)
{
    model_features(c, "coef", 1);
}
static void check_kalman_model(const static_ctx *c)
{
    model_features(c, "H", 0);
}

/* One row per transformer type whose stream is known to carry on. */
static const static_rule rules[] = {
    {"abs", out_same, {NULL}},
    {"add", out_same, {NULL}},
    {"clip", out_same, {NULL}},
    {"difference", out_same, {NULL}},
    {"invert", out_same_float, {NULL}},
    {"log", out_same_float, {NULL}},
    {"pow", out_same_float, {NULL}},
    {"scale", out_same_float, {NULL}},
    {"to_device", out_same, {NULL}},
    {"linear", out_same_float, {check_axis, check_scale_offset_lists, NULL}},
    {"butterworth", out_same_float, {check_axis, check_nyquist, NULL}},
    {"filter", out_same_float, {check_axis, NULL}},
    {"ewma", out_same_float, {check_axis, NULL}},
    {"diff", out_same, {check_axis, NULL}},
    {"common_rereference", out_same_float, {check_axis, check_clusters, NULL}},
    {"adaptive_standard_scaler", out_same_float, {check_axis, NULL}},
    {"decimate", out_resampled, {check_axis, NULL}},
    {"downsample", out_resampled, {check_axis, NULL}},
    {"cheby", out_same_float, {check_axis, NULL}},
    {"firfilter", out_same_float, {check_axis, NULL}},
    {"kaiser", out_same_float, {check_axis, NULL}},
    {"fir_pmc", out_same_float, {check_axis, check_nyquist, NULL}},
    {"combfilter", out_same_float, {check_axis, NULL}},
    {"gaussiansmoothing", out_same_float, {check_axis, NULL}},
    {"detrend", out_same_float, {check_axis, NULL}},
    {"rollingscaler", out_same_float, {check_axis, NULL}},
    {"adaptive_lattice_notch", out_same_float, {check_axis, NULL}},
    {"adaptive_lnc", out_same_float, {check_axis, NULL}},
    {"denormalize", out_same_float, {check_axis, NULL}},
    {"activation", out_same_float, {NULL}},
    {"signalinjector", out_same_float, {NULL}},
    /* Reshaping transformers: their axis is checked, what follows is unknown. */
    {"aggregate", NULL, {check_axis, NULL}},
    {"bandpower", NULL, {check_axis, NULL}},
    {"spectrogram", NULL, {check_axis, NULL}},
    {"spectrum", NULL, {check_axis, NULL}},
    {"slicer", NULL, {check_axis, NULL}},
    {"ranged_aggregate", NULL, {check_axis, NULL}},
    {"coordinate_spaces", NULL, {check_axis, NULL}},
    {"affine", NULL, {check_axis, NULL}},
    {"window", NULL, {check_axis, NULL}},
    {"fir_hilbert", NULL, {check_axis, NULL}},
    {"butterworthzerophase", NULL, {check_axis, check_nyquist, NULL}},
    {"resample", NULL, {check_axis, NULL}},
    {"singlebandpow", NULL, {check_axis, check_nyquist, NULL}},
    {"binned_aggregate", NULL, {check_axis, NULL}},
    {"filterbank", NULL, {check_axis, NULL}},
    {"filterbankdesign", NULL, {check_axis, NULL}},
    {"cwt", NULL, {check_axis, NULL}},
    {"extract_axis", NULL, {check_axis, NULL}},
    {"kalman", NULL, {check_axis, check_kalman_model, NULL}},
    {"lda", NULL, {check_axis, check_lda_model, NULL}},
    {"cca", NULL, {check_axis, NULL}},
    {NULL, NULL, {NULL}},
};

static const static_rule *rule_for(const char *type)
{
    for (const static_rule *r = rules; r->type; r++)
        if (!strcmp(r->type, type))
            return r;
    return NULL;
}

/* ---- sources ---- */

static void source_info(const ezc_graph_node *n, const ezc_settings *s, stream_info *out)
{
    memset(out, 0, sizeof *out);
    double fs = 0;
    int64_t channels = 0, chunk = 0;
    const char *dtype = NULL;
    /* A source declares its stream by these settings (the synthetic ones);
     * one without them (subscribe: an outside stream) declares nothing. */
    if (!n->kind || ezc_settings_get_float(s, "fs", &fs) ||
        ezc_settings_get_int(s, "channels", &channels) ||
        ezc_settings_get_int(s, "chunk", &chunk) || ezc_settings_get_string(s, "dtype", &dtype))
        return;
    out->known = 1;
    out->fs = fs;
    out->ndims = 2; /* synth.c: [time, ch] */
    snprintf(out->dims[0], sizeof out->dims[0], "time");
    snprintf(out->dims[1], sizeof out->dims[1], "ch");
    out->len[0] = chunk;
    out->len[1] = channels;
    out->dtype = ezc_dtype_from_name(dtype, (size_t)-1);
    out->has_dtype = 1;
    out->source = n->name;
}

/* ---- the walk ---- */

static ezc_settings *full_settings(ezc_graph *g, const ezc_graph_node *n)
{
    ezc_error err;
    ezc_settings *s = ezc_graph_node_settings(g, n, &err);
    if (s && ezc_settings_validate(s, ezc_graph_node_schema(n), n->type, &err))
        ezc_settings_destroy(&s);
    return s;
}

static void visit_node(ezc_graph *g, size_t i, const stream_info *in, stream_info *out)
{
    const ezc_graph_node *n = &g->nodes[i];
    memset(out, 0, sizeof *out);
    ezc_settings *s = full_settings(g, n);
    if (!s)
        return;
    if (n->role == EZC_ROLE_SOURCE) {
        source_info(n, s, out);
    } else if (n->role == EZC_ROLE_TRANSFORMER && in->known) {
        const static_rule *r = rule_for(n->type);
        static_ctx c = {g, n, s, in};
        for (int k = 0; r && r->checks[k]; k++)
            r->checks[k](&c);
        if (r && r->out)
            r->out(&c, out);
    }
    ezc_settings_destroy(&s);
}

/* A data edge between two nodes (an in-band settings edge carries no data
 * the node's stream checks are about). */
static int edge_usable(const ezc_graph_edge *e)
{
    return e->from >= 0 && e->to >= 0 && e->to_port_index >= 0 &&
           e->to_port_index != EZC_GRAPH_SETTINGS_PORT;
}

void ezc_graph_static_check(ezc_graph *g, const unsigned char *ok)
{
    size_t nn = g->nnodes;
    stream_info *info = calloc(nn + 1, sizeof *info);
    size_t *indeg = calloc(nn + 1, sizeof *indeg), *order = calloc(nn + 1, sizeof *order);
    size_t *first = calloc(nn + 2, sizeof *first), *outs = calloc(g->nedges + 1, sizeof *outs);
    int *feeder = calloc(nn + 1, sizeof *feeder); /* the one upstream node, or -1 */
    if (!info || !indeg || !order || !first || !outs || !feeder)
        goto done;
    for (size_t i = 0; i < nn; i++)
        feeder[i] = -2; /* none yet */
    /* Out-edges per node, grouped (first[u] .. first[u + 1]), so the walk is linear. */
    for (size_t e = 0; e < g->nedges; e++) {
        const ezc_graph_edge *ed = &g->edges[e];
        if (!edge_usable(ed))
            continue;
        indeg[ed->to]++;
        feeder[ed->to] = feeder[ed->to] == -2 ? ed->from : -1;
        first[ed->from + 1]++;
    }
    for (size_t i = 0; i < nn; i++)
        first[i + 1] += first[i];
    size_t *fill = order; /* borrowed: next free slot per node */
    memcpy(fill, first, nn * sizeof *fill);
    for (size_t e = 0; e < g->nedges; e++)
        if (edge_usable(&g->edges[e]))
            outs[fill[g->edges[e].from]++] = (size_t)g->edges[e].to;
    for (size_t k = 0; k < g->ninputs; k++)
        if (g->inputs[k].node >= 0)
            feeder[g->inputs[k].node] = -1; /* an outside stream joins there */
    /* Kahn's order; nodes on a cycle never come up and stay unknown. */
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < nn; i++)
        if (!indeg[i])
            order[tail++] = i;
    while (head < tail) {
        size_t u = order[head++];
        const stream_info none = {0};
        const stream_info *in = feeder[u] >= 0 ? &info[feeder[u]] : &none;
        if (ok[u])
            visit_node(g, u, in, &info[u]);
        for (size_t k = first[u]; k < first[u + 1]; k++)
            if (!--indeg[outs[k]])
                order[tail++] = outs[k];
    }
done:
    free(info);
    free(indeg);
    free(order);
    free(first);
    free(outs);
    free(feeder);
}
