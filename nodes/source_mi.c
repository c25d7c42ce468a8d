/* source_mi.c — `synth_mi`: a simulated motor-imagery session. Trials of
 * `trial` seconds follow each other; each starts with rest, then a cue
 * (class drawn at random from `classes`) and `imagery` seconds during which
 * the class's channel loses part of its mu rhythm (event-related
 * desynchronisation: class i damps channel i to `erd` of its amplitude).
 *
 * A node emits one of the session's two streams, by `output`: the EEG
 * ([time, ch]) or the cue markers (ezc/events.h, one message per cue). The
 * class sequence comes from a generator of its own seeded by `seed`, and
 * cue times are whole samples of one schedule, so a `signal` node and an
 * `events` node with the same settings agree by construction: the markers
 * are the signal's truth. (A source has one output port, hence two nodes.)
 * Both are paced at fs * `speed` from the moment their edges are ready.
 * Live (`ezc set`): what the signal looks like (freq, amplitude, erd,
 * jitter, noise, and seed for the noise), never its shape, rate or
 * schedule, which the events node shares (source_synth.c's rule). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/events.h"
#include "ezc/pacer.h"
#include "node_kind.h"

#define MI_MAX_CLASSES 64

static const ezc_setting_spec mi_settings[] = {
    {"output", EZC_SETTING_STRING, "signal",
     "signal: the EEG [time, ch]; events: a marker (the class label) at each cue", 0,
     "signal|events"},
    {"fs", EZC_SETTING_FLOAT, "250", "samples per second", 0, NULL},
    {"channels", EZC_SETTING_INT, "8", "channels (at least one per class)", 0, NULL},
    {"chunk", EZC_SETTING_INT, "25", "samples per signal message", 0, NULL},
    {"classes", EZC_SETTING_STRINGS, "[left, right]",
     "class labels; class i desynchronises channel i", 0, NULL},
    {"trial", EZC_SETTING_FLOAT, "4", "seconds from one cue to the next", 0, NULL},
    {"imagery", EZC_SETTING_FLOAT, "3",
     "seconds of imagery after each cue (the rest of the trial, before it, is rest; the first "
     "cue is at trial - imagery)",
     0, NULL},
    {"freq", EZC_SETTING_FLOAT, "10", "mu rhythm, Hz", 0, NULL},
    {"amplitude", EZC_SETTING_FLOAT, "2", "mu amplitude at rest", 0, NULL},
    {"erd", EZC_SETTING_FLOAT, "0.5",
     "fraction of the mu amplitude left on the class's channel during imagery (0 .. 1)", 0, NULL},
    {"jitter", EZC_SETTING_FLOAT, "0.15",
     "trial-to-trial spread of each channel's mu amplitude (log-normal sigma)", 0, NULL},
    {"noise", EZC_SETTING_FLOAT, "1", "standard deviation of the white background", 0, NULL},
    {"seed", EZC_SETTING_INT, "1", "random seed (the class sequence and the noise)", 0, NULL},
    {"trials", EZC_SETTING_INT, "0", "end after this many trials (0: never)", 0, NULL},
    {"speed", EZC_SETTING_FLOAT, "1", "pace at speed x real time", 0, NULL},
    {"key", EZC_SETTING_STRING, NULL, "stream key (default: the node name)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

typedef struct mi_options {
    int events;
    double fs, trial, imagery, freq, amplitude, erd, jitter, noise, speed;
    int64_t channels, chunk, trials, seed;
    int64_t period_n, imagery_n, first_n; /* the schedule in samples */
    const char *const *classes;
    size_t nclasses;
    const char *key;
} mi_options;

/* The options from validated settings (strings point into s); a message
 * naming the setting at fault. */
