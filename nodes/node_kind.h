/* node_kind.h — the contract of a graph node kind that is not a transformer:
 * a source (no input, one output: `sine`, `subscribe`) or a sink (one input
 * `in`, no output edge: `print`, `record`, `publish`).
 *
 * A kind is one `ezc_node_kind` (ezc/graph.h: name, summary, role, settings
 * schema) whose `ops` are the hooks below, exported by a file of its own
 * (nodes/source_*.c, nodes/sink_*.c) and listed in one table,
 * nodes/node_kinds.c. The checker (graph_check.c) and the runtime
 * (graph_run.c) know kinds only through these hooks, never by name, so a
 * new source or sink is one file and one table row (docs/contributing.md).
 *
 * The runtime validates a node's settings against the kind's schema before
 * every hook that takes them; strings read from them live as long as the
 * settings, i.e. for the duration of the call (`run`, `wire`) or until
 * `close` (`open`). Hooks run on the node's thread (sinks fused into an
 * upstream chain: on that chain's thread), `wire` and `check` on the
 * caller's; a hook touches only its node and its own state.
 *
 * Errors follow the library's rule: a negative EZC_E* code with err
 * filled, its message naming the node ("node 'rec': ..."). */
#ifndef EZC_NODE_KIND_H
#define EZC_NODE_KIND_H

#include <stdint.h>
#include "ezc/graph.h"
#include "ezc/pacer.h"
#include "ezc/sub.h"

/* The running node, as a kind's hooks see it (graph_run.c). */
typedef struct ezc_node_ctx ezc_node_ctx;

typedef struct ezc_node_kind_ops {
    /* Sources: the node's loop. Produce messages with ezc_node_ctx_emit
     * until ezc_node_ctx_stopping; at a normal end of the stream call
     * ezc_node_ctx_end and return its result. 0 otherwise means "stopped";
     * non-zero is a failure, after which the runtime calls run again per
     * the node's `restart` (after the backoff of ezc/graph_run.h). */
    int (*run)(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err);

    /* Sinks, all optional: open makes the sink's state (*state, owned by
     * the sink until close) when the node starts and after each restart;
     * consume sees each input message (borrowed: the runtime owns it and
     * passes it on to the node's outputs afterwards, if it has any — the
     * `publish` sink's publisher, added by its `wire` hook); close frees
     * the state, also after a failure. consume's `k` is the message's
     * number at this node, from 0, counted across restarts. A message the
     * sink refuses while staying usable is reported with ezc_node_ctx_refuse
     * and 0 returned; a non-zero return fails the node (closed, restarted
     * per its policy), e.g. a recording file that can no longer be
     * written. close returns non-zero when work is lost (a file left
     * without its index). */
    int (*open)(ezc_node_ctx *ctx, const ezc_settings *s, void **state, ezc_error *err);
    int (*consume)(void *state, ezc_node_ctx *ctx, const ezc_array *in, uint64_t k, ezc_error *err);
    int (*close)(void *state, ezc_error *err);

    /* Optional, at runtime start (before any thread runs): sockets the node
     * binds for the outside, with ezc_node_ctx_add_output. The endpoint is
     * its `endpoint` setting (which `ezc run` warns about when it is
     * plaintext tcp:// on a non-loopback address, graph_security.c). */
    int (*wire)(ezc_node_ctx *ctx, const ezc_settings *s, ezc_error *err);

    /* Optional, in ezc_graph_check once the settings passed the schema:
     * what the schema cannot say (ranges, a trial instantiation). Adds
     * errors to g with ezc_graph_error_add, at the setting's line. */
    void (*check)(ezc_graph *g, const ezc_graph_node *n, const ezc_settings *s);
    /* Sources: 1 when run takes live settings (`ezc set`, docs/control.md)
     * with ezc_node_ctx_settings between messages; 0: `set` is refused. */
    int live;

    /* Sinks, optional: live settings (`ezc set`). Without it a `set` is
     * refused. The runtime calls it on the node's thread between two
     * consume calls, with the whole new set (checked against the schema;
     * s is the caller's for the call only: copy what state keeps). Take
     * it (0; *kept = 1 when nothing of the stream was reset), or refuse
     * with err naming the kind and the setting and why, not the node (the
     * runtime prefixes it); the old settings and state stay as they were:
     * refuse before changing anything. */
    int (*update)(void *state, ezc_node_ctx *ctx, const ezc_settings *s, int *kept, ezc_error *err);
} ezc_node_kind_ops;

/* ---- what hooks may ask of the runtime (graph_run.c) ---- */

/* The node's name (for messages, default keys and topics), and the node
 * (its kind, device, line), owned by the graph. */
