/* test_tf_dsp2.c — fir_hilbert (equiripple Hilbert transformer: envelope,
 * phase, filtered signal) against scipy 1.10 (tests/ref/gen_tf_dsp2.py).
 *
 * Tolerances: taps (read back as the impulse response) within 1e-9 of the
 * largest tap, as the remez taps of tf_filter (the same discrete optimum
 * found by another exchange path); float64 outputs within 1e-9 of max|y|
 * (the taps' difference, passed through); float32 within 1e-5 of max|y|
 * (outputs rounded to float32; sums in float64); phase compared where the
 * envelope exceeds 1% of its largest value (elsewhere the angle of a
 * near-zero vector is noise), 1e-7 rad (float64), 1e-3 rad (float32).
 * Chunked runs equal whole runs to 1e-13: direct-form FIR, the same sums
 * in the same order, the delay line is a copy.
 *
 * filterbank / filterbankdesign: lfilter(kernel, 1) from zeros per kernel,
 * stacked [ch, kernel, time]: float64 1e-12 of max|y| (designed taps as
 * kaiser's, 1e-14), float32 1e-5; chunks as above.
 *
 * combfilter: sosfilt / lfilter from sosfilt_zi / lfilter_zi x x[0] as
 * butterworth's: float64 1e-12 of max|y| (sos), 1e-10 (ba: one polynomial
 * of order 2 x harmonics, more rounding), float32 1e-5; chunks 1e-13.
 *
 * resample: scipy's interp1d(linear) at t0 + k / rate: float64 1e-11 of
 * max|y| (ezc places output k at k * fs / rate samples, scipy at times
 * t0 + k / rate among times t0 + j / fs: the fractions differ by ~1e-13),
 * float32 1e-5; chunks equal the whole run to 1e-13 (the same two samples
 * and weights per output). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_fir_hilbert_type, ezc_filterbank_type,
    ezc_filterbankdesign_type, ezc_combfilter_type, ezc_resample_type;

static int no_fir(DLDevice dev)
{
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_for(dev, &err);
    if (xp && xp->fir)
        return 0;
    printf("xp.fir not on %s: device skipped\n", xp ? xp->name : "?");
    return 1;
}

static void check_no_alloc(const ezc_transformer_type *type, const char *settings, double fs)
{
    ezc_error err = {0};
    ezc_transformer *t = tc_make(type, settings);
    ezc_array *x = tc_stream_of("hil_x", fs, 0.25, EZC_FLOAT32, ezc_device_cpu());
    for (int i = 0; i < 3; i++) {
        ezc_array *y = tc_apply(t, ezc_array_clone(x, &err));
        ezc_array_destroy(&y);
    }
    uint64_t before = ezc_buffer_new_count();
    for (int i = 0; i < 10; i++) {
        ezc_array *y = tc_apply(t, ezc_array_clone(x, &err));
        ezc_array_destroy(&y);
    }
    ck_assert_msg(ezc_buffer_new_count() == before, "%s {%s}: %llu buffers on the steady path",
                  type->name, settings, (unsigned long long)(ezc_buffer_new_count() - before));
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}

/* ---- fir_hilbert -------------------------------------------------------------- */

#define HIL_FS 500.0
static const struct {
    const char *key, *settings;
} hil_cases[] = {
    {"a", "order=64; f_lo=5; trans_lo=5; f_hi=200; trans_hi=10"},
    {"b", "order=41"},
    {"c", "order=50; f_lo=10; trans_lo=4; f_hi=150; trans_hi=20; weight_stop_lo=3; "
          "weight_stop_hi=2; norm_freq=40"},
    {"d", "order=50; f_lo=10; trans_lo=4; f_hi=150; trans_hi=20; norm_band=[0, 100]"},
    {"e", ""},
    {"f", "order=200; f_lo=5; trans_lo=5"},
};

