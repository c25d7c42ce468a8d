/* test_tf_spectral.c — window, spectrum and spectrogram against numpy
 * (tests/ref/gen_tf_spectral.py): sliding windows with ezmsg-sigproc's
 * initial zeros, numpy.fft of the windowed data for every window and
 * transform. Tolerances: relative to the largest |reference| value, 1e-12
 * for float64 and 1e-5 for float32 (rel_db included).
 * Axis metadata (dims, gain, offset, unit) after every transformer;
 * chunk-invariance with random chunks (0 and 1 included); no buffer
 * allocation on the steady path; errors by message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_window_type, ezc_spectrum_type, ezc_spectrogram_type,
    ezc_bandpower_type;

#define T0 1.25

/* Reference `name` with dims (time-like axis `ax` linear at fs, offset t0). */
static ezc_array *series(const char *name, int ax, double fs, double t0, const char *const *dims)
{
    ezc_array *a = tc_ref("%s", name);
    for (int i = 0; i < ezc_array_ndim(a); i++)
        ck_assert_int_eq(ezc_array_set_dim(a, i, dims[i], NULL), 0);
    ezc_array_set_linear_axis(a, ax, 1.0 / fs, t0, "s");
    return a;
}

static double maxabs(const ezc_array *a)
{
    double m = 0;
    int parts = ezc_dtype_is_complex(a->dtype) ? 2 : 1;
    for (size_t i = 0; i < ezc_array_size(a); i++)
        for (int p = 0; p < parts; p++) {
            double v = fabs(tc_get(a, i, p));
            if (isfinite(v) && v > m)
                m = v;
        }
    return m;
}

/* Where want is NaN or inf, got is NaN or inf (which of them depends on the
 * FFT's order of sums: FFTW, pocketfft and cuFFT differ); elsewhere close. */
static void check_nonfinite(ezc_array *got, const char *ref, double tol, const char *what)
{
    ezc_array *want = tc_ref("%s", ref), *w2 = ezc_array_copy(want, NULL);
    ck_assert_int_eq(ezc_array_size(got), ezc_array_size(want));
    for (size_t i = 0; i < ezc_array_size(want); i++)
        if (!isfinite(tc_get(want, i, 0))) {
            ck_assert_msg(!isfinite(tc_get(got, i, 0)), "%s: element %zu = %g, want non-finite",
                          what, i, tc_get(got, i, 0));
            ((double *)ezc_array_data(w2))[i] = tc_get(got, i, 0);
        }
    tc_assert_close(got, w2, 0, tol * maxabs(want), what);
    ezc_array_destroy(&want);
    ezc_array_destroy(&w2);
    ezc_array_destroy(&got);
}

/* got ~ want to tol relative to max |want| (consumes got). */
static void check(ezc_array *got, const char *ref, double tol, const char *what)
{
    ezc_array *want = tc_ref("%s", ref);
    tc_assert_close(got, want, 0, tol * maxabs(want), what);
    ezc_array_destroy(&want);
    ezc_array_destroy(&got);
}

static void dims_are(const ezc_array *a, const char *const *dims, int nd)
{
    ck_assert_int_eq(ezc_array_ndim(a), nd);
    for (int i = 0; i < nd; i++)
        ck_assert_msg(!strcmp(a->dims[i], dims[i]), "dim %d is '%s', want '%s'", i, a->dims[i],
                      dims[i]);
}

static void linear_is(const ezc_array *a, int i, double gain, double offset, const char *unit)
{
    const ezc_axis *ax = &a->axes[i];
    ck_assert_msg(ax->kind == EZC_AXIS_LINEAR, "axis '%s' is not linear", a->dims[i]);
    ck_assert_msg(fabs(ax->gain - gain) <= 1e-12 * fabs(gain), "axis '%s' gain %.17g, want %.17g",
                  a->dims[i], ax->gain, gain);
    ck_assert_msg(fabs(ax->offset - offset) <= 1e-12 * (1 + fabs(offset)),
                  "axis '%s' offset %.17g, want %.17g", a->dims[i], ax->offset, offset);
    if (unit)
        ck_assert_str_eq(ax->unit, unit);
}

