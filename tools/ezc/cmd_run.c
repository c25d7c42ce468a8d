/* cmd_run.c — `ezc run`: launch a graph file.
 *
 * Without process groups every node is a thread of this process. With
 * them, this process is a supervisor: the launcher (ezc/launcher.h) runs
 * each group in a child (this same binary, `ezc run FILE --group NAME
 * --ipc-dir DIR`) and restarts and stops them; this file turns the user's
 * signals into its stop and kill, and shows what it reports. */
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "cli_graph.h"
#include "ezc/control.h"
#include "ezc/graph_run.h"
#include "ezc/interrupt.h"
#include "ezc/launcher.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc run FILE [--name NAME] [--host NAME] [--duration S] [--quiet]\n"
               "               [--plugin PATH]...\n"
               "Runs the graph in FILE (docs/graphs.md) until Ctrl-C / SIGTERM, --duration,\n"
               "or the end of its streams: when every node has ended (finite sources such as\n"
               "`count: N` end after their last message, `subscribe` inputs when their\n"
               "publisher sends end of stream; each node passes the end on after what it\n"
               "holds) it exits 0, process groups included.\n"
               "Stopping: every node finishes cleanly (recordings get their index, ipc socket\n"
               "files are removed), exit 0; a process group that does not stop within 10 s\n"
               "is killed (exit 1). A second Ctrl-C forces the exit at once, without cleanup\n"
               "(exit 130). Nodes are threads wired by inproc:// pub/sub; nodes with a\n"
               "`process:` group run in one child process per group, wired by ipc://, and\n"
               "are restarted per their `restart:` policy; a restarted group goes on with\n"
               "its predecessor's sequence numbers and skips those of what it lost, so\n"
               "subscribers downstream count exactly the lost messages as gaps (even after\n"
               "kill -9; docs/pubsub.md, \"Restarts\"). On a terminal a status line per\n"
               "node (messages/s, MB/s, drops, errors) is refreshed every second. A node\n"
               "that refused every message it got (its errors >= its messages) is flagged\n"
               "there and in the summary, and makes the exit status 1. A real-time source\n"
               "that cannot keep up with its fs warns once and is flagged BEHIND REAL TIME.\n"
               "Relative model paths in FILE are relative to FILE's folder.\n"
               "Security: a graph's security: section (docs/graphs.md) puts CURVE on every\n"
               "tcp:// endpoint (key files from `ezc keygen`); outputs and publish sinks drop\n"
               "a subscriber that stopped reading after security.stall_timeout_ms (default\n"
               "2000) instead of halting. A plaintext tcp:// endpoint bound on a non-loopback\n"
               "address (0.0.0.0, a LAN address) is warned about once.\n"
               "Live control: the graph serves a control socket (docs/control.md) under its\n"
               "name (--name, else the file's `name:`, else FILE's base name without .yaml;\n"
               "outputs are named GRAPH/NODE after the file's): `ezc top` shows its nodes,\n"
               "`ezc set NAME/NODE key=value` changes a node's settings while it runs (in any\n"
               "process group; kept across the group's restarts), `ezc stop NAME` stops it as\n"
               "Ctrl-C would. Two graphs of one name cannot run at once.\n\n"
               "  --name NAME      the graph's name for ezc top/set/stop (A-Z a-z 0-9 . _ -)\n"
               "  --host NAME      run only the process groups of host NAME (the file's hosts:\n"
               "                   section); edges to other hosts are their tcp:// endpoints\n"
               "  --duration S     stop after S seconds\n"
               "  --quiet          no status lines and no summary\n"
               "  --plugin PATH    load transformer types from a plugin first (repeatable)\n"
               "  --dash           also serve the dashboard (`ezc dash`, docs/dashboard.md);\n"
               "                   its URL line is printed; --dash-port N (default 8765)\n\n"
               "examples:\n"
               "  ezc run configs/demo_abs.yaml\n"
               "  ezc run configs/demo_abs.yaml --duration 10 --quiet\n"
               "  ezc run lab.yaml --host acq        # on the acquisition machine\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A node that got messages and refused (or failed to send) every one of
 * them: the run is not healthy, however busy it looks. */
