/* test_learn_lda.c — lda against scikit-learn 1.2 (tests/ref/gen_learn.py):
 * coef_, intercept_ and predict_proba for lsqr (Ledoit-Wolf, fixed and no
 * shrinkage) and svd, three classes and two; decision_function and predict
 * (output=decision|predict); message layouts (samples not
 * first, 3-D features, float32, empty); labels as numbers and strings;
 * errors that leave the old model in force; model files (load, save,
 * every truncation); no allocation on the steady path.
 *
 * Tolerance 1e-9 relative (float64): the fit differs from sklearn's in
 * summation order and in solving the covariance system by LU where sklearn
 * calls lstsq (SVD); the covariance's conditioning (up to ~1e3 here)
 * amplifies 1e-16 rounding to ~1e-12, and 1e-9 leaves room for backends
 * (cuSOLVER) that order sums differently again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tf_test.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_lda_type;

#define RTOL 1e-9

/* Reference features `xname` as dims [time, ch] with the labels of `yname`
 * as a numeric coordinate axis along time, on device d. */
static ezc_array *labelled(const char *xname, const char *yname, DLDevice d)
{
    ezc_error err;
    ezc_array *x = tc_dims(tc_ref("%s", xname), "time", "ch"), *y = tc_ref("%s", yname);
    ck_assert_int_eq(
        ezc_array_set_coord_values(x, 0, ezc_array_data(y), (size_t)y->shape[0], "", &err), 0);
    ezc_array_destroy(&y);
    return tc_to(x, d);
}

static void train(ezc_transformer *t, ezc_array *x)
{
    ck_assert_ptr_null(tc_apply_port(t, 1, x));
}

static const char *train_fails(ezc_transformer *t, ezc_array *x, int code)
{
    return tc_apply_port_fails(t, 1, x, code);
}

static ezc_model *load(const char *path)
{
    ezc_error err;
    ezc_model *m = NULL;
    ck_assert_msg(ezc_model_load(path, &m, &err) == 0, "%s", err.msg);
    return m;
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

static void check_model(const char *path, const char *prefix)
{
    ezc_model *m = load(path);
    ezc_array *c = model_array(m, "coef"), *i = model_array(m, "intercept");
    ezc_array *wc = tc_ref("%s_coef", prefix), *wi = tc_ref("%s_intercept", prefix);
    char what[128];
    snprintf(what, sizeof what, "%s coef", prefix);
    tc_assert_close(c, wc, RTOL, 1e-13, what);
    snprintf(what, sizeof what, "%s intercept", prefix);
    tc_assert_close(i, wi, RTOL, 1e-13, what);
    ezc_array_destroy(&c);
    ezc_array_destroy(&i);
    ezc_array_destroy(&wc);
    ezc_array_destroy(&wi);
    ezc_model_destroy(&m);
}

static void check_proba(ezc_array *y, const char *prefix, int64_t k, double rtol)
{
    ck_assert_int_eq(ezc_array_ndim(y), 2);
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "classes");
    ck_assert_int_eq(y->shape[1], k);
    ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
    ck_assert_uint_eq(y->axes[1].coords->n, (size_t)k);
    ezc_array *want = tc_ref("%s_proba", prefix);
    char what[128];
    snprintf(what, sizeof what, "%s predict_proba", prefix);
    tc_assert_close(y, want, rtol, rtol * 1e-4, what);
    ezc_array_destroy(&want);
}

static const char *cases[4][2] = {
    {"auto", "solver=lsqr; shrinkage=auto"},
    {"fixed", "solver=lsqr; shrinkage=0.3"},
    {"none", "solver=lsqr"},
    {"svd", "solver=svd"},
};

/* output=decision: sklearn's decision_function (binary: one column, the
 * score of classes[1]), 1e-9 relative + 1e-10 absolute (values of order
 * 1..10 with the coefficients' 1e-12 error); output=predict: the index of
 * sklearn's predict in the sorted classes, exactly (the references keep
 * every decision margin above 1e-6). */