static const char *const TC[2] = {"time", "ch"};

/* ---- window ------------------------------------------------------------ */

typedef struct {
    const char *settings, *ref;
    double shift_s, first_start; /* seconds: win gain; first window's start - t0 */
} win_case;

static const win_case win_cases[] = {
    {"window_dur=0.1; window_shift=0.05; zero_pad_until=none", "win_none", 0.05, 0.0},
    {"window_dur=0.1; window_shift=0.05; zero_pad_until=shift", "win_shift", 0.05, -0.05},
    {"window_dur=0.05; window_shift=0.08; zero_pad_until=none", "win_gap", 0.08, 0.0},
};

START_TEST(t_window_whole)
{
    DLDevice dev = tc_dev(_i);
    for (size_t c = 0; c < sizeof win_cases / sizeof win_cases[0]; c++) {
        const win_case *wc = &win_cases[c];
        ezc_transformer *t = tc_make(&ezc_window_type, wc->settings);
        ezc_array *y = tc_host(tc_apply(t, tc_to(series("win_x", 0, 200, T0, TC), dev)));
        const char *d[3] = {"win", "time", "ch"};
        dims_are(y, d, 3);
        linear_is(y, 0, wc->shift_s, T0 + wc->first_start, "s");
        linear_is(y, 1, 1.0 / 200, 0.0, "s");
        check(y, wc->ref, tc_tol(EZC_FLOAT64), wc->ref);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_window_chunks)
{
    DLDevice dev = tc_dev(_i);
    ezc_array *x = tc_to(series("win_x", 0, 200, T0, TC), dev);
    int64_t lens[64];
    for (size_t c = 0; c < sizeof win_cases / sizeof win_cases[0]; c++)
        for (unsigned seed = 1; seed <= 6; seed++) {
            ezc_transformer *t = tc_make(&ezc_window_type, win_cases[c].settings);
            size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
            ezc_array *y = tc_apply_chunks(t, x, 0, lens, n, "win");
            char what[96];
            snprintf(what, sizeof what, "%s seed %u", win_cases[c].ref, seed);
            check(y, win_cases[c].ref, 0, what); /* copies: exact */
            ezc_transformer_destroy(&t);
        }
    /* full (the default) and input pad by the first message's length: a
     * first message of 5 gives 15 zeros, whatever follows */
    const char *pads[2] = {"window_dur=0.1; window_shift=0.05",
                           "window_dur=0.1; window_shift=0.05; zero_pad_until=input"};
    for (int p = 0; p < 2; p++)
        for (unsigned seed = 1; seed <= 4; seed++) {
            ezc_transformer *t = tc_make(&ezc_window_type, pads[p]);
            lens[0] = 5;
            size_t n = 1 + tc_random_chunks(x->shape[0] - 5, seed, lens + 1, 63);
            check(tc_apply_chunks(t, x, 0, lens, n, "win"), "win_full5", 0, pads[p]);
            ezc_transformer_destroy(&t);
        }
    ezc_array_destroy(&x);
}
END_TEST

/* Each output's window axis names the start time of its first window. */
START_TEST(t_window_chunk_offsets)
{
    ezc_error err = {0};
    ezc_array *x = series("win_x", 0, 200, T0, TC);
    ezc_transformer *t =
        tc_make(&ezc_window_type, "window_dur=0.1; window_shift=0.05; zero_pad_until=none");
    int64_t lens[64], at = 0, done = 0;
    size_t n = tc_random_chunks(x->shape[0], 3, lens, 64);
    for (size_t k = 0; k < n; k++) {
        ezc_array *part = ezc_array_slice(x, 0, at, at + lens[k], &err);
        ezc_array *y = tc_apply(t, part);
        at += lens[k];
        ck_assert_int_eq(y->shape[1], 20);
        /* with windows: the first one's start; without: where the next
         * window will start, never ahead of the data */
        linear_is(y, 0, 0.05, T0 + (double)(done * 10) / 200, "s");
        done += y->shape[0];
        ezc_array_destroy(&y);
    }
    ck_assert_int_eq(done, 14);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

START_TEST(t_window_1to1)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    ezc_array *x = tc_to(series("win_x", 0, 200, T0, TC), dev);
    ezc_transformer *t = tc_make(&ezc_window_type, "window_dur=0.1; zero_pad_until=none");
    int64_t lens[3] = {5, 30, 122}, at = 0;
    for (int k = 0; k < 3; k++) {
        ezc_array *y = tc_host(tc_apply(t, ezc_array_slice(x, 0, at, at + lens[k], &err)));
        at += lens[k];
        const char *d[3] = {"win", "time", "ch"};
        dims_are(y, d, 3);
        linear_is(y, 0, 0.0, T0 + (double)(at - 20) / 200, "s");
        char name[32];
        snprintf(name, sizeof name, "win_1to1_%d", k);
        check(y, name, 0, name);
    }
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

START_TEST(t_window_middle_axis)
{
    DLDevice dev = tc_dev(_i);
    const char *d3[3] = {"ch", "time", "feat"};
    ezc_array *x = tc_to(series("win_x3", 1, 200, T0, d3), dev);
    ezc_transformer *t = tc_make(
        &ezc_window_type, "window_dur=0.1; window_shift=0.05; zero_pad_until=none; anchor=middle");
    ezc_array *y = tc_host(tc_apply(t, ezc_array_clone(x, NULL)));
    const char *d[4] = {"ch", "win", "time", "feat"};
    dims_are(y, d, 4);
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    linear_is(y, 1, 0.05, T0 + 0.05, "s"); /* anchor middle: + window_dur / 2 */
    linear_is(y, 2, 1.0 / 200, -0.05, "s");
    check(y, "win_x3_none", 0, "3-D");
    ezc_transformer_destroy(&t);
    int64_t lens[64];
    for (unsigned seed = 1; seed <= 4; seed++) {
        t = tc_make(&ezc_window_type, "window_dur=0.1; window_shift=0.05; zero_pad_until=none");
        size_t n = tc_random_chunks(x->shape[1], seed, lens, 64);
        check(tc_apply_chunks(t, x, 1, lens, n, "win"), "win_x3_none", 0, "3-D chunks");
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&x);
}
END_TEST

START_TEST(t_window_empty_and_passthrough)
{
    ezc_error err = {0};
    ezc_array *x = series("win_x", 0, 200, T0, TC);
    ezc_transformer *t =
        tc_make(&ezc_window_type, "window_dur=0.1; window_shift=0.05; zero_pad_until=none");
    ezc_array *y = tc_apply(t, ezc_array_slice(x, 0, 0, 5, &err));
    const char *d[3] = {"win", "time", "ch"};
    dims_are(y, d, 3);
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert_int_eq(y->shape[1], 20);
    ck_assert_int_eq(y->shape[2], 3);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_window_type, "");
    ezc_array *in = ezc_array_clone(x, NULL);
    y = tc_apply(t, in);
    ck_assert_ptr_eq(y, in); /* no window_dur: the message itself */
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

/* Same-size messages: after the first few, no buffer is allocated; a new
 * template (channels, rate) resets the stream. */
START_TEST(t_window_steady)
{
    ezc_error err = {0};
    ezc_array *x = series("win_x", 0, 200, T0, TC);
    const char *modes[2] = {"window_dur=0.1; window_shift=0.05; zero_pad_until=none",
                            "window_dur=0.1"};
    for (int m = 0; m < 2; m++) {
        ezc_transformer *t = tc_make(&ezc_window_type, modes[m]);
        uint64_t before = 0;
        for (int k = 0; k < 24; k++) {
            if (k == 4)
                before = ezc_buffer_new_count();
            ezc_array *y = tc_apply(t, ezc_array_slice(x, 0, 50, 100, &err));
            ezc_array_destroy(&y);
        }
        ck_assert_msg(ezc_buffer_new_count() == before, "%s: %llu buffers on the steady path",
                      modes[m], (unsigned long long)(ezc_buffer_new_count() - before));
        ezc_transformer_destroy(&t);
    }
    /* reset on a new rate: the window is 0.1 s at the new rate */
    ezc_transformer *t =
        tc_make(&ezc_window_type, "window_dur=0.1; window_shift=0.05; zero_pad_until=none");
    ezc_array_destroy(&(ezc_array *){tc_apply(t, ezc_array_clone(x, NULL))});
    ezc_array *x2 = ezc_array_clone(x, NULL);
    x2->axes[0].gain = 1.0 / 100;
    ezc_array *y = tc_apply(t, x2);
    ck_assert_int_eq(y->shape[1], 10);
    ck_assert_int_eq(y->shape[0], (157 - 10) / 5 + 1);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

START_TEST(t_window_errors)
{
    const char *m = tc_make_fails(&ezc_window_type, "window_dur=0.1; window_shift=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "window: setting 'window_shift' = 0"), "%s", m);
    m = tc_make_fails(&ezc_window_type, "window_dur=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'window_dur' = -1"), "%s", m);
    m = tc_make_fails(&ezc_window_type, "window_dur=1; zero_pad_until=some", EZC_EINVAL);
    ck_assert_msg(strstr(m, "zero_pad_until"), "%s", m);

    ezc_array *x = series("win_x", 0, 200, T0, TC);
    ezc_transformer *t = tc_make(&ezc_window_type, "window_dur=0.1; axis=t");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "window: setting 'axis' = 't'") && strstr(m, "dims: time, ch"), "%s",
                  m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_window_type, "window_dur=0.001; window_shift=0.05");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_EINVAL);
    ck_assert_msg(strstr(m, "'window_dur' = 0.001 s is shorter than one sample"), "%s", m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_window_type, "window_dur=0.1; window_shift=0.001");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_EINVAL);
    ck_assert_msg(strstr(m, "'window_shift' = 0.001 s is shorter than one sample"), "%s", m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_window_type, "window_dur=1e12; window_shift=1");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_EINVAL);
    ck_assert_msg(strstr(m, "'window_dur' = 1e+12 s") && strstr(m, "longer than an array can hold"),
                  "%s", m);
    ezc_transformer_destroy(&t);

    /* a coordinate time axis: refused; the state stays usable */
    t = tc_make(&ezc_window_type, "window_dur=0.1; window_shift=0.05; zero_pad_until=none");
    ezc_array *bad = ezc_array_clone(x, NULL);
    ezc_array_clear_axis(bad, 0);
    m = tc_apply_fails(t, bad, EZC_EINVAL);
    ck_assert_msg(strstr(m, "window: axis 'time' needs a linear axis"), "%s", m);
    check(tc_apply(t, ezc_array_clone(x, NULL)), "win_none", 0, "after an error");
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

