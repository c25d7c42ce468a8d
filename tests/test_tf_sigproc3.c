/* test_tf_sigproc3.c — fbcca, resampleconcat and singlebandpow's square-law
 * mode against numpy/scipy (tests/ref/gen_tf_fbcca.py), float32 and float64
 * inputs on every backend.
 *
 * Tolerances: fbcca 1e-12 absolute on scores in [0, 2] (the reference
 * takes QR factors of the centred data, ezc a Cholesky of its covariance:
 * they agree to ~1e-15 on these well-conditioned windows; float32 inputs
 * are widened to float64 first, by both). resampleconcat: the reference half is
 * moved, so exact; the interpolated half 1e-12 (float64; the fraction
 * between two samples comes from times computed two ways), 1e-6 (float32
 * outputs); random chunkings of both streams in random order give what the
 * whole streams give. singlebandpow square_law: sosfilt twice as
 * butterworth's own tests, 1e-10 of max|y| (float64). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_fbcca_type, ezc_singlebandpow_type, ezc_resampleconcat_type;

static const char *const sfx[2] = {"f32", "f64"};

static ezc_array *zeros(ezc_dtype t, int ndim, const int64_t *shape)
{
    ezc_error err = {0};
    ezc_array *a = ezc_array_zeros(t, ndim, shape, NULL, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    return a;
}

/* ---- fbcca -------------------------------------------------------------- */

/* fb_x_SFX as [win, ch, band, time] at 250 Hz from 1.5 s, on dev. */
static ezc_array *fb_input(int k, double t0, DLDevice dev)
{
    ezc_array *x = tc_dims(tc_ref("fb_x_%s", sfx[k]), "win", "ch", "band", "time");
    ezc_array_set_linear_axis(x, 3, 1.0 / 250, t0, "s");
    return tc_to(x, dev);
}

static void assert_freqs(const ezc_array *y, int dim, const double *f, size_t n)
{
    ck_assert_str_eq(y->dims[dim], "target_freq");
    ck_assert_int_eq(y->axes[dim].kind, EZC_AXIS_COORD);
    ck_assert_ptr_nonnull(y->axes[dim].coords);
    ck_assert_uint_eq(y->axes[dim].coords->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_double_eq(y->axes[dim].coords->values[i], f[i]);
}

START_TEST(t_fbcca_values)
{
    static const struct {
        const char *settings, *want;
    } cases[] = {
        {"", "fb_soft"},
        {"softmax_beta=0", "fb_raw"},
        {"weight_a=2; weight_b=0; softmax_beta=2", "fb_ab"},
        {"harmonics=2; weights=[1, 0.5, 0.25]; softmax_beta=0", "fb_w"},
    };
    const double freqs[4] = {8, 10, 12, 15};
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++)
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            char s[256], what[300];
            snprintf(s, sizeof s, "filterbank_dim=band; harmonics=3; freqs=[8, 10, 12, 15]; %s",
                     cases[c].settings);
            snprintf(what, sizeof what, "fbcca {%s} %s", s, sfx[k]);
            ezc_transformer *t = tc_make(&ezc_fbcca_type, s);
            ezc_array *want = tc_ref("%s_%s", cases[c].want, sfx[k]);
            /* twice, the second window later: the references are relative */
            for (int rep = 0; rep < 2; rep++) {
                ezc_array *y = tc_host(tc_apply(t, fb_input(k, 1.5 + 4.0 * rep, dev)));
                tc_assert_close(y, want, 0, 1e-12, what);
                ck_assert_int_eq(y->dtype, EZC_FLOAT64);
                ck_assert_int_eq(ezc_array_ndim(y), 2);
                ck_assert_str_eq(y->dims[0], "win");
                assert_freqs(y, 1, freqs, 4);
                if (c < 2) { /* window 0 carries 10 Hz, window 1 12 Hz */
                    double *v = ezc_array_data(y);
                    ck_assert(v[1] > v[0] && v[1] > v[2] && v[1] > v[3]);
                    ck_assert(v[6] > v[4] && v[6] > v[5] && v[6] > v[7]);
                }
                ezc_array_destroy(&y);
            }
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&t);
        }
}
END_TEST

