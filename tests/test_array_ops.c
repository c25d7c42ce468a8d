/* test_array_ops.c — slice, take, concat, permute and iterate AxisArrays:
 * the data moves right (through the CPU backend) and the metadata follows —
 * linear offsets move by start * gain, coordinates follow their indices,
 * key and attrs are kept. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "check_run.h"
#include "ezc/ezc.h"

/* (10 time, 3 ch) float64 with value 10 * t + c; time linear (gain 0.01 s,
 * offset 2 s), ch labelled a, b, c; key "dev" and attr n = 7. */
static ezc_array *sample(void)
{
    const int64_t shape[2] = {10, 3};
    const char *dims[2] = {"time", "ch"}, *labels[3] = {"a", "b", "c"};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 2, shape, dims, ezc_device_cpu(), NULL);
    ck_assert_ptr_nonnull(a);
    double *d = ezc_array_data(a);
    for (int t = 0; t < 10; t++)
        for (int c = 0; c < 3; c++)
            d[t * 3 + c] = 10 * t + c;
    ezc_array_set_linear_axis(a, 0, 0.01, 2.0, "s");
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, labels, 3, "", NULL), 0);
    ck_assert_int_eq(ezc_array_set_key(a, "dev", NULL), 0);
    ck_assert_int_eq(ezc_array_attr_set_int(a, "n", 7, NULL), 0);
    return a;
}

static double at(const ezc_array *a, size_t i)
{
    return ((const double *)ezc_array_data(a))[i];
}

static void expect_meta_kept(const ezc_array *y)
{
    ck_assert_str_eq(y->key, "dev");
    const ezc_attr *n = ezc_array_attr(y, "n");
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->v.i, 7);
}