/* The taps, read back as the response to a unit impulse after zeros. */
START_TEST(t_hilbert_taps)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    ezc_error err = {0};
    for (size_t k = 0; k < sizeof hil_cases / sizeof *hil_cases; k++) {
        ezc_array *want = tc_ref("hil_taps_%s", hil_cases[k].key);
        int64_t n = want->shape[0], shape[2] = {n, 1};
        const char *dims[2] = {"time", "ch"};
        ezc_array *x = ezc_array_zeros(EZC_FLOAT64, 2, shape, dims, &err);
        ((double *)ezc_array_data(x))[1] = 1;
        ezc_array_set_linear_axis(x, 0, 1.0 / HIL_FS, 0, "s");
        char s[256];
        snprintf(s, sizeof s, "%s%soutput=filter", hil_cases[k].settings,
                 *hil_cases[k].settings ? "; " : "");
        ezc_transformer *t = tc_make(&ezc_fir_hilbert_type, s);
        ezc_array *y = tc_host(tc_apply(t, tc_to(x, d)));
        double tol = 1e-9 * tc_max_abs(want);
        for (int64_t i = 0; i + 1 < n; i++)
            ck_assert_msg(fabs(tc_get(y, (size_t)i + 1, 0) - tc_get(want, (size_t)i, 0)) <= tol,
                          "%s: tap %lld: %.17g, want %.17g", s, (long long)i,
                          tc_get(y, (size_t)i + 1, 0), tc_get(want, (size_t)i, 0));
        ck_assert_double_eq(tc_get(want, (size_t)(n - 1) / 2, 0), 0);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* Phase: compared where the reference envelope is above 1% of its peak. */
static void assert_phase(const ezc_array *got, const ezc_array *want, const ezc_array *env,
                         double tol, const char *what)
{
    ck_assert_int_eq((int)ezc_array_size(got), (int)ezc_array_size(want));
    double top = tc_max_abs(env);
    for (size_t i = 0; i < ezc_array_size(want); i++) {
        if (tc_get(env, i, 0) < 0.01 * top)
            continue;
        double e = fabs(tc_get(got, i, 0) - tc_get(want, i, 0));
        e = fmin(e, fabs(e - 2 * M_PI));
        ck_assert_msg(e <= tol, "%s: element %zu: %.17g, want %.17g", what, i, tc_get(got, i, 0),
                      tc_get(want, i, 0));
    }
}

START_TEST(t_hilbert_values)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    for (size_t k = 0; k < sizeof hil_cases / sizeof *hil_cases; k++)
        for (int f32 = 0; f32 < 2; f32++) {
            ezc_dtype t = f32 ? EZC_FLOAT32 : EZC_FLOAT64;
            const char *sfx = f32 ? "32" : "";
            double tol = f32 ? 1e-5 : 1e-9;
            static const char *const outs[3] = {"envelope", "phase", "filter"};
            ezc_array *env = tc_ref("hil_env%s_%s", sfx, hil_cases[k].key);
            for (int o = 0; o < 3; o++) {
                char s[256], what[300];
                snprintf(s, sizeof s, "%s%soutput=%s", hil_cases[k].settings,
                         *hil_cases[k].settings ? "; " : "", outs[o]);
                snprintf(what, sizeof what, "fir_hilbert {%s} %s", s, ezc_dtype_name(t));
                ezc_transformer *tf = tc_make(&ezc_fir_hilbert_type, s);
                ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("hil_x", HIL_FS, 0.25, t, d)));
                ck_assert_int_eq(y->dtype, t);
                ck_assert_str_eq(y->dims[0], "time");
                ck_assert_str_eq(y->dims[1], "ch");
                ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
                ck_assert_double_eq_tol(y->axes[0].gain, 1.0 / HIL_FS, 1e-18);
                ck_assert_double_eq_tol(y->axes[0].offset, 0.25, 1e-15);
                if (o == 0) {
                    tc_assert_scaled(y, env, tol, what);
                } else if (o == 1) {
                    ezc_array *want = tc_ref("hil_phase%s_%s", sfx, hil_cases[k].key);
                    assert_phase(y, want, env, f32 ? 1e-3 : 1e-7, what);
                    ezc_array_destroy(&want);
                } else {
                    ezc_array *want = tc_ref("hil_filt%s_%s", sfx, hil_cases[k].key);
                    tc_assert_scaled(y, want, tol, what);
                    ezc_array_destroy(&want);
                }
                ezc_array_destroy(&y);
                ezc_transformer_destroy(&tf);
            }
            ezc_array_destroy(&env);
        }
}
END_TEST

