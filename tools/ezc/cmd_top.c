/* cmd_top.c — `ezc top [GRAPH]`: every node of every running graph (or of
 * one) with its figures, from the graphs' control sockets (ezc/control.h),
 * refreshed once a second. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ezc/control.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc top [GRAPH] [--once] [--interval S]\n"
               "Shows every node of every graph running on this host (`ezc run`, `ezc\n"
               "node`), or of GRAPH only: state, messages/s and MB/s over the last second,\n"
               "drops, errors, restarts, latency since the source (p50/p99) and the CPU its\n"
               "thread takes (%% of one core). Refreshed every second until Ctrl-C. Reading\n"
               "costs the graphs nothing on their data path (docs/control.md).\n"
               "Exit status: 0; 1 when GRAPH does not run or does not answer.\n\n"
               "  --once           print one table and exit\n"
               "  --interval S     refresh period (default 1)\n\n"
               "examples:\n"
               "  ezc top\n"
               "  ezc top demo_abs --once\n");
}

static void fmt_us(char *buf, size_t cap, double us)
{
    if (us < 0)
        snprintf(buf, cap, "-");
    else if (us < 10000)
        snprintf(buf, cap, "%.0fus", us);
    else
        snprintf(buf, cap, "%.1fms", us / 1000);
}

/* One graph's rows; 0, or the client's error code. */
static int show_graph(const char *name, FILE *out, int quiet_missing)
{
    ezc_control_node *nodes = NULL;
    size_t n = 0;
    ezc_error err;
    int rc = ezc_control_stats(name, 2000, &nodes, &n, NULL, &err);
    if (rc) {
        if (!quiet_missing)
            fprintf(stderr, "ezc top: %s\n", err.msg);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        const ezc_control_node *x = &nodes[i];
        char p50[16], p99[16], cpu[16] = "-";
        fmt_us(p50, sizeof p50, x->latency_p50_us);
        fmt_us(p99, sizeof p99, x->latency_p99_us);
        if (x->cpu_pct >= 0)
            snprintf(cpu, sizeof cpu, "%.1f", x->cpu_pct);
        fprintf(out,
                "%-16.16s %-14.14s %-14.14s %-7s %10.1f %8.3f %8llu %8llu %5llu %8s %8s %6s%s%s\n",
                name, x->name, x->type, x->state, x->msg_s, x->mb_s, (unsigned long long)x->drops,
                (unsigned long long)x->errors, (unsigned long long)x->restarts, p50, p99, cpu,
                x->last_error[0] ? "  last: " : "", x->last_error);
    }
    free(nodes);
    return 0;
}

static void header(FILE *out)
{
    fprintf(out, "%-16s %-14s %-14s %-7s %10s %8s %8s %8s %5s %8s %8s %6s\n", "GRAPH", "NODE",
            "TYPE", "STATE", "MSG/S", "MB/S", "DROPS", "ERRORS", "RESTR", "P50", "P99", "CPU%");
}

/* One table: 0, or 1 when the graph asked for does not answer. */
static int table(const char *graph, FILE *out)
{
    header(out);
    if (graph)
        return show_graph(graph, out, 0) ? 1 : 0;
    char **names = NULL;
    size_t n = 0;
    ezc_error err;
    if (ezc_control_list(&names, &n, &err)) {
        fprintf(stderr, "ezc top: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        show_graph(names[i], out, 1); /* one that ended meanwhile: gone from the table */
    if (!n)
        fprintf(out, "(no graph running)\n");
    ezc_control_names_free(names, n);
    return 0;
}

int cmd_top(int argc, char **argv)
{
    static const struct option opts[] = {
        {"once", 0, 0, 'o'}, {"interval", 1, 0, 'i'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c, once = 0;
    double interval = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': once = 1; break;
        case 'i':
            if (cli_parse_double("top", "--interval", optarg, &interval))
                return 2;
            if (!(interval >= 0.1 && interval <= 3600)) {
                fprintf(stderr, "ezc top: --interval '%s': expected 0.1 to 3600 s\n", optarg);
                return 2;
            }
            break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "ezc top: expected at most one GRAPH\n");
        help(stderr);
        return 2;
    }
    const char *graph = optind < argc ? argv[optind] : NULL;
    ezc_error err;
    if (graph && ezc_control_name_check(graph, &err)) {
        fprintf(stderr, "ezc top: %s\n", err.msg);
        return 2;
    }
    if (once)
        return table(graph, stdout);
    cli_install_signals();
    int tty = isatty(1);
    while (!cli_stop) {
        if (tty)
            fputs("\033[H\033[2J", stdout);
        int rc = table(graph, stdout);
        if (!tty)
            fputc('\n', stdout);
        fflush(stdout);
        if (rc)
            return rc;
        struct timespec ts = {(time_t)interval,
                              (long)((interval - (double)(time_t)interval) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return 0;
}
