/* dash.h — the parts of ezc-dash and how they meet (internal).
 *
 * One service thread runs libwebsockets (dash_main.c, dash_ws.c) and owns
 * every connection. Around it, threads that never touch a socket of lws:
 * one per plotted stream (dash_streams.c: subscribe, decimate into the
 * plots' views under the stream's mutex) and one poller of the control
 * planes (dash_graphs.c). They hand their results over under a mutex and
 * wake the service thread (the `wake` callback: lws_cancel_service). */
#ifndef EZC_DASH_H
#define EZC_DASH_H
#include <stddef.h>
#include <stdint.h>
#include "dash_json.h"
#include "dash_view.h"
#include "ezc/error.h"
#include "ezc/names.h"

typedef void (*dash_wake_fn)(void *ctx);

int64_t dash_now_ns(void); /* CLOCK_REALTIME */
/* Wakes the service thread (lws_cancel_service) from any thread; nothing
 * once the server is going down. */
void dash_wake(void *ctx);
double dash_mono_s(void); /* CLOCK_MONOTONIC */

/* ---- dash_graphs.c: the running graphs and named streams ---- */

typedef struct dash_graphs dash_graphs;
/* Starts the poller: every 0.5 s the control planes (ezc_control_list,
 * "stats", and "graph" once per graph) with 300 ms timeouts, every 1 s the
 * names registry. NULL with err when the thread cannot start. */
dash_graphs *dash_graphs_new(dash_wake_fn wake, void *ctx, ezc_error *err);
void dash_graphs_destroy(dash_graphs **g);
/* The latest "graphs" message (JSON text, malloc'ed: the caller frees it)
 * when it is newer than *version (then updated); NULL otherwise. */
char *dash_graphs_message(dash_graphs *g, uint64_t *version);
/* The latest named streams (ezc_names_list), a malloc'ed copy in *out
 * (free), when newer than *version; 0 with *n, or -1 when nothing new. */
int dash_graphs_streams(dash_graphs *g, ezc_stream_info **out, size_t *n, uint64_t *version);

/* ---- dash_streams.c: subscribed streams and the plots fed from them ---- */

typedef struct dash_streams dash_streams;
typedef struct dash_plot dash_plot;

dash_streams *dash_streams_new(dash_wake_fn wake, void *ctx, ezc_error *err);
/* Stops every stream's thread; plots must be destroyed first. */
void dash_streams_destroy(dash_streams **ss);
/* Joins the threads of streams nobody plots any more (service thread,
 * now and then). */
void dash_streams_reap(dash_streams *ss);
/* A plot of stream `name` (subscribing to it unless already): mode (AUTO
 * decided by the first message), window_s, cols as in the protocol. NULL
 * with err: EZC_EINVAL (a bad name), EZC_ENOMEM, EZC_EIO (no thread). */
dash_plot *dash_plot_new(dash_streams *ss, const char *name, dash_mode mode, double window_s,
                         size_t cols, ezc_error *err);
void dash_plot_destroy(dash_plot **p);
/* The next binary frame (docs/dashboard.md "Plot frames") when data arrived
 * since the last one: 1 with b filled after `pre` bytes of room; 0 when
 * nothing is new (or no data yet); -1 when out of memory. seq numbers it. */
int dash_plot_frame(dash_plot *p, dash_buf *b, size_t pre, uint64_t seq);
/* Marks the data that arrived since the last frame as seen without making
 * a frame (a skipped frame): 1 when there was some, else 0. */
int dash_plot_skip(dash_plot *p);
/* A problem to tell the page once (the stream is gone, not plottable):
 * copied into buf and cleared; 0 when none. */
int dash_plot_problem(dash_plot *p, char *buf, size_t cap);

/* ---- dash_record.c: `ezc record` children ---- */

typedef struct dash_record dash_record;
/* ezc: the ezc binary to run; dir: where files land. */
dash_record *dash_record_new(const char *ezc, const char *dir);
/* Starts recording stream `name` into DIR/NAME-YYYYmmdd-HHMMSS.ezr (path
 * written into path). 0, or -1 with err (already recording, fork failed). */
int dash_record_start(dash_record *r, const char *name, char *path, size_t cap, ezc_error *err);
/* Stops it (SIGINT; reaped by dash_record_reap). 0, or -1 when not
 * recording; its file's path into path. */
int dash_record_stop(dash_record *r, const char *name, char *path, size_t cap, ezc_error *err);
/* The file being written for name, or NULL. */
const char *dash_record_path(const dash_record *r, const char *name);
/* Collects the children that exited (service thread, now and then). */
void dash_record_reap(dash_record *r);
/* SIGINT to every child, from any thread (the exit watchdog: nothing else
 * is touched). */
void dash_record_signal_all(const dash_record *r);
/* Stops every child (SIGINT, then SIGKILL after grace_ms), waits for them. */
void dash_record_destroy(dash_record **r, int grace_ms);

/* ---- dash_ws.c: the lws protocol ---- */

struct lws_protocols;
typedef struct dash_ctx {
    char token[33];
    char host[64];
    int quiet;
    char www[4096];
    dash_graphs *graphs;
    dash_streams *streams;
    dash_record *record;
    struct lws_context *lws;
} dash_ctx;

/* The protocol table (lws_protocols[], NULL-terminated) for the vhost. */
extern const struct lws_protocols *const dash_protocols;
/* The service thread's periodic work (every ~30 ms): graphs and streams
 * messages to every connection, frames to those with new data. */
void dash_ws_tick(dash_ctx *d);
/* Connections open now. */
int dash_ws_count(void);
/* At exit, after the context is destroyed: joins the control-call worker
 * and frees what the protocol kept. */
void dash_ws_stop_worker(void);
void dash_ws_free_globals(void);

#endif
