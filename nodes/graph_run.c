/* graph_run.c — a checked graph run as threads, one per node.
 *
 * Every edge gets a publisher of its own, created in the upstream node's
 * process, whose topic ("e<index>") tells the downstream subscriber which
 * edge — hence which input port and queue policy — a message came by.
 * Queue policies: block and drop_newest are the publisher's (back-pressure
 * or lossy); drop_oldest and conflate are kept by the receiving thread,
 * which drains its socket into per-edge queues before each message. */
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ezc/clock.h"
#include "ezc/control.h"
#include "ezc/graph_run.h"
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "ezc/names.h"
#include "ezc/node.h"
#include "graph_internal.h"
#include "graph_resume.h"
#include "msgpack_reader.h"
#include "node_kind.h"
#include "pubsub_internal.h"

#define POLL_MS 100

typedef struct in_edge {
    char topic[EZC_TOPIC_MAX];
    int port;
    ezc_queue queue;
    int cap;          /* drop_oldest ring size; conflate 1 */
    ezc_array **ring; /* queued messages (drop_oldest, conflate) */
    int prefix;       /* an outside input: topic is a prefix, any other topic matches it */
    int head, n;
    int ended; /* its end-of-stream marker came (kept across the node's restarts) */
} in_edge;

typedef struct out_pub {
    ezc_pub *pub;
    char topic[EZC_TOPIC_MAX];
    int wait_sub;          /* an edge: wait for its subscriber before the first message */
    int drop_empty;        /* leaves the graph (output, publish sink): no empty messages */
    ezc_resume_slot *slot; /* its numbering, kept for a restarted successor (or NULL) */
    int resume;            /* a predecessor left numbering to take up at the first send */
    uint64_t lost_passed;  /* of the node's in_lost, what its numbering has skipped */
} out_pub;

/* What a transformer or sink node holds while it runs. */
typedef struct consumer {
    int open;
    ezc_settings *s;
    ezc_transformer *t;
    const ezc_node_kind_ops *ops; /* a sink's hooks (node_kind.h), or NULL */
    void *state;                  /* the sink's, from its open hook */
    unsigned logged;
} consumer;

/* A node as the runtime runs it; node kinds' hooks see it as an opaque
 * ezc_node_ctx (node_kind.h). */
typedef struct ezc_node_ctx node_rt;
struct ezc_node_ctx {
    struct ezc_graph_runtime *rt;
    const ezc_graph *g;
    const ezc_graph_node *n;
    int index;
    ezc_sub *sub;
    int remote_in; /* an input edge comes over ipc:// or tcp:// (another process) */
    in_edge *ins;
    int nins;
    int served_block; /* fairness between blocking and queued inputs */
    ezc_array *held;  /* a blocking input waiting for its turn */
    int held_port;
    out_pub *outs;
    int nouts;
    int subs_ready;
    consumer c;
    /* Fusion: next is the downstream node this one calls directly (a block
     * edge, the only output here and the only input there); fused_in marks
     * a node run by its upstream's thread, with no socket and no thread. */
    node_rt *next;
    int fused_in, fused_port;
    int backoff_ms;          /* fused: its last restart's wait (ezc_restart_backoff) */
    int64_t opened_ms;       /* fused: when its consumer last opened, monotonic */
    uint64_t fused_seq;      /* messages handed to next */
    int64_t t0_ns;           /* source time of the message in hand (0: unknown); inside a
                           fused chain it travels here, so the stamp becomes an attr
                           only where a message leaves through a socket */
    uint64_t in_src, in_seq; /* the socket input the message in hand was made from (its
                                publisher and seq; travels along a fused chain as t0_ns
                                does), for the numbering a successor resumes */
    int have_in;             /* 0: a source's own message */
    uint64_t in_lost;        /* input messages lost before they reached this node (its
                                subscriber's gaps and queue drops), passed on as gaps */
    pthread_t thread;
    int started;
    /* counters, read by the main thread */
    atomic_int running, failed;
    atomic_int ended; /* its stream ended and the marker went on: finished, no restart */
    atomic_uint_fast64_t messages, bytes, qdrops, errors, restarts, behind;
    pthread_mutex_t lock;        /* last_error, lat, live, pending, set_error */
    pthread_cond_t applied_cond; /* applied_gen moved (with lock): a waiting set's answer */
    char last_error[EZC_ERROR_MSG_MAX];
    uint32_t lat[EZC_GRAPH_LATENCY_WINDOW]; /* µs since the source, a ring */
    size_t nlat, latpos;
    /* Live settings (ezc_graph_runtime_set): a caller's thread leaves the
     * new set in pending and raises has_pending; the thread that runs the
     * node takes it between two messages (one relaxed load per message
     * otherwise). live: the set in force since the last change (NULL: the
     * graph file's), used again when the node restarts. */
    ezc_settings *live, *pending;
    atomic_int has_pending;
    atomic_uint_fast64_t set_gen, applied_gen;
    atomic_int applied_kept, applied_rc;
    char set_error[EZC_ERROR_MSG_MAX];
    unsigned reset_logged; /* re-creations so far (the first is a warning, the rest info) */
    int out_kind;          /* 1 + the index in outs of the publisher the kind's wire added */
    atomic_uint_fast64_t gaps_closed; /* gaps of subscribers replaced live (resubscribe) */
    atomic_int cpu_known;             /* cpu_clock is the CPU clock of the node's own thread */
    clockid_t cpu_clock;
};

struct ezc_graph_runtime {
    const ezc_graph *g;
    node_rt *nodes;
    size_t n;
    atomic_int stop;
    atomic_int any_failed;
    ezc_graph_resume *resume; /* the group's numbering across restarts, or NULL */
};

static atomic_uint runtime_serial;

static void set_error(node_rt *nr, const char *msg)
{
    pthread_mutex_lock(&nr->lock);
    snprintf(nr->last_error, sizeof nr->last_error, "%s", msg);
    pthread_mutex_unlock(&nr->lock);
}

/* A stop request of the process (a signal: ezc/interrupt.h) stops every
 * node at once, before the main thread gets round to halting the runtime. */
static int stopping(const node_rt *nr)
{
    return atomic_load(&nr->rt->stop) || ezc_interrupted();
}

