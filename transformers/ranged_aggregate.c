/* ranged_aggregate.c — one reduction per band along an axis (ezmsg-sigproc's
 * RangedAggregate). A band (lo, hi) takes every index whose axis value v has
 * lo <= v <= hi; the axis becomes a coordinate axis with one value per band:
 * the axis value at the mean selected index (linear axis) or the mean of the
 * selected coordinates. argmin/argmax give the axis value of the extremum,
 * not its index. A band that selects nothing is an error naming it
 * (ezmsg-sigproc fails with an IndexError there). No bands: pass-through. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aggregation.h"
#include "tf_util.h"

typedef struct band_slot {
    int64_t lo, n;    /* selected index range [lo, lo + n) */
    double gain, off; /* evenly spaced values there: v = off + gain * j */
    int even;
    ezc_buffer *take, *red, *arg; /* per-band data caches */
} band_slot;

typedef struct ranged_state {
    const char *axis;
    const double *bands; /* 2 * nbands, owned by the settings */
    size_t nbands;
    ezc_agg_op op;
    band_slot *slot;
    double *vals, *centres;
    size_t nvals;
    int64_t *range; /* 0, 1, ... nrange - 1: take indices for any band */
    size_t nrange;
    ezc_coords *coords; /* output axis values, reused while they match */
    ezc_buffer *cache, *tmp;
} ranged_state;

