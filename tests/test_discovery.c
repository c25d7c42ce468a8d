/* test_discovery.c — stream names across hosts (ezc/discovery.h) through
 * its C API: a beacon's round trip and the wildcard host replaced; every
 * field of a hostile beacon checked (non-tcp endpoints, sizes, repeats,
 * bytes); configuration errors naming the interface or peer; an announcer
 * heard by a listener over loopback, a beacon from an unlisted address
 * refused, and a named tcp:// publisher resolved from another run folder. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check_run.h"
#include "ezc/discovery.h"
#include "ezc/pub.h"
#include "ezc/sub.h"

static ezc_stream_info sample(void)
{
    ezc_stream_info si = {.ndim = 2, .pid = 4242, .id = 77, .started_ns = 1700000000000000000};
    snprintf(si.name, sizeof si.name, "lab2/emg");
    snprintf(si.endpoint, sizeof si.endpoint, "tcp://0.0.0.0:5560");
    snprintf(si.dtype, sizeof si.dtype, "float32");
    si.shape[0] = 100;
    si.shape[1] = 8;
    snprintf(si.dims[0], sizeof si.dims[0], "time");
    snprintf(si.dims[1], sizeof si.dims[1], "ch");
    si.fs = 500;
    snprintf(si.topic, sizeof si.topic, "raw");
    snprintf(si.graph, sizeof si.graph, "amp");
    snprintf(si.curve_key, sizeof si.curve_key, "%s", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    si.time_port = 6001;
    return si;
}

/* A random port apart from other runs of the suite. */
static int test_port(void)
{
    return 20000 + (int)(getpid() % 20000);
}