/* [ch, time] gives the transpose of [time, ch]; integers become float64. */
START_TEST(t_hilbert_layout_and_ints)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    ezc_error err = {0};
    const char *s = "order=64; f_lo=5; trans_lo=5; f_hi=200; trans_hi=10";
    ezc_array *x = tc_stream_of("hil_x", HIL_FS, 0.25, EZC_FLOAT64, ezc_device_cpu());
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    ck_assert_ptr_nonnull(xt);
    ezc_transformer *tf = tc_make(&ezc_fir_hilbert_type, s);
    ezc_array *yt = tc_host(tc_apply(tf, tc_to(xt, d)));
    ck_assert_str_eq(yt->dims[0], "ch");
    ezc_array *y = ezc_array_permute(yt, perm, &err), *want = tc_ref("hil_env_a");
    tc_assert_scaled(y, want, 1e-9, "fir_hilbert [ch, time]");
    ezc_array_destroy(&y);
    ezc_array_destroy(&yt);
    ezc_array_destroy(&want);
    ezc_transformer_destroy(&tf);
    /* int32 data: computed as float64 */
    ezc_array *xi = tc_as_dtype(ezc_array_copy(x, &err), EZC_INT32);
    tf = tc_make(&ezc_fir_hilbert_type, s);
    y = tc_host(tc_apply(tf, tc_to(xi, d)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert_int_eq(y->shape[0], x->shape[0]);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&tf);
    ezc_array_destroy(&x);
}
END_TEST

START_TEST(t_hilbert_chunks)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    tc_check_chunks(&ezc_fir_hilbert_type, "order=64; f_lo=5; trans_lo=5; f_hi=200; trans_hi=10",
                    "hil_x", HIL_FS, d);
    tc_check_chunks(&ezc_fir_hilbert_type, "order=41; output=phase", "hil_x", HIL_FS, d);
    tc_check_chunks(&ezc_fir_hilbert_type, "order=30; output=filter", "hil_x", HIL_FS, d);
}
END_TEST

