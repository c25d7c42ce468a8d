/* test_cuda_transport.c — GPU data on the wire: over inproc:// a CUDA array
 * arrives as the same device buffer (no copy, still on the GPU); over
 * tcp:// it is refused with an error naming the device, never copied
 * behind the caller's back. Exits 77 without a GPU. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "ezc/ezc.h"

static ezc_array *gpu_array(void)
{
    ezc_error err;
    int64_t shape[2] = {100, 64};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cuda(0), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert_int_eq(ezc_xp_of(a, &err)->fill(a, 1.5, &err), 0);
    ezc_array_set_linear_axis(a, 0, 0.001, 3.0, "s");
    return a;
}

START_TEST(t_inproc_keeps_gpu_buffer)
{
    ezc_error err;
    ezc_pub *p = ezc_pub_new("inproc://gpu-hop", NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ezc_sub *s = ezc_sub_new("inproc://gpu-hop", "", NULL, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 1, 2000, &err), 0);
    ezc_array *a = gpu_array(), *b = NULL;
    ck_assert_int_eq(ezc_pub_send(p, "x", a, &err), 0);
    ck_assert_msg(ezc_sub_recv(s, &b, 2000, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b->tensor.device.device_type, kDLCUDA);
    ck_assert_ptr_eq(ezc_array_data(b), ezc_array_data(a)); /* the same device memory */
    ck_assert_double_eq(b->axes[0].offset, 3.0);
    ezc_array *h = ezc_array_to_device(b, ezc_device_cpu(), &err);
    ck_assert_float_eq(((float *)ezc_array_data(h))[6399], 1.5f);
    ezc_array_destroy(&h);
    ezc_array_destroy(&b);
    ezc_array_destroy(&a);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_tcp_refuses_gpu_data)
{
    ezc_error err;
    ezc_pub *p = ezc_pub_new("tcp://127.0.0.1:*", NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ezc_array *a = gpu_array();
    ck_assert_int_eq(ezc_pub_send(p, "x", a, &err), EZC_EDEVICE);
    ck_assert_msg(strstr(err.msg, "cuda:0") != NULL, "%s", err.msg);
    ezc_array_destroy(&a);
    ezc_pub_destroy(&p);
}
END_TEST

int main(void)
{
    ezc_error err;
    if (!ezc_xp_for(ezc_device_cuda(0), &err)) {
        printf("skip: %s\n", err.msg);
        return 77;
    }
    Suite *s = suite_create("cuda_transport");
    TCase *tc = tcase_create("gpu");
    tcase_add_test(tc, t_inproc_keeps_gpu_buffer);
    tcase_add_test(tc, t_tcp_refuses_gpu_data);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
