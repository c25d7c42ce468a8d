/* test_tf_cwt.c — cwt (the continuous wavelet transform as ezmsg-sigproc's
 * CWT runs it) against tests/ref/gen_tf_cwt.py, which writes PyWavelets'
 * method out in numpy over the whole signal; and `min_phase` of the filter
 * bank and cwt against scipy.signal.minimum_phase (1.10): the bank's
 * output with the converted kernels within 1e-9 of max|y| for
 * homomorphic (FFTs of 8192 points round differently in FFTW and numpy's
 * pocketfft), 5e-3 for hilbert: scipy shifts the zero-phase response so
 * that its minimum is exactly 0 and adds 1e-10 before the log, and of the
 * two mirror bins holding that minimum whichever rounds lower gets
 * log(1e-10), the other the log of ~1e-8; its taps move by up to 1.2e-3
 * of their largest with that rounding (numpy's own half-spectrum FFTs give
 * the same 1.2e-3). ezc computes one half of the (symmetric) spectrum, so
 * both bins are alike: against that (the generator's hilbert_symmetric),
 * 1e-9.
 *
 * Tolerances: float64 within 1e-10 of max|y| (the kernels are the same
 * taps; the sums differ in order: direct or FFT in xp.fir against
 * np.convolve); frequencies 1e-12 relative; float32 within 1e-5 of max|y|
 * against the float64 transform with the float32 grid's kernels (data and
 * output rounded to float32). Chunks equal the whole run to 1e-13.
 *
 * gausP and cgauP: the sampled psi against the generator's (every 8th grid
 * point) within 1e-13 (max |psi| is about 1: a Hermite recurrence against
 * numpy's power-basis polynomials); sum |psi|^2 dx over the 2^10-point grid
 * is 1 within 1e-12 (the Gaussian's tails beyond +-5 hold below 1e-13 of
 * the norm, the sum of a smooth, well-sampled function is exact to
 * rounding otherwise); gaus1 and gaus2 against PyWavelets' closed forms to
 * 1e-12. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_cwt_type;
int ezc_cwt_wavefun(const char *w, double complex psi[1024], double *lb, double *ub,
                    ezc_error *err);

#define FS 250.0

static const struct {
    const char *settings;
    int cplx;
} cases[] = {
    {"wavelet=morl; frequencies=[20, 4, 8, 12, 30]", 0}, /* sorted by the transformer */
    {"wavelet=mexh; frequencies=[6, 15]", 0},
    {"wavelet=cmor1.5-1.0; frequencies=[5, 10, 12, 25]", 1},
    {"wavelet=morl; scales=[4, 16, 9.5]", 0},
    {"wavelet=shan1.5-1.0; frequencies=[12, 6]", 1},
    {"wavelet=fbsp2-1.0-0.5; frequencies=[8, 16]", 1},
    {"wavelet=gaus1; frequencies=[5, 12, 30]", 0},
    {"wavelet=gaus4; frequencies=[8, 20]", 0},
    {"wavelet=gaus8; scales=[3, 12]", 0},
    {"wavelet=cgau1; frequencies=[6, 15]", 1},
    {"wavelet=cgau2; frequencies=[4, 10, 25]", 1},
    {"wavelet=cgau8; frequencies=[10, 40]", 1},
};

static int no_fir(DLDevice dev)
{
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_for(dev, &err);
    if (xp && xp->fir && xp->permute && xp->affine_axis)
        return 0;
    printf("xp.fir not on %s: device skipped\n", xp ? xp->name : "?");
    return 1;
}

