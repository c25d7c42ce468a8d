/* test_shm_cow.c — a node between two shared-memory edges copies once per
 * message, not twice (ezc_array_cow_target, ezc_pub_cow_buffer): data
 * received through shared memory is read-only, so a transformer that
 * writes in place (abs) copies it first; in a node's loop that copy is
 * made into a loaned slot of the node's output, which is then sent as is.
 * Asserted by the publisher's own counter (shm_zero_copy = every message)
 * and by the values downstream; a pass-through (nothing written) still
 * sends by copy, and a node whose output has no shared-memory reader keeps
 * the heap copy (no slot taken). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ezc/ezc.h"

int ezc_shm_enabled(void); /* core/shm.h */

#define N 200

static char ep_in[160], ep_out[160];

static ezc_transformer *make(const char *type)
{
    ezc_error err;
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    const ezc_transformer_type *tt = ezc_registry_find(r, type, &err);
    ck_assert_msg(tt != NULL, "%s", err.msg);
    ezc_settings *set = ezc_settings_new(&err);
    const char *const axes[] = {"time", "ch"}; /* transpose: the order it has */
    if (!strcmp(type, "transpose"))
        ck_assert_int_eq(ezc_settings_set_list(set, "axes", axes, 2, "test", &err), 0);
    ezc_transformer *t = ezc_transformer_new(tt, set, &err);
    ezc_settings_destroy(&set);
    ck_assert_msg(t != NULL, "%s", err.msg);
    ezc_registry_destroy(&r); /* built-in types outlive the registry */
    return t;
}

/* N messages of -k through `type` from ep_in to ep_out; returns the
 * output publisher's shm_zero_copy. out_shm: the last subscriber reads
 * shared memory (else inline). */
static uint64_t run(const char *type, int out_shm, double sign)
{
    snprintf(ep_in, sizeof ep_in, "ipc:///tmp/ezc-shm-cow-in-%d", (int)getpid());
    snprintf(ep_out, sizeof ep_out, "ipc:///tmp/ezc-shm-cow-out-%d", (int)getpid());
    ezc_error err;
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    ezc_pub *src = ezc_pub_new(ep_in, &po, &err), *out = ezc_pub_new(ep_out, &po, &err);
    ck_assert_msg(src && out, "%s", err.msg);
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    ezc_sub *mid = ezc_sub_new(ep_in, "", &so, &err);
    so.inline_only = !out_shm;
    ezc_sub *dst = ezc_sub_new(ep_out, "", &so, &err);
    ck_assert_msg(mid && dst, "%s", err.msg);
    ck_assert_int_eq(ezc_pub_wait_subscribers(src, 1, 5000, &err), 0);
    ck_assert_int_eq(ezc_pub_wait_subscribers(out, 1, 5000, &err), 0);
    const int64_t shape[2] = {100, 64};
    for (int k = 0; k < N; k++) {
        const char *const dims[2] = {"time", "ch"};
        ezc_array *a = ezc_array_new(EZC_FLOAT64, 2, shape, dims, ezc_device_cpu(), &err);
        double *d = ezc_array_data(a);
        for (int i = 0; i < 6400; i++)
            d[i] = -(double)(k + 1) - i * 1e-3;
        ck_assert_int_eq(ezc_pub_send(src, "x", a, &err), 0);
        ezc_array_destroy(&a);
    }
    ezc_transformer *t = make(type);
    ezc_node_options no = {.max_messages = N};
    ezc_node_stats st;
    ck_assert_msg(ezc_transformer_node_run(t, mid, out, &no, &st, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(st.published, N);
    ck_assert_str_eq(ezc_sub_path(mid), "shm");
    for (int k = 0; k < N; k++) {
        ezc_array *a = NULL;
        ck_assert_msg(ezc_sub_recv(dst, &a, 5000, &err) == 0, "message %d: %s", k, err.msg);
        const double *d = ezc_array_data(a);
        ck_assert_int_eq(ezc_array_size(a), 6400);
        for (int i = 0; i < 6400; i += 97)
            ck_assert_double_eq_tol(d[i], sign * (-(double)(k + 1) - i * 1e-3), 1e-12);
        ezc_array_destroy(&a);
    }
    ck_assert_str_eq(ezc_sub_path(dst), out_shm ? "shm" : "inline");
    ezc_pub_stats ps;
    ezc_pub_stats_get(out, &ps);
    ezc_transformer_destroy(&t);
    ezc_sub_destroy(&dst);
    ezc_sub_destroy(&mid);
    ezc_pub_destroy(&out);
    ezc_pub_destroy(&src);
    return ps.shm_zero_copy;
}

START_TEST(t_abs_copies_into_the_output_slot)
{
    uint64_t z = run("abs", 1, -1);
    printf("abs between two shm edges: %llu of %d messages sent from their copy-on-write slot\n",
           (unsigned long long)z, N);
    ck_assert_uint_eq(z, N);
}
END_TEST

START_TEST(t_pass_through_copies_at_send)
{
    ck_assert_uint_eq(run("transpose", 1, 1), 0); /* default order: the input as is */
}
END_TEST

START_TEST(t_no_shm_reader_no_slot)
{
    ck_assert_uint_eq(run("abs", 0, -1), 0);
}
END_TEST

int main(void)
{
    if (!ezc_shm_enabled()) {
        printf("shm_cow: skipped (EZC_SHM=0)\n");
        return 77;
    }
    Suite *s = suite_create("shm_cow");
    TCase *tc = tcase_create("shm_cow");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_abs_copies_into_the_output_slot);
    tcase_add_test(tc, t_pass_through_copies_at_send);
    tcase_add_test(tc, t_no_shm_reader_no_slot);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
