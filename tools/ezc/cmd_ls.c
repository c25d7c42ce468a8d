/* cmd_ls.c — `ezc ls`: the named streams and running graphs of this host,
 * from the run folder's registry (ezc/names.h); with --rates, each stream's
 * message rate, from one subscriber connected to all of them for a second
 * (messages are told apart by their publisher id); with --remote, the
 * streams other hosts announce (ezc/discovery.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "ezc/clock.h"
#include "ezc/discovery.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: ezc ls [options]\n"
            "Lists the named streams of this host (`ezc pub --name NAME`, ezc_pub_options.name,\n"
            "graph outputs GRAPH/NODE) and the running graphs, from the run folder\n"
            "($EZC_RUN_DIR, else $XDG_RUNTIME_DIR/ezc, else /tmp/ezc-UID). An entry is\n"
            "listed while its publisher lives (it holds a lock on it); one whose publisher\n"
            "died, even by kill -9, is removed when seen. DTYPE, SHAPE, DIMS and FS are\n"
            "known once the first message has been sent (\"-\" before); FS is 1 / the step\n"
            "of a linear time axis.\n\n"
            "  --rates         also subscribe to every stream for 1 s and show its rate\n"
            "                  (messages/s; \"-\" when none arrived)\n"
            "  --streams       only the streams\n"
            "  --graphs        only the graphs\n"
            "  --quiet         no header lines; only the names (one a line)\n"
            "  --remote        also list other hosts' streams, heard from their beacons\n"
            "                  (UDP port $EZC_DISCOVERY_PORT, 5690): STREAM HOST ENDPOINT\n"
            "                  DTYPE SHAPE FS PID CLOCK CURVE. CLOCK: that host's clock\n"
            "                  minus this one's, measured now (docs/pubsub.md \"Clocks\n"
            "                  across hosts\"); CURVE: the key a beacon claims (connect\n"
            "                  with the server's .pub file you trust, not with it)\n"
            "  --wait S        how long --remote listens (default 1.5; beacons: every 1 s)\n\n"
            "Columns: STREAM ENDPOINT DTYPE SHAPE DIMS FS PID GRAPH [RATE], then GRAPH PID\n"
            "CONTROL (the graph's control socket, for ezc top/set/stop).\n"
            "A name goes wherever an endpoint to connect to goes: `ezc echo NAME`, `ezc hz\n"
            "NAME`, `ezc record NAME FILE`, a graph's subscribe node {stream: NAME}.\n\n"
            "examples:\n"
            "  ezc pub --name emg &\n"
            "  ezc ls\n"
            "  ezc ls --rates --streams\n"
            "  EZC_PEERS=lab2 ezc ls --remote --wait 2\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Messages/s of each stream, matched by publisher id: (n - 1) / (last -
 * first arrival) when two or more came, else n in the second. */
static void measure_rates(const ezc_stream_info *v, size_t n, double *rate)
{
    int *count = calloc(n, sizeof *count);
    double *first = calloc(n, sizeof *first), *last = calloc(n, sizeof *last);
    ezc_sub *s = NULL;
    ezc_error err;
    for (size_t i = 0; count && first && last && i < n; i++) {
        if (!s)
            s = ezc_sub_new(v[i].endpoint, "", NULL, &err);
        else
            ezc_sub_connect(s, v[i].endpoint, &err);
    }
    double until = now_s() + 1.0;
    while (s && !cli_stop) {
        double left = until - now_s();
        if (left <= 0)
            break;
        ezc_array *a = NULL;
        int rc = ezc_sub_recv(s, &a, (int)(left * 1000) + 1, &err);
        if (rc == EZC_ETIMEOUT || rc == EZC_EEOS)
            continue;
        if (rc)
            break;
        double t = now_s();
        for (size_t i = 0; i < n; i++)
            if (v[i].id == a->src) {
                if (!count[i]++)
                    first[i] = t;
                last[i] = t;
            }
        ezc_array_destroy(&a);
    }
    for (size_t i = 0; i < n; i++)
        rate[i] = !count || !first || !last ? -1
                  : count[i] >= 2           ? (count[i] - 1) / (last[i] - first[i])
                  : count[i] == 1           ? 1
                                            : -1;
    ezc_sub_destroy(&s);
    free(count);
    free(first);
    free(last);
}

