/* window.c — sliding windows along an axis (ezmsg-sigproc's Window).
 *
 * Samples not yet used up by a window are carried in a tail buffer. Each
 * message is joined to the tail (xp concat into a cached array) and all its
 * windows are gathered by one xp take, whose (pre, nwin*W, post) output is,
 * byte for byte, the (pre, nwin, W, post) result; the new tail is a second
 * take. No data pointer is touched, so the same code runs on any device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/plugin.h"

typedef enum { PAD_FULL, PAD_INPUT, PAD_SHIFT, PAD_NONE } pad_mode;
typedef enum { ANCHOR_BEGINNING, ANCHOR_END, ANCHOR_MIDDLE } anchor_mode;

typedef struct window_state {
    const char *axis, *newaxis;
    int has_dur, has_shift;
    double dur, shift;
    pad_mode pad;
    anchor_mode anchor;
    ezc_template tpl;
    char outdim[EZC_NAME_MAX]; /* newaxis, or newaxis_win when taken */
    int64_t W, S;              /* window and shift in samples */
    int64_t ntail, deficit;    /* carried samples; samples still to skip */
    ezc_buffer *tail;          /* room for W samples of every other index */
    ezc_buffer *jcache, *ocache;
    int64_t *idx;
    size_t idx_cap;
} window_state;

static const ezc_setting_spec window_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "axis to window (needs a linear axis: gain = 1/fs)", 0,
     NULL},
    {"newaxis", EZC_SETTING_STRING, "win", "name of the new window axis, inserted before axis", 0,
     NULL},
    {"window_dur", EZC_SETTING_FLOAT, NULL,
     "window length in seconds (absent: pass messages through)", 0, NULL},
    {"window_shift", EZC_SETTING_FLOAT, NULL,
     "step between windows in seconds (absent: one most-recent window per message)", 0, NULL},
    {"zero_pad_until", EZC_SETTING_STRING, "full",
     "initial zeros: full/input = window minus the first message's length, shift = window "
     "minus shift, none = no zeros",
     0, "full|input|shift|none"},
    {"anchor", EZC_SETTING_STRING, "beginning",
     "which sample of a window the window axis value names", 0, "beginning|end|middle"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void window_fini(void *state)
{
    window_state *st = state;
    if (!st)
        return;
    ezc_buffer_unref(&st->tail);
    ezc_buffer_unref(&st->jcache);
    ezc_buffer_unref(&st->ocache);
    free(st->idx);
    free(st);
}

static int window_init(void **state, const ezc_settings *s, ezc_error *err)
{
    window_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "window: out of memory");
    const char *pad, *anchor;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "newaxis", &st->newaxis);
    ezc_settings_get_string(s, "zero_pad_until", &pad);
    ezc_settings_get_string(s, "anchor", &anchor);
    st->has_dur = ezc_settings_get_float(s, "window_dur", &st->dur) == 0;
    st->has_shift = ezc_settings_get_float(s, "window_shift", &st->shift) == 0;
    st->pad = !strcmp(pad, "none")    ? PAD_NONE
              : !strcmp(pad, "shift") ? PAD_SHIFT
              : !strcmp(pad, "input") ? PAD_INPUT
                                      : PAD_FULL;
    st->anchor = !strcmp(anchor, "end")      ? ANCHOR_END
                 : !strcmp(anchor, "middle") ? ANCHOR_MIDDLE
                                             : ANCHOR_BEGINNING;
    int rc = 0;
    if (st->has_dur && !(st->dur > 0 && isfinite(st->dur)))
        rc = ezc_error_set(
            err, EZC_EINVAL,
            "window: setting 'window_dur' = %g: must be a positive duration in seconds", st->dur);
    else if (st->has_shift && !(st->shift > 0 && isfinite(st->shift)))
        rc = ezc_error_set(
            err, EZC_EINVAL,
            "window: setting 'window_shift' = %g: must be a positive duration in seconds",
            st->shift);
    else if (!*st->newaxis || strlen(st->newaxis) + 4 >= EZC_NAME_MAX)
        rc = ezc_error_set(err, EZC_EINVAL, "window: setting 'newaxis' = '%s': must be 1..%d bytes",
                           st->newaxis, EZC_NAME_MAX - 5);
    if (rc) {
        window_fini(st);
        return rc;
    }
    /* 1:1 mode always pads as "input" (ezmsg-sigproc does the same). */
    if (!st->has_shift)
        st->pad = PAD_INPUT;
    *state = st;
    return 0;
}

