/* filterbankdesign.c — a bank of Kaiser-window FIR filters (ezmsg-sigproc's
 * FilterbankDesign): each filter designed as the `kaiser` transformer
 * designs one (kaiserord, made odd, firwin with scale off) for the
 * stream's sampling rate, all run in parallel on the filterbank core
 * (filterbank.h) with a new dim for the filters. The filters' settings are
 * parallel lists: one value for all filters or one per filter. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "filterbank.h"
#include "fir_design.h"

#define MAX_FILTERS 256

typedef struct fbd_filter {
    double cut[64], ripple, width;
    int ncut, pass_zero;
} fbd_filter;

typedef struct fbd_state {
    int nf, wn_hz;
    ezc_min_phase min_phase;
    fbd_filter *f;
    ezc_fbank fb;
} fbd_state;

static const ezc_setting_spec fbd_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"new_axis", EZC_SETTING_STRING, "kernel", "name of the new dim, one entry per filter", 0,
     NULL},
    {"cutoff", EZC_SETTING_FLOATS, NULL,
     "every filter's cutoffs, one filter after another ([[...], [...]] or flat)", 1, NULL},
    {"n_cutoffs", EZC_SETTING_INTS, NULL,
     "cutoffs of each filter, in order (absent: one cutoff per filter)", 0, NULL},
    {"ripple", EZC_SETTING_FLOATS, NULL, "dB (>= 8): one for all filters or one per filter", 1,
     NULL},
    {"width", EZC_SETTING_FLOATS, NULL,
     "transition width (Hz unless wn_hz = false): one for all or one per filter", 1, NULL},
    {"pass_zero", EZC_SETTING_STRINGS, "[true]",
     "true, false, lowpass, highpass, bandpass or bandstop: one for all or one per filter", 0,
     NULL},
    {"wn_hz", EZC_SETTING_BOOL, "true", "cutoff and width in Hz (false: fractions of Nyquist)", 0,
     NULL},
    {"mode", EZC_SETTING_STRING, "conv",
     "conv, fft or auto: the same output (xp.fir picks direct or FFT by itself)", 0,
     "conv|fft|auto"},
    {"min_phase", EZC_SETTING_STRING, "none",
     "none, or each filter made minimum phase (scipy.signal.minimum_phase's method)", 0,
     "none|hilbert|homomorphic"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* One filter's taps (malloc'ed) for rate fs, as the kaiser transformer. */
static int design_one(const fbd_filter *f, int wn_hz, double fs, int k, double **h, int64_t *n,
                      ezc_error *err)
{
    double nyq = wn_hz ? fs / 2 : 1, cut[64], beta = 0;
    for (int i = 0; i < f->ncut; i++) {
        if (wn_hz && !(f->cut[i] < nyq))
            return ezc_error_set(err, EZC_EINVAL,
                                 "setting 'cutoff' = %g Hz (filter %d): must be below Nyquist (%g "
                                 "Hz at fs = %g Hz)",
                                 f->cut[i], k, nyq, fs);
        cut[i] = f->cut[i] / nyq;
    }
    int rc = ezc_kaiserord(f->ripple, f->width / nyq, n, &beta, err);
    if (rc)
        return ezc_error_prefix(err, "settings 'ripple' = %g, 'width' = %g (filter %d)", f->ripple,
                                f->width, k);
    if (*n % 2 == 0)
        (*n)++;
    *h = malloc((size_t)*n * sizeof **h);
    if (!*h)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    if (ezc_firwin(*n, cut, f->ncut, EZC_WIN_KAISER, beta, f->pass_zero, 0, *h, err)) {
        free(*h);
        *h = NULL;
        return ezc_error_prefix(err, "filter %d", k);
    }
    return 0;
}

static int fbd_design(const void *ctx, double fs, double **taps, int64_t *nk, int64_t *ntaps,
                      ezc_error *err)
{
    const fbd_state *st = ctx;
    double *h[MAX_FILTERS] = {0};
    int64_t n[MAX_FILTERS] = {0}, nt = 0;
    int rc = 0;
    for (int k = 0; !rc && k < st->nf; k++) {
        rc = design_one(&st->f[k], st->wn_hz, fs, k, &h[k], &n[k], err);
        nt = !rc && n[k] > nt ? n[k] : nt;
    }
    double *all = rc ? NULL : calloc((size_t)(st->nf * nt), sizeof *all);
    if (!rc && !all)
        rc = ezc_error_set(err, EZC_ENOMEM, "out of memory");
    for (int k = 0; k < st->nf; k++) {
        if (!rc)
            memcpy(all + k * nt, h[k], (size_t)n[k] * sizeof *all);
        free(h[k]);
    }
    if (rc || (rc = ezc_min_phase_rows(&all, st->nf, &nt, n, st->min_phase, err))) {
        free(all);
        return rc;
    }
    *taps = all;
    *nk = st->nf;
    *ntaps = nt;
    return 0;
}

static void fbd_fini(void *state)
{
    fbd_state *st = state;
    if (!st)
        return;
    ezc_fbank_fini(&st->fb);
    free(st->f);
    free(st);
}

