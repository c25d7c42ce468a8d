/* graph.c — a node graph from YAML: the model, its structural checks and
 * the queries on it (groups, restart policy per group, fused edges).
 *
 * libyaml's document API gives a tree whose every node carries its source
 * position, so each element of the model keeps its line. Parsing never
 * stops at the first problem: every unknown key, wrong shape and dangling
 * name is recorded, and the rest of the file is still read. What needs the
 * registry (types, settings, ports) is checked beside it, in graph_check.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "ezc/control.h"
#include "ezc/graph.h"

typedef struct parse_ctx {
    ezc_graph *g;
    yaml_document_t *doc;
    int oom;
    size_t values, budget; /* setting values copied, and how many the file may yield */
} parse_ctx;

void ezc_graph_error_add(ezc_graph *g, int line, const char *fmt, ...)
{
    /* A hostile file could yield millions; past the cap one line says so. */
    if (g->nerrors > EZC_GRAPH_MAX_ERRORS)
        return;
    ezc_graph_error *ne = realloc(g->errors, (g->nerrors + 1) * sizeof *ne);
    if (!ne)
        return;
    g->errors = ne;
    ezc_graph_error *e = &g->errors[g->nerrors++];
    e->line = line;
    if (g->nerrors > EZC_GRAPH_MAX_ERRORS) {
        e->line = 0;
        snprintf(e->msg, sizeof e->msg, "more than %d errors; the rest are not shown",
                 EZC_GRAPH_MAX_ERRORS);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

static char *dup_str(parse_ctx *c, const char *s)
{
    char *r = s ? strdup(s) : NULL;
    if (s && !r)
        c->oom = 1;
    return r;
}

/* Grows *arr (of n items of size sz) by one zeroed item; NULL on OOM. */
static void *push(parse_ctx *c, void **arr, size_t *n, size_t sz)
{
    char *na = realloc(*arr, (*n + 1) * sz);
    if (!na) {
        c->oom = 1;
        return NULL;
    }
    *arr = na;
    memset(na + *n * sz, 0, sz);
    return na + (*n)++ * sz;
}

static int line_of(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 0;
}

static yaml_node_t *node_at(parse_ctx *c, int i)
{
    return yaml_document_get_node(c->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* An empty value (`key:` or `~` or `null`), which stands for an empty map or list. */
static int is_null(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

static const char *shape_name(const yaml_node_t *n)
{
    if (!n)
        return "nothing";
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a single value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a map";
    default: return "nothing";
    }
}

/* Node names appear in edges as "name.port": keep them to a plain alphabet. */
static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Calls fn for each key/value of a mapping, refusing non-scalar and
 * repeated keys. */
typedef void (*pair_fn)(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u);

typedef struct key_ref {
    const char *key;
    size_t index;
} key_ref;

static int by_key(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int d = strcmp(x->key, y->key);
    return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* Marks in twice[] every pair whose key an earlier pair already has. Sorting
 * keeps this O(n log n): a hostile map of 100k keys stays fast. */
static void repeated_keys(parse_ctx *c, yaml_node_t *map, size_t n, char *twice)
{
    key_ref *refs = malloc((n + 1) * sizeof *refs);
    if (!refs) {
        c->oom = 1;
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = scalar(node_at(c, map->data.mapping.pairs.start[i].key));
        if (key)
            refs[m++] = (key_ref){key, i};
    }
    qsort(refs, m, sizeof *refs, by_key);
    for (size_t i = 1; i < m; i++)
        if (!strcmp(refs[i].key, refs[i - 1].key))
            twice[refs[i].index] = 1;
    free(refs);
}

static void each_pair(parse_ctx *c, yaml_node_t *map, const char *what, pair_fn fn, void *u)
{
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    char *twice = calloc(n + 1, 1);
    if (!twice) {
        c->oom = 1;
        return;
    }
    repeated_keys(c, map, n, twice);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        const char *key = scalar(k);
        if (!key) {
            ezc_graph_error_add(c->g, line_of(k), "%s: a key must be a single value, not %s", what,
                                shape_name(k));
            continue;
        }
        if (twice[i]) {
            ezc_graph_error_add(c->g, line_of(k), "%s: key '%s' given twice", what, key);
            continue;
        }
        fn(c, key, k, v, u);
    }
    free(twice);
}

static char *want_scalar(parse_ctx *c, yaml_node_t *v, const char *what)
{
    const char *s = scalar(v);
    if (!s) {
        ezc_graph_error_add(c->g, line_of(v), "%s: expected a single value, got %s", what,
                            shape_name(v));
        return NULL;
    }
    return dup_str(c, s);
}

static int parse_restart(const char *s, ezc_restart *out)
{
    static const char *names[] = {"never", "on-failure", "always"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i]))
            return *out = (ezc_restart)i, 0;
    return -1;
}

static int parse_queue(const char *s, ezc_queue *out)
{
    static const char *names[] = {"block", "drop_oldest", "drop_newest", "conflate"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i]))
            return *out = (ezc_queue)i, 0;
    return -1;
}

const char *ezc_queue_name(ezc_queue q)
{
    static const char *names[] = {"block", "drop_oldest", "drop_newest", "conflate"};
    return (unsigned)q < 4 ? names[q] : "?";
}

const char *ezc_restart_name(ezc_restart r)
{
    static const char *names[] = {"never", "on-failure", "always"};
    return (unsigned)r < 3 ? names[r] : "?";
}

/* ---- nodes ---- */