/* ---- spectrum ---------------------------------------------------------- */

static const char *const windows[] = {"hann", "hamming", "blackman", "bartlett", "boxcar"};
static const char *const transforms[] = {"raw_complex", "real", "imag", "rel_power",
                                         "rel_db",      "abs",  "power"};

START_TEST(t_spectrum_windows_transforms)
{
    DLDevice dev = tc_dev(_i);
    for (int dt = 0; dt < 2; dt++) {
        ezc_dtype t = dt ? EZC_FLOAT32 : EZC_FLOAT64;
        ezc_array *x = tc_to(tc_as_dtype(series("spec_x", 0, 200, T0, TC), t), dev);
        for (int w = 0; w < 5; w++)
            for (int f = 0; f < 7; f++) {
                char s[128], ref[64];
                snprintf(s, sizeof s, "window=%s; transform=%s", windows[w], transforms[f]);
                snprintf(ref, sizeof ref, "spec_%s_%s", windows[w], transforms[f]);
                ezc_transformer *tr = tc_make(&ezc_spectrum_type, s);
                ezc_array *y = tc_host(tc_apply(tr, ezc_array_clone(x, NULL)));
                const char *d[2] = {"freq", "ch"};
                dims_are(y, d, 2);
                linear_is(y, 0, 200.0 / 128, 0.0, "Hz"); /* fs / nfft */
                ck_assert_int_eq(y->dtype, f == 0 ? ezc_dtype_complex(t) : t);
                check(y, ref, tc_tol(t), s);
                ezc_transformer_destroy(&tr);
            }
        ezc_array_destroy(&x);
    }
}
END_TEST

