/* ezc/launcher.h — a graph's process groups run as child processes:
 * started, watched, restarted by policy, stopped (docs/graphs.md,
 * "Process groups", "Restart", "Stopping").
 *
 *   ezc_launcher *l = ezc_launcher_start(g, &(ezc_launcher_options){.path = file}, &err);
 *   for (size_t alive = 1; alive; alive = ezc_launcher_poll(l)) {
 *       nap(50 ms);
 *       if (stop_requested) ezc_launcher_stop(l);
 *   }
 *   int failed = ezc_launcher_failed(l);
 *   ezc_launcher_destroy(&l);
 *
 * Each group runs in a child that is this same program (/proc/self/exe),
 * started as `EXE run FILE --group NAME --ipc-dir DIR --stats-fd FD
 * [--quiet] [--plugin PATH]...`: the calling program must answer those
 * options as `ezc run` does (running the group's nodes with
 * ezc/graph_run.h and reporting them with ezc_launcher_report). Groups are
 * wired by ipc:// sockets in a private folder (DIR, /tmp/ezc-run-XXXXXX,
 * removed by ezc_launcher_destroy). A child gets SIGTERM when its launcher
 * dies (PR_SET_PDEATHSIG).
 *
 * Policy: a child that exits is restarted per its group's `restart`
 * (ezc_graph_group_restart: on-failure: a non-zero status or a signal;
 * always: any exit) after the waits of ezc_restart_backoff
 * (ezc/graph_run.h), unless it said it finished at the end of its streams
 * (then it is done, whatever the policy). A failed group with no restart
 * stops every other group, and the launcher is then failed. After
 * ezc_launcher_stop, a child that has not exited EZC_LAUNCHER_GRACE_S
 * after its SIGTERM is killed (SIGKILL).
 *
 * Thread-safety: one launcher belongs to one thread; it reaps any child of
 * the process (waitpid(-1)), so the process should have no other children
 * it waits for itself. Signals are the caller's: the launcher sends
 * SIGTERM/SIGKILL to its children and installs no handler. */
#ifndef EZC_LAUNCHER_H
#define EZC_LAUNCHER_H

#include <stddef.h>
#include "graph_run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long a child may take to stop after SIGTERM before SIGKILL. */
#define EZC_LAUNCHER_GRACE_S 10

/* What happened to a group, for the caller to tell (the launcher prints
 * nothing). */
typedef enum {
    EZC_LAUNCH_EXITED,   /* its child exited or died (not at the end of its streams) */
    EZC_LAUNCH_FINISHED, /* its child exited 0 after its streams ended: done */
    EZC_LAUNCH_KILLED    /* it outlived the grace after SIGTERM: SIGKILL sent */
} ezc_launch_event_kind;

typedef struct ezc_launch_event {
    ezc_launch_event_kind kind;
    const char *group;
    int signaled; /* EXITED: killed by a signal, whose number is code */
    int code;     /* EXITED: exit status or signal number */
    int failed;   /* EXITED: not an exit with status 0 */
    int stopping; /* EXITED: while the launcher was stopping (a failure then marks it failed) */
    int restart;  /* EXITED: it will be started again after its backoff */
} ezc_launch_event;

typedef void (*ezc_launch_event_fn)(const ezc_launch_event *ev, void *ctx);

typedef struct ezc_launcher_options {
    const char *path;           /* the graph file each child loads (required) */
    const char *const *plugins; /* given to each child as --plugin */
    size_t nplugins;
    const char *host; /* run only the groups of this host (the file's hosts:); NULL: every group */
    int quiet;        /* children run with --quiet */
    ezc_launch_event_fn on_event; /* called from poll; NULL: none */
    void *ctx;
} ezc_launcher_options;

typedef struct ezc_launcher ezc_launcher;

/* Makes the private folder and starts one child per group (of o->host).
 * g must have passed ezc_graph_check and outlive the launcher; o's strings
 * too. NULL with err when the folder or memory cannot be had, or there is
 * no group to run. */
ezc_launcher *ezc_launcher_start(const ezc_graph *g, const ezc_launcher_options *o, ezc_error *err);
/* One round, without waiting: kills what outlived the grace, reaps the
 * children that exited (events), restarts those whose backoff is over,
 * reads the children's reports. Returns how many groups are not done
 * (running or waiting for a restart); 0: nothing left to watch. */
size_t ezc_launcher_poll(ezc_launcher *l);
/* SIGTERM to every child, no more restarts; the grace starts. Idempotent
 * (a failed group may have started the stop already). */
void ezc_launcher_stop(ezc_launcher *l);
int ezc_launcher_stopping(const ezc_launcher *l);
/* SIGKILL to every child, each reaped at once: the forced end, without
 * cleanup (recordings may lack their index). Every group is then done. */
void ezc_launcher_kill(ezc_launcher *l);
/* True when a group failed with no restart left, or did not stop cleanly
 * (exited non-zero or by a signal while stopping, or was killed). */
int ezc_launcher_failed(const ezc_launcher *l);

/* The groups it runs, in order of first appearance in the file. */
size_t ezc_launcher_group_count(const ezc_launcher *l);
typedef struct ezc_launch_group {
    const char *name;  /* owned by the graph */
    int running;       /* a child is alive */
    int ended;         /* its child said it finished (end of its streams) */
    uint64_t restarts; /* children started after the first */
} ezc_launch_group;
void ezc_launcher_group(const ezc_launcher *l, size_t i, ezc_launch_group *out);
/* The index of the group that runs node `node` here, or -1 (another host's). */
int ezc_launcher_group_of(const ezc_launcher *l, size_t node);
/* Node `node`'s figures summed over its group's children (the running
 * one's last report plus the ones before it); restarts include the
 * group's. latency -1 until a report came. */
void ezc_launcher_node_stats(const ezc_launcher *l, size_t node, ezc_graph_node_stats *out);

/* The private folder (DIR above) its children share, valid while l
 * lives: a supervisor keeps per-group files there (live settings). */
const char *ezc_launcher_dir(const ezc_launcher *l);

/* Removes the private folder and frees l; children still alive are
 * killed first (SIGKILL). Sets *l to NULL. */
void ezc_launcher_destroy(ezc_launcher **l);

/* The child's side: its nodes' counters, one line each, on the pipe the
 * launcher gave (--stats-fd), every half second or so and once after the
 * runtime halted; then ezc_launcher_report_end when every node ended, so
 * that the group is not restarted. -1 when the pipe is gone. */
int ezc_launcher_report(ezc_graph_runtime *rt, int fd);
int ezc_launcher_report_end(int fd);

#ifdef __cplusplus
}
#endif
#endif
