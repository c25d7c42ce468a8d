/* test_learn_cca.c — cca (incremental CCA, ezmsg-learn's IncrementalCCA)
 * against the same update in numpy (tests/ref/gen_learn2.py): smoothed
 * covariances with the adaptive factor (both clamps reached: a 30x jump in
 * one batch drives the target to min_smoothing; small signals with base
 * 0.995 are clamped to max_smoothing), eigh inverse square roots, SVD, the sign convention;
 * projections and correlations per pair; pairing in arrival order; axis
 * metadata; empty pairs; reset on a template change; errors that leave the
 * state usable; model files (save after 4 of 7 batches, load in a new
 * instance, fit the other 3: the same outputs as one uninterrupted run, and
 * the same from numpy's state exported by tools/python/ezc_models.py); no
 * allocation on the steady path.
 *
 * Tolerance 1e-9 relative: LAPACK's eigh/SVD vs numpy's on 6 x 6 and 5 x 5
 * covariances whose inverse square roots amplify rounding by their
 * condition (~1e4 after the 30x batch), over 7 recursive updates.
 * Chunk invariance does not apply: each message pair is one batch of the
 * update by definition (as in ezmsg-learn), so cutting the stream
 * differently is a different computation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"
#include "../learn/model_file.h"

extern const ezc_transformer_type ezc_cca_type;

#define NB 7

static int64_t sizes[NB], starts[NB];

/* The reference batch sizes (a fixture: tc_ref asserts inside tests only). */
static void load_sizes(void)
{
    ezc_array *s = tc_ref("cca_sizes");
    for (int b = 0; b < NB; b++) {
        sizes[b] = (int64_t)tc_get(s, (size_t)b, 0);
        starts[b] = b ? starts[b - 1] + sizes[b - 1] : 0;
    }
    ezc_array_destroy(&s);
}

static ezc_array *view(const char *name, int64_t at, int64_t n, DLDevice dev)
{
    ezc_error err;
    ezc_array *all = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(all, 0, 0.01, 2.0, "s");
    ezc_array *v = ezc_array_slice(all, 0, at, at + n, &err);
    ezc_array_destroy(&all);
    return tc_to(v, dev);
}

/* Runs the reference batches (x then y, or y then x for odd ones) and
 * checks each pair's output against rows of `ref`. */
static void run_case(const char *settings, const char *xs, const char *ys, const char *ref,
                     int corr, DLDevice dev)
{
    ezc_error err;
    ezc_transformer *t = tc_make(&ezc_cca_type, settings);
    ezc_array *want = tc_ref("%s", ref);
    int64_t cols = want->shape[1];
    for (int b = 0; b < NB; b++) {
        int first = b % 2;
        ezc_array *x = view(xs, starts[b], sizes[b], dev);
        ezc_array *y = view(ys, starts[b], sizes[b], dev);
        ezc_array *o = tc_apply_port(t, first, first ? y : x);
        ck_assert_ptr_null(o);
        o = tc_host(tc_apply_port(t, !first, first ? x : y));
        int64_t r0 = corr ? b : starts[b], rows = corr ? 1 : sizes[b];
        ezc_array *w = ezc_array_slice(want, 0, r0, r0 + rows, &err);
        ck_assert_str_eq(o->dims[0], "time");
        ck_assert_str_eq(o->dims[1], "component");
        ck_assert_int_eq(o->dtype, EZC_FLOAT64);
        ck_assert_int_eq(o->shape[1], cols);
        tc_assert_close(o, w, 1e-9, 1e-12, ref);
        /* the time axis: all of x's, or its last sample for correlations */
        ck_assert_int_eq(o->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(o->axes[0].gain, 0.01, 1e-15);
        double t0 = 2.0 + 0.01 * (double)(starts[b] + (corr ? sizes[b] - 1 : 0));
        ck_assert_double_eq_tol(o->axes[0].offset, t0, 1e-12);
        ezc_array_destroy(&w);
        ezc_array_destroy(&o);
        if (b == 2) { /* an empty pair changes nothing */
            ezc_array *ex = view(xs, 0, 0, dev), *ey = view(ys, 0, 0, dev);
            ck_assert_ptr_null(tc_apply_port(t, 0, ex));
            o = tc_apply_port(t, 1, ey);
            if (corr) {
                ck_assert_ptr_null(o);
            } else {
                ck_assert_int_eq(o->shape[0], 0);
                ck_assert_int_eq(o->shape[1], cols);
                ezc_array_destroy(&o);
            }
        }
    }
    ezc_array_destroy(&want);
    ezc_transformer_destroy(&t);
}

START_TEST(t_cca_matches_numpy)
{
    DLDevice dev = tc_dev(_i);
    run_case("n_components=3", "cca_x", "cca_y", "cca_a_proj", 0, dev);
    run_case("n_components=3; output=correlations", "cca_x", "cca_y", "cca_a_corr", 1, dev);
    run_case("n_components=2; base_smoothing=0.995", "cca_bx", "cca_by", "cca_b_proj", 0, dev);
    run_case("n_components=2; base_smoothing=0.995; output=correlations", "cca_bx", "cca_by",
             "cca_b_corr", 1, dev);
}
END_TEST

static ezc_array *as_f32(ezc_array *a, DLDevice dev)
{
    ezc_error err;
    ezc_array *h = tc_host(a), *y = ezc_array_new_like(h, EZC_FLOAT32, 0, NULL, &err);
    ezc_xp_cpu()->astype(h, y, &err);
    ezc_array_destroy(&h);
    return tc_to(y, dev);
}

/* Pairs form in arrival order: two x messages, then two y messages. Other
 * dtypes are converted (float32 in: float64 out). */
START_TEST(t_cca_pairs_in_order)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_cca_type, "n_components=3; output=correlations");
    ck_assert_ptr_null(tc_apply_port(t, 0, view("cca_x", starts[0], sizes[0], dev)));
    ck_assert_ptr_null(tc_apply_port(t, 0, view("cca_x", starts[1], sizes[1], dev)));
    ezc_array *o0 =
        tc_host(tc_apply_port(t, 1, as_f32(view("cca_y", starts[0], sizes[0], dev), dev)));
    ezc_array *o1 =
        tc_host(tc_apply_port(t, 1, as_f32(view("cca_y", starts[1], sizes[1], dev), dev)));
    ezc_array *want = tc_ref("cca_a_corr");
    ezc_array *w0 = ezc_array_slice(want, 0, 0, 1, &err),
              *w1 = ezc_array_slice(want, 0, 1, 2, &err);
    ck_assert_int_eq(o1->dtype, EZC_FLOAT64);
    /* y rounded to float32 (relative 6e-8) moves the correlations by ~1e-7 */
    tc_assert_close(o0, w0, 1e-5, 1e-7, "pair 0 (float32 y)");
    tc_assert_close(o1, w1, 1e-5, 1e-7, "pair 1 (float32 y)");
    ezc_array *arrs[] = {o0, o1, want, w0, w1};
    for (int i = 0; i < 5; i++)
        ezc_array_destroy(&arrs[i]);
    ezc_transformer_destroy(&t);
}
END_TEST