typedef struct {
    const char *settings, *input, *ref;
    double gain, offset; /* freq axis; gain 0 = coordinates (fftfreq) */
} spec_case;

#define DF (200.0 / 128)
static const spec_case spec_cases[] = {
    {"transform=raw_complex; output=full", "spec_x", "spec_full_shift", DF, -64 * DF},
    {"transform=raw_complex; output=full; do_fftshift=false", "spec_x", "spec_full_noshift", 0, 0},
    {"transform=raw_complex; output=negative", "spec_x", "spec_negative", DF, -64 * DF},
    {"transform=raw_complex; norm=backward", "spec_x", "spec_backward", DF, 0},
    {"transform=raw_complex; norm=ortho", "spec_x", "spec_ortho", DF, 0},
    {"transform=rel_power; nfft=200", "spec_x", "spec_pad200", 1.0, 0},
    {"transform=rel_power; nfft=100", "spec_x", "spec_trunc100", 2.0, 0},
    {"transform=raw_complex; output=full", "spec_xo", "spec_odd_full", 200.0 / 127,
     -63 * 200.0 / 127},
    {"transform=raw_complex; output=negative", "spec_xo", "spec_odd_negative", 200.0 / 127,
     -63 * 200.0 / 127},
    {"transform=raw_complex", "spec_xo", "spec_odd_positive", 200.0 / 127, 0},
    {"transform=raw_complex", "spec_z", "spec_z_positive", 200.0 / 64, 0},
    {"transform=raw_complex; output=full", "spec_z", "spec_z_full", 200.0 / 64, -32 * 200.0 / 64},
    {"transform=raw_complex; output=full; do_fftshift=false", "spec_z", "spec_z_full_noshift", 0,
     0},
    {"transform=raw_complex; output=negative", "spec_z", "spec_z_negative", 200.0 / 64,
     -32 * 200.0 / 64},
    {"transform=rel_power", "spec_z", "spec_z_rel_power", 200.0 / 64, 0},
    {"transform=rel_power", "spec_xi", "spec_xi_rel_power", DF, 0},
};

