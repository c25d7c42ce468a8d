/* pow.c — x ** exponent (ezmsg-sigproc's Pow). Real data only: a negative
 * base with a fractional exponent gives NaN, as numpy. */
#include <stdlib.h>
#include "tf_util.h"

static const ezc_setting_spec pow_settings[] = {
    {"exponent", EZC_SETTING_FLOAT, "2.0", "power to raise each value to", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int pow_init(void **state, const ezc_settings *s, ezc_error *err)
{
    double *p = malloc(sizeof *p);
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "pow: out of memory");
    ezc_settings_get_float(s, "exponent", p);
    *state = p;
    return 0;
}

static int pow_apply(const void *st, ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    double p = *(const double *)st;
    if (p == 2.0) /* exact and faster than the general power */
        return ezc_xp_call(xp, unary, err, EZC_UNARY_SQUARE, x, x);
    if (p == 1.0)
        return 0;
    return ezc_xp_call(xp, pow, err, x, x, p);
}

static int pow_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    (void)port;
    return ezc_tf_map("pow", 0, in, out, xp, pow_apply, state, err);
}

const ezc_transformer_type ezc_pow_type = {
    .name = "pow",
    .summary = "raise to a power, element-wise",
    .settings = pow_settings,
    .init = pow_init,
    .process = pow_process,
    .fini = free,
};
