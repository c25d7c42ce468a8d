/* test_pubsub.c — publish/subscribe over real ZeroMQ sockets: inproc (by
 * reference, copy-on-write), ipc and tcp (wire codec), fan-out, topic
 * filtering, gaps under a lossy publisher, back-pressure without loss,
 * malformed frames from a raw socket, a publisher in a child process,
 * timeouts, ipc:// endpoint ownership (a served path is refused, a dead
 * owner's file reclaimed, a regular file never deleted, 0600 files) and the
 * first message reaching a subscriber that connected before the bind.
 * Every wait is bounded; no assertion depends on speed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "check_run.h"
#include "pubsub_sample.h"

#define WAIT_MS 5000

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ezc_pub *pub_open(const char *endpoint, int hwm, int lossy, int send_timeout_ms)
{
    ezc_pub_options o;
    ezc_pub_options_init(&o);
    o.hwm = hwm;
    o.lossy = lossy;
    o.send_timeout_ms = send_timeout_ms;
    ezc_error err = {0, ""};
    ezc_pub *p = ezc_pub_new(endpoint, &o, &err);
    ck_assert_msg(p != NULL, "pub %s: %s", endpoint, err.msg);
    return p;
}

static ezc_sub *sub_open(const char *endpoint, const char *topic, int hwm)
{
    ezc_sub_options o;
    ezc_sub_options_init(&o);
    o.hwm = hwm;
    ezc_error err = {0, ""};
    ezc_sub *s = ezc_sub_new(endpoint, topic, &o, &err);
    ck_assert_msg(s != NULL, "sub %s: %s", endpoint, err.msg);
    return s;
}

static void wait_subs(ezc_pub *p, int n)
{
    ezc_error err = {0, ""};
    int rc = ezc_pub_wait_subscribers(p, n, WAIT_MS, &err);
    ck_assert_msg(rc == 0, "wait_subscribers: %s", err.msg);
}

static void send_sample(ezc_pub *p, const char *topic, int k)
{
    ezc_error err = {0, ""};
    ezc_array *a = sample_make(k, "test");
    ck_assert_ptr_nonnull(a);
    int rc = ezc_pub_send(p, topic, a, &err);
    ck_assert_msg(rc == 0, "send %d: %s", k, err.msg);
    ezc_array_destroy(&a);
}

static ezc_array *recv_ok(ezc_sub *s, char *topic, size_t cap)
{
    ezc_error err = {0, ""};
    ezc_array *a = NULL;
    int rc = ezc_sub_recv_topic(s, &a, topic, cap, WAIT_MS, &err);
    ck_assert_msg(rc == 0, "recv: %s", err.msg);
    return a;
}

static ezc_sub_stats stats_of(ezc_sub *s)
{
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    return st;
}

/* Sends samples 0..2 under "emg" and checks everything the receiver sees. */
static void roundtrip(ezc_pub *p, ezc_sub *s)
{
    wait_subs(p, 1);
    int64_t before = realtime_ns();
    for (int k = 0; k < 3; k++)
        send_sample(p, "emg", k);
    char why[256];
    for (int k = 0; k < 3; k++) {
        char topic[16];
        ezc_array *a = recv_ok(s, topic, sizeof topic);
        ck_assert_msg(sample_check(a, k, "test", why, sizeof why) == 0, "%s", why);
        ck_assert_str_eq(topic, "emg");
        ck_assert_uint_eq(a->src, ezc_pub_id(p));
        ck_assert_uint_eq(a->seq, (uint64_t)k); /* numbering starts at 0 */
        ck_assert_int_ge(a->ts_ns, before);
        ck_assert_int_le(a->ts_ns, realtime_ns());
        ezc_array_destroy(&a);
    }
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.received, 3);
    ck_assert_uint_eq(st.gaps, 0);
    ck_assert_uint_eq(st.malformed, 0);
    ck_assert_uint_eq(st.publishers, 1);
    ck_assert_uint_eq(ezc_pub_sent(p), 3);
}