START_TEST(t_round_trip)
{
    ezc_stream_info si = sample(), back;
    char buf[EZC_BEACON_MAX + 1];
    uint32_t local = htonl(0x0ae70001); /* 10.231.0.1 */
    int n = ezc_beacon_format(&si, local, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    ck_assert_int_le(n, EZC_BEACON_MAX);
    ezc_error err;
    ck_assert_msg(ezc_beacon_parse(buf, (size_t)n, &back, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(back.name, "lab2/emg");
    ck_assert_str_eq(back.endpoint, "tcp://10.231.0.1:5560");
    ck_assert_int_eq(back.pid, 4242);
    ck_assert_uint_eq(back.id, 77);
    ck_assert_str_eq(back.dtype, "float32");
    ck_assert_int_eq(back.ndim, 2);
    ck_assert_int_eq(back.shape[1], 8);
    ck_assert_str_eq(back.dims[1], "ch");
    ck_assert(back.fs == 500);
    ck_assert_str_eq(back.topic, "raw");
    ck_assert_int_eq(back.time_port, 6001); /* the clock service's port (ezc/clock.h) */
    ck_assert_str_eq(back.graph, "amp");
    ck_assert_str_eq(back.curve_key, si.curve_key);
    ck_assert(back.host[0]);
    /* A bound address is kept; an ipc:// stream has no beacon. */
    snprintf(si.endpoint, sizeof si.endpoint, "tcp://192.168.7.3:6000");
    n = ezc_beacon_format(&si, local, buf, sizeof buf);
    ck_assert_int_eq(ezc_beacon_parse(buf, (size_t)n, &back, &err), 0);
    ck_assert_str_eq(back.endpoint, "tcp://192.168.7.3:6000");
    snprintf(si.endpoint, sizeof si.endpoint, "ipc:///tmp/x.sock");
    ck_assert_int_eq(ezc_beacon_format(&si, local, buf, sizeof buf), -1);
    /* A topic too long for the datagram is left out, the rest stays. */
    si = sample();
    memset(si.topic, 't', sizeof si.topic - 1);
    si.topic[sizeof si.topic - 1] = '\0';
    n = ezc_beacon_format(&si, local, buf, 400);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 400);
    ck_assert_int_eq(ezc_beacon_parse(buf, (size_t)n, &back, &err), 0);
    ck_assert_str_eq(back.topic, "");
    ck_assert_str_eq(back.name, "lab2/emg");
}
END_TEST

/* Each case: a beacon that must be refused. */
START_TEST(t_hostile)
{
    const char *head = "ezc-beacon 1\nname=x\npid=1\nhost=h\n";
    const char *bad_tail[] = {
        "endpoint=ipc:///tmp/evil.sock\n",
        "endpoint=inproc://evil\n",
        "endpoint=tcp://10.0.0.1;10.0.0.2:5560\n",
        "endpoint=tcp://10.0.0.1:0\n",
        "endpoint=tcp://10.0.0.1:65536\n",
        "endpoint=tcp://10.0.0.1:05560\n",
        "endpoint=tcp://10.0.0.1:\n",
        "endpoint=tcp://:5560\n",
        "endpoint=tcp://-x:5560\n",
        "endpoint=tcp://a b:5560\n",
        "endpoint=udp://10.0.0.1:5560\n",
        "endpoint=tcp://10.0.0.1:5560\nendpoint=tcp://10.0.0.2:5560\n",
        "endpoint=tcp://h:1\nshape=1,2\n",                        /* no dtype, dims */
        "endpoint=tcp://h:1\ndtype=float32\nshape=1,2\ndims=a\n", /* 2 vs 1 */
        "endpoint=tcp://h:1\ndtype=float99\nshape=1\ndims=a\n",
        "endpoint=tcp://h:1\ndtype=float32\nshape=1,2,3,4,5,6,7,8,9\ndims=a,b,c,d,e,f,g,h,i\n",
        "endpoint=tcp://h:1\ndtype=float32\nshape=-1\ndims=a\n",
        "endpoint=tcp://h:1\ndtype=float32\nshape=99999999999999\ndims=a\n",
        "endpoint=tcp://h:1\nfs=nan\n",
        "endpoint=tcp://h:1\nfs=-3\n",
        "endpoint=tcp://h:1\nfs=1e400\n",
        "endpoint=tcp://h:1\nid=-5\n",
        "endpoint=tcp://h:1\nid=99999999999999999999999\n",
        "endpoint=tcp://h:1\ncurve=short\n",
        "endpoint=tcp://h:1\ncurve=~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n",
        "endpoint=tcp://h:1\ngraph=a//b\n",
        "endpoint=tcp://h:1\nno equals sign\n",
        "endpoint=tcp://h:1\n\n",
        "endpoint=tcp://h:1", /* no final newline */
        "endpoint=tcp://h:1\ntopic=a\tb\n",
        "endpoint=tcp://h:1\ntime=0\n",
        "endpoint=tcp://h:1\ntime=65536\n",
        "endpoint=tcp://h:1\ntime=-7\n",
        "endpoint=tcp://h:1\ntime=123456\n",
    };
    char buf[2 * EZC_BEACON_MAX];
    ezc_stream_info si;
    ezc_error err;
    for (size_t i = 0; i < sizeof bad_tail / sizeof *bad_tail; i++) {
        int n = snprintf(buf, sizeof buf, "%s%s", head, bad_tail[i]);
        ck_assert_msg(ezc_beacon_parse(buf, (size_t)n, &si, &err) == EZC_EPROTO, "accepted: %s",
                      bad_tail[i]);
        ck_assert(strstr(err.msg, "beacon:"));
    }
    /* Required fields, one missing at a time. */
    const char *full[] = {"name=x\n", "endpoint=tcp://h:1\n", "pid=1\n", "host=h\n"};
    for (int skip = 0; skip < 4; skip++) {
        int n = snprintf(buf, sizeof buf, "ezc-beacon 1\n");
        for (int k = 0; k < 4; k++)
            if (k != skip)
                n += snprintf(buf + n, sizeof buf - (size_t)n, "%s", full[k]);
        ck_assert_int_eq(ezc_beacon_parse(buf, (size_t)n, &si, &err), EZC_EPROTO);
    }
    /* A NUL inside, another magic, too long, nothing at all. */
    int n = snprintf(buf, sizeof buf, "%sendpoint=tcp://h:1\n", head);
    buf[20] = '\0';
    ck_assert_int_eq(ezc_beacon_parse(buf, (size_t)n, &si, &err), EZC_EPROTO);
    ck_assert_int_eq(ezc_beacon_parse("ezc-beacon 2\nname=x\n", 20, &si, &err), EZC_EPROTO);
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "ezc-beacon 1\n", 13);
    ck_assert_int_eq(ezc_beacon_parse(buf, EZC_BEACON_MAX + 1, &si, &err), EZC_EPROTO);
    ck_assert_int_eq(ezc_beacon_parse("", 0, &si, &err), EZC_EPROTO);
    /* The minimal good one, and an unknown key skipped. */
    n = snprintf(buf, sizeof buf, "%sendpoint=tcp://h:1\nlater=whatever\n", head);
    ck_assert_msg(ezc_beacon_parse(buf, (size_t)n, &si, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(si.endpoint, "tcp://h:1");
    ck_assert_int_eq(si.ndim, -1);
    /* Random bytes behind the magic never crash and never give a non-tcp endpoint. */
    srand(7);
    for (int round = 0; round < 20000; round++) {
        int len = 13 + rand() % 300;
        memcpy(buf, "ezc-beacon 1\n", 13);
        for (int i = 13; i < len; i++)
            buf[i] =
                (char)(rand() % 4 ? "name=endpoint=tcp://:1\n,h0pidfs"[rand() % 31] : rand() % 256);
        if (ezc_beacon_parse(buf, (size_t)len, &si, &err) == 0)
            ck_assert(!strncmp(si.endpoint, "tcp://", 6));
    }
}
END_TEST

START_TEST(t_config)
{
    ezc_discovery_config c;
    ezc_error err;
    ck_assert_int_eq(ezc_discovery_config_parse(NULL, NULL, 0, &c, &err), 0);
    ck_assert_int_eq(c.enabled, 0);
    ck_assert_int_eq(c.port, EZC_DISCOVERY_PORT);
    ck_assert_int_eq(ezc_discovery_config_parse("nosuch9", NULL, 0, &c, &err), EZC_EINVAL);
    ck_assert_str_eq(err.msg, "discovery: no IPv4 interface 'nosuch9'");
    ck_assert_int_eq(ezc_discovery_config_parse("lo", NULL, 0, &c, &err), EZC_EINVAL);
    ck_assert(strstr(err.msg, "interface lo has no broadcast address"));
    ck_assert_int_eq(ezc_discovery_config_parse(NULL, "no.such.host.invalid", 0, &c, &err),
                     EZC_EINVAL);
    ck_assert(strstr(err.msg, "cannot resolve peer 'no.such.host.invalid'"));
    ck_assert_int_eq(ezc_discovery_config_parse(NULL, "127.0.0.1, 127.0.0.2", 6000, &c, &err), 0);
    ck_assert_int_eq(c.enabled, 1);
    ck_assert_int_eq(c.npeers, 2);
    ck_assert_int_eq(c.port, 6000);
    setenv("EZC_DISCOVERY_PORT", "99999", 1);
    ck_assert_int_eq(ezc_discovery_config_from_env(&c, &err), EZC_EINVAL);
    ck_assert(strstr(err.msg, "EZC_DISCOVERY_PORT"));
    unsetenv("EZC_DISCOVERY_PORT");
}
END_TEST

START_TEST(t_announce_listen)
{
    ezc_discovery_config c;
    ezc_error err;
    ck_assert_int_eq(ezc_discovery_config_parse(NULL, "127.0.0.1", test_port(), &c, &err), 0);
    ezc_listener *l;
    ck_assert_msg(ezc_listener_new(&c, &l, &err) == 0, "%s", err.msg);
    ezc_stream_info si = sample(), got;
    ezc_announcer *a;
    ck_assert_msg(ezc_announcer_new(&c, &si, &a, &err) == 0, "%s", err.msg);
    ck_assert_msg(ezc_listener_recv(l, 2000, &got, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(got.name, "lab2/emg");
    ck_assert_str_eq(got.endpoint, "tcp://127.0.0.1:5560"); /* toward the peer: loopback */
    /* An update is sent at once, before the next periodic beacon. */
    si.fs = 1000;
    ezc_announcer_update(a, &si);
    int seen = 0;
    for (int i = 0; i < 5 && !seen; i++)
        seen = ezc_listener_recv(l, 1000, &got, &err) == 0 && got.fs == 1000;
    ck_assert(seen);
    ezc_announcer_destroy(&a);
    ck_assert_ptr_null(a);
    ezc_listener_destroy(&l);
    /* Peers only: a beacon from an address that is not one of them is refused. */
    ck_assert_int_eq(ezc_discovery_config_parse(NULL, "127.0.0.2", test_port(), &c, &err), 0);
    ck_assert_int_eq(ezc_listener_new(&c, &l, &err), 0);
    ezc_discovery_config to_me;
    ck_assert_int_eq(ezc_discovery_config_parse(NULL, "127.0.0.1", test_port(), &to_me, &err), 0);
    ck_assert_int_eq(ezc_announcer_new(&to_me, &si, &a, &err), 0);
    ck_assert_int_eq(ezc_listener_recv(l, 500, &got, &err), EZC_ETIMEOUT);
    ck_assert_uint_gt(ezc_listener_refused(l), 0);
    ezc_announcer_destroy(&a);
    ezc_listener_destroy(&l);
    ezc_announcer_destroy(&a); /* NULL-safe */
    si.endpoint[0] = '\0';
    ck_assert_int_eq(ezc_announcer_new(&to_me, &si, &a, &err), EZC_EINVAL);
}
END_TEST

/* A named tcp:// publisher in one run folder, resolved by name from another
 * (so not from the registry) through its beacon; data flows. */
START_TEST(t_resolve_remote)
{
    char a_dir[] = "/tmp/ezc-disc-a.XXXXXX", b_dir[] = "/tmp/ezc-disc-b.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(a_dir));
    ck_assert_ptr_nonnull(mkdtemp(b_dir));
    char port[16];
    snprintf(port, sizeof port, "%d", test_port() + 1);
    setenv("EZC_DISCOVERY_PORT", port, 1);
    setenv("EZC_PEERS", "127.0.0.1", 1);
    setenv("EZC_RUN_DIR", a_dir, 1);
    ezc_error err;
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.name = "far/away";
    ezc_pub *p = ezc_pub_new("tcp://127.0.0.1:*", &po, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    setenv("EZC_RUN_DIR", b_dir, 1);
    ezc_stream_info si;
    ck_assert_msg(ezc_names_resolve("far/away", &si, &err) == 0, "%s", err.msg);
    ck_assert(!strncmp(si.endpoint, "tcp://127.0.0.1:", 16));
    ck_assert(si.host[0]);
    /* A name nobody announces: not found, after listening. */
    ck_assert_int_eq(ezc_names_resolve("nobody/here", &si, &err), EZC_ENOTFOUND);
    ezc_pub_destroy(&p);
    /* Off by default: without EZC_PEERS nothing is listened for. */
    unsetenv("EZC_PEERS");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(ezc_names_resolve("far/away", &si, &err), EZC_ENOTFOUND);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 1);
    unsetenv("EZC_DISCOVERY_PORT");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", a_dir, b_dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("discovery");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_round_trip);
    tcase_add_test(tc, t_hostile);
    tcase_add_test(tc, t_config);
    tcase_add_test(tc, t_announce_listen);
    tcase_add_test(tc, t_resolve_remote);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
