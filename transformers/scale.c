/* scale.c — scale * x (ezmsg-sigproc's Scale). Integers become float64.
 * The offset handed to xp.affine is -0.0, the identity of IEEE addition, so
 * the result is the bare product: -0.0 stays -0.0 as in numpy (+0.0 would
 * turn it into +0.0). */
#include <stdlib.h>
#include "tf_util.h"

static const ezc_setting_spec scale_settings[] = {
    {"scale", EZC_SETTING_FLOAT, "1.0", "factor", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int scale_init(void **state, const ezc_settings *s, ezc_error *err)
{
    double *k = malloc(sizeof *k);
    if (!k)
        return ezc_error_set(err, EZC_ENOMEM, "scale: out of memory");
    ezc_settings_get_float(s, "scale", k);
    *state = k;
    return 0;
}

static int scale_apply(const void *st, ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    return ezc_xp_call(xp, affine, err, x, x, *(const double *)st, -0.0);
}

static int scale_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    (void)port;
    if (*(const double *)state == 1.0 &&
        (ezc_dtype_is_float(in->dtype) || ezc_dtype_is_complex(in->dtype))) {
        *out = in; /* x * 1 is x: nothing to compute, nothing to copy */
        return 0;
    }
    return ezc_tf_map("scale", 1, in, out, xp, scale_apply, state, err);
}

const ezc_transformer_type ezc_scale_type = {
    .name = "scale",
    .summary = "multiply by a constant, element-wise",
    .settings = scale_settings,
    .init = scale_init,
    .process = scale_process,
    .fini = free,
};
