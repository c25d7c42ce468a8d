/* cmd_run.c — `ezc run`: launch a graph file.
 *
 * Without process groups every node is a thread of this process. With
 * them, this process is a supervisor: each group runs in a child (this
 * same binary, `ezc run FILE --group NAME --ipc-dir DIR`), wired to the
 * others by ipc:// sockets in a private folder that is removed at exit,
 * restarted per the group's policy with a backoff, stopped with SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include "cli.h"
#include "cli_graph.h"
#include "ezc/graph_run.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc run FILE [--host NAME] [--duration S] [--quiet] [--plugin PATH]...\n"
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
               "address (0.0.0.0, a LAN address) is warned about once.\n\n"
               "  --host NAME      run only the process groups of host NAME (the file's hosts:\n"
               "                   section); edges to other hosts are their tcp:// endpoints\n"
               "  --duration S     stop after S seconds\n"
               "  --quiet          no status lines and no summary\n"
               "  --plugin PATH    load transformer types from a plugin first (repeatable)\n\n"
               "examples:\n"
               "  ezc run configs/demo_abs.yaml\n"
               "  ezc run configs/demo_abs.yaml --duration 10 --quiet\n"
               "  ezc run lab.yaml --host acq        # on the acquisition machine\n");
}

/* How long a process group may take to stop after SIGTERM before SIGKILL. */
#define STOP_GRACE_S 10

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
    char lat[64] = "";
    if (st->latency_p50_us >= 0)
        snprintf(lat, sizeof lat, ", latency p50 %.0f us p99 %.0f us", st->latency_p50_us,
                 st->latency_p99_us);
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

/* A process group's child reports its nodes to the supervisor: one line per
 * node ("S name messages bytes drops errors restarts running failed p50
 * p99 behind"), each under PIPE_BUF so that it arrives whole. */
static void write_stats(ezc_graph_runtime *rt, int fd)
{
    for (size_t i = 0; i < ezc_graph_runtime_count(rt); i++) {
        ezc_graph_node_stats st;
        ezc_graph_runtime_stats(rt, i, &st);
        char line[256];
        int n = snprintf(line, sizeof line, "S %s %llu %llu %llu %llu %llu %d %d %.0f %.0f %llu\n",
                         st.name, (unsigned long long)st.messages, (unsigned long long)st.bytes,
                         (unsigned long long)st.drops, (unsigned long long)st.errors,
                         (unsigned long long)st.restarts, st.running, st.failed, st.latency_p50_us,
                         st.latency_p99_us, (unsigned long long)st.behind);
        if (n > 0 && n < (int)sizeof line && write(fd, line, (size_t)n) < 0)
            return;
    }
}