static int refused_all(const ezc_graph_node_stats *st)
{
    return st->messages > 0 && st->errors >= st->messages;
}

/* One line per such node; returns how many there are. */
static size_t report_refused(const ezc_graph_node_stats *st, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (refused_all(&st[i])) {
            fprintf(stderr, "ezc run: node '%s' refused every message it got (%llu)%s%s\n",
                    st[i].name, (unsigned long long)st[i].messages,
                    st[i].last_error[0] ? "; last: " : "", st[i].last_error);
            bad++;
        }
    return bad;
}

/* ---- live control (ezc/control.h) ---- */

static void ctl_stop(void *ctx)
{
    (void)ctx;
    if (!cli_stop) { /* as the first Ctrl-C */
        cli_stop = 1;
        ezc_interrupt();
    }
}

static size_t rt_count(void *ctx)
{
    return ezc_graph_runtime_count(ctx);
}

static void rt_stats(void *ctx, size_t i, ezc_graph_node_stats *out)
{
    ezc_graph_runtime_stats(ctx, i, out);
}

static int rt_set(void *ctx, const char *node, const char *const *names, const char *const *values,
                  size_t n, ezc_graph_set_result *res, ezc_error *err)
{
    return ezc_graph_runtime_set(ctx, node, names, values, n, 1000, res, err);
}

static const ezc_control_ops rt_ops = {rt_count, rt_stats, rt_set, ctl_stop, NULL};

/* A file or socket of process group `group` in its supervisor's private
 * folder: DIR/KIND-HASH (a group's name may hold any character: hashed). */
static void group_path(const char *dir, const char *kind, const char *group, char *buf, size_t cap)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *c = group; *c; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
    snprintf(buf, cap, "%s/%s-%016llx", dir, kind, (unsigned long long)h);
}

/* The private control socket a group's child serves: its supervisor
 * relays a "set" for one of its nodes there. */
static void group_endpoint(const char *dir, const char *group, char *buf, size_t cap)
{
    char path[512];
    group_path(dir, "ctl", group, path, sizeof path);
    snprintf(buf, cap, "ipc://%s", path);
}

/* A group's live settings outlive its child: the supervisor keeps every
 * accepted "set" in DIR/settings-HASH, which the group's next child reads
 * into its graph before it starts. One line per setting, "NODE NAME
 * VALUE", with '%', spaces and control bytes of each field as %XX. */
