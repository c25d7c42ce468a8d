/* detrend.c — removes a trend along an axis. type = ewma (the default) is
 * ezmsg-sigproc's Detrend: x minus its bias-corrected exponentially
 * weighted mean (an inner `ewma`, so its state runs across messages);
 * constant and linear are scipy.signal.detrend of each message on its own:
 * x minus its mean, or minus its least-squares line
 *   mean + slope (t - tbar),  slope = sum(x (t - tbar)) / sum((t - tbar)^2).
 * The per-lane mean and slope are reductions (xp.reduce); they are spread
 * back along the axis by an xp.take of index 0, n times, and the line's
 * (t - tbar) factors are one xp.affine_axis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

extern const ezc_transformer_type ezc_ewma_type;

typedef enum { DT_EWMA, DT_CONSTANT, DT_LINEAR } dt_kind;

typedef struct detrend_state {
    dt_kind type;
    const char *axis;
    ezc_transformer *ewma;
    ezc_buffer *c_mean, *c_slope, *c_t1, *c_t2;
    double *tc;  /* host: t - tbar for the current length */
    int64_t *zi; /* host: n zeros for the take */
    size_t cap;
} detrend_state;

static const ezc_setting_spec detrend_settings[] = {
    {"type", EZC_SETTING_STRING, "ewma",
     "ewma (ezmsg-sigproc: x - running mean), or scipy.signal.detrend per message", 0,
     "ewma|constant|linear"},
    {"axis", EZC_SETTING_STRING, "time", "dim along which the trend runs", 0, NULL},
    {"time_constant", EZC_SETTING_FLOAT, "1.0", "ewma: seconds of the running mean", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void detrend_fini(void *state)
{
    detrend_state *st = state;
    if (!st)
        return;
    ezc_transformer_destroy(&st->ewma);
    ezc_buffer_unref(&st->c_mean);
    ezc_buffer_unref(&st->c_slope);
    ezc_buffer_unref(&st->c_t1);
    ezc_buffer_unref(&st->c_t2);
    free(st->tc);
    free(st->zi);
    free(st);
}

static int detrend_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *type = "ewma";
    detrend_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "detrend: out of memory");
    st->axis = "time";
    ezc_settings_get_string(s, "type", &type);
    ezc_settings_get_string(s, "axis", &st->axis);
    st->type = !strcmp(type, "constant") ? DT_CONSTANT
               : !strcmp(type, "linear") ? DT_LINEAR
                                         : DT_EWMA;
    int rc = 0;
    if (st->type == DT_EWMA) {
        ezc_settings *es = ezc_settings_new(err);
        rc = es ? 0 : err->code;
        if (!rc && !(rc = ezc_tf_setting_copy(es, s, "time_constant", "time_constant", err)) &&
            !(rc = ezc_tf_setting_copy(es, s, "axis", "axis", err)) &&
            !(st->ewma = ezc_transformer_new(&ezc_ewma_type, es, err))) {
            rc = err->code;
            /* "ewma: setting 'time_constant' = 0: ..." reads as detrend's */
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "detrend: %.400s",
                     strncmp(err->msg, "ewma: ", 6) ? err->msg : err->msg + 6);
            snprintf(err->msg, sizeof err->msg, "%s", msg);
        }
        ezc_settings_destroy(&es);
    }
    if (rc) {
        detrend_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* A header over a's buffer with a's dims but length 1 along axis, or
 * (drop) without that dim. */
static ezc_array *lane_view(const ezc_array *a, int axis, int drop, ezc_error *err)
{
    int64_t shape[EZC_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < ezc_array_ndim(a); i++)
        if (i != axis)
            shape[nd++] = a->shape[i];
        else if (!drop)
            shape[nd++] = 1;
    return ezc_array_from_buffer(a->buf, a->tensor.byte_offset, a->dtype, nd, shape, NULL, err);
}

/* x -= (spread along axis of the lanes in m, each times tc[i] when tc). */
static int sub_spread(detrend_state *st, ezc_array *x, int ax, const ezc_array *m, const double *tc,
                      ezc_array *t, const ezc_xp *xp, ezc_error *err)
{
    ezc_array *m1 = lane_view(m, ax, 0, err);
    int rc = m1 ? ezc_xp_call(xp, take, err, m1, ax, st->zi, (size_t)x->shape[ax], t) : err->code;
    ezc_array_destroy(&m1);
    if (!rc && tc)
        rc = ezc_xp_call(xp, affine_axis, err, t, t, ax, tc, NULL);
    return rc ? rc : ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, x, t, x);
}