START_TEST(t_hilbert_errors)
{
    const char *m;
    m = tc_make_fails(&ezc_fir_hilbert_type, "order=0", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: setting 'order' = 0"));
    m = tc_make_fails(&ezc_fir_hilbert_type, "trans_lo=-1", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: setting 'trans_lo' = -1"));
    m = tc_make_fails(&ezc_fir_hilbert_type, "weight_pass=0", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: setting 'weight_pass' = 0"));
    m = tc_make_fails(&ezc_fir_hilbert_type, "norm_band=[1, 2, 3]", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: setting 'norm_band' has 3 values"));
    m = tc_make_fails(&ezc_fir_hilbert_type, "norm_band=[20, 10]", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: setting 'norm_band' = [20, 10]"));
    m = tc_make_fails(&ezc_fir_hilbert_type, "output=both", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "output"));
    ck_assert_ptr_nonnull(strstr(m, "both"));
    /* known at the first message: the rate */
    ezc_transformer *t = tc_make(&ezc_fir_hilbert_type, "f_lo=248");
    m = tc_apply_fails(t, tc_stream_of("hil_x", HIL_FS, 0.25, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: settings 'f_lo' = 248"));
    ck_assert_ptr_nonnull(strstr(m, "fs = 500 Hz"));
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_fir_hilbert_type, "order=20; f_lo=10; f_hi=100; norm_freq=200");
    m = tc_apply_fails(t, tc_stream_of("hil_x", HIL_FS, 0.25, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert: setting 'norm_freq' = 200 Hz"));
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_fir_hilbert_type, "order=20; axis=samples");
    m = tc_apply_fails(t, tc_stream_of("hil_x", HIL_FS, 0.25, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(m, "fir_hilbert:"));
    ck_assert_ptr_nonnull(strstr(m, "'samples'"));
    /* the state stays usable */
    ezc_array *ok = tc_host(
        tc_apply(t, tc_dims(tc_stream_of("hil_x", HIL_FS, 0.25, EZC_FLOAT64, ezc_device_cpu()),
                            "samples", "ch")));
    ck_assert_int_eq(ok->shape[0], 300);
    ezc_array_destroy(&ok);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- filterbank, filterbankdesign ------------------------------------------- */

#define FB_FS 500.0
static const char *fb_settings = "kernels=[[KERNELS]]; kernel_lengths=[5, 9, 3]";
static const char *fbd_settings =
    "cutoff=[30, 40, 80, 100]; n_cutoffs=[1, 2, 1]; ripple=[40, 50, 30]; width=[10, 15, 20]; "
    "pass_zero=[true, bandpass, false]";

/* filterbank's settings with the reference kernels written in. */
static const char *fb_text(void)
{
    static char buf[2048];
    ezc_array *k = tc_ref("fb_kernels");
    char list[1024] = "";
    size_t at = 0;
    for (size_t i = 0; i < ezc_array_size(k); i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%.17g", i ? ", " : "",
                               tc_get(k, i, 0));
    const char *mark = strstr(fb_settings, "[KERNELS]");
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(mark - fb_settings), fb_settings, list,
             mark + strlen("[KERNELS]"));
    ezc_array_destroy(&k);
    return buf;
}

static void check_bank(const ezc_array *y, ezc_dtype t, int64_t nk, double offset)
{
    ck_assert_int_eq(y->dtype, t);
    ck_assert_int_eq(ezc_array_ndim(y), 3);
    ck_assert_str_eq(y->dims[0], "ch");
    ck_assert_str_eq(y->dims[1], "kernel");
    ck_assert_str_eq(y->dims[2], "time");
    ck_assert_int_eq(y->shape[0], 3);
    ck_assert_int_eq(y->shape[1], nk);
    ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_NONE);
    ck_assert_int_eq(y->axes[2].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq_tol(y->axes[2].gain, 1.0 / FB_FS, 1e-18);
    ck_assert_double_eq_tol(y->axes[2].offset, offset, 1e-12);
}

START_TEST(t_filterbank_values)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    const char *sets[2] = {fb_text(), fbd_settings};
    const ezc_transformer_type *types[2] = {&ezc_filterbank_type, &ezc_filterbankdesign_type};
    const char *refs[2] = {"fb_y", "fbd_y"};
    for (int w = 0; w < 2; w++)
        for (int f32 = 0; f32 < 2; f32++) {
            ezc_dtype t = f32 ? EZC_FLOAT32 : EZC_FLOAT64;
            ezc_transformer *tf = tc_make(types[w], sets[w]);
            ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("fb_x", FB_FS, 0.25, t, d)));
            ezc_array *want = tc_ref("%s%s", refs[w], f32 ? "32" : "");
            check_bank(y, t, 3, 0.25);
            char what[96];
            snprintf(what, sizeof what, "%s %s", types[w]->name, ezc_dtype_name(t));
            tc_assert_scaled(y, want, f32 ? 1e-5 : 1e-12, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&tf);
        }
    /* [time, ch] and [ch, time] give the same [ch, kernel, time] */
    ezc_error err = {0};
    ezc_array *x = tc_stream_of("fb_x", FB_FS, 0.25, EZC_FLOAT64, ezc_device_cpu());
    int perm[2] = {1, 0};
    ezc_transformer *tf = tc_make(&ezc_filterbankdesign_type, fbd_settings);
    ezc_array *y = tc_host(tc_apply(tf, tc_to(ezc_array_permute(x, perm, &err), d)));
    ezc_array *want = tc_ref("fbd_y");
    check_bank(y, EZC_FLOAT64, 3, 0.25);
    tc_assert_scaled(y, want, 1e-12, "filterbankdesign [ch, time]");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&tf);
    /* n_kernels: equal lengths; new_axis renames the dim */
    tf = tc_make(&ezc_filterbank_type, "kernels=[[1, 0], [0, 1]]; n_kernels=2; new_axis=band");
    y = tc_host(tc_apply(tf, tc_stream_of("fb_x", FB_FS, 0.25, EZC_FLOAT64, d)));
    ck_assert_str_eq(y->dims[1], "band");
    ezc_array *xh = tc_ref("fb_x");
    for (int64_t n = 0; n < 200; n++) { /* kernel 0 passes x; kernel 1 delays it by one */
        ck_assert_double_eq(tc_get(y, (size_t)n, 0), tc_get(xh, (size_t)n * 3, 0));
        ck_assert_double_eq(tc_get(y, 200 + (size_t)n, 0),
                            n ? tc_get(xh, (size_t)(n - 1) * 3, 0) : 0.0);
    }
    ezc_array_destroy(&xh);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&tf);
}
END_TEST

START_TEST(t_filterbank_chunks)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    const char *sets[2] = {fb_text(), fbd_settings};
    const ezc_transformer_type *types[2] = {&ezc_filterbank_type, &ezc_filterbankdesign_type};
    for (int w = 0; w < 2; w++) {
        ezc_error err = {0};
        ezc_array *x = tc_stream_of("fb_x", FB_FS, 0.25, EZC_FLOAT64, d);
        ezc_transformer *t1 = tc_make(types[w], sets[w]);
        ezc_array *whole = tc_host(tc_apply(t1, ezc_array_clone(x, &err)));
        for (unsigned seed = 1; seed <= 3; seed++) {
            int64_t lens[64];
            size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
            ezc_transformer *t2 = tc_make(types[w], sets[w]);
            /* outputs joined along time, which is dim 2 of the output */
            ezc_array *all[64] = {0};
            int64_t at = 0;
            size_t got = 0;
            for (size_t c = 0; c < n; c++) {
                ezc_array *part = ezc_array_slice(x, 0, at, at + lens[c], &err);
                ezc_array *cp = ezc_array_copy(part, &err);
                ezc_array_destroy(&part);
                at += lens[c];
                ezc_array *y = tc_host(tc_apply(t2, cp));
                check_bank(y, EZC_FLOAT64, 3, 0.25 + (double)(at - lens[c]) / FB_FS);
                all[got++] = y;
            }
            ezc_array *parts = ezc_array_concat((const ezc_array *const *)all, got, 2, &err);
            ck_assert_msg(parts != NULL, "%s", err.msg);
            tc_assert_close(parts, whole, 1e-13, 1e-13, types[w]->name);
            for (size_t c = 0; c < got; c++)
                ezc_array_destroy(&all[c]);
            ezc_array_destroy(&parts);
            ezc_transformer_destroy(&t2);
        }
        ezc_array_destroy(&whole);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t1);
    }
}
END_TEST

