/* fuzz_graph.c — libFuzzer target for the YAML graph loader: the input is a
 * graph file, parsed (nodes/graph.c) and checked against the built-in types
 * (nodes/graph_check.c, graph_static.c) without loading any plugin: a
 * fuzzed `plugins:` entry must never reach dlopen. The registry is built
 * once; each input gets a fresh graph. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "ezc/builtins.h"
#include "ezc/graph.h"

static ezc_registry *registry(void)
{
    static ezc_registry *reg;
    ezc_error err;
    if (!reg && (!(reg = ezc_registry_new(&err)) || ezc_registry_add_builtins(reg, &err)))
        abort();
    return reg;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    ezc_registry *reg = registry();
    size_t before = ezc_registry_count(reg);
    ezc_error err;
    ezc_graph *g = ezc_graph_parse((const char *)d, n, "fuzz.yaml", "/nonexistent", &err);
    if (!g)
        return 0; /* out of memory */
    size_t nerr = ezc_graph_check_flags(g, reg, EZC_GRAPH_CHECK_NO_PLUGINS);
    if (nerr != g->nerrors || nerr > EZC_GRAPH_MAX_ERRORS + 1)
        __builtin_trap(); /* the count and the list disagree, or the cap leaks */
    if (ezc_registry_count(reg) != before)
        __builtin_trap(); /* something was loaded */
    ezc_graph_destroy(&g);
    return 0;
}
