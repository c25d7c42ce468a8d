/* rectify_gain.c — an example ezc plugin: y = gain * |x|, written against
 * <ezc/plugin.h> alone. Build out of tree:
 *   cc -shared -fPIC rectify_gain.c $(pkg-config --cflags --libs ezc) -o rectify_gain.so
 * and load it with `ezc list --plugin ./rectify_gain.so` or `plugins:` in a graph. */
#include <stdlib.h>
#include <ezc/plugin.h>

typedef struct {
    double gain;
} rg_state;

static const ezc_setting_spec rg_settings[] = {
    {"gain", EZC_SETTING_FLOAT, "1.0", "factor applied after rectification", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int rg_init(void **state, const ezc_settings *s, ezc_error *err)
{
    rg_state *st = malloc(sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    ezc_settings_get_float(s, "gain", &st->gain);
    *state = st;
    return 0;
}

static int rg_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    const rg_state *st = state;
    (void)port;
    int rc = EZC_EDTYPE;
    if (in->dtype != EZC_FLOAT32 && in->dtype != EZC_FLOAT64)
        ezc_error_set(err, EZC_EDTYPE, "needs float32 or float64, got %s",
                      ezc_dtype_name(in->dtype));
    else if (!(rc = ezc_array_make_writable(in, err)) &&
             !(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_ABS, in, in)))
        rc = ezc_xp_call(xp, affine, err, in, in, st->gain, 0.0);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    *out = in;
    return 0;
}

static const ezc_transformer_type rectify_gain = {
    .name = "rectify_gain",
    .summary = "example plugin: gain * |x|",
    .settings = rg_settings,
    .init = rg_init,
    .process = rg_process,
    .fini = free,
};

static const ezc_transformer_type *const types[] = {&rectify_gain, NULL};

#ifndef EXAMPLE_PLUGIN_ABI
#define EXAMPLE_PLUGIN_ABI EZC_PLUGIN_ABI
#endif
static const ezc_plugin_info info = {EXAMPLE_PLUGIN_ABI, "example", types};

EZC_PLUGIN_EXPORT const ezc_plugin_info *ezc_plugin_entry(void)
{
    return &info;
}
