/* clip.c — x limited to [min, max] (ezmsg-sigproc's Clip); either bound may
 * be absent. NaN passes through. In place when the buffer is ours alone. */
#include <math.h>
#include <stdlib.h>
#include "ezc/plugin.h"

typedef struct clip_state {
    double lo, hi;
} clip_state;

static const ezc_setting_spec clip_settings[] = {
    {"min", EZC_SETTING_FLOAT, NULL, "lower bound (absent: none)", 0, NULL},
    {"max", EZC_SETTING_FLOAT, NULL, "upper bound (absent: none)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int clip_init(void **state, const ezc_settings *s, ezc_error *err)
{
    clip_state *st = malloc(sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "clip: out of memory");
    st->lo = -INFINITY;
    st->hi = INFINITY;
    ezc_settings_get_float(s, "min", &st->lo);
    ezc_settings_get_float(s, "max", &st->hi);
    if (st->lo > st->hi) {
        int rc = ezc_error_set(err, EZC_EINVAL, "clip: min (%g) > max (%g)", st->lo, st->hi);
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int clip_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                        ezc_error *err)
{
    const clip_state *st = state;
    (void)port;
    int rc = EZC_EDTYPE;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        ezc_error_set(err, EZC_EDTYPE, "clip: %s data has no order to clip by",
                      ezc_dtype_name(in->dtype));
    else if (!(rc = ezc_array_make_writable(in, err)))
        rc = ezc_xp_call(xp, clip, err, in, in, st->lo, st->hi);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    *out = in;
    return 0;
}

const ezc_transformer_type ezc_clip_type = {
    .name = "clip",
    .summary = "limit values to [min, max], element-wise",
    .settings = clip_settings,
    .init = clip_init,
    .process = clip_process,
    .fini = free,
};