START_TEST(t_spectrum_modes)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    for (size_t c = 0; c < sizeof spec_cases / sizeof spec_cases[0]; c++) {
        const spec_case *sc = &spec_cases[c];
        ezc_array *x;
        if (!strcmp(sc->input, "spec_xo")) {
            ezc_array *full = series("spec_x", 0, 200, T0, TC);
            x = ezc_array_slice(full, 0, 0, 127, &err);
            ezc_array_destroy(&full);
        } else {
            x = series(sc->input, 0, 200, T0, TC);
        }
        ezc_transformer *t = tc_make(&ezc_spectrum_type, sc->settings);
        ezc_array *y = tc_host(tc_apply(t, tc_to(x, dev)));
        const char *d[2] = {"freq", "ch"};
        dims_are(y, d, 2);
        if (!strcmp(sc->input, "spec_xi"))
            ck_assert_int_eq(y->dtype, EZC_FLOAT64); /* ints: float64, as numpy */
        if (sc->gain) {
            linear_is(y, 0, sc->gain, sc->offset, "Hz");
        } else {
            /* numpy.fft.fftfreq order: 0, df, ..., then the negative ones */
            int64_t nf = y->shape[0];
            double df = 200.0 / (double)nf, v;
            ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_COORD);
            for (int64_t k = 0; k < nf; k++) {
                ck_assert_int_eq(ezc_axis_value(&y->axes[0], k, &v), 0);
                ck_assert_double_eq_tol(v, (double)(k < nf / 2 ? k : k - nf) * df, 1e-9);
            }
        }
        check(y, sc->ref, tc_tol(EZC_FLOAT64), sc->ref);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_spectrum_layout_and_nan)
{
    DLDevice dev = tc_dev(_i);
    ezc_error err = {0};
    /* [ch, time]: the spectrum along the last axis */
    ezc_array *x = series("spec_x", 0, 200, T0, TC);
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    ezc_transformer *t = tc_make(&ezc_spectrum_type, "transform=rel_power");
    ezc_array *y = tc_host(tc_apply(t, tc_to(xt, dev)));
    const char *d[2] = {"ch", "freq"};
    dims_are(y, d, 2);
    linear_is(y, 1, DF, 0, "Hz");
    check(y, "spec_chtime", tc_tol(EZC_FLOAT64), "[ch, time]");
    /* NaN and inf: their channel's spectrum is NaN, the others untouched */
    ezc_array *xn = ezc_array_copy(x, &err);
    ((double *)ezc_array_data(xn))[10 * 4 + 1] = NAN;
    ((double *)ezc_array_data(xn))[20 * 4 + 3] = INFINITY;
    y = tc_host(tc_apply(t, tc_to(xn, dev)));
    ezc_array *want = tc_ref("spec_hann_rel_power");
    for (int64_t k = 0; k < y->shape[0]; k++)
        for (int c = 0; c < 4; c++) {
            double v = tc_get(y, (size_t)(k * 4 + c), 0);
            if (c == 1 || c == 3) /* NaN, or inf where the FFT's sums keep it */
                ck_assert_msg(!isfinite(v), "bin %lld ch %d = %g, want NaN or inf", (long long)k, c,
                              v);
            else
                ck_assert_double_eq_tol(v, tc_get(want, (size_t)(k * 4 + c), 0),
                                        1e-12 * maxabs(want));
        }
    ezc_array_destroy(&want);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

/* No buffer allocation on the steady path, input shared (a clone kept by
 * the caller) or ours alone (scaled in place). */
START_TEST(t_spectrum_steady)
{
    ezc_error err = {0};
    ezc_array *x = series("spec_x", 0, 200, T0, TC);
    const char *settings[] = {"transform=rel_db", "transform=raw_complex; nfft=200",
                              "transform=imag; output=full", "transform=power; nfft=100"};
    for (int s = 0; s < 4; s++)
        for (int own = 0; own < 2; own++) {
            ezc_transformer *t = tc_make(&ezc_spectrum_type, settings[s]);
            uint64_t before = 0;
            for (int k = 0; k < 16; k++) {
                if (k == 3)
                    before = ezc_buffer_new_count();
                ezc_array *in = own ? ezc_array_copy(x, &err) : ezc_array_clone(x, &err);
                if (own && k >= 3)
                    before++; /* the copy itself */
                ezc_array *y = tc_apply(t, in);
                ezc_array_destroy(&y);
            }
            ck_assert_msg(ezc_buffer_new_count() == before, "%s (own %d): %lld buffers",
                          settings[s], own, (long long)(ezc_buffer_new_count() - before));
            ezc_transformer_destroy(&t);
        }
    /* the input was never written */
    ezc_transformer *t = tc_make(&ezc_spectrum_type, "transform=raw_complex");
    check(tc_apply(t, x), "spec_hann_raw_complex", tc_tol(EZC_FLOAT64), "input untouched");
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_spectrum_errors)
{
    const char *m = tc_make_fails(&ezc_spectrum_type, "nfft=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "spectrum: setting 'nfft' = 0"), "%s", m);
    m = tc_make_fails(&ezc_spectrum_type, "window=kaiser", EZC_EINVAL);
    ck_assert_msg(strstr(m, "window"), "%s", m);
    m = tc_make_fails(&ezc_spectrum_type, "transform=db", EZC_EINVAL);
    ck_assert_msg(strstr(m, "transform"), "%s", m);

    ezc_error err = {0};
    ezc_array *x = series("spec_x", 0, 200, T0, TC);
    ezc_transformer *t = tc_make(&ezc_spectrum_type, "axis=samples");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "spectrum: setting 'axis' = 'samples'"), "%s", m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_spectrum_type, "out_axis=ch");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_EINVAL);
    ck_assert_msg(strstr(m, "spectrum: setting 'out_axis' = 'ch'"), "%s", m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_spectrum_type, "");
    m = tc_apply_fails(t, ezc_array_slice(x, 0, 0, 0, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "spectrum: axis 'time' is empty"), "%s", m);
    check(tc_apply(t, ezc_array_clone(x, NULL)), "spec_hann_rel_db", tc_tol(EZC_FLOAT64),
          "after an error");
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

