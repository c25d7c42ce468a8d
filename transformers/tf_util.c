/* tf_util.c — helpers shared by the built-in transformers. */
#include "tf_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ezc_tf_axis(const char *tf, const ezc_array *a, const char *axis, int *index, ezc_error *err)
{
    int nd = ezc_array_ndim(a);
    if (!axis || !*axis) {
        if (nd == 0)
            return ezc_error_set(err, EZC_ESHAPE, "%s: a 0-d message has no axis to work on", tf);
        *index = nd - 1;
        return 0;
    }
    int i = ezc_array_axis_index(a, axis);
    if (i >= 0) {
        *index = i;
        return 0;
    }
    char dims[EZC_DIMS_STR_MAX];
    return ezc_error_set(err, EZC_ENOTFOUND,
                         "%s: setting 'axis' = '%s': the message has no such dim (dims: %s)", tf,
                         axis, ezc_array_dims_str(a, dims, sizeof dims));
}

int ezc_tf_writable_float(const char *tf, ezc_array **x, int allow_complex, const ezc_xp *xp,
                          ezc_error *err)
{
    ezc_array *in = *x;
    int rc = 0;
    if (ezc_dtype_is_complex(in->dtype) && !allow_complex) {
        rc = ezc_error_set(err, EZC_EDTYPE, "%s: %s data is not supported", tf,
                           ezc_dtype_name(in->dtype));
    } else if (ezc_dtype_is_float(in->dtype) || ezc_dtype_is_complex(in->dtype)) {
        rc = ezc_array_make_writable(in, err);
    } else {
        ezc_array *f = ezc_array_new_like(in, EZC_FLOAT64, 0, NULL, err);
        rc = f ? ezc_xp_call(xp, astype, err, in, f) : err->code;
        ezc_array_destroy(&in);
        *x = in = f;
    }
    if (rc)
        ezc_array_destroy(x);
    return rc;
}

int ezc_tf_map(const char *tf, int allow_complex, ezc_array *in, ezc_array **out, const ezc_xp *xp,
               ezc_tf_map_fn fn, const void *st, ezc_error *err)
{
    int rc = ezc_tf_writable_float(tf, &in, allow_complex, xp, err);
    if (!rc && (rc = fn(st, in, xp, err)))
        ezc_array_destroy(&in);
    *out = in;
    return rc;
}

int ezc_tf_floats(const ezc_settings *s, const char *name, double dflt, double **out, size_t *n,
                  ezc_error *err)
{
    const double *v = NULL;
    size_t len = 0;
    if (ezc_settings_get_floats(s, name, &v, &len) || len == 0) {
        v = &dflt;
        len = 1;
    }
    *out = malloc(len * sizeof **out);
    if (!*out)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    memcpy(*out, v, len * sizeof **out);
    *n = len;
    return 0;
}

int ezc_tf_axis_values(const char *tf, const ezc_array *a, int axis, double **buf, size_t *cap,
                       int *numeric, ezc_error *err)
{
    size_t n = (size_t)a->shape[axis];
    if (n > *cap || !*buf) {
        double *v = realloc(*buf, (n ? n : 1) * sizeof *v);
        if (!v)
            return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", tf);
        *buf = v;
        *cap = n;
    }
    int num = 1;
    for (size_t i = 0; i < n; i++)
        if (ezc_axis_value(&a->axes[axis], (int64_t)i, &(*buf)[i])) {
            (*buf)[i] = (double)i;
            num = 0;
        }
    if (numeric)
        *numeric =
            num && (a->axes[axis].kind == EZC_AXIS_LINEAR || a->axes[axis].kind == EZC_AXIS_COORD);
    return 0;
}

int ezc_tf_setting_copy(ezc_settings *d, const ezc_settings *s, const char *name, const char *as,
                        ezc_error *err)
{
    char text[4096];
    const char *str;
    double f;
    const double *list;
    size_t n;
    if (!ezc_settings_has(s, name))
        return 0;
    if (!ezc_settings_get_string(s, name, &str))
        return ezc_settings_set(d, as, str, NULL, err);
    if (!ezc_settings_get_float(s, name, &f)) {
        snprintf(text, sizeof text, "%.17g", f);
        return ezc_settings_set(d, as, text, NULL, err);
    }
    if (!ezc_settings_get_floats(s, name, &list, &n)) {
        size_t at = 0;
        text[at++] = '[';
        for (size_t i = 0; i < n && at + 32 < sizeof text; i++)
            at += (size_t)snprintf(text + at, sizeof text - at, "%s%.17g", i ? ", " : "", list[i]);
        snprintf(text + at, sizeof text - at, "]");
        return ezc_settings_set(d, as, text, NULL, err);
    }
    return 0;
}

