/* test_clock.c — other hosts' clocks (ezc/clock.h) through the C API: the
 * probe answerer against every structured mutation of a request; a server
 * and a burst on loopback (the same clock: offset within the error bound of
 * zero); a server in a child process whose clock is 1500 ms ahead
 * (EZC_CLOCK_SKEW_MS), recovered within the bound; junk datagrams dropped
 * and counted, never answered; no server: a timeout; a tracker settling and
 * stopping promptly. */
#include <arpa/inet.h>
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check_run.h"
#include "ezc/clock.h"

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* A valid request: magic, version 1, kind 1, nonce, t0. */
static void request(unsigned char *q, uint64_t nonce, int64_t t0)
{
    memset(q, 0, EZC_CLOCK_PROBE_BYTES);
    memcpy(q, "ezc-time", 8);
    q[8] = 1;
    q[12] = 1;
    memcpy(q + 16, &nonce, 8); /* little-endian host (x86-64, arm64) */
    memcpy(q + 24, &t0, 8);
}

START_TEST(t_answer_hostile)
{
    unsigned char q[EZC_CLOCK_PROBE_BYTES + 16], r[EZC_CLOCK_PROBE_BYTES];
    request(q, 0x1122334455667788ULL, 42);
    ck_assert_int_eq(ezc_clock_probe_answer(q, EZC_CLOCK_PROBE_BYTES, r, 1000, 2000),
                     EZC_CLOCK_PROBE_BYTES);
    int64_t t1, t2;
    uint64_t nonce;
    memcpy(&nonce, r + 16, 8);
    memcpy(&t1, r + 32, 8);
    memcpy(&t2, r + 40, 8);
    ck_assert_uint_eq(nonce, 0x1122334455667788ULL);
    ck_assert_int_eq(r[12], 2); /* a reply */
    ck_assert_int_eq(t1, 1000);
    ck_assert_int_eq(t2, 2000);
    ck_assert_int_eq(memcmp(q + 24, r + 24, 8), 0); /* t0 echoed */
    /* Every other size, and a reply is not a request. */
    for (size_t n = 0; n < sizeof q; n++)
        if (n != EZC_CLOCK_PROBE_BYTES)
            ck_assert_int_eq(ezc_clock_probe_answer(q, n, r, 1, 2), -1);
    ck_assert_int_eq(ezc_clock_probe_answer(r, EZC_CLOCK_PROBE_BYTES, q, 1, 2), -1);
    /* Any change to magic, version or kind is refused; the rest (nonce, t0,
     * the server's fields) is the client's business and echoed. */
    for (int byte = 0; byte < EZC_CLOCK_PROBE_BYTES; byte++)
        for (int bit = 0; bit < 8; bit++) {
            request(q, 7, 9);
            q[byte] ^= (unsigned char)(1u << bit);
            int rc = ezc_clock_probe_answer(q, EZC_CLOCK_PROBE_BYTES, r, 1, 2);
            ck_assert_int_eq(rc, byte < 16 ? -1 : EZC_CLOCK_PROBE_BYTES);
        }
    /* Random bytes of the right size never pass. */
    srand(5);
    for (int i = 0; i < 20000; i++) {
        for (int k = 0; k < EZC_CLOCK_PROBE_BYTES; k++)
            q[k] = (unsigned char)rand();
        ck_assert_int_eq(ezc_clock_probe_answer(q, EZC_CLOCK_PROBE_BYTES, r, 1, 2), -1);
    }
    ck_assert_int_eq(ezc_clock_probe_answer(NULL, 48, r, 1, 2), -1);
}
END_TEST

START_TEST(t_same_clock)
{
    ezc_clock_server *s;
    ezc_error err;
    ck_assert_msg(ezc_clock_server_new(0, &s, &err) == 0, "%s", err.msg);
    int port = ezc_clock_server_port(s);
    ck_assert_int_gt(port, 0);
    ezc_clock_estimate e;
    ck_assert_msg(ezc_clock_measure("127.0.0.1", port, 8, 500, &e, &err) == 0, "%s", err.msg);
    ck_assert(e.valid);
    ck_assert_uint_eq(e.sent, 8);
    ck_assert_uint_eq(e.answered, 8);
    ck_assert_int_ge(e.rtt_ns, 0);
    ck_assert_int_lt(e.rtt_ns, 20000000); /* loopback: far below 20 ms even when loaded */
    /* One clock on both sides: the true offset is 0, and |error| <= rtt / 2
     * (plus the rounding of the halving). */
    ck_assert_msg(llabs(e.offset_ns) <= e.rtt_ns / 2 + 1, "offset %lld rtt %lld",
                  (long long)e.offset_ns, (long long)e.rtt_ns);
    uint64_t answered = 0, dropped;
    double t0 = mono_ms(); /* the server counts a reply after sending it: it may lag ours */
    while (ezc_clock_server_counts(s, &answered, &dropped), answered < 8 && mono_ms() - t0 < 2000)
        usleep(1000);
    ck_assert_uint_eq(answered, 8);
    ck_assert_uint_eq(dropped, 0);
    ezc_clock_server_destroy(&s);
    ck_assert_ptr_null(s);
    ezc_clock_server_destroy(&s); /* NULL-safe */
}
END_TEST