static void setting_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    ezc_graph_node *n = u;
    /* YAML aliases let a small file name one big list many times; without
     * them no value is copied twice, so the file's own size is the budget. */
    size_t nvalues = 1;
    if (v->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *iv = node_at(c, *it);
            nvalues += iv && iv->type == YAML_SEQUENCE_NODE
                           ? (size_t)(iv->data.sequence.items.top - iv->data.sequence.items.start)
                           : 1;
        }
    if (nvalues > c->budget - c->values) {
        ezc_graph_error_add(c->g, line_of(k),
                            "node '%s': setting '%s': YAML aliases expand the "
                            "file to more than %zu setting values; write the values out",
                            n->name, key, c->budget);
        c->values = c->budget;
        return;
    }
    c->values += nvalues;
    ezc_graph_setting *s = push(c, (void **)&n->settings, &n->nsettings, sizeof *s);
    if (!s)
        return;
    s->name = dup_str(c, key);
    s->line = line_of(k);
    if (v->type == YAML_SCALAR_NODE) {
        s->text = dup_str(c, scalar(v));
        return;
    }
    if (v->type == YAML_SEQUENCE_NODE) {
        /* a list of values, or a list of lists of values (matrices, bands:
         * [[17, 30], [70, 170]]) taken row by row as one flat list */
        size_t cap = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *iv = node_at(c, *it);
            cap += iv && iv->type == YAML_SEQUENCE_NODE
                       ? (size_t)(iv->data.sequence.items.top - iv->data.sequence.items.start)
                       : 1;
        }
        s->items = calloc(cap ? cap : 1, sizeof *s->items);
        if (!s->items) {
            c->oom = 1;
            return;
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *iv = node_at(c, *it);
            yaml_node_item_t *rs = NULL, *re = NULL;
            if (iv && iv->type == YAML_SEQUENCE_NODE) {
                rs = iv->data.sequence.items.start;
                re = iv->data.sequence.items.top;
            }
            for (yaml_node_item_t *jt = rs; rs ? jt < re : jt == NULL;
                 jt = rs ? jt + 1 : (void *)1) {
                yaml_node_t *xv = rs ? node_at(c, *jt) : iv;
                const char *t = scalar(xv);
                if (!t) {
                    ezc_graph_error_add(c->g, line_of(xv),
                                        "node '%s': setting '%s': list items must be values or "
                                        "lists of values, not %s",
                                        n->name, key, shape_name(xv));
                    if (!rs)
                        break;
                    continue;
                }
                s->items[s->nitems++] = dup_str(c, t);
                if (!rs)
                    break;
            }
        }
        return;
    }
    ezc_graph_error_add(c->g, line_of(v),
                        "node '%s': setting '%s': expected a value or a list of values, got %s",
                        n->name, key, shape_name(v));
    n->nsettings--;
    free(s->name);
}

static void node_key(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    ezc_graph_node *n = u;
    char what[160];
    snprintf(what, sizeof what, "node '%s': %s", n->name, key);
    if (!strcmp(key, "type")) {
        n->type = want_scalar(c, v, what);
        n->type_line = line_of(v);
    } else if (!strcmp(key, "settings")) {
        n->settings_line = line_of(k);
        if (v->type == YAML_MAPPING_NODE)
            each_pair(c, v, what, setting_pair, n);
        else if (!is_null(v))
            ezc_graph_error_add(c->g, line_of(v), "%s: expected a map of name: value, got %s", what,
                                shape_name(v));
    } else if (!strcmp(key, "device")) {
        n->device_line = line_of(v);
        if ((n->device = want_scalar(c, v, what))) {
            ezc_error e;
            if (ezc_device_parse(n->device, &n->dev, &e))
                ezc_graph_error_add(c->g, n->device_line,
                                    "%s: '%s' is not a device (expected cpu or cuda:N)", what,
                                    n->device);
        }
    } else if (!strcmp(key, "process")) {
        n->process_line = line_of(v);
        if ((n->process = want_scalar(c, v, what)) && !valid_name(n->process))
            ezc_graph_error_add(c->g, n->process_line,
                                "%s: '%s' is not a group name (letters, digits, _ and -)", what,
                                n->process);
    } else if (!strcmp(key, "restart")) {
        n->restart_line = line_of(v);
        const char *s = scalar(v);
        if (!s || parse_restart(s, &n->restart))
            ezc_graph_error_add(c->g, line_of(v), "%s: '%s': expected never, on-failure or always",
                                what, s ? s : shape_name(v));
    } else {
        ezc_graph_error_add(c->g, line_of(k),
                            "node '%s': unknown key '%s' (expected type, settings, device, "
                            "process, restart)",
                            n->name, key);
    }
}

static void nodes_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    (void)u;
    ezc_graph *g = c->g;
    if (!valid_name(key)) {
        ezc_graph_error_add(g, line_of(k),
                            "node name '%s': use letters, digits, _ and - only (it is written "
                            "in edges as name.port)",
                            key);
        return;
    }
    ezc_graph_node *n = push(c, (void **)&g->nodes, &g->nnodes, sizeof *n);
    if (!n)
        return;
    n->name = dup_str(c, key);
    n->line = line_of(k);
    if (v->type != YAML_MAPPING_NODE) {
        ezc_graph_error_add(g, line_of(v),
                            "node '%s': expected a map with type (and settings, device, process, "
                            "restart), got %s",
                            key, shape_name(v));
        return;
    }
    each_pair(c, v, "node", node_key, n);
    if (!n->type && !n->type_line)
        ezc_graph_error_add(g, n->line,
                            "node '%s': no type (expected type: NAME; `ezc list` "
                            "shows the types)",
                            key);
}

