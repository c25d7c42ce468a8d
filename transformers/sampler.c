/* sampler.c — windows of a signal around events (ezmsg-sigproc's Sampler).
 *
 * Port "signal" feeds a ring of the last buffer_duration seconds (time-first
 * rows); port "events" (ezc/events.h) queues events, at most max_pending.
 * An event's window is taken as soon as its last sample has arrived, before
 * the message bringing it enters the ring, so no chunking ever makes one
 * late. Copies go through xp on views of the ring, the message and the
 * output, so the same code runs on any device and the steady path
 * allocates no data. Late, too-far-future and overflowing events are
 * counted in the output's attrs and logged once: none is lost silently. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/events.h"
#include "ezc/log.h"
#include "tf_util.h"

typedef struct pending {
    double t;
    ezc_coords *labels; /* a reference to the events message's labels */
    size_t i;
    int fate; /* while sorting one call: 0 waits, 1 ready, 2 late, 3 future */
} pending;

typedef struct sampler_state {
    const char *axis;
    double start, stop, dur;
    size_t max_pending;
    ezc_template tpl;
    ezc_array *meta; /* the signal's metadata, time-first, time length 0 */
    int have_signal;
    double gain, anchor_t; /* the last signal message: time of sample anchor_i */
    int64_t anchor_i;
    int64_t cap, L;       /* ring rows; samples per window */
    int64_t total, count; /* samples seen; held (the last `count`, row j at j % cap) */
    size_t row_bytes;
    ezc_buffer *ring, *pcache, *ocache;
    pending *pend;
    size_t npend;
    const char **labels;
    int64_t late, future, overflow;
    unsigned logged;
} sampler_state;

static const ezc_port_spec sampler_ports[] = {
    {"signal", "the signal to cut (needs a linear time axis)"},
    {"events", "events messages (ezc/events.h): times and labels"},
    {NULL, NULL},
};

static const ezc_setting_spec sampler_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the signal's time axis (linear: gain = 1/fs)", 0, NULL},
    {"start", EZC_SETTING_FLOAT, NULL, "window start relative to the event, seconds", 1, NULL},
    {"stop", EZC_SETTING_FLOAT, NULL, "window stop relative to the event, seconds (> start)", 1,
     NULL},
    {"buffer_duration", EZC_SETTING_FLOAT, "10",
     "seconds of signal kept (bounds how late or early an event may come)", 0, NULL},
    {"max_pending", EZC_SETTING_INT, "1024", "events waiting for their signal, at most", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void sampler_fini(void *state)
{
    sampler_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->npend; i++)
        ezc_coords_unref(&st->pend[i].labels);
    free(st->pend);
    free(st->labels);
    ezc_array_destroy(&st->meta);
    ezc_buffer_unref(&st->ring);
    ezc_buffer_unref(&st->pcache);
    ezc_buffer_unref(&st->ocache);
    free(st);
}

