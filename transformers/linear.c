/* linear.c — scale * x + offset (ezmsg-sigproc's LinearTransform): scalars,
 * or one value per index along `axis` (per-channel gains and offsets).
 * Always the one expression numpy evaluates, in one pass: a scalar beside a
 * list is spread into a list, so the signs of zeros come out as numpy's
 * (-0.0 * 2 + 0.0 is +0.0 there too). */
#include <stdlib.h>
#include "tf_util.h"

typedef struct linear_state {
    double *scale, *offset;
    size_t nscale, noffset;
    double *sc_list, *of_list; /* both as lists of n, when either is a list */
    size_t n;
    const char *axis; /* owned by the settings */
} linear_state;

static const ezc_setting_spec linear_settings[] = {
    {"scale", EZC_SETTING_FLOATS, "1.0", "factor: one number, or one per index along axis", 0,
     NULL},
    {"offset", EZC_SETTING_FLOATS, "0.0", "added after scaling: one number, or one per index", 0,
     NULL},
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
    free(st->sc_list);
    free(st->of_list);
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
    st->n = st->nscale > st->noffset ? st->nscale : st->noffset;
    if (!rc && st->n > 1) {
        st->sc_list = malloc(st->n * sizeof *st->sc_list);
        st->of_list = malloc(st->n * sizeof *st->of_list);
        if (!st->sc_list || !st->of_list)
            rc = ezc_error_set(err, EZC_ENOMEM, "linear: out of memory");
        for (size_t i = 0; !rc && i < st->n; i++) {
            st->sc_list[i] = st->scale[st->nscale > 1 ? i : 0];
            st->of_list[i] = st->offset[st->noffset > 1 ? i : 0];
        }
    }
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
    if (st->n != n)
        return ezc_error_set(
            err, EZC_ESHAPE, "linear: setting '%s' has %zu values but dim '%s' has length %zu",
            st->nscale > 1 && st->nscale != n ? "scale" : "offset", st->n, x->dims[axis], n);
    return ezc_xp_call(xp, affine_axis, err, x, x, axis, st->sc_list, st->of_list);
}

static int linear_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
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