/* "time, ch" for messages. */
/* A header of `len` samples along ax over the tail buffer (C order). */
static ezc_array *tail_view(const window_state *st, const ezc_array *in, int ax, int64_t len,
                            ezc_error *err)
{
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, in->shape, sizeof shape);
    shape[ax] = len;
    return ezc_array_from_buffer(st->tail, 0, in->dtype, ezc_array_ndim(in), shape, NULL, err);
}

/* Room for n indices (grows only: the steady path reuses it). */
static int idx_reserve(window_state *st, size_t n, ezc_error *err)
{
    if (n <= st->idx_cap)
        return 0;
    int64_t *p = realloc(st->idx, n * sizeof *p);
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "window: out of memory for %zu indices", n);
    st->idx = p;
    st->idx_cap = n;
    return 0;
}

/* New stream (first message, or its template changed): sizes in samples,
 * an empty tail with the initial zeros. */
static int window_reset(window_state *st, const ezc_array *in, int ax, const ezc_xp *xp,
                        ezc_error *err)
{
    double fs = 1.0 / in->axes[ax].gain;
    double w = st->dur * fs;
    size_t outer, n, inner;
    ezc_array_split(in, ax, &outer, &n, &inner);
    size_t rows = outer * inner;
    if (!(w >= 1))
        return ezc_error_set(
            err, EZC_EINVAL,
            "window: setting 'window_dur' = %g s is shorter than one sample at fs = %g Hz", st->dur,
            fs);
    if (w >= (double)EZC_MAX_ELEMENTS || (rows && (int64_t)w > EZC_MAX_ELEMENTS / (int64_t)rows))
        return ezc_error_set(err, EZC_EINVAL,
                             "window: setting 'window_dur' = %g s is %.4g samples at fs = %g Hz (x "
                             "%zu other elements): longer than an array can hold",
                             st->dur, w, fs, rows);
    /* int() truncation, as ezmsg-sigproc. */
    st->W = (int64_t)w;
    st->S = 0;
    if (st->has_shift) {
        double s = st->shift * fs;
        if (!(s >= 1))
            return ezc_error_set(
                err, EZC_EINVAL,
                "window: setting 'window_shift' = %g s is shorter than one sample at fs = %g Hz",
                st->shift, fs);
        if (s >= (double)EZC_MAX_ELEMENTS)
            return ezc_error_set(
                err, EZC_EINVAL,
                "window: setting 'window_shift' = %g s is %.4g samples at fs = %g Hz: too long",
                st->shift, s, fs);
        st->S = (int64_t)s;
    }
    int64_t req = st->pad == PAD_NONE ? st->W : st->pad == PAD_SHIFT ? st->S : (int64_t)n;
    int64_t nzero = st->W > req ? st->W - req : 0;

    snprintf(st->outdim, sizeof st->outdim, "%s", st->newaxis);
    if (ezc_array_axis_index(in, st->outdim) >= 0)
        snprintf(st->outdim, sizeof st->outdim, "%s_win", st->newaxis);
    if (ezc_array_axis_index(in, st->outdim) >= 0)
        return ezc_error_set(
            err, EZC_EINVAL,
            "window: setting 'newaxis' = '%s': the input already has dims '%s' and '%s_win'",
            st->newaxis, st->newaxis, st->newaxis);

    ezc_buffer_unref(&st->tail);
    size_t bytes = (size_t)st->W * rows * ezc_dtype_size(in->dtype);
    st->tail = ezc_buffer_new(in->tensor.device, bytes ? bytes : 1, err);
    if (!st->tail)
        return err ? err->code : EZC_ENOMEM;
    st->ntail = nzero;
    st->deficit = 0;
    if (nzero && rows) {
        ezc_array *t = tail_view(st, in, ax, nzero, err);
        int rc = t ? ezc_xp_call(xp, fill, err, t, 0.0) : EZC_ENOMEM;
        ezc_array_destroy(&t);
        return rc;
    }
    return 0;
}