START_TEST(t_outputs_match_sklearn)
{
    DLDevice dev = tc_dev(_i);
    for (int tag = 0; tag < 2; tag++)
        for (int c = 0; c < 4; c++)
            for (int pred = 0; pred < 2; pred++) {
                const char *set = tag ? "2" : "3";
                char prefix[64], settings[256], xn[32], yn[32], tn[32];
                snprintf(prefix, sizeof prefix, "lda%s_%s", set, cases[c][0]);
                snprintf(settings, sizeof settings, "%s; output=%s", cases[c][1],
                         pred ? "predict" : "decision");
                snprintf(xn, sizeof xn, "lda%s_x", set);
                snprintf(yn, sizeof yn, "lda%s_y", set);
                snprintf(tn, sizeof tn, "lda%s_t", set);
                ezc_transformer *t = tc_make(&ezc_lda_type, settings);
                train(t, labelled(xn, yn, dev));
                ezc_array *z = tc_to(tc_dims(tc_ref("%s", tn), "time", "ch"), dev);
                ezc_array *y = tc_host(tc_apply(t, z));
                ezc_array *ref = tc_ref("%s_%s", prefix, pred ? "predict" : "decision");
                int64_t cols = pred || tag ? 1 : 3, shape[2] = {ref->shape[0], cols};
                ezc_array *want = tc_array(EZC_FLOAT64, 2, shape, ezc_array_data(ref));
                ck_assert_str_eq(y->dims[0], "time");
                ck_assert_str_eq(y->dims[1], pred ? "class" : "classes");
                ck_assert_int_eq(y->dtype, pred ? EZC_INT64 : EZC_FLOAT64);
                if (!pred) { /* the columns' labels: the classes scored */
                    ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
                    ck_assert_uint_eq(y->axes[1].coords->n, (size_t)cols);
                    ck_assert_double_eq(y->axes[1].coords->values[0], tag ? 1.0 : 2.0);
                }
                tc_assert_close(y, want, pred ? 0 : RTOL, pred ? 0 : 1e-10, prefix);
                ezc_array_destroy(&y);
                ezc_array_destroy(&ref);
                ezc_array_destroy(&want);
                ezc_transformer_destroy(&t);
            }
    /* empty message: shape (0, 1) */
    ezc_transformer *t = tc_make(&ezc_lda_type, "output=predict");
    train(t, labelled("lda3_x", "lda3_y", dev));
    ezc_error err;
    ezc_array *z = tc_to(tc_dims(tc_ref("lda3_t"), "time", "ch"), dev);
    ezc_array *y = tc_host(tc_apply(t, ezc_array_slice(z, 0, 0, 0, &err)));
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert_int_eq(y->shape[1], 1);
    ezc_array_destroy(&y);
    ezc_array_destroy(&z);
    ezc_transformer_destroy(&t);
    const char *m = tc_make_fails(&ezc_lda_type, "output=labels", EZC_EINVAL);
    ck_assert_msg(strstr(m, "output"), "%s", m);
}
END_TEST

