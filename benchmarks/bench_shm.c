/* bench_shm.c — one hop between processes through shared memory, beside the
 * same hop through the socket (ezc inline and raw libzmq ipc, same frames)
 * and memcpy of the same bytes, all in this run.
 *
 * Messages: float64 100x64 (51,200 bytes) and 16 MiB. For each path:
 * unthrottled throughput (about a second), one-way latency paced at 1 kHz
 * (CLOCK_REALTIME at send, in the message, to after receive+decode; a hop
 * that cannot carry 1 kHz is paced at a third of its rate), and CPU per
 * message (user+sys) on each side. Then a 3-process chain of pass-through
 * nodes (pub -> fwd -> sub), end-to-end latency at 1 kHz, the middle node
 * forwarding the slot it received against copying it (EZC_SHM_FORWARD=0 in
 * the middle process), three rounds alternating; and the same chain with
 * the middle node writing on each message: in place and forwarded (it
 * holds the slot alone), against its copy-on-write made into its output's
 * slot (one copy per hop) or on the heap (two).
 * Paths: "shm" (default ezc on ipc), "shm-loan" (the producer fills a
 * loaned slot: no copy at all), "loan-head" (a loaned slot of which the
 * producer writes the first value only: the transport's own cost, what a
 * producer that fills the slot as it acquires adds nothing to), "inline" (EZC_SHM=0: ezc through the
 * socket), "raw" (libzmq ipc, [topic][header-sized][data zero-copy]). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "bench_util.h"
#include "ezc/ezc.h"

#define RATE_SECONDS 1.0
#define LAT_WARMUP 50
#define LAT_COUNT 1000
#define LAT_SECONDS 3.0

enum { P_SHM, P_LOAN, P_LOAN_HEAD, P_INLINE, P_RAW, NPATH };
static const char *path_name[NPATH] = {"shm", "shm-loan", "loan-head", "inline", "raw zmq"};
enum { M_RATE, M_LAT };

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, const char *why)
{
    bench_die("bench_shm", what, why);
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static ezc_array *make(ezc_pub *p, int loan, size_t bytes)
{
    ezc_error err;
    int64_t shape[2] = {100, 64};
    int nd = 2;
    if (bytes != 51200) {
        shape[0] = (int64_t)(bytes / 8);
        nd = 1;
    }
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = loan && p ? ezc_pub_loan(p, EZC_FLOAT64, nd, shape, dims, &err)
                             : ezc_array_new(EZC_FLOAT64, nd, shape, dims, ezc_device_cpu(), &err);
    if (!a)
        die("array", err.msg);
    /* loan 2: the producer writes the first value only (a header, a
     * stamp): what is left is the transport's own cost */
    memset(ezc_array_data(a), 0x3f, loan == 2 ? 8 : ezc_array_nbytes(a));
    return a;
}

