/* discovery.c — stream names across hosts (ezc/discovery.h).
 *
 * A publisher pushes its beacon; nobody answers. One datagram per stream and
 * destination, so an announcer is a socket and a timer, a listener a bound
 * socket, and no host keeps state about another. Beacons come from anyone:
 * the parser is strict and bounded, and the only endpoint it lets through is
 * tcp://HOST:PORT. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "ezc/clock.h"
#include "ezc/discovery.h"
#include "ezc/dtype.h"
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "pubsub_internal.h"

#define MAGIC "ezc-beacon 1\n"
#define SLICE_MS 100 /* a wait looks at the stop flag this often */
#define Z85 "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

/* ---- configuration ------------------------------------------------------ */

static int find_iface(const char *want, ezc_discovery_config *c, ezc_error *err)
{
    struct ifaddrs *all = NULL;
    if (getifaddrs(&all) != 0)
        return ezc_error_set(err, EZC_EIO, "discovery: cannot list interfaces: %s",
                             strerror(errno));
    int found = 0, no_bcast = 0;
    for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_name)
            continue;
        char addr[INET_ADDRSTRLEN];
        uint32_t a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        inet_ntop(AF_INET, &a, addr, sizeof addr);
        if (strcmp(i->ifa_name, want) && strcmp(addr, want))
            continue;
        if (!(i->ifa_flags & IFF_BROADCAST) || !i->ifa_broadaddr) {
            no_bcast = 1;
            continue;
        }
        snprintf(c->iface, sizeof c->iface, "%s", i->ifa_name);
        c->iface_addr = a;
        c->iface_bcast = ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr.s_addr;
        found = 1;
    }
    freeifaddrs(all);
    if (found)
        return 0;
    if (no_bcast)
        return ezc_error_set(err, EZC_EINVAL,
                             "discovery: interface %s has no broadcast address (name peers in "
                             "EZC_PEERS)",
                             want);
    return ezc_error_set(err, EZC_EINVAL, "discovery: no IPv4 interface '%s'", want);
}

static int add_peer(const char *host, size_t len, ezc_discovery_config *c, ezc_error *err)
{
    char name[256];
    if (len == 0)
        return 0;
    if (len >= sizeof name)
        return ezc_error_set(err, EZC_EINVAL, "discovery: peer '%.40s...' is too long", host);
    memcpy(name, host, len);
    name[len] = '\0';
    if (c->npeers == EZC_DISCOVERY_PEERS_MAX)
        return ezc_error_set(err, EZC_EINVAL, "discovery: more than %d peers",
                             EZC_DISCOVERY_PEERS_MAX);
    struct addrinfo hint = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    int rc = getaddrinfo(name, NULL, &hint, &res);
    if (rc != 0 || !res)
        return ezc_error_set(err, EZC_EINVAL, "discovery: cannot resolve peer '%s': %s", name,
                             rc ? gai_strerror(rc) : "no address");
    c->peers[c->npeers++] = ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr;
    freeaddrinfo(res);
    return 0;
}

int ezc_discovery_config_parse(const char *iface, const char *peers, int port,
                               ezc_discovery_config *c, ezc_error *err)
{
    memset(c, 0, sizeof *c);
    c->port = port > 0 ? port : EZC_DISCOVERY_PORT;
    c->interval_ms = EZC_DISCOVERY_INTERVAL_MS;
    c->wait_ms = 3 * EZC_DISCOVERY_INTERVAL_MS / 2;
    if (port < 0 || port > 65535)
        return ezc_error_set(err, EZC_EINVAL, "discovery: port %d (1..65535)", port);
    if (iface && *iface) {
        int rc = find_iface(iface, c, err);
        if (rc)
            return rc;
    }
    for (const char *p = peers ? peers : ""; *p;) {
        size_t len = strcspn(p, ", ");
        int rc = add_peer(p, len, c, err);
        if (rc)
            return rc;
        p += len;
        p += strspn(p, ", ");
    }
    c->enabled = c->iface[0] || c->npeers;
    return 0;
}