START_TEST(t_fbcca_cca)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    const double freqs[3] = {9, 11.5, 20};
    /* no sub-bands, a constant channel (left out); a linear time axis */
    ezc_transformer *t =
        tc_make(&ezc_fbcca_type, "freqs=[9, 11.5, 20]; harmonics=2; softmax_beta=0");
    ezc_array *x = tc_dims(tc_ref("cca_x"), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 250, 0, "s");
    ezc_array *want = tc_ref("cca_raw");
    ezc_array *y = tc_host(tc_apply(t, tc_to(ezc_array_copy(x, &err), dev)));
    tc_assert_close(y, want, 0, 1e-12, "fbcca plain CCA");
    ck_assert_int_eq(ezc_array_ndim(y), 1);
    assert_freqs(y, 0, freqs, 3);
    ezc_array_destroy(&y);
    /* the same times as coordinates, channels first */
    double tv[200];
    for (int i = 0; i < 200; i++)
        tv[i] = 7 + i / 250.0;
    ck_assert_int_eq(ezc_array_set_coord_values(x, 0, tv, 200, "s", &err), 0);
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    y = tc_host(tc_apply(t, tc_to(xt, dev)));
    tc_assert_close(y, want, 0, 1e-12, "fbcca plain CCA, coordinate times");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);

    /* 3 samples, 5 channels: every centred direction is spanned, rho = 1 */
    t = tc_make(&ezc_fbcca_type, "freqs=[10, 20]; harmonics=1; softmax_beta=0");
    x = tc_dims(tc_ref("cca_short_x"), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 250, 0, "s");
    want = tc_ref("cca_short");
    y = tc_host(tc_apply(t, tc_to(x, dev)));
    tc_assert_close(y, want, 0, 1e-12, "fbcca 3 samples x 5 channels");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);

    /* no samples: no correlation; the softmax of equal scores */
    int64_t shape[2] = {0, 4};
    x = tc_dims(zeros(EZC_FLOAT32, 2, shape), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 250, 0, "s");
    y = tc_host(tc_apply(t, tc_to(x, dev)));
    ck_assert_int_eq(y->shape[0], 2);
    ck_assert_double_eq(tc_get(y, 0, 0), 0);
    ck_assert_double_eq(tc_get(y, 1, 0), 0);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_fbcca_type, "freqs=[10, 20, 30, 40]");
    x = tc_dims(zeros(EZC_FLOAT64, 2, shape), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 250, 0, "s");
    y = tc_host(tc_apply(t, tc_to(x, dev)));
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(tc_get(y, (size_t)i, 0), 0.25, 1e-15);
    ezc_array_destroy(&y);
    /* an empty batch: an empty output */
    int64_t s3[3] = {0, 5, 2};
    x = tc_dims(zeros(EZC_FLOAT64, 3, s3), "win", "time", "ch");
    ezc_array_set_linear_axis(x, 1, 1.0 / 250, 0, "s");
    y = tc_host(tc_apply(t, tc_to(x, dev)));
    ck_assert_int_eq(ezc_array_ndim(y), 2);
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert_int_eq(y->shape[1], 4);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_fbcca_errors)
{
    const char *m = tc_make_fails(&ezc_fbcca_type, "", EZC_EINVAL);
    ck_assert_msg(strstr(m, "freqs"), "%s", m);
    m = tc_make_fails(&ezc_fbcca_type, "freqs=[10, 0]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: setting 'freqs' = 0 (item 1): expected a frequency > 0 Hz"),
                  "%s", m);
    m = tc_make_fails(&ezc_fbcca_type, "freqs=[10]; harmonics=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: setting 'harmonics' = 0: expected 1..64"), "%s", m);
    m = tc_make_fails(&ezc_fbcca_type, "freqs=[10]; time_dim=ch", EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: settings 'time_dim', 'ch_dim' and 'filterbank_dim' must name "
                            "different dims ('ch', 'ch', '')"),
                  "%s", m);
    m = tc_make_fails(&ezc_fbcca_type, "freqs=[10]; weights=[1, inf]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: setting 'weights' = inf (item 1)"), "%s", m);
    m = tc_make_fails(&ezc_fbcca_type, "freqs=[10]; filterbank_dim=", EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: setting 'filterbank_dim' = '': expected a dim name"), "%s", m);

    ezc_transformer *t = tc_make(&ezc_fbcca_type, "freqs=[10]; filterbank_dim=band");
    int64_t shape[2] = {5, 2};
    ezc_array *x = tc_dims(zeros(EZC_FLOAT64, 2, shape), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 0.01, 0, "s");
    m = tc_apply_fails(t, x, EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "fbcca: setting 'filterbank_dim' = 'band': the message has no such dim "
                            "(dims: time, ch)"),
                  "%s", m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_fbcca_type, "freqs=[10]; filterbank_dim=band; weights=[1, 2]");
    x = fb_input(1, 0, ezc_device_cpu());
    m = tc_apply_fails(t, x, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "fbcca: setting 'weights' has 2 values, but the message has 3 "
                            "sub-bands along 'band'"),
                  "%s", m);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_fbcca_type, "freqs=[10]");
    x = tc_dims(zeros(EZC_FLOAT64, 2, shape), "time", "ch"); /* no times */
    m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: setting 'time_dim' = 'time': the dim has no times"), "%s", m);
    x = tc_dims(zeros(EZC_COMPLEX64, 2, shape), "time", "ch");
    m = tc_apply_fails(t, x, EZC_EDTYPE);
    ck_assert_msg(strstr(m, "fbcca: complex64 data is not supported"), "%s", m);
    int64_t s3[3] = {2, 5, 2};
    x = tc_dims(zeros(EZC_FLOAT64, 3, s3), "target_freq", "time", "ch");
    ezc_array_set_linear_axis(x, 1, 0.01, 0, "s");
    m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_msg(strstr(m, "fbcca: setting 'target_freq_dim' = 'target_freq': the message has "
                            "that dim already"),
                  "%s", m);
    /* a channel count past the bound: refused, not a c^3 hang */
    int64_t big[2] = {2, 5000};
    x = tc_dims(zeros(EZC_FLOAT32, 2, big), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 0.01, 0, "s");
    m = tc_apply_fails(t, x, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "fbcca: 1 blocks of 5000 channels"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- resampleconcat ------------------------------------------------------ */

START_TEST(t_resampleconcat_values_chunks)
{
    DLDevice dev = tc_dev(_i);
    ezc_array *p = tc_ref("rc_params");
    double rfs = tc_get(p, 0, 0), sfs = tc_get(p, 1, 0), rt0 = tc_get(p, 2, 0),
           st0 = tc_get(p, 3, 0), skip = tc_get(p, 4, 0), n = tc_get(p, 5, 0);
    ezc_array_destroy(&p);
    for (int k = 0; k < 2; k++) {
        char nr[32], ns[32];
        snprintf(nr, sizeof nr, "rc_ref_%s", sfx[k]);
        snprintf(ns, sizeof ns, "rc_sig_%s", sfx[k]);
        ezc_array *ref = tc_labelled(nr, rfs, rt0, "xyz"), *sig = tc_labelled(ns, sfs, st0, "pq");
        ezc_array *want = tc_ref("rc_out_%s", sfx[k]);
        double tol = k ? 1e-12 : 1e-6;
        for (unsigned seed = 1; seed <= 8; seed++) {
            ezc_transformer *t = tc_make(&ezc_resampleconcat_type, "");
            uint64_t drops[2];
            const unsigned seeds[2] = {seed, seed + 91};
            static const char *const ports[2] = {"reference", "signal"};
            ezc_array *y = tc_run_two_ports(t, ref, sig, dev, seeds, ports, drops);
            char what[96];
            snprintf(what, sizeof what, "resampleconcat %s seed %u", sfx[k], seed);
            ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32);
            ck_assert_int_eq(y->shape[0], (int64_t)n);
            tc_assert_close(y, want, tol, tol, what);
            /* the reference half is moved, not computed */
            for (int64_t i = 0; i < y->shape[0]; i++)
                for (int c = 0; c < 3; c++)
                    ck_assert_double_eq(tc_get(y, (size_t)(i * 5 + c), 0),
                                        tc_get(want, (size_t)(i * 5 + c), 0));
            ck_assert_int_eq((int)drops[0], (int)skip); /* reference before the signal: said */
            ck_assert_int_eq((int)drops[1], 0);
            ck_assert_double_eq_tol(y->axes[0].offset, rt0 + skip / rfs, 1e-12);
            ck_assert_double_eq_tol(y->axes[0].gain, 1 / rfs, 1e-15);
            const char *lab[5] = {"x_a", "y_a", "z_a", "p_b", "q_b"};
            ck_assert_uint_eq(y->axes[1].coords->n, 5);
            for (int c = 0; c < 5; c++)
                ck_assert_str_eq(y->axes[1].coords->labels[c], lab[c]);
            ezc_array_destroy(&y);
            ezc_transformer_destroy(&t);
        }
        ezc_array_destroy(&ref);
        ezc_array_destroy(&sig);
        ezc_array_destroy(&want);
    }
}
END_TEST