/* ---- edges ---- */

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    return p;
}

static void names_list(const ezc_graph *g, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < g->nnodes && used + 8 < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", g->nodes[i].name);
    if (!g->nnodes)
        snprintf(buf, cap, "none");
}

/* "name" or "name.port" into a node index and a port (NULL when absent). */
static int endpoint_ref(parse_ctx *c, const char *text, int line, const char *what, int *node,
                        char **port)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    char *s = trim(buf), *dot = strchr(s, '.');
    *node = -1;
    *port = NULL;
    if (dot) {
        *dot = '\0';
        if (!*trim(dot + 1)) {
            ezc_graph_error_add(c->g, line, "%s: '%s': empty port name after '.'", what, text);
            return -1;
        }
        *port = dup_str(c, trim(dot + 1));
    }
    s = trim(s);
    if (!*s) {
        ezc_graph_error_add(c->g, line, "%s: empty node name", what);
        return -1;
    }
    *node = ezc_graph_node_index(c->g, s);
    if (*node < 0) {
        char names[400];
        names_list(c->g, names, sizeof names);
        ezc_graph_error_add(c->g, line, "%s: unknown node '%s' (nodes: %s)", what, s, names);
        return -1;
    }
    return 0;
}

static void edge_set(parse_ctx *c, ezc_graph_edge *e, const char *from, const char *to,
                     const char *what)
{
    endpoint_ref(c, from, e->line, what, &e->from, &e->from_port);
    endpoint_ref(c, to, e->line, what, &e->to, &e->to_port);
}

typedef struct edge_map {
    ezc_graph_edge *e;
    const char *from, *to;
    int from_line, to_line;
} edge_map;

static void edge_key(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    edge_map *m = u;
    if (!strcmp(key, "from") || !strcmp(key, "to")) {
        const char *s = scalar(v);
        if (!s) {
            ezc_graph_error_add(c->g, line_of(v), "edge: %s: expected a node name, got %s", key,
                                shape_name(v));
            return;
        }
        *(key[0] == 'f' ? &m->from : &m->to) = s;
    } else if (!strcmp(key, "queue")) {
        const char *s = scalar(v);
        if (!s || parse_queue(s, &m->e->queue))
            ezc_graph_error_add(c->g, line_of(v),
                                "edge: queue '%s': expected block, drop_oldest, drop_newest or "
                                "conflate",
                                s ? s : shape_name(v));
    } else if (!strcmp(key, "queue_size")) {
        const char *s = scalar(v);
        char *end = NULL;
        long n = s ? strtol(s, &end, 10) : 0;
        if (!s || *end || n < 1 || n > 100000)
            ezc_graph_error_add(c->g, line_of(v),
                                "edge: queue_size '%s': expected an integer in [1, 100000]",
                                s ? s : shape_name(v));
        else
            m->e->queue_size = (int)n;
    } else {
        ezc_graph_error_add(c->g, line_of(k),
                            "edge: unknown key '%s' (expected from, to, queue, queue_size)", key);
    }
}

static void parse_edge(parse_ctx *c, yaml_node_t *v)
{
    ezc_graph *g = c->g;
    ezc_graph_edge *e = push(c, (void **)&g->edges, &g->nedges, sizeof *e);
    if (!e)
        return;
    e->line = line_of(v);
    e->from = e->to = -1;
    e->queue_size = 16;
    const char *s = scalar(v);
    char what[300];
    if (s) {
        const char *arrow = strstr(s, "->");
        snprintf(what, sizeof what, "edge '%s'", s);
        if (!arrow || strstr(arrow + 2, "->")) {
            ezc_graph_error_add(g, e->line,
                                "%s: expected \"from -> to\" or \"from.port -> to.port\"", what);
            return;
        }
        char from[256];
        snprintf(from, sizeof from, "%.*s", (int)(arrow - s), s);
        edge_set(c, e, from, arrow + 2, what);
        return;
    }
    if (v->type != YAML_MAPPING_NODE) {
        ezc_graph_error_add(g, e->line,
                            "edge: expected \"a -> b\" or a map {from, to, queue}, got %s",
                            shape_name(v));
        return;
    }
    edge_map m = {e, NULL, NULL, 0, 0};
    each_pair(c, v, "edge", edge_key, &m);
    if (!m.from || !m.to) {
        ezc_graph_error_add(g, e->line, "edge: needs both from and to");
        return;
    }
    snprintf(what, sizeof what, "edge '%s -> %s'", m.from, m.to);
    edge_set(c, e, m.from, m.to, what);
}

/* ---- inputs / outputs ---- */

int ezc_graph_endpoint_check(const char *ep, const char **why)
{
    if (!strncmp(ep, "tcp://", 6)) {
        const char *hp = ep + 6, *colon = strrchr(hp, ':');
        size_t digits = colon ? strspn(colon + 1, "0123456789") : 0;
        int star = colon && !strcmp(colon + 1, "*");
        if (!colon || colon == hp || (!star && (!digits || colon[1 + digits]))) {
            *why = "a tcp:// endpoint is tcp://HOST:PORT (HOST may be *)";
            return -1;
        }
        return 0;
    }
    if ((!strncmp(ep, "ipc://", 6) && ep[6]) || (!strncmp(ep, "inproc://", 9) && ep[9]))
        return 0;
    *why = !strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9)
               ? "the endpoint names no path"
               : "expected tcp://, ipc:// or inproc:// endpoint";
    return -1;
}