static const ezc_setting_spec ranged_settings[] = {
    {"axis", EZC_SETTING_STRING, NULL, "dim the bands lie on (default: the first)", 0, NULL},
    {"bands", EZC_SETTING_FLOATS, NULL, "[[lo, hi], ...] inclusive, in the axis' units", 0, NULL},
    {"operation", EZC_SETTING_STRING, "mean", "reduction per band", 0, ezc_agg_choices},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void ranged_fini(void *state)
{
    ranged_state *st = state;
    if (!st)
        return;
    for (size_t b = 0; st->slot && b < st->nbands; b++) {
        ezc_buffer_unref(&st->slot[b].take);
        ezc_buffer_unref(&st->slot[b].red);
        ezc_buffer_unref(&st->slot[b].arg);
    }
    free(st->slot);
    free(st->vals);
    free(st->range);
    free(st->centres);
    ezc_coords_unref(&st->coords);
    ezc_buffer_unref(&st->cache);
    ezc_agg_free(&st->op);
    ezc_buffer_unref(&st->tmp);
    free(st);
}

static int ranged_init(void **state, const ezc_settings *s, ezc_error *err)
{
    ranged_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "ranged_aggregate: out of memory");
    const char *op = "mean";
    size_t nb = 0;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "operation", &op);
    ezc_settings_get_floats(s, "bands", &st->bands, &nb);
    int rc = ezc_agg_parse("ranged_aggregate", op, &st->op, err);
    if (!rc && nb % 2)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "ranged_aggregate: setting 'bands' has %zu numbers: expected pairs "
                           "[[lo, hi], ...]",
                           nb);
    st->nbands = nb / 2;
    for (size_t b = 0; !rc && b < st->nbands; b++)
        if (!(st->bands[2 * b] <= st->bands[2 * b + 1]))
            rc = ezc_error_set(err, EZC_EINVAL,
                               "ranged_aggregate: setting 'bands': band %zu (%g, %g) has lo > hi",
                               b, st->bands[2 * b], st->bands[2 * b + 1]);
    if (!rc && !(st->slot = calloc(st->nbands ? st->nbands : 1, sizeof *st->slot)))
        rc = ezc_error_set(err, EZC_ENOMEM, "ranged_aggregate: out of memory");
    if (!rc && !(st->centres = malloc((st->nbands ? st->nbands : 1) * sizeof(double))))
        rc = ezc_error_set(err, EZC_ENOMEM, "ranged_aggregate: out of memory");
    if (rc) {
        ranged_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* Index ranges and centres of the bands for this message's axis. Cheap
 * (one pass over the axis values per band), so it runs every message and
 * follows any change of the axis. */
static int ranged_resolve(ranged_state *st, const ezc_array *x, int axis, ezc_error *err)
{
    int numeric;
    int rc = ezc_tf_axis_values("ranged_aggregate", x, axis, &st->vals, &st->nvals, &numeric, err);
    if (rc)
        return rc;
    if (!numeric)
        return ezc_error_set(err, EZC_EINVAL,
                             "ranged_aggregate: dim '%s' has no numeric axis (linear or "
                             "coordinate values) to place bands on",
                             x->dims[axis]);
    int64_t n = x->shape[axis];
    const double *v = st->vals;
    if ((size_t)n > st->nrange || !st->range) {
        int64_t *r = realloc(st->range, (size_t)(n ? n : 1) * sizeof *r);
        if (!r)
            return ezc_error_set(err, EZC_ENOMEM, "ranged_aggregate: out of memory");
        for (int64_t i = 0; i < n; i++)
            r[i] = i;
        st->range = r;
        st->nrange = (size_t)n;
    }
    for (size_t b = 0; b < st->nbands; b++) {
        double lo = st->bands[2 * b], hi = st->bands[2 * b + 1];
        int64_t first = -1, last = -1;
        for (int64_t i = 0; i < n; i++)
            if (v[i] >= lo && v[i] <= hi) {
                if (first < 0)
                    first = i;
                last = i;
            }
        if (first < 0)
            return ezc_error_set(err, EZC_EINVAL,
                                 "ranged_aggregate: setting 'bands': band %zu (%g, %g) selects "
                                 "nothing on dim '%s' (values %g to %g)",
                                 b, lo, hi, x->dims[axis], n ? v[0] : NAN, n ? v[n - 1] : NAN);
        band_slot *s = &st->slot[b];
        s->lo = first;
        s->n = last - first + 1;
        double sum = 0;
        for (int64_t i = first; i <= last; i++)
            sum += v[i];
        if (x->axes[axis].kind == EZC_AXIS_LINEAR) /* the value at the mean index */
            st->centres[b] =
                x->axes[axis].offset + x->axes[axis].gain * (double)(first + last) / 2.0;
        else
            st->centres[b] = sum / (double)s->n;
        s->off = v[first];
        s->gain = s->n > 1 ? v[first + 1] - v[first] : 0;
        s->even = 1;
        for (int64_t i = first + 1; i <= last && s->even; i++)
            s->even = fabs(v[i] - (s->off + s->gain * (double)(i - first))) <=
                      1e-9 * fmax(fabs(v[i]), 1e-300);
    }
    /* keep the same coordinate object while the centres do not move */
    if (!st->coords || st->coords->n != st->nbands ||
        memcmp(st->coords->values, st->centres, st->nbands * sizeof(double)) != 0) {
        ezc_coords *c = ezc_coords_new(st->nbands, st->centres, NULL, err);
        if (!c)
            return err->code;
        ezc_coords_unref(&st->coords);
        st->coords = c;
    }
    return 0;
}

/* Index results (int64, within the band) into axis values (float64). */
static int arg_to_values(band_slot *s, const double *vals, ezc_array *idx, ezc_array **val,
                         const ezc_xp *xp, ezc_error *err)
{
    ezc_array *f = ezc_array_new_like_cached(idx, EZC_FLOAT64, 0, NULL, &s->arg, err);
    if (!f)
        return err->code;
    int rc = ezc_xp_call(xp, astype, err, idx, f);
    if (!rc && s->even) {
        rc = ezc_xp_call(xp, affine, err, f, f, s->gain, s->off);
    } else if (!rc) { /* irregular coordinates: look them up on the host */
        ezc_array *h = ezc_array_to_device(f, ezc_device_cpu(), err);
        rc = h ? 0 : err->code;
        if (!rc) {
            double *d = ezc_array_data(h);
            for (size_t i = 0; i < ezc_array_size(h); i++)
                d[i] = vals[s->lo + (int64_t)d[i]];
            const ezc_xp *hx = ezc_xp_cpu();
            rc = f->tensor.device.device_type == kDLCPU ? hx->copy(h, f, err)
                                                        : ezc_xp_call(xp, copy, err, h, f);
        }
        ezc_array_destroy(&h);
    }
    if (rc)
        ezc_array_destroy(&f);
    *val = f;
    return rc;
}

static int ranged_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    ranged_state *st = state;
    (void)port;
    if (!st->nbands) {
        *out = in;
        return 0;
    }
    int axis = 0, rc = 0;
    if (st->axis)
        rc = ezc_tf_axis("ranged_aggregate", in, st->axis, &axis, err);
    else if (ezc_array_ndim(in) == 0)
        rc = ezc_error_set(err, EZC_ESHAPE, "ranged_aggregate: a 0-d message has no axis");
    if (!rc && st->op.trapezoid && !ezc_dtype_is_float(in->dtype))
        rc = ezc_tf_writable_float("ranged_aggregate", &in, 0, xp, err);
    if (!rc)
        rc = ranged_resolve(st, in, axis, err);
    int arg = ezc_agg_is_arg(&st->op);
    ezc_dtype yt = arg ? EZC_FLOAT64 : ezc_agg_dtype(&st->op, in ? in->dtype : EZC_FLOAT64);
    ezc_array *parts[64], **part = parts, *y = NULL;
    size_t made = 0;
    if (!rc && st->nbands > 64 && !(part = calloc(st->nbands, sizeof *part)))
        rc = ezc_error_set(err, EZC_ENOMEM, "ranged_aggregate: out of memory");
    for (size_t b = 0; !rc && b < st->nbands; b++) {
        band_slot *s = &st->slot[b];
        /* the band's samples: a view along the first dim, a cached copy else */
        ezc_array *xb =
            ezc_array_take_cached(in, axis, st->range + s->lo, (size_t)s->n, &s->take, err);
        if (!xb) {
            rc = err->code;
            break;
        }
        int64_t shape[EZC_MAX_DIMS];
        for (int i = 0; i < ezc_array_ndim(in); i++)
            shape[i] = i == axis ? 1 : in->shape[i];
        ezc_array *r = ezc_array_new_like_cached(xb, ezc_agg_dtype(&st->op, xb->dtype),
                                                 ezc_array_ndim(in), shape, &s->red, err);
        rc = r ? ezc_agg_run(&st->op, xb, axis, st->vals + s->lo, r, &st->tmp, xp, err) : err->code;
        ezc_array_destroy(&xb);
        if (!rc && arg) {
            ezc_array *v = NULL;
            rc = arg_to_values(s, st->vals, r, &v, xp, err);
            ezc_array_destroy(&r);
            r = v;
        }
        if (rc) {
            ezc_array_destroy(&r);
            break;
        }
        part[made++] = r;
    }
    if (!rc) {
        int64_t shape[EZC_MAX_DIMS];
        for (int i = 0; i < ezc_array_ndim(in); i++)
            shape[i] = i == axis ? (int64_t)st->nbands : in->shape[i];
        y = ezc_array_new_like_cached(in, yt, ezc_array_ndim(in), shape, &st->cache, err);
        rc = y ? ezc_xp_call(xp, concat, err, (const ezc_array *const *)part, made, axis, y)
               : err->code;
    }
    if (!rc) {
        ezc_axis *ax = &y->axes[axis];
        char unit[EZC_NAME_MAX];
        memcpy(unit, in->axes[axis].unit, sizeof unit);
        ezc_array_clear_axis(y, axis);
        ax->kind = EZC_AXIS_COORD;
        ax->coords = ezc_coords_ref(st->coords);
        memcpy(ax->unit, unit, sizeof unit);
    } else {
        ezc_array_destroy(&y);
    }
    for (size_t b = 0; b < made; b++)
        ezc_array_destroy(&part[b]);
    if (part != parts)
        free(part);
    ezc_array_destroy(&in);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_ranged_aggregate_type = {
    .name = "ranged_aggregate",
    .summary = "one reduction per band along an axis (band power from a spectrum)",
    .settings = ranged_settings,
    .init = ranged_init,
    .process = ranged_process,
    .fini = ranged_fini,
};
