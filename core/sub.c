/* sub.c — the subscriber: receives, checks and decodes AxisArrays.
 *
 * A message is [topic][header][data] (any transport; the data frame becomes
 * the array's buffer, no copy) or, from an inproc publisher of this process,
 * [topic][ezc_inproc_frame] (the sender's header is cloned: same buffer).
 * Anything else is counted, logged once per kind and skipped. Sequence
 * numbers are tracked per publisher id to count gaps. An end-of-stream
 * marker is a header without an array; it is reported, never counted as
 * a gap or as malformed. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "ezc/names.h"
#include "ezc/sub.h"
#include "ezc/wire.h"
#include "curve_internal.h"
#include "pubsub_internal.h"
#include "shm.h"

#define MAX_STREAMS 4096      /* tracked (publisher, topic) pairs; least recently seen goes first */
#define MAX_SHM 16            /* ipc endpoints read through shared memory (more go inline) */
#define SHM_CHECK_NS 50000000 /* how often dead publishers and new pools are looked for */

enum { BAD_FRAMES, BAD_HEADER, BAD_INPROC, BAD_SHM, BAD_KINDS };

/* Publishers number their messages per topic: a stream is (src, topic). */
typedef struct {
    uint64_t src;
    uint64_t topic; /* hash of the topic */
    uint64_t last_seq;
    int64_t last_ts; /* the publisher's send time of that message */
    int64_t start;   /* its instance's start time ("start"; 0 = not carried) */
    uint64_t seen;   /* s->tick when last seen */
    int ended;       /* its end-of-stream marker came: a new start is no gap */
} stream;

struct ezc_sub {
    void *sock;
    int shared_ctx;
    int inproc; /* some endpoint is inproc: [topic][inproc frame] is possible */
    int conflate;
    int rcvtimeo; /* ZMQ_RCVTIMEO as last set */
    ezc_sub_stats stats;
    unsigned logged; /* BAD_* kinds already logged */
    stream *streams;
    size_t nstreams, cap, hit;
    uint64_t tick;
    int eos_pending; /* conflating: an end of stream found behind the message returned */
    char eos_topic[EZC_TOPIC_MAX]; /* its topic */
    char endpoint[256];            /* the first one, for messages */
    ezc_curve_client *curve;       /* keys for tcp:// publishers; NULL = plaintext */
    /* Shared memory: ipc endpoints whose publisher's pool we read (no socket
     * connection to them), and ipc endpoints connected inline that may get a
     * pool later (a publisher that starts after us). */
    int inline_only;
    uint32_t shm_flags; /* EZC_SHM_READER_*: lossy */
    char topic[EZC_TOPIC_MAX];
    struct {
        ezc_shm_sub *sub;
        char endpoint[512];
    } shm[MAX_SHM];
    int nshm;
    struct {
        char endpoint[512];
        char pool[EZC_SHM_NAME]; /* the pool last seen there (not taken: it had begun) */
    } cand[MAX_SHM];
    int ncand;
    unsigned shm_next;        /* round robin */
    int64_t shm_check;        /* CLOCK_MONOTONIC ns of the next look */
    ezc_clock_tracker *clock; /* the publisher host's clock, when it is another host's */
    int clock_map;            /* stamps delivered on this host's clock */
};

void ezc_sub_options_init(ezc_sub_options *o)
{
    memset(o, 0, sizeof *o);
    o->hwm = 1000;
}

static int transport_ok(const char *endpoint, int *inproc)
{
    *inproc = strncmp(endpoint, "inproc://", 9) == 0;
    return *inproc || strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "tcp://", 6) == 0;
}

/* An ipc endpoint whose ezc publisher is not up yet gets its pool when it
 * comes (shm_housekeeping looks every 50 ms while we receive); ZeroMQ's
 * reconnect to it is made slower than that (150 ms instead of 100, plus
 * ZeroMQ's jitter of up to one interval, within the publisher's 500 ms
 * first-message wait) so
 * that the move usually happens before a socket subscription: the
 * publisher then counts the subscriber once, in its pool. A subscriber
 * that is not receiving still connects in the background, as always. */