const char *ezc_node_ctx_name(const ezc_node_ctx *ctx);
const ezc_graph_node *ezc_node_ctx_node(const ezc_node_ctx *ctx);
/* True once the runtime or the process is stopping: return soon. */
int ezc_node_ctx_stopping(const ezc_node_ctx *ctx);
/* A source with live settings (ops.live) calls this between messages: when
 * an `ezc set` waits (the whole new set, checked against the kind's schema),
 * apply(arg, s, &kept, err) takes it (s lives until the next change), or
 * refuses it with err (the old settings stay, the refusal goes back to
 * `ezc set`). 1: a change was taken; 0: none waited or it was refused. */
typedef int (*ezc_node_settings_fn)(void *arg, const ezc_settings *s, int *kept, ezc_error *err);
int ezc_node_ctx_settings(ezc_node_ctx *ctx, ezc_node_settings_fn apply, void *arg);
/* A real-time source's wait for its next message (ezc_pacer_wait until
 * `samples` are due) that takes an `ezc set` coming meanwhile at once, as
 * ezc_node_ctx_settings does (and one for a node fused after the source,
 * which this thread runs), so that the change is in the next message and
 * its sender gets its answer without waiting for the message. 0 when due;
 * EZC_EINTR when stopping. */
int ezc_node_ctx_pace(ezc_node_ctx *ctx, ezc_pacer *p, int64_t samples, ezc_node_settings_fn apply,
                      void *arg);
/* Waits until every edge the node feeds has its subscriber (0), so that
 * nothing sent first is lost; returns early (0) when stopping. emit waits
 * too; a source calls this to start its clock after the wait. */
int ezc_node_ctx_ready(ezc_node_ctx *ctx, ezc_error *err);
/* A source's message: moved to the node's device, counted, stamped with
 * its source time and passed on (fused nodes, sockets). Takes a, also on
 * error. from_input: a came from an outside publisher through the node's
 * subscriber (ezc_node_ctx_subscribe): its own stamp, sequence and the
 * subscriber's gaps are carried on; 0: the source made it now. Non-zero:
 * the node fails (a device move or a send that failed). */
int ezc_node_ctx_emit(ezc_node_ctx *ctx, ezc_array *a, int from_input, ezc_error *err);
/* The end of the source's stream: the marker goes on downstream and the
 * node is finished (never restarted). */
int ezc_node_ctx_end(ezc_node_ctx *ctx, ezc_error *err);
/* A real-time source: messages sent while behind its rate (ezc/pacer.h). */
void ezc_node_ctx_set_behind(ezc_node_ctx *ctx, uint64_t behind);
/* The node's subscriber to an outside publisher (made with the graph's
 * security: settings on the first call, kept across restarts: its gaps are
 * the node's drops). Owned by the runtime. */
int ezc_node_ctx_subscribe(ezc_node_ctx *ctx, const char *endpoint, const char *topic,
                           ezc_sub **out, ezc_error *err);
/* A live change of the node's publisher (a `subscribe` source's new
 * endpoint, ezc_node_ctx_settings): a subscriber made as by
 * ezc_node_ctx_subscribe, not yet the node's (*out: the caller's until
 * ezc_node_ctx_resubscribe; on error nothing changed, and the message,
 * ezc_sub_new's, does not name the node). */
int ezc_node_ctx_subscriber_new(ezc_node_ctx *ctx, const char *endpoint, const char *topic,
                                ezc_sub **out, ezc_error *err);
/* Makes *sub the node's subscriber (taken; *sub set to NULL) and closes
 * the old one; the gaps it counted stay in the node's drops. The node's
 * thread, between two messages. */
void ezc_node_ctx_resubscribe(ezc_node_ctx *ctx, ezc_sub **sub);
/* A sink's message it could not take: counted as the node's error, logged
 * once per kind of code. */
void ezc_node_ctx_refuse(ezc_node_ctx *ctx, int code, const ezc_error *e);
/* `wire` only: a publisher for the outside fed with every message the node
 * passes on; the graph's security: settings and stall limit apply, and it
 * keeps one id across runs and restarts ("KIND NAME"). keep_empty: also
 * messages without data. */
int ezc_node_ctx_add_output(ezc_node_ctx *ctx, const char *endpoint, const char *topic, int lossy,
                            int keep_empty, ezc_error *err);
/* That publisher's lossy and keep_empty changed from the next message on
 * (ezc_pub_set_lossy); its endpoint and topic stay. On the thread that
 * sends the node's messages: its open and update hooks. EZC_EINVAL when
 * wire added none; EZC_EIO from the socket (nothing changed). The message
 * does not name the node (an update hook's never does: the runtime adds
 * it). */
int ezc_node_ctx_output_update(ezc_node_ctx *ctx, int lossy, int keep_empty, ezc_error *err);

#endif
