/* resampleconcat.c — a signal resampled onto a reference stream's clock and
 * joined to it along a dim (ezmsg-sigproc's ResampleConcat): each reference
 * sample whose time the signal has reached is output with the signal
 * interpolated linearly at that time (numpy.interp between the two signal
 * samples around it), reference first, through the join of stream_concat.h.
 *
 * Both ports buffer along the alignment dim (a linear axis) up to
 * buffer_dur seconds, settings read as align and merge read them
 * (stream_align.h). The signal keeps only the samples from the one before
 * the next reference time on; reference samples older than the signal's
 * first have no partner. Every sample dropped (those, a buffer over
 * buffer_dur, a port that jumped or changed) is counted and reported as an
 * error, as align and merge do; what is ready then comes with the next
 * message. Interpolation is two xp.take, two xp.affine_axis and an add, as
 * resample's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lerp.h"
#include "stream_align.h"
#include "stream_concat.h"

enum { REF, SIG };
static const char *const port_name[2] = {"reference", "signal"};

typedef struct rc_state {
    ezc_stream_align al; /* the settings and each port's buffer (not its pairing) */
    ezc_stream_concat cat;
    ezc_lerp lp;  /* the signal's neighbours and weights per reference time */
    int64_t *idx; /* 0, 1, .. for reading the reference */
    size_t cap;
    ezc_buffer *a_cache;
} rc_state;

static const ezc_port_spec rc_ports[] = {
    {"reference", "the clock, and the first half of the output"},
    {"signal", "resampled onto the reference's times: the second half"},
    {NULL, NULL},
};

static const ezc_setting_spec rc_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim of the clocks: a linear axis (\"\": the first dim)",
     0, NULL},
    {"concat_axis", EZC_SETTING_STRING, "ch",
     "dim to join along (a new last dim when neither has it)", 0, NULL},
    {"buffer_dur", EZC_SETTING_FLOAT, "10", "seconds each port may buffer before drops", 0, NULL},
    {"gain_rtol", EZC_SETTING_FLOAT, "1e-6",
     "relative tolerance for a port's rate to stay the same", 0, NULL},
    {"relabel_axis", EZC_SETTING_BOOL, "true", "append label_a / label_b to the joined labels", 0,
     NULL},
    {"label_a", EZC_SETTING_STRING, "_a", "suffix of the reference's labels (or its label)", 0,
     NULL},
    {"label_b", EZC_SETTING_STRING, "_b", "suffix of the signal's labels (or its label)", 0, NULL},
    {"assert_identical_shared_axes", EZC_SETTING_BOOL, "false",
     "refuse pairs whose other dims have different coordinates or gains", 0, NULL},
    {"new_key", EZC_SETTING_STRING, NULL, "output key (absent: the reference's key)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void rc_fini(void *state)
{
    rc_state *st = state;
    if (!st)
        return;
    ezc_stream_align_fini(&st->al);
    ezc_stream_concat_fini(&st->cat);
    ezc_lerp_fini(&st->lp);
    free(st->idx);
    ezc_buffer_unref(&st->a_cache);
    free(st);
}

static int rc_init(void **state, const ezc_settings *s, ezc_error *err)
{
    rc_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "resampleconcat: out of memory");
    const char *cat_axis = "ch";
    ezc_settings_get_string(s, "concat_axis", &cat_axis);
    int rc = ezc_stream_align_init(&st->al, "resampleconcat", s, "axis", err);
    if (!rc)
        rc = ezc_stream_concat_init(&st->cat, "resampleconcat", s, "ch", err);
    if (!rc && (!*cat_axis || strlen(cat_axis) >= EZC_NAME_MAX))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "resampleconcat: setting 'concat_axis' = '%s': expected a dim name of 1 "
                           "to %d bytes",
                           cat_axis, EZC_NAME_MAX - 1);
    if (!rc && st->al.axis && !strcmp(cat_axis, st->al.axis))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "resampleconcat: settings 'axis' and 'concat_axis' name the same dim "
                           "'%s'",
                           cat_axis);
    if (rc) {
        rc_fini(st);
        return rc;
    }
    st->al.port[REF] = port_name[REF];
    st->al.port[SIG] = port_name[SIG];
    /* the join reads "axis" as its dim: here that is concat_axis */
    st->cat.axis = cat_axis;
    st->cat.align_axis = st->al.axis;
    *state = st;
    return 0;
}

