/* test_interrupt.c — the process-wide stop request (ezc/interrupt.h) over
 * real sockets: a receive, a back-pressured send and a wait for subscribers
 * that wait forever end with EZC_EINTR once another thread requests a stop
 * (no signal reaches the waiting thread: the waits themselves look at the
 * flag); what needs no wait still goes; an abandoned message takes no
 * sequence number; and a publisher removes the ipc:// socket file it bound,
 * but not one bound at that path by someone else since. Every wait is
 * bounded by the suite's timeout; no assertion depends on speed. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "check_run.h"
#include "pubsub_sample.h"

static void *interrupt_later(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    ezc_interrupt();
    return NULL;
}

/* Runs interrupt_later on a thread of its own; join it with pthread_join. */
static pthread_t start_interrupter(void)
{
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, interrupt_later, NULL), 0);
    return th;
}

static ezc_pub *pub_open(const char *endpoint, int hwm)
{
    ezc_pub_options o;
    ezc_pub_options_init(&o);
    o.hwm = hwm;
    o.first_wait_ms = 0;
    ezc_error err = {0, ""};
    ezc_pub *p = ezc_pub_new(endpoint, &o, &err);
    ck_assert_msg(p != NULL, "pub %s: %s", endpoint, err.msg);
    return p;
}

static ezc_sub *sub_open(const char *endpoint, int hwm)
{
    ezc_sub_options o;
    ezc_sub_options_init(&o);
    o.hwm = hwm;
    ezc_error err = {0, ""};
    ezc_sub *s = ezc_sub_new(endpoint, "", &o, &err);
    ck_assert_msg(s != NULL, "sub %s: %s", endpoint, err.msg);
    return s;
}

START_TEST(t_flag)
{
    ezc_interrupt_clear();
    ck_assert_int_eq(ezc_interrupted(), 0);
    ezc_interrupt();
    ck_assert_int_ne(ezc_interrupted(), 0);
    ezc_interrupt_clear();
    ck_assert_int_eq(ezc_interrupted(), 0);
    ck_assert_ptr_nonnull(strstr(ezc_strerror(EZC_EINTR), "interrupted"));
}
END_TEST

START_TEST(t_recv_forever_is_interrupted)
{
    ezc_interrupt_clear();
    ezc_pub *p = pub_open("inproc://intr-recv", 10);
    ezc_sub *s = sub_open("inproc://intr-recv", 10);
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 1, 5000, &err), 0);
    /* A message already queued is delivered even after the request. */
    ezc_array *a = sample_make(0, "intr");
    ck_assert_int_eq(ezc_pub_send(p, "t", a, &err), 0);
    ezc_interrupt();
    ezc_array *got = NULL;
    ck_assert_int_eq(ezc_sub_recv(s, &got, 5000, &err), 0);
    ck_assert_uint_eq(got->seq, 0);
    ezc_array_destroy(&got);
    /* Nothing queued: no wait at all once requested... */
    ck_assert_int_eq(ezc_sub_recv(s, &got, -1, &err), EZC_EINTR);
    ezc_interrupt_clear();
    /* ...and a wait forever that was under way ends too. */
    pthread_t th = start_interrupter();
    ck_assert_int_eq(ezc_sub_recv(s, &got, -1, &err), EZC_EINTR);
    pthread_join(th, NULL);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(err.code, EZC_EINTR);
    ck_assert_msg(
        strstr(err.msg, "sub inproc://intr-recv: receive abandoned: a stop was requested"), "%s",
        err.msg);
    ezc_interrupt_clear();
    ezc_array_destroy(&a);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_send_blocked_is_interrupted)
{
    ezc_interrupt_clear();
    ezc_pub *p = pub_open("inproc://intr-send", 2);
    ezc_sub *s = sub_open("inproc://intr-send", 2);
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 1, 5000, &err), 0);
    ezc_array *a = sample_make(0, "intr");
    /* Requested before: messages that fit still go, the first that would
     * wait (the subscriber never reads) comes back at once. */
    ezc_interrupt();
    int rc, sent = 0;
    while (sent < 1000 && (rc = ezc_pub_send(p, "t", a, &err)) == 0)
        sent++;
    ck_assert_int_eq(rc, EZC_EINTR);
    ck_assert_int_gt(sent, 0);
    ck_assert_int_lt(sent, 1000);
    ck_assert_msg(strstr(err.msg, "pub inproc://intr-send: send abandoned: a stop was "
                                  "requested while a subscriber's queue was full"),
                  "%s", err.msg);
    ezc_interrupt_clear();
    /* Requested while waiting forever for room (timeout -1). */
    pthread_t th = start_interrupter();
    ck_assert_int_eq(ezc_pub_send(p, "t", a, &err), EZC_EINTR);
    pthread_join(th, NULL);
    ezc_interrupt_clear();
    ck_assert_uint_eq(ezc_pub_sent(p), (uint64_t)sent);
    /* Abandoned messages took no number: the queue holds 0..sent-1, and
     * the next message sent is number `sent`, no gap. */
    ezc_array *got = NULL;
    for (int k = 0; k < sent; k++) {
        ck_assert_int_eq(ezc_sub_recv(s, &got, 5000, &err), 0);
        ck_assert_uint_eq(got->seq, (uint64_t)k);
        ezc_array_destroy(&got);
    }
    ck_assert_int_eq(ezc_pub_send(p, "t", a, &err), 0);
    ck_assert_int_eq(ezc_sub_recv(s, &got, 5000, &err), 0);
    ck_assert_uint_eq(got->seq, (uint64_t)sent);
    ezc_array_destroy(&got);
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    ck_assert_uint_eq(st.gaps, 0);
    ezc_array_destroy(&a);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_wait_subscribers_is_interrupted)
{
    ezc_interrupt_clear();
    ezc_pub *p = pub_open("inproc://intr-wait", 10);
    ezc_error err = {0, ""};
    pthread_t th = start_interrupter();
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 1, -1, &err), EZC_EINTR);
    pthread_join(th, NULL);
    ck_assert_msg(strstr(err.msg, "stopped waiting for subscribers (0 of 1)"), "%s", err.msg);
    ezc_interrupt_clear();
    ezc_pub_destroy(&p);
}
END_TEST

static int is_socket(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

START_TEST(t_ipc_file_removed_by_its_binder_only)
{
    char dir[] = "/tmp/ezc-test-interrupt-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128], ep[160];
    snprintf(path, sizeof path, "%s/p", dir);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_pub *p = pub_open(ep, 10);
    ck_assert(is_socket(path));
    ezc_pub_destroy(&p);
    ck_assert_msg(access(path, F_OK) != 0, "%s left behind", path);

    /* Another socket bound at the path since (the file was replaced): the
     * publisher's destroy leaves that one alone. */
    p = pub_open(ep, 10);
    ck_assert_int_eq(unlink(path), 0);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(path), sizeof sa.sun_path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ezc_pub_destroy(&p);
    ck_assert_msg(is_socket(path), "another binder's %s was removed", path);
    close(fd);
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("interrupt");
    TCase *tc = tcase_create("stop request");
    tcase_add_test(tc, t_flag);
    tcase_add_test(tc, t_recv_forever_is_interrupted);
    tcase_add_test(tc, t_send_blocked_is_interrupted);
    tcase_add_test(tc, t_wait_subscribers_is_interrupted);
    tcase_add_test(tc, t_ipc_file_removed_by_its_binder_only);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