/* Sleeps ms, waking early when the runtime stops. */
static void nap(node_rt *nr, int ms)
{
    while (ms > 0 && !stopping(nr)) {
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* Adds to a counter only its node's thread writes: a plain load and store
 * (no locked instruction on the per-message path); readers see whole
 * values. Returns the value before. */
static uint64_t bump(atomic_uint_fast64_t *c, uint64_t v)
{
    uint64_t old = atomic_load_explicit(c, memory_order_relaxed);
    atomic_store_explicit(c, old + v, memory_order_relaxed);
    return old;
}

static uint64_t data_bytes(const ezc_array *a)
{
    return (uint64_t)ezc_array_size(a) * ezc_dtype_size(a->dtype);
}

/* ---- sending ---- */

static int wait_subscribers(node_rt *nr, ezc_error *err)
{
    for (int i = 0; i < nr->nouts && !nr->subs_ready; i++) {
        if (!nr->outs[i].wait_sub)
            continue;
        int rc;
        while ((rc = ezc_pub_wait_subscribers(nr->outs[i].pub, 1, POLL_MS, err)) == EZC_ETIMEOUT &&
               !stopping(nr))
            ;
        if (rc && !stopping(nr))
            return rc;
    }
    nr->subs_ready = !stopping(nr);
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ns(void)
{
    return ezc_clock_now_ns(); /* the clock stamps are made on (ezc/clock.h) */
}

/* Records how long ago the message's source made it (when stamped). */
/* The source time a message carries as an attr, or 0. */
static int64_t attr_t0(const ezc_array *a)
{
    const ezc_attr *t0 = ezc_array_attr(a, EZC_GRAPH_T0_ATTR);
    return t0 && t0->type == EZC_ATTR_INT ? t0->v.i : 0;
}

static void note_latency(node_rt *nr, const ezc_array *in)
{
    (void)in;
    if (!nr->t0_ns)
        return;
    /* t0 comes from a message (any int64, INT64_MIN included): subtract
     * without signed overflow, then clamp below. */
    int64_t d, us = __builtin_sub_overflow(wall_ns(), nr->t0_ns, &d)
                        ? (nr->t0_ns > 0 ? -1 : INT64_MAX)
                        : d / 1000;
    pthread_mutex_lock(&nr->lock);
    nr->lat[nr->latpos] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    nr->latpos = (nr->latpos + 1) % EZC_GRAPH_LATENCY_WINDOW;
    if (nr->nlat < EZC_GRAPH_LATENCY_WINDOW)
        nr->nlat++;
    pthread_mutex_unlock(&nr->lock);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The first send of a publisher whose predecessor (the crashed process this
 * one replaces) left its numbering: go on from there, and when the message
 * in hand comes from the input the last one sent was made from, skip the
 * numbers of the inputs lost in between, so that downstream counts as gaps
 * exactly the messages that never came out (docs/pubsub.md, "Restarts"). */
static void resume_numbering(const node_rt *nr, out_pub *o)
{
    uint64_t next = atomic_load_explicit(&o->slot->next, memory_order_relaxed);
    uint64_t src = atomic_load_explicit(&o->slot->in_src, memory_order_relaxed);
    if (nr->have_in && src && src == nr->in_src) {
        uint64_t at = nr->in_seq + atomic_load_explicit(&o->slot->offset, memory_order_relaxed);
        if ((int64_t)(at - next) > 0) /* never backwards: that would read as a restart */
            next = at;
    }
    o->resume = 0;
    ezc_pub_set_next_seq(o->pub, o->topic, next, NULL); /* out of memory: numbering from 0 */
}

/* Before each send, what a successor needs should this process die now:
 * the seq after this one, and how it relates to the input in hand. Stored
 * before the send so that a message that took a number is never numbered
 * twice (one killed before it left is a gap, as it never came out). */
static void note_numbering(const node_rt *nr, const out_pub *o)
{
    uint64_t seq = ezc_pub_next_seq(o->pub, o->topic);
    atomic_store_explicit(&o->slot->next, seq + 1, memory_order_relaxed);
    if (nr->have_in) {
        atomic_store_explicit(&o->slot->offset, seq - nr->in_seq, memory_order_relaxed);
        atomic_store_explicit(&o->slot->in_src, nr->in_src, memory_order_relaxed);
    }
}

/* Input messages lost on the way here are skipped in the output numbering
 * too, so that every subscriber downstream counts them: a lost message is
 * a gap wherever it would have gone (one output per input: exactly). */
static void pass_losses_on(const node_rt *nr, out_pub *o)
{
    if (nr->in_lost == o->lost_passed)
        return;
    if (nr->have_in && nr->in_lost > o->lost_passed)
        ezc_pub_set_next_seq(o->pub, o->topic,
                             ezc_pub_next_seq(o->pub, o->topic) + (nr->in_lost - o->lost_passed),
                             NULL);
    o->lost_passed = nr->in_lost;
}

/* Sequence gaps of the node's subscriber, and of those it replaced. */
static uint64_t sub_gaps(const node_rt *nr)
{
    return ezc_sub_gaps(nr->sub) + atomic_load_explicit(&nr->gaps_closed, memory_order_relaxed);
}

/* What the node's inputs lost so far: gaps and queue-policy drops. */
static uint64_t inputs_lost(node_rt *nr)
{
    return sub_gaps(nr) + atomic_load_explicit(&nr->qdrops, memory_order_relaxed);
}

static void take_settings(node_rt *nr);

/* Sends a on every outgoing publisher; a blocking edge retries (its send
 * timeout is short so that a stop is seen, and a sink's live change: its
 * message is consumed already, only its sending waits). */
static int send_all(node_rt *nr, ezc_array *a, ezc_error *err)
{
    int rc = wait_subscribers(nr, err);
    if (rc)
        return rc;
    if (nr->t0_ns && nr->nouts && !attr_t0(a)) /* leaving the thread: stamp it for the next */
        ezc_array_attr_set_int(a, EZC_GRAPH_T0_ATTR, nr->t0_ns, NULL);
    for (int i = 0; i < nr->nouts; i++) {
        if (nr->outs[i].drop_empty && ezc_array_size(a) == 0)
            continue; /* no data (a window not yet full): nothing for the outside */
        if (nr->outs[i].resume)
            resume_numbering(nr, &nr->outs[i]);
        pass_losses_on(nr, &nr->outs[i]);
        if (nr->outs[i].slot)
            note_numbering(nr, &nr->outs[i]);
        while ((rc = ezc_pub_send(nr->outs[i].pub, nr->outs[i].topic, a, err)) == EZC_ETIMEOUT &&
               !stopping(nr))
            if (nr->c.ops && nr->c.ops->update &&
                atomic_load_explicit(&nr->has_pending, memory_order_acquire))
                take_settings(nr); /* a sink held up by a full reader: `lossy=true` is for this */
        if (rc == EZC_ETIMEOUT || (rc == EZC_EINTR && stopping(nr)))
            return 0;            /* stopping: the message in hand goes nowhere */
        if (rc == EZC_EDEVICE) { /* data this endpoint cannot carry: count, go on */
            atomic_fetch_add(&nr->errors, 1);
            set_error(nr, err->msg);
            continue;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Passes the end of stream on: the marker on every outgoing publisher
 * (never dropped; a blocking edge retries as send_all does). */
static int send_eos_all(node_rt *nr, ezc_error *err)
{
    int rc = wait_subscribers(nr, err);
    for (int i = 0; !rc && i < nr->nouts; i++) {
        if (nr->outs[i].resume)
            resume_numbering(nr, &nr->outs[i]);
        while ((rc = ezc_pub_send_eos(nr->outs[i].pub, nr->outs[i].topic, err)) == EZC_ETIMEOUT &&
               !stopping(nr))
            ;
        if (rc == EZC_ETIMEOUT || (rc == EZC_EINTR && stopping(nr)))
            return 0; /* stopping anyway */
    }
    return rc;
}

static void fused_fail(node_rt *nr, const ezc_error *e);

/* nr's stream has ended: nr and the nodes fused after it end together
 * (transformers have delivered all they computed; what a window holds
 * unfinished is dropped), the chain's last node passing the marker on
 * through its sockets. Only then are they marked finished (not restarted,
 * whatever their policy), so the runtime is not stopped before the marker
 * is on its way. */
static int end_stream(node_rt *nr, ezc_error *err)
{
    node_rt *last = nr;
    while (last->next)
        last = last->next;
    int rc = send_eos_all(last, err);
    if (rc && last->fused_in) { /* the fused node's own failure, as in fused_deliver */
        fused_fail(last, err);
        rc = 0;
    }
    for (; nr; nr = nr->next)
        atomic_store(&nr->ended, 1);
    return rc;
}

/* Every input has ended and nothing it sent waits here any more. */
static int inputs_done(const node_rt *nr)
{
    if (!nr->nins || nr->held)
        return 0;
    for (int i = 0; i < nr->nins; i++)
        if (!nr->ins[i].ended || nr->ins[i].n)
            return 0;
    return 1;
}

/* ---- receiving ---- */

static in_edge *edge_by_topic(node_rt *nr, const char *topic)
{
    for (int i = 0; i < nr->nins; i++)
        if (!nr->ins[i].prefix && !strcmp(nr->ins[i].topic, topic))
            return &nr->ins[i];
    for (int i = 0; i < nr->nins; i++)
        if (nr->ins[i].prefix && !strncmp(nr->ins[i].topic, topic, strlen(nr->ins[i].topic)))
            return &nr->ins[i];
    return NULL;
}

static void ring_push(node_rt *nr, in_edge *e, ezc_array *a)
{
    if (e->n == e->cap) { /* full: the oldest goes */
        ezc_array_destroy(&e->ring[e->head]);
        e->head = (e->head + 1) % e->cap;
        e->n--;
        atomic_fetch_add(&nr->qdrops, 1);
    }
    e->ring[(e->head + e->n) % e->cap] = a;
    e->n++;
}

static ezc_array *ring_pop(in_edge *e)
{
    ezc_array *a = e->ring[e->head];
    e->ring[e->head] = NULL;
    e->head = (e->head + 1) % e->cap;
    e->n--;
    return a;
}

/* The next input message and its port: 0, EZC_ETIMEOUT, or a socket error.
 * Drains the socket into the queued edges until a message of a blocking
 * edge arrives; when both kinds wait they take turns. */
static int next_input(node_rt *nr, ezc_array **out, int *port, ezc_error *err)
{
    *out = NULL;
    int queued = 0;
    for (int i = 0; i < nr->nins; i++)
        queued += nr->ins[i].n;
    char topic[EZC_TOPIC_MAX];
    while (!nr->held) {
        ezc_array *a = NULL;
        int rc = ezc_sub_recv_topic(nr->sub, &a, topic, sizeof topic, queued ? 0 : POLL_MS, err);
        if (rc == EZC_ETIMEOUT)
            break;
        if (rc == EZC_EEOS) { /* an input ended: after all it sent, so no message is lost */
            in_edge *e = edge_by_topic(nr, topic);
            if (e)
                e->ended = 1;
            if (inputs_done(nr))
                break;
            continue;
        }
        if (rc)
            return rc;
        in_edge *e = edge_by_topic(nr, topic);
        if (!e) {
            ezc_array_destroy(&a);
            continue;
        }
        if (e->queue == EZC_QUEUE_BLOCK || e->queue == EZC_QUEUE_DROP_NEWEST) {
            nr->held = a;
            nr->held_port = e->port;
            break;
        }
        ring_push(nr, e, a);
        queued = 1;
    }
    if (nr->held && (!queued || !nr->served_block)) {
        *out = nr->held;
        *port = nr->held_port;
        nr->held = NULL;
        nr->served_block = 1;
        return 0;
    }
    for (int k = 0; k < nr->nins; k++) {
        in_edge *e = &nr->ins[k];
        if (e->n) {
            *out = ring_pop(e);
            *port = e->port;
            nr->served_block = 0;
            return 0;
        }
    }
    return EZC_ETIMEOUT;
}

/* ---- node loops ---- */

static ezc_array *on_device(node_rt *nr, ezc_array *a, ezc_error *err)
{
    if (!nr->n->device || ezc_device_equal(a->tensor.device, nr->n->dev))
        return a;
    ezc_array *m = ezc_array_to_device(a, nr->n->dev, err);
    ezc_array_destroy(&a);
    return m;
}

static void count_error(node_rt *nr, const ezc_error *e, unsigned *logged, int rc)
{
    atomic_fetch_add(&nr->errors, 1);
    set_error(nr, e->msg);
    if (ezc_log_first(logged, rc))
        ezc_log(EZC_LOG_WARN, "node %s: message refused (logged once per kind): %s", nr->n->name,
                e->msg);
}

static int forward(node_rt *nr, ezc_array *a, ezc_error *err);

/* ---- what node kinds' hooks see (node_kind.h) ---- */

const char *ezc_node_ctx_name(const ezc_node_ctx *nr)
{
    return nr->n->name;
}

const ezc_graph_node *ezc_node_ctx_node(const ezc_node_ctx *nr)
{
    return nr->n;
}

int ezc_node_ctx_stopping(const ezc_node_ctx *nr)
{
    return stopping(nr);
}

int ezc_node_ctx_ready(ezc_node_ctx *nr, ezc_error *err)
{
    return wait_subscribers(nr, err);
}

int ezc_node_ctx_emit(ezc_node_ctx *nr, ezc_array *a, int from_input, ezc_error *err)
{
    if (!(a = on_device(nr, a, err)))
        return err->code ? err->code : EZC_EINVAL;
    bump(&nr->messages, 1);
    bump(&nr->bytes, data_bytes(a));
    nr->have_in = from_input;
    if (!from_input) {
        nr->t0_ns = wall_ns();
        return forward(nr, a, err);
    }
    nr->t0_ns = attr_t0(a); /* made elsewhere: its stamp, else now */
    if (!nr->t0_ns)
        nr->t0_ns = wall_ns();
    nr->in_src = a->src;
    nr->in_seq = a->seq;
    nr->in_lost = sub_gaps(nr);
    return forward(nr, a, err);
}

int ezc_node_ctx_end(ezc_node_ctx *nr, ezc_error *err)
{
    return end_stream(nr, err);
}

void ezc_node_ctx_set_behind(ezc_node_ctx *nr, uint64_t behind)
{
    atomic_store_explicit(&nr->behind, behind, memory_order_relaxed);
}

int ezc_node_ctx_subscribe(ezc_node_ctx *nr, const char *endpoint, const char *topic, ezc_sub **out,
                           ezc_error *err)
{
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    ezc_graph_security_sub(nr->rt->g, &so); /* CURVE for a tcp:// endpoint */
    if (!nr->sub && !(nr->sub = ezc_sub_new(endpoint, topic, &so, err)))
        return ezc_error_prefix(err, "node '%s'", nr->n->name);
    *out = nr->sub;
    return 0;
}

int ezc_node_ctx_subscriber_new(ezc_node_ctx *nr, const char *endpoint, const char *topic,
                                ezc_sub **out, ezc_error *err)
{
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    ezc_graph_security_sub(nr->rt->g, &so); /* as the first one */
    if (!(*out = ezc_sub_new(endpoint, topic, &so, err)))
        return err->code ? err->code : EZC_EIO;
    return 0;
}

void ezc_node_ctx_resubscribe(ezc_node_ctx *nr, ezc_sub **sub)
{
    /* stats reads the subscriber from another thread: swapped under the
     * lock it takes for that, closed outside it */
    pthread_mutex_lock(&nr->lock);
    atomic_store_explicit(&nr->gaps_closed, sub_gaps(nr), memory_order_relaxed);
    ezc_sub *old = nr->sub;
    nr->sub = *sub;
    *sub = NULL;
    pthread_mutex_unlock(&nr->lock);
    ezc_sub_destroy(&old);
}

void ezc_node_ctx_refuse(ezc_node_ctx *nr, int code, const ezc_error *e)
{
    count_error(nr, e, &nr->c.logged, code);
}

/* ---- transformers and sinks: one message at a time ---- */

/* The settings a (re)opened node starts with: a change not yet taken
 * (it passed a trial init), else the last change taken, else the file's. */
static ezc_settings *node_settings(node_rt *nr, ezc_error *err)
{
    ezc_settings *s = NULL;
    pthread_mutex_lock(&nr->lock);
    if (nr->pending) {
        ezc_settings_destroy(&nr->live);
        nr->live = nr->pending;
        nr->pending = NULL;
        atomic_store(&nr->has_pending, 0);
        atomic_store(&nr->applied_kept, 0);
        atomic_store(&nr->applied_rc, 0);
        atomic_store(&nr->applied_gen, atomic_load(&nr->set_gen));
        pthread_cond_broadcast(&nr->applied_cond);
    }
    if (nr->live)
        s = ezc_settings_copy(nr->live, err);
    pthread_mutex_unlock(&nr->lock);
    return s ? s : ezc_graph_node_settings(nr->g, nr->n, err);
}

/* A transformer takes new settings through its update hook (keeping its
 * state) or is made again with them; a sink through its kind's update
 * hook (ezc_graph_runtime_set lets a change through only when it has one). */
static int apply_consumer(void *arg, const ezc_settings *s, int *kept, ezc_error *err)
{
    node_rt *nr = arg;
    if (nr->c.t)
        return ezc_transformer_update(nr->c.t, s, kept, err);
    if (nr->c.ops && nr->c.ops->update)
        return nr->c.ops->update(nr->c.state, nr, s, kept, err);
    return 0;
}

/* A settings change waits: taken here, between two messages, by the
 * thread that runs the node (apply: a transformer's update, a source's
 * own). Refused: the old ones stay. 1 when one was taken. */
static int take_with(node_rt *nr, ezc_node_settings_fn apply, void *arg)
{
    pthread_mutex_lock(&nr->lock);
    ezc_settings *s = nr->pending;
    nr->pending = NULL;
    uint64_t gen = atomic_load(&nr->set_gen);
    atomic_store(&nr->has_pending, 0);
    pthread_mutex_unlock(&nr->lock);
    if (!s)
        return 0;
    ezc_error err;
    ezc_error_clear(&err);
    int kept = 0, rc = apply(arg, s, &kept, &err);
    pthread_mutex_lock(&nr->lock);
    if (rc) {
        memcpy(nr->set_error, err.msg, sizeof nr->set_error);
        ezc_settings_destroy(&s);
    } else {
        ezc_settings_destroy(&nr->live);
        nr->live = s;
    }
    pthread_mutex_unlock(&nr->lock);
    if (rc)
        ezc_log(EZC_LOG_WARN, "node %s: new settings refused, the old ones stay: %s", nr->n->name,
                err.msg);
    else
        ezc_log(kept || nr->reset_logged++ ? EZC_LOG_INFO : EZC_LOG_WARN,
                "node %s: new settings taken (%s)", nr->n->name,
                kept ? "state kept" : "re-created with them: its state reset; warned once");
    atomic_store(&nr->applied_kept, kept);
    atomic_store(&nr->applied_rc, rc);
    atomic_store_explicit(&nr->applied_gen, gen, memory_order_release);
    pthread_mutex_lock(&nr->lock); /* the waiting `set` answers now (set_wait) */
    pthread_cond_broadcast(&nr->applied_cond);
    pthread_mutex_unlock(&nr->lock);
    return !rc;
}

static void take_settings(node_rt *nr)
{
    take_with(nr, apply_consumer, nr);
}

int ezc_node_ctx_settings(ezc_node_ctx *nr, ezc_node_settings_fn apply, void *arg)
{
    if (!atomic_load_explicit(&nr->has_pending, memory_order_acquire))
        return 0;
    return take_with(nr, apply, arg);
}

/* A set waits for the source or for an open node fused after it: nodes
 * this thread runs, and between two messages while it waits. */
static int chain_pending(const node_rt *nr)
{
    for (const node_rt *d = nr; d; d = d->next)
        if ((d == nr || d->c.open) && atomic_load_explicit(&d->has_pending, memory_order_relaxed))
            return 1;
    return 0;
}

/* The pacer's stop test, also true while a set waits: the wait ends to take it. */
static int pace_break(void *arg)
{
    node_rt *nr = arg;
    return stopping(nr) || chain_pending(nr);
}

/* The thread is idle until the message is due: a change for the source,
 * or for a transformer or sink fused after it, is taken at the pacer's next
 * look (at most 50 ms away), so that `set` answers — a refusal with its
 * message — even when messages are seconds apart, and the change is in the
 * next message (a check before the wait would leave it for the one after). */
int ezc_node_ctx_pace(ezc_node_ctx *nr, ezc_pacer *p, int64_t samples, ezc_node_settings_fn apply,
                      void *arg)
{
    int rc;
    while ((rc = ezc_pacer_wait(p, samples, pace_break, nr)) && !stopping(nr)) {
        ezc_node_ctx_settings(nr, apply, arg);
        for (node_rt *d = nr->next; d; d = d->next)
            if (d->c.open && atomic_load_explicit(&d->has_pending, memory_order_acquire))
                take_settings(d);
    } /* then the rest of the wait */
    return rc;
}

/* Opens what a transformer or sink node needs (its transformer, the
 * sink's state: a recording file); closed by consumer_close. */
static int consumer_open(node_rt *nr, ezc_error *err)
{
    consumer *c = &nr->c;
    memset(c, 0, sizeof *c);
    if (!(c->s = node_settings(nr, err)))
        return EZC_ENOMEM;
    int rc = 0;
    if (!nr->n->ttype && ezc_settings_validate(c->s, nr->n->kind->settings, nr->n->type, err))
        rc = EZC_EINVAL;
    else if (nr->n->ttype && !(c->t = ezc_transformer_new(nr->n->ttype, c->s, err)))
        rc = err->code ? err->code : EZC_EINVAL;
    else if (!nr->n->ttype && (c->ops = nr->n->kind->ops) && c->ops->open)
        rc = c->ops->open(nr, c->s, &c->state, err);
    if (rc) {
        ezc_transformer_destroy(&c->t);
        ezc_settings_destroy(&c->s);
        return rc;
    }
    c->open = 1;
    return 0;
}

static int consumer_close(node_rt *nr, ezc_error *err)
{
    consumer *c = &nr->c;
    int rc = 0;
    if (!c->open)
        return 0;
    ezc_transformer_destroy(&c->t);
    if (c->ops && c->ops->close && c->ops->close(c->state, err))
        rc = err->code ? err->code : EZC_EIO;
    c->state = NULL;
    ezc_settings_destroy(&c->s);
    c->open = 0;
    return rc;
}

static void fused_deliver(node_rt *nr, ezc_array *a);

/* a on its way from nr into its fused downstream node, stamped as an edge's
 * publisher stamps: its own numbering. */
static void fused_stamp(node_rt *nr, ezc_array *a)
{
    a->src = (uint64_t)nr->index + 1;
    a->seq = nr->fused_seq++;
    a->ts_ns = wall_ns();
    nr->next->t0_ns = nr->t0_ns;
    nr->next->in_src = nr->in_src;
    nr->next->in_seq = nr->in_seq;
    nr->next->have_in = nr->have_in;
    nr->next->in_lost = nr->in_lost;
}

/* Hands a node's output on: into a fused downstream chain, or a send on
 * every publisher. Takes a. */
static int forward(node_rt *nr, ezc_array *a, ezc_error *err)
{
    if (nr->next) {
        fused_stamp(nr, a);
        fused_deliver(nr->next, a);
        return 0;
    }
    int rc = send_all(nr, a, err);
    ezc_array_destroy(&a);
    return rc;
}

/* ---- the in-band "settings" port (docs/control.md, "In-band settings") ---- */

#define SETTINGS_VALUE_MAX 4096 /* as a control "set": bytes of one value's text */

/* The names and values a settings message carries: its attrs
 * EZC_GRAPH_SETTINGS_ATTR, a msgpack map of name -> text (hostile: every
 * length checked). Copies into *names / *values (n each; free both). */
static int settings_parse(const ezc_array *in, char ***names, char ***values, uint32_t *n,
                          ezc_error *err)
{
    const ezc_attr *a = ezc_array_attr(in, EZC_GRAPH_SETTINGS_ATTR);
    mp_cursor cur;
    *names = *values = NULL;
    *n = 0;
    if (a && a->type == EZC_ATTR_RAW)
        mp_init(&cur, a->v.raw.ptr, a->v.raw.len);
    uint32_t k = 0;
    if (!a || a->type != EZC_ATTR_RAW || mp_peek(&cur) != MP_MAP || mp_read_map(&cur, &k) ||
        k == 0 || k > EZC_CONTROL_SETTINGS_MAX)
        return ezc_error_set(err, EZC_EINVAL,
                             "settings port: expected attrs \"%s\": a map of 1 to %d setting "
                             "names -> text",
                             EZC_GRAPH_SETTINGS_ATTR, EZC_CONTROL_SETTINGS_MAX);
    if (!(*names = calloc(k, sizeof **names)) || !(*values = calloc(k, sizeof **values)))
        return ezc_error_set(err, EZC_ENOMEM, "settings port: out of memory");
    for (uint32_t i = 0; i < k; i++) {
        const char *ks, *vs;
        uint32_t kl, vl;
        if (mp_peek(&cur) != MP_STR || mp_read_str(&cur, &ks, &kl) || mp_peek(&cur) != MP_STR ||
            mp_read_str(&cur, &vs, &vl) || !kl || kl >= EZC_NAME_MAX || memchr(ks, 0, kl) ||
            vl >= SETTINGS_VALUE_MAX || memchr(vs, 0, vl))
            return ezc_error_set(err, EZC_EINVAL,
                                 "settings port: \"%s\": entry %u: expected a setting's name "
                                 "(under %d bytes) -> its text (under %d bytes), no NUL",
                                 EZC_GRAPH_SETTINGS_ATTR, i, EZC_NAME_MAX, SETTINGS_VALUE_MAX);
        (*names)[i] = strndup(ks, kl);
        (*values)[i] = strndup(vs, vl);
        *n = i + 1;
        if (!(*names)[i] || !(*values)[i])
            return ezc_error_set(err, EZC_ENOMEM, "settings port: out of memory");
    }
    return 0;
}

/* A message on the node's settings port, taken by the node's own thread
 * between two messages: checked as `ezc set` checks a change (schema,
 * trial instance), then applied at once (the update hook keeps the state
 * where it can). Refused: counted as an error and logged, the old
 * settings stay. Takes in. */
static void settings_message(node_rt *nr, ezc_array *in)
{
    ezc_error err;
    ezc_error_clear(&err);
    char **names = NULL, **values = NULL;
    uint32_t n = 0;
    int rc = settings_parse(in, &names, &values, &n, &err);
    ezc_array_destroy(&in);
    if (!rc)
        rc = ezc_graph_runtime_set(nr->rt, nr->n->name, (const char *const *)names,
                                   (const char *const *)values, n, 0, NULL, &err);
    if (!rc) {
        take_settings(nr); /* this thread runs the node: no need to wait for a message */
        if ((rc = atomic_load(&nr->applied_rc))) {
            pthread_mutex_lock(&nr->lock);
            ezc_error_set(&err, EZC_EINVAL, "node '%s': %s", nr->n->name, nr->set_error);
            pthread_mutex_unlock(&nr->lock);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        free(names[i]);
        free(values[i]);
    }
    free(names);
    free(values);
    if (rc) {
        ezc_error_prefix(&err, "settings port");
        count_error(nr, &err, &nr->c.logged, rc);
    }
}

/* One input message through the node: counters, the transformer (or the
 * sink's consume hook). Takes in; *out is what it hands on (NULL: nothing).
 * Per-message errors are counted; a non-zero return is the node's own
 * failure (its loop restarts). */
static int consumer_work(node_rt *nr, ezc_array *in, int port, ezc_array **out, ezc_error *err)
{
    consumer *c = &nr->c;
    *out = NULL;
    if (atomic_load_explicit(&nr->has_pending, memory_order_acquire))
        take_settings(nr);
    uint64_t k = bump(&nr->messages, 1);
    bump(&nr->bytes, data_bytes(in));
    if (port == EZC_GRAPH_SETTINGS_PORT) { /* never seen by the transformer */
        settings_message(nr, in);
        return 0;
    }
    note_latency(nr, in);
    ezc_array *res = in;
    if (c->t) {
        ezc_error perr;
        if (!(in = on_device(nr, in, &perr))) {
            count_error(nr, &perr, &c->logged, perr.code ? perr.code : EZC_EDEVICE);
            return 0;
        }
        res = NULL;
        /* A copy-on-write of data that came through shared memory goes
         * straight into the slot of the first output (ezc_pub_cow_buffer). */
        if (nr->nouts)
            ezc_array_cow_target(ezc_pub_cow_buffer, nr->outs[0].pub);
        int prc = ezc_transformer_process(c->t, port, in, &res, &perr);
        ezc_array_cow_target(NULL, NULL);
        if (prc) {
            count_error(nr, &perr, &c->logged, prc);
            return 0;
        }
    } else if (c->ops && c->ops->consume) {
        int rc = c->ops->consume(c->state, nr, res, k, err);
        if (rc) { /* the sink cannot go on */
            ezc_array_destroy(&res);
            return rc;
        }
    }
    *out = res; /* a sink's input goes on to its outputs (publish), if any */
    return 0;
}

/* consumer_work, then its output on. */
static int consumer_step(node_rt *nr, ezc_array *in, int port, ezc_error *err)
{
    ezc_array *res = NULL;
    int rc = consumer_work(nr, in, port, &res, err);
    return rc || !res ? rc : forward(nr, res, err); /* no output: this step ends here */
}

/* A node fused into its upstream's thread failed: closed, then reopened
 * at its next message after its backoff (restart policy), or failed for
 * good. Its upstream goes on; the message in hand is lost, as a message in
 * flight is when a thread of its own fails. */
static void fused_fail(node_rt *nr, const ezc_error *e)
{
    ezc_error cerr;
    consumer_close(nr, &cerr);
    atomic_store(&nr->running, 0);
    set_error(nr, e->msg);
    ezc_log(EZC_LOG_ERROR, "node %s failed: %s", nr->n->name, e->msg);
    if (nr->n->restart == EZC_RESTART_NEVER) {
        atomic_store(&nr->failed, 1);
        atomic_store(&nr->rt->any_failed, 1);
        return;
    }
    nr->backoff_ms =
        ezc_restart_policy_next(&ezc_restart_backoff, nr->backoff_ms, mono_ms() - nr->opened_ms);
    nap(nr, nr->backoff_ms);
    atomic_fetch_add(&nr->restarts, 1);
}

/* A block edge without a socket: the downstream node runs in the caller's
 * thread, so the edge is lossless and in order by construction. A chain
 * of such nodes is walked in a loop, one node after the other, so its
 * length costs no stack (a recursion overflowed at 10,000 nodes). */
static void fused_deliver(node_rt *nr, ezc_array *a)
{
    while (nr && a) {
        if (atomic_load(&nr->failed) || stopping(nr)) {
            ezc_array_destroy(&a);
            return;
        }
        ezc_error err;
        ezc_error_clear(&err);
        ezc_array *res = NULL;
        int rc = 0;
        if (!nr->c.open) {
            nr->opened_ms = mono_ms();
            if (!(rc = consumer_open(nr, &err)))
                atomic_store(&nr->running, 1);
        }
        if (rc)
            ezc_array_destroy(&a);
        else
            rc = consumer_work(nr, a, nr->fused_port, &res, &err);
        if (!rc && res && !nr->next) { /* the chain ends here: its sockets */
            rc = send_all(nr, res, &err);
            ezc_array_destroy(&res);
        }
        if (rc) {
            fused_fail(nr, &err);
            return;
        }
        if (res)
            fused_stamp(nr, res);
        a = res;
        nr = nr->next;
    }
}

/* A node with a thread of its own: receive, step, until stopped. */
static int run_consumer(node_rt *nr, ezc_error *err)
{
    int rc = consumer_open(nr, err);
    while (!rc && !stopping(nr)) {
        if (inputs_done(nr)) { /* every message in: the end goes on */
            rc = end_stream(nr, err);
            break;
        }
        ezc_array *in = NULL;
        int port = 0;
        rc = next_input(nr, &in, &port, err);
        if (rc == EZC_ETIMEOUT) {
            rc = 0;
            continue;
        }
        if (!rc) {
            nr->t0_ns = attr_t0(in); /* arrived through a socket: its stamp */
            nr->in_src = in->src;
            nr->in_seq = in->seq;
            nr->have_in = 1;
            nr->in_lost = inputs_lost(nr);
            rc = consumer_step(nr, in, port, err);
        }
    }
    ezc_error cerr;
    if (consumer_close(nr, &cerr) && !rc) {
        *err = cerr;
        rc = cerr.code;
    }
    return rc;
}

static int run_once(node_rt *nr, ezc_error *err)
{
    if (nr->n->role != EZC_ROLE_SOURCE)
        return run_consumer(nr, err);
    ezc_settings *s = node_settings(nr, err); /* a live change survives a restart */
    if (!s)
        return EZC_ENOMEM;
    int rc = ezc_settings_validate(s, nr->n->kind->settings, nr->n->type, err)
                 ? EZC_EINVAL
                 : nr->n->kind->ops->run(nr, s, err);
    ezc_settings_destroy(&s);
    return rc;
}

static void *node_main(void *arg)
{
    node_rt *nr = arg;
    int backoff = 0;
    if (!pthread_getcpuclockid(pthread_self(), &nr->cpu_clock))
        atomic_store(&nr->cpu_known, 1);
    for (;;) {
        ezc_error err;
        ezc_error_clear(&err);
        int64_t started = mono_ms();
        atomic_store(&nr->running, 1);
        int rc = run_once(nr, &err);
        atomic_store(&nr->running, 0);
        if (stopping(nr) || (rc == 0 && atomic_load(&nr->ended)))
            break;
        if (rc) {
            set_error(nr, err.msg);
            ezc_log(EZC_LOG_ERROR, "node %s failed: %s", nr->n->name, err.msg);
        }
        ezc_restart r = nr->n->restart;
        if ((rc == 0 && r != EZC_RESTART_ALWAYS) || (rc && r == EZC_RESTART_NEVER)) {
            if (rc) {
                atomic_store(&nr->failed, 1);
                atomic_store(&nr->rt->any_failed, 1);
            }
            break;
        }
        backoff = ezc_restart_policy_next(&ezc_restart_backoff, backoff, mono_ms() - started);
        nap(nr, backoff);
        atomic_fetch_add(&nr->restarts, 1);
    }
    for (node_rt *d = nr->next; d; d = d->next) { /* the nodes this thread ran */
        ezc_error cerr;
        if (consumer_close(d, &cerr)) {
            set_error(d, cerr.msg);
            ezc_log(EZC_LOG_ERROR, "node %s: %s", d->n->name, cerr.msg);
        }
        atomic_store(&d->running, 0);
    }
    return NULL;
}

/* ---- restarts ---- */

const ezc_restart_policy ezc_restart_backoff = {EZC_RESTART_INITIAL_MS, EZC_RESTART_MAX_MS,
                                                EZC_RESTART_RESET_MS};

int ezc_restart_policy_next(const ezc_restart_policy *p, int prev_ms, int64_t lived_ms)
{
    if (prev_ms <= 0 || lived_ms >= p->reset_ms)
        return p->initial_ms;
    return prev_ms < p->max_ms / 2 ? prev_ms * 2 : p->max_ms;
}

/* ---- setup ---- */

static int in_group(const ezc_graph_node *n, const char *group)
{
    return !group || !strcmp(ezc_graph_node_group(n), group);
}

static void edge_endpoint(const ezc_graph *g, const ezc_graph_edge *e, unsigned serial,
                          const char *ipc_dir, char *buf, size_t cap)
{
    size_t i = (size_t)(e - g->edges);
    const char *from = ezc_graph_node_group(&g->nodes[e->from]);
    const char *to = ezc_graph_node_group(&g->nodes[e->to]);
    const ezc_graph_host *hf = ezc_graph_group_host(g, from), *ht = ezc_graph_group_host(g, to);
    if (!strcmp(from, to))
        snprintf(buf, cap, "inproc://ezc-graph-%d-%u/e%zu", (int)getpid(), serial, i);
    else if (hf && ht && hf != ht) /* bound by the upstream host, on its address */
        snprintf(buf, cap, "tcp://%s:%zu", hf->address, (size_t)hf->port + i);
    else
        snprintf(buf, cap, "ipc://%s/e%zu", ipc_dir ? ipc_dir : "/tmp", i);
}

/* A publisher id that is the same in every run of this graph file (and in
 * a restarted process group): FNV-1a of the file name and what publishes.
 * A restarted node's downstream then sees the same stream starting over,
 * which subscribers count as a gap (sub.h), instead of a new stream. */
static uint64_t stable_id(const ezc_graph *g, const char *what)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = g->file ? g->file : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
    for (const char *p = what; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h ? h : 1;
}

static int add_out(node_rt *nr, const char *endpoint, const char *topic, int lossy, int wait_sub,
                   int short_timeout, int outside, uint64_t id, ezc_error *err)
{
    out_pub *no = realloc(nr->outs, (size_t)(nr->nouts + 1) * sizeof *no);
    if (!no)
        return ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
    nr->outs = no;
    out_pub *o = &nr->outs[nr->nouts];
    memset(o, 0, sizeof *o);
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.lossy = lossy;
    po.id = id;
    ezc_graph_security_pub(nr->rt->g, outside, &po); /* CURVE on tcp://; outside: stall limit */
    if (short_timeout)
        po.send_timeout_ms = POLL_MS;
    /* What leaves the graph is a stream named GRAPH/NODE (`ezc ls`, `ezc echo
     * GRAPH/NODE`). A name another run of the same file holds already (two
     * hosts of one graph on one machine) leaves this one unnamed, said once. */
    char graph[EZC_CONTROL_NAME_MAX], name[EZC_CONTROL_NAME_MAX + EZC_NAME_MAX + 2];
    ezc_graph_name(nr->rt->g, graph, sizeof graph); /* its name:, else the file's */
    snprintf(name, sizeof name, "%s/%s", graph, nr->n->name);
    if (outside && ezc_names_check(name, NULL) == 0) {
        po.name = name;
        po.graph = graph;
        ezc_error nerr = {0, ""};
        if ((o->pub = ezc_pub_new(endpoint, &po, &nerr)))
            goto bound;
        ezc_log(EZC_LOG_WARN, "node %s: output not named '%s' (%s)", nr->n->name, name, nerr.msg);
        po.name = po.graph = NULL;
    }
    if (!(o->pub = ezc_pub_new(endpoint, &po, err)))
        return ezc_error_prefix(err, "node '%s'", nr->n->name);
bound:
    snprintf(o->topic, sizeof o->topic, "%s", topic);
    if (nr->rt->resume) /* a full file (it never is: sized for the graph): numbering from 0 */
        o->slot = ezc_graph_resume_slot(nr->rt->resume, id, &o->resume);
    o->wait_sub = wait_sub;
    nr->nouts++;
    return 0;
}

int ezc_node_ctx_add_output(ezc_node_ctx *nr, const char *endpoint, const char *topic, int lossy,
                            int keep_empty, ezc_error *err)
{
    char what[160];
    snprintf(what, sizeof what, "%s %s", nr->n->kind->name, nr->n->name);
    int rc = add_out(nr, endpoint, topic, lossy, 0, 1, 1, stable_id(nr->g, what), err);
    if (!rc) {
        nr->outs[nr->nouts - 1].drop_empty = !keep_empty;
        nr->out_kind = nr->nouts;
    }
    return rc;
}

int ezc_node_ctx_output_update(ezc_node_ctx *nr, int lossy, int keep_empty, ezc_error *err)
{
    if (!nr->out_kind)
        return ezc_error_set(err, EZC_EINVAL, "%s: no publisher of its own", nr->n->type);
    out_pub *o = &nr->outs[nr->out_kind - 1];
    if (ezc_pub_set_lossy(o->pub, lossy, err))
        return err->code;
    o->drop_empty = !keep_empty;
    return 0;
}

static int add_in(node_rt *nr, const char *endpoint, const char *topic, int port, ezc_queue q,
                  int cap, ezc_error *err)
{
    if (!strncmp(endpoint, "ipc://", 6) || !strncmp(endpoint, "tcp://", 6))
        nr->remote_in = 1;
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    ezc_graph_security_sub(nr->rt->g, &so); /* CURVE for tcp:// endpoints */
    if (!nr->sub && !(nr->sub = ezc_sub_new(endpoint, "", &so, err)))
        return ezc_error_prefix(err, "node '%s'", nr->n->name);
    else if (nr->nins && ezc_sub_connect(nr->sub, endpoint, err))
        return ezc_error_prefix(err, "node '%s'", nr->n->name);
    in_edge *ni = realloc(nr->ins, (size_t)(nr->nins + 1) * sizeof *ni);
    if (!ni)
        return ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
    nr->ins = ni;
    in_edge *e = &nr->ins[nr->nins++];
    memset(e, 0, sizeof *e);
    snprintf(e->topic, sizeof e->topic, "%s", topic);
    e->port = port < 0 ? 0 : port;
    e->queue = q;
    e->cap = q == EZC_QUEUE_CONFLATE ? 1 : cap > 0 ? cap : 16;
    if (q == EZC_QUEUE_CONFLATE || q == EZC_QUEUE_DROP_OLDEST)
        if (!(e->ring = calloc((size_t)e->cap, sizeof *e->ring)))
            return ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
    return 0;
}

static node_rt *find_rt(ezc_graph_runtime *rt, int node)
{
    for (size_t i = 0; i < rt->n; i++)
        if (rt->nodes[i].index == node)
            return &rt->nodes[i];
    return NULL;
}

/* Publishers first (edges this group sends on, outputs, publish sinks),
 * then subscribers, so that every inproc connect finds its bind. */
static int wire(ezc_graph_runtime *rt, const ezc_graph_run_options *o, unsigned serial,
                ezc_error *err)
{
    const ezc_graph *g = rt->g;
    char ep[512], topic[32];
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        node_rt *up = find_rt(rt, e->from);
        if (!up || ezc_graph_edge_fused(g, i))
            continue;
        edge_endpoint(g, e, serial, o->ipc_dir, ep, sizeof ep);
        snprintf(topic, sizeof topic, "e%zu", i);
        int rc =
            add_out(up, ep, topic, e->queue != EZC_QUEUE_BLOCK, 1, 1, 0, stable_id(g, topic), err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < g->noutputs; i++) {
        const ezc_graph_io *io = &g->outputs[i];
        node_rt *up = find_rt(rt, io->node);
        char what[160];
        snprintf(what, sizeof what, "output %s", io->name);
        if (up && add_out(up, io->endpoint, io->topic ? io->topic : io->name,
                          io->queue == EZC_QUEUE_DROP_NEWEST, 0, 1, 1, stable_id(g, what), err))
            return err->code;
        if (up)
            up->outs[up->nouts - 1].drop_empty = 1;
    }
    for (size_t i = 0; i < rt->n; i++) { /* kinds that bind for the outside: publish */
        node_rt *nr = &rt->nodes[i];
        const ezc_node_kind *k = nr->n->kind;
        if (!k || !k->ops || !k->ops->wire)
            continue;
        ezc_settings *s = ezc_graph_node_settings(g, nr->n, err);
        int rc = s ? ezc_settings_validate(s, k->settings, k->name, err) : EZC_ENOMEM;
        if (!rc)
            rc = k->ops->wire(nr, s, err);
        ezc_settings_destroy(&s);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        node_rt *down = find_rt(rt, e->to);
        if (!down || ezc_graph_edge_fused(g, i))
            continue;
        edge_endpoint(g, e, serial, o->ipc_dir, ep, sizeof ep);
        snprintf(topic, sizeof topic, "e%zu", i);
        int rc = add_in(down, ep, topic, e->to_port_index, e->queue, e->queue_size, err);
        if (rc)
            return rc;
    }
    /* Outside publishers: their topics are theirs, matched by prefix. */
    for (size_t i = 0; i < g->ninputs; i++) {
        const ezc_graph_io *io = &g->inputs[i];
        node_rt *down = find_rt(rt, io->node);
        if (!down)
            continue;
        int rc = add_in(down, io->endpoint, io->topic ? io->topic : "", io->port_index,
                        EZC_QUEUE_BLOCK, 0, err);
        if (rc)
            return rc;
        down->ins[down->nins - 1].prefix = 1;
    }
    return 0;
}

ezc_graph_runtime *ezc_graph_runtime_start(const ezc_graph *g, const ezc_graph_run_options *opt,
                                           ezc_error *err)
{
    ezc_graph_run_options o = {0};
    if (opt)
        o = *opt;
    if (g->nerrors || !g->checked) {
        ezc_error_set(err, EZC_EINVAL, "%s: the graph has not passed its checks", g->file);
        return NULL;
    }
    ezc_graph_runtime *rt = calloc(1, sizeof *rt);
    if (!rt || !(rt->nodes = calloc(g->nnodes + 1, sizeof *rt->nodes))) {
        free(rt);
        ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
        return NULL;
    }
    rt->g = g;
    for (size_t i = 0; i < g->nnodes; i++) {
        if (!in_group(&g->nodes[i], o.group))
            continue;
        node_rt *nr = &rt->nodes[rt->n++];
        nr->rt = rt;
        nr->g = g;
        nr->n = &g->nodes[i];
        nr->index = (int)i;
        pthread_mutex_init(&nr->lock, NULL);
        ezc_cond_init_monotonic(&nr->applied_cond);
        /* Device backends load from configuration, here, never because of a
         * message (a cuda_ipc header cannot make us dlopen anything). A
         * failure shows on the node's first message, naming the device. */
        if (nr->n->device)
            (void)ezc_xp_for(nr->n->dev, NULL);
    }
    for (size_t i = 0; i < g->nedges; i++) {
        node_rt *up = find_rt(rt, g->edges[i].from), *down = find_rt(rt, g->edges[i].to);
        if (up && down && ezc_graph_edge_fused(g, i)) {
            up->next = down;
            down->fused_in = 1;
            down->fused_port = g->edges[i].to_port_index < 0 ? 0 : g->edges[i].to_port_index;
        }
    }
    if (!rt->n) {
        ezc_error_set(err, EZC_EINVAL, "%s: no node in process group '%s'", g->file,
                      o.group ? o.group : "main");
        ezc_graph_runtime_stop(&rt, NULL);
        return NULL;
    }
    size_t npubs = g->nedges + g->noutputs + g->nnodes; /* at most, of any group */
    if (o.resume_path && !(rt->resume = ezc_graph_resume_open(o.resume_path, npubs, err))) {
        ezc_graph_runtime_stop(&rt, NULL);
        return NULL;
    }
    unsigned serial = atomic_fetch_add(&runtime_serial, 1);
    if (wire(rt, &o, serial, err)) {
        ezc_graph_runtime_stop(&rt, NULL);
        return NULL;
    }
    for (size_t i = 0; i < rt->n; i++) {
        node_rt *nr = &rt->nodes[i];
        if (nr->fused_in)
            continue;
        if (pthread_create(&nr->thread, NULL, node_main, nr)) {
            ezc_error_set(err, EZC_EIO, "node '%s': cannot start a thread", nr->n->name);
            ezc_graph_runtime_stop(&rt, NULL);
            return NULL;
        }
        nr->started = 1;
    }
    return rt;
}

void ezc_graph_runtime_halt(ezc_graph_runtime *rt)
{
    atomic_store(&rt->stop, 1);
    for (size_t i = 0; i < rt->n; i++)
        if (rt->nodes[i].started) {
            pthread_join(rt->nodes[i].thread, NULL);
            rt->nodes[i].started = 0;
        }
}

int ezc_graph_runtime_stop(ezc_graph_runtime **rtp, ezc_error *err)
{
    if (!rtp || !*rtp)
        return 0;
    ezc_graph_runtime *rt = *rtp;
    int rc = 0;
    ezc_graph_runtime_halt(rt);
    for (size_t i = 0; i < rt->n; i++) {
        node_rt *nr = &rt->nodes[i];
        if (nr->failed && !rc)
            rc = ezc_error_set(err, EZC_EIO, "node '%s' failed: %s", nr->n->name, nr->last_error);
        for (int k = 0; k < nr->nouts; k++) /* removes the ipc socket files it bound */
            ezc_pub_destroy(&nr->outs[k].pub);
        free(nr->outs);
        for (int k = 0; k < nr->nins; k++) {
            for (int j = 0; nr->ins[k].ring && j < nr->ins[k].cap; j++)
                ezc_array_destroy(&nr->ins[k].ring[j]);
            free(nr->ins[k].ring);
        }
        free(nr->ins);
        ezc_array_destroy(&nr->held);
        ezc_sub_destroy(&nr->sub);
        ezc_settings_destroy(&nr->live);
        ezc_settings_destroy(&nr->pending);
        pthread_cond_destroy(&nr->applied_cond);
        pthread_mutex_destroy(&nr->lock);
    }
    free(rt->nodes);
    ezc_graph_resume_close(&rt->resume);
    free(rt);
    *rtp = NULL;
    return rc;
}

size_t ezc_graph_runtime_count(const ezc_graph_runtime *rt)
{
    return rt->n;
}

int ezc_graph_runtime_failed(const ezc_graph_runtime *rt)
{
    return atomic_load(&rt->any_failed);
}

int ezc_graph_runtime_ended(const ezc_graph_runtime *rt)
{
    for (size_t i = 0; i < rt->n; i++)
        if (!atomic_load(&rt->nodes[i].ended))
            return 0;
    return rt->n > 0;
}

void ezc_graph_runtime_stats(ezc_graph_runtime *rt, size_t i, ezc_graph_node_stats *out)
{
    memset(out, 0, sizeof *out);
    if (i >= rt->n)
        return;
    node_rt *nr = &rt->nodes[i];
    out->name = nr->n->name;
    out->running = atomic_load(&nr->running);
    out->messages = atomic_load(&nr->messages);
    out->bytes = atomic_load(&nr->bytes);
    out->errors = atomic_load(&nr->errors);
    out->restarts = atomic_load(&nr->restarts);
    out->failed = atomic_load(&nr->failed);
    out->ended = atomic_load(&nr->ended);
    out->drops = atomic_load(&nr->qdrops);
    out->behind = atomic_load(&nr->behind);
    /* Sequence gaps are counted by the subscriber, owned by the node's
     * thread; its counters are plain words read here without a lock: a
     * display value that may lag by one message. The lock keeps a
     * subscriber replaced live (a `subscribe` source's new endpoint) from
     * being closed meanwhile. */
    pthread_mutex_lock(&nr->lock);
    out->drops += atomic_load_explicit(&nr->gaps_closed, memory_order_relaxed);
    if (nr->sub) {
        ezc_sub_stats st;
        ezc_sub_stats_get(nr->sub, &st);
        out->drops += st.gaps;
        if (nr->remote_in) /* read as the counters are: it may lag a message */
            snprintf(out->in_path, sizeof out->in_path, "%s", ezc_sub_path(nr->sub));
    }
    pthread_mutex_unlock(&nr->lock);
    uint32_t lat[EZC_GRAPH_LATENCY_WINDOW];
    size_t nlat;
    pthread_mutex_lock(&nr->lock);
    memcpy(out->last_error, nr->last_error, sizeof out->last_error);
    nlat = nr->nlat;
    memcpy(lat, nr->lat, nlat * sizeof *lat);
    pthread_mutex_unlock(&nr->lock);
    out->latency_p50_us = out->latency_p99_us = -1;
    out->cpu_s = -1;
    struct timespec cpu;
    if (atomic_load(&nr->cpu_known) && nr->started && !clock_gettime(nr->cpu_clock, &cpu))
        out->cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec * 1e-9;
    if (nlat) {
        qsort(lat, nlat, sizeof *lat, cmp_u32);
        out->latency_p50_us = lat[nlat / 2];
        out->latency_p99_us = lat[(nlat * 99) / 100 < nlat ? (nlat * 99) / 100 : nlat - 1];
    }
}

/* ---- live settings ---- */

/* Waits for the node's thread to take change gen: woken by take_with the
 * moment it is taken (a poll here would cost the node's thread a core on a
 * busy host while the change waits), in slices that see a stop. */
static int set_wait(node_rt *nr, uint64_t gen, int wait_ms, ezc_graph_set_result *res,
                    ezc_error *err)
{
    int64_t end_ns = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000;
    pthread_mutex_lock(&nr->lock);
    while (atomic_load_explicit(&nr->applied_gen, memory_order_acquire) < gen) {
        int64_t left = end_ns - ezc_clock_ns(CLOCK_MONOTONIC);
        if (left <= 0 || stopping(nr)) {
            pthread_mutex_unlock(&nr->lock);
            return 0; /* taken with the node's next message */
        }
        int ms = left < (int64_t)POLL_MS * 1000000 ? (int)((left + 999999) / 1000000) : POLL_MS;
        struct timespec ts = ezc_deadline_ms(ms);
        pthread_cond_timedwait(&nr->applied_cond, &nr->lock, &ts);
    }
    res->applied = 1;
    res->kept = atomic_load(&nr->applied_kept);
    int rc = 0;
    if (atomic_load(&nr->applied_rc)) {
        rc = ezc_error_set(err, EZC_EINVAL, "%s", nr->set_error);
        ezc_error_prefix(err, "node '%s'", nr->n->name);
    }
    pthread_mutex_unlock(&nr->lock);
    return rc;
}

int ezc_graph_runtime_set(ezc_graph_runtime *rt, const char *node, const char *const *names,
                          const char *const *values, size_t n, int wait_ms,
                          ezc_graph_set_result *res, ezc_error *err)
{
    ezc_graph_set_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    node_rt *nr = NULL;
    for (size_t i = 0; i < rt->n && !nr; i++)
        if (!strcmp(rt->nodes[i].n->name, node))
            nr = &rt->nodes[i];
    if (!nr)
        return ezc_error_set(err, EZC_ENOTFOUND, "no node '%s' in %s", node, rt->g->file);
    const ezc_node_kind *kind = nr->n->ttype ? NULL : nr->n->kind;
    if (!nr->n->ttype && !(kind && kind->ops && (kind->ops->live || kind->ops->update)))
        return ezc_error_set(err, EZC_EINVAL,
                             "node '%s' is a %s (%s) that takes no live settings: restart the "
                             "graph with new ones",
                             node, nr->n->role == EZC_ROLE_SOURCE ? "source" : "sink", nr->n->type);
    if (atomic_load(&nr->ended) || atomic_load(&nr->failed))
        return ezc_error_set(err, EZC_EINVAL, "node '%s' has %s: nothing to change", node,
                             atomic_load(&nr->failed) ? "failed" : "ended");
    /* The whole set: the one in force (or waiting) with the changes on top. */
    pthread_mutex_lock(&nr->lock);
    ezc_settings *base = nr->pending ? nr->pending : nr->live;
    ezc_settings *s = base ? ezc_settings_copy(base, err) : NULL;
    pthread_mutex_unlock(&nr->lock);
    if (!s && !base)
        s = ezc_graph_node_settings(rt->g, nr->n, err);
    if (!s)
        return err->code ? err->code : EZC_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = ezc_settings_set(s, names[i], values[i], NULL, err);
    /* What `ezc validate` checks: the schema, then a trial instance (init
     * refuses what the schema cannot say), with its messages. A source's
     * own hook refuses the rest when it takes them. */
    if (kind && !rc) {
        rc = ezc_settings_validate(s, kind->settings, nr->n->type, err);
    } else {
        ezc_transformer *trial = rc ? NULL : ezc_transformer_new(nr->n->ttype, s, err);
        if (!rc && !trial && err->code != EZC_EDEVICE)
            rc = err->code ? err->code : EZC_EINVAL;
        ezc_transformer_destroy(&trial);
    }
    if (rc) {
        ezc_settings_destroy(&s);
        if (rc != EZC_EINVAL)
            return rc;
        ezc_error_prefix(err, "node '%s'", node);
        for (size_t i = 0; i < n; i++) { /* an unknown name: as `ezc validate` says it */
            const ezc_setting_spec *p = kind ? kind->settings : nr->n->ttype->settings;
            while (p && p->name && strcmp(p->name, names[i]))
                p++;
            if (!p || !p->name) {
                size_t len = strlen(err->msg);
                snprintf(err->msg + len, sizeof err->msg - len, "; `ezc list %s` shows them",
                         nr->n->type);
                break;
            }
        }
        return rc;
    }
    pthread_mutex_lock(&nr->lock);
    ezc_settings_destroy(&nr->pending);
    nr->pending = s;
    uint64_t gen = atomic_load(&nr->set_gen) + 1;
    atomic_store(&nr->set_gen, gen);
    atomic_store_explicit(&nr->has_pending, 1, memory_order_release);
    pthread_mutex_unlock(&nr->lock);
    return set_wait(nr, gen, wait_ms, res, err);
}
