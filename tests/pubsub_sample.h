/* pubsub_sample.h — the k-th sample message of the pub/sub tests, built and
 * checked the same way by test_pubsub.c, pubsub_helper.c and (in Python)
 * test_python_interop.py: float32 (4 time x 3 ch), value = 1000k + 10t + c,
 * time linear (gain 1/1000 s, offset 0.004k), ch labels a/b/c, key
 * "sample", attrs k (int) and source (str). */
#ifndef EZC_TEST_PUBSUB_SAMPLE_H
#define EZC_TEST_PUBSUB_SAMPLE_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ezc/ezc.h"

#define SAMPLE_T 4
#define SAMPLE_C 3

static inline ezc_array *sample_make(int k, const char *source)
{
    const int64_t shape[2] = {SAMPLE_T, SAMPLE_C};
    const char *dims[2] = {"time", "ch"};
    const char *labels[SAMPLE_C] = {"a", "b", "c"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), NULL);
    if (!a)
        return NULL;
    float *v = ezc_array_data(a);
    for (int t = 0; t < SAMPLE_T; t++)
        for (int c = 0; c < SAMPLE_C; c++)
            v[t * SAMPLE_C + c] = (float)(1000 * k + 10 * t + c);
    ezc_array_set_linear_axis(a, 0, 0.001, 0.004 * k, "s");
    if (ezc_array_set_coord_labels(a, 1, labels, SAMPLE_C, "", NULL) ||
        ezc_array_set_key(a, "sample", NULL) || ezc_array_attr_set_int(a, "k", k, NULL) ||
        ezc_array_attr_set_str(a, "source", source, NULL))
        ezc_array_destroy(&a);
    return a;
}

/* 0 when a is sample k from `source`; otherwise 1 and why says what differs. */
static inline int sample_check(const ezc_array *a, int k, const char *source, char *why, size_t n)
{
    if (a->dtype != EZC_FLOAT32 || ezc_array_ndim(a) != 2 || a->shape[0] != SAMPLE_T ||
        a->shape[1] != SAMPLE_C)
        return snprintf(why, n, "msg %d: dtype/shape differ", k), 1;
    if (strcmp(a->dims[0], "time") || strcmp(a->dims[1], "ch"))
        return snprintf(why, n, "msg %d: dims %s,%s", k, a->dims[0], a->dims[1]), 1;
    const float *v = ezc_array_data(a);
    for (int t = 0; t < SAMPLE_T; t++)
        for (int c = 0; c < SAMPLE_C; c++)
            if (v[t * SAMPLE_C + c] != (float)(1000 * k + 10 * t + c))
                return snprintf(why, n, "msg %d: value[%d][%d] = %g", k, t, c, v[t * SAMPLE_C + c]),
                       1;
    const ezc_axis *tx = &a->axes[0], *cx = &a->axes[1];
    if (tx->kind != EZC_AXIS_LINEAR || fabs(tx->gain - 0.001) > 1e-15 ||
        fabs(tx->offset - 0.004 * k) > 1e-12 || strcmp(tx->unit, "s"))
        return snprintf(why, n, "msg %d: time axis kind %d gain %g offset %g unit '%s'", k,
                        (int)tx->kind, tx->gain, tx->offset, tx->unit),
               1;
    if (cx->kind != EZC_AXIS_COORD || !cx->coords || cx->coords->n != SAMPLE_C ||
        !cx->coords->labels || strcmp(cx->coords->labels[0], "a") ||
        strcmp(cx->coords->labels[2], "c"))
        return snprintf(why, n, "msg %d: ch axis is not labels a,b,c", k), 1;
    if (strcmp(a->key, "sample"))
        return snprintf(why, n, "msg %d: key '%s'", k, a->key), 1;
    const ezc_attr *ak = ezc_array_attr(a, "k"), *as = ezc_array_attr(a, "source");
    if (!ak || ak->type != EZC_ATTR_INT || ak->v.i != k)
        return snprintf(why, n, "msg %d: attr k missing or wrong", k), 1;
    if (!as || as->type != EZC_ATTR_STR || strcmp(as->v.s.ptr, source))
        return snprintf(why, n, "msg %d: attr source missing or not '%s'", k, source), 1;
    return 0;
}

#endif
