/* ewma.c — exponentially weighted moving average along an axis, bias
 * corrected (ezmsg-sigproc's EWMA): z[t] = alpha x[t] + (1 - alpha) z[t-1]
 * from z[0] = 0, with alpha = 1 - exp(-gain / tau), and the output
 * y[t] = z[t] / (1 - (1 - alpha)^t), t counting samples from 1 since the
 * last reset. The division makes y the exact weighted mean of the samples
 * seen so far (y[1] = x[1]) instead of an average creeping up from 0.
 * z runs through xp.iir (one first-order section); the correction is one
 * factor per sample along the axis (xp.affine_axis), computed from the
 * sample's global index, so any chunking gives the same numbers. Once
 * (1 - alpha)^t is below half an ulp of 1 the factor is 1 and skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "filter_stream.h"
#include "tf_util.h"

typedef struct ewma_state {
    double tau;
    char axis[EZC_NAME_MAX];
    ezc_template tpl;
    double coef[4];
    double log_beta; /* ln(1 - alpha) */
    int64_t seen;    /* samples since the reset (stops counting once done) */
    int done;        /* the correction is 1 from here on */
    ezc_array *zi;   /* outer * inner float64, on the data's device */
    double *inv;     /* host: 1 / correction per sample of a message */
    size_t inv_cap;
    ezc_buffer *c_f64, *c_out;
} ewma_state;

static const ezc_setting_spec ewma_settings[] = {
    {"time_constant", EZC_SETTING_FLOAT, "1.0",
     "seconds for the response to a step to reach 1 - 1/e", 0, NULL},
    {"axis", EZC_SETTING_STRING, "time", "dim to average along", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void ewma_fini(void *state)
{
    ewma_state *st = state;
    if (!st)
        return;
    ezc_array_destroy(&st->zi);
    ezc_buffer_unref(&st->c_f64);
    ezc_buffer_unref(&st->c_out);
    free(st->inv);
    free(st);
}

static int ewma_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis;
    double tau;
    int rc = ezc_tf_time_constant("ewma", s, &tau, &axis, err);
    if (rc)
        return rc;
    ewma_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "ewma: out of memory");
    st->tau = tau;
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    *state = st;
    return 0;
}

/* A new stream: alpha for its rate, z = 0, t = 0. */
static int reset(ewma_state *st, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    double fs;
    int rc = ezc_axis_rate(x, ax, &fs, err);
    if (rc)
        return rc;
    double alpha = -expm1(-1.0 / (fs * st->tau));
    st->coef[0] = alpha;
    st->coef[1] = 0;
    st->coef[2] = 1;
    st->coef[3] = alpha - 1;
    st->log_beta = log1p(-alpha);
    st->seen = 0;
    st->done = alpha >= 1; /* tau far below the sample period: y = x */
    size_t outer, n, inner;
    ezc_array_split(x, ax, &outer, &n, &inner);
    int64_t count = (int64_t)(outer * inner);
    if (!st->zi || st->zi->shape[0] != count ||
        !ezc_device_equal(st->zi->tensor.device, x->tensor.device)) {
        ezc_array_destroy(&st->zi);
        st->zi = ezc_array_new(EZC_FLOAT64, 1, &count, NULL, x->tensor.device, err);
        if (!st->zi)
            return err->code;
    }
    return ezc_xp_call(xp, fill, err, st->zi, 0.0);
}

/* st->inv[k] = 1 / (1 - (1 - alpha)^(seen + k + 1)) for the n samples of
 * this message; 0 when every factor is 1 (nothing to apply). */
static int corrections(ewma_state *st, size_t n, int *apply, ezc_error *err)
{
    *apply = 0;
    if (st->done)
        return 0;
    if (n > st->inv_cap) {
        double *p = realloc(st->inv, n * sizeof *p);
        if (!p)
            return ezc_error_set(err, EZC_ENOMEM, "ewma: out of memory for %zu factors", n);
        st->inv = p;
        st->inv_cap = n;
    }
    for (size_t k = 0; k < n; k++) {
        double t = (double)(st->seen + (int64_t)k + 1);
        st->inv[k] = 1.0 / -expm1(t * st->log_beta);
    }
    *apply = 1;
    /* (1 - alpha)^t < 2^-54: 1 - it rounds to 1 for every later t */
    if ((double)(st->seen + (int64_t)n) * st->log_beta < -54 * M_LN2)
        st->done = 1;
    else
        st->seen += (int64_t)n;
    return 0;
}

static int ewma_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                        ezc_error *err)
{
    ewma_state *st = state;
    int ax, rc, apply = 0;
    ezc_array *x = in, *y = NULL;
    (void)port;
    *out = NULL;
    if ((rc = ezc_array_require_axis(in, st->axis, &ax, err)))
        goto fail;
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL) {
        rc = ezc_error_set(err, EZC_EDTYPE, "ewma: %s data is not supported (real numbers only)",
                           ezc_dtype_name(in->dtype));
        goto fail;
    }
    if (in->dtype != EZC_FLOAT32 && in->dtype != EZC_FLOAT64) {
        x = ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->c_f64, err);
        rc = x ? ezc_xp_call(xp, astype, err, in, x) : err->code;
        ezc_array_destroy(&in);
        if (rc)
            goto fail;
    }
    if (ezc_template_changed(&st->tpl, x, ax) && (rc = reset(st, x, ax, xp, err))) {
        st->tpl.valid = 0; /* try again with the next message */
        goto fail;
    }
    if (ezc_array_size(x) == 0) {
        *out = x; /* nothing seen: t does not move (ezmsg passes it through) */
        return 0;
    }
    if (ezc_array_is_writable(x)) {
        y = x;
    } else {
        y = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->c_out, err);
        if (!y) {
            rc = err->code;
            goto fail;
        }
    }
    rc = ezc_xp_call(xp, iir, err, x, ax, st->coef, 1, 1, st->zi, y);
    if (y != x)
        ezc_array_destroy(&x);
    if (!rc)
        rc = corrections(st, (size_t)y->shape[ax], &apply, err);
    if (!rc && apply)
        rc = ezc_xp_call(xp, affine_axis, err, y, y, ax, st->inv, NULL);
    if (rc) {
        ezc_array_destroy(&y);
        return rc;
    }
    *out = y;
    return 0;
fail:
    ezc_array_destroy(&x);
    return rc;
}

const ezc_transformer_type ezc_ewma_type = {
    .name = "ewma",
    .summary = "exponentially weighted moving average, bias-corrected (ezmsg-sigproc's EWMA)",
    .settings = ewma_settings,
    .init = ewma_init,
    .process = ewma_process,
    .fini = ewma_fini,
};