static int connect_socket(ezc_sub *s, const char *endpoint, int candidate)
{
    int slow = 150, normal = 100; /* ZeroMQ adds up to one interval of jitter */
    if (candidate)
        zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL, &slow, sizeof slow);
    int rc = zmq_connect(s->sock, endpoint);
    if (candidate)
        zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL, &normal, sizeof normal);
    return rc;
}

int ezc_sub_connect(ezc_sub *s, const char *endpoint, ezc_error *err)
{
    int inproc;
    if (!s)
        return ezc_error_set(err, EZC_EINVAL, "sub: connect needs a subscriber");
    if (!endpoint || !transport_ok(endpoint, &inproc))
        return ezc_error_set(err, EZC_EINVAL,
                             "sub: endpoint '%s' must start with tcp://, ipc:// or inproc://",
                             endpoint ? endpoint : "(null)");
    /* ZeroMQ takes a connection's mechanism from the options at connect
     * time: CURVE for tcp://, plaintext for the transports that stay local. */
    if (s->curve &&
        ezc_curve_client_apply(s->sock, strncmp(endpoint, "tcp://", 6) == 0 ? s->curve : NULL, err))
        return ezc_error_prefix(err, "sub %s", endpoint);
    int shm_ok = !s->inline_only && strncmp(endpoint, "ipc://", 6) == 0 && endpoint[6] != '@' &&
                 !strchr(endpoint, '*') && strlen(endpoint) < sizeof s->shm[0].endpoint &&
                 ezc_shm_enabled() && s->nshm < MAX_SHM && s->ncand < MAX_SHM;
    if (shm_ok) {
        ezc_shm_sub *sh;
        int rc = ezc_shm_sub_attach(endpoint + 6, s->topic, s->shm_flags, &sh, err);
        if (rc)
            return ezc_error_prefix(err, "sub %s", endpoint);
        if (sh) { /* its publisher is up: read its pool, no socket needed */
            s->shm[s->nshm].sub = sh;
            strcpy(s->shm[s->nshm++].endpoint, endpoint);
            return 0;
        }
    }
    if (connect_socket(s, endpoint, shm_ok) != 0)
        return ezc_error_set(err, EZC_EIO, "sub: cannot connect to '%s': %s", endpoint,
                             zmq_strerror(zmq_errno()));
    s->inproc |= inproc;
    if (shm_ok) {
        strcpy(s->cand[s->ncand].endpoint, endpoint);
        s->cand[s->ncand].pool[0] = '\0';
        s->ncand++;
    }
    return 0;
}

ezc_sub *ezc_sub_new(const char *endpoint, const char *topic, const ezc_sub_options *opt,
                     ezc_error *err)
{
    ezc_sub_options defaults;
    if (!opt) {
        ezc_sub_options_init(&defaults);
        opt = &defaults;
    }
    if (opt->hwm < 0) {
        ezc_error_set(err, EZC_EINVAL, "sub %s: hwm %d must be >= 0",
                      endpoint ? endpoint : "(null)", opt->hwm);
        return NULL;
    }
    ezc_sub *s = calloc(1, sizeof *s);
    if (!s) {
        ezc_error_set(err, EZC_ENOMEM, "sub: out of memory");
        return NULL;
    }
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint ? endpoint : "(null)");
    s->conflate = opt->conflate;
    s->inline_only = opt->inline_only || (topic && strlen(topic) >= sizeof s->topic);
    s->shm_flags = (ezc_shm_forward_enabled() ? EZC_SHM_READER_FWD : 0) |
                   (opt->lossy ? EZC_SHM_READER_LOSSY : 0);
    snprintf(s->topic, sizeof s->topic, "%s", topic ? topic : "");
    s->shared_ctx = opt->zmq_context == NULL;
    s->sock = ezc_zmq_socket_open(opt->zmq_context, ZMQ_SUB);
    if (!s->sock) {
        ezc_error_set(err, EZC_EIO, "sub %s: cannot create a socket: %s", s->endpoint,
                      zmq_strerror(zmq_errno()));
        free(s);
        return NULL;
    }
    int linger = 0;
    s->rcvtimeo = -1;
    const char *t = topic ? topic : "";
    if (zmq_setsockopt(s->sock, ZMQ_RCVHWM, &opt->hwm, sizeof opt->hwm) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, t, strlen(t)) != 0) {
        ezc_error_set(err, EZC_EIO, "sub %s: cannot set socket options: %s", s->endpoint,
                      zmq_strerror(zmq_errno()));
        ezc_sub_destroy(&s);
        return NULL;
    }
    if (opt->curve_client_key || opt->curve_server_pub) {
        s->curve = malloc(sizeof *s->curve);
        int rc = s->curve ? ezc_curve_client_load(opt->curve_client_key, opt->curve_server_pub,
                                                  s->curve, err)
                          : ezc_error_set(err, EZC_ENOMEM, "out of memory");
        if (rc) {
            ezc_error_prefix(err, "sub %s", s->endpoint);
            ezc_sub_destroy(&s);
            return NULL;
        }
    }
    if (ezc_sub_connect(s, endpoint, err))
        ezc_sub_destroy(&s);
    return s;
}