START_TEST(t_slice_time)
{
    ezc_array *a = sample();
    ezc_error err = {0};
    ezc_array *y = ezc_array_slice(a, 0, 3, 7, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_int_eq(y->shape[0], 4);
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert(fabs(y->axes[0].offset - 2.03) < 1e-12);
    ck_assert(y->axes[0].gain == 0.01);
    ck_assert_str_eq(y->axes[0].unit, "s");
    ck_assert_ptr_eq(y->buf, a->buf); /* a view along the first axis */
    for (int i = 0; i < 12; i++)
        ck_assert(at(y, (size_t)i) == at(a, (size_t)(9 + i)));
    ck_assert_str_eq(y->axes[1].coords->labels[2], "c");
    expect_meta_kept(y);
    ezc_array_destroy(&y);

    /* Negative start, stop past the end: rows 7..9. */
    y = ezc_array_slice(a, 0, -3, 100, &err);
    ck_assert_int_eq(y->shape[0], 3);
    ck_assert(fabs(y->axes[0].offset - 2.07) < 1e-12);
    ck_assert(at(y, 0) == 70);
    ezc_array_destroy(&y);

    /* Empty: the offset is where the slice would start. */
    y = ezc_array_slice(a, 0, 5, 5, &err);
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert(fabs(y->axes[0].offset - 2.05) < 1e-12);
    ezc_array_destroy(&y);
    /* Past the end: empty at the end, as numpy's a[20:30]. */
    y = ezc_array_slice(a, 0, 20, 30, &err);
    ck_assert_int_eq(y->shape[0], 0);
    ck_assert(fabs(y->axes[0].offset - 2.10) < 1e-12);
    ezc_array_destroy(&y);

    ck_assert_ptr_null(ezc_array_slice(a, 2, 0, 1, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "axis 2 out of range"));
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_slice_take_labels)
{
    ezc_array *a = sample();
    ezc_error err = {0};
    ezc_array *y = ezc_array_slice(a, 1, 1, 3, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_int_eq(y->shape[1], 2);
    ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
    ck_assert_uint_eq(y->axes[1].coords->n, 2);
    ck_assert_str_eq(y->axes[1].coords->labels[0], "b");
    ck_assert_str_eq(y->axes[1].coords->labels[1], "c");
    ck_assert(y->axes[0].kind == EZC_AXIS_LINEAR && y->axes[0].offset == 2.0);
    for (int t = 0; t < 10; t++)
        ck_assert(at(y, (size_t)(2 * t)) == 10 * t + 1 && at(y, (size_t)(2 * t + 1)) == 10 * t + 2);
    ck_assert_int_eq(ezc_array_check(y, NULL), 0);
    expect_meta_kept(y);
    ezc_array_destroy(&y);

    const int64_t idx[2] = {2, 0};
    y = ezc_array_take(a, -1, idx, 2, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_str_eq(y->axes[1].coords->labels[0], "c");
    ck_assert_str_eq(y->axes[1].coords->labels[1], "a");
    ck_assert(at(y, 2) == 12 && at(y, 3) == 10);
    ezc_array_destroy(&y);

    /* Arbitrary indices of a linear axis become explicit coordinates. */
    const int64_t tix[3] = {1, 4, 4};
    y = ezc_array_take(a, 0, tix, 3, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_COORD);
    ck_assert(fabs(y->axes[0].coords->values[0] - 2.01) < 1e-12);
    ck_assert(fabs(y->axes[0].coords->values[2] - 2.04) < 1e-12);
    ck_assert_str_eq(y->axes[0].unit, "s");
    ck_assert(at(y, 3) == 40 && at(y, 6) == 40);
    ezc_array_destroy(&y);

    const int64_t bad[1] = {10};
    ck_assert_ptr_null(ezc_array_take(a, 0, bad, 1, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "index 10 out of range for dim 'time'"));
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_concat)
{
    ezc_array *a = sample(), *b = sample();
    ezc_array_set_linear_axis(b, 0, 0.01, 2.1, "s");
    ezc_error err = {0};
    const ezc_array *both[2] = {a, b};
    ezc_array *y = ezc_array_concat(both, 2, 0, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_int_eq(y->shape[0], 20);
    ck_assert(y->axes[0].kind == EZC_AXIS_LINEAR && y->axes[0].offset == 2.0);
    ck_assert(at(y, 30) == 0 && at(y, 59) == 92);
    ck_assert_str_eq(y->axes[1].coords->labels[1], "b");
    expect_meta_kept(y);
    ezc_array_destroy(&y);

    /* Along ch: the labels are joined. */
    y = ezc_array_concat(both, 2, 1, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_int_eq(y->shape[1], 6);
    ck_assert_uint_eq(y->axes[1].coords->n, 6);
    ck_assert_str_eq(y->axes[1].coords->labels[3], "a");
    ck_assert(at(y, 6 + 4) == 11);
    ck_assert_int_eq(ezc_array_check(y, NULL), 0);
    ezc_array_destroy(&y);

    ck_assert_int_eq(ezc_array_set_dim(b, 1, "chan", NULL), 0);
    ck_assert_ptr_null(ezc_array_concat(both, 2, 0, &err));
    ck_assert_int_eq(err.code, EZC_ESHAPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "('chan', 3) does not match ('ch', 3)"));
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

START_TEST(t_permute)
{
    ezc_array *a = sample();
    ezc_error err = {0};
    const int perm[2] = {1, 0};
    ezc_array *y = ezc_array_permute(a, perm, &err);
    ck_assert_msg(y, "%s", err.msg);
    ck_assert_str_eq(y->dims[0], "ch");
    ck_assert_str_eq(y->dims[1], "time");
    ck_assert(y->shape[0] == 3 && y->shape[1] == 10);
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_COORD);
    ck_assert_str_eq(y->axes[0].coords->labels[2], "c");
    ck_assert(y->axes[1].kind == EZC_AXIS_LINEAR && y->axes[1].gain == 0.01);
    for (int c = 0; c < 3; c++)
        for (int t = 0; t < 10; t++)
            ck_assert(at(y, (size_t)(c * 10 + t)) == 10 * t + c);
    expect_meta_kept(y);
    ezc_array_destroy(&y);
    const int bad[2] = {0, 0};
    ck_assert_ptr_null(ezc_array_permute(a, bad, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "not a permutation"));
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_iter)
{
    ezc_array *a = sample();
    ezc_error err = {0};
    ezc_array_iter it;
    ezc_array *s;
    int k = 0;
    ezc_array_iter_init(&it, a, -1); /* over ch: each step one channel's series */
    while ((s = ezc_array_iter_next(&it, &err))) {
        ck_assert_int_eq(s->tensor.ndim, 1);
        ck_assert_str_eq(s->dims[0], "time");
        ck_assert(s->shape[0] == 10 && s->axes[0].kind == EZC_AXIS_LINEAR);
        for (int t = 0; t < 10; t++)
            ck_assert(at(s, (size_t)t) == 10 * t + k);
        ck_assert_int_eq(ezc_array_check(s, NULL), 0);
        ezc_array_destroy(&s);
        k++;
    }
    ck_assert_int_eq(k, 3);
    k = 0;
    ezc_array_iter_init(&it, a, 0); /* over time: views of one row each */
    while ((s = ezc_array_iter_next(&it, &err))) {
        ck_assert_int_eq(s->tensor.ndim, 1);
        ck_assert_str_eq(s->dims[0], "ch");
        ck_assert_str_eq(s->axes[0].coords->labels[1], "b");
        ck_assert_ptr_eq(s->buf, a->buf);
        ck_assert(at(s, 2) == 10 * k + 2);
        ezc_array_destroy(&s);
        k++;
    }
    ck_assert_int_eq(k, 10);
    ezc_array_destroy(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("array_ops");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_slice_time);
    tcase_add_test(tc, t_slice_take_labels);
    tcase_add_test(tc, t_concat);
    tcase_add_test(tc, t_permute);
    tcase_add_test(tc, t_iter);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
