/* test_tf_axis.c — diff, transpose and slicer against numpy
 * (tests/ref/gen_tf_core.py) on every backend: values, the axis metadata
 * each one promises (dims, gains, offsets, coordinates), chunk invariance
 * for the stateful diff, template resets, and errors by name.
 * Tolerances: diff is one subtraction (and one multiply with scale_by_fs):
 * 1e-12 relative for float64, 1e-5 for float32; integer results exact;
 * transpose and slicer move values, so they must match exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_diff_type, ezc_transpose_type, ezc_slicer_type;

static const char *const sfx[2] = {"f32", "f64"};

static ezc_array *timeseries(const char *name, double fs)
{
    ezc_array *x = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / fs, 2.0, "s");
    return x;
}

START_TEST(t_diff_values_and_chunks)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        char xn[32], what[64];
        snprintf(xn, sizeof xn, "diff_x_%s", sfx[k]);
        ezc_array *want = tc_ref("diff_time_%s", sfx[k]);
        double tol = tc_tol(want->dtype);
        /* whole */
        ezc_transformer *t = tc_make(&ezc_diff_type, "");
        ezc_array *y = tc_host(tc_apply(t, tc_to(timeseries(xn, 250), dev)));
        tc_assert_close(y, want, tol, tol, "diff whole");
        ck_assert_double_eq(y->axes[0].gain, 1.0 / 250); /* time axis kept */
        ck_assert_double_eq(y->axes[0].offset, 2.0);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
        /* random chunks, 0 and 1 included, several seeds */
        for (unsigned seed = 1; seed <= 5; seed++) {
            int64_t lens[64];
            ezc_array *x = tc_to(timeseries(xn, 250), dev);
            size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
            t = tc_make(&ezc_diff_type, "axis=time");
            y = tc_apply_chunks(t, x, 0, lens, n, NULL);
            snprintf(what, sizeof what, "diff %s chunks seed %u", sfx[k], seed);
            tc_assert_close(y, want, tol, tol, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&x);
            ezc_transformer_destroy(&t);
        }
        ezc_array_destroy(&want);
        /* scale_by_fs: per second */
        t = tc_make(&ezc_diff_type, "scale_by_fs=true");
        y = tc_host(tc_apply(t, tc_to(timeseries(xn, 250), dev)));
        want = tc_ref("diff_time_fs_%s", sfx[k]);
        tc_assert_close(y, want, tol, tol, "diff scale_by_fs");
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
        /* along ch, in chunks of one channel */
        t = tc_make(&ezc_diff_type, "axis=ch");
        ezc_array *x = tc_to(timeseries(xn, 250), dev);
        int64_t lens[3] = {1, 1, 1};
        y = tc_apply_chunks(t, x, 1, lens, 3, NULL);
        want = tc_ref("diff_ch_%s", sfx[k]);
        tc_assert_close(y, want, tol, tol, "diff along ch");
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_diff_ints_reset_errors)
{
    /* integers stay integers, exact */
    ezc_transformer *t = tc_make(&ezc_diff_type, "");
    ezc_array *y = tc_apply(t, timeseries("diff_x_i32", 100));
    ezc_array *want = tc_ref("diff_time_i32");
    ck_assert_int_eq(y->dtype, EZC_INT32);
    tc_assert_close(y, want, 0, 0, "diff int32");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    /* a new channel count resets: the first output sample is 0 again */
    ezc_array *x = timeseries("diff_x_f64", 100);
    y = tc_apply(t, x);
    ck_assert_double_eq(tc_get(y, 0, 0), 0.0);
    ezc_array_destroy(&y);
    /* the same template carries: the next message's first sample is x[0] - last */
    x = timeseries("diff_x_f64", 100);
    double first = tc_get(x, 0, 0), last = tc_get(x, 39 * 3, 0);
    y = tc_apply(t, x);
    ck_assert_double_eq(tc_get(y, 0, 0), first - last);
    ezc_array_destroy(&y);
    /* a new sampling rate resets too */
    y = tc_apply(t, timeseries("diff_x_f64", 200));
    ck_assert_double_eq(tc_get(y, 0, 0), 0.0);
    ezc_array_destroy(&y);
    /* errors name the transformer, the setting and the value */
    const char *m = tc_apply_fails(t, tc_dims(tc_ref("diff_x_f64"), "freq", "ch"), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "diff: setting 'axis' = 'time': the message has no such dim "
                            "(dims: freq, ch)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_diff_type, "scale_by_fs=true");
    m = tc_apply_fails(t, tc_dims(tc_ref("diff_x_f64"), "time", "ch"), EZC_EINVAL);
    ck_assert_msg(strstr(m, "diff: setting 'scale_by_fs' = true: dim 'time' has no linear axis"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_diff_type, "scale_by_fs=maybe", EZC_EINVAL);
    ck_assert_msg(strstr(m, "scale_by_fs") && strstr(m, "maybe"), "%s", m);
}
END_TEST

START_TEST(t_diff_steady_no_alloc)
{
    ezc_transformer *t = tc_make(&ezc_diff_type, "");
    ezc_array *y = tc_apply(t, timeseries("diff_x_f32", 100));
    ezc_array_destroy(&y);
    uint64_t before = ezc_buffer_new_count();
    ezc_array *x = timeseries("diff_x_f32", 100);
    before = ezc_buffer_new_count(); /* the input itself is not the transformer's */
    for (int i = 0; i < 50; i++) {
        ezc_error err;
        y = tc_apply(t, ezc_array_clone(x, &err));
        ezc_array_destroy(&y);
    }
    ck_assert_uint_eq(ezc_buffer_new_count(), before);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

static ezc_array *abc(void)
{
    ezc_error err;
    ezc_array *x = tc_dims(tc_ref("tr_x"), "a", "b", "c");
    const char *labels[3] = {"x", "y", "z"};
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 1, labels, 3, "", &err), 0);
    ezc_array_set_linear_axis(x, 2, 0.5, 1.0, "Hz");
    return x;
}

START_TEST(t_transpose)
{
    DLDevice dev = tc_dev(_i);
    struct {
        const char *set, *want, *dims[3];
    } cases[] = {
        {"axes=[c, ...]", "tr_c_ell", {"c", "a", "b"}},
        {"axes=[b, a, c]", "tr_b_a_c", {"b", "a", "c"}},
        {"axes=[..., a]", "tr_ell_a", {"b", "c", "a"}},
        {"axes=[1, 0, -1]", "tr_b_a_c", {"b", "a", "c"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ezc_transformer *t = tc_make(&ezc_transpose_type, cases[c].set);
        ezc_array *y = tc_host(tc_apply(t, tc_to(abc(), dev)));
        ezc_array *want = tc_ref("%s", cases[c].want);
        tc_assert_close(y, want, 0, 0, cases[c].set);
        for (int d = 0; d < 3; d++) {
            ck_assert_str_eq(y->dims[d], cases[c].dims[d]);
            if (!strcmp(y->dims[d], "b"))
                ck_assert_str_eq(y->axes[d].coords->labels[2], "z");
            if (!strcmp(y->dims[d], "c"))
                ck_assert(y->axes[d].kind == EZC_AXIS_LINEAR && y->axes[d].gain == 0.5);
        }
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
    /* identity: the same array back */
    ezc_transformer *t = tc_make(&ezc_transpose_type, "axes=[a, ...]");
    ezc_array *x = abc();
    void *data = ezc_array_data(x);
    ezc_array *y = tc_apply(t, x);
    ck_assert_ptr_eq(ezc_array_data(y), data);
    ezc_array_destroy(&y);
    /* errors */
    const char *m = tc_apply_fails(t, tc_dims(tc_ref("tr_x"), "p", "q", "r"), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "transpose: setting 'axes': 'a' is not a dim of the message"), "%s", m);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_transpose_type, "axes=[a, b]");
    m = tc_apply_fails(t, abc(), EZC_EINVAL);
    ck_assert_msg(strstr(m, "names 2 of the message's 3 dims; add '...'"), "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_transpose_type, "axes=[..., a, ...]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'...' may appear once"), "%s", m);
    m = tc_make_fails(&ezc_transpose_type, "", EZC_EINVAL);
    ck_assert_msg(strstr(m, "axes"), "%s", m);
}
END_TEST

static ezc_array *montage(void)
{
    ezc_error err;
    ezc_array *x = tc_dims(tc_ref("sl_x"), "time", "ch");
    const char *labels[6] = {"Fz", "C3", "C4", "Cz", "P3", "P4"};
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 1, labels, 6, "", &err), 0);
    ezc_array_set_linear_axis(x, 0, 0.01, 3.0, "s");
    return x;
}

START_TEST(t_slicer)
{
    DLDevice dev = tc_dev(_i);
    struct {
        const char *set, *want, *first_label;
        int ndim;
    } cases[] = {
        {"selection=1:4", "sl_1_4", "C3", 2},
        {"selection=::2", "sl_step2", "Fz", 2},
        {"selection=-1", "sl_last", NULL, 1},
        {"selection=0, 2, 5", "sl_list", "Fz", 2},
        {"selection=Cz, C3; order=selection", "sl_labels", "Cz", 2},
        {"selection=4:1:-1", "sl_rev", "P3", 2},
        {"selection=1:4; axis=time", "sl_time", "Fz", 2},
        {"selection=:", "sl_x", "Fz", 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ezc_transformer *t = tc_make(&ezc_slicer_type, cases[c].set);
        ezc_array *y = tc_host(tc_apply(t, tc_to(montage(), dev)));
        ezc_array *want = tc_ref("%s", cases[c].want);
        tc_assert_close(y, want, 0, 0, cases[c].set);
        ck_assert_int_eq(ezc_array_ndim(y), cases[c].ndim);
        ck_assert_str_eq(y->dims[0], "time");
        if (cases[c].first_label)
            ck_assert_str_eq(y->axes[1].coords->labels[0], cases[c].first_label);
        else
            ck_assert_int_eq(ezc_array_axis_index(y, "ch"), -1); /* dim dropped */
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
    /* time sliced: the linear axis moves (offset + start * gain), and with a
     * step keeps its spacing times the step */
    ezc_transformer *t = tc_make(&ezc_slicer_type, "selection=1:4; axis=time");
    ezc_array *y = tc_apply(t, tc_to(montage(), dev));
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq_tol(y->axes[0].offset, 3.01, 1e-15);
    ck_assert_double_eq(y->axes[0].gain, 0.01);
    ck_assert_str_eq(y->axes[0].unit, "s");
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_slicer_type, "selection=1::2; axis=time");
    y = tc_apply(t, tc_to(montage(), dev));
    ck_assert_int_eq(y->shape[0], 2);
    ck_assert_double_eq_tol(y->axes[0].offset, 3.01, 1e-15);
    ck_assert_double_eq_tol(y->axes[0].gain, 0.02, 1e-15);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* irregular picks from a linear axis become coordinates */
    t = tc_make(&ezc_slicer_type, "selection=0, 3, 4; axis=time");
    y = tc_apply(t, tc_to(montage(), dev));
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_COORD);
    ck_assert_double_eq_tol(y->axes[0].coords->values[1], 3.03, 1e-15);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

/* sl_x's columns named by reference NAME (indices written by the
 * generator's model of ezmsg-sigproc's Slicer). */
static ezc_array *columns(const char *name)
{
    ezc_array *x = tc_ref("sl_x"), *idx = tc_ref("%s", name);
    int64_t n = idx->shape[0], shape[2] = {x->shape[0], n};
    double *v = malloc((size_t)(shape[0] * n) * sizeof *v);
    for (int64_t t = 0; t < shape[0]; t++)
        for (int64_t j = 0; j < n; j++)
            v[t * n + j] =
                tc_get(x, (size_t)(t * x->shape[1] + (int64_t)tc_get(idx, (size_t)j, 0)), 0);
    ezc_array *w = tc_array(EZC_FLOAT64, 2, shape, v);
    free(v);
    ezc_array_destroy(&x);
    ezc_array_destroy(&idx);
    return w;
}

/* ezmsg-sigproc's `order` (default axis: deduplicated, sorted into axis
 * order; selection: deduplicated, token order) and its regular-expression
 * fallback for labels; exact values against the generator's picks. */
START_TEST(t_slicer_order_and_regex)
{
    DLDevice dev = tc_dev(_i);
    struct {
        const char *set, *want, *labels;
    } cases[] = {
        {"selection=Cz, C3", "sl_labels_axis_idx", "C3 Cz"},
        {"selection=3,1,1:3", "sl_dups_axis_idx", "C3 C4 Cz"},
        {"selection=3,1,1:3; order=selection", "sl_dups_sel_idx", "Cz C3 C4"},
        {"selection=C[34]", "sl_regex_idx", "C3 C4"},
        {"selection=P.*, Fz", "sl_regex_mix_axis_idx", "Fz P3 P4"},
        {"selection=P.*, Fz; order=selection", "sl_regex_mix_sel_idx", "P3 P4 Fz"},
        {"selection=Cz", "sl_label_one_idx", "Cz"}, /* a label keeps the dim */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ezc_transformer *t = tc_make(&ezc_slicer_type, cases[c].set);
        ezc_array *y = tc_host(tc_apply(t, tc_to(montage(), dev)));
        ezc_array *want = columns(cases[c].want);
        tc_assert_close(y, want, 0, 0, cases[c].set);
        ck_assert_int_eq(ezc_array_ndim(y), 2);
        char got[64] = "";
        for (size_t j = 0; j < (size_t)y->shape[1]; j++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", j ? " " : "",
                     y->axes[1].coords->labels[j]);
        ck_assert_msg(strcmp(got, cases[c].labels) == 0, "%s: labels %s, want %s", cases[c].set,
                      got, cases[c].labels);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_slicer_errors_and_no_alloc)
{
    ezc_transformer *t = tc_make(&ezc_slicer_type, "selection=Oz");
    const char *m = tc_apply_fails(t, montage(), EZC_ENOTFOUND);
    ck_assert_msg(!strcmp(m, "slicer: setting 'selection' = 'Oz': 'Oz' matched no label of dim "
                             "'ch' (neither exactly nor as a regular expression)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_slicer_type, "selection=Fz, C[");
    m = tc_apply_fails(t, montage(), EZC_EINVAL);
    ck_assert_msg(strstr(m, "slicer: setting 'selection' = 'Fz, C[': 'C[' is neither an index, "
                            "a label of dim 'ch' nor a valid regular expression ("),
                  "%s", m);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_slicer_type, "selection=Pz, Fz");
    m = tc_apply_fails(t, montage(), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "'Pz' matched no label of dim 'ch'"), "%s", m);
    ezc_transformer_destroy(&t);
    /* a dim without labels: a word is neither an index nor a label */
    t = tc_make(&ezc_slicer_type, "selection=Oz; axis=time");
    m = tc_apply_fails(t, montage(), EZC_ENOTFOUND);
    ck_assert_msg(!strcmp(m, "slicer: setting 'selection' = 'Oz': 'Oz' is neither an index nor "
                             "a label of dim 'time'"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_slicer_type, "selection=1; order=token", EZC_EINVAL);
    ck_assert_msg(strstr(m, "order"), "%s", m);
    t = tc_make(&ezc_slicer_type, "selection=6");
    m = tc_apply_fails(t, montage(), EZC_EINVAL);
    ck_assert_msg(strstr(m, "index 6 is out of range for dim 'ch' of length 6"), "%s", m);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_slicer_type, "selection=::0");
    m = tc_apply_fails(t, montage(), EZC_EINVAL);
    ck_assert_msg(strstr(m, "slicer: setting 'selection' = '::0': step 0"), "%s", m);
    ezc_transformer_destroy(&t);
    /* a steady stream allocates no data */
    t = tc_make(&ezc_slicer_type, "selection=1, 3");
    ezc_array *y = tc_apply(t, montage());
    ezc_array_destroy(&y);
    ezc_array *x = montage();
    uint64_t before = ezc_buffer_new_count();
    for (int i = 0; i < 20; i++) {
        ezc_error err;
        y = tc_apply(t, ezc_array_clone(x, &err));
        ezc_array_destroy(&y);
    }
    ck_assert_uint_eq(ezc_buffer_new_count(), before);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_core");
    tc_devices_init();
    Suite *s = suite_create("tf_axis");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_diff_values_and_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_diff_ints_reset_errors);
    tcase_add_test(tc, t_diff_steady_no_alloc);
    tcase_add_loop_test(tc, t_transpose, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_slicer, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_slicer_order_and_regex, 0, tc_ndevs());
    tcase_add_test(tc, t_slicer_errors_and_no_alloc);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