START_TEST(t_fit_matches_sklearn)
{
    DLDevice dev = tc_dev(_i);
    for (int tag = 0; tag < 2; tag++)
        for (int c = 0; c < 4; c++) {
            const char *set = tag ? "2" : "3";
            char prefix[64], settings[256];
            snprintf(prefix, sizeof prefix, "lda%s_%s", set, cases[c][0]);
            snprintf(settings, sizeof settings, "%s; save=%s", cases[c][1], tc_tmp_path("fit.ezm"));
            ezc_transformer *t = tc_make(&ezc_lda_type, settings);
            char xn[32], yn[32], tn[32];
            snprintf(xn, sizeof xn, "lda%s_x", set);
            snprintf(yn, sizeof yn, "lda%s_y", set);
            snprintf(tn, sizeof tn, "lda%s_t", set);
            train(t, labelled(xn, yn, dev));
            check_model(tc_tmp_path("fit.ezm"), prefix);
            ezc_array *y =
                tc_host(tc_apply(t, tc_to(tc_dims(tc_ref("%s", tn), "time", "ch"), dev)));
            check_proba(y, prefix, tag ? 2 : 3, RTOL);
            if (!tag) { /* classes sorted: 2, 5, 7 */
                ck_assert_double_eq(y->axes[1].coords->values[0], 2.0);
                ck_assert_double_eq(y->axes[1].coords->values[2], 7.0);
            }
            ezc_array_destroy(&y);
            ezc_transformer_destroy(&t);
        }
    /* 20 features, 12-14 samples per class: regular only by shrinkage */
    char settings[256];
    snprintf(settings, sizeof settings, "shrinkage=auto; save=%s", tc_tmp_path("wide.ezm"));
    ezc_transformer *t = tc_make(&ezc_lda_type, settings);
    train(t, labelled("ldaw_x", "ldaw_y", dev));
    check_model(tc_tmp_path("wide.ezm"), "ldaw_auto");
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_layouts)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_lda_type, "shrinkage=auto");
    train(t, labelled("lda3_x", "lda3_y", dev));
    /* samples along the second dim */
    ezc_array *x = tc_dims(tc_ref("lda3_t"), "time", "ch");
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    ck_assert_ptr_nonnull(xt);
    ck_assert_str_eq(xt->dims[1], "time");
    ezc_array *y = tc_host(tc_apply(t, tc_to(xt, dev)));
    check_proba(y, "lda3_auto", 3, RTOL);
    ezc_array_destroy(&y);
    /* features as 2 x 3 (flattened in C order) */
    int64_t s3[3] = {40, 2, 3};
    ezc_array *x3 = ezc_array_from_buffer(x->buf, 0, EZC_FLOAT64, 3, s3, NULL, &err);
    tc_dims(x3, "time", "a", "b");
    ezc_array_set_linear_axis(x3, 0, 0.01, 5.0, "s");
    y = tc_host(tc_apply(t, tc_to(x3, dev)));
    check_proba(y, "lda3_auto", 3, RTOL);
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR); /* the time axis carries over */
    ck_assert_double_eq(y->axes[0].gain, 0.01);
    ck_assert_double_eq(y->axes[0].offset, 5.0);
    ezc_array_destroy(&y);
    /* float32 in, float32 out (float32 tolerance) */
    ezc_array *x32 = ezc_array_new(EZC_FLOAT32, 2, x->shape, NULL, ezc_device_cpu(), &err);
    ezc_xp_cpu()->astype(x, x32, &err);
    tc_dims(x32, "time", "ch");
    y = tc_host(tc_apply(t, tc_to(x32, dev)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    check_proba(y, "lda3_auto", 3, 1e-4);
    ezc_array_destroy(&y);
    /* empty: shape (0, K) with the class axis */
    ezc_array *e = ezc_array_slice(x, 0, 0, 0, &err);
    y = tc_host(tc_apply(t, tc_to(e, dev)));
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert_int_eq(y->shape[1], 3);
    ck_assert_uint_eq(y->axes[1].coords->n, 3);
    ezc_array_destroy(&y);
    /* chunked inference equals whole (no state, but the caches must not leak rows) */
    int64_t lens[16];
    size_t nl = tc_random_chunks(40, 7, lens, 16);
    ezc_array *xc = tc_to(ezc_array_clone(x, &err), dev);
    y = tc_apply_chunks(t, xc, 0, lens, nl, NULL);
    check_proba(y, "lda3_auto", 3, RTOL);
    ezc_array_destroy(&y);
    ezc_array_destroy(&xc);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_string_labels)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_lda_type, "solver=svd");
    ezc_array *x = tc_dims(tc_ref("lda2_x"), "time", "ch"), *y = tc_ref("lda2_y");
    const char *names[60];
    for (int i = 0; i < 60; i++) /* "right" sorts after "left", as 1 after 0 */
        names[i] = tc_get(y, (size_t)i, 0) ? "right" : "left";
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 0, names, 60, "", &err), 0);
    train(t, tc_to(x, dev));
    ezc_array *p = tc_host(tc_apply(t, tc_to(tc_dims(tc_ref("lda2_t"), "time", "ch"), dev)));
    check_proba(p, "lda2_svd", 2, RTOL);
    ck_assert_str_eq(p->axes[1].coords->labels[0], "left");
    ck_assert_str_eq(p->axes[1].coords->labels[1], "right");
    ezc_array_destroy(&p);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_errors_keep_model)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_lda_type, NULL);
    const char *m =
        tc_apply_fails(t, tc_to(tc_dims(tc_ref("lda3_t"), "time", "ch"), dev), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(m, "lda: no model yet"));
    train(t, labelled("lda3_x", "lda3_y", dev));
    /* singular covariance: one feature repeated, no shrinkage */
    ezc_array *bad = labelled("lda3_x", "lda3_y", ezc_device_cpu());
    for (int i = 0; i < 90; i++)
        ((double *)ezc_array_data(bad))[i * 6 + 5] = ((double *)ezc_array_data(bad))[i * 6];
    m = train_fails(t, tc_to(bad, dev), EZC_ENUMERIC);
    ck_assert_msg(strstr(m, "lda: the within-class covariance is singular"), "%s", m);
    /* NaN features */
    bad = labelled("lda3_x", "lda3_y", ezc_device_cpu());
    ((double *)ezc_array_data(bad))[17] = NAN;
    m = train_fails(t, tc_to(bad, dev), EZC_EINVAL);
    ck_assert_msg(strstr(m, "lda: training features contain NaN"), "%s", m);
    /* one class only */
    bad = tc_dims(tc_ref("lda3_x"), "time", "ch");
    double ones[90];
    for (int i = 0; i < 90; i++)
        ones[i] = 1;
    ezc_array_set_coord_values(bad, 0, ones, 90, "", &err);
    m = train_fails(t, tc_to(bad, dev), EZC_EINVAL);
    ck_assert_msg(strstr(m, "1 class"), "%s", m);
    /* no labels */
    m = train_fails(t, tc_to(tc_dims(tc_ref("lda3_x"), "time", "ch"), dev), EZC_EINVAL);
    ck_assert_msg(strstr(m, "coordinate axis of class labels"), "%s", m);
    /* the first model is still in force */
    ezc_array *y = tc_host(tc_apply(t, tc_to(tc_dims(tc_ref("lda3_t"), "time", "ch"), dev)));
    check_proba(y, "lda3_none", 3, RTOL);
    ezc_array_destroy(&y);
    /* wrong feature count, no sample axis */
    m = tc_apply_fails(t, tc_to(tc_dims(tc_ref("lda2_t"), "time", "ch"), dev), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "lda: 4 features per sample") && strstr(m, "the model has 6"), "%s", m);
    m = tc_apply_fails(t, tc_to(tc_dims(tc_ref("lda3_t"), "sample", "ch"), dev), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "time"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_settings_errors)
{
    const char *m = tc_make_fails(&ezc_lda_type, "shrinkage=1.5", EZC_EINVAL);
    ck_assert_msg(strstr(m, "lda: setting 'shrinkage' = '1.5'"), "%s", m);
    m = tc_make_fails(&ezc_lda_type, "shrinkage=lots", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'lots'"), "%s", m);
    m = tc_make_fails(&ezc_lda_type, "solver=svd; shrinkage=auto", EZC_EINVAL);
    ck_assert_msg(strstr(m, "svd solver does not shrink"), "%s", m);
    m = tc_make_fails(&ezc_lda_type, "solver=eigen", EZC_EINVAL);
    ck_assert_msg(strstr(m, "solver"), "%s", m);
    char s[600];
    snprintf(s, sizeof s, "model=%s", tc_tmp_path("absent.ezm"));
    m = tc_make_fails(&ezc_lda_type, s, EZC_EIO);
    ck_assert_msg(strstr(m, "lda: setting 'model'") && strstr(m, "absent.ezm: cannot open"), "%s",
                  m);
    FILE *f = fopen(tc_tmp_path("junk.ezm"), "wb");
    fputs("hello", f);
    fclose(f);
    snprintf(s, sizeof s, "model=%s", tc_tmp_path("junk.ezm"));
    m = tc_make_fails(&ezc_lda_type, s, EZC_EINVAL);
    ck_assert_msg(strstr(m, "junk.ezm: not an ezc model"), "%s", m);
}
END_TEST

/* A saved model, loaded through the 'model' setting, predicts the same;
 * every truncation of the file is refused with the file named; a kalman
 * model is refused by lda. */
START_TEST(t_model_files)
{
    ezc_error err;
    char s[600];
    snprintf(s, sizeof s, "shrinkage=auto; save=%s", tc_tmp_path("m.ezm"));
    ezc_transformer *t = tc_make(&ezc_lda_type, s);
    train(t, labelled("lda3_x", "lda3_y", ezc_device_cpu()));
    ezc_transformer_destroy(&t);
    snprintf(s, sizeof s, "model=%s", tc_tmp_path("m.ezm"));
    t = tc_make(&ezc_lda_type, s);
    ezc_array *y = tc_apply(t, tc_dims(tc_ref("lda3_t"), "time", "ch"));
    check_proba(y, "lda3_auto", 3, RTOL);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);

    FILE *f = fopen(tc_tmp_path("m.ezm"), "rb");
    unsigned char buf[4096];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_lt(len, sizeof buf);
    for (size_t cut = 0; cut < len; cut++) {
        f = fopen(tc_tmp_path("cut.ezm"), "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        ezc_model *m = NULL;
        int rc = ezc_model_load(tc_tmp_path("cut.ezm"), &m, &err);
        ck_assert_msg(rc != 0 && m == NULL, "truncated at %zu accepted", cut);
        ck_assert_msg(strstr(err.msg, "cut.ezm"), "%s", err.msg);
    }
    ezc_model *m = ezc_model_new("kalman", &err);
    int64_t sh[2] = {2, 2};
    double eye[4] = {1, 0, 0, 1};
    ck_assert_int_eq(ezc_model_add(m, "A", 2, sh, eye, &err), 0);
    ck_assert_int_eq(ezc_model_save(tc_tmp_path("k.ezm"), m, &err), 0);
    ezc_model_destroy(&m);
    snprintf(s, sizeof s, "model=%s", tc_tmp_path("k.ezm"));
    const char *msg = tc_make_fails(&ezc_lda_type, s, EZC_EINVAL);
    ck_assert_msg(strstr(msg, "a 'kalman' model, not 'lda'"), "%s", msg);
}
END_TEST

/* history=N: train messages of one sample each (one class at a time, as a
 * calibration sends trials) gather into one fit; until two classes and
 * features + classes samples are there nothing is fitted and nothing is
 * refused. The model is then the
 * one a single message of the same samples gives (the same rows in the
 * same order: 1e-12), and with a capacity, the one of the latest N. */
static void history_case(DLDevice dev, int64_t cap)
{
    ezc_error err;
    ezc_array *all = labelled("lda3_x", "lda3_y", dev);
    int64_t n = all->shape[0], from = cap && cap < n ? n - cap : 0;
    char set[64];
    snprintf(set, sizeof set, "history=%lld", (long long)(cap ? cap : n));
    ezc_transformer *th = tc_make(&ezc_lda_type, set), *t1 = tc_make(&ezc_lda_type, "");
    const double *y = all->axes[0].coords->values;
    for (int64_t i = 0; i < n; i++) {
        int more = 0; /* a second class yet? */
        for (int64_t j = 0; j < i; j++)
            more |= y[j] != y[i];
        train(th, ezc_array_slice(all, 0, i, i + 1, &err));
        if (!more || i < 7) { /* one class, or fewer samples than 6 features + 2 classes */
            ezc_array *z = tc_to(tc_dims(tc_ref("lda3_t"), "time", "ch"), dev);
            const char *m = tc_apply_fails(th, z, EZC_EINVAL);
            ck_assert_msg(strstr(m, "no model yet"), "%s", m);
        }
    }
    train(t1, ezc_array_slice(all, 0, from, n, &err));
    ezc_array *z = tc_to(tc_dims(tc_ref("lda3_t"), "time", "ch"), dev);
    ezc_array *a = tc_host(tc_apply(th, ezc_array_clone(z, &err)));
    ezc_array *b = tc_host(tc_apply(t1, z));
    tc_assert_close(a, b, 1e-12, 1e-12, set);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    ezc_array_destroy(&all);
    ezc_transformer_destroy(&th);
    ezc_transformer_destroy(&t1);
}

START_TEST(t_history)
{
    DLDevice dev = tc_dev(_i);
    history_case(dev, 0);
    history_case(dev, 40);
    /* one kind of labels and one feature count for the whole history */
    ezc_error err;
    ezc_transformer *t = tc_make(&ezc_lda_type, "history=100");
    ezc_array *all = labelled("lda3_x", "lda3_y", dev);
    train(t, ezc_array_slice(all, 0, 0, 5, &err));
    ezc_array *x = tc_dims(tc_ref("lda3_x"), "time", "ch");
    const char *lab[1] = {"left"};
    ezc_array *one = ezc_array_slice(x, 0, 0, 1, &err);
    ck_assert_int_eq(ezc_array_set_coord_labels(one, 0, lab, 1, "", &err), 0);
    const char *m = train_fails(t, tc_to(one, dev), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "text labels") && strstr(m, "keeps one kind"), "%s", m);
    ezc_array_destroy(&x);
    ezc_array_destroy(&all);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_lda_type, "history=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "lda: setting 'history' = -1"), "%s", m);
}
END_TEST

