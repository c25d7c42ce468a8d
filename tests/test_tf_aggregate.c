/* test_tf_aggregate.c — aggregate and ranged_aggregate against numpy
 * (tests/ref/gen_tf_core.py) on every backend the op exists on: each
 * reduction and its nan- form, trapezoid over the axis values, band index
 * ranges, band centres, argmin/argmax as axis values, dims and axes after,
 * and errors by name. Tolerances: sums and moments 1e-12 relative (float64)
 * / 1e-5 (float32) with an absolute floor of the same size for results near
 * 0 (a mean of values of order 1); min/max/median/arg exact. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_aggregate_type, ezc_ranged_aggregate_type, ezc_bandpower_type;

static const char *const sfx[2] = {"f32", "f64"};

static ezc_array *wfc(const char *name)
{
    ezc_error err;
    ezc_array *x = tc_dims(tc_ref("%s", name), "win", "freq", "ch");
    ezc_array_set_linear_axis(x, 1, 0.5, 2.0, "Hz");
    const char *labels[3] = {"C3", "Cz", "C4"};
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 2, labels, 3, "", &err), 0);
    return x;
}

/* True when the device's backend has reduce(op) (the CUDA backend lacks
 * median, nan- and arg- reductions for now). */
static int has_op(DLDevice dev, const char *op)
{
    if (dev.device_type == kDLCPU)
        return 1;
    return !strstr(op, "nan") && !strstr(op, "median") && !strstr(op, "arg") &&
           strcmp(op, "prod") != 0;
}

START_TEST(t_aggregate_ops)
{
    DLDevice dev = tc_dev(_i);
    static const char *ops[] = {"mean",    "sum",       "min",       "max",       "std",
                                "var",     "median",    "prod",      "argmin",    "argmax",
                                "nanmean", "nansum",    "nanmin",    "nanmax",    "nanstd",
                                "nanvar",  "nanmedian", "nanargmin", "nanargmax", "trapezoid"};
    for (int k = 0; k < 2; k++)
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            if (!has_op(dev, ops[o])) {
                printf("aggregate %s on %s: not implemented there, skipped\n", ops[o], "cuda");
                continue;
            }
            char set[64], what[64];
            snprintf(set, sizeof set, "axis=freq; operation=%s", ops[o]);
            ezc_transformer *t = tc_make(&ezc_aggregate_type, set);
            int nan = !strncmp(ops[o], "nan", 3);
            ezc_array *x = tc_to(
                wfc(nan ? (k ? "agg_xnan_f64" : "agg_xnan_f32") : (k ? "agg_x_f64" : "agg_x_f32")),
                dev);
            ezc_array *y = tc_host(tc_apply(t, x));
            ezc_array *want = tc_ref("agg_%s_%s", ops[o], sfx[k]);
            snprintf(what, sizeof what, "aggregate %s %s", ops[o], sfx[k]);
            double tol = tc_tol(k ? EZC_FLOAT64 : EZC_FLOAT32);
            tc_assert_close(y, want, tol, tol, what);
            /* freq is gone; the other dims and their axes stay */
            ck_assert_int_eq(ezc_array_ndim(y), 2);
            ck_assert_str_eq(y->dims[0], "win");
            ck_assert_str_eq(y->dims[1], "ch");
            ck_assert_str_eq(y->axes[1].coords->labels[2], "C4");
            if (strstr(ops[o], "arg"))
                ck_assert_int_eq(y->dtype, EZC_INT64);
            else
                ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32);
            ezc_array_destroy(&y);
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&t);
        }
}
END_TEST

