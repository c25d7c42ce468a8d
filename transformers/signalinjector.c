/* signalinjector.c — adds a sinusoid to a stream, mixed into each channel
 * with its own weight (ezmsg-sigproc's SignalInjector): y = x + amplitude *
 * sin(2 pi frequency t) * mixing[c], t the time axis' values, c the index
 * over the other dims. The weights are drawn uniform in [-1, 1) once per
 * template (or given); frequency and amplitude may be changed at run time
 * by one-element messages on the ports `frequency` (NaN: off) and
 * `amplitude`. The data is viewed as [time, c] (or [c, time]) and the
 * sinusoid built with two xp.affine_axis on a cached scratch. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tf_util.h"

#define TF "signalinjector"

typedef struct {
    const char *time_dim;
    double freq, amp; /* freq NaN: off */
    const double *given;
    size_t ngiven;
    uint64_t seed, rng;
    ezc_template tpl;
    double *mix, *w, *t; /* per channel (drawn, times amplitude), per sample */
    size_t nmix, ncap_t;
    ezc_buffer *cache;
} inj_state;

static const ezc_port_spec inj_ports[] = {
    {"in", "the stream"},
    {"frequency", "a one-element message: the new frequency in Hz (NaN: off)"},
    {"amplitude", "a one-element message: the new amplitude"},
    {NULL, NULL},
};

