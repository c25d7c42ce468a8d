/* clock.c — stamps' clock and other hosts' clocks (ezc/clock.h).
 *
 * A server is a bound UDP socket and a thread that answers; a tracker a
 * connected UDP socket and a thread that asks. Neither keeps state about
 * the other side beyond one estimate. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ezc/clock.h"
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "pubsub_internal.h"

#define MAGIC "ezc-time"
#define VERSION 1
#define KIND_REQUEST 1
#define KIND_REPLY 2
#define PROBE_TIMEOUT_MS 200 /* a tracker's wait for one reply */
#define SLICE_MS 50          /* a wait looks at the stop flag this often */

/* ---- the stamps' clock -------------------------------------------------- */

static int64_t skew_ns;
static pthread_once_t skew_once = PTHREAD_ONCE_INIT;

static void skew_read(void)
{
    const char *v = getenv("EZC_CLOCK_SKEW_MS");
    if (!v || !*v)
        return;
    char *end;
    double ms = strtod(v, &end);
    if (*end || !isfinite(ms) || fabs(ms) > EZC_CLOCK_SKEW_MAX_MS) {
        ezc_log(EZC_LOG_WARN, "clock: EZC_CLOCK_SKEW_MS='%s' ignored (milliseconds, |skew| <= 1e9)",
                v);
        return;
    }
    skew_ns = (int64_t)llround(ms * 1e6);
}

int64_t ezc_clock_now_ns(void)
{
    pthread_once(&skew_once, skew_read);
    return ezc_clock_ns(CLOCK_REALTIME) + skew_ns;
}

/* ---- probes ------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}
static void put_i64(unsigned char *p, int64_t v)
{
    uint64_t u = htole64((uint64_t)v);
    memcpy(p, &u, 8);
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}
static int64_t get_i64(const unsigned char *p)
{
    uint64_t u;
    memcpy(&u, p, 8);
    return (int64_t)le64toh(u);
}

/* A probe of kind `kind`, version and magic checked. */
static int probe_is(const unsigned char *p, size_t n, uint32_t kind)
{
    return n == EZC_CLOCK_PROBE_BYTES && !memcmp(p, MAGIC, 8) && get_u32(p + 8) == VERSION &&
           get_u32(p + 12) == kind;
}

int ezc_clock_probe_answer(const void *req, size_t n, void *reply, int64_t t1, int64_t t2)
{
    if (!req || !reply || !probe_is(req, n, KIND_REQUEST))
        return -1;
    unsigned char *r = reply;
    memcpy(r, req, EZC_CLOCK_PROBE_BYTES); /* magic, version, nonce, t0 */
    put_u32(r + 12, KIND_REPLY);
    put_i64(r + 32, t1);
    put_i64(r + 40, t2);
    return EZC_CLOCK_PROBE_BYTES;
}

/* ---- serving ------------------------------------------------------------ */

struct ezc_clock_server {
    int fd, wake[2]; /* wake: a pipe the destroyer writes to */
    int port;
    pthread_t thread;
    _Atomic uint64_t answered, dropped;
};

static void serve_ready(ezc_clock_server *s)
{
    for (int i = 0; i < 64; i++) { /* a burst at most per wake-up: the stop stays in reach */
        unsigned char in[EZC_CLOCK_PROBE_BYTES + 16], out[EZC_CLOCK_PROBE_BYTES];
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(s->fd, in, sizeof in, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&from, &flen);
        int64_t t1 = ezc_clock_now_ns();
        if (n < 0)
            return; /* EAGAIN, or an ICMP error of an earlier reply: nothing to answer */
        if ((size_t)n > sizeof in ||
            ezc_clock_probe_answer(in, (size_t)n, out, t1, ezc_clock_now_ns()) < 0) {
            atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
            continue;
        }
        put_i64(out + 40, ezc_clock_now_ns()); /* t2 as late as can be */
        if (sendto(s->fd, out, sizeof out, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&from,
                   flen) == (ssize_t)sizeof out)
            atomic_fetch_add_explicit(&s->answered, 1, memory_order_relaxed);
    }
}