static void print_streams(const ezc_stream_info *v, size_t n, const double *rate)
{
    printf("%-24s %-52s %-8s %-14s %-14s %-9s %-7s %-12s%s\n", "STREAM", "ENDPOINT", "DTYPE",
           "SHAPE", "DIMS", "FS", "PID", "GRAPH", rate ? " RATE" : "");
    for (size_t i = 0; i < n; i++) {
        const ezc_stream_info *si = &v[i];
        char shape[128] = "-", dims[EZC_DIMS_STR_MAX] = "-", fs[32] = "-", r[32] = "-";
        if (si->dtype[0] && si->ndim >= 0) {
            size_t at = 0, dat = 0;
            at += (size_t)snprintf(shape, sizeof shape, "[");
            for (int d = 0; d < si->ndim && at < sizeof shape; d++)
                at += (size_t)snprintf(shape + at, sizeof shape - at, "%s%lld", d ? ", " : "",
                                       (long long)si->shape[d]);
            if (at < sizeof shape)
                snprintf(shape + at, sizeof shape - at, "]");
            for (int d = 0; d < si->ndim && dat < sizeof dims; d++)
                dat += (size_t)snprintf(dims + dat, sizeof dims - dat, "%s%s", d ? "," : "",
                                        si->dims[d]);
        }
        if (si->fs > 0)
            snprintf(fs, sizeof fs, "%g", si->fs);
        if (rate && rate[i] >= 0)
            snprintf(r, sizeof r, "%.1f", rate[i]);
        printf("%-24s %-52s %-8s %-14s %-14s %-9s %-7ld %-12s%s%s\n", si->name, si->endpoint,
               si->dtype[0] ? si->dtype : "-", shape, dims, fs, si->pid,
               si->graph[0] ? si->graph : "-", rate ? " " : "", rate ? r : "");
    }
}

/* The stream's host clock minus ours, one short burst of probes
 * (docs/pubsub.md, "Clocks across hosts"): "+2500.000ms", or "-" when it
 * has no clock service or did not answer. */
static void remote_clock(const ezc_stream_info *si, char *out, size_t cap)
{
    char host[256];
    ezc_clock_estimate e;
    ezc_error err;
    snprintf(out, cap, "-");
    if (si->time_port <= 0 || !ezc_clock_endpoint_host(si->endpoint, host, sizeof host))
        return;
    if (ezc_clock_measure(host, si->time_port, 4, 100, &e, &err) == 0)
        snprintf(out, cap, "%+.3fms", (double)e.offset_ns * 1e-6);
}