static int per_message(detrend_state *st, ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    size_t n = (size_t)x->shape[ax];
    if (n > st->cap) {
        double *tc = realloc(st->tc, n * sizeof *tc);
        if (tc)
            st->tc = tc;
        int64_t *zi = tc ? realloc(st->zi, n * sizeof *zi) : NULL;
        if (!zi)
            return ezc_error_set(err, EZC_ENOMEM, "detrend: out of memory");
        st->zi = zi;
        st->cap = n;
        memset(st->zi, 0, n * sizeof *zi);
    }
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[ax] = 1;
    int nd = ezc_array_ndim(x), rc = 0;
    ezc_array *mean = ezc_array_new_like_cached(x, x->dtype, nd, shape, &st->c_mean, err);
    ezc_array *t1 = mean ? ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->c_t1, err) : NULL;
    ezc_array *mv = t1 ? lane_view(mean, ax, 1, err) : NULL;
    ezc_array *slope = NULL, *sv = NULL, *t2 = NULL;
    if (!mv || (rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_MEAN, x, ax, mv)))
        goto done;
    if (st->type == DT_LINEAR && n > 1) {
        double tbar = (double)(n - 1) / 2, ss = 0;
        for (size_t i = 0; i < n; i++) {
            st->tc[i] = (double)i - tbar;
            ss += st->tc[i] * st->tc[i];
        }
        slope = ezc_array_new_like_cached(x, x->dtype, nd, shape, &st->c_slope, err);
        sv = slope ? lane_view(slope, ax, 1, err) : NULL;
        t2 = sv ? ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->c_t2, err) : NULL;
        if (!t2 || (rc = ezc_xp_call(xp, affine_axis, err, x, t1, ax, st->tc, NULL)) ||
            (rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_SUM, t1, ax, sv)) ||
            (rc = ezc_xp_call(xp, affine, err, sv, sv, 1.0 / ss, 0.0)) ||
            (rc = sub_spread(st, x, ax, slope, st->tc, t2, xp, err)))
            goto done;
    }
    rc = sub_spread(st, x, ax, mean, NULL, t1, xp, err);
done:
    if (!rc && (!mv || (st->type == DT_LINEAR && n > 1 && !t2)))
        rc = err->code ? err->code : EZC_ENOMEM;
    ezc_array_destroy(&mean);
    ezc_array_destroy(&mv);
    ezc_array_destroy(&t1);
    ezc_array_destroy(&slope);
    ezc_array_destroy(&sv);
    ezc_array_destroy(&t2);
    return rc;
}

static int detrend_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    detrend_state *st = state;
    (void)port;
    *out = NULL;
    int ax, rc = ezc_tf_axis("detrend", in, st->axis, &ax, err);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    if ((rc = ezc_tf_writable_float("detrend", &in, 0, xp, err)))
        return rc;
    if (in->shape[ax] == 0 || ezc_array_size(in) == 0) {
        *out = in;
        return 0;
    }
    if (st->type == DT_EWMA) {
        ezc_array *c = ezc_array_clone(in, err), *m = NULL;
        rc = c ? ezc_transformer_process(st->ewma, 0, c, &m, err) : err->code;
        if (!rc && !(rc = ezc_array_make_writable(in, err)))
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, in, m, in);
        ezc_array_destroy(&m);
    } else {
        rc = per_message(st, in, ax, xp, err);
    }
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    *out = in;
    return 0;
}

const ezc_transformer_type ezc_detrend_type = {
    .name = "detrend",
    .summary = "remove a trend: running (ewma) mean, or each message's mean or line",
    .settings = detrend_settings,
    .init = detrend_init,
    .process = detrend_process,
    .fini = detrend_fini,
};