START_TEST(t_filterbank_errors)
{
    const char *m;
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[1, 2, 3]; n_kernels=2", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbank: setting 'n_kernels' = 2"));
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[1, 2, 3]; kernel_lengths=[1, 1]", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbank: setting 'kernel_lengths' adds up to 2"));
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[1, 2, 3]; kernel_lengths=[0, 3]", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbank: setting 'kernel_lengths' = 0"));
    m = tc_make_fails(&ezc_filterbank_type, "kernels=[1]; min_phase=hilbert", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "min_phase"));
    m = tc_make_fails(&ezc_filterbankdesign_type, "cutoff=[10, 20]; ripple=[40, 40, 40]; width=5",
                      EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbankdesign: setting 'ripple' has 3 values"));
    m = tc_make_fails(&ezc_filterbankdesign_type, "cutoff=[10, 20]; ripple=5; width=5", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbankdesign: setting 'ripple' = 5 (filter 0)"));
    m = tc_make_fails(&ezc_filterbankdesign_type, "cutoff=[10, 20]; ripple=40; width=[5, 0]",
                      EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbankdesign: setting 'width' = 0 (filter 1)"));
    m = tc_make_fails(&ezc_filterbankdesign_type,
                      "cutoff=[10, 20, 5]; n_cutoffs=[1, 2]; ripple=40; width=5; "
                      "pass_zero=bandpass",
                      EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbankdesign: setting 'pass_zero' = 'bandpass'"));
    m = tc_make_fails(&ezc_filterbankdesign_type,
                      "cutoff=[10, 20, 5]; n_cutoffs=[1, 2]; ripple=40; width=5", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbankdesign: setting 'cutoff': 5 after 20 (filter 1)"));
    ezc_transformer *t =
        tc_make(&ezc_filterbankdesign_type, "cutoff=[10, 300]; ripple=40; width=5");
    m = tc_apply_fails(t, tc_stream_of("fb_x", FB_FS, 0.25, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filterbankdesign: setting 'cutoff' = 300 Hz (filter 1)"));
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_filterbank_type, "kernels=[1, 2]; axis=samples");
    m = tc_apply_fails(t, tc_stream_of("fb_x", FB_FS, 0.25, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(m, "filterbank:"));
    ck_assert_ptr_nonnull(strstr(m, "'samples'"));
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- combfilter ---------------------------------------------------------------- */

static const struct {
    const char *key, *settings;
} comb_cases[] = {
    {"notch", ""},
    {"peak", "filter_type=peak; q_factor=10"},
    {"prop", "fundamental_freq=100; num_harmonics=4; quality_scaling=proportional; q_factor=20"},
};

START_TEST(t_comb_values)
{
    DLDevice d = tc_dev(_i);
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_for(d, &err);
    if (!xp || !xp->iir)
        return;
    for (size_t k = 0; k < sizeof comb_cases / sizeof *comb_cases; k++)
        for (int v = 0; v < 3; v++) { /* sos float64, sos float32, ba float64 */
            char s[256], what[300];
            snprintf(s, sizeof s, "%s%scoef_type=%s", comb_cases[k].settings,
                     *comb_cases[k].settings ? "; " : "", v == 2 ? "ba" : "sos");
            ezc_dtype t = v == 1 ? EZC_FLOAT32 : EZC_FLOAT64;
            snprintf(what, sizeof what, "combfilter {%s} %s", s, ezc_dtype_name(t));
            ezc_transformer *tf = tc_make(&ezc_combfilter_type, s);
            ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("comb_x", FB_FS, 0.25, t, d)));
            ezc_array *want = tc_ref("comb_y%s_%s",
                                     v == 1   ? "32"
                                     : v == 2 ? "ba"
                                              : "",
                                     comb_cases[k].key);
            ck_assert_int_eq(y->dtype, t);
            ck_assert_str_eq(y->dims[0], "time");
            ck_assert_double_eq_tol(y->axes[0].gain, 1.0 / FB_FS, 1e-18);
            ck_assert_double_eq_tol(y->axes[0].offset, 0.25, 1e-15);
            tc_assert_scaled(y, want, v == 1 ? 1e-5 : v == 2 ? 1e-10 : 1e-12, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&tf);
        }
    /* no harmonic below Nyquist: the data pass unchanged */
    ezc_transformer *tf = tc_make(&ezc_combfilter_type, "fundamental_freq=300");
    ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("comb_x", FB_FS, 0.25, EZC_FLOAT64, d)));
    ezc_array *x = tc_ref("comb_x");
    tc_assert_close(y, x, 0, 1e-15, "combfilter above Nyquist");
    ezc_array_destroy(&y);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&tf);
}
END_TEST

START_TEST(t_comb_chunks)
{
    DLDevice d = tc_dev(_i);
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_for(d, &err);
    if (!xp || !xp->iir)
        return;
    tc_check_chunks(&ezc_combfilter_type, "", "comb_x", FB_FS, d);
    tc_check_chunks(&ezc_combfilter_type, "filter_type=peak; coef_type=ba", "comb_x", FB_FS, d);
}
END_TEST

START_TEST(t_comb_errors)
{
    const char *m;
    m = tc_make_fails(&ezc_combfilter_type, "fundamental_freq=0", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "combfilter: setting 'fundamental_freq' = 0"));
    m = tc_make_fails(&ezc_combfilter_type, "num_harmonics=0", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "combfilter: setting 'num_harmonics' = 0"));
    m = tc_make_fails(&ezc_combfilter_type, "q_factor=-2", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "combfilter: setting 'q_factor' = -2"));
    m = tc_make_fails(&ezc_combfilter_type, "num_harmonics=30; coef_type=ba", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "combfilter: setting 'num_harmonics' = 30 with coef_type"));
    m = tc_make_fails(&ezc_combfilter_type, "filter_type=band", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "filter_type"));
}
END_TEST