START_TEST(t_aggregate_errors)
{
    const char *m = tc_make_fails(&ezc_aggregate_type, "axis=freq; operation=average", EZC_EINVAL);
    ck_assert_msg(strstr(m, "aggregate: setting 'operation' = 'average'"), "%s", m);
    m = tc_make_fails(&ezc_aggregate_type, "operation=mean", EZC_EINVAL);
    ck_assert_msg(strstr(m, "axis"), "%s", m);
    ezc_transformer *t = tc_make(&ezc_aggregate_type, "axis=time");
    m = tc_apply_fails(t, wfc("agg_x_f64"), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "aggregate: setting 'axis' = 'time': the message has no such dim "
                            "(dims: win, freq, ch)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    /* an all-NaN slice has no nanargmax: an error, not a made-up index */
    t = tc_make(&ezc_aggregate_type, "axis=win; operation=nanargmax");
    ezc_error err;
    int64_t shape[2] = {2, 1};
    ezc_array *x = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), &err);
    ((double *)ezc_array_data(x))[0] = NAN;
    ((double *)ezc_array_data(x))[1] = NAN;
    tc_dims(x, "win", "ch");
    m = tc_apply_fails(t, x, EZC_ENUMERIC);
    ck_assert_msg(strstr(m, "all-NaN"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

static ezc_array *spectrum_like(int coords)
{
    ezc_error err;
    ezc_array *x = tc_dims(tc_ref("rng_x"), "win", "freq", "ch");
    if (coords) {
        ezc_array *c = tc_ref("rng_coords");
        ck_assert_int_eq(ezc_array_set_coord_values(x, 1, ezc_array_data(c), 33, "Hz", &err), 0);
        ezc_array_destroy(&c);
    } else {
        ezc_array_set_linear_axis(x, 1, 0.5, 0.0, "Hz");
    }
    return x;
}

START_TEST(t_ranged_linear)
{
    DLDevice dev = tc_dev(_i);
    static const char *ops[] = {"mean", "max", "std", "median", "argmax", "argmin", "trapezoid"};
    ezc_array *centres = tc_ref("rng_lin_centres");
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        if (!has_op(dev, ops[o]))
            continue;
        char set[128];
        snprintf(set, sizeof set, "axis=freq; bands=[[1, 3], [2.2, 9], [10, 10]]; operation=%s",
                 ops[o]);
        ezc_transformer *t = tc_make(&ezc_ranged_aggregate_type, set);
        ezc_array *y = tc_host(tc_apply(t, tc_to(spectrum_like(0), dev)));
        ezc_array *want = tc_ref("rng_lin_%s", ops[o]);
        tc_assert_close(y, want, 1e-12, 1e-12, set);
        /* freq is now a coordinate axis of band centres, unit kept */
        ck_assert_str_eq(y->dims[1], "freq");
        ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
        ck_assert_str_eq(y->axes[1].unit, "Hz");
        for (int b = 0; b < 3; b++)
            ck_assert_double_eq_tol(y->axes[1].coords->values[b], tc_get(centres, b, 0), 1e-12);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&centres);
}
END_TEST

START_TEST(t_ranged_coords)
{
    DLDevice dev = tc_dev(_i);
    ezc_array *centres = tc_ref("rng_coord_centres");
    const char *ops[2] = {"mean", "argmax"};
    for (int o = 0; o < 2; o++) {
        if (!has_op(dev, ops[o]))
            continue;
        char set[96];
        snprintf(set, sizeof set, "axis=freq; bands=[[1, 5], [6, 12]]; operation=%s", ops[o]);
        ezc_transformer *t = tc_make(&ezc_ranged_aggregate_type, set);
        ezc_array *y = tc_host(tc_apply(t, tc_to(spectrum_like(1), dev)));
        ezc_array *want = tc_ref("rng_coord_%s", ops[o]);
        tc_assert_close(y, want, 1e-12, 1e-12, set);
        for (int b = 0; b < 2; b++)
            ck_assert_double_eq_tol(y->axes[1].coords->values[b], tc_get(centres, b, 0), 1e-12);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&centres);
}
END_TEST

START_TEST(t_ranged_errors_passthrough_no_alloc)
{
    ezc_transformer *t = tc_make(&ezc_ranged_aggregate_type, "axis=freq; bands=[[20, 30]]");
    const char *m = tc_apply_fails(t, spectrum_like(0), EZC_EINVAL);
    ck_assert_msg(strstr(m, "ranged_aggregate: setting 'bands': band 0 (20, 30) selects nothing "
                            "on dim 'freq' (values 0 to 16)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_ranged_aggregate_type, "bands=[1, 2, 3]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'bands' has 3 numbers: expected pairs"), "%s", m);
    m = tc_make_fails(&ezc_ranged_aggregate_type, "bands=[[5, 1]]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "band 0 (5, 1) has lo > hi"), "%s", m);
    /* the first dim by default; labels are not numbers */
    t = tc_make(&ezc_ranged_aggregate_type, "bands=[[0, 1]]; axis=ch");
    ezc_error err;
    ezc_array *x = spectrum_like(0);
    const char *labels[3] = {"a", "b", "c"};
    ezc_array_set_coord_labels(x, 2, labels, 3, "", &err);
    m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_msg(strstr(m, "dim 'ch' has no numeric axis"), "%s", m);
    ezc_transformer_destroy(&t);
    /* no bands: the message passes untouched */
    t = tc_make(&ezc_ranged_aggregate_type, "");
    x = spectrum_like(0);
    ezc_array *y = tc_apply(t, x);
    ck_assert_ptr_eq(y, x);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* steady stream: no data allocation (bands along a middle dim, so the
     * per-band copies come from the caches) */
    t = tc_make(&ezc_ranged_aggregate_type, "axis=freq; bands=[[1, 3], [4, 9]]; operation=max");
    y = tc_apply(t, spectrum_like(0));
    ezc_array_destroy(&y);
    x = spectrum_like(0);
    uint64_t before = ezc_buffer_new_count();
    for (int i = 0; i < 20; i++) {
        y = tc_apply(t, ezc_array_clone(x, &err));
        ezc_array_destroy(&y);
    }
    ck_assert_uint_eq(ezc_buffer_new_count(), before);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

/* bandpower = spectrogram + ranged_aggregate against numpy (rel_db: a log
 * of sums of squares, 1e-10 absolute on dB values of order 10-60), whole
 * and in random chunks, with its band-centre axis. */
START_TEST(t_bandpower)
{
    DLDevice dev = tc_dev(_i);
    const char *set = "window_dur=0.256; window_shift=0.128; zero_pad_until=none";
    ezc_array *want = tc_ref("bp_y"), *centres = tc_ref("bp_centres");
    for (unsigned seed = 0; seed < 4; seed++) {
        ezc_array *x = tc_dims(tc_ref("bp_x"), "time", "ch");
        ezc_array_set_linear_axis(x, 0, 1.0 / 500, 0, "s");
        x = tc_to(x, dev);
        ezc_transformer *t = tc_make(&ezc_bandpower_type, set);
        ezc_array *y;
        if (seed == 0) {
            ezc_error err;
            y = tc_host(tc_apply(t, ezc_array_clone(x, &err)));
        } else {
            int64_t lens[64];
            size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
            y = tc_apply_chunks(t, x, 0, lens, n, "time");
        }
        tc_assert_close(y, want, 0, 1e-10, seed ? "bandpower chunks" : "bandpower whole");
        ck_assert_str_eq(y->dims[0], "time");
        ck_assert_str_eq(y->dims[1], "freq");
        ck_assert_str_eq(y->dims[2], "ch");
        for (int b = 0; b < 2; b++)
            ck_assert_double_eq_tol(y->axes[1].coords->values[b], tc_get(centres, b, 0), 1e-12);
        ck_assert_double_eq_tol(y->axes[0].gain, 0.128, 1e-15); /* one row per window */
        ezc_array_destroy(&y);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&want);
    ezc_array_destroy(&centres);
    /* a band beyond Nyquist is named */
    ezc_transformer *t =
        tc_make(&ezc_bandpower_type, "window_dur=0.256; zero_pad_until=none; bands=[[300, 400]]");
    ezc_array *x = tc_dims(tc_ref("bp_x"), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 500, 0, "s");
    const char *m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_msg(strstr(m, "bandpower: ranged_aggregate: setting 'bands': band 0 (300, 400) "
                            "selects nothing on dim 'freq' (values 0 to 250)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_core");
    tc_devices_init();
    Suite *s = suite_create("tf_aggregate");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_aggregate_ops, 0, tc_ndevs());
    tcase_add_test(tc, t_aggregate_errors);
    tcase_add_loop_test(tc, t_ranged_linear, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_ranged_coords, 0, tc_ndevs());
    tcase_add_test(tc, t_ranged_errors_passthrough_no_alloc);
    tcase_add_loop_test(tc, t_bandpower, 0, tc_ndevs());
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