static int env_int(const char *var, int lo, int hi, int *out, ezc_error *err)
{
    const char *v = getenv(var);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return ezc_error_set(err, EZC_EINVAL, "discovery: %s='%s' (an integer in %d..%d)", var, v,
                             lo, hi);
    *out = (int)x;
    return 0;
}

int ezc_discovery_config_from_env(ezc_discovery_config *c, ezc_error *err)
{
    int port = 0;
    int rc = env_int("EZC_DISCOVERY_PORT", 1, 65535, &port, err);
    if (!rc)
        rc = ezc_discovery_config_parse(getenv("EZC_DISCOVERY"), getenv("EZC_PEERS"), port, c, err);
    if (!rc)
        rc = env_int("EZC_DISCOVERY_INTERVAL_MS", 50, 60000, &c->interval_ms, err);
    if (!rc)
        rc = env_int("EZC_DISCOVERY_WAIT_MS", 0, 60000, &c->wait_ms, err);
    return rc;
}

/* ---- the beacon --------------------------------------------------------- */

/* Appends to buf at *at; 0, or -1 (and nothing written) when it does not fit. */
static int put(char *buf, size_t cap, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int put(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *at) {
        buf[*at] = '\0';
        return -1;
    }
    *at += (size_t)n;
    return 0;
}

/* The host and port of "tcp://HOST:PORT" (HOST may be "[v6]"). */
static int split_tcp(const char *ep, char *host, size_t hcap, const char **port)
{
    if (strncmp(ep, "tcp://", 6))
        return -1;
    ep += 6;
    const char *colon = strrchr(ep, ':');
    if (!colon || (size_t)(colon - ep) >= hcap)
        return -1;
    memcpy(host, ep, (size_t)(colon - ep));
    host[colon - ep] = '\0';
    *port = colon + 1;
    return 0;
}

/* One value without newlines: what the registry would hold is clean, but
 * an announcer takes any ezc_stream_info. */
static int clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static int host_ok(const char *h, size_t max)
{
    size_t n = strlen(h);
    if (n == 0 || n > max || h[0] == '-' || h[0] == '.')
        return 0;
    for (; *h; h++)
        if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-')
            return 0;
    return 1;
}

int ezc_beacon_format(const ezc_stream_info *si, uint32_t local, char *buf, size_t cap)
{
    char host[512], me[64] = "", addr[INET_ADDRSTRLEN];
    const char *port;
    if (cap > EZC_BEACON_MAX + 1)
        cap = EZC_BEACON_MAX + 1;
    if (!si || !buf || cap < 64 || split_tcp(si->endpoint, host, sizeof host, &port) ||
        !clean(si->endpoint) || !clean(si->name))
        return -1;
    if (local && (!strcmp(host, "0.0.0.0") || !strcmp(host, "*") || !strcmp(host, "[::]") ||
                  !strcmp(host, "::"))) {
        inet_ntop(AF_INET, &local, addr, sizeof addr);
        snprintf(host, sizeof host, "%s", addr);
    }
    gethostname(me, sizeof me - 1);
    me[sizeof me - 1] = '\0';
    for (char *c = me; *c; c++) /* a host name is [A-Za-z0-9.-]; anything else shows as '-' */
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
            *c = '-';
    if (!host_ok(me, sizeof me - 1))
        snprintf(me, sizeof me, "unnamed");
    size_t at = 0;
    if (put(buf, cap, &at, "%sname=%s\nendpoint=tcp://%s:%s\npid=%ld\nhost=%s\n", MAGIC, si->name,
            host, port, si->pid, me))
        return -1;
    /* Optional fields: each goes in only if it fits whole and would pass
     * ezc_beacon_parse (one bad field would lose the whole beacon). */
    if (si->started_ns >= 0)
        put(buf, cap, &at, "id=%llu\nstarted_ns=%lld\n", (unsigned long long)si->id,
            (long long)si->started_ns);
    if (si->curve_key[0] && clean(si->curve_key))
        put(buf, cap, &at, "curve=%s\n", si->curve_key);
    ezc_error ignored;
    if (si->graph[0] && ezc_names_check(si->graph, &ignored) == 0)
        put(buf, cap, &at, "graph=%s\n", si->graph);
    if (si->dtype[0] && si->ndim >= 0 && si->ndim <= EZC_MAX_DIMS &&
        ezc_dtype_from_name(si->dtype, (size_t)-1) != EZC_DTYPE_INVALID) {
        char shape[8 * 24 + 8] = "", dims[EZC_MAX_DIMS * EZC_NAME_MAX + 8] = "";
        size_t sa = 0, da = 0;
        int ok = 1;
        for (int i = 0; i < si->ndim && ok; i++) {
            ok = !put(shape, sizeof shape, &sa, "%s%lld", i ? "," : "", (long long)si->shape[i]) &&
                 si->dims[i][0] && clean(si->dims[i]) && !strchr(si->dims[i], ',') &&
                 !put(dims, sizeof dims, &da, "%s%s", i ? "," : "", si->dims[i]);
        }
        if (ok)
            put(buf, cap, &at, "dtype=%s\nshape=%s\ndims=%s\n", si->dtype, shape, dims);
    }
    if (si->fs > 0 && si->fs <= 1e12)
        put(buf, cap, &at, "fs=%.17g\n", si->fs);
    if (si->topic[0] && clean(si->topic))
        put(buf, cap, &at, "topic=%s\n", si->topic);
    if (si->time_port > 0 && si->time_port <= 65535)
        put(buf, cap, &at, "time=%d\n", si->time_port);
    return (int)at;
}

