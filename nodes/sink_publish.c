/* sink_publish.c — the `publish` sink: its input published on an endpoint
 * for other programs. The runtime adds the publisher when it wires the
 * graph and sends what the node passes on; the node itself only keeps
 * which endpoint and topic that is, so that a live `ezc set` may change
 * how it sends (lossy, keep_empty) but never where. */
#include <stdlib.h>
#include <string.h>
#include "node_kind.h"

static const ezc_setting_spec settings[] = {
    {"endpoint", EZC_SETTING_STRING, NULL, "endpoint to bind (tcp://*:5560, ipc:///tmp/x)", 1,
     NULL},
    {"topic", EZC_SETTING_STRING, NULL, "topic (default: the node name)", 0, NULL},
    {"lossy", EZC_SETTING_BOOL, "false", "drop for a full subscriber instead of waiting", 0, NULL},
    {"keep_empty", EZC_SETTING_BOOL, "false",
     "also publish messages holding no data (e.g. no full window yet)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

typedef struct publish_opts {
    const char *endpoint, *topic; /* point into the settings read */
    int lossy, keep_empty;
} publish_opts;

static void publish_read(ezc_node_ctx *ctx, const ezc_settings *s, publish_opts *o)
{
    *o = (publish_opts){NULL, ezc_node_ctx_name(ctx), 0, 0};
    ezc_settings_get_string(s, "endpoint", &o->endpoint);
    ezc_settings_get_string(s, "topic", &o->topic);
    ezc_settings_get_bool(s, "lossy", &o->lossy);
    ezc_settings_get_bool(s, "keep_empty", &o->keep_empty);
}

static int publish_wire(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    publish_opts o;
    publish_read(ctx, s, &o);
    return ezc_node_ctx_add_output(ctx, o.endpoint, o.topic, o.lossy, o.keep_empty, err);
}

/* The endpoint and topic bound (copies: they are compared with each live
 * change); the policies of the settings in force, which after a restart
 * may be a live change's. */
typedef struct publish_state {
    char *endpoint, *topic;
} publish_state;

static int publish_close(void *state, ezc_error *err)
{
    (void)err;
    publish_state *p = state;
    if (p) {
        free(p->endpoint);
        free(p->topic);
        free(p);
    }
    return 0;
}

static int publish_open(ezc_node_ctx *ctx, const ezc_settings *s, void **state, ezc_error *err)
{
    publish_opts o;
    publish_read(ctx, s, &o);
    publish_state *p = calloc(1, sizeof *p);
    if (p &&
        (!(p->endpoint = strdup(o.endpoint ? o.endpoint : "")) || !(p->topic = strdup(o.topic)))) {
        publish_close(p, NULL);
        p = NULL;
    }
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "node '%s': out of memory", ezc_node_ctx_name(ctx));
    int rc = ezc_node_ctx_output_update(ctx, o.lossy, o.keep_empty, err);
    if (rc) {
        publish_close(p, NULL);
        return ezc_error_prefix(err, "node '%s'", ezc_node_ctx_name(ctx));
    }
    *state = p;
    return 0;
}

static int publish_update(void *state, ezc_node_ctx *ctx, const ezc_settings *s, int *kept,
                          ezc_error *err)
{
    publish_state *p = state;
    publish_opts o;
    publish_read(ctx, s, &o);
    const char *moved = strcmp(o.endpoint ? o.endpoint : "", p->endpoint) ? "endpoint"
                        : strcmp(o.topic, p->topic) ? "topic"
                                                    : NULL;
    if (moved)
        return ezc_error_set(err, EZC_EINVAL,
                             "publish: setting '%s' cannot change while it runs (restart the "
                             "graph to move a publisher: its subscribers are connected to this "
                             "one); lossy and keep_empty can",
                             moved);
    int rc = ezc_node_ctx_output_update(ctx, o.lossy, o.keep_empty, err);
    *kept = !rc;
    return rc;
}

static const ezc_node_kind_ops ops = {
    .wire = publish_wire, .open = publish_open, .close = publish_close, .update = publish_update};

const ezc_node_kind ezc_sink_publish = {"publish", "sink: publish on an endpoint", EZC_ROLE_SINK,
                                        settings, &ops};
