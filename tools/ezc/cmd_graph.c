/* cmd_graph.c — `ezc graph`: a graph file drawn as Graphviz dot or Mermaid.
 * Each node shows its name, type and the settings that differ from the
 * type's defaults; process groups become clusters (subgraphs). A running
 * graph's name instead of a file draws it as it runs, from its control
 * socket: each node with its live figures, coloured when it drops or
 * fails. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli_graph.h"
#include <unistd.h>
#include "ezc/control.h"
#include "ezc/graph.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc graph FILE|GRAPH [--format dot|mermaid] [--plugin PATH]...\n"
               "Prints the graph of FILE: nodes labelled with their type and the settings\n"
               "that differ from the defaults, process groups as clusters, endpoints of\n"
               "inputs/outputs as ellipses; edges that `ezc run` fuses (their nodes run in\n"
               "one thread, no socket between) are bold (dot) or thick (mermaid ==>).\n"
               "The file must validate (see ezc validate --no-plugins): drawing loads no\n"
               "plugin the file names (loading one runs its code), so their nodes are\n"
               "drawn unchecked, with every setting shown.\n\n"
               "  --format F       dot (Graphviz, default) or mermaid\n"
               "  --plugin PATH    load transformer types from this plugin (repeatable;\n"
               "                   runs its code): their nodes are checked and drawn with\n"
               "                   only the settings that differ from the defaults\n\n"
               "GRAPH, the name of a running graph (`ezc top` lists them; not a file here),\n"
               "draws it as it runs: each node with its msg/s, MB/s, drops, errors, latency\n"
               "p50/p99 and CPU from its control socket, orange when it dropped messages,\n"
               "red when it failed or has errors, grey when it ended.\n\n"
               "examples:\n"
               "  ezc graph configs/demo_abs.yaml | dot -Tsvg > demo.svg\n"
               "  ezc graph demo_abs --format mermaid      (while `ezc run` runs it)\n"
               "  ezc graph configs/demo_abs.yaml --format mermaid\n");
}

/* Text safe inside a double-quoted dot or Mermaid string. */
static void put_escaped(FILE *f, const char *s, int mermaid)
{
    for (; *s; s++) {
        if (*s == '"')
            fputs(mermaid ? "#quot;" : "\\\"", f);
        else if (*s == '\\' && !mermaid)
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs(mermaid ? "<br/>" : "\\n", f);
        else
            fputc(*s, f);
    }
}