/* ---- resample ------------------------------------------------------------------ */

static const struct {
    const char *key;
    double rate;
} rs_cases[] = {{"down", 300}, {"up", 1300}, {"int", 250}};

START_TEST(t_resample_values)
{
    DLDevice d = tc_dev(_i);
    for (size_t k = 0; k < sizeof rs_cases / sizeof *rs_cases; k++)
        for (int f32 = 0; f32 < 2; f32++) {
            ezc_dtype t = f32 ? EZC_FLOAT32 : EZC_FLOAT64;
            char s[64], what[128];
            snprintf(s, sizeof s, "resample_rate=%g", rs_cases[k].rate);
            snprintf(what, sizeof what, "resample {%s} %s", s, ezc_dtype_name(t));
            ezc_transformer *tf = tc_make(&ezc_resample_type, s);
            ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("rs_x", 1000, 0.25, t, d)));
            ezc_array *want = tc_ref("rs_y%s_%s", f32 ? "32" : "", rs_cases[k].key);
            ck_assert_int_eq(y->dtype, t);
            ck_assert_str_eq(y->dims[0], "time");
            ck_assert_str_eq(y->dims[1], "ch");
            ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
            ck_assert_double_eq_tol(y->axes[0].gain, 1.0 / rs_cases[k].rate, 1e-18);
            ck_assert_double_eq_tol(y->axes[0].offset, 0.25, 1e-15);
            ck_assert_str_eq(y->axes[0].unit, "s");
            tc_assert_scaled(y, want, f32 ? 1e-5 : 1e-11, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&tf);
        }
    /* [ch, time]: the same values, transposed */
    ezc_error err = {0};
    int perm[2] = {1, 0};
    ezc_array *x = tc_stream_of("rs_x", 1000, 0.25, EZC_FLOAT64, ezc_device_cpu());
    ezc_transformer *tf = tc_make(&ezc_resample_type, "resample_rate=300");
    ezc_array *yt = tc_host(tc_apply(tf, tc_to(ezc_array_permute(x, perm, &err), d)));
    ck_assert_str_eq(yt->dims[1], "time");
    ck_assert_double_eq_tol(yt->axes[1].gain, 1.0 / 300, 1e-18);
    ezc_array *y = ezc_array_permute(yt, perm, &err), *want = tc_ref("rs_y_down");
    tc_assert_scaled(y, want, 1e-11, "resample [ch, time]");
    ezc_array_destroy(&y);
    ezc_array_destroy(&yt);
    ezc_array_destroy(&want);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&tf);
}
END_TEST