/* The reference of case i as a [ch, freq, time] array (complex: re + j im). */
static ezc_array *want_of(int i, int f32)
{
    if (f32)
        return tc_ref("cwt%d_y_f32", i);
    if (!cases[i].cplx)
        return tc_ref("cwt%d_y", i);
    ezc_array *re = tc_ref("cwt%d_re", i), *im = tc_ref("cwt%d_im", i);
    ezc_error err = {0};
    ezc_array *c = ezc_array_new(EZC_COMPLEX128, 3, re->shape, NULL, ezc_device_cpu(), &err);
    ck_assert_msg(c != NULL, "%s", err.msg);
    double *z = ezc_array_data(c);
    for (size_t k = 0; k < ezc_array_size(re); k++) {
        z[2 * k] = tc_get(re, k, 0);
        z[2 * k + 1] = tc_get(im, k, 0);
    }
    ezc_array_destroy(&re);
    ezc_array_destroy(&im);
    return c;
}

static double max_mag(const ezc_array *a)
{
    double m = 0;
    for (size_t i = 0; i < ezc_array_size(a); i++)
        m = fmax(m, hypot(tc_get(a, i, 0), tc_get(a, i, 1)));
    return m;
}

START_TEST(t_cwt_values)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    for (int i = 0; i < (int)(sizeof cases / sizeof *cases); i++) {
        ezc_transformer *t = tc_make(&ezc_cwt_type, cases[i].settings);
        ezc_array *y = tc_host(tc_apply(t, tc_stream_of("cwt_x", FS, 0.25, EZC_FLOAT64, d)));
        ezc_array *want = want_of(i, 0), *fq = tc_ref("cwt%d_freq", i);
        char what[160];
        snprintf(what, sizeof what, "cwt {%s}", cases[i].settings);
        ck_assert_int_eq(y->dtype, cases[i].cplx ? EZC_COMPLEX128 : EZC_FLOAT64);
        ck_assert_str_eq(y->dims[0], "ch");
        ck_assert_str_eq(y->dims[1], "freq");
        ck_assert_str_eq(y->dims[2], "time");
        tc_assert_close(y, want, 0, 1e-10 * max_mag(want), what);
        /* the freq axis in Hz, the time axis as the input's */
        ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
        ck_assert_str_eq(y->axes[1].unit, "Hz");
        for (int64_t k = 0; k < fq->shape[0]; k++) {
            double v = 0;
            ck_assert_int_eq(ezc_axis_value(&y->axes[1], k, &v), 0);
            ck_assert_double_eq_tol(v, tc_get(fq, (size_t)k, 0), 1e-12 * tc_get(fq, (size_t)k, 0));
        }
        ck_assert_int_eq(y->axes[2].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(y->axes[2].gain, 1 / FS, 1e-18);
        ck_assert_double_eq_tol(y->axes[2].offset, 0.25, 1e-15);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_array_destroy(&fq);
        ezc_transformer_destroy(&t);
    }
    /* float32 data: float32 out, kernels cut by the float32 grid */
    ezc_transformer *t = tc_make(&ezc_cwt_type, cases[0].settings);
    ezc_array *y = tc_host(tc_apply(t, tc_stream_of("cwt_x", FS, 0.25, EZC_FLOAT32, d)));
    ezc_array *want = want_of(0, 1);
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    tc_assert_scaled(y, want, 1e-5, "cwt morl float32");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_cwt_type, cases[2].settings);
    y = tc_host(tc_apply(t, tc_stream_of("cwt_x", FS, 0.25, EZC_FLOAT32, d)));
    ck_assert_int_eq(y->dtype, EZC_COMPLEX64);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* gaus real, cgau complex at float32 too */
    const char *g32[2] = {"wavelet=gaus4; frequencies=[8, 20]", "wavelet=cgau2; frequencies=[10]"};
    for (int j = 0; j < 2; j++) {
        t = tc_make(&ezc_cwt_type, g32[j]);
        y = tc_host(tc_apply(t, tc_stream_of("cwt_x", FS, 0.25, EZC_FLOAT32, d)));
        ck_assert_int_eq(y->dtype, j ? EZC_COMPLEX64 : EZC_FLOAT32);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* gausP, cgauP as sampled: the generator's values, unit norm, closed forms. */
START_TEST(t_cwt_gauss_wavelets)
{
    static double complex psi[1024];
    for (int c = 0; c < 2; c++)
        for (int p = 1; p <= 8; p++) {
            char name[8];
            snprintf(name, sizeof name, "%s%d", c ? "cgau" : "gaus", p);
            ezc_error err = {0};
            double lb = 0, ub = 0;
            ck_assert_msg(ezc_cwt_wavefun(name, psi, &lb, &ub, &err) == 0, "%s", err.msg);
            ck_assert(lb == -5 && ub == 5);
            ezc_array *want = tc_ref("psi_%s", name);
            ck_assert_int_eq(want->shape[0], 128);
            for (int j = 0; j < 128; j++) {
                double complex v = psi[8 * j];
                ck_assert_msg(fabs(creal(v) - tc_get(want, 2 * (size_t)j, 0)) < 1e-13 &&
                                  fabs(cimag(v) - tc_get(want, 2 * (size_t)j + 1, 0)) < 1e-13,
                              "%s at point %d: %.17g%+.17gj, want %.17g%+.17gj", name, 8 * j,
                              creal(v), cimag(v), tc_get(want, 2 * (size_t)j, 0),
                              tc_get(want, 2 * (size_t)j + 1, 0));
                if (!c)
                    ck_assert(cimag(v) == 0);
            }
            ezc_array_destroy(&want);
            double dx = (ub - lb) / 1023, sum = 0;
            for (int j = 0; j < 1024; j++)
                sum += creal(psi[j] * conj(psi[j])) * dx;
            ck_assert_msg(fabs(sum - 1) < 1e-12, "%s: sum |psi|^2 dx = %.17g", name, sum);
            /* PyWavelets' gaus1 and gaus2 */
            for (int j = 0; !c && p <= 2 && j < 1024; j += 101) {
                double x = j == 1023 ? ub : lb + j * dx, e = exp(-x * x);
                double want1 = p == 1 ? -2 * x * e / pow(M_PI / 2, 0.25)
                                      : -2 * (2 * x * x - 1) * e / sqrt(3 * sqrt(M_PI / 2));
                ck_assert_msg(fabs(creal(psi[j]) - want1) < 1e-12, "%s(%g) = %.17g, want %.17g",
                              name, x, creal(psi[j]), want1);
            }
        }
}
END_TEST

START_TEST(t_cwt_chunks)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    for (int i = 0; i < (int)(sizeof cases / sizeof *cases); i++)
        tc_check_chunks(&ezc_cwt_type, cases[i].settings, "cwt_x", FS, d);
}
END_TEST