/* Digits only, at most `max_digits`, into *out. */
static int parse_u64(const char *v, int max_digits, unsigned long long *out)
{
    size_t n = strlen(v);
    if (n == 0 || n > (size_t)max_digits || strspn(v, "0123456789") != n)
        return -1;
    errno = 0;
    *out = strtoull(v, NULL, 10);
    return errno ? -1 : 0;
}

/* tcp://HOST:PORT with HOST a host name or dotted address, PORT 1..65535;
 * nothing else, so a forged beacon cannot point a consumer at a file
 * (ipc://), a thread (inproc://) or ZeroMQ's "source;destination" form. */
static int endpoint_ok(const char *ep)
{
    char host[256];
    const char *port;
    unsigned long long p;
    return !split_tcp(ep, host, sizeof host, &port) && host_ok(host, 253) &&
           !parse_u64(port, 5, &p) && p >= 1 && p <= 65535 && port[0] != '0';
}

static int list_ok(const char *v, int (*item)(const char *, size_t, void *), void *ctx)
{
    int i = 0;
    for (const char *p = v;; i++) {
        size_t len = strcspn(p, ",");
        if (i == EZC_MAX_DIMS || item(p, len, ctx))
            return -1;
        if (!p[len])
            return i + 1;
        p += len + 1;
    }
}

struct dims_ctx {
    ezc_stream_info *si;
    int i;
};

static int shape_item(const char *p, size_t len, void *ctx)
{
    struct dims_ctx *d = ctx;
    char num[24];
    unsigned long long x;
    if (len == 0 || len >= sizeof num)
        return -1;
    memcpy(num, p, len);
    num[len] = '\0';
    if (parse_u64(num, 13, &x) || x > (1ull << 40))
        return -1;
    d->si->shape[d->i++] = (int64_t)x;
    return 0;
}

static int dim_item(const char *p, size_t len, void *ctx)
{
    struct dims_ctx *d = ctx;
    if (len == 0 || len >= EZC_NAME_MAX)
        return -1;
    memcpy(d->si->dims[d->i], p, len);
    d->si->dims[d->i++][len] = '\0';
    return 0;
}

/* Copies v (already printable) into dst of cap bytes; -1 when it does not fit. */
static int take(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);
    if (n >= cap)
        return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

