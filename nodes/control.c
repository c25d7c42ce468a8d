/* control.c — the control socket of a running graph, and its clients
 * (ezc/control.h, docs/control.md).
 *
 * One REP socket on ipc:// under the endpoint claim, served by a thread of
 * its own that reads the runtime's counters (never the data path's
 * sockets). Requests are read with the bounds-checked msgpack cursor
 * (msgpack_reader.h), replies written with msgpack-c's packer. Rates are
 * computed here, from the counters' change since the previous sample. */
#include <dirent.h>
#include <errno.h>
#include <msgpack.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "ezc/control.h"
#include "ezc/interrupt.h"
#include "ezc/rundir.h"
#include "ipc_endpoint.h"
#include "msgpack_reader.h"
#include "pubsub_internal.h"

#define SET_WAIT_MS 1000 /* how long a "set" waits for the node to take it */

/* A setting's value accepted by "set": "schema" reports it as the one in
 * force (the runtime keeps settings parsed, not as the text they came as). */
typedef struct live_value {
    char node[EZC_NAME_MAX], name[EZC_NAME_MAX];
    char *text;
} live_value;

#define LIVE_MAX 4096

typedef struct sample {
    uint64_t messages, bytes;
    double cpu_s;
    double msg_s, mb_s, cpu_pct;
} sample;

struct ezc_control {
    char name[EZC_CONTROL_NAME_MAX];
    char endpoint[600];
    const ezc_control_ops *ops;
    void *ctx;
    const ezc_graph *g;
    void *sock;
    ezc_ipc_claim *claim;
    ezc_ipc_file file;
    pthread_t thread;
    int threaded;
    atomic_int quit;
    double started, sampled; /* monotonic seconds */
    size_t nnodes;
    sample *prev;     /* per node: the last sample and the rates it gave */
    live_value *live; /* values accepted by "set" (the serving thread's) */
    size_t nlive;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- names ---- */

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int ezc_control_name_check(const char *name, ezc_error *err)
{
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n < EZC_CONTROL_NAME_MAX && name[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = name_char(name[i]);
    if (!ok)
        return ezc_error_set(err, EZC_EINVAL,
                             "graph name '%.80s': expected 1 to %d of A-Z a-z 0-9 . _ - (not "
                             "starting with '.')",
                             name ? name : "", EZC_CONTROL_NAME_MAX - 1);
    return 0;
}

void ezc_control_name_from(const char *path, char *buf, size_t cap)
{
    if (!cap)
        return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    static const char *const exts[] = {".yaml", ".yml"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && !strcmp(base + n - k, exts[i])) {
            n -= k;
            break;
        }
    }
    size_t max = cap < EZC_CONTROL_NAME_MAX ? cap - 1 : EZC_CONTROL_NAME_MAX - 1;
    size_t o = 0;
    for (size_t i = 0; i < n && o < max; i++) {
        char ch = name_char(base[i]) && !(o == 0 && base[i] == '.') ? base[i] : '_';
        buf[o++] = ch;
    }
    if (!o && max)
        buf[o++] = '_';
    buf[o] = '\0';
}

static int endpoint_of(const char *name, char *buf, size_t cap, ezc_error *err)
{
    char dir[512];
    int rc = ezc_control_name_check(name, err);
    if (!rc)
        rc = ezc_run_dir("graphs", dir, sizeof dir, err);
    if (!rc && snprintf(buf, cap, "ipc://%s/%s.ctl", dir, name) >= (int)cap)
        rc = ezc_error_set(err, EZC_EINVAL, "control: path of graph '%s' too long", name);
    return rc;
}

/* ---- replies ---- */

typedef struct reply {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} reply;

static void pk_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    pk_str(pk, k);
    pk_str(pk, v);
}

static void pk_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
    pk_str(pk, k);
    msgpack_pack_uint64(pk, v);
}

static void pk_kv_f64(msgpack_packer *pk, const char *k, double v)
{
    pk_str(pk, k);
    msgpack_pack_double(pk, v);
}

/* Length of the valid UTF-8 sequence at p (1 to 4), or 0. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80             ? 1
            : (p[0] & 0xe0) == 0xc0 ? 2
            : (p[0] & 0xf0) == 0xe0 ? 3
            : (p[0] & 0xf8) == 0xf0 ? 4
                                    : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n == 2 && p[0] < 0xc2 ? 0 : n;
}

/* Errors may quote what a request held: control bytes and invalid UTF-8
 * become '?', so that every reply is a valid msgpack str. */
static void reply_error(reply *r, const char *msg)
{
    char clean[EZC_ERROR_MSG_MAX];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < sizeof clean;) {
        int n = utf8_len(p);
        if (n == 0 || (n == 1 && *p < 0x20)) {
            clean[o++] = '?';
            p++;
            continue;
        }
        memcpy(clean + o, p, (size_t)n);
        o += (size_t)n;
        p += n;
    }
    clean[o] = '\0';
    msgpack_pack_map(&r->pk, 2);
    pk_str(&r->pk, "ok");
    msgpack_pack_false(&r->pk);
    pk_kv_str(&r->pk, "error", clean);
}

static const char *node_type(ezc_control *c, size_t i, const char *name)
{
    if (c->ops->type)
        return c->ops->type(c->ctx, i);
    int k = c->g ? ezc_graph_node_index(c->g, name) : -1;
    return k >= 0 ? c->g->nodes[k].type : "";
}

static const char *state_of(const ezc_graph_node_stats *st)
{
    return st->failed ? "failed" : st->ended ? "ended" : st->running ? "running" : "idle";
}

/* Rates over the time since the last sample, taken at most every 0.5 s so
 * that several clients do not shrink the interval to nothing. */
