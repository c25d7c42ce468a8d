/* bench_pubsub.c — ezc pub/sub against raw libzmq with the same frames.
 *
 * For float32 100x64 (25.6 KB) and 16 MiB messages: (a) inproc, publisher
 * thread to subscriber thread in one process; (b) ipc, publisher in a child
 * process (this program re-executed) to the subscriber here. Each is
 * measured for throughput (unthrottled for about a second) and one-way
 * latency (1 kHz paced; CLOCK_REALTIME at send vs at receive, same host; a
 * hop that cannot carry 1 kHz, 16 MiB over ipc, is paced at a third of its
 * measured rate so that latency is not queueing).
 * The raw baseline sends what ezc puts on the wire for ipc/tcp —
 * [topic][header-sized frame][data, zero-copy] — on an XPUB with
 * ZMQ_XPUB_NODROP like ezc's, and receives the frames without decoding. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "ezc/ezc.h"

#define HWM 100
#define RATE_SECONDS 1.0
#define LAT_WARMUP 50
#define LAT_COUNT 1000
#define LAT_PERIOD_NS 1000000 /* 1 kHz, unless that outruns the hop (see main) */
#define LAT_SECONDS 3.0       /* at most, when the pace is slower */

typedef enum { IMPL_EZC, IMPL_RAW } impl_kind;
typedef enum { MODE_RATE, MODE_LAT } mode_kind;

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_pubsub: %s: %s\n", what, why);
    exit(1);
}

/* The array ezc sends: float32 100x64 or a 16 MiB float32 vector. */
static ezc_array *make_array(size_t bytes)
{
    ezc_error err;
    ezc_array *a;
    if (bytes == 100 * 64 * 4) {
        const int64_t shape[2] = {100, 64};
        const char *dims[2] = {"time", "ch"};
        a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
        if (a)
            ezc_array_set_linear_axis(a, 0, 1.0 / 2000, 0.0, "s");
    } else {
        const int64_t shape[1] = {(int64_t)(bytes / 4)};
        const char *dims[1] = {"time"};
        a = ezc_array_new(EZC_FLOAT32, 1, shape, dims, ezc_device_cpu(), &err);
    }
    if (!a)
        die("array", err.msg);
    memset(ezc_array_data(a), 0x3f, ezc_array_nbytes(a));
    if (ezc_array_set_key(a, "bench", &err))
        die("array", err.msg);
    return a;
}

static size_t header_len(const ezc_array *a)
{
    ezc_error err;
    ezc_wire_encoder *enc = ezc_wire_encoder_new(&err);
    const void *bytes;
    size_t len = 0;
    if (!enc || ezc_wire_encode_header(enc, a, &bytes, &len, &err))
        die("encode", err.msg);
    ezc_wire_encoder_destroy(&enc);
    return len;
}

/* ---- senders ---------------------------------------------------------- */

typedef struct {
    impl_kind impl;
    mode_kind mode;
    size_t bytes;
    int64_t period_ns; /* latency: time between sends */
    int count;         /* latency: messages measured (after LAT_WARMUP) */
    char endpoint[256];
} run_spec;

static void pace(int64_t *next, int64_t period)
{
    *next += period;
    struct timespec ts = {*next / 1000000000, *next % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void send_ezc(const run_spec *r)
{
    ezc_error err;
    ezc_pub_options o;
    ezc_pub_options_init(&o);
    o.hwm = HWM;
    o.linger_ms = -1; /* exit only once the end marker is out (16 MiB queues drain slowly) */
    ezc_pub *p = ezc_pub_new(r->endpoint, &o, &err);
    if (!p || ezc_pub_wait_subscribers(p, 1, 20000, &err))
        die("ezc pub", err.msg);
    ezc_array *a = make_array(r->bytes);
    if (r->mode == MODE_RATE) {
        int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)(RATE_SECONDS * 1e9);
        do {
            for (int i = 0; i < 64; i++)
                if (ezc_pub_send(p, "d", a, &err))
                    die("ezc send", err.msg);
        } while (now_ns(CLOCK_MONOTONIC) < end);
    } else {
        int64_t next = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < LAT_WARMUP + r->count; i++) {
            pace(&next, r->period_ns);
            if (ezc_pub_send(p, "d", a, &err))
                die("ezc send", err.msg);
        }
    }
    if (ezc_pub_send(p, "end", a, &err))
        die("ezc send", err.msg);
    ezc_array_destroy(&a);
    ezc_pub_destroy(&p);
}

