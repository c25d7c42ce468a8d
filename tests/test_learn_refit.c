/* test_learn_refit.c — kalman's ReFIT refit (Gilja et al. 2012) against the
 * same equations in numpy (tests/ref/gen_learn2.py): a `train` message
 * whose column axis labels cursor_x, cursor_y, target_x, target_y, hold
 * turns decoded states into intended ones (velocity toward the target at
 * the decoded speed, zero while holding; positions held at the previous
 * sample's during a hold as ezmsg-learn, or the cursor's, or as sent),
 * re-estimates H and Q, keeps A and W, and recomputes the gain. Checked: the
 * saved model, steady and full filtering after the refit, the refit columns
 * anywhere along the axis, each refit_position rule and position_index = -1,
 * the filter restarting with the new model (full: from its steady-state P),
 * errors that keep the model in force.
 *
 * Tolerance 1e-9 relative: least squares by LU on normal equations vs
 * numpy's inv, the DARE by doubling vs scipy's QZ, then 120 recursive
 * filter steps (as test_learn_kalman). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tf_test.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_kalman_type;

#define NF 10
#define NS 4
#define NCOL (NF + NS + 5)

/* Column labels of rf_refit: f0..f9, px, py, vx, vy, then the refit ones. */
static const char *col_label(int j)
{
    static char f[NF][16];
    static const char *rest[] = {"px",       "py",       "vx",       "vy",  "cursor_x",
                                 "cursor_y", "target_x", "target_y", "hold"};
    if (j < NF) {
        snprintf(f[j], sizeof f[j], "f%d", j);
        return f[j];
    }
    return rest[j - NF];
}

/* rf_refit with columns in `order` (NULL: as generated), labelled; on dev. */
static ezc_array *refit_msg(const int *order, DLDevice dev)
{
    ezc_error err;
    ezc_array *ref = tc_ref("rf_refit");
    int64_t n = ref->shape[0], shape[2] = {n, NCOL};
    double *v = malloc((size_t)(n * NCOL) * sizeof *v);
    const char *labels[NCOL];
    for (int j = 0; j < NCOL; j++) {
        int c = order ? order[j] : j;
        labels[j] = col_label(c);
        for (int64_t t = 0; t < n; t++)
            v[t * NCOL + j] = ((const double *)ezc_array_data(ref))[t * NCOL + c];
    }
    ezc_array *a = tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch");
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, labels, NCOL, "", &err), 0);
    ezc_array_set_linear_axis(a, 0, 0.05, 0.0, "s");
    free(v);
    ezc_array_destroy(&ref);
    return tc_to(a, dev);
}

static ezc_array *plain(const char *name, DLDevice dev)
{
    ezc_array *z = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(z, 0, 0.05, 0.0, "s");
    return tc_to(z, dev);
}

static void train(ezc_transformer *t, ezc_array *x)
{
    ck_assert_ptr_null(tc_apply_port(t, 1, x));
}

static void check_model(const char *path, const char *h, const char *q)
{
    ezc_error err;
    ezc_model *m = NULL;
    ck_assert_msg(ezc_model_load(path, &m, &err) == 0, "%s", err.msg);
    const char *want[4] = {"rf_A", "rf_W", h, q};
    for (int i = 0; i < 4; i++) {
        const ezc_model_array *a = &m->arrays[i];
        ezc_array *got = tc_array(EZC_FLOAT64, 2, a->shape, a->data), *w = tc_ref("%s", want[i]);
        tc_assert_close(got, w, 1e-9, 1e-13, want[i]);
        ezc_array_destroy(&got);
        ezc_array_destroy(&w);
    }
    ezc_model_destroy(&m);
}

static void check_states(ezc_transformer *t, DLDevice dev, const char *ref)
{
    ezc_array *y = tc_host(tc_apply(t, plain("rf_z", dev))), *want = tc_ref("%s", ref);
    ck_assert_str_eq(y->dims[1], "state");
    tc_assert_close(y, want, 1e-9, 1e-12, ref);
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
}

