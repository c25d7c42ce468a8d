/* combfilter.c — notch (or peak) comb over a fundamental and its harmonics
 * along an axis (ezmsg-sigproc's CombFilter): one scipy.signal.iirnotch /
 * iirpeak section per harmonic below Nyquist, designed for the stream's
 * sampling rate, cascaded as second-order sections (or multiplied out into
 * one b/a polynomial) and run on the shared IIR stream (filter_stream.h),
 * state started at the first sample's steady state as the other filters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"

#define MAX_HARMONICS 1000

typedef struct comb_state {
    double f0, q;
    int64_t nharm;
    int peak, proportional, ba;
    ezc_iir_stream iir;
} comb_state;

static const ezc_setting_spec comb_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"fundamental_freq", EZC_SETTING_FLOAT, "60", "fundamental frequency in Hz", 0, NULL},
    {"num_harmonics", EZC_SETTING_INT, "3", "harmonics, the fundamental included", 0, NULL},
    {"q_factor", EZC_SETTING_FLOAT, "35", "quality factor of each notch / peak", 0, NULL},
    {"filter_type", EZC_SETTING_STRING, "notch",
     "notch: remove the harmonics; peak: keep only them", 0, "notch|peak"},
    {"quality_scaling", EZC_SETTING_STRING, "constant",
     "constant: Q for all (wider bands higher up); proportional: Q x harmonic (equal widths)", 0,
     "constant|proportional"},
    {"coef_type", EZC_SETTING_STRING, "sos",
     "sos: second-order sections; ba: one polynomial (less accurate for many harmonics)", 0,
     "sos|ba"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* scipy.signal.iirnotch / iirpeak(w0 = f, Q, fs) as b0 b1 b2 a0 a1 a2. */
static void notch_peak(double f, double q, double fs, int peak, double *c)
{
    double w0 = 2 * f / fs, bw = w0 / q;
    bw *= M_PI;
    w0 *= M_PI;
    double gb = 1 / sqrt(2.0);
    double beta = (sqrt(1.0 - gb * gb) / gb) * tan(bw / 2.0);
    double gain = 1.0 / (1.0 + beta);
    if (peak) {
        c[0] = (1.0 - gain) * 1.0;
        c[1] = (1.0 - gain) * 0.0;
        c[2] = (1.0 - gain) * -1.0;
    } else {
        c[0] = gain * 1.0;
        c[1] = gain * (-2.0 * cos(w0));
        c[2] = gain * 1.0;
    }
    c[3] = 1.0;
    c[4] = -2.0 * gain * cos(w0);
    c[5] = 2.0 * gain - 1.0;
}

/* The sections multiplied out (scipy.signal.sos2tf): one section of order
 * 2 * nsec, b then a. */
static int to_ba(const double *sos, int nsec, double **coef, ezc_error *err)
{
    int ord = 2 * nsec;
    double *c = calloc((size_t)(2 * (ord + 1)), sizeof *c),
           *t = malloc((size_t)(ord + 1) * sizeof *t);
    if (!c || !t) {
        free(c);
        free(t);
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    }
    for (int part = 0; part < 2; part++) {
        double *p = c + part * (ord + 1);
        p[0] = 1;
        int deg = 0;
        for (int s = 0; s < nsec; s++) {
            const double *q = sos + 6 * s + 3 * part;
            memset(t, 0, (size_t)(ord + 1) * sizeof *t);
            for (int i = 0; i <= deg; i++)
                for (int j = 0; j < 3; j++)
                    t[i + j] += p[i] * q[j];
            deg += 2;
            memcpy(p, t, (size_t)(deg + 1) * sizeof *p);
        }
    }
    free(t);
    *coef = c;
    return 0;
}

static int comb_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                       ezc_error *err)
{
    const comb_state *st = ctx;
    int n = 0;
    double *sos = malloc((size_t)(6 * (st->nharm + 1)) * sizeof *sos);
    if (!sos)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    for (int64_t i = 1; i <= st->nharm; i++) {
        double f = st->f0 * (double)i;
        if (f >= fs / 2)
            continue;
        notch_peak(f, st->proportional ? st->q * (double)i : st->q, fs, st->peak, sos + 6 * n++);
    }
    if (n == 0) { /* nothing below Nyquist: pass the data through */
        static const double one[6] = {1, 0, 0, 1, 0, 0};
        memcpy(sos, one, sizeof one);
        n = 1;
    }
    if (!st->ba) {
        *coef = sos;
        *nsec = n;
        *order = 2;
        return 0;
    }
    int rc = to_ba(sos, n, coef, err);
    free(sos);
    *nsec = 1;
    *order = 2 * n;
    return rc;
}

static void comb_fini(void *state)
{
    comb_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->iir);
    free(st);
}

static int comb_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time", *type = "notch", *scaling = "constant", *ct = "sos";
    comb_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "combfilter: out of memory");
    st->f0 = 60;
    st->q = 35;
    st->nharm = 3;
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_float(s, "fundamental_freq", &st->f0);
    ezc_settings_get_float(s, "q_factor", &st->q);
    ezc_settings_get_int(s, "num_harmonics", &st->nharm);
    ezc_settings_get_string(s, "filter_type", &type);
    ezc_settings_get_string(s, "quality_scaling", &scaling);
    ezc_settings_get_string(s, "coef_type", &ct);
    st->peak = strcmp(type, "peak") == 0;
    st->proportional = strcmp(scaling, "proportional") == 0;
    st->ba = strcmp(ct, "ba") == 0;
    int rc = 0;
    if (!(st->f0 > 0) || !isfinite(st->f0))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "combfilter: setting 'fundamental_freq' = %g: must be > 0 Hz", st->f0);
    else if (st->nharm < 1 || st->nharm > MAX_HARMONICS)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "combfilter: setting 'num_harmonics' = %lld: expected 1 to %d",
                           (long long)st->nharm, MAX_HARMONICS);
    else if (!(st->q > 0) || !isfinite(st->q))
        rc = ezc_error_set(err, EZC_EINVAL, "combfilter: setting 'q_factor' = %g: must be > 0",
                           st->q);
    else if (st->ba && st->nharm > 25)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "combfilter: setting 'num_harmonics' = %lld with coef_type = ba: at "
                           "most 25 (a polynomial of order 50; use sos)",
                           (long long)st->nharm);
    if (!rc)
        rc = ezc_iir_stream_init(&st->iir, axis, NULL, 0, 0, comb_design, st, err);
    if (rc) {
        comb_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int comb_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                        ezc_error *err)
{
    comb_state *st = state;
    (void)port;
    return ezc_iir_stream_process(&st->iir, in, out, xp, err);
}

const ezc_transformer_type ezc_combfilter_type = {
    .name = "combfilter",
    .summary = "notch (or peak) comb over a fundamental and its harmonics (scipy.signal.iirnotch / "
               "iirpeak sections), state carried across messages",
    .settings = comb_settings,
    .init = comb_init,
    .process = comb_process,
    .fini = comb_fini,
};
