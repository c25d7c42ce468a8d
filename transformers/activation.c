/* activation.c — an element-wise activation function (ezmsg-sigproc's
 * Activation): none, sigmoid = expit = 1 / (1 + exp(-x)), logit =
 * log(x / (1 - x)) and log_expit = log(expit(x)), as scipy.special computes
 * them. log_expit is min(x, 0) - log1p(exp(-|x|)), with log1p(u) built from
 * xp's log as u * log(1 + u) / ((1 + u) - 1) (Goldberg's correction; u when
 * 1 + u rounds to 1), so it keeps full precision for large |x| where
 * log(expit(x)) would round to 0 or -inf. Integers become float64. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef enum { ACT_NONE, ACT_SIGMOID, ACT_LOGIT, ACT_LOG_EXPIT } act_fn;

typedef struct activation_state {
    act_fn fn;
    ezc_buffer *c1, *c2, *c3;
} activation_state;

static const ezc_setting_spec activation_settings[] = {
    {"function", EZC_SETTING_STRING, "none",
     "none, sigmoid (= expit), logit or log_expit (scipy.special's)", 0,
     "none|sigmoid|expit|logit|log_expit"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void activation_fini(void *state)
{
    activation_state *st = state;
    if (!st)
        return;
    ezc_buffer_unref(&st->c1);
    ezc_buffer_unref(&st->c2);
    ezc_buffer_unref(&st->c3);
    free(st);
}

static int activation_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *fn = "none";
    ezc_settings_get_string(s, "function", &fn);
    activation_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "activation: out of memory");
    if (!strcmp(fn, "sigmoid") || !strcmp(fn, "expit"))
        st->fn = ACT_SIGMOID;
    else if (!strcmp(fn, "logit"))
        st->fn = ACT_LOGIT;
    else if (!strcmp(fn, "log_expit"))
        st->fn = ACT_LOG_EXPIT;
    else if (!strcmp(fn, "none"))
        st->fn = ACT_NONE;
    else {
        free(st);
        return ezc_error_set(err, EZC_EINVAL,
                             "activation: setting 'function' = '%s': expected none, sigmoid, "
                             "expit, logit or log_expit",
                             fn);
    }
    *state = st;
    return 0;
}

static int sigmoid(ezc_array *x, const ezc_xp *xp, ezc_error *err)
{
    int rc;
    if ((rc = ezc_xp_call(xp, affine, err, x, x, -1.0, 0.0)) ||
        (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_EXP, x, x)) ||
        (rc = ezc_xp_call(xp, affine, err, x, x, 1.0, 1.0)))
        return rc;
    return ezc_xp_call(xp, unary, err, EZC_UNARY_RECIPROCAL, x, x);
}

static int logit(ezc_array *x, ezc_array *t, const ezc_xp *xp, ezc_error *err)
{
    int rc;
    if ((rc = ezc_xp_call(xp, affine, err, x, t, -1.0, 1.0)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, x, t, x)))
        return rc;
    return ezc_xp_call(xp, unary, err, EZC_UNARY_LOG, x, x);
}

/* x = min(x, 0) - log1p(exp(-|x|)). */
static int log_expit(ezc_array *x, ezc_array *u, ezc_array *w, ezc_array *d, const ezc_xp *xp,
                     ezc_error *err)
{
    int rc;
    if ((rc = ezc_xp_call(xp, unary, err, EZC_UNARY_ABS, x, u)) ||
        (rc = ezc_xp_call(xp, affine, err, u, u, -1.0, 0.0)) ||
        (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_EXP, u, u)) || /* u = exp(-|x|) */
        (rc = ezc_xp_call(xp, clip, err, x, x, -INFINITY, 0.0)) ||
        (rc = ezc_xp_call(xp, affine, err, u, w, 1.0, 1.0)) ||  /* w = 1 + u */
        (rc = ezc_xp_call(xp, affine, err, w, d, 1.0, -1.0)) || /* d = w - 1, exact */
        (rc = ezc_xp_call(xp, unary, err, EZC_UNARY_LOG, w, w)) ||
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_DIV, w, d, w)) || /* NaN where d = 0 */
        (rc = ezc_xp_call(xp, affine, err, w, w, 1.0, -1.0)) ||
        (rc = ezc_tf_nan_to_zero(xp, w, d, err)) ||
        (rc = ezc_xp_call(xp, affine, err, d, d, 1.0, 1.0)) || /* 1 where d was 0 */
        (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_MUL, u, d, u)))
        return rc;
    return ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, x, u, x);
}

static int activation_process(void *state, int port, ezc_array *in, ezc_array **out,
                              const ezc_xp *xp, ezc_error *err)
{
    activation_state *st = state;
    (void)port;
    *out = NULL;
    if (st->fn == ACT_NONE) {
        *out = in;
        return 0;
    }
    int rc = ezc_tf_writable_float("activation", &in, 0, xp, err);
    if (rc)
        return rc;
    ezc_array *t1 = NULL, *t2 = NULL, *t3 = NULL;
    if (st->fn != ACT_SIGMOID) {
        t1 = ezc_array_new_like_cached(in, in->dtype, 0, NULL, &st->c1, err);
        if (t1 && st->fn == ACT_LOG_EXPIT) {
            t2 = ezc_array_new_like_cached(in, in->dtype, 0, NULL, &st->c2, err);
            t3 = t2 ? ezc_array_new_like_cached(in, in->dtype, 0, NULL, &st->c3, err) : NULL;
        }
        if (!t1 || (st->fn == ACT_LOG_EXPIT && !t3))
            rc = err->code ? err->code : EZC_ENOMEM;
    }
    if (!rc) {
        if (st->fn == ACT_SIGMOID)
            rc = sigmoid(in, xp, err);
        else if (st->fn == ACT_LOGIT)
            rc = logit(in, t1, xp, err);
        else
            rc = log_expit(in, t1, t2, t3, xp, err);
    }
    ezc_array_destroy(&t1);
    ezc_array_destroy(&t2);
    ezc_array_destroy(&t3);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    *out = in;
    return 0;
}

const ezc_transformer_type ezc_activation_type = {
    .name = "activation",
    .summary = "activation function, element-wise: sigmoid/expit, logit, log_expit",
    .settings = activation_settings,
    .init = activation_init,
    .process = activation_process,
    .fini = activation_fini,
};
