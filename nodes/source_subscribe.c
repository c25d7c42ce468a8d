/* source_subscribe.c — the `subscribe` source: an outside publisher's
 * messages, passed on. Its subscriber is the node's (kept across
 * restarts), so its sequence gaps show as the node's drops; a message
 * without a source stamp gets one on arrival. The publisher is given by
 * `endpoint` or by `stream`, a name looked up on this host when the node
 * starts (ezc/names.h). */
#include <stdio.h>
#include <string.h>
#include "ezc/names.h"
#include "ezc/sub.h"
#include "node_kind.h"

#define POLL_MS 100

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

/* The endpoint to connect to: the `endpoint` setting, or the one registered
 * for `stream` (waited for, so a graph may start before its publisher). */
static int subscribe_endpoint(ezc_node_ctx *ctx, const ezc_settings *s, char *buf, size_t cap,
                              const char **out, ezc_error *err)
{
    const char *endpoint = NULL, *stream = NULL;
    int64_t wait_ms = 5000;
    ezc_settings_get_string(s, "endpoint", &endpoint);
    ezc_settings_get_string(s, "stream", &stream);
    ezc_settings_get_int(s, "stream_wait_ms", &wait_ms);
    if (!stream) {
        *out = endpoint;
        return 0;
    }
    ezc_stream_info si;
    int rc = ezc_names_wait(stream, wait_ms < 0 ? -1 : (int)wait_ms, &si, err);
    if (rc) {
        ezc_error_prefix(err, "node '%s': subscribe", ezc_node_ctx_name(ctx));
        return rc;
    }
    snprintf(buf, cap, "%s", si.endpoint);
    *out = buf;
    return 0;
}

static int subscribe_run(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    const char *endpoint = NULL, *topic = "";
    char resolved[512];
    ezc_settings_get_string(s, "topic", &topic);
    ezc_sub *sub = NULL;
    int rc = subscribe_endpoint(ctx, s, resolved, sizeof resolved, &endpoint, err);
    if (!rc)
        rc = ezc_node_ctx_subscribe(ctx, endpoint, topic, &sub, err);
    if (!rc)
        rc = ezc_node_ctx_ready(ctx, err);
    while (!rc && !ezc_node_ctx_stopping(ctx)) {
        ezc_array *a = NULL;
        rc = ezc_sub_recv(sub, &a, POLL_MS, err);
        if (rc == EZC_ETIMEOUT) {
            rc = 0;
            continue;
        }
        if (rc == EZC_EEOS) /* the outside publisher ended its stream */
            return ezc_node_ctx_end(ctx, err);
        if (rc)
            break;
        rc = ezc_node_ctx_emit(ctx, a, 1, err);
    }
    return rc;
}

/* Exactly one of endpoint and stream; a stream a valid name. */
static void subscribe_check(ezc_graph *g, const ezc_graph_node *n, const ezc_settings *s)
{
    const char *endpoint = NULL, *stream = NULL;
    ezc_settings_get_string(s, "endpoint", &endpoint);
    ezc_settings_get_string(s, "stream", &stream);
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

static const ezc_node_kind_ops ops = {.run = subscribe_run, .check = subscribe_check};

const ezc_node_kind ezc_source_subscribe = {
    "subscribe", "source: an outside publisher's messages (connects; endpoint or stream name)",
    EZC_ROLE_SOURCE, settings, &ops};
