/* launcher.c — process groups as children: spawn, reap, restart by policy,
 * stop with a grace before SIGKILL, and the children's reports.
 *
 * A child reports its nodes on a pipe, one line per node ("S name messages
 * bytes drops errors restarts running failed p50 p99 behind"), each under
 * PIPE_BUF so that it arrives whole, and "E" once all its nodes ended. The
 * launcher keeps, per node, the running child's last figures and the sum
 * of those before it, so totals survive restarts. Nothing here prints:
 * what happens is told through the caller's event hook. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ezc/launcher.h"

typedef struct child {
    const char *group;
    pid_t pid;
    ezc_restart restart;
    double started, restart_at;
    int backoff_ms, restarts, done;
    int killed;     /* SIGKILLed after the stop grace period */
    int no_fork;    /* the last start could not fork: reaped as exit 127 at the next poll */
    int ended;      /* said it finished at the end of its stream ("E" line) */
    int stats_fd;   /* read end of the child's stats pipe, -1 when none */
    char buf[4096]; /* a partial line */
    size_t len;
} child;

/* What the launcher knows of a node of a child: the figures of the
 * running child (cur) and of the children before it (base). */
typedef struct node_view {
    ezc_graph_node_stats cur;
    uint64_t base_msgs, base_bytes, base_drops, base_errors, base_restarts;
    int seen;
} node_view;

