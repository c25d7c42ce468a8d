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

static const char *type_label(const ezc_graph_node *n)
{
    return n->type ? n->type : "?";
}

static void check_type(ezc_graph *g, ezc_graph_node *n, ezc_registry *reg)
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
    ezc_graph_error_add(g, n->type_line, "node '%s': %s; sources: sine, noise, counter; sinks: "
                        "publish, print", n->name, err.msg);
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

static void check_settings(ezc_graph *g, ezc_graph_node *n)
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
    if (n->ttype) {
        ezc_transformer *t = ezc_transformer_new(n->ttype, s, &err);
        if (!t && err.code != EZC_EDEVICE)
            ezc_graph_error_add(g, line, "node '%s': %s", n->name, err.msg);
        ezc_transformer_destroy(&t);
    } else if (ezc_settings_validate(s, schema, n->type, &err)) {
        ezc_graph_error_add(g, line, "node '%s': %s", n->name, err.msg);
    } else if (n->role == EZC_ROLE_SOURCE && n->kind && strcmp(n->kind->name, "subscribe")) {
        ezc_synth_options o;
        int realtime;
        int64_t count;
        ezc_synth *syn = NULL;
        if (ezc_graph_synth_options(n, s, &o, &realtime, &count, &err) ||
            !(syn = ezc_synth_new(&o, &err)))
            ezc_graph_error_add(g, line, "node '%s': %s", n->name, err.msg);
        ezc_synth_destroy(&syn);
    }
    ezc_settings_destroy(&s);
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
    int i = n->ttype ? ezc_transformer_type_port_index(n->ttype, port)
                     : (!strcmp(port, "in") ? 0 : -1);
    if (i < 0) {
        char names[256];
        port_names(n, names, sizeof names);
        ezc_graph_error_add(g, line, "%s: node '%s' (%s) has no input port '%s' (ports: %s)",
                            what, n->name, type_label(n), port, names);
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
        io->port_index = io->node < 0 ? -1
                                      : input_port(g, &g->nodes[io->node], io->port, io->line, what);
    }
    for (size_t i = 0; i < g->noutputs; i++) {
        ezc_graph_io *io = &g->outputs[i];
        char what[200];
        snprintf(what, sizeof what, "output '%s'", io->name);
        if (io->node >= 0)
            output_ok(g, &g->nodes[io->node], NULL, io->line, what);
    }
    /* A node that needs input and gets none would wait forever. */
    for (size_t i = 0; i < g->nnodes; i++) {
        const ezc_graph_node *n = &g->nodes[i];
        if (n->role != EZC_ROLE_TRANSFORMER && n->role != EZC_ROLE_SINK)
            continue;
        int fed = 0;
        for (size_t j = 0; j < g->nedges && !fed; j++)
            fed = g->edges[j].to == (int)i;
        for (size_t j = 0; j < g->ninputs && !fed; j++)
            fed = g->inputs[j].node == (int)i;
        if (!fed)
            ezc_graph_error_add(g, n->line, "node '%s' (%s): nothing feeds it (expected an edge "
                                "'x -> %s' or an input)", n->name, n->type, n->name);
    }
}

/* Depth-first search; a back edge closes a cycle, reported with its path. */
typedef struct dfs {
    ezc_graph *g;
    char *color; /* 0 new, 1 on the stack, 2 done */
    int *stack;  /* node path */
    int depth;
} dfs;

static void visit(dfs *d, int u)
{
    ezc_graph *g = d->g;
    d->color[u] = 1;
    d->stack[d->depth++] = u;
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        if (e->from != u || e->to < 0 || e->to_port_index < 0)
            continue;
        if (d->color[e->to] == 1) {
            char path[400];
            size_t used = 0;
            int k = d->depth - 1;
            while (k > 0 && d->stack[k] != e->to)
                k--;
            for (; k < d->depth && used + 40 < sizeof path; k++)
                used += (size_t)snprintf(path + used, sizeof path - used, "%s -> ",
                                         g->nodes[d->stack[k]].name);
            snprintf(path + used, sizeof path - used, "%s", g->nodes[e->to].name);
            ezc_graph_error_add(g, e->line, "cycle: %s (a graph must not feed a node's output "
                                "back into it)", path);
        } else if (!d->color[e->to]) {
            visit(d, e->to);
        }
    }
    d->depth--;
    d->color[u] = 2;
}

static void check_cycles(ezc_graph *g)
{
    dfs d = {g, calloc(g->nnodes + 1, 1), calloc(g->nnodes + 1, sizeof(int)), 0};
    for (size_t i = 0; d.color && d.stack && i < g->nnodes; i++)
        if (!d.color[i])
            visit(&d, (int)i);
    free(d.color);
    free(d.stack);
}

size_t ezc_graph_check(ezc_graph *g, ezc_registry *reg)
{
    if (g->checked)
        return g->nerrors;
    g->checked = 1;
    for (size_t i = 0; i < g->nplugins; i++) {
        ezc_error err;
        if (ezc_registry_load_plugin(reg, g->plugins[i].path, &err))
            ezc_graph_error_add(g, g->plugins[i].line, "%s", err.msg);
    }
    for (size_t i = 0; i < g->nnodes; i++) {
        check_type(g, &g->nodes[i], reg);
        if (g->nodes[i].role != EZC_ROLE_UNKNOWN)
            check_settings(g, &g->nodes[i]);
    }
    check_edges(g);
    check_cycles(g);
    return g->nerrors;
}