static void *serve_main(void *arg)
{
    ezc_clock_server *s = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
                              {.fd = s->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (p[0].revents)
            serve_ready(s);
    }
    return NULL;
}

int ezc_clock_server_new(int port, ezc_clock_server **out, ezc_error *err)
{
    *out = NULL;
    if (port < 0 || port > 65535)
        return ezc_error_set(err, EZC_EINVAL, "clock: port %d out of range", port);
    ezc_clock_server *s = calloc(1, sizeof *s);
    if (!s)
        return ezc_error_set(err, EZC_ENOMEM, "clock: out of memory");
    s->wake[0] = s->wake[1] = -1;
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    me.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof me;
    int rc = 0;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&me, sizeof me) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&me, &len) != 0 || pipe2(s->wake, O_CLOEXEC) != 0)
        rc = ezc_error_set(err, EZC_EIO, "clock: cannot serve on UDP port %d: %s", port,
                           strerror(errno));
    else {
        s->port = ntohs(me.sin_port);
        int e = pthread_create(&s->thread, NULL, serve_main, s);
        if (e)
            rc = ezc_error_set(err, EZC_EIO, "clock: cannot start a thread: %s", strerror(e));
    }
    if (rc) {
        if (s->fd >= 0)
            close(s->fd);
        if (s->wake[0] >= 0) {
            close(s->wake[0]);
            close(s->wake[1]);
        }
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ezc_clock_server_port(const ezc_clock_server *s)
{
    return s ? s->port : 0;
}

void ezc_clock_server_counts(const ezc_clock_server *s, uint64_t *answered, uint64_t *dropped)
{
    if (answered)
        *answered = s ? atomic_load(&s->answered) : 0;
    if (dropped)
        *dropped = s ? atomic_load(&s->dropped) : 0;
}

void ezc_clock_server_destroy(ezc_clock_server **sp)
{
    if (!sp || !*sp)
        return;
    ezc_clock_server *s = *sp;
    *sp = NULL;
    ssize_t w = write(s->wake[1], "x", 1);
    (void)w;
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->wake[0]);
    close(s->wake[1]);
    free(s);
}

/* ---- measuring ---------------------------------------------------------- */

/* A UDP socket connected to host:port (only its replies reach it). */
static int connect_to(const char *host, int port, int *fd, ezc_error *err)
{
    if (!host || !*host || port <= 0 || port > 65535)
        return ezc_error_set(err, EZC_EINVAL, "clock: bad peer '%s' port %d", host ? host : "",
                             port);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &ai);
    if (g || !ai)
        return ezc_error_set(err, EZC_EINVAL, "clock: cannot resolve '%s': %s", host,
                             gai_strerror(g));
    *fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = 0;
    if (*fd < 0 || connect(*fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        rc = ezc_error_set(err, EZC_EIO, "clock: cannot reach %s:%d: %s", host, port,
                           strerror(errno));
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    }
    freeaddrinfo(ai);
    return rc;
}

/* One probe on a connected fd: 1 with *off and *rtt, 0 for no valid answer
 * within timeout_ms, -1 when stopped. */
