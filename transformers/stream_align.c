/* stream_align.c — two streams buffered along their sampling times and read
 * out in time-matched pairs; every sample dropped is counted and said. */
#include "stream_align.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ezc_stream_align_init(ezc_stream_align *al, const char *tf, const ezc_settings *s,
                          const char *axis_setting, ezc_error *err)
{
    memset(al, 0, sizeof *al);
    al->tf = tf;
    al->axis_setting = axis_setting;
    al->axis = "time";
    al->port[0] = "a";
    al->port[1] = "b";
    al->buffer_dur = 10.0;
    al->gain_rtol = 1e-6;
    ezc_settings_get_string(s, axis_setting, &al->axis);
    ezc_settings_get_float(s, "buffer_dur", &al->buffer_dur);
    ezc_settings_get_float(s, "gain_rtol", &al->gain_rtol);
    if (!(al->buffer_dur > 0) || !isfinite(al->buffer_dur))
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'buffer_dur' = %g: expected > 0 seconds",
                             tf, al->buffer_dur);
    if (!(al->gain_rtol >= 0) || !isfinite(al->gain_rtol))
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'gain_rtol' = %g: expected >= 0", tf,
                             al->gain_rtol);
    return 0;
}

void ezc_stream_align_fini(ezc_stream_align *al)
{
    for (int s = 0; s < 2; s++) {
        ezc_array_destroy(&al->side[s].held);
        ezc_buffer_unref(&al->side[s].pool[0]);
        ezc_buffer_unref(&al->side[s].pool[1]);
        ezc_buffer_unref(&al->side[s].out_cache);
    }
    free(al->iota);
    al->iota = NULL;
}

int64_t ezc_align_held_len(const ezc_align_side *sd)
{
    return sd->held ? sd->held->shape[sd->axis] : 0;
}

/* start, start + 1, ... (n of them) in the scratch index table. */
static const int64_t *idx_range(ezc_stream_align *al, int64_t start, int64_t n, ezc_error *err)
{
    if ((size_t)n > al->niota) {
        int64_t *p = realloc(al->iota, (size_t)n * sizeof *p);
        if (!p) {
            ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", al->tf);
            return NULL;
        }
        al->iota = p;
        al->niota = (size_t)n;
    }
    for (int64_t i = 0; i < n; i++)
        al->iota[i] = start + i;
    return al->iota;
}

/* The pool buffer that held does not live in. */
static ezc_buffer **free_slot(ezc_align_side *sd)
{
    return sd->held && sd->pool[0] && sd->held->buf == sd->pool[0] ? &sd->pool[1] : &sd->pool[0];
}

int ezc_align_drop_front(ezc_stream_align *al, int s, int64_t k, uint64_t *count, ezc_error *err)
{
    ezc_align_side *sd = &al->side[s];
    int64_t len = ezc_align_held_len(sd);
    if (k <= 0 || !sd->held)
        return 0;
    if (k > len)
        k = len;
    if (count) {
        *count += (uint64_t)k;
        al->dropped[s] += (uint64_t)k;
    }
    if (k == len) {
        ezc_array_destroy(&sd->held);
        return 0;
    }
    const int64_t *idx = idx_range(al, k, len - k, err);
    ezc_array *rest =
        idx ? ezc_array_take_cached(sd->held, sd->axis, idx, (size_t)(len - k), free_slot(sd), err)
            : NULL;
    ezc_array_destroy(&sd->held);
    sd->held = rest;
    return rest ? 0 : err->code;
}

int ezc_align_same_template(const ezc_stream_align *al, const ezc_align_side *sd,
                            const ezc_array *in, int axis)
{
    const ezc_array *h = sd->held;
    if (h->dtype != in->dtype || !ezc_device_equal(h->tensor.device, in->tensor.device) ||
        ezc_array_ndim(h) != ezc_array_ndim(in) || sd->axis != axis)
        return 0;
    for (int i = 0; i < ezc_array_ndim(h); i++)
        if (strcmp(h->dims[i], in->dims[i]) || (i != axis && h->shape[i] != in->shape[i]))
            return 0;
    double g = h->axes[axis].gain;
    return fabs(in->axes[axis].gain - g) <= al->gain_rtol * fabs(g);
}