/* ---- spectrogram ------------------------------------------------------- */

#define SG "window_dur=0.32; window_shift=0.16; zero_pad_until=none; "

START_TEST(t_spectrogram)
{
    DLDevice dev = tc_dev(_i);
    const char *refs[3] = {"sg_rel_power", "sg_rel_db", "sg_nan_rel_power"};
    const char *sets[3] = {SG "transform=rel_power", SG, SG "transform=rel_power"};
    int64_t lens[64];
    for (int c = 0; c < 3; c++) {
        ezc_array *x = tc_to(series(c == 2 ? "sg_x_nan" : "sg_x", 0, 100, T0, TC), dev);
        ezc_transformer *t = tc_make(&ezc_spectrogram_type, sets[c]);
        ezc_array *y = tc_host(tc_apply(t, ezc_array_clone(x, NULL)));
        const char *d[3] = {"time", "freq", "ch"};
        dims_are(y, d, 3);
        linear_is(y, 0, 0.16, T0, "s");
        linear_is(y, 1, 100.0 / 32, 0, "Hz");
        (c == 2 ? check_nonfinite : check)(y, refs[c], tc_tol(EZC_FLOAT64), refs[c]);
        ezc_transformer_destroy(&t);
        for (unsigned seed = 1; seed <= 4; seed++) {
            t = tc_make(&ezc_spectrogram_type, sets[c]);
            size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
            (c == 2 ? check_nonfinite : check)(tc_apply_chunks(t, x, 0, lens, n, "time"), refs[c],
                                               tc_tol(EZC_FLOAT64), "chunks");
            ezc_transformer_destroy(&t);
        }
        ezc_array_destroy(&x);
    }
}
END_TEST

