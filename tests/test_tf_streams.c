/* test_tf_streams.c — add_streams and difference_streams: pairing in arrival
 * order across the two ports, values (one addition per element: exact),
 * the bounded lag with its reported drop, and shape/dtype mismatches named. */
#include <math.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_add_streams_type, ezc_difference_streams_type;

static ezc_array *msg(double base, uint64_t seq)
{
    double v[6];
    for (int i = 0; i < 6; i++)
        v[i] = base + i;
    v[5] = NAN;
    int64_t shape[2] = {3, 2};
    ezc_array *a = tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch");
    a->seq = seq;
    return a;
}

START_TEST(t_pairing_in_order)
{
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_add_streams_type, "");
    ck_assert_ptr_null(tc_apply_port(t, 0, tc_to(msg(10, 1), dev)));      /* a1 waits */
    ck_assert_ptr_null(tc_apply_port(t, 0, tc_to(msg(20, 2), dev)));      /* a2 waits */
    ezc_array *y = tc_host(tc_apply_port(t, 1, tc_to(msg(100, 7), dev))); /* b1 completes a1 */
    ck_assert_double_eq(tc_get(y, 0, 0), 10 + 100);
    ck_assert_double_eq(tc_get(y, 4, 0), 14 + 104);
    ck_assert(isnan(tc_get(y, 5, 0)));
    ck_assert_int_eq(y->seq, 1); /* metadata from port a */
    ezc_array_destroy(&y);
    y = tc_host(tc_apply_port(t, 1, tc_to(msg(200, 8), dev))); /* b2 completes a2 */
    ck_assert_double_eq(tc_get(y, 2, 0), 22 + 202);
    ezc_array_destroy(&y);
    ck_assert_ptr_null(tc_apply_port(t, 1, tc_to(msg(300, 9), dev))); /* b3 waits */
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_difference_streams_type, "");
    ck_assert_ptr_null(tc_apply_port(t, 1, tc_to(msg(1, 1), dev)));
    y = tc_host(tc_apply_port(t, 0, tc_to(msg(50, 2), dev)));
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq(tc_get(y, (size_t)i, 0), 49.0);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_lag_and_mismatch)
{
    ezc_error err = {0};
    ezc_array *out = NULL;
    ezc_transformer *t = tc_make(&ezc_add_streams_type, "max_lag=2");
    ck_assert_ptr_null(tc_apply_port(t, 0, msg(1, 1)));
    ck_assert_ptr_null(tc_apply_port(t, 0, msg(2, 2)));
    /* a third message on port a: the oldest (seq 1) goes, and it is said */
    ck_assert_int_eq(ezc_transformer_process(t, 0, msg(3, 3), &out, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "add_streams: port 'a' is 2 messages ahead of port 'b': "
                                  "dropped its oldest (seq 1)"),
                  "%s", err.msg);
    ezc_array *y = tc_apply_port(t, 1, msg(0, 9)); /* pairs with seq 2 */
    ck_assert_int_eq(y->seq, 2);
    ck_assert_double_eq(tc_get(y, 0, 0), 2.0);
    ezc_array_destroy(&y);
    /* shapes must match: named, both shapes given */
    int64_t shape[2] = {2, 2};
    double v[4] = {1, 2, 3, 4};
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_array(EZC_FLOAT64, 2, shape, v), &out, &err),
                     EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "add_streams: port 'a' has shape (3, 2), port 'b' (2, 2): "
                                  "they must match"),
                  "%s", err.msg);
    /* dtypes too */
    ck_assert_ptr_null(tc_apply_port(t, 0, msg(1, 4)));
    int64_t s2[2] = {3, 2};
    double w[6] = {0};
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_array(EZC_FLOAT32, 2, s2, w), &out, &err),
                     EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "port 'a' has float64 data, port 'b' float32"), "%s", err.msg);
    ezc_transformer_destroy(&t);
    const char *m = tc_make_fails(&ezc_add_streams_type, "max_lag=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "add_streams: setting 'max_lag' = 0: expected >= 1"), "%s", m);
    /* the ports are named */
    ck_assert_int_eq(ezc_transformer_type_nports(&ezc_add_streams_type), 2);
    ck_assert_int_eq(ezc_transformer_type_port_index(&ezc_add_streams_type, "b"), 1);
}
END_TEST

int main(void)
{
    tc_devices_init();
    Suite *s = suite_create("tf_streams");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_pairing_in_order, 0, tc_ndevs());
    tcase_add_test(tc, t_lag_and_mismatch);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