int ezc_align_append(ezc_stream_align *al, int s, ezc_array *in, int axis, ezc_error *err)
{
    ezc_align_side *sd = &al->side[s];
    if (!sd->held) {
        sd->held = in;
        sd->axis = axis;
        return 0;
    }
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, sd->held->shape, sizeof shape);
    shape[axis] += in->shape[axis];
    const ezc_xp *xp = ezc_xp_of(in, err);
    ezc_array *y =
        xp ? ezc_array_new_like_cached(sd->held, sd->held->dtype, ezc_array_ndim(sd->held), shape,
                                       free_slot(sd), err)
           : NULL;
    const ezc_array *parts[2] = {sd->held, in};
    if (y && ezc_array_size(y) && ezc_xp_call(xp, concat, err, parts, 2, axis, y))
        ezc_array_destroy(&y);
    ezc_array_destroy(&in);
    if (!y)
        return err->code;
    ezc_array_destroy(&sd->held);
    sd->held = y;
    return 0;
}

/* Reads the first n held samples of side s into *out. */
static int read_front(ezc_stream_align *al, int s, int64_t n, ezc_array **out, ezc_error *err)
{
    ezc_align_side *sd = &al->side[s];
    const int64_t *idx = idx_range(al, 0, n, err);
    *out =
        idx ? ezc_array_take_cached(sd->held, sd->axis, idx, (size_t)n, &sd->out_cache, err) : NULL;
    if (!*out)
        return err->code;
    int rc = ezc_align_drop_front(al, s, n, NULL, err); /* read, not dropped */
    if (rc)
        ezc_array_destroy(out);
    return rc;
}

int ezc_align_take(ezc_stream_align *al, int s, ezc_array *in, int axis, uint64_t lost[2],
                   char *why, size_t cap, ezc_error *err)
{
    ezc_align_side *sd = &al->side[s];
    double gain = in->axes[axis].gain, t0 = in->axes[axis].offset;
    int rc = 0;
    if (sd->held) {
        double expect = sd->held->axes[sd->axis].offset + (double)ezc_align_held_len(sd) * gain;
        int changed = !ezc_align_same_template(al, sd, in, axis);
        if (changed || fabs(t0 - expect) > gain / 2) {
            if (!why[0] && changed)
                snprintf(why, cap, "port '%s' changed its dims, dtype or rate", al->port[s]);
            else if (!why[0])
                snprintf(why, cap, "port '%s' jumped from time %.9g to %.9g", al->port[s], expect,
                         t0);
            rc = ezc_align_drop_front(al, s, ezc_align_held_len(sd), &lost[s], err);
        }
    }
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    if ((rc = ezc_align_append(al, s, in, axis, err)))
        return rc;
    int64_t keep = (int64_t)llround(al->buffer_dur / gain);
    if (keep < 1)
        keep = 1;
    if (ezc_align_held_len(sd) <= keep)
        return 0;
    if (!why[0])
        snprintf(why, cap, "port '%s' ran more than buffer_dur = %g s ahead", al->port[s],
                 al->buffer_dur);
    return ezc_align_drop_front(al, s, ezc_align_held_len(sd) - keep, &lost[s], err);
}

int ezc_align_report(const ezc_stream_align *al, const uint64_t lost[2], const char *why,
                     ezc_error *err)
{
    if (!lost[0] && !lost[1])
        return 0;
    return ezc_error_set(err, EZC_EINVAL,
                         "%s: dropped %llu samples of port '%s' and %llu of port '%s' without a "
                         "partner (%s; %llu and %llu in all)",
                         al->tf, (unsigned long long)lost[0], al->port[0],
                         (unsigned long long)lost[1], al->port[1], why,
                         (unsigned long long)al->dropped[0], (unsigned long long)al->dropped[1]);
}

