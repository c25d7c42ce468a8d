/* bench_graph.c — the graph runtime (nodes/graph_run.c) against what it is
 * built from, measured in the same run:
 *
 *  1. baselines: a bare transformer call (scale, factor 1, on float32
 *     100x64, its output fed back as the next input) and the sine source's
 *     ezc_synth_next; raw inproc pub/sub: the same 4-hop chain of threads
 *     made of ezc_pub/ezc_sub by hand, forwarding a ready-made array;
 *  2. a 5-node chain in one process, unthrottled (sine 64 ch x 100 float32
 *     -> scale -> scale -> scale -> print sink), fused (the default: one
 *     thread, direct calls) and unfused (a thread and a socket per node,
 *     `runtime: {fuse: false}`): messages/s end to end and
 *     the runtime's CPU cost per node and message beyond the bare calls
 *     (process CPU time / messages - synth - 3 transformer calls, / 5);
 *  3. the same chain with every node in a process of its own over ipc at
 *     1 kHz (`ezc run` with process groups; the source is this program,
 *     stamping the send time into the time axis offset): messages/s and
 *     p50/p99 latency since the source, measured here after the sink;
 *  4. resident memory (VmRSS) of `ezc run` on a 20-node graph in one
 *     process, beside a 2-node graph.
 * Usage: bench_graph PATH_TO_EZC (meson passes it). Medians of 3 runs. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "ezc/ezc.h"
#include "ezc/graph.h"
#include "ezc/graph_run.h"

#define RUNS 3
#define CHAIN_MSGS 20000
#define FUSED_MSGS 200000
#define RAW_MSGS 100000
#define IPC_WARMUP 300
#define IPC_MSGS 3000

static const char *ezc_path;
static char tmpdir[64];

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_graph: %s: %s\n", what, why);
    exit(1);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static ezc_array *make_array(void)
{
    ezc_error err;
    const int64_t shape[2] = {100, 64};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
    if (!a)
        die("array", err.msg);
    float *d = ezc_array_data(a);
    for (int i = 0; i < 6400; i++)
        d[i] = (float)sin(i * 0.01);
    ezc_array_set_linear_axis(a, 0, 1e-3, 0.0, "s");
    return a;
}

/* ---- 1. baselines ---- */

static double bare_call_ns(ezc_registry *reg)
{
    ezc_error err;
    const ezc_transformer_type *tt = ezc_registry_find(reg, "scale", &err);
    ezc_settings *s = ezc_settings_new(&err);
    if (!tt || !s || ezc_settings_set(s, "scale", "1", "bench", &err))
        die("scale", err.msg);
    ezc_transformer *t = ezc_transformer_new(tt, s, &err);
    if (!t)
        die("scale", err.msg);
    ezc_array *a = make_array();
    const int n = 20000;
    for (int i = 0; i < 1000; i++) { /* warm-up */
        ezc_array *out = NULL;
        if (ezc_transformer_process(t, 0, a, &out, &err))
            die("scale", err.msg);
        a = out;
    }
    double t0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        ezc_array *out = NULL;
        ezc_transformer_process(t, 0, a, &out, &err);
        a = out;
    }
    double dt = now_s(CLOCK_MONOTONIC) - t0;
    ezc_array_destroy(&a);
    ezc_transformer_destroy(&t);
    ezc_settings_destroy(&s);
    return dt / n * 1e9;
}

static double synth_ns(void)
{
    ezc_error err;
    ezc_synth_options o;
    ezc_synth_options_init(&o);
    o.fs = 1000;
    o.channels = 64;
    o.chunk = 100;
    o.dtype = EZC_FLOAT32;
    o.key = "sine";
    ezc_synth *s = ezc_synth_new(&o, &err);
    if (!s)
        die("synth", err.msg);
    const int n = 2000;
    double t0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        ezc_array *a = ezc_synth_next(s, &err);
        ezc_array_destroy(&a);
    }
    double dt = now_s(CLOCK_MONOTONIC) - t0;
    ezc_synth_destroy(&s);
    return dt / n * 1e9;
}