static void take_sample(ezc_control *c, ezc_graph_node_stats *st, size_t n)
{
    double t = mono_s(), dt = t - c->sampled;
    if (dt < 0.5)
        return;
    for (size_t i = 0; i < n && i < c->nnodes; i++) {
        sample *p = &c->prev[i];
        p->msg_s = st[i].messages >= p->messages ? (double)(st[i].messages - p->messages) / dt : 0;
        p->mb_s = st[i].bytes >= p->bytes ? (double)(st[i].bytes - p->bytes) / dt / 1e6 : 0;
        p->cpu_pct = st[i].cpu_s >= 0 && p->cpu_s >= 0 ? 100 * (st[i].cpu_s - p->cpu_s) / dt : -1;
        p->messages = st[i].messages;
        p->bytes = st[i].bytes;
        p->cpu_s = st[i].cpu_s;
    }
    c->sampled = t;
}

static void op_stats(ezc_control *c, reply *r)
{
    size_t n = c->ops->count(c->ctx);
    ezc_graph_node_stats *st = calloc(n + 1, sizeof *st);
    if (!st) {
        reply_error(r, "control: out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        c->ops->stats(c->ctx, i, &st[i]);
    take_sample(c, st, n);
    msgpack_packer *pk = &r->pk;
    msgpack_pack_map(pk, 5);
    pk_str(pk, "ok");
    msgpack_pack_true(pk);
    pk_kv_str(pk, "graph", c->name);
    pk_kv_u64(pk, "pid", (uint64_t)getpid());
    pk_kv_f64(pk, "uptime_s", mono_s() - c->started);
    pk_str(pk, "nodes");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const sample *p = i < c->nnodes ? &c->prev[i] : NULL;
        msgpack_pack_map(pk, 14);
        pk_kv_str(pk, "name", st[i].name ? st[i].name : "");
        pk_kv_str(pk, "type", node_type(c, i, st[i].name ? st[i].name : ""));
        pk_kv_str(pk, "state", state_of(&st[i]));
        pk_kv_u64(pk, "messages", st[i].messages);
        pk_kv_u64(pk, "bytes", st[i].bytes);
        pk_kv_f64(pk, "msg_s", p ? p->msg_s : 0);
        pk_kv_f64(pk, "mb_s", p ? p->mb_s : 0);
        pk_kv_u64(pk, "drops", st[i].drops);
        pk_kv_u64(pk, "errors", st[i].errors);
        pk_kv_u64(pk, "restarts", st[i].restarts);
        pk_kv_f64(pk, "latency_p50_us", st[i].latency_p50_us);
        pk_kv_f64(pk, "latency_p99_us", st[i].latency_p99_us);
        pk_kv_f64(pk, "cpu_pct", p ? p->cpu_pct : -1);
        pk_kv_str(pk, "last_error", st[i].last_error);
    }
    free(st);
}

static void op_graph(ezc_control *c, reply *r)
{
    msgpack_packer *pk = &r->pk;
    size_t n = c->ops->count(c->ctx);
    msgpack_pack_map(pk, 4);
    pk_str(pk, "ok");
    msgpack_pack_true(pk);
    pk_kv_str(pk, "graph", c->name);
    pk_str(pk, "nodes");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        ezc_graph_node_stats st;
        c->ops->stats(c->ctx, i, &st);
        const char *name = st.name ? st.name : "";
        int k = c->g ? ezc_graph_node_index(c->g, name) : -1;
        msgpack_pack_map(pk, 3);
        pk_kv_str(pk, "name", name);
        pk_kv_str(pk, "type", node_type(c, i, name));
        pk_kv_str(pk, "group", k >= 0 ? ezc_graph_node_group(&c->g->nodes[k]) : "main");
    }
    pk_str(pk, "edges");
    size_t ne = 0;
    for (size_t i = 0; c->g && i < c->g->nedges; i++)
        ne += c->g->edges[i].from >= 0 && c->g->edges[i].to >= 0;
    msgpack_pack_array(pk, ne);
    for (size_t i = 0; c->g && i < c->g->nedges; i++) {
        const ezc_graph_edge *e = &c->g->edges[i];
        if (e->from < 0 || e->to < 0)
            continue;
        msgpack_pack_map(pk, 2);
        pk_kv_str(pk, "from", c->g->nodes[e->from].name);
        pk_kv_str(pk, "to", c->g->nodes[e->to].name);
    }
}

/* A setting's value as the text a graph file would hold: strings as they
 * are, numbers and booleans printed, a list of those as "[a, b]". */
static int value_text(mp_cursor *cur, char *buf, size_t cap, int depth)
{
    const char *s;
    uint32_t len;
    double d;
    int64_t i;
    uint64_t u;
    int b;
    switch (mp_peek(cur)) {
    case MP_STR:
        if (mp_read_str(cur, &s, &len) || len >= cap || memchr(s, '\0', len))
            return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        return 0;
    case MP_UINT:
        return mp_read_uint(cur, &u) ||
                       snprintf(buf, cap, "%llu", (unsigned long long)u) >= (int)cap
                   ? -1
                   : 0;
    case MP_INT:
        return mp_read_int(cur, &i) || snprintf(buf, cap, "%lld", (long long)i) >= (int)cap ? -1
                                                                                            : 0;
    case MP_FLOAT:
        return mp_read_number(cur, &d) || snprintf(buf, cap, "%.17g", d) >= (int)cap ? -1 : 0;
    case MP_BOOL:
        return mp_read_bool(cur, &b) || snprintf(buf, cap, "%s", b ? "true" : "false") >= (int)cap
                   ? -1
                   : 0;
    case MP_ARRAY: {
        uint32_t n;
        if (depth > 0 || mp_read_array(cur, &n) || cap < 3)
            return -1;
        size_t used = 1;
        buf[0] = '[';
        for (uint32_t k = 0; k < n; k++) {
            if (k && used + 2 < cap) {
                memcpy(buf + used, ", ", 2);
                used += 2;
            }
            if (used + 2 >= cap || value_text(cur, buf + used, cap - used - 1, depth + 1))
                return -1;
            used += strlen(buf + used);
        }
        if (used + 2 > cap)
            return -1;
        buf[used++] = ']';
        buf[used] = '\0';
        return 0;
    }
    default: return -1;
    }
}