static int probe_once(int fd, int timeout_ms, const _Atomic int *stop, int64_t *off, int64_t *rtt)
{
    unsigned char q[EZC_CLOCK_PROBE_BYTES] = {0}, r[EZC_CLOCK_PROBE_BYTES + 16];
    uint64_t nonce = ezc_random_u64();
    memcpy(q, MAGIC, 8);
    put_u32(q + 8, VERSION);
    put_u32(q + 12, KIND_REQUEST);
    put_i64(q + 16, (int64_t)nonce);
    int64_t t0 = ezc_clock_now_ns();
    put_i64(q + 24, t0);
    if (send(fd, q, sizeof q, MSG_NOSIGNAL) != (ssize_t)sizeof q)
        return 0; /* e.g. ECONNREFUSED left by an earlier probe: try the next */
    int64_t until = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if ((stop && atomic_load(stop)) || ezc_interrupted())
            return -1;
        int64_t left = until - ezc_clock_ns(CLOCK_MONOTONIC);
        if (left <= 0)
            return 0;
        int ms = (int)(left / 1000000) + 1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, ms > SLICE_MS ? SLICE_MS : ms) <= 0)
            continue;
        ssize_t n = recv(fd, r, sizeof r, MSG_DONTWAIT | MSG_TRUNC);
        int64_t t3 = ezc_clock_now_ns();
        if (n < 0) {
            if (errno == ECONNREFUSED)
                return 0; /* nobody serves there */
            continue;
        }
        if (!probe_is(r, (size_t)n, KIND_REPLY) || (uint64_t)get_i64(r + 16) != nonce ||
            get_i64(r + 24) != t0)
            continue; /* a late reply to an earlier probe, or not ours */
        int64_t t1 = get_i64(r + 32), t2 = get_i64(r + 40);
        /* In 128 bits: a hostile reply's times may be anything. */
        __int128 held = (__int128)t2 - t1, trip = (__int128)t3 - t0 - held;
        __int128 o = (((__int128)t1 - t0) + ((__int128)t2 - t3)) / 2;
        if (held < 0 || trip < 0 || o > INT64_MAX || o < INT64_MIN)
            continue;
        *off = (int64_t)o;
        *rtt = (int64_t)trip;
        return 1;
    }
}

/* A burst on fd: the shortest round trip's estimate into *e (valid when
 * one came back); counts added. -1 when stopped. */
static int burst(int fd, int probes, int timeout_ms, const _Atomic int *stop, ezc_clock_estimate *e)
{
    e->valid = 0;
    for (int i = 0; i < probes; i++) {
        int64_t off, rtt;
        e->sent++;
        int got = probe_once(fd, timeout_ms, stop, &off, &rtt);
        if (got < 0)
            return -1;
        if (got == 0)
            continue;
        e->answered++;
        if (!e->valid || rtt < e->rtt_ns) {
            e->valid = 1;
            e->offset_ns = off;
            e->rtt_ns = rtt;
            e->at_ns = ezc_clock_now_ns();
        }
    }
    return 0;
}

int ezc_clock_endpoint_host(const char *endpoint, char *host, size_t cap)
{
    if (host && cap)
        host[0] = '\0';
    if (!endpoint || !host || strncmp(endpoint, "tcp://", 6))
        return 0;
    const char *colon = strrchr(endpoint + 6, ':');
    if (!colon || colon == endpoint + 6 || (size_t)(colon - endpoint - 6) >= cap)
        return 0;
    memcpy(host, endpoint + 6, (size_t)(colon - endpoint - 6));
    host[colon - endpoint - 6] = '\0';
    return 1;
}

int ezc_clock_measure(const char *host, int port, int probes, int timeout_ms,
                      ezc_clock_estimate *out, ezc_error *err)
{
    memset(out, 0, sizeof *out);
    if (probes < 1 || probes > 64 || timeout_ms < 0)
        return ezc_error_set(err, EZC_EINVAL, "clock: %d probes, %d ms each (1..64, >= 0)", probes,
                             timeout_ms);
    int fd, rc = connect_to(host, port, &fd, err);
    if (rc)
        return rc;
    rc = burst(fd, probes, timeout_ms, NULL, out);
    close(fd);
    if (rc < 0)
        return ezc_error_set(err, EZC_EINTR, "clock: stopped while measuring %s", host);
    if (!out->valid)
        return ezc_error_set(err, EZC_ETIMEOUT, "clock: no answer from %s:%d", host, port);
    return 0;
}

struct ezc_clock_tracker {
    char host[256];
    int port, interval_ms, fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC: the wait between bursts */
    _Atomic int stop;
    _Atomic int64_t offset; /* est.offset_ns, for the per-message path */
    _Atomic int valid;
    ezc_clock_estimate est;                      /* under mu */
    ezc_clock_estimate recent[EZC_CLOCK_FILTER]; /* the thread's: latest bursts' best */
    int nrecent;
};

