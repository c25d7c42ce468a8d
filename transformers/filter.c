/* filter.c — a recursive filter with given coefficients along an axis
 * (ezmsg-sigproc's Filter): second-order sections `sos` (6 numbers per
 * section, as scipy.signal.sosfilt) or one polynomial pair `b`, `a` (as
 * scipy.signal.lfilter). State carried across messages, reset on a template
 * change, started at the steady state of the first sample. */
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"

typedef struct filter_state {
    ezc_iir_stream iir;
} filter_state;

static const ezc_setting_spec filter_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"sos", EZC_SETTING_FLOATS, NULL, "second-order sections, b0 b1 b2 a0 a1 a2 per section", 0,
     NULL},
    {"b", EZC_SETTING_FLOATS, NULL, "numerator coefficients (instead of sos)", 0, NULL},
    {"a", EZC_SETTING_FLOATS, NULL, "denominator coefficients (default [1]: FIR)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void filter_fini(void *state)
{
    filter_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->iir);
    free(st);
}

static int filter_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    const double *sos = NULL, *b = NULL, *a = NULL;
    size_t nsos = 0, nb = 0, na = 0;
    static const double one = 1.0;
    ezc_settings_get_string(s, "axis", &axis);
    int has_sos = ezc_settings_get_floats(s, "sos", &sos, &nsos) == 0;
    int has_b = ezc_settings_get_floats(s, "b", &b, &nb) == 0;
    if (ezc_settings_get_floats(s, "a", &a, &na) != 0) {
        a = &one;
        na = 1;
    }
    if (has_sos == has_b)
        return ezc_error_set(err, EZC_EINVAL,
                             "filter: give either setting 'sos' or setting 'b' (with 'a')%s",
                             has_sos ? ", not both" : "");
    if (has_sos && (nsos == 0 || nsos % 6))
        return ezc_error_set(err, EZC_EINVAL,
                             "filter: setting 'sos' has %zu numbers: expected a non-zero "
                             "multiple of 6 (b0 b1 b2 a0 a1 a2 per section)",
                             nsos);
    if (has_b && (nb == 0 || na == 0 || nb > 1001 || na > 1001))
        return ezc_error_set(err, EZC_EINVAL,
                             "filter: settings 'b' (%zu numbers) and 'a' (%zu): expected 1 to "
                             "1001 each",
                             nb, na);
    for (size_t i = 0; has_sos && i < nsos; i += 6)
        if (sos[i + 3] == 0)
            return ezc_error_set(err, EZC_EINVAL, "filter: setting 'sos': section %zu has a0 = 0",
                                 i / 6);
    if (has_b && a[0] == 0)
        return ezc_error_set(err, EZC_EINVAL, "filter: setting 'a': a[0] = 0");
    filter_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "filter: out of memory");
    int rc;
    if (has_sos) {
        rc = ezc_iir_stream_init(&st->iir, axis, sos, (int)(nsos / 6), 2, NULL, NULL, err);
    } else {
        /* b and a padded with zeros to one length: one section */
        size_t n = nb > na ? nb : na;
        double *c = calloc(2 * n, sizeof *c);
        if (!c) {
            free(st);
            return ezc_error_set(err, EZC_ENOMEM, "filter: out of memory");
        }
        memcpy(c, b, nb * sizeof *c);
        memcpy(c + n, a, na * sizeof *c);
        rc = ezc_iir_stream_init(&st->iir, axis, c, 1, (int)n - 1, NULL, NULL, err);
        free(c);
    }
    if (rc) {
        filter_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int filter_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    filter_state *st = state;
    (void)port;
    return ezc_iir_stream_process(&st->iir, in, out, xp, err);
}

const ezc_transformer_type ezc_filter_type = {
    .name = "filter",
    .summary = "recursive filter with given sos or b/a coefficients (scipy sosfilt/lfilter), "
               "state carried across messages",
    .settings = filter_settings,
    .init = filter_init,
    .process = filter_process,
    .fini = filter_fini,
};