/* A str value into buf (NUL-terminated, no NUL inside), or -1. */
static int read_name(mp_cursor *cur, char *buf, size_t cap)
{
    const char *s;
    uint32_t len;
    if (mp_peek(cur) != MP_STR || mp_read_str(cur, &s, &len) || len == 0 || len >= cap ||
        memchr(s, '\0', len))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

#define VALUE_MAX 4096

static void remember(ezc_control *c, const char *node, const char *name, const char *text)
{
    size_t i = 0;
    while (i < c->nlive && (strcmp(c->live[i].node, node) || strcmp(c->live[i].name, name)))
        i++;
    char *t = strdup(text);
    if (!t)
        return;
    if (i == c->nlive) {
        live_value *l = c->nlive < LIVE_MAX ? realloc(c->live, (i + 1) * sizeof *l) : NULL;
        if (!l) {
            free(t);
            return;
        }
        c->live = l;
        c->nlive++;
        snprintf(l[i].node, sizeof l[i].node, "%s", node);
        snprintf(l[i].name, sizeof l[i].name, "%s", name);
        l[i].text = NULL;
    }
    free(c->live[i].text);
    c->live[i].text = t;
}

/* The text in force of setting `name` of graph node n: the latest
 * accepted "set", else the graph file's (a list as "[a, b]"); NULL when
 * neither gave one. */
static const char *value_in_force(ezc_control *c, const ezc_graph_node *n, const char *name,
                                  char *buf, size_t cap)
{
    for (size_t i = 0; i < c->nlive; i++)
        if (!strcmp(c->live[i].node, n->name) && !strcmp(c->live[i].name, name))
            return c->live[i].text;
    for (size_t i = 0; i < n->nsettings; i++) {
        const ezc_graph_setting *s = &n->settings[i];
        if (strcmp(s->name, name))
            continue;
        if (s->text)
            return s->text;
        size_t o = (size_t)snprintf(buf, cap, "[");
        for (size_t j = 0; j < s->nitems && o < cap; j++)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", j ? ", " : "", s->items[j]);
        if (o + 2 > cap)
            return NULL; /* longer than a reply takes */
        snprintf(buf + o, cap - o, "]");
        return buf;
    }
    return NULL;
}

static void pk_kv_opt(msgpack_packer *pk, const char *k, const char *v)
{
    pk_str(pk, k);
    if (v)
        pk_str(pk, v);
    else
        msgpack_pack_nil(pk);
}

#define SCHEMA_MAX 256 /* settings reported of one node */

static void op_schema(ezc_control *c, mp_cursor node_cur, reply *r)
{
    char node[EZC_NAME_MAX], why[EZC_ERROR_MSG_MAX], buf[4096];
    if (read_name(&node_cur, node, sizeof node)) {
        reply_error(r, "schema: \"node\": expected a node's name (a string)");
        return;
    }
    int k = c->g ? ezc_graph_node_index(c->g, node) : -1;
    if (k < 0) {
        snprintf(why, sizeof why, "schema: no node '%s' in graph '%s'", node, c->name);
        reply_error(r, why);
        return;
    }
    const ezc_graph_node *n = &c->g->nodes[k];
    const ezc_setting_spec *spec = n->ttype  ? n->ttype->settings
                                   : n->kind ? n->kind->settings
                                             : NULL;
    size_t ns = 0;
    while (spec && spec[ns].name && ns < SCHEMA_MAX)
        ns++;
    msgpack_packer *pk = &r->pk;
    msgpack_pack_map(pk, 4);
    pk_str(pk, "ok");
    msgpack_pack_true(pk);
    pk_kv_str(pk, "node", n->name);
    pk_kv_str(pk, "type", n->type ? n->type : "");
    pk_str(pk, "settings");
    msgpack_pack_array(pk, ns);
    for (size_t i = 0; i < ns; i++) {
        const ezc_setting_spec *sp = &spec[i];
        msgpack_pack_map(pk, 7);
        pk_kv_str(pk, "name", sp->name);
        pk_kv_str(pk, "type", ezc_setting_type_name(sp->type));
        pk_kv_opt(pk, "default", sp->def);
        pk_kv_str(pk, "doc", sp->doc ? sp->doc : "");
        pk_kv_opt(pk, "choices", sp->choices);
        pk_str(pk, "required");
        if (sp->required)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        pk_kv_opt(pk, "value", value_in_force(c, n, sp->name, buf, sizeof buf));
    }
}

static void op_set(ezc_control *c, mp_cursor node_cur, mp_cursor set_cur, reply *r)
{
    char node[EZC_NAME_MAX], why[EZC_ERROR_MSG_MAX];
    if (read_name(&node_cur, node, sizeof node)) {
        reply_error(r, "set: \"node\": expected a node's name (a string)");
        return;
    }
    uint32_t n;
    if (mp_peek(&set_cur) != MP_MAP || mp_read_map(&set_cur, &n) || n == 0 ||
        n > EZC_CONTROL_SETTINGS_MAX) {
        snprintf(why, sizeof why, "set: \"settings\": expected a map of 1 to %d settings",
                 EZC_CONTROL_SETTINGS_MAX);
        reply_error(r, why);
        return;
    }
    char(*names)[EZC_NAME_MAX] = calloc(n, sizeof *names);
    char *vals = calloc(n, VALUE_MAX);
    const char **np = calloc(n, sizeof *np), **vp = calloc(n, sizeof *vp);
    int bad = !names || !vals || !np || !vp;
    if (bad)
        reply_error(r, "control: out of memory");
    for (uint32_t i = 0; !bad && i < n; i++) {
        if (read_name(&set_cur, names[i], sizeof names[i])) {
            reply_error(r, "set: a setting's name: expected a string");
            bad = 1;
        } else if (value_text(&set_cur, vals + (size_t)i * VALUE_MAX, VALUE_MAX, 0)) {
            snprintf(why, sizeof why,
                     "set: setting '%s': expected a string, number, boolean or a list of them "
                     "(under %d bytes as text)",
                     names[i], VALUE_MAX);
            reply_error(r, why);
            bad = 1;
        }
        np[i] = names[i];
        vp[i] = vals + (size_t)i * VALUE_MAX;
    }
    if (!bad && !c->ops->set) {
        reply_error(r, "set: live settings are not supported by this program");
        bad = 1;
    }
    ezc_error err;
    ezc_error_clear(&err);
    ezc_graph_set_result res = {0};
    if (!bad && c->ops->set(c->ctx, node, np, vp, n, &res, &err))
        reply_error(r, err.msg);
    else if (!bad) {
        msgpack_pack_map(&r->pk, 3);
        pk_str(&r->pk, "ok");
        msgpack_pack_true(&r->pk);
        pk_str(&r->pk, "applied");
        if (res.applied)
            msgpack_pack_true(&r->pk);
        else
            msgpack_pack_false(&r->pk);
        pk_str(&r->pk, "state");
        pk_str(&r->pk, !res.applied ? "next message" : res.kept ? "kept" : "reset");
        for (uint32_t i = 0; i < n; i++)
            remember(c, node, np[i], vp[i]);
    }
    free(names);
    free(vals);
    free(np);
    free(vp);
}

/* One request: a msgpack map with "op" (and the op's own keys). */
static void handle(ezc_control *c, const void *data, size_t len, reply *r)
{
    mp_cursor cur, node_cur = {0}, set_cur = {0};
    mp_init(&cur, data, len);
    uint32_t n;
    char op[16] = "";
    int have_node = 0, have_set = 0;
    if (mp_peek(&cur) != MP_MAP || mp_read_map(&cur, &n) || n > 16) {
        reply_error(r, "control: a request is a msgpack map (at most 16 keys) with \"op\"");
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *k;
        uint32_t klen;
        if (mp_peek(&cur) != MP_STR || mp_read_str(&cur, &k, &klen)) {
            reply_error(r, "control: request keys are strings");
            return;
        }
        mp_cursor at = cur;
        if (mp_skip(&cur, 4)) {
            reply_error(r, "control: malformed request (a value is cut short or nested too deep)");
            return;
        }
        if (mp_str_eq(k, klen, "op")) {
            if (read_name(&at, op, sizeof op)) {
                reply_error(r, "control: \"op\": expected one of stats, set, stop, graph, schema");
                return;
            }
        } else if (mp_str_eq(k, klen, "node")) {
            node_cur = at;
            have_node = 1;
        } else if (mp_str_eq(k, klen, "settings")) {
            set_cur = at;
            have_set = 1;
        }
    }
    if (mp_left(&cur)) {
        reply_error(r, "control: bytes after the request's map");
        return;
    }
    if (!strcmp(op, "stats"))
        op_stats(c, r);
    else if (!strcmp(op, "graph"))
        op_graph(c, r);
    else if (!strcmp(op, "stop")) {
        ezc_log(EZC_LOG_INFO, "control: stop requested (graph %s)", c->name);
        if (c->ops->stop)
            c->ops->stop(c->ctx);
        else
            ezc_interrupt();
        msgpack_pack_map(&r->pk, 1);
        pk_str(&r->pk, "ok");
        msgpack_pack_true(&r->pk);
    } else if (!strcmp(op, "set")) {
        if (!have_node || !have_set)
            reply_error(r, "set: needs \"node\" and \"settings\"");
        else
            op_set(c, node_cur, set_cur, r);
    } else if (!strcmp(op, "schema")) {
        if (!have_node)
            reply_error(r, "schema: needs \"node\"");
        else
            op_schema(c, node_cur, r);
    } else {
        char why[96];
        snprintf(why, sizeof why,
                 "control: unknown op '%s' (known: stats, set, stop, graph, schema)",
                 op[0] ? op : "(none)");
        reply_error(r, why);
    }
}

int ezc_control_serve(ezc_control *c, int timeout_ms)
{
    int served = 0;
    for (;;) {
        zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, served ? 0 : timeout_ms) <= 0 || !(it.revents & ZMQ_POLLIN))
            return served;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return served;
        }
        int more = zmq_msg_more(&m);
        reply r;
        msgpack_sbuffer_init(&r.sb);
        msgpack_packer_init(&r.pk, &r.sb, msgpack_sbuffer_write);
        if (more) { /* one frame per request: the rest is read and dropped */
            while (more) {
                zmq_msg_t x;
                zmq_msg_init(&x);
                more = zmq_msg_recv(&x, c->sock, 0) >= 0 && zmq_msg_more(&x);
                zmq_msg_close(&x);
            }
            reply_error(&r, "control: a request is one frame");
        } else
            handle(c, zmq_msg_data(&m), zmq_msg_size(&m), &r);
        zmq_msg_close(&m);
        zmq_send(c->sock, r.sb.data, r.sb.size, 0); /* a peer gone: dropped by ZeroMQ */
        msgpack_sbuffer_destroy(&r.sb);
        served++;
    }
}