START_TEST(t_resampleconcat_drops_errors)
{
    ezc_error err = {0};
    ezc_array *out = NULL;
    ezc_transformer *t = tc_make(&ezc_resampleconcat_type, "buffer_dur=0.01; concat_axis=src");
    /* the signal runs ahead: its oldest go, counted */
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_ramp(15, 0, 0, 1000), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "resampleconcat: dropped 0 samples of port 'reference' and 5 of "
                                  "port 'signal' without a partner (port 'signal' ran more than "
                                  "buffer_dur = 0.01 s ahead; 0 and 5 in all)"),
                  "%s", err.msg);
    /* signal samples 5 .. 14 (times 0.005 .. 0.014) held; a reference at
     * 500 Hz from 0.006 meets the signal's own samples 6, 8, .. 14 */
    ck_assert_int_eq(ezc_transformer_process(t, 0, tc_ramp(5, 0.006, 100, 500), &out, &err), 0);
    ezc_array *y = out;
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->shape[0], 5);
    ck_assert_int_eq(y->shape[1], 2);
    ck_assert_int_eq(y->shape[2], 2);
    ck_assert_str_eq(y->dims[2], "src");
    ck_assert_double_eq_tol(y->axes[0].offset, 0.006, 1e-12);
    /* [time, ch, src]: element (i, c, s) at i * 4 + c * 2 + s */
    ck_assert_double_eq(tc_get(y, 0, 0), 100);  /* reference 0, ch 0 */
    ck_assert_double_eq(tc_get(y, 1, 0), 12);   /* signal sample 6, ch 0 */
    ck_assert_double_eq(tc_get(y, 18, 0), 109); /* reference 4, ch 1 */
    ck_assert_double_eq(tc_get(y, 19, 0), 29);  /* signal sample 14, ch 1 */
    ezc_array_destroy(&y);
    /* a jump on the signal: the sample it kept is dropped and said */
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_ramp(3, 0.5, 0, 1000), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "dropped 0 samples of port 'reference' and 1 of port 'signal' "
                                  "without a partner (port 'signal' jumped from time 0.015 to 0.5; "
                                  "0 and 6 in all)"),
                  "%s", err.msg);
    /* reference times before the signal's first: dropped, said */
    ck_assert_int_eq(ezc_transformer_process(t, 0, tc_ramp(2, 0.016, 0, 500), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "dropped 2 samples of port 'reference' and 0 of port 'signal' "
                                  "without a partner (port 'reference' starts before port "
                                  "'signal'; 2 and 6 in all)"),
                  "%s", err.msg);
    /* between two signal samples: the linear interpolation */
    ck_assert_int_eq(ezc_transformer_process(t, 0, tc_ramp(1, 0.5014, 0, 500), &out, &err), 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->shape[0], 1);
    ck_assert_double_eq_tol(tc_get(out, 1, 0), 2 * 1.4, 1e-12); /* between samples 1 and 2 */
    ck_assert_double_eq_tol(tc_get(out, 3, 0), 2 * 1.4 + 1, 1e-12);
    ezc_array_destroy(&out);
    /* no linear clock: refused, nothing buffered */
    ezc_array *bad = tc_ramp(3, 0, 0, 1000);
    ezc_array_clear_axis(bad, 0);
    ck_assert_int_eq(ezc_transformer_process(t, 0, bad, &out, &err), EZC_EINVAL);
    ck_assert_msg(
        strstr(err.msg, "resampleconcat: port 'reference': dim 'time' has no linear axis"), "%s",
        err.msg);
    bad = tc_dims(tc_ramp(3, 0, 0, 1000), "t", "ch");
    ck_assert_int_eq(ezc_transformer_process(t, 1, bad, &out, &err), EZC_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "resampleconcat: setting 'axis' = 'time': the message on port "
                                  "'signal' has no such dim (dims: t, ch)"),
                  "%s", err.msg);
    int64_t shape[2] = {2, 2};
    bad = tc_dims(zeros(EZC_COMPLEX128, 2, shape), "time", "ch");
    ezc_array_set_linear_axis(bad, 0, 0.001, 0, "s");
    ck_assert_int_eq(ezc_transformer_process(t, 1, bad, &out, &err), EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "resampleconcat: port 'signal': complex128 data"), "%s", err.msg);
    ezc_transformer_destroy(&t);

    const char *m = tc_make_fails(&ezc_resampleconcat_type, "buffer_dur=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "resampleconcat: setting 'buffer_dur' = 0: expected > 0 seconds"), "%s",
                  m);
    m = tc_make_fails(&ezc_resampleconcat_type, "concat_axis=time", EZC_EINVAL);
    ck_assert_msg(strstr(m, "resampleconcat: settings 'axis' and 'concat_axis' name the same dim "
                            "'time'"),
                  "%s", m);
    m = tc_make_fails(&ezc_resampleconcat_type, "concat_axis=", EZC_EINVAL);
    ck_assert_msg(strstr(m, "resampleconcat: setting 'concat_axis' = '': expected a dim name"),
                  "%s", m);
    ck_assert_int_eq(ezc_transformer_type_port_index(&ezc_resampleconcat_type, "signal"), 1);
    ck_assert_int_eq(ezc_transformer_type_port_index(&ezc_resampleconcat_type, "reference"), 0);
}
END_TEST