START_TEST(t_inproc_roundtrip)
{
    ezc_pub *p = pub_open("inproc://rt", 1000, 0, -1);
    ezc_sub *s = sub_open("inproc://rt", "", 1000);
    ck_assert_str_eq(ezc_pub_endpoint(p), "inproc://rt");
    roundtrip(p, s);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(t_inproc_no_copy_and_cow)
{
    ezc_pub *p = pub_open("inproc://cow", 1000, 0, -1);
    ezc_sub *s = sub_open("inproc://cow", "", 1000);
    wait_subs(p, 1);
    ezc_array *a = sample_make(7, "test");
    ezc_error err;
    ck_assert_int_eq(ezc_pub_send(p, "x", a, &err), 0);
    ck_assert_int_eq(a->seq, 0); /* the sender's header is not stamped */
    ezc_array *b = recv_ok(s, NULL, 0);
    ck_assert_ptr_eq(ezc_array_data(b), ezc_array_data(a));
    ck_assert_ptr_eq(b->buf, a->buf);
    ck_assert_int_eq(ezc_array_is_writable(b), 0);
    ck_assert_int_eq(ezc_array_make_writable(b, &err), 0);
    ck_assert_ptr_ne(ezc_array_data(b), ezc_array_data(a));
    ((float *)ezc_array_data(b))[0] = -5.0f;
    ck_assert_float_eq(((float *)ezc_array_data(a))[0], 7000.0f);
    ck_assert_float_eq(((float *)ezc_array_data(b))[1], 7001.0f);
    /* Once the receiver let go, the sender's buffer is its own again. */
    ck_assert_int_eq(ezc_array_is_writable(a), 1);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_ipc_roundtrip)
{
    char path[128], ep[160];
    snprintf(path, sizeof path, "/tmp/ezc-test-pubsub-%d-%llx.ipc", (int)getpid(),
             (unsigned long long)realtime_ns());
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_pub *p = pub_open(ep, 1000, 0, -1);
    ezc_sub *s = sub_open(ep, "", 1000);
    ck_assert_str_eq(ezc_pub_endpoint(p), ep);
    roundtrip(p, s);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
    unlink(path);
    struct stat sb;
    ck_assert_int_ne(stat(path, &sb), 0);
}
END_TEST

START_TEST(t_tcp_wildcard_roundtrip)
{
    ezc_pub *p = pub_open("tcp://127.0.0.1:*", 1000, 0, -1);
    const char *ep = ezc_pub_endpoint(p);
    ck_assert_msg(strncmp(ep, "tcp://127.0.0.1:", 16) == 0 && atoi(ep + 16) > 0,
                  "bound endpoint %s", ep);
    ezc_sub *s = sub_open(ep, "", 1000);
    roundtrip(p, s);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_tcp_large_and_empty)
{
    /* A frame bigger than ZeroMQ's receive batch and one with no data. */
    ezc_pub *p = pub_open("tcp://127.0.0.1:*", 1000, 0, -1);
    ezc_sub *s = sub_open(ezc_pub_endpoint(p), "", 1000);
    wait_subs(p, 1);
    const int64_t big[1] = {300000}, none[2] = {0, 5};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, big, NULL, ezc_device_cpu(), NULL);
    double *v = ezc_array_data(a);
    for (int64_t i = 0; i < big[0]; i++)
        v[i] = (double)i * 0.5 - 7.0;
    ezc_array *e = ezc_array_zeros(EZC_INT16, 2, none, NULL, NULL);
    ezc_error err;
    ck_assert_int_eq(ezc_pub_send(p, "big", a, &err), 0);
    ck_assert_int_eq(ezc_pub_send(p, "empty", e, &err), 0);
    ezc_array *r = recv_ok(s, NULL, 0);
    ck_assert_int_eq(r->shape[0], big[0]);
    ck_assert_int_eq(memcmp(ezc_array_data(r), v, (size_t)big[0] * 8), 0);
    ck_assert_uint_eq((uintptr_t)ezc_array_data(r) % 8, 0);
    ezc_array_destroy(&r);
    r = recv_ok(s, NULL, 0);
    ck_assert_int_eq(r->dtype, EZC_INT16);
    ck_assert_int_eq(ezc_array_ndim(r), 2);
    ck_assert_int_eq(r->shape[0], 0);
    ck_assert_int_eq(r->shape[1], 5);
    ck_assert_uint_eq(ezc_array_nbytes(r), 0);
    ezc_array_destroy(&r);
    ezc_array_destroy(&a);
    ezc_array_destroy(&e);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_two_subscribers)
{
    const char *eps[2] = {"inproc://fan", "tcp://127.0.0.1:*"};
    for (int t = 0; t < 2; t++) {
        ezc_pub *p = pub_open(eps[t], 1000, 0, -1);
        ezc_sub *s1 = sub_open(ezc_pub_endpoint(p), "", 1000);
        ezc_sub *s2 = sub_open(ezc_pub_endpoint(p), "", 1000);
        wait_subs(p, 2);
        for (int k = 0; k < 50; k++)
            send_sample(p, "fan", k);
        char why[256];
        for (int k = 0; k < 50; k++) {
            ezc_array *a = recv_ok(s1, NULL, 0), *b = recv_ok(s2, NULL, 0);
            ck_assert_msg(sample_check(a, k, "test", why, sizeof why) == 0, "%s", why);
            ck_assert_msg(sample_check(b, k, "test", why, sizeof why) == 0, "%s", why);
            ezc_array_destroy(&a);
            ezc_array_destroy(&b);
        }
        ck_assert_uint_eq(stats_of(s1).received, 50);
        ck_assert_uint_eq(stats_of(s2).received, 50);
        ck_assert_uint_eq(stats_of(s1).gaps + stats_of(s2).gaps, 0);
        ezc_sub_destroy(&s1);
        ezc_sub_destroy(&s2);
        ezc_pub_destroy(&p);
    }
}
END_TEST