/* A new key on x restarts from zero covariances and the base factor. */
START_TEST(t_cca_template_change_resets)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_cca_type, "n_components=3; output=correlations");
    for (int b = 3; b < 6; b++) {
        ck_assert_ptr_null(tc_apply_port(t, 0, view("cca_x", starts[b], sizes[b], dev)));
        ezc_array *o = tc_apply_port(t, 1, view("cca_y", starts[b], sizes[b], dev));
        ezc_array_destroy(&o);
    }
    ezc_array *x = view("cca_x", starts[0], sizes[0], dev);
    ezc_array_set_key(x, "other", &err);
    ck_assert_ptr_null(tc_apply_port(t, 0, x));
    ezc_array *o = tc_host(tc_apply_port(t, 1, view("cca_y", starts[0], sizes[0], dev)));
    ezc_array *want = tc_ref("cca_a_corr"), *w0 = ezc_array_slice(want, 0, 0, 1, &err);
    tc_assert_close(o, w0, 1e-9, 1e-12, "after reset");
    ezc_array_destroy(&o);
    ezc_array_destroy(&want);
    ezc_array_destroy(&w0);
    ezc_transformer_destroy(&t);
}
END_TEST

/* Batches [b0, b1) of case a through t (projections), joined on the host. */
static ezc_array *run_batches(ezc_transformer *t, int b0, int b1, DLDevice dev)
{
    ezc_error err;
    ezc_array *parts[NB];
    for (int b = b0; b < b1; b++) {
        ck_assert_ptr_null(tc_apply_port(t, 0, view("cca_x", starts[b], sizes[b], dev)));
        parts[b - b0] = tc_host(tc_apply_port(t, 1, view("cca_y", starts[b], sizes[b], dev)));
    }
    ezc_array *all = ezc_array_concat((const ezc_array *const *)parts, (size_t)(b1 - b0), 0, &err);
    ck_assert_msg(all != NULL, "%s", err.msg);
    for (int b = 0; b < b1 - b0; b++)
        ezc_array_destroy(&parts[b]);
    return all;
}

static const ezc_model_array *find(const ezc_model *m, const char *name)
{
    for (size_t i = 0; i < m->narrays; i++)
        if (!strcmp(m->arrays[i].name, name))
            return &m->arrays[i];
    ck_abort_msg("no array %s", name);
    return NULL;
}