/* Raw inproc chain: source thread -> 3 relays -> sink thread. */
typedef struct raw_hop {
    char in[64], out[64];
    int n;
    pthread_barrier_t *ready;
} raw_hop;

static void *raw_relay(void *arg)
{
    raw_hop *h = arg;
    ezc_error err;
    ezc_pub *p = h->out[0] ? ezc_pub_new(h->out, NULL, &err) : NULL;
    pthread_barrier_wait(h->ready); /* every bind before any connect */
    ezc_sub *s = h->in[0] ? ezc_sub_new(h->in, "", NULL, &err) : NULL;
    pthread_barrier_wait(h->ready);
    if (p && ezc_pub_wait_subscribers(p, 1, 5000, &err))
        die("raw chain", err.msg);
    ezc_array *src = s ? NULL : make_array();
    for (int i = 0; i < h->n; i++) {
        ezc_array *a = NULL;
        if (s && ezc_sub_recv(s, &a, 5000, &err))
            die("raw chain recv", err.msg);
        if (!s && !(a = ezc_array_copy(src, &err))) /* a fresh buffer, like a source's */
            die("raw chain copy", err.msg);
        if (p && ezc_pub_send(p, "x", a, &err))
            die("raw chain send", err.msg);
        ezc_array_destroy(&a);
    }
    ezc_array_destroy(&src);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
    return NULL;
}

static double raw_chain_rate(int run, double *cpu_per_msg)
{
    enum { HOPS = 5 };
    raw_hop h[HOPS];
    pthread_t th[HOPS];
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, HOPS);
    for (int i = 0; i < HOPS; i++) {
        memset(&h[i], 0, sizeof h[i]);
        h[i].n = RAW_MSGS;
        h[i].ready = &b;
        if (i > 0)
            snprintf(h[i].in, sizeof h[i].in, "inproc://raw%d-%d", run, i - 1);
        if (i < HOPS - 1)
            snprintf(h[i].out, sizeof h[i].out, "inproc://raw%d-%d", run, i);
    }
    double t0 = now_s(CLOCK_MONOTONIC), c0 = cpu_s();
    for (int i = 0; i < HOPS; i++)
        pthread_create(&th[i], NULL, raw_relay, &h[i]);
    for (int i = 0; i < HOPS; i++)
        pthread_join(th[i], NULL);
    double dt = now_s(CLOCK_MONOTONIC) - t0;
    *cpu_per_msg = (cpu_s() - c0) / RAW_MSGS * 1e9;
    pthread_barrier_destroy(&b);
    return RAW_MSGS / dt;
}

/* ---- 2. the runtime, one process ---- */

static ezc_graph *graph_from(const char *yaml, ezc_registry *reg)
{
    ezc_error err;
    ezc_graph *g = ezc_graph_parse(yaml, strlen(yaml), "bench.yaml", NULL, &err);
    if (!g)
        die("graph", err.msg);
    if (ezc_graph_check(g, reg))
        die("graph", g->errors[0].msg);
    return g;
}

/* The chain with the sine source (external = 0), or fed by a thread of
 * this program sending fresh copies of a ready array over inproc, as the
 * raw chain's source does (external = 1): the runtime without the synth. */
static void *feed(void *arg)
{
    const char *ep = arg;
    ezc_error err;
    ezc_pub *p = ezc_pub_new(ep, NULL, &err);
    if (!p || ezc_pub_wait_subscribers(p, 1, 5000, &err))
        die("feed", err.msg);
    ezc_array *src = make_array();
    for (int i = 0; i < RAW_MSGS; i++) {
        ezc_array *a = ezc_array_copy(src, &err);
        if (!a || ezc_pub_send(p, "raw", a, &err))
            die("feed", err.msg);
        ezc_array_destroy(&a);
    }
    ezc_array_destroy(&src);
    ezc_pub_destroy(&p);
    return NULL;
}