START_TEST(t_topic_prefix)
{
    ezc_pub *p = pub_open("inproc://topics", 1000, 0, -1);
    ezc_sub *s = sub_open("inproc://topics", "emg", 1000);
    wait_subs(p, 1);
    send_sample(p, "eeg", 0);
    send_sample(p, "emg.raw", 1);
    send_sample(p, "em", 2);
    send_sample(p, NULL, 3);
    send_sample(p, "emg", 4);
    send_sample(p, "emg", 5);
    char topic[4]; /* too small on purpose: truncated, still terminated */
    ezc_array *a = recv_ok(s, topic, sizeof topic);
    ck_assert_str_eq(topic, "emg");
    ck_assert_int_eq(((float *)ezc_array_data(a))[0], 1000.0f);
    ck_assert_uint_eq(a->seq, 0);
    ezc_array_destroy(&a);
    char full[32];
    for (int k = 4; k <= 5; k++) {
        a = recv_ok(s, full, sizeof full);
        ck_assert_str_eq(full, "emg");
        ck_assert_int_eq(((float *)ezc_array_data(a))[0], 1000.0f * k);
        ck_assert_uint_eq(a->seq, (uint64_t)k - 4); /* numbered per topic */
        ezc_array_destroy(&a);
    }
    ezc_error err;
    ck_assert_int_eq(ezc_sub_recv(s, &a, 50, &err), EZC_ETIMEOUT);
    /* Messages filtered away on other topics are not counted as lost. */
    ck_assert_uint_eq(stats_of(s).gaps, 0);
    ck_assert_uint_eq(stats_of(s).received, 3);
    ck_assert_uint_eq(stats_of(s).publishers, 1);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* A lossy publisher with a tiny queue overruns a subscriber that is not
 * reading: whole messages are dropped and show up as gaps. */
START_TEST(t_lossy_gaps)
{
    ezc_pub *p = pub_open("inproc://lossy", 1, 1, -1);
    ezc_sub *s = sub_open("inproc://lossy", "", 1);
    wait_subs(p, 1);
    const int n = 500;
    for (int k = 0; k < n; k++)
        send_sample(p, "l", k); /* never blocks: full queues drop */
    ezc_array *a;
    ezc_error err;
    uint64_t got = 0;
    while (ezc_sub_recv(s, &a, 200, &err) == 0) {
        got++;
        ezc_array_destroy(&a);
    }
    ck_assert_int_eq(err.code, EZC_ETIMEOUT);
    /* The queue is empty now: one more message surely arrives, closing the count. */
    send_sample(p, "l", n);
    a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, (uint64_t)n);
    ezc_array_destroy(&a);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.received, got + 1);
    ck_assert_uint_gt(st.gaps, 0);
    ck_assert_uint_lt(got, (uint64_t)n);
    ck_assert_uint_eq(st.received + st.gaps, ezc_pub_sent(p));
    ck_assert_uint_eq(ezc_pub_sent(p), (uint64_t)n + 1);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

typedef struct {
    ezc_sub *s;
    int n;
    uint64_t got;
    int in_order;
} slow_reader;

static void *read_slowly(void *arg)
{
    slow_reader *r = arg;
    r->in_order = 1;
    struct timespec pause = {0, 200000};
    for (int k = 0; k < r->n; k++) {
        ezc_array *a;
        if (ezc_sub_recv(r->s, &a, WAIT_MS, NULL) != 0)
            break;
        r->in_order &= a->seq == (uint64_t)k;
        r->got++;
        ezc_array_destroy(&a);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* The default publisher never drops: a full queue makes send wait, and with
 * send_timeout_ms set it gives up with EZC_ETIMEOUT, having sent nothing. */
START_TEST(t_nodrop_backpressure)
{
    ezc_pub *p = pub_open("inproc://nodrop", 2, 0, 100);
    ezc_sub *s = sub_open("inproc://nodrop", "", 2);
    wait_subs(p, 1);
    ezc_array *a = sample_make(0, "test");
    ezc_error err = {0, ""};
    int rc = 0, tries = 0;
    while (tries < 1000 && (rc = ezc_pub_send(p, "n", a, &err)) == 0)
        tries++;
    ck_assert_int_eq(rc, EZC_ETIMEOUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "timed out after 100 ms"));
    ck_assert_ptr_nonnull(strstr(err.msg, "inproc://nodrop"));
    uint64_t queued = ezc_pub_sent(p);
    ck_assert_uint_eq(queued, (uint64_t)tries);
    ck_assert_uint_lt(queued, 1000);
    ezc_array_destroy(&a);

    /* A reader now drains while the publisher (waiting forever) sends more. */
    ezc_pub_destroy(&p);
    ezc_sub_destroy(&s);
    p = pub_open("inproc://nodrop2", 2, 0, -1);
    s = sub_open("inproc://nodrop2", "", 2);
    wait_subs(p, 1);
    slow_reader r = {s, 300, 0, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, read_slowly, &r), 0);
    for (int k = 0; k < r.n; k++)
        send_sample(p, "n", k);
    pthread_join(th, NULL);
    ck_assert_uint_eq(r.got, (uint64_t)r.n);
    ck_assert_int_eq(r.in_order, 1);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.received, ezc_pub_sent(p));
    ck_assert_uint_eq(st.gaps, 0);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* Waits for the first subscription on a raw XPUB socket. */
static void raw_wait_subscriber(void *xpub)
{
    zmq_pollitem_t it = {xpub, 0, ZMQ_POLLIN, 0};
    ck_assert_int_eq(zmq_poll(&it, 1, WAIT_MS), 1);
    char sub[16];
    ck_assert_int_ge(zmq_recv(xpub, sub, sizeof sub, 0), 1);
    ck_assert_int_eq(sub[0], 1);
}

static void raw_send(void *sock, int nframes, const void *const *frames, const size_t *lens)
{
    for (int i = 0; i < nframes; i++)
        ck_assert_int_ge(zmq_send(sock, frames[i], lens[i], i + 1 < nframes ? ZMQ_SNDMORE : 0), 0);
}