static void raw_send_one(void *sock, const char *topic, char *hdr, size_t hlen, void *data,
                         size_t dlen)
{
    int64_t t = now_ns(CLOCK_REALTIME);
    memcpy(hdr, &t, sizeof t);
    zmq_msg_t m;
    zmq_msg_init_data(&m, data, dlen, NULL, NULL); /* constant: zero-copy */
    if (zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, hdr, hlen, ZMQ_SNDMORE) < 0 || zmq_msg_send(&m, sock, 0) < 0)
        die("raw send", zmq_strerror(zmq_errno()));
}

/* Raw frames point at these arrays without a free hook, so they must outlive
 * every queued message: kept until the end of main (or of the child). */
static ezc_array *raw_arrays[2];

static void send_raw(const run_spec *r)
{
    ezc_array **slot = &raw_arrays[r->bytes > (1u << 20)];
    if (!*slot)
        *slot = make_array(r->bytes);
    ezc_array *a = *slot;
    size_t hlen = header_len(a);
    char *hdr = calloc(1, hlen);
    /* In a child process a context of its own, terminated below, so that
     * the process ends only once everything queued is delivered; inproc
     * needs the receiver's (ezc's shared) context. */
    int own = strncmp(r->endpoint, "inproc://", 9) != 0;
    void *ctx = own ? zmq_ctx_new() : ezc_zmq_context();
    void *sock = zmq_socket(ctx, ZMQ_XPUB);
    int hwm = HWM, one = 1, linger = -1;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(sock, r->endpoint))
        die("raw bind", zmq_strerror(zmq_errno()));
    char sub[16];
    if (zmq_recv(sock, sub, sizeof sub, 0) < 1) /* the subscription */
        die("raw pub", zmq_strerror(zmq_errno()));
    void *data = ezc_array_data(a);
    size_t dlen = ezc_array_nbytes(a);
    if (r->mode == MODE_RATE) {
        int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)(RATE_SECONDS * 1e9);
        do {
            for (int i = 0; i < 64; i++)
                raw_send_one(sock, "d", hdr, hlen, data, dlen);
        } while (now_ns(CLOCK_MONOTONIC) < end);
    } else {
        int64_t next = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < LAT_WARMUP + r->count; i++) {
            pace(&next, r->period_ns);
            raw_send_one(sock, "d", hdr, hlen, data, dlen);
        }
    }
    raw_send_one(sock, "end", hdr, hlen, data, dlen);
    zmq_close(sock);
    if (own)
        zmq_ctx_term(ctx); /* waits for delivery (linger -1) */
    free(hdr);
}

static void run_sender(const run_spec *r)
{
    if (r->impl == IMPL_EZC)
        send_ezc(r);
    else
        send_raw(r);
}

/* ---- receivers -------------------------------------------------------- */

typedef struct {
    double rate;     /* messages per second */
    double p50, p99; /* microseconds */
} result;

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Receivers are opened before the sender starts; each receives until "end". */
typedef struct {
    impl_kind impl;
    ezc_sub *sub;
    void *raw;
} receiver;

