/* ezc/graph.h — a node graph read from a YAML file (docs/graphs.md).
 *
 *   ezc_graph *g = ezc_graph_load("configs/demo_abs.yaml", &err);
 *   ezc_registry *reg = ...;  (with built-ins)
 *   if (ezc_graph_check(g, reg) > 0)
 *       for (size_t i = 0; i < g->nerrors; i++)
 *           printf("%s:%d: %s\n", g->file, g->errors[i].line, g->errors[i].msg);
 *
 * The model is plain data, read-only for users: every element keeps the
 * line it was written on (1-based), so each complaint points at its place.
 * Loading records structural errors (unknown keys, wrong shapes, bad edge
 * strings, unknown node names) and never stops at the first; checking adds
 * what needs the registry (plugins, types, settings, ports), cycles, and
 * settings that contradict what the sources declare (a cutoff past
 * Nyquist, an axis the stream lacks: nodes/graph_static.c).
 * The model lives in nodes/: parsing and queries in graph.c, checking in
 * graph_check.c and graph_static.c, the built-in source and sink kinds in
 * node_kinds.c (their contract: nodes/node_kind.h), beside the runtime
 * that runs them (graph_run.c, ezc/graph_run.h) and the launcher of
 * process groups (launcher.c, ezc/launcher.h). Nothing in core/ uses it. */
#ifndef EZC_GRAPH_H
#define EZC_GRAPH_H

#include <stddef.h>
#include "buffer.h"
#include "registry.h"
#include "settings.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { EZC_RESTART_NEVER, EZC_RESTART_ON_FAILURE, EZC_RESTART_ALWAYS } ezc_restart;
typedef enum {
    EZC_QUEUE_BLOCK,       /* back-pressure: the upstream waits (default) */
    EZC_QUEUE_DROP_OLDEST, /* the receiver keeps the newest queue_size messages */
    EZC_QUEUE_DROP_NEWEST, /* a full queue refuses the new message */
    EZC_QUEUE_CONFLATE     /* only the newest message waits */
} ezc_queue;
typedef enum { EZC_ROLE_UNKNOWN, EZC_ROLE_SOURCE, EZC_ROLE_TRANSFORMER, EZC_ROLE_SINK } ezc_role;

/* A built-in node type that is not a transformer: a source (no input, one
 * output) or a sink (one input "in", no output). What a graph file and
 * `ezc list` need is here; how the checker and the runtime run it are its
 * ops, hooks whose contract is nodes/node_kind.h (not installed: kinds
 * are the library's own for now, one table in nodes/node_kinds.c). */
struct ezc_node_kind_ops;
typedef struct ezc_node_kind {
    const char *name;
    const char *summary;
    ezc_role role;
    const ezc_setting_spec *settings;
    const struct ezc_node_kind_ops *ops;
} ezc_node_kind;

/* NULL-terminated list of the built-in sources and sinks, and one by name
 * (NULL when none has it). Static data: any thread, never freed. */
const ezc_node_kind *const *ezc_node_kinds(void);
const ezc_node_kind *ezc_node_kind_find(const char *name);

typedef struct ezc_graph_setting {
    char *name;
    char *text;   /* scalar value, or NULL for a list */
    char **items; /* list value */
    size_t nitems;
    int line;
} ezc_graph_setting;

typedef struct ezc_graph_node {
    char *name;
    int line;
    char *type;
    int type_line;
    ezc_graph_setting *settings;
    size_t nsettings;
    int settings_line;
    char *device; /* NULL = where the data arrives */
    DLDevice dev;
    int device_line;
    char *process; /* group name; NULL = "main" */
    int process_line;
    ezc_restart restart;
    int restart_line;
    /* Filled by ezc_graph_check: */
    ezc_role role;
    const ezc_transformer_type *ttype; /* role TRANSFORMER */
    const ezc_node_kind *kind;         /* role SOURCE or SINK */
    int unchecked; /* EZC_GRAPH_CHECK_NO_PLUGINS: type unknown, maybe a plugin's; role UNKNOWN */
} ezc_graph_node;

typedef struct ezc_graph_edge {
    int from, to;      /* node indices, -1 when the name is unknown */
    char *from_port;   /* NULL = "out" */
    char *to_port;     /* NULL = the first input port */
    int to_port_index; /* filled by ezc_graph_check */
    ezc_queue queue;
    int queue_size; /* drop_oldest: messages kept (default 16) */
    int line;
} ezc_graph_edge;

/* inputs: an outside publisher feeding a node's port; outputs: a node's
 * output published on an endpoint for other programs. */
