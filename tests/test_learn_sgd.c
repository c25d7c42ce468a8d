/* test_learn_sgd.c — sgd against scikit-learn 1.2's SGDClassifier
 * (tests/ref/gen_learn_sgd.py; penalty l2, shuffle off, partial_fit once
 * per sample): two and three classes; hinge and log loss with the 'optimal'
 * schedule, hinge with 'constant'; _predict_proba_lr, decision_function and
 * predict; training in random chunks (0 and 1 samples among them) and
 * resumed from a saved model; labels as numbers and strings; errors that
 * leave the model in force; no allocation on the steady path.
 *
 * Tolerance 1e-12 relative (1e-14 absolute): the update is sklearn's own
 * sequence of floating-point operations (its running dot product, the
 * scaled weight vector reset at the end of each partial_fit call), so the
 * two agree bit for bit where libm's exp agrees; predictions go through the
 * BLAS matmul (another summation order, ~1e-16). predict: exact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_sgd_type;

#define RTOL 1e-12
#define ATOL 1e-14

/* Reference features `k{k}_x` [time, ch] with the labels as a numeric
 * coordinate axis along time, samples [a, b). */
static ezc_array *labelled(int k, int64_t a, int64_t b, DLDevice d)
{
    ezc_error err;
    ezc_array *x = tc_dims(tc_ref("k%d_x", k), "time", "ch"), *y = tc_ref("k%d_y", k);
    ck_assert_int_eq(
        ezc_array_set_coord_values(x, 0, ezc_array_data(y), (size_t)y->shape[0], "", &err), 0);
    ezc_array *s = ezc_array_slice(x, 0, a, b, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    return tc_to(s, d);
}

static void train(ezc_transformer *t, ezc_array *x)
{
    ck_assert_ptr_null(tc_apply_port(t, 1, x));
}

static ezc_array *sig(int k, DLDevice d)
{
    return tc_to(tc_dims(tc_ref("k%d_sig", k), "time", "ch"), d);
}

/* Outputs for each `output` setting against the references `prefix`_*. */
static void check_outputs(const char *settings, const char *model, const char *prefix, int k,
                          DLDevice d)
{
    static const char *const outs[3] = {"proba", "decision", "predict"};
    char set[700];
    for (int o = 0; o < 3; o++) {
        snprintf(set, sizeof set, "%s%soutput=%s; model=%s", settings, *settings ? "; " : "",
                 outs[o], model);
        ezc_transformer *t = tc_make(&ezc_sgd_type, set);
        ezc_array *y = tc_host(tc_apply(t, sig(k, d))), *w = tc_ref("%s_%s", prefix, outs[o]);
        char what[128];
        snprintf(what, sizeof what, "%s %s", prefix, outs[o]);
        if (o == 2) {
            ck_assert_int_eq(y->dtype, EZC_INT64);
            ck_assert_int_eq(y->shape[1], 1);
            const int64_t *g = ezc_array_data(y), *r = ezc_array_data(w);
            for (int64_t i = 0; i < w->shape[0]; i++)
                ck_assert_msg(g[i] == r[i], "%s: sample %lld: %lld, sklearn %lld", what,
                              (long long)i, (long long)g[i], (long long)r[i]);
        } else {
            int64_t cols = o == 1 && k == 2 ? 1 : k;
            ck_assert_int_eq(y->shape[1], cols);
            ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
            ck_assert_double_eq(y->axes[1].coords->values[cols - 1], (double)k);
            if (w->tensor.ndim == 1) { /* sklearn's binary decision_function: (n,) */
                int64_t sh[2] = {w->shape[0], 1};
                ezc_array *w2 = tc_array(EZC_FLOAT64, 2, sh, ezc_array_data(w));
                ezc_array_destroy(&w);
                w = w2;
            }
            tc_assert_close(y, w, RTOL, ATOL, what);
        }
        ezc_array_destroy(&y);
        ezc_array_destroy(&w);
        ezc_transformer_destroy(&t);
    }
}

static void check_coef(const char *path, const char *prefix, const char *part)
{
    ezc_error err;
    ezc_model *m = NULL;
    ck_assert_msg(ezc_model_load(path, &m, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(m->kind, "sgd");
    ezc_array *want = tc_ref("%s_%s", prefix, part);
    for (size_t i = 0; i < m->narrays; i++)
        if (!strcmp(m->arrays[i].name, strcmp(part, "half_coef") ? part : "coef")) {
            ezc_array *got =
                tc_array(EZC_FLOAT64, m->arrays[i].ndim, m->arrays[i].shape, m->arrays[i].data);
            tc_assert_close(got, want, RTOL, ATOL, prefix);
            ezc_array_destroy(&got);
        }
    ezc_array_destroy(&want);
    ezc_model_destroy(&m);
}

START_TEST(t_sgd_matches_sklearn)
{
    ezc_error err;
    DLDevice d = tc_dev(_i);
    static const struct {
        const char *settings, *tag;
    } cases[] = {
        {"", "hinge"},
        {"loss=log_loss; alpha=0.001", "log"},
        {"learning_rate=constant; eta0=0.01; alpha=0.001", "const"},
    };
    char set[700], pre[64];
    for (int k = 2; k <= 3; k++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            snprintf(pre, sizeof pre, "k%d_%s", k, cases[c].tag);
            const char *classes = k == 2 ? "classes=[2, 1]" : "classes=[1, 3, 2]";
            /* 100 samples in random chunks, saved */
            snprintf(set, sizeof set, "%s; %s%ssave=%s", classes, cases[c].settings,
                     *cases[c].settings ? "; " : "", tc_tmp_path("sgd.ezm"));
            ezc_transformer *t = tc_make(&ezc_sgd_type, set);
            int64_t lens[64], at = 0;
            size_t nl = tc_random_chunks(100, (unsigned)(k * 7 + c), lens, 64);
            for (size_t i = 0; i < nl; i++) {
                train(t, labelled(k, at, at + lens[i], d));
                at += lens[i];
            }
            ezc_transformer_destroy(&t);
            check_coef(tc_tmp_path("sgd.ezm"), pre, "half_coef");
            /* the rest from the file */
            snprintf(set, sizeof set, "%s%smodel=%s", cases[c].settings,
                     *cases[c].settings ? "; " : "", tc_tmp_path("sgd.ezm"));
            snprintf(set + strlen(set), sizeof set - strlen(set), "; save=%s",
                     tc_tmp_path("sgd2.ezm"));
            t = tc_make(&ezc_sgd_type, set);
            train(t, labelled(k, 100, 240, d));
            ezc_transformer_destroy(&t);
            check_coef(tc_tmp_path("sgd2.ezm"), pre, "coef");
            check_coef(tc_tmp_path("sgd2.ezm"), pre, "intercept");
            check_outputs(cases[c].settings, tc_tmp_path("sgd2.ezm"), pre, k, d);
            /* all in one message: the same model */
            snprintf(set, sizeof set, "%s; %s%ssave=%s", classes, cases[c].settings,
                     *cases[c].settings ? "; " : "", tc_tmp_path("sgd3.ezm"));
            t = tc_make(&ezc_sgd_type, set);
            train(t, labelled(k, 0, 240, d));
            check_coef(tc_tmp_path("sgd3.ezm"), pre, "coef");
            ezc_transformer_destroy(&t);
        }
    (void)err;
}
END_TEST

/* String labels: sorted as np.unique sorts them, matched by name. */
START_TEST(t_sgd_string_labels)
{
    ezc_error err;
    DLDevice d = tc_dev(_i);
    ezc_array *x = tc_dims(tc_ref("k3_x"), "time", "ch"), *y = tc_ref("k3_y");
    static const char *const names[3] = {"feet", "left", "right"};
    const char *lab[240];
    const double *yv = ezc_array_data(y);
    for (int i = 0; i < 240; i++)
        lab[i] = names[(int)yv[i] - 1];
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 0, lab, 240, "", &err), 0);
    char set[600];
    snprintf(set, sizeof set, "classes=[right, feet, left]; loss=log_loss; alpha=0.001; save=%s",
             tc_tmp_path("s.ezm"));
    ezc_transformer *t = tc_make(&ezc_sgd_type, set);
    train(t, tc_to(x, d));
    ezc_array *p = tc_host(tc_apply(t, sig(3, d))), *w = tc_ref("k3_log_proba");
    ck_assert_str_eq(p->axes[1].coords->labels[0], "feet");
    ck_assert_str_eq(p->axes[1].coords->labels[2], "right");
    tc_assert_close(p, w, RTOL, ATOL, "string labels");
    ezc_array_destroy(&p);
    ezc_array_destroy(&w);
    ezc_array_destroy(&y);
    /* a label outside the classes: refused, the model stays */
    x = tc_dims(tc_ref("k3_x"), "time", "ch");
    lab[7] = "tongue";
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 0, lab, 240, "", &err), 0);
    const char *m = tc_apply_port_fails(t, 1, tc_to(x, d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: port 'train': label 'tongue' (sample 7) is not one of setting "
                            "'classes'"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    snprintf(set, sizeof set, "output=proba; model=%s", tc_tmp_path("s.ezm"));
    t = tc_make(&ezc_sgd_type, set);
    p = tc_host(tc_apply(t, sig(3, d)));
    w = tc_ref("k3_log_proba");
    ck_assert_str_eq(p->axes[1].coords->labels[1], "left");
    tc_assert_close(p, w, RTOL, ATOL, "string labels, loaded");
    ezc_array_destroy(&p);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_sgd_errors)
{
    DLDevice d = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_sgd_type, "classes=[1, 2]");
    const char *m = tc_apply_fails(t, sig(2, d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: no model yet"), "%s", m);
    train(t, labelled(2, 0, 50, d));
    /* NaN: the whole message refused */
    ezc_array *x = tc_host(labelled(2, 50, 100, tc_dev(0)));
    ((double *)ezc_array_data(x))[5] = NAN;
    m = tc_apply_port_fails(t, 1, tc_to(x, d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: port 'train': NaN or inf in the features"), "%s", m);
    /* no label axis; another feature count */
    m = tc_apply_port_fails(t, 1, sig(2, d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: training data need a coordinate axis of class labels along "
                            "'time'"),
                  "%s", m);
    ezc_error err;
    ezc_array *h = tc_host(labelled(2, 0, 10, tc_dev(0)));
    m = tc_apply_port_fails(t, 1, tc_to(ezc_array_slice(h, 1, 0, 3, &err), d), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "sgd: port 'train': 3 features per sample, the model has 4"), "%s", m);
    m = tc_apply_fails(t, tc_to(ezc_array_slice(h, 1, 0, 3, &err), d), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "sgd: 3 features per sample (all dims but 'time'), the model has 4"),
                  "%s", m);
    ezc_array_destroy(&h);
    ezc_transformer_destroy(&t);
    /* settings */
    m = tc_make_fails(&ezc_sgd_type, NULL, EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: setting 'classes' is required"), "%s", m);
    m = tc_make_fails(&ezc_sgd_type, "classes=[a]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: setting 'classes': 1 labels (need at least 2)"), "%s", m);
    m = tc_make_fails(&ezc_sgd_type, "classes=[a, b, a]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: setting 'classes': 'a' is repeated"), "%s", m);
    m = tc_make_fails(&ezc_sgd_type, "classes=[a, b]; alpha=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: setting 'alpha' = 0"), "%s", m);
    m = tc_make_fails(&ezc_sgd_type, "classes=[a, b]; learning_rate=constant", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sgd: setting 'eta0' = 0: expected > 0"), "%s", m);
    m = tc_make_fails(&ezc_sgd_type, "classes=[a, b]; loss=squared", EZC_EINVAL);
    ck_assert_msg(strstr(m, "loss"), "%s", m);
    m = tc_make_fails(&ezc_sgd_type, "model=/nonexistent/m.ezm", EZC_EIO);
    ck_assert_msg(strstr(m, "sgd: setting 'model'") && strstr(m, "/nonexistent/m.ezm"), "%s", m);
}
END_TEST

START_TEST(t_sgd_steady_path_allocates_nothing)
{
    DLDevice d = tc_dev(_i);
    static const char *const outs[3] = {"output=proba", "output=decision", "output=predict"};
    for (int k = 2; k <= 3; k++)
        for (int o = 0; o < 3; o++) {
            char set[128];
            snprintf(set, sizeof set, "classes=[1, 2, 3]; %s", outs[o]);
            if (k == 2)
                snprintf(set, sizeof set, "classes=[1, 2]; %s", outs[o]);
            ezc_transformer *t = tc_make(&ezc_sgd_type, set);
            train(t, labelled(k, 0, 240, d));
            ezc_array *x = sig(k, d);
            tc_check_steady(t, x);
            ezc_array_destroy(&x);
            ezc_transformer_destroy(&t);
        }
}
END_TEST

int main(void)
{
    tc_refs_load("learn_sgd");
    tc_devices_init();
    Suite *suite = suite_create("learn_sgd");
    TCase *tc = tcase_create("sgd");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_sgd_matches_sklearn, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_sgd_string_labels, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_sgd_errors, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_sgd_steady_path_allocates_nothing, 0, tc_ndevs());
    suite_add_tcase(suite, tc);
    return tc_run_suite(suite);
}
