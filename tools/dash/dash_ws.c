/* dash_ws.c — the dashboard's HTTP and WebSocket protocol (docs/dashboard.md).
 *
 * Everything here runs on the lws service thread, except the control
 * calls a page asks for (set, stop, schema): those go to a worker thread,
 * so a graph that answers slowly (a set waits up to 1 s for its node)
 * never holds up the other tabs. Each connection sends at most one message
 * per writable callback: its replies first, then the latest graphs and
 * streams lists (replaced, never queued), then its one plot frame; a frame
 * due while the socket is still choked is skipped and counted. */
#include <libwebsockets.h>
#include <math.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>
#include "dash.h"
#include "ezc/control.h"
#include "msgpack_reader.h"

#define CONNS_MAX 64
#define REQ_MAX 65536
#define QUEUE_MAX 32
#define FRAME_S (1.0 / 30)
#define JOBS_MAX 64
#define CALL_MS 3000
#define CHOKED_MAX_S 20 /* a tab that takes nothing for this long is closed */

typedef struct conn {
    struct lws *wsi;
    int slot;
    uint64_t gen; /* tells a reused slot from the connection a job was for */
    unsigned char *rx;
    size_t rx_len;
    int rx_over, rx_binary;
    char *q[QUEUE_MAX]; /* text replies, each with LWS_PRE bytes before it */
    size_t qlen[QUEUE_MAX];
    int qhead, qn;
    char *graphs, *streams;
    size_t graphs_len, streams_len;
    dash_plot *plot;
    dash_buf frame;
    int frame_ready;
    uint64_t seq, skipped, dropped;
    double last_frame;
    uint64_t graphs_version;
    double choked_since; /* lws holds unsent bytes since then (0: it does not) */
    int killed;
} conn;

/* The per-session data lws allocates: a pointer to our conn. */
typedef struct pss {
    conn *c;
} pss;

static conn *conns[CONNS_MAX];
static int nconns;
static uint64_t next_gen = 1;
static char *streams_msg;             /* the latest "streams" message */
static uint64_t streams_seen;         /* the poller's streams version last taken */
static ezc_stream_info *streams_last; /* the registry as the poller saw it last */
static size_t nstreams_last;

/* ---- jobs: control calls off the service thread ---- */

typedef struct job {
    int slot;
    uint64_t gen;
    char op[16];
    char graph[EZC_CONTROL_NAME_MAX];
    char node[EZC_NAME_MAX];
    char id[64]; /* the request's id, as JSON */
    char **kv;
    size_t nkv;
    char *reply; /* filled by the worker */
    struct job *next;
} job;

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cond = PTHREAD_COND_INITIALIZER;
static job *todo, *done;
static int njobs, jobs_quit;
static pthread_t worker;
static int worker_started;

int dash_ws_count(void)
{
    return nconns;
}

static char *with_pre(const char *s, size_t n)
{
    char *m = malloc(LWS_PRE + n + 1);
    if (m) {
        memcpy(m + LWS_PRE, s, n);
        m[LWS_PRE + n] = '\0';
    }
    return m;
}

static void enqueue(conn *c, const char *json)
{
    if (c->qn == QUEUE_MAX) {
        c->dropped++; /* a page that sends requests and never reads */
        return;
    }
    size_t n = strlen(json);
    char *m = with_pre(json, n);
    if (!m)
        return;
    int k = (c->qhead + c->qn++) % QUEUE_MAX;
    c->q[k] = m;
    c->qlen[k] = n;
    lws_callback_on_writable(c->wsi);
}

static void send_error(conn *c, const char *op, const char *msg)
{
    dash_buf b = {0};
    dash_buf_printf(&b, "{\"type\":\"error\",\"op\":");
    dash_buf_str(&b, op);
    dash_buf_printf(&b, ",\"error\":");
    dash_buf_str(&b, msg);
    dash_buf_printf(&b, "}");
    if (!b.failed)
        enqueue(c, b.data);
    dash_buf_free(&b);
}