static void chain_rate(ezc_registry *reg, int external, int fuse, int run, double *rate,
                       double *cpu_per_msg)
{
    char yaml[1024], ep[64];
    int n = external ? RAW_MSGS : fuse ? FUSED_MSGS : CHAIN_MSGS;
    snprintf(ep, sizeof ep, "inproc://bench-feed-%d", run);
    snprintf(yaml, sizeof yaml,
             "nodes:\n"
             "  src: {type: sine, settings: {fs: 1000, channels: 64, chunk: 100, dtype: float32,"
             " realtime: false, count: %d}}\n"
             "  a: {type: scale, settings: {scale: 1}}\n"
             "  b: {type: scale, settings: {scale: 1}}\n"
             "  c: {type: scale, settings: {scale: 1}}\n"
             "  sink: {type: print, settings: {every: 0}}\n"
             "edges: [src -> a, a -> b, b -> c, c -> sink]\n"
             "runtime: {fuse: %s}\n",
             n, fuse ? "true" : "false");
    if (external) { /* no sine node: an input instead */
        char *src = strstr(yaml, "  src:"), *a = strstr(yaml, "  a:");
        memmove(src, a, strlen(a) + 1);
        char *e = strstr(yaml, "src -> a, ");
        memmove(e, e + 10, strlen(e + 10) + 1);
        snprintf(yaml + strlen(yaml), sizeof yaml - strlen(yaml),
                 "inputs: {src: {node: a, endpoint: \"%s\"}}\n", ep);
    }
    ezc_graph *g = graph_from(yaml, reg);
    ezc_error err;
    double c0 = cpu_s(), t0 = now_s(CLOCK_MONOTONIC);
    ezc_graph_runtime *rt = ezc_graph_runtime_start(g, NULL, &err);
    if (!rt)
        die("runtime", err.msg);
    pthread_t th;
    if (external)
        pthread_create(&th, NULL, feed, ep);
    size_t sink = ezc_graph_runtime_count(rt) - 1;
    ezc_graph_node_stats st;
    for (;;) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        ezc_graph_runtime_stats(rt, sink, &st);
        if (st.messages >= (uint64_t)n)
            break;
        if (now_s(CLOCK_MONOTONIC) - t0 > 120)
            die("chain", "stalled");
    }
    double dt = now_s(CLOCK_MONOTONIC) - t0, dc = cpu_s() - c0;
    if (external)
        pthread_join(th, NULL);
    ezc_graph_runtime_stop(&rt, &err);
    ezc_graph_destroy(&g);
    *rate = n / dt;
    *cpu_per_msg = dc / n * 1e9;
}

/* ---- 3. one process per node, ipc, 1 kHz ---- */