static int field(ezc_stream_info *si, const char *k, const char *v, int *ndims, ezc_error *err)
{
    unsigned long long u = 0;
    int bad = 0;
    if (!strcmp(k, "name")) {
        ezc_error e;
        bad = take(si->name, sizeof si->name, v) || ezc_names_check(v, &e);
    } else if (!strcmp(k, "endpoint"))
        bad = !endpoint_ok(v) || take(si->endpoint, sizeof si->endpoint, v);
    else if (!strcmp(k, "pid")) {
        bad = parse_u64(v, 10, &u) || u == 0 || u > INT_MAX;
        si->pid = bad ? 0 : (long)u;
    } else if (!strcmp(k, "host"))
        bad = !host_ok(v, sizeof si->host - 1) || take(si->host, sizeof si->host, v);
    else if (!strcmp(k, "id")) {
        bad = parse_u64(v, 20, &u);
        si->id = u;
    } else if (!strcmp(k, "started_ns")) {
        bad = parse_u64(v, 19, &u) || u > (unsigned long long)INT64_MAX;
        si->started_ns = bad ? 0 : (int64_t)u;
    } else if (!strcmp(k, "graph")) {
        ezc_error e;
        bad = take(si->graph, sizeof si->graph, v) || ezc_names_check(v, &e);
    } else if (!strcmp(k, "topic"))
        bad = take(si->topic, sizeof si->topic, v);
    else if (!strcmp(k, "dtype"))
        bad = ezc_dtype_from_name(v, (size_t)-1) == EZC_DTYPE_INVALID ||
              take(si->dtype, sizeof si->dtype, v);
    else if (!strcmp(k, "shape")) {
        struct dims_ctx d = {si, 0};
        si->ndim = *v ? list_ok(v, shape_item, &d) : 0;
        bad = si->ndim < 0;
    } else if (!strcmp(k, "dims")) {
        struct dims_ctx d = {si, 0};
        *ndims = *v ? list_ok(v, dim_item, &d) : 0;
        bad = *ndims < 0;
    } else if (!strcmp(k, "fs")) {
        char *end;
        si->fs = strtod(v, &end);
        bad = !*v || *end || !isfinite(si->fs) || si->fs < 0 || si->fs > 1e12;
    } else if (!strcmp(k, "time")) {
        bad = parse_u64(v, 5, &u) || u == 0 || u > 65535;
        si->time_port = bad ? 0 : (int)u;
    } else if (!strcmp(k, "curve")) {
        uint8_t key[32];
        bad = strlen(v) != 40 || strspn(v, Z85) != 40 ||
              take(si->curve_key, sizeof si->curve_key, v) || !zmq_z85_decode(key, v);
    }
    if (bad)
        return ezc_error_set(err, EZC_EPROTO, "beacon: bad %s", k);
    return 0;
}

int ezc_beacon_parse(const void *buf, size_t n, ezc_stream_info *out, ezc_error *err)
{
    memset(out, 0, sizeof *out);
    out->ndim = -1;
    const size_t magic = sizeof MAGIC - 1;
    if (!buf || n > EZC_BEACON_MAX)
        return ezc_error_set(err, EZC_EPROTO, "beacon: %zu bytes (at most %d)", n, EZC_BEACON_MAX);
    if (n < magic || memcmp(buf, MAGIC, magic))
        return ezc_error_set(err, EZC_EPROTO, "beacon: not an ezc beacon");
    char text[EZC_BEACON_MAX + 1];
    memcpy(text, buf, n);
    text[n] = '\0';
    if (n == 0 || text[n - 1] != '\n')
        return ezc_error_set(err, EZC_EPROTO, "beacon: does not end with a newline");
    for (size_t i = 0; i < n; i++)
        if (text[i] != '\n' && ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e))
            return ezc_error_set(err, EZC_EPROTO, "beacon: byte 0x%02x at %zu",
                                 (unsigned char)text[i], i);
    static const char *const known[] = {"name",       "endpoint", "pid",   "host",  "id",
                                        "started_ns", "graph",    "topic", "dtype", "shape",
                                        "dims",       "fs",       "curve", "time"};
    enum { NKNOWN = sizeof known / sizeof known[0] };
    int seen[NKNOWN] = {0}, ndims = -1;
    for (char *line = text + magic, *next; *line; line = next) {
        next = strchr(line, '\n');
        *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq || eq == line)
            return ezc_error_set(err, EZC_EPROTO, "beacon: a line without key=value");
        *eq = '\0';
        int k = 0;
        while (k < NKNOWN && strcmp(known[k], line))
            k++;
        if (k == NKNOWN)
            continue; /* a later version's field */
        if (seen[k]++)
            return ezc_error_set(err, EZC_EPROTO, "beacon: %s twice", line);
        int rc = field(out, line, eq + 1, &ndims, err);
        if (rc)
            return rc;
    }
    for (int k = 0; k < 4; k++) /* name, endpoint, pid, host */
        if (!seen[k])
            return ezc_error_set(err, EZC_EPROTO, "beacon: no %s", known[k]);
    /* dtype, shape and dims come together or not at all. */
    if ((seen[8] || seen[9] || seen[10]) &&
        (!seen[8] || !seen[9] || !seen[10] || ndims != out->ndim))
        return ezc_error_set(err, EZC_EPROTO, "beacon: dtype, shape and dims do not agree");
    if (!seen[8]) {
        out->ndim = -1;
        out->dtype[0] = '\0';
    }
    return 0;
}