static void job_free(job *j)
{
    for (size_t i = 0; i < j->nkv; i++)
        free(j->kv[i]);
    free(j->kv);
    free(j->reply);
    free(j);
}

static void result_head(dash_buf *b, const job *j, int ok)
{
    dash_buf_printf(b, "{\"type\":\"result\",\"op\":\"%s\",\"id\":%s,\"ok\":%s", j->op, j->id,
                    ok ? "true" : "false");
}

/* The "schema" reply of a graph, msgpack -> the page's JSON. */
static void schema_json(job *j, const void *rep, size_t rlen, dash_buf *b)
{
    mp_cursor c;
    mp_init(&c, rep, rlen);
    uint32_t n;
    dash_buf_printf(b, "{\"type\":\"schema\",\"graph\":");
    dash_buf_str(b, j->graph);
    dash_buf_printf(b, ",\"node\":");
    dash_buf_str(b, j->node);
    if (mp_peek(&c) != MP_MAP || mp_read_map(&c, &n))
        goto bad;
    char type[EZC_NAME_MAX] = "";
    mp_cursor settings = {0};
    int have = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *k, *s;
        uint32_t kl, sl;
        if (mp_peek(&c) != MP_STR || mp_read_str(&c, &k, &kl))
            goto bad;
        mp_cursor at = c;
        if (mp_skip(&c, 8))
            goto bad;
        if (mp_str_eq(k, kl, "type") && mp_peek(&at) == MP_STR && !mp_read_str(&at, &s, &sl))
            snprintf(type, sizeof type, "%.*s", (int)(sl < sizeof type ? sl : sizeof type - 1), s);
        else if (mp_str_eq(k, kl, "settings")) {
            settings = at;
            have = 1;
        }
    }
    dash_buf_printf(b, ",\"node_type\":");
    dash_buf_str(b, type);
    dash_buf_printf(b, ",\"settings\":[");
    uint32_t ns;
    if (!have || mp_peek(&settings) != MP_ARRAY || mp_read_array(&settings, &ns))
        goto bad;
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t m;
        if (mp_peek(&settings) != MP_MAP || mp_read_map(&settings, &m))
            goto bad;
        dash_buf_printf(b, "%s{", i ? "," : "");
        for (uint32_t q = 0; q < m; q++) {
            const char *k, *s;
            uint32_t kl, sl;
            char key[32], val[4096];
            if (mp_peek(&settings) != MP_STR || mp_read_str(&settings, &k, &kl) || kl >= sizeof key)
                goto bad;
            memcpy(key, k, kl);
            key[kl] = '\0';
            dash_buf_printf(b, "%s", q ? "," : "");
            dash_buf_str(b, key);
            dash_buf_put(b, ":", 1);
            mp_type t = mp_peek(&settings);
            int bv;
            if (t == MP_STR && !mp_read_str(&settings, &s, &sl)) {
                size_t w = sl < sizeof val - 1 ? sl : sizeof val - 1;
                memcpy(val, s, w);
                val[w] = '\0';
                dash_buf_str(b, val);
            } else if (t == MP_BOOL && !mp_read_bool(&settings, &bv))
                dash_buf_printf(b, bv ? "true" : "false");
            else if (t == MP_NIL && !mp_read_nil(&settings))
                dash_buf_printf(b, "null");
            else if ((t == MP_UINT || t == MP_INT || t == MP_FLOAT)) {
                double v;
                if (mp_read_number(&settings, &v))
                    goto bad;
                dash_buf_num(b, v);
            } else
                goto bad;
        }
        dash_buf_put(b, "}", 1);
    }
    dash_buf_printf(b, "]}");
    return;
bad:
    b->len = 0;
    result_head(b, j, 0);
    dash_buf_printf(b, ",\"error\":\"schema: a malformed reply from graph\"}");
}