/* o's dims and axes: in's with `name` inserted at ax. */
static void insert_dim(ezc_array *o, const ezc_array *in, int ax, const char *name)
{
    for (int i = 0; i < ezc_array_ndim(o); i++) {
        ezc_array_clear_axis(o, i);
        if (i == ax) {
            snprintf(o->dims[i], EZC_NAME_MAX, "%s", name);
            continue;
        }
        int j = i < ax ? i : i - 1;
        memcpy(o->dims[i], in->dims[j], EZC_NAME_MAX);
        o->axes[i] = in->axes[j];
        ezc_coords_ref(o->axes[i].coords);
    }
}

/* Gathers nwin windows of W starting at start, start + S, ... of j along ax
 * into a new (pre, nwin, W, post) array. */
static ezc_array *gather(window_state *st, const ezc_array *in, const ezc_array *j, int ax,
                         int64_t start, int64_t nwin, const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(in);
    int64_t oshape[EZC_MAX_DIMS];
    if (nd + 1 > EZC_MAX_DIMS) {
        ezc_error_set(err, EZC_ESHAPE,
                      "window: input has %d dims; the window axis would make more than %d", nd,
                      EZC_MAX_DIMS);
        return NULL;
    }
    for (int i = 0; i <= nd; i++)
        oshape[i] = i < ax ? in->shape[i] : i == ax ? nwin : i == ax + 1 ? st->W : in->shape[i - 1];
    ezc_array *o = ezc_array_new_like_cached(in, in->dtype, nd + 1, oshape, &st->ocache, err);
    if (!o)
        return NULL;
    size_t total = (size_t)(nwin * st->W);
    if (total && ezc_array_size(o)) {
        int rc = idx_reserve(st, total, err);
        int64_t fshape[EZC_MAX_DIMS];
        memcpy(fshape, in->shape, sizeof fshape);
        fshape[ax] = (int64_t)total;
        ezc_array *flat = rc ? NULL
                             : ezc_array_from_buffer(o->buf, o->tensor.byte_offset, o->dtype, nd,
                                                     fshape, NULL, err);
        if (!rc && !flat)
            rc = err ? err->code : EZC_ENOMEM;
        if (flat) {
            for (int64_t w = 0, at = 0; w < nwin; w++)
                for (int64_t k = 0; k < st->W; k++)
                    st->idx[at++] = start + w * st->S + k;
            rc = ezc_xp_call(xp, take, err, j, ax, st->idx, total, flat);
            ezc_array_destroy(&flat);
        }
        if (rc) {
            ezc_array_destroy(&o);
            return NULL;
        }
    }
    return o;
}

/* Keeps j[from:] along ax as the new tail. */
static int keep_tail(window_state *st, const ezc_array *in, const ezc_array *j, int ax,
                     int64_t from, const ezc_xp *xp, ezc_error *err)
{
    int64_t len = j->shape[ax], keep = from < len ? len - from : 0;
    st->ntail = keep;
    if (!keep || !ezc_array_size(j))
        return 0;
    int rc = idx_reserve(st, (size_t)keep, err);
    ezc_array *t = rc ? NULL : tail_view(st, in, ax, keep, err);
    if (!t)
        return rc ? rc : EZC_ENOMEM;
    for (int64_t k = 0; k < keep; k++)
        st->idx[k] = from + k;
    rc = ezc_xp_call(xp, take, err, j, ax, st->idx, (size_t)keep, t);
    ezc_array_destroy(&t);
    return rc;
}