/* A clock 1500 ms ahead: a server in a child process with the skew. */
START_TEST(t_skewed_peer)
{
    int fds[2], port = 0;
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        setenv("EZC_CLOCK_SKEW_MS", "1500.25", 1);
        ezc_clock_server *s;
        ezc_error err;
        if (ezc_clock_server_new(0, &s, &err))
            _exit(1);
        port = ezc_clock_server_port(s);
        if (write(fds[1], &port, sizeof port) != (ssize_t)sizeof port)
            _exit(1);
        pause(); /* until killed */
        _exit(0);
    }
    close(fds[1]);
    ck_assert_int_eq(read(fds[0], &port, sizeof port), (ssize_t)sizeof port);
    ezc_clock_estimate e;
    ezc_error err;
    int rc = ezc_clock_measure("localhost", port, 16, 500, &e, &err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_assert_msg(rc == 0, "%s", err.msg);
    int64_t want = 1500250000;
    ck_assert_msg(llabs(e.offset_ns - want) <= e.rtt_ns / 2 + 1, "offset %lld (want %lld) rtt %lld",
                  (long long)e.offset_ns, (long long)want, (long long)e.rtt_ns);
}
END_TEST

/* Junk is dropped and counted; only the one request is answered. */
START_TEST(t_junk_dropped)
{
    ezc_clock_server *s;
    ezc_error err;
    ck_assert_msg(ezc_clock_server_new(0, &s, &err) == 0, "%s", err.msg);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(ezc_clock_server_port(s))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    unsigned char q[200];
    srand(11);
    for (int i = 0; i < 100; i++) { /* sizes 0..199, random bytes; some with the magic */
        size_t n = (size_t)(i * 2);
        for (size_t k = 0; k < n; k++)
            q[k] = (unsigned char)rand();
        if (n >= 8 && i % 3 == 0)
            memcpy(q, "ezc-time", 8);
        ck_assert_int_eq(send(fd, q, n, 0), (ssize_t)n);
    }
    request(q, 99, 123);
    ck_assert_int_eq(send(fd, q, EZC_CLOCK_PROBE_BYTES, 0), EZC_CLOCK_PROBE_BYTES);
    int replies = 0;
    unsigned char r[256];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 300) <= 0)
            break;
        ssize_t n = recv(fd, r, sizeof r, 0);
        ck_assert_int_eq(n, EZC_CLOCK_PROBE_BYTES);
        uint64_t nonce;
        memcpy(&nonce, r + 16, 8);
        ck_assert_uint_eq(nonce, 99);
        replies++;
    }
    ck_assert_int_eq(replies, 1);
    uint64_t answered, dropped;
    ezc_clock_server_counts(s, &answered, &dropped);
    ck_assert_uint_eq(answered, 1);
    ck_assert_uint_eq(dropped, 100);
    close(fd);
    ezc_clock_server_destroy(&s);
}
END_TEST

START_TEST(t_no_server)
{
    /* A port just freed: nobody answers there. */
    ezc_clock_server *s;
    ezc_error err;
    ck_assert_int_eq(ezc_clock_server_new(0, &s, &err), 0);
    int port = ezc_clock_server_port(s);
    ezc_clock_server_destroy(&s);
    ezc_clock_estimate e;
    double t0 = mono_ms();
    ck_assert_int_eq(ezc_clock_measure("127.0.0.1", port, 3, 100, &e, &err), EZC_ETIMEOUT);
    ck_assert_msg(mono_ms() - t0 < 1000, "took %.0f ms", mono_ms() - t0);
    ck_assert(!e.valid);
    ck_assert_msg(strstr(err.msg, "clock: no answer from 127.0.0.1:"), "%s", err.msg);
    ck_assert_int_eq(ezc_clock_measure("127.0.0.1", 0, 3, 100, &e, &err), EZC_EINVAL);
    ck_assert_int_eq(ezc_clock_measure("127.0.0.1", port, 0, 100, &e, &err), EZC_EINVAL);
    ck_assert_int_eq(ezc_clock_measure("", port, 1, 100, &e, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "clock: bad peer ''"), "%s", err.msg);
}
END_TEST