typedef struct io_ctx {
    ezc_graph_io *io;
    int is_input;
    const char *node;
} io_ctx;

static void io_key(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    io_ctx *x = u;
    char what[160];
    snprintf(what, sizeof what, "%s '%s': %s", x->is_input ? "input" : "output", x->io->name, key);
    if (!strcmp(key, "node")) {
        x->node = scalar(v);
        if (!x->node)
            ezc_graph_error_add(c->g, line_of(v), "%s: expected a node name, got %s", what,
                                shape_name(v));
    } else if (!strcmp(key, "endpoint")) {
        x->io->endpoint = want_scalar(c, v, what);
        const char *why = NULL;
        if (x->io->endpoint && ezc_graph_endpoint_check(x->io->endpoint, &why))
            ezc_graph_error_add(c->g, line_of(v), "%s: '%s': %s", what, x->io->endpoint, why);
    } else if (!strcmp(key, "topic")) {
        x->io->topic = want_scalar(c, v, what);
    } else if (x->is_input && !strcmp(key, "port")) {
        x->io->port = want_scalar(c, v, what);
    } else if (!x->is_input && !strcmp(key, "queue")) {
        const char *s = scalar(v);
        if (!s || parse_queue(s, &x->io->queue) ||
            (x->io->queue != EZC_QUEUE_BLOCK && x->io->queue != EZC_QUEUE_DROP_NEWEST))
            ezc_graph_error_add(c->g, line_of(v), "%s: '%s': expected block or drop_newest", what,
                                s ? s : shape_name(v));
    } else {
        ezc_graph_error_add(c->g, line_of(k), "%s '%s': unknown key '%s' (expected %s)",
                            x->is_input ? "input" : "output", x->io->name, key,
                            x->is_input ? "node, port, endpoint, topic"
                                        : "node, endpoint, topic, queue");
    }
}

static void io_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    int is_input = *(int *)u;
    ezc_graph *g = c->g;
    ezc_graph_io *io = is_input ? push(c, (void **)&g->inputs, &g->ninputs, sizeof *io)
                                : push(c, (void **)&g->outputs, &g->noutputs, sizeof *io);
    if (!io)
        return;
    io->name = dup_str(c, key);
    io->line = line_of(k);
    io->node = -1;
    const char *kind = is_input ? "input" : "output";
    if (v->type != YAML_MAPPING_NODE) {
        ezc_graph_error_add(g, line_of(v), "%s '%s': expected a map {node, endpoint%s}, got %s",
                            kind, key, is_input ? ", port, topic" : ", topic, queue",
                            shape_name(v));
        return;
    }
    io_ctx x = {io, is_input, NULL};
    each_pair(c, v, kind, io_key, &x);
    if (!x.node || !io->endpoint) {
        ezc_graph_error_add(g, io->line, "%s '%s': needs node and endpoint", kind, key);
        return;
    }
    char what[160];
    snprintf(what, sizeof what, "%s '%s'", kind, key);
    char *port = NULL;
    endpoint_ref(c, x.node, io->line, what, &io->node, &port);
    if (port) { /* node.port is accepted for inputs as a short form */
        if (is_input && !io->port)
            io->port = port;
        else {
            ezc_graph_error_add(g, io->line, "%s: node '%s': an output has no port to name", what,
                                x.node);
            free(port);
        }
    }
}

/* ---- plugins, hosts ---- */

static void add_plugin(parse_ctx *c, yaml_node_t *v)
{
    const char *s = scalar(v);
    if (!s || !*s) {
        ezc_graph_error_add(c->g, line_of(v), "plugins: expected a path, got %s",
                            s ? "an empty value" : shape_name(v));
        return;
    }
    ezc_graph_plugin *p = push(c, (void **)&c->g->plugins, &c->g->nplugins, sizeof *p);
    if (!p)
        return;
    p->line = line_of(v);
    if (s[0] == '/') {
        p->path = dup_str(c, s);
    } else {
        size_t n = strlen(c->g->dir) + strlen(s) + 2;
        if ((p->path = malloc(n)))
            snprintf(p->path, n, "%s/%s", c->g->dir, s);
        else
            c->oom = 1;
    }
}

static void host_groups(parse_ctx *c, ezc_graph_host *h, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        ezc_graph_error_add(c->g, line_of(v),
                            "host '%s': groups: expected a list of process "
                            "group names, got %s",
                            h->name, shape_name(v));
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const char *gname = scalar(node_at(c, *it));
        if (!gname || !*gname) {
            ezc_graph_error_add(c->g, line_of(node_at(c, *it)),
                                "host '%s': groups: expected a group name", h->name);
            continue;
        }
        char **ng = realloc(h->groups, (h->ngroups + 1) * sizeof *ng);
        if (!ng) {
            c->oom = 1;
            return;
        }
        h->groups = ng;
        h->groups[h->ngroups++] = dup_str(c, gname);
    }
}

