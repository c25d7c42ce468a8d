/* cmd_hz.c — `ezc hz`: message rate, bandwidth, sequence gaps and latency
 * percentiles of a stream, over a sliding window, printed once a second. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "cli_curve.h"
#include "cli_names.h"

#define WINDOW_MAX 100000

typedef struct sample {
    double t;       /* arrival, monotonic seconds */
    double latency; /* publish -> arrival, seconds */
    size_t bytes;
} sample;

/* The window's samples, oldest first, in a ring that grows (doubling, up to
 * WINDOW_MAX) only when the window holds more than it has room for: memory
 * follows what the window needs, then stays flat (a fixed WINDOW_MAX ring
 * touched a new page every few hundred messages for hours). */
typedef struct ring {
    sample *v;
    double *lat; /* scratch for the percentiles, same capacity */
    size_t cap, head, count;
} ring;

static int ring_push(ring *w, sample x)
{
    if (w->count == w->cap && w->cap < WINDOW_MAX) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        cap = cap < WINDOW_MAX ? cap : WINDOW_MAX;
        sample *v = malloc(cap * sizeof *v);
        double *lat = realloc(w->lat, cap * sizeof *lat);
        if (!v || !lat) {
            free(v);
            if (lat)
                w->lat = lat;
            return -1;
        }
        for (size_t i = 0; i < w->count; i++) /* oldest first at 0 */
            v[i] = w->v[(w->head + i) % w->cap];
        free(w->v);
        w->v = v;
        w->lat = lat;
        w->cap = cap;
        w->head = 0;
    }
    if (w->count == w->cap) { /* WINDOW_MAX reached: the oldest goes */
        w->head = (w->head + 1) % w->cap;
        w->count--;
    }
    w->v[(w->head + w->count++) % w->cap] = x;
    return 0;
}