static void *serve_main(void *arg)
{
    ezc_control *c = arg;
    sigset_t all; /* signals are the main thread's */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (!atomic_load(&c->quit))
        ezc_control_serve(c, 100);
    return NULL;
}

/* The server of graph `name` on its run-folder socket, or on `at` (an
 * ipc:// endpoint) when not NULL. */
static ezc_control *open_at(const char *name, const char *at, const ezc_control_ops *ops, void *ctx,
                            const ezc_graph *g, int threaded, ezc_error *err)
{
    ezc_control *c = calloc(1, sizeof *c);
    if (!c) {
        ezc_error_set(err, EZC_ENOMEM, "control: out of memory");
        return NULL;
    }
    c->ops = ops;
    c->ctx = ctx;
    c->g = g;
    snprintf(c->name, sizeof c->name, "%s", name ? name : "");
    int rc = !at ? endpoint_of(c->name, c->endpoint, sizeof c->endpoint, err)
             : strncmp(at, "ipc://", 6) || strlen(at) >= sizeof c->endpoint
                 ? ezc_error_set(err, EZC_EINVAL,
                                 "control: '%.80s': expected a short ipc:// endpoint", at)
                 : 0;
    if (!rc && at)
        snprintf(c->endpoint, sizeof c->endpoint, "%s", at);
    if (!rc && (rc = ezc_ipc_claim_take(c->endpoint, &c->claim, err)))
        ezc_error_prefix(err,
                         "control of graph '%s' (another graph of that name runs? `--name` "
                         "gives this one another)",
                         c->name);
    if (!rc && !(c->sock = ezc_zmq_socket_open(NULL, ZMQ_REP)))
        rc = ezc_error_set(err, EZC_EIO, "control: cannot make a socket: %s",
                           zmq_strerror(zmq_errno()));
    if (!rc) {
        int64_t max = EZC_CONTROL_MSG_MAX;
        int linger = 0, sndto = 100;
        zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
        zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &sndto, sizeof sndto);
        if (zmq_bind(c->sock, c->endpoint))
            rc = ezc_error_set(err, EZC_EIO, "control: %s: %s", c->endpoint,
                               zmq_strerror(zmq_errno()));
    }
    if (!rc) {
        char last[600];
        size_t ln = sizeof last;
        if (zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, last, &ln))
            snprintf(last, sizeof last, "%s", c->endpoint);
        ezc_ipc_file_note(&c->file, c->endpoint, last);
        rc = ezc_ipc_claim_bound(c->claim, err);
    }
    c->nnodes = rc ? 0 : ops->count(ctx);
    sample *prev = rc ? NULL : calloc(c->nnodes + 1, sizeof *prev);
    if (!rc && !prev)
        rc = ezc_error_set(err, EZC_ENOMEM, "control: out of memory");
    for (size_t i = 0; prev && i < c->nnodes; i++)
        prev[i].cpu_s = -1;
    c->prev = prev;
    c->started = c->sampled = mono_s();
    if (!rc && threaded) {
        if (pthread_create(&c->thread, NULL, serve_main, c))
            rc = ezc_error_set(err, EZC_EIO, "control: cannot start its thread");
        else
            c->threaded = 1;
    }
    if (rc) {
        ezc_control_destroy(&c);
        return NULL;
    }
    return c;
}

