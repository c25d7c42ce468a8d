/* test_learn_kalman.c — the DARE solver against scipy 1.10's
 * solve_discrete_are, and kalman (ReFIT) against the same equations in
 * numpy (tests/ref/gen_learn.py): fitted A, W, H, Q; steady-state and full
 * filtering (full: from the steady-state P as ezmsg-learn, or from P = 0;
 * fading memory alpha^2 (A P A' + W) as ezmsg-learn); chunk invariance
 * (chunks of 0 and 1 included); model files;
 * state reset on a template change; errors that keep the model; no
 * allocation on the steady path.
 *
 * Tolerances: DARE 1e-10 relative (doubling vs scipy's QZ: both backward
 * stable, the residual conditioning is ~1e2 here); fits and filtered states
 * 1e-9 (normal equations solved by LU vs numpy's inv, then 150 recursive
 * steps); chunked vs whole 1e-12 (only BLAS blocking differs). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tf_test.h"
#include "../learn/dare.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_kalman_type;

static const double *D(const ezc_array *a)
{
    return ezc_array_data(a);
}

START_TEST(t_dare_matches_scipy)
{
    ezc_error err;
    const char *names[2] = {"small", "mid"};
    for (int c = 0; c < 2; c++) {
        ezc_array *a = tc_ref("dare_%s_a", names[c]), *b = tc_ref("dare_%s_b", names[c]);
        ezc_array *q = tc_ref("dare_%s_q", names[c]), *r = tc_ref("dare_%s_r", names[c]);
        ezc_array *want = tc_ref("dare_%s_x", names[c]), *got = ezc_array_copy(want, &err);
        int steps = 0;
        ck_assert_msg(ezc_dare_solve((int)a->shape[0], (int)b->shape[1], D(a), D(b), D(q), D(r),
                                     ezc_array_data(got), &steps, &err) == 0,
                      "%s", err.msg);
        ck_assert_int_lt(steps, 20);
        tc_assert_close(got, want, 1e-10, 1e-12, names[c]);
        ezc_array *arrs[] = {a, b, q, r, want, got};
        for (int i = 0; i < 6; i++)
            ezc_array_destroy(&arrs[i]);
    }
    /* the Kalman filter's own equation: dare(A', H', W, Q) */
    ezc_array *A = tc_ref("kf_A"), *W = tc_ref("kf_W"), *H = tc_ref("kf_H"), *Q = tc_ref("kf_Q");
    ezc_array *P = tc_ref("kf_P"), *got = ezc_array_copy(P, &err);
    double at[16], ht[48];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            at[i * 4 + j] = D(A)[j * 4 + i];
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 4; j++)
            ht[j * 12 + i] = D(H)[i * 4 + j];
    ck_assert_int_eq(ezc_dare_solve(4, 12, at, ht, D(W), D(Q), ezc_array_data(got), NULL, &err), 0);
    tc_assert_close(got, P, 1e-10, 1e-14, "kalman P");
    ezc_array *arrs[] = {A, W, H, Q, P, got};
    for (int i = 0; i < 6; i++)
        ezc_array_destroy(&arrs[i]);
}
END_TEST

START_TEST(t_dare_failures)
{
    ezc_error err;
    /* an unstable mode the input cannot reach: no stabilising solution */
    double a[4] = {2, 0, 0, 0.5}, b[2] = {0, 1}, q[4] = {1, 0, 0, 1}, r[1] = {1}, x[4];
    ck_assert_int_eq(ezc_dare_solve(2, 1, a, b, q, r, x, NULL, &err), EZC_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "dare:") && strstr(err.msg, "stabilis"), "%s", err.msg);
    double r0[1] = {0};
    ck_assert_int_eq(ezc_dare_solve(2, 1, a, b, q, r0, x, NULL, &err), EZC_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "dare: R is singular"), "%s", err.msg);
}
END_TEST

static ezc_array *features(const char *name, DLDevice d)
{
    ezc_array *z = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(z, 0, 0.05, 1.0, "s");
    return tc_to(z, d);
}

