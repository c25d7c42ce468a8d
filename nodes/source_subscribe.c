/* source_subscribe.c — the `subscribe` source: an outside publisher's
 * messages, passed on. Its subscriber is the node's (kept across
 * restarts), so its sequence gaps show as the node's drops; a message
 * without a source stamp gets one on arrival. */
#include "ezc/sub.h"
#include "node_kind.h"

#define POLL_MS 100

static const ezc_setting_spec settings[] = {
    {"endpoint", EZC_SETTING_STRING, NULL, "an outside publisher to connect to", 1, NULL},
    {"topic", EZC_SETTING_STRING, "", "topic prefix (default: every topic)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int subscribe_run(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    const char *endpoint = NULL, *topic = "";
    ezc_settings_get_string(s, "endpoint", &endpoint);
    ezc_settings_get_string(s, "topic", &topic);
    ezc_sub *sub = NULL;
    int rc = ezc_node_ctx_subscribe(ctx, endpoint, topic, &sub, err);
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

static const ezc_node_kind_ops ops = {.run = subscribe_run};

const ezc_node_kind ezc_source_subscribe = {"subscribe",
                                            "source: an outside publisher's messages (connects)",
                                            EZC_ROLE_SOURCE, settings, &ops};