/* After a raw message, recv finds nothing valid; the count and the reason show. */
static void expect_malformed(ezc_sub *s, uint64_t count, const char *why)
{
    ezc_array *a = NULL;
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_sub_recv(s, &a, 300, &err), EZC_ETIMEOUT);
    ck_assert_ptr_null(a);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.malformed, count);
    ck_assert_msg(strstr(st.last_error, why) != NULL, "last_error '%s' lacks '%s'", st.last_error,
                  why);
}

static int log_lines;
static void count_log(ezc_log_level level, const char *msg, void *ctx)
{
    (void)level;
    (void)msg;
    (void)ctx;
    log_lines++;
}

START_TEST(t_malformed_from_raw_socket)
{
    ezc_log_set_handler(count_log, NULL);
    void *raw = zmq_socket(ezc_zmq_context(), ZMQ_XPUB);
    ck_assert_int_eq(zmq_bind(raw, "tcp://127.0.0.1:*"), 0);
    char raw_ep[128];
    size_t len = sizeof raw_ep;
    zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, raw_ep, &len);
    ezc_pub *good = pub_open("tcp://127.0.0.1:*", 1000, 0, -1);
    ezc_sub *s = sub_open(raw_ep, "", 1000);
    ezc_error err;
    ck_assert_int_eq(ezc_sub_connect(s, ezc_pub_endpoint(good), &err), 0);
    raw_wait_subscriber(raw);
    wait_subs(good, 1);

    const void *f[4] = {"t", "x", "y", "z"};
    size_t l[4] = {1, 1, 1, 1};
    raw_send(raw, 1, f, l);
    expect_malformed(s, 1, "message of 1 frame (expected 3");
    raw_send(raw, 4, f, l);
    expect_malformed(s, 2, "message of 4 frames");
    raw_send(raw, 2, f, l); /* two frames are only ever valid from inproc */
    expect_malformed(s, 3, "message of 2 frames");

    const unsigned char garbage[] = {0xc1, 0xff, 0x00, 0x13, 0x37};
    f[1] = garbage;
    l[1] = sizeof garbage;
    raw_send(raw, 3, f, l);
    expect_malformed(s, 4, "sub tcp://127.0.0.1:");
    expect_malformed(s, 4, "header: expected a msgpack map");

    /* A valid header whose data frame is 2 bytes short. */
    ezc_wire_encoder *enc = ezc_wire_encoder_new(&err);
    ck_assert_ptr_nonnull(enc);
    ezc_array *a = sample_make(1, "raw");
    const void *hdr;
    size_t hlen;
    ck_assert_int_eq(ezc_wire_encode_header(enc, a, &hdr, &hlen, &err), 0);
    f[1] = hdr;
    l[1] = hlen;
    f[2] = ezc_array_data(a);
    l[2] = ezc_array_nbytes(a) - 2;
    raw_send(raw, 3, f, l);
    expect_malformed(s, 5, "data: frame has 46 bytes");
    expect_malformed(s, 5, "itemsize(float32) = 48");
    /* The same header with the right data decodes: the codec, not luck. */
    l[2] = ezc_array_nbytes(a);
    raw_send(raw, 3, f, l);
    ezc_array *r = recv_ok(s, NULL, 0);
    char why[256];
    ck_assert_msg(sample_check(r, 1, "raw", why, sizeof why) == 0, "%s", why);
    ezc_array_destroy(&r);

    /* A real publisher is still heard after all that. */
    send_sample(good, "ok", 9);
    r = recv_ok(s, NULL, 0);
    ck_assert_msg(sample_check(r, 9, "test", why, sizeof why) == 0, "%s", why);
    ezc_array_destroy(&r);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.malformed, 5);
    ck_assert_uint_eq(st.received, 2);
    ck_assert_uint_eq(st.publishers, 2);
    /* Logged once per kind: frame count, then header/data. */
    ck_assert_int_eq(log_lines, 2);
    ezc_log_set_handler(NULL, NULL);

    ezc_array_destroy(&a);
    ezc_wire_encoder_destroy(&enc);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&good);
    zmq_close(raw);
}
END_TEST

static void free_nothing(void *data, void *hint)
{
    (void)data;
    (void)hint;
}

/* inproc frames are trusted only when made by an ezc publisher in this
 * process: wrong size, a forged frame that points at itself without the
 * secret tag, or plain garbage are rejected without being dereferenced. */
START_TEST(t_malformed_inproc_frames)
{
    void *raw = zmq_socket(ezc_zmq_context(), ZMQ_XPUB);
    ck_assert_int_eq(zmq_bind(raw, "inproc://raw"), 0);
    ezc_sub *s = sub_open("inproc://raw", "", 1000);
    raw_wait_subscriber(raw);

    const void *f[2] = {"t", "short"};
    size_t l[2] = {1, 5};
    raw_send(raw, 2, f, l);
    expect_malformed(s, 1, "inproc frame of 5 bytes (expected 24)");

    struct {
        uint64_t tag;
        const void *self;
        void *arr;
    } forged = {0x1234, NULL, (void *)0x10};
    forged.self = &forged;
    zmq_msg_t m;
    zmq_msg_init_data(&m, &forged, sizeof forged, free_nothing, NULL);
    ck_assert_int_eq(zmq_send(raw, "t", 1, ZMQ_SNDMORE), 1);
    ck_assert_int_eq(zmq_msg_send(&m, raw, 0), (int)sizeof forged);
    expect_malformed(s, 2, "not made by an ezc publisher of this process");

    unsigned char junk[24];
    memset(junk, 0xab, sizeof junk);
    f[1] = junk;
    l[1] = sizeof junk;
    raw_send(raw, 2, f, l);
    expect_malformed(s, 3, "not made by an ezc publisher");
    ezc_sub_destroy(&s);
    zmq_close(raw);
}
END_TEST