static receiver recv_open(impl_kind impl, const char *endpoint)
{
    receiver rc = {impl, NULL, NULL};
    ezc_error err;
    if (impl == IMPL_EZC) {
        ezc_sub_options o;
        ezc_sub_options_init(&o);
        o.hwm = HWM;
        if (!(rc.sub = ezc_sub_new(endpoint, "", &o, &err)))
            die("ezc sub", err.msg);
    } else {
        rc.raw = zmq_socket(ezc_zmq_context(), ZMQ_SUB);
        int hwm = HWM, linger = 0, timeout = 30000;
        zmq_setsockopt(rc.raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(rc.raw, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt(rc.raw, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(rc.raw, ZMQ_SUBSCRIBE, "", 0);
        if (zmq_connect(rc.raw, endpoint))
            die("raw connect", zmq_strerror(zmq_errno()));
    }
    return rc;
}

/* One message: 1 when it was the end marker; *sent_ns its send time. */
static int recv_one(receiver *r, int64_t *sent_ns)
{
    if (r->impl == IMPL_EZC) {
        ezc_error err;
        ezc_array *a;
        char topic[8];
        if (ezc_sub_recv_topic(r->sub, &a, topic, sizeof topic, 30000, &err))
            die("ezc recv", err.msg);
        *sent_ns = a->ts_ns;
        ezc_array_destroy(&a);
        return strcmp(topic, "end") == 0;
    }
    zmq_msg_t part[3];
    for (int i = 0; i < 3; i++) {
        zmq_msg_init(&part[i]);
        if (zmq_msg_recv(&part[i], r->raw, 0) < 0)
            die("raw recv", zmq_strerror(zmq_errno()));
    }
    memcpy(sent_ns, zmq_msg_data(&part[1]), sizeof *sent_ns);
    int end = zmq_msg_size(&part[0]) == 3;
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&part[i]);
    return end;
}

static void recv_close(receiver *r)
{
    ezc_sub_destroy(&r->sub);
    if (r->raw)
        zmq_close(r->raw);
}

static result recv_run(receiver *r, mode_kind mode)
{
    result res = {0, 0, 0};
    int64_t sent;
    if (mode == MODE_RATE) {
        recv_one(r, &sent);
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        uint64_t n = 0;
        while (!recv_one(r, &sent))
            n++;
        double dt = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
        res.rate = (double)(n + 1) / dt;
        return res;
    }
    static double lat[LAT_COUNT];
    int n = 0, i = 0;
    while (!recv_one(r, &sent)) {
        double us = (double)(now_ns(CLOCK_REALTIME) - sent) / 1e3;
        if (i++ >= LAT_WARMUP && n < LAT_COUNT)
            lat[n++] = us;
    }
    qsort(lat, (size_t)n, sizeof lat[0], cmp_double);
    res.p50 = n ? lat[n / 2] : 0;
    res.p99 = n ? lat[(n * 99) / 100] : 0;
    return res;
}

/* ---- one measurement: inproc (threads) or ipc (child process) ---------- */

static void *sender_thread(void *arg)
{
    run_sender(arg);
    return NULL;
}

static const char *self_exe;

static result measure(impl_kind impl, mode_kind mode, size_t bytes, int ipc, int64_t period,
                      int count)
{
    static int serial;
    run_spec r = {impl, mode, bytes, period, count, ""};
    if (ipc)
        snprintf(r.endpoint, sizeof r.endpoint, "ipc:///tmp/ezc-bench-%d-%d.ipc", (int)getpid(),
                 serial++);
    else
        snprintf(r.endpoint, sizeof r.endpoint, "inproc://bench-%d", serial++);
    receiver rc = recv_open(impl, r.endpoint);
    result res;
    if (!ipc) {
        pthread_t th;
        pthread_create(&th, NULL, sender_thread, &r);
        res = recv_run(&rc, mode);
        pthread_join(th, NULL);
    } else {
        char a0[4], a1[4], a2[32], a3[32], a4[16];
        snprintf(a0, sizeof a0, "%d", (int)impl);
        snprintf(a1, sizeof a1, "%d", (int)mode);
        snprintf(a2, sizeof a2, "%zu", bytes);
        snprintf(a3, sizeof a3, "%lld", (long long)period);
        snprintf(a4, sizeof a4, "%d", count);
        pid_t pid = fork();
        if (pid == 0) {
            execl(self_exe, self_exe, "--sender", a0, a1, a2, a3, a4, r.endpoint, (char *)NULL);
            _exit(127);
        }
        res = recv_run(&rc, mode);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            die("sender", "child process failed");
        unlink(r.endpoint + 6);
    }
    recv_close(&rc);
    return res;
}

/* What the hardening added per message, beside the ipc hop it rides on
 * (measured above in this run): the decoder's overflow-checked shape
 * product (ezc_shape_count, 2 dims), and a CRC-32C over the data (what a
 * recording writes and replay verifies per record). */
static void check_costs(size_t bytes, double hop_ns)
{
    enum { N = 2000, REP = 7 };
    void *data = malloc(bytes);
    memset(data, 0x5a, bytes);
    const int64_t shape[2] = {100, 64};
    double t_shape[REP], t_crc[REP];
    volatile uint32_t sink = 0;
    for (int r = 0; r < REP; r++) {
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < N * 100; i++) {
            size_t count;
            ezc_shape_count(2, shape, "bench", &count, NULL);
            sink += (uint32_t)count;
        }
        int64_t t1 = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < N; i++)
            sink += ezc_crc32c(0, data, bytes);
        int64_t t2 = now_ns(CLOCK_MONOTONIC);
        t_shape[r] = (double)(t1 - t0) / (N * 100);
        t_crc[r] = (double)(t2 - t1) / N;
    }
    (void)sink;
    free(data);
    qsort(t_shape, REP, sizeof *t_shape, cmp_double);
    qsort(t_crc, REP, sizeof *t_crc, cmp_double);
    printf(
        "\nper-message checks beside one ipc hop of %zu bytes (%.1f us, this run; median of %d):\n",
        bytes, hop_ns / 1e3, REP);
    printf("  shape overflow check   %8.1f ns  %6.3f%% of the hop\n", t_shape[REP / 2],
           hop_ns > 0 ? 100 * t_shape[REP / 2] / hop_ns : 0);
    printf("  CRC-32C of the data    %8.1f ns  %6.3f%% of the hop (%.1f GB/s)   target < 2%%\n",
           t_crc[REP / 2], hop_ns > 0 ? 100 * t_crc[REP / 2] / hop_ns : 0,
           (double)bytes / t_crc[REP / 2]);
}