static int mi_options_get(const ezc_settings *s, const char *name, mi_options *o, ezc_error *err)
{
    memset(o, 0, sizeof *o);
    const char *out = "signal";
    o->fs = 250, o->channels = 8, o->chunk = 25, o->trial = 4, o->imagery = 3, o->freq = 10;
    o->amplitude = 2, o->erd = 0.5, o->jitter = 0.15, o->noise = 1, o->seed = 1, o->speed = 1;
    ezc_settings_get_string(s, "output", &out);
    o->events = !strcmp(out, "events");
    ezc_settings_get_float(s, "fs", &o->fs);
    ezc_settings_get_int(s, "channels", &o->channels);
    ezc_settings_get_int(s, "chunk", &o->chunk);
    ezc_settings_get_float(s, "trial", &o->trial);
    ezc_settings_get_float(s, "imagery", &o->imagery);
    ezc_settings_get_float(s, "freq", &o->freq);
    ezc_settings_get_float(s, "amplitude", &o->amplitude);
    ezc_settings_get_float(s, "erd", &o->erd);
    ezc_settings_get_float(s, "jitter", &o->jitter);
    ezc_settings_get_float(s, "noise", &o->noise);
    ezc_settings_get_int(s, "seed", &o->seed);
    ezc_settings_get_int(s, "trials", &o->trials);
    ezc_settings_get_float(s, "speed", &o->speed);
    if (ezc_settings_get_strings(s, "classes", &o->classes, &o->nclasses))
        o->nclasses = 0;
    o->key = ezc_settings_get_string(s, "key", &o->key) ? name : o->key;

    const char *bad = NULL, *want = NULL;
    double v = 0;
    if (!(o->fs > 0 && o->fs <= 1e6))
        bad = "fs", v = o->fs, want = "a number in (0, 1e6]";
    else if (o->channels < 1 || o->channels > 4096)
        bad = "channels", v = (double)o->channels, want = "an integer in [1, 4096]";
    else if (o->chunk < 1 || o->chunk > (1 << 20))
        bad = "chunk", v = (double)o->chunk, want = "an integer in [1, 1048576]";
    else if (!(o->trial > 0 && o->trial <= 3600) || llround(o->trial * o->fs) < 1)
        bad = "trial", v = o->trial, want = "seconds in (0, 3600], at least one sample";
    else if (!(o->imagery > 0 && o->imagery <= o->trial) || llround(o->imagery * o->fs) < 1)
        bad = "imagery", v = o->imagery, want = "seconds in (0, trial], at least one sample";
    else if (!(o->freq > 0 && o->freq < o->fs / 2))
        bad = "freq", v = o->freq, want = "Hz in (0, fs / 2)";
    else if (!(o->amplitude >= 0 && o->amplitude <= 1e6))
        bad = "amplitude", v = o->amplitude, want = "a number in [0, 1e6]";
    else if (!(o->erd >= 0 && o->erd <= 1))
        bad = "erd", v = o->erd, want = "a fraction in [0, 1]";
    else if (!(o->jitter >= 0 && o->jitter <= 3))
        bad = "jitter", v = o->jitter, want = "a number in [0, 3]";
    else if (!(o->noise >= 0 && o->noise <= 1e6))
        bad = "noise", v = o->noise, want = "a number in [0, 1e6]";
    else if (o->trials < 0 || o->trials > 100000000)
        bad = "trials", v = (double)o->trials, want = "an integer in [0, 1e8] (0: never end)";
    else if (!(o->speed > 0 && o->speed <= 1e6))
        bad = "speed", v = o->speed, want = "a number in (0, 1e6]";
    if (bad)
        return ezc_error_set(err, EZC_EINVAL, "synth_mi: setting '%s' = %g: expected %s", bad, v,
                             want);
    if (o->nclasses < 2 || o->nclasses > MI_MAX_CLASSES)
        return ezc_error_set(err, EZC_EINVAL,
                             "synth_mi: setting 'classes' has %zu labels: expected 2 .. %d",
                             o->nclasses, MI_MAX_CLASSES);
    if ((int64_t)o->nclasses > o->channels)
        return ezc_error_set(err, EZC_EINVAL,
                             "synth_mi: %zu classes need at least as many channels (class i "
                             "desynchronises channel i); setting 'channels' = %lld",
                             o->nclasses, (long long)o->channels);
    for (size_t i = 0; i < o->nclasses; i++) {
        if (!o->classes[i][0])
            return ezc_error_set(err, EZC_EINVAL, "synth_mi: setting 'classes': label %zu is empty",
                                 i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(o->classes[i], o->classes[j]))
                return ezc_error_set(err, EZC_EINVAL,
                                     "synth_mi: setting 'classes': '%s' is repeated",
                                     o->classes[i]);
    }
    o->period_n = llround(o->trial * o->fs);
    o->imagery_n = llround(o->imagery * o->fs);
    if (o->imagery_n > o->period_n)
        o->imagery_n = o->period_n;
    o->first_n = o->period_n - o->imagery_n;
    return 0;
}