/* A publisher in another process (fork + exec of pubsub_helper) over ipc. */
START_TEST(t_child_process_ipc)
{
    const char *build = getenv("EZC_BUILD_DIR");
    ck_assert_msg(build != NULL, "EZC_BUILD_DIR is not set (run through meson test)");
    char helper[512], path[128], ep[160];
    snprintf(helper, sizeof helper, "%s/tests/pubsub_helper", build);
    snprintf(path, sizeof path, "/tmp/ezc-test-child-%d-%llx.ipc", (int)getpid(),
             (unsigned long long)realtime_ns());
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_sub *s = sub_open(ep, "sample", 1000); /* connects before the bind: ZeroMQ retries */
    const int n = 200;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(helper, helper, "pub", ep, "200", (char *)NULL);
        _exit(127);
    }
    char why[256];
    uint64_t src = 0;
    for (int k = 0; k < n; k++) {
        ezc_array *a = recv_ok(s, NULL, 0);
        ck_assert_msg(sample_check(a, k, "c-helper", why, sizeof why) == 0, "%s", why);
        ck_assert_uint_eq(a->seq, (uint64_t)k);
        if (k == 0)
            src = a->src;
        ck_assert_uint_eq(a->src, src);
        ezc_array_destroy(&a);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "helper status %d", status);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.received, (uint64_t)n);
    ck_assert_uint_eq(st.gaps, 0);
    ck_assert_uint_eq(st.publishers, 1);
    ezc_sub_destroy(&s);
    unlink(path);
}
END_TEST

static void ipc_path(char *path, size_t cap, const char *what)
{
    snprintf(path, cap, "/tmp/ezc-test-%s-%d-%llx.ipc", what, (int)getpid(),
             (unsigned long long)realtime_ns());
}

/* A second publisher on a served ipc path, in this process or another, is
 * refused: the first keeps its socket file and its subscribers. */
START_TEST(t_ipc_served_path_refused)
{
    char path[100], lock[112], ep[112], want[512];
    ipc_path(path, sizeof path, "claim");
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_pub *p = pub_open(ep, 1000, 0, -1);
    struct stat sb, again;
    ck_assert_int_eq(lstat(path, &sb), 0);
    ck_assert(S_ISSOCK(sb.st_mode));
    ck_assert_int_eq(sb.st_mode & 0777, 0600); /* owner-only */
    char held[32] = "";
    FILE *f = fopen(lock, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(held, sizeof held, f));
    fclose(f);
    ck_assert_int_eq(atoi(held), (int)getpid());

    ezc_error err = {0, ""};
    ck_assert_ptr_null(ezc_pub_new(ep, NULL, &err));
    ck_assert_int_eq(err.code, EZC_EIO);
    snprintf(want, sizeof want, "%s: in use by pid %d (lock %s)", ep, (int)getpid(), lock);
    ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    /* Another process is refused the same way (flock, not a per-process lock). */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        ezc_error cerr = {0, ""};
        ezc_pub *q = ezc_pub_new(ep, NULL, &cerr);
        _exit(q == NULL && strstr(cerr.msg, want) != NULL ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    ck_assert_int_eq(lstat(path, &again), 0);
    ck_assert_uint_eq(again.st_ino, sb.st_ino); /* the first's file, untouched */
    ezc_sub *s = sub_open(ep, "", 1000);
    roundtrip(p, s);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
    ck_assert_int_ne(lstat(path, &sb), 0); /* both files gone with the owner */
    ck_assert_int_ne(lstat(lock, &sb), 0);
    p = pub_open(ep, 1000, 0, -1); /* and the path is free again */
    ezc_pub_destroy(&p);
}
END_TEST

/* A socket file nobody listens on (its owner died) is reclaimed; a path
 * that is not a socket is refused and left as it was. */
START_TEST(t_ipc_stale_and_foreign_files)
{
    char path[100], ep[112];
    ipc_path(path, sizeof path, "stale");
    snprintf(ep, sizeof ep, "ipc://%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    close(fd); /* the file stays, nobody accepts */
    struct stat sb;
    ck_assert_int_eq(lstat(path, &sb), 0);
    ezc_pub *p = pub_open(ep, 1000, 0, -1);
    ezc_sub *s = sub_open(ep, "", 1000);
    roundtrip(p, s);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
    ck_assert_int_ne(lstat(path, &sb), 0);

    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("keep me", f);
    fclose(f);
    ezc_error err = {0, ""};
    ck_assert_ptr_null(ezc_pub_new(ep, NULL, &err));
    ck_assert_int_eq(err.code, EZC_EIO);
    ck_assert_msg(strstr(err.msg, "exists and is not a socket") != NULL, "%s", err.msg);
    char back[16] = "";
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(back, sizeof back, f));
    fclose(f);
    ck_assert_str_eq(back, "keep me");
    unlink(path);
}
END_TEST

/* A subscriber that connected before the bind (ZeroMQ retries every 100 ms)
 * gets seq 0 though the publisher sends at once, without waiting itself. */
START_TEST(t_first_message_reaches_early_subscriber)
{
    char path[128], ep[160];
    ipc_path(path, sizeof path, "first");
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_sub *s = sub_open(ep, "", 1000);
    ezc_pub *p = pub_open(ep, 1000, 0, -1);
    send_sample(p, "emg", 0);
    send_sample(p, "emg", 1);
    char why[256];
    ezc_array *a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, 0);
    ck_assert_msg(sample_check(a, 0, "test", why, sizeof why) == 0, "%s", why);
    ezc_array_destroy(&a);
    a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, 1);
    ezc_array_destroy(&a);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

