/* diff.c — first difference along an axis (ezmsg-sigproc's Diff), carried
 * across messages: the last sample of each message is kept, so a stream
 * processed in chunks gives what the whole stream gives. The output has the
 * input's length; its very first sample is 0 (the first sample differenced
 * with itself). scale_by_fs divides by the axis gain (1/fs), giving a
 * derivative per second; integers are then promoted to float64. */
#include <stdlib.h>
#include "tf_util.h"

typedef struct diff_state {
    const char *axis;
    int scale_by_fs;
    ezc_template tpl;
    ezc_array *prev;   /* last sample, x's shape with length 1 along axis */
    ezc_buffer *cache; /* output data */
} diff_state;

static const ezc_setting_spec diff_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to difference along", 0, NULL},
    {"scale_by_fs", EZC_SETTING_BOOL, "false", "divide by the axis gain (per second)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void diff_fini(void *state)
{
    diff_state *st = state;
    if (!st)
        return;
    ezc_array_destroy(&st->prev);
    ezc_buffer_unref(&st->cache);
    free(st);
}

static int diff_init(void **state, const ezc_settings *s, ezc_error *err)
{
    diff_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "diff: out of memory");
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_bool(s, "scale_by_fs", &st->scale_by_fs);
    *state = st;
    return 0;
}

static int diff_run(diff_state *st, ezc_array *x, int axis, ezc_array **out, const ezc_xp *xp,
                    ezc_error *err)
{
    int64_t n = x->shape[axis], last = n - 1, first = 0;
    int rc = 0;
    if (ezc_template_changed(&st->tpl, x, axis) || !st->prev) {
        if (n == 0) { /* nothing to start from yet: pass the empty message on */
            st->tpl.valid = 0;
            *out = ezc_array_clone(x, err);
            return *out ? 0 : err->code;
        }
        ezc_array_destroy(&st->prev);
        int64_t shape[EZC_MAX_DIMS];
        for (int i = 0; i < ezc_array_ndim(x); i++)
            shape[i] = i == axis ? 1 : x->shape[i];
        st->prev = ezc_array_new(x->dtype, ezc_array_ndim(x), shape, NULL, x->tensor.device, err);
        if (!st->prev || (rc = ezc_xp_call(xp, take, err, x, axis, &first, 1, st->prev)))
            return rc ? rc : err->code;
    }
    ezc_array *y = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->cache, err);
    if (!y)
        return err->code;
    rc = ezc_xp_call(xp, diff, err, x, st->prev, axis, y);
    if (!rc && n > 0)
        rc = ezc_xp_call(xp, take, err, x, axis, &last, 1, st->prev);
    if (!rc && st->scale_by_fs) {
        const ezc_axis *ax = &x->axes[axis];
        if (ax->kind != EZC_AXIS_LINEAR || ax->gain <= 0)
            rc = ezc_error_set(err, EZC_EINVAL,
                               "diff: setting 'scale_by_fs' = true: dim '%s' has no linear "
                               "axis with a positive gain (1/fs)",
                               x->dims[axis]);
        else
            rc = ezc_xp_call(xp, affine, err, y, y, 1.0 / ax->gain, 0.0);
    }
    if (rc) {
        ezc_array_destroy(&y);
        st->tpl.valid = 0; /* the carried sample may be stale: start over */
        return rc;
    }
    *out = y;
    return 0;
}

static int diff_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                        ezc_error *err)
{
    diff_state *st = state;
    (void)port;
    int axis, rc = ezc_tf_axis("diff", in, st->axis, &axis, err);
    if (!rc && in->dtype == EZC_BOOL)
        rc = ezc_error_set(err, EZC_EDTYPE, "diff: bool data has no difference");
    if (!rc && st->scale_by_fs && !ezc_dtype_is_float(in->dtype) &&
        !ezc_dtype_is_complex(in->dtype))
        rc = ezc_tf_writable_float("diff", &in, 0, xp, err);
    if (!rc)
        rc = diff_run(st, in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_diff_type = {
    .name = "diff",
    .summary = "first difference along an axis, carried across messages",
    .settings = diff_settings,
    .init = diff_init,
    .process = diff_process,
    .fini = diff_fini,
};
