/* test_learn_linreg.c — linear_regressor and adaptive_linear_regressor
 * against scikit-learn 1.2 (tests/ref/gen_learn_linreg.py): LinearRegression
 * and Ridge (with and without intercept) refit from each train message, and
 * SGDRegressor.partial_fit once per sample (invscaling, constant, optimal),
 * checked through predictions and saved model files; training split into
 * random chunks (0 and 1 samples among them); layouts, float32, errors that
 * leave the model in force, model files, no allocation on the steady path.
 *
 * Tolerances. Batch fits 1e-10 relative: the normal equations by LU against
 * sklearn's lstsq / Cholesky on centred 5-feature data of condition ~10
 * (differences seen ~1e-14). SGD 1e-12 relative: the update is sklearn's own
 * sequence of operations (running dot product, scaled weight vector), so
 * only libm's pow/exp and the dot product order of BLAS-free loops can
 * differ (seen: bit-identical). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_linear_regressor_type, ezc_adaptive_linear_regressor_type;

#define RTOL 1e-10
#define SGD_RTOL 1e-12

static ezc_array *msg(const char *name, DLDevice d)
{
    ezc_array *x = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 0.01, 2.0, "s");
    return tc_to(x, d);
}

static void train(ezc_transformer *t, ezc_array *x)
{
    ck_assert_ptr_null(tc_apply_port(t, 1, x));
}

/* The reference signal through t against `want`; the time axis carried. */
static void check_y(ezc_transformer *t, const char *sig, const char *want, double rtol, DLDevice d)
{
    ezc_array *y = tc_host(tc_apply(t, msg(sig, d))), *w = tc_ref("%s", want);
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "target");
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq_tol(y->axes[0].gain, 0.01, 1e-15);
    ck_assert_double_eq_tol(y->axes[0].offset, 2.0, 1e-15);
    tc_assert_close(y, w, rtol, 1e-13, want);
    ezc_array_destroy(&w);
    ezc_array_destroy(&y);
}

static ezc_array *model_array(const ezc_model *m, const char *name)
{
    for (size_t i = 0; i < m->narrays; i++)
        if (strcmp(m->arrays[i].name, name) == 0) {
            const ezc_model_array *a = &m->arrays[i];
            return tc_array(EZC_FLOAT64, a->ndim, a->shape, a->data);
        }
    ck_abort_msg("model has no %s", name);
    return NULL;
}