static void host_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    (void)u;
    ezc_graph_host *h = push(c, (void **)&c->g->hosts, &c->g->nhosts, sizeof *h);
    if (!h)
        return;
    h->name = dup_str(c, key);
    h->line = line_of(k);
    h->port = EZC_GRAPH_HOST_PORT;
    if (scalar(v)) {
        h->address = dup_str(c, scalar(v));
        return;
    }
    if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            const char *hk = scalar(node_at(c, p->key));
            yaml_node_t *hv = node_at(c, p->value);
            if (hk && !strcmp(hk, "address") && scalar(hv)) {
                h->address = dup_str(c, scalar(hv));
            } else if (hk && !strcmp(hk, "groups")) {
                host_groups(c, h, hv);
            } else if (hk && !strcmp(hk, "port")) {
                char *end = NULL;
                long port = scalar(hv) ? strtol(scalar(hv), &end, 10) : -1;
                if (!end || *end || port < 1 || port > 65535)
                    ezc_graph_error_add(c->g, line_of(hv),
                                        "host '%s': port '%s': expected an "
                                        "integer in [1, 65535]",
                                        key, scalar(hv) ? scalar(hv) : "?");
                else
                    h->port = (int)port;
            } else {
                ezc_graph_error_add(c->g, line_of(node_at(c, p->key)),
                                    "host '%s': unknown key '%s' (expected address, groups, port)",
                                    key, hk ? hk : "?");
            }
        }
        if (!h->address)
            ezc_graph_error_add(c->g, h->line, "host '%s': no address", key);
        return;
    }
    ezc_graph_error_add(c->g, line_of(v),
                        "host '%s': expected an address or {address: A, "
                        "groups: [...], port: P}",
                        key);
}

/* Once any host lists groups, every process group runs on exactly one
 * host (hosts without groups are only names for addresses). */
static void check_hosts(ezc_graph *g)
{
    size_t listed = 0;
    for (size_t i = 0; i < g->nhosts; i++)
        listed += g->hosts[i].ngroups;
    if (!listed)
        return;
    for (size_t i = 0; i < g->nhosts; i++)
        for (size_t k = 0; k < g->hosts[i].ngroups; k++) {
            const char *gr = g->hosts[i].groups[k];
            size_t n = 0;
            while (n < g->nnodes && strcmp(ezc_graph_node_group(&g->nodes[n]), gr))
                n++;
            if (n == g->nnodes)
                ezc_graph_error_add(g, g->hosts[i].line,
                                    "host '%s': no node is in process "
                                    "group '%s'",
                                    g->hosts[i].name, gr);
            for (size_t j = 0; j < i; j++)
                for (size_t m = 0; m < g->hosts[j].ngroups; m++)
                    if (!strcmp(g->hosts[j].groups[m], gr))
                        ezc_graph_error_add(g, g->hosts[i].line,
                                            "host '%s': group '%s' is "
                                            "already on host '%s'",
                                            g->hosts[i].name, gr, g->hosts[j].name);
        }
    for (size_t n = 0; n < g->nnodes; n++) {
        const char *gr = ezc_graph_node_group(&g->nodes[n]);
        size_t first = 0;
        while (first < n && strcmp(ezc_graph_node_group(&g->nodes[first]), gr))
            first++;
        if (first == n && !ezc_graph_group_host(g, gr))
            ezc_graph_error_add(g, g->nodes[n].line,
                                "node '%s': process group '%s' is on no "
                                "host (hosts: list each group under one host's groups)",
                                g->nodes[n].name, gr);
    }
}

const ezc_graph_host *ezc_graph_group_host(const ezc_graph *g, const char *group)
{
    for (size_t i = 0; i < g->nhosts; i++)
        for (size_t k = 0; k < g->hosts[i].ngroups; k++)
            if (!strcmp(g->hosts[i].groups[k], group))
                return &g->hosts[i];
    return NULL;
}

/* ---- top level ---- */

/* Node names sorted once, so that every edge's lookup is a binary search:
 * a 1 MiB file of 24,000 nodes and edges spent seconds in linear scans. */
static void index_names(parse_ctx *c)
{
    ezc_graph *g = c->g;
    for (size_t i = 0; i < g->nnodes; i++)
        if (!g->nodes[i].name)
            return; /* out of memory while parsing: lookups stay linear */
    key_ref *refs = malloc((g->nnodes + 1) * sizeof *refs);
    if (!refs || !(g->by_name = malloc((g->nnodes + 1) * sizeof *g->by_name))) {
        free(refs);
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < g->nnodes; i++)
        refs[i] = (key_ref){g->nodes[i].name, i};
    qsort(refs, g->nnodes, sizeof *refs, by_key);
    for (size_t i = 0; i < g->nnodes; i++)
        g->by_name[i] = refs[i].index;
    free(refs);
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"true", "True", "TRUE", "yes", "on"};
    static const char *no[] = {"false", "False", "FALSE", "no", "off"};
    for (int i = 0; i < 5; i++) {
        if (!strcmp(s, yes[i]))
            return *out = 1, 0;
        if (!strcmp(s, no[i]))
            return *out = 0, 0;
    }
    return -1;
}

/* A path of the file, resolved against its folder. */
static char *file_path(parse_ctx *c, const char *s)
{
    if (s[0] == '/')
        return dup_str(c, s);
    size_t n = strlen(c->g->dir) + strlen(s) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", c->g->dir, s);
    else
        c->oom = 1;
    return p;
}