ezc_control *ezc_control_new(const char *name, const ezc_control_ops *ops, void *ctx,
                             const ezc_graph *g, int threaded, ezc_error *err)
{
    return open_at(name, NULL, ops, ctx, g, threaded, err);
}

ezc_control *ezc_control_new_at(const char *endpoint, const char *name, const ezc_control_ops *ops,
                                void *ctx, const ezc_graph *g, int threaded, ezc_error *err)
{
    return open_at(name, endpoint, ops, ctx, g, threaded, err);
}

ezc_control *ezc_control_new_unique(const char *name, const ezc_control_ops *ops, void *ctx,
                                    const ezc_graph *g, int threaded, ezc_error *err)
{
    ezc_control *c = ezc_control_new(name, ops, ctx, g, threaded, err);
    char alt[EZC_CONTROL_NAME_MAX];
    for (int k = 2; !c && k < 100 && err->code == EZC_EIO && strstr(err->msg, "in use by pid");
         k++) {
        int keep = (int)strlen(name);
        if (keep > EZC_CONTROL_NAME_MAX - 5)
            keep = EZC_CONTROL_NAME_MAX - 5;
        snprintf(alt, sizeof alt, "%.*s-%d", keep, name, k);
        c = ezc_control_new(alt, ops, ctx, g, threaded, err);
    }
    return c;
}

const char *ezc_control_name(const ezc_control *c)
{
    return c ? c->name : "";
}

const char *ezc_control_endpoint(const ezc_control *c)
{
    return c ? c->endpoint : "";
}

void ezc_control_destroy(ezc_control **cp)
{
    if (!cp || !*cp)
        return;
    ezc_control *c = *cp;
    if (c->threaded) {
        atomic_store(&c->quit, 1);
        pthread_join(c->thread, NULL);
    }
    if (c->sock)
        ezc_zmq_socket_close(c->sock, 1);
    ezc_ipc_file_remove(&c->file);
    ezc_ipc_claim_release(&c->claim);
    free(c->prev);
    for (size_t i = 0; i < c->nlive; i++)
        free(c->live[i].text);
    free(c->live);
    free(c);
    *cp = NULL;
}

