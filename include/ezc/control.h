/* ezc/control.h — live control of a running graph (docs/control.md).
 *
 * Every `ezc run` and `ezc node` serves a control socket: ZeroMQ REP on
 * ipc://RUN/graphs/NAME.ctl (RUN: ezc_run_dir, ezc/rundir.h), claimed
 * with the endpoint lock RUN/graphs/NAME.ctl.lock (ipc_endpoint.h) and
 * made 0600, so only its user can reach it. Requests and replies are
 * msgpack maps: {"op": "stats"}, {"op": "set", "node": N, "settings":
 * {K: V}}, {"op": "stop"}, {"op": "graph"}, {"op": "schema", "node": N}
 * (N's settings schema with the values in force); replies carry "ok" (true, or
 * false with "error"). `ezc top`, `ezc set`, `ezc stop` are its clients.
 *
 *   ezc_control *c = ezc_control_new("demo", &ops, rt, g, 1, &err);
 *   ... the graph runs; requests are served by c's own thread ...
 *   ezc_control_destroy(&c);   (before the runtime it reads is stopped)
 *
 * Requests are hostile input: at most EZC_CONTROL_MSG_MAX bytes (a larger
 * one is dropped by ZeroMQ), one frame, every length checked; anything
 * malformed or unknown gets {"ok": false, "error": ...}, never a crash.
 * The data path pays nothing: figures are the counters the runtime keeps
 * anyway, read by the control thread; a settings change is one flag each
 * node looks at between messages (ezc_graph_runtime_set). */
#ifndef EZC_CONTROL_H
#define EZC_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include "graph.h"
#include "graph_run.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_CONTROL_MSG_MAX 65536   /* largest request taken, bytes */
#define EZC_CONTROL_NAME_MAX 64     /* a graph's name: [A-Za-z0-9._-], not starting with '.' */
#define EZC_CONTROL_SETTINGS_MAX 64 /* settings in one "set" */

/* What the server asks of the program it serves. Called on the serving
 * thread (the control thread, or the caller of ezc_control_serve); each
 * must be safe to call from there while the graph runs. */
typedef struct ezc_control_ops {
    size_t (*count)(void *ctx);                                    /* nodes reported */
    void (*stats)(void *ctx, size_t i, ezc_graph_node_stats *out); /* node i's counters */
    /* NULL: "set" is refused ("live settings are not supported here"). */
    int (*set)(void *ctx, const char *node, const char *const *names, const char *const *values,
               size_t n, ezc_graph_set_result *res, ezc_error *err);
    /* NULL: ezc_interrupt() (the process's own stop, as Ctrl-C). */
    void (*stop)(void *ctx);
    /* The type of node i, for "graph" and "stats" when there is no graph;
     * NULL: from the graph. */
    const char *(*type)(void *ctx, size_t i);
} ezc_control_ops;

typedef struct ezc_control ezc_control;

/* Binds the control socket of graph `name` (a valid name, see
 * ezc_control_name_from) and, when threaded, starts its thread; otherwise
 * the caller serves it with ezc_control_serve. g (may be NULL) gives
 * "graph" its edges and types; ops, ctx and g must outlive the server.
 * NULL with err: EZC_EINVAL (a bad name), EZC_EIO ("control: ipc://...:
 * in use by pid 123": a graph of that name runs already; the run folder
 * refused), EZC_ENOMEM. */
ezc_control *ezc_control_new(const char *name, const ezc_control_ops *ops, void *ctx,
                             const ezc_graph *g, int threaded, ezc_error *err);
/* The same, but a name in use is not an error: the first free one of
 * NAME-2, NAME-3, ... NAME-99 is taken instead (two runs of one graph
 * file; ezc_control_name says which). For names nobody chose. */
ezc_control *ezc_control_new_unique(const char *name, const ezc_control_ops *ops, void *ctx,
                                    const ezc_graph *g, int threaded, ezc_error *err);
/* The same on an explicit ipc:// endpoint instead of the run folder's
 * (not listed by ezc_control_list): a process group's private socket, in
 * its supervisor's 0700 folder, through which the supervisor relays a
 * "set" (docs/control.md). name is what replies and logs call it. */
ezc_control *ezc_control_new_at(const char *endpoint, const char *name, const ezc_control_ops *ops,
                                void *ctx, const ezc_graph *g, int threaded, ezc_error *err);
/* The name served, valid while c lives. */
const char *ezc_control_name(const ezc_control *c);
/* Answers the requests that arrive within timeout_ms (0: those waiting
 * now); not threaded servers only. Returns how many were answered. */