START_TEST(t_cwt_errors)
{
    const char *m = tc_make_fails(&ezc_cwt_type, "wavelet=db4; frequencies=[10]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "cwt: setting 'wavelet' = 'db4'") && strstr(m, "cmorB-C"), "%s", m);
    m = tc_make_fails(&ezc_cwt_type, "wavelet=cmor1.5; frequencies=[10]", EZC_EINVAL);
    ck_assert_str_eq(m, "cwt: setting 'wavelet' = 'cmor1.5': expected cmorB-C with B and C > 0 "
                        "(e.g. cmor1.5-1.0)");
    m = tc_make_fails(&ezc_cwt_type, "wavelet=fbsp0-1-1; frequencies=[10]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'fbsp0-1-1'") && strstr(m, "integer in [1, 64]"), "%s", m);
    m = tc_make_fails(&ezc_cwt_type, "wavelet=shan1-x; frequencies=[10]", EZC_EINVAL);
    ck_assert_str_eq(m, "cwt: setting 'wavelet' = 'shan1-x': expected shanB-C with B and C > 0 "
                        "(e.g. shan1.5-1.0)");
    const char *bad[] = {"gaus0", "gaus9", "gaus", "gaus10", "gaus1.0", "cgau", "cgau0", "cgau9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char set[64], want[32];
        snprintf(set, sizeof set, "wavelet=%s; frequencies=[10]", bad[i]);
        snprintf(want, sizeof want, "'wavelet' = '%s'", bad[i]);
        m = tc_make_fails(&ezc_cwt_type, set, EZC_EINVAL);
        ck_assert_msg(strstr(m, "cwt: setting") && strstr(m, want) &&
                          strstr(m, "integer in [1, 8]") &&
                          strstr(m, bad[i][0] == 'c' ? "cgauP" : "gausP"),
                      "%s", m);
    }
    m = tc_make_fails(&ezc_cwt_type, "wavelet=morl", EZC_EINVAL);
    ck_assert_msg(strstr(m, "neither given"), "%s", m);
    m = tc_make_fails(&ezc_cwt_type, "wavelet=morl; frequencies=[1]; scales=[2]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "both given"), "%s", m);
    m = tc_make_fails(&ezc_cwt_type, "wavelet=morl; frequencies=[10, -1]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'frequencies' = -1"), "%s", m);
    m = tc_make_fails(&ezc_cwt_type, "wavelet=morl; frequencies=[10]; min_phase=minimum",
                      EZC_EINVAL);
    ck_assert_msg(strstr(m, "min_phase"), "%s", m);
    /* a frequency so low its kernel would be huge: refused at the stream's rate */
    ezc_transformer *t = tc_make(&ezc_cwt_type, "wavelet=morl; frequencies=[0.0001]");
    m = tc_apply_fails(t, tc_stream_of("cwt_x", FS, 0, EZC_FLOAT64, ezc_device_cpu()), EZC_EINVAL);
    ck_assert_msg(strstr(m, "taps"), "%s", m);
    ezc_transformer_destroy(&t);
    /* an input with a freq dim already */
    t = tc_make(&ezc_cwt_type, "wavelet=morl; frequencies=[10]");
    ezc_array *x = tc_stream_of("cwt_x", FS, 0, EZC_FLOAT64, ezc_device_cpu());
    ezc_array_set_dim(x, 1, "freq", NULL);
    m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_msg(strstr(m, "'freq' dim already"), "%s", m);
    /* no time axis */
    x = tc_dims(tc_ref("cwt_x"), "samples", "ch");
    m = tc_apply_fails(t, x, EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "time"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* Zero samples: an empty [ch, freq, 0] output; the state is kept (the next
 * message continues as if the empty one had not come). */
START_TEST(t_cwt_empty_and_steady)
{
    ezc_error err = {0};
    const char *set = "wavelet=cmor1.5-1.0; frequencies=[10, 20]";
    ezc_transformer *t = tc_make(&ezc_cwt_type, set);
    ezc_array *x = tc_stream_of("cwt_x", FS, 0, EZC_FLOAT64, ezc_device_cpu());
    ezc_array *e = ezc_array_slice(x, 0, 0, 0, &err);
    ezc_array *y = tc_host(tc_apply(t, e));
    ck_assert_int_eq(y->shape[2], 0);
    ck_assert_int_eq(y->shape[1], 2);
    ezc_array_destroy(&y);
    for (int i = 0; i < 3; i++) {
        y = tc_apply(t, ezc_array_slice(x, 0, 100 * i, 100 * (i + 1), &err));
        ezc_array_destroy(&y);
    }
    uint64_t before = ezc_buffer_new_count();
    for (int i = 3; i < 10; i++) {
        y = tc_apply(t, ezc_array_slice(x, 0, 100 * i, 100 * (i + 1), &err));
        ezc_array_destroy(&y);
    }
    ck_assert_msg(ezc_buffer_new_count() == before, "cwt: %llu buffers on the steady path",
                  (unsigned long long)(ezc_buffer_new_count() - before));
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

extern const ezc_transformer_type ezc_filterbank_type;

/* "kernels=[...]; kernel_lengths=[31, 40]; min_phase=M" from the refs. */
static void bank_settings(char *buf, size_t cap, const char *method)
{
    ezc_array *k1 = tc_ref("mp_k1"), *k2 = tc_ref("mp_k2");
    size_t at = (size_t)snprintf(buf, cap, "kernels=[");
    for (int j = 0; j < 2; j++) {
        const ezc_array *k = j ? k2 : k1;
        for (size_t i = 0; i < ezc_array_size(k); i++)
            at += (size_t)snprintf(buf + at, cap - at, "%s%.17g", j || i ? ", " : "",
                                   tc_get(k, i, 0));
    }
    snprintf(buf + at, cap - at, "]; kernel_lengths=[%lld, %lld]; min_phase=%s",
             (long long)k1->shape[0], (long long)k2->shape[0], method);
    ezc_array_destroy(&k1);
    ezc_array_destroy(&k2);
}

START_TEST(t_min_phase)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    static char set[8192];
    const char *methods[2] = {"homomorphic", "hilbert"};
    for (int m = 0; m < 2; m++) {
        bank_settings(set, sizeof set, methods[m]);
        ezc_transformer *t = tc_make(&ezc_filterbank_type, set);
        ezc_array *y = tc_host(tc_apply(t, tc_stream_of("cwt_x", FS, 0, EZC_FLOAT64, d)));
        ezc_array *want = tc_ref("mp_%s_y", methods[m]);
        char what[64];
        snprintf(what, sizeof what, "filterbank min_phase=%s", methods[m]);
        tc_assert_scaled(y, want, m ? 5e-3 : 1e-9, what);
        if (m) { /* and the same method on the half spectrum, closely */
            ezc_array_destroy(&want);
            want = tc_ref("mp_hilbert_sym_y");
            tc_assert_scaled(y, want, 1e-9, "filterbank min_phase=hilbert, half spectrum");
        }
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
        tc_check_chunks(&ezc_filterbank_type, set, "cwt_x", FS, d);
    }
    ezc_transformer *t = tc_make(&ezc_cwt_type, "wavelet=morl; frequencies=[20, 8]; "
                                                "min_phase=homomorphic");
    ezc_array *y = tc_host(tc_apply(t, tc_stream_of("cwt_x", FS, 0, EZC_FLOAT64, d)));
    ezc_array *want = tc_ref("cwt_mp_y");
    tc_assert_scaled(y, want, 1e-9, "cwt morl min_phase=homomorphic");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_min_phase_errors)
{
    const char *m = tc_make_fails(
        &ezc_cwt_type, "wavelet=cmor1.5-1.0; frequencies=[10]; min_phase=hilbert", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'min_phase' = hilbert") && strstr(m, "complex"), "%s", m);
    m = tc_make_fails(&ezc_cwt_type, "wavelet=cgau2; frequencies=[10]; min_phase=homomorphic",
                      EZC_EINVAL);
    ck_assert_msg(strstr(m, "'min_phase' = homomorphic") && strstr(m, "cgau2 is complex"), "%s", m);
    ezc_transformer *t =
        tc_make(&ezc_cwt_type, "wavelet=gaus2; frequencies=[10]; min_phase=hilbert");
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[1, 2]; min_phase=homomorphic", EZC_EINVAL);
    ck_assert_msg(strstr(m, "filterbank: setting 'min_phase' = homomorphic") &&
                      strstr(m, "at least 3"),
                  "%s", m);
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[0, 0, 0]; min_phase=homomorphic", EZC_EINVAL);
    ck_assert_msg(strstr(m, "all zeros"), "%s", m);
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[1, 2, 3]; min_phase=cepstral", EZC_EINVAL);
    ck_assert_msg(strstr(m, "min_phase"), "%s", m);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_cwt");
    tc_devices_init();
    Suite *s = suite_create("tf_cwt");
    TCase *tc = tcase_create("all");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_cwt_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_cwt_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_cwt_gauss_wavelets);
    tcase_add_test(tc, t_cwt_errors);
    tcase_add_test(tc, t_cwt_empty_and_steady);
    tcase_add_loop_test(tc, t_min_phase, 0, tc_ndevs());
    tcase_add_test(tc, t_min_phase_errors);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