void ezc_sub_destroy(ezc_sub **sp)
{
    if (!sp || !*sp)
        return;
    ezc_sub *s = *sp;
    *sp = NULL;
    ezc_zmq_socket_close(s->sock, s->shared_ctx);
    ezc_clock_tracker_destroy(&s->clock);
    for (int i = 0; i < s->nshm; i++)
        ezc_shm_sub_detach(&s->shm[i].sub);
    if (s->curve) /* the secret key does not outlive its use */
        memset(s->curve, 0, sizeof *s->curve);
    free(s->curve);
    free(s->streams);
    free(s);
}

int ezc_sub_clock_track(ezc_sub *s, const ezc_stream_info *si, int map, ezc_error *err)
{
    char host[256];
    if (!s || !si || !si->host[0] || si->time_port <= 0 ||
        !ezc_clock_endpoint_host(si->endpoint, host, sizeof host))
        return 0; /* this host's stream, or nothing to measure with */
    ezc_clock_tracker *t;
    int rc = ezc_clock_tracker_new(host, si->time_port, 0, &t, err);
    if (rc)
        return rc;
    ezc_clock_tracker_destroy(&s->clock);
    s->clock = t;
    s->clock_map = map;
    return 0;
}

int ezc_sub_clock(ezc_sub *s, ezc_clock_estimate *out, char *host, size_t cap)
{
    if (host && cap)
        snprintf(host, cap, "%s", s && s->clock ? ezc_clock_tracker_host(s->clock) : "");
    if (!s || !s->clock) {
        memset(out, 0, sizeof *out);
        return EZC_ENOTFOUND;
    }
    return ezc_clock_tracker_get(s->clock, out);
}

uint64_t ezc_sub_skip_queued(ezc_sub *s, uint64_t keep)
{
    uint64_t n = 0;
    for (int i = 0; s && i < s->nshm; i++)
        n += ezc_shm_sub_skip(s->shm[i].sub, keep);
    return n;
}

uint64_t ezc_sub_gaps(const ezc_sub *s)
{
    return s ? s->stats.gaps : 0;
}

void ezc_sub_stats_get(const ezc_sub *s, ezc_sub_stats *st)
{
    if (s)
        *st = s->stats;
    else
        memset(st, 0, sizeof *st);
}

static void malformed(ezc_sub *s, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void malformed(ezc_sub *s, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->stats.last_error, sizeof s->stats.last_error, fmt, ap);
    va_end(ap);
    s->stats.malformed++;
    if (ezc_log_first(&s->logged, kind))
        ezc_log(EZC_LOG_WARN, "%s (skipped; later ones of this kind are only counted)",
                s->stats.last_error);
}