START_TEST(t_recv_timeout)
{
    ezc_sub *s = sub_open("inproc://nobody", "", 1000);
    ezc_array *a = (ezc_array *)&a;
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_sub_recv(s, &a, 50, &err), EZC_ETIMEOUT);
    ck_assert_ptr_null(a);
    ck_assert_ptr_nonnull(strstr(err.msg, "no valid message within 50 ms"));
    ck_assert_ptr_nonnull(strstr(err.msg, "inproc://nobody"));
    ck_assert_int_eq(ezc_sub_recv(s, &a, 0, &err), EZC_ETIMEOUT);
    ck_assert_uint_eq(stats_of(s).received, 0);
    ezc_sub_destroy(&s);
}
END_TEST

START_TEST(t_conflate_keeps_latest)
{
    ezc_pub *p = pub_open("inproc://conflate", 1000, 0, -1);
    ezc_sub_options o;
    ezc_sub_options_init(&o);
    o.conflate = 1;
    ezc_sub *s = ezc_sub_new("inproc://conflate", "", &o, NULL);
    ck_assert_ptr_nonnull(s);
    wait_subs(p, 1);
    for (int k = 0; k < 10; k++)
        send_sample(p, "c", k);
    ezc_array *a = recv_ok(s, NULL, 0);
    /* The first may be alone in the queue when recv looks; what follows
     * replaces it, so the latest wins once all ten are in. */
    while (a->seq != 9) {
        ezc_array_destroy(&a);
        a = recv_ok(s, NULL, 0);
    }
    ck_assert_uint_eq(a->seq, 9);
    ezc_array_destroy(&a);
    ezc_error err;
    ck_assert_int_eq(ezc_sub_recv(s, &a, 50, &err), EZC_ETIMEOUT);
    ck_assert_uint_lt(stats_of(s).received, 10);
    ck_assert_uint_eq(stats_of(s).gaps, 0);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* ---- end of stream ---- */

static int recv_eos(ezc_sub *s, char *topic, size_t cap)
{
    ezc_error err = {0, ""};
    ezc_array *a = (ezc_array *)1;
    int rc = ezc_sub_recv_topic(s, &a, topic, cap, WAIT_MS, &err);
    ck_assert_ptr_null(a);
    ezc_array_destroy(&a);
    return rc;
}

/* The marker comes after every message before it, on every transport, is
 * no gap and no message, and a stream may start again after it. */
START_TEST(t_end_of_stream)
{
    static const char *const eps[] = {"inproc://eos", "tcp://127.0.0.1:*"};
    ezc_pub *p = pub_open(eps[_i], 1000, 0, -1);
    ezc_sub *s = sub_open(ezc_pub_endpoint(p), "emg", 1000);
    wait_subs(p, 1);
    ezc_error err = {0, ""};
    for (int k = 0; k < 3; k++)
        send_sample(p, "emg", k);
    send_sample(p, "other", 0); /* not subscribed: its end is not seen either */
    ck_assert_int_eq(ezc_pub_send_eos(p, "other", &err), 0);
    ck_assert_int_eq(ezc_pub_send_eos(p, "emg", &err), 0);
    char topic[16];
    for (int k = 0; k < 3; k++) {
        ezc_array *a = recv_ok(s, topic, sizeof topic);
        ck_assert_uint_eq(a->seq, (uint64_t)k);
        ezc_array_destroy(&a);
    }
    ck_assert_int_eq(recv_eos(s, topic, sizeof topic), EZC_EEOS);
    ck_assert_str_eq(topic, "emg");
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.received, 3);
    ck_assert_uint_eq(st.ends, 1);
    ck_assert_uint_eq(st.gaps, 0);
    ck_assert_uint_eq(st.malformed, 0);
    ck_assert_uint_eq(ezc_pub_sent(p), 4); /* markers are not messages */
    /* Starting again after the end: the next number, and no gap. */
    send_sample(p, "emg", 3);
    ezc_array *a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, 3);
    ezc_array_destroy(&a);
    ck_assert_int_eq(ezc_pub_send_eos(p, "emg", &err), 0);
    ck_assert_int_eq(recv_eos(s, NULL, 0), EZC_EEOS);
    st = stats_of(s);
    ck_assert_uint_eq(st.gaps, 0);
    ck_assert_uint_eq(st.ends, 2);
    ck_assert_int_eq(ezc_sub_recv(s, &a, 50, &err), EZC_ETIMEOUT);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* A lossy publisher dropped messages; the marker, sent once the reader has
 * caught up, still arrives, and its seq makes the messages lost before it
 * gaps: received + gaps = sent, with no message after the last received. */
