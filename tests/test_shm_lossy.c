/* test_shm_lossy.c — a subscriber that says it is lossy (ezc_sub_options
 * .lossy: a dashboard, a monitor) never holds a lossless publisher up in
 * shared memory: once its 1024-entry queue is full, each further message is
 * dropped for it at once, counted by the publisher (shm_dropped) and seen
 * by the subscriber as one gap of exactly that many. The same publisher
 * with an ordinary subscriber that stops reading waits on the first
 * message that does not fit (here its 0.3 s send timeout): the flag is what
 * makes the difference. And a subscriber that fell behind skips what is
 * queued but the newest (ezc_sub_skip_queued), counted as a gap. */
#include <check.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "check_run.h"
#include "ezc/ezc.h"

#define RING 1024 /* a reader's queue (core/shm.h EZC_SHM_RING) */

static char ep[160];

static ezc_array *value(double v)
{
    const int64_t shape[1] = {8};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), NULL);
    double *d = ezc_array_data(a);
    for (int i = 0; i < 8; i++)
        d[i] = v;
    return a;
}

static int send_value(ezc_pub *p, double v, ezc_error *err)
{
    ezc_array *a = value(v);
    int rc = ezc_pub_send(p, "t", a, err);
    ezc_array_destroy(&a);
    return rc;
}

static double recv_value(ezc_sub *s)
{
    ezc_error err;
    ezc_array *a = NULL;
    ck_assert_msg(ezc_sub_recv(s, &a, 5000, &err) == 0, "%s", err.msg);
    double v = ((const double *)ezc_array_data(a))[0];
    ezc_array_destroy(&a);
    return v;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void endpoint(const char *what)
{
    snprintf(ep, sizeof ep, "ipc:///tmp/ezc-shm-lossy-%s-%d", what, (int)getpid());
}

START_TEST(t_lossy_reader_never_holds_the_publisher)
{
    endpoint("a");
    ezc_error err;
    ezc_pub *p = ezc_pub_new(ep, NULL, &err); /* lossless, no timeout */
    ck_assert_msg(p != NULL, "%s", err.msg);
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    so.lossy = 1;
    ezc_sub *s = ezc_sub_new(ep, "", &so, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(send_value(p, 0, &err), 0);
    ck_assert_double_eq(recv_value(s), 0);
    ck_assert_str_eq(ezc_sub_path(s), "shm");
    /* 3000 more without reading: the first RING queue, the rest are dropped */
    double t0 = now_s(), slowest = 0;
    for (int i = 1; i <= 3000; i++) {
        double t1 = now_s();
        ck_assert_msg(send_value(p, i, &err) == 0, "send %d: %s", i, err.msg);
        slowest = now_s() - t1 > slowest ? now_s() - t1 : slowest;
    }
    printf("lossy reader: 3000 sends in %.3f s, the slowest %.1f ms\n", now_s() - t0,
           slowest * 1e3);
    ck_assert_msg(slowest < 0.25, "a send waited %.3f s for the lossy reader", slowest);
    ezc_pub_stats ps;
    ezc_pub_stats_get(p, &ps);
    ck_assert_uint_eq(ps.shm_dropped, 3000 - RING);
    for (int i = 1; i <= RING; i++)
        ck_assert_double_eq(recv_value(s), i);
    ck_assert_int_eq(send_value(p, 3001, &err), 0);
    ck_assert_double_eq(recv_value(s), 3001);
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    ck_assert_uint_eq(st.gaps, 3000 - RING);
    ck_assert_uint_eq(st.received, RING + 2);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_ordinary_reader_holds_it)
{
    endpoint("b");
    ezc_error err;
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.send_timeout_ms = 300;
    ezc_pub *p = ezc_pub_new(ep, &po, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ezc_sub *s = ezc_sub_new(ep, "", NULL, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(send_value(p, 0, &err), 0);
    ck_assert_double_eq(recv_value(s), 0);
    ck_assert_str_eq(ezc_sub_path(s), "shm");
    for (int i = 1; i <= RING; i++)
        ck_assert_msg(send_value(p, i, &err) == 0, "send %d: %s", i, err.msg);
    /* the queue is full: the next send waits its whole timeout for this
     * subscriber (forever without one) */
    double t0 = now_s();
    send_value(p, RING + 1, &err);
    double waited = now_s() - t0;
    ck_assert_msg(waited >= 0.25, "the send waited %.3f s, not the 0.3 s timeout", waited);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* A monitor that fell behind catches up: all but the newest queued
 * message handed back unread, counted as a gap, their slots free again. */
/* A publisher on endpoint `name` and a subscriber that has received value
 * 0 (so it reads shared memory), with values 1..n then queued for it. */
static void queued_pair(const char *name, int n, ezc_pub **p, ezc_sub **s)
{
    endpoint(name);
    ezc_error err;
    *p = ezc_pub_new(ep, NULL, &err);
    ck_assert_msg(*p != NULL, "%s", err.msg);
    *s = ezc_sub_new(ep, "", NULL, &err);
    ck_assert_msg(*s != NULL, "%s", err.msg);
    ck_assert_int_eq(send_value(*p, 0, &err), 0);
    ck_assert_double_eq(recv_value(*s), 0);
    for (int i = 1; i <= n; i++)
        ck_assert_int_eq(send_value(*p, i, &err), 0);
}

START_TEST(t_skip_queued)
{
    ezc_pub *p;
    ezc_sub *s;
    queued_pair("c", 100, &p, &s);
    ezc_pub_stats ps;
    ezc_pub_stats_get(p, &ps);
    ck_assert_uint_eq(ps.shm_held, 100);
    ck_assert_uint_eq(ezc_sub_skip_queued(s, 1), 99);
    ck_assert_uint_eq(ezc_sub_skip_queued(s, 1), 0); /* one left: nothing more */
    ezc_pub_stats_get(p, &ps);
    ck_assert_uint_eq(ps.shm_held, 1);
    ck_assert_double_eq(recv_value(s), 100);
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    ck_assert_uint_eq(st.gaps, 99);
    ck_assert_uint_eq(st.received, 2);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* Skipping stops at an end of stream: the marker stays queued and is
 * received, the messages before it counted as a gap. */
START_TEST(t_skip_keeps_eos)
{
    ezc_pub *p;
    ezc_sub *s;
    ezc_error err;
    queued_pair("d", 10, &p, &s);
    ck_assert_msg(ezc_pub_send_eos(p, "t", &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(ezc_sub_skip_queued(s, 0), 10);
    ck_assert_uint_eq(ezc_sub_skip_queued(s, 0), 0); /* the marker is next: nothing more */
    ezc_pub_stats ps;
    ezc_pub_stats_get(p, &ps);
    ck_assert_uint_eq(ps.shm_held, 1);
    ezc_array *a = NULL;
    ck_assert_int_eq(ezc_sub_recv(s, &a, 5000, &err), EZC_EEOS);
    ck_assert_ptr_null(a);
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    ck_assert_uint_eq(st.gaps, 10);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("shm_lossy");
    TCase *tc = tcase_create("all");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_lossy_reader_never_holds_the_publisher);
    tcase_add_test(tc, t_ordinary_reader_holds_it);
    tcase_add_test(tc, t_skip_queued);
    tcase_add_test(tc, t_skip_keeps_eos);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