static uint64_t hash_bytes(const void *data, size_t n)
{
    const unsigned char *b = data;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* A restart is a new instance under the same id: its "start" changed, or
 * (publishers that do not carry it) its numbering went back. One that went
 * on numbering shows its loss exactly; one that started over, not. */
static void track(ezc_sub *s, const ezc_array *a, uint64_t topic, int64_t start)
{
    s->tick++;
    stream *st = NULL;
    int known_src = 0;
    if (s->hit < s->nstreams && s->streams[s->hit].src == a->src &&
        s->streams[s->hit].topic == topic) {
        st = &s->streams[s->hit];
    } else {
        for (size_t i = 0; i < s->nstreams && !st; i++) {
            known_src |= s->streams[i].src == a->src;
            if (s->streams[i].src == a->src && s->streams[i].topic == topic)
                st = &s->streams[i];
        }
    }
    if (st && st->ended) { /* the stream starts again after its end: no gap */
        st->ended = 0;
    } else if (st) {
        /* How long the publisher was silent, by its own clock (its ts stamps). */
        int64_t silence;
        if (__builtin_sub_overflow(a->ts_ns, st->last_ts, &silence) || silence < 0)
            silence = 0;
        int new_instance = start && st->start && start != st->start;
        if (a->seq > st->last_seq && !new_instance) {
            uint64_t missing = a->seq - st->last_seq - 1;
            s->stats.gaps += missing;
            if (missing)
                s->stats.gap_silence_ns = silence;
        } else {
            s->stats.restarts++;
            s->stats.restart_silence_ns = silence;
            if (a->seq > st->last_seq) { /* went on numbering: exact */
                uint64_t missing = a->seq - st->last_seq - 1;
                s->stats.gaps += missing;
                s->stats.restart_lost = missing > INT64_MAX ? INT64_MAX : (int64_t)missing;
            } else { /* started over: what it lost is unknown; counted as one */
                s->stats.gaps++;
                s->stats.restart_lost = -1;
            }
        }
    }
    if (st) {
        if (start)
            st->start = start;
        st->last_seq = a->seq;
        st->last_ts = a->ts_ns;
        st->seen = s->tick;
        s->hit = (size_t)(st - s->streams);
        return;
    }
    if (!known_src)
        s->stats.publishers++;
    if (s->nstreams == s->cap && s->cap < MAX_STREAMS) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        stream *grown = realloc(s->streams, cap * sizeof *grown);
        if (grown) {
            s->streams = grown;
            s->cap = cap;
        }
    }
    size_t slot = s->nstreams;
    if (s->nstreams < s->cap) {
        s->nstreams++;
    } else if (s->nstreams) {
        slot = 0;
        for (size_t i = 1; i < s->nstreams; i++)
            if (s->streams[i].seen < s->streams[slot].seen)
                slot = i;
    } else {
        return; /* no table at all (out of memory): count, do not track */
    }
    s->streams[slot] = (stream){a->src, topic, a->seq, a->ts_ns, start, s->tick, 0};
    s->hit = slot;
}

/* An end-of-stream marker: its seq is the count sent before it, so what is
 * missing between the last message received and it is a gap; the marker
 * itself is none. */
static void track_eos(ezc_sub *s, const ezc_wire_stamp *eos, uint64_t topic)
{
    for (size_t i = 0; i < s->nstreams; i++) {
        stream *st = &s->streams[i];
        if (st->src != eos->src || st->topic != topic)
            continue;
        if (!st->ended && eos->seq > st->last_seq + 1)
            s->stats.gaps += eos->seq - st->last_seq - 1;
        st->ended = 1;
        if (eos->start_ns)
            st->start = eos->start_ns;
        return;
    }
}

static int decode_inproc(ezc_sub *s, zmq_msg_t *frame, ezc_array **out, ezc_error *err)
{
    size_t size = zmq_msg_size(frame);
    const void *data = zmq_msg_data(frame);
    if (size != sizeof(ezc_inproc_frame)) {
        malformed(s, BAD_INPROC, "sub %s: inproc frame of %zu bytes (expected %zu)", s->endpoint,
                  size, sizeof(ezc_inproc_frame));
        return 1;
    }
    ezc_inproc_frame f;
    memcpy(&f, data, sizeof f);
    if (f.self != data || f.tag != ezc_inproc_tag(data) || !f.arr) {
        malformed(s, BAD_INPROC,
                  "sub %s: inproc frame was not made by an ezc publisher of this process",
                  s->endpoint);
        return 1;
    }
    if (!zmq_msg_get(frame, ZMQ_SHARED)) {
        /* The only copy of the message (one subscriber): take the header
         * over instead of cloning it; the frame's free hook then has none. */
        *out = f.arr;
        ((ezc_inproc_frame *)zmq_msg_data(frame))->arr = NULL;
        return 0;
    }
    if (!(*out = ezc_array_clone(f.arr, err)))
        return ezc_error_prefix(err, "sub %s", s->endpoint);
    return 0;
}