START_TEST(t_tracker)
{
    ezc_clock_server *s;
    ezc_error err;
    ck_assert_int_eq(ezc_clock_server_new(0, &s, &err), 0);
    ezc_clock_tracker *t;
    ck_assert_msg(ezc_clock_tracker_new("127.0.0.1", ezc_clock_server_port(s), 200, &t, &err) == 0,
                  "%s", err.msg);
    ck_assert_str_eq(ezc_clock_tracker_host(t), "127.0.0.1");
    ezc_clock_estimate e;
    double t0 = mono_ms();
    while (ezc_clock_tracker_get(t, &e) != 0 && mono_ms() - t0 < 2000)
        usleep(5000);
    ck_assert_msg(e.valid, "no estimate within 2 s");
    int64_t off;
    ck_assert_int_eq(ezc_clock_tracker_offset(t, &off), 0);
    ck_assert(llabs(off) <= e.rtt_ns / 2 + 1);
    usleep(700000); /* a few more bursts: 0.1 s, 0.3 s, then every 0.2 s */
    ck_assert_int_eq(ezc_clock_tracker_get(t, &e), 0);
    ck_assert_uint_ge(e.sent, 3 * EZC_CLOCK_BURST);
    ck_assert_uint_ge(e.answered, 3 * EZC_CLOCK_BURST);
    t0 = mono_ms();
    ezc_clock_tracker_destroy(&t);
    ck_assert_msg(mono_ms() - t0 < 300, "destroy took %.0f ms", mono_ms() - t0);
    ck_assert_ptr_null(t);
    /* A tracker of a peer that never answers: no estimate, no error. */
    int port = ezc_clock_server_port(s);
    ezc_clock_server_destroy(&s);
    ck_assert_int_eq(ezc_clock_tracker_new("127.0.0.1", port, 0, &t, &err), 0);
    usleep(300000);
    ck_assert_int_eq(ezc_clock_tracker_get(t, &e), EZC_ETIMEOUT);
    ck_assert(!e.valid);
    ck_assert_int_eq(ezc_clock_tracker_offset(t, &off), EZC_ETIMEOUT);
    t0 = mono_ms();
    ezc_clock_tracker_destroy(&t);
    ck_assert_msg(mono_ms() - t0 < 300, "destroy took %.0f ms", mono_ms() - t0);
}
END_TEST

/* A stream's tcp endpoint to the host whose clock is measured. */
START_TEST(t_endpoint_host)
{
    char h[16];
    ck_assert_int_eq(ezc_clock_endpoint_host("tcp://127.0.0.1:5555", h, sizeof h), 1);
    ck_assert_str_eq(h, "127.0.0.1");
    ck_assert_int_eq(ezc_clock_endpoint_host("tcp://[::1]:5555", h, sizeof h), 1);
    ck_assert_str_eq(h, "[::1]");
    const char *none[] = {"tcp://:5555",
                          "ipc:///tmp/x",
                          "tcp://hostname-without-port",
                          "tcp://a-host-name-too-long:5555",
                          "",
                          NULL};
    for (int i = 0; i < (int)(sizeof none / sizeof *none); i++) {
        memcpy(h, "junk", 5);
        ck_assert_msg(ezc_clock_endpoint_host(none[i], h, sizeof h) == 0, "%s",
                      none[i] ? none[i] : "NULL");
        ck_assert_str_eq(h, "");
    }
    /* exactly cap - 1 characters fit, cap do not */
    ck_assert_int_eq(ezc_clock_endpoint_host("tcp://abc:1", h, 4), 1);
    ck_assert_str_eq(h, "abc");
    ck_assert_int_eq(ezc_clock_endpoint_host("tcp://abcd:1", h, 4), 0);
    ck_assert_str_eq(h, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t_answer_hostile);
    tcase_add_test(tc, t_same_clock);
    tcase_add_test(tc, t_skewed_peer);
    tcase_add_test(tc, t_junk_dropped);
    tcase_add_test(tc, t_no_server);
    tcase_add_test(tc, t_tracker);
    tcase_add_test(tc, t_endpoint_host);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
