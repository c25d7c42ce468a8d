/* ewma.c — exponentially weighted moving average along an axis
 * (ezmsg-sigproc's EWMA): y[n] = alpha x[n] + (1 - alpha) y[n-1] with
 * alpha = 1 - exp(-1 / (fs tau)), and y[-1] = x[0] of the first message
 * after a reset, so the average starts at the first sample instead of
 * creeping up from 0 (y[0] = x[0]). A first-order section through xp.iir:
 * b = [alpha, 0], a = [1, alpha - 1], state (1 - alpha) x[0]. */
#include <math.h>
#include <stdlib.h>
#include "filter_stream.h"
#include "tf_util.h"

typedef struct ewma_state {
    double tau;
    ezc_iir_stream iir;
} ewma_state;

static const ezc_setting_spec ewma_settings[] = {
    {"time_constant", EZC_SETTING_FLOAT, "1.0",
     "seconds for the response to a step to reach 1 - 1/e", 0, NULL},
    {"axis", EZC_SETTING_STRING, "time", "dim to average along", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int ewma_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                       ezc_error *err)
{
    const ewma_state *st = ctx;
    double alpha = -expm1(-1.0 / (fs * st->tau));
    double *c = malloc(4 * sizeof *c);
    if (!c)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
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
    rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, ewma_design, st, err);
    if (rc) {
        ewma_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int ewma_process(void *state, int port, ezc_array *in, ezc_array **out,
                        const ezc_xp *xp, ezc_error *err)
{
    ewma_state *st = state;
    (void)port;
    return ezc_iir_stream_process(&st->iir, in, out, xp, err);
}

const ezc_transformer_type ezc_ewma_type = {
    .name = "ewma",
    .summary = "exponentially weighted moving average, started at the first sample",
    .settings = ewma_settings,
    .init = ewma_init,
    .process = ewma_process,
    .fini = ewma_fini,
};