/* ---- clients ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A control socket whose owner lives: its lock file names a live pid. */
static int alive(const char *dir, const char *name)
{
    char path[1024], buf[32];
    snprintf(path, sizeof path, "%s/%s.ctl.lock", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int ezc_control_list(char ***names, size_t *n, ezc_error *err)
{
    *names = NULL;
    *n = 0;
    char dir[512];
    int rc = ezc_run_dir("graphs", dir, sizeof dir, err);
    if (rc)
        return rc;
    DIR *d = opendir(dir);
    if (!d)
        return ezc_error_set(err, EZC_EIO, "control: %s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcmp(e->d_name + len - 4, ".ctl"))
            continue;
        char name[EZC_CONTROL_NAME_MAX];
        if (len - 4 >= sizeof name)
            continue;
        memcpy(name, e->d_name, len - 4);
        name[len - 4] = '\0';
        if (ezc_control_name_check(name, NULL) || !alive(dir, name))
            continue;
        if (*n == cap) {
            cap = cap * 2 + 8;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (!nn) {
                rc = ezc_error_set(err, EZC_ENOMEM, "control: out of memory");
                break;
            }
            *names = nn;
        }
        if (!((*names)[*n] = strdup(name))) {
            rc = ezc_error_set(err, EZC_ENOMEM, "control: out of memory");
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc) {
        ezc_control_names_free(*names, *n);
        *names = NULL;
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_str);
    return 0;
}

void ezc_control_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* One request to the server on endpoint ep (`name` for messages). */
static int call_at(const char *ep, const char *name, const void *req, size_t len, int timeout_ms,
                   void **reply_out, size_t *rlen, ezc_error *err)
{
    int rc = 0;
    void *s = ezc_zmq_socket_open(NULL, ZMQ_REQ);
    if (!s)
        return ezc_error_set(err, EZC_EIO, "control: cannot make a socket");
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_connect(s, ep) || zmq_send(s, req, len, 0) < 0)
        rc = ezc_error_set(err, EZC_EIO, "graph '%s': cannot send to %s: %s", name, ep,
                           zmq_strerror(zmq_errno()));
    else if (zmq_msg_recv(&m, s, 0) < 0)
        rc = errno == EAGAIN
                 ? ezc_error_set(err, EZC_ETIMEOUT, "graph '%s': no answer within %d ms", name,
                                 timeout_ms)
                 : ezc_error_set(err, EZC_EIO, "graph '%s': %s", name, zmq_strerror(zmq_errno()));
    else if (!(*reply_out = malloc(zmq_msg_size(&m) + 1)))
        rc = ezc_error_set(err, EZC_ENOMEM, "control: out of memory");
    else {
        memcpy(*reply_out, zmq_msg_data(&m), zmq_msg_size(&m));
        *rlen = zmq_msg_size(&m);
    }
    zmq_msg_close(&m);
    ezc_zmq_socket_close(s, 1);
    return rc;
}

int ezc_control_call(const char *name, const void *req, size_t len, int timeout_ms,
                     void **reply_out, size_t *rlen, ezc_error *err)
{
    *reply_out = NULL;
    *rlen = 0;
    char ep[600], dir[512];
    int rc = endpoint_of(name, ep, sizeof ep, err);
    if (rc)
        return rc;
    if (ezc_run_dir("graphs", dir, sizeof dir, err))
        return err->code;
    if (!alive(dir, name))
        return ezc_error_set(err, EZC_ENOTFOUND,
                             "no graph '%s' runs (no live control socket in %s)", name, dir);
    return call_at(ep, name, req, len, timeout_ms, reply_out, rlen, err);
}

/* A reply's "ok"; when false, its "error" into err. The cursor is left
 * after the map's header; the caller finds its own keys. */
static int reply_ok(const char *name, const void *data, size_t len, ezc_error *err)
{
    mp_cursor cur;
    mp_init(&cur, data, len);
    uint32_t n;
    int ok = -1;
    char msg[EZC_ERROR_MSG_MAX] = "";
    if (mp_read_map(&cur, &n))
        return ezc_error_set(err, EZC_EPROTO, "graph '%s': malformed reply", name);
    for (uint32_t i = 0; i < n; i++) {
        const char *k, *v;
        uint32_t kl, vl;
        if (mp_read_str(&cur, &k, &kl))
            return ezc_error_set(err, EZC_EPROTO, "graph '%s': malformed reply", name);
        if (mp_str_eq(k, kl, "ok") && !mp_read_bool(&cur, &ok))
            continue;
        if (mp_str_eq(k, kl, "error") && !mp_read_str(&cur, &v, &vl)) {
            snprintf(msg, sizeof msg, "%.*s", (int)vl, v);
            continue;
        }
        if (mp_skip(&cur, 8))
            return ezc_error_set(err, EZC_EPROTO, "graph '%s': malformed reply", name);
    }
    if (ok < 0)
        return ezc_error_set(err, EZC_EPROTO, "graph '%s': malformed reply (no \"ok\")", name);
    return ok ? 0 : ezc_error_set(err, EZC_EINVAL, "%s", msg);
}

static int simple_call(const char *name, msgpack_sbuffer *sb, int timeout_ms, void **rep,
                       size_t *rlen, ezc_error *err)
{
    int rc = ezc_control_call(name, sb->data, sb->size, timeout_ms, rep, rlen, err);
    msgpack_sbuffer_destroy(sb);
    if (!rc && (rc = reply_ok(name, *rep, *rlen, err))) {
        free(*rep);
        *rep = NULL;
    }
    return rc;
}

/* {"op": op} to graph `name`; *rep its reply, "ok" checked (free it). */
static int op_call(const char *name, const char *op, int timeout_ms, void **rep, size_t *rlen,
                   ezc_error *err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    pk_kv_str(&pk, "op", op);
    return simple_call(name, &sb, timeout_ms, rep, rlen, err);
}

int ezc_control_stop(const char *name, int timeout_ms, ezc_error *err)
{
    void *rep = NULL;
    size_t rlen;
    int rc = op_call(name, "stop", timeout_ms, &rep, &rlen, err);
    free(rep);
    return rc;
}

/* The "set" request for node into sb (initialised here): n settings given
 * as names[i] = values[i], or (names NULL) as "KEY=VALUE" texts in values.
 * EZC_EINVAL for a text without KEY= (sb then destroyed). */
static int pack_set(msgpack_sbuffer *sb, const char *node, const char *const *names,
                    const char *const *values, size_t n, ezc_error *err)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pk_kv_str(&pk, "op", "set");
    pk_kv_str(&pk, "node", node);
    pk_str(&pk, "settings");
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < n; i++) {
        if (names) {
            pk_kv_str(&pk, names[i], values[i]);
            continue;
        }
        const char *eq = strchr(values[i], '=');
        if (!eq || eq == values[i]) {
            msgpack_sbuffer_destroy(sb);
            return ezc_error_set(err, EZC_EINVAL, "'%s': expected KEY=VALUE", values[i]);
        }
        msgpack_pack_str(&pk, (size_t)(eq - values[i]));
        msgpack_pack_str_body(&pk, values[i], (size_t)(eq - values[i]));
        pk_str(&pk, eq + 1);
    }
    return 0;
}

