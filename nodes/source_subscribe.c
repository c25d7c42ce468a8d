/* source_subscribe.c — the `subscribe` source: an outside publisher's
 * messages, passed on. Its subscriber is the node's (kept across
 * restarts), so its sequence gaps show as the node's drops; a message
 * without a source stamp gets one on arrival. The publisher is given by
 * `endpoint` or by `stream`, a name looked up on this host when the node
 * starts (ezc/names.h).
 * Live (`ezc set`), a new endpoint, stream or topic moves the node to
 * another publisher between two messages: the new subscriber is made
 * first (refused, the old one stays), then what the old one holds already
 * goes on, then it is closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ezc/graph_run.h"
#include "ezc/log.h"
#include "ezc/names.h"
#include "ezc/sub.h"
#include "node_kind.h"

#define POLL_MS 100
#define DRAIN_MAX 100000 /* messages of the old publisher passed on at a move, at most */

static const ezc_setting_spec settings[] = {
    {"endpoint", EZC_SETTING_STRING, NULL, "an outside publisher to connect to (or: stream)", 0,
     NULL},
    {"stream", EZC_SETTING_STRING, NULL,
     "a stream name on this host (ezc ls) instead of an endpoint: emg/envelope", 0, NULL},
    {"stream_wait_ms", EZC_SETTING_INT, "5000",
     "how long to wait at start for the stream's publisher to appear", 0, NULL},
    {"topic", EZC_SETTING_STRING, "", "topic prefix (default: every topic)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

/* endpoint and stream as given: "" is not given (a live change to the
 * other one sets this one to ""). */
static void where_read(const ezc_settings *s, const char **endpoint, const char **stream)
{
    *endpoint = *stream = NULL;
    ezc_settings_get_string(s, "endpoint", endpoint);
    ezc_settings_get_string(s, "stream", stream);
    if (*endpoint && !**endpoint)
        *endpoint = NULL;
    if (*stream && !**stream)
        *stream = NULL;
}

/* The endpoint to connect to: the `endpoint` setting, or the one registered
 * for `stream`, waited for up to wait_ms (a graph may start before its
 * publisher); *si its entry (zeroed for an endpoint). */
static int subscribe_endpoint(const ezc_settings *s, int wait_ms, char *buf, size_t cap,
                              const char **out, ezc_stream_info *si, ezc_error *err)
{
    const char *endpoint, *stream;
    where_read(s, &endpoint, &stream);
    memset(si, 0, sizeof *si);
    if (!stream) {
        *out = endpoint;
        return 0;
    }
    int rc = ezc_names_wait(stream, wait_ms, si, err);
    if (rc)
        return ezc_error_prefix(err, "subscribe");
    snprintf(buf, cap, "%s", si->endpoint);
    *out = buf;
    return 0;
}

/* A graph of another host stamped its source time (t0) on its clock: onto
 * ours, as the subscriber maps ts, so that latency since the source holds
 * across hosts. */
static void to_local_t0(ezc_sub *sub, ezc_array *a)
{
    ezc_clock_estimate e;
    const ezc_attr *t0 = ezc_array_attr(a, EZC_GRAPH_T0_ATTR);
    if (t0 && t0->type == EZC_ATTR_INT && ezc_sub_clock(sub, &e, NULL, 0) == 0)
        ezc_array_attr_set_int(a, EZC_GRAPH_T0_ATTR, t0->v.i - e.offset_ns, NULL);
}

/* Another host's stream: its host's clock measured and the stamps mapped
 * onto ours (docs/pubsub.md "Clocks across hosts"); else nothing. */
static void track_clock(ezc_node_ctx *ctx, ezc_sub *sub, const ezc_stream_info *si)
{
    ezc_error e;
    if (sub && ezc_sub_clock_track(sub, si, 1, &e))
        ezc_log(EZC_LOG_WARN, "node '%s': stamps of '%s' stay on %s's clock: %s",
                ezc_node_ctx_name(ctx), si->name, si->host, e.msg);
}

/* What a live change compares with, and the subscriber it made. */
typedef struct sub_live {
    ezc_node_ctx *ctx;
    char *endpoint, *stream, *topic; /* in force (copies; NULL: not given) */
    ezc_sub *next;                   /* the new publisher's, for the loop to move to */
} sub_live;

static int same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static void live_free(sub_live *l)
{
    free(l->endpoint);
    free(l->stream);
    free(l->topic);
    l->endpoint = l->stream = l->topic = NULL;
    ezc_sub_destroy(&l->next);
}

static int live_keep(sub_live *l, const char *endpoint, const char *stream, const char *topic)
{
    char *e = endpoint ? strdup(endpoint) : NULL, *s = stream ? strdup(stream) : NULL;
    char *t = strdup(topic);
    if ((endpoint && !e) || (stream && !s) || !t) {
        free(e);
        free(s);
        free(t);
        return EZC_ENOMEM;
    }
    free(l->endpoint);
    free(l->stream);
    free(l->topic);
    l->endpoint = e, l->stream = s, l->topic = t;
    return 0;
}

static int sub_apply(void *arg, const ezc_settings *s, int *kept, ezc_error *err)
{
    sub_live *l = arg;
    const char *endpoint, *stream, *topic = "";
    where_read(s, &endpoint, &stream);
    ezc_settings_get_string(s, "topic", &topic);
    *kept = 1;
    if (!endpoint == !stream)
        return ezc_error_set(err, EZC_EINVAL, "subscribe: give one of 'endpoint' and 'stream'%s",
                             endpoint ? ", not both (set the other one to \"\")" : "");
    if (same(endpoint, l->endpoint) && same(stream, l->stream) && same(topic, l->topic))
        return 0; /* stream_wait_ms only: for the next start */
    ezc_error e;
    if (stream && ezc_names_check(stream, &e))
        return ezc_error_set(err, EZC_EINVAL, "subscribe: setting 'stream': %s", e.msg);
    char buf[512];
    const char *ep = NULL;
    ezc_stream_info si;
    if (subscribe_endpoint(s, 0, buf, sizeof buf, &ep, &si, err)) /* there now, or refused */
        return err->code;
    struct stat st; /* a path nothing serves: no publisher to move to */
    if (!strncmp(ep, "ipc://", 6) && ep[6] != '@' && (stat(ep + 6, &st) || !S_ISSOCK(st.st_mode)))
        return ezc_error_set(err, EZC_EINVAL,
                             "subscribe: setting 'endpoint' = '%s': no publisher is bound there "
                             "(no socket file)",
                             ep);
    ezc_sub *next = NULL;
    if (ezc_node_ctx_subscriber_new(l->ctx, ep, topic, &next, err))
        return ezc_error_prefix(err, "subscribe");
    track_clock(l->ctx, next, &si);
    if (live_keep(l, endpoint, stream, topic)) {
        ezc_sub_destroy(&next);
        return ezc_error_set(err, EZC_ENOMEM, "subscribe: out of memory");
    }
    ezc_sub_destroy(&l->next);
    l->next = next;
    ezc_log(EZC_LOG_INFO, "node %s: moving to %s", ezc_node_ctx_name(l->ctx), ep);
    return 0;
}

/* The move: what the old subscriber has received already goes on first
 * (a set taken between two messages loses none of the old stream's that
 * reached this host), then the new one is the node's. */
static int sub_move(sub_live *l, ezc_sub **sub, ezc_error *err)
{
    int rc = 0;
    for (int i = 0; i < DRAIN_MAX && !rc && !ezc_node_ctx_stopping(l->ctx); i++) {
        ezc_array *a = NULL;
        rc = ezc_sub_recv(*sub, &a, 0, err);
        if (rc == EZC_ETIMEOUT || rc == EZC_EEOS) { /* nothing more; an old end ends nothing */
            rc = 0;
            break;
        }
        if (!rc)
            rc = ezc_node_ctx_emit(l->ctx, a, 1, err);
    }
    *sub = l->next;
    ezc_node_ctx_resubscribe(l->ctx, &l->next);
    return rc;
}

static int subscribe_run(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    const char *endpoint = NULL, *stream = NULL, *topic = "";
    char resolved[512];
    int64_t wait_ms = 5000;
    ezc_settings_get_string(s, "topic", &topic);
    ezc_settings_get_int(s, "stream_wait_ms", &wait_ms);
    where_read(s, &endpoint, &stream);
    sub_live live = {ctx, NULL, NULL, NULL, NULL};
    if (live_keep(&live, endpoint, stream, topic))
        return ezc_error_set(err, EZC_ENOMEM, "node '%s': out of memory", ezc_node_ctx_name(ctx));
    ezc_sub *sub = NULL;
    ezc_stream_info si;
    int rc = subscribe_endpoint(s, wait_ms < 0 ? -1 : (int)wait_ms, resolved, sizeof resolved,
                                &endpoint, &si, err);
    if (rc)
        ezc_error_prefix(err, "node '%s'", ezc_node_ctx_name(ctx));
    if (!rc && !(rc = ezc_node_ctx_subscribe(ctx, endpoint, topic, &sub, err)))
        track_clock(ctx, sub, &si);
    if (!rc)
        rc = ezc_node_ctx_ready(ctx, err);
    while (!rc && !ezc_node_ctx_stopping(ctx)) {
        if (ezc_node_ctx_settings(ctx, sub_apply, &live) && live.next &&
            (rc = sub_move(&live, &sub, err)))
            break;
        ezc_array *a = NULL;
        rc = ezc_sub_recv(sub, &a, POLL_MS, err);
        if (rc == EZC_ETIMEOUT) {
            rc = 0;
            continue;
        }
        if (rc == EZC_EEOS) { /* the outside publisher ended its stream */
            rc = ezc_node_ctx_end(ctx, err);
            break;
        }
        if (rc)
            break;
        to_local_t0(sub, a);
        rc = ezc_node_ctx_emit(ctx, a, 1, err);
    }
    live_free(&live);
    return rc;
}

/* Exactly one of endpoint and stream; a stream a valid name. */
static void subscribe_check(ezc_graph *g, const ezc_graph_node *n, const ezc_settings *s)
{
    const char *endpoint, *stream;
    where_read(s, &endpoint, &stream);
    int line = n->settings_line ? n->settings_line : n->line;
    for (size_t k = 0; k < n->nsettings; k++)
        if (!strcmp(n->settings[k].name, "stream"))
            line = n->settings[k].line;
    ezc_error err;
    if (!endpoint == !stream)
        ezc_graph_error_add(g, line, "node '%s': subscribe: give one of 'endpoint' and 'stream'%s",
                            n->name, endpoint ? ", not both" : "");
    else if (stream && ezc_names_check(stream, &err))
        ezc_graph_error_add(g, line, "node '%s': subscribe: setting 'stream': %s", n->name,
                            err.msg);
}

static const ezc_node_kind_ops ops = {.run = subscribe_run, .check = subscribe_check, .live = 1};

const ezc_node_kind ezc_source_subscribe = {
    "subscribe", "source: an outside publisher's messages (connects; endpoint or stream name)",
    EZC_ROLE_SOURCE, settings, &ops};