/* The saved model's coef and intercept against `prefix`_coef/_intercept. */
static void check_saved(const char *path, const char *kind, const char *prefix, double rtol)
{
    ezc_error err;
    ezc_model *m = NULL;
    ck_assert_msg(ezc_model_load(path, &m, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(m->kind, kind);
    static const char *const parts[2] = {"coef", "intercept"};
    for (int p = 0; p < 2; p++) {
        ezc_array *got = model_array(m, parts[p]), *want = tc_ref("%s_%s", prefix, parts[p]);
        tc_assert_close(got, want, rtol, 1e-14, parts[p]);
        ezc_array_destroy(&got);
        ezc_array_destroy(&want);
    }
    ezc_model_destroy(&m);
}

START_TEST(t_linreg_matches_sklearn)
{
    DLDevice d = tc_dev(_i);
    static const struct {
        const char *settings, *tag;
    } cases[] = {
        {"n_targets=2", "ols"},
        {"n_targets=2; alpha=2.5", "ridge"},
        {"n_targets=2; fit_intercept=false", "noint"},
        {"n_targets=2; alpha=2.5; fit_intercept=false", "ridge_noint"},
    };
    char set[600], pre[64], want[64];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(set, sizeof set, "%s; save=%s", cases[c].settings, tc_tmp_path("lr.ezm"));
        ezc_transformer *t = tc_make(&ezc_linear_regressor_type, set);
        for (int k = 1; k <= 2; k++) { /* each message replaces the model */
            snprintf(pre, sizeof pre, "lr_train%d", k);
            train(t, msg(pre, d));
            snprintf(want, sizeof want, "lr_%s%d_y", cases[c].tag, k);
            check_y(t, "lr_sig", want, RTOL, d);
            snprintf(pre, sizeof pre, "lr_%s%d", cases[c].tag, k);
            check_saved(tc_tmp_path("lr.ezm"), "linear_regressor", pre, RTOL);
        }
        ezc_transformer_destroy(&t);
    }
    /* the saved model loaded elsewhere predicts the same */
    snprintf(set, sizeof set, "n_targets=2; model=%s", tc_tmp_path("lr.ezm"));
    ezc_transformer *t = tc_make(&ezc_linear_regressor_type, set);
    check_y(t, "lr_sig", "lr_ridge_noint2_y", RTOL, d);
    ezc_transformer_destroy(&t);
    /* one target: the last column; the features are the first six */
    t = tc_make(&ezc_linear_regressor_type, "alpha=2.5");
    train(t, msg("lr_train1", d));
    ezc_array *s = tc_ref("lr_sig"), *s6 = NULL;
    int64_t shape[2] = {50, 6};
    double v[50 * 6];
    const double *sv = ezc_array_data(s);
    for (int r = 0; r < 50; r++) {
        memcpy(v + r * 6, sv + r * 5, 5 * sizeof(double));
        v[r * 6 + 5] = sv[r * 5];
    }
    s6 = tc_to(tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch"), d);
    ezc_array *y = tc_host(tc_apply(t, s6)), *w = tc_ref("lr_one_y");
    ck_assert_int_eq(y->shape[1], 1);
    int64_t col[2] = {50, 1};
    ezc_array *wr = tc_array(EZC_FLOAT64, 2, col, ezc_array_data(w));
    tc_assert_close(y, wr, RTOL, 1e-13, "one target");
    ezc_array_destroy(&wr);
    ezc_array_destroy(&w);
    ezc_array_destroy(&y);
    ezc_array_destroy(&s);
    ezc_transformer_destroy(&t);
}
END_TEST

/* Layouts and dtypes: samples not first, float32, an empty signal. */
START_TEST(t_linreg_layouts)
{
    ezc_error err;
    DLDevice d = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_linear_regressor_type, "n_targets=2; alpha=2.5");
    ezc_array *h = tc_dims(tc_ref("lr_train1"), "time", "ch");
    int perm[2] = {1, 0};
    train(t, tc_to(ezc_array_permute(h, perm, &err), d)); /* [ch, time] */
    ezc_array_destroy(&h);
    check_y(t, "lr_sig", "lr_ridge1_y", RTOL, d);
    /* float32 in: float32 out, within its rounding */
    h = tc_dims(tc_ref("lr_sig"), "time", "ch");
    ezc_array *f = ezc_array_new_like(h, EZC_FLOAT32, 0, NULL, &err);
    ezc_xp_cpu()->astype(h, f, &err);
    ezc_array *y = tc_host(tc_apply(t, tc_to(f, d))), *w = tc_ref("lr_ridge1_y");
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    tc_assert_close(y, w, 1e-5, 1e-5, "float32 signal");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    /* integers: float64 out */
    ezc_array *i32 = ezc_array_new_like(h, EZC_INT32, 0, NULL, &err);
    ezc_xp_cpu()->astype(h, i32, &err);
    y = tc_host(tc_apply(t, tc_to(i32, d)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert_int_eq(y->shape[0], 50);
    ezc_array_destroy(&y);
    /* complex: refused */
    ezc_array *cx = ezc_array_new_like(h, EZC_COMPLEX128, 0, NULL, &err);
    ezc_xp_cpu()->astype(h, cx, &err);
    const char *m = tc_apply_fails(t, tc_to(cx, d), EZC_EDTYPE);
    ck_assert_msg(strstr(m, "linear_regressor: complex128 data are not features"), "%s", m);
    /* empty: shape (0, 2) */
    ezc_array *e = ezc_array_slice(h, 0, 0, 0, &err);
    y = tc_host(tc_apply(t, tc_to(e, d)));
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert_int_eq(y->shape[1], 2);
    ezc_array_destroy(&y);
    ezc_array_destroy(&h);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_linreg_errors)
{
    DLDevice d = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_linear_regressor_type, "n_targets=2");
    const char *m = tc_apply_fails(t, msg("lr_sig", d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "linear_regressor: no model yet"), "%s", m);
    train(t, msg("lr_train1", d));
    /* NaN: refused, the model stays */
    ezc_array *x = tc_dims(tc_ref("lr_train2"), "time", "ch");
    ((double *)ezc_array_data(x))[9] = NAN;
    m = tc_apply_port_fails(t, 1, tc_to(x, d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "linear_regressor: port 'train': NaN or inf in the data"), "%s", m);
    check_y(t, "lr_sig", "lr_ols1_y", RTOL, d);
    /* collinear features without a ridge: singular, the model stays */
    x = tc_dims(tc_ref("lr_train2"), "time", "ch");
    double *v = ezc_array_data(x);
    for (int r = 0; r < 120; r++)
        v[r * 7 + 4] = v[r * 7] - 2 * v[r * 7 + 1];
    m = tc_apply_port_fails(t, 1, tc_to(x, d), EZC_ENUMERIC);
    ck_assert_msg(strstr(m, "linear_regressor: the features' covariance (120 samples, 5 "
                            "features) with alpha 0 is singular; the model in force stays"),
                  "%s", m);
    check_y(t, "lr_sig", "lr_ols1_y", RTOL, d);
    /* feature count */
    ezc_array *h = tc_dims(tc_ref("lr_train1"), "time", "ch");
    ezc_error err;
    m = tc_apply_fails(t, tc_to(ezc_array_slice(h, 1, 0, 4, &err), d), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "linear_regressor: 4 features per sample (all dims but 'time'), the "
                            "model has 5"),
                  "%s", m);
    m = tc_apply_port_fails(t, 1, tc_to(ezc_array_slice(h, 1, 0, 2, &err), d), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "linear_regressor: port 'train': 2 columns per sample, need the "
                            "features and n_targets (2) targets"),
                  "%s", m);
    ezc_array_destroy(&h);
    ezc_transformer_destroy(&t);
    /* settings and model files */
    m = tc_make_fails(&ezc_linear_regressor_type, "alpha=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "linear_regressor: setting 'alpha' = -1: expected a number >= 0"), "%s",
                  m);
    m = tc_make_fails(&ezc_linear_regressor_type, "n_targets=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "linear_regressor: setting 'n_targets' = 0: expected >= 1"), "%s", m);
    m = tc_make_fails(&ezc_linear_regressor_type, "model=/nonexistent/x.ezm", EZC_EIO);
    ck_assert_msg(strstr(m, "linear_regressor: setting 'model'") && strstr(m, "/nonexistent/x.ezm"),
                  "%s", m);
    char set[600];
    snprintf(set, sizeof set, "n_targets=2; save=%s", tc_tmp_path("lr2.ezm"));
    t = tc_make(&ezc_linear_regressor_type, set);
    train(t, msg("lr_train1", d));
    ezc_transformer_destroy(&t);
    snprintf(set, sizeof set, "model=%s", tc_tmp_path("lr2.ezm"));
    m = tc_make_fails(&ezc_linear_regressor_type, set, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "2 targets, setting 'n_targets' is 1"), "%s", m);
    snprintf(set, sizeof set, "n_targets=2; model=%s", tc_tmp_path("lr2.ezm"));
    m = tc_make_fails(&ezc_adaptive_linear_regressor_type, set, EZC_EINVAL);
    ck_assert_msg(strstr(m, "a 'linear_regressor' model, not 'adaptive_linear_regressor'"), "%s",
                  m);
    m = tc_make_fails(&ezc_adaptive_linear_regressor_type, "learning_rate=constant; eta0=0",
                      EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_linear_regressor: setting 'eta0' = 0: expected > 0"), "%s",
                  m);
}
END_TEST