static int sampler_init(void **state, const ezc_settings *s, ezc_error *err)
{
    sampler_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "sampler: out of memory");
    int64_t maxp = 1024;
    st->dur = 10;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_float(s, "start", &st->start);
    ezc_settings_get_float(s, "stop", &st->stop);
    ezc_settings_get_float(s, "buffer_duration", &st->dur);
    ezc_settings_get_int(s, "max_pending", &maxp);
    int rc = 0;
    if (!isfinite(st->start) || !isfinite(st->stop) || st->stop <= st->start)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sampler: setting 'stop' = %g with 'start' = %g: expected finite "
                           "values, stop > start",
                           st->stop, st->start);
    else if (!isfinite(st->dur) || st->dur <= 0)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sampler: setting 'buffer_duration' = %g: expected a finite number > 0",
                           st->dur);
    else if (st->stop - st->start > st->dur)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sampler: setting 'buffer_duration' = %g: shorter than the window "
                           "(stop - start = %g)",
                           st->dur, st->stop - st->start);
    else if (maxp < 1 || maxp > (1 << 24))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "sampler: setting 'max_pending' = %lld: expected 1 .. 16777216",
                           (long long)maxp);
    if (!rc) {
        st->max_pending = (size_t)maxp;
        st->pend = calloc(st->max_pending, sizeof *st->pend);
        st->labels = calloc(st->max_pending, sizeof *st->labels);
        if (!st->pend || !st->labels)
            rc = ezc_error_set(err, EZC_ENOMEM, "sampler: out of memory");
    }
    if (rc) {
        sampler_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* A header over nrows rows of b from row `row` (time-first, rest of meta). */
static ezc_array *rows_view(const sampler_state *st, ezc_buffer *b, size_t byte0, int64_t row,
                            int64_t nrows, ezc_error *err)
{
    int64_t shape[EZC_MAX_DIMS];
    int nd = ezc_array_ndim(st->meta);
    memcpy(shape, st->meta->shape, (size_t)nd * sizeof *shape);
    shape[0] = nrows;
    return ezc_array_from_buffer(b, byte0 + (size_t)row * st->row_bytes, st->meta->dtype, nd, shape,
                                 NULL, err);
}

/* Copies nrows rows: src rows [srow, ...) of sb to dst rows [drow, ...) of db. */
static int copy_rows(const sampler_state *st, const ezc_xp *xp, ezc_buffer *sb, size_t s0,
                     int64_t srow, ezc_buffer *db, size_t d0, int64_t drow, int64_t nrows,
                     ezc_error *err)
{
    if (nrows <= 0 || st->row_bytes == 0)
        return 0;
    ezc_array *s = rows_view(st, sb, s0, srow, nrows, err);
    ezc_array *d = s ? rows_view(st, db, d0, drow, nrows, err) : NULL;
    int rc = d ? ezc_xp_call(xp, copy, err, s, d) : EZC_ENOMEM;
    ezc_array_destroy(&s);
    ezc_array_destroy(&d);
    return rc;
}

/* Ring rows [j, j + n) of absolute samples (j % cap, wrapping) to or from b. */
static int ring_copy(const sampler_state *st, const ezc_xp *xp, int to_ring, int64_t j, int64_t n,
                     ezc_buffer *b, size_t b0, int64_t brow, ezc_error *err)
{
    while (n > 0) {
        int64_t r = j % st->cap, m = st->cap - r < n ? st->cap - r : n;
        int rc = to_ring ? copy_rows(st, xp, b, b0, brow, st->ring, 0, r, m, err)
                         : copy_rows(st, xp, st->ring, 0, r, b, b0, brow, m, err);
        if (rc)
            return rc;
        j += m, brow += m, n -= m;
    }
    return 0;
}

/* The code a failed constructor left in err (never 0). */
static int fail_code(const ezc_error *err)
{
    return err && err->code ? err->code : EZC_ENOMEM;
}

static int64_t first_index(const sampler_state *st, double t, int *fate)
{
    double f = (t + st->start - st->anchor_t) / st->gain;
    *fate = 0;
    if (!(f < 1e15))
        return *fate = 3, 0;
    if (!(f > -1e15))
        return *fate = 2, 0;
    return st->anchor_i + (int64_t)ceil(f - 1e-6);
}

static void report(sampler_state *st, int kind, const char *what, const pending *p)
{
    if (ezc_log_first(&st->logged, kind))
        ezc_log(EZC_LOG_WARN,
                "sampler: event '%s' at %g s %s (counted in attrs 'ezc.sampler.%s'; "
                "first of its kind logged)",
                p->labels->labels[p->i], p->t, what,
                kind == 1   ? "late"
                : kind == 2 ? "future"
                            : "overflow");
}

static int set_counts(const sampler_state *st, ezc_array *o, ezc_error *err)
{
    int rc = 0;
    if (st->late)
        rc = ezc_array_attr_set_int(o, "ezc.sampler.late", st->late, err);
    if (!rc && st->future)
        rc = ezc_array_attr_set_int(o, "ezc.sampler.future", st->future, err);
    if (!rc && st->overflow)
        rc = ezc_array_attr_set_int(o, "ezc.sampler.overflow", st->overflow, err);
    return rc;
}

/* Sorts the pending events against the ring plus n new rows of x (x may be
 * NULL, n 0), emits the ready windows into *out, drops late/future ones. */
static int emit(sampler_state *st, const ezc_array *x, int64_t n, const ezc_xp *xp, ezc_array **out,
                ezc_error *err)
{
    int64_t oldest = st->total - st->count, end = st->total + n;
    size_t k = 0;
    for (size_t e = 0; e < st->npend; e++) {
        pending *p = &st->pend[e];
        int64_t i0 = first_index(st, p->t, &p->fate);
        if (!p->fate && i0 < oldest)
            p->fate = 2;
        else if (!p->fate && i0 + st->L > end + st->cap)
            p->fate = 3;
        else if (!p->fate && i0 + st->L <= end)
            p->fate = 1, k++;
        if (p->fate == 2) {
            st->late++;
            report(st, 1, "came after its window left the buffer", p);
        } else if (p->fate == 3) {
            st->future++;
            report(st, 2, "lies beyond buffer_duration ahead of the signal", p);
        }
    }
    int rc = 0;
    ezc_array *o = NULL;
    if (k) {
        int nd = ezc_array_ndim(st->meta);
        int64_t oshape[EZC_MAX_DIMS];
        const char *odims[EZC_MAX_DIMS];
        oshape[0] = (int64_t)k;
        odims[0] = EZC_EVENTS_DIM;
        for (int d = 0; d < nd; d++) {
            oshape[d + 1] = d ? st->meta->shape[d] : st->L;
            odims[d + 1] = st->meta->dims[d];
        }
        size_t need = k * (size_t)st->L * st->row_bytes;
        ezc_buffer *b = ezc_buffer_cached(&st->ocache, need, ezc_array_device(st->meta), err);
        o = b ? ezc_array_from_buffer(b, 0, st->meta->dtype, nd + 1, oshape, odims, err) : NULL;
        if (!o)
            rc = fail_code(err);
        size_t xb0 = x ? (size_t)((const char *)ezc_array_data(x) - (const char *)x->buf->data) : 0;
        size_t w = 0;
        for (size_t e = 0; !rc && e < st->npend; e++) {
            pending *p = &st->pend[e];
            if (p->fate != 1)
                continue;
            int fate;
            int64_t i0 = first_index(st, p->t, &fate), inring = st->total - i0;
            if (inring > st->L)
                inring = st->L;
            if (inring < 0)
                inring = 0;
            int64_t orow = (int64_t)w * st->L;
            rc = ring_copy(st, xp, 0, i0, inring, b, 0, orow, err);
            if (!rc)
                rc = copy_rows(st, xp, x ? x->buf : NULL, xb0, i0 + inring - st->total, b, 0,
                               orow + inring, st->L - inring, err);
            st->labels[w++] = p->labels->labels[p->i];
        }
        ezc_buffer_unref(&b);
        if (!rc) {
            for (int d = 1; d < nd; d++) {
                o->axes[d + 1] = st->meta->axes[d];
                if (o->axes[d + 1].coords)
                    ezc_coords_ref(o->axes[d + 1].coords);
            }
            ezc_array_set_linear_axis(o, 1, st->gain, st->start, st->meta->axes[0].unit);
            o->attrs = st->meta->attrs ? ezc_attrs_ref(st->meta->attrs) : NULL;
            o->src = st->meta->src;
            o->seq = st->meta->seq;
            o->ts_ns = st->meta->ts_ns;
            rc = ezc_array_set_key(o, st->meta->key, err);
        }
        if (!rc)
            rc = ezc_array_set_coord_labels(o, 0, st->labels, k, "", err);
    }
    if (!rc && o)
        rc = set_counts(st, o, err);
    size_t keep = 0;
    for (size_t e = 0; e < st->npend; e++) {
        if (st->pend[e].fate && !(rc && st->pend[e].fate == 1))
            ezc_coords_unref(&st->pend[e].labels);
        else
            st->pend[keep++] = st->pend[e];
    }
    st->npend = keep;
    if (rc)
        ezc_array_destroy(&o);
    *out = o;
    return rc;
}

/* (Re)builds the ring for a new template; pending events stay. */
static int reset(sampler_state *st, const ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    ezc_array_destroy(&st->meta);
    ezc_buffer_unref(&st->ring);
    st->total = st->count = 0;
    if (ezc_array_ndim(x) >= EZC_MAX_DIMS)
        return ezc_error_set(err, EZC_ESHAPE,
                             "sampler: the signal has %d dims: no room for the 'event' dim",
                             ezc_array_ndim(x));
    if (ezc_array_axis_index(x, EZC_EVENTS_DIM) >= 0)
        return ezc_error_set(err, EZC_ESHAPE,
                             "sampler: the signal has a dim 'event' already (the output's first)");
    st->gain = x->axes[0].gain;
    st->L = llround((st->stop - st->start) / st->gain);
    if (st->L < 1)
        st->L = 1;
    double c = ceil(st->dur / st->gain - 1e-6);
    if (!(c < 1e12))
        return ezc_error_set(err, EZC_EINVAL,
                             "sampler: buffer_duration %g s at %g s per sample: too many samples",
                             st->dur, st->gain);
    st->cap = (int64_t)c > st->L ? (int64_t)c : st->L;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[0] = 0;
    st->meta = ezc_array_new_like(x, x->dtype, ezc_array_ndim(x), shape, err);
    if (!st->meta)
        return fail_code(err);
    st->meta->axes[0] = (ezc_axis){.kind = EZC_AXIS_LINEAR, .gain = st->gain};
    snprintf(st->meta->axes[0].unit, EZC_NAME_MAX, "%s", x->axes[0].unit);
    size_t rest = 1;
    for (int d = 1; d < ezc_array_ndim(x); d++)
        rest *= (size_t)x->shape[d];
    st->row_bytes = rest * ezc_dtype_size(x->dtype);
    if ((size_t)st->cap > SIZE_MAX / (st->row_bytes ? st->row_bytes : 1))
        return ezc_error_set(err, EZC_ENOMEM, "sampler: buffer too large");
    size_t nb = (size_t)st->cap * st->row_bytes;
    st->ring = xp->alloc(ezc_array_device(x), nb ? nb : 1, err);
    return st->ring ? 0 : EZC_ENOMEM;
}

static int on_signal(sampler_state *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                     ezc_error *err)
{
    int ax, rc = ezc_tf_axis("sampler", in, st->axis, &ax, err);
    if (rc)
        return rc;
    const ezc_axis *a = &in->axes[ax];
    if (a->kind != EZC_AXIS_LINEAR || !(a->gain > 0) || !isfinite(a->gain) || !isfinite(a->offset))
        return ezc_error_set(err, EZC_EINVAL,
                             "sampler: axis '%s' must be linear with a finite gain > 0 "
                             "(seconds per sample)",
                             in->dims[ax]);
    ezc_array *x = in;
    if (ax != 0) {
        int perm[EZC_MAX_DIMS], nd = ezc_array_ndim(in);
        perm[0] = ax;
        for (int d = 0, j = 1; d < nd; d++)
            if (d != ax)
                perm[j++] = d;
        x = ezc_array_permute_cached(in, perm, &st->pcache, err);
        if (!x)
            return fail_code(err);
    }
    if (ezc_template_changed(&st->tpl, x, 0) || !st->meta) {
        rc = reset(st, x, xp, err);
        if (rc) {
            st->tpl.valid = 0;
            if (x != in)
                ezc_array_destroy(&x);
            return rc;
        }
    }
    /* the latest metadata that can change within a template */
    ezc_attrs_unref(&st->meta->attrs);
    st->meta->attrs = x->attrs ? ezc_attrs_ref(x->attrs) : NULL;
    st->meta->src = x->src, st->meta->seq = x->seq, st->meta->ts_ns = x->ts_ns;
    for (int d = 1; d < ezc_array_ndim(x); d++) {
        ezc_coords_unref(&st->meta->axes[d].coords);
        st->meta->axes[d] = x->axes[d];
        if (x->axes[d].coords)
            ezc_coords_ref(x->axes[d].coords);
    }
    int64_t n = x->shape[0];
    st->anchor_i = st->total;
    st->anchor_t = x->axes[0].offset;
    st->have_signal = 1;
    rc = emit(st, x, n, xp, out, err);
    if (!rc) {
        int64_t m = n < st->cap ? n : st->cap;
        size_t xb0 = (size_t)((const char *)ezc_array_data(x) - (const char *)x->buf->data);
        rc = ring_copy(st, xp, 1, st->total + n - m, m, x->buf, xb0, n - m, err);
    }
    if (rc) {
        ezc_array_destroy(out);
        st->tpl.valid = 0; /* the ring may be torn: start again */
        st->total = st->count = 0;
    } else {
        st->total += n;
        st->count = st->count + n < st->cap ? st->count + n : st->cap;
    }
    if (x != in)
        ezc_array_destroy(&x);
    return rc;
}

static int on_events(sampler_state *st, ezc_array *in, ezc_array **out, ezc_error *err)
{
    int rc = ezc_events_check(in, err);
    if (rc) {
        ezc_error_prefix(err, "sampler: port 'events'");
        return rc;
    }
    size_t n = ezc_events_count(in);
    for (size_t i = 0; i < n; i++) {
        pending p = {ezc_events_time(in, i), in->axes[0].coords, i, 0};
        if (st->npend == st->max_pending) {
            st->overflow++;
            report(st, 3, "overflowed max_pending (dropped)", &p);
            continue;
        }
        p.labels = ezc_coords_ref(p.labels);
        st->pend[st->npend++] = p;
    }
    if (!st->have_signal || !st->meta)
        return 0; /* judged when the signal comes */
    ezc_error e2 = {0};
    const ezc_xp *xp = ezc_xp_for(ezc_array_device(st->meta), &e2);
    if (!xp)
        return ezc_error_set(err, e2.code, "sampler: %s", e2.msg);
    return emit(st, NULL, 0, xp, out, err);
}

static int sampler_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    sampler_state *st = state;
    *out = NULL;
    int rc = port == 0 ? on_signal(st, in, out, xp, err) : on_events(st, in, out, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_sampler_type = {
    .name = "sampler",
    .summary = "windows [t + start, t + stop) of port 'signal' around each event of port "
               "'events'",
    .settings = sampler_settings,
    .inputs = sampler_ports,
    .init = sampler_init,
    .process = sampler_process,
    .fini = sampler_fini,
};