/* A set reply's "applied" and "state" ("kept", "reset", "next message"). */
static void read_set_reply(const void *rep, size_t rlen, ezc_graph_set_result *res,
                           const char **state, uint32_t *slen)
{
    mp_cursor cur;
    mp_init(&cur, rep, rlen);
    uint32_t nk = 0;
    *state = NULL;
    *slen = 0;
    for (uint32_t i = 0, more = rep && !mp_read_map(&cur, &nk); more && i < nk; i++) {
        const char *k;
        uint32_t kl;
        if (mp_read_str(&cur, &k, &kl))
            break;
        if (mp_str_eq(k, kl, "applied") && !mp_read_bool(&cur, &res->applied))
            continue;
        if (mp_str_eq(k, kl, "state") && !mp_read_str(&cur, state, slen)) {
            res->kept = mp_str_eq(*state, *slen, "kept");
            continue;
        }
        if (mp_skip(&cur, 8))
            break;
    }
}

int ezc_control_set(const char *name, const char *node, const char *const *kv, size_t n,
                    int timeout_ms, char *info, size_t cap, ezc_error *err)
{
    msgpack_sbuffer sb;
    int rc = pack_set(&sb, node, NULL, kv, n, err);
    if (rc)
        return rc;
    void *rep = NULL;
    size_t rlen;
    rc = simple_call(name, &sb, timeout_ms, &rep, &rlen, err);
    if (!rc && info && cap) {
        ezc_graph_set_result res = {0};
        const char *v;
        uint32_t vl;
        read_set_reply(rep, rlen, &res, &v, &vl);
        snprintf(info, cap, "%s",
                 v && mp_str_eq(v, vl, "kept")    ? "applied, state kept"
                 : v && mp_str_eq(v, vl, "reset") ? "applied, node re-created (state reset)"
                                                  : "accepted; taken with the node's next message");
    }
    free(rep);
    return rc;
}

int ezc_control_set_at(const char *endpoint, const char *what, const char *node,
                       const char *const *names, const char *const *values, size_t n,
                       int timeout_ms, ezc_graph_set_result *res, ezc_error *err)
{
    memset(res, 0, sizeof *res);
    msgpack_sbuffer sb;
    int rc = pack_set(&sb, node, names, values, n, err);
    if (rc)
        return rc;
    void *rep = NULL;
    size_t rlen = 0;
    rc = call_at(endpoint, what, sb.data, sb.size, timeout_ms, &rep, &rlen, err);
    msgpack_sbuffer_destroy(&sb);
    if (!rc)
        rc = reply_ok(what, rep, rlen, err);
    if (!rc) {
        const char *v;
        uint32_t vl;
        read_set_reply(rep, rlen, res, &v, &vl);
    }
    free(rep);
    return rc;
}

/* A reply's map read through a table of the fields wanted: each key found
 * is read by its kind into the struct at base + off (a str cut to cap
 * bytes); a key of the wrong type is an error, an unknown key skipped. */
typedef enum { FIELD_STR, FIELD_U64, FIELD_F64 } field_kind;
typedef struct field {
    const char *key;
    field_kind kind;
    size_t off, cap;
} field;
#define FIELD(T, kind, f) #f, kind, offsetof(T, f), sizeof((T *)0)->f

static int read_fields(mp_cursor *cur, const field *fields, size_t nfields, void *base)
{
    uint32_t n;
    if (mp_read_map(cur, &n))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *k, *v;
        uint32_t kl, vl;
        if (mp_read_str(cur, &k, &kl))
            return -1;
        const field *f = fields;
        while (f < fields + nfields && !mp_str_eq(k, kl, f->key))
            f++;
        void *at = f < fields + nfields ? (char *)base + f->off : NULL;
        int bad = !at                    ? mp_skip(cur, 8)
                  : f->kind == FIELD_STR ? mp_read_str(cur, &v, &vl)
                  : f->kind == FIELD_U64 ? mp_read_uint(cur, at)
                                         : mp_read_number(cur, at);
        if (bad)
            return -1;
        if (at && f->kind == FIELD_STR)
            snprintf(at, f->cap, "%.*s", (int)vl, v);
    }
    return 0;
}