START_TEST(t_steady_path_allocates_nothing)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 2; k <= 3; k++) {
        ezc_transformer *t = tc_make(&ezc_lda_type, NULL);
        train(t, labelled(k == 3 ? "lda3_x" : "lda2_x", k == 3 ? "lda3_y" : "lda2_y", dev));
        ezc_array *x = tc_to(tc_dims(tc_ref(k == 3 ? "lda3_t" : "lda2_t"), "time", "ch"), dev);
        ezc_error err;
        for (int warm = 0; warm < 2; warm++) {
            ezc_array *y = tc_apply(t, ezc_array_clone(x, &err));
            ezc_array_destroy(&y);
        }
        uint64_t before = ezc_buffer_new_count();
        for (int i = 0; i < 10; i++) {
            ezc_array *y = tc_apply(t, ezc_array_clone(x, &err));
            ezc_array_destroy(&y);
        }
        ck_assert_uint_eq(ezc_buffer_new_count(), before);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

int main(void)
{
    tc_refs_load("learn");
    tc_devices_init();
    Suite *s = suite_create("learn_lda");
    TCase *tc = tcase_create("lda");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_fit_matches_sklearn, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_outputs_match_sklearn, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_layouts, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_string_labels, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_errors_keep_model, 0, tc_ndevs());
    tcase_add_test(tc, t_settings_errors);
    tcase_add_test(tc, t_model_files);
    tcase_add_loop_test(tc, t_history, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_steady_path_allocates_nothing, 0, tc_ndevs());
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