/* Value k of a list of one (for all) or nf (one each) values. */
static int per_filter(const char *name, size_t got, int nf, ezc_error *err)
{
    if (got == 1 || (int)got == nf)
        return 0;
    return ezc_error_set(err, EZC_EINVAL,
                         "filterbankdesign: setting '%s' has %zu values: expected 1 or one per "
                         "filter (%d)",
                         name, got, nf);
}

static int fbd_check(fbd_state *st, const ezc_settings *s, ezc_error *err)
{
    const double *cut = NULL, *rip = NULL, *wid = NULL;
    const int64_t *nc = NULL;
    const char *const *pz = NULL;
    size_t ncut = 0, nnc = 0, nrip = 0, nwid = 0, npz = 0;
    ezc_settings_get_floats(s, "cutoff", &cut, &ncut);
    ezc_settings_get_floats(s, "ripple", &rip, &nrip);
    ezc_settings_get_floats(s, "width", &wid, &nwid);
    ezc_settings_get_strings(s, "pass_zero", &pz, &npz);
    ezc_settings_get_bool(s, "wn_hz", &st->wn_hz);
    int has_nc = ezc_settings_get_ints(s, "n_cutoffs", &nc, &nnc) == 0;
    size_t nf = has_nc ? nnc : ncut;
    if (nf < 1 || nf > MAX_FILTERS)
        return ezc_error_set(err, EZC_EINVAL, "filterbankdesign: %zu filters: expected 1 to %d", nf,
                             MAX_FILTERS);
    st->nf = (int)nf;
    int rc;
    if ((rc = per_filter("ripple", nrip, st->nf, err)) ||
        (rc = per_filter("width", nwid, st->nf, err)) ||
        (rc = per_filter("pass_zero", npz, st->nf, err)))
        return rc;
    st->f = calloc(nf, sizeof *st->f);
    if (!st->f)
        return ezc_error_set(err, EZC_ENOMEM, "filterbankdesign: out of memory");
    size_t at = 0;
    for (int k = 0; k < st->nf; k++) {
        fbd_filter *f = &st->f[k];
        int64_t c = has_nc ? nc[k] : 1;
        if (c < 1 || c > 64 || at + (size_t)c > ncut)
            return ezc_error_set(err, EZC_EINVAL,
                                 "filterbankdesign: setting 'n_cutoffs' = %lld (filter %d): "
                                 "expected 1 to 64, within the %zu values of 'cutoff'",
                                 (long long)c, k, ncut);
        for (int i = 0; i < c; i++) {
            double v = cut[at + (size_t)i];
            if (!(v > 0) || (!st->wn_hz && !(v < 1)))
                return ezc_error_set(err, EZC_EINVAL,
                                     "filterbankdesign: setting 'cutoff' = %g (filter %d): "
                                     "expected %s",
                                     v, k,
                                     st->wn_hz ? "> 0 Hz" : "a fraction of Nyquist in (0, 1)");
            if (i && !(v > f->cut[i - 1]))
                return ezc_error_set(err, EZC_EINVAL,
                                     "filterbankdesign: setting 'cutoff': %g after %g (filter %d): "
                                     "must strictly increase",
                                     v, f->cut[i - 1], k);
            f->cut[i] = v;
        }
        f->ncut = (int)c;
        at += (size_t)c;
        f->ripple = rip[nrip == 1 ? 0 : k];
        f->width = wid[nwid == 1 ? 0 : k];
        if (!(f->ripple >= 8) || !isfinite(f->ripple))
            return ezc_error_set(err, EZC_EINVAL,
                                 "filterbankdesign: setting 'ripple' = %g (filter %d): expected "
                                 ">= 8 dB",
                                 f->ripple, k);
        if (!(f->width > 0) || !isfinite(f->width))
            return ezc_error_set(err, EZC_EINVAL,
                                 "filterbankdesign: setting 'width' = %g (filter %d): must be > 0",
                                 f->width, k);
        if ((rc = ezc_fir_pass_zero("filterbankdesign", pz[npz == 1 ? 0 : k], (size_t)c,
                                    &f->pass_zero, err)))
            return rc;
    }
    if (at != ncut)
        return ezc_error_set(err, EZC_EINVAL,
                             "filterbankdesign: setting 'n_cutoffs' adds up to %zu but 'cutoff' "
                             "has %zu values",
                             at, ncut);
    return 0;
}

static int fbd_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time", *new_axis = "kernel";
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_string(s, "new_axis", &new_axis);
    fbd_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "filterbankdesign: out of memory");
    const char *mp = "none";
    ezc_settings_get_string(s, "min_phase", &mp);
    st->min_phase = (ezc_min_phase)ezc_min_phase_parse(mp);
    int rc = fbd_check(st, s, err);
    if (!rc)
        rc = ezc_fbank_init(&st->fb, axis, new_axis, NULL, 0, 0, fbd_design, st, err);
    if (rc) {
        fbd_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int fbd_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                       ezc_error *err)
{
    fbd_state *st = state;
    (void)port;
    return ezc_fbank_process(&st->fb, in, out, xp, err);
}

const ezc_transformer_type ezc_filterbankdesign_type = {
    .name = "filterbankdesign",
    .summary = "a bank of Kaiser-window FIR filters (as `kaiser`) run in parallel from a zero "
               "state; a new dim for the filters",
    .settings = fbd_settings,
    .init = fbd_init,
    .process = fbd_process,
    .fini = fbd_fini,
};