static void close_held(void *data, void *ctx)
{
    (void)data;
    zmq_msg_close(ctx);
    free(ctx);
}

/* The array's data becomes unaligned for its dtype only when ZeroMQ packed
 * a small frame inside a larger receive buffer; such frames are cheap to copy. */
static int align_data(ezc_array *a, ezc_error *err)
{
    size_t item = ezc_dtype_size(a->dtype);
    size_t nbytes = ezc_array_nbytes(a);
    if (!nbytes || (uintptr_t)ezc_array_data(a) % item == 0)
        return 0;
    ezc_buffer *b = ezc_buffer_new_host(nbytes, err);
    if (!b)
        return EZC_ENOMEM;
    memcpy(b->data, ezc_array_data(a), nbytes);
    ezc_array_set_buffer(a, b, 0, NULL);
    ezc_buffer_unref(&b);
    return 0;
}

static int decode_wire(ezc_sub *s, zmq_msg_t *head, zmq_msg_t *data, ezc_array **out,
                       ezc_wire_stamp *stamp, ezc_error *err)
{
    ezc_buffer *buf = NULL;
    if (zmq_msg_size(data) > 0) {
        zmq_msg_t *held = malloc(sizeof *held);
        if (!held || zmq_msg_init(held) != 0) {
            free(held);
            return ezc_error_set(err, EZC_ENOMEM, "sub %s: out of memory", s->endpoint);
        }
        zmq_msg_move(held, data);
        buf = ezc_buffer_wrap(zmq_msg_data(held), zmq_msg_size(held), ezc_device_cpu(), close_held,
                              held, err);
        if (!buf) {
            close_held(NULL, held);
            return ezc_error_prefix(err, "sub %s", s->endpoint);
        }
    }
    ezc_error derr = {0, ""};
    int rc = ezc_wire_decode_stamp(zmq_msg_data(head), zmq_msg_size(head), buf, NULL, NULL, out,
                                   stamp, &derr);
    ezc_buffer_unref(&buf);
    if (rc == EZC_EEOS)
        return 2;
    if (rc == EZC_ENOMEM) {
        *err = derr;
        return rc;
    }
    if (rc) {
        malformed(s, BAD_HEADER, "sub %s: %s", s->endpoint, derr.msg);
        return 1;
    }
    if (align_data(*out, err)) {
        ezc_array_destroy(out);
        return ezc_error_prefix(err, "sub %s", s->endpoint);
    }
    return 0;
}

static void copy_topic(zmq_msg_t *topic, char *out, size_t cap)
{
    if (!out || !cap)
        return;
    size_t n = zmq_msg_size(topic);
    if (n > cap - 1)
        n = cap - 1;
    memcpy(out, zmq_msg_data(topic), n);
    out[n] = '\0';
}

/* A publisher whose pool we read: what it also sends through the socket
 * (we were connected inline before the pool was taken) is a copy. */
static int from_shm_publisher(const ezc_sub *s, uint64_t src)
{
    for (int i = 0; i < s->nshm; i++)
        if (ezc_shm_sub_pub_id(s->shm[i].sub) == src)
            return 1;
    return 0;
}

/* One message off the socket, waiting up to wait_ms for it (a blocking
 * receive with ZMQ_RCVTIMEO: the quickest wake-up ZeroMQ offers): 0 with
 * *out set, 1 when nothing came, a signal cut the wait, or it was malformed
 * (*skipped tells), 2 for an end-of-stream marker (topic_out set), or an
 * error. */
