/* spectrum.c — windowed FFT along an axis (ezmsg-sigproc's Spectrum).
 *
 * The window, the norm ("forward" 1/nfft, "ortho") and, for the relative
 * power transforms, 1/sqrt(sum(w^2) * gain) are folded into one vector of
 * per-sample factors applied by xp affine_axis before the FFT (the FFT is
 * linear), so the steady path is: scale, R2C (or C2C), one element-wise
 * transform. Every intermediate lives in a cached buffer; FFT plans are the
 * backend's, cached per shape. Windows are numpy's symmetric ones, as
 * ezmsg-sigproc uses (np.hanning, np.hamming, ...). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/plugin.h"

typedef enum { WIN_HANN, WIN_HAMMING, WIN_BLACKMAN, WIN_BARTLETT, WIN_BOXCAR } win_kind;
typedef enum {
    TF_RAW_COMPLEX,
    TF_REAL,
    TF_IMAG,
    TF_REL_POWER,
    TF_REL_DB,
    TF_ABS,
    TF_POWER
} tf_kind;
typedef enum { OUT_POSITIVE, OUT_FULL, OUT_NEGATIVE } out_kind;
typedef enum { NORM_BACKWARD, NORM_FORWARD, NORM_ORTHO } norm_kind;

typedef struct spectrum_state {
    const char *axis, *out_axis;
    win_kind win;
    tf_kind tf;
    out_kind outk;
    norm_kind norm;
    int fftshift;
    int64_t nfft_set; /* 0: the axis length */

    /* built for one (axis length, gain, real/complex input) */
    int built, cplx;
    int64_t n, nfft, nspec, nout, nsel;
    double gain, df, f0;
    double *coef;        /* per-sample factors, min(n, nfft) of them */
    int unit_coef;       /* all 1: skip the scaling pass */
    int64_t *first;      /* 0..nfft-1 (truncation) */
    int64_t *sel;        /* reorder/slice after a C2C (fftshift, half), or NULL */
    ezc_coords *fcoords; /* full unshifted output: fftfreq values */

    ezc_buffer *fcache, *wcache, *pcache, *zbuf, *xcache, *ccache, *kcache, *ocache, *scache;
    size_t zbytes; /* zeros held in zbuf */
} spectrum_state;