/* security: {server_key, allow, client_key, server_pub, stall_timeout_ms} */
static void security_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    (void)u;
    ezc_graph_security *sec = &c->g->security;
    const char *s = scalar(v);
    char **slot = !strcmp(key, "server_key")   ? &sec->server_key
                  : !strcmp(key, "allow")      ? &sec->allow
                  : !strcmp(key, "client_key") ? &sec->client_key
                  : !strcmp(key, "server_pub") ? &sec->server_pub
                                               : NULL;
    if (!slot && strcmp(key, "stall_timeout_ms")) {
        ezc_graph_error_add(c->g, line_of(k),
                            "security: unknown key '%s' (expected server_key, allow, "
                            "client_key, server_pub, stall_timeout_ms)",
                            key);
        return;
    }
    if (!s || !*s) {
        ezc_graph_error_add(c->g, line_of(v), "security: %s: expected %s, got %s", key,
                            slot ? "a file or folder path" : "a number of milliseconds",
                            s ? "an empty value" : shape_name(v));
        return;
    }
    if (slot) {
        free(*slot);
        *slot = file_path(c, s);
        return;
    }
    char *end = NULL;
    long ms = strtol(s, &end, 10);
    if (!end || *end || ms < 0 || ms > 3600000) {
        ezc_graph_error_add(c->g, line_of(v),
                            "security: stall_timeout_ms '%s': expected an integer in [0, "
                            "3600000] (0 = wait for every subscriber)",
                            s);
        return;
    }
    sec->stall_timeout_ms = (int)ms;
    sec->stall_set = 1;
}

/* The pairs go together; the graph's subscribers expect keygen's pair. */
static void security_check(parse_ctx *c)
{
    ezc_graph_security *sec = &c->g->security;
    if (!sec->server_key != !sec->allow)
        ezc_graph_error_add(c->g, sec->line,
                            "security: server_key and allow go together (the graph's tcp:// "
                            "publishers need both)");
    if (sec->server_key && !sec->server_pub) {
        size_t n = strlen(sec->server_key);
        if (n > 4 && !strcmp(sec->server_key + n - 4, ".key")) {
            if ((sec->server_pub = dup_str(c, sec->server_key)))
                memcpy(sec->server_pub + n - 4, ".pub", 4);
        }
    }
    if (sec->client_key && !sec->server_pub)
        ezc_graph_error_add(c->g, sec->line,
                            "security: client_key needs server_pub (the public key of the "
                            "publishers the graph connects to)");
}

/* runtime: {fuse: true|false, shm: true|false} — how `ezc run` runs the graph. */
static void runtime_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    (void)u;
    int *flag = !strcmp(key, "fuse") ? &c->g->fuse : !strcmp(key, "shm") ? &c->g->shm : NULL;
    if (!flag) {
        ezc_graph_error_add(c->g, line_of(k), "runtime: unknown key '%s' (expected fuse, shm)",
                            key);
        return;
    }
    const char *s = scalar(v);
    if (!s || parse_bool(s, flag))
        ezc_graph_error_add(c->g, line_of(v), "runtime: %s = '%s': expected true or false", key,
                            s ? s : shape_name(v));
}

/* name: the graph's own name (ezc top, set, stop; its outputs GRAPH/NODE),
 * held to the rules of a control socket's name. */
static void graph_name(parse_ctx *c, yaml_node_t *v)
{
    ezc_error err;
    char *s = want_scalar(c, v, "name");
    if (s && ezc_control_name_check(s, &err)) {
        ezc_graph_error_add(c->g, line_of(v), "name: %s", err.msg);
        free(s);
        s = NULL;
    }
    free(c->g->name); /* a repeated key is reported; the last one counts */
    c->g->name = s;
    c->g->name_line = line_of(v);
}

static void top_pair(parse_ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *u)
{
    (void)u;
    ezc_graph *g = c->g;
    int want_map = !strcmp(key, "inputs") || !strcmp(key, "outputs") || !strcmp(key, "hosts") ||
                   !strcmp(key, "runtime") || !strcmp(key, "security");
    int want_seq = !strcmp(key, "edges") || !strcmp(key, "plugins");
    if (!strcmp(key, "nodes") || !strcmp(key, "description"))
        return; /* nodes were read first; a description is free text */
    if (!strcmp(key, "name")) {
        graph_name(c, v);
        return;
    }
    if (!want_map && !want_seq) {
        ezc_graph_error_add(g, line_of(k),
                            "unknown top-level key '%s' (expected nodes, edges, plugins, inputs, "
                            "outputs, hosts, runtime, security, description, name)",
                            key);
        return;
    }
    if (is_null(v))
        return;
    if (want_seq && v->type != YAML_SEQUENCE_NODE) {
        ezc_graph_error_add(g, line_of(v), "%s: expected a list (- item per line), got %s", key,
                            shape_name(v));
        return;
    }
    if (want_map && v->type != YAML_MAPPING_NODE) {
        ezc_graph_error_add(g, line_of(v), "%s: expected a map of name: {...}, got %s", key,
                            shape_name(v));
        return;
    }
    if (want_seq) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++)
            (key[0] == 'e' ? parse_edge : add_plugin)(c, node_at(c, *it));
        return;
    }
    if (!strcmp(key, "hosts")) {
        each_pair(c, v, "hosts", host_pair, NULL);
        return;
    }
    if (!strcmp(key, "runtime")) {
        each_pair(c, v, "runtime", runtime_pair, NULL);
        return;
    }
    if (!strcmp(key, "security")) {
        g->security.present = 1;
        g->security.line = line_of(k);
        each_pair(c, v, "security", security_pair, NULL);
        security_check(c);
        return;
    }
    int is_input = !strcmp(key, "inputs");
    each_pair(c, v, key, io_pair, &is_input);
}