static int window_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    window_state *st = state;
    (void)port;
    if (!st->has_dur) {
        *out = in;
        return 0;
    }
    int rc = 0;
    ezc_array *j = NULL, *o = NULL;
    char dl[EZC_DIMS_STR_MAX];
    int ax = ezc_array_axis_index(in, st->axis);
    if (ax < 0) {
        rc = ezc_error_set(err, EZC_ENOTFOUND,
                           "window: setting 'axis' = '%s': the message has no such dim (dims: %s)",
                           st->axis, ezc_array_dims_str(in, dl, sizeof dl));
        goto done;
    }
    const ezc_axis *tax = &in->axes[ax];
    if (tax->kind != EZC_AXIS_LINEAR || !(tax->gain > 0) || !isfinite(tax->gain)) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "window: axis '%s' needs a linear axis with a positive gain (1/fs)",
                           st->axis);
        goto done;
    }
    if (ezc_template_changed(&st->tpl, in, ax) && (rc = window_reset(st, in, ax, xp, err))) {
        st->tpl.valid = 0; /* rebuild on the next message */
        goto done;
    }
    double gain = tax->gain;
    int64_t n = in->shape[ax], L = st->ntail + n;
    if (st->ntail) {
        int64_t jshape[EZC_MAX_DIMS];
        memcpy(jshape, in->shape, sizeof jshape);
        jshape[ax] = L;
        ezc_array *t = tail_view(st, in, ax, st->ntail, err);
        j = t ? ezc_array_new_like_cached(in, in->dtype, ezc_array_ndim(in), jshape, &st->jcache,
                                          err)
              : NULL;
        if (j && ezc_array_size(j)) {
            const ezc_array *parts[2] = {t, in};
            rc = ezc_xp_call(xp, concat, err, parts, 2, ax, j);
        }
        ezc_array_destroy(&t);
        if (!j && !rc)
            rc = err ? err->code : EZC_ENOMEM;
        if (rc)
            goto done;
    }
    const ezc_array *src = j ? j : in;
    double t0 = tax->offset - (double)st->ntail * gain; /* time of src[0] */
    double woff;
    int64_t nwin, start, from;
    if (!st->has_shift) {
        /* 1:1: the most recent W samples (L >= W: the initial zeros see to it) */
        nwin = 1;
        start = L - st->W;
        from = start;
        woff = t0 + (double)start * gain;
    } else {
        int64_t skip = st->deficit < L ? st->deficit : L;
        st->deficit -= skip;
        start = skip;
        nwin = st->S > 0 && L - skip >= st->W ? (L - skip - st->W) / st->S + 1 : 0;
        from = skip + nwin * st->S;
        if (from > L)
            st->deficit += from - L;
        /* no window yet: the time the next one will start, so offsets never
         * run ahead of the data (an empty message is still true to time) */
        woff = nwin ? t0 + (double)skip * gain
                    : tax->offset + (double)(skip + st->deficit - st->ntail) * gain;
    }
    o = gather(st, in, src, ax, start, nwin, xp, err);
    if (!o || (rc = keep_tail(st, in, src, ax, from, xp, err))) {
        rc = rc ? rc : (err ? err->code : EZC_ENOMEM);
        st->tpl.valid = 0; /* the tail may be half-written: start over */
        goto done;
    }
    double aoff = st->anchor == ANCHOR_END      ? st->dur
                  : st->anchor == ANCHOR_MIDDLE ? st->dur / 2
                                                : 0;
    char unit[EZC_NAME_MAX];
    memcpy(unit, tax->unit, sizeof unit);
    insert_dim(o, in, ax, st->outdim);
    ezc_array_set_linear_axis(o, ax, st->has_shift ? gain * (double)st->S : 0.0, woff + aoff, unit);
    ezc_array_set_linear_axis(o, ax + 1, gain, -aoff, unit);
done:
    ezc_array_destroy(&j);
    ezc_array_destroy(&in);
    if (rc) {
        ezc_array_destroy(&o);
        return rc;
    }
    *out = o;
    return 0;
}

const ezc_transformer_type ezc_window_type = {
    .name = "window",
    .summary = "sliding windows along an axis: a new window axis before it (ezmsg Window)",
    .settings = window_settings,
    .init = window_init,
    .process = window_process,
    .fini = window_fini,
};