static const ezc_setting_spec spectrum_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "axis to transform (needs a linear axis: gain = 1/fs)", 0,
     NULL},
    {"out_axis", EZC_SETTING_STRING, "freq", "name of the frequency axis that replaces it", 0,
     NULL},
    {"window", EZC_SETTING_STRING, "hann",
     "taper applied before the FFT (numpy's symmetric windows; none = boxcar)", 0,
     "hann|hanning|hamming|blackman|bartlett|boxcar|none"},
    {"transform", EZC_SETTING_STRING, "rel_db",
     "raw_complex, real, imag, rel_power = |X|^2/(sum(w^2)/fs), rel_db = 10 log10(rel_power), "
     "abs = |X|, power = |X|^2",
     0, "raw_complex|real|imag|rel_power|rel_db|abs|power"},
    {"output", EZC_SETTING_STRING, "positive", "which frequencies: positive, full or negative", 0,
     "positive|full|negative"},
    {"norm", EZC_SETTING_STRING, "forward", "FFT scaling as numpy: forward 1/n, ortho 1/sqrt(n)", 0,
     "forward|backward|ortho"},
    {"do_fftshift", EZC_SETTING_BOOL, "true", "output=full: order frequencies from negative up", 0,
     NULL},
    {"nfft", EZC_SETTING_INT, NULL, "FFT length (absent: the axis length); zero-pads or truncates",
     0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void unbuild(spectrum_state *st)
{
    free(st->coef);
    free(st->first);
    free(st->sel);
    st->coef = NULL;
    st->first = st->sel = NULL;
    ezc_coords_unref(&st->fcoords);
    st->built = 0;
}

static void spectrum_fini(void *state)
{
    spectrum_state *st = state;
    if (!st)
        return;
    unbuild(st);
    ezc_buffer **caches[] = {&st->fcache, &st->wcache, &st->pcache, &st->zbuf,  &st->xcache,
                             &st->ccache, &st->kcache, &st->ocache, &st->scache};
    for (size_t i = 0; i < sizeof caches / sizeof caches[0]; i++)
        ezc_buffer_unref(caches[i]);
    free(st);
}

static int pick(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return i;
    return 0;
}

static int spectrum_init(void **state, const ezc_settings *s, ezc_error *err)
{
    spectrum_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "spectrum: out of memory");
    const char *w, *t, *o, *nm;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "out_axis", &st->out_axis);
    ezc_settings_get_string(s, "window", &w);
    ezc_settings_get_string(s, "transform", &t);
    ezc_settings_get_string(s, "output", &o);
    ezc_settings_get_string(s, "norm", &nm);
    ezc_settings_get_bool(s, "do_fftshift", &st->fftshift);
    static const char *const wn[] = {"hann", "hamming", "blackman", "bartlett", "boxcar"};
    static const char *const tn[] = {"raw_complex", "real", "imag", "rel_power",
                                     "rel_db",      "abs",  "power"};
    static const char *const on[] = {"positive", "full", "negative"};
    static const char *const nn[] = {"backward", "forward", "ortho"};
    st->win = !strcmp(w, "hanning") ? WIN_HANN
              : !strcmp(w, "none")  ? WIN_BOXCAR
                                    : (win_kind)pick(w, wn, 5);
    st->tf = (tf_kind)pick(t, tn, 7);
    st->outk = (out_kind)pick(o, on, 3);
    st->norm = (norm_kind)pick(nm, nn, 3);
    int rc = 0;
    if (ezc_settings_get_int(s, "nfft", &st->nfft_set) == 0 &&
        (st->nfft_set < 1 || st->nfft_set > ((int64_t)1 << 31)))
        rc = ezc_error_set(err, EZC_EINVAL, "spectrum: setting 'nfft' = %lld: must be in 1..2^31",
                           (long long)st->nfft_set);
    else if (!*st->out_axis || strlen(st->out_axis) >= EZC_NAME_MAX)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "spectrum: setting 'out_axis' = '%s': must be 1..%d bytes", st->out_axis,
                           EZC_NAME_MAX - 1);
    if (rc) {
        spectrum_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* numpy's symmetric window of length m at sample k (n runs 1-m, 3-m, ..., m-1). */
static double window_at(win_kind w, int64_t k, int64_t m)
{
    if (m == 1 || w == WIN_BOXCAR)
        return 1.0;
    double n = (double)(2 * k + 1 - m), d = (double)(m - 1);
    switch (w) {
    case WIN_HANN: return 0.5 + 0.5 * cos(M_PI * n / d);
    case WIN_HAMMING: return 0.54 + 0.46 * cos(M_PI * n / d);
    case WIN_BLACKMAN: return 0.42 + 0.5 * cos(M_PI * n / d) + 0.08 * cos(2.0 * M_PI * n / d);
    case WIN_BARTLETT: return n <= 0 ? 1.0 + n / d : 1.0 - n / d;
    default: return 1.0;
    }
}

/* Factors, reorder indices and the frequency axis for axis length n. */
static int build(spectrum_state *st, int64_t n, double gain, int cplx, ezc_error *err)
{
    unbuild(st);
    int64_t nfft = st->nfft_set ? st->nfft_set : n;
    int64_t nin = n < nfft ? n : nfft;
    st->coef = malloc((size_t)nin * sizeof *st->coef);
    st->first = malloc((size_t)nfft * sizeof *st->first);
    int r2c = !cplx && st->outk == OUT_POSITIVE;
    int64_t half = nfft / 2 + 1;
    st->nsel = 0;
    if (!r2c && (st->outk != OUT_FULL || st->fftshift))
        st->nsel = st->outk == OUT_FULL ? nfft : half;
    if (st->nsel)
        st->sel = malloc((size_t)st->nsel * sizeof *st->sel);
    if (!st->coef || !st->first || (st->nsel && !st->sel)) {
        unbuild(st);
        return ezc_error_set(err, EZC_ENOMEM, "spectrum: out of memory for nfft = %lld",
                             (long long)nfft);
    }
    double sum2 = 0;
    for (int64_t k = 0; k < n; k++) {
        double w = window_at(st->win, k, n);
        sum2 += w * w;
    }
    double c = st->norm == NORM_FORWARD ? 1.0 / (double)nfft
               : st->norm == NORM_ORTHO ? 1.0 / sqrt((double)nfft)
                                        : 1.0;
    if (st->tf == TF_REL_POWER || st->tf == TF_REL_DB)
        c /= sqrt(sum2 * gain); /* |c X|^2 = |X|^2 c^2 */
    st->unit_coef = 1;
    for (int64_t k = 0; k < nin; k++) {
        st->coef[k] = window_at(st->win, k, n) * c;
        st->unit_coef &= st->coef[k] == 1.0;
    }
    for (int64_t k = 0; k < nfft; k++)
        st->first[k] = k;
    /* fftshift: out[k] = in[(k - nfft/2) mod nfft] */
    for (int64_t k = 0; k < st->nsel; k++)
        st->sel[k] = st->outk == OUT_POSITIVE ? k : (k + nfft - nfft / 2) % nfft;
    st->df = 1.0 / ((double)nfft * gain); /* fs / nfft */
    st->f0 = st->outk == OUT_POSITIVE ? 0.0 : st->nsel ? -(double)(nfft / 2) * st->df : 0.0;
    if (st->outk == OUT_FULL && !st->fftshift) {
        double *f = malloc((size_t)nfft * sizeof *f);
        if (!f) {
            unbuild(st);
            return ezc_error_set(err, EZC_ENOMEM, "spectrum: out of memory");
        }
        for (int64_t k = 0; k < nfft; k++)
            f[k] = (double)(k <= (nfft - 1) / 2 ? k : k - nfft) * st->df;
        st->fcoords = ezc_coords_new((size_t)nfft, f, NULL, err);
        free(f);
        if (!st->fcoords) {
            unbuild(st);
            return err ? err->code : EZC_ENOMEM;
        }
    }
    st->n = n;
    st->nfft = nfft;
    st->gain = gain;
    st->cplx = cplx;
    st->nspec = r2c ? half : nfft;
    st->nout = st->nsel ? st->nsel : st->nspec;
    st->built = 1;
    return 0;
}

/* A cached array like x with dtype t and length len along ax. */
static ezc_array *like(const ezc_array *x, ezc_dtype t, int ax, int64_t len, ezc_buffer **cache,
                       ezc_error *err)
{
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[ax] = len;
    return ezc_array_new_like_cached(x, t, ezc_array_ndim(x), shape, cache, err);
}

/* Zeros of x's shape with len along ax (a view of a zero-filled buffer). */
static ezc_array *zeros_like(spectrum_state *st, const ezc_array *x, int ax, int64_t len,
                             const ezc_xp *xp, ezc_error *err)
{
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[ax] = len;
    size_t need = ezc_dtype_size(x->dtype);
    for (int i = 0; i < ezc_array_ndim(x); i++)
        need *= (size_t)shape[i];
    if (!st->zbuf || st->zbytes < need || !ezc_device_equal(st->zbuf->device, x->tensor.device)) {
        ezc_buffer_unref(&st->zbuf);
        st->zbytes = 0;
        if (!(st->zbuf = ezc_buffer_new(x->tensor.device, need ? need : 1, err)))
            return NULL;
        int64_t all = (int64_t)(need / ezc_dtype_size(x->dtype));
        ezc_array *z = ezc_array_from_buffer(st->zbuf, 0, x->dtype, 1, &all, NULL, err);
        int rc = z ? ezc_xp_call(xp, fill, err, z, 0.0) : EZC_ENOMEM;
        ezc_array_destroy(&z);
        if (rc)
            return NULL;
        st->zbytes = need;
    }
    return ezc_array_from_buffer(st->zbuf, 0, x->dtype, ezc_array_ndim(x), shape, NULL, err);
}

/* The temporaries of one spectrum_process call, by what each holds (all
 * destroyed at its end; one that becomes the output is taken out first). */
enum {
    T_WINDOWED, /* the input taken to nfft and/or times the window */
    T_ZEROS,    /* the zero padding */
    T_PADDED,   /* input and padding joined */
    T_FLOAT,    /* integer input as float64 */
    T_SPECTRUM, /* the FFT */
    T_COMPLEX,  /* real input as complex, for a two-sided FFT */
    T_KEPT,     /* the frequencies kept (selection) */
    T_VIEW,     /* the complex spectrum seen as pairs of reals */
    T_POWER,    /* power()'s scratch: three views from here */
    T_COUNT = T_POWER + 3
};

/* The windowed, padded or truncated input: nfft along ax. *tmp collects
 * what the caller destroys. */
static ezc_array *windowed(spectrum_state *st, ezc_array *x, int own, int ax, const ezc_xp *xp,
                           ezc_array **tmp, ezc_error *err)
{
    int64_t n = x->shape[ax];
    ezc_array *w = x;
    if (st->nfft < n) {
        if (!(w = tmp[T_WINDOWED] = like(x, x->dtype, ax, st->nfft, &st->wcache, err)))
            return NULL;
        if (ezc_xp_call(xp, take, err, x, ax, st->first, (size_t)st->nfft, w))
            return NULL;
        own = 1;
    }
    if (!st->unit_coef) {
        ezc_array *y = w;
        if (!own && !(y = tmp[T_WINDOWED] = like(x, x->dtype, ax, n, &st->wcache, err)))
            return NULL;
        if (ezc_xp_call(xp, affine_axis, err, w, y, ax, st->coef, NULL))
            return NULL;
        w = y;
    }
    if (st->nfft > n) {
        ezc_array *z = tmp[T_ZEROS] = zeros_like(st, x, ax, st->nfft - n, xp, err);
        ezc_array *p =
            z ? (tmp[T_PADDED] = like(x, x->dtype, ax, st->nfft, &st->pcache, err)) : NULL;
        if (!p)
            return NULL;
        const ezc_array *parts[2] = {w, z};
        if (ezc_xp_call(xp, concat, err, parts, 2, ax, p))
            return NULL;
        w = p;
    }
    return w;
}

/* o = re^2 + im^2 of c (overwritten: c is ours). The complex data seen as
 * (size, 2) reals: squared in place, column 0 into o, column 1 into a
 * scratch, added: four fast passes where abs (hypot) and a square cost
 * several times more. views[0..2] collect what the caller destroys. */
static int power(spectrum_state *st, ezc_array *c, ezc_array *o, const ezc_xp *xp,
                 ezc_array **views, ezc_error *err)
{
    static const int64_t col[2] = {0, 1};
    ezc_dtype rt = ezc_dtype_real(c->dtype);
    int64_t cs[2] = {(int64_t)ezc_array_size(c), 2}, os[2] = {cs[0], 1};
    ezc_array *cv = views[0] =
        ezc_array_from_buffer(c->buf, c->tensor.byte_offset, rt, 2, cs, NULL, err);
    ezc_array *ov =
        cv ? (views[1] = ezc_array_from_buffer(o->buf, o->tensor.byte_offset, rt, 2, os, NULL, err))
           : NULL;
    ezc_array *sv =
        ov ? (views[2] = ezc_array_new_like_cached(ov, rt, 2, os, &st->scache, err)) : NULL;
    if (!sv)
        return err ? err->code : EZC_ENOMEM;
    int rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SQUARE, cv, cv);
    if (!rc)
        rc = ezc_xp_call(xp, take, err, cv, 1, &col[0], 1, ov);
    if (!rc)
        rc = ezc_xp_call(xp, take, err, cv, 1, &col[1], 1, sv);
    if (!rc)
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, ov, sv, ov);
    return rc;
}

