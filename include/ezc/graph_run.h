/* ezc/graph_run.h — running a checked graph: one thread per node.
 *
 *   ezc_graph_runtime *rt = ezc_graph_runtime_start(g, NULL, &err);
 *   while (!stop && !ezc_graph_runtime_failed(rt)) sleep(1);
 *   ezc_graph_runtime_stop(&rt, &err);
 *
 * Edges between nodes of the runtime's process are inproc:// ezc pub/sub
 * (arrays by reference); edges that cross process groups are ipc:// sockets
 * in opt->ipc_dir, bound by the upstream side. Each edge has a publisher
 * of its own (so each can have its queue policy) whose topic names the
 * edge, and each node one subscriber on all of its incoming edges.
 * Before its first message a node waits until every edge it feeds has its
 * subscriber, so nothing is lost at start. Per-message transformer errors
 * are counted and logged once per kind; a node whose loop fails (a socket
 * error, an init that fails) is restarted per its `restart` policy after
 * the waits of ezc_restart_backoff (below), else the runtime reports it
 * failed.
 *
 * A stop request of the process (ezc_interrupt, ezc/interrupt.h, e.g. from
 * a signal handler) stops every node as ezc_graph_runtime_halt would, at
 * once and whichever thread the signal reached: blocked sends and receives
 * end, record sinks close their files (with the index); the caller still
 * calls ezc_graph_runtime_stop, which closes the sockets and so removes the
 * ipc socket files the runtime's publishers bound.
 *
 * End of stream: a source with a `count` ends after its last message, a
 * `subscribe` source when its publisher sends the end-of-stream marker
 * (ezc/pub.h). A node ends once every input has ended and it has handled
 * everything that came before; it then passes the marker on (over
 * sockets, or directly along a fused chain) and is finished: it is not
 * restarted, whatever its policy, and its thread returns (a record sink
 * writes its index). ezc_graph_runtime_ended says when every node has. A
 * node that crashes sends no marker: an end is always a normal one. */
#ifndef EZC_GRAPH_RUN_H
#define EZC_GRAPH_RUN_H

#include <signal.h>
#include <stdint.h>
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long to wait before restarting what failed: a node of a runtime
 * (its thread's loop, or a fused node's step) and a process group of the
 * launcher (ezc/launcher.h) alike. The first wait is initial_ms, each
 * next one doubles up to max_ms, and a run that lasted reset_ms or more
 * before it ended starts over at initial_ms (a crash after a long life is
 * not a crash loop). docs/graphs.md, "Restart". */
typedef struct ezc_restart_policy {
    int initial_ms;
    int max_ms;
    int reset_ms;
} ezc_restart_policy;

#define EZC_RESTART_INITIAL_MS 100
#define EZC_RESTART_MAX_MS 5000
#define EZC_RESTART_RESET_MS 10000

/* The one policy the runtime and the launcher use: 0.1 s doubling to 5 s,
 * reset after 10 s of life. */
extern const ezc_restart_policy ezc_restart_backoff;

/* The wait before the next restart: p->initial_ms the first time (prev_ms
 * 0) or after a run of p->reset_ms or more (lived_ms), else prev_ms
 * doubled, at most p->max_ms. Pure; any thread. */
int ezc_restart_policy_next(const ezc_restart_policy *p, int prev_ms, int64_t lived_ms);

typedef struct ezc_graph_run_options {
    const char *group;       /* run only this process group's nodes; NULL = every node */
    const char *ipc_dir;     /* folder for the ipc:// sockets of cross-group edges (required
                            when group is set) */
    const char *resume_path; /* a file (made 0600 when missing) in which the group's
                                publishers keep their numbering, so that a runtime started
                                again after a crash of the last one (kill -9 included) goes
                                on numbering where it stopped and skips the numbers of the
                                inputs it lost: downstream gaps then count exactly what
                                never came out (docs/pubsub.md, "Restarts"). NULL = none:
                                numbering starts at 0 (a restart then counts one gap) */
} ezc_graph_run_options;

