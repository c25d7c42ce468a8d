/* aggregation.c — reductions shared by aggregate and ranged_aggregate. */
#include "aggregation.h"
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    ezc_reduce_op op;
} ops[] = {
    {"mean", EZC_REDUCE_MEAN},
    {"sum", EZC_REDUCE_SUM},
    {"min", EZC_REDUCE_MIN},
    {"max", EZC_REDUCE_MAX},
    {"std", EZC_REDUCE_STD},
    {"var", EZC_REDUCE_VAR},
    {"median", EZC_REDUCE_MEDIAN},
    {"prod", EZC_REDUCE_PROD},
    {"argmin", EZC_REDUCE_ARGMIN},
    {"argmax", EZC_REDUCE_ARGMAX},
    {"nanmean", EZC_REDUCE_NANMEAN},
    {"nansum", EZC_REDUCE_NANSUM},
    {"nanmin", EZC_REDUCE_NANMIN},
    {"nanmax", EZC_REDUCE_NANMAX},
    {"nanstd", EZC_REDUCE_NANSTD},
    {"nanvar", EZC_REDUCE_NANVAR},
    {"nanmedian", EZC_REDUCE_NANMEDIAN},
    {"nanargmin", EZC_REDUCE_NANARGMIN},
    {"nanargmax", EZC_REDUCE_NANARGMAX},
};

const char ezc_agg_choices[] = "mean|sum|min|max|std|var|median|prod|argmin|argmax|nanmean|"
                               "nansum|nanmin|nanmax|nanstd|nanvar|nanmedian|nanargmin|"
                               "nanargmax|trapezoid";

int ezc_agg_parse(const char *tf, const char *name, ezc_agg_op *op, ezc_error *err)
{
    memset(op, 0, sizeof *op);
    op->name = name;
    if (strcmp(name, "trapezoid") == 0) {
        op->trapezoid = 1;
        op->op = EZC_REDUCE_SUM;
        return 0;
    }
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(ops[i].name, name) == 0) {
            op->op = ops[i].op;
            return 0;
        }
    return ezc_error_set(err, EZC_EINVAL, "%s: setting 'operation' = '%s': expected one of %s", tf,
                         name, ezc_agg_choices);
}

ezc_dtype ezc_agg_dtype(const ezc_agg_op *op, ezc_dtype t)
{
    if (op->trapezoid)
        return ezc_dtype_is_float(t) ? t : EZC_FLOAT64;
    return ezc_reduce_dtype(op->op, t);
}

int ezc_agg_is_arg(const ezc_agg_op *op)
{
    return !op->trapezoid && (op->op == EZC_REDUCE_ARGMIN || op->op == EZC_REDUCE_ARGMAX ||
                              op->op == EZC_REDUCE_NANARGMIN || op->op == EZC_REDUCE_NANARGMAX);
}

int ezc_agg_run(ezc_agg_op *op, const ezc_array *x, int axis, const double *xvals, ezc_array *y,
                ezc_buffer **tmp, const ezc_xp *xp, ezc_error *err)
{
    if (!op->trapezoid)
        return ezc_xp_call(xp, reduce, err, op->op, x, axis, y);
    if (!ezc_dtype_is_float(x->dtype))
        return ezc_error_set(err, EZC_EDTYPE, "trapezoid needs floating-point data, not %s",
                             ezc_dtype_name(x->dtype));
    /* sum_i w_i x_i with w the trapezoid weights of the coordinate values:
     * half the spacing on either side of each point (numpy.trapz) */
    size_t n = (size_t)x->shape[axis];
    if (n > op->wcap || !op->w) { /* grown once, reused by every later message */
        double *w = realloc(op->w, (n ? n : 1) * sizeof *w);
        if (!w)
            return ezc_error_set(err, EZC_ENOMEM, "out of memory");
        op->w = w;
        op->wcap = n;
    }
    double *w = op->w;
    for (size_t i = 0; i < n; i++)
        w[i] = 0.5 * ((i + 1 < n ? xvals[i + 1] : xvals[i]) - (i ? xvals[i - 1] : xvals[i]));
    ezc_array *wx = ezc_array_new_like_cached(x, x->dtype, 0, NULL, tmp, err);
    int rc = wx ? ezc_xp_call(xp, affine_axis, err, x, wx, axis, w, NULL) : err->code;
    if (!rc)
        rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_SUM, wx, axis, y);
    ezc_array_destroy(&wx);
    return rc;
}

void ezc_agg_free(ezc_agg_op *op)
{
    free(op->w);
    op->w = NULL;
    op->wcap = 0;
}