struct ezc_launcher {
    const ezc_graph *g;
    ezc_launcher_options o;
    child *kids;
    size_t ng, alive;
    node_view *nv;
    char **av; /* the children's argv; --group and --stats-fd filled in per child */
    char dir[32];
    int stopping, failed;
    double stop_at;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void tell(const ezc_launcher *l, const ezc_launch_event *ev)
{
    if (l->o.on_event)
        l->o.on_event(ev, l->o.ctx);
}

/* ---- the children's reports ---- */

int ezc_launcher_report(ezc_graph_runtime *rt, int fd)
{
    for (size_t i = 0; i < ezc_graph_runtime_count(rt); i++) {
        ezc_graph_node_stats st;
        ezc_graph_runtime_stats(rt, i, &st);
        char line[256];
        int n = snprintf(
            line, sizeof line, "S %s %llu %llu %llu %llu %llu %d %d %.0f %.0f %llu %s\n", st.name,
            (unsigned long long)st.messages, (unsigned long long)st.bytes,
            (unsigned long long)st.drops, (unsigned long long)st.errors,
            (unsigned long long)st.restarts, st.running, st.failed, st.latency_p50_us,
            st.latency_p99_us, (unsigned long long)st.behind, st.in_path[0] ? st.in_path : "-");
        if (n > 0 && n < (int)sizeof line && write(fd, line, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

int ezc_launcher_report_end(int fd)
{
    return write(fd, "E\n", 2) == 2 ? 0 : -1;
}

static void stats_line(const ezc_graph *g, node_view *nv, const char *line)
{
    char name[128], path[12] = "-";
    unsigned long long m, b, d, e, r, behind = 0;
    int running, failed;
    double p50, p99;
    if (sscanf(line, "S %127s %llu %llu %llu %llu %llu %d %d %lf %lf %llu %11s", name, &m, &b, &d,
               &e, &r, &running, &failed, &p50, &p99, &behind, path) < 10)
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
    snprintf(st->in_path, sizeof st->in_path, "%s", strcmp(path, "-") ? path : "");
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

/* ---- children ---- */

/* Forks and execs the group's child with a stats pipe; the pid, or 0 when
 * the fork failed (then handled as a child that could not start). */
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
        return pid > 0 ? pid : 0;
    }
    char fdtext[16] = "-1";
    if (fds[1] >= 0) /* dup: a descriptor without close-on-exec for the child */
        snprintf(fdtext, sizeof fdtext, "%d", dup(fds[1]));
    for (int i = 0; argv_template[i]; i++)
        if (!strcmp(argv_template[i], "--stats-fd"))
            argv_template[i + 1] = fdtext;
    /* The child dies with its launcher, however the launcher ends. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
    for (int i = 0; argv_template[i]; i++)
        if (!strcmp(argv_template[i], "--group"))
            argv_template[i + 1] = (char *)group;
    execv("/proc/self/exe", argv_template);
    char msg[512];
    int n = snprintf(msg, sizeof msg, "ezc: launcher: cannot start group '%s': %s\n", group,
                     strerror(errno));
    if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
        _exit(127);
    _exit(127);
}

static void start_child(ezc_launcher *l, child *k, double t)
{
    k->pid = spawn(l->av, k->group, k);
    k->started = t;
    k->no_fork = !k->pid;
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

static void term_all(ezc_launcher *l, double t)
{
    l->stopping = 1;
    l->stop_at = t;
    for (size_t i = 0; i < l->ng; i++)
        if (l->kids[i].pid > 0)
            kill(l->kids[i].pid, SIGTERM);
}

ezc_launcher *ezc_launcher_start(const ezc_graph *g, const ezc_launcher_options *o, ezc_error *err)
{
    ezc_launcher *l = calloc(1, sizeof *l);
    const char **groups = calloc(g->nnodes + 1, sizeof *groups);
    if (!l || !groups || !(l->kids = calloc(g->nnodes + 1, sizeof *l->kids)) ||
        !(l->nv = calloc(g->nnodes + 1, sizeof *l->nv)) ||
        !(l->av = calloc(o->nplugins * 2 + 12, sizeof *l->av))) {
        ezc_error_set(err, EZC_ENOMEM, "launcher: out of memory");
        goto fail;
    }
    l->g = g;
    l->o = *o;
    snprintf(l->dir, sizeof l->dir, "/tmp/ezc-run-XXXXXX");
    if (!mkdtemp(l->dir)) {
        ezc_error_set(err, EZC_EIO, "launcher: cannot make the private folder %s: %s", l->dir,
                      strerror(errno));
        l->dir[0] = '\0';
        goto fail;
    }
    int k = 0;
    l->av[k++] = "ezc";
    l->av[k++] = "run";
    l->av[k++] = (char *)o->path;
    l->av[k++] = "--group";
    l->av[k++] = "";
    l->av[k++] = "--ipc-dir";
    l->av[k++] = l->dir;
    l->av[k++] = "--stats-fd";
    l->av[k++] = "-1";
    if (o->quiet)
        l->av[k++] = "--quiet";
    for (size_t i = 0; i < o->nplugins; i++) {
        l->av[k++] = "--plugin";
        l->av[k++] = (char *)o->plugins[i];
    }
    size_t ng = ezc_graph_groups(g, groups);
    if (o->host) { /* only the groups this host runs */
        size_t kept = 0;
        for (size_t i = 0; i < ng; i++) {
            const ezc_graph_host *h = ezc_graph_group_host(g, groups[i]);
            if (h && !strcmp(h->name, o->host))
                groups[kept++] = groups[i];
        }
        ng = kept;
    }
    if (!ng) {
        ezc_error_set(err, EZC_EINVAL, "%s: no process group to run%s%s", g->file,
                      o->host ? " on host " : "", o->host ? o->host : "");
        goto fail;
    }
    double start = now_s();
    l->ng = l->alive = ng;
    for (size_t i = 0; i < ng; i++) {
        child *c = &l->kids[i];
        c->group = groups[i];
        c->restart = ezc_graph_group_restart(g, groups[i]);
        c->stats_fd = -1;
        start_child(l, c, start);
    }
    free(groups);
    return l;
fail:
    free(groups);
    ezc_launcher_destroy(&l);
    return NULL;
}

/* A child of group k exited with wait status ws (or never started). */
static void reaped(ezc_launcher *l, child *k, int ws, double t)
{
    k->pid = 0;
    child_ended(l->g, l->nv, k);
    ezc_launch_event ev = {EZC_LAUNCH_EXITED, k->group, 0, 0, 0, 0, 0};
    ev.signaled = !WIFEXITED(ws);
    ev.code = WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws);
    ev.failed = !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    if (l->stopping) {
        /* A group that did not stop cleanly may have left work unfinished
         * (a recording without its index). */
        ev.stopping = 1;
        if (ev.failed) {
            l->failed = 1;
            tell(l, &ev);
        }
        k->done = 1;
        l->alive--;
        return;
    }
    if (!ev.failed && k->ended) { /* end of stream: done, whatever its policy */
        ev.kind = EZC_LAUNCH_FINISHED;
        tell(l, &ev);
        k->done = 1;
        l->alive--;
        return;
    }
    ev.restart =
        k->restart == EZC_RESTART_ALWAYS || (ev.failed && k->restart == EZC_RESTART_ON_FAILURE);
    tell(l, &ev);
    if (ev.restart) {
        k->backoff_ms = ezc_restart_policy_next(&ezc_restart_backoff, k->backoff_ms,
                                                (int64_t)((t - k->started) * 1000));
        k->restart_at = t + k->backoff_ms / 1000.0;
        return;
    }
    k->done = 1;
    l->alive--;
    if (ev.failed) { /* no restart: the graph cannot go on */
        l->failed = 1;
        term_all(l, t);
    }
}

size_t ezc_launcher_poll(ezc_launcher *l)
{
    double t = now_s();
    if (l->stopping && t - l->stop_at > EZC_LAUNCHER_GRACE_S) /* a child that ignores SIGTERM */
        for (size_t i = 0; i < l->ng; i++)
            if (l->kids[i].pid > 0 && !l->kids[i].killed) {
                ezc_launch_event ev = {EZC_LAUNCH_KILLED, l->kids[i].group, 0, 0, 0, 1, 0};
                tell(l, &ev);
                kill(l->kids[i].pid, SIGKILL);
                l->kids[i].killed = 1;
            }
    int ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
        for (size_t i = 0; i < l->ng; i++)
            if (l->kids[i].pid == p) {
                reaped(l, &l->kids[i], ws, t);
                break;
            }
    for (size_t i = 0; i < l->ng; i++)
        if (l->kids[i].no_fork && !l->kids[i].done) { /* as a child whose exec failed */
            l->kids[i].no_fork = 0;
            reaped(l, &l->kids[i], 127 << 8, t);
        }
    for (size_t i = 0; i < l->ng && !l->stopping; i++) {
        child *k = &l->kids[i];
        if (!k->pid && !k->done && t >= k->restart_at) {
            start_child(l, k, t);
            k->restarts++;
        }
    }
    if (l->stopping)
        for (size_t i = 0; i < l->ng; i++)
            if (!l->kids[i].pid && !l->kids[i].done) { /* waiting for a restart: not any more */
                l->kids[i].done = 1;
                l->alive--;
            }
    for (size_t i = 0; i < l->ng; i++)
        read_stats(l->g, l->nv, &l->kids[i]);
    return l->alive;
}

void ezc_launcher_stop(ezc_launcher *l)
{
    if (!l->stopping)
        term_all(l, now_s());
}

int ezc_launcher_stopping(const ezc_launcher *l)
{
    return l->stopping;
}

void ezc_launcher_kill(ezc_launcher *l)
{
    for (size_t i = 0; i < l->ng; i++) {
        child *k = &l->kids[i];
        if (k->pid > 0) {
            kill(k->pid, SIGKILL);
            waitpid(k->pid, NULL, 0);
            k->pid = 0;
        }
        if (k->stats_fd >= 0)
            close(k->stats_fd);
        k->stats_fd = -1;
        if (!k->done) {
            k->done = 1;
            l->alive--;
        }
    }
    l->stopping = 1;
}

int ezc_launcher_failed(const ezc_launcher *l)
{
    return l->failed;
}

size_t ezc_launcher_group_count(const ezc_launcher *l)
{
    return l->ng;
}

void ezc_launcher_group(const ezc_launcher *l, size_t i, ezc_launch_group *out)
{
    memset(out, 0, sizeof *out);
    if (i >= l->ng)
        return;
    out->name = l->kids[i].group;
    out->running = l->kids[i].pid > 0;
    out->ended = l->kids[i].ended;
    out->restarts = (uint64_t)l->kids[i].restarts;
}

int ezc_launcher_group_of(const ezc_launcher *l, size_t node)
{
    if (node >= l->g->nnodes)
        return -1;
    const char *group = ezc_graph_node_group(&l->g->nodes[node]);
    for (size_t k = 0; k < l->ng; k++)
        if (!strcmp(l->kids[k].group, group))
            return (int)k;
    return -1;
}

void ezc_launcher_node_stats(const ezc_launcher *l, size_t i, ezc_graph_node_stats *out)
{
    memset(out, 0, sizeof *out);
    out->latency_p50_us = out->latency_p99_us = -1;
    if (i >= l->g->nnodes)
        return;
    const node_view *v = &l->nv[i];
    *out = v->cur;
    out->name = l->g->nodes[i].name;
    out->messages += v->base_msgs;
    out->bytes += v->base_bytes;
    out->drops += v->base_drops;
    out->errors += v->base_errors;
    out->restarts += v->base_restarts;
    int k = ezc_launcher_group_of(l, i);
    if (k >= 0)
        out->restarts += (uint64_t)l->kids[k].restarts;
    if (!v->seen)
        out->latency_p50_us = out->latency_p99_us = -1;
}

const char *ezc_launcher_dir(const ezc_launcher *l)
{
    return l->dir;
}

void ezc_launcher_destroy(ezc_launcher **lp)
{
    ezc_launcher *l = lp ? *lp : NULL;
    if (!l)
        return;
    if (l->kids) {
        for (size_t i = 0; i < l->ng; i++) /* none left normally: poll returned 0 */
            if (l->kids[i].pid > 0) {
                kill(l->kids[i].pid, SIGKILL);
                waitpid(l->kids[i].pid, NULL, 0);
            }
        for (size_t i = 0; i < l->ng; i++)
            if (l->kids[i].stats_fd >= 0)
                close(l->kids[i].stats_fd);
    }
    if (l->dir[0])
        remove_dir(l->dir);
    free(l->kids);
    free(l->nv);
    free(l->av);
    free(l);
    *lp = NULL;
}