START_TEST(t_adaptive_matches_sklearn)
{
    ezc_error err;
    DLDevice d = tc_dev(_i);
    static const struct {
        const char *settings, *tag;
    } cases[] = {
        {"n_targets=2", "inv"},
        {"n_targets=2; learning_rate=constant; eta0=0.005; alpha=0.001", "const"},
        {"n_targets=2; learning_rate=optimal; alpha=1", "opt"},
    };
    char set[600], name[64];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* 120 samples in random chunks (0 and 1 among them), saved, then the
         * rest in a new node started from the file */
        snprintf(set, sizeof set, "%s; save=%s", cases[c].settings, tc_tmp_path("ad.ezm"));
        ezc_transformer *t = tc_make(&ezc_adaptive_linear_regressor_type, set);
        ezc_array *all = msg("ad_train", d);
        int64_t lens[64], at = 0;
        size_t nl = tc_random_chunks(120, (unsigned)c + 3, lens, 64);
        for (size_t i = 0; i < nl; i++, at += lens[i - 1]) {
            ezc_array *part = ezc_array_slice(all, 0, at, at + lens[i], &err);
            ck_assert_msg(part != NULL, "%s", err.msg);
            train(t, part);
        }
        snprintf(name, sizeof name, "ad_%s_half", cases[c].tag);
        check_saved(tc_tmp_path("ad.ezm"), "adaptive_linear_regressor", name, SGD_RTOL);
        snprintf(name, sizeof name, "ad_%s_half_y", cases[c].tag);
        check_y(t, "ad_sig", name, SGD_RTOL, d);
        ezc_transformer_destroy(&t);
        snprintf(set, sizeof set, "%s; model=%s", cases[c].settings, tc_tmp_path("ad.ezm"));
        t = tc_make(&ezc_adaptive_linear_regressor_type, set);
        train(t, ezc_array_slice(all, 0, 120, 300, &err));
        snprintf(name, sizeof name, "ad_%s_y", cases[c].tag);
        check_y(t, "ad_sig", name, SGD_RTOL, d);
        ezc_array_destroy(&all);
        ezc_transformer_destroy(&t);
        /* one message with all samples: the same */
        t = tc_make(&ezc_adaptive_linear_regressor_type, cases[c].settings);
        train(t, msg("ad_train", d));
        check_y(t, "ad_sig", name, SGD_RTOL, d);
        /* NaN: the message refused whole, the model stays */
        ezc_array *x = tc_dims(tc_ref("ad_train"), "time", "ch");
        ((double *)ezc_array_data(x))[30] = NAN;
        const char *m = tc_apply_port_fails(t, 1, tc_to(x, d), EZC_EINVAL);
        ck_assert_msg(strstr(m, "adaptive_linear_regressor: port 'train': NaN or inf"), "%s", m);
        check_y(t, "ad_sig", name, SGD_RTOL, d);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_linreg_steady_path_allocates_nothing)
{
    DLDevice d = tc_dev(_i);
    for (int a = 0; a < 2; a++) {
        ezc_transformer *t = tc_make(
            a ? &ezc_adaptive_linear_regressor_type : &ezc_linear_regressor_type, "n_targets=2");
        train(t, msg(a ? "ad_train" : "lr_train1", d));
        ezc_array *x = msg("lr_sig", d);
        tc_check_steady(t, x);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

int main(void)
{
    tc_refs_load("learn_linreg");
    tc_devices_init();
    Suite *suite = suite_create("learn_linreg");
    TCase *tc = tcase_create("linreg");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_linreg_matches_sklearn, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_linreg_layouts, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_linreg_errors, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_adaptive_matches_sklearn, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_linreg_steady_path_allocates_nothing, 0, tc_ndevs());
    suite_add_tcase(suite, tc);
    return tc_run_suite(suite);
}