static ezc_array *model_array(const ezc_model *m, const char *name)
{
    const ezc_model_array *a = find(m, name);
    return tc_array(EZC_FLOAT64, a->ndim, a->shape, a->data);
}

/* Resuming from a model file equals never stopping. C's own file: 1e-13
 * relative (the state round-trips bit for bit; only the eigh/SVD run again
 * on the same numbers). numpy's state (ezc_models.save_cca, written by
 * gen_learn2.py): 1e-9, as against numpy throughout. */
START_TEST(t_cca_model_resume)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    char s[600];
    ezc_transformer *t = tc_make(&ezc_cca_type, "n_components=3");
    ezc_array *whole = run_batches(t, 0, NB, dev);
    ezc_transformer_destroy(&t);
    snprintf(s, sizeof s, "n_components=3; save=%s", tc_tmp_path("half.ezm"));
    t = tc_make(&ezc_cca_type, s);
    ezc_array *first = run_batches(t, 0, 4, dev);
    ezc_transformer_destroy(&t);
    snprintf(s, sizeof s, "n_components=3; model=%s", tc_tmp_path("half.ezm"));
    t = tc_make(&ezc_cca_type, s);
    ezc_array *second = run_batches(t, 4, NB, dev);
    ezc_transformer_destroy(&t);
    ezc_array *w1 = ezc_array_slice(whole, 0, 0, starts[4], &err);
    ezc_array *w2 = ezc_array_slice(whole, 0, starts[4], whole->shape[0], &err);
    tc_assert_close(first, w1, 1e-13, 1e-15, "first half");
    tc_assert_close(second, w2, 1e-13, 1e-15, "resumed from the saved state");

    /* the state numpy exported after the same 4 batches */
    snprintf(s, sizeof s, "n_components=3; model=%s/tests/ref/learn2_cca_a_half.ezm",
             getenv("EZC_SOURCE_DIR"));
    t = tc_make(&ezc_cca_type, s);
    ezc_array *py = run_batches(t, 4, NB, dev);
    ezc_transformer_destroy(&t);
    ezc_array *ref = tc_ref("cca_a_proj");
    ezc_array *r2 = ezc_array_slice(ref, 0, starts[4], ref->shape[0], &err);
    tc_assert_close(py, r2, 1e-9, 1e-12, "resumed from numpy's state");

    /* the saved file against numpy's: covariances, factor, counts, weights */
    ezc_model *mc = NULL, *mp = NULL;
    ck_assert_msg(ezc_model_load(tc_tmp_path("half.ezm"), &mc, &err) == 0, "%s", err.msg);
    snprintf(s, sizeof s, "%s/tests/ref/learn2_cca_a_half.ezm", getenv("EZC_SOURCE_DIR"));
    ck_assert_msg(ezc_model_load(s, &mp, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(mc->kind, "cca");
    static const char *names[] = {"C11",       "C22",       "C12",       "smoothing",   "n_samples",
                                  "n_batches", "x_weights", "y_weights", "correlations"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ezc_array *a = model_array(mc, names[i]), *b = model_array(mp, names[i]);
        tc_assert_close(a, b, 1e-9, 1e-12, names[i]);
        ezc_array_destroy(&a);
        ezc_array_destroy(&b);
    }
    ck_assert_double_eq(find(mc, "n_samples")->data[0], 145.0);
    ck_assert_double_eq(find(mc, "n_batches")->data[0], 4.0);
    ezc_model_destroy(&mc);
    ezc_model_destroy(&mp);

    /* views of other sizes than the model's: refused, naming both */
    snprintf(s, sizeof s, "n_components=3; model=%s", tc_tmp_path("half.ezm"));
    t = tc_make(&ezc_cca_type, s);
    ezc_array *out = NULL;
    ck_assert_ptr_null(tc_apply_port(t, 0, view("cca_y", 0, 10, dev)));
    ck_assert_int_eq(ezc_transformer_process(t, 1, view("cca_x", 0, 10, dev), &out, &err),
                     EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "cca: setting 'model' = ") &&
                      strstr(err.msg, "half.ezm: the model has 6 x and 5 y features, the views 5 "
                                      "and 6"),
                  "%s", err.msg);
    ezc_transformer_destroy(&t);
    snprintf(s, sizeof s, "model=%s/tests/ref/learn2.bin", getenv("EZC_SOURCE_DIR"));
    const char *m = tc_make_fails(&ezc_cca_type, s, EZC_EINVAL);
    ck_assert_msg(strstr(m, "cca: setting 'model'") && strstr(m, "learn2.bin"), "%s", m);
    ezc_array *arrs[] = {whole, first, second, w1, w2, py, ref, r2};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++)
        ezc_array_destroy(&arrs[i]);
}
END_TEST