static const ezc_setting_spec inj_settings[] = {
    {"time_dim", EZC_SETTING_STRING, "time", "the time dim (its axis gives t in seconds)", 0, NULL},
    {"frequency", EZC_SETTING_FLOAT, NULL, "Hz (absent: off until the frequency port sets it)", 0,
     NULL},
    {"amplitude", EZC_SETTING_FLOAT, "1", "amplitude of the sinusoid", 0, NULL},
    {"mixing_seed", EZC_SETTING_INT, NULL, "seed of the weights (absent: a new one)", 0, NULL},
    {"mixing", EZC_SETTING_FLOATS, NULL, "the weights, one per channel (instead of drawn)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void inj_fini(void *state)
{
    inj_state *st = state;
    if (!st)
        return;
    free(st->mix);
    free(st->w);
    free(st->t);
    ezc_buffer_unref(&st->cache);
    free(st);
}

static int inj_init(void **state, const ezc_settings *s, ezc_error *err)
{
    inj_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
    st->time_dim = "time";
    st->freq = NAN;
    st->amp = 1;
    ezc_settings_get_string(s, "time_dim", &st->time_dim);
    ezc_settings_get_float(s, "frequency", &st->freq);
    ezc_settings_get_float(s, "amplitude", &st->amp);
    int64_t seed;
    st->seed = ezc_settings_get_int(s, "mixing_seed", &seed) == 0
                   ? (uint64_t)seed
                   : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20) ^ (uint64_t)(uintptr_t)st;
    ezc_settings_get_floats(s, "mixing", &st->given, &st->ngiven);
    int rc = 0;
    if (!isnan(st->freq) && !(st->freq >= 0 && isfinite(st->freq)))
        rc = ezc_error_set(err, EZC_EINVAL, TF ": setting 'frequency' = %g: expected >= 0 Hz",
                           st->freq);
    else if (!isfinite(st->amp))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": setting 'amplitude' = %g: expected a finite number", st->amp);
    for (size_t i = 0; !rc && i < st->ngiven; i++)
        if (!isfinite(st->given[i]))
            rc = ezc_error_set(err, EZC_EINVAL,
                               TF ": setting 'mixing' = [..., %g, ...]: expected finite weights",
                               st->given[i]);
    if (rc) {
        inj_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* splitmix64: a uniform double in [0, 1). */
static double uniform01(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}

/* New weights for m channels: given, or drawn from the seed (the same seed,
 * the same weights at every reset, as ezmsg reseeds its generator). */
static int reset(inj_state *st, size_t m, ezc_error *err)
{
    if (st->ngiven && st->ngiven != m)
        return ezc_error_set(err, EZC_ESHAPE,
                             TF ": setting 'mixing' has %zu weights; the message has %zu channels",
                             st->ngiven, m);
    double *mix = realloc(st->mix, (m ? m : 1) * sizeof *mix);
    double *w = mix ? realloc(st->w, (m ? m : 1) * sizeof *w) : NULL;
    if (mix)
        st->mix = mix;
    if (!mix || !w)
        return ezc_error_set(err, EZC_ENOMEM, TF ": out of memory");
    st->w = w;
    st->rng = st->seed;
    for (size_t c = 0; c < m; c++)
        st->mix[c] = st->ngiven ? st->given[c] : uniform01(&st->rng) * 2.0 - 1.0;
    st->nmix = m;
    return 0;
}

/* A one-element control message: its value as a double. */
static int control(inj_state *st, int port, ezc_array *in, ezc_error *err)
{
    const char *name = port == 1 ? "frequency" : "amplitude";
    ezc_array *h = ezc_array_size(in) == 1 ? ezc_array_to_device(in, ezc_device_cpu(), err) : NULL;
    int rc = 0;
    double v = 0;
    if (!h)
        rc = ezc_error_set(err, EZC_ESHAPE,
                           TF ": a message on port '%s' must hold one number (it has %zu)", name,
                           ezc_array_size(in));
    else if (ezc_dtype_is_complex(h->dtype))
        rc = ezc_error_set(err, EZC_EDTYPE, TF ": a message on port '%s' must be real", name);
    else {
        ezc_array *d =
            ezc_array_new(EZC_FLOAT64, ezc_array_ndim(h), h->shape, NULL, ezc_device_cpu(), err);
        rc = d ? ezc_xp_call(ezc_xp_cpu(), astype, err, h, d) : err->code;
        if (!rc)
            v = *(const double *)ezc_array_data(d);
        ezc_array_destroy(&d);
    }
    if (!rc && port == 1 && !isnan(v) && !(v >= 0 && isfinite(v)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": port 'frequency' got %g: expected >= 0 Hz or NaN (off)", v);
    if (!rc && port == 2 && !isfinite(v))
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": port 'amplitude' got %g: expected a finite number", v);
    if (!rc && port == 1)
        st->freq = v;
    if (!rc && port == 2)
        st->amp = v;
    ezc_array_destroy(&h);
    ezc_array_destroy(&in);
    return rc;
}

static int inj_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    inj_state *st = state;
    *out = NULL;
    if (port != 0)
        return control(st, port, in, err);
    int ax, rc = ezc_tf_axis(TF, in, st->time_dim, &ax, err);
    if (rc) {
        ezc_array_destroy(&in);
        return rc;
    }
    int nd = ezc_array_ndim(in);
    if (ax != 0 && ax != nd - 1) {
        rc = ezc_error_set(err, EZC_ESHAPE,
                           TF ": setting 'time_dim' = '%s': the time dim must be the first or the "
                              "last (it is dim %d of %d)",
                           st->time_dim, ax, nd);
        ezc_array_destroy(&in);
        return rc;
    }
    size_t n = (size_t)in->shape[ax], m = 1;
    for (int i = 0; i < nd; i++)
        if (i != ax)
            m *= (size_t)in->shape[i];
    if ((ezc_template_changed(&st->tpl, in, ax) || st->nmix != m) && (rc = reset(st, m, err))) {
        st->tpl.valid = 0;
        ezc_array_destroy(&in);
        return rc;
    }
    if (isnan(st->freq) || !n || !m) {
        *out = in; /* off (ezmsg: frequency None), or nothing to add to */
        return 0;
    }
    int numeric = 0;
    if ((rc = ezc_tf_axis_values(TF, in, ax, &st->t, &st->ncap_t, &numeric, err))) {
        ezc_array_destroy(&in);
        return rc;
    }
    if (!numeric) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           TF ": dim '%s' has no time values (a linear or numeric axis)",
                           in->dims[ax]);
        ezc_array_destroy(&in);
        return rc;
    }
    ezc_array *x = in;
    if ((rc = ezc_tf_writable_float(TF, &x, 0, xp, err)))
        return rc;
    for (size_t i = 0; i < n; i++)
        st->t[i] = sin(2 * M_PI * st->freq * st->t[i]);
    for (size_t c = 0; c < m; c++)
        st->w[c] = st->mix[c] * st->amp;
    /* x viewed as 2-D: [time, c] or [c, time] */
    int64_t shape2[2] = {ax ? (int64_t)m : (int64_t)n, ax ? (int64_t)n : (int64_t)m};
    int tax = ax ? 1 : 0;
    size_t base = (size_t)((char *)ezc_array_data(x) - (char *)x->buf->data);
    ezc_array *v = ezc_array_from_buffer(x->buf, base, x->dtype, 2, shape2, NULL, err);
    ezc_array *z = v ? ezc_array_new_like_cached(v, v->dtype, 0, NULL, &st->cache, err) : NULL;
    rc = z ? ezc_xp_call(xp, fill, err, z, 1.0) : err->code;
    if (!rc)
        rc = ezc_xp_call(xp, affine_axis, err, z, z, tax, st->t, NULL);
    if (!rc)
        rc = ezc_xp_call(xp, affine_axis, err, z, z, 1 - tax, st->w, NULL);
    if (!rc)
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, v, z, v);
    ezc_array_destroy(&v);
    ezc_array_destroy(&z);
    if (rc)
        ezc_array_destroy(&x);
    *out = x;
    return rc;
}

const ezc_transformer_type ezc_signalinjector_type = {
    .name = "signalinjector",
    .summary = "adds a sinusoid mixed into each channel with its own weight",
    .settings = inj_settings,
    .inputs = inj_ports,
    .init = inj_init,
    .process = inj_process,
    .fini = inj_fini,
};