static const field node_fields[] = {
    {FIELD(ezc_control_node, FIELD_STR, name)},
    {FIELD(ezc_control_node, FIELD_STR, type)},
    {FIELD(ezc_control_node, FIELD_STR, state)},
    {FIELD(ezc_control_node, FIELD_STR, last_error)},
    {FIELD(ezc_control_node, FIELD_U64, messages)},
    {FIELD(ezc_control_node, FIELD_U64, bytes)},
    {FIELD(ezc_control_node, FIELD_U64, drops)},
    {FIELD(ezc_control_node, FIELD_U64, errors)},
    {FIELD(ezc_control_node, FIELD_U64, restarts)},
    {FIELD(ezc_control_node, FIELD_F64, msg_s)},
    {FIELD(ezc_control_node, FIELD_F64, mb_s)},
    {FIELD(ezc_control_node, FIELD_F64, latency_p50_us)},
    {FIELD(ezc_control_node, FIELD_F64, latency_p99_us)},
    {FIELD(ezc_control_node, FIELD_F64, cpu_pct)},
};
static const field gnode_fields[] = {
    {FIELD(ezc_control_gnode, FIELD_STR, name)},
    {FIELD(ezc_control_gnode, FIELD_STR, type)},
    {FIELD(ezc_control_gnode, FIELD_STR, group)},
};
static const field gedge_fields[] = {
    {FIELD(ezc_control_gedge, FIELD_STR, from)},
    {FIELD(ezc_control_gedge, FIELD_STR, to)},
};
#define NFIELDS(t) (sizeof t / sizeof t[0])

/* Reads one node map of a stats reply into *o. */
static int read_node(mp_cursor *cur, ezc_control_node *o)
{
    memset(o, 0, sizeof *o);
    o->latency_p50_us = o->latency_p99_us = o->cpu_pct = -1;
    return read_fields(cur, node_fields, NFIELDS(node_fields), o);
}

int ezc_control_stats(const char *name, int timeout_ms, ezc_control_node **nodes, size_t *n,
                      ezc_control_proc *proc, ezc_error *err)
{
    ezc_control_proc pr = {0, 0};
    *nodes = NULL;
    *n = 0;
    if (proc)
        *proc = pr;
    void *rep = NULL;
    size_t rlen;
    int rc = op_call(name, "stats", timeout_ms, &rep, &rlen, err);
    if (rc)
        return rc;
    mp_cursor cur;
    mp_init(&cur, rep, rlen);
    uint32_t nk;
    rc = mp_read_map(&cur, &nk) ? -1 : 0;
    for (uint32_t i = 0; !rc && i < nk; i++) {
        const char *k;
        uint32_t kl, na;
        if (mp_read_str(&cur, &k, &kl)) {
            rc = -1;
        } else if (mp_str_eq(k, kl, "nodes")) {
            if (mp_read_array(&cur, &na) || na > 65536 ||
                !(*nodes = calloc(na + 1, sizeof **nodes))) {
                rc = -1;
                break;
            }
            for (uint32_t j = 0; !rc && j < na; j++)
                rc = read_node(&cur, &(*nodes)[j]);
            *n = na;
        } else {
            /* pid and uptime_s are for show: odd ones are left 0, not refused */
            mp_cursor at = cur;
            double v;
            if (mp_str_eq(k, kl, "pid") && !mp_read_number(&at, &v) && v >= 0 && v < 1e15)
                pr.pid = (long)v;
            else if (mp_str_eq(k, kl, "uptime_s") && !mp_read_number(&at, &v))
                pr.uptime_s = v;
            rc = mp_skip(&cur, 8);
        }
    }
    free(rep);
    if (rc) {
        free(*nodes);
        *nodes = NULL;
        *n = 0;
        return ezc_error_set(err, EZC_EPROTO, "graph '%s': malformed stats reply", name);
    }
    if (proc)
        *proc = pr;
    return 0;
}

int ezc_control_graph(const char *name, int timeout_ms, ezc_control_gnode **nodes, size_t *nn,
                      ezc_control_gedge **edges, size_t *ne, ezc_error *err)
{
    *nodes = NULL;
    *edges = NULL;
    *nn = *ne = 0;
    void *rep = NULL;
    size_t rlen;
    int rc = op_call(name, "graph", timeout_ms, &rep, &rlen, err);
    if (rc)
        return rc;
    mp_cursor cur;
    mp_init(&cur, rep, rlen);
    uint32_t nk, na;
    rc = mp_read_map(&cur, &nk) ? -1 : 0;
    for (uint32_t i = 0; !rc && i < nk; i++) {
        const char *k;
        uint32_t kl;
        if (mp_read_str(&cur, &k, &kl)) {
            rc = -1;
        } else if (mp_str_eq(k, kl, "nodes") && !*nodes) {
            if (mp_read_array(&cur, &na) || na > 65536 ||
                !(*nodes = calloc(na + 1, sizeof **nodes))) {
                rc = -1;
                break;
            }
            for (uint32_t j = 0; !rc && j < na; j++)
                rc = read_fields(&cur, gnode_fields, NFIELDS(gnode_fields), &(*nodes)[j]);
            *nn = na;
        } else if (mp_str_eq(k, kl, "edges") && !*edges) {
            if (mp_read_array(&cur, &na) || na > 65536 ||
                !(*edges = calloc(na + 1, sizeof **edges))) {
                rc = -1;
                break;
            }
            for (uint32_t j = 0; !rc && j < na; j++)
                rc = read_fields(&cur, gedge_fields, NFIELDS(gedge_fields), &(*edges)[j]);
            *ne = na;
        } else
            rc = mp_skip(&cur, 8);
    }
    free(rep);
    if (rc) {
        free(*nodes);
        free(*edges);
        *nodes = NULL;
        *edges = NULL;
        *nn = *ne = 0;
        return ezc_error_set(err, EZC_EPROTO, "graph '%s': malformed graph reply", name);
    }
    return 0;
}