typedef struct ezc_graph_io {
    char *name;
    int node;   /* index, -1 when unknown */
    char *port; /* inputs: NULL = the first input port */
    int port_index;
    char *endpoint;
    char *topic;     /* outputs: default the io name; inputs: prefix, default all */
    ezc_queue queue; /* outputs: block or drop_newest */
    int line;
} ezc_graph_io;

typedef struct ezc_graph_plugin {
    char *path; /* resolved against the file's folder */
    int line;
} ezc_graph_plugin;

/* A machine: its address, the process groups it runs (`ezc run --host
 * NAME`), and the first port of the tcp:// endpoints it binds for edges to
 * other hosts (port + edge index). */
typedef struct ezc_graph_host {
    char *name;
    char *address;
    int line;
    char **groups;
    size_t ngroups;
    int port; /* default EZC_GRAPH_HOST_PORT */
} ezc_graph_host;

#define EZC_GRAPH_HOST_PORT 5800

typedef struct ezc_graph_error {
    int line; /* 0 when the error concerns the whole file */
    char msg[EZC_ERROR_MSG_MAX];
} ezc_graph_error;

/* security: who may connect to the graph's tcp:// endpoints, and how long
 * an outside subscriber may hold the graph up (docs/graphs.md, "security").
 * With key files given, every tcp:// endpoint the graph binds (edges to
 * other hosts, outputs, publish sinks) is a CURVE server and every tcp://
 * one it connects to (edges, inputs, subscribe sources) a CURVE client;
 * ipc:// and inproc:// stay plaintext. Paths are resolved against the
 * file's folder; NULL when not given. */
typedef struct ezc_graph_security {
    int present; /* the file has a security: section */
    int line;
    char *server_key;     /* secret key file of the graph's tcp:// publishers */
    char *allow;          /* folder of the NAME.pub files of the subscribers let in */
    char *client_key;     /* secret key file of the graph's tcp:// subscribers */
    char *server_pub;     /* public key file those subscribers expect; default: server_key
                         with .key replaced by .pub (keygen's pair) */
    int stall_timeout_ms; /* outputs and publish sinks: see pub.h "Stalls" */
    int stall_set;        /* stall_timeout_ms was given; else 2000 (0 = lossless) */
} ezc_graph_security;

#define EZC_GRAPH_STALL_TIMEOUT_MS 2000

typedef struct ezc_graph {
    char *file; /* as given, for messages */
    char *dir;  /* the file's folder, for relative plugin paths */
    ezc_graph_node *nodes;
    size_t nnodes;
    ezc_graph_edge *edges;
    size_t nedges;
    ezc_graph_plugin *plugins;
    size_t nplugins;
    ezc_graph_io *inputs, *outputs;
    size_t ninputs, noutputs;
    ezc_graph_host *hosts;
    size_t nhosts;
    ezc_graph_error *errors;
    size_t nerrors;
    int checked;
    size_t *by_name; /* internal: node indices in name order, for ezc_graph_node_index */
    int fuse;        /* runtime: {fuse: ...}: chains of block edges run as one thread (default 1) */
    int shm; /* runtime: {shm: ...}: ipc:// edges and outputs through shared memory (default 1;
                0: `ezc run` sets EZC_SHM=0 for itself and its process groups) */
    ezc_graph_security security;
    char *name; /* name: (a valid control name, ezc/control.h), or NULL: see ezc_graph_name */
    int name_line;
} ezc_graph;

/* Every transformer node has, besides its type's inputs, an in-band
 * "settings" port (docs/control.md, "In-band settings"): an edge `x ->
 * bw.settings` gets to_port_index EZC_GRAPH_SETTINGS_PORT, and each
 * message on it retunes the node with its attrs EZC_GRAPH_SETTINGS_ATTR, a
 * msgpack map of setting name -> text, as `ezc set` would. */
#define EZC_GRAPH_SETTINGS_PORT_NAME "settings"
#define EZC_GRAPH_SETTINGS_PORT 1000
#define EZC_GRAPH_SETTINGS_ATTR "ezc.settings"

/* Limits on what a graph file may ask of the parser, each reported as an
 * error of the graph (with the line where one applies): its size, how deep
 * lists and maps nest, how many setting values YAML aliases may add beyond
 * the values written in the file, and how many errors are kept (one more
 * says the rest were not shown). */
#define EZC_GRAPH_MAX_BYTES (1 << 20)
#define EZC_GRAPH_MAX_DEPTH 64
#define EZC_GRAPH_ALIAS_SLACK 65536
#define EZC_GRAPH_MAX_ERRORS 1000

/* Reads and parses path. NULL (err says why) only when the file cannot be
 * read or memory runs out; YAML syntax and structure errors, and a file
 * past the limits above, are recorded in the graph's errors. Caller owns
 * the result. */