static int recv_one(ezc_sub *s, ezc_array **out, char *topic_out, size_t cap, int wait_ms,
                    int *skipped, ezc_error *err)
{
    zmq_msg_t parts[4]; /* topic, header, data; [3] takes frames beyond */
    int n = 0, total = 0, more = 1, rc = 0;
    ezc_wire_stamp stamp = {0, 0, 0, 0}; /* inproc: none (same process, no restart) */
    *skipped = 0;
    if (wait_ms != 0 && wait_ms != s->rcvtimeo) {
        if (zmq_setsockopt(s->sock, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms) != 0)
            return ezc_error_set(err, EZC_EIO, "sub %s: cannot set ZMQ_RCVTIMEO: %s", s->endpoint,
                                 zmq_strerror(zmq_errno()));
        s->rcvtimeo = wait_ms;
    }
    while (more) {
        zmq_msg_t *m = &parts[n < 3 ? n : 3];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, s->sock, total == 0 && wait_ms == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = zmq_errno();
            zmq_msg_close(m);
            if (e == EINTR && total > 0)
                continue; /* the rest of a message is already here */
            if (total == 0 && (e == EAGAIN || e == EINTR))
                return 1;
            rc = ezc_error_set(err, EZC_EIO, "sub %s: receive failed: %s", s->endpoint,
                               zmq_strerror(e));
            goto done;
        }
        more = zmq_msg_more(m);
        total++;
        if (n == 3)
            zmq_msg_close(m);
        else
            n++;
    }
    if (total == 3) {
        rc = decode_wire(s, &parts[1], &parts[2], out, &stamp, err);
    } else if (total == 2 && s->inproc) {
        rc = decode_inproc(s, &parts[1], out, err);
    } else {
        malformed(s, BAD_FRAMES, "sub %s: message of %d frame%s (expected %s)", s->endpoint, total,
                  total == 1 ? "" : "s",
                  s->inproc ? "3: topic, header, data; or 2 from an inproc publisher"
                            : "3: topic, header, data");
        rc = 1;
    }
    if (rc == 0 && !*out) {
        ezc_error_set(err, EZC_EIO, "sub %s: the decoder returned no array", s->endpoint);
        rc = EZC_EIO;
    }
    if (rc == 1)
        *skipped = 1;
    if (rc == 2) {
        ezc_wire_stamp eos = stamp;
        if (from_shm_publisher(s, eos.src)) {
            s->stats.duplicates++;
            *skipped = 1;
            rc = 1;
            goto done;
        }
        track_eos(s, &eos, hash_bytes(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0])));
        copy_topic(&parts[0], topic_out, cap);
    }
    if (rc == 0 && from_shm_publisher(s, (*out)->src)) {
        ezc_array_destroy(out); /* its copy came through shared memory */
        s->stats.duplicates++;
        *skipped = 1;
        rc = 1;
    }
    if (rc == 0) {
        track(s, *out, hash_bytes(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0])),
              stamp.start_ns);
        copy_topic(&parts[0], topic_out, cap);
    }
done:
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return rc;
}

/* ---- shared memory ---- */

/* One queued message from some pool, round robin: the codes of recv_one. */
static int shm_take(ezc_sub *s, ezc_array **out, char *topic_out, size_t cap, int *skipped,
                    ezc_error *err)
{
    char topic[EZC_SHM_HEAD];
    for (int n = 0; n < s->nshm; n++) {
        int i = (int)((s->shm_next + (unsigned)n) % (unsigned)s->nshm);
        ezc_wire_stamp stamp;
        ezc_error terr = {0, ""};
        int fwd = 0;
        int rc = ezc_shm_sub_take(s->shm[i].sub, out, topic, sizeof topic, &stamp, &fwd, &terr);
        if (rc == 1)
            continue;
        s->shm_next = (unsigned)i + 1;
        uint64_t th = hash_bytes(topic, strlen(topic));
        if (rc == 0) {
            track(s, *out, th, stamp.start_ns);
            s->stats.shm_received++;
            s->stats.shm_forwarded += (uint64_t)fwd;
        } else if (rc == 2) {
            track_eos(s, &stamp, th);
        } else if (rc == 3) {
            malformed(s, BAD_SHM, "sub %s: %s", s->shm[i].endpoint, terr.msg);
            *skipped = 1;
            return 1;
        } else {
            *err = terr;
            return rc;
        }
        if (topic_out && cap)
            snprintf(topic_out, cap, "%s", topic);
        return rc;
    }
    return 1;
}