static pid_t spawn_ezc(const char *yaml_path, const char *duration)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(ezc_path, "ezc", "run", yaml_path, "--quiet", "--duration", duration, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void ipc_chain(int run, double *rate, double *p50, double *p99)
{
    char in[128], out[128], path[128], yaml[2048];
    snprintf(in, sizeof in, "ipc://%s/in%d", tmpdir, run);
    snprintf(out, sizeof out, "ipc://%s/out%d", tmpdir, run);
    snprintf(path, sizeof path, "%s/ipc%d.yaml", tmpdir, run);
    snprintf(yaml, sizeof yaml,
             "nodes:\n"
             "  a: {type: scale, settings: {scale: 1}, process: pa}\n"
             "  b: {type: scale, settings: {scale: 1}, process: pb}\n"
             "  c: {type: scale, settings: {scale: 1}, process: pc}\n"
             "  sink: {type: publish, settings: {endpoint: \"%s\"}, process: psink}\n"
             "edges: [a -> b, b -> c, c -> sink]\n"
             "inputs:\n"
             "  src: {node: a, endpoint: \"%s\"}\n",
             out, in);
    FILE *f = fopen(path, "w");
    if (!f)
        die(path, "cannot write");
    fputs(yaml, f);
    fclose(f);
    ezc_error err;
    ezc_pub *p = ezc_pub_new(in, NULL, &err);
    if (!p)
        die("ipc source", err.msg);
    pid_t child = spawn_ezc(path, "60");
    ezc_sub *s = ezc_sub_new(out, "", NULL, &err);
    if (!s || ezc_pub_wait_subscribers(p, 1, 20000, &err))
        die("ipc chain", err.msg);
    ezc_array *a = make_array();
    double *lat = calloc(IPC_MSGS, sizeof *lat);
    int got = 0, warm = 0;
    double period = 1e-3, next = now_s(CLOCK_MONOTONIC), t_first = 0, t_last = 0;
    /* Send at 1 kHz; receive whatever has arrived in between. */
    for (int i = 0; got < IPC_MSGS; i++) {
        while (now_s(CLOCK_MONOTONIC) < next) {
            ezc_array *r = NULL;
            double left = next - now_s(CLOCK_MONOTONIC);
            if (ezc_sub_recv(s, &r, left > 0 ? (int)(left * 1000) : 0, &err) == 0) {
                double t = now_s(CLOCK_REALTIME);
                if (warm < IPC_WARMUP) {
                    warm++;
                } else if (got < IPC_MSGS) {
                    if (!got)
                        t_first = t;
                    t_last = t;
                    lat[got++] = (t - r->axes[0].offset) * 1e6;
                }
                ezc_array_destroy(&r);
            }
        }
        next += period;
        ezc_array_set_linear_axis(a, 0, 1e-3, now_s(CLOCK_REALTIME), "s");
        if (ezc_pub_send(p, "raw", a, &err))
            die("ipc send", err.msg);
        if (i > (IPC_WARMUP + IPC_MSGS) * 3)
            die("ipc chain", "messages are lost");
    }
    kill(child, SIGINT);
    waitpid(child, NULL, 0);
    *rate = (got - 1) / (t_last - t_first);
    *p50 = median(lat, got);
    *p99 = lat[(int)(got * 0.99)];
    free(lat);
    ezc_array_destroy(&a);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
}

/* ---- 4. memory ---- */

static double rss_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb / 1024.0;
}