typedef struct ezc_graph_node_stats {
    const char *name;  /* the node's name (owned by the graph) */
    int running;       /* its thread is in its loop */
    uint64_t messages; /* sources: produced; others: received */
    uint64_t bytes;    /* data bytes of those messages */
    uint64_t drops;    /* lost on its inputs: sequence gaps + queue-policy drops */
    uint64_t errors;   /* messages refused by the transformer, failed sends */
    uint64_t restarts;
    int failed;      /* stopped on an error, not restarted */
    int ended;       /* reached the end of its stream and passed it on: finished */
    uint64_t behind; /* a real-time source: messages sent while it could not keep up
                           with its rate (ezc/pacer.h; 0: never behind) */
    /* Latency since the source, over the last EZC_GRAPH_LATENCY_WINDOW
     * messages that arrived (each source stamps its messages with the attr
     * "ezc.t0_ns", CLOCK_REALTIME; transformers carry attrs). Microseconds;
     * -1 when none arrived (sources) or the messages carry no stamp. */
    double latency_p50_us, latency_p99_us;
    char last_error[EZC_ERROR_MSG_MAX];
    /* CPU time of the node's thread, seconds (a fused chain's is counted
     * at its first node); -1 when unknown (fused nodes, other processes). */
    double cpu_s;
    /* How its inputs from other processes arrive (ezc_sub_path): "shm",
     * "inline" (the socket) or "shm+inline"; "" when it has none (sources,
     * in-process edges only). */
    char in_path[12];
} ezc_graph_node_stats;

#define EZC_GRAPH_LATENCY_WINDOW 512
/* The attr a graph source stamps on each message: its creation time. */
#define EZC_GRAPH_T0_ATTR "ezc.t0_ns"

typedef struct ezc_graph_runtime ezc_graph_runtime;

/* Creates every socket (binds first, then connects), instantiates nothing
 * that can fail per message, and starts one thread per node of the group.
 * g must have passed ezc_graph_check and outlive the runtime. NULL and err
 * when a socket cannot be bound or a node cannot start. */
ezc_graph_runtime *ezc_graph_runtime_start(const ezc_graph *g, const ezc_graph_run_options *opt,
                                           ezc_error *err);
/* Stops every thread and joins them, keeping the counters readable (final
 * summaries read a quiet graph); idempotent. */
void ezc_graph_runtime_halt(ezc_graph_runtime *rt);
/* Stops every thread (ezc_graph_runtime_halt), closes every socket. Returns 0, or
 * EZC_EIO with err naming the first node that failed. Sets *rt to NULL. */
int ezc_graph_runtime_stop(ezc_graph_runtime **rt, ezc_error *err);

/* Nodes run by this runtime, and a snapshot of each one's counters. Any
 * thread, while the runtime runs (the control thread of ezc/control.h reads
 * them beside the main thread's status line); not after
 * ezc_graph_runtime_stop. */
size_t ezc_graph_runtime_count(const ezc_graph_runtime *rt);
void ezc_graph_runtime_stats(ezc_graph_runtime *rt, size_t i, ezc_graph_node_stats *out);
/* True once a node has failed for good (no restart left). */
int ezc_graph_runtime_failed(const ezc_graph_runtime *rt);
/* True once every node of the runtime has ended (see "End of stream"
 * above): the runtime has nothing left to do; stop it. */
int ezc_graph_runtime_ended(const ezc_graph_runtime *rt);

/* Live settings (docs/control.md; `ezc set`). Changes settings names[i]
 * to values[i] (text, as in a graph file; a list as "[1, 2]") of the node
 * called `node` (a transformer, or a source or sink whose kind takes live
 * settings: its own hook takes or refuses them, as a transformer's update
 * hook does; docs/control.md has what each kind changes live), the others
 * staying as they are. Checked
 * first as `ezc validate` checks a file (the schema, then a trial instance:
 * what init refuses), with its messages: "node 'bw': butterworth: setting
 * 'cutoff' = 'abc': expected a number (float)"; refused, nothing changes.
 * Accepted, the change is taken by the node's thread between two messages
 * (never inside one): the transformer's update hook keeps its state, else
 * the instance is made again with the new settings, state reset (logged
 * either way); the node keeps them across its restarts.
 * Waits up to wait_ms for the node to take them (res->applied; res->kept:
 * the state was kept); an idle node takes them with its next message.
 * A change the node's hook refuses (what only the stream can tell, e.g. a
 * cutoff above Nyquist at its rate) returns EZC_EINVAL with its message if
 * it came within wait_ms, else it is logged; the old settings stay.
 * Errors: EZC_ENOTFOUND (no such node here), EZC_EINVAL (a kind without
 * live settings, ended or failed, refused), EZC_ENOMEM. Any thread; one change at a
 * time per node wins (a second replaces one not yet taken). */
typedef struct ezc_graph_set_result {
    int applied; /* the node took it within wait_ms */
    int kept;    /* ... keeping its state (the type's update hook) */
} ezc_graph_set_result;
int ezc_graph_runtime_set(ezc_graph_runtime *rt, const char *node, const char *const *names,
                          const char *const *values, size_t n, int wait_ms,
                          ezc_graph_set_result *res, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
