/* events.c — event (marker) messages: building and checking the AxisArray
 * convention of ezc/events.h. A received one is checked once, so readers
 * (the sampler) can then index times and labels without further tests. */
#include <math.h>
#include <string.h>
#include "ezc/events.h"

ezc_array *ezc_events_new(size_t n, const double *times, const char *const *labels, ezc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(times[i])) {
            ezc_error_set(err, EZC_EINVAL, "events: time[%zu] is %g: expected a finite number", i,
                          times[i]);
            return NULL;
        }
        if (!labels[i]) {
            ezc_error_set(err, EZC_EINVAL, "events: label[%zu] is NULL", i);
            return NULL;
        }
    }
    int64_t shape[1] = {(int64_t)n};
    const char *dims[1] = {EZC_EVENTS_DIM};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, dims, ezc_device_cpu(), err);
    if (!a)
        return NULL;
    if (n)
        memcpy(ezc_array_data(a), times, n * sizeof *times);
    if ((n && ezc_array_set_coord_labels(a, 0, labels, n, "", err)) ||
        ezc_array_attr_set_str(a, EZC_EVENTS_KIND_ATTR, EZC_EVENTS_KIND, err))
        ezc_array_destroy(&a);
    return a;
}

int ezc_events_is(const ezc_array *a)
{
    const ezc_attr *k = ezc_array_attr(a, EZC_EVENTS_KIND_ATTR);
    return k && k->type == EZC_ATTR_STR && strcmp(k->v.s.ptr, EZC_EVENTS_KIND) == 0;
}

int ezc_events_check(const ezc_array *a, ezc_error *err)
{
    if (!ezc_events_is(a))
        return ezc_error_set(err, EZC_EINVAL,
                             "events: attr '" EZC_EVENTS_KIND_ATTR "' is not '" EZC_EVENTS_KIND
                             "' (not an events message)");
    if (ezc_array_ndim(a) != 1 || strcmp(a->dims[0], EZC_EVENTS_DIM) != 0) {
        char dims[EZC_DIMS_STR_MAX];
        return ezc_error_set(err, EZC_ESHAPE, "events: dims are (%s): expected (event)",
                             ezc_array_dims_str(a, dims, sizeof dims));
    }
    if (a->dtype != EZC_FLOAT64)
        return ezc_error_set(err, EZC_EDTYPE, "events: times are %s: expected float64",
                             ezc_dtype_name(a->dtype));
    if (a->tensor.device.device_type != kDLCPU)
        return ezc_error_set(err, EZC_EDEVICE, "events: times must be in host memory");
    size_t n = (size_t)a->shape[0];
    const ezc_axis *ax = &a->axes[0];
    if (n && (ax->kind != EZC_AXIS_COORD || !ax->coords || !ax->coords->labels))
        return ezc_error_set(err, EZC_EINVAL, "events: axis 'event' has no labels");
    if (n && ax->coords->n != n)
        return ezc_error_set(err, EZC_ESHAPE, "events: %zu labels for %zu events", ax->coords->n,
                             n);
    const double *t = ezc_array_data(a);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(t[i]))
            return ezc_error_set(err, EZC_EINVAL,
                                 "events: time[%zu] is %g: expected a finite "
                                 "number",
                                 i, t[i]);
    return 0;
}

size_t ezc_events_count(const ezc_array *a)
{
    return (size_t)a->shape[0];
}

double ezc_events_time(const ezc_array *a, size_t i)
{
    return ((const double *)ezc_array_data(a))[i];
}

const char *ezc_events_label(const ezc_array *a, size_t i)
{
    return a->axes[0].coords->labels[i];
}
