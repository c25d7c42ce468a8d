/* test_shm_cow.c — a node between two shared-memory edges copies at most
 * once per message: a message it holds alone (no other reader of its
 * input still has it) is written in place and its slot forwarded
 * downstream, no copy (shm_forwarded = every message); one another reader
 * still holds is read-only, so a transformer that writes in place (abs)
 * copies it first, into a loaned slot of the node's output, which is then
 * sent as is (shm_zero_copy = every message), and the other reader's
 * data stays as it was sent. A pass-through forwards the slot; a node
 * whose output has no shared-memory reader keeps the heap copy (no slot
 * taken). Asserted by the publisher's counters and the values downstream. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "check_run.h"
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
 * output publisher's stats. out_shm: the last subscriber reads shared
 * memory (else inline). witness: another reader of ep_in holds every
 * message while the node runs, and checks it is unchanged after. */
static ezc_pub_stats run(const char *type, int out_shm, int witness, double sign)
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
    so.inline_only = 0;
    ezc_sub *wit = witness ? ezc_sub_new(ep_in, "", &so, &err) : NULL;
    ck_assert_msg(mid && dst && (wit || !witness), "%s", err.msg);
    ck_assert_int_eq(ezc_pub_wait_subscribers(src, 1 + witness, 5000, &err), 0);
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
    ezc_array *held[N];
    for (int k = 0; witness && k < N; k++) {
        ck_assert_msg(ezc_sub_recv(wit, &held[k], 5000, &err) == 0, "%s", err.msg);
        ck_assert(!ezc_array_is_writable(held[k])); /* the node holds it too */
    }
    ezc_transformer *t = make(type);
    /* The first message alone: the output's reader maps the pool it came
     * from as it takes it (a forwarder names its origins as it meets
     * them), so the rest can be forwarded to it. */
    ezc_node_options no = {.max_messages = 1};
    ezc_node_stats st;
    for (int k = 0; k < N; k++) {
        if (k <= 1) {
            no.max_messages = k ? N - 1 : 1;
            ck_assert_msg(ezc_transformer_node_run(t, mid, out, &no, &st, &err) == 0, "%s",
                          err.msg);
            ck_assert_uint_eq(st.published, k ? N - 1 : 1);
            ck_assert_str_eq(ezc_sub_path(mid), "shm");
        }
        ezc_array *a = NULL;
        ck_assert_msg(ezc_sub_recv(dst, &a, 5000, &err) == 0, "message %d: %s", k, err.msg);
        const double *d = ezc_array_data(a);
        ck_assert_int_eq(ezc_array_size(a), 6400);
        for (int i = 0; i < 6400; i += 97)
            ck_assert_double_eq_tol(d[i], sign * (-(double)(k + 1) - i * 1e-3), 1e-12);
        ezc_array_destroy(&a);
    }
    ck_assert_str_eq(ezc_sub_path(dst), out_shm ? "shm" : "inline");
    for (int k = 0; witness && k < N; k++) {
        const double *d = ezc_array_data(held[k]);
        for (int i = 0; i < 6400; i += 97)
            ck_assert_double_eq_tol(d[i], -(double)(k + 1) - i * 1e-3, 1e-12);
        ezc_array_destroy(&held[k]);
    }
    ezc_sub_destroy(&wit);
    ezc_pub_stats ps;
    ezc_pub_stats_get(out, &ps);
    ezc_transformer_destroy(&t);
    ezc_sub_destroy(&dst);
    ezc_sub_destroy(&mid);
    ezc_pub_destroy(&out);
    ezc_pub_destroy(&src);
    return ps;
}

START_TEST(t_abs_alone_writes_in_place_and_forwards)
{
    ezc_pub_stats ps = run("abs", 1, 0, -1);
    printf("abs between two shm edges, sole holder: %llu of %d forwarded, %llu copied\n",
           (unsigned long long)ps.shm_forwarded, N, (unsigned long long)ps.shm_zero_copy);
    ck_assert_uint_eq(ps.shm_forwarded, N - 1); /* all but the first */
    ck_assert_uint_eq(ps.shm_zero_copy, 0);
}
END_TEST

START_TEST(t_abs_shared_copies_into_the_output_slot)
{
    ezc_pub_stats ps = run("abs", 1, 1, -1);
    printf("abs between two shm edges, slot shared: %llu of %d sent from their copy-on-write "
           "slot\n",
           (unsigned long long)ps.shm_zero_copy, N);
    ck_assert_uint_eq(ps.shm_zero_copy, N);
    ck_assert_uint_eq(ps.shm_forwarded, 0);
}
END_TEST

START_TEST(t_pass_through_forwards)
{
    ezc_pub_stats ps = run("transpose", 1, 1, 1); /* default order: the input as is */
    ck_assert_uint_eq(ps.shm_forwarded, N - 1);
    ck_assert_uint_eq(ps.shm_zero_copy, 0);
}
END_TEST

START_TEST(t_no_shm_reader_no_slot)
{
    ezc_pub_stats ps = run("abs", 0, 0, -1);
    ck_assert_uint_eq(ps.shm_zero_copy, 0);
    ck_assert_uint_eq(ps.shm_forwarded, 0);
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
    tcase_add_test(tc, t_abs_alone_writes_in_place_and_forwards);
    tcase_add_test(tc, t_abs_shared_copies_into_the_output_slot);
    tcase_add_test(tc, t_pass_through_forwards);
    tcase_add_test(tc, t_no_shm_reader_no_slot);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