static void put_field(FILE *f, const char *s, char end)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '%' || *p == 0x7f)
            fprintf(f, "%%%02X", *p);
        else
            fputc(*p, f);
    fputc(end, f);
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* Decodes a field in place; -1 on a bad escape (or a NUL). */
static int get_field(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
        if (lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *o++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *o = '\0';
    return 0;
}

/* The child's side: the group's saved settings into g, before it runs. */
static int group_settings_load(ezc_graph *g, const char *dir, const char *group, int quiet,
                               ezc_error *err)
{
    char path[512];
    group_path(dir, "settings", group, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; /* no set yet */
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, taken = 0;
    while (!rc && getline(&line, &cap, f) > 0) {
        /* split by hand: a value may be empty ("s endpoint \n": a subscribe
         * node moved to a stream), which strtok would skip */
        char *node = line, *name = strchr(line, ' '), *val = name ? strchr(name + 1, ' ') : NULL;
        if (val) {
            *name++ = '\0';
            *val++ = '\0';
            val[strcspn(val, "\n")] = '\0';
        }
        int i = node && name && val && !get_field(node) && !get_field(name) && !get_field(val)
                    ? ezc_graph_node_index(g, node)
                    : -1;
        if (i < 0 || strcmp(ezc_graph_node_group(&g->nodes[i]), group))
            continue; /* written by this program's supervisor: never, but not trusted */
        rc = ezc_graph_node_setting_put(g, (size_t)i, name, val, err);
        taken++;
    }
    free(line);
    fclose(f);
    if (!rc && taken && !quiet)
        fprintf(stderr, "ezc run: group '%s': %d live setting%s kept from before its restart\n",
                group, taken, taken == 1 ? "" : "s");
    return rc;
}

/* A supervisor serves its control socket from its own loop (the launcher
 * belongs to one thread): figures as its status lines show them; a "set"
 * goes on to the child that runs the node. */
typedef struct live_setting {
    char *node, *name, *value;
} live_setting;

typedef struct sup_ctl {
    const ezc_graph *g;
    const ezc_launcher *l;
    live_setting *live; /* every accepted change, for the groups' next children */
    size_t nlive;
} sup_ctl;

#define RELAY_MS 2000 /* a group's answer to a relayed "set": its node's 1 s, and slack */

static size_t sup_count(void *ctx)
{
    return ((sup_ctl *)ctx)->g->nnodes;
}

static void sup_stats(void *ctx, size_t i, ezc_graph_node_stats *out)
{
    sup_ctl *c = ctx;
    ezc_launcher_node_stats(c->l, i, out);
    out->cpu_s = -1;
}

static int sup_keep(sup_ctl *c, const char *node, const char *name, const char *value)
{
    live_setting *ls = NULL;
    for (size_t i = 0; i < c->nlive && !ls; i++)
        if (!strcmp(c->live[i].node, node) && !strcmp(c->live[i].name, name))
            ls = &c->live[i];
    char *v = strdup(value);
    if (!v)
        return -1;
    if (ls) {
        free(ls->value);
        ls->value = v;
        return 0;
    }
    live_setting *nl = realloc(c->live, (c->nlive + 1) * sizeof *nl);
    if (nl)
        c->live = nl;
    char *nn = nl ? strdup(node) : NULL, *nm = nn ? strdup(name) : NULL;
    if (!nm) {
        free(nn);
        free(v);
        return -1;
    }
    c->live[c->nlive++] = (live_setting){nn, nm, v};
    return 0;
}

/* Writes the group's file whole (a new file renamed over the old one, so
 * that a child starting now reads the old set or the new, never half). */
static int sup_save(const sup_ctl *c, const char *group)
{
    char path[512], tmp[600];
    group_path(ezc_launcher_dir(c->l), "settings", group, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < c->nlive; i++) {
        int k = ezc_graph_node_index(c->g, c->live[i].node);
        if (k < 0 || strcmp(ezc_graph_node_group(&c->g->nodes[k]), group))
            continue;
        put_field(f, c->live[i].node, ' ');
        put_field(f, c->live[i].name, ' ');
        put_field(f, c->live[i].value, '\n');
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int sup_set(void *ctx, const char *node, const char *const *names, const char *const *values,
                   size_t n, ezc_graph_set_result *res, ezc_error *err)
{
    sup_ctl *c = ctx;
    int i = ezc_graph_node_index(c->g, node);
    if (i < 0)
        return ezc_error_set(err, EZC_ENOTFOUND, "no node '%s' in %s", node, c->g->file);
    const char *group = ezc_graph_node_group(&c->g->nodes[i]);
    int gi = ezc_launcher_group_of(c->l, (size_t)i);
    ezc_launch_group k;
    ezc_launcher_group(c->l, gi < 0 ? (size_t)-1 : (size_t)gi, &k);
    if (gi < 0)
        return ezc_error_set(err, EZC_EINVAL,
                             "node '%s': its process group '%s' runs on another host: set it "
                             "through the graph that host runs",
                             node, group);
    if (!k.running)
        return ezc_error_set(err, EZC_EINVAL, "node '%s': its process group '%s' %s", node, group,
                             k.ended ? "has finished"
                                     : "is not running now (restarting): try again");
    char ep[600];
    group_endpoint(ezc_launcher_dir(c->l), group, ep, sizeof ep);
    int rc = ezc_control_set_at(ep, group, node, names, values, n, RELAY_MS, res, err);
    if (rc) {
        if (rc != EZC_EINVAL) /* not the node's refusal: the relay's own trouble */
            ezc_error_prefix(err, "node '%s': process group '%s' did not answer the change", node,
                             group);
        return rc;
    }
    int kept = 1;
    for (size_t j = 0; j < n; j++)
        kept &= !sup_keep(c, node, names[j], values[j]);
    if (!kept || sup_save(c, group))
        fprintf(stderr,
                "ezc run: warning: node '%s': the new settings are in force, but a restart of "
                "group '%s' would lose them (cannot keep them: out of memory or %s)\n",
                node, group, ezc_launcher_dir(c->l));
    return 0;
}

static void sup_ctl_free(sup_ctl *c)
{
    for (size_t i = 0; i < c->nlive; i++) {
        free(c->live[i].node);
        free(c->live[i].name);
        free(c->live[i].value);
    }
    free(c->live);
}

static const ezc_control_ops sup_ops = {sup_count, sup_stats, sup_set, ctl_stop, NULL};

/* ---- one process: threads ---- */

static void print_status(ezc_graph_runtime *rt, uint64_t *prev_msgs, uint64_t *prev_bytes,
                         double dt, int redraw)
{
    size_t n = ezc_graph_runtime_count(rt);
    if (redraw)
        fprintf(stderr, "\033[%zuA", n);
    for (size_t i = 0; i < n; i++) {
        ezc_graph_node_stats st;
        ezc_graph_runtime_stats(rt, i, &st);
        double rate = dt > 0 ? (double)(st.messages - prev_msgs[i]) / dt : 0;
        double mbs = dt > 0 ? (double)(st.bytes - prev_bytes[i]) / dt / 1e6 : 0;
        prev_msgs[i] = st.messages;
        prev_bytes[i] = st.bytes;
        char lat[48] = "", rs[48] = "";
        if (st.latency_p50_us >= 0)
            snprintf(lat, sizeof lat, "  p50 %.0f us", st.latency_p50_us);
        if (st.restarts)
            snprintf(rs, sizeof rs, "  restarts %llu", (unsigned long long)st.restarts);
        fprintf(stderr,
                "\033[2K  %-16s %-7s %9.1f msg/s %8.3f MB/s  drops %-6llu errors %-6llu"
                "%s%s%s%s\n",
                st.name,
                st.failed    ? "failed"
                : st.ended   ? "ended"
                : st.running ? "running"
                             : "idle",
                rate, mbs, (unsigned long long)st.drops, (unsigned long long)st.errors, lat, rs,
                refused_all(&st) ? "  REFUSES ALL INPUT" : "",
                st.behind ? "  BEHIND REAL TIME" : "");
    }
    fflush(stderr);
}

static void summary_line(const ezc_graph_node_stats *st, const char *group, double elapsed)
{
    char lat[96] = "";
    if (st->latency_p50_us >= 0)
        snprintf(lat, sizeof lat, ", latency p50 %.0f us p99 %.0f us", st->latency_p50_us,
                 st->latency_p99_us);
    if (st->in_path[0]) /* what crosses processes: through shared memory or the socket */
        snprintf(lat + strlen(lat), sizeof lat - strlen(lat), ", in %s", st->in_path);
    fprintf(stderr,
            "ezc run%s%s: %s: %llu messages (%.1f/s), %.3f MB, drops %llu, "
            "errors %llu, restarts %llu%s%s%s%s%s\n",
            group ? " group " : "", group ? group : "", st->name, (unsigned long long)st->messages,
            elapsed > 0 ? (double)st->messages / elapsed : 0, (double)st->bytes / 1e6,
            (unsigned long long)st->drops, (unsigned long long)st->errors,
            (unsigned long long)st->restarts, lat,
            (st->errors || st->failed) && st->last_error[0] ? "; last: " : "",
            st->errors || st->failed ? st->last_error : "",
            refused_all(st) ? "; REFUSED EVERY MESSAGE" : "",
            st->behind ? "; BEHIND REAL TIME (could not keep up with its rate)" : "");
}

static void print_summary(ezc_graph_runtime *rt, const char *group, double elapsed)
{
    for (size_t i = 0; i < ezc_graph_runtime_count(rt); i++) {
        ezc_graph_node_stats st;
        ezc_graph_runtime_stats(rt, i, &st);
        summary_line(&st, group, elapsed);
    }
}

static int run_threads(const ezc_graph *g, const char *group, const char *ipc_dir, double duration,
                       int quiet, int stats_fd, const char *name, int named)
{
    ezc_error err;
    ezc_graph_run_options o = {group, ipc_dir, NULL};
    char resume[4096];
    if (group && ipc_dir) { /* a process group: its numbering outlives a crash */
        group_path(ipc_dir, "resume", group, resume, sizeof resume);
        o.resume_path = resume;
    }
    ezc_graph_runtime *rt = ezc_graph_runtime_start(g, &o, &err);
    if (!rt) {
        fprintf(stderr, "ezc run: %s\n", err.msg);
        return 1;
    }
    /* A process group's figures go to its supervisor, which serves the
     * graph's socket and relays a "set" to the group's private one. */
    ezc_control *ctl = NULL;
    char ep[600] = "";
    if (group && ipc_dir)
        group_endpoint(ipc_dir, group, ep, sizeof ep);
    if (!(ctl = group   ? ezc_control_new_at(ep, name, &rt_ops, rt, g, 1, &err)
                : named ? ezc_control_new(name, &rt_ops, rt, g, 1, &err)
                        : ezc_control_new_unique(name, &rt_ops, rt, g, 1, &err))) {
        fprintf(stderr, "ezc run: %s\n", err.msg);
        ezc_graph_runtime_stop(&rt, NULL);
        return 1;
    }
    if (!group && !quiet && strcmp(ezc_control_name(ctl), name))
        fprintf(stderr, "ezc run: graph '%s' runs already: this one is '%s' (ezc top, set, stop)\n",
                name, ezc_control_name(ctl));
    size_t n = ezc_graph_runtime_count(rt);
    uint64_t *pm = calloc(n, sizeof *pm), *pb = calloc(n, sizeof *pb);
    int status = !quiet && !group && pm && pb && isatty(2);
    double start = now_s(), last = start, last_report = start;
    int drawn = 0;
    if (stats_fd >= 0)
        signal(SIGPIPE, SIG_IGN); /* a supervisor gone: writes fail, SIGTERM follows */
    while (!cli_stop && !ezc_graph_runtime_failed(rt) && !ezc_graph_runtime_ended(rt) &&
           !(duration > 0 && now_s() - start >= duration)) {
        nap_ms(50);
        double t = now_s();
        if (stats_fd >= 0 && t - last_report >= 0.5) {
            ezc_launcher_report(rt, stats_fd);
            last_report = t;
        }
        if (status && t - last >= 1.0) {
            print_status(rt, pm, pb, t - last, drawn);
            drawn = 1;
            last = t;
        }
    }
    double elapsed = now_s() - start;
    int ended = ezc_graph_runtime_ended(rt);
    ezc_control_destroy(&ctl);  /* no reader of the runtime left */
    ezc_graph_runtime_halt(rt); /* every node still, then the counters agree */
    if (stats_fd >= 0) {        /* the supervisor prints the summary */
        ezc_launcher_report(rt, stats_fd);
        if (ended && ezc_launcher_report_end(stats_fd)) /* finished: not to be restarted */
            fprintf(stderr, "ezc run: group '%s': cannot tell the supervisor it finished\n",
                    group ? group : "main");
    } else if (!quiet) {
        print_summary(rt, group, elapsed);
        if (ended)
            fprintf(stderr, "ezc run: end of stream: every node has finished\n");
    }
    size_t refused = 0;
    ezc_graph_node_stats *all = stats_fd < 0 ? calloc(n + 1, sizeof *all) : NULL;
    for (size_t i = 0; all && i < n; i++)
        ezc_graph_runtime_stats(rt, i, &all[i]);
    if (all) /* a supervisor judges its children's nodes itself */
        refused = report_refused(all, n);
    free(all);
    free(pm);
    free(pb);
    if (ezc_graph_runtime_stop(&rt, &err)) {
        fprintf(stderr, "ezc run: %s\n", err.msg);
        return 1;
    }
    return refused ? 1 : 0;
}

/* ---- process groups: a supervisor ---- */

/* One line per node of every group, as the one-process status. */
static void print_group_status(const ezc_graph *g, const ezc_launcher *l, uint64_t *prev_msgs,
                               uint64_t *prev_bytes, double dt, int redraw)
{
    if (redraw)
        fprintf(stderr, "\033[%zuA", g->nnodes);
    for (size_t i = 0; i < g->nnodes; i++) {
        int gi = ezc_launcher_group_of(l, i);
        ezc_launch_group k;
        ezc_launcher_group(l, gi < 0 ? (size_t)-1 : (size_t)gi, &k);
        ezc_graph_node_stats st;
        ezc_launcher_node_stats(l, i, &st);
        double rate =
            dt > 0 && st.messages >= prev_msgs[i] ? (double)(st.messages - prev_msgs[i]) / dt : 0;
        double mbs =
            dt > 0 && st.bytes >= prev_bytes[i] ? (double)(st.bytes - prev_bytes[i]) / dt / 1e6 : 0;
        prev_msgs[i] = st.messages;
        prev_bytes[i] = st.bytes;
        char lat[64] = "";
        if (st.latency_p50_us >= 0)
            snprintf(lat, sizeof lat, "  p50 %.0f us", st.latency_p50_us);
        if (st.in_path[0]) /* how it gets its input from the other groups */
            snprintf(lat + strlen(lat), sizeof lat - strlen(lat), "  in %s", st.in_path);
        fprintf(stderr,
                "\033[2K  %-16s %-10s %-7s %9.1f msg/s %8.3f MB/s  drops %-6llu errors "
                "%-6llu%s  restarts %llu%s\n",
                st.name, gi >= 0 ? k.name : "-",
                gi < 0       ? "other"
                : !k.running ? (k.ended ? "ended" : "waiting")
                : st.failed  ? "failed"
                : st.running ? "running"
                             : "idle",
                rate, mbs, (unsigned long long)st.drops, (unsigned long long)st.errors, lat,
                (unsigned long long)st.restarts, st.behind ? "  BEHIND REAL TIME" : "");
    }
    fflush(stderr);
}

/* What the launcher tells, as the user reads it. */
static void on_launch_event(const ezc_launch_event *ev, void *ctx)
{
    int quiet = *(const int *)ctx;
    const char *how = ev->signaled ? "killed by signal" : "exited with status";
    switch (ev->kind) {
    case EZC_LAUNCH_KILLED:
        fprintf(stderr,
                "ezc run: group '%s' did not stop within %d s of SIGTERM: killing it (SIGKILL)\n",
                ev->group, EZC_LAUNCHER_GRACE_S);
        break;
    case EZC_LAUNCH_FINISHED:
        if (!quiet)
            fprintf(stderr, "ezc run: group '%s' finished (end of stream)\n", ev->group);
        break;
    case EZC_LAUNCH_EXITED:
        if (ev->stopping)
            fprintf(stderr, "ezc run: group '%s' %s %d while stopping\n", ev->group, how, ev->code);
        else if (!quiet || ev->failed)
            fprintf(stderr, "ezc run: group '%s' %s %d\n", ev->group, how, ev->code);
        break;
    }
}

static int supervise(const ezc_graph *g, const char *path, const char *const *plugins, size_t np,
                     const char *host, double duration, int quiet, const char *name, int named)
{
    ezc_launcher_options o = {path, plugins, np, host, quiet, on_launch_event, &quiet};
    ezc_error err;
    uint64_t *pm = calloc(g->nnodes + 1, sizeof *pm), *pb = calloc(g->nnodes + 1, sizeof *pb);
    ezc_launcher *l = pm && pb ? ezc_launcher_start(g, &o, &err) : NULL;
    if (!l) {
        fprintf(stderr, "ezc run: cannot prepare the process groups: %s\n",
                pm && pb ? err.msg : "out of memory");
        free(pm);
        free(pb);
        return 1;
    }
    sup_ctl sc = {g, l, NULL, 0};
    ezc_control *ctl = named ? ezc_control_new(name, &sup_ops, &sc, g, 0, &err)
                             : ezc_control_new_unique(name, &sup_ops, &sc, g, 0, &err);
    if (!ctl) {
        fprintf(stderr, "ezc run: %s\n", err.msg);
        ezc_launcher_destroy(&l);
        free(pm);
        free(pb);
        return 1;
    }
    if (!quiet && strcmp(ezc_control_name(ctl), name))
        fprintf(stderr, "ezc run: graph '%s' runs already: this one is '%s' (ezc top, set, stop)\n",
                name, ezc_control_name(ctl));
    double start = now_s(), last_status = start;
    int rc = 0, tty = !quiet && isatty(2), drawn = 0;
    for (size_t alive = ezc_launcher_group_count(l); alive > 0;) {
        /* The loop's wait is the control socket's: a request (a relayed
         * "set" above all) is answered at once, not at the next tick. */
        ezc_control_serve(ctl, 50);
        double t = now_s();
        if (!ezc_launcher_stopping(l) && (cli_stop || (duration > 0 && t - start >= duration)))
            ezc_launcher_stop(l);
        if (cli_forced) { /* the user's second Ctrl-C: no more waiting */
            fprintf(stderr,
                    "%sezc run: second signal: forced exit, process groups killed "
                    "(SIGKILL) without cleanup; recordings may lack their index\n",
                    tty && drawn ? "\n" : "");
            ezc_launcher_kill(l);
            rc = 130;
            quiet = 1; /* no summary: the figures are not final */
            break;
        }
        alive = ezc_launcher_poll(l);
        ezc_control_serve(ctl, 0);
        if (tty && !ezc_launcher_stopping(l) && t - last_status >= 1.0) {
            print_group_status(g, l, pm, pb, t - last_status, drawn);
            drawn = 1;
            last_status = t;
        }
    }
    if (rc != 130 && ezc_launcher_failed(l))
        rc = 1;
    if (rc != 130)
        for (size_t i = 0; i < g->nnodes; i++) {
            int gi = ezc_launcher_group_of(l, i);
            if (gi < 0)
                continue;
            ezc_launch_group k;
            ezc_launcher_group(l, (size_t)gi, &k);
            ezc_graph_node_stats st;
            ezc_launcher_node_stats(l, i, &st);
            if (!quiet)
                summary_line(&st, k.name, now_s() - start);
            if (report_refused(&st, 1))
                rc = rc ? rc : 1;
        }
    ezc_control_destroy(&ctl);
    sup_ctl_free(&sc);
    ezc_launcher_destroy(&l);
    free(pm);
    free(pb);
    return rc;
}

int cli_dash_spawn(const char *port); /* cmd_dash.c */
void cli_dash_end(int pid);

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"duration", 1, 0, 'd'}, {"quiet", 0, 0, 'q'},     {"plugin", 1, 0, 'p'},
        {"group", 1, 0, 'g'},    {"ipc-dir", 1, 0, 'i'},   {"host", 1, 0, 'H'},
        {"stats-fd", 1, 0, 's'}, {"help", 0, 0, 'h'},      {"name", 1, 0, 'n'},
        {"dash", 0, 0, 'D'},     {"dash-port", 1, 0, 'P'}, {0, 0, 0, 0}};
    const char **plugins = calloc((size_t)argc + 1, sizeof *plugins);
    const char *group = NULL, *ipc_dir = NULL, *host = NULL, *name = NULL;
    char namebuf[EZC_CONTROL_NAME_MAX];
    double duration = 0;
    size_t np = 0, nerr = 0;
    int c, rc = 2, quiet = 0, stats_fd = -1, dash = 0, dash_pid = -1;
    const char *dash_port = NULL;
    ezc_error err;
    ezc_registry *reg = NULL;
    ezc_graph *g = NULL;
    optind = 1;
    while (plugins && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (cli_parse_double("run", "--duration", optarg, &duration))
                goto done;
            break;
        case 'q': quiet = 1; break;
        case 'p': plugins[np++] = optarg; break;
        case 'g': group = optarg; break;
        case 'i': ipc_dir = optarg; break;
        case 'H': host = optarg; break;
        case 'n':
            if (ezc_control_name_check(optarg, &err)) {
                fprintf(stderr, "ezc run: --name: %s\n", err.msg);
                goto done;
            }
            name = optarg;
            break;
        case 's': stats_fd = atoi(optarg); break;
        case 'P': dash_port = optarg; /* fall through */
        case 'D': dash = 1; break;
        case 'h':
            help(stdout);
            rc = 0;
            goto done;
        default: help(stderr); goto done;
        }
    }
    if (!plugins || optind != argc - 1) {
        fprintf(stderr, "ezc run: expected one FILE\n");
        help(stderr);
        goto done;
    }
    if (group && !ipc_dir) {
        fprintf(stderr, "ezc run: --group needs --ipc-dir (it is the supervisor's way to "
                        "start a process group)\n");
        goto done;
    }
    if (!(reg = ezc_registry_new(&err)) || ezc_registry_add_builtins(reg, &err)) {
        fprintf(stderr, "ezc run: %s\n", err.msg);
        goto done;
    }
    g = cli_graph_open(argv[optind], plugins, np, reg, stderr, &nerr);
    if (!g) {
        rc = 1;
        goto done;
    }
    if (!g->shm) /* runtime: {shm: false}: for this process and its groups (inherited) */
        setenv("EZC_SHM", "0", 1);
    /* --name, else the file's name: (both chosen: a second run of that name
     * is refused), else its base name; on one host of several, NAME.HOST */
    int named = name != NULL || g->name != NULL;
    if (!name) {
        char base[EZC_CONTROL_NAME_MAX], both[EZC_CONTROL_NAME_MAX * 2];
        ezc_graph_name(g, base, sizeof base);
        snprintf(both, sizeof both, "%.40s%s%s", base, host ? "." : "", host ? host : "");
        for (char *c = both; *c; c++)
            *c = *c == '/' ? '_' : *c;
        ezc_control_name_from(both, namebuf, sizeof namebuf);
        name = namebuf;
    }
    int grouped = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        grouped |= g->nodes[i].process != NULL;
    char exposed[400];
    if (!group && ezc_graph_plaintext_exposure(g, exposed, sizeof exposed))
        fprintf(stderr, /* once per run: the supervisor's, not each group's */
                "ezc run: warning: %s: %s is plaintext tcp:// on a non-loopback address: "
                "anyone who can reach it may read or stall the stream; add a security: "
                "section (docs/graphs.md) or bind 127.0.0.1\n",
                argv[optind], exposed);
    /* A child of a supervisor leaves the user's repeated Ctrl-C to it. */
    cli_install_signals_as(group             ? CLI_SIGNALS_CHILD
                           : grouped || host ? CLI_SIGNALS_SUPERVISOR
                                             : CLI_SIGNALS_DEFAULT);
    if (dash && !group)
        dash_pid = cli_dash_spawn(dash_port); /* ezc dash beside the run (cmd_dash.c) */
    if (host && !group) {
        const ezc_graph_host *h = NULL;
        for (size_t i = 0; i < g->nhosts; i++)
            if (!strcmp(g->hosts[i].name, host))
                h = &g->hosts[i];
        if (!h || !h->ngroups) {
            fprintf(stderr, "ezc run: --host '%s': %s in %s (hosts:", host,
                    h ? "runs no process group" : "no such host", argv[optind]);
            for (size_t i = 0; i < g->nhosts; i++)
                fprintf(stderr, " %s", g->hosts[i].name);
            fprintf(stderr, ")\n");
            rc = 2;
            goto done;
        }
        rc = supervise(g, argv[optind], plugins, np, host, duration, quiet, name, named);
    } else if (grouped && !group)
        rc = supervise(g, argv[optind], plugins, np, NULL, duration, quiet, name, named);
    else if (group && group_settings_load(g, ipc_dir, group, quiet, &err)) {
        fprintf(stderr, "ezc run: group '%s': %s\n", group, err.msg);
        rc = 1;
    } else
        rc = run_threads(g, group, ipc_dir, duration, quiet, group ? stats_fd : -1, name, named);
done:
    cli_dash_end(dash_pid);
    ezc_graph_destroy(&g);
    ezc_registry_destroy(&reg);
    free(plugins);
    return rc;
}