START_TEST(t_resample_chunks)
{
    DLDevice d = tc_dev(_i);
    tc_check_chunks(&ezc_resample_type, "resample_rate=300", "rs_x", 1000, d);
    tc_check_chunks(&ezc_resample_type, "resample_rate=1300", "rs_x", 1000, d);
    tc_check_chunks(&ezc_resample_type, "resample_rate=250", "rs_x", 1000, d);
    /* a message before the next grid point gives 0 samples stamped with its time */
    ezc_error err = {0};
    ezc_transformer *tf = tc_make(&ezc_resample_type, "resample_rate=250");
    ezc_array *x = tc_stream_of("rs_x", 1000, 0.25, EZC_FLOAT64, ezc_device_cpu());
    ezc_array *p1 = ezc_array_slice(x, 0, 0, 1, &err), *p2 = ezc_array_slice(x, 0, 1, 3, &err);
    ezc_array *y1 = tc_host(tc_apply(tf, tc_to(ezc_array_copy(p1, &err), d)));
    ezc_array *y2 = tc_host(tc_apply(tf, tc_to(ezc_array_copy(p2, &err), d)));
    ck_assert_int_eq(y1->shape[0], 1);
    ck_assert_int_eq(y2->shape[0], 0);
    ck_assert_double_eq_tol(y2->axes[0].offset, 0.25 + 1.0 / 250, 1e-15);
    ezc_array_destroy(&p1);
    ezc_array_destroy(&p2);
    ezc_array_destroy(&y1);
    ezc_array_destroy(&y2);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&tf);
}
END_TEST

START_TEST(t_resample_errors)
{
    const char *m;
    m = tc_make_fails(&ezc_resample_type, "resample_rate=0", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "resample: setting 'resample_rate' = 0"));
    m = tc_make_fails(&ezc_resample_type, "", EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "resample_rate"));
    ezc_transformer *t = tc_make(&ezc_resample_type, "resample_rate=100");
    ezc_array *x = tc_stream_of("rs_x", 1000, 0.25, EZC_FLOAT64, ezc_device_cpu());
    ezc_array_clear_axis(x, 0);
    m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "resample:"));
    ck_assert_ptr_nonnull(strstr(m, "gain = 1/fs"));
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- state resets ------------------------------------------------------------------ */

