/* digitize.c — maps [min_val, max_val] onto the whole range of a signed
 * integer type (ezmsg-sigproc's Digitize): clip, normalise to [0, 1], times
 * (max - min of the type), plus the type's min, rounded half to even, cast.
 * The inverse map rides along as attrs: x ~ data * conversion + offset.
 * Arithmetic in float64 scratch arrays; NaN becomes 0. int64's top code
 * 2^63 - 1 is no double: values that round to 2^63 - 1024 or above become
 * INT64_MAX, fixed up in int64 with clip / sub / add (views of the float64
 * scratch, which has the same size). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef struct digitize_state {
    double lo, hi, range, span, out_min, conversion, offset;
    ezc_dtype out;
    ezc_buffer *c[4]; /* a, s, m, y of process */
} digitize_state;

static const ezc_setting_spec digitize_settings[] = {
    {"min_val", EZC_SETTING_FLOAT, NULL, "input value mapped to the type's minimum", 1, NULL},
    {"max_val", EZC_SETTING_FLOAT, NULL, "input value mapped to the type's maximum", 1, NULL},
    {"dtype", EZC_SETTING_STRING, "int16", "output type", 0, "int16|int32|int64"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void digitize_fini(void *state)
{
    digitize_state *st = state;
    if (!st)
        return;
    for (int i = 0; i < 4; i++)
        ezc_buffer_unref(&st->c[i]);
    free(st);
}

static int digitize_init(void **state, const ezc_settings *s, ezc_error *err)
{
    double lo = 0, hi = 0;
    const char *dt = "int16";
    ezc_settings_get_float(s, "min_val", &lo);
    ezc_settings_get_float(s, "max_val", &hi);
    ezc_settings_get_string(s, "dtype", &dt);
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return ezc_error_set(err, EZC_EINVAL,
                             "digitize: setting 'max_val' = %g: must be finite and above "
                             "'min_val' = %g",
                             hi, lo);
    digitize_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "digitize: out of memory");
    int bits = !strcmp(dt, "int64") ? 64 : !strcmp(dt, "int32") ? 32 : 16;
    st->out = bits == 64 ? EZC_INT64 : bits == 32 ? EZC_INT32 : EZC_INT16;
    st->lo = lo;
    st->hi = hi;
    st->range = hi - lo;
    st->span = ldexp(1.0, bits) - 1; /* as Python's float(iinfo.max - iinfo.min) */
    st->out_min = -ldexp(1.0, bits - 1);
    st->conversion = st->range / st->span;
    st->offset = lo - st->out_min * st->conversion;
    *state = st;
    return 0;
}

/* A header of dtype t over a's buffer (same element count and size). */
static ezc_array *retype(const ezc_array *a, ezc_dtype t, ezc_error *err)
{
    size_t base = (size_t)((char *)ezc_array_data(a) - (char *)a->buf->data);
    return ezc_array_from_buffer(a->buf, base, t, ezc_array_ndim(a), a->shape, NULL, err);
}

/* y (int64) at 2^63 - 1024 (the largest double below 2^63) -> INT64_MAX. */
static int int64_top(ezc_array *y, ezc_array *s, ezc_array *m, const ezc_xp *xp, ezc_error *err)
{
    const double top = 0x1p63 - 1024, below = 0x1p63 - 2048;
    ezc_array *k = retype(s, EZC_INT64, err), *b = k ? retype(m, EZC_INT64, err) : NULL;
    int rc = b ? 0 : err->code;
    if (!rc && !(rc = ezc_xp_call(xp, clip, err, y, k, below, top)) &&
        !(rc = ezc_xp_call(xp, fill, err, b, below)) &&
        !(rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, k, b, k)) && /* 0 or 1024 */
        !(rc = ezc_xp_call(xp, clip, err, k, k, 0.0, 1023.0)))
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, y, k, y);
    ezc_array_destroy(&k);
    ezc_array_destroy(&b);
    return rc;
}

static int digitize_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                            ezc_error *err)
{
    digitize_state *st = state;
    (void)port;
    *out = NULL;
    ezc_array *a, *s, *m, *y;
    int rc = ezc_tf_grid_arrays("digitize", in, st->out, st->c, &a, &s, &m, &y, err);
    if (rc || ezc_array_size(in) == 0)
        ;
    else if ((rc = ezc_tf_to_grid(xp, in, a, s, m, st->lo, st->hi, st->range, st->span, st->out_min,
                                  err)) ||
             (st->out == EZC_INT64 &&
              (rc = ezc_xp_call(xp, clip, err, a, a, st->out_min, 0x1p63 - 1024))) ||
             (rc = ezc_tf_nan_to_zero(xp, a, m, err)) || (rc = ezc_xp_call(xp, astype, err, m, y)))
        ;
    else if (st->out == EZC_INT64)
        rc = int64_top(y, s, m, xp, err);
    if (!rc && y && (rc = ezc_array_attr_set_float(y, "conversion", st->conversion, err)) == 0)
        rc = ezc_array_attr_set_float(y, "offset", st->offset, err);
    ezc_array_destroy(&in);
    ezc_array_destroy(&a);
    ezc_array_destroy(&s);
    ezc_array_destroy(&m);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_digitize_type = {
    .name = "digitize",
    .summary = "map [min_val, max_val] to the whole range of int16, int32 or int64",
    .settings = digitize_settings,
    .init = digitize_init,
    .process = digitize_process,
    .fini = digitize_fini,
};
