/* linear.c — scale * x + offset (ezmsg-sigproc's LinearTransform): scalars,
 * or one value per index along `axis` (per-channel gains and offsets). */
#include <stdlib.h>
#include "tf_util.h"

typedef struct linear_state {
    double *scale, *offset;
    size_t nscale, noffset;
    const char *axis; /* owned by the settings */
} linear_state;

static const ezc_setting_spec linear_settings[] = {
    {"scale", EZC_SETTING_FLOATS, "1.0", "factor: one number, or one per index along axis", 0,
     NULL},
    {"offset", EZC_SETTING_FLOATS, "0.0", "added after scaling: one number, or one per index",
     0, NULL},
    {"axis", EZC_SETTING_STRING, NULL, "dim the lists run along (needed for lists)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void linear_fini(void *state)
{
    linear_state *st = state;
    if (!st)
        return;
    free(st->scale);
    free(st->offset);
    free(st);
}

static int linear_init(void **state, const ezc_settings *s, ezc_error *err)
{
    linear_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "linear: out of memory");
    int rc = ezc_tf_floats(s, "scale", 1.0, &st->scale, &st->nscale, err);
    if (!rc)
        rc = ezc_tf_floats(s, "offset", 0.0, &st->offset, &st->noffset, err);
    st->axis = NULL;
    ezc_settings_get_string(s, "axis", &st->axis);
    if (!rc && !st->axis && (st->nscale > 1 || st->noffset > 1))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "linear: setting '%s' has %zu values: say which dim they run along "
                           "with 'axis'",
                           st->nscale > 1 ? "scale" : "offset",
                           st->nscale > 1 ? st->nscale : st->noffset);
    if (!rc && st->nscale > 1 && st->noffset > 1 && st->nscale != st->noffset)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "linear: setting 'scale' has %zu values but 'offset' has %zu",
                           st->nscale, st->noffset);
    if (rc) {
        linear_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int linear_apply(const void *state, ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    const linear_state *st = state;
    if (st->nscale == 1 && st->noffset == 1)
        return ezc_xp_call(xp, affine, err, x, x, st->scale[0], st->offset[0]);
    int axis;
    int rc = ezc_tf_axis("linear", x, st->axis, &axis, err);
    if (rc)
        return rc;
    size_t n = (size_t)x->shape[axis];
    if ((st->nscale > 1 && st->nscale != n) || (st->noffset > 1 && st->noffset != n))
        return ezc_error_set(err, EZC_ESHAPE,
                             "linear: setting '%s' has %zu values but dim '%s' has length %zu",
                             st->nscale > 1 && st->nscale != n ? "scale" : "offset",
                             st->nscale > 1 && st->nscale != n ? st->nscale : st->noffset,
                             x->dims[axis], n);
    if (st->nscale == 1) /* a scalar scale: fold it into the per-index offsets */
        rc = ezc_xp_call(xp, affine, err, x, x, st->scale[0], 0.0);
    if (!rc)
        rc = ezc_xp_call(xp, affine_axis, err, x, x, axis, st->nscale > 1 ? st->scale : NULL,
                         st->noffset > 1 ? st->offset : NULL);
    if (!rc && st->nscale > 1 && st->noffset == 1 && st->offset[0] != 0.0)
        rc = ezc_xp_call(xp, affine, err, x, x, 1.0, st->offset[0]);
    return rc;
}

static int linear_process(void *state, int port, ezc_array *in, ezc_array **out,
                          const ezc_xp *xp, ezc_error *err)
{
    (void)port;
    return ezc_tf_map("linear", 1, in, out, xp, linear_apply, state, err);
}

const ezc_transformer_type ezc_linear_type = {
    .name = "linear",
    .summary = "scale * x + offset, with scalars or per-index lists along an axis",
    .settings = linear_settings,
    .init = linear_init,
    .process = linear_process,
    .fini = linear_fini,
};