int main(int argc, char **argv)
{
    self_exe = "/proc/self/exe";
    if (argc == 8 && strcmp(argv[1], "--sender") == 0) {
        run_spec r = {(impl_kind)atoi(argv[2]),
                      (mode_kind)atoi(argv[3]),
                      (size_t)strtoull(argv[4], NULL, 10),
                      strtoll(argv[5], NULL, 10),
                      atoi(argv[6]),
                      ""};
        snprintf(r.endpoint, sizeof r.endpoint, "%s", argv[7]);
        run_sender(&r);
        return 0;
    }
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        self_exe = exe;
    }
    const size_t sizes[2] = {100 * 64 * 4, 16u << 20};
    double hop_ns_25k = 0; /* one unthrottled ipc hop of the 25.6 KB message, this run */
    const char *names[2] = {"100x64 f32 (25.6 KB)", "16 MiB f32"};
    printf("pubsub: ezc vs raw libzmq, same frames; %d-message queues; %.0f s per rate run\n", HWM,
           RATE_SECONDS);
    printf("latency: one-way, CLOCK_REALTIME at send (in the message) to after receive+decode\n\n");
    printf("%-7s %-21s %12s %12s %6s   %17s %17s  %s\n", "hop", "message", "ezc msg/s", "raw msg/s",
           "ratio", "ezc p50/p99 us", "raw p50/p99 us", "latency pace");
    for (int ipc = 0; ipc < 2; ipc++)
        for (int s = 0; s < 2; s++) {
            result er = measure(IMPL_EZC, MODE_RATE, sizes[s], ipc, 0, 0);
            result rr = measure(IMPL_RAW, MODE_RATE, sizes[s], ipc, 0, 0);
            double slowest = er.rate < rr.rate ? er.rate : rr.rate;
            int64_t period = LAT_PERIOD_NS;
            if (slowest > 0 && 3e9 / slowest > (double)period)
                period = (int64_t)(3e9 / slowest);
            int count = LAT_COUNT;
            if ((double)count * (double)period > LAT_SECONDS * 1e9)
                count = (int)(LAT_SECONDS * 1e9 / (double)period);
            result el = measure(IMPL_EZC, MODE_LAT, sizes[s], ipc, period, count);
            result rl = measure(IMPL_RAW, MODE_LAT, sizes[s], ipc, period, count);
            if (ipc && s == 0 && er.rate > 0)
                hop_ns_25k = 1e9 / er.rate;
            printf("%-7s %-21s %12.0f %12.0f %6.2f   %8.1f/%-8.1f %8.1f/%-8.1f  %s%.0f Hz x %d\n",
                   ipc ? "ipc" : "inproc", names[s], er.rate, rr.rate, er.rate / rr.rate, el.p50,
                   el.p99, rl.p50, rl.p99, period == LAT_PERIOD_NS ? "" : "paced ",
                   1e9 / (double)period, count);
            fflush(stdout);
        }
    check_costs(sizes[0], hop_ns_25k);
    ezc_array_destroy(&raw_arrays[0]);
    ezc_array_destroy(&raw_arrays[1]);
    return 0;
}