static void help(FILE *f)
{
    fprintf(f, "usage: ezc hz ENDPOINT [options]\n"
               "Subscribes to ENDPOINT and prints, once a second, over the last WINDOW\n"
               "seconds: messages/s, MB/s, sequence gaps (missing messages), and the\n"
               "publish-to-arrival latency p50/p99 (publisher and receiver share a clock\n"
               "on one host; a stream of another host found by name has its stamps mapped\n"
               "onto this host's clock, measured continuously, and a \"clock:\" line says\n"
               "by how much and how well: docs/pubsub.md \"Clocks across hosts\"). A\n"
               "publisher that restarted (same id, a new instance) adds \"restarts N (last\n"
               "silent S s, lost L)\": how long it sent nothing, by its own time stamps, and\n"
               "the messages lost across it (exact when it went on numbering, as a named\n"
               "`ezc pub` does; \"unknown\" when it started over); after a gap without\n"
               "restart \"last gap: silent S s\". \"path\" says how the data arrives: shm (shared\n"
               "memory: an ipc:// publisher on this host, docs/pubsub.md), inline (through\n"
               "the socket) or shm+inline; \"(forwarded P%%)\" after it: the share of messages\n"
               "read where a publisher further upstream wrote them (a node between that\n"
               "passed them on without copying).\n" CLI_NAME_ARG_HELP "\n"
               "  --topic T       topic prefix (default: all)\n"
               "  --window S      sliding window in seconds (default 5)\n"
               "  --duration S    stop after S seconds (default: until Ctrl-C or the end of\n"
               "                  the stream)\n"
               "  --keep          keep listening after an end of stream (alias "
               "--ignore-eos)\n" CLI_NAME_HELP CLI_CURVE_CLIENT_HELP "\n"
               "End of stream: when the publisher ends its stream (docs/wire-format.md) hz\n"
               "prints its last line at once and exits 0, unless --keep. The marker is no\n"
               "message and no gap; messages lost just before it are gaps.\n\n"
               "examples:\n"
               "  ezc hz ipc:///tmp/raw\n"
               "  ezc hz emg                         # a stream name (ezc ls)\n"
               "  ezc hz tcp://127.0.0.1:5560 --window 10 --duration 30\n");
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cmd_hz(int argc, char **argv)
{
    static const struct option opts[] = {
        {"topic", 1, 0, 't'},     {"window", 1, 0, 'w'}, {"duration", 1, 0, 'd'},
        {"help", 0, 0, 'h'},      {"keep", 0, 0, 'k'},   {"ignore-eos", 0, 0, 'k'},
        CLI_CURVE_CLIENT_OPTIONS, CLI_NAME_OPTIONS,      {0, 0, 0, 0}};
    cli_curve cc = {0};
    const char *topic = "";
    double window = 5, duration = 0, wait_s = 0;
    int c, keep = 0, ended = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': topic = optarg; break;
        case 'w':
            if (cli_parse_double("hz", "--window", optarg, &window) || window <= 0) {
                fprintf(stderr, "ezc hz: --window must be a positive number of seconds\n");
                return 2;
            }
            break;
        case 'd':
            if (cli_parse_double("hz", "--duration", optarg, &duration))
                return 2;
            break;
        case 'k': keep = 1; break;
        case 'h': help(stdout); return 0;
        default:
            if (cli_curve_take(&cc, c, optarg))
                break;
            if ((c = cli_name_take("hz", c, optarg, &wait_s)) != 0) {
                if (c < 0)
                    return 2;
                break;
            }
            help(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ezc hz: expected one ENDPOINT\n");
        help(stderr);
        return 2;
    }
    char resolved[512];
    const char *endpoint =
        cli_stream_endpoint("hz", argv[optind], wait_s, resolved, sizeof resolved);
    if (!endpoint)
        return 1;
    ezc_error err;
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    if (cli_curve_apply("hz", &cc, NULL, &so))
        return 2;
    ezc_sub *s = ezc_sub_new(endpoint, topic, &so, &err);
    if (!s) {
        fprintf(stderr, "ezc hz: %s\n", err.msg);
        return 1;
    }
    if (endpoint == resolved)
        cli_stream_clock("hz", s);
    ring w = {0};
    cli_install_signals();
    double start = now_mono(), next_print = start + 1;
    ezc_sub_stats st0;
    ezc_sub_stats_get(s, &st0);
    while (!cli_stop && (duration <= 0 || now_mono() - start < duration)) {
        ezc_array *a = NULL;
        int rc = ezc_sub_recv(s, &a, 100, &err);
        double t = now_mono();
        if (rc == 0) {
            int64_t now_ns = ezc_clock_now_ns(); /* stamps from another host come mapped to it */
            sample x = {t, a->ts_ns ? ((double)now_ns - (double)a->ts_ns) * 1e-9 : 0, /* any ts */
                        ezc_array_nbytes(a)};
            ezc_array_destroy(&a);
            if (ring_push(&w, x)) {
                fprintf(stderr, "ezc hz: out of memory\n");
                break;
            }
        } else if (rc == EZC_EINTR) {
            break; /* Ctrl-C / SIGTERM */
        } else if (rc == EZC_EEOS) {
            fprintf(stderr, "ezc hz: end of stream%s\n", keep ? "; listening on (--keep)" : "");
            ended = !keep;
            next_print = t; /* the figures up to the end, now */
        } else if (rc != EZC_ETIMEOUT) {
            fprintf(stderr, "ezc hz: %s\n", err.msg);
            break;
        }
        while (w.count && w.v[w.head].t < t - window) {
            w.head = (w.head + 1) % w.cap;
            w.count--;
        }
        if (t < next_print)
            continue;
        next_print = t + 1;
        double span = t - start < window ? t - start : window;
        size_t bytes = 0;
        size_t count = w.count;
        double *lat = w.lat;
        for (size_t i = 0; i < count; i++) {
            const sample *x = &w.v[(w.head + i) % w.cap];
            bytes += x->bytes;
            lat[i] = x->latency;
        }
        if (count)
            qsort(lat, count, sizeof *lat, cmp_double);
        ezc_sub_stats st;
        ezc_sub_stats_get(s, &st);
        /* A publisher that was silent (a restart, an outage) says for how long. */
        char silent[128] = "";
        if (st.restarts && st.restart_lost >= 0)
            snprintf(silent, sizeof silent, "  restarts %llu (last silent %.3f s, lost %lld)",
                     (unsigned long long)st.restarts, (double)st.restart_silence_ns * 1e-9,
                     (long long)st.restart_lost);
        else if (st.restarts)
            snprintf(silent, sizeof silent, "  restarts %llu (last silent %.3f s, lost unknown)",
                     (unsigned long long)st.restarts, (double)st.restart_silence_ns * 1e-9);
        else if (st.gap_silence_ns)
            snprintf(silent, sizeof silent, "  last gap: silent %.3f s",
                     (double)st.gap_silence_ns * 1e-9);
        char fwd[48] = "";
        if (st.shm_forwarded)
            snprintf(fwd, sizeof fwd, " (forwarded %.0f%%)",
                     100.0 * (double)st.shm_forwarded / (double)st.shm_received);
        printf("rate %.1f msg/s  bw %.3f MB/s  gaps %llu  malformed %llu  latency p50 %.0f us p99 "
               "%.0f us  (n=%zu, window %.0f s)%s  path %s%s\n",
               span > 0 ? (double)count / span : 0.0, span > 0 ? (double)bytes / span / 1e6 : 0.0,
               (unsigned long long)(st.gaps - st0.gaps), (unsigned long long)st.malformed,
               count ? lat[count / 2] * 1e6 : 0.0, count ? lat[(count * 99) / 100] * 1e6 : 0.0,
               count, window, silent, ezc_sub_path(s), fwd);
        char clock[320];
        cli_stream_clock_line(s, clock, sizeof clock);
        if (clock[0])
            printf("%s\n", clock);
        fflush(stdout);
        if (ended)
            break;
    }
    free(w.v);
    free(w.lat);
    ezc_sub_destroy(&s);
    return 0;
}
