/* graph_check.c — the checks of a parsed graph that need the registry:
 * plugins, node types, settings, ports, inputs/outputs, and cycles.
 *
 * Settings are validated one at a time against the schema (with required
 * flags and defaults masked), so that every bad setting is reported, not
 * only the first; then the whole set is instantiated once, so that checks
 * made by a type's init (clip: min > max) are reported too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "graph_internal.h"
#include "node_kind.h"

static const char *type_label(const ezc_graph_node *n)
{
    return n->type ? n->type : "?";
}

/* "sine, noise, ..." for the built-in kinds of one role. */
static void kind_names(ezc_role role, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const ezc_node_kind *const *k = ezc_node_kinds(); *k && used < cap; k++)
        if ((*k)->role == role)
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", (*k)->name);
}

static void check_type(ezc_graph *g, ezc_graph_node *n, ezc_registry *reg, unsigned flags)
{
    if (!n->type)
        return;
    ezc_error err;
    if ((n->kind = ezc_node_kind_find(n->type))) {
        n->role = n->kind->role;
        return;
    }
    if ((n->ttype = ezc_registry_find(reg, n->type, &err))) {
        n->role = EZC_ROLE_TRANSFORMER;
        return;
    }
    if ((flags & EZC_GRAPH_CHECK_NO_PLUGINS) && g->nplugins) {
        n->unchecked = 1; /* may come from a plugin that was not loaded */
        return;
    }
    char sources[200], sinks[200];
    kind_names(EZC_ROLE_SOURCE, sources, sizeof sources);
    kind_names(EZC_ROLE_SINK, sinks, sizeof sinks);
    ezc_graph_error_add(g, n->type_line, "node '%s': %s; sources: %s; sinks: %s", n->name, err.msg,
                        sources, sinks);
}

/* One setting against the schema, with nothing required and no defaults. */
static int check_one_setting(ezc_graph *g, const ezc_graph_node *n, const ezc_graph_setting *gs,
                             const ezc_setting_spec *masked)
{
    ezc_error err;
    ezc_settings *s = ezc_settings_new(&err);
    if (!s)
        return -1;
    int rc = gs->text ? ezc_settings_set(s, gs->name, gs->text, NULL, &err)
                      : ezc_settings_set_list(s, gs->name, (const char *const *)gs->items,
                                              gs->nitems, NULL, &err);
    if (!rc)
        rc = ezc_settings_validate(s, masked, n->type, &err);
    ezc_settings_destroy(&s);
    if (rc) {
        const ezc_setting_spec *spec = NULL;
        for (const ezc_setting_spec *p = masked; p && p->name; p++)
            if (!strcmp(p->name, gs->name))
                spec = p;
        /* The library names the expected type of a mistyped value; an
         * unknown name gets the schema's names (and `ezc list TYPE`). */
        if (spec)
            ezc_graph_error_add(g, gs->line, "node '%s': %s", n->name, err.msg);
        else
            ezc_graph_error_add(g, gs->line, "node '%s': %s; `ezc list %s` shows them", n->name,
                                err.msg, n->type);
    }
    return rc;
}

/* Settings that are endpoints (`endpoint`, `*_endpoint`) must be ones the
 * runtime can bind or connect. */
static int check_endpoints(ezc_graph *g, const ezc_graph_node *n)
{
    int bad = 0;
    for (size_t i = 0; i < n->nsettings; i++) {
        const ezc_graph_setting *gs = &n->settings[i];
        size_t len = strlen(gs->name);
        if (!gs->text ||
            (strcmp(gs->name, "endpoint") && (len < 9 || strcmp(gs->name + len - 9, "_endpoint"))))
            continue;
        const char *why = NULL;
        if (ezc_graph_endpoint_check(gs->text, &why)) {
            ezc_graph_error_add(g, gs->line, "node '%s': %s: setting '%s' = '%s': %s", n->name,
                                n->type, gs->name, gs->text, why);
            bad = 1;
        }
    }
    return bad;
}

