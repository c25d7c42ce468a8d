/* difference.c — x - value, or value - x (ezmsg-sigproc's ConstDifference:
 * subtrahend = true means value is subtracted from the input). */
#include <stdlib.h>
#include "tf_util.h"

typedef struct difference_state {
    double value;
    int subtrahend;
} difference_state;

static const ezc_setting_spec difference_settings[] = {
    {"value", EZC_SETTING_FLOAT, "0.0", "the constant", 0, NULL},
    {"subtrahend", EZC_SETTING_BOOL, "true", "true: x - value; false: value - x", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int difference_init(void **state, const ezc_settings *s, ezc_error *err)
{
    difference_state *st = malloc(sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "difference: out of memory");
    ezc_settings_get_float(s, "value", &st->value);
    ezc_settings_get_bool(s, "subtrahend", &st->subtrahend);
    *state = st;
    return 0;
}

static int difference_apply(const void *state, ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    const difference_state *st = state;
    if (st->subtrahend)
        return ezc_xp_call(xp, affine, err, x, x, 1.0, -st->value);
    return ezc_xp_call(xp, affine, err, x, x, -1.0, st->value);
}

static int difference_process(void *state, int port, ezc_array *in, ezc_array **out,
                              const ezc_xp *xp, ezc_error *err)
{
    (void)port;
    return ezc_tf_map("difference", 1, in, out, xp, difference_apply, state, err);
}

const ezc_transformer_type ezc_difference_type = {
    .name = "difference",
    .summary = "subtract a constant (or subtract from it), element-wise",
    .settings = difference_settings,
    .init = difference_init,
    .process = difference_process,
    .fini = free,
};