static int spectrum_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                            ezc_error *err)
{
    spectrum_state *st = state;
    (void)port;
    int rc = 0;
    ezc_array *tmp[T_COUNT] = {NULL}, *o = NULL, *x = in;
    char dl[EZC_DIMS_STR_MAX];
    int ax = ezc_array_axis_index(in, st->axis);
    int oax = ezc_array_axis_index(in, st->out_axis);
    if (ax < 0) {
        rc =
            ezc_error_set(err, EZC_ENOTFOUND,
                          "spectrum: setting 'axis' = '%s': the message has no such dim (dims: %s)",
                          st->axis, ezc_array_dims_str(in, dl, sizeof dl));
        goto done;
    }
    const ezc_axis *tax = &in->axes[ax];
    if (tax->kind != EZC_AXIS_LINEAR || !(tax->gain > 0) || !isfinite(tax->gain)) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "spectrum: axis '%s' needs a linear axis with a positive gain (1/fs)",
                           st->axis);
        goto done;
    }
    if (oax >= 0 && oax != ax) {
        rc = ezc_error_set(
            err, EZC_EINVAL,
            "spectrum: setting 'out_axis' = '%s': the input already has that dim (dims: %s)",
            st->out_axis, ezc_array_dims_str(in, dl, sizeof dl));
        goto done;
    }
    int64_t n = in->shape[ax];
    if (n < 1) {
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "spectrum: axis '%s' is empty: no spectrum of 0 samples", st->axis);
        goto done;
    }
    int cplx = ezc_dtype_is_complex(in->dtype);
    int own = ezc_array_is_writable(in);
    if (!cplx && !ezc_dtype_is_float(in->dtype)) {
        /* ints and bool: float64, as numpy's int * float64 window */
        if (!(x = tmp[T_FLOAT] = like(in, EZC_FLOAT64, ax, n, &st->fcache, err)) ||
            (rc = ezc_xp_call(xp, astype, err, in, x)))
            goto fail;
        own = 1;
    }
    if (!st->built || st->n != n || st->gain != tax->gain || st->cplx != cplx)
        if ((rc = build(st, n, tax->gain, cplx, err)))
            goto done;

    ezc_array *w = windowed(st, x, own, ax, xp, tmp, err);
    if (!w)
        goto fail;
    ezc_dtype ct = ezc_dtype_complex(w->dtype), rt = ezc_dtype_real(w->dtype);
    ezc_array *c;
    if (!cplx && st->outk == OUT_POSITIVE) {
        if (!(c = tmp[T_SPECTRUM] = like(w, ct, ax, st->nspec, &st->ccache, err)) ||
            (rc = ezc_xp_call(xp, fft, err, EZC_FFT_R2C, w, ax, st->nfft, c)))
            goto fail;
    } else {
        if (!cplx) {
            ezc_array *wc = tmp[T_COMPLEX] = like(w, ct, ax, st->nfft, &st->xcache, err);
            if (!wc || (rc = ezc_xp_call(xp, astype, err, w, wc)))
                goto fail;
            w = wc;
        }
        if (!(c = tmp[T_SPECTRUM] = like(w, ct, ax, st->nfft, &st->ccache, err)) ||
            (rc = ezc_xp_call(xp, fft, err, EZC_FFT_C2C, w, ax, st->nfft, c)))
            goto fail;
        if (st->nsel) {
            ezc_array *k = tmp[T_KEPT] = like(c, ct, ax, st->nsel, &st->kcache, err);
            if (!k || (rc = ezc_xp_call(xp, take, err, c, ax, st->sel, (size_t)st->nsel, k)))
                goto fail;
            c = k;
        }
    }
    if (st->tf == TF_RAW_COMPLEX) {
        o = c; /* hand the spectrum itself on */
        for (int i = 0; i < T_COUNT; i++)
            if (tmp[i] == c)
                tmp[i] = NULL;
    } else {
        if (!(o = like(c, rt, ax, st->nout, &st->ocache, err)))
            goto fail;
        switch (st->tf) {
        case TF_REAL: rc = ezc_xp_call(xp, astype, err, c, o); break;
        case TF_IMAG: {
            /* the complex data seen as (size, 2) reals; column 1 */
            int64_t cs[2] = {(int64_t)ezc_array_size(c), 2}, os[2] = {cs[0], 1}, one = 1;
            ezc_array *cv = tmp[T_VIEW] =
                ezc_array_from_buffer(c->buf, c->tensor.byte_offset, rt, 2, cs, NULL, err);
            ezc_array *ov =
                cv ? ezc_array_from_buffer(o->buf, o->tensor.byte_offset, rt, 2, os, NULL, err)
                   : NULL;
            rc = ov ? ezc_xp_call(xp, take, err, cv, 1, &one, 1, ov)
                    : (err ? err->code : EZC_ENOMEM);
            ezc_array_destroy(&ov);
            break;
        }
        default:
            rc = power(st, c, o, xp, &tmp[T_POWER], err);
            if (!rc && st->tf == TF_ABS)
                rc = ezc_xp_call(xp, unary, err, EZC_UNARY_SQRT, o, o);
            if (!rc && st->tf == TF_REL_DB &&
                !(rc = ezc_xp_call(xp, unary, err, EZC_UNARY_LOG10, o, o)))
                rc = ezc_xp_call(xp, affine, err, o, o, 10.0, 0.0);
            break;
        }
        if (rc)
            goto fail;
    }
    ezc_array_set_dim(o, ax, st->out_axis, NULL);
    if (st->fcoords) {
        ezc_array_clear_axis(o, ax);
        o->axes[ax].kind = EZC_AXIS_COORD;
        o->axes[ax].coords = ezc_coords_ref(st->fcoords);
        snprintf(o->axes[ax].unit, EZC_NAME_MAX, "Hz");
    } else {
        ezc_array_set_linear_axis(o, ax, st->df, st->f0, "Hz");
    }
    goto done;
fail:
    rc = rc ? rc : (err && err->code ? err->code : EZC_ENOMEM);
done:
    for (int i = 0; i < T_COUNT; i++)
        ezc_array_destroy(&tmp[i]);
    ezc_array_destroy(&in);
    if (rc) {
        ezc_array_destroy(&o);
        return rc;
    }
    *out = o;
    return 0;
}

const ezc_transformer_type ezc_spectrum_type = {
    .name = "spectrum",
    .summary = "windowed FFT along an axis; the axis becomes 'freq' (ezmsg Spectrum)",
    .settings = spectrum_settings,
    .init = spectrum_init,
    .process = spectrum_process,
    .fini = spectrum_fini,
};