static void check_settings(ezc_graph *g, ezc_graph_node *n, unsigned char *ok)
{
    const ezc_setting_spec *schema = ezc_graph_node_schema(n);
    size_t ns = 0;
    while (schema && schema[ns].name)
        ns++;
    ezc_setting_spec *masked = calloc(ns + 1, sizeof *masked);
    if (!masked)
        return;
    for (size_t i = 0; i < ns; i++) {
        masked[i] = schema[i];
        masked[i].required = 0;
        masked[i].def = NULL;
    }
    int bad = 0;
    for (size_t i = 0; i < n->nsettings; i++)
        bad |= check_one_setting(g, n, &n->settings[i], masked) != 0;
    free(masked);
    bad |= check_endpoints(g, n);
    for (size_t i = 0; i < ns; i++) {
        if (!schema[i].required)
            continue;
        int given = 0;
        for (size_t j = 0; j < n->nsettings && !given; j++)
            given = !strcmp(n->settings[j].name, schema[i].name);
        if (!given) {
            ezc_graph_error_add(g, n->settings_line ? n->settings_line : n->line,
                                "node '%s': %s: setting '%s' (%s) is required: %s", n->name,
                                n->type, schema[i].name, ezc_setting_type_name(schema[i].type),
                                schema[i].doc ? schema[i].doc : "");
            bad = 1;
        }
    }
    if (bad)
        return;
    /* Instantiate once: what init refuses is a configuration error too. A
     * missing device is not (the file may be checked away from the GPU). */
    ezc_error err;
    ezc_settings *s = ezc_graph_node_settings(g, n, &err);
    if (!s)
        return;
    int line = n->settings_line ? n->settings_line : n->line;
    size_t before = g->nerrors;
    if (n->ttype) {
        ezc_transformer *t = ezc_transformer_new(n->ttype, s, &err);
        if (!t && err.code != EZC_EDEVICE)
            ezc_graph_error_add(g, line, "node '%s': %s", n->name, err.msg);
        ezc_transformer_destroy(&t);
    } else if (ezc_settings_validate(s, schema, n->type, &err)) {
        ezc_graph_error_add(g, line, "node '%s': %s", n->name, err.msg);
    } else if (n->kind && n->kind->ops && n->kind->ops->check) {
        n->kind->ops->check(g, n, s); /* what the kind's schema cannot say */
    }
    ezc_settings_destroy(&s);
    *ok = g->nerrors == before;
}

static void port_names(const ezc_graph_node *n, char *buf, size_t cap)
{
    if (!n->ttype || !n->ttype->inputs) {
        snprintf(buf, cap, "in");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; n->ttype->inputs[i].name && used + 8 < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                                 n->ttype->inputs[i].name);
}

/* The index of input port `port` (NULL = the first) of node n, or -1 after
 * recording why. */
static int input_port(ezc_graph *g, const ezc_graph_node *n, const char *port, int line,
                      const char *what)
{
    if (n->role == EZC_ROLE_UNKNOWN)
        return -1;
    if (n->role == EZC_ROLE_SOURCE) {
        ezc_graph_error_add(g, line, "%s: node '%s' (%s) is a source: it has no input", what,
                            n->name, type_label(n));
        return -1;
    }
    if (!port)
        return 0;
    int i =
        n->ttype ? ezc_transformer_type_port_index(n->ttype, port) : (!strcmp(port, "in") ? 0 : -1);
    if (i < 0 && n->ttype && !strcmp(port, EZC_GRAPH_SETTINGS_PORT_NAME))
        return EZC_GRAPH_SETTINGS_PORT; /* in-band settings, every transformer's (graph.h) */
    if (i < 0) {
        char names[256];
        port_names(n, names, sizeof names);
        ezc_graph_error_add(g, line, "%s: node '%s' (%s) has no input port '%s' (ports: %s)", what,
                            n->name, type_label(n), port, names);
    }
    return i;
}

static int output_ok(ezc_graph *g, const ezc_graph_node *n, const char *port, int line,
                     const char *what)
{
    if (n->role == EZC_ROLE_SINK) {
        ezc_graph_error_add(g, line, "%s: node '%s' (%s) is a sink: it has no output", what,
                            n->name, type_label(n));
        return 0;
    }
    if (port && strcmp(port, "out")) {
        ezc_graph_error_add(g, line, "%s: node '%s' (%s) has no output port '%s' (ports: out)",
                            what, n->name, type_label(n), port);
        return 0;
    }
    return 1;
}

static void check_edges(ezc_graph *g)
{
    for (size_t i = 0; i < g->nedges; i++) {
        ezc_graph_edge *e = &g->edges[i];
        e->to_port_index = -1;
        if (e->from < 0 || e->to < 0)
            continue;
        char what[200];
        snprintf(what, sizeof what, "edge '%s -> %s'", g->nodes[e->from].name,
                 g->nodes[e->to].name);
        int ok = g->nodes[e->from].role == EZC_ROLE_UNKNOWN ||
                 output_ok(g, &g->nodes[e->from], e->from_port, e->line, what);
        e->to_port_index = input_port(g, &g->nodes[e->to], e->to_port, e->line, what);
        if (!ok)
            e->to_port_index = -1; /* a broken edge takes no part in the cycle search */
    }
    for (size_t i = 0; i < g->ninputs; i++) {
        ezc_graph_io *io = &g->inputs[i];
        char what[200];
        snprintf(what, sizeof what, "input '%s'", io->name);
        io->port_index =
            io->node < 0 ? -1 : input_port(g, &g->nodes[io->node], io->port, io->line, what);
    }
    for (size_t i = 0; i < g->noutputs; i++) {
        ezc_graph_io *io = &g->outputs[i];
        char what[200];
        snprintf(what, sizeof what, "output '%s'", io->name);
        if (io->node >= 0)
            output_ok(g, &g->nodes[io->node], NULL, io->line, what);
    }
    /* A node that needs input and gets none would wait forever. */
    char *fed = calloc(g->nnodes + 1, 1);
    if (!fed)
        return;
    for (size_t j = 0; j < g->nedges; j++)
        if (g->edges[j].to >= 0)
            fed[g->edges[j].to] = 1;
    for (size_t j = 0; j < g->ninputs; j++)
        if (g->inputs[j].node >= 0)
            fed[g->inputs[j].node] = 1;
    for (size_t i = 0; i < g->nnodes; i++) {
        const ezc_graph_node *n = &g->nodes[i];
        if (n->role != EZC_ROLE_TRANSFORMER && n->role != EZC_ROLE_SINK)
            continue;
        if (!fed[i])
            ezc_graph_error_add(g, n->line,
                                "node '%s' (%s): nothing feeds it (expected an edge "
                                "'x -> %s' or an input)",
                                n->name, n->type, n->name);
    }
    free(fed);
}