static void run_job(job *j)
{
    dash_buf b = {0};
    ezc_error err;
    ezc_error_clear(&err);
    if (!strcmp(j->op, "set")) {
        char info[256] = "";
        int rc = ezc_control_set(j->graph, j->node, (const char *const *)j->kv, j->nkv, CALL_MS,
                                 info, sizeof info, &err);
        result_head(&b, j, rc == 0);
        dash_buf_printf(&b, ",\"%s\":", rc == 0 ? "state" : "error");
        dash_buf_str(&b, rc == 0 ? info : err.msg);
        dash_buf_printf(&b, "}");
    } else if (!strcmp(j->op, "stop")) {
        int rc = ezc_control_stop(j->graph, CALL_MS, &err);
        result_head(&b, j, rc == 0);
        if (rc) {
            dash_buf_printf(&b, ",\"error\":");
            dash_buf_str(&b, err.msg);
        } else
            dash_buf_printf(&b, ",\"state\":\"stopping\"");
        dash_buf_printf(&b, "}");
    } else { /* schema */
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "op", 2);
        msgpack_pack_str_with_body(&pk, "schema", 6);
        msgpack_pack_str_with_body(&pk, "node", 4);
        msgpack_pack_str_with_body(&pk, j->node, strlen(j->node));
        void *rep = NULL;
        size_t rlen = 0;
        int rc = ezc_control_call(j->graph, sb.data, sb.size, CALL_MS, &rep, &rlen, &err);
        msgpack_sbuffer_destroy(&sb);
        if (rc == 0) {
            /* {"ok": false, "error": E} or the schema */
            mp_cursor c;
            mp_init(&c, rep, rlen);
            uint32_t n;
            int ok = 1;
            char why[EZC_ERROR_MSG_MAX] = "schema: a malformed reply";
            if (mp_peek(&c) == MP_MAP && !mp_read_map(&c, &n))
                for (uint32_t i = 0; i < n; i++) {
                    const char *k, *s;
                    uint32_t kl, sl;
                    if (mp_peek(&c) != MP_STR || mp_read_str(&c, &k, &kl))
                        break;
                    if (mp_str_eq(k, kl, "ok") && mp_peek(&c) == MP_BOOL)
                        mp_read_bool(&c, &ok);
                    else if (mp_str_eq(k, kl, "error") && mp_peek(&c) == MP_STR &&
                             !mp_read_str(&c, &s, &sl))
                        snprintf(why, sizeof why, "%.*s", (int)(sl < 1000 ? sl : 1000), s);
                    else if (mp_skip(&c, 8))
                        break;
                }
            if (ok)
                schema_json(j, rep, rlen, &b);
            else {
                result_head(&b, j, 0);
                dash_buf_printf(&b, ",\"error\":");
                dash_buf_str(&b, why);
                dash_buf_printf(&b, "}");
            }
        } else {
            result_head(&b, j, 0);
            dash_buf_printf(&b, ",\"error\":");
            dash_buf_str(&b, err.msg);
            dash_buf_printf(&b, "}");
        }
        free(rep);
    }
    j->reply = b.failed ? NULL : b.data;
    if (b.failed)
        dash_buf_free(&b);
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&jobs_lock);
    while (!jobs_quit) {
        if (!todo) {
            pthread_cond_wait(&jobs_cond, &jobs_lock);
            continue;
        }
        job *j = todo;
        todo = j->next;
        pthread_mutex_unlock(&jobs_lock);
        run_job(j);
        pthread_mutex_lock(&jobs_lock);
        j->next = done;
        done = j;
        dash_wake(NULL);
    }
    pthread_mutex_unlock(&jobs_lock);
    return NULL;
}

static int submit(conn *c, job *j)
{
    j->slot = c->slot;
    j->gen = c->gen;
    pthread_mutex_lock(&jobs_lock);
    int ok = njobs < JOBS_MAX;
    if (ok) {
        njobs++;
        job **pp = &todo;
        while (*pp)
            pp = &(*pp)->next;
        *pp = j;
        pthread_cond_signal(&jobs_cond);
    }
    pthread_mutex_unlock(&jobs_lock);
    return ok ? 0 : -1;
}

static int start_worker(void)
{
    if (worker_started)
        return 0;
    if (pthread_create(&worker, NULL, worker_main, NULL))
        return -1;
    worker_started = 1;
    return 0;
}

