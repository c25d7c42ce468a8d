/* dash_graphs.c — what the dashboard knows of the running graphs and named
 * streams: a thread of its own polls the control planes (short timeouts,
 * so a hung graph costs a poll 300 ms, never the server) and the names
 * registry, and leaves a ready "graphs" message for the service thread.
 * A graph that disappears stays in the list as "stopped". */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dash.h"
#include "ezc/control.h"

#define POLL_S 0.5
#define CALL_MS 300
#define GRAPHS_MAX 128
#define NODES_MAX 1024
#define EDGES_MAX 4096

typedef struct gnode {
    ezc_control_node st;
    char group[EZC_NAME_MAX];
} gnode;

typedef ezc_control_gedge gedge;

typedef struct graph_rec {
    char name[EZC_CONTROL_NAME_MAX];
    long pid;
    int running;
    double uptime_s;
    gnode *nodes;
    size_t nn;
    gedge *edges;
    size_t ne;
    int have_shape; /* "graph" answered: groups and edges known */
    double seen;    /* monotonic, last answer */
} graph_rec;

struct dash_graphs {
    pthread_t thread;
    atomic_int quit;
    dash_wake_fn wake;
    void *wake_ctx;
    graph_rec g[GRAPHS_MAX];
    size_t ng;
    pthread_mutex_t lock; /* the fields below */
    char *msg;
    uint64_t msg_version;
    ezc_stream_info *streams;
    size_t nstreams;
    uint64_t streams_version;
};

int64_t dash_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double dash_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "stats" into rec (nodes replaced, groups kept by name). */
static int poll_stats(graph_rec *rec)
{
    ezc_control_node *st = NULL;
    ezc_control_proc proc;
    size_t n = 0;
    ezc_error err;
    if (ezc_control_stats(rec->name, CALL_MS, &st, &n, &proc, &err))
        return -1;
    gnode *nodes = n <= NODES_MAX ? calloc(n ? n : 1, sizeof *nodes) : NULL;
    if (!nodes) {
        free(st);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        nodes[i].st = st[i];
        for (size_t j = 0; j < rec->nn; j++) /* groups come from "graph" */
            if (!strcmp(rec->nodes[j].st.name, st[i].name))
                memcpy(nodes[i].group, rec->nodes[j].group, sizeof nodes[i].group);
    }
    free(st);
    free(rec->nodes);
    rec->nodes = nodes;
    rec->nn = n;
    rec->pid = proc.pid;
    rec->uptime_s = proc.uptime_s;
    return 0;
}

/* "graph": groups and edges, asked once per graph. */
static void poll_shape(graph_rec *rec)
{
    ezc_control_gnode *gn = NULL;
    ezc_control_gedge *ge = NULL;
    size_t nn = 0, ne = 0;
    ezc_error err;
    if (ezc_control_graph(rec->name, CALL_MS, &gn, &nn, &ge, &ne, &err) || ne > EDGES_MAX) {
        free(gn);
        free(ge);
        return;
    }
    for (size_t j = 0; j < nn; j++)
        for (size_t q = 0; q < rec->nn; q++)
            if (!strcmp(rec->nodes[q].st.name, gn[j].name))
                memcpy(rec->nodes[q].group, gn[j].group, sizeof gn[j].group);
    free(gn);
    free(rec->edges);
    rec->edges = ge;
    rec->ne = ne;
    rec->have_shape = 1;
}

static const char *stream_of(const dash_graphs *g, const char *graph, const char *node, char *buf,
                             size_t cap)
{
    snprintf(buf, cap, "%s/%s", graph, node);
    for (size_t i = 0; i < g->nstreams; i++)
        if (!strcmp(g->streams[i].name, buf))
            return buf;
    return NULL;
}