/* Without zero_pad_until, a spectrogram with a window shift pads until the
 * shift, as ezmsg-sigproc's Spectrogram does: W - S = 16 zeros, so the
 * first window starts 0.16 s before the data and every chunking gives the
 * same windows (numpy reference sg_shift_rel_db); bandpower inherits it. */
START_TEST(t_spectrogram_default_pad)
{
    DLDevice dev = tc_dev(_i);
    const char *set = "window_dur=0.32; window_shift=0.16";
    int64_t lens[64];
    ezc_array *x = tc_to(series("sg_x", 0, 100, T0, TC), dev);
    ezc_transformer *t = tc_make(&ezc_spectrogram_type, set);
    ezc_array *y = tc_host(tc_apply(t, ezc_array_clone(x, NULL)));
    ck_assert_int_eq(y->shape[0], 25);
    linear_is(y, 0, 0.16, T0 - 0.16, "s");
    check(y, "sg_shift_rel_db", tc_tol(EZC_FLOAT64), "default pad"); /* consumes y */
    ezc_transformer_destroy(&t);
    for (unsigned seed = 1; seed <= 3; seed++) {
        t = tc_make(&ezc_spectrogram_type, set);
        size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
        check(tc_apply_chunks(t, x, 0, lens, n, "time"), "sg_shift_rel_db", tc_tol(EZC_FLOAT64),
              "default pad, chunks");
        ezc_transformer_destroy(&t);
    }
    /* bandpower: the same windows as with zero_pad_until=shift, bit for bit */
    ezc_transformer *a = tc_make(&ezc_bandpower_type, "window_dur=0.32; window_shift=0.16; "
                                                      "bands=[[5, 20], [20, 40]]");
    ezc_transformer *b =
        tc_make(&ezc_bandpower_type, "window_dur=0.32; window_shift=0.16; "
                                     "zero_pad_until=shift; bands=[[5, 20], [20, 40]]");
    ezc_array *ya = tc_host(tc_apply(a, ezc_array_clone(x, NULL)));
    ezc_array *yb = tc_host(tc_apply(b, ezc_array_clone(x, NULL)));
    ck_assert_int_eq(ya->shape[0], 25);
    linear_is(ya, 0, 0.16, T0 - 0.16, "s");
    tc_assert_close(ya, yb, 0, 0, "bandpower default pad");
    ezc_array_destroy(&ya);
    ezc_array_destroy(&yb);
    ezc_transformer_destroy(&a);
    ezc_transformer_destroy(&b);
    /* no shift: one window per message, padded from the input (1:1 mode) */
    t = tc_make(&ezc_spectrogram_type, "window_dur=0.32");
    y = tc_host(tc_apply(t, ezc_array_clone(x, NULL)));
    ck_assert_int_eq(y->shape[0], 1);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

START_TEST(t_spectrogram_steady_and_errors)
{
    ezc_error err = {0};
    ezc_array *x = series("sg_x", 0, 100, T0, TC);
    ezc_transformer *t = tc_make(&ezc_spectrogram_type, SG "window=hamming");
    uint64_t before = 0;
    for (int k = 0; k < 20; k++) {
        if (k == 4)
            before = ezc_buffer_new_count();
        ezc_array *y = tc_apply(t, ezc_array_slice(x, 0, 64, 128, &err));
        ck_assert_int_eq(y->shape[0], k ? 4 : 3); /* 64 samples, then 16 carried + 64 */
        ezc_array_destroy(&y);
    }
    ck_assert_int_eq(ezc_buffer_new_count(), before);
    ezc_transformer_destroy(&t);
    const char *m =
        tc_make_fails(&ezc_spectrogram_type, "window_dur=0.3; window_shift=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "spectrogram: window: setting 'window_shift' = -1"), "%s", m);
    t = tc_make(&ezc_spectrogram_type, SG "axis=t");
    m = tc_apply_fails(t, ezc_array_clone(x, NULL), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "spectrogram: window: setting 'axis' = 't'"), "%s", m);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_spectral");
    tc_devices_init();
    Suite *s = suite_create("tf_spectral");
    TCase *tc = tcase_create("spectral");
    tcase_set_timeout(tc, 120);
    int nd = tc_ndevs();
    tcase_add_loop_test(tc, t_window_whole, 0, nd);
    tcase_add_loop_test(tc, t_window_chunks, 0, nd);
    tcase_add_test(tc, t_window_chunk_offsets);
    tcase_add_loop_test(tc, t_window_1to1, 0, nd);
    tcase_add_loop_test(tc, t_window_middle_axis, 0, nd);
    tcase_add_test(tc, t_window_empty_and_passthrough);
    tcase_add_test(tc, t_window_steady);
    tcase_add_test(tc, t_window_errors);
    tcase_add_loop_test(tc, t_spectrum_windows_transforms, 0, nd);
    tcase_add_loop_test(tc, t_spectrum_modes, 0, nd);
    tcase_add_loop_test(tc, t_spectrum_layout_and_nan, 0, nd);
    tcase_add_test(tc, t_spectrum_steady);
    tcase_add_test(tc, t_spectrum_errors);
    tcase_add_loop_test(tc, t_spectrogram, 0, nd);
    tcase_add_loop_test(tc, t_spectrogram_default_pad, 0, nd);
    tcase_add_test(tc, t_spectrogram_steady_and_errors);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