/* Other hosts' streams, heard for wait_s seconds (docs/pubsub.md, "Across hosts"). */
static int list_remote(double wait_s, int quiet)
{
    ezc_discovery_config c;
    ezc_error err;
    if (ezc_discovery_config_from_env(&c, &err)) {
        fprintf(stderr, "ezc ls: %s\n", err.msg);
        return 1;
    }
    ezc_stream_info *v = NULL;
    size_t n = 0;
    cli_install_signals();
    int rc = ezc_discovery_list(&c, (int)(wait_s * 1000), &v, &n, &err);
    if (rc && rc != EZC_EINTR) {
        fprintf(stderr, "ezc ls: %s\n", err.msg);
        return 1;
    }
    if (!quiet)
        printf("\n");
    if (quiet)
        for (size_t i = 0; i < n; i++)
            printf("%s\n", v[i].name);
    else if (n) {
        printf("%-24s %-16s %-30s %-8s %-14s %-9s %-7s %-13s %s\n", "STREAM", "HOST", "ENDPOINT",
               "DTYPE", "SHAPE", "FS", "PID", "CLOCK", "CURVE");
        for (size_t i = 0; i < n; i++) {
            const ezc_stream_info *si = &v[i];
            char shape[128] = "-", fs[32] = "-";
            if (si->dtype[0] && si->ndim >= 0) {
                size_t at = (size_t)snprintf(shape, sizeof shape, "[");
                for (int d = 0; d < si->ndim && at < sizeof shape; d++)
                    at += (size_t)snprintf(shape + at, sizeof shape - at, "%s%lld", d ? "," : "",
                                           (long long)si->shape[d]);
                if (at < sizeof shape)
                    snprintf(shape + at, sizeof shape - at, "]");
            }
            if (si->fs > 0)
                snprintf(fs, sizeof fs, "%g", si->fs);
            char clock[32];
            remote_clock(si, clock, sizeof clock);
            printf("%-24s %-16s %-30s %-8s %-14s %-9s %-7ld %-13s %s\n", si->name, si->host,
                   si->endpoint, si->dtype[0] ? si->dtype : "-", shape, fs, si->pid, clock,
                   si->curve_key[0] ? si->curve_key : "-");
        }
    } else
        printf("no streams heard from other hosts in %g s\n", wait_s);
    free(v);
    return rc == EZC_EINTR ? 130 : 0;
}

int cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rates", 0, 0, 'r'},  {"streams", 0, 0, 's'}, {"graphs", 0, 0, 'g'}, {"quiet", 0, 0, 'q'},
        {"remote", 0, 0, 'R'}, {"wait", 1, 0, 'w'},    {"help", 0, 0, 'h'},   {0, 0, 0, 0}};
    int rates = 0, only_streams = 0, only_graphs = 0, quiet = 0, remote = 0, c;
    double wait_s = 1.5;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rates = 1; break;
        case 's': only_streams = 1; break;
        case 'g': only_graphs = 1; break;
        case 'q': quiet = 1; break;
        case 'R': remote = 1; break;
        case 'w':
            if (cli_parse_double("ls", "--wait", optarg, &wait_s))
                return 2;
            if (wait_s < 0 || wait_s > 3600) {
                fprintf(stderr, "ezc ls: --wait must be seconds in 0..3600\n");
                return 2;
            }
            break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ezc ls: takes no arguments\n");
        help(stderr);
        return 2;
    }
    ezc_error err;
    int rc = 0;
    if (!only_graphs) {
        ezc_stream_info *v = NULL;
        size_t n = 0;
        if (ezc_names_list(&v, &n, &err)) {
            fprintf(stderr, "ezc ls: %s\n", err.msg);
            return 1;
        }
        double *rate = rates && n ? calloc(n, sizeof *rate) : NULL;
        if (rate) {
            cli_install_signals();
            measure_rates(v, n, rate);
        }
        if (quiet)
            for (size_t i = 0; i < n; i++)
                printf("%s\n", v[i].name);
        else if (n)
            print_streams(v, n, rate);
        else
            printf("no named streams\n");
        free(rate);
        free(v);
        if (remote && (rc = list_remote(wait_s, quiet)) != 0)
            return rc;
    }
    if (!only_streams) {
        ezc_graph_entry *g = NULL;
        size_t n = 0;
        if (ezc_names_graphs(&g, &n, &err)) {
            fprintf(stderr, "ezc ls: %s\n", err.msg);
            return 1;
        }
        if (!quiet && !only_graphs)
            printf("\n");
        if (quiet)
            for (size_t i = 0; i < n; i++)
                printf("%s\n", g[i].name);
        else if (n) {
            printf("%-24s %-7s %s\n", "GRAPH", "PID", "CONTROL");
            for (size_t i = 0; i < n; i++)
                printf("%-24s %-7ld %s\n", g[i].name, g[i].pid, g[i].control);
        } else
            printf("no running graphs\n");
        free(g);
    }
    return rc;
}
