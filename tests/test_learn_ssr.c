/* test_learn_ssr.c — ssr (LRR re-referencing, ezmsg-learn's ssr module)
 * against numpy (tests/ref/gen_learn_ssr.py), which solves each channel's
 * ridge regression on its cluster's other channels one by one — the C side
 * takes one inverse per cluster (the block-inverse identity), so the two
 * routes check each other. W is read through the output of an identity
 * signal (eye(6) @ (I - W)) and from saved model files. Clusters of fewer
 * than min_cluster_size (3) channels pass through (today's ezmsg-learn).
 *
 * Tolerance 1e-9 relative (1e-12 absolute): LU inverse vs numpy's solves on
 * 6 x 6 covariances of condition ~1e2..1e3. float32 signals: 1e-5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tf_test.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_ssr_type;

#define N 6
#define RTOL 1e-9
#define ATOL 1e-12

/* Reference `name` as [time, ch] with a time axis and channel labels. */
static ezc_array *host_msg(const char *name)
{
    ezc_error err;
    static const char *const labels[N] = {"c0", "c1", "c2", "c3", "c4", "c5"};
    ezc_array *x = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 0.001, 1.0, "s");
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 1, labels, N, "", &err), 0);
    return x;
}

static ezc_array *msg(const char *name, DLDevice d)
{
    return tc_to(host_msg(name), d);
}

/* Elements [a, b) of `name` along dim `axis`. */
static ezc_array *sliced(const char *name, int axis, int64_t a, int64_t b, DLDevice d)
{
    ezc_error err;
    ezc_array *x = host_msg(name), *y = ezc_array_slice(x, axis, a, b, &err);
    ck_assert_msg(y != NULL, "%s", err.msg);
    ezc_array_destroy(&x);
    return tc_to(y, d);
}

/* The same message as [ch, time]. */
static ezc_array *msg_t(const char *name, DLDevice d)
{
    ezc_error err;
    ezc_array *x = host_msg(name);
    int perm[2] = {1, 0};
    ezc_array *y = ezc_array_permute(x, perm, &err);
    ck_assert_msg(y != NULL, "%s", err.msg);
    ezc_array_destroy(&x);
    return tc_to(y, d);
}

static void train(ezc_transformer *t, ezc_array *x)
{
    ck_assert_ptr_null(tc_apply_port(t, 1, x));
}

static const char *train_fails(ezc_transformer *t, ezc_array *x, int code)
{
    return tc_apply_port_fails(t, 1, x, code);
}

/* W in force, read as I - (eye(N) through the signal port). */
static void check_w(ezc_transformer *t, const char *want, DLDevice d)
{
    int64_t shape[2] = {N, N};
    double eye[N * N] = {0};
    for (int i = 0; i < N; i++)
        eye[i * N + i] = 1;
    ezc_array *x = tc_dims(tc_array(EZC_FLOAT64, 2, shape, eye), "time", "ch");
    ezc_array *y = tc_host(tc_apply(t, tc_to(x, d)));
    double *v = ezc_array_data(y);
    for (int i = 0; i < N * N; i++)
        v[i] = eye[i] - v[i];
    ezc_array *w = tc_ref("%s", want);
    tc_assert_close(y, w, RTOL, ATOL, want);
    ezc_array_destroy(&w);
    ezc_array_destroy(&y);
}

/* The reference signal through t against `want`; the axes carried. */
static void check_out(ezc_transformer *t, const char *want, DLDevice d)
{
    ezc_array *y = tc_host(tc_apply(t, msg("ssr_sig", d)));
    ezc_array *w = tc_ref("%s", want);
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "ch");
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq_tol(y->axes[0].gain, 0.001, 1e-15);
    ck_assert_double_eq_tol(y->axes[0].offset, 1.0, 1e-15);
    ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
    ck_assert_str_eq(y->axes[1].coords->labels[5], "c5");
    tc_assert_close(y, w, RTOL, ATOL, want);
    ezc_array_destroy(&w);
    ezc_array_destroy(&y);
}