/* Every SHM_CHECK_NS: a pool whose publisher died and whose queue is empty
 * is left (the endpoint goes back to the socket, for whoever binds it
 * next); an endpoint read through the socket whose publisher now has a
 * pool that has sent nothing yet moves to it (every message it will send
 * is queued for us; copies still coming through the socket are dropped). */
static void shm_housekeeping(ezc_sub *s)
{
    int64_t now = ezc_clock_ns(CLOCK_MONOTONIC);
    if (now < s->shm_check)
        return;
    s->shm_check = now + SHM_CHECK_NS;
    for (int i = 0; i < s->nshm; i++) {
        ezc_shm_sub *sh = s->shm[i].sub;
        if (!ezc_shm_sub_dead(sh) || ezc_shm_sub_arm(sh))
            continue;
        ezc_shm_sub_disarm(sh);
        char endpoint[sizeof s->shm[i].endpoint];
        strcpy(endpoint, s->shm[i].endpoint);
        ezc_shm_sub_detach(&s->shm[i].sub);
        s->shm[i] = s->shm[--s->nshm];
        i--;
        if (connect_socket(s, endpoint, 1) == 0 && s->ncand < MAX_SHM) {
            /* Through the socket, ZeroMQ reconnecting in the background as
             * for any endpoint, until the next publisher there has a pool. */
            strcpy(s->cand[s->ncand].endpoint, endpoint);
            s->cand[s->ncand].pool[0] = '\0';
            s->ncand++;
        }
    }
    for (int i = 0; i < s->ncand; i++) {
        char pool[EZC_SHM_NAME];
        const char *path = s->cand[i].endpoint + 6;
        if (ezc_shm_pool_name(path, pool, sizeof pool) || strcmp(pool, s->cand[i].pool) == 0 ||
            s->nshm == MAX_SHM) {
            continue;
        }
        strcpy(s->cand[i].pool, pool);
        ezc_shm_sub *sh = NULL;
        if (ezc_shm_sub_attach(path, s->topic, s->shm_flags, &sh, NULL) || !sh)
            continue;
        if (!ezc_shm_sub_fresh(sh)) {
            /* It began sending to us through the socket: stay there. */
            ezc_shm_sub_detach(&sh);
            continue;
        }
        zmq_disconnect(s->sock, s->cand[i].endpoint);
        s->shm[s->nshm].sub = sh;
        strcpy(s->shm[s->nshm++].endpoint, s->cand[i].endpoint);
        s->cand[i] = s->cand[--s->ncand];
        i--;
    }
}

/* recv_one over the socket and the pools: waits on the socket and every
 * doorbell together. */
static int recv_any(ezc_sub *s, ezc_array **out, char *topic_out, size_t cap, int wait_ms,
                    int *skipped, ezc_error *err)
{
    if (!s->nshm && !s->ncand)
        return recv_one(s, out, topic_out, cap, wait_ms, skipped, err);
    shm_housekeeping(s);
    *skipped = 0;
    int rc = shm_take(s, out, topic_out, cap, skipped, err);
    if (rc != 1 || *skipped)
        return rc;
    int slice = wait_ms < 0 || wait_ms > SHM_CHECK_NS / 1000000 ? SHM_CHECK_NS / 1000000 : wait_ms;
    if (!s->nshm) /* candidates only: wait on the socket, in slices */
        return recv_one(s, out, topic_out, cap, slice, skipped, err);
    rc = recv_one(s, out, topic_out, cap, 0, skipped, err);
    if (rc != 1 || *skipped || wait_ms == 0)
        return rc;
    /* One poll() on ZeroMQ's own descriptor and the doorbells, not
     * zmq_poll: the non-blocking receive just above took in the socket's
     * pending commands, so its descriptor (edge-triggered, ZMQ_FD) signals
     * whatever comes next. That spares zmq_poll's second pass and its
     * event queries: 2-3 µs of every wake-up (bench_doorbell). */
    struct pollfd fds[1 + MAX_SHM];
    int n = 0, ready = 0, zfd = -1;
    size_t zlen = sizeof zfd;
    if (zmq_getsockopt(s->sock, ZMQ_FD, &zfd, &zlen) == 0)
        fds[n++] = (struct pollfd){zfd, POLLIN, 0};
    for (int i = 0; i < s->nshm; i++) {
        ready |= ezc_shm_sub_arm(s->shm[i].sub);
        fds[n++] = (struct pollfd){ezc_shm_sub_fd(s->shm[i].sub), POLLIN, 0};
    }
    if (!ready)
        poll(fds, (nfds_t)n, slice);
    for (int i = 0; i < s->nshm; i++)
        ezc_shm_sub_disarm(s->shm[i].sub);
    rc = shm_take(s, out, topic_out, cap, skipped, err);
    if (rc != 1 || *skipped)
        return rc;
    return recv_one(s, out, topic_out, cap, 0, skipped, err);
}