/* Depth-first search with an explicit stack (a 10,000-node chain must not
 * recurse 10,000 deep); a back edge closes a cycle, reported with its path. */
static void report_cycle(ezc_graph *g, const int *path, int depth, const ezc_graph_edge *e)
{
    char text[400];
    size_t used = 0;
    int k = depth - 1;
    while (k > 0 && path[k] != e->to)
        k--;
    for (; k < depth && used + 40 < sizeof text; k++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s -> ", g->nodes[path[k]].name);
    snprintf(text + used, sizeof text - used, "%s", g->nodes[e->to].name);
    ezc_graph_error_add(g, e->line,
                        "cycle: %s (a graph must not feed a node's output back "
                        "into it)",
                        text);
}

static void check_cycles(ezc_graph *g)
{
    size_t nn = g->nnodes;
    char *color = calloc(nn + 1, 1); /* 0 new, 1 on the path, 2 done */
    int *path = calloc(nn + 1, sizeof *path);
    size_t *cursor = calloc(nn + 1, sizeof *cursor); /* next out-edge per path entry */
    size_t *first = calloc(nn + 2, sizeof *first), *outs = calloc(g->nedges + 1, sizeof *outs);
    if (!color || !path || !cursor || !first || !outs)
        goto done;
    /* Out-edges grouped by node, in file order, so each edge is looked at once. */
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        if (e->from >= 0 && e->to >= 0 && e->to_port_index >= 0)
            first[e->from + 1]++;
    }
    for (size_t i = 0; i < nn; i++)
        first[i + 1] += first[i];
    memcpy(cursor, first, nn * sizeof *cursor);
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        if (e->from >= 0 && e->to >= 0 && e->to_port_index >= 0)
            outs[cursor[e->from]++] = i;
    }
    for (size_t root = 0; root < nn; root++) {
        if (color[root])
            continue;
        int depth = 0;
        path[depth] = (int)root;
        cursor[depth++] = first[root];
        color[root] = 1;
        while (depth > 0) {
            int u = path[depth - 1];
            if (cursor[depth - 1] == first[u + 1]) {
                color[u] = 2;
                depth--;
                continue;
            }
            const ezc_graph_edge *e = &g->edges[outs[cursor[depth - 1]++]];
            if (color[e->to] == 1) {
                report_cycle(g, path, depth, e);
            } else if (!color[e->to]) {
                color[e->to] = 1;
                path[depth] = e->to;
                cursor[depth++] = first[e->to];
            }
        }
    }
done:
    free(color);
    free(path);
    free(cursor);
    free(first);
    free(outs);
}

size_t ezc_graph_check_flags(ezc_graph *g, ezc_registry *reg, unsigned flags)
{
    if (g->checked)
        return g->nerrors;
    g->checked = 1;
    for (size_t i = 0; i < g->nplugins && !(flags & EZC_GRAPH_CHECK_NO_PLUGINS); i++) {
        ezc_error err;
        if (ezc_registry_load_plugin(reg, g->plugins[i].path, &err))
            ezc_graph_error_add(g, g->plugins[i].line, "%s", err.msg);
    }
    unsigned char *ok = calloc(g->nnodes + 1, 1); /* node i passed its own checks */
    for (size_t i = 0; i < g->nnodes; i++) {
        check_type(g, &g->nodes[i], reg, flags);
        if (g->nodes[i].role != EZC_ROLE_UNKNOWN)
            check_settings(g, &g->nodes[i], ok ? &ok[i] : &(unsigned char){0});
    }
    check_edges(g);
    check_cycles(g);
    if (ok)
        ezc_graph_static_check(g, ok);
    free(ok);
    return g->nerrors;
}

size_t ezc_graph_check(ezc_graph *g, ezc_registry *reg)
{
    return ezc_graph_check_flags(g, reg, 0);
}
