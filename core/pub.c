/* pub.c — the publisher: stamps src/seq/ts and sends each AxisArray.
 *
 * An XPUB socket rather than PUB: ZMQ_XPUB_NODROP gives back-pressure, and
 * the subscription messages XPUB hands up let ezc_pub_wait_subscribers count
 * peers. ipc/tcp send [topic][header][data] with the data frame pointing at
 * the array's buffer (a buffer reference lives until ZeroMQ lets go of it);
 * inproc sends [topic][ezc_inproc_frame] carrying a header clone by reference.
 * CUDA data over ipc:// goes as a CUDA IPC handle in the header (the CUDA
 * module exports it and holds the buffer under a lease) and an empty data
 * frame; over tcp:// it is refused (move it to the cpu first). An ipc://
 * path is bound only under a claim (ipc_endpoint.h), so a live endpoint is
 * never taken over; the first send waits briefly for a first subscriber.
 * A stall limit turns a subscriber that stopped reading into a lossy one
 * rather than a halt for all (pub.h, "Stalls"); tcp:// may be CURVE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>
#include "ezc/clock.h"
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "ezc/names.h"
#include "ezc/pub.h"
#include "ezc/wire.h"
#include "cuda/ipc.h"
#include "curve_internal.h"
#include "ipc_endpoint.h"
#include "pubsub_internal.h"
#include "shm.h"

#define DRAIN_EVERY 16 /* sends between reads of pending subscription messages */
#define MAX_TOPICS 256 /* numbered topics; beyond, the oldest restarts at first_seq */

/* Numbers run per topic so that a subscriber filtering on a prefix sees an
 * unbroken sequence for each topic it gets, and gaps mean loss. */
typedef struct {
    char *name;
    uint64_t next_seq;
    uint64_t used; /* send count when last used */
} topic_seq;

struct ezc_pub {
    void *sock;
    int shared_ctx;
    int inproc;
    int ipc; /* ipc://: same host, CUDA data may go as an IPC handle */
    int send_timeout_ms;
    int lossy;
    ezc_wire_encoder *enc; /* NULL on inproc until an end of stream needs one */
    uint64_t id;
    int64_t start_ns;   /* when this instance began: "start" in every header (restarts) */
    uint64_t first_seq; /* where a topic's numbering starts */
    uint64_t sent;
    uint64_t subscriptions;
    topic_seq *topics;
    size_t ntopics, cap, last;
    unsigned since_drain;
    char endpoint[512];
    ezc_ipc_file ipc_file;    /* the socket file bound, removed at destroy */
    ezc_ipc_claim *claim;     /* the lock on an ipc:// path, released after ipc_file */
    int64_t first_wait_until; /* CLOCK_MONOTONIC ns; 0 once the first send is past */
    int stall_timeout_ms;     /* 0 = off */
    int stall_option_ms;      /* the options' stall limit, in force again when not lossy */
    int64_t shed_until;       /* CLOCK_MONOTONIC ns: full queues overflow at once until then */
    int64_t blocked_since;    /* when the sends began to find a full queue; 0 = not blocked */
    int64_t blocked_last;     /* when a send last gave up (timeout) while blocked */
    int nodrop_off;           /* this message goes past full queues: restore NODROP after */
    uint64_t stalls, overflows;
    ezc_curve_server *curve; /* tcp:// CURVE server: its keys and ZAP domain */
    ezc_shm_pool *shm;       /* ipc://PATH: same-host subscribers read shared memory */
    ezc_names_reg *names;    /* its name's registration (options.name); NULL = unnamed */
    int described;           /* the entry has the first message's dtype and shape */
    int shm_logged;
    int linger_ms;
};

void ezc_pub_options_init(ezc_pub_options *o)
{
    memset(o, 0, sizeof *o);
    o->hwm = 1000;
    o->send_timeout_ms = -1;
    o->lossy = 0;
    o->linger_ms = 1000;
    o->first_wait_ms = 500;
    o->zmq_context = NULL;
}

static int set_int(ezc_pub *p, int option, int value, const char *name, ezc_error *err)
{
    if (zmq_setsockopt(p->sock, option, &value, sizeof value) == 0)
        return 0;
    return ezc_error_set(err, EZC_EIO, "pub %s: cannot set %s = %d: %s", p->endpoint, name, value,
                         zmq_strerror(zmq_errno()));
}

static int transport_of(const char *endpoint, int *inproc)
{
    *inproc = strncmp(endpoint, "inproc://", 9) == 0;
    return *inproc || strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "tcp://", 6) == 0;
}