int ezc_tf_time_constant(const char *tf, const ezc_settings *s, double *tau, const char **axis,
                         ezc_error *err)
{
    *tau = 1;
    *axis = "time";
    ezc_settings_get_float(s, "time_constant", tau);
    ezc_settings_get_string(s, "axis", axis);
    if (!(*tau > 0) || isinf(*tau))
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: setting 'time_constant' = %g: must be a positive number of "
                             "seconds",
                             tf, *tau);
    return 0;
}

int ezc_tf_nan_to_zero(const ezc_xp *xp, const ezc_array *x, ezc_array *y, ezc_error *err)
{
    size_t n = ezc_array_size(x);
    if (n == 0)
        return 0;
    size_t base = (size_t)((char *)ezc_array_data(x) - (char *)x->buf->data);
    int64_t shape[2] = {(int64_t)n, 1};
    ezc_array *v = ezc_array_from_buffer(x->buf, base, x->dtype, 2, shape, NULL, err);
    size_t ybase = (size_t)((char *)ezc_array_data(y) - (char *)y->buf->data);
    ezc_array *w = v ? ezc_array_from_buffer(y->buf, ybase, y->dtype, 1, shape, NULL, err) : NULL;
    int rc = w ? ezc_xp_call(xp, reduce, err, EZC_REDUCE_NANSUM, v, 1, w) : err->code;
    ezc_array_destroy(&v);
    ezc_array_destroy(&w);
    return rc;
}

int ezc_tf_round_even(const ezc_xp *xp, ezc_array *a, ezc_array *s, ezc_array *m, ezc_error *err)
{
    const double big = 0x1p52; /* from here on every float64 is an integer */
    int rc;
    if ((rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SIGN, a, s)) ||
        (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_ABS, a, a)) ||
        (rc = ezc_xp_call(xp, clip, err, a, m, 0.0, big)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, a, m, a)) ||
        (rc = ezc_xp_call(xp, affine, err, m, m, 1.0, big)) ||
        (rc = ezc_xp_call(xp, affine, err, m, m, 1.0, -big)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, a, m, a)))
        return rc;
    return ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, a, s, a);
}

int ezc_tf_to_grid(const ezc_xp *xp, const ezc_array *x, ezc_array *a, ezc_array *s, ezc_array *m,
                   double lo, double hi, double range, double scale, double offset, ezc_error *err)
{
    int rc;
    if ((rc = ezc_xp_call(xp, astype, err, x, a)) ||
        (rc = ezc_xp_call(xp, clip, err, a, a, lo, hi)) ||
        (rc = ezc_xp_call(xp, affine, err, a, a, 1.0, -lo)) ||
        (rc = ezc_xp_call(xp, fill, err, s, range)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, a, s, a)) ||
        (rc = ezc_xp_call(xp, affine, err, a, a, scale, 0.0)) ||
        (offset != 0 && (rc = ezc_xp_call(xp, affine, err, a, a, 1.0, offset))))
        return rc;
    return ezc_tf_round_even(xp, a, s, m, err);
}

int ezc_tf_filter_input(ezc_array **x, const char *axis, int *ax, const ezc_xp *xp, ezc_error *err)
{
    ezc_array *in = *x;
    int rc = ezc_array_require_axis(in, axis, ax, err);
    if (rc)
        return rc;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "%s data is not supported (real numbers only)",
                             ezc_dtype_name(in->dtype));
    if (in->dtype == EZC_FLOAT32 || in->dtype == EZC_FLOAT64)
        return 0;
    ezc_array *f = ezc_array_new_like(in, EZC_FLOAT64, 0, NULL, err);
    if (!f)
        return err && err->code ? err->code : EZC_ENOMEM;
    if ((rc = ezc_xp_call(xp, astype, err, in, f))) {
        ezc_array_destroy(&f);
        return rc;
    }
    ezc_array_destroy(x);
    *x = f;
    return 0;
}

int ezc_tf_grid_arrays(const char *tf, const ezc_array *x, ezc_dtype out, ezc_buffer **c,
                       ezc_array **a, ezc_array **s, ezc_array **m, ezc_array **y, ezc_error *err)
{
    *a = *s = *m = *y = NULL;
    if (ezc_dtype_is_complex(x->dtype))
        return ezc_error_set(err, EZC_EDTYPE, "%s: %s data is not supported", tf,
                             ezc_dtype_name(x->dtype));
    if ((*a = ezc_array_new_like_cached(x, EZC_FLOAT64, 0, NULL, &c[0], err)) &&
        (*s = ezc_array_new_like_cached(x, EZC_FLOAT64, 0, NULL, &c[1], err)) &&
        (*m = ezc_array_new_like_cached(x, EZC_FLOAT64, 0, NULL, &c[2], err)) &&
        (*y = ezc_array_new_like_cached(x, out, 0, NULL, &c[3], err)))
        return 0;
    ezc_array_destroy(a);
    ezc_array_destroy(s);
    ezc_array_destroy(m);
    return err->code ? err->code : EZC_ENOMEM;
}
