/* aggregation.h — the reductions aggregate and ranged_aggregate share
 * (not installed): operation names as ezmsg-sigproc's AggregationFunction,
 * the output dtype, and one call that reduces an axis (trapezoid included,
 * which integrates over the axis' coordinate values). */
#ifndef EZC_AGGREGATION_H
#define EZC_AGGREGATION_H

#include "ezc/plugin.h"

typedef struct ezc_agg_op {
    int trapezoid;    /* integrate over the axis values instead of op */
    ezc_reduce_op op; /* the reduction otherwise */
    const char *name;
    double *w; /* trapezoid weights, kept between messages */
    size_t wcap;
} ezc_agg_op;

/* The names accepted by the `operation` setting, "|"-separated. */
extern const char ezc_agg_choices[];

/* Parses an operation name; EZC_EINVAL naming tf and the value otherwise. */
int ezc_agg_parse(const char *tf, const char *name, ezc_agg_op *op, ezc_error *err);
/* The result's dtype for input dtype t. */
ezc_dtype ezc_agg_dtype(const ezc_agg_op *op, ezc_dtype t);
/* True for argmin/argmax (and their nan- forms). */
int ezc_agg_is_arg(const ezc_agg_op *op);

/* Reduces x along axis into y (x's shape with length 1 along axis, dtype
 * ezc_agg_dtype). xvals: the n coordinate values along the axis (host),
 * used by trapezoid only. *tmp caches trapezoid's weighted copy. */
int ezc_agg_run(ezc_agg_op *op, const ezc_array *x, int axis, const double *xvals, ezc_array *y,
                ezc_buffer **tmp, const ezc_xp *xp, ezc_error *err);

/* Frees what ezc_agg_run kept (NULL-safe on a zeroed op). */
void ezc_agg_free(ezc_agg_op *op);

#endif