/* xorshift64*: the class sequence and the noise each have one. */
static uint64_t next_u64(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static double uniform01(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double gaussian(uint64_t *s)
{
    double u1 = uniform01(s), u2 = uniform01(s);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Seeds derived from `seed`, never 0 (xorshift's fixed point). */
static uint64_t seed_of(int64_t seed, uint64_t salt)
{
    uint64_t s = (uint64_t)seed * 0x9E3779B97F4A7C15ull ^ salt;
    return s ? s : 0x9E3779B97F4A7C15ull;
}

/* The class of the next trial: the same sequence in every node. */
static size_t next_class(uint64_t *rng, size_t nclasses)
{
    return (size_t)(uniform01(rng) * (double)nclasses); /* the high bits: the best ones */
}

/* The EEG: per channel mu (damped on the cued class's channel during
 * imagery, scaled per trial by a log-normal factor) plus white noise. */
typedef struct mi_signal {
    const mi_options *o;
    uint64_t crng, nrng;
    int64_t n;     /* samples so far */
    int64_t trial; /* the trial whose gains are in gain[], -1 before the first cue */
    size_t cls;    /* its class */
    double *gain;  /* per channel, this trial's factor on amplitude (jitter; 1 before a cue) */
    double *phase; /* per channel, the mu's phase at sample 0 */
    ezc_coords *labels;
    ezc_buffer *cache; /* the chunks' data, reused once downstream lets go */
} mi_signal;

static void mi_signal_fini(mi_signal *g)
{
    free(g->gain);
    free(g->phase);
    ezc_coords_unref(&g->labels);
    ezc_buffer_unref(&g->cache);
}

static int mi_signal_init(mi_signal *g, const mi_options *o, ezc_error *err)
{
    memset(g, 0, sizeof *g);
    g->o = o;
    g->crng = seed_of(o->seed, 0xC1A55E5ull);
    g->nrng = seed_of(o->seed, 0x0015Eull);
    g->trial = -1;
    size_t nc = (size_t)o->channels;
    g->gain = malloc(nc * sizeof *g->gain);
    g->phase = malloc(nc * sizeof *g->phase);
    char(*names)[24] = malloc(nc * sizeof *names);
    const char **ptrs = malloc(nc * sizeof *ptrs);
    int rc = g->gain && g->phase && names && ptrs ? 0 : EZC_ENOMEM;
    for (size_t c = 0; !rc && c < nc; c++) {
        g->gain[c] = 1;
        g->phase[c] = 2.0 * M_PI * uniform01(&g->nrng);
        snprintf(names[c], sizeof names[c], "ch%zu", c);
        ptrs[c] = names[c];
    }
    if (!rc && !(g->labels = ezc_coords_new(nc, NULL, ptrs, err)))
        rc = err->code ? err->code : EZC_ENOMEM;
    free(names);
    free(ptrs);
    if (rc == EZC_ENOMEM)
        ezc_error_set(err, EZC_ENOMEM, "synth_mi: out of memory");
    if (rc)
        mi_signal_fini(g);
    return rc;
}

/* The trial that sample n belongs to (-1: the rest before the first cue)
 * and whether n lies in its imagery. */
static int64_t trial_of(const mi_options *o, int64_t n, int *imagery)
{
    *imagery = 0;
    if (n < o->first_n)
        return -1;
    int64_t k = (n - o->first_n) / o->period_n;
    *imagery = (n - o->first_n) % o->period_n < o->imagery_n;
    return k;
}

static ezc_array *mi_signal_next(mi_signal *g, ezc_error *err)
{
    const mi_options *o = g->o;
    int64_t shape[2] = {o->chunk, o->channels};
    const char *dims[2] = {"time", "ch"};
    ezc_buffer *b = ezc_buffer_cached(&g->cache, (size_t)(o->chunk * o->channels) * sizeof(float),
                                      ezc_device_cpu(), err);
    ezc_array *a = b ? ezc_array_from_buffer(b, 0, EZC_FLOAT32, 2, shape, dims, err) : NULL;
    ezc_buffer_unref(&b);
    if (!a)
        return NULL;
    float *d = ezc_array_data(a);
    double w = 2.0 * M_PI * o->freq / o->fs;
    for (int64_t t = 0; t < o->chunk; t++) {
        int64_t n = g->n + t;
        int im;
        int64_t k = trial_of(o, n, &im);
        if (k > g->trial) { /* a cue: the next class, this trial's amplitudes */
            g->trial = k;
            g->cls = next_class(&g->crng, o->nclasses);
            for (int64_t c = 0; c < o->channels; c++)
                g->gain[c] = exp(o->jitter * gaussian(&g->nrng));
        }
        for (int64_t c = 0; c < o->channels; c++) {
            double amp = o->amplitude * g->gain[c];
            if (im && (size_t)c == g->cls)
                amp *= o->erd;
            double x = amp * sin(w * (double)n + g->phase[c]) + o->noise * gaussian(&g->nrng);
            d[t * o->channels + c] = (float)x;
        }
    }
    ezc_array_set_linear_axis(a, 0, 1.0 / o->fs, (double)g->n / o->fs, "s");
    a->axes[1].kind = EZC_AXIS_COORD;
    a->axes[1].coords = ezc_coords_ref(g->labels);
    if (ezc_array_set_key(a, o->key, err)) {
        ezc_array_destroy(&a);
        return NULL;
    }
    g->n += o->chunk;
    return a;
}

/* A live change (ezc_node_ctx_settings): the settings that shape the
 * stream or the schedule both nodes share are refused by name; the others
 * are taken into *o, which the stream reads at each sample. */
typedef struct mi_live {
    const char *name;
    mi_options *o;
    mi_signal *g; /* NULL: the events node (nothing of it changes) */
} mi_live;

static const char *mi_fixed(const mi_options *a, const mi_options *b)
{
    if (a->events != b->events)
        return "output";
    if (a->fs != b->fs)
        return "fs";
    if (a->channels != b->channels)
        return "channels";
    if (a->chunk != b->chunk)
        return "chunk";
    if (a->trial != b->trial)
        return "trial";
    if (a->imagery != b->imagery)
        return "imagery";
    if (a->trials != b->trials)
        return "trials";
    if (a->speed != b->speed)
        return "speed";
    if (strcmp(a->key, b->key))
        return "key";
    int same = a->nclasses == b->nclasses;
    for (size_t i = 0; same && i < a->nclasses; i++)
        same = !strcmp(a->classes[i], b->classes[i]);
    return same ? NULL : "classes";
}

static int mi_apply(void *arg, const ezc_settings *s, int *kept, ezc_error *err)
{
    mi_live *l = arg;
    mi_options n;
    int rc = mi_options_get(s, l->name, &n, err);
    if (rc)
        return rc;
    const char *fixed = mi_fixed(l->o, &n);
    if (fixed)
        return ezc_error_set(err, EZC_EINVAL,
                             "synth_mi: setting '%s' cannot change while it runs (it shapes the "
                             "stream or the trial schedule: restart the graph with it); freq, "
                             "amplitude, erd, jitter, noise and seed can",
                             fixed);
    mi_signal *g = l->g;
    if (g && n.freq != l->o->freq) { /* the same phase at the next sample: no jump */
        double dw = 2.0 * M_PI * (l->o->freq - n.freq) / n.fs;
        for (int64_t c = 0; c < n.channels; c++)
            g->phase[c] = fmod(g->phase[c] + dw * (double)g->n, 2.0 * M_PI);
    }
    if (g && n.seed != l->o->seed) /* the noise from here; the classes keep theirs */
        g->nrng = seed_of(n.seed, 0x0015Eull);
    l->o->freq = n.freq;
    l->o->amplitude = n.amplitude;
    l->o->erd = n.erd;
    l->o->jitter = n.jitter; /* drawn at each cue: from the next trial */
    l->o->noise = n.noise;
    l->o->seed = n.seed;
    *kept = 1;
    return 0;
}

static int run_signal(ezc_node_ctx *ctx, mi_options *o, ezc_error *err)
{
    mi_signal g;
    int rc = mi_signal_init(&g, o, err);
    if (rc)
        return rc;
    if ((rc = ezc_node_ctx_ready(ctx, err))) {
        mi_signal_fini(&g);
        return rc;
    }
    int64_t end = o->first_n + o->trials * o->period_n; /* with `trials`: the last trial's end */
    ezc_pacer pacer;
    ezc_pacer_init(&pacer, ezc_node_ctx_name(ctx), o->fs * o->speed, o->chunk);
    mi_live live = {ezc_node_ctx_name(ctx), o, &g};
    while (!ezc_node_ctx_stopping(ctx) && (!o->trials || g.n < end)) {
        if (ezc_node_ctx_pace(ctx, &pacer, g.n, mi_apply, &live))
            break;
        ezc_node_ctx_set_behind(ctx, ezc_pacer_behind(&pacer));
        ezc_node_ctx_settings(ctx, mi_apply, &live); /* between two messages */
        ezc_array *a = mi_signal_next(&g, err);
        if (!a) {
            rc = err->code ? err->code : EZC_ENOMEM;
            break;
        }
        if ((rc = ezc_node_ctx_emit(ctx, a, 0, err)))
            break;
    }
    if (!rc && o->trials && !ezc_node_ctx_stopping(ctx))
        rc = ezc_node_ctx_end(ctx, err);
    mi_signal_fini(&g);
    return rc;
}

/* The markers: one events message per cue, sent when the cue's sample is
 * due (with the signal chunk that holds it), time = that sample's time. */
static int run_events(ezc_node_ctx *ctx, mi_options *o, ezc_error *err)
{
    uint64_t crng = seed_of(o->seed, 0xC1A55E5ull);
    int rc = ezc_node_ctx_ready(ctx, err);
    if (rc)
        return rc;
    ezc_pacer pacer;
    ezc_pacer_init(&pacer, ezc_node_ctx_name(ctx), o->fs * o->speed, o->period_n);
    mi_live live = {ezc_node_ctx_name(ctx), o, NULL}; /* takes a set meant for both nodes */
    for (int64_t k = 0; !ezc_node_ctx_stopping(ctx) && (!o->trials || k < o->trials); k++) {
        int64_t cue = o->first_n + k * o->period_n;
        if (ezc_node_ctx_pace(ctx, &pacer, cue, mi_apply, &live))
            break;
        ezc_node_ctx_set_behind(ctx, ezc_pacer_behind(&pacer));
        double t = (double)cue / o->fs;
        const char *label = o->classes[next_class(&crng, o->nclasses)];
        ezc_array *a = ezc_events_new(1, &t, &label, err);
        if (a && ezc_array_set_key(a, o->key, err))
            ezc_array_destroy(&a);
        if (!a)
            return err->code ? err->code : EZC_ENOMEM;
        if ((rc = ezc_node_ctx_emit(ctx, a, 0, err)))
            return rc;
    }
    if (o->trials && !ezc_node_ctx_stopping(ctx))
        rc = ezc_node_ctx_end(ctx, err);
    return rc;
}

static int mi_run(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err)
{
    mi_options o;
    int rc = mi_options_get(s, ezc_node_ctx_name(ctx), &o, err);
    if (rc) {
        ezc_error_prefix(err, "node '%s'", ezc_node_ctx_name(ctx));
        return rc;
    }
    return o.events ? run_events(ctx, &o, err) : run_signal(ctx, &o, err);
}

static void mi_check(ezc_graph *g, const ezc_graph_node *n, const ezc_settings *s)
{
    mi_options o;
    ezc_error err;
    if (mi_options_get(s, n->name, &o, &err))
        ezc_graph_error_add(g, n->settings_line ? n->settings_line : n->line, "node '%s': %s",
                            n->name, err.msg);
}

static const ezc_node_kind_ops ops = {.run = mi_run, .check = mi_check, .live = 1};

const ezc_node_kind ezc_source_synth_mi = {
    "synth_mi",
    "source: simulated motor-imagery EEG (output: signal) or its cue markers (output: events)",
    EZC_ROLE_SOURCE, mi_settings, &ops};
