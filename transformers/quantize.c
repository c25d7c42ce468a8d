/* quantize.c — maps [min_val, max_val] onto the unsigned integers 0 ..
 * 2^bits - 1 (ezmsg-sigproc's Quantize): clip, (x - min) / (max - min),
 * times 2^bits - 1, rounded half to even as numpy.round, cast to the
 * smallest unsigned type that holds bits (bool for 1 bit). The arithmetic
 * runs in float64 in cached scratch arrays; NaN becomes 0. */
#include <math.h>
#include <stdlib.h>
#include "tf_util.h"

typedef struct quantize_state {
    double lo, hi, range, steps;
    ezc_dtype out;
    ezc_buffer *c[4]; /* a, s, m, y of process */
} quantize_state;

static const ezc_setting_spec quantize_settings[] = {
    {"max_val", EZC_SETTING_FLOAT, NULL, "input value mapped to 2^bits - 1 (above: clipped)", 1,
     NULL},
    {"min_val", EZC_SETTING_FLOAT, "0.0", "input value mapped to 0 (below: clipped)", 0, NULL},
    {"bits", EZC_SETTING_INT, "8",
     "1 to 64; output bool (1), uint8 (<= 8), uint16, uint32 or uint64", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void quantize_fini(void *state)
{
    quantize_state *st = state;
    if (!st)
        return;
    for (int i = 0; i < 4; i++)
        ezc_buffer_unref(&st->c[i]);
    free(st);
}

static int quantize_init(void **state, const ezc_settings *s, ezc_error *err)
{
    double lo = 0, hi = 0;
    int64_t bits = 8;
    ezc_settings_get_float(s, "max_val", &hi);
    ezc_settings_get_float(s, "min_val", &lo);
    ezc_settings_get_int(s, "bits", &bits);
    if (bits < 1 || bits > 64)
        return ezc_error_set(err, EZC_EINVAL, "quantize: setting 'bits' = %lld: must be 1 to 64",
                             (long long)bits);
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return ezc_error_set(err, EZC_EINVAL,
                             "quantize: setting 'max_val' = %g: must be finite and above "
                             "'min_val' = %g",
                             hi, lo);
    quantize_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "quantize: out of memory");
    st->lo = lo;
    st->hi = hi;
    st->range = hi - lo;
    st->steps = ldexp(1.0, (int)bits) - 1; /* 2^64 - 1 rounds to 2^64, as in Python */
    st->out = bits <= 1    ? EZC_BOOL
              : bits <= 8  ? EZC_UINT8
              : bits <= 16 ? EZC_UINT16
              : bits <= 32 ? EZC_UINT32
                           : EZC_UINT64;
    if (bits == 64) /* keeps the top code below 2^64 (ezmsg-sigproc's guard) */
        st->hi *= 1 - 2e-16;
    *state = st;
    return 0;
}

static int quantize_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                            ezc_error *err)
{
    quantize_state *st = state;
    (void)port;
    *out = NULL;
    ezc_array *a, *s, *m, *y;
    int rc = ezc_tf_grid_arrays("quantize", in, st->out, st->c, &a, &s, &m, &y, err);
    if (!rc && ezc_array_size(in) > 0 &&
        !(rc = ezc_tf_to_grid(xp, in, a, s, m, st->lo, st->hi, st->range, st->steps, 0.0, err)) &&
        !(rc = ezc_tf_nan_to_zero(xp, a, m, err)))
        rc = ezc_xp_call(xp, astype, err, m, y);
    ezc_array_destroy(&in);
    ezc_array_destroy(&a);
    ezc_array_destroy(&s);
    ezc_array_destroy(&m);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_quantize_type = {
    .name = "quantize",
    .summary = "map [min_val, max_val] to unsigned integers of `bits` bits",
    .settings = quantize_settings,
    .init = quantize_init,
    .process = quantize_process,
    .fini = quantize_fini,
};