/* ---- singlebandpow square_law --------------------------------------------- */

#define SBP_SQ "cuton=30; cutoff=60; mode=square_law; lowpass_cutoff=10; factor=10"

START_TEST(t_sbp_square_law)
{
    DLDevice dev = tc_dev(_i);
    ezc_array *want = tc_ref("sbp_sq");
    for (int k = 0; k < 2; k++) {
        ezc_dtype t = k ? EZC_FLOAT64 : EZC_FLOAT32;
        ezc_transformer *tf = tc_make(&ezc_singlebandpow_type, SBP_SQ);
        ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("sbp_x", 1000, 0.5, t, dev)));
        tc_assert_scaled(y, want, k ? 1e-10 : 1e-5, "singlebandpow square_law");
        ck_assert_int_eq(y->dtype, t);
        ck_assert_str_eq(y->dims[0], "time");
        ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(y->axes[0].gain, 0.01, 1e-15);
        ck_assert_double_eq_tol(y->axes[0].offset, 0.5, 1e-12);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&tf);
    }
    /* random chunks (0 and 1 samples among them) give the whole run */
    tc_check_chunks(&ezc_singlebandpow_type, SBP_SQ, "sbp_x", 1000, dev);
    /* no low-pass, a target rate: every 4th squared band sample at 1 kHz / 4 */
    ezc_transformer *tf =
        tc_make(&ezc_singlebandpow_type, "cuton=30; cutoff=60; mode=square_law; target_rate=250");
    ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("sbp_x", 1000, 0, EZC_FLOAT64, dev)));
    ck_assert_int_eq(y->shape[0], 250);
    ck_assert_double_eq_tol(y->axes[0].gain, 0.004, 1e-15);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&tf);
    ezc_array_destroy(&want);
}
END_TEST