void dash_ws_stop_worker(void)
{
    if (!worker_started)
        return;
    pthread_mutex_lock(&jobs_lock);
    jobs_quit = 1;
    pthread_cond_signal(&jobs_cond);
    pthread_mutex_unlock(&jobs_lock);
    pthread_join(worker, NULL);
    worker_started = 0;
    for (job *l[2] = {todo, done}, **p = l; p < l + 2; p++)
        while (*p) {
            job *j = *p;
            *p = j->next;
            job_free(j);
        }
    todo = done = NULL;
}

/* ---- requests ---- */

static double num_or(const dash_json_doc *d, const dash_json *o, const char *k, double def,
                     int *bad)
{
    const dash_json *j = dash_json_get(d, o, k);
    if (!j || j->type == DJ_NULL)
        return def;
    if (j->type != DJ_NUM) {
        *bad = 1;
        return def;
    }
    return j->num;
}

/* The request's "id" as JSON (a number or a short string), "null" else. */
static void id_of(const dash_json_doc *d, const dash_json *o, char *buf, size_t cap)
{
    const dash_json *j = dash_json_get(d, o, "id");
    snprintf(buf, cap, "null");
    if (j && j->type == DJ_NUM && isfinite(j->num))
        snprintf(buf, cap, "%.17g", j->num);
    else if (j && j->type == DJ_STR && j->len < cap - 8) {
        dash_buf b = {0};
        dash_buf_str(&b, j->str);
        if (!b.failed && b.len < cap)
            snprintf(buf, cap, "%s", b.data);
        dash_buf_free(&b);
    }
}

static void rebuild_streams(dash_ctx *d);

static void op_subscribe(dash_ctx *d, conn *c, const dash_json_doc *doc, const dash_json *o)
{
    const char *name = dash_json_get_str(doc, o, "stream"), *m = dash_json_get_str(doc, o, "mode");
    int bad = 0;
    double w = num_or(doc, o, "window_s", 5, &bad), cols = num_or(doc, o, "columns", 800, &bad);
    int mode = m ? dash_mode_from_name(m) : DASH_MODE_AUTO;
    if (!name) {
        send_error(c, "subscribe", "subscribe: \"stream\": expected a stream's name");
        return;
    }
    if (bad || !(w >= 0.1 && w <= 60) || !(cols >= 16 && cols <= 4096) || cols != floor(cols)) {
        send_error(c, "subscribe",
                   "subscribe: window_s is 0.1 to 60 seconds, columns an integer 16 to 4096");
        return;
    }
    if (mode < 0) {
        send_error(c, "subscribe",
                   "subscribe: mode is one of auto, traces, spectrum, heatmap, scalars");
        return;
    }
    dash_plot_destroy(&c->plot);
    c->frame_ready = 0;
    ezc_error err;
    c->plot = dash_plot_new(d->streams, name, (dash_mode)mode, w, (size_t)cols, &err);
    if (!c->plot)
        send_error(c, "subscribe", err.msg);
}

static void op_record(dash_ctx *d, conn *c, const dash_json_doc *doc, const dash_json *o,
                      const char *id)
{
    const char *name = dash_json_get_str(doc, o, "stream");
    const dash_json *on = dash_json_get(doc, o, "on");
    dash_buf b = {0};
    char path[4096] = "";
    ezc_error err;
    if (!name || !on || (on->type != DJ_TRUE && on->type != DJ_FALSE)) {
        send_error(c, "record", "record: needs \"stream\" and \"on\" (true or false)");
        return;
    }
    int rc = on->type == DJ_TRUE ? dash_record_start(d->record, name, path, sizeof path, &err)
                                 : dash_record_stop(d->record, name, path, sizeof path, &err);
    dash_buf_printf(&b, "{\"type\":\"result\",\"op\":\"record\",\"id\":%s,\"ok\":%s", id,
                    rc ? "false" : "true");
    if (rc) {
        dash_buf_printf(&b, ",\"error\":");
        dash_buf_str(&b, err.msg);
    } else {
        dash_buf_printf(
            &b, ",\"state\":\"%s\",\"path\":", on->type == DJ_TRUE ? "recording" : "stopped");
        dash_buf_str(&b, path);
    }
    dash_buf_printf(&b, "}");
    if (!b.failed)
        enqueue(c, b.data);
    dash_buf_free(&b);
    rebuild_streams(d);
}

