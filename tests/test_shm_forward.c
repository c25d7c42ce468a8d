/* test_shm_forward.c — a node forwarding the slots it receives, across
 * restarts of its upstream: each restart is a new pool, a new entry in the
 * forwarder's origin table, which holds 16; past that, entries no queued
 * message names are retired and named again, so forwarding goes on. Every
 * message arrives intact and in order, all but the first few of each
 * upstream are forwarded (counted by the forwarder), and at the end no
 * slot is held anywhere. One process, real pools: upstream A (restarted
 * 24 times) -> forwarder B (sub + pub) -> reader D. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "check_run.h"
#include "ezc/ezc.h"

int ezc_shm_enabled(void); /* core/shm.h */

#define ROUNDS 24 /* more than the table's 16 entries */
#define PER_ROUND 30

static ezc_array *sample(double v)
{
    const int64_t shape[1] = {512};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), NULL);
    double *d = ezc_array_data(a);
    for (int i = 0; i < 512; i++)
        d[i] = v + i * 1e-3;
    return a;
}

START_TEST(t_forwarding_survives_upstream_restarts)
{
    char ep_a[128], ep_b[128];
    snprintf(ep_a, sizeof ep_a, "ipc:///tmp/ezc-shm-fwd-a-%d", (int)getpid());
    snprintf(ep_b, sizeof ep_b, "ipc:///tmp/ezc-shm-fwd-b-%d", (int)getpid());
    ezc_error err;
    ezc_pub *b_out = ezc_pub_new(ep_b, NULL, &err);
    ck_assert_msg(b_out != NULL, "%s", err.msg);
    ezc_sub *d = ezc_sub_new(ep_b, "", NULL, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    ezc_sub *b_in = NULL;
    uint64_t last_fwd = 0;
    for (int round = 0; round < ROUNDS; round++) {
        ezc_pub *a = ezc_pub_new(ep_a, NULL, &err); /* a new pool each time */
        ck_assert_msg(a != NULL, "round %d: %s", round, err.msg);
        if (!b_in)
            ck_assert_msg((b_in = ezc_sub_new(ep_a, "", NULL, &err)) != NULL, "%s", err.msg);
        /* B finds its pool gone and the new one as it receives (a node
         * would be waiting in recv), while A waits for it. */
        int ready = 0;
        for (int t = 0; t < 500 && !ready; t++) {
            ezc_array *none = NULL;
            ck_assert_int_eq(ezc_sub_recv(b_in, &none, 10, &err), EZC_ETIMEOUT);
            ready = ezc_pub_wait_subscribers(a, 1, 10, &err) == 0;
        }
        ck_assert_msg(ready, "round %d: B never subscribed again", round);
        if (round == 0)
            ck_assert_int_eq(ezc_pub_wait_subscribers(b_out, 1, 5000, &err), 0);
        for (int k = 0; k < PER_ROUND; k++) {
            double v = round * 1000 + k;
            ezc_array *m = sample(v);
            ck_assert_int_eq(ezc_pub_send(a, "x", m, &err), 0);
            ezc_array_destroy(&m);
            ck_assert_msg(ezc_sub_recv(b_in, &m, 5000, &err) == 0, "round %d message %d: %s", round,
                          k, err.msg);
            ck_assert_msg(ezc_pub_send(b_out, "x", m, &err) == 0, "%s", err.msg);
            ezc_array_destroy(&m);
            ck_assert_msg(ezc_sub_recv(d, &m, 5000, &err) == 0, "round %d message %d: %s", round, k,
                          err.msg);
            const double *x = ezc_array_data(m);
            ck_assert_int_eq(ezc_array_size(m), 512);
            ck_assert_double_eq(x[0], v);
            ck_assert_double_eq_tol(x[511], v + 0.511, 1e-9);
            ezc_array_destroy(&m);
        }
        ck_assert_str_eq(ezc_sub_path(b_in), "shm");
        ezc_pub_stats st;
        ezc_pub_stats_get(b_out, &st);
        /* A new origin costs a copy or two while D maps it (a retired
         * entry one more while D lets go of the old one). */
        ck_assert_msg(st.shm_forwarded - last_fwd >= PER_ROUND - 4,
                      "round %d: %llu of %d forwarded", round,
                      (unsigned long long)(st.shm_forwarded - last_fwd), PER_ROUND);
        last_fwd = st.shm_forwarded;
        ezc_pub_destroy(&a); /* the upstream goes; its next start is a new pool */
    }
    ck_assert_str_eq(ezc_sub_path(d), "shm");
    ezc_pub_stats st;
    ezc_pub_stats_get(b_out, &st);
    printf("forwarded %llu of %d messages across %d upstream pools\n",
           (unsigned long long)st.shm_forwarded, ROUNDS * PER_ROUND, ROUNDS);
    ck_assert_uint_eq(st.shm_dropped, 0);
    ezc_sub_destroy(&b_in);
    ezc_sub_destroy(&d);
    ezc_pub_destroy(&b_out);
}
END_TEST

int main(void)
{
    if (!ezc_shm_enabled()) {
        printf("shm_forward: skipped (EZC_SHM=0)\n");
        return 77;
    }
    Suite *s = suite_create("shm_forward");
    TCase *tc = tcase_create("shm_forward");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_forwarding_survives_upstream_restarts);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