ezc_pub *ezc_pub_new(const char *endpoint, const ezc_pub_options *opt, ezc_error *err)
{
    ezc_pub_options defaults;
    if (!opt) {
        ezc_pub_options_init(&defaults);
        opt = &defaults;
    }
    /* A named stream needs no endpoint: it gets its own in the run folder. */
    char named_ep[512];
    if (opt->name && ezc_names_check(opt->name, err))
        return NULL;
    if (opt->name && (!endpoint || !*endpoint)) {
        if (ezc_names_private_endpoint(opt->name, named_ep, sizeof named_ep, err)) {
            ezc_error_prefix(err, "pub");
            return NULL;
        }
        endpoint = named_ep;
    }
    int inproc;
    if (!endpoint || !transport_of(endpoint, &inproc)) {
        ezc_error_set(err, EZC_EINVAL,
                      "pub: endpoint '%s' must start with tcp://, ipc:// or inproc://",
                      endpoint ? endpoint : "(null)");
        return NULL;
    }
    if (strlen(endpoint) >= sizeof(((ezc_pub *)0)->endpoint)) {
        ezc_error_set(err, EZC_EINVAL, "pub: endpoint '%.64s...' is too long", endpoint);
        return NULL;
    }
    if (opt->hwm < 0 || opt->send_timeout_ms < -1 || opt->linger_ms < -1 ||
        opt->first_wait_ms < 0 || opt->stall_timeout_ms < 0) {
        ezc_error_set(err, EZC_EINVAL,
                      "pub %s: options out of range (hwm %d >= 0, send_timeout_ms %d >= -1, "
                      "linger_ms %d >= -1, first_wait_ms %d >= 0, stall_timeout_ms %d >= 0)",
                      endpoint, opt->hwm, opt->send_timeout_ms, opt->linger_ms, opt->first_wait_ms,
                      opt->stall_timeout_ms);
        return NULL;
    }
    ezc_pub *p = calloc(1, sizeof *p);
    if (!p) {
        ezc_error_set(err, EZC_ENOMEM, "pub %s: out of memory", endpoint);
        return NULL;
    }
    strcpy(p->endpoint, endpoint);
    p->inproc = inproc;
    p->ipc = strncmp(endpoint, "ipc://", 6) == 0;
    p->send_timeout_ms = opt->send_timeout_ms;
    p->linger_ms = opt->linger_ms;
    p->lossy = opt->lossy;
    p->stall_timeout_ms = opt->lossy ? 0 : opt->stall_timeout_ms;
    p->stall_option_ms = opt->stall_timeout_ms;
    p->id = opt->id ? opt->id : opt->name ? ezc_names_stream_id(opt->name) : ezc_random_u64();
    p->start_ns = ezc_clock_now_ns();
    /* The name first: a second publisher of it fails before touching the endpoint. */
    if (opt->name && !inproc) {
        ezc_stream_info si = {.ndim = -1, .id = p->id};
        snprintf(si.name, sizeof si.name, "%s", opt->name);
        snprintf(si.graph, sizeof si.graph, "%s", opt->graph ? opt->graph : "");
        if (ezc_names_register(&si, &p->names, err)) {
            ezc_error_prefix(err, "pub");
            free(p);
            return NULL;
        }
    }
    p->first_seq = opt->first_seq;
    p->shared_ctx = opt->zmq_context == NULL;
    if (p->shared_ctx)
        ezc_zmq_note_linger(opt->linger_ms);
    p->sock = ezc_zmq_socket_open(opt->zmq_context, ZMQ_XPUB);
    if (!p->sock) {
        ezc_error_set(err, EZC_EIO, "pub %s: cannot create a socket: %s", endpoint,
                      zmq_strerror(zmq_errno()));
        free(p);
        return NULL;
    }
    if (set_int(p, ZMQ_SNDHWM, opt->hwm, "ZMQ_SNDHWM", err) ||
        set_int(p, ZMQ_LINGER, opt->linger_ms, "ZMQ_LINGER", err) ||
        set_int(p, ZMQ_SNDTIMEO, opt->send_timeout_ms, "ZMQ_SNDTIMEO", err) ||
        set_int(p, ZMQ_XPUB_VERBOSE, 1, "ZMQ_XPUB_VERBOSE", err) ||
        set_int(p, ZMQ_XPUB_NODROP, !opt->lossy, "ZMQ_XPUB_NODROP", err))
        goto fail;
    /* CURVE options must be on the socket before the bind (ZeroMQ copies
     * them into the listener); ipc and inproc do not leave the host. */
    if ((opt->curve_server_key || opt->curve_allow_dir) && strncmp(endpoint, "tcp://", 6) == 0) {
        char who[600];
        snprintf(who, sizeof who, "pub %s", endpoint);
        if (ezc_curve_server_setup(p->sock, opt->zmq_context, opt->curve_server_key,
                                   opt->curve_allow_dir, who, &p->curve, err))
            goto fail;
    }
    /* ZeroMQ would delete a live ipc endpoint's file and take it over. */
    if (ezc_ipc_claim_take(endpoint, &p->claim, err)) {
        ezc_error_prefix(err, "pub: cannot bind");
        goto fail;
    }
    if (zmq_bind(p->sock, endpoint) != 0) {
        ezc_error_set(err, EZC_EIO, "pub: cannot bind '%s': %s", endpoint,
                      zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (ezc_ipc_claim_bound(p->claim, err)) {
        ezc_error_prefix(err, "pub");
        goto fail;
    }
    size_t len = sizeof p->endpoint;
    if (zmq_getsockopt(p->sock, ZMQ_LAST_ENDPOINT, p->endpoint, &len) != 0)
        strcpy(p->endpoint, endpoint);
    p->endpoint[sizeof p->endpoint - 1] = '\0';
    ezc_ipc_file_note(&p->ipc_file, endpoint, p->endpoint);
    if (p->curve) {
        char who[600];
        snprintf(who, sizeof who, "pub %s", p->endpoint);
        ezc_curve_server_name(p->curve, who);
    }
    /* Shared memory for subscribers on this host: an ipc path we own. A pool
     * that cannot be made leaves the inline path, which always works. */
    if (p->claim && !opt->inline_only) {
        ezc_error serr = {0, ""};
        p->shm = ezc_shm_pool_new(endpoint + 6, p->id, &serr);
        if (!p->shm && serr.code)
            ezc_log(EZC_LOG_INFO, "pub %s: no shared memory (%s): subscribers get the data inline",
                    p->endpoint, serr.msg);
    }
    if (opt->first_wait_ms > 0)
        p->first_wait_until = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)opt->first_wait_ms * 1000000;
    if (!inproc && !(p->enc = ezc_wire_encoder_new(err))) {
        ezc_error_prefix(err, "pub %s", p->endpoint);
        goto fail;
    }
    ezc_wire_encoder_set_start(p->enc, p->start_ns);
    if (p->names) { /* now that it can be connected to */
        ezc_stream_info si = *ezc_names_info(p->names);
        snprintf(si.endpoint, sizeof si.endpoint, "%s", p->endpoint);
        if (p->curve && opt->curve_server_key) /* beacons carry it (ezc/discovery.h) */
            ezc_curve_read_secret(opt->curve_server_key, NULL, si.curve_key, NULL);
        if (ezc_names_update(p->names, &si, err)) {
            ezc_error_prefix(err, "pub %s", p->endpoint);
            goto fail;
        }
    }
    return p;
fail:
    ezc_names_unregister(&p->names);
    ezc_zmq_socket_close(p->sock, p->shared_ctx);
    ezc_shm_pool_destroy(&p->shm);
    ezc_wire_encoder_destroy(&p->enc);
    ezc_curve_server_release(&p->curve);
    ezc_ipc_file_remove(&p->ipc_file);
    ezc_ipc_claim_release(&p->claim);
    free(p);
    return NULL;
}

void ezc_pub_destroy(ezc_pub **pp)
{
    if (!pp || !*pp)
        return;
    ezc_pub *p = *pp;
    *pp = NULL;
    ezc_names_unregister(&p->names); /* first: nobody resolves a closing stream */
    ezc_ipc_drain *drain =
        strncmp(p->endpoint, "ipc://", 6) == 0 ? ezc_ipc_drain_begin(p->endpoint + 6) : NULL;
    ezc_zmq_socket_close(p->sock, p->shared_ctx);
    ezc_ipc_drain_finish(&drain, p->linger_ms);
    ezc_shm_pool_linger(p->shm, p->linger_ms);
    ezc_shm_pool_destroy(&p->shm);
    ezc_curve_server_release(&p->curve); /* after the socket: no handshake asks for it */
    ezc_ipc_file_remove(&p->ipc_file);
    ezc_ipc_claim_release(&p->claim); /* after the file: nobody binds in between */
    ezc_wire_encoder_destroy(&p->enc);
    for (size_t i = 0; i < p->ntopics; i++)
        free(p->topics[i].name);
    free(p->topics);
    free(p);
}

/* The counter of `topic`, created at first_seq when new; NULL when out of memory. */
static topic_seq *topic_find(ezc_pub *p, const char *topic, ezc_error *err)
{
    if (p->last < p->ntopics && strcmp(p->topics[p->last].name, topic) == 0)
        return &p->topics[p->last];
    for (size_t i = 0; i < p->ntopics; i++)
        if (strcmp(p->topics[i].name, topic) == 0)
            return &p->topics[p->last = i];
    char *name = strdup(topic);
    if (!name)
        goto oom;
    size_t slot = p->ntopics;
    if (p->ntopics == p->cap && p->cap < MAX_TOPICS) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        topic_seq *grown = realloc(p->topics, cap * sizeof *grown);
        if (!grown) {
            free(name);
            goto oom;
        }
        p->topics = grown;
        p->cap = cap;
    }
    if (p->ntopics < p->cap) {
        p->ntopics++;
    } else {
        slot = 0;
        for (size_t i = 1; i < p->ntopics; i++)
            if (p->topics[i].used < p->topics[slot].used)
                slot = i;
        free(p->topics[slot].name);
    }
    p->topics[slot] = (topic_seq){name, p->first_seq, p->sent};
    return &p->topics[p->last = slot];
oom:
    ezc_error_set(err, EZC_ENOMEM, "pub %s: out of memory", p->endpoint);
    return NULL;
}