static char *build_message(dash_graphs *g)
{
    dash_buf b = {0};
    char sname[2 * EZC_NAME_MAX + 2];
    dash_buf_printf(&b, "{\"type\":\"graphs\",\"graphs\":[");
    pthread_mutex_lock(&g->lock); /* streams */
    for (size_t i = 0; i < g->ng; i++) {
        const graph_rec *r = &g->g[i];
        dash_buf_printf(&b, "%s{\"name\":", i ? "," : "");
        dash_buf_str(&b, r->name);
        dash_buf_printf(&b, ",\"pid\":%ld,\"uptime_s\":", r->pid);
        dash_buf_num(&b, r->uptime_s);
        dash_buf_printf(&b, ",\"state\":\"%s\",\"nodes\":[", r->running ? "running" : "stopped");
        for (size_t j = 0; j < r->nn; j++) {
            const ezc_control_node *s = &r->nodes[j].st;
            dash_buf_printf(&b, "%s{\"name\":", j ? "," : "");
            dash_buf_str(&b, s->name);
            dash_buf_printf(&b, ",\"type\":");
            dash_buf_str(&b, s->type);
            dash_buf_printf(&b, ",\"group\":");
            dash_buf_str(&b, r->nodes[j].group[0] ? r->nodes[j].group : "main");
            dash_buf_printf(&b, ",\"state\":");
            dash_buf_str(&b, r->running ? s->state : "ended");
            dash_buf_printf(&b,
                            ",\"messages\":%llu,\"drops\":%llu,\"errors\":%llu,\"restarts\":%llu",
                            (unsigned long long)s->messages, (unsigned long long)s->drops,
                            (unsigned long long)s->errors, (unsigned long long)s->restarts);
            dash_buf_printf(&b, ",\"msg_s\":");
            dash_buf_num(&b, r->running ? s->msg_s : 0);
            dash_buf_printf(&b, ",\"mb_s\":");
            dash_buf_num(&b, r->running ? s->mb_s : 0);
            dash_buf_printf(&b, ",\"latency_p50_us\":");
            dash_buf_num(&b, s->latency_p50_us);
            dash_buf_printf(&b, ",\"latency_p99_us\":");
            dash_buf_num(&b, s->latency_p99_us);
            dash_buf_printf(&b, ",\"cpu_pct\":");
            dash_buf_num(&b, r->running ? s->cpu_pct : -1);
            dash_buf_printf(&b, ",\"last_error\":");
            dash_buf_str(&b, s->last_error);
            dash_buf_printf(&b, ",\"stream\":");
            dash_buf_str(&b, stream_of(g, r->name, s->name, sname, sizeof sname));
            dash_buf_printf(&b, "}");
        }
        dash_buf_printf(&b, "],\"edges\":[");
        for (size_t j = 0; j < r->ne; j++) {
            dash_buf_printf(&b, "%s{\"from\":", j ? "," : "");
            dash_buf_str(&b, r->edges[j].from);
            dash_buf_printf(&b, ",\"to\":");
            dash_buf_str(&b, r->edges[j].to);
            dash_buf_printf(&b, "}");
        }
        dash_buf_printf(&b, "]}");
    }
    pthread_mutex_unlock(&g->lock);
    dash_buf_printf(&b, "]}");
    if (b.failed) {
        dash_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static graph_rec *find_or_add(dash_graphs *g, const char *name)
{
    for (size_t i = 0; i < g->ng; i++)
        if (!strcmp(g->g[i].name, name))
            return &g->g[i];
    if (g->ng == GRAPHS_MAX) { /* full: the stopped one seen longest ago goes */
        size_t old = GRAPHS_MAX;
        for (size_t i = 0; i < g->ng; i++)
            if (!g->g[i].running && (old == GRAPHS_MAX || g->g[i].seen < g->g[old].seen))
                old = i;
        if (old == GRAPHS_MAX)
            return NULL;
        free(g->g[old].nodes);
        free(g->g[old].edges);
        g->g[old] = g->g[--g->ng];
    }
    graph_rec *r = &g->g[g->ng++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

static void poll_once(dash_graphs *g, int with_streams)
{
    if (with_streams) {
        ezc_stream_info *si = NULL;
        size_t n = 0;
        ezc_error err;
        if (ezc_names_list(&si, &n, &err) == 0) {
            pthread_mutex_lock(&g->lock);
            free(g->streams);
            g->streams = si;
            g->nstreams = n;
            g->streams_version++;
            pthread_mutex_unlock(&g->lock);
        }
    }
    char **names = NULL;
    size_t n = 0;
    ezc_error err;
    if (ezc_control_list(&names, &n, &err))
        n = 0;
    for (size_t i = 0; i < g->ng; i++)
        g->g[i].running = 0;
    for (size_t i = 0; i < n && !atomic_load(&g->quit); i++) {
        graph_rec *r = find_or_add(g, names[i]);
        if (!r)
            continue;
        long pid = r->pid;
        if (poll_stats(r) == 0) {
            r->running = 1;
            r->seen = dash_mono_s();
            if (!r->have_shape || r->pid != pid)
                poll_shape(r);
        } else if (dash_mono_s() - r->seen < 2 && r->seen > 0)
            r->running = 1; /* one slow answer is no stop */
    }
    if (names)
        ezc_control_names_free(names, n);
    char *msg = build_message(g);
    if (msg) {
        pthread_mutex_lock(&g->lock);
        free(g->msg);
        g->msg = msg;
        g->msg_version++;
        pthread_mutex_unlock(&g->lock);
        g->wake(g->wake_ctx);
    }
}

static void *poll_main(void *arg)
{
    dash_graphs *g = arg;
    for (unsigned k = 0; !atomic_load(&g->quit); k++) {
        double t = dash_mono_s();
        poll_once(g, k % 2 == 0);
        while (!atomic_load(&g->quit) && dash_mono_s() - t < POLL_S) {
            struct timespec ts = {0, 20 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

dash_graphs *dash_graphs_new(dash_wake_fn wake, void *ctx, ezc_error *err)
{
    dash_graphs *g = calloc(1, sizeof *g);
    if (!g) {
        ezc_error_set(err, EZC_ENOMEM, "dash: out of memory");
        return NULL;
    }
    g->wake = wake;
    g->wake_ctx = ctx;
    pthread_mutex_init(&g->lock, NULL);
    if (pthread_create(&g->thread, NULL, poll_main, g)) {
        pthread_mutex_destroy(&g->lock);
        free(g);
        ezc_error_set(err, EZC_EIO, "dash: cannot start the graphs thread");
        return NULL;
    }
    return g;
}

void dash_graphs_destroy(dash_graphs **pg)
{
    if (!pg || !*pg)
        return;
    dash_graphs *g = *pg;
    atomic_store(&g->quit, 1);
    pthread_join(g->thread, NULL);
    for (size_t i = 0; i < g->ng; i++) {
        free(g->g[i].nodes);
        free(g->g[i].edges);
    }
    free(g->msg);
    free(g->streams);
    pthread_mutex_destroy(&g->lock);
    free(g);
    *pg = NULL;
}

char *dash_graphs_message(dash_graphs *g, uint64_t *version)
{
    char *m = NULL;
    pthread_mutex_lock(&g->lock);
    if (g->msg && g->msg_version != *version) {
        m = strdup(g->msg);
        if (m)
            *version = g->msg_version;
    }
    pthread_mutex_unlock(&g->lock);
    return m;
}

int dash_graphs_streams(dash_graphs *g, ezc_stream_info **out, size_t *n, uint64_t *version)
{
    int rc = -1;
    pthread_mutex_lock(&g->lock);
    if (g->streams_version != *version) {
        *out = malloc((g->nstreams ? g->nstreams : 1) * sizeof **out);
        if (*out) {
            if (g->nstreams)
                memcpy(*out, g->streams, g->nstreams * sizeof **out);
            *n = g->nstreams;
            *version = g->streams_version;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return rc;
}
