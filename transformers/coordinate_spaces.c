/* coordinate_spaces.c — Cartesian <-> polar over a dim of length 2
 * (ezmsg-sigproc's CoordinateSpaces): cart2pol maps (x, y) to
 * (r = hypot(x, y), theta = atan2(y, x)); pol2cart maps (r, theta) to
 * (r cos theta, r sin theta). The dim gets the labels (r, theta) or (x, y)
 * (ezmsg-sigproc relabels only a dim that already had labels). */
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef struct coord_state {
    const char *axis;
    int to_polar;
    ezc_coords *labels; /* (r, theta) or (x, y): made once, shared by every output */
    ezc_buffer *a, *b, *u, *v, *out;
} coord_state;

static const ezc_setting_spec coord_settings[] = {
    {"mode", EZC_SETTING_STRING, "cart2pol", "direction", 0, "cart2pol|pol2cart"},
    {"axis", EZC_SETTING_STRING, NULL, "dim holding the 2 components (default: the last)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void coord_fini(void *state)
{
    coord_state *st = state;
    if (!st)
        return;
    ezc_coords_unref(&st->labels);
    ezc_buffer_unref(&st->a);
    ezc_buffer_unref(&st->b);
    ezc_buffer_unref(&st->u);
    ezc_buffer_unref(&st->v);
    ezc_buffer_unref(&st->out);
    free(st);
}

static int coord_init(void **state, const ezc_settings *s, ezc_error *err)
{
    coord_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "coordinate_spaces: out of memory");
    const char *mode = "cart2pol";
    ezc_settings_get_string(s, "mode", &mode);
    ezc_settings_get_string(s, "axis", &st->axis);
    st->to_polar = strcmp(mode, "cart2pol") == 0;
    const char *polar[2] = {"r", "theta"}, *cart[2] = {"x", "y"};
    if (!(st->labels = ezc_coords_new(2, NULL, st->to_polar ? polar : cart, err))) {
        coord_fini(st);
        return err->code;
    }
    *state = st;
    return 0;
}

static int coord_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    coord_state *st = state;
    (void)port;
    int axis, rc = ezc_tf_axis("coordinate_spaces", in, st->axis, &axis, err);
    if (!rc && in->shape[axis] != 2)
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "coordinate_spaces: dim '%s' has length %lld: expected 2 "
                           "components (%s)",
                           in->dims[axis], (long long)in->shape[axis],
                           st->to_polar ? "x, y" : "r, theta");
    if (!rc && !ezc_dtype_is_float(in->dtype))
        rc = ezc_tf_writable_float("coordinate_spaces", &in, 0, xp, err);
    ezc_array *a = NULL, *b = NULL, *u = NULL, *v = NULL, *y = NULL;
    const int64_t i0 = 0, i1 = 1;
    if (!rc && (!(a = ezc_array_take_cached(in, axis, &i0, 1, &st->a, err)) ||
                !(b = ezc_array_take_cached(in, axis, &i1, 1, &st->b, err)) ||
                !(u = ezc_array_new_like_cached(a, a->dtype, 0, NULL, &st->u, err)) ||
                !(v = ezc_array_new_like_cached(a, a->dtype, 0, NULL, &st->v, err))))
        rc = err->code;
    if (!rc && st->to_polar) {
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_HYPOT, a, b, u);
        if (!rc)
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ATAN2, b, a, v);
    } else if (!rc) { /* u = cos(theta), v = sin(theta), then both times r */
        rc = ezc_xp_call(xp, unary, err, EZC_UNARY_COS, b, u);
        if (!rc)
            rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SIN, b, v);
        if (!rc)
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, u, a, u);
        if (!rc)
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, v, a, v);
    }
    if (!rc && !(y = ezc_array_new_like_cached(in, in->dtype, 0, NULL, &st->out, err)))
        rc = err->code;
    if (!rc) {
        const ezc_array *parts[2] = {u, v};
        rc = ezc_xp_call(xp, concat, err, parts, 2, axis, y);
    }
    if (!rc) {
        char unit[EZC_NAME_MAX];
        memcpy(unit, in->axes[axis].unit, sizeof unit);
        ezc_array_clear_axis(y, axis);
        y->axes[axis].kind = EZC_AXIS_COORD;
        y->axes[axis].coords = ezc_coords_ref(st->labels);
        memcpy(y->axes[axis].unit, unit, sizeof unit);
    }
    if (rc)
        ezc_array_destroy(&y);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    ezc_array_destroy(&u);
    ezc_array_destroy(&v);
    ezc_array_destroy(&in);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_coordinate_spaces_type = {
    .name = "coordinate_spaces",
    .summary = "Cartesian (x, y) <-> polar (r, theta) over a dim of length 2",
    .settings = coord_settings,
    .init = coord_init,
    .process = coord_process,
    .fini = coord_fini,
};
