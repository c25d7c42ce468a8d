/* sink_record.c — the `record` sink: every message into a recording file
 * (docs/recording-format.md), closed with its index when the node stops or
 * ends. A file that can no longer be written fails the node.
 * Live (`ezc set`), a new `path` starts a new file between two messages:
 * the new one is opened first (a path that cannot be is refused, the old
 * file goes on), then the old one is closed whole, so every message is in
 * exactly one of them; `topic` changes from the next message on. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "ezc/log.h"
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
    char *path, *topic; /* copies: a live change replaces them */
    struct stat st;     /* the file being written, to know it under another name */
} record_state;

typedef struct record_opts {
    const char *path, *topic; /* point into the settings read */
    int overwrite;
} record_opts;

static void record_read(ezc_node_ctx *ctx, const ezc_settings *s, record_opts *o)
{
    *o = (record_opts){NULL, ezc_node_ctx_name(ctx), 0};
    ezc_settings_get_string(s, "path", &o->path);
    ezc_settings_get_string(s, "topic", &o->topic);
    ezc_settings_get_bool(s, "overwrite", &o->overwrite);
}

static void record_free(record_state *r)
{
    free(r->path);
    free(r->topic);
    free(r);
}

static int record_open(ezc_node_ctx *ctx, const ezc_settings *s, void **state, ezc_error *err)
{
    record_opts o;
    record_read(ctx, s, &o);
    record_state *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(o.path)) || !(r->topic = strdup(o.topic))) {
        if (r)
            record_free(r);
        return ezc_error_set(err, EZC_ENOMEM, "node '%s': out of memory", ezc_node_ctx_name(ctx));
    }
    if (!(r->rec = ezc_recording_writer_new(o.path, o.overwrite, err))) {
        record_free(r);
        return ezc_error_prefix(err, "node '%s'", ezc_node_ctx_name(ctx));
    }
    stat(o.path, &r->st);
    *state = r;
    return 0;
}

/* Live: a new topic at once; a new path as a new file (the head comment). */
static int record_update(void *state, ezc_node_ctx *ctx, const ezc_settings *s, int *kept,
                         ezc_error *err)
{
    record_state *r = state;
    record_opts o;
    record_read(ctx, s, &o);
    int moved = strcmp(o.path, r->path) != 0;
    struct stat st;
    if (moved && !stat(o.path, &st) && st.st_dev == r->st.st_dev && st.st_ino == r->st.st_ino)
        return ezc_error_set(err, EZC_EINVAL,
                             "record: setting 'path' = '%s' is the file being written", o.path);
    char *path = moved ? strdup(o.path) : NULL, *topic = strdup(o.topic);
    if ((moved && !path) || !topic) {
        free(path);
        free(topic);
        return ezc_error_set(err, EZC_ENOMEM, "record: out of memory");
    }
    if (moved) {
        ezc_recording_writer *next = ezc_recording_writer_new(o.path, o.overwrite, err);
        if (!next) {
            free(path);
            free(topic);
            return ezc_error_prefix(err, "record: setting 'path'");
        }
        uint64_t n = ezc_recording_writer_count(r->rec);
        ezc_error cerr;
        if (ezc_recording_writer_close(&r->rec, &cerr)) /* the new file goes on regardless */
            ezc_node_ctx_refuse(ctx, cerr.code ? cerr.code : EZC_EIO, &cerr);
        else
            ezc_log(EZC_LOG_INFO, "node %s: %s closed (%llu messages); now recording to %s",
                    ezc_node_ctx_name(ctx), r->path, (unsigned long long)n, o.path);
        r->rec = next;
        free(r->path);
        r->path = path;
        stat(o.path, &r->st);
    }
    free(r->topic);
    r->topic = topic;
    *kept = 1;
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
    record_free(r);
    return rc;
}

static const ezc_node_kind_ops ops = {
    .open = record_open, .consume = record_consume, .close = record_close, .update = record_update};

const ezc_node_kind ezc_sink_record = {"record", "sink: write every message to a recording file",
                                       EZC_ROLE_SINK, settings, &ops};