const char *ezc_sub_path(const ezc_sub *s)
{
    if (!s || !s->nshm)
        return "inline";
    return s->nshm == 1 && !s->ncand && s->stats.received == s->stats.shm_received ? "shm"
                                                                                   : "shm+inline";
}

static int end_of_stream(ezc_sub *s, ezc_error *err)
{
    s->stats.ends++;
    return ezc_error_set(err, EZC_EEOS, "sub %s: end of stream", s->endpoint);
}

int ezc_sub_recv(ezc_sub *s, ezc_array **out, int timeout_ms, ezc_error *err)
{
    return ezc_sub_recv_topic(s, out, NULL, 0, timeout_ms, err);
}

int ezc_sub_recv_topic(ezc_sub *s, ezc_array **out, char *topic_out, size_t topic_cap,
                       int timeout_ms, ezc_error *err)
{
    if (!s || !out)
        return ezc_error_set(err, EZC_EINVAL, "sub: recv needs a subscriber and an output");
    *out = NULL;
    if (s->eos_pending) {
        s->eos_pending = 0;
        if (topic_out && topic_cap)
            snprintf(topic_out, topic_cap, "%s", s->eos_topic);
        return end_of_stream(s, err);
    }
    int64_t deadline = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
    /* Waits go in slices so that a stop request (ezc_interrupt) ends them
     * even when the signal went to another thread. */
    int wait = timeout_ms < 0 || timeout_ms > EZC_STOP_CHECK_MS ? EZC_STOP_CHECK_MS : timeout_ms;
    for (;;) {
        int skipped;
        int rc = recv_any(s, out, topic_out, topic_cap, wait, &skipped, err);
        if (rc < 0)
            return rc;
        if (rc == 2)
            return end_of_stream(s, err);
        if (rc == 0) {
            /* Conflating: newer messages already queued replace this one;
             * an end of stream behind it is kept for the next call. */
            while (s->conflate) {
                ezc_array *newer = NULL;
                char t[sizeof s->eos_topic];
                int r = recv_any(s, &newer, t, sizeof t, 0, &skipped, err);
                if (r == 0) {
                    ezc_array_destroy(out);
                    *out = newer;
                    if (topic_out && topic_cap)
                        snprintf(topic_out, topic_cap, "%s", t);
                } else if (r == 2) {
                    s->eos_pending = 1;
                    memcpy(s->eos_topic, t, sizeof t);
                    break;
                } else if (r != 1 || !skipped) {
                    break;
                }
            }
            s->stats.received++;
            int64_t off;
            if (s->clock_map && (*out)->ts_ns && ezc_clock_tracker_offset(s->clock, &off) == 0)
                (*out)->ts_ns -= off;
            return 0;
        }
        /* Nothing, a signal, or a malformed message: wait for what is left. */
        if (timeout_ms == 0 && skipped)
            continue;
        int64_t left = deadline - ezc_clock_ns(CLOCK_MONOTONIC);
        if (timeout_ms == 0 || (timeout_ms > 0 && left <= 0))
            return ezc_error_set(err, EZC_ETIMEOUT, "sub %s: no valid message within %d ms%s",
                                 s->endpoint, timeout_ms,
                                 s->stats.malformed ? " (malformed ones were skipped)" : "");
        if (ezc_interrupted())
            return ezc_error_set(err, EZC_EINTR, "sub %s: receive abandoned: a stop was requested",
                                 s->endpoint);
        wait = EZC_STOP_CHECK_MS;
        if (timeout_ms > 0 && left < (int64_t)wait * 1000000)
            wait = (int)((left + 999999) / 1000000);
    }
}