static void op_control(conn *c, const char *op, const dash_json_doc *doc, const dash_json *o,
                       const char *id)
{
    const char *graph = dash_json_get_str(doc, o, "graph"),
               *node = dash_json_get_str(doc, o, "node");
    char why[256];
    ezc_error err;
    if (!graph || ezc_control_name_check(graph, &err)) {
        snprintf(why, sizeof why, "%s: \"graph\": expected a running graph's name", op);
        send_error(c, op, why);
        return;
    }
    if (strcmp(op, "stop") && (!node || !node[0] || strlen(node) >= EZC_NAME_MAX)) {
        snprintf(why, sizeof why, "%s: \"node\": expected a node's name", op);
        send_error(c, op, why);
        return;
    }
    job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    snprintf(j->op, sizeof j->op, "%s", op);
    snprintf(j->graph, sizeof j->graph, "%s", graph);
    snprintf(j->node, sizeof j->node, "%s", node ? node : "");
    snprintf(j->id, sizeof j->id, "%s", id);
    if (!strcmp(op, "set")) {
        const dash_json *s = dash_json_get(doc, o, "settings");
        if (!s || s->type != DJ_OBJ || s->len == 0 || s->len > EZC_CONTROL_SETTINGS_MAX) {
            job_free(j);
            send_error(c, op, "set: \"settings\": expected an object of 1 to 64 {name: text}");
            return;
        }
        j->kv = calloc(s->len, sizeof *j->kv);
        for (int k = s->first; j->kv && k >= 0; k = doc->nodes[k].next) {
            const dash_json *v = &doc->nodes[k];
            char text[64];
            const char *t = v->type == DJ_STR     ? v->str
                            : v->type == DJ_TRUE  ? "true"
                            : v->type == DJ_FALSE ? "false"
                                                  : NULL;
            if (v->type == DJ_NUM) {
                snprintf(text, sizeof text, "%.17g", v->num);
                t = text;
            }
            if (!t) {
                job_free(j);
                send_error(c, op, "set: a setting's value is text, a number or a boolean");
                return;
            }
            size_t n = strlen(v->key) + strlen(t) + 2;
            if (!(j->kv[j->nkv] = malloc(n)))
                break;
            snprintf(j->kv[j->nkv++], n, "%s=%s", v->key, t);
        }
    }
    if (start_worker() || submit(c, j)) {
        job_free(j);
        send_error(c, op, "dash: busy: too many requests in flight");
    }
}

static void handle_request(dash_ctx *d, conn *c, const char *text, size_t len)
{
    dash_json_doc doc;
    char why[160], id[64];
    if (dash_json_parse(text, len, &doc, why, sizeof why)) {
        send_error(c, NULL, why);
        return;
    }
    const dash_json *o = &doc.nodes[0];
    const char *op = dash_json_get_str(&doc, o, "op");
    id_of(&doc, o, id, sizeof id);
    if (o->type != DJ_OBJ || !op)
        send_error(c, NULL, "a request is a JSON object with \"op\"");
    else if (!strcmp(op, "subscribe"))
        op_subscribe(d, c, &doc, o);
    else if (!strcmp(op, "unsubscribe")) {
        dash_plot_destroy(&c->plot);
        c->frame_ready = 0;
    } else if (!strcmp(op, "schema") || !strcmp(op, "set") || !strcmp(op, "stop"))
        op_control(c, op, &doc, o, id);
    else if (!strcmp(op, "record"))
        op_record(d, c, &doc, o, id);
    else {
        char m[128];
        snprintf(m, sizeof m,
                 "unknown op '%.40s' (known: subscribe, unsubscribe, schema, set, stop, record)",
                 op);
        send_error(c, op, m);
    }
    dash_json_free(&doc);
}

