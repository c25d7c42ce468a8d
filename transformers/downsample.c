/* downsample.c — every q-th sample along an axis (ezmsg-sigproc's
 * Downsample): q = factor, or floor(fs / target_rate) (1 when the target is
 * above fs). The phase of the q-counter is carried across messages, so a
 * stream cut into any chunks keeps the same samples as the whole; it
 * restarts at a template change. The axis gain becomes gain * q and its
 * offset the time of the first kept sample; a message with no kept sample
 * gives an empty one. No anti-alias filter: see decimate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"

void ezc_ds_stream_fini(ezc_ds_stream *st)
{
    free(st->idx);
    ezc_buffer_unref(&st->cache);
    memset(st, 0, sizeof *st);
}

int ezc_ds_stream_factor(const ezc_ds_stream *st, const ezc_array *a, int ax, int64_t *q,
                         ezc_error *err)
{
    if (st->factor > 0) {
        *q = st->factor;
        return 0;
    }
    double fs;
    int rc = ezc_axis_rate(a, ax, &fs, err);
    if (rc)
        return rc;
    double r = fs / st->target_rate;
    *q = r >= 1 && r < 1e15 ? (int64_t)r : 1;
    return 0;
}

/* The axis of the output: linear axes scale, coordinates follow the kept
 * indices. */
static int set_out_axis(ezc_array *y, const ezc_array *x, int ax, int64_t q, const int64_t *idx,
                        size_t m, ezc_error *err)
{
    const ezc_axis *xa = &x->axes[ax];
    ezc_array_clear_axis(y, ax);
    if (xa->kind == EZC_AXIS_LINEAR) {
        double first = m ? (double)idx[0] : 0.0;
        ezc_array_set_linear_axis(y, ax, xa->gain * (double)q, xa->offset + xa->gain * first,
                                  xa->unit);
        return 0;
    }
    if (xa->kind != EZC_AXIS_COORD || !xa->coords)
        return 0;
    const ezc_coords *c = xa->coords;
    if (c->values) {
        double *v = malloc((m ? m : 1) * sizeof *v);
        if (!v)
            return ezc_error_set(err, EZC_ENOMEM, "out of memory");
        for (size_t i = 0; i < m; i++)
            v[i] = c->values[idx[i]];
        int rc = ezc_array_set_coord_values(y, ax, v, m, xa->unit, err);
        free(v);
        return rc;
    }
    const char **l = malloc((m ? m : 1) * sizeof *l);
    if (!l)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++)
        l[i] = c->labels[idx[i]];
    int rc = ezc_array_set_coord_labels(y, ax, l, m, xa->unit, err);
    free(l);
    return rc;
}

int ezc_ds_stream_process(ezc_ds_stream *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    int ax, rc;
    *out = NULL;
    if ((rc = ezc_array_require_axis(in, st->axis, &ax, err)))
        goto fail;
    if (ezc_template_changed(&st->tpl, in, ax)) {
        if ((rc = ezc_ds_stream_factor(st, in, ax, &st->q, err))) {
            st->tpl.valid = 0;
            goto fail;
        }
        st->phase = 0;
    }
    int64_t n = in->shape[ax], q = st->q;
    int64_t first = (q - st->phase % q) % q;
    size_t m = first < n ? (size_t)((n - 1 - first) / q + 1) : 0;
    if (m > st->idx_cap) {
        int64_t *p = realloc(st->idx, m * sizeof *p);
        if (!p) {
            rc = ezc_error_set(err, EZC_ENOMEM, "out of memory");
            goto fail;
        }
        st->idx = p;
        st->idx_cap = m;
    }
    for (size_t i = 0; i < m; i++)
        st->idx[i] = first + (int64_t)i * q;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, in->shape, sizeof shape);
    shape[ax] = (int64_t)m;
    ezc_array *y = NULL;
    if (q == 1) {
        y = in; /* every sample kept: the message as it is */
        in = NULL;
    } else {
        y = ezc_array_new_like_cached(in, in->dtype, ezc_array_ndim(in), shape, &st->cache, err);
        if (!y) {
            rc = err->code;
            goto fail;
        }
        if ((rc = ezc_xp_call(xp, take, err, in, ax, st->idx, m, y)) ||
            (rc = set_out_axis(y, in, ax, q, st->idx, m, err))) {
            ezc_array_destroy(&y);
            goto fail;
        }
    }
    st->phase = (st->phase + n) % q;
    ezc_array_destroy(&in);
    *out = y;
    return 0;
fail:
    ezc_array_destroy(&in);
    return rc;
}

/* ---- the transformer ---------------------------------------------------- */

static const ezc_setting_spec ds_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to downsample along", 0, NULL},
    {"target_rate", EZC_SETTING_FLOAT, NULL,
     "desired rate in Hz: q = floor(fs / target_rate), so the rate is >= the target", 0, NULL},
    {"factor", EZC_SETTING_INT, NULL, "keep every factor-th sample (wins over target_rate)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void ds_fini(void *state)
{
    if (!state)
        return;
    ezc_ds_stream_fini(state);
    free(state);
}

int ezc_ds_settings(ezc_ds_stream *st, const ezc_settings *s, const char *who, ezc_error *err)
{
    const char *axis = "time";
    memset(st, 0, sizeof *st);
    ezc_settings_get_string(s, "axis", &axis);
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    int has_rate = ezc_settings_get_float(s, "target_rate", &st->target_rate) == 0;
    int has_factor = ezc_settings_get_int(s, "factor", &st->factor) == 0;
    if (has_factor && st->factor < 1)
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'factor' = %lld: must be >= 1", who,
                             (long long)st->factor);
    if (!has_factor && has_rate && !(st->target_rate > 0))
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'target_rate' = %g: must be > 0 Hz", who,
                             st->target_rate);
    if (!has_factor && !has_rate)
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: neither setting 'target_rate' nor setting 'factor' is given",
                             who);
    if (has_factor)
        st->target_rate = 0;
    return 0;
}

static int ds_init(void **state, const ezc_settings *s, ezc_error *err)
{
    ezc_ds_stream *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "downsample: out of memory");
    int rc = ezc_ds_settings(st, s, "downsample", err);
    if (rc) {
        ds_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int ds_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    (void)port;
    return ezc_ds_stream_process(state, in, out, xp, err);
}

const ezc_transformer_type ezc_downsample_type = {
    .name = "downsample",
    .summary = "keep every q-th sample along an axis (no anti-alias filter; see decimate)",
    .settings = ds_settings,
    .init = ds_init,
    .process = ds_process,
    .fini = ds_fini,
};
