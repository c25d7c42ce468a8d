/* invert.c — 1 / x (ezmsg-sigproc's Invert): 1/0 = inf, as numpy. */
#include "tf_util.h"

static int invert_init(void **state, const ezc_settings *s, ezc_error *err)
{
    (void)s;
    (void)err;
    *state = NULL;
    return 0;
}

static int invert_apply(const void *st, ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    (void)st;
    return ezc_xp_call(xp, unary, err, EZC_UNARY_RECIPROCAL, x, x);
}

static int invert_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    (void)port;
    return ezc_tf_map("invert", 1, in, out, xp, invert_apply, state, err);
}

const ezc_transformer_type ezc_invert_type = {
    .name = "invert",
    .summary = "reciprocal 1/x, element-wise",
    .init = invert_init,
    .process = invert_process,
};