static const ezc_setting_spec *spec_of(const ezc_graph_node *n, const char *name)
{
    for (const ezc_setting_spec *p = ezc_graph_node_schema(n); p && p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

/* "name\ntype\nk=v\n..." with only settings that differ from their default. */
static void label(const ezc_graph_node *n, char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "%s\n%s", n->name, n->type);
    if (n->device && used < cap)
        used += (size_t)snprintf(buf + used, cap - used, " @%s", n->device);
    for (size_t i = 0; i < n->nsettings && used < cap; i++) {
        const ezc_graph_setting *s = &n->settings[i];
        const ezc_setting_spec *sp = spec_of(n, s->name);
        if (s->text && sp && sp->def && !strcmp(sp->def, s->text))
            continue;
        used += (size_t)snprintf(buf + used, cap - used, "\n%s=", s->name);
        if (s->text) {
            used += (size_t)snprintf(buf + used, cap - used, "%s", s->text);
            continue;
        }
        for (size_t k = 0; k < s->nitems && used < cap; k++)
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", k ? ", " : "[", s->items[k]);
        if (used < cap)
            used += (size_t)snprintf(buf + used, cap - used, "%s]", s->nitems ? "" : "[");
    }
}

static int any_group(const ezc_graph *g)
{
    for (size_t i = 0; i < g->nnodes; i++)
        if (g->nodes[i].process)
            return 1;
    return 0;
}

static void edge_label(const ezc_graph *g, const ezc_graph_edge *e, char *buf, size_t cap)
{
    buf[0] = '\0';
    const ezc_graph_node *to = &g->nodes[e->to];
    size_t used = 0;
    if (e->to_port)
        used += (size_t)snprintf(buf, cap, "%s", e->to_port);
    else if (to->ttype && to->ttype->inputs && to->ttype->inputs[0].name &&
             to->ttype->inputs[1].name)
        used += (size_t)snprintf(buf, cap, "%s", to->ttype->inputs[0].name);
    if (e->queue != EZC_QUEUE_BLOCK && used < cap)
        snprintf(buf + used, cap - used, "%s%s", used ? " " : "", ezc_queue_name(e->queue));
}

static void print_dot(const ezc_graph *g, FILE *f)
{
    char buf[1024];
    const char **gr = calloc(g->nnodes + 1, sizeof *gr);
    size_t ng = gr ? ezc_graph_groups(g, gr) : 0;
    int clusters = any_group(g);
    fprintf(f, "digraph \"");
    put_escaped(f, g->file, 0);
    fprintf(f, "\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (size_t k = 0; k < (clusters ? ng : 1); k++) {
        const char *ind = clusters ? "    " : "  ";
        if (clusters) {
            fprintf(f, "  subgraph \"cluster_%s\" {\n    label=\"process %s\";\n", gr[k], gr[k]);
        }
        for (size_t i = 0; i < g->nnodes; i++) {
            const ezc_graph_node *n = &g->nodes[i];
            if (clusters && strcmp(ezc_graph_node_group(n), gr[k]))
                continue;
            label(n, buf, sizeof buf);
            fprintf(f, "%s\"%s\" [label=\"", ind, n->name);
            put_escaped(f, buf, 0);
            fprintf(f, "\"%s];\n",
                    n->role == EZC_ROLE_SOURCE ? ", shape=box3d"
                    : n->role == EZC_ROLE_SINK ? ", shape=component"
                                               : "");
        }
        if (clusters)
            fprintf(f, "  }\n");
    }
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        edge_label(g, e, buf, sizeof buf);
        int fused = ezc_graph_edge_fused(g, i);
        fprintf(f, "  \"%s\" -> \"%s\"", g->nodes[e->from].name, g->nodes[e->to].name);
        if (buf[0] || fused) {
            fprintf(f, " [");
            if (buf[0]) {
                fprintf(f, "label=\"");
                put_escaped(f, buf, 0);
                fprintf(f, "\"%s", fused ? ", " : "");
            }
            fprintf(f, "%s]", fused ? "style=bold" : "");
        }
        fprintf(f, ";\n");
    }
    for (int in = 1; in >= 0; in--) {
        const ezc_graph_io *io = in ? g->inputs : g->outputs;
        for (size_t i = 0; i < (in ? g->ninputs : g->noutputs); i++) {
            snprintf(buf, sizeof buf, "%s\n%s", io[i].name, io[i].endpoint);
            fprintf(f, "  \"%s:%s\" [shape=ellipse, label=\"", in ? "input" : "output", io[i].name);
            put_escaped(f, buf, 0);
            fprintf(f, "\"];\n");
            if (in)
                fprintf(f, "  \"input:%s\" -> \"%s\";\n", io[i].name, g->nodes[io[i].node].name);
            else
                fprintf(f, "  \"%s\" -> \"output:%s\";\n", g->nodes[io[i].node].name, io[i].name);
        }
    }
    fprintf(f, "}\n");
    free(gr);
}

static void print_mermaid(const ezc_graph *g, FILE *f)
{
    char buf[1024];
    const char **gr = calloc(g->nnodes + 1, sizeof *gr);
    size_t ng = gr ? ezc_graph_groups(g, gr) : 0;
    int clusters = any_group(g);
    fprintf(f, "flowchart LR\n");
    for (size_t k = 0; k < (clusters ? ng : 1); k++) {
        const char *ind = clusters ? "    " : "  ";
        if (clusters)
            fprintf(f, "  subgraph group_%s [\"process %s\"]\n", gr[k], gr[k]);
        for (size_t i = 0; i < g->nnodes; i++) {
            const ezc_graph_node *n = &g->nodes[i];
            if (clusters && strcmp(ezc_graph_node_group(n), gr[k]))
                continue;
            label(n, buf, sizeof buf);
            fprintf(f, "%sn_%s[\"", ind, n->name);
            put_escaped(f, buf, 1);
            fprintf(f, "\"]\n");
        }
        if (clusters)
            fprintf(f, "  end\n");
    }
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        edge_label(g, e, buf, sizeof buf);
        fprintf(f, "  n_%s %s", g->nodes[e->from].name, ezc_graph_edge_fused(g, i) ? "==>" : "-->");
        if (buf[0]) {
            fprintf(f, "|\"");
            put_escaped(f, buf, 1);
            fprintf(f, "\"|");
        }
        fprintf(f, " n_%s\n", g->nodes[e->to].name);
    }
    for (int in = 1; in >= 0; in--) {
        const ezc_graph_io *io = in ? g->inputs : g->outputs;
        for (size_t i = 0; i < (in ? g->ninputs : g->noutputs); i++) {
            snprintf(buf, sizeof buf, "%s\n%s", io[i].name, io[i].endpoint);
            fprintf(f, "  %s_%s([\"", in ? "input" : "output", io[i].name);
            put_escaped(f, buf, 1);
            fprintf(f, "\"])\n");
            if (in)
                fprintf(f, "  input_%s --> n_%s\n", io[i].name, g->nodes[io[i].node].name);
            else
                fprintf(f, "  n_%s --> output_%s\n", g->nodes[io[i].node].name, io[i].name);
        }
    }
    free(gr);
}