static void train(ezc_transformer *t, ezc_array *x)
{
    ck_assert_ptr_null(tc_apply_port(t, 1, x));
}

static void check_states(ezc_array *y, const char *ref, double rtol)
{
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "state");
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ezc_array *want = tc_ref("%s", ref);
    tc_assert_close(y, want, rtol, 1e-12, ref);
    ezc_array_destroy(&want);
}

static void check_saved(const char *path)
{
    ezc_error err;
    ezc_model *m = NULL;
    ck_assert_msg(ezc_model_load(path, &m, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(m->kind, "kalman");
    const char *names[4] = {"A", "W", "H", "Q"};
    for (int i = 0; i < 4; i++) {
        const ezc_model_array *a = &m->arrays[i];
        ck_assert_str_eq(a->name, names[i]);
        ezc_array *got = tc_array(EZC_FLOAT64, 2, a->shape, a->data),
                  *want = tc_ref("kf_%s", names[i]);
        tc_assert_close(got, want, 1e-9, 1e-13, names[i]);
        ezc_array_destroy(&got);
        ezc_array_destroy(&want);
    }
    ezc_model_destroy(&m);
}

START_TEST(t_fit_and_filter)
{
    DLDevice dev = tc_dev(_i);
    for (int full = 0; full < 2; full++) {
        char s[600];
        snprintf(s, sizeof s, "mode=%s; save=%s", full ? "full" : "steady", tc_tmp_path("kf.ezm"));
        ezc_transformer *t = tc_make(&ezc_kalman_type, s);
        train(t, features("kf_train", dev));
        check_saved(tc_tmp_path("kf.ezm"));
        ezc_array *y = tc_host(tc_apply(t, features("kf_z", dev)));
        check_states(y, full ? "kf_full" : "kf_steady", 1e-9);
        ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq(y->axes[0].gain, 0.05);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* A model file (as tools/python/ezc_models.save_kalman writes it) in force
 * from init; whole vs random chunks; float32 and int16 inputs give float64. */
START_TEST(t_chunks_and_dtypes)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_model *m = ezc_model_new("kalman", &err);
    const char *names[4] = {"A", "W", "H", "Q"};
    for (int i = 0; i < 4; i++) {
        ezc_array *a = tc_ref("kf_%s", names[i]);
        ck_assert_int_eq(ezc_model_add(m, names[i], 2, a->shape, D(a), &err), 0);
        ezc_array_destroy(&a);
    }
    ck_assert_int_eq(ezc_model_save(tc_tmp_path("given.ezm"), m, &err), 0);
    ezc_model_destroy(&m);
    for (int full = 0; full < 2; full++) {
        char s[600];
        snprintf(s, sizeof s, "mode=%s; model=%s", full ? "full" : "steady",
                 tc_tmp_path("given.ezm"));
        ezc_transformer *t = tc_make(&ezc_kalman_type, s);
        ezc_array *z = features("kf_z", dev);
        ezc_array *whole = tc_host(tc_apply(t, ezc_array_clone(z, &err)));
        check_states(whole, full ? "kf_full" : "kf_steady", 1e-9);
        for (unsigned seed = 1; seed <= 3; seed++) {
            ezc_transformer_destroy(&t);
            t = tc_make(&ezc_kalman_type, s);
            int64_t lens[64];
            size_t nl = tc_random_chunks(150, seed, lens, 64);
            ezc_array *y = tc_apply_chunks(t, z, 0, lens, nl, NULL);
            tc_assert_close(y, whole, 1e-12, 1e-14, "chunked vs whole");
            ezc_array_destroy(&y);
        }
        /* float32 / int16 features: float64 states */
        ezc_transformer_destroy(&t);
        t = tc_make(&ezc_kalman_type, s);
        ezc_array *h = tc_host(ezc_array_clone(z, &err));
        ezc_array *z32 = ezc_array_new_like(h, EZC_FLOAT32, 0, NULL, &err);
        ezc_xp_cpu()->astype(h, z32, &err);
        ezc_array *y = tc_host(tc_apply(t, tc_to(z32, dev)));
        check_states(y, full ? "kf_full" : "kf_steady", 1e-4);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
        t = tc_make(&ezc_kalman_type, s);
        ezc_array *z16 = ezc_array_new_like(h, EZC_INT16, 0, NULL, &err);
        ezc_xp_cpu()->astype(h, z16, &err);
        y = tc_host(tc_apply(t, tc_to(z16, dev)));
        ck_assert_int_eq(y->dtype, EZC_FLOAT64);
        ck_assert_int_eq(y->shape[0], 150);
        ck_assert(isfinite(tc_get(y, 599, 0)));
        ezc_array_destroy(&y);
        ezc_array_destroy(&h);
        ezc_array_destroy(&z);
        ezc_array_destroy(&whole);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* Fading memory (alpha = 1.05) in full mode, against numpy's recursion
 * with ezmsg-learn's alpha^2 (A P A' + W), from either start; P = 0 as a
 * setting; alpha < 1 and an unknown start are refused. */
START_TEST(t_fading_memory)
{
    DLDevice dev = tc_dev(_i);
    static const struct {
        const char *set, *ref;
    } cases[] = {
        {"alpha=1.05", "kf_full_alpha"},
        {"alpha=1.05; initial_covariance=zero", "kf_full_alpha_zero"},
        {"initial_covariance=zero", "kf_full_zero"},
        {"initial_covariance=steady_state", "kf_full"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char s[600];
        snprintf(s, sizeof s, "mode=full; %s; model=%s", cases[c].set, tc_tmp_path("given.ezm"));
        ezc_transformer *t = tc_make(&ezc_kalman_type, s);
        ezc_array *y = tc_host(tc_apply(t, features("kf_z", dev)));
        check_states(y, cases[c].ref, 1e-9);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
    const char *m = tc_make_fails(&ezc_kalman_type, "initial_covariance=identity", EZC_EINVAL);
    ck_assert_msg(strstr(m, "initial_covariance"), "%s", m);
    m = tc_make_fails(&ezc_kalman_type, "alpha=0.9", EZC_EINVAL);
    ck_assert_msg(strstr(m, "kalman: setting 'alpha' = 0.9: expected a finite number >= 1"), "%s",
                  m);
}
END_TEST

/* A new stream key restarts the filter from x = 0 and the steady-state P. */
START_TEST(t_template_change_resets)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    char s[600];
    snprintf(s, sizeof s, "mode=full; model=%s", tc_tmp_path("given.ezm"));
    ezc_transformer *t = tc_make(&ezc_kalman_type, s);
    ezc_array *z = features("kf_z", dev);
    ezc_array *y = tc_apply(t, ezc_array_slice(z, 0, 0, 50, &err));
    ezc_array_destroy(&y);
    ezc_array *again = ezc_array_clone(z, &err);
    ezc_array_set_key(again, "other", &err);
    y = tc_host(tc_apply(t, again));
    check_states(y, "kf_full", 1e-9);
    ezc_array_destroy(&y);
    ezc_array_destroy(&z);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_errors)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_kalman_type, NULL);
    const char *m = tc_apply_fails(t, features("kf_z", dev), EZC_EINVAL);
    ck_assert_msg(strstr(m, "kalman: no model yet"), "%s", m);
    train(t, features("kf_train", dev));
    /* constant states: X'X singular; the fitted model stays */
    ezc_array *bad = tc_host(features("kf_train", dev));
    for (int i = 0; i < 400; i++)
        for (int j = 12; j < 16; j++)
            ((double *)ezc_array_data(bad))[i * 16 + j] = j == 12 ? 1.0 : 0.0;
    ezc_array *out = NULL;
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_to(bad, dev), &out, &err), EZC_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "kalman:") && strstr(err.msg, "singular"), "%s", err.msg);
    ezc_array *y = tc_host(tc_apply(t, features("kf_z", dev)));
    check_states(y, "kf_steady", 1e-9);
    ezc_array_destroy(&y);
    m = tc_apply_fails(t, tc_to(tc_dims(tc_ref("kf_P"), "time", "ch"), dev), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "kalman: 4 features per sample") && strstr(m, "has 12"), "%s", m);
    ezc_transformer_destroy(&t);
    /* n_states leaves no features */
    t = tc_make(&ezc_kalman_type, "n_states=16");
    ck_assert_int_eq(ezc_transformer_process(t, 1, features("kf_train", dev), &out, &err),
                     EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "kalman: training needs more than n_states"), "%s", err.msg);
    ezc_transformer_destroy(&t);
    /* a model whose unstable mode nothing observes: no steady-state gain */
    ezc_model *mf = ezc_model_new("kalman", &err);
    int64_t ss[2] = {2, 2}, hs[2] = {1, 2}, qs[2] = {1, 1};
    double a[4] = {1.5, 0, 0, 0.5}, w[4] = {1, 0, 0, 1}, h[2] = {0, 1}, q[1] = {1};
    ezc_model_add(mf, "A", 2, ss, a, &err);
    ezc_model_add(mf, "W", 2, ss, w, &err);
    ezc_model_add(mf, "H", 2, hs, h, &err);
    ezc_model_add(mf, "Q", 2, qs, q, &err);
    ezc_model_save(tc_tmp_path("undetectable.ezm"), mf, &err);
    ezc_model_destroy(&mf);
    char s[600];
    snprintf(s, sizeof s, "model=%s", tc_tmp_path("undetectable.ezm"));
    m = tc_make_fails(&ezc_kalman_type, s, EZC_ENUMERIC);
    ck_assert_msg(strstr(m, "kalman:") && strstr(m, "undetectable.ezm") && strstr(m, "dare"), "%s",
                  m);
    snprintf(s, sizeof s, "model=%s", tc_tmp_path("missing.ezm"));
    m = tc_make_fails(&ezc_kalman_type, s, EZC_EIO);
    ck_assert_msg(strstr(m, "missing.ezm: cannot open"), "%s", m);
    m = tc_make_fails(&ezc_kalman_type, "mode=smooth", EZC_EINVAL);
    ck_assert_msg(strstr(m, "mode"), "%s", m);
    m = tc_make_fails(&ezc_kalman_type, "measurement_noise_scale=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "measurement_noise_scale"), "%s", m);
}
END_TEST