START_TEST(t_end_of_stream_lossy)
{
    ezc_pub *p = pub_open("inproc://eos-lossy", 1, 1, 200);
    ezc_sub *s = sub_open("inproc://eos-lossy", "", 1);
    wait_subs(p, 1);
    const int n = 300;
    for (int k = 0; k < n; k++)
        send_sample(p, "l", k);
    ezc_error err = {0, ""};
    ezc_array *a;
    uint64_t got = 0;
    while (ezc_sub_recv(s, &a, 200, &err) == 0) {
        got++;
        ezc_array_destroy(&a);
    }
    ck_assert_int_eq(err.code, EZC_ETIMEOUT);
    ck_assert_int_eq(ezc_pub_send_eos(p, "l", &err), 0);
    ck_assert_int_eq(recv_eos(s, NULL, 0), EZC_EEOS);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_lt(got, (uint64_t)n);
    ck_assert_uint_eq(st.received, got);
    ck_assert_uint_eq(st.received + st.gaps, (uint64_t)n);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* Conflating: the newest message before the marker, then the marker. */
START_TEST(t_end_of_stream_conflate)
{
    ezc_pub *p = pub_open("inproc://eos-conflate", 1000, 0, -1);
    ezc_sub_options o;
    ezc_sub_options_init(&o);
    o.conflate = 1;
    ezc_sub *s = ezc_sub_new("inproc://eos-conflate", "", &o, NULL);
    ck_assert_ptr_nonnull(s);
    wait_subs(p, 1);
    for (int k = 0; k < 10; k++)
        send_sample(p, "c", k);
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_pub_send_eos(p, "c", &err), 0);
    uint64_t last = 0;
    char topic[16];
    int rc;
    ezc_array *a = NULL;
    while ((rc = ezc_sub_recv_topic(s, &a, topic, sizeof topic, WAIT_MS, &err)) == 0) {
        last = a->seq;
        ezc_array_destroy(&a);
    }
    ck_assert_msg(rc == EZC_EEOS, "%s", err.msg);
    ck_assert_str_eq(topic, "c");
    ck_assert_uint_eq(last, 9);
    ck_assert_uint_eq(stats_of(s).ends, 1);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}
END_TEST

/* A publisher that restarts with the same id and goes on numbering
 * (first_seq, ezc_pub_set_next_seq): what it skipped is an exact gap with
 * the silence from its own stamps; numbering that goes back is a restart. */
static ezc_pub *pub_with(const char *endpoint, uint64_t id, uint64_t first_seq)
{
    ezc_pub_options o;
    ezc_pub_options_init(&o);
    o.id = id;
    o.first_seq = first_seq;
    ezc_error err = {0, ""};
    ezc_pub *p = ezc_pub_new(endpoint, &o, &err);
    ck_assert_msg(p != NULL, "pub %s: %s", endpoint, err.msg);
    return p;
}

/* A subscriber attaches a new connection (and sends its subscription) only
 * when its socket is used: receive while waiting for the successor. */
static void wait_resubscribed(ezc_pub *p, ezc_sub *s)
{
    ezc_error err = {0, ""};
    for (int i = 0; i < WAIT_MS / 20; i++) {
        ezc_array *a = NULL;
        ck_assert_int_eq(ezc_sub_recv(s, &a, 10, &err), EZC_ETIMEOUT);
        if (ezc_pub_wait_subscribers(p, 1, 10, &err) == 0)
            return;
    }
    ck_abort_msg("the subscriber did not come back: %s", err.msg);
}