/* ---- a running graph ---- */

static const ezc_control_node *stats_of(const ezc_control_node *st, size_t ns, const char *name)
{
    for (size_t i = 0; i < ns; i++)
        if (!strcmp(st[i].name, name))
            return &st[i];
    return NULL;
}

/* "name\ntype\nfigures..." and the colour the figures call for (NULL: none). */
static const char *live_label(const ezc_control_gnode *n, const ezc_control_node *s, char *buf,
                              size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "%s\n%s", n->name, n->type);
    if (!s || used >= cap)
        return NULL;
    used += (size_t)snprintf(buf + used, cap - used, "\n%.1f msg/s, %.3g MB/s\n%s", s->msg_s,
                             s->mb_s, s->state);
    if (used < cap)
        used += (size_t)snprintf(buf + used, cap - used, ", drops %llu, errors %llu",
                                 (unsigned long long)s->drops, (unsigned long long)s->errors);
    if (used < cap && s->latency_p50_us >= 0)
        used += (size_t)snprintf(buf + used, cap - used, "\nlatency %.0f / %.0f us",
                                 s->latency_p50_us, s->latency_p99_us);
    if (used < cap && s->cpu_pct >= 0)
        snprintf(buf + used, cap - used, "\ncpu %.0f%%", s->cpu_pct);
    return !strcmp(s->state, "failed") || s->errors ? "#f4cccc"
           : s->drops                               ? "#fde5c8"
           : !strcmp(s->state, "ended")             ? "#e6e6e6"
                                                    : NULL;
}

