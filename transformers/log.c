/* log.c — logarithm in a given base (ezmsg-sigproc's Log), computed as it
 * does: ln(x) / ln(base), a division by the same float64 ln(base) numpy
 * uses, so the result is numpy's to within an ulp (np.log10 would differ:
 * ln(1000) / ln(10) is 2.9999999999999996). clip_zero raises values below
 * the dtype's smallest normal to it, but only when the message holds some
 * x <= 0 (NaN aside), as ezmsg-sigproc does: [1e-310, 1] keeps its
 * denormal (log10 -310). Integers are converted to float64 (numpy's rule)
 * and never clipped. xp.log_base takes the log and the division in one
 * pass; a backend without it gets unary LOG, then a division by an array of
 * ln(base) kept per template (xp has no division by a scalar). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include "ezc/plugin.h"

typedef struct log_state {
    double base, ln_base;
    int clip_zero;
    ezc_array *den;    /* ln(base) in every element, x's dtype, shape, device */
    ezc_array *lowest; /* the message's nanmin (0-d), on its device */
    ezc_array *lowest_host;
    ezc_buffer *c_f64;
} log_state;

static const ezc_setting_spec log_settings[] = {
    {"base", EZC_SETTING_FLOAT, "10", "logarithm base (> 0, not 1)", 0, NULL},
    {"clip_zero", EZC_SETTING_BOOL, "false",
     "when the message holds a value <= 0, raise values below the dtype's smallest normal to "
     "it before the log",
     0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void log_fini(void *state)
{
    log_state *st = state;
    if (!st)
        return;
    ezc_array_destroy(&st->den);
    ezc_array_destroy(&st->lowest);
    ezc_array_destroy(&st->lowest_host);
    ezc_buffer_unref(&st->c_f64);
    free(st);
}

static int log_init(void **state, const ezc_settings *s, ezc_error *err)
{
    log_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "log: out of memory");
    ezc_settings_get_float(s, "base", &st->base);
    ezc_settings_get_bool(s, "clip_zero", &st->clip_zero);
    if (!(st->base > 0) || st->base == 1 || isinf(st->base)) {
        int rc = ezc_error_set(err, EZC_EINVAL, "log: base (%g) must be positive, finite and not 1",
                               st->base);
        free(st);
        return rc;
    }
    st->ln_base = log(st->base);
    *state = st;
    return 0;
}

/* *a: an array of like's dtype with this shape on dev, the one kept when it
 * fits; *fresh (may be NULL) = 1 when it is new. */
static int keep(ezc_array **a, const ezc_array *like, int ndim, const int64_t *shape, DLDevice dev,
                int *fresh, ezc_error *err)
{
    ezc_array *k = *a;
    int same = k && k->dtype == like->dtype && ezc_array_ndim(k) == ndim &&
               ezc_device_equal(k->tensor.device, dev);
    for (int i = 0; same && i < ndim; i++)
        same = k->shape[i] == shape[i];
    if (fresh)
        *fresh = !same;
    if (same)
        return 0;
    ezc_array_destroy(a);
    *a = ezc_array_new(like->dtype, ndim, shape, NULL, dev, err);
    return *a ? 0 : err->code;
}

/* *yes = x holds a value <= 0: its nanmin, brought to the host. */
static int any_nonpositive(log_state *st, const ezc_array *x, const ezc_xp *xp, int *yes,
                           ezc_error *err)
{
    int64_t n = (int64_t)ezc_array_size(x);
    size_t at = (size_t)((char *)ezc_array_data(x) - (char *)x->buf->data);
    ezc_array *flat = ezc_array_from_buffer(x->buf, at, x->dtype, 1, &n, NULL, err);
    int rc = flat ? keep(&st->lowest, x, 0, NULL, x->tensor.device, NULL, err) : err->code;
    if (!rc)
        rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_NANMIN, flat, 0, st->lowest);
    ezc_array_destroy(&flat);
    const ezc_array *h = st->lowest;
    if (!rc && x->tensor.device.device_type != kDLCPU) {
        rc = keep(&st->lowest_host, x, 0, NULL, ezc_device_cpu(), NULL, err);
        if (!rc)
            rc = ezc_xp_call(xp, copy, err, st->lowest, st->lowest_host);
        h = st->lowest_host;
    }
    if (rc)
        return rc;
    double v = x->dtype == EZC_FLOAT32 ? *(const float *)ezc_array_data(h)
                                       : *(const double *)ezc_array_data(h);
    *yes = v <= 0;
    return 0;
}

static int log_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    log_state *st = state;
    (void)port;
    int rc = 0, was_float = ezc_dtype_is_float(in->dtype), clip = 0;
    ezc_array *x = in;
    if (ezc_dtype_is_complex(in->dtype)) {
        rc = ezc_error_set(err, EZC_EDTYPE, "log: %s data is not supported (take abs first)",
                           ezc_dtype_name(in->dtype));
    } else if (!was_float) {
        x = ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->c_f64, err);
        rc = x ? ezc_xp_call(xp, astype, err, in, x) : err->code;
        ezc_array_destroy(&in);
    } else {
        rc = ezc_array_make_writable(x, err);
    }
    if (!rc && ezc_array_size(x) > 0) {
        if (st->clip_zero && was_float)
            rc = any_nonpositive(st, x, xp, &clip, err);
        if (!rc && clip)
            rc = ezc_xp_call(xp, clip, err, x, x, x->dtype == EZC_FLOAT32 ? FLT_MIN : DBL_MIN,
                             INFINITY);
        if (!rc && xp->log_base)
            rc = xp->log_base(x, x, st->base, err);
        else if (!rc)
            rc = ezc_xp_call(xp, unary, err, EZC_UNARY_LOG, x, x);
        if (!rc && !xp->log_base && st->ln_base != 1.0) {
            int fresh = 0;
            rc = keep(&st->den, x, ezc_array_ndim(x), x->shape, x->tensor.device, &fresh, err);
            if (!rc && fresh && (rc = ezc_xp_call(xp, fill, err, st->den, st->ln_base)))
                ezc_array_destroy(&st->den); /* filled next time */
            if (!rc)
                rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, x, st->den, x);
        }
    }
    if (rc) {
        if (x != in)
            ezc_array_destroy(&in);
        ezc_array_destroy(&x);
        return rc;
    }
    *out = x;
    return 0;
}

const ezc_transformer_type ezc_log_type = {
    .name = "log",
    .summary = "logarithm in a base (default 10), as ln(x) / ln(base); clip_zero avoids -inf",
    .settings = log_settings,
    .init = log_init,
    .process = log_process,
    .fini = log_fini,
};