START_TEST(t_steady_path_allocates_nothing)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    for (int full = 0; full < 2; full++) {
        char s[600];
        snprintf(s, sizeof s, "mode=%s; model=%s", full ? "full" : "steady",
                 tc_tmp_path("given.ezm"));
        ezc_transformer *t = tc_make(&ezc_kalman_type, s);
        ezc_array *z = features("kf_z", dev), *chunk = ezc_array_slice(z, 0, 0, 20, &err);
        for (int i = 0; i < 12; i++) {
            if (i == 2) {
                uint64_t before = ezc_buffer_new_count();
                for (int j = 0; j < 10; j++) {
                    ezc_array *y = tc_apply(t, ezc_array_clone(chunk, &err));
                    ezc_array_destroy(&y);
                }
                ck_assert_uint_eq(ezc_buffer_new_count(), before);
            }
            ezc_array *y = tc_apply(t, ezc_array_clone(chunk, &err));
            ezc_array_destroy(&y);
        }
        ezc_array_destroy(&chunk);
        ezc_array_destroy(&z);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

int main(void)
{
    tc_refs_load("learn");
    tc_devices_init();
    Suite *s = suite_create("learn_kalman");
    TCase *tc = tcase_create("kalman");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_dare_matches_scipy);
    tcase_add_test(tc, t_dare_failures);
    tcase_add_loop_test(tc, t_fit_and_filter, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_chunks_and_dtypes, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_template_change_resets, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_fading_memory, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_errors, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_steady_path_allocates_nothing, 0, tc_ndevs());
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
