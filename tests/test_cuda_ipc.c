/* test_cuda_ipc.c — GPU data between two processes over ipc:// as a CUDA
 * IPC handle: the array arrives on the device with the sender's values and
 * no host copy on the way (the module's counters show it), and a receiver
 * that falls behind the sender's lease gets a clean refusal for the stale
 * messages, never wrong data. The sender is this program re-executed as a
 * child (`test_cuda_ipc --send ENDPOINT N`), kept alive until the parent
 * closes its stdin. Exits 77 without a GPU. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cuda/ipc.h"
#include "ezc/ezc.h"

#define ROWS 1000
#define COLS 64

static char self_path[4096];

/* Child: sends n float32 arrays on cuda:0, message k holding k*1e6 + i. */
static int run_sender(const char *endpoint, int n)
{
    ezc_error err;
    ezc_pub *p = ezc_pub_new(endpoint, NULL, &err);
    if (!p || ezc_pub_wait_subscribers(p, 1, 20000, &err)) {
        fprintf(stderr, "sender: %s\n", err.msg);
        return 1;
    }
    int64_t shape[2] = {ROWS, COLS};
    const char *dims[2] = {"time", "ch"};
    for (int k = 0; k < n; k++) {
        ezc_array *h = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
        float *v = ezc_array_data(h);
        for (size_t i = 0; i < ROWS * COLS; i++)
            v[i] = (float)(k * 1000000 + (int)i);
        ezc_array *d = ezc_array_to_device(h, ezc_device_cuda(0), &err);
        ezc_array_set_linear_axis(d, 0, 0.001, (double)k, "s");
        if (!d || ezc_pub_send(p, "gpu", d, &err)) {
            fprintf(stderr, "sender: %s\n", err.msg);
            return 1;
        }
        ezc_array_destroy(&d);
        ezc_array_destroy(&h);
    }
    char buf[16];
    while (fread(buf, 1, sizeof buf, stdin) > 0) /* hold the leases until the parent is done */
        ;
    ezc_pub_destroy(&p);
    return 0;
}

static FILE *start_sender(const char *endpoint, int n)
{
    char cmd[4096 + 256];
    snprintf(cmd, sizeof cmd, "'%s' --send '%s' %d", self_path, endpoint, n);
    FILE *f = popen(cmd, "w");
    ck_assert_ptr_nonnull(f);
    return f;
}

static void check_values(const ezc_array *d, int k)
{
    ezc_error err;
    ezc_array *h = ezc_array_to_device(d, ezc_device_cpu(), &err);
    ck_assert_msg(h != NULL, "%s", err.msg);
    const float *v = ezc_array_data(h);
    for (size_t i = 0; i < ROWS * COLS; i++)
        ck_assert_msg(v[i] == (float)(k * 1000000 + (int)i), "message %d [%zu] = %g", k, i, v[i]);
    ezc_array_destroy(&h);
}

START_TEST(t_gpu_to_gpu_over_ipc)
{
    ezc_error err;
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "ipc:///tmp/ezc-test-cuda-ipc-%d", (int)getpid());
    ezc_sub *s = ezc_sub_new(endpoint, "", NULL, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    FILE *child = start_sender(endpoint, 3);
    for (int k = 0; k < 3; k++) {
        ezc_cuda_ipc_counters before, after;
        ezc_cuda_ipc_counters_get(&before);
        ezc_array *b = NULL;
        ck_assert_msg(ezc_sub_recv(s, &b, 20000, &err) == 0, "%s", err.msg);
        ezc_cuda_ipc_counters_get(&after);
        ck_assert_int_eq(b->tensor.device.device_type, kDLCUDA);
        ck_assert_str_eq(b->dims[1], "ch");
        ck_assert_double_eq(b->axes[0].offset, (double)k);
        ck_assert(after.ipc_receives == before.ipc_receives + 1);
        ck_assert(after.host_copies == before.host_copies); /* nothing went through the host */
        check_values(b, k);
        ezc_array_destroy(&b);
    }
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    ck_assert(st.malformed == 0 && st.gaps == 0);
    ck_assert_int_eq(pclose(child), 0);
    ezc_sub_destroy(&s);
}
END_TEST

/* 70 messages against 64 lease slots, read only after all were sent: the
 * first 6 are refused (their slots were reused), the rest arrive intact. */
START_TEST(t_behind_the_lease_is_refused)
{
    ezc_error err;
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "ipc:///tmp/ezc-test-cuda-ipc-lag-%d", (int)getpid());
    ezc_sub *s = ezc_sub_new(endpoint, "", NULL, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    FILE *child = start_sender(endpoint, 70);
    ezc_array *b = NULL;
    ck_assert_msg(ezc_sub_recv(s, &b, 20000, &err) == 0, "%s", err.msg);
    ezc_array_destroy(&b);
    sleep(2); /* the sender finishes its 70 sends */
    int got = 1;
    while (ezc_sub_recv(s, &b, 1000, &err) == 0) {
        check_values(b, (int)b->axes[0].offset);
        ck_assert_int_ge((int)b->axes[0].offset, 6);
        ezc_array_destroy(&b);
        got++;
    }
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    ck_assert_msg(st.malformed >= 1 && got + (int)st.malformed == 70, "got %d, refused %llu", got,
                  (unsigned long long)st.malformed);
    ck_assert_ptr_nonnull(strstr(st.last_error, "lease"));
    pclose(child);
    ezc_sub_destroy(&s);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--send") == 0)
        return run_sender(argv[2], atoi(argv[3]));
    ezc_error err;
    if (!ezc_xp_for(ezc_device_cuda(0), &err)) {
        printf("skip: %s\n", err.msg);
        return 77;
    }
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0)
        return 1;
    self_path[n] = '\0';
    Suite *su = suite_create("cuda_ipc");
    TCase *tc = tcase_create("gpu");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_gpu_to_gpu_over_ipc);
    tcase_add_test(tc, t_behind_the_lease_is_refused);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
