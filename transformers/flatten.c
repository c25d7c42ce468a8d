/* flatten.c — collapses every dim but one into a single axis (ezmsg-sigproc's
 * Flatten): (time, ch, feature) -> (time, ch_x_feature), C order, so output
 * index k along the merged axis is data[:, i, j] with k = i * nfeat + j.
 * Dims are first put in the order (preserve, flatten..., rest...) — a
 * permute when they are not in it, nothing otherwise: then the output is a
 * new header over the same buffer. The merged axis gets labels joined from
 * each source axis' labels (numbers as the shortest text that reads back,
 * 1-based positions where an axis has no coordinates), built once per
 * stream template. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef struct flatten_state {
    const char *preserve, *sample, *output, *sep;
    const char *const *flat;
    size_t nflat; /* given flatten_axes (0 with flat NULL: all others) */
    ezc_template tpl;
    ezc_coords *labels; /* the merged axis' labels for the current template */
    ezc_buffer *cache;
} flatten_state;

static const ezc_setting_spec flatten_settings[] = {
    {"preserve_axis", EZC_SETTING_STRING, NULL, "dim kept as the first one (absent: the first dim)",
     0, NULL},
    {"sample_axis", EZC_SETTING_STRING, NULL, "new name of the kept dim (absent: unchanged)", 0,
     NULL},
    {"flatten_axes", EZC_SETTING_STRINGS, NULL,
     "dims to merge, slowest first (absent: all others, in order)", 0, NULL},
    {"output_axis", EZC_SETTING_STRING, "ch", "name of the merged dim", 0, NULL},
    {"label_separator", EZC_SETTING_STRING, "/", "joins the source labels of a merged entry", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void flatten_fini(void *state)
{
    flatten_state *st = state;
    if (!st)
        return;
    ezc_coords_unref(&st->labels);
    ezc_buffer_unref(&st->cache);
    free(st);
}

static int flatten_init(void **state, const ezc_settings *s, ezc_error *err)
{
    flatten_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "flatten: out of memory");
    st->output = "ch";
    st->sep = "/";
    ezc_settings_get_string(s, "preserve_axis", &st->preserve);
    ezc_settings_get_string(s, "sample_axis", &st->sample);
    ezc_settings_get_string(s, "output_axis", &st->output);
    ezc_settings_get_string(s, "label_separator", &st->sep);
    ezc_settings_get_strings(s, "flatten_axes", &st->flat, &st->nflat);
    int rc = 0;
    const char *kept = st->sample ? st->sample : st->preserve;
    if (!*st->output || strlen(st->output) >= EZC_NAME_MAX)
        rc = ezc_error_set(err, EZC_EINVAL, "flatten: setting 'output_axis' = '%s': not a dim name",
                           st->output);
    else if (kept && !strcmp(kept, st->output))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "flatten: setting 'output_axis' = '%s': the kept dim has that name too",
                           st->output);
    for (size_t i = 0; !rc && i < st->nflat; i++) {
        if (st->preserve && !strcmp(st->flat[i], st->preserve))
            rc = ezc_error_set(err, EZC_EINVAL,
                               "flatten: setting 'flatten_axes' names '%s', the preserve_axis",
                               st->flat[i]);
        for (size_t j = 0; !rc && j < i; j++)
            if (!strcmp(st->flat[i], st->flat[j]))
                rc = ezc_error_set(err, EZC_EINVAL,
                                   "flatten: setting 'flatten_axes' names '%s' twice", st->flat[i]);
    }
    if (rc) {
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* v as Python's str(float): the shortest digits that read back, fixed
 * notation for exponents -4 to 15 (with ".0" when integral), else
 * scientific. */
static void number_text(double v, char *buf, size_t n)
{
    char e[40];
    int p = 1;
    for (; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    int ex = atoi(strchr(e, 'e') + 1);
    if (ex < -4 || ex >= 16) {
        snprintf(buf, n, "%s", e);
        return;
    }
    snprintf(buf, n, "%.*f", p - 1 - ex > 0 ? p - 1 - ex : 0, v);
    size_t len = strlen(buf);
    if (!strchr(buf, '.') && len + 3 <= n)
        snprintf(buf + len, n - len, ".0");
}

/* The text of entry i of axis ax: its label, its number, or i + 1. */
static void entry_text(const ezc_axis *ax, size_t i, char *buf, size_t n)
{
    if (ax->kind == EZC_AXIS_COORD && ax->coords && ax->coords->labels) {
        snprintf(buf, n, "%s", ax->coords->labels[i]);
    } else if (ax->kind == EZC_AXIS_COORD && ax->coords && ax->coords->values) {
        number_text(ax->coords->values[i], buf, n);
    } else {
        snprintf(buf, n, "%zu", i + 1);
    }
}

/* Labels of the merged axis: the cartesian product of the source entries,
 * slowest first, joined by sep. */
static int build_labels(flatten_state *st, const ezc_array *a, const int *src, int nsrc,
                        size_t total, ezc_error *err)
{
    size_t seplen = strlen(st->sep), width = 1;
    for (int k = 0; k < nsrc; k++)
        width += 64 + seplen;
    char **labels = calloc(total, sizeof *labels);
    char *text = malloc(total * width);
    int rc = 0;
    if (!labels || !text) {
        rc = ezc_error_set(err, EZC_ENOMEM, "flatten: out of memory for %zu labels", total);
        goto done;
    }
    for (size_t k = 0; k < total; k++) {
        char *p = text + k * width;
        size_t rem = k, at = 0, idx[EZC_MAX_DIMS];
        for (int d = nsrc - 1; d >= 0; d--) {
            size_t len = (size_t)a->shape[src[d]];
            idx[d] = rem % len;
            rem /= len;
        }
        p[0] = 0;
        for (int d = 0; d < nsrc; d++) {
            char one[64];
            entry_text(&a->axes[src[d]], idx[d], one, sizeof one);
            at += (size_t)snprintf(p + at, width - at, "%s%s", d ? st->sep : "", one);
        }
        labels[k] = p;
    }
    ezc_coords_unref(&st->labels);
    st->labels = ezc_coords_new(total, NULL, (const char *const *)labels, err);
    if (!st->labels)
        rc = err->code;
done:
    free(labels);
    free(text);
    return rc;
}

static int flatten_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    flatten_state *st = state;
    (void)port;
    (void)xp;
    *out = NULL;
    int nd = ezc_array_ndim(in), p = 0, rc = 0, nsrc = 0, nrest = 0;
    int src[EZC_MAX_DIMS], rest[EZC_MAX_DIMS], perm[EZC_MAX_DIMS];
    ezc_array *x = NULL, *y = NULL;
    char dims[EZC_DIMS_STR_MAX];
    if (nd == 0) {
        rc = ezc_error_set(err, EZC_ESHAPE, "flatten: a 0-d message has no dim to keep");
        goto done;
    }
    if (st->preserve && (rc = ezc_tf_axis("flatten", in, st->preserve, &p, err))) {
        snprintf(err->msg, sizeof err->msg,
                 "flatten: setting 'preserve_axis' = '%s': the message has no such dim (dims: %s)",
                 st->preserve, ezc_array_dims_str(in, dims, sizeof dims));
        goto done;
    }
    if (st->flat) {
        for (size_t i = 0; i < st->nflat; i++) {
            int d = ezc_array_axis_index(in, st->flat[i]);
            if (d < 0 || d == p) {
                rc = ezc_error_set(err, d < 0 ? EZC_ENOTFOUND : EZC_EINVAL,
                                   "flatten: setting 'flatten_axes' names '%s': %s (dims: %s)",
                                   st->flat[i],
                                   d < 0 ? "the message has no such dim" : "the preserved dim",
                                   ezc_array_dims_str(in, dims, sizeof dims));
                goto done;
            }
            src[nsrc++] = d;
        }
        for (int d = 0; d < nd; d++) {
            int listed = d == p;
            for (int k = 0; k < nsrc; k++)
                listed |= src[k] == d;
            if (!listed)
                rest[nrest++] = d;
        }
    } else {
        for (int d = 0; d < nd; d++)
            if (d != p)
                src[nsrc++] = d;
    }
    const char *kept = st->sample ? st->sample : in->dims[p];
    if (!strcmp(kept, st->output)) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "flatten: setting 'output_axis' = '%s': the kept dim has that name too",
                           st->output);
        goto done;
    }
    for (int k = 0; k < nrest; k++)
        if (!strcmp(in->dims[rest[k]], st->output) || !strcmp(in->dims[rest[k]], kept)) {
            rc = ezc_error_set(err, EZC_EINVAL,
                               "flatten: dim '%s' stays and clashes with the output's names",
                               in->dims[rest[k]]);
            goto done;
        }
    /* the order (preserve, flatten..., rest...) */
    int identity = 1;
    perm[0] = p;
    for (int k = 0; k < nsrc; k++)
        perm[1 + k] = src[k];
    for (int k = 0; k < nrest; k++)
        perm[1 + nsrc + k] = rest[k];
    for (int d = 0; d < nd; d++)
        identity &= perm[d] == d;
    size_t total = 1;
    for (int k = 0; k < nsrc; k++)
        total *= (size_t)in->shape[src[k]];
    if (ezc_template_changed(&st->tpl, in, p))
        ezc_coords_unref(&st->labels);
    /* labels only for a message with data: a hostile [0, 2^40] gets none */
    if (!st->labels && ezc_array_size(in) > 0 &&
        (rc = build_labels(st, in, src, nsrc, total, err))) {
        st->tpl.valid = 0;
        goto done;
    }
    x = identity ? ezc_array_clone(in, err) : ezc_array_permute_cached(in, perm, &st->cache, err);
    if (!x) {
        rc = err->code;
        goto done;
    }
    int ond = 2 + nrest;
    int64_t shape[EZC_MAX_DIMS];
    const char *odims[EZC_MAX_DIMS];
    shape[0] = in->shape[p];
    odims[0] = kept;
    shape[1] = (int64_t)total;
    odims[1] = st->output;
    for (int k = 0; k < nrest; k++) {
        shape[2 + k] = in->shape[rest[k]];
        odims[2 + k] = in->dims[rest[k]];
    }
    y = ezc_array_from_buffer(x->buf, x->tensor.byte_offset, x->dtype, ond, shape, odims, err);
    if (!y || (rc = ezc_array_set_key(y, in->key, err))) {
        rc = y ? rc : err->code;
        goto done;
    }
    y->axes[0] = in->axes[p];
    ezc_coords_ref(y->axes[0].coords);
    if (st->labels && total == st->labels->n) {
        y->axes[1].kind = EZC_AXIS_COORD;
        y->axes[1].coords = ezc_coords_ref(st->labels);
    }
    for (int k = 0; k < nrest; k++) {
        y->axes[2 + k] = in->axes[rest[k]];
        ezc_coords_ref(y->axes[2 + k].coords);
    }
    y->attrs = ezc_attrs_ref(in->attrs);
    y->src = in->src;
    y->seq = in->seq;
    y->ts_ns = in->ts_ns;
done:
    ezc_array_destroy(&in);
    ezc_array_destroy(&x);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_flatten_type = {
    .name = "flatten",
    .summary = "merge all dims but one into a single labelled axis (C order)",
    .settings = flatten_settings,
    .init = flatten_init,
    .process = flatten_process,
    .fini = flatten_fini,
};