static void parse_root(parse_ctx *c, yaml_node_t *root)
{
    ezc_graph *g = c->g;
    if (!root || is_null(root)) {
        ezc_graph_error_add(g, 1, "empty file: expected a map with nodes: and edges:");
        return;
    }
    if (root->type != YAML_MAPPING_NODE) {
        ezc_graph_error_add(g, line_of(root), "expected a map with nodes: and edges:, got %s",
                            shape_name(root));
        return;
    }
    /* Nodes first, so that edges may come before them in the file. */
    yaml_node_t *nodes = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *k = scalar(node_at(c, p->key));
        if (k && !strcmp(k, "nodes") && !nodes)
            nodes = node_at(c, p->value);
    }
    if (!nodes)
        ezc_graph_error_add(g, 1, "no nodes: (expected a map of name: {type: ...})");
    else if (nodes->type == YAML_MAPPING_NODE)
        each_pair(c, nodes, "nodes", nodes_pair, NULL);
    else if (!is_null(nodes))
        ezc_graph_error_add(g, line_of(nodes), "nodes: expected a map of name: {type: ...}, got %s",
                            shape_name(nodes));
    index_names(c);
    each_pair(c, root, "top level", top_pair, NULL);
    check_hosts(g);
}

/* libyaml's scanner takes time quadratic in the nesting depth (10,000
 * levels of [[[...: 0.6 s, 100,000: more than 30 s), and a graph needs a
 * handful. This pass reads events only up to the first one past the limit,
 * so a deep file costs little; 1 when the depth is fine (or the syntax is
 * bad: the loader reports that), 0 after recording the error. */
static int depth_ok(ezc_graph *g, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return 1;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int depth = 0, ok = 1;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev))
            break;
        yaml_event_type_t t = ev.type;
        int line = (int)ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > EZC_GRAPH_MAX_DEPTH) {
                ezc_graph_error_add(g, line,
                                    "nested more than %d levels deep (lists and maps "
                                    "within each other); a graph file needs a few",
                                    EZC_GRAPH_MAX_DEPTH);
                ok = 0;
                break;
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (t == YAML_STREAM_END_EVENT) {
            break;
        }
    }
    yaml_parser_delete(&p);
    return ok;
}