START_TEST(t_sbp_square_law_errors)
{
    const char *m = tc_make_fails(&ezc_singlebandpow_type,
                                  "cuton=30; cutoff=60; mode=square_law; factor=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "singlebandpow: setting 'factor' = 0: must be >= 1"), "%s", m);
    m = tc_make_fails(&ezc_singlebandpow_type,
                      "cuton=30; cutoff=60; mode=square_law; lowpass_cutoff=10; lowpass_order=-1",
                      EZC_EINVAL);
    ck_assert_msg(strstr(m, "singlebandpow: setting 'lowpass_order' = -1: expected >= 1"), "%s", m);
    m = tc_make_fails(&ezc_singlebandpow_type, "cuton=30; cutoff=60; mode=square", EZC_EINVAL);
    ck_assert_msg(strstr(m, "mode"), "%s", m);
}
END_TEST

/* ---- graph static checks: the rows of the recent types ------------------ */

static int has_error(const ezc_graph *g, int line, const char *a, const char *b)
{
    for (size_t i = 0; i < g->nerrors; i++)
        if (g->errors[i].line == line && strstr(g->errors[i].msg, a) && strstr(g->errors[i].msg, b))
            return 1;
    for (size_t i = 0; i < g->nerrors; i++)
        printf("%d: %s\n", g->errors[i].line, g->errors[i].msg);
    return 0;
}

START_TEST(t_graph_static_rows)
{
    ezc_error err = {0};
    const char *path = tc_tmp_path("static3.yaml");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("nodes:\n"                                                                /* 1 */
          "  s: {type: sine, settings: {fs: 1000, channels: 4, chunk: 50}}\n"       /* 2 */
          "  pm: {type: fir_pmc, settings: {order: 20, cuton: 100, cutoff: 700}}\n" /* 3 */
          "  g: {type: gaussiansmoothing, settings: {sigma: 0.01, axis: t}}\n"      /* 4 */
          "  k: {type: kaiser, settings: {cutoff: [50], ripple: 40, width: 20}}\n"  /* 5 */
          "  bz: {type: butterworthzerophase, settings: {order: 2, cuton: 600}}\n"  /* 6 */
          "  a: {type: activation, settings: {function: sigmoid}}\n"                /* 7 */
          "  sb: {type: singlebandpow, settings: {cuton: 20, cutoff: 900}}\n"       /* 8 */
          "  fb: {type: filterbank, settings: {kernels: [[1]], axis: x}}\n"         /* 9 */
          "  p: {type: print}\n"
          "edges: [s -> pm, s -> g, s -> k, k -> bz, s -> a, a -> sb, s -> fb,\n"
          "        pm -> p, g -> p, bz -> p, sb -> p, fb -> p]\n",
          f);
    fclose(f);
    ezc_graph *g = ezc_graph_load(path, &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    size_t nerr = ezc_graph_check(g, r);
    ezc_registry_destroy(&r);
    ck_assert(has_error(g, 3, "node 'pm': fir_pmc: setting 'cutoff' = 700 Hz",
                        "below Nyquist (500 Hz at fs = 1000 Hz of the stream from 's')"));
    ck_assert(has_error(g, 4, "node 'g': gaussiansmoothing: setting 'axis' = 't'",
                        "has no such dim (dims: [time, ch])"));
    /* through kaiser and activation, which keep the stream */
    ck_assert(has_error(g, 6, "node 'bz': butterworthzerophase: setting 'cuton' = 600 Hz",
                        "below Nyquist"));
    ck_assert(
        has_error(g, 8, "node 'sb': singlebandpow: setting 'cutoff' = 900 Hz", "below Nyquist"));
    ck_assert(has_error(g, 9, "node 'fb': filterbank: setting 'axis' = 'x'", "no such dim"));
    ck_assert_uint_eq(nerr, 5);
    ezc_graph_destroy(&g);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_fbcca");
    tc_devices_init();
    Suite *s = suite_create("tf_sigproc3");
    TCase *tc = tcase_create("sigproc3");
    tcase_add_loop_test(tc, t_fbcca_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_fbcca_cca, 0, tc_ndevs());
    tcase_add_test(tc, t_fbcca_errors);
    tcase_add_loop_test(tc, t_resampleconcat_values_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_resampleconcat_drops_errors);
    tcase_add_loop_test(tc, t_sbp_square_law, 0, tc_ndevs());
    tcase_add_test(tc, t_sbp_square_law_errors);
    tcase_add_test(tc, t_graph_static_rows);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