/* Rows [r0, r1) and the first nc channels of reference `name`, at fs. */
static ezc_array *part(const char *name, double fs, int64_t r0, int64_t r1, int64_t nc)
{
    ezc_error err = {0};
    ezc_array *x = tc_stream_of(name, fs, 0.25, EZC_FLOAT64, ezc_device_cpu());
    int64_t idx[8];
    for (int64_t k = 0; k < nc; k++)
        idx[k] = k;
    ezc_array *cols = ezc_array_take(x, 1, idx, (size_t)nc, &err);
    ezc_array *rows = ezc_array_slice(cols, 0, r0, r1, &err);
    ezc_array *c = ezc_array_copy(rows, &err);
    ezc_array_destroy(&x);
    ezc_array_destroy(&cols);
    ezc_array_destroy(&rows);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* A change of channel count starts the state again: the second part gives
 * what a fresh instance gives on it. */
START_TEST(t_reset_on_template_change)
{
    DLDevice d = tc_dev(_i);
    if (no_fir(d))
        return;
    static const struct {
        const ezc_transformer_type *type;
        const char *settings, *x;
        double fs;
    } cases[] = {
        {&ezc_fir_hilbert_type, "order=30", "hil_x", HIL_FS},
        {&ezc_filterbank_type, "kernels=[[1, 2, 3], [0, 1, 0.5]]; n_kernels=2", "fb_x", FB_FS},
        {&ezc_combfilter_type, "", "comb_x", FB_FS},
        {&ezc_resample_type, "resample_rate=300", "rs_x", 1000},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ezc_transformer *t = tc_make(cases[k].type, cases[k].settings);
        ezc_array *y1 = tc_host(tc_apply(t, tc_to(part(cases[k].x, cases[k].fs, 0, 100, 3), d)));
        ezc_array *y2 = tc_host(tc_apply(t, tc_to(part(cases[k].x, cases[k].fs, 100, 200, 2), d)));
        ezc_transformer *fresh = tc_make(cases[k].type, cases[k].settings);
        ezc_array *want =
            tc_host(tc_apply(fresh, tc_to(part(cases[k].x, cases[k].fs, 100, 200, 2), d)));
        tc_assert_close(y2, want, 1e-13, 1e-13, cases[k].type->name);
        ck_assert_double_eq_tol(y2->axes[ezc_array_ndim(y2) == 3 ? 2 : 0].offset,
                                want->axes[ezc_array_ndim(want) == 3 ? 2 : 0].offset, 1e-15);
        ezc_array_destroy(&y1);
        ezc_array_destroy(&y2);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
        ezc_transformer_destroy(&fresh);
    }
}
END_TEST

START_TEST(t_no_steady_allocation)
{
    check_no_alloc(&ezc_fir_hilbert_type, "order=30; f_lo=5; trans_lo=5", HIL_FS);
    check_no_alloc(&ezc_fir_hilbert_type, "order=30; output=phase", HIL_FS);
    check_no_alloc(&ezc_fir_hilbert_type, "order=30; output=filter", HIL_FS);
    check_no_alloc(&ezc_filterbank_type, "kernels=[[1, 2, 3], [4, 5, 6]]; n_kernels=2", HIL_FS);
    check_no_alloc(&ezc_filterbankdesign_type, fbd_settings, HIL_FS);
    check_no_alloc(&ezc_combfilter_type, "", HIL_FS);
    check_no_alloc(&ezc_combfilter_type, "coef_type=ba; filter_type=peak", HIL_FS);
    check_no_alloc(&ezc_resample_type, "resample_rate=300", 1000);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_dsp2");
    tc_devices_init();
    Suite *s = suite_create("tf_dsp2");
    TCase *tc = tcase_create("all");
    tcase_add_loop_test(tc, t_hilbert_taps, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_hilbert_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_hilbert_layout_and_ints, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_hilbert_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_hilbert_errors);
    tcase_add_loop_test(tc, t_filterbank_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_filterbank_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_filterbank_errors);
    tcase_add_loop_test(tc, t_comb_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_comb_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_comb_errors);
    tcase_add_loop_test(tc, t_resample_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_resample_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_resample_errors);
    tcase_add_loop_test(tc, t_reset_on_template_change, 0, tc_ndevs());
    tcase_add_test(tc, t_no_steady_allocation);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