START_TEST(t_refit_matches_numpy)
{
    DLDevice dev = tc_dev(_i);
    for (int full = 0; full < 2; full++) {
        char s[600];
        snprintf(s, sizeof s, "mode=%s; save=%s", full ? "full" : "steady", tc_tmp_path("rf.ezm"));
        ezc_transformer *t = tc_make(&ezc_kalman_type, s);
        train(t, plain("rf_fit", dev));
        train(t, refit_msg(NULL, dev));
        check_model(tc_tmp_path("rf.ezm"), "rf_H", "rf_Q");
        check_states(t, dev, full ? "rf_full" : "rf_steady");
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* The refit columns may sit anywhere along the column axis: the other
 * columns keep their order (features, then the last n_states states). */
START_TEST(t_refit_columns_anywhere)
{
    DLDevice dev = tc_dev(_i);
    int order[NCOL] = {18, 0, 1, 2, 3, 4, 14, 5, 6, 7, 8, 9, 16, 10, 11, 15, 12, 13, 17};
    char s[600];
    snprintf(s, sizeof s, "save=%s", tc_tmp_path("rf2.ezm"));
    ezc_transformer *t = tc_make(&ezc_kalman_type, s);
    train(t, plain("rf_fit", dev));
    train(t, refit_msg(order, dev));
    check_model(tc_tmp_path("rf2.ezm"), "rf_H", "rf_Q");
    ezc_transformer_destroy(&t);
}
END_TEST

/* The position rules: ezmsg-learn's (the default, also named), the cursor's,
 * as sent; position_index = -1 (no position states) is as sent too. */
START_TEST(t_refit_position_rules)
{
    DLDevice dev = tc_dev(_i);
    static const struct {
        const char *set, *h, *q;
    } cases[] = {
        {"refit_position=previous", "rf_H", "rf_Q"},
        {"refit_position=cursor", "rf_H_cursor", "rf_Q_cursor"},
        {"refit_position=sent", "rf_H_keep", "rf_Q_keep"},
        {"position_index=-1", "rf_H_keep", "rf_Q_keep"},
        {"position_index=-1; refit_position=cursor", "rf_H_keep", "rf_Q_keep"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char s[600];
        snprintf(s, sizeof s, "%s; save=%s", cases[c].set, tc_tmp_path("rf3.ezm"));
        ezc_transformer *t = tc_make(&ezc_kalman_type, s);
        train(t, plain("rf_fit", dev));
        train(t, refit_msg(NULL, dev));
        check_model(tc_tmp_path("rf3.ezm"), cases[c].h, cases[c].q);
        ezc_transformer_destroy(&t);
    }
    const char *m = tc_make_fails(&ezc_kalman_type, "refit_position=target", EZC_EINVAL);
    ck_assert_msg(strstr(m, "refit_position"), "%s", m);
}
END_TEST

/* A refit mid-stream installs a new model: the filter restarts from x = 0
 * and the new model's steady-state P. */
START_TEST(t_refit_restarts_filter)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_kalman_type, "mode=full");
    train(t, plain("rf_fit", dev));
    ezc_array *z = plain("rf_z", dev);
    ezc_array *y = tc_apply(t, ezc_array_slice(z, 0, 0, 40, &err));
    ezc_array_destroy(&y);
    train(t, refit_msg(NULL, dev));
    check_states(t, dev, "rf_full");
    ezc_array_destroy(&z);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_refit_errors)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_array *out = NULL;
    ezc_transformer *t = tc_make(&ezc_kalman_type, NULL);
    ck_assert_int_eq(ezc_transformer_process(t, 1, refit_msg(NULL, dev), &out, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "kalman: a refit needs a model"), "%s", err.msg);
    train(t, plain("rf_fit", dev));
    train(t, refit_msg(NULL, dev));
    /* target_y relabelled: some refit columns but not all */
    int order[NCOL];
    for (int j = 0; j < NCOL; j++)
        order[j] = j;
    ezc_array *m = tc_host(refit_msg(order, dev));
    const char *labels[NCOL];
    for (int j = 0; j < NCOL; j++)
        labels[j] = j == 17 ? "goal_y" : col_label(j);
    ezc_array_set_coord_labels(m, 1, labels, NCOL, "", &err);
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_to(m, dev), &out, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "kalman: a refit needs the columns") &&
                      strstr(err.msg, "'target_y' is missing") && strstr(err.msg, "along 'ch'"),
                  "%s", err.msg);
    /* a NaN hold flag */
    m = tc_host(refit_msg(NULL, dev));
    ((double *)ezc_array_data(m))[5 * NCOL + 18] = NAN;
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_to(m, dev), &out, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "kalman: refit data contain NaN"), "%s", err.msg);
    /* one feature column fewer than the model has */
    m = tc_host(refit_msg(NULL, dev));
    ezc_array *fewer = ezc_array_slice(m, 1, 1, NCOL, &err);
    ezc_array_destroy(&m);
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_to(fewer, dev), &out, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "kalman: refit with 9 feature columns, the model has 10"), "%s",
                  err.msg);
    /* the refitted model is still in force */
    check_states(t, dev, "rf_steady");
    ezc_transformer_destroy(&t);

    const char *bad[][2] = {
        {"velocity_index=3", "setting 'velocity_index' = 3: the model has 4 states"},
        {"position_index=1", "setting 'position_index' = 1 overlaps velocity_index 2"},
        {"position_index=3; velocity_index=0", "setting 'position_index' = 3: the model has 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = tc_make(&ezc_kalman_type, bad[i][0]);
        train(t, plain("rf_fit", dev));
        ck_assert_int_eq(ezc_transformer_process(t, 1, refit_msg(NULL, dev), &out, &err),
                         EZC_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i][1]), "%s: %s", bad[i][0], err.msg);
        ezc_transformer_destroy(&t);
    }
    const char *msg = tc_make_fails(&ezc_kalman_type, "velocity_index=-1", EZC_EINVAL);
    ck_assert_msg(strstr(msg, "kalman: setting 'velocity_index' = -1"), "%s", msg);
    msg = tc_make_fails(&ezc_kalman_type, "position_index=-2", EZC_EINVAL);
    ck_assert_msg(strstr(msg, "kalman: setting 'position_index' = -2"), "%s", msg);
}
END_TEST

int main(void)
{
    tc_refs_load("learn2");
    tc_devices_init();
    Suite *s = suite_create("learn_refit");
    TCase *tc = tcase_create("refit");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_refit_matches_numpy, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_refit_columns_anywhere, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_refit_position_rules, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_refit_restarts_filter, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_refit_errors, 0, tc_ndevs());
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