/* Subscription messages queue up on an XPUB socket until read; count them. */
static void drain_subscriptions(ezc_pub *p)
{
    unsigned char buf[64];
    for (;;) {
        int n = zmq_recv(p->sock, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        if (n >= 1 && buf[0] == 1)
            p->subscriptions++;
    }
    p->since_drain = 0;
}

/* Sends this message past full subscriber queues: with ZMQ_XPUB_NODROP
 * off, ZeroMQ writes to every queue with room and marks a full one
 * inactive (skipped until its reader has taken half of it), so the others
 * are no longer held. NODROP comes back after the message (nodrop_restore). */
static int send_overflowing(ezc_pub *p, const char *topic, size_t len, int stalled, ezc_error *err)
{
    /* A queue looks full until ZeroMQ has taken in its reader's progress
     * (commands it may put off for a while): take it in first, so that only
     * a queue that is really full is gone past. */
    int events;
    size_t elen = sizeof events;
    zmq_getsockopt(p->sock, ZMQ_EVENTS, &events, &elen);
    if (zmq_send(p->sock, topic, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        return 0;
    if (set_int(p, ZMQ_XPUB_NODROP, 0, "ZMQ_XPUB_NODROP", err))
        return EZC_EIO;
    p->nodrop_off = 1;
    p->overflows++;
    p->shed_until = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)p->stall_timeout_ms * 1000000;
    if (stalled && p->stalls++ == 0)
        ezc_log(EZC_LOG_WARN,
                "pub %s: a subscriber took no message for %d ms (its queue is full): it "
                "now misses messages while its queue stays full, the other subscribers go "
                "on (stall limit; later stalls are only counted)",
                p->endpoint, p->stall_timeout_ms);
    if (zmq_send(p->sock, topic, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        return 0;
    return ezc_error_set(err, EZC_EIO, "pub %s: send failed: %s", p->endpoint,
                         zmq_strerror(zmq_errno()));
}

static void nodrop_restore(ezc_pub *p)
{
    if (!p->nodrop_off)
        return;
    p->nodrop_off = 0;
    set_int(p, ZMQ_XPUB_NODROP, 1, "ZMQ_XPUB_NODROP", NULL);
}

/* Sends the topic frame, the one that may wait for room (back-pressure).
 * The wait goes in slices of EZC_STOP_CHECK_MS so that a stop request
 * (ezc_interrupt) ends it even when the signal went to another thread; the
 * first try does not wait, so the steady path sets no socket option. With
 * a stall limit, a wait that reaches it goes past the full queue instead,
 * and so does any wait shortly after a stall (pub.h, "Stalls"). */
static int send_topic_wait(ezc_pub *p, const char *topic, ezc_error *err)
{
    size_t len = strlen(topic);
    if (zmq_send(p->sock, topic, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        return 0;
    int64_t deadline = 0, stall_at = 0, now = ezc_clock_ns(CLOCK_MONOTONIC);
    if (p->send_timeout_ms > 0)
        deadline = now + (int64_t)p->send_timeout_ms * 1000000;
    if (p->stall_timeout_ms > 0 && zmq_errno() == EAGAIN) {
        int64_t limit = (int64_t)p->stall_timeout_ms * 1000000;
        if (now < p->shed_until)
            return send_overflowing(p, topic, len, 0, err);
        /* A caller that retries after each short timeout (the graph runtime)
         * is still in the same stall. */
        if (!p->blocked_since || now - p->blocked_last > limit)
            p->blocked_since = now;
        stall_at = p->blocked_since + limit;
    }
    for (;;) {
        int e = zmq_errno();
        if (e != EAGAIN && e != EINTR)
            return ezc_error_set(err, EZC_EIO, "pub %s: send failed: %s", p->endpoint,
                                 zmq_strerror(e));
        int slice = EZC_STOP_CHECK_MS;
        if (deadline) {
            int64_t left = deadline - ezc_clock_ns(CLOCK_MONOTONIC);
            if (left <= 0)
                break;
            if (left < (int64_t)slice * 1000000)
                slice = (int)((left + 999999) / 1000000);
        }
        if (p->send_timeout_ms == 0)
            break;
        if (stall_at) {
            int64_t left = stall_at - ezc_clock_ns(CLOCK_MONOTONIC);
            if (left <= 0)
                return send_overflowing(p, topic, len, 1, err);
            if (left < (int64_t)slice * 1000000)
                slice = (int)((left + 999999) / 1000000);
        }
        if (ezc_interrupted())
            return ezc_error_set(err, EZC_EINTR,
                                 "pub %s: send abandoned: a stop was requested while a "
                                 "subscriber's queue was full",
                                 p->endpoint);
        zmq_setsockopt(p->sock, ZMQ_SNDTIMEO, &slice, sizeof slice);
        if (zmq_send(p->sock, topic, len, ZMQ_SNDMORE) >= 0)
            return 0;
    }
    return ezc_error_set(err, EZC_ETIMEOUT,
                         "pub %s: send timed out after %d ms: a subscriber's queue is "
                         "full (hwm reached, back-pressure)",
                         p->endpoint, p->send_timeout_ms);
}

static int send_topic(ezc_pub *p, const char *topic, ezc_error *err)
{
    int rc = send_topic_wait(p, topic, err);
    if (p->stall_timeout_ms > 0) {
        if (rc == EZC_ETIMEOUT || rc == EZC_EINTR)
            p->blocked_last = ezc_clock_ns(CLOCK_MONOTONIC);
        else
            p->blocked_since = 0;
    }
    return rc;
}

/* Later frames of a message never wait: ZeroMQ admits whole messages. */
static int send_more(ezc_pub *p, zmq_msg_t *m, int flags, ezc_error *err)
{
    while (zmq_msg_send(m, p->sock, flags) < 0) {
        if (zmq_errno() != EINTR)
            return ezc_error_set(err, EZC_EIO, "pub %s: send failed mid-message: %s", p->endpoint,
                                 zmq_strerror(zmq_errno()));
    }
    return 0;
}

static void inproc_free(void *data, void *hint)
{
    (void)hint;
    ezc_inproc_frame *f = data;
    ezc_array_destroy(&f->arr);
    f->tag = 0;
    free(f);
}

static int send_inproc(ezc_pub *p, const char *topic, uint64_t seq, const ezc_array *a,
                       ezc_error *err)
{
    ezc_inproc_frame *f = malloc(sizeof *f);
    ezc_array *c = f ? ezc_array_clone(a, err) : NULL;
    if (!c) {
        free(f);
        if (!f)
            ezc_error_set(err, EZC_ENOMEM, "out of memory");
        return ezc_error_prefix(err, "pub %s", p->endpoint);
    }
    c->src = p->id;
    c->seq = seq;
    c->ts_ns = ezc_clock_now_ns();
    f->arr = c;
    f->self = f;
    f->tag = ezc_inproc_tag(f);
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, f, sizeof *f, inproc_free, NULL) != 0) {
        inproc_free(f, NULL);
        return ezc_error_set(err, EZC_ENOMEM, "pub %s: out of memory", p->endpoint);
    }
    int rc = send_topic(p, topic, err);
    if (rc == 0)
        rc = send_more(p, &m, 0, err);
    zmq_msg_close(&m); /* runs inproc_free when the message was not sent */
    return rc;
}

static void wire_free(void *data, void *hint)
{
    (void)data;
    ezc_buffer *b = hint;
    ezc_buffer_unref(&b);
}

static void send_shm(ezc_pub *p, const char *topic, const void *hdr, size_t hlen, const void *data,
                     size_t nbytes, const ezc_buffer *buf)
{
    ezc_shm_send how = {p->lossy, p->send_timeout_ms, p->stall_timeout_ms, buf};
    ezc_error serr = {0, ""};
    if (ezc_shm_pool_send(p->shm, topic, hdr, hlen, data, nbytes, &how, &serr) && !p->shm_logged) {
        p->shm_logged = 1;
        ezc_log(EZC_LOG_WARN,
                "pub %s: %s (the shared-memory subscribers missed it: counted; "
                "later ones are only counted)",
                p->endpoint, serr.msg);
    }
}

static int send_wire(ezc_pub *p, const char *topic, uint64_t seq, const ezc_array *a,
                     ezc_error *err)
{
    /* A's own header is not ours to stamp: encode a shallow copy. */
    ezc_array stamped = *a;
    stamped.src = p->id;
    stamped.seq = seq;
    stamped.ts_ns = ezc_clock_now_ns();
    const void *hdr;
    size_t hlen;
    size_t nbytes = ezc_array_nbytes(a);
    if (p->ipc && a->tensor.device.device_type == kDLCUDA) {
        ezc_wire_cuda_ipc ipc;
        const ezc_cuda_ipc_ops *ops = ezc_cuda_ipc_ops_get(a->tensor.device.device_id, err);
        if (!ops || ops->export_array(a, &ipc, err) ||
            ezc_wire_encode_header_cuda_ipc(p->enc, &stamped, &ipc, &hdr, &hlen, err))
            return ezc_error_prefix(err, "pub %s", p->endpoint);
        nbytes = 0; /* the data stays on the device */
    } else if (ezc_wire_encode_header(p->enc, &stamped, &hdr, &hlen, err)) {
        return ezc_error_prefix(err, "pub %s", p->endpoint);
    }
    zmq_msg_t data, head;
    if (nbytes) {
        ezc_buffer *ref = ezc_buffer_ref(a->buf);
        if (zmq_msg_init_data(&data, ezc_array_data(a), nbytes, wire_free, ref) != 0) {
            ezc_buffer_unref(&ref);
            return ezc_error_set(err, EZC_ENOMEM, "pub %s: out of memory", p->endpoint);
        }
    } else {
        zmq_msg_init(&data);
    }
    if (zmq_msg_init_size(&head, hlen) != 0) {
        zmq_msg_close(&data);
        return ezc_error_set(err, EZC_ENOMEM, "pub %s: out of memory", p->endpoint);
    }
    memcpy(zmq_msg_data(&head), hdr, hlen);
    int rc = send_topic(p, topic, err);
    if (rc == 0)
        rc = send_more(p, &head, ZMQ_SNDMORE, err);
    if (rc == 0)
        rc = send_more(p, &data, 0, err);
    zmq_msg_close(&head);
    zmq_msg_close(&data);
    /* The message is sent (it has its number): shared-memory readers get it
     * too, or count it as dropped; they never make it unsent. */
    if (rc == 0 && p->shm && a->tensor.device.device_type != kDLCUDA)
        send_shm(p, topic, hdr, hlen, ezc_array_data(a), nbytes, a->buf);
    return rc;
}

/* A subscriber that was connecting when the publisher bound subscribes a
 * moment later (ZeroMQ's "slow joiner"; its reconnect interval is 100 ms):
 * the first send waits for a first subscription, never past first_wait_ms
 * after the bind, so seq 0 reaches it. A stop request ends the wait. */
static void wait_first_subscriber(ezc_pub *p)
{
    int64_t left = p->first_wait_until - ezc_clock_ns(CLOCK_MONOTONIC);
    if (left > 0)
        ezc_pub_wait_subscribers(p, 1, (int)((left + 999999) / 1000000), NULL);
    /* A subscriber that started first is connected through the socket and
     * moves to shared memory only while the pool has sent nothing (sub.c
     * looks every 50 ms): give it that long, within the same wait. */
    left = p->first_wait_until - ezc_clock_ns(CLOCK_MONOTONIC);
    if (p->shm && left > 0 && !ezc_shm_pool_readers(p->shm)) {
        int64_t until = ezc_clock_ns(CLOCK_MONOTONIC) + (left < 120000000 ? left : 120000000);
        while (!ezc_shm_pool_readers(p->shm) && !ezc_interrupted() &&
               ezc_clock_ns(CLOCK_MONOTONIC) < until) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    p->first_wait_until = 0;
}

int ezc_pub_send(ezc_pub *p, const char *topic, const ezc_array *a, ezc_error *err)
{
    if (!p || !a)
        return ezc_error_set(err, EZC_EINVAL, "pub: send needs a publisher and an array");
    if (p->first_wait_until)
        wait_first_subscriber(p);
    if (++p->since_drain >= DRAIN_EVERY)
        drain_subscriptions(p);
    if (!topic)
        topic = "";
    topic_seq *t = topic_find(p, topic, err);
    if (!t)
        return EZC_ENOMEM;
    int rc = p->inproc ? send_inproc(p, topic, t->next_seq, a, err)
                       : send_wire(p, topic, t->next_seq, a, err);
    nodrop_restore(p);
    if (rc == 0) {
        /* A message that never left takes no number: no false gap. */
        t->next_seq++;
        t->used = ++p->sent;
        if (p->names && !p->described) { /* what `ezc ls` shows; once */
            p->described = 1;
            ezc_names_describe(p->names, topic, a, NULL);
        }
    }
    return rc;
}

/* The end-of-stream marker goes as [topic][eos header][empty] on every
 * transport (an inproc subscriber takes the three-frame form too). A
 * blocking socket waits for room as for any message. A lossy one is made to
 * wait for this one where ZeroMQ can (a subscriber's queue that is full but
 * still active), after taking in pending queue news (ZMQ_EVENTS), so that a
 * queue its reader has drained is active again; a queue that overflowed
 * and was not read since is inactive in ZeroMQ, and misses the marker as it
 * misses messages. */
int ezc_pub_send_eos(ezc_pub *p, const char *topic, ezc_error *err)
{
    if (!p)
        return ezc_error_set(err, EZC_EINVAL, "pub: send_eos needs a publisher");
    if (p->first_wait_until)
        wait_first_subscriber(p);
    if (!topic)
        topic = "";
    topic_seq *t = topic_find(p, topic, err);
    if (!t)
        return EZC_ENOMEM;
    if (!p->enc && (p->enc = ezc_wire_encoder_new(err)) != NULL)
        ezc_wire_encoder_set_start(p->enc, p->start_ns);
    if (!p->enc)
        return ezc_error_prefix(err, "pub %s", p->endpoint);
    ezc_wire_stamp st = {p->id, t->next_seq, ezc_clock_now_ns(), p->start_ns};
    const void *hdr;
    size_t hlen;
    if (ezc_wire_encode_eos(p->enc, &st, &hdr, &hlen, err))
        return ezc_error_prefix(err, "pub %s", p->endpoint);
    zmq_msg_t head, data;
    if (zmq_msg_init_size(&head, hlen) != 0)
        return ezc_error_set(err, EZC_ENOMEM, "pub %s: out of memory", p->endpoint);
    memcpy(zmq_msg_data(&head), hdr, hlen);
    zmq_msg_init(&data);
    int events;
    size_t elen = sizeof events;
    zmq_getsockopt(p->sock, ZMQ_EVENTS, &events, &elen); /* processes pending commands */
    int rc = p->lossy ? set_int(p, ZMQ_XPUB_NODROP, 1, "ZMQ_XPUB_NODROP", err) : 0;
    if (rc == 0)
        rc = send_topic(p, topic, err);
    if (rc == 0)
        rc = send_more(p, &head, ZMQ_SNDMORE, err);
    if (rc == 0)
        rc = send_more(p, &data, 0, err);
    nodrop_restore(p);
    if (p->lossy)
        set_int(p, ZMQ_XPUB_NODROP, 0, "ZMQ_XPUB_NODROP", NULL);
    zmq_msg_close(&head);
    zmq_msg_close(&data);
    if (rc == 0 && p->shm)
        send_shm(p, topic, hdr, hlen, NULL, 0, NULL);
    return rc;
}

int ezc_pub_wait_subscribers(ezc_pub *p, int n, int timeout_ms, ezc_error *err)
{
    if (!p)
        return ezc_error_set(err, EZC_EINVAL, "pub: wait_subscribers needs a publisher");
    int64_t deadline = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
    for (;;) {
        drain_subscriptions(p);
        if (p->subscriptions + (uint64_t)ezc_shm_pool_readers(p->shm) >= (uint64_t)(n < 0 ? 0 : n))
            return 0;
        int wait = EZC_STOP_CHECK_MS;
        if (timeout_ms >= 0) {
            int64_t left = deadline - ezc_clock_ns(CLOCK_MONOTONIC);
            if (left <= 0)
                return ezc_error_set(err, EZC_ETIMEOUT,
                                     "pub %s: %llu of %d subscribers after %d ms", p->endpoint,
                                     (unsigned long long)p->subscriptions, n, timeout_ms);
            if (left < (int64_t)wait * 1000000)
                wait = (int)((left + 999999) / 1000000);
        }
        if (ezc_interrupted())
            return ezc_error_set(err, EZC_EINTR,
                                 "pub %s: stopped waiting for subscribers (%llu of %d): a stop "
                                 "was requested",
                                 p->endpoint, (unsigned long long)p->subscriptions, n);
        zmq_pollitem_t item = {p->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, wait) < 0 && zmq_errno() != EINTR)
            return ezc_error_set(err, EZC_EIO, "pub %s: poll failed: %s", p->endpoint,
                                 zmq_strerror(zmq_errno()));
    }
}

int ezc_pub_set_next_seq(ezc_pub *p, const char *topic, uint64_t seq, ezc_error *err)
{
    if (!p)
        return ezc_error_set(err, EZC_EINVAL, "pub: set_next_seq needs a publisher");
    topic_seq *t = topic_find(p, topic ? topic : "", err);
    if (!t)
        return EZC_ENOMEM;
    t->next_seq = seq;
    return 0;
}

/* NODROP is read by ZeroMQ at each send: changing it between two sends
 * changes the policy from the next one on, nothing queued is touched. */
int ezc_pub_set_lossy(ezc_pub *p, int lossy, ezc_error *err)
{
    if (!p)
        return ezc_error_set(err, EZC_EINVAL, "pub: set_lossy needs a publisher");
    lossy = lossy != 0;
    if (lossy == p->lossy)
        return 0;
    if (set_int(p, ZMQ_XPUB_NODROP, !lossy, "ZMQ_XPUB_NODROP", err))
        return EZC_EIO;
    p->lossy = lossy;
    p->nodrop_off = 0;
    p->stall_timeout_ms = lossy ? 0 : p->stall_option_ms;
    p->shed_until = p->blocked_since = p->blocked_last = 0;
    return 0;
}

int ezc_pub_lossy(const ezc_pub *p)
{
    return p && p->lossy;
}

uint64_t ezc_pub_next_seq(const ezc_pub *p, const char *topic)
{
    if (!p)
        return 0;
    if (!topic)
        topic = "";
    if (p->last < p->ntopics && strcmp(p->topics[p->last].name, topic) == 0)
        return p->topics[p->last].next_seq;
    for (size_t i = 0; i < p->ntopics; i++)
        if (strcmp(p->topics[i].name, topic) == 0)
            return p->topics[i].next_seq;
    return p->first_seq;
}

const char *ezc_pub_endpoint(const ezc_pub *p)
{
    return p ? p->endpoint : "";
}
uint64_t ezc_pub_sent(const ezc_pub *p)
{
    return p ? p->sent : 0;
}
uint64_t ezc_pub_id(const ezc_pub *p)
{
    return p ? p->id : 0;
}

void ezc_pub_stats_get(const ezc_pub *p, ezc_pub_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!p)
        return;
    st->sent = p->sent;
    st->stalls = p->stalls;
    st->overflows = p->overflows;
    st->refused = ezc_curve_server_refused(p->curve);
    ezc_shm_pool_stats sh;
    ezc_shm_pool_stats_get(p->shm, &sh);
    st->shm_readers = sh.readers;
    st->shm_dropped = sh.dropped + sh.nospace;
    st->shm_slots = sh.slots;
    st->shm_held = sh.held;
    st->shm_bytes = sh.bytes;
    st->shm_reclaims = sh.reclaims;
    st->shm_zero_copy = sh.zero_copy;
    st->shm_forwarded = sh.forwarded;
}

ezc_buffer *ezc_pub_cow_buffer(void *pub, size_t nbytes, ezc_error *err)
{
    ezc_pub *p = pub;
    (void)err; /* no slot is no error: the caller copies to the heap */
    if (!p || !p->shm || ezc_shm_pool_readers(p->shm) == 0)
        return NULL;
    ezc_error ignored;
    return ezc_shm_pool_loan(p->shm, nbytes, &ignored);
}

ezc_array *ezc_pub_loan(ezc_pub *p, ezc_dtype dtype, int ndim, const int64_t *shape,
                        const char *const *dims, ezc_error *err)
{
    if (!p)
        return ezc_error_set(err, EZC_EINVAL, "pub: loan needs a publisher"), NULL;
    if (!p->shm)
        return ezc_array_new(dtype, ndim, shape, dims, ezc_device_cpu(), err);
    size_t nbytes;
    if (ezc_shape_count(ndim, shape, "pub: loan: shape", &nbytes, err) ||
        __builtin_mul_overflow(nbytes, ezc_dtype_size(dtype), &nbytes)) {
        if (!err || !err->code)
            ezc_error_set(err, EZC_EINVAL, "pub %s: loan: the shape is too large", p->endpoint);
        return NULL;
    }
    ezc_buffer *b = ezc_shm_pool_loan(p->shm, nbytes, err);
    if (!b) /* the pool is full or the system out of pages: an ordinary array still works */
        return ezc_array_new(dtype, ndim, shape, dims, ezc_device_cpu(), err);
    ezc_array *a = ezc_array_from_buffer(b, 0, dtype, ndim, shape, dims, err);
    ezc_buffer_unref(&b);
    return a;
}