/* ---- announcing --------------------------------------------------------- */

struct ezc_announcer {
    ezc_discovery_config c;
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    int stop, changed;
    ezc_stream_info si;                      /* under mu */
    uint32_t local[EZC_DISCOVERY_PEERS_MAX]; /* our address toward each peer */
    ezc_clock_server *clock;                 /* answers the clock probes of other hosts */
    unsigned logged;                         /* send failures logged (ezc_log_first) */
};

/* The address this host sends from toward peer: what a wildcard host is
 * replaced by in the beacons it gets. 0 when there is no route. */
static uint32_t local_toward(uint32_t peer, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = peer;
    struct sockaddr_in me = {0};
    socklen_t len = sizeof me;
    uint32_t a = 0;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof to) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &len) == 0)
        a = me.sin_addr.s_addr;
    if (fd >= 0)
        close(fd);
    return a;
}

static void send_one(ezc_announcer *a, const ezc_stream_info *si, uint32_t to_addr, uint32_t local)
{
    char buf[EZC_BEACON_MAX + 1];
    int n = ezc_beacon_format(si, local, buf, sizeof buf);
    if (n < 0)
        return;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->c.port)};
    to.sin_addr.s_addr = to_addr;
    if (sendto(a->fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof to) < 0 &&
        ezc_log_first(&a->logged, EZC_EIO)) {
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &to_addr, addr, sizeof addr);
        ezc_log(EZC_LOG_WARN, "discovery: stream '%s': cannot send a beacon to %s:%d: %s", si->name,
                addr, a->c.port, strerror(errno));
    }
}

static void send_all(ezc_announcer *a, const ezc_stream_info *si)
{
    if (a->c.iface[0])
        send_one(a, si, a->c.iface_bcast, a->c.iface_addr);
    for (int i = 0; i < a->c.npeers; i++)
        send_one(a, si, a->c.peers[i], a->local[i]);
}

