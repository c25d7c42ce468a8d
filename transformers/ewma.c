/* ewma.c — exponentially weighted moving average along an axis, bias
 * corrected (ezmsg-sigproc's EWMA): z[t] = alpha x[t] + (1 - alpha) z[t-1]
 * from z[0] = 0, with alpha = 1 - exp(-gain / tau), and the output
 * y[t] = z[t] / (1 - (1 - alpha)^t), t counting samples from 1 since the
 * last reset. The division makes y the exact weighted mean of the samples
 * seen so far (y[1] = x[1]) instead of an average creeping up from 0.
 * z is the shared IIR stream (one first-order section, started from zeros);
 * the correction is one factor per sample along the axis (xp.affine_axis),
 * computed from the sample's global index, so any chunking gives the same
 * numbers. Once (1 - alpha)^t is below half an ulp of 1 the factor is 1 and
 * skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "filter_stream.h"
#include "tf_util.h"

typedef struct ewma_state {
    double tau;
    ezc_iir_stream iir;
    uint64_t resets; /* iir.resets when seen/done were last set */
    double log_beta; /* ln(1 - alpha) */
    int64_t seen;    /* samples since the reset (stops counting once done) */
    int done;        /* the correction is 1 from here on */
    double *inv;     /* host: 1 / correction per sample of a message */
    size_t inv_cap;
} ewma_state;

static const ezc_setting_spec ewma_settings[] = {
    {"time_constant", EZC_SETTING_FLOAT, "1.0",
     "seconds for the response to a step to reach 1 - 1/e", 0, NULL},
    {"axis", EZC_SETTING_STRING, "time", "dim to average along", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* One first-order section for the stream's rate: b = [alpha, 0], a = [1, alpha - 1]. */
static int ewma_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                       ezc_error *err)
{
    const ewma_state *st = ctx;
    if (!(fs > 0))
        return ezc_error_set(err, EZC_EINVAL, "ewma: needs a linear axis with a positive gain");
    double alpha = -expm1(-1.0 / (fs * st->tau));
    double *c = malloc(4 * sizeof *c);
    if (!c)
        return ezc_error_set(err, EZC_ENOMEM, "ewma: out of memory");
    c[0] = alpha;
    c[1] = 0;
    c[2] = 1;
    c[3] = alpha - 1;
    *coef = c;
    *nsec = 1;
    *order = 1;
    return 0;
}

static void ewma_fini(void *state)
{
    ewma_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->iir);
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
    if ((rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, ewma_design, st, err))) {
        ewma_fini(st);
        return rc;
    }
    st->iir.zero_start = 1; /* z starts at 0; the correction does the rest */
    *state = st;
    return 0;
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
    ezc_array *y = NULL;
    int apply = 0, ax;
    (void)port;
    int rc = ezc_iir_stream_process(&st->iir, in, &y, xp, err);
    if (rc)
        return rc;
    if (st->iir.resets != st->resets) { /* a new stream: t starts again */
        double alpha = st->iir.coef[0];
        st->resets = st->iir.resets;
        st->log_beta = log1p(-alpha);
        st->seen = 0;
        st->done = alpha >= 1; /* tau far below the sample period: y = x */
    }
    ax = ezc_array_axis_index(y, st->iir.axis);
    if (ezc_array_size(y) == 0) {
        *out = y; /* nothing seen: t does not move (ezmsg passes it through) */
        return 0;
    }
    if ((rc = corrections(st, (size_t)y->shape[ax], &apply, err)) == 0 && apply)
        rc = ezc_xp_call(xp, affine_axis, err, y, y, ax, st->inv, NULL);
    if (rc) {
        ezc_array_destroy(&y);
        return rc;
    }
    *out = y;
    return 0;
}

const ezc_transformer_type ezc_ewma_type = {
    .name = "ewma",
    .summary = "exponentially weighted moving average, bias-corrected (ezmsg-sigproc's EWMA)",
    .settings = ewma_settings,
    .init = ewma_init,
    .process = ewma_process,
    .fini = ewma_fini,
};