ezc_graph *ezc_graph_load(const char *path, ezc_error *err);
/* The same from text in memory; name is used in messages, dir for plugin
 * paths (NULL = "."). */
ezc_graph *ezc_graph_parse(const char *text, size_t len, const char *name, const char *dir,
                           ezc_error *err);
void ezc_graph_destroy(ezc_graph **g);

/* Loads the graph's plugins into reg, resolves every node type, validates
 * settings against each schema (then instantiates each transformer once, so
 * checks made by init are seen too), checks ports, inputs/outputs and
 * cycles. Appends to g->errors; returns the total number of errors. */
size_t ezc_graph_check(ezc_graph *g, ezc_registry *reg);

/* ezc_graph_check with flags. EZC_GRAPH_CHECK_NO_PLUGINS: the file's
 * plugins are not loaded (loading a plugin runs its code, see
 * <ezc/plugin.h>); a node whose type is not known is then marked
 * `unchecked` instead of being an error when the file names plugins, and
 * its settings, ports and what depends on its output are not checked. */
#define EZC_GRAPH_CHECK_NO_PLUGINS 1u
size_t ezc_graph_check_flags(ezc_graph *g, ezc_registry *reg, unsigned flags);

/* 0 when endpoint is one the runtime can bind or connect: tcp://HOST:PORT
 * (HOST may be *), ipc://PATH or inproc://NAME; else -1 with *why saying
 * what is wrong (a static string). */
int ezc_graph_endpoint_check(const char *endpoint, const char **why);

/* Records an error at line (printf-style). */
void ezc_graph_error_add(ezc_graph *g, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The host that runs process group `group`, or NULL (no hosts: section). */
const ezc_graph_host *ezc_graph_group_host(const ezc_graph *g, const char *group);

/* 1 when the graph binds a plaintext tcp:// endpoint (no security
 * server_key) on an address other than loopback (0.0.0.0, *, a LAN address
 * or name): an output, a publish sink or an edge between hosts; `what`
 * then names the first (truncated to cap). 0 otherwise. For `ezc run`'s
 * warning; nodes/graph_security.c. */
int ezc_graph_plaintext_exposure(const ezc_graph *g, char *what, size_t cap);

/* The graph's name (`ezc top`, `ezc set GRAPH/NODE`, its outputs' stream
 * names GRAPH/NODE): the file's `name:`, else its base name as
 * ezc_control_name_from makes it. Into buf (cap EZC_CONTROL_NAME_MAX is
 * enough). Any thread. */
void ezc_graph_name(const ezc_graph *g, char *buf, size_t cap);

/* Sets node `node`'s setting `name` to text (as a graph file holds it; a
 * list as "[1, 2]"), replacing the file's value or adding one. Not
 * checked: for values a running node has accepted already (a process
 * group restarted with its live settings, ezc/control.h). Not while a
 * runtime runs g. 0, EZC_EINVAL (no such node), EZC_ENOMEM. */
int ezc_graph_node_setting_put(ezc_graph *g, size_t node, const char *name, const char *text,
                               ezc_error *err);

/* Index of the node called name, or -1. */
int ezc_graph_node_index(const ezc_graph *g, const char *name);
/* The node's process group: its `process`, or "main". */
const char *ezc_graph_node_group(const ezc_graph_node *n);
/* A settings object with the node's values (each with where "FILE:LINE"),
 * not validated. A relative `model` or `save` path (a learner's model file)
 * is joined to the graph file's folder (g->dir), as plugin paths are.
 * Caller owns it. */
ezc_settings *ezc_graph_node_settings(const ezc_graph *g, const ezc_graph_node *n, ezc_error *err);
/* The node type's schema (after check), or NULL. */
const ezc_setting_spec *ezc_graph_node_schema(const ezc_graph_node *n);

/* True when edge i runs fused (g->fuse, the default): a block edge within
 * one process group that is its upstream's only output and its
 * downstream's only input. The downstream node then runs in its
 * upstream's thread, called directly, with no socket between them; a run
 * of such edges is one thread. Counters stay per node. */
int ezc_graph_edge_fused(const ezc_graph *g, size_t i);

/* The group's restart policy: the most permissive of its nodes'. */
ezc_restart ezc_graph_group_restart(const ezc_graph *g, const char *group);
/* Distinct group names in order of first appearance; returns how many
 * (out has room for g->nnodes). */
size_t ezc_graph_groups(const ezc_graph *g, const char **out);

const char *ezc_queue_name(ezc_queue q);
const char *ezc_restart_name(ezc_restart r);

#ifdef __cplusplus
}
#endif
#endif