static int print_live(const char *name, const char *format, FILE *f)
{
    ezc_error err;
    ezc_control_gnode *gn = NULL;
    ezc_control_gedge *ge = NULL;
    ezc_control_node *st = NULL;
    size_t nn = 0, ne = 0, ns = 0;
    if (ezc_control_graph(name, 2000, &gn, &nn, &ge, &ne, &err) ||
        ezc_control_stats(name, 2000, &st, &ns, NULL, &err)) {
        fprintf(stderr, "ezc graph: %s\n", err.msg);
        free(gn);
        free(ge);
        return 1;
    }
    int mermaid = format[0] == 'm', clusters = 0;
    for (size_t i = 0; i < nn; i++)
        clusters |= strcmp(gn[i].group, "main") != 0;
    char buf[1024];
    if (mermaid)
        fprintf(f, "flowchart LR\n");
    else
        fprintf(f,
                "digraph \"%s (running)\" {\n  rankdir=LR;\n  node [shape=box, style=filled, "
                "fillcolor=white, fontname=\"Helvetica\"];\n",
                name);
    for (size_t k = 0; k < nn; k++) { /* each group once, in the order first seen */
        size_t first = 0;
        while (first < k && strcmp(gn[first].group, gn[k].group))
            first++;
        if (first < k)
            continue;
        const char *grp = gn[k].group, *ind = clusters ? "    " : "  ";
        if (clusters)
            fprintf(f,
                    mermaid ? "  subgraph group_%s [\"process %s\"]\n"
                            : "  subgraph \"cluster_%s\" {\n    label=\"process %s\";\n",
                    grp, grp);
        for (size_t i = 0; i < nn; i++) {
            if (strcmp(gn[i].group, grp))
                continue;
            const char *fill = live_label(&gn[i], stats_of(st, ns, gn[i].name), buf, sizeof buf);
            if (mermaid) {
                fprintf(f, "%sn_%s[\"", ind, gn[i].name);
                put_escaped(f, buf, 1);
                fprintf(f, "\"]\n");
                if (fill)
                    fprintf(f, "%sstyle n_%s fill:%s\n", ind, gn[i].name, fill);
            } else {
                fprintf(f, "%s\"%s\" [label=\"", ind, gn[i].name);
                put_escaped(f, buf, 0);
                fprintf(f, "\"%s%s%s];\n", fill ? ", fillcolor=\"" : "", fill ? fill : "",
                        fill ? "\"" : "");
            }
        }
        if (clusters)
            fprintf(f, mermaid ? "  end\n" : "  }\n");
    }
    for (size_t i = 0; i < ne; i++)
        fprintf(f, mermaid ? "  n_%s --> n_%s\n" : "  \"%s\" -> \"%s\";\n", ge[i].from, ge[i].to);
    if (!mermaid)
        fprintf(f, "}\n");
    free(gn);
    free(ge);
    free(st);
    return 0;
}

/* 1 when arg names a running graph and no file: drawn live. */
static int is_running_graph(const char *arg)
{
    if (access(arg, F_OK) == 0 || ezc_control_name_check(arg, NULL))
        return 0;
    char **names = NULL;
    size_t n = 0;
    int found = 0;
    if (ezc_control_list(&names, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++)
            found |= !strcmp(names[i], arg);
    ezc_control_names_free(names, n);
    return found;
}

int cmd_graph(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", 1, 0, 'f'}, {"plugin", 1, 0, 'p'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char **plugins = calloc((size_t)argc + 1, sizeof *plugins);
    const char *format = "dot";
    size_t np = 0, nerr = 0;
    int c, rc = 2;
    ezc_error err;
    ezc_registry *reg = NULL;
    optind = 1;
    while (plugins && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'p') {
            plugins[np++] = optarg;
        } else if (c == 'f') {
            format = optarg;
        } else if (c == 'h') {
            help(stdout);
            rc = 0;
            goto done;
        } else {
            help(stderr);
            goto done;
        }
    }
    if (!plugins || optind != argc - 1) {
        fprintf(stderr, "ezc graph: expected one FILE\n");
        help(stderr);
        goto done;
    }
    if (strcmp(format, "dot") && strcmp(format, "mermaid")) {
        fprintf(stderr, "ezc graph: --format '%s': expected dot or mermaid\n", format);
        goto done;
    }
    if (is_running_graph(argv[optind])) {
        rc = print_live(argv[optind], format, stdout);
        goto done;
    }
    if (!(reg = ezc_registry_new(&err)) || ezc_registry_add_builtins(reg, &err)) {
        fprintf(stderr, "ezc graph: %s\n", err.msg);
        goto done;
    }
    ezc_graph *g = cli_graph_open_flags(argv[optind], plugins, np, reg, EZC_GRAPH_CHECK_NO_PLUGINS,
                                        stderr, &nerr);
    if (!g) {
        rc = 1;
        goto done;
    }
    (format[0] == 'd' ? print_dot : print_mermaid)(g, stdout);
    ezc_graph_destroy(&g);
    rc = 0;
done:
    ezc_registry_destroy(&reg);
    free(plugins);
    return rc;
}