START_TEST(t_ssr_fit_matches_numpy)
{
    DLDevice d = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_ssr_type, NULL);
    check_out(t, "ssr_sig", d); /* identity before a model */
    train(t, msg("ssr_t1", d));
    check_w(t, "ssr_w_a1", d);
    check_out(t, "ssr_y_a1", d);
    train(t, msg("ssr_t2", d));
    check_w(t, "ssr_w_a2", d);
    check_out(t, "ssr_y_a2", d);
    ezc_transformer_destroy(&t);

    /* incremental: the same samples in other messages (chunks of 0 and 1
     * among them, channel dim first) give the same W */
    t = tc_make(&ezc_ssr_type, NULL);
    ezc_error err;
    ezc_array *all = msg_t("ssr_t12", d);
    int64_t lens[64], at = 0;
    size_t nl = tc_random_chunks(350, 11, lens, 64);
    for (size_t i = 0; i < nl; i++) {
        ezc_array *part = ezc_array_slice(all, 1, at, at + lens[i], &err);
        ck_assert_msg(part != NULL, "%s", err.msg);
        at += lens[i];
        /* the first chunks hold fewer samples than channels: singular, refused,
         * but their samples count */
        ezc_array *out = NULL;
        int rc = ezc_transformer_process(t, 1, part, &out, &err);
        ck_assert_msg(rc == 0 || (rc == EZC_ENUMERIC && at < 50), "chunk %zu: %s", i, err.msg);
    }
    ezc_array_destroy(&all);
    check_w(t, "ssr_w_a2", d);
    ezc_array *y = tc_host(tc_apply(t, msg_t("ssr_sig", d)));
    ck_assert_str_eq(y->dims[0], "ch");
    int perm[2] = {1, 0};
    ezc_array *yt = ezc_array_permute(y, perm, &err), *w = tc_ref("ssr_y_a2");
    tc_assert_close(yt, w, RTOL, ATOL, "[ch, time] signal");
    ezc_array_destroy(&y);
    ezc_array_destroy(&yt);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);

    static const struct {
        const char *settings, *w, *y;
    } cases[] = {
        {"clusters=[0, 0, 1, 1, 1, 2]; ridge=2.5", "ssr_w_b2", "ssr_y_b2"},
        {"clusters=[0, 0, 1, 1, 1, 2]; ridge=2.5; min_cluster_size=2", "ssr_w_b2m2", "ssr_y_b2m2"},
        {"incremental=false", "ssr_w_c2", "ssr_y_c2"},
        {"block_size=4", "ssr_w_d2", "ssr_y_d2"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        t = tc_make(&ezc_ssr_type, cases[c].settings);
        train(t, msg("ssr_t1", d));
        train(t, msg("ssr_t2", d));
        check_w(t, cases[c].w, d);
        check_out(t, cases[c].y, d);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* Other dtypes, an empty train message, chunk invariance of the signal path. */
START_TEST(t_ssr_signal)
{
    ezc_error err;
    DLDevice d = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_ssr_type, "axis=ch");
    train(t, msg("ssr_t1", d));
    train(t, sliced("ssr_t2", 0, 0, 0, d)); /* no samples */
    check_w(t, "ssr_w_a1", d);
    /* float32 in, float32 out (rounding of the input: 1e-5) */
    ezc_array *h = host_msg("ssr_sig"), *f = ezc_array_new_like(h, EZC_FLOAT32, 0, NULL, &err);
    ezc_xp_cpu()->astype(h, f, &err);
    ezc_array *y = tc_host(tc_apply(t, tc_to(f, d))), *w = tc_ref("ssr_y_a1");
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    tc_assert_close(y, w, 1e-5, 1e-5, "float32 signal");
    ezc_array_destroy(&y);
    /* integers become float64 */
    ezc_array *in32 = ezc_array_new_like(h, EZC_INT32, 0, NULL, &err);
    ezc_xp_cpu()->astype(h, in32, &err);
    y = tc_host(tc_apply(t, tc_to(in32, d)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert_int_eq(y->shape[0], 50);
    ezc_array_destroy(&y);
    /* chunks (0 and 1 among them) give the same as the whole, up to the
     * rounding of BLAS kernels chosen by row count (~4e-16 seen): 1e-12 */
    ezc_array *whole = tc_host(tc_apply(t, tc_to(ezc_array_clone(h, &err), d)));
    for (unsigned seed = 1; seed < 4; seed++) {
        int64_t lens[64];
        size_t nl = tc_random_chunks(50, seed, lens, 64);
        ezc_array *x = tc_to(ezc_array_clone(h, &err), d);
        y = tc_apply_chunks(t, x, 0, lens, nl, NULL);
        tc_assert_close(y, w, RTOL, ATOL, "chunked signal");
        tc_assert_close(y, whole, 1e-12, 1e-15, "chunked vs whole");
        ezc_array_destroy(&x);
        ezc_array_destroy(&y);
    }
    ezc_array_destroy(&whole);
    ezc_array_destroy(&w);
    ezc_array_destroy(&h);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_ssr_initial_car)
{
    DLDevice d = tc_dev(_i);
    ezc_transformer *t =
        tc_make(&ezc_ssr_type, "initial=car; clusters=[0, 0, 1, 1, 1, 2]; ridge=2.5");
    check_out(t, "ssr_y_car", d); /* channels 0, 1 (a pair) and 5 (alone): unchanged */
    train(t, msg("ssr_t1", d));
    train(t, msg("ssr_t2", d));
    check_out(t, "ssr_y_b2", d);
    ezc_transformer_destroy(&t);
    /* min_cluster_size = 2: the pair is re-referenced too (each minus the other) */
    t = tc_make(&ezc_ssr_type,
                "initial=car; clusters=[0, 0, 1, 1, 1, 2]; ridge=2.5; min_cluster_size=2");
    check_out(t, "ssr_y_car_m2", d);
    ezc_transformer_destroy(&t);
    /* identity: the message itself */
    t = tc_make(&ezc_ssr_type, "initial=identity");
    check_out(t, "ssr_sig", d);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_ssr_model_files)
{
    ezc_error err;
    DLDevice d = tc_dev(_i);
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s", tc_tmp_path("lrr.ezm"));
    snprintf(cmd, sizeof cmd, "save=%s", path);
    ezc_transformer *t = tc_make(&ezc_ssr_type, cmd);
    train(t, msg("ssr_t1", d));
    ezc_transformer_destroy(&t);
    ezc_model *m = NULL;
    ck_assert_msg(ezc_model_load(path, &m, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(m->kind, "ssr");
    int64_t sq[2] = {N, N};
    const ezc_model_array *a = ezc_model_get(m, path, "W", 2, sq, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ezc_array *got = tc_array(EZC_FLOAT64, 2, sq, a->data), *want = tc_ref("ssr_w_a1");
    tc_assert_close(got, want, RTOL, ATOL, "saved W");
    ck_assert_ptr_nonnull(ezc_model_get(m, path, "cxx", 2, sq, &err));
    a = ezc_model_get(m, path, "n_samples", 0, sq, &err);
    ck_assert_double_eq(a->data[0], 200);
    ezc_array_destroy(&got);
    ezc_array_destroy(&want);
    ezc_model_destroy(&m);

    /* loaded: the same output, and training goes on from the saved X'X */
    snprintf(cmd, sizeof cmd, "model=%s", path);
    t = tc_make(&ezc_ssr_type, cmd);
    check_out(t, "ssr_y_a1", d);
    train(t, msg("ssr_t2", d));
    check_w(t, "ssr_w_a2", d);
    ezc_transformer_destroy(&t);

    /* a W alone (as from Python) is a model; training then starts afresh */
    double w[N * N] = {0};
    w[1] = 0.5; /* channel 1 minus half of channel 0 */
    m = ezc_model_new("ssr", &err);
    ck_assert_int_eq(ezc_model_add(m, "W", 2, sq, w, &err), 0);
    ck_assert_int_eq(ezc_model_save(tc_tmp_path("w.ezm"), m, &err), 0);
    snprintf(cmd, sizeof cmd, "model=%s", tc_tmp_path("w.ezm"));
    t = tc_make(&ezc_ssr_type, cmd);
    ezc_array *x = host_msg("ssr_sig"), *y = tc_host(tc_apply(t, msg("ssr_sig", d)));
    const double *xv = ezc_array_data(x), *yv = ezc_array_data(y);
    for (int r = 0; r < 50; r++)
        ck_assert_double_eq_tol(yv[r * N + 1], xv[r * N + 1] - 0.5 * xv[r * N], 1e-12);
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    train(t, msg("ssr_t2", d));
    check_w(t, "ssr_w_c2", d);
    ezc_transformer_destroy(&t);

    /* refused files */
    const char *msg_ = tc_make_fails(&ezc_ssr_type, "model=/nonexistent/x.ezm", EZC_EIO);
    ck_assert_msg(strstr(msg_, "ssr: setting 'model'") && strstr(msg_, "/nonexistent/x.ezm"), "%s",
                  msg_);
    snprintf(cmd, sizeof cmd, "model=%s; clusters=[0, 1]", tc_tmp_path("w.ezm"));
    msg_ = tc_make_fails(&ezc_ssr_type, cmd, EZC_ESHAPE);
    ck_assert_msg(strstr(msg_, "ssr: setting 'clusters' has 2 ids but the model"), "%s", msg_);
    snprintf(m->kind, sizeof m->kind, "lda");
    ck_assert_int_eq(ezc_model_save(tc_tmp_path("lda.ezm"), m, &err), 0);
    snprintf(cmd, sizeof cmd, "model=%s", tc_tmp_path("lda.ezm"));
    msg_ = tc_make_fails(&ezc_ssr_type, cmd, EZC_EINVAL);
    ck_assert_msg(strstr(msg_, "a 'lda' model, not 'ssr'"), "%s", msg_);
    ezc_model_destroy(&m);
    m = ezc_model_new("ssr", &err);
    int64_t rect[2] = {2, 3};
    ck_assert_int_eq(ezc_model_add(m, "W", 2, rect, w, &err), 0);
    ck_assert_int_eq(ezc_model_save(tc_tmp_path("rect.ezm"), m, &err), 0);
    snprintf(cmd, sizeof cmd, "model=%s", tc_tmp_path("rect.ezm"));
    msg_ = tc_make_fails(&ezc_ssr_type, cmd, EZC_ESHAPE);
    ck_assert_msg(strstr(msg_, "W is 2 x 3, not square"), "%s", msg_);
    ezc_model_destroy(&m);
}
END_TEST

static ezc_array *with_nan(const char *name, DLDevice d)
{
    ezc_array *x = host_msg(name);
    ((double *)ezc_array_data(x))[17] = NAN;
    return tc_to(x, d);
}

/* t2 with channel 5 = channel 0 + channel 1: X'X singular. */
static ezc_array *dependent(DLDevice d)
{
    ezc_array *x = host_msg("ssr_t2");
    double *v = ezc_array_data(x);
    for (int r = 0; r < 150; r++)
        v[r * N + 5] = v[r * N] + v[r * N + 1];
    return tc_to(x, d);
}

START_TEST(t_ssr_errors)
{
    DLDevice d = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_ssr_type, NULL);
    train(t, msg("ssr_t1", d));
    /* another channel count, on either port */
    ezc_array *five = sliced("ssr_sig", 1, 0, 5, d);
    const char *m = tc_apply_fails(t, five, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "ssr: port 'signal': dim 'ch' has length 5, the model has 6 channels"),
                  "%s", m);
    five = sliced("ssr_t2", 1, 0, 5, d);
    m = train_fails(t, five, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "ssr: port 'train': dim 'ch' has length 5, the model has 6"), "%s", m);
    /* NaN: skipped, not accumulated */
    m = train_fails(t, with_nan("ssr_t2", d), EZC_EINVAL);
    ck_assert_msg(strstr(m, "ssr: port 'train': NaN or inf in the data"), "%s", m);
    check_w(t, "ssr_w_a1", d);
    train(t, msg("ssr_t2", d));
    check_w(t, "ssr_w_a2", d);
    /* no channel dim */
    ezc_array *x = tc_to(tc_dims(tc_ref("ssr_sig"), "time", "elec"), d);
    m = tc_apply_fails(t, x, EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "ssr: setting 'axis' = 'ch'"), "%s", m);
    ezc_transformer_destroy(&t);

    /* singular with ridge 0: refused, the model in force stays */
    t = tc_make(&ezc_ssr_type, "incremental=false");
    train(t, msg("ssr_t1", d));
    m = train_fails(t, dependent(d), EZC_ENUMERIC);
    ck_assert_msg(strstr(m, "ssr: the covariance of cluster 0 (6 channels, from channel 0) with "
                            "ridge 0 is singular"),
                  "%s", m);
    ck_assert_msg(strstr(m, "the model in force stays"), "%s", m);
    check_w(t, "ssr_w_a1", d);
    check_out(t, "ssr_y_a1", d);
    ezc_transformer_destroy(&t);
    /* ... a ridge makes it solvable */
    t = tc_make(&ezc_ssr_type, "ridge=1");
    train(t, dependent(d));
    ezc_transformer_destroy(&t);

    /* too few samples first: refused, identity stays, the samples count later */
    t = tc_make(&ezc_ssr_type, NULL);
    m = train_fails(t, msg("ssr_few", d), EZC_ENUMERIC);
    ck_assert_msg(strstr(m, "singular"), "%s", m);
    check_out(t, "ssr_sig", d);
    train(t, msg("ssr_t1", d));
    check_w(t, "ssr_w_f1", d);
    check_out(t, "ssr_y_f1", d);
    ezc_transformer_destroy(&t);

    /* clusters that do not fit the message */
    t = tc_make(&ezc_ssr_type, "clusters=[0, 0, 1]");
    m = tc_apply_fails(t, msg("ssr_sig", d), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "ssr: setting 'clusters' has 3 ids but dim 'ch' has length 6"), "%s",
                  m);
    m = train_fails(t, msg("ssr_t1", d), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "ssr: setting 'clusters' has 3 ids"), "%s", m);
    ezc_transformer_destroy(&t);

    /* settings */
    m = tc_make_fails(&ezc_ssr_type, "ridge=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "ssr: setting 'ridge' = -1: expected a number >= 0"), "%s", m);
    m = tc_make_fails(&ezc_ssr_type, "block_size=2; clusters=[0, 1]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "ssr: setting 'block_size' = 2: give it or 'clusters', not both"), "%s",
                  m);
    m = tc_make_fails(&ezc_ssr_type, "min_cluster_size=1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "ssr: setting 'min_cluster_size' = 1: expected >= 2 (a lone channel "
                            "has nothing to regress on)"),
                  "%s", m);
    m = tc_make_fails(&ezc_ssr_type, "initial=median", EZC_EINVAL);
    ck_assert_msg(strstr(m, "initial"), "%s", m);
}
END_TEST

START_TEST(t_ssr_steady_path_allocates_nothing)
{
    DLDevice d = tc_dev(_i);
    for (int layout = 0; layout < 2; layout++) {
        ezc_transformer *t = tc_make(&ezc_ssr_type, layout ? "initial=car" : NULL);
        if (!layout)
            train(t, msg("ssr_t1", d));
        ezc_array *x = layout ? msg_t("ssr_sig", d) : msg("ssr_sig", d);
        tc_check_steady(t, x);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

int main(void)
{
    tc_refs_load("learn_ssr");
    tc_devices_init();
    Suite *suite = suite_create("learn_ssr");
    TCase *tc = tcase_create("ssr");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_ssr_fit_matches_numpy, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_ssr_signal, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_ssr_initial_car, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_ssr_model_files, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_ssr_errors, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_ssr_steady_path_allocates_nothing, 0, tc_ndevs());
    suite_add_tcase(suite, tc);
    return tc_run_suite(suite);
}