static void *track_main(void *arg)
{
    ezc_clock_tracker *t = arg;
    static const int soon_ms[] = {100, 200}; /* settle fast, then every interval */
    uint64_t sent = 0, answered = 0;
    for (int beat = 0; !atomic_load(&t->stop); beat++) {
        ezc_clock_estimate b = {0};
        if (burst(t->fd, EZC_CLOCK_BURST, PROBE_TIMEOUT_MS, &t->stop, &b) < 0)
            break;
        sent += b.sent;
        answered += b.answered;
        if (b.valid) {
            memmove(t->recent + 1, t->recent, (EZC_CLOCK_FILTER - 1) * sizeof *t->recent);
            t->recent[0] = b;
            if (t->nrecent < EZC_CLOCK_FILTER)
                t->nrecent++;
        }
        pthread_mutex_lock(&t->mu);
        if (t->nrecent) { /* the least queued of the recent bursts */
            int best = 0;
            for (int i = 1; i < t->nrecent; i++)
                if (t->recent[i].rtt_ns < t->recent[best].rtt_ns)
                    best = i;
            t->est = t->recent[best];
            atomic_store_explicit(&t->offset, t->est.offset_ns, memory_order_relaxed);
            atomic_store_explicit(&t->valid, 1, memory_order_release);
        }
        t->est.sent = sent;
        t->est.answered = answered;
        struct timespec until = ezc_deadline_ms(beat < 2 ? soon_ms[beat] : t->interval_ms);
        while (!atomic_load(&t->stop) &&
               pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT) {
        }
        pthread_mutex_unlock(&t->mu);
    }
    return NULL;
}

int ezc_clock_tracker_new(const char *host, int port, int interval_ms, ezc_clock_tracker **out,
                          ezc_error *err)
{
    *out = NULL;
    if (!host || strlen(host) >= sizeof((ezc_clock_tracker *)0)->host)
        return ezc_error_set(err, EZC_EINVAL, "clock: bad peer host");
    if (interval_ms < 0 || interval_ms > 3600000)
        return ezc_error_set(err, EZC_EINVAL, "clock: interval %d ms (0 .. 3600000)", interval_ms);
    ezc_clock_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return ezc_error_set(err, EZC_ENOMEM, "clock: out of memory");
    int rc = connect_to(host, port, &t->fd, err);
    if (rc) {
        free(t);
        return rc;
    }
    snprintf(t->host, sizeof t->host, "%s", host);
    t->port = port;
    t->interval_ms = interval_ms ? interval_ms : EZC_CLOCK_INTERVAL_MS;
    ezc_cond_init_monotonic(&t->cv);
    pthread_mutex_init(&t->mu, NULL);
    int e = pthread_create(&t->thread, NULL, track_main, t);
    if (e) {
        close(t->fd);
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return ezc_error_set(err, EZC_EIO, "clock: cannot start a thread: %s", strerror(e));
    }
    *out = t;
    return 0;
}

int ezc_clock_tracker_get(ezc_clock_tracker *t, ezc_clock_estimate *out)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return EZC_ETIMEOUT;
    pthread_mutex_lock(&t->mu);
    *out = t->est;
    pthread_mutex_unlock(&t->mu);
    return out->valid ? 0 : EZC_ETIMEOUT;
}

int ezc_clock_tracker_offset(ezc_clock_tracker *t, int64_t *offset_ns)
{
    *offset_ns = 0;
    if (!t || !atomic_load_explicit(&t->valid, memory_order_acquire))
        return EZC_ETIMEOUT;
    *offset_ns = atomic_load_explicit(&t->offset, memory_order_relaxed);
    return 0;
}

const char *ezc_clock_tracker_host(const ezc_clock_tracker *t)
{
    return t ? t->host : "";
}

void ezc_clock_tracker_destroy(ezc_clock_tracker **tp)
{
    if (!tp || !*tp)
        return;
    ezc_clock_tracker *t = *tp;
    *tp = NULL;
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->stop, 1);
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    close(t->fd);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}