static void *announce_main(void *arg)
{
    ezc_announcer *a = arg;
    /* At once, then 0.1 s and 0.3 s later (a datagram may be lost), then
     * every interval. */
    static const int soon_ms[] = {100, 200};
    int beat = 0;
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        ezc_stream_info si = a->si;
        a->changed = 0;
        pthread_mutex_unlock(&a->mu);
        send_all(a, &si);
        struct timespec until = ezc_deadline_ms(beat < 2 ? soon_ms[beat] : a->c.interval_ms);
        beat++;
        pthread_mutex_lock(&a->mu);
        while (!a->stop && !a->changed &&
               pthread_cond_timedwait(&a->cv, &a->mu, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int ezc_announcer_new(const ezc_discovery_config *c, const ezc_stream_info *si, ezc_announcer **out,
                      ezc_error *err)
{
    *out = NULL;
    if (!c || !c->enabled)
        return ezc_error_set(err, EZC_EINVAL,
                             "discovery: not configured (EZC_DISCOVERY, "
                             "EZC_PEERS)");
    if (!si || strncmp(si->endpoint, "tcp://", 6))
        return ezc_error_set(err, EZC_EINVAL,
                             "discovery: stream '%s': only a tcp:// endpoint is announced",
                             si ? si->name : "(null)");
    ezc_announcer *a = calloc(1, sizeof *a);
    if (!a)
        return ezc_error_set(err, EZC_ENOMEM, "discovery: out of memory");
    a->c = *c;
    a->si = *si;
    /* Other hosts measure our clock against theirs through the beacon's
     * `time` port; without it they still find the stream. */
    ezc_error cerr;
    if (ezc_clock_server_new(0, &a->clock, &cerr) == 0)
        a->si.time_port = ezc_clock_server_port(a->clock);
    else
        ezc_log(EZC_LOG_WARN, "discovery: stream '%s': no clock service: %s", si->name, cerr.msg);
    for (int i = 0; i < c->npeers; i++)
        a->local[i] = local_toward(c->peers[i], c->port);
    a->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (a->fd < 0 || setsockopt(a->fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0) {
        int e = errno;
        if (a->fd >= 0)
            close(a->fd);
        ezc_clock_server_destroy(&a->clock);
        free(a);
        return ezc_error_set(err, EZC_EIO, "discovery: stream '%s': cannot make a UDP socket: %s",
                             si->name, strerror(e));
    }
    ezc_cond_init_monotonic(&a->cv);
    pthread_mutex_init(&a->mu, NULL);
    int rc = pthread_create(&a->thread, NULL, announce_main, a);
    if (rc) {
        close(a->fd);
        ezc_clock_server_destroy(&a->clock);
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        free(a);
        return ezc_error_set(err, EZC_EIO, "discovery: stream '%s': cannot start a thread: %s",
                             si->name, strerror(rc));
    }
    *out = a;
    return 0;
}

void ezc_announcer_update(ezc_announcer *a, const ezc_stream_info *si)
{
    if (!a || !si)
        return;
    ezc_stream_info next = *si;
    next.time_port = ezc_clock_server_port(a->clock);
    pthread_mutex_lock(&a->mu);
    if (memcmp(&a->si, &next, sizeof next)) {
        a->si = next;
        a->changed = 1;
        pthread_cond_signal(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
}

void ezc_announcer_destroy(ezc_announcer **ap)
{
    if (!ap || !*ap)
        return;
    ezc_announcer *a = *ap;
    *ap = NULL;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    ezc_clock_server_destroy(&a->clock);
    close(a->fd);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* ---- listening ---------------------------------------------------------- */

struct ezc_listener {
    ezc_discovery_config c;
    int fd;
    uint64_t refused;
    unsigned logged;
};

int ezc_listener_new(const ezc_discovery_config *c, ezc_listener **out, ezc_error *err)
{
    *out = NULL;
    ezc_listener *l = calloc(1, sizeof *l);
    if (!l)
        return ezc_error_set(err, EZC_ENOMEM, "discovery: out of memory");
    l->c = *c;
    l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int on = 1;
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    me.sin_addr.s_addr = htonl(INADDR_ANY);
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(l->fd, (struct sockaddr *)&me, sizeof me) != 0) {
        int e = errno;
        if (l->fd >= 0)
            close(l->fd);
        free(l);
        return ezc_error_set(err, EZC_EIO, "discovery: cannot listen on UDP port %d: %s", c->port,
                             strerror(e));
    }
    *out = l;
    return 0;
}

static int from_peer(const ezc_listener *l, uint32_t addr)
{
    if (l->c.iface[0] || !l->c.npeers)
        return 1;
    for (int i = 0; i < l->c.npeers; i++)
        if (l->c.peers[i] == addr)
            return 1;
    return 0;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int ezc_listener_recv(ezc_listener *l, int timeout_ms, ezc_stream_info *out, ezc_error *err)
{
    double until = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (ezc_interrupted())
            return ezc_error_set(err, EZC_EINTR, "discovery: stopped while listening");
        double left = until - mono_ms();
        struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
        int slice = left <= 0 ? 0 : left > SLICE_MS ? SLICE_MS : (int)left + 1;
        int pr = poll(&pfd, 1, slice);
        if (pr < 0 && errno != EINTR)
            return ezc_error_set(err, EZC_EIO, "discovery: poll: %s", strerror(errno));
        if (pr <= 0) {
            if (left <= 0)
                return ezc_error_set(err, EZC_ETIMEOUT, "discovery: nothing heard in %d ms",
                                     timeout_ms);
            continue;
        }
        char buf[EZC_BEACON_MAX + 1];
        struct sockaddr_in from = {0};
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(l->fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return ezc_error_set(err, EZC_EIO, "discovery: recvfrom: %s", strerror(errno));
        }
        ezc_error e;
        int rc = from_peer(l, from.sin_addr.s_addr)
                     ? ezc_beacon_parse(buf, (size_t)n, out, &e)
                     : ezc_error_set(&e, EZC_EPROTO, "beacon: not from a listed peer");
        if (rc == 0)
            return 0;
        l->refused++;
        if (ezc_log_first(&l->logged, EZC_EPROTO)) {
            char addr[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &from.sin_addr, addr, sizeof addr);
            ezc_log(EZC_LOG_INFO, "discovery: refused a datagram from %s: %s (more are counted)",
                    addr, e.msg);
        }
    }
}

uint64_t ezc_listener_refused(const ezc_listener *l)
{
    return l ? l->refused : 0;
}

void ezc_listener_destroy(ezc_listener **lp)
{
    if (!lp || !*lp)
        return;
    close((*lp)->fd);
    free(*lp);
    *lp = NULL;
}

static int by_name_host(const void *a, const void *b)
{
    const ezc_stream_info *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->host, y->host);
}

int ezc_discovery_list(const ezc_discovery_config *c, int wait_ms, ezc_stream_info **out, size_t *n,
                       ezc_error *err)
{
    *out = NULL;
    *n = 0;
    ezc_listener *l = NULL;
    int rc = ezc_listener_new(c, &l, err);
    if (rc || !l)
        return rc ? rc : EZC_ENOMEM;
    ezc_stream_info *v = NULL, si;
    size_t count = 0, cap = 0;
    double until = mono_ms() + wait_ms;
    while (!rc) {
        double left = until - mono_ms();
        if (left <= 0)
            break;
        ezc_error e;
        rc = ezc_listener_recv(l, (int)left + 1, &si, &e);
        if (rc == EZC_ETIMEOUT) {
            rc = 0;
            break;
        }
        if (rc) {
            if (err)
                *err = e;
            break;
        }
        size_t i = 0;
        while (i < count &&
               (strcmp(v[i].name, si.name) || strcmp(v[i].host, si.host) || v[i].pid != si.pid))
            i++;
        if (i == count) {
            if (count == cap) {
                size_t nc = cap ? cap * 2 : 16;
                ezc_stream_info *nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    rc = ezc_error_set(err, EZC_ENOMEM, "discovery: out of memory");
                    break;
                }
                v = nv;
                cap = nc;
            }
            count++;
        }
        v[i] = si;
    }
    ezc_listener_destroy(&l);
    if (rc || !count) {
        free(v);
        return rc;
    }
    qsort(v, count, sizeof *v, by_name_host);
    *out = v;
    *n = count;
    return 0;
}

int ezc_discovery_find(const ezc_discovery_config *c, const char *name, int wait_ms,
                       ezc_stream_info *out, ezc_error *err)
{
    ezc_listener *l = NULL;
    int rc = ezc_listener_new(c, &l, err);
    if (rc || !l)
        return rc ? rc : EZC_ENOMEM;
    double until = mono_ms() + wait_ms;
    for (;;) {
        double left = until - mono_ms();
        ezc_error e;
        rc = left > 0 ? ezc_listener_recv(l, (int)left + 1, out, &e) : EZC_ETIMEOUT;
        if (rc == 0 && !strcmp(out->name, name))
            break;
        if (rc == EZC_ETIMEOUT) {
            rc = ezc_error_set(err, EZC_ENOTFOUND,
                               "no stream named '%s' on this host, nor heard from another "
                               "within %d ms (`ezc ls --remote` lists them)",
                               name, wait_ms);
            break;
        }
        if (rc) {
            if (err)
                *err = e;
            break;
        }
    }
    ezc_listener_destroy(&l);
    return rc;
}
