/* sink_publish.c — the `publish` sink: its input published on an endpoint
 * for other programs. All it does is add that publisher when the runtime
 * wires the graph; the runtime then sends what the node passes on. */
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

static int publish_wire(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    const char *endpoint = NULL, *topic = ezc_node_ctx_name(ctx);
    int lossy = 0, keep_empty = 0;
    ezc_settings_get_string(s, "endpoint", &endpoint);
    ezc_settings_get_string(s, "topic", &topic);
    ezc_settings_get_bool(s, "lossy", &lossy);
    ezc_settings_get_bool(s, "keep_empty", &keep_empty);
    return ezc_node_ctx_add_output(ctx, endpoint, topic, lossy, keep_empty, err);
}

static const ezc_node_kind_ops ops = {.wire = publish_wire};

const ezc_node_kind ezc_sink_publish = {"publish", "sink: publish on an endpoint", EZC_ROLE_SINK,
                                        settings, &ops};