int ezc_stream_align_push(ezc_stream_align *al, int port, ezc_array *in, ezc_array **a,
                          ezc_array **b, ezc_error *err)
{
    int s = port ? 1 : 0, o = 1 - s, axis = 0;
    *a = *b = NULL;
    char dims[EZC_DIMS_STR_MAX];
    if (al->axis && *al->axis) {
        axis = ezc_array_axis_index(in, al->axis);
        if (axis < 0) {
            int rc = ezc_error_set(err, EZC_ENOTFOUND,
                                   "%s: setting '%s' = '%s': the message on port '%s' "
                                   "has no such dim (dims: %s)",
                                   al->tf, al->axis_setting, al->axis, al->port[s],
                                   ezc_array_dims_str(in, dims, sizeof dims));
            ezc_array_destroy(&in);
            return rc;
        }
    } else if (ezc_array_ndim(in) == 0) {
        ezc_array_destroy(&in);
        return ezc_error_set(err, EZC_ESHAPE, "%s: a 0-d message has no axis to align on", al->tf);
    }
    const ezc_axis *ax = &in->axes[axis];
    if (ax->kind != EZC_AXIS_LINEAR || !(ax->gain > 0) || !isfinite(ax->gain) ||
        !isfinite(ax->offset)) {
        int rc = ezc_error_set(err, EZC_EINVAL,
                               "%s: port '%s': dim '%s' has no linear axis with a gain > 0 (the "
                               "sampling times) to align on",
                               al->tf, al->port[s], in->dims[axis]);
        ezc_array_destroy(&in);
        return rc;
    }
    double gain = ax->gain;
    uint64_t lost[2] = {0, 0};
    char why[160] = "";
    ezc_align_side *sd = &al->side[s], *od = &al->side[o];
    int rc = 0;
    /* a rate the other port's samples cannot pair with (before the take: this
     * reason outranks its own) */
    if (od->held) {
        double g = od->held->axes[od->axis].gain;
        if (fabs(gain - g) > al->gain_rtol * fabs(g)) {
            snprintf(why, sizeof why, "port '%s' has gain %g, port '%s' %g", al->port[s], gain,
                     al->port[o], g);
            rc = ezc_align_drop_front(al, o, ezc_align_held_len(od), &lost[o], err);
        }
    }
    if (rc)
        ezc_array_destroy(&in);
    else
        rc = ezc_align_take(al, s, in, axis, lost, why, sizeof why, err);
    /* Leading samples of one port older than the other's first: no partner. */
    if (!rc && sd->held && od->held) {
        double ts = sd->held->axes[sd->axis].offset, to = od->held->axes[od->axis].offset;
        int early = ts < to ? s : o;
        double d = fabs(ts - to);
        if (d > gain / 2) {
            rc = ezc_align_drop_front(al, early, (int64_t)fmin(llround(d / gain), 9e18),
                                      &lost[early], err);
            if (!why[0])
                snprintf(why, sizeof why, "port '%s' starts before port '%s'", al->port[early],
                         al->port[1 - early]);
        }
    }
    if (rc || (rc = ezc_align_report(al, lost, why, err)))
        return rc;
    int64_t n = ezc_align_held_len(&al->side[0]) < ezc_align_held_len(&al->side[1])
                    ? ezc_align_held_len(&al->side[0])
                    : ezc_align_held_len(&al->side[1]);
    if (n <= 0)
        return 0;
    rc = read_front(al, 0, n, a, err);
    if (!rc)
        rc = read_front(al, 1, n, b, err);
    if (rc) {
        ezc_array_destroy(a);
        ezc_array_destroy(b);
    }
    return rc;
}
