/* test_tf_matrix.c — coordinate_spaces, affine and common_rereference
 * against numpy (tests/ref/gen_tf_core.py) on every backend.
 * Tolerances: one matrix product or one libm call per value: 1e-12
 * relative (float64) / 1e-5 (float32), with the same absolute floor for
 * results near 0 (sums of terms of order 1 that cancel); the median
 * reference subtracts an exact median: same tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_coordinate_spaces_type, ezc_affine_type,
    ezc_common_rereference_type;

static const char *const sfx[2] = {"f32", "f64"};

/* "name=[v, v, ...]" from a reference array, full precision. */
static char *list_setting(const char *name, const ezc_array *a, const char *more)
{
    size_t n = ezc_array_size(a), cap = 64 + n * 28 + strlen(more);
    char *s = malloc(cap);
    size_t at = (size_t)snprintf(s, cap, "%s=[", name);
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%.17g", i ? ", " : "", tc_get(a, i, 0));
    snprintf(s + at, cap - at, "]; %s", more);
    return s;
}

START_TEST(t_coordinate_spaces)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        double tol = tc_tol(k ? EZC_FLOAT64 : EZC_FLOAT32);
        ezc_transformer *t = tc_make(&ezc_coordinate_spaces_type, "");
        ezc_array *x = tc_dims(tc_ref("cs_xy_%s", sfx[k]), "time", "pos");
        ezc_array_set_linear_axis(x, 0, 0.1, 0, "s");
        ezc_array *y = tc_host(tc_apply(t, tc_to(x, dev)));
        ezc_array *want = tc_ref("cs_pol_%s", sfx[k]);
        tc_assert_close(y, want, tol, tol, "cart2pol");
        ck_assert_str_eq(y->axes[1].coords->labels[0], "r");
        ck_assert_str_eq(y->axes[1].coords->labels[1], "theta");
        ck_assert_double_eq(y->axes[0].gain, 0.1);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
        /* pol2cart along the first dim (components as rows) */
        t = tc_make(&ezc_coordinate_spaces_type, "mode=pol2cart; axis=pos");
        ezc_error err;
        ezc_array *rt = tc_ref("cs_rt_%s", sfx[k]);
        int perm[2] = {1, 0};
        x = tc_dims(ezc_array_permute(rt, perm, &err), "pos", "time");
        y = tc_host(tc_apply(t, tc_to(x, dev)));
        want = tc_ref("cs_cart_%s", sfx[k]);
        ezc_array *wt = ezc_array_permute(want, perm, &err);
        tc_assert_close(y, wt, tol, tol, "pol2cart");
        ck_assert_str_eq(y->axes[0].coords->labels[1], "y");
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_array_destroy(&wt);
        ezc_array_destroy(&rt);
        ezc_transformer_destroy(&t);
    }
    ezc_transformer *t = tc_make(&ezc_coordinate_spaces_type, "");
    const char *m = tc_apply_fails(t, tc_dims(tc_ref("af_x_f64"), "time", "pos"), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "coordinate_spaces: dim 'pos' has length 4: expected 2 components "
                            "(x, y)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_coordinate_spaces_type, "mode=polar", EZC_EINVAL);
    ck_assert_msg(strstr(m, "mode") && strstr(m, "polar"), "%s", m);
}
END_TEST

static void affine_case(DLDevice dev, int k, const char *wname, const char *more, const char *xname,
                        const char *d0, const char *d1, const char *d2, const char *want_name)
{
    ezc_array *w = tc_ref("%s_%s", wname, sfx[k]);
    char *set = list_setting("weights", w, more);
    ezc_transformer *t = tc_make(&ezc_affine_type, set);
    ezc_array *x = tc_ref("%s_%s", xname, sfx[k]);
    x = d2 ? tc_dims(x, d0, d1, d2) : tc_dims(x, d0, d1);
    ezc_array *y = tc_host(tc_apply(t, tc_to(x, dev)));
    ezc_array *want = tc_ref("%s_%s", want_name, sfx[k]);
    double tol = tc_tol(want->dtype);
    tc_assert_close(y, want, tol, tol, set);
    ck_assert_str_eq(y->dims[0], d0);
    ck_assert_str_eq(y->dims[1], d1);
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    free(set);
}

START_TEST(t_affine)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        affine_case(dev, k, "af_W", "axis=ch", "af_x", "time", "ch", NULL, "af_y");
        affine_case(dev, k, "af_W", "n_out=3", "af_x", "time", "ch", NULL, "af_y");
        /* ones-column rule: W with one row more than channels */
        affine_case(dev, k, "af_Wb", "", "af_x", "time", "ch", NULL, "af_yb");
        /* along a middle dim */
        affine_case(dev, k, "af_W2", "axis=ch", "af_x3", "a", "ch", "b", "af_y3");
    }
}
END_TEST