START_TEST(t_restart_numbering)
{
    char ep[64];
    snprintf(ep, sizeof ep, "ipc:///tmp/ezc-test-renum-%d", (int)getpid());
    ezc_sub *s = sub_open(ep, "", 1000);
    ezc_pub *p = pub_with(ep, 77, 0);
    ck_assert_uint_eq(ezc_pub_next_seq(p, "emg"), 0);
    wait_subs(p, 1);
    int64_t last_ts = 0;
    for (int k = 0; k < 5; k++) {
        send_sample(p, "emg", k);
        ezc_array *a = recv_ok(s, NULL, 0);
        ck_assert_uint_eq(a->seq, (uint64_t)k);
        last_ts = a->ts_ns;
        ezc_array_destroy(&a);
    }
    ck_assert_uint_eq(ezc_pub_next_seq(p, "emg"), 5);
    ezc_pub_destroy(&p);
    /* The successor starts at 8: 5, 6 and 7 were lost in between, exactly;
     * its new "start" stamp makes it a restart, not a plain gap. */
    p = pub_with(ep, 77, 8);
    ck_assert_uint_eq(ezc_pub_next_seq(p, "emg"), 8);
    ck_assert_uint_eq(ezc_pub_next_seq(p, NULL), 8); /* every topic starts there */
    wait_resubscribed(p, s);
    send_sample(p, "emg", 8);
    ezc_array *a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, 8);
    ezc_sub_stats st = stats_of(s);
    ck_assert_uint_eq(st.gaps, 3);
    ck_assert_uint_eq(st.restarts, 1);
    ck_assert_int_eq(st.restart_lost, 3);
    ck_assert_uint_eq(st.publishers, 1);
    ck_assert_int_eq(st.restart_silence_ns, a->ts_ns - last_ts);
    ck_assert_int_gt(st.restart_silence_ns, 0);
    ck_assert_int_eq(st.gap_silence_ns, 0);
    last_ts = a->ts_ns;
    ezc_array_destroy(&a);
    /* set_next_seq skips numbers as well; the end-of-stream marker carries the next. */
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_pub_set_next_seq(p, "emg", 20, &err), 0);
    send_sample(p, "emg", 20);
    a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, 20);
    st = stats_of(s);
    ck_assert_uint_eq(st.gaps, 3 + 11); /* the same instance: a gap, no restart */
    ck_assert_uint_eq(st.restarts, 1);
    ck_assert_int_eq(st.gap_silence_ns, a->ts_ns - last_ts);
    ezc_array_destroy(&a);
    ezc_pub_destroy(&p);
    /* A successor that numbers from 0 again: one restart, one gap, loss unknown. */
    p = pub_with(ep, 77, 0);
    wait_resubscribed(p, s);
    send_sample(p, "emg", 0);
    a = recv_ok(s, NULL, 0);
    ck_assert_uint_eq(a->seq, 0);
    st = stats_of(s);
    ck_assert_uint_eq(st.restarts, 2);
    ck_assert_int_eq(st.restart_lost, -1);
    ck_assert_uint_eq(st.gaps, 3 + 11 + 1);
    ck_assert_int_gt(st.restart_silence_ns, 0);
    ezc_array_destroy(&a);
    ck_assert_int_eq(ezc_pub_set_next_seq(NULL, "emg", 1, &err), EZC_EINVAL);
    ck_assert_uint_eq(ezc_pub_next_seq(NULL, "emg"), 0);
    ezc_pub_destroy(&p);
    ezc_sub_destroy(&s);
}
END_TEST

START_TEST(t_bad_arguments)
{
    ezc_error err = {0, ""};
    ck_assert_ptr_null(ezc_pub_new("udp://x", NULL, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "must start with tcp://, ipc:// or inproc://"));
    ck_assert_ptr_null(ezc_sub_new(NULL, "", NULL, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ezc_pub_options o;
    ezc_pub_options_init(&o);
    ck_assert_int_eq(o.hwm, 1000);
    ck_assert_int_eq(o.send_timeout_ms, -1);
    ck_assert_int_eq(o.linger_ms, 1000);
    ck_assert_int_eq(o.first_wait_ms, 500);
    o.hwm = -3;
    ck_assert_ptr_null(ezc_pub_new("inproc://x", &o, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "hwm -3"));
    ezc_pub_options_init(&o);
    o.first_wait_ms = -1;
    ck_assert_ptr_null(ezc_pub_new("inproc://x", &o, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "first_wait_ms -1 >= 0"));

    ezc_pub *p = pub_open("inproc://taken", 10, 0, -1);
    ck_assert_ptr_null(ezc_pub_new("inproc://taken", NULL, &err));
    ck_assert_int_eq(err.code, EZC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot bind 'inproc://taken'"));
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 1, 30, &err), EZC_ETIMEOUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "0 of 1 subscribers"));
    ck_assert_int_eq(ezc_pub_send(p, "t", NULL, &err), EZC_EINVAL);
    ck_assert_uint_eq(ezc_pub_sent(p), 0);
    /* No subscriber: the message goes nowhere, but it was sent. */
    send_sample(p, "t", 0);
    ck_assert_uint_eq(ezc_pub_sent(p), 1);
    ezc_pub_destroy(&p);

    ezc_sub *s = sub_open("inproc://a", "", 10);
    ck_assert_int_eq(ezc_sub_connect(s, "pgm://x", &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "pgm://x"));
    ezc_sub_destroy(&s);
    ezc_sub_destroy(&s); /* NULL-safe */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("pubsub");
    TCase *tc = tcase_create("sockets");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_inproc_roundtrip);
    tcase_add_test(tc, t_inproc_no_copy_and_cow);
    tcase_add_test(tc, t_ipc_roundtrip);
    tcase_add_test(tc, t_tcp_wildcard_roundtrip);
    tcase_add_test(tc, t_tcp_large_and_empty);
    tcase_add_test(tc, t_two_subscribers);
    tcase_add_test(tc, t_topic_prefix);
    tcase_add_test(tc, t_lossy_gaps);
    tcase_add_test(tc, t_nodrop_backpressure);
    tcase_add_test(tc, t_malformed_from_raw_socket);
    tcase_add_test(tc, t_malformed_inproc_frames);
    tcase_add_test(tc, t_child_process_ipc);
    tcase_add_test(tc, t_ipc_served_path_refused);
    tcase_add_test(tc, t_ipc_stale_and_foreign_files);
    tcase_add_test(tc, t_first_message_reaches_early_subscriber);
    tcase_add_test(tc, t_recv_timeout);
    tcase_add_test(tc, t_conflate_keeps_latest);
    tcase_add_loop_test(tc, t_end_of_stream, 0, 2);
    tcase_add_test(tc, t_end_of_stream_lossy);
    tcase_add_test(tc, t_end_of_stream_conflate);
    tcase_add_test(tc, t_restart_numbering);
    tcase_add_test(tc, t_bad_arguments);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
