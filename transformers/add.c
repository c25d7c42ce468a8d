/* add.c — x + value (ezmsg-sigproc's ConstAdd). */
#include <stdlib.h>
#include "tf_util.h"

static const ezc_setting_spec add_settings[] = {
    {"value", EZC_SETTING_FLOAT, "0.0", "constant added to every value", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int add_init(void **state, const ezc_settings *s, ezc_error *err)
{
    double *v = malloc(sizeof *v);
    if (!v)
        return ezc_error_set(err, EZC_ENOMEM, "add: out of memory");
    ezc_settings_get_float(s, "value", v);
    *state = v;
    return 0;
}

static int add_apply(const void *st, ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    return ezc_xp_call(xp, affine, err, x, x, 1.0, *(const double *)st);
}

static int add_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    (void)port;
    return ezc_tf_map("add", 1, in, out, xp, add_apply, state, err);
}

const ezc_transformer_type ezc_add_type = {
    .name = "add",
    .summary = "add a constant, element-wise (two streams: add_streams)",
    .settings = add_settings,
    .init = add_init,
    .process = add_process,
    .fini = free,
};
