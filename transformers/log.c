/* log.c — logarithm in a given base (ezmsg-sigproc's Log). clip_zero first
 * raises values <= 0 to the dtype's smallest normal number so that the
 * output stays finite. Integers are converted to float64 (numpy's rule). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include "ezc/plugin.h"

typedef struct log_state {
    double base;
    int clip_zero;
} log_state;

static const ezc_setting_spec log_settings[] = {
    {"base", EZC_SETTING_FLOAT, "10", "logarithm base (> 0, not 1)", 0, NULL},
    {"clip_zero", EZC_SETTING_BOOL, "false",
     "raise values <= 0 to the dtype's smallest normal before the log", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int log_init(void **state, const ezc_settings *s, ezc_error *err)
{
    log_state *st = malloc(sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "log: out of memory");
    ezc_settings_get_float(s, "base", &st->base);
    ezc_settings_get_bool(s, "clip_zero", &st->clip_zero);
    if (!(st->base > 0) || st->base == 1 || isinf(st->base)) {
        int rc = ezc_error_set(err, EZC_EINVAL, "log: base (%g) must be positive, finite and not 1",
                               st->base);
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int log_process(void *state, int port, ezc_array *in, ezc_array **out,
                       const ezc_xp *xp, ezc_error *err)
{
    const log_state *st = state;
    (void)port;
    int rc = 0;
    ezc_array *x = in;
    if (ezc_dtype_is_complex(in->dtype)) {
        rc = ezc_error_set(err, EZC_EDTYPE, "log: %s data is not supported (take abs first)",
                           ezc_dtype_name(in->dtype));
    } else if (!ezc_dtype_is_float(in->dtype)) {
        x = ezc_array_new_like(in, EZC_FLOAT64, 0, NULL, err);
        rc = x ? ezc_xp_call(xp, astype, err, in, x) : EZC_ENOMEM;
        ezc_array_destroy(&in);
    } else {
        rc = ezc_array_make_writable(x, err);
    }
    if (!rc && st->clip_zero)
        rc = ezc_xp_call(xp, clip, err, x, x, x->dtype == EZC_FLOAT32 ? FLT_MIN : DBL_MIN, INFINITY);
    if (!rc) {
        if (st->base == 10)
            rc = ezc_xp_call(xp, unary, err, EZC_UNARY_LOG10, x, x);
        else if (st->base == 2)
            rc = ezc_xp_call(xp, unary, err, EZC_UNARY_LOG2, x, x);
        else {
            rc = ezc_xp_call(xp, unary, err, EZC_UNARY_LOG, x, x);
            if (!rc && st->base != M_E)
                rc = ezc_xp_call(xp, affine, err, x, x, 1.0 / log(st->base), 0.0);
        }
    }
    if (rc) {
        if (x != in)
            ezc_array_destroy(&in);
        ezc_array_destroy(&x);
        return rc;
    }
    *out = x;
    return 0;
}

const ezc_transformer_type ezc_log_type = {
    .name = "log",
    .summary = "logarithm in a base (default 10); clip_zero avoids -inf",
    .settings = log_settings,
    .init = log_init,
    .process = log_process,
    .fini = free,
};