int ezc_control_serve(ezc_control *c, int timeout_ms);
/* "ipc:///run/user/1000/ezc/graphs/demo.ctl", valid while c lives. */
const char *ezc_control_endpoint(const ezc_control *c);
/* Stops the thread, closes the socket, removes its file, releases the
 * claim. Sets *c to NULL; NULL-safe. */
void ezc_control_destroy(ezc_control **c);

/* A graph's name from a file path: its base name without the extension
 * (".yaml", ".yml"), characters outside [A-Za-z0-9._-] replaced by '_',
 * cut to EZC_CONTROL_NAME_MAX - 1. */
void ezc_control_name_from(const char *path, char *buf, size_t cap);
/* 0 when name is one a control socket may have, else EZC_EINVAL naming it. */
int ezc_control_name_check(const char *name, ezc_error *err);

/* ---- clients (ezc top, set, stop); any thread ---- */

/* The graphs with a live control socket (their lock held by a running
 * process), sorted by name. The caller frees *names with
 * ezc_control_names_free. */
int ezc_control_list(char ***names, size_t *n, ezc_error *err);
void ezc_control_names_free(char **names, size_t n);

/* One node's figures as a "stats" reply gives them. */
typedef struct ezc_control_node {
    char name[EZC_NAME_MAX];
    char type[EZC_NAME_MAX];
    char state[16]; /* running, idle, ended, failed */
    uint64_t messages, bytes, drops, errors, restarts;
    double msg_s, mb_s;                    /* over the last second or so */
    double latency_p50_us, latency_p99_us; /* -1: none */
    double cpu_pct;                        /* of one core, -1: unknown */
    char last_error[EZC_ERROR_MSG_MAX];
} ezc_control_node;

/* What a "stats" reply says of the graph's process as a whole. */
typedef struct ezc_control_proc {
    long pid;        /* of the process serving the control socket */
    double uptime_s; /* seconds since that socket opened */
} ezc_control_proc;

/* "stats" of graph `name`: *nodes (the caller frees it with free), *n,
 * and when proc is not NULL the serving process's figures in *proc (each
 * 0 when the reply lacks it or it is no number; all 0 on error).
 * EZC_ENOTFOUND when no such graph runs, EZC_ETIMEOUT when it does not
 * answer within timeout_ms, EZC_EPROTO on a malformed reply (a node's field
 * of the wrong type included; unknown fields are skipped). */
int ezc_control_stats(const char *name, int timeout_ms, ezc_control_node **nodes, size_t *n,
                      ezc_control_proc *proc, ezc_error *err);
/* A running graph's shape as a "graph" reply gives it. */
typedef struct ezc_control_gnode {
    char name[EZC_NAME_MAX];
    char type[EZC_NAME_MAX];
    char group[EZC_NAME_MAX]; /* its process group ("main": the run's own process) */
} ezc_control_gnode;
typedef struct ezc_control_gedge {
    char from[EZC_NAME_MAX], to[EZC_NAME_MAX];
} ezc_control_gedge;
/* "graph" of graph `name`: *nodes (*nn) and *edges (*ne), each freed by the
 * caller with free. Errors as ezc_control_stats; a reply of more than
 * 65536 nodes or edges is EZC_EPROTO. */
int ezc_control_graph(const char *name, int timeout_ms, ezc_control_gnode **nodes, size_t *nn,
                      ezc_control_gedge **edges, size_t *ne, ezc_error *err);
/* "set": settings "key=value" of node `node`. 0 (info, when not NULL,
 * says "applied, state kept" or so), or the refusal in err. */
int ezc_control_set(const char *name, const char *node, const char *const *kv, size_t n,
                    int timeout_ms, char *info, size_t cap, ezc_error *err);
/* "set" to the server on ipc:// endpoint (ezc_control_new_at; `what`
 * names it in messages): settings names[i] = values[i] (text) of `node`.
 * 0 with *res as the server reported it ("applied", "state" kept), or its
 * refusal word for word in err (EZC_EINVAL); EZC_ETIMEOUT, EZC_EIO,
 * EZC_EPROTO as for ezc_control_call. */
int ezc_control_set_at(const char *endpoint, const char *what, const char *node,
                       const char *const *names, const char *const *values, size_t n,
                       int timeout_ms, ezc_graph_set_result *res, ezc_error *err);
/* "stop": the graph stops as on Ctrl-C. */
int ezc_control_stop(const char *name, int timeout_ms, ezc_error *err);
/* Any request (a msgpack map of len bytes); *reply malloc'ed (free). */
int ezc_control_call(const char *name, const void *req, size_t len, int timeout_ms, void **reply,
                     size_t *rlen, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