static double graph_rss(int nodes)
{
    char path[128];
    snprintf(path, sizeof path, "%s/rss%d.yaml", tmpdir, nodes);
    FILE *f = fopen(path, "w");
    if (!f)
        die(path, "cannot write");
    fprintf(f, "nodes:\n  n0: {type: sine, settings: {fs: 10000, channels: 64, chunk: 100}}\n");
    for (int i = 1; i < nodes - 1; i++)
        fprintf(f, "  n%d: {type: scale, settings: {scale: 1}}\n", i);
    fprintf(f, "  n%d: {type: print, settings: {every: 0}}\nedges:\n", nodes - 1);
    for (int i = 1; i < nodes; i++)
        fprintf(f, "  - n%d -> n%d\n", i - 1, i);
    fclose(f);
    pid_t child = spawn_ezc(path, "3");
    struct timespec ts = {2, 0};
    nanosleep(&ts, NULL);
    double mb = rss_mb(child);
    waitpid(child, NULL, 0);
    return mb;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage", "bench_graph PATH_TO_EZC");
    ezc_path = argv[1];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ezc-bench-graph-XXXXXX");
    if (!mkdtemp(tmpdir))
        die("mkdtemp", "failed");
    ezc_error err;
    ezc_registry *reg = ezc_registry_new(&err);
    if (!reg || ezc_registry_add_builtins(reg, &err))
        die("registry", err.msg);

    double bare[RUNS], syn[RUNS], raw[RUNS], rawcpu[RUNS], rate[RUNS], cpu[RUNS], over[RUNS];
    double xrate[RUNS], xcpu[RUNS], frate[RUNS], fcpu[RUNS];
    double irate[RUNS], ip50[RUNS], ip99[RUNS], rss20[RUNS], rss2[RUNS];
    for (int r = 0; r < RUNS; r++) {
        bare[r] = bare_call_ns(reg);
        syn[r] = synth_ns();
        raw[r] = raw_chain_rate(r, &rawcpu[r]);
        chain_rate(reg, 0, 1, r, &frate[r], &fcpu[r]);
        chain_rate(reg, 0, 0, r, &rate[r], &cpu[r]);
        chain_rate(reg, 1, 0, r, &xrate[r], &xcpu[r]);
        /* Both chains have the same source thread and 4 receiving threads;
         * the runtime's extra per node is what is left beyond the calls. */
        over[r] = (xcpu[r] - rawcpu[r] - 3 * bare[r]) / 4;
        fprintf(stderr,
                "run %d: bare %.0f ns, synth %.0f ns, raw chain %.0f msg/s (%.0f ns "
                "CPU/msg), fused sine chain %.0f msg/s (%.0f ns CPU/msg), unfused %.0f "
                "msg/s (%.0f ns CPU/msg), fed chain %.0f msg/s (%.0f ns CPU/msg), runtime "
                "overhead %.0f ns/node\n",
                r + 1, bare[r], syn[r], raw[r], rawcpu[r], frate[r], fcpu[r], rate[r], cpu[r],
                xrate[r], xcpu[r], over[r]);
    }
    for (int r = 0; r < RUNS; r++) {
        ipc_chain(r, &irate[r], &ip50[r], &ip99[r]);
        fprintf(stderr, "run %d: ipc chain %.0f msg/s, p50 %.0f us, p99 %.0f us\n", r + 1, irate[r],
                ip50[r], ip99[r]);
    }
    for (int r = 0; r < RUNS; r++) {
        rss20[r] = graph_rss(20);
        rss2[r] = graph_rss(2);
        fprintf(stderr, "run %d: VmRSS 20 nodes %.1f MB, 2 nodes %.1f MB\n", r + 1, rss20[r],
                rss2[r]);
    }
    double mb = median(bare, RUNS), ms = median(syn, RUNS), mraw = median(raw, RUNS);
    double mrate = median(rate, RUNS), mcpu = median(cpu, RUNS), mover = median(over, RUNS);
    double mx = median(xrate, RUNS), mxcpu = median(xcpu, RUNS), mrawcpu = median(rawcpu, RUNS);
    double m20 = median(rss20, RUNS), m2 = median(rss2, RUNS);
    printf("graph runtime, medians of %d runs (float32 100x64 messages)\n", RUNS);
    printf("  baseline: bare scale call                       %8.0f ns\n", mb);
    printf("  baseline: sine source ezc_synth_next            %8.0f ns\n", ms);
    printf("  baseline: raw inproc pub/sub chain, 4 hops      %8.0f msg/s  (%.0f ns CPU/msg)\n",
           mraw, mrawcpu);
    double mf = median(frate, RUNS), mfcpu = median(fcpu, RUNS);
    printf("  5-node chain, sine source, one process, fused   %8.0f msg/s  (%.2f x raw chain; "
           "%.0f ns CPU/msg, synth %.0f + 3 calls %.0f of it; target >= 300000)\n",
           mf, mf / mraw, mfcpu, ms, 3 * mb);
    printf("  the same chain unfused (runtime: {fuse: false}) %8.0f msg/s  (%.2f x raw chain; "
           "%.0f ns CPU/msg)\n",
           mrate, mrate / mraw, mcpu);
    printf("  same chain fed like the raw chain (no synth)    %8.0f msg/s  (%.2f x raw chain; "
           "%.0f ns CPU/msg)\n",
           mx, mx / mraw, mxcpu);
    printf("  runtime CPU per node and message beyond raw     %8.0f ns  (fed chain - raw chain - "
           "3 calls, / 4; target < 2000)\n",
           mover);
    printf(
        "  5 nodes, a process each, ipc, 1 kHz             %8.0f msg/s  p50 %.0f us  p99 %.0f us "
        "(5 ipc hops source -> sink -> here)\n",
        median(irate, RUNS), median(ip50, RUNS), median(ip99, RUNS));
    printf("  VmRSS, ezc run, 20-node graph                   %8.1f MB  (2-node graph %.1f MB; "
           "target < 50)\n",
           m20, m2);
    ezc_registry_destroy(&reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd))
        return 1;
    return 0;
}
