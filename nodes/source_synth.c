/* source_synth.c — the synthetic sources `sine`, `noise` and `counter`:
 * ezc/synth.h streams, paced in real time by ezc/pacer.h (or as fast as
 * taken), ending after `count` messages when one is given. The checker
 * tries each one's options once, so that what ezc_synth_new refuses is a
 * configuration error with its line. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ezc/pacer.h"
#include "ezc/synth.h"
#include "node_kind.h"

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

/* The synth options of a node of kind `kind` from its validated settings;
 * strings in o point into s. */
static int synth_options(const char *kind, const char *name, const ezc_settings *s,
                         ezc_synth_options *o, int *realtime, int64_t *count, ezc_error *err)
{
    ezc_synth_options_init(o);
    int rc = ezc_synth_kind_parse(kind, &o->kind, err);
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
    o->key = ezc_settings_get_string(s, "key", &str) ? name : str;
    *realtime = 1;
    ezc_settings_get_bool(s, "realtime", realtime);
    *count = 0;
    ezc_settings_get_int(s, "count", count);
    if (*count < 0)
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'count' = %lld: expected >= 0", kind,
                             (long long)*count);
    return 0;
}

/* The kind of the node this hook runs for: sine, noise and counter share
 * the hooks and differ only by name. */
static const char *kind_of(const ezc_graph_node *n)
{
    return n->kind->name;
}

/* What a live `ezc set` may change while the stream runs: the signal
 * (freq, amplitude, seed), not its shape, rate or length. */
typedef struct synth_live {
    const char *kind, *name;
    ezc_synth **syn;
    ezc_synth_options o;
    int realtime;
    int64_t count;
} synth_live;

static int synth_apply(void *arg, const ezc_settings *s, int *kept, ezc_error *err)
{
    synth_live *l = arg;
    ezc_synth_options o;
    int realtime;
    int64_t count;
    int rc = synth_options(l->kind, l->name, s, &o, &realtime, &count, err);
    if (rc)
        return rc;
    if (o.fs != l->o.fs || o.channels != l->o.channels || o.chunk != l->o.chunk ||
        o.dtype != l->o.dtype || realtime != l->realtime || count != l->count ||
        strcmp(o.key, l->o.key))
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: fs, channels, chunk, dtype, realtime, count and key cannot "
                             "change while it runs (restart the graph with them)",
                             l->kind);
    ezc_synth *next = ezc_synth_new(&o, err);
    if (!next)
        return err->code ? err->code : EZC_EINVAL;
    ezc_synth_continue(next, *l->syn); /* the stream goes on */
    ezc_synth_destroy(l->syn);
    *l->syn = next;
    l->o = o;
    *kept = 1;
    return 0;
}

static int synth_run(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    const char *name = ezc_node_ctx_name(ctx);
    ezc_synth_options o;
    int realtime;
    int64_t count;
    int rc = synth_options(kind_of(ezc_node_ctx_node(ctx)), name, s, &o, &realtime, &count, err);
    ezc_synth *syn = rc ? NULL : ezc_synth_new(&o, err);
    if (!syn)
        return rc ? rc : EZC_EINVAL;
    if ((rc = ezc_node_ctx_ready(ctx, err)))
        goto done;
    ezc_pacer pacer;
    ezc_pacer_init(&pacer, name, o.fs, o.chunk);
    synth_live live = {kind_of(ezc_node_ctx_node(ctx)), name, &syn, o, realtime, count};
    for (int64_t i = 0; !ezc_node_ctx_stopping(ctx) && (!count || i < count); i++) {
        if (realtime) { /* a set that comes while it waits is taken then */
            if (ezc_node_ctx_pace(ctx, &pacer, (int64_t)ezc_synth_samples(syn), synth_apply, &live))
                break;
            ezc_node_ctx_set_behind(ctx, ezc_pacer_behind(&pacer));
        }
        /* an `ezc set` between messages, just before the next: in it */
        ezc_node_ctx_settings(ctx, synth_apply, &live);
        ezc_array *a = ezc_synth_next(syn, err);
        if (!a) {
            rc = err->code ? err->code : EZC_EINVAL;
            break;
        }
        if ((rc = ezc_node_ctx_emit(ctx, a, 0, err)))
            break;
    }
    if (!rc && count && !ezc_node_ctx_stopping(ctx)) /* all `count` messages went: the end */
        rc = ezc_node_ctx_end(ctx, err);
done:
    ezc_synth_destroy(&syn);
    return rc;
}

/* Numeric settings each with its own range, so the message names the one
 * that is wrong (ezc_synth_new checks them all at once). */
static const struct {
    const char *name;
    double lo, hi; /* inclusive; lo_open: lo itself is refused */
    int lo_open;
    const char *range;
} ranges[] = {
    {"fs", 0, INFINITY, 1, "a number > 0"},
    {"channels", 1, 65536, 0, "an integer in [1, 65536]"},
    {"chunk", 1, 1 << 24, 0, "an integer in [1, 16777216]"},
};

static int check_ranges(ezc_graph *g, const ezc_graph_node *n, const ezc_settings *s)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        double v;
        int64_t iv;
        if (!ezc_settings_get_int(s, ranges[i].name, &iv))
            v = (double)iv;
        else if (ezc_settings_get_float(s, ranges[i].name, &v))
            continue;
        if (v > ranges[i].lo && v <= ranges[i].hi)
            continue;
        if (v == ranges[i].lo && !ranges[i].lo_open)
            continue;
        int line = n->settings_line ? n->settings_line : n->line;
        for (size_t k = 0; k < n->nsettings; k++)
            if (!strcmp(n->settings[k].name, ranges[i].name))
                line = n->settings[k].line;
        ezc_graph_error_add(g, line, "node '%s': %s: setting '%s' = %g: expected %s", n->name,
                            n->type, ranges[i].name, v, ranges[i].range);
        bad = 1;
    }
    return bad;
}

static void synth_check(ezc_graph *g, const ezc_graph_node *n, const ezc_settings *s)
{
    if (check_ranges(g, n, s))
        return;
    ezc_synth_options o;
    int realtime;
    int64_t count;
    ezc_error err;
    ezc_synth *syn = NULL;
    if (synth_options(kind_of(n), n->name, s, &o, &realtime, &count, &err) ||
        !(syn = ezc_synth_new(&o, &err)))
        ezc_graph_error_add(g, n->settings_line ? n->settings_line : n->line, "node '%s': %s",
                            n->name, err.msg);
    ezc_synth_destroy(&syn);
}

static const ezc_node_kind_ops ops = {.run = synth_run, .check = synth_check, .live = 1};

const ezc_node_kind ezc_source_sine = {"sine", "source: a sine per channel", EZC_ROLE_SOURCE,
                                       sine_settings, &ops};
const ezc_node_kind ezc_source_noise = {"noise", "source: Gaussian noise", EZC_ROLE_SOURCE,
                                        noise_settings, &ops};
const ezc_node_kind ezc_source_counter = {"counter", "source: the sample index on every channel",
                                          EZC_ROLE_SOURCE, counter_settings, &ops};