START_TEST(t_cca_errors)
{
    ezc_error err;
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_cca_type, "n_components=3; output=correlations; max_lag=2");
    ezc_array *out = NULL;
    /* sample counts differ */
    tc_apply_port(t, 0, view("cca_x", 0, 10, dev));
    ck_assert_int_eq(ezc_transformer_process(t, 1, view("cca_y", 0, 11, dev), &out, &err),
                     EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "cca: port 'x' brought 10 samples, port 'y' 11"), "%s", err.msg);
    /* NaN: the pair is refused, the state untouched */
    ezc_array *bad = tc_host(view("cca_x", starts[0], sizes[0], dev));
    ((double *)ezc_array_data(bad))[7] = NAN;
    tc_apply_port(t, 0, tc_to(bad, dev));
    ck_assert_int_eq(
        ezc_transformer_process(t, 1, view("cca_y", starts[0], sizes[0], dev), &out, &err),
        EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "cca: NaN or inf in the data"), "%s", err.msg);
    for (int b = 0; b < 2; b++) {
        tc_apply_port(t, 0, view("cca_x", starts[b], sizes[b], dev));
        ezc_array *o = tc_host(tc_apply_port(t, 1, view("cca_y", starts[b], sizes[b], dev)));
        ezc_array *want = tc_ref("cca_a_corr"), *w = ezc_array_slice(want, 0, b, b + 1, &err);
        tc_assert_close(o, w, 1e-9, 1e-12, "after refused pairs");
        ezc_array *arrs[] = {o, want, w};
        for (int i = 0; i < 3; i++)
            ezc_array_destroy(&arrs[i]);
    }
    /* one port too far ahead */
    tc_apply_port(t, 0, view("cca_x", 0, 5, dev));
    tc_apply_port(t, 0, view("cca_x", 0, 5, dev));
    ck_assert_int_eq(ezc_transformer_process(t, 0, view("cca_x", 0, 5, dev), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "cca: port 'x' ran 2 messages ahead of port 'y'"), "%s", err.msg);
    ezc_transformer_destroy(&t);
    /* more components than a view has features */
    t = tc_make(&ezc_cca_type, "n_components=6");
    tc_apply_port(t, 0, view("cca_x", 0, 10, dev));
    ck_assert_int_eq(ezc_transformer_process(t, 1, view("cca_y", 0, 10, dev), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "cca: setting 'n_components' = 6: the views have 6 and 5"), "%s",
                  err.msg);
    ezc_transformer_destroy(&t);
    const char *m =
        tc_make_fails(&ezc_cca_type, "min_smoothing=0.9; max_smoothing=0.8", EZC_EINVAL);
    ck_assert_msg(strstr(m, "cca: setting 'min_smoothing' = 0.9 is above max_smoothing"), "%s", m);
    m = tc_make_fails(&ezc_cca_type, "base_smoothing=1.5", EZC_EINVAL);
    ck_assert_msg(strstr(m, "cca: setting 'base_smoothing' = 1.5: expected 0..1"), "%s", m);
    m = tc_make_fails(&ezc_cca_type, "n_components=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "n_components"), "%s", m);
    m = tc_make_fails(&ezc_cca_type, "output=weights", EZC_EINVAL);
    ck_assert_msg(strstr(m, "output"), "%s", m);
}
END_TEST

START_TEST(t_cca_steady_path_allocates_nothing)
{
    DLDevice dev = tc_dev(_i);
    for (int corr = 0; corr < 2; corr++) {
        ezc_transformer *t = tc_make(&ezc_cca_type, corr ? "output=correlations" : NULL);
        ezc_array *x = view("cca_x", 0, 40, dev), *y = view("cca_y", 0, 40, dev);
        ezc_error err;
        for (int i = 0; i < 12; i++) {
            uint64_t before = ezc_buffer_new_count();
            ck_assert_ptr_null(tc_apply_port(t, 0, ezc_array_clone(x, &err)));
            ezc_array *o = tc_apply_port(t, 1, ezc_array_clone(y, &err));
            ezc_array_destroy(&o);
            if (i >= 2)
                ck_assert_uint_eq(ezc_buffer_new_count(), before);
        }
        ezc_array_destroy(&x);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

int main(void)
{
    tc_refs_load("learn2");
    tc_devices_init();
    Suite *suite = suite_create("learn_cca");
    TCase *tc = tcase_create("cca");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, load_sizes, NULL);
    tcase_add_loop_test(tc, t_cca_matches_numpy, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_cca_pairs_in_order, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_cca_template_change_resets, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_cca_errors, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_cca_model_resume, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_cca_steady_path_allocates_nothing, 0, tc_ndevs());
    suite_add_tcase(suite, tc);
    return tc_run_suite(suite);
}
