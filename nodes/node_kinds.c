/* node_kinds.c — the built-in sources and sinks a graph can name beside the
 * transformers: their names and settings schemas. What they do at run time
 * is in graph_run.c; validation only needs the schema. */
#include <string.h>
#include "graph_internal.h"

#define DTYPES "float32|float64|int8|int16|int32|int64|uint8|uint16|uint32|uint64"
#define SYNTH_COMMON                                                                               \
    {"fs", EZC_SETTING_FLOAT, "1000", "samples per second", 0, NULL},                              \
        {"channels", EZC_SETTING_INT, "8", "channels", 0, NULL},                                   \
        {"chunk", EZC_SETTING_INT, "100", "samples per message", 0, NULL},                         \
        {"dtype", EZC_SETTING_STRING, "float32", "sample type", 0, DTYPES},                        \
        {"realtime", EZC_SETTING_BOOL, "true", "pace messages at fs (false: as fast as taken)", 0, \
         NULL},                                                                                    \
        {"count", EZC_SETTING_INT, "0", "stop after this many messages (0: never)", 0, NULL},      \
    {                                                                                              \
        "key", EZC_SETTING_STRING, NULL, "stream key (default: the node name)", 0, NULL            \
    }
#define END                                                                                        \
    {                                                                                              \
        NULL, 0, NULL, NULL, 0, NULL                                                               \
    }

static const ezc_setting_spec sine_settings[] = {
    SYNTH_COMMON,
    {"freq", EZC_SETTING_FLOAT, "10", "Hz of ch0; channel c runs at freq * (c + 1)", 0, NULL},
    {"amplitude", EZC_SETTING_FLOAT, "1", "amplitude", 0, NULL},
    END,
};
static const ezc_setting_spec noise_settings[] = {
    SYNTH_COMMON,
    {"amplitude", EZC_SETTING_FLOAT, "1", "standard deviation", 0, NULL},
    {"seed", EZC_SETTING_INT, "1", "random seed", 0, NULL},
    END,
};
static const ezc_setting_spec counter_settings[] = {SYNTH_COMMON, END};
static const ezc_setting_spec publish_settings[] = {
    {"endpoint", EZC_SETTING_STRING, NULL, "endpoint to bind (tcp://*:5560, ipc:///tmp/x)", 1,
     NULL},
    {"topic", EZC_SETTING_STRING, NULL, "topic (default: the node name)", 0, NULL},
    {"lossy", EZC_SETTING_BOOL, "false", "drop for a full subscriber instead of waiting", 0, NULL},
    {"keep_empty", EZC_SETTING_BOOL, "false",
     "also publish messages holding no data (e.g. no full window yet)", 0, NULL},
    END,
};
static const ezc_setting_spec print_settings[] = {
    {"every", EZC_SETTING_INT, "1", "print one message in this many", 0, NULL},
    {"values", EZC_SETTING_STRING, "summary",
     "under the header: summary (per channel first/last/min/max/mean), full, none", 0,
     "none|summary|full"},
    END,
};

static const ezc_setting_spec record_settings[] = {
    {"path", EZC_SETTING_STRING, NULL, "recording file to write (docs/recording-format.md)", 1,
     NULL},
    {"topic", EZC_SETTING_STRING, NULL, "topic stored with each message (default: the node name)",
     0, NULL},
    {"overwrite", EZC_SETTING_BOOL, "false", "replace an existing file", 0, NULL},
    END,
};

static const ezc_setting_spec subscribe_settings[] = {
    {"endpoint", EZC_SETTING_STRING, NULL, "an outside publisher to connect to", 1, NULL},
    {"topic", EZC_SETTING_STRING, "", "topic prefix (default: every topic)", 0, NULL},
    END,
};

static const ezc_node_kind sine = {"sine", "source: a sine per channel", EZC_ROLE_SOURCE,
                                   sine_settings};
static const ezc_node_kind noise = {"noise", "source: Gaussian noise", EZC_ROLE_SOURCE,
                                    noise_settings};
static const ezc_node_kind counter = {"counter", "source: the sample index on every channel",
                                      EZC_ROLE_SOURCE, counter_settings};
static const ezc_node_kind publish = {"publish", "sink: publish on an endpoint", EZC_ROLE_SINK,
                                      publish_settings};
static const ezc_node_kind printk = {"print", "sink: print a message's header and values",
                                     EZC_ROLE_SINK, print_settings};

static const ezc_node_kind record = {"record", "sink: write every message to a recording file",
                                     EZC_ROLE_SINK, record_settings};

static const ezc_node_kind subscribe = {"subscribe",
                                        "source: an outside publisher's messages (connects)",
                                        EZC_ROLE_SOURCE, subscribe_settings};

static const ezc_node_kind *const kinds[] = {&sine,   &noise,  &counter,   &publish,
                                             &printk, &record, &subscribe, NULL};

const ezc_node_kind *const *ezc_node_kinds(void)
{
    return kinds;
}

const ezc_node_kind *ezc_node_kind_find(const char *name)
{
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kinds[i]->name, name))
            return kinds[i];
    return NULL;
}

int ezc_graph_synth_options(const ezc_graph_node *n, const ezc_settings *s, ezc_synth_options *o,
                            int *realtime, int64_t *count, ezc_error *err)
{
    ezc_synth_options_init(o);
    int rc = ezc_synth_kind_parse(n->kind->name, &o->kind, err);
    if (rc)
        return rc;
    int64_t v;
    const char *str;
    ezc_settings_get_float(s, "fs", &o->fs);
    if (!ezc_settings_get_int(s, "channels", &v))
        o->channels = v < 0 || v > 65536 ? -1 : (int)v;
    if (!ezc_settings_get_int(s, "chunk", &v))
        o->chunk = v < 0 || v > (1 << 24) ? -1 : (int)v;
    if (!ezc_settings_get_string(s, "dtype", &str))
        o->dtype = ezc_dtype_from_name(str, (size_t)-1);
    ezc_settings_get_float(s, "freq", &o->freq);
    ezc_settings_get_float(s, "amplitude", &o->amplitude);
    if (!ezc_settings_get_int(s, "seed", &v))
        o->seed = (uint64_t)v;
    o->key = ezc_settings_get_string(s, "key", &str) ? n->name : str;
    *realtime = 1;
    ezc_settings_get_bool(s, "realtime", realtime);
    *count = 0;
    ezc_settings_get_int(s, "count", count);
    if (*count < 0)
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'count' = %lld: expected >= 0",
                             n->kind->name, (long long)*count);
    return 0;
}
