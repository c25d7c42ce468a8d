/* bench_doorbell.c — what it costs to wake a sleeping process, by each
 * mechanism the shared-memory transport could ring its readers with, all in
 * this run: the abstract unix datagram ezc uses (alone, and waited on in
 * zmq_poll beside an idle SUB socket as ezc's subscriber does), a futex in
 * the shared page, an eventfd (alone, and in that same zmq_poll), a pipe, a
 * ZeroMQ PAIR over ipc (ZeroMQ itself as the wake-up channel) and a
 * busy-wait on the shared page (the floor, at the price of a core).
 *
 * Two processes (fork) share a MAP_SHARED|MAP_ANONYMOUS region and play
 * ping-pong: each side sleeps SLEEP_US, stamps CLOCK_MONOTONIC into the
 * region, makes the message visible (a counter per side, the "ring") and
 * signals the other, which has been asleep all that time. One-way latency:
 * the receiver's CLOCK_MONOTONIC once it sees the message minus that stamp.
 * The waiters that can do so use ezc's protocol: store waiting = 1, check the
 * ring again, sleep, store waiting = 0 and drain; the waker signals only when
 * it exchanges waiting from 1 to 0. CPU per message (getrusage, the whole
 * process, every thread) on each side, less what a sleep-only run of the same
 * length costs. The whole set runs SETS times, interleaved; the last table is
 * the median of the sets. An argument sets the round trips per mechanism and
 * set. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "bench_util.h"

#define SETS 3
#define ROUNDS 3000 /* round trips per mechanism and set: two wake-ups each */
#define WARMUP 100
#define SLEEP_US 200
#define MAX_ROUNDS 100000

enum {
    M_DGRAM,
    M_DGRAM_ZMQ,
    M_DGRAM_ZFD,
    M_FUTEX,
    M_EVENTFD,
    M_EVENTFD_ZMQ,
    M_PIPE,
    M_ZMQ,
    M_SPIN,
    NMECH,
    M_SLEEP = NMECH
};
static const char *mech_name[NMECH + 1] = {
    "dgram",        "dgram+zmq_poll", "dgram+ZMQ_FD poll",
    "futex",        "eventfd",        "eventfd+zmq_poll",
    "pipe",         "raw zmq",        "spin",
    "(sleep only)",
};

/* The shared region: the page the two sides talk through, then the child's
 * samples for the parent to merge. */
typedef struct {
    _Atomic uint32_t seq[2];     /* messages sent to side i; also side i's futex word */
    _Atomic uint32_t waiting[2]; /* side i sleeps (or is about to) and wants a signal */
    _Atomic int64_t stamp[2];    /* the sender's CLOCK_MONOTONIC, just before signalling i */
    _Atomic uint32_t barrier;
    _Atomic uint32_t failed;
    char door[2][sizeof(((struct sockaddr_un *)0)->sun_path)]; /* abstract names, from [1] */
    uint32_t door_len[2];
    double cpu_us[2];            /* per message, each side */
    _Atomic uint32_t signals[2]; /* signals side i sent (the other was waiting) */
    char why[160];
} shared;

typedef struct {
    shared *sh;
    double *child_lat, *child_ring; /* in the shared region */
    int mech, side, peer, rounds;
    int door, out; /* dgram: this side's bound socket; an unbound one to send */
    struct sockaddr_un peer_addr;
    socklen_t peer_len;
    int efd[2];    /* eventfd of each side (made before fork) */
    int pfd[2][2]; /* pipe of each side: [side][read, write] */
    void *zctx, *zsub, *zpub, *zpair;
    double *lat, *ring; /* this side's samples, us */
} side_ctx;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, const char *why)
{
    bench_die("bench_doorbell", what, why);
}

