/* abs.c — |x| element-wise (ezmsg-sigproc's Abs). In place when the buffer
 * is ours alone; complex input yields its real magnitude in a new array. */
#include "ezc/plugin.h"

static int abs_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    (void)state;
    (void)port;
    int rc;
    if (in->dtype == EZC_BOOL || (ezc_dtype_is_int(in->dtype) && !ezc_dtype_is_signed(in->dtype))) {
        *out = in; /* already non-negative */
        return 0;
    }
    if (ezc_dtype_is_complex(in->dtype)) {
        ezc_array *y = ezc_array_new_like(in, ezc_dtype_real(in->dtype), 0, NULL, err);
        rc = y ? ezc_xp_call(xp, unary, err, EZC_UNARY_ABS, in, y) : EZC_ENOMEM;
        ezc_array_destroy(&in);
        if (rc)
            ezc_array_destroy(&y);
        *out = y;
        return rc;
    }
    rc = ezc_array_make_writable(in, err);
    if (!rc)
        rc = ezc_xp_call(xp, unary, err, EZC_UNARY_ABS, in, in);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    *out = in;
    return 0;
}

const ezc_transformer_type ezc_abs_type = {
    .name = "abs",
    .summary = "absolute value, element-wise (complex: magnitude)",
    .process = abs_process,
};