ezc_graph *ezc_graph_parse(const char *text, size_t len, const char *name, const char *dir,
                           ezc_error *err)
{
    ezc_graph *g = calloc(1, sizeof *g);
    parse_ctx c = {g, NULL, 0, 0, 0};
    if (g)
        g->fuse = g->shm = 1;
    if (!g || !(g->file = strdup(name ? name : "<graph>")) || !(g->dir = strdup(dir ? dir : "."))) {
        ezc_graph_destroy(&g);
        ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
        return NULL;
    }
    if (len > EZC_GRAPH_MAX_BYTES) {
        ezc_graph_error_add(g, 0, "larger than %d bytes: a graph file is at most 1 MiB",
                            EZC_GRAPH_MAX_BYTES);
        return g;
    }
    if (!depth_ok(g, text, len))
        return g;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        ezc_graph_destroy(&g);
        ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        ezc_graph_error_add(g, (int)parser.problem_mark.line + 1, "YAML syntax: %s%s%s",
                            parser.problem ? parser.problem : "unreadable",
                            parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return g;
    }
    c.doc = &doc;
    c.budget = (size_t)(doc.nodes.top - doc.nodes.start) + EZC_GRAPH_ALIAS_SLACK;
    parse_root(&c, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    /* A second document would be silently ignored: say so. */
    if (yaml_parser_load(&parser, &doc)) {
        if (yaml_document_get_root_node(&doc))
            ezc_graph_error_add(g, 0, "more than one YAML document; only the first is read");
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (c.oom) {
        ezc_graph_destroy(&g);
        ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
    }
    return g;
}

ezc_graph *ezc_graph_load(const char *path, ezc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ezc_error_set(err, EZC_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        /* One byte past the limit is enough for the parser to refuse it. */
        if (cap > EZC_GRAPH_MAX_BYTES)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        ezc_error_set(err, bad ? EZC_EIO : EZC_ENOMEM, "%s: cannot read (%s)", path,
                      bad ? "I/O error" : "too large or out of memory");
        return NULL;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    ezc_graph *g = ezc_graph_parse(buf, n, path, slash ? dir : ".", err);
    free(buf);
    return g;
}

static void io_free(ezc_graph_io *io, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(io[i].name);
        free(io[i].port);
        free(io[i].endpoint);
        free(io[i].topic);
    }
    free(io);
}

void ezc_graph_destroy(ezc_graph **gp)
{
    if (!gp || !*gp)
        return;
    ezc_graph *g = *gp;
    for (size_t i = 0; i < g->nnodes; i++) {
        ezc_graph_node *n = &g->nodes[i];
        for (size_t j = 0; j < n->nsettings; j++) {
            free(n->settings[j].name);
            free(n->settings[j].text);
            for (size_t k = 0; k < n->settings[j].nitems; k++)
                free(n->settings[j].items[k]);
            free(n->settings[j].items);
        }
        free(n->settings);
        free(n->name);
        free(n->type);
        free(n->device);
        free(n->process);
    }
    free(g->nodes);
    for (size_t i = 0; i < g->nedges; i++) {
        free(g->edges[i].from_port);
        free(g->edges[i].to_port);
    }
    free(g->edges);
    for (size_t i = 0; i < g->nplugins; i++)
        free(g->plugins[i].path);
    free(g->plugins);
    io_free(g->inputs, g->ninputs);
    io_free(g->outputs, g->noutputs);
    for (size_t i = 0; i < g->nhosts; i++) {
        free(g->hosts[i].name);
        free(g->hosts[i].address);
        for (size_t k = 0; k < g->hosts[i].ngroups; k++)
            free(g->hosts[i].groups[k]);
        free(g->hosts[i].groups);
    }
    free(g->hosts);
    free(g->security.server_key);
    free(g->security.allow);
    free(g->security.client_key);
    free(g->security.server_pub);
    free(g->errors);
    free(g->by_name);
    free(g->name);
    free(g->file);
    free(g->dir);
    free(g);
    *gp = NULL;
}

int ezc_graph_node_index(const ezc_graph *g, const char *name)
{
    if (g->by_name) {
        size_t lo = 0, hi = g->nnodes;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int d = strcmp(g->nodes[g->by_name[mid]].name, name);
            if (!d)
                return (int)g->by_name[mid];
            if (d < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return -1;
    }
    for (size_t i = 0; i < g->nnodes; i++)
        if (g->nodes[i].name && !strcmp(g->nodes[i].name, name))
            return (int)i;
    return -1;
}

void ezc_graph_name(const ezc_graph *g, char *buf, size_t cap)
{
    if (g->name && cap)
        snprintf(buf, cap, "%s", g->name);
    else
        ezc_control_name_from(g->file ? g->file : "graph", buf, cap);
}

int ezc_graph_node_setting_put(ezc_graph *g, size_t node, const char *name, const char *text,
                               ezc_error *err)
{
    if (node >= g->nnodes)
        return ezc_error_set(err, EZC_EINVAL, "%s: no node %zu", g->file, node);
    ezc_graph_node *n = &g->nodes[node];
    ezc_graph_setting *gs = NULL;
    for (size_t i = 0; i < n->nsettings && !gs; i++)
        if (!strcmp(n->settings[i].name, name))
            gs = &n->settings[i];
    char *t = strdup(text), *nm = gs ? NULL : strdup(name);
    ezc_graph_setting *ns = gs ? NULL : realloc(n->settings, (n->nsettings + 1) * sizeof *ns);
    if (!t || (!gs && (!nm || !ns))) {
        if (ns)
            n->settings = ns; /* grown, not yet used */
        free(t);
        free(nm);
        return ezc_error_set(err, EZC_ENOMEM, "graph: out of memory");
    }
    if (!gs) {
        n->settings = ns;
        gs = &ns[n->nsettings++];
        memset(gs, 0, sizeof *gs);
        gs->name = nm;
        gs->line = n->settings_line ? n->settings_line : n->line;
    }
    free(gs->text);
    for (size_t k = 0; k < gs->nitems; k++)
        free(gs->items[k]);
    free(gs->items);
    gs->items = NULL;
    gs->nitems = 0;
    gs->text = t;
    return 0;
}

const char *ezc_graph_node_group(const ezc_graph_node *n)
{
    return n->process ? n->process : "main";
}

ezc_settings *ezc_graph_node_settings(const ezc_graph *g, const ezc_graph_node *n, ezc_error *err)
{
    ezc_settings *s = ezc_settings_new(err);
    for (size_t i = 0; s && i < n->nsettings; i++) {
        const ezc_graph_setting *gs = &n->settings[i];
        char where[300], joined[4096];
        snprintf(where, sizeof where, "%s:%d", g->file, gs->line);
        const char *text = gs->text;
        /* a learner's model file belongs with the graph: relative to its folder */
        if (text && *text && *text != '/' && strcmp(g->dir, ".") &&
            (!strcmp(gs->name, "model") || !strcmp(gs->name, "save"))) {
            snprintf(joined, sizeof joined, "%s/%s", g->dir, text);
            text = joined;
        }
        int rc = text ? ezc_settings_set(s, gs->name, text, where, err)
                      : ezc_settings_set_list(s, gs->name, (const char *const *)gs->items,
                                              gs->nitems, where, err);
        if (rc)
            ezc_settings_destroy(&s);
    }
    return s;
}

const ezc_setting_spec *ezc_graph_node_schema(const ezc_graph_node *n)
{
    if (n->ttype)
        return n->ttype->settings;
    return n->kind ? n->kind->settings : NULL;
}

/* ---- queries the runtime, the launcher and `ezc graph` share ---- */

ezc_restart ezc_graph_group_restart(const ezc_graph *g, const char *group)
{
    ezc_restart r = EZC_RESTART_NEVER;
    for (size_t i = 0; i < g->nnodes; i++)
        if (!strcmp(ezc_graph_node_group(&g->nodes[i]), group) && g->nodes[i].restart > r)
            r = g->nodes[i].restart;
    return r;
}

size_t ezc_graph_groups(const ezc_graph *g, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nnodes; i++) {
        const char *gr = ezc_graph_node_group(&g->nodes[i]);
        size_t k = 0;
        while (k < n && strcmp(out[k], gr))
            k++;
        if (k == n)
            out[n++] = gr;
    }
    return n;
}

int ezc_graph_edge_fused(const ezc_graph *g, size_t i)
{
    if (!g->fuse || i >= g->nedges)
        return 0;
    const ezc_graph_edge *e = &g->edges[i];
    if (e->queue != EZC_QUEUE_BLOCK || e->from < 0 || e->to < 0 ||
        strcmp(ezc_graph_node_group(&g->nodes[e->from]), ezc_graph_node_group(&g->nodes[e->to])))
        return 0;
    size_t outs = 0, ins = 0;
    for (size_t k = 0; k < g->nedges; k++) {
        outs += g->edges[k].from == e->from;
        ins += g->edges[k].to == e->to;
    }
    for (size_t k = 0; k < g->noutputs; k++)
        outs += g->outputs[k].node == e->from;
    for (size_t k = 0; k < g->ninputs; k++)
        ins += g->inputs[k].node == e->to;
    return outs == 1 && ins == 1;
}