START_TEST(t_affine_left_file_errors)
{
    /* right_multiply = false with W.T, from a file */
    ezc_array *w = tc_ref("af_W_f64");
    char path[] = "/tmp/ezc_affine_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (int o = 0; o < 3; o++) /* W.T: 3 rows of 4 */
        fprintf(f, "%.17g, %.17g, %.17g, %.17g\n", tc_get(w, 0 * 3 + o, 0), tc_get(w, 1 * 3 + o, 0),
                tc_get(w, 2 * 3 + o, 0), tc_get(w, 3 * 3 + o, 0));
    fclose(f);
    char set[128];
    snprintf(set, sizeof set, "weights_file=%s; right_multiply=false", path);
    ezc_transformer *t = tc_make(&ezc_affine_type, set);
    ezc_array *y = tc_apply(t, tc_dims(tc_ref("af_x_f64"), "time", "ch"));
    ezc_array *want = tc_ref("af_yleft_f64");
    tc_assert_close(y, want, 1e-12, 1e-12, "affine left from file");
    ezc_array_destroy(&y);
    ezc_array_destroy(&want);
    ezc_array_destroy(&w);
    /* wrong channel count for the matrix */
    const char *m = tc_apply_fails(t, tc_dims(tc_ref("car_x_f64"), "time", "ch"), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "affine: setting 'weights' has 12 values: no columns of 6"), "%s", m);
    ezc_transformer_destroy(&t);
    /* a ragged file */
    f = fopen(path, "w");
    fprintf(f, "1 2 3\n4 5\n");
    fclose(f);
    m = tc_make_fails(&ezc_affine_type, set, EZC_EINVAL);
    ck_assert_msg(strstr(m, ":2: 2 numbers, but the first row has 3"), "%s", m);
    unlink(path);
    m = tc_make_fails(&ezc_affine_type, set, EZC_EIO);
    ck_assert_msg(strstr(m, "affine: setting 'weights_file' = '/tmp/ezc_affine_"), "%s", m);
    m = tc_make_fails(&ezc_affine_type, "", EZC_EINVAL);
    ck_assert_msg(strstr(m, "give one of 'weights' and 'weights_file'"), "%s", m);
}
END_TEST

START_TEST(t_common_rereference)
{
    DLDevice dev = tc_dev(_i);
    struct {
        const char *set, *want;
    } cases[] = {
        {"", "car_mean"},
        {"include_current=false", "car_mean_loo"},
        {"clusters=[0, 0, 1, 1, 1, 2]", "car_mean_cl"},
        {"mode=median; clusters=[5, 5, 9, 9, 9, 2]", "car_median_cl"},
        {"mode=median", "car_median"},
    };
    for (int k = 0; k < 2; k++)
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            if (dev.device_type != kDLCPU && strstr(cases[c].set, "median"))
                continue; /* no median reduction on the GPU yet */
            ezc_error err;
            ezc_transformer *t = tc_make(&ezc_common_rereference_type, cases[c].set);
            ezc_array *x = tc_dims(tc_ref("car_x_%s", sfx[k]), "time", "ch");
            const char *labels[6] = {"F3", "F4", "C3", "Cz", "C4", "Pz"};
            ezc_array_set_coord_labels(x, 1, labels, 6, "", &err);
            ezc_array *y = tc_host(tc_apply(t, tc_to(x, dev)));
            ezc_array *want = tc_ref("%s_%s", cases[c].want, sfx[k]);
            double tol = tc_tol(want->dtype);
            tc_assert_close(y, want, tol, 100 * tol, cases[c].set);
            ck_assert_str_eq(y->axes[1].coords->labels[4], "C4"); /* channels keep their names */
            ezc_array_destroy(&y);
            /* steady: a second message allocates no data */
            ezc_array *x2 = tc_to(tc_dims(tc_ref("car_x_%s", sfx[k]), "time", "ch"), dev);
            y = tc_apply(t, ezc_array_clone(x2, &err));
            ezc_array_destroy(&y);
            uint64_t before = ezc_buffer_new_count();
            y = tc_apply(t, ezc_array_clone(x2, &err));
            ck_assert_uint_eq(ezc_buffer_new_count(), before);
            ezc_array_destroy(&y);
            ezc_array_destroy(&x2);
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&t);
        }
    ezc_transformer *t = tc_make(&ezc_common_rereference_type, "clusters=[0, 1]");
    const char *m = tc_apply_fails(t, tc_dims(tc_ref("car_x_f64"), "time", "ch"), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "common_rereference: setting 'clusters' has 2 ids but the channel "
                            "dim has length 6"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_common_rereference_type, "mode=median; include_current=false",
                      EZC_EINVAL);
    ck_assert_msg(strstr(m, "needs include_current = true"), "%s", m);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_core");
    tc_devices_init();
    Suite *s = suite_create("tf_matrix");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_coordinate_spaces, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_affine, 0, tc_ndevs());
    tcase_add_test(tc, t_affine_left_file_errors);
    tcase_add_loop_test(tc, t_common_rereference, 0, tc_ndevs());
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