static int run_threads(const ezc_graph *g, const char *group, const char *ipc_dir, double duration,
                       int quiet, int stats_fd)
{
    ezc_error err;
    ezc_graph_run_options o = {group, ipc_dir, NULL};
    char resume[4096];
    if (group && ipc_dir) {                 /* a process group: its numbering outlives a crash */
        uint64_t h = 0xcbf29ce484222325ull; /* the name may hold any character: hash it */
        for (const char *c = group; *c; c++)
            h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
        snprintf(resume, sizeof resume, "%s/resume-%016llx", ipc_dir, (unsigned long long)h);
        o.resume_path = resume;
    }
    ezc_graph_runtime *rt = ezc_graph_runtime_start(g, &o, &err);
    if (!rt) {
        fprintf(stderr, "ezc run: %s\n", err.msg);
        return 1;
    }
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
            write_stats(rt, stats_fd);
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
    ezc_graph_runtime_halt(rt); /* every node still, then the counters agree */
    if (stats_fd >= 0) {        /* the supervisor prints the summary */
        write_stats(rt, stats_fd);
        if (ended && write(stats_fd, "E\n", 2) != 2) /* finished: not to be restarted */
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

typedef struct child {
    const char *group;
    pid_t pid;
    ezc_restart restart;
    double started, restart_at;
    int backoff_ms, restarts, done;
    int killed;     /* SIGKILLed after the stop grace period */
    int ended;      /* said it finished at the end of its stream ("E" line) */
    int stats_fd;   /* read end of the child's stats pipe, -1 when none */
    char buf[4096]; /* a partial line */
    size_t len;
} child;

/* What the supervisor knows of a node of a child: the figures of the
 * running child (cur) and of the children before it (base). */
typedef struct node_view {
    ezc_graph_node_stats cur;
    uint64_t base_msgs, base_bytes, base_drops, base_errors, base_restarts;
    uint64_t prev_msgs, prev_bytes; /* for the rates */
    int seen, kid;
} node_view;

static void stats_line(const ezc_graph *g, node_view *nv, const char *line)
{
    char name[128];
    unsigned long long m, b, d, e, r, behind = 0;
    int running, failed;
    double p50, p99;
    if (sscanf(line, "S %127s %llu %llu %llu %llu %llu %d %d %lf %lf %llu", name, &m, &b, &d, &e,
               &r, &running, &failed, &p50, &p99, &behind) < 10)
        return;
    int i = ezc_graph_node_index(g, name);
    if (i < 0)
        return;
    ezc_graph_node_stats *st = &nv[i].cur;
    st->name = g->nodes[i].name;
    st->messages = m;
    st->bytes = b;
    st->drops = d;
    st->errors = e;
    st->restarts = r;
    st->running = running;
    st->failed = failed;
    st->latency_p50_us = p50;
    st->latency_p99_us = p99;
    st->behind = behind;
    nv[i].seen = 1;
}

/* Reads what a child wrote (all of it when final: the child is gone). */
static void read_stats(const ezc_graph *g, node_view *nv, child *k)
{
    if (k->stats_fd < 0)
        return;
    for (;;) {
        ssize_t n = read(k->stats_fd, k->buf + k->len, sizeof k->buf - 1 - k->len);
        if (n <= 0)
            break;
        k->len += (size_t)n;
        k->buf[k->len] = '\0';
        char *p = k->buf, *nl;
        while ((nl = strchr(p, '\n'))) {
            *nl = '\0';
            if (!strcmp(p, "E"))
                k->ended = 1;
            else
                stats_line(g, nv, p);
            p = nl + 1;
        }
        k->len = strlen(p);
        memmove(k->buf, p, k->len);
        if (k->len == sizeof k->buf - 1)
            k->len = 0; /* no line that long: drop it */
    }
}

/* A child ended: its figures become the base its successor adds to. */
static void child_ended(const ezc_graph *g, node_view *nv, child *k)
{
    read_stats(g, nv, k);
    if (k->stats_fd >= 0)
        close(k->stats_fd);
    k->stats_fd = -1;
    k->len = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        if (!strcmp(ezc_graph_node_group(&g->nodes[i]), k->group)) {
            node_view *v = &nv[i];
            v->base_msgs += v->cur.messages;
            v->base_bytes += v->cur.bytes;
            v->base_drops += v->cur.drops;
            v->base_errors += v->cur.errors;
            v->base_restarts += v->cur.restarts;
            v->cur.messages = v->cur.bytes = v->cur.drops = v->cur.errors = v->cur.restarts = 0;
            v->cur.running = 0;
        }
}

/* A node's totals over its group's children; restarts count the child's. */
static void node_total(const ezc_graph *g, const node_view *nv, const child *kids, size_t ng,
                       size_t i, ezc_graph_node_stats *out)
{
    *out = nv[i].cur;
    out->name = g->nodes[i].name;
    out->messages += nv[i].base_msgs;
    out->bytes += nv[i].base_bytes;
    out->drops += nv[i].base_drops;
    out->errors += nv[i].base_errors;
    out->restarts += nv[i].base_restarts;
    for (size_t k = 0; k < ng; k++)
        if (!strcmp(kids[k].group, ezc_graph_node_group(&g->nodes[i])))
            out->restarts += (uint64_t)kids[k].restarts;
    if (!nv[i].seen)
        out->latency_p50_us = out->latency_p99_us = -1;
}

/* One line per node of every group, as the one-process status. */
static void print_group_status(const ezc_graph *g, node_view *nv, const child *kids, size_t ng,
                               double dt, int redraw)
{
    if (redraw)
        fprintf(stderr, "\033[%zuA", g->nnodes);
    for (size_t i = 0; i < g->nnodes; i++) {
        const child *k = NULL;
        for (size_t j = 0; j < ng && !k; j++)
            if (!strcmp(kids[j].group, ezc_graph_node_group(&g->nodes[i])))
                k = &kids[j];
        ezc_graph_node_stats st;
        node_total(g, nv, kids, ng, i, &st);
        double rate = dt > 0 && st.messages >= nv[i].prev_msgs
                          ? (double)(st.messages - nv[i].prev_msgs) / dt
                          : 0;
        double mbs = dt > 0 && st.bytes >= nv[i].prev_bytes
                         ? (double)(st.bytes - nv[i].prev_bytes) / dt / 1e6
                         : 0;
        nv[i].prev_msgs = st.messages;
        nv[i].prev_bytes = st.bytes;
        char lat[48] = "";
        if (st.latency_p50_us >= 0)
            snprintf(lat, sizeof lat, "  p50 %.0f us", st.latency_p50_us);
        fprintf(stderr,
                "\033[2K  %-16s %-10s %-7s %9.1f msg/s %8.3f MB/s  drops %-6llu errors "
                "%-6llu%s  restarts %llu%s\n",
                st.name, k ? k->group : "-",
                !k           ? "other"
                : !k->pid    ? (k->ended ? "ended" : "waiting")
                : st.failed  ? "failed"
                : st.running ? "running"
                             : "idle",
                rate, mbs, (unsigned long long)st.drops, (unsigned long long)st.errors, lat,
                (unsigned long long)st.restarts, st.behind ? "  BEHIND REAL TIME" : "");
    }
    fflush(stderr);
}

static pid_t spawn(char **argv_template, const char *group, child *k)
{
    int fds[2];
    k->stats_fd = -1;
    k->len = 0;
    k->ended = 0;
    if (pipe2(fds, O_CLOEXEC))
        fds[0] = fds[1] = -1;
    pid_t parent = getpid(), pid = fork();
    if (pid != 0) {
        if (fds[1] >= 0)
            close(fds[1]);
        if (pid > 0 && fds[0] >= 0) {
            fcntl(fds[0], F_SETFL, O_NONBLOCK);
            k->stats_fd = fds[0];
        } else if (fds[0] >= 0) {
            close(fds[0]);
        }
        return pid;
    }
    char fdtext[16] = "-1";
    if (fds[1] >= 0) /* dup: a descriptor without close-on-exec for the child */
        snprintf(fdtext, sizeof fdtext, "%d", dup(fds[1]));
    for (int i = 0; argv_template[i]; i++)
        if (!strcmp(argv_template[i], "--stats-fd"))
            argv_template[i + 1] = fdtext;
    /* The child dies with its supervisor, however the supervisor ends. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
    for (int i = 0; argv_template[i]; i++)
        if (!strcmp(argv_template[i], "--group"))
            argv_template[i + 1] = (char *)group;
    execv("/proc/self/exe", argv_template);
    fprintf(stderr, "ezc run: cannot start group '%s': %s\n", group, strerror(errno));
    _exit(127);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int supervise(const ezc_graph *g, const char *path, const char *const *plugins, size_t np,
                     const char *host, double duration, int quiet)
{
    const char **groups = calloc(g->nnodes + 1, sizeof *groups);
    child *kids = calloc(g->nnodes + 1, sizeof *kids);
    char **av = calloc(np * 2 + 12, sizeof *av);
    char dir[] = "/tmp/ezc-run-XXXXXX";
    if (!groups || !kids || !av || !mkdtemp(dir)) {
        fprintf(stderr, "ezc run: cannot prepare the process groups: %s\n", strerror(errno));
        free(groups);
        free(kids);
        free(av);
        return 1;
    }
    node_view *nv = calloc(g->nnodes + 1, sizeof *nv);
    int k = 0;
    av[k++] = "ezc";
    av[k++] = "run";
    av[k++] = (char *)path;
    av[k++] = "--group";
    av[k++] = "";
    av[k++] = "--ipc-dir";
    av[k++] = dir;
    av[k++] = "--stats-fd";
    av[k++] = "-1";
    if (quiet)
        av[k++] = "--quiet";
    for (size_t i = 0; i < np; i++) {
        av[k++] = "--plugin";
        av[k++] = (char *)plugins[i];
    }
    size_t ng = ezc_graph_groups(g, groups);
    if (host) { /* only the groups this host runs */
        size_t kept = 0;
        for (size_t i = 0; i < ng; i++) {
            const ezc_graph_host *h = ezc_graph_group_host(g, groups[i]);
            if (h && !strcmp(h->name, host))
                groups[kept++] = groups[i];
        }
        ng = kept;
    }
    double start = now_s();
    for (size_t i = 0; i < ng; i++) {
        kids[i].group = groups[i];
        kids[i].restart = ezc_graph_group_restart(g, groups[i]);
        kids[i].backoff_ms = 500;
        kids[i].pid = spawn(av, groups[i], &kids[i]);
        kids[i].started = start;
    }
    int rc = 0, stopping = 0, alive = (int)ng;
    double stop_at = 0, last_status = start;
    int tty = !quiet && isatty(2), drawn = 0;
    while (alive > 0) {
        nap_ms(50);
        double t = now_s();
        if (!stopping && (cli_stop || (duration > 0 && t - start >= duration))) {
            stopping = 1;
            stop_at = t;
            for (size_t i = 0; i < ng; i++)
                if (kids[i].pid > 0)
                    kill(kids[i].pid, SIGTERM);
        }
        if (cli_forced) { /* the user's second Ctrl-C: no more waiting */
            fprintf(stderr,
                    "%sezc run: second signal: forced exit, process groups killed "
                    "(SIGKILL) without cleanup; recordings may lack their index\n",
                    tty && drawn ? "\n" : "");
            for (size_t i = 0; i < ng; i++) {
                if (kids[i].pid > 0) {
                    kill(kids[i].pid, SIGKILL);
                    waitpid(kids[i].pid, NULL, 0);
                    kids[i].pid = 0;
                }
                if (kids[i].stats_fd >= 0)
                    close(kids[i].stats_fd);
                kids[i].stats_fd = -1;
            }
            rc = 130;
            quiet = 1; /* no summary: the figures are not final */
            break;
        }
        if (stopping && t - stop_at > STOP_GRACE_S) /* a child that ignores SIGTERM */
            for (size_t i = 0; i < ng; i++)
                if (kids[i].pid > 0 && !kids[i].killed) {
                    fprintf(stderr,
                            "ezc run: group '%s' did not stop within %d s of SIGTERM: "
                            "killing it (SIGKILL)\n",
                            kids[i].group, STOP_GRACE_S);
                    kill(kids[i].pid, SIGKILL);
                    kids[i].killed = 1;
                }
        int ws;
        pid_t p;
        while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
            for (size_t i = 0; i < ng; i++) {
                if (kids[i].pid != p)
                    continue;
                kids[i].pid = 0;
                if (nv)
                    child_ended(g, nv, &kids[i]);
                int failed = !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
                if (stopping) {
                    /* A group that did not stop cleanly may have left work
                     * unfinished (a recording without its index). */
                    if (failed) {
                        fprintf(stderr, "ezc run: group '%s' %s %d while stopping\n", kids[i].group,
                                WIFEXITED(ws) ? "exited with status" : "killed by signal",
                                WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
                        rc = 1;
                    }
                    kids[i].done = 1;
                    alive--;
                    break;
                }
                if (!failed && kids[i].ended) { /* end of stream: done, whatever its policy */
                    if (!quiet)
                        fprintf(stderr, "ezc run: group '%s' finished (end of stream)\n",
                                kids[i].group);
                    kids[i].done = 1;
                    alive--;
                    break;
                }
                if (!quiet || failed)
                    fprintf(stderr, "ezc run: group '%s' %s %d\n", kids[i].group,
                            WIFEXITED(ws) ? "exited with status" : "killed by signal",
                            WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
                if (kids[i].restart == EZC_RESTART_ALWAYS ||
                    (failed && kids[i].restart == EZC_RESTART_ON_FAILURE)) {
                    /* A child that ran a while starts over with a short backoff. */
                    if (t - kids[i].started > 10)
                        kids[i].backoff_ms = 500;
                    kids[i].restart_at = t + kids[i].backoff_ms / 1000.0;
                    kids[i].backoff_ms =
                        kids[i].backoff_ms < 10000 ? kids[i].backoff_ms * 2 : 10000;
                } else {
                    kids[i].done = 1;
                    alive--;
                    if (failed) { /* no restart: the graph cannot go on */
                        rc = 1;
                        stopping = 1;
                        stop_at = t;
                        for (size_t j = 0; j < ng; j++)
                            if (kids[j].pid > 0)
                                kill(kids[j].pid, SIGTERM);
                    }
                }
                break;
            }
        }
        for (size_t i = 0; i < ng && !stopping; i++)
            if (!kids[i].pid && !kids[i].done && t >= kids[i].restart_at) {
                kids[i].pid = spawn(av, kids[i].group, &kids[i]);
                kids[i].started = t;
                kids[i].restarts++;
            }
        if (stopping)
            for (size_t i = 0; i < ng; i++)
                if (!kids[i].pid && !kids[i].done) { /* waiting for a restart: not any more */
                    kids[i].done = 1;
                    alive--;
                }
        for (size_t i = 0; i < ng && nv; i++)
            read_stats(g, nv, &kids[i]);
        if (tty && nv && !stopping && t - last_status >= 1.0) {
            print_group_status(g, nv, kids, ng, t - last_status, drawn);
            drawn = 1;
            last_status = t;
        }
    }
    if (nv && rc != 130)
        for (size_t i = 0; i < g->nnodes; i++)
            for (size_t j = 0; j < ng; j++)
                if (!strcmp(kids[j].group, ezc_graph_node_group(&g->nodes[i]))) {
                    ezc_graph_node_stats st;
                    node_total(g, nv, kids, ng, i, &st);
                    if (!quiet)
                        summary_line(&st, kids[j].group, now_s() - start);
                    if (report_refused(&st, 1))
                        rc = rc ? rc : 1;
                }
    remove_dir(dir);
    free(nv);
    free(groups);
    free(kids);
    free(av);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"duration", 1, 0, 'd'}, {"quiet", 0, 0, 'q'},   {"plugin", 1, 0, 'p'},
        {"group", 1, 0, 'g'},    {"ipc-dir", 1, 0, 'i'}, {"host", 1, 0, 'H'},
        {"stats-fd", 1, 0, 's'}, {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    const char **plugins = calloc((size_t)argc + 1, sizeof *plugins);
    const char *group = NULL, *ipc_dir = NULL, *host = NULL;
    double duration = 0;
    size_t np = 0, nerr = 0;
    int c, rc = 2, quiet = 0, stats_fd = -1;
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
        case 's': stats_fd = atoi(optarg); break;
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
        rc = supervise(g, argv[optind], plugins, np, host, duration, quiet);
    } else if (grouped && !group)
        rc = supervise(g, argv[optind], plugins, np, NULL, duration, quiet);
    else
        rc = run_threads(g, group, ipc_dir, duration, quiet, group ? stats_fd : -1);
done:
    ezc_graph_destroy(&g);
    ezc_registry_destroy(&reg);
    free(plugins);
    return rc;
}
