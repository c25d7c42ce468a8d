/* denormalize.c — turns z-scored signals into rate-like ones (ezmsg-sigproc's
 * Denormalize): per channel an offset o drawn once per stream (uniform in
 * [low_rate, high_rate], normal around their middle clipped to them, or
 * their middle), gain o / 3.29 (99.9% of a unit normal lands in [0, 2 o]),
 * y = max(x * gain + o, 0). The draw is redone when the stream's template
 * changes; `seed` makes it reproducible. One xp.affine_axis and one clip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tf_util.h"

typedef enum { DIST_UNIFORM, DIST_NORMAL, DIST_CONSTANT } dist_kind;

typedef struct denorm_state {
    double lo, hi;
    dist_kind dist;
    char axis[EZC_NAME_MAX];
    uint64_t rng;
    ezc_template tpl;
    double *gain, *off;
    size_t cap;
} denorm_state;

static const ezc_setting_spec denorm_settings[] = {
    {"low_rate", EZC_SETTING_FLOAT, "2.0", "low end of the offsets (rates, Hz)", 0, NULL},
    {"high_rate", EZC_SETTING_FLOAT, "40.0", "high end of the offsets", 0, NULL},
    {"distribution", EZC_SETTING_STRING, "uniform", "how offsets are drawn per channel", 0,
     "uniform|normal|constant"},
    {"axis", EZC_SETTING_STRING, "ch", "the channel dim (one offset and gain per index)", 0, NULL},
    {"seed", EZC_SETTING_INT, NULL, "random seed (absent: a new one per instance)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void denorm_fini(void *state)
{
    denorm_state *st = state;
    if (!st)
        return;
    free(st->gain);
    free(st->off);
    free(st);
}

static int denorm_init(void **state, const ezc_settings *s, ezc_error *err)
{
    double lo = 2, hi = 40;
    const char *dist = "uniform", *axis = "ch";
    int64_t seed = 0;
    ezc_settings_get_float(s, "low_rate", &lo);
    ezc_settings_get_float(s, "high_rate", &hi);
    ezc_settings_get_string(s, "distribution", &dist);
    ezc_settings_get_string(s, "axis", &axis);
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return ezc_error_set(err, EZC_EINVAL,
                             "denormalize: setting 'high_rate' = %g: must be finite and at least "
                             "'low_rate' = %g",
                             hi, lo);
    denorm_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "denormalize: out of memory");
    st->lo = lo;
    st->hi = hi;
    st->dist = !strcmp(dist, "normal")     ? DIST_NORMAL
               : !strcmp(dist, "constant") ? DIST_CONSTANT
                                           : DIST_UNIFORM;
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    if (!ezc_settings_get_int(s, "seed", &seed))
        st->rng = (uint64_t)seed;
    else
        st->rng = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20) ^ (uint64_t)(uintptr_t)st;
    *state = st;
    return 0;
}

/* splitmix64: a uniform double in [0, 1). */
static double uniform01(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}

static double draw(denorm_state *st)
{
    double mid = (st->lo + st->hi) / 2;
    switch (st->dist) {
    case DIST_CONSTANT: return mid;
    case DIST_UNIFORM: return st->lo + (st->hi - st->lo) * uniform01(&st->rng);
    case DIST_NORMAL: {
        double u = 1 - uniform01(&st->rng), v = uniform01(&st->rng); /* u in (0, 1] */
        double z = sqrt(-2 * log(u)) * cos(2 * M_PI * v);
        return fmin(fmax(mid + z * (st->hi - st->lo) / 6, st->lo), st->hi);
    }
    }
    return mid;
}

static int redraw(denorm_state *st, size_t nch, ezc_error *err)
{
    if (nch > st->cap) {
        double *g = realloc(st->gain, nch * sizeof *g);
        if (g)
            st->gain = g;
        double *o = g ? realloc(st->off, nch * sizeof *o) : NULL;
        if (!o)
            return ezc_error_set(err, EZC_ENOMEM, "denormalize: out of memory");
        st->off = o;
        st->cap = nch;
    }
    for (size_t c = 0; c < nch; c++) {
        st->off[c] = draw(st);
        st->gain[c] = st->off[c] / 3.29;
    }
    return 0;
}

static int denorm_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    denorm_state *st = state;
    (void)port;
    *out = NULL;
    int ax, rc = ezc_tf_axis("denormalize", in, st->axis, &ax, err);
    if (!rc)
        rc = ezc_tf_writable_float("denormalize", &in, 0, xp, err);
    else
        ezc_array_destroy(&in);
    if (rc)
        return rc;
    if (ezc_array_size(in) == 0) { /* nothing to scale; the draw waits for data */
        *out = in;
        return 0;
    }
    /* the template leaves out the first other dim (time): chunk lengths vary */
    int tax = ezc_array_ndim(in) > 1 ? (ax == 0 ? 1 : 0) : -1;
    if (ezc_template_changed(&st->tpl, in, tax) && (rc = redraw(st, (size_t)in->shape[ax], err))) {
        st->tpl.valid = 0;
    } else if (!(rc = ezc_xp_call(xp, affine_axis, err, in, in, ax, st->gain, st->off))) {
        rc = ezc_xp_call(xp, clip, err, in, in, 0.0, INFINITY);
    }
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    *out = in;
    return 0;
}

const ezc_transformer_type ezc_denormalize_type = {
    .name = "denormalize",
    .summary = "z-scores to non-negative rates: random per-channel offset and gain",
    .settings = denorm_settings,
    .init = denorm_init,
    .process = denorm_process,
    .fini = denorm_fini,
};