static void pace(int64_t *next, int64_t period)
{
    *next += period;
    struct timespec ts = {*next / 1000000000, *next % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* ---- the sender (a child process) ---- */

static void send_ezc(int path, int mode, size_t bytes, int64_t period, int count, const char *ep)
{
    ezc_error err;
    ezc_pub_options o;
    ezc_pub_options_init(&o);
    o.hwm = 100;
    o.linger_ms = -1;
    o.inline_only = path == P_INLINE;
    ezc_pub *p = ezc_pub_new(ep, &o, &err);
    if (!p || ezc_pub_wait_subscribers(p, 1, 20000, &err))
        die("pub", err.msg);
    ezc_array *a = make(p, 0, bytes);
    int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)(RATE_SECONDS * 1e9), next = 0;
    if (mode == M_LAT)
        next = now_ns(CLOCK_MONOTONIC);
    for (int i = 0;; i++) {
        if (mode == M_RATE ? (i % 64 == 0 && now_ns(CLOCK_MONOTONIC) >= end)
                           : i >= LAT_WARMUP + count)
            break;
        if (mode == M_LAT)
            pace(&next, period);
        if (path == P_LOAN || path == P_LOAN_HEAD) { /* a fresh slot each time, written in place */
            ezc_array_destroy(&a);
            a = make(p, path == P_LOAN ? 1 : 2, bytes);
        }
        if (ezc_pub_send(p, "d", a, &err))
            die("send", err.msg);
    }
    if (ezc_pub_send(p, "end", a, &err))
        die("send", err.msg);
    ezc_array_destroy(&a);
    ezc_pub_destroy(&p);
}

static void send_raw(int mode, size_t bytes, int64_t period, int count, const char *ep)
{
    void *ctx = zmq_ctx_new(); /* its own, terminated below: exit after delivery */
    void *s = zmq_socket(ctx, ZMQ_XPUB);
    int hwm = 100, one = 1, linger = -1;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(s, ep))
        die("raw bind", zmq_strerror(zmq_errno()));
    char sub[64];
    zmq_recv(s, sub, sizeof sub, 0); /* the subscription */
    void *data = malloc(bytes);
    memset(data, 0x3f, bytes);
    char hdr[200] = {0};
    int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)(RATE_SECONDS * 1e9), next = 0;
    if (mode == M_LAT)
        next = now_ns(CLOCK_MONOTONIC);
    for (int i = 0;; i++) {
        int last = mode == M_RATE ? (i % 64 == 0 && now_ns(CLOCK_MONOTONIC) >= end)
                                  : i >= LAT_WARMUP + count;
        if (mode == M_LAT && !last)
            pace(&next, period);
        int64_t t = now_ns(CLOCK_REALTIME);
        memcpy(hdr, &t, sizeof t);
        zmq_msg_t m;
        zmq_msg_init_data(&m, data, bytes, NULL, NULL);
        zmq_send(s, last ? "end" : "d", last ? 3 : 1, ZMQ_SNDMORE);
        zmq_send(s, hdr, sizeof hdr, ZMQ_SNDMORE);
        zmq_msg_send(&m, s, 0);
        if (last)
            break;
    }
    zmq_close(s);
    zmq_ctx_term(ctx); /* waits until every queued frame is out (linger -1) */
    free(data);
}

/* The middle node's work: CHAIN_PASS sends on what it receives (the slot
 * forwarded; CHAIN_PASS_COPY: copied, forwarding off); the others write on
 * it (negate, as scale or abs would) through ezc_array_cow_target, what a
 * graph node's loop does: in place and forwarded (CHAIN_WRITE), or with
 * forwarding off its copy-on-write made into the output's slot
 * (CHAIN_WRITE_COW) or, without the cow target, on the heap and copied
 * again at the send (CHAIN_WRITE_HEAP). */
enum { CHAIN_NONE, CHAIN_PASS, CHAIN_PASS_COPY, CHAIN_WRITE, CHAIN_WRITE_COW, CHAIN_WRITE_HEAP };

/* A node: receive on IN, publish on OUT, until "end". */
static void forward(const char *in, const char *out, int path, int work)
{
    ezc_error err;
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    so.inline_only = path == P_INLINE;
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.inline_only = path == P_INLINE;
    po.linger_ms = -1;
    if (work == CHAIN_PASS_COPY || work == CHAIN_WRITE_COW || work == CHAIN_WRITE_HEAP)
        setenv("EZC_SHM_FORWARD", "0", 1);
    ezc_sub *s = ezc_sub_new(in, "", &so, &err);
    ezc_pub *p = s ? ezc_pub_new(out, &po, &err) : NULL;
    if (!p || ezc_pub_wait_subscribers(p, 1, 20000, &err))
        die("fwd", err.msg);
    for (;;) {
        ezc_array *a;
        char topic[8];
        if (ezc_sub_recv_topic(s, &a, topic, sizeof topic, 30000, &err) ||
            ezc_array_attr_set_int(a, "t0", a->ts_ns, &err))
            die("fwd", err.msg);
        if (work >= CHAIN_WRITE) {
            if (work != CHAIN_WRITE_HEAP)
                ezc_array_cow_target(ezc_pub_cow_buffer, p);
            if (ezc_array_make_writable(a, &err))
                die("fwd", err.msg);
            ezc_array_cow_target(NULL, NULL);
            double *d = ezc_array_data(a);
            for (size_t i = 0, n = ezc_array_size(a); i < n; i++)
                d[i] = -d[i];
        }
        if (ezc_pub_send(p, topic, a, &err))
            die("fwd", err.msg);
        int end = strcmp(topic, "end") == 0;
        ezc_array_destroy(&a);
        if (end)
            break;
    }
    ezc_pub_destroy(&p);
    ezc_sub_destroy(&s);
}

