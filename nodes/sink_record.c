/* sink_record.c — the `record` sink: every message into a recording file
 * (docs/recording-format.md), closed with its index when the node stops or
 * ends. A file that can no longer be written fails the node. */
#include <stdlib.h>
#include <time.h>
#include "ezc/recording.h"
#include "node_kind.h"

static const ezc_setting_spec settings[] = {
    {"path", EZC_SETTING_STRING, NULL, "recording file to write (docs/recording-format.md)", 1,
     NULL},
    {"topic", EZC_SETTING_STRING, NULL, "topic stored with each message (default: the node name)",
     0, NULL},
    {"overwrite", EZC_SETTING_BOOL, "false", "replace an existing file", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

typedef struct record_state {
    ezc_recording_writer *rec;
    const char *topic; /* in the node's settings, which outlive the state */
} record_state;

static int record_open(ezc_node_ctx *ctx, const ezc_settings *s, void **state, ezc_error *err)
{
    record_state *r = calloc(1, sizeof *r);
    if (!r)
        return ezc_error_set(err, EZC_ENOMEM, "node '%s': out of memory", ezc_node_ctx_name(ctx));
    const char *path = NULL;
    int overwrite = 0;
    r->topic = ezc_node_ctx_name(ctx);
    ezc_settings_get_string(s, "path", &path);
    ezc_settings_get_string(s, "topic", &r->topic);
    ezc_settings_get_bool(s, "overwrite", &overwrite);
    if (!(r->rec = ezc_recording_writer_new(path, overwrite, err))) {
        free(r);
        return ezc_error_prefix(err, "node '%s'", ezc_node_ctx_name(ctx));
    }
    *state = r;
    return 0;
}

static int record_consume(void *state, ezc_node_ctx *ctx, const ezc_array *a, uint64_t k,
                          ezc_error *err)
{
    (void)k;
    record_state *r = state;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ezc_error werr;
    int rc = ezc_recording_writer_add_array(r->rec, r->topic, a,
                                            (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &werr);
    if (rc == EZC_EIO) { /* the file is unusable from here on */
        *err = werr;
        return rc;
    }
    if (rc)
        ezc_node_ctx_refuse(ctx, rc, &werr);
    return 0;
}

static int record_close(void *state, ezc_error *err)
{
    record_state *r = state;
    int rc = 0;
    if (ezc_recording_writer_close(&r->rec, err))
        rc = err->code ? err->code : EZC_EIO;
    free(r);
    return rc;
}

static const ezc_node_kind_ops ops = {
    .open = record_open, .consume = record_consume, .close = record_close};

const ezc_node_kind ezc_sink_record = {"record", "sink: write every message to a recording file",
                                       EZC_ROLE_SINK, settings, &ops};