/* ---- connections ---- */

static conn *conn_new(struct lws *wsi)
{
    int slot = -1;
    for (int i = 0; i < CONNS_MAX && slot < 0; i++)
        if (!conns[i])
            slot = i;
    if (slot < 0)
        return NULL;
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->wsi = wsi;
    c->slot = slot;
    c->gen = next_gen++;
    conns[slot] = c;
    nconns++;
    return c;
}

static void conn_free(conn *c)
{
    if (!c)
        return;
    conns[c->slot] = NULL;
    nconns--;
    dash_plot_destroy(&c->plot);
    for (int i = 0; i < c->qn; i++)
        free(c->q[(c->qhead + i) % QUEUE_MAX]);
    free(c->graphs);
    free(c->streams);
    free(c->rx);
    dash_buf_free(&c->frame);
    free(c);
}

/* Whether n bytes fit the socket's send buffer now. A message lws cannot
 * send whole stays in lws's own buffer, and a peer that then vanishes can
 * hold lws in its flush-before-close state (a busy loop in lws 4.1): so a
 * message is written only when it fits, or when the socket is empty (a
 * frame larger than the whole buffer); otherwise it waits (text) or is
 * skipped (frames). */
static int fits(conn *c, size_t n)
{
    int fd = lws_get_socket_fd(c->wsi), outq = 0, sndbuf = 0;
    socklen_t l = sizeof sndbuf;
    if (fd < 0 || ioctl(fd, SIOCOUTQ, &outq) || getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &l))
        return 1;                                     /* unknown: as lws sees it */
    return outq == 0 || (long)n + outq <= sndbuf / 2; /* the kernel counts overhead in half */
}

static int write_text(conn *c, char *m, size_t n)
{
    int rc = lws_write(c->wsi, (unsigned char *)m + LWS_PRE, n, LWS_WRITE_TEXT);
    free(m);
    return rc < (int)n ? -1 : 0;
}

static int writable(conn *c)
{
    size_t next = c->qn        ? c->qlen[c->qhead]
                  : c->graphs  ? c->graphs_len
                  : c->streams ? c->streams_len
                               : 0;
    if (next && !fits(c, next + 16))
        return 0; /* the tick asks again */
    if (c->qn) {
        char *m = c->q[c->qhead];
        size_t n = c->qlen[c->qhead];
        c->qhead = (c->qhead + 1) % QUEUE_MAX;
        c->qn--;
        if (write_text(c, m, n))
            return -1;
    } else if (c->graphs) {
        char *m = c->graphs;
        c->graphs = NULL;
        if (write_text(c, m, c->graphs_len))
            return -1;
    } else if (c->streams) {
        char *m = c->streams;
        c->streams = NULL;
        if (write_text(c, m, c->streams_len))
            return -1;
    } else if (c->frame_ready) {
        c->frame_ready = 0;
        size_t n = c->frame.len - LWS_PRE;
        if (!fits(c, n + 16)) {
            c->skipped++;
            return 0;
        }
        if (lws_write(c->wsi, (unsigned char *)c->frame.data + LWS_PRE, n, LWS_WRITE_BINARY) <
            (int)n)
            return -1;
    }
    if (c->qn || c->graphs || c->streams || c->frame_ready)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* Origin (when sent) must name the host the page was loaded from. */
static int origin_ok(struct lws *wsi)
{
    char origin[256] = "", host[256] = "";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
        return 1;
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0 ||
        lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
        return 0;
    const char *o = strstr(origin, "://");
    o = o ? o + 3 : origin;
    return strcasecmp(o, host) == 0;
}

static int token_ok(dash_ctx *d, struct lws *wsi)
{
    char buf[128];
    const char *t = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf);
    if (!t || strlen(t) != 32)
        return 0;
    unsigned diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (unsigned)(unsigned char)t[i] ^ (unsigned)(unsigned char)d->token[i];
    return diff == 0;
}

static int refuse(struct lws *wsi, unsigned code)
{
    lws_return_http_status(wsi, code, NULL);
    return 1;
}

