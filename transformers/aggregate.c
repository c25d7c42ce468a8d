/* aggregate.c — reduces a whole axis and removes it (ezmsg-sigproc's
 * AggregateTransformer): mean, sum, min, max, std, var, median, prod,
 * argmin/argmax (indices), their nan- forms, and trapezoid (integral over
 * the axis' values: linear gain/offset or numeric coordinates). */
#include <stdlib.h>
#include "aggregation.h"
#include "tf_util.h"

typedef struct aggregate_state {
    const char *axis;
    ezc_agg_op op;
    ezc_buffer *cache, *tmp;
    double *xvals;
    size_t nxvals;
} aggregate_state;

static const ezc_setting_spec aggregate_settings[] = {
    {"axis", EZC_SETTING_STRING, NULL, "dim to reduce (removed from the output)", 1, NULL},
    {"operation", EZC_SETTING_STRING, "mean", "reduction", 0, ezc_agg_choices},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void aggregate_fini(void *state)
{
    aggregate_state *st = state;
    if (!st)
        return;
    ezc_buffer_unref(&st->cache);
    ezc_agg_free(&st->op);
    ezc_buffer_unref(&st->tmp);
    free(st->xvals);
    free(st);
}

static int aggregate_init(void **state, const ezc_settings *s, ezc_error *err)
{
    aggregate_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "aggregate: out of memory");
    const char *op = "mean";
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "operation", &op);
    int rc = ezc_agg_parse("aggregate", op, &st->op, err);
    if (rc) {
        aggregate_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int aggregate_process(void *state, int port, ezc_array *in, ezc_array **out,
                             const ezc_xp *xp, ezc_error *err)
{
    aggregate_state *st = state;
    (void)port;
    int axis, rc = ezc_tf_axis("aggregate", in, st->axis, &axis, err);
    if (!rc && st->op.trapezoid && !ezc_dtype_is_float(in->dtype))
        rc = ezc_tf_writable_float("aggregate", &in, 0, xp, err);
    if (!rc && st->op.trapezoid)
        rc = ezc_tf_axis_values("aggregate", in, axis, &st->xvals, &st->nxvals, NULL, err);
    ezc_array *y = NULL;
    if (!rc) {
        int64_t shape[EZC_MAX_DIMS];
        for (int i = 0; i < ezc_array_ndim(in); i++)
            shape[i] = i == axis ? 1 : in->shape[i];
        y = ezc_array_new_like_cached(in, ezc_agg_dtype(&st->op, in->dtype), ezc_array_ndim(in),
                                      shape, &st->cache, err);
        rc = y ? ezc_agg_run(&st->op, in, axis, st->xvals, y, &st->tmp, xp, err) : err->code;
    }
    if (!rc)
        rc = ezc_array_squeeze(y, axis, err);
    if (rc)
        ezc_array_destroy(&y);
    ezc_array_destroy(&in);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_aggregate_type = {
    .name = "aggregate",
    .summary = "reduce a whole axis (mean, median, argmax, ...) and remove it",
    .settings = aggregate_settings,
    .init = aggregate_init,
    .process = aggregate_process,
    .fini = aggregate_fini,
};