/* ---- the receiver (this process) ---- */

typedef struct {
    double rate, p50, p99, cpu_send_us, cpu_recv_us; /* per message */
} result;

static const char *self_exe;

static pid_t spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(self_exe, argv);
        _exit(127);
    }
    return pid;
}

static double reap(pid_t pid)
{
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        die("child", "failed");
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static result measure(int path, int mode, size_t bytes, int64_t period, int count, int chain)
{
    static int serial;
    char ep[2][128], a[6][32];
    for (int i = 0; i < 2; i++)
        snprintf(ep[i], sizeof ep[i], "ipc:///tmp/ezc-bshm-%d-%d.ipc", (int)getpid(), serial++);
    const char *recv_ep = chain ? ep[1] : ep[0];
    result res = {0, 0, 0, 0, 0};
    ezc_error err;
    void *raw = NULL;
    ezc_sub *sub = NULL;
    if (path == P_RAW) {
        raw = zmq_socket(ezc_zmq_context(), ZMQ_SUB);
        int hwm = 100, linger = 0, timeout = 30000;
        zmq_setsockopt(raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(raw, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(raw, ZMQ_SUBSCRIBE, "", 0);
        zmq_connect(raw, recv_ep);
    } else {
        ezc_sub_options so;
        ezc_sub_options_init(&so);
        so.hwm = 100;
        so.inline_only = path == P_INLINE;
        if (!(sub = ezc_sub_new(recv_ep, "", &so, &err)))
            die("sub", err.msg);
    }
    snprintf(a[0], sizeof a[0], "%d", path);
    snprintf(a[1], sizeof a[1], "%d", mode);
    snprintf(a[2], sizeof a[2], "%zu", bytes);
    snprintf(a[3], sizeof a[3], "%lld", (long long)period);
    snprintf(a[4], sizeof a[4], "%d", count);
    char *sargv[] = {(char *)self_exe, "--send", a[0], a[1], a[2], a[3], a[4], ep[0], NULL};
    snprintf(a[5], sizeof a[5], "%d", chain);
    char *fargv[] = {(char *)self_exe, "--fwd", ep[0], ep[1], a[0], a[5], NULL};
    pid_t fwd = chain ? spawn(fargv) : 0;
    pid_t snd = spawn(sargv);
    double c0 = cpu_s(RUSAGE_SELF);
    static double lat[LAT_COUNT];
    int n = 0, got = 0;
    int64_t t0 = 0;
    for (;;) {
        int64_t sent;
        int end;
        if (raw) {
            zmq_msg_t part[3];
            for (int i = 0; i < 3; i++) {
                zmq_msg_init(&part[i]);
                if (zmq_msg_recv(&part[i], raw, 0) < 0)
                    die("raw recv", zmq_strerror(zmq_errno()));
            }
            memcpy(&sent, zmq_msg_data(&part[1]), sizeof sent);
            end = zmq_msg_size(&part[0]) == 3;
            for (int i = 0; i < 3; i++)
                zmq_msg_close(&part[i]);
        } else {
            ezc_array *m;
            char topic[8];
            if (ezc_sub_recv_topic(sub, &m, topic, sizeof topic, 30000, &err))
                die("recv", err.msg);
            sent = m->ts_ns;
            end = strcmp(topic, "end") == 0;
            const ezc_attr *t0 = ezc_array_attr(m, "t0"); /* the first hop's stamp */
            if (chain && t0 && t0->type == EZC_ATTR_INT)
                sent = t0->v.i;
            ezc_array_destroy(&m);
        }
        if (end)
            break;
        if (!got++)
            t0 = now_ns(CLOCK_MONOTONIC);
        double us = (double)(now_ns(CLOCK_REALTIME) - sent) / 1e3;
        if (mode == M_LAT && got > LAT_WARMUP && n < LAT_COUNT)
            lat[n++] = us;
    }
    double dt = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
    double crecv = cpu_s(RUSAGE_SELF) - c0;
    double csend = reap(snd);
    if (fwd)
        reap(fwd);
    for (int i = 0; i < 2; i++)
        unlink(ep[i] + 6);
    if (raw)
        zmq_close(raw);
    ezc_sub_destroy(&sub);
    res.rate = got > 1 ? (double)(got - 1) / dt : 0;
    res.cpu_send_us = got ? csend / got * 1e6 : 0;
    res.cpu_recv_us = got ? crecv / got * 1e6 : 0;
    qsort(lat, (size_t)n, sizeof lat[0], bench_cmp_double);
    res.p50 = n ? lat[n / 2] : 0;
    res.p99 = n ? lat[(n * 99) / 100] : 0;
    return res;
}

static double memcpy_gbs(size_t bytes)
{
    void *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    int reps = (int)(((size_t)1 << 31) / bytes) + 1;
    double best = 0;
    for (int r = 0; r < 5; r++) {
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < reps; i++) {
            memcpy(b, a, bytes);
            __asm__ volatile("" ::"r"(b) : "memory");
        }
        double gbs = (double)bytes * reps / (double)(now_ns(CLOCK_MONOTONIC) - t0);
        if (gbs > best)
            best = gbs;
    }
    free(a);
    free(b);
    return best;
}

int main(int argc, char **argv)
{
    static char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    self_exe = len > 0 ? (exe[len] = '\0', exe) : argv[0];
    if (argc == 8 && !strcmp(argv[1], "--send")) {
        int path = atoi(argv[2]);
        if (path == P_RAW)
            send_raw(atoi(argv[3]), strtoull(argv[4], NULL, 10), atoll(argv[5]), atoi(argv[6]),
                     argv[7]);
        else
            send_ezc(path, atoi(argv[3]), strtoull(argv[4], NULL, 10), atoll(argv[5]),
                     atoi(argv[6]), argv[7]);
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "--fwd")) {
        forward(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
        return 0;
    }
    if (argc > 1) /* a child with wrong arguments must never measure (and spawn) again */
        die("usage", "bench_shm takes no arguments");
    const size_t sizes[2] = {51200, 16u << 20};
    const char *names[2] = {"100x64 f64 (51.2 KB)", "16 MiB f64"};
    printf("shm: one hop between processes; throughput unthrottled %.0f s, latency paced\n",
           RATE_SECONDS);
    printf("%-21s %-9s %11s %9s %10s %17s %15s\n", "message", "path", "msg/s", "GB/s", "vs raw",
           "p50/p99 us", "cpu us/msg s|r");
    for (int s = 0; s < 2; s++) {
        double raw_rate = 0;
        result r[NPATH];
        for (int p = NPATH - 1; p >= 0; p--) {
            r[p] = measure(p, M_RATE, sizes[s], 0, 0, 0);
            if (p == P_RAW)
                raw_rate = r[p].rate;
        }
        for (int p = 0; p < NPATH; p++) {
            int64_t period = 1000000;
            if (r[p].rate > 0 && 3e9 / r[p].rate > (double)period)
                period = (int64_t)(3e9 / r[p].rate);
            int count = LAT_COUNT;
            if ((double)count * (double)period > LAT_SECONDS * 1e9)
                count = (int)(LAT_SECONDS * 1e9 / (double)period);
            result l = measure(p, M_LAT, sizes[s], period, count, 0);
            printf("%-21s %-9s %11.0f %9.2f %9.2fx %8.1f/%-8.1f %7.1f|%-7.1f  (%.0f Hz)\n",
                   names[s], path_name[p], r[p].rate, r[p].rate * (double)sizes[s] / 1e9,
                   raw_rate > 0 ? r[p].rate / raw_rate : 0, l.p50, l.p99, r[p].cpu_send_us,
                   r[p].cpu_recv_us, 1e9 / (double)period);
            fflush(stdout);
        }
        printf("%-21s %-9s %11s %9.2f   (best of 5, this run)\n", names[s], "memcpy", "",
               memcpy_gbs(sizes[s]));
    }
    printf("\n3-process chain pub -> fwd -> sub, %s, 1 kHz, end to end:\n", names[0]);
    double fw[3], cp[3];
    for (int r = 0; r < 3; r++) {
        result f = measure(P_SHM, M_LAT, sizes[0], 1000000, LAT_COUNT, CHAIN_PASS);
        result c = measure(P_SHM, M_LAT, sizes[0], 1000000, LAT_COUNT, CHAIN_PASS_COPY);
        fw[r] = f.p50;
        cp[r] = c.p50;
        printf("  round %d: shm forwarded p50 %7.1f us p99 %8.1f us | shm copied p50 %7.1f us "
               "p99 %8.1f us\n",
               r + 1, f.p50, f.p99, c.p50, c.p99);
        fflush(stdout);
    }
    result il = measure(P_INLINE, M_LAT, sizes[0], 1000000, LAT_COUNT, CHAIN_PASS);
    double mf = bench_median(fw, 3), mc = bench_median(cp, 3);
    printf("  median p50: forwarded %.1f us, copied %.1f us (%.2fx); inline p50 %.1f us p99 %.1f "
           "us\n",
           mf, mc, mc / mf, il.p50, il.p99);
    /* At 16 MiB the copy a forward saves is most of a hop. */
    result f16 = measure(P_SHM, M_LAT, sizes[1], 50000000, 150, CHAIN_PASS);
    result c16 = measure(P_SHM, M_LAT, sizes[1], 50000000, 150, CHAIN_PASS_COPY);
    printf("  %s, 20 Hz: shm forwarded p50 %.1f us p99 %.1f us | shm copied p50 %.1f us p99 %.1f "
           "us (%.2fx)\n",
           names[1], f16.p50, f16.p99, c16.p50, c16.p99, c16.p50 / f16.p50);
    /* The middle node writes on each message: in place and forwarded (no
     * copy), or with forwarding off, its copy-on-write made into the
     * output slot (one copy per hop) or on the heap (two). */
    printf("\n3-process chain, the middle node writing on each message (negate), shm, end to "
           "end:\n");
    for (int s = 0; s < 2; s++) {
        int64_t period = s ? 50000000 : 1000000; /* 1 kHz; 20 Hz for 16 MiB */
        int count = s ? 150 : LAT_COUNT;
        result w = measure(P_SHM, M_LAT, sizes[s], period, count, CHAIN_WRITE);
        result c = measure(P_SHM, M_LAT, sizes[s], period, count, CHAIN_WRITE_COW);
        result h = measure(P_SHM, M_LAT, sizes[s], period, count, CHAIN_WRITE_HEAP);
        printf("  %-21s in place, forwarded p50 %8.1f p99 %8.1f | cow into the slot p50 %8.1f "
               "p99 %8.1f | heap + send copy p50 %8.1f p99 %8.1f us  (%.0f Hz)\n",
               names[s], w.p50, w.p99, c.p50, c.p99, h.p50, h.p99, 1e9 / (double)period);
        fflush(stdout);
    }
    return 0;
}