static int reserve(rc_state *st, size_t n, ezc_error *err)
{
    int rc = ezc_lerp_reserve(&st->lp, n, "resampleconcat", err);
    if (rc || (n <= st->cap && st->idx))
        return rc;
    int64_t *p = realloc(st->idx, (n ? n : 1) * sizeof *p);
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "resampleconcat: out of memory");
    st->idx = p;
    st->cap = n ? n : 1;
    return 0;
}

static double held_t0(const ezc_align_side *sd)
{
    return sd->held->axes[sd->axis].offset;
}

static double held_gain(const ezc_align_side *sd)
{
    return sd->held->axes[sd->axis].gain;
}

/* The message's clock dim (its index in *axis), a linear axis with a gain
 * > 0; signals become floating point. On error in is released. */
static int prologue(rc_state *st, int s, ezc_array **in, int *axis, const ezc_xp *xp,
                    ezc_error *err)
{
    ezc_array *x = *in;
    char dims[EZC_DIMS_STR_MAX];
    int rc = 0;
    *axis = 0;
    if (st->al.axis && *st->al.axis) {
        if ((*axis = ezc_array_axis_index(x, st->al.axis)) < 0)
            rc = ezc_error_set(err, EZC_ENOTFOUND,
                               "resampleconcat: setting 'axis' = '%s': the message on port '%s' "
                               "has no such dim (dims: %s)",
                               st->al.axis, port_name[s], ezc_array_dims_str(x, dims, sizeof dims));
    } else if (ezc_array_ndim(x) == 0) {
        rc = ezc_error_set(err, EZC_ESHAPE, "resampleconcat: a 0-d message has no clock");
    }
    const ezc_axis *ax = rc ? NULL : &x->axes[*axis];
    if (ax && (ax->kind != EZC_AXIS_LINEAR || !(ax->gain > 0) || !isfinite(ax->gain) ||
               !isfinite(ax->offset)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "resampleconcat: port '%s': dim '%s' has no linear axis with a gain > 0 "
                           "(the sampling times)",
                           port_name[s], x->dims[*axis]);
    if (!rc && s == SIG && (ezc_dtype_is_complex(x->dtype) || x->dtype == EZC_BOOL))
        rc = ezc_error_set(err, EZC_EDTYPE,
                           "resampleconcat: port 'signal': %s data is not supported (real numbers "
                           "only)",
                           ezc_dtype_name(x->dtype));
    if (!rc && s == SIG && x->dtype != EZC_FLOAT32 && x->dtype != EZC_FLOAT64) {
        ezc_array *f = ezc_array_new_like(x, EZC_FLOAT64, 0, NULL, err);
        rc = f ? (ezc_array_size(x) ? ezc_xp_call(xp, astype, err, x, f) : 0) : err->code;
        ezc_array_destroy(&x);
        *in = x = f;
    }
    if (rc)
        ezc_array_destroy(in);
    return rc;
}

/* The signal at the first m reference times into *b (lp's neighbours and
 * weights filled here). */
static int interpolate(rc_state *st, int64_t m, ezc_array **b, const ezc_xp *xp, ezc_error *err)
{
    ezc_align_side *sg = &st->al.side[SIG], *rf = &st->al.side[REF];
    double s0 = held_t0(sg), gs = held_gain(sg), r0 = held_t0(rf), gr = held_gain(rf);
    int64_t ns = ezc_align_held_len(sg);
    for (int64_t j = 0; j < m; j++) {
        double u = (r0 + (double)j * gr - s0) / gs, fl = floor(u + 1e-9), f = 0;
        int64_t i;
        if (!(fl >= 0)) { /* at an end (or past any number): that sample */
            i = 0;
        } else if (fl >= (double)(ns - 1)) {
            i = ns - 1;
        } else {
            i = (int64_t)fl;
            f = fmin(fmax(u - fl, 0.0), 1.0);
        }
        st->lp.lo[j] = i;
        st->lp.hi[j] = f > 0 ? i + 1 : i;
        st->lp.wlo[j] = 1 - f;
        st->lp.whi[j] = f;
    }
    int rc = ezc_lerp_run(&st->lp, sg->held, sg->axis, m, b, xp, err);
    if (!rc)
        ezc_array_set_linear_axis(*b, sg->axis, gr, r0, rf->held->axes[rf->axis].unit);
    return rc;
}

static int rc_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    rc_state *st = state;
    int s = port ? SIG : REF, axis, rc;
    *out = NULL;
    if ((rc = prologue(st, s, &in, &axis, xp, err)))
        return rc;
    ezc_align_side *rf = &st->al.side[REF], *sg = &st->al.side[SIG];
    uint64_t lost[2] = {0, 0};
    char why[160] = "";
    if ((rc = ezc_align_take(&st->al, s, in, axis, lost, why, sizeof why, err)))
        return rc;
    int64_t m = 0;
    if (ezc_align_held_len(rf) && ezc_align_held_len(sg)) {
        /* reference times before the signal's first: nothing to interpolate */
        double s0 = held_t0(sg), gs = held_gain(sg), tol = 1e-9 * gs;
        double r0 = held_t0(rf), gr = held_gain(rf);
        double early = ceil((s0 - tol - r0) / gr);
        if (early > 0) {
            if ((rc = ezc_align_drop_front(&st->al, REF, (int64_t)fmin(early, 9e18), &lost[REF],
                                           err)))
                return rc;
            if (!why[0])
                snprintf(why, sizeof why, "port 'reference' starts before port 'signal'");
        }
        if (ezc_align_held_len(rf)) {
            double last = s0 + (double)(ezc_align_held_len(sg) - 1) * gs;
            r0 = held_t0(rf);
            double k = floor((last + tol - r0) / gr) + 1;
            m = k <= 0                                ? 0
                : k >= (double)ezc_align_held_len(rf) ? ezc_align_held_len(rf)
                                                      : (int64_t)k;
        }
    }
    if ((rc = ezc_align_report(&st->al, lost, why, err)) || m <= 0)
        return rc;
    ezc_array *a = NULL, *b = NULL;
    if ((rc = reserve(st, (size_t)m, err)))
        return rc;
    for (int64_t i = 0; i < m; i++)
        st->idx[i] = i;
    if (!(a = ezc_array_take_cached(rf->held, rf->axis, st->idx, (size_t)m, &st->a_cache, err)))
        return err->code;
    double next = held_t0(rf) + (double)m * held_gain(rf);
    if (!(rc = interpolate(st, m, &b, xp, err)))
        rc = ezc_stream_concat_run(&st->cat, a, b, out, err);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    /* what stays (even when the join was refused: those samples cannot be
     * joined later either): reference samples not yet reached, and the
     * signal from the sample before the next reference time */
    int rc2 = ezc_align_drop_front(&st->al, REF, m, NULL, err);
    if (!rc2) {
        double u = floor((next - held_t0(sg)) / held_gain(sg) + 1e-9);
        int64_t keep_from = !(u > 0)                                    ? 0
                            : u >= (double)(ezc_align_held_len(sg) - 1) ? ezc_align_held_len(sg) - 1
                                                                        : (int64_t)u;
        rc2 = ezc_align_drop_front(&st->al, SIG, keep_from, NULL, err);
    }
    rc = rc ? rc : rc2;
    if (rc)
        ezc_array_destroy(out);
    return rc;
}

const ezc_transformer_type ezc_resampleconcat_type = {
    .name = "resampleconcat",
    .summary = "a signal interpolated at a reference stream's sample times, joined after it",
    .settings = rc_settings,
    .inputs = rc_ports,
    .init = rc_init,
    .process = rc_process,
    .fini = rc_fini,
};
