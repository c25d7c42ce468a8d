/* adaptive_lattice_notch.c — a notch that tracks one narrow-band
 * interferer per series (ezmsg-sigproc's AdaptiveLatticeNotchFilter): the
 * sample-by-sample lattice recursion is the backend op xp.lattice_notch;
 * its state (two lattice samples, two correlation sums and the reflection
 * coefficient per series) lives on the data's device and is rebuilt only
 * when the template changes. Outputs the filtered signal, or (output =
 * freq) the tracked notch frequency in Hz after each sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

#define TF "adaptive_lattice_notch"

typedef struct {
    double gamma, mu, eta, init_freq; /* init_freq < 0: 0.0718 fs */
    const char *axis;
    int want_freq;
    ezc_template tpl;
    ezc_array *st; /* float64 [5][outer][inner] on the device */
    double fs;
    ezc_buffer *cache;
} alnf_state;

static const ezc_setting_spec alnf_settings[] = {
    {"gamma", EZC_SETTING_FLOAT, "0.995", "pole-zero contraction factor, in [0, 1)", 0, NULL},
    {"mu", EZC_SETTING_FLOAT, "0.99", "smoothing factor of the coefficient, in [0, 1]", 0, NULL},
    {"eta", EZC_SETTING_FLOAT, "0.99", "forgetting factor of the correlations, in [0, 1]", 0, NULL},
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along (a linear axis)", 0, NULL},
    {"init_notch_freq", EZC_SETTING_FLOAT, NULL, "initial notch in Hz (absent: 0.0718 fs)", 0,
     NULL},
    {"output", EZC_SETTING_STRING, "signal", "signal: the filtered data; freq: the notch in Hz", 0,
     "signal|freq"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void alnf_fini(void *state)
{
    alnf_state *st = state;
    if (!st)
        return;
    ezc_array_destroy(&st->st);
    ezc_buffer_unref(&st->cache);
    free(st);
}

static int in_unit(const char *name, double v, int open_top, ezc_error *err)
{
    if (isfinite(v) && v >= 0 && (open_top ? v < 1 : v <= 1))
        return 0;
    return ezc_error_set(err, EZC_EINVAL, TF ": setting '%s' = %g: expected a number in [0, 1%s",
                         name, v, open_top ? ")" : "]");
}

static int alnf_init(void **state, const ezc_settings *s, ezc_error *err)
{
    alnf_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
    st->gamma = 0.995;
    st->mu = st->eta = 0.99;
    st->init_freq = -1;
    st->axis = "time";
    const char *output = "signal";
    ezc_settings_get_float(s, "gamma", &st->gamma);
    ezc_settings_get_float(s, "mu", &st->mu);
    ezc_settings_get_float(s, "eta", &st->eta);
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "output", &output);
    st->want_freq = !strcmp(output, "freq");
    int rc = in_unit("gamma", st->gamma, 1, err);
    if (!rc)
        rc = in_unit("mu", st->mu, 0, err);
    if (!rc)
        rc = in_unit("eta", st->eta, 0, err);
    if (!rc && ezc_settings_get_float(s, "init_notch_freq", &st->init_freq) == 0 &&
        !(st->init_freq > 0 && isfinite(st->init_freq)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": setting 'init_notch_freq' = %g: expected > 0 Hz (below Nyquist)",
                           st->init_freq);
    if (rc) {
        alnf_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* New state for x's template: zeros, and the coefficient of the initial
 * notch. */
static int reset(alnf_state *st, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    double fs = 1.0 / x->axes[ax].gain;
    double f0 = st->init_freq > 0 ? st->init_freq : 0.07178314656435313 * fs;
    if (!(f0 < fs / 2))
        return ezc_error_set(err, EZC_EINVAL,
                             TF ": setting 'init_notch_freq' = %g: expected below Nyquist (%g Hz "
                                "at fs = %g)",
                             f0, fs / 2, fs);
    size_t outer, n, inner;
    ezc_array_split(x, ax, &outer, &n, &inner);
    int64_t m = (int64_t)(outer * inner), count = 5 * m;
    ezc_array_destroy(&st->st);
    st->st = ezc_array_new(EZC_FLOAT64, 1, &count, NULL, x->tensor.device, err);
    if (!st->st)
        return err->code;
    int rc = ezc_xp_call(xp, fill, err, st->st, 0.0);
    ezc_array *k1 = rc || !m ? NULL
                             : ezc_array_from_buffer(st->st->buf, 4 * (size_t)m * sizeof(double),
                                                     EZC_FLOAT64, 1, &m, NULL, err);
    if (!rc && m)
        rc = k1 ? ezc_xp_call(xp, fill, err, k1, -cos(2 * M_PI * f0 / fs)) : err->code;
    ezc_array_destroy(&k1);
    st->fs = fs;
    return rc;
}

static int alnf_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                        ezc_error *err)
{
    (void)port;
    alnf_state *st = state;
    *out = NULL;
    int ax, rc = ezc_tf_axis(TF, in, st->axis, &ax, err);
    if (!rc && (in->axes[ax].kind != EZC_AXIS_LINEAR || !(in->axes[ax].gain > 0) ||
                !isfinite(in->axes[ax].gain)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": dim '%s' has no linear axis with a gain > 0 (the sampling rate)",
                           in->dims[ax]);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    ezc_array *x = in;
    if ((rc = ezc_tf_writable_float(TF, &x, 0, xp, err)))
        return rc;
    if (ezc_template_changed(&st->tpl, x, ax) && (rc = reset(st, x, ax, xp, err))) {
        st->tpl.valid = 0; /* retried with the next message */
        ezc_array_destroy(&x);
        return rc;
    }
    if (!st->want_freq) {
        rc =
            ezc_xp_call(xp, lattice_notch, err, x, ax, st->gamma, st->mu, st->eta, st->st, x, NULL);
        if (rc)
            ezc_array_destroy(&x);
        *out = x;
        return rc;
    }
    ezc_array *f = ezc_array_new_like_cached(x, x->dtype, 0, NULL, &st->cache, err);
    rc = f ? ezc_xp_call(xp, lattice_notch, err, x, ax, st->gamma, st->mu, st->eta, st->st, x, f)
           : err->code;
    if (!rc)
        rc = ezc_xp_call(xp, affine, err, f, f, st->fs / (2 * M_PI), 0.0);
    ezc_array_destroy(&x);
    if (rc)
        ezc_array_destroy(&f);
    *out = f;
    return rc;
}

const ezc_transformer_type ezc_adaptive_lattice_notch_type = {
    .name = "adaptive_lattice_notch",
    .summary = "adaptive lattice notch tracking one narrow-band interferer",
    .settings = alnf_settings,
    .init = alnf_init,
    .process = alnf_process,
    .fini = alnf_fini,
};