static const char *mime_of(const char *f)
{
    const char *e = strrchr(f, '.');
    if (e && !strcmp(e, ".js"))
        return "text/javascript; charset=utf-8";
    if (e && !strcmp(e, ".css"))
        return "text/css; charset=utf-8";
    return "text/html; charset=utf-8";
}

static int serve_static(dash_ctx *d, struct lws *wsi, const char *uri)
{
    static const char *const files[] = {"index.html", "app.js", "style.css"};
    const char *f = NULL;
    if (!strcmp(uri, "/"))
        f = files[0];
    for (int i = 0; i < 3 && !f; i++)
        if (uri[0] == '/' && !strcmp(uri + 1, files[i]))
            f = files[i];
    if (!f) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", d->www, f);
    int rc = lws_serve_http_file(wsi, path, mime_of(f), NULL, 0);
    if (rc < 0)
        return -1;
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *lc = lws_get_context(wsi);
    dash_ctx *d = lc ? lws_context_user(lc) : NULL;
    pss *ps = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: return serve_static(d, wsi, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        char uri[256] = "";
        if (!in || strcmp((const char *)in, "websocket"))
            return refuse(wsi, HTTP_STATUS_FORBIDDEN);
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws"))
            return refuse(wsi, HTTP_STATUS_NOT_FOUND);
        if (!token_ok(d, wsi) || !origin_ok(wsi))
            return refuse(wsi, HTTP_STATUS_FORBIDDEN);
        if (nconns >= CONNS_MAX)
            return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        conn *c = conn_new(wsi);
        if (!c)
            return -1;
        ps->c = c;
        char host[256] = "localhost", hello[512];
        gethostname(host, sizeof host - 1);
        dash_buf b = {0};
        dash_buf_printf(&b, "{\"type\":\"hello\",\"version\":1,\"host\":");
        dash_buf_str(&b, host);
        dash_buf_printf(&b, ",\"pid\":%ld}", (long)getpid());
        snprintf(hello, sizeof hello, "%s",
                 b.failed ? "{\"type\":\"hello\",\"version\":1}" : b.data);
        dash_buf_free(&b);
        enqueue(c, hello);
        c->graphs_version = 0;
        if (streams_msg) { /* the list as it is now, at once */
            size_t n = strlen(streams_msg);
            c->streams = with_pre(streams_msg, n);
            c->streams_len = n;
        }
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
        conn *c = ps ? ps->c : NULL;
        if (!c)
            return -1;
        if (lws_is_first_fragment(wsi)) {
            c->rx_len = 0;
            c->rx_over = 0;
            c->rx_binary = lws_frame_is_binary(wsi);
        }
        if (!c->rx_over && c->rx_len + len <= REQ_MAX) {
            if (!c->rx && !(c->rx = malloc(REQ_MAX)))
                return -1;
            memcpy(c->rx + c->rx_len, in, len);
            c->rx_len += len;
        } else
            c->rx_over = 1;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            return 0;
        if (c->rx_over)
            send_error(c, NULL, "a request is at most 65536 bytes");
        else if (c->rx_binary)
            send_error(c, NULL, "requests are text (JSON) messages");
        else
            handle_request(d, c, (const char *)c->rx, c->rx_len);
        c->rx_len = 0;
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: return ps && ps->c ? writable(ps->c) : 0;
    case LWS_CALLBACK_CLOSED:
        if (ps && ps->c) {
            conn_free(ps->c);
            ps->c = NULL;
        }
        return 0;
    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"ezc-dash.v1", callback, sizeof(pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
const struct lws_protocols *const dash_protocols = protocols;

/* ---- periodic work ---- */

static void rebuild_streams(dash_ctx *d)
{
    ezc_stream_info *si = NULL, *last;
    size_t n = 0, nlast;
    if (dash_graphs_streams(d->graphs, &si, &n, &streams_seen) == 0) {
        free(streams_last);
        streams_last = si;
        nstreams_last = n;
    }
    last = streams_last;
    nlast = nstreams_last;
    dash_buf b = {0};
    dash_buf_printf(&b, "{\"type\":\"streams\",\"streams\":[");
    for (size_t i = 0; i < nlast; i++) {
        const ezc_stream_info *s = &last[i];
        dash_buf_printf(&b, "%s{\"name\":", i ? "," : "");
        dash_buf_str(&b, s->name);
        dash_buf_printf(&b, ",\"endpoint\":");
        dash_buf_str(&b, s->endpoint);
        dash_buf_printf(&b, ",\"pid\":%ld,\"graph\":", s->pid);
        dash_buf_str(&b, s->graph[0] ? s->graph : NULL);
        dash_buf_printf(&b, ",\"recording\":");
        dash_buf_str(&b, dash_record_path(d->record, s->name));
        dash_buf_printf(&b, "}");
    }
    dash_buf_printf(&b, "]}");
    if (b.failed) {
        dash_buf_free(&b);
        return;
    }
    free(streams_msg);
    streams_msg = b.data;
    size_t len = b.len;
    for (int i = 0; i < CONNS_MAX; i++) {
        conn *c = conns[i];
        if (!c)
            continue;
        free(c->streams);
        c->streams = with_pre(streams_msg, len);
        c->streams_len = len;
        lws_callback_on_writable(c->wsi);
    }
}

void dash_ws_free_globals(void)
{
    free(streams_msg);
    streams_msg = NULL;
    free(streams_last);
    streams_last = NULL;
    nstreams_last = 0;
}

void dash_ws_tick(dash_ctx *d)
{
    static double last_streams;
    static uint64_t graphs_version;
    double now = dash_mono_s();
    /* finished jobs back to their connections */
    pthread_mutex_lock(&jobs_lock);
    job *fin = done;
    done = NULL;
    pthread_mutex_unlock(&jobs_lock);
    while (fin) {
        job *j = fin;
        fin = j->next;
        conn *c = conns[j->slot];
        if (c && c->gen == j->gen && j->reply)
            enqueue(c, j->reply);
        pthread_mutex_lock(&jobs_lock);
        njobs--;
        pthread_mutex_unlock(&jobs_lock);
        job_free(j);
    }
    char *g = dash_graphs_message(d->graphs, &graphs_version);
    if (g) {
        size_t n = strlen(g);
        for (int i = 0; i < CONNS_MAX; i++) {
            conn *c = conns[i];
            if (!c)
                continue;
            free(c->graphs);
            c->graphs = with_pre(g, n);
            c->graphs_len = n;
            lws_callback_on_writable(c->wsi);
        }
        free(g);
    }
    if (now - last_streams >= 1.0) {
        last_streams = now;
        dash_record_reap(d->record);
        dash_streams_reap(d->streams);
        rebuild_streams(d);
    }
    for (int i = 0; i < CONNS_MAX; i++) {
        conn *c = conns[i];
        if (!c)
            continue;
        if (lws_send_pipe_choked(c->wsi)) {
            if (c->choked_since == 0)
                c->choked_since = now;
            else if (now - c->choked_since > CHOKED_MAX_S && !c->killed) {
                c->killed = 1; /* a peer that stopped reading for good */
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            }
        } else
            c->choked_since = 0;
        if (c->qn || c->graphs || c->streams)
            lws_callback_on_writable(c->wsi);
        if (!c->plot || now - c->last_frame < FRAME_S)
            continue;
        char why[256];
        if (dash_plot_problem(c->plot, why, sizeof why))
            send_error(c, "subscribe", why);
        if (c->frame_ready || lws_send_pipe_choked(c->wsi)) {
            /* still busy with the last one: this one is skipped */
            if (dash_plot_skip(c->plot)) {
                c->skipped++;
                c->last_frame = now;
            }
            continue;
        }
        if (dash_plot_frame(c->plot, &c->frame, LWS_PRE, ++c->seq) == 1) {
            c->frame_ready = 1;
            c->last_frame = now;
            lws_callback_on_writable(c->wsi);
        } else
            c->seq--;
    }
}
