/* common_rereference.c — subtracts a common reference per channel cluster
 * (ezmsg-sigproc's CommonRereference). mode "mean": x_i - mean of the
 * cluster (include_current) or of the cluster's other channels; it is
 * linear, so it runs as one matrix along the dim (xp.matmul). mode "median":
 * x_i - median of the cluster, computed per cluster (xp.reduce), and only
 * with include_current (the leave-one-out median is refused at settings
 * time rather than done slowly). `clusters` gives a cluster id per channel;
 * absent, all channels form one cluster. */
#include <stdlib.h>
#include <string.h>
#include "matrix_axis.h"
#include "tf_util.h"

typedef struct car_state {
    const char *axis;
    int median, include_current;
    const int64_t *ids; /* cluster id per channel, owned by the settings */
    size_t nids;
    int64_t n_now;     /* channel count the plan is for */
    ezc_matrix_axis m; /* mean mode */
    /* median mode: per cluster, its channel indices */
    size_t nclusters;
    int64_t **members, *nmembers, *order, *inverse, *zeros;
    ezc_buffer **take, **red, **wide, *joined, *out;
} car_state;

static const ezc_setting_spec car_settings[] = {
    {"mode", EZC_SETTING_STRING, "mean", "reference statistic", 0, "mean|median"},
    {"axis", EZC_SETTING_STRING, "ch", "channel dim", 0, NULL},
    {"include_current", EZC_SETTING_BOOL, "true", "the channel itself takes part in its reference",
     0, NULL},
    {"clusters", EZC_SETTING_INTS, NULL, "cluster id per channel (default: one cluster)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void car_plan_free(car_state *st)
{
    for (size_t c = 0; c < st->nclusters; c++) {
        free(st->members[c]);
        ezc_buffer_unref(&st->take[c]);
        ezc_buffer_unref(&st->red[c]);
        ezc_buffer_unref(&st->wide[c]);
    }
    free(st->members);
    free(st->nmembers);
    free(st->order);
    free(st->inverse);
    free(st->zeros);
    free(st->take);
    free(st->red);
    free(st->wide);
    st->members = NULL;
    st->nmembers = st->order = st->inverse = st->zeros = NULL;
    st->take = st->red = st->wide = NULL;
    st->nclusters = 0;
}

static void car_fini(void *state)
{
    car_state *st = state;
    if (!st)
        return;
    car_plan_free(st);
    ezc_matrix_axis_clear(&st->m);
    ezc_buffer_unref(&st->joined);
    ezc_buffer_unref(&st->out);
    free(st);
}

static int car_init(void **state, const ezc_settings *s, ezc_error *err)
{
    car_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "common_rereference: out of memory");
    const char *mode = "mean";
    ezc_settings_get_string(s, "mode", &mode);
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_bool(s, "include_current", &st->include_current);
    ezc_settings_get_ints(s, "clusters", &st->ids, &st->nids);
    st->median = strcmp(mode, "median") == 0;
    st->n_now = -1;
    if (st->median && !st->include_current) {
        car_fini(st);
        return ezc_error_set(err, EZC_EINVAL,
                             "common_rereference: mode 'median' needs "
                             "include_current = true (a leave-one-out median is not offered)");
    }
    *state = st;
    return 0;
}

/* Cluster membership for n channels: st->members etc. */
static int car_plan(car_state *st, int64_t n, ezc_error *err)
{
    car_plan_free(st);
    ezc_matrix_axis_set(&st->m, 0, 0, NULL, NULL);
    if (st->nids && (int64_t)st->nids != n)
        return ezc_error_set(err, EZC_ESHAPE,
                             "common_rereference: setting 'clusters' has %zu "
                             "ids but the channel dim has length %lld",
                             st->nids, (long long)n);
    int64_t *cid = malloc((size_t)(n ? n : 1) * sizeof *cid); /* dense cluster index */
    int64_t *seen = malloc((size_t)(n ? n : 1) * sizeof *seen);
    size_t nc = 0;
    if (!cid || !seen) {
        free(cid);
        free(seen);
        return ezc_error_set(err, EZC_ENOMEM, "common_rereference: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t id = st->nids ? st->ids[i] : 0;
        size_t c = 0;
        while (c < nc && seen[c] != id)
            c++;
        if (c == nc)
            seen[nc++] = id;
        cid[i] = (int64_t)c;
    }
    free(seen);
    st->nclusters = nc;
    st->members = calloc(nc ? nc : 1, sizeof *st->members);
    st->nmembers = calloc(nc ? nc : 1, sizeof *st->nmembers);
    st->order = malloc((size_t)(n ? n : 1) * sizeof *st->order);
    st->inverse = malloc((size_t)(n ? n : 1) * sizeof *st->inverse);
    st->zeros = calloc((size_t)(n ? n : 1), sizeof *st->zeros);
    st->take = calloc(nc ? nc : 1, sizeof *st->take);
    st->red = calloc(nc ? nc : 1, sizeof *st->red);
    st->wide = calloc(nc ? nc : 1, sizeof *st->wide);
    int rc = 0;
    if (!st->members || !st->nmembers || !st->order || !st->inverse || !st->zeros || !st->take ||
        !st->red || !st->wide)
        rc = ezc_error_set(err, EZC_ENOMEM, "common_rereference: out of memory");
    for (size_t c = 0; !rc && c < nc; c++) {
        if (!(st->members[c] = malloc((size_t)n * sizeof **st->members)))
            rc = ezc_error_set(err, EZC_ENOMEM, "common_rereference: out of memory");
        for (int64_t i = 0; !rc && i < n; i++)
            if (cid[i] == (int64_t)c)
                st->members[c][st->nmembers[c]++] = i;
    }
    /* channels grouped by cluster (order) and back (inverse) */
    size_t at = 0;
    for (size_t c = 0; !rc && c < nc; c++)
        for (int64_t j = 0; j < st->nmembers[c]; j++) {
            st->inverse[st->members[c][j]] = (int64_t)at;
            st->order[at++] = st->members[c][j];
        }
    if (!rc && !st->median) { /* the mean reference as a matrix: I - averaging */
        double *w = calloc(n > 0 ? (size_t)(n * n) : 1, sizeof *w);
        if (!w)
            rc = ezc_error_set(err, EZC_ENOMEM, "common_rereference: out of memory");
        for (int64_t i = 0; !rc && i < n; i++) {
            int64_t k = st->nmembers[cid[i]] - (st->include_current ? 0 : 1);
            for (int64_t j = 0; j < n; j++) {
                /* column i of W gives output channel i */
                double a = 0;
                if (cid[j] == cid[i] && k > 0 && (st->include_current || j != i))
                    a = 1.0 / (double)k;
                w[j * n + i] = (j == i ? 1.0 : 0.0) - a;
            }
        }
        if (!rc)
            ezc_matrix_axis_set(&st->m, n, n, w, NULL);
    }
    free(cid);
    if (!rc)
        st->n_now = n;
    return rc;
}

static int car_median(car_state *st, const ezc_array *x, int axis, ezc_array **out,
                      const ezc_xp *xp, ezc_error *err)
{
    ezc_array *parts[256], **part = parts, *joined = NULL;
    size_t made = 0;
    int rc = 0;
    if (st->nclusters > 256 && !(part = calloc(st->nclusters, sizeof *part)))
        return ezc_error_set(err, EZC_ENOMEM, "common_rereference: out of memory");
    for (size_t c = 0; !rc && c < st->nclusters; c++) {
        int64_t k = st->nmembers[c];
        ezc_array *xc =
            ezc_array_take_cached(x, axis, st->members[c], (size_t)k, &st->take[c], err);
        int64_t shape[EZC_MAX_DIMS];
        for (int i = 0; i < ezc_array_ndim(x); i++)
            shape[i] = i == axis ? 1 : x->shape[i];
        ezc_array *med =
            xc ? ezc_array_new_like_cached(xc, x->dtype, ezc_array_ndim(x), shape, &st->red[c], err)
               : NULL;
        rc = med ? ezc_xp_call(xp, reduce, err, EZC_REDUCE_MEDIAN, xc, axis, med) : err->code;
        /* the median repeated across the cluster, then subtracted */
        ezc_array *wide =
            rc ? NULL : ezc_array_take_cached(med, axis, st->zeros, (size_t)k, &st->wide[c], err);
        if (!rc && !wide)
            rc = err->code;
        if (!rc) /* into `wide`, which is this cluster's own buffer */
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, xc, wide, wide);
        ezc_array_destroy(&xc);
        ezc_array_destroy(&med);
        if (rc)
            ezc_array_destroy(&wide);
        else
            part[made++] = wide;
    }
    if (!rc) {
        joined = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->joined, err);
        rc = joined
                 ? ezc_xp_call(xp, concat, err, (const ezc_array *const *)part, made, axis, joined)
                 : err->code;
    }
    for (size_t c = 0; c < made; c++)
        ezc_array_destroy(&part[c]);
    if (part != parts)
        free(part);
    /* back to the channels' own order (and their coordinates) */
    if (!rc && !(*out = ezc_array_take_cached(joined, axis, st->inverse, (size_t)x->shape[axis],
                                              &st->out, err)))
        rc = err->code;
    if (!rc)
        for (int i = 0; i < ezc_array_ndim(x); i++) { /* the input's axes, untouched */
            ezc_array_clear_axis(*out, i);
            (*out)->axes[i] = x->axes[i];
            ezc_coords_ref((*out)->axes[i].coords);
        }
    ezc_array_destroy(&joined);
    return rc;
}

static int car_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    car_state *st = state;
    (void)port;
    int axis, rc = ezc_tf_axis("common_rereference", in, st->axis, &axis, err);
    if (!rc && !ezc_dtype_is_float(in->dtype))
        rc = ezc_tf_writable_float("common_rereference", &in, 0, xp, err);
    if (!rc && in->shape[axis] != st->n_now)
        rc = car_plan(st, in->shape[axis], err);
    if (!rc && st->median)
        rc = car_median(st, in, axis, out, xp, err);
    else if (!rc) /* a square matrix: the channel coordinates stay */
        rc = ezc_matrix_axis_apply(&st->m, "common_rereference", in, axis, out, xp, err);
    if (rc)
        st->n_now = -1; /* rebuild the plan next time */
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_common_rereference_type = {
    .name = "common_rereference",
    .summary = "subtract the mean or median of each channel cluster",
    .settings = car_settings,
    .init = car_init,
    .process = car_process,
    .fini = car_fini,
};