/* In a side: says why in the shared page (the parent prints it) and leaves. */
static void fail(side_ctx *c, const char *what, const char *why)
{
    snprintf(c->sh->why, sizeof c->sh->why, "%s %s: %s: %s", mech_name[c->mech],
             c->side ? "child" : "parent", what, why ? why : "");
    atomic_store(&c->sh->failed, 1);
    if (c->side)
        _exit(1);
    die(c->sh->why, "");
}

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void pause_us(int us)
{
    struct timespec ts = {0, (long)us * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
}

/* Both sides meet: the n-th call of each returns when both made it. */
static void barrier(side_ctx *c, uint32_t n)
{
    atomic_fetch_add(&c->sh->barrier, 1);
    int64_t end = now_ns() + 20000000000;
    while (atomic_load(&c->sh->barrier) < 2 * n) {
        if (atomic_load(&c->sh->failed) || now_ns() > end)
            fail(c, "barrier", "the other side is gone");
        pause_us(50);
    }
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
    /* shared (no FUTEX_PRIVATE_FLAG): the word lives in a MAP_SHARED page */
    return syscall(SYS_futex, (void *)word, op, val, ts, NULL, 0);
}

static int uses_dgram(int m)
{
    return m == M_DGRAM || m == M_DGRAM_ZMQ || m == M_DGRAM_ZFD;
}

static int uses_eventfd(int m)
{
    return m == M_EVENTFD || m == M_EVENTFD_ZMQ;
}

/* waits in zmq_poll beside an idle SUB socket, as ezc's subscriber does */
static int uses_sub(int m)
{
    return m == M_DGRAM_ZMQ || m == M_EVENTFD_ZMQ || m == M_DGRAM_ZFD;
}

static void zmq_check(side_ctx *c, int rc, const char *what)
{
    if (rc != 0)
        fail(c, what, zmq_strerror(zmq_errno()));
}

/* After fork: what each side opens itself, named in the shared page. */
static void setup(side_ctx *c, const char *ipc_base)
{
    char ep[160];
    int linger = 0;
    if (uses_dgram(c->mech)) {
        c->door = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        c->out = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        socklen_t alen = sizeof(sa_family_t); /* autobind: the kernel names it */
        if (c->door < 0 || c->out < 0 || bind(c->door, (struct sockaddr *)&a, alen) != 0)
            fail(c, "doorbell socket", strerror(errno));
        alen = sizeof a;
        if (getsockname(c->door, (struct sockaddr *)&a, &alen) != 0)
            fail(c, "getsockname", strerror(errno));
        size_t n = alen - offsetof(struct sockaddr_un, sun_path);
        memcpy(c->sh->door[c->side], a.sun_path, n);
        c->sh->door_len[c->side] = (uint32_t)n;
    }
    if (uses_sub(c->mech) || c->mech == M_ZMQ) {
        c->zctx = zmq_ctx_new();
        if (!c->zctx)
            fail(c, "zmq_ctx_new", zmq_strerror(zmq_errno()));
    }
    if (uses_sub(c->mech)) { /* an idle PUB per side; the other's SUB connects to it */
        c->zpub = zmq_socket(c->zctx, ZMQ_PUB);
        c->zsub = zmq_socket(c->zctx, ZMQ_SUB);
        if (!c->zpub || !c->zsub)
            fail(c, "zmq_socket", zmq_strerror(zmq_errno()));
        zmq_setsockopt(c->zpub, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(c->zsub, ZMQ_LINGER, &linger, sizeof linger);
        zmq_check(c, zmq_setsockopt(c->zsub, ZMQ_SUBSCRIBE, "", 0), "subscribe");
        snprintf(ep, sizeof ep, "%s-%d.ipc", ipc_base, c->side);
        zmq_check(c, zmq_bind(c->zpub, ep), "bind");
    }
    if (c->mech == M_ZMQ) {
        c->zpair = zmq_socket(c->zctx, ZMQ_PAIR);
        if (!c->zpair)
            fail(c, "zmq_socket", zmq_strerror(zmq_errno()));
        int timeout = 10000;
        zmq_setsockopt(c->zpair, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(c->zpair, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt(c->zpair, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
        snprintf(ep, sizeof ep, "%s-pair.ipc", ipc_base);
        if (c->side == 0)
            zmq_check(c, zmq_bind(c->zpair, ep), "bind");
    }
}

/* Once both sides have set up: what needs the other's names. */
static void connect_peer(side_ctx *c, const char *ipc_base)
{
    char ep[160];
    if (uses_dgram(c->mech)) {
        memset(&c->peer_addr, 0, sizeof c->peer_addr);
        c->peer_addr.sun_family = AF_UNIX;
        uint32_t n = c->sh->door_len[c->peer];
        memcpy(c->peer_addr.sun_path, c->sh->door[c->peer], n);
        c->peer_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
    if (uses_sub(c->mech)) {
        snprintf(ep, sizeof ep, "%s-%d.ipc", ipc_base, c->peer);
        zmq_check(c, zmq_connect(c->zsub, ep), "connect");
    }
    if (c->mech == M_ZMQ && c->side == 1) {
        snprintf(ep, sizeof ep, "%s-pair.ipc", ipc_base);
        zmq_check(c, zmq_connect(c->zpair, ep), "connect");
    }
}

static void teardown(side_ctx *c)
{
    if (c->zsub)
        zmq_close(c->zsub);
    if (c->zpub)
        zmq_close(c->zpub);
    if (c->zpair)
        zmq_close(c->zpair);
    if (c->zctx)
        zmq_ctx_term(c->zctx);
    if (uses_dgram(c->mech)) {
        close(c->door);
        close(c->out);
    }
}

/* Sleeps on this side's wake-up channel (the ring read as V before). */
static void sleep_on(side_ctx *c, uint32_t v)
{
    struct pollfd pf = {.fd = -1, .events = POLLIN};
    switch (c->mech) {
    case M_DGRAM: pf.fd = c->door; break;
    case M_EVENTFD: pf.fd = c->efd[c->side]; break;
    case M_PIPE: pf.fd = c->pfd[c->side][0]; break;
    case M_DGRAM_ZMQ:
    case M_EVENTFD_ZMQ: {
        int fd = c->mech == M_DGRAM_ZMQ ? c->door : c->efd[c->side];
        zmq_pollitem_t items[2] = {{c->zsub, 0, ZMQ_POLLIN, 0}, {NULL, fd, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, 1000) < 0 && zmq_errno() != EINTR)
            fail(c, "zmq_poll", zmq_strerror(zmq_errno()));
        return;
    }
    case M_DGRAM_ZFD: {
        /* What zmq_poll does, once: the socket's events (which also
         * re-arms its edge-triggered descriptor), then one poll() on that
         * descriptor beside the doorbell, then the events again. */
        int ev = 0, zfd = -1;
        size_t len = sizeof ev;
        zmq_getsockopt(c->zsub, ZMQ_EVENTS, &ev, &len);
        if (ev & ZMQ_POLLIN)
            return;
        len = sizeof zfd;
        zmq_getsockopt(c->zsub, ZMQ_FD, &zfd, &len);
        struct pollfd two[2] = {{zfd, POLLIN, 0}, {c->door, POLLIN, 0}};
        if (poll(two, 2, 1000) < 0 && errno != EINTR)
            fail(c, "poll", strerror(errno));
        len = sizeof ev;
        zmq_getsockopt(c->zsub, ZMQ_EVENTS, &ev, &len);
        return;
    }
    case M_FUTEX: {
        struct timespec ts = {1, 0};
        if (futex(&c->sh->seq[c->side], FUTEX_WAIT, v, &ts) != 0 && errno != EAGAIN &&
            errno != EINTR && errno != ETIMEDOUT)
            fail(c, "futex wait", strerror(errno));
        return;
    }
    default: return;
    }
    if (poll(&pf, 1, 1000) < 0 && errno != EINTR)
        fail(c, "poll", strerror(errno));
}

/* After sleeping: empties the channel, as ezc's disarm does. */
static void drain(side_ctx *c)
{
    char buf[64];
    uint64_t v;
    switch (c->mech) {
    case M_DGRAM:
    case M_DGRAM_ZMQ:
    case M_DGRAM_ZFD:
        while (recv(c->door, buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
        break;
    case M_EVENTFD:
    case M_EVENTFD_ZMQ:
        if (read(c->efd[c->side], &v, sizeof v) < 0 && errno != EAGAIN)
            fail(c, "eventfd read", strerror(errno));
        break;
    case M_PIPE:
        if (read(c->pfd[c->side][0], buf, sizeof buf) < 0 && errno != EAGAIN)
            fail(c, "pipe read", strerror(errno));
        break;
    default: break;
    }
}

/* Returns once message WANT to this side is visible. */
static void wait_msg(side_ctx *c, uint32_t want)
{
    shared *sh = c->sh;
    _Atomic uint32_t *seq = &sh->seq[c->side];
    if (c->mech == M_SPIN) {
        while (atomic_load_explicit(seq, memory_order_acquire) < want)
            cpu_relax();
        return;
    }
    if (c->mech == M_ZMQ) { /* the message is the signal: one per message */
        char b[8];
        while (zmq_recv(c->zpair, b, sizeof b, 0) < 0)
            if (zmq_errno() != EINTR)
                fail(c, "zmq_recv", zmq_strerror(zmq_errno()));
        return;
    }
    while (atomic_load(seq) < want) {
        if (uses_sub(c->mech)) { /* ezc looks at its socket first, without waiting */
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->zsub, ZMQ_DONTWAIT) >= 0)
                fail(c, "sub", "a message on the idle socket");
            zmq_msg_close(&m);
        }
        atomic_store(&sh->waiting[c->side], 1);
        uint32_t v = atomic_load(seq);
        if (v < want)
            sleep_on(c, v);
        atomic_store(&sh->waiting[c->side], 0);
        drain(c);
    }
}

/* Stamps, makes message N to the other side visible and signals it; returns
 * the stamp. */
static int64_t send_msg(side_ctx *c, uint32_t n)
{
    shared *sh = c->sh;
    int p = c->peer;
    int64_t t = now_ns();
    atomic_store(&sh->stamp[p], t);
    atomic_store(&sh->seq[p], n);
    if (c->mech == M_SPIN)
        return t;
    if (c->mech == M_ZMQ) {
        char one = 1;
        if (zmq_send(c->zpair, &one, 1, 0) != 1)
            fail(c, "zmq_send", zmq_strerror(zmq_errno()));
        return t;
    }
    if (!atomic_load(&sh->waiting[p]) || !atomic_exchange(&sh->waiting[p], 0))
        return t; /* the other side is awake: no signal needed, as in ezc */
    char one = 1;
    uint64_t inc = 1;
    atomic_fetch_add(&sh->signals[c->side], 1);
    switch (c->mech) {
    case M_DGRAM:
    case M_DGRAM_ZMQ:
    case M_DGRAM_ZFD:
        sendto(c->out, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&c->peer_addr,
               c->peer_len);
        break;
    case M_FUTEX:
        if (futex(&sh->seq[p], FUTEX_WAKE, 1, NULL) < 0)
            fail(c, "futex wake", strerror(errno));
        break;
    case M_EVENTFD:
    case M_EVENTFD_ZMQ:
        if (write(c->efd[p], &inc, sizeof inc) < 0 && errno != EAGAIN)
            fail(c, "eventfd write", strerror(errno));
        break;
    case M_PIPE:
        if (write(c->pfd[p][1], &one, 1) < 0 && errno != EAGAIN)
            fail(c, "pipe write", strerror(errno));
        break;
    default: break;
    }
    return t;
}

/* One side's whole run: WARMUP + rounds round trips. The parent (side 0)
 * sleeps then pings; the child waits, sleeps then pongs. */
static void run_side(side_ctx *c, const char *ipc_base)
{
    shared *sh = c->sh;
    alarm(120); /* a side that hangs ends the benchmark instead of the CI job */
    if (c->mech != M_SLEEP)
        setup(c, ipc_base);
    barrier(c, 1);
    if (c->mech != M_SLEEP)
        connect_peer(c, ipc_base);
    barrier(c, 2);
    double cpu0 = 0;
    for (int r = 0; r < WARMUP + c->rounds; r++) {
        if (r == WARMUP)
            cpu0 = cpu_us();
        int k = r - WARMUP;
        if (c->mech == M_SLEEP) {
            pause_us(SLEEP_US);
            continue;
        }
        uint32_t n = (uint32_t)r + 1;
        if (c->side == 1) {
            wait_msg(c, n);
            int64_t t = now_ns();
            if (k >= 0)
                c->lat[k] = (double)(t - atomic_load(&sh->stamp[1])) / 1e3;
        }
        pause_us(SLEEP_US);
        int64_t t0 = send_msg(c, n);
        if (k >= 0)
            c->ring[k] = (double)(now_ns() - t0) / 1e3;
        if (c->side == 0) {
            wait_msg(c, n);
            int64_t t = now_ns();
            if (k >= 0)
                c->lat[k] = (double)(t - atomic_load(&sh->stamp[0])) / 1e3;
        }
    }
    sh->cpu_us[c->side] = (cpu_us() - cpu0) / c->rounds;
    barrier(c, 3);
    if (c->mech != M_SLEEP)
        teardown(c);
    alarm(0);
}

typedef struct {
    double p50, p90, p99, vs_dgram, ring50, cpu[2], signalled;
} result;

static double pct(const double *v, int n, double q)
{
    int i = (int)(q * n);
    return v[i < n ? i : n - 1];
}

static result measure(int mech, int rounds, shared *sh, double *child_lat, double *child_ring,
                      double *lat, double *ring)
{
    memset(sh, 0, sizeof *sh);
    side_ctx c;
    memset(&c, 0, sizeof c);
    c.sh = sh;
    c.mech = mech;
    c.rounds = rounds;
    c.door = c.out = -1;
    c.efd[0] = c.efd[1] = -1;
    for (int i = 0; i < 2; i++) {
        if (uses_eventfd(mech) && (c.efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
            die("eventfd", strerror(errno));
        if (mech == M_PIPE && pipe2(c.pfd[i], O_NONBLOCK | O_CLOEXEC) != 0)
            die("pipe", strerror(errno));
    }
    static int serial;
    char ipc_base[96];
    snprintf(ipc_base, sizeof ipc_base, "ipc:///tmp/ezc-bdoor-%d-%d", (int)getpid(), serial++);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", strerror(errno));
    if (pid == 0) {
        c.side = 1;
        c.peer = 0;
        c.lat = child_lat;
        c.ring = child_ring;
        run_side(&c, ipc_base);
        _exit(0);
    }
    c.side = 0;
    c.peer = 1;
    c.lat = lat;
    c.ring = ring + rounds; /* the parent's after the child's */
    run_side(&c, ipc_base);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        die("child", sh->why[0] ? sh->why : "failed");
    for (int i = 0; i < 2; i++) {
        if (uses_eventfd(mech))
            close(c.efd[i]);
        if (mech == M_PIPE) {
            close(c.pfd[i][0]);
            close(c.pfd[i][1]);
        }
    }
    if (uses_sub(mech) || mech == M_ZMQ) {
        char path[200];
        const char *tails[3] = {"-0.ipc", "-1.ipc", "-pair.ipc"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s%s", ipc_base + 6, tails[i]);
            unlink(path);
        }
    }
    result res = {0, 0, 0, 0, 0, {sh->cpu_us[0], sh->cpu_us[1]}, 100};
    if (mech != M_ZMQ && mech != M_SPIN) /* warm-up included */
        res.signalled = 100.0 * (atomic_load(&sh->signals[0]) + atomic_load(&sh->signals[1])) /
                        (2.0 * (WARMUP + rounds));
    if (mech == M_SLEEP)
        return res;
    /* both directions together: the parent's samples, then the child's */
    memcpy(lat + rounds, child_lat, (size_t)rounds * sizeof *lat);
    memcpy(ring, child_ring, (size_t)rounds * sizeof *ring);
    int n = 2 * rounds;
    qsort(lat, (size_t)n, sizeof *lat, bench_cmp_double);
    qsort(ring, (size_t)n, sizeof *ring, bench_cmp_double);
    res.p50 = pct(lat, n, 0.50);
    res.p90 = pct(lat, n, 0.90);
    res.p99 = pct(lat, n, 0.99);
    res.ring50 = pct(ring, n, 0.50);
    return res;
}

static void print_table(const char *title, const result *r, const result *sleep)
{
    printf("\n%s\n\n", title);
    printf("| mechanism | p50 us | p90 us | p99 us | p50 vs dgram | ring us p50 | signalled | "
           "cpu us/msg parent | cpu us/msg child |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int m = 0; m < NMECH; m++)
        printf("| %s | %.1f | %.1f | %.1f | %.2fx | %.2f | %.1f%% | %.1f | %.1f |\n", mech_name[m],
               r[m].p50, r[m].p90, r[m].p99, r[m].vs_dgram, r[m].ring50, r[m].signalled,
               r[m].cpu[0] - sleep->cpu[0], r[m].cpu[1] - sleep->cpu[1]);
    printf("| %s | | | | | | | %.1f | %.1f |\n", mech_name[M_SLEEP], sleep->cpu[0], sleep->cpu[1]);
}

int main(int argc, char **argv)
{
    int rounds = ROUNDS;
    if (argc > 2 || (argc == 2 && ((rounds = atoi(argv[1])) < 10 || rounds > MAX_ROUNDS)))
        die("usage", "bench_doorbell [round trips per mechanism and set, 10..100000]");
    /* sleeps end when asked, not up to 50 us later: the run is shorter */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    size_t bytes = sizeof(shared) + 2 * (size_t)rounds * sizeof(double);
    void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        die("mmap", strerror(errno));
    shared *sh = region;
    double *child_lat = (double *)((char *)region + sizeof(shared));
    double *child_ring = child_lat + rounds;
    double *lat = malloc(2 * (size_t)rounds * sizeof *lat);
    double *ring = malloc(2 * (size_t)rounds * sizeof *ring);
    if (!lat || !ring)
        die("malloc", "out of memory");

    printf("doorbell: one-way wake-up of a sleeping process (2 processes, fork), %d round "
           "trips per mechanism and set\n(%d one-way wake-ups), each side sleeping %d us "
           "before it signals; %d sets interleaved, %ld CPUs online.\n",
           rounds, 2 * rounds, SLEEP_US, SETS, sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
    static result res[SETS][NMECH + 1];
    double t0 = bench_now();
    for (int s = 0; s < SETS; s++) {
        /* a different mechanism first in each set */
        for (int k = 0; k <= NMECH; k++) {
            int m = (k + s) % (NMECH + 1);
            res[s][m] = measure(m, rounds, sh, child_lat, child_ring, lat, ring);
        }
        for (int m = 0; m < NMECH; m++)
            res[s][m].vs_dgram = res[s][m].p50 / res[s][M_DGRAM].p50;
        char title[64];
        snprintf(title, sizeof title, "### set %d of %d", s + 1, SETS);
        print_table(title, res[s], &res[s][M_SLEEP]);
        fflush(stdout);
    }
    result med[NMECH + 1];
    for (int m = 0; m <= NMECH; m++) {
        double v[8][SETS];
        for (int s = 0; s < SETS; s++) {
            const result *r = &res[s][m];
            double x[8] = {r->p50,    r->p90,    r->p99,    r->vs_dgram,
                           r->ring50, r->cpu[0], r->cpu[1], r->signalled};
            for (int f = 0; f < 8; f++)
                v[f][s] = x[f];
        }
        double x[8];
        for (int f = 0; f < 8; f++)
            x[f] = bench_median(v[f], SETS);
        med[m] = (result){x[0], x[1], x[2], x[3], x[4], {x[5], x[6]}, x[7]};
    }
    char title[96];
    snprintf(title, sizeof title, "### median of the %d sets", SETS);
    print_table(title, med, &med[M_SLEEP]);
    static const char *notes[] = {
        "notes: one-way latency = the receiver's CLOCK_MONOTONIC once it sees the message",
        "minus the sender's stamp, taken just before it made the message visible and signalled;",
        "both directions pooled. ring us: the sender's time from that stamp to the signal's",
        "return (the publisher's cost per wake-up). signalled: the share of messages whose",
        "sender found the other side waiting and signalled it (raw zmq and spin: always).",
        "cpu us/msg: getrusage of the whole process (every thread) per message received (each",
        "side also sends one), less the (sleep only) row, what the sleep before each send costs",
        "(the median table: median of each less the median sleep). spin burns a core waiting.",
        "dgram: ezc's doorbell (abstract AF_UNIX datagram, autobind, waiting-flag protocol,",
        "poll, drain). dgram+zmq_poll: the same waited on in zmq_poll beside an idle SUB",
        "connected to the other side's PUB over ipc, after a non-blocking recv on it, as ezc's",
        "subscriber waits. eventfd+zmq_poll: an eventfd in that same wait instead.",
        "futex: FUTEX_WAIT/FUTEX_WAKE, shared, on the ring counter in the page; a futex has no",
        "descriptor: it cannot be waited on in poll/zmq_poll together with a ZeroMQ socket.",
        "eventfd: made before fork and inherited; unrelated processes (ezc's case) would have",
        "to pass it over a unix socket with SCM_RIGHTS. pipe: likewise inherited. raw zmq: a",
        "ZeroMQ PAIR over ipc, a 1-byte message per wake-up, blocking recv (ZeroMQ itself as",
        "the wake-up channel).",
    };
    printf("\n");
    for (size_t i = 0; i < sizeof notes / sizeof *notes; i++)
        printf("%s\n", notes[i]);
    printf("sleep before each send: %d us; total %.0f s.\n", SLEEP_US, bench_now() - t0);
    free(lat);
    free(ring);
    munmap(region, bytes);
    return 0;
}
