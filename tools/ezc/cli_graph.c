/* cli_graph.c — loading and checking a graph file for the ezc commands,
 * with every error printed as FILE:LINE: message in line order. */
#include <stdlib.h>
#include "cli_graph.h"

static const ezc_graph *sort_graph;

static int by_line(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int li = sort_graph->errors[i].line, lj = sort_graph->errors[j].line;
    if (li != lj)
        return li < lj ? -1 : 1;
    return i < j ? -1 : (i > j); /* stable: the order they were found in */
}

static void print_errors(const ezc_graph *g, FILE *f)
{
    size_t *idx = malloc((g->nerrors + 1) * sizeof *idx);
    for (size_t i = 0; idx && i < g->nerrors; i++)
        idx[i] = i;
    if (idx) {
        sort_graph = g;
        qsort(idx, g->nerrors, sizeof *idx, by_line);
    }
    for (size_t k = 0; k < g->nerrors; k++) {
        const ezc_graph_error *e = &g->errors[idx ? idx[k] : k];
        if (e->line > 0)
            fprintf(f, "%s:%d: %s\n", g->file, e->line, e->msg);
        else
            fprintf(f, "%s: %s\n", g->file, e->msg);
    }
    free(idx);
}

size_t cli_graph_unchecked(const ezc_graph *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        n += g->nodes[i].unchecked != 0;
    return n;
}

static void print_unchecked(const ezc_graph *g, FILE *f)
{
    for (size_t i = 0; i < g->nnodes; i++)
        if (g->nodes[i].unchecked)
            fprintf(f,
                    "%s:%d: note: node '%s': type '%s' is not checked (not built in; the "
                    "file's plugins were not loaded)\n",
                    g->file, g->nodes[i].type_line, g->nodes[i].name, g->nodes[i].type);
}

ezc_graph *cli_graph_open(const char *path, const char *const *plugins, size_t nplugins,
                          ezc_registry *reg, FILE *f, size_t *nerr)
{
    return cli_graph_open_flags(path, plugins, nplugins, reg, 0, f, nerr);
}

ezc_graph *cli_graph_open_flags(const char *path, const char *const *plugins, size_t nplugins,
                                ezc_registry *reg, unsigned flags, FILE *f, size_t *nerr)
{
    ezc_error err;
    *nerr = 0;
    ezc_graph *g = ezc_graph_load(path, &err);
    if (!g) {
        fprintf(f, "%s\n", err.msg);
        *nerr = 1;
        return NULL;
    }
    for (size_t i = 0; i < nplugins; i++)
        if (ezc_registry_load_plugin(reg, plugins[i], &err))
            ezc_graph_error_add(g, 0, "--plugin: %s", err.msg);
    *nerr = ezc_graph_check_flags(g, reg, flags);
    if (*nerr)
        print_errors(g, f);
    print_unchecked(g, f);
    if (*nerr)
        ezc_graph_destroy(&g);
    return g;
}
