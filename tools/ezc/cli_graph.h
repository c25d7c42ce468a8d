/* cli_graph.h — what the graph subcommands (validate, graph, run) share:
 * loading a file, checking it against the registry, printing its errors. */
#ifndef EZC_CLI_GRAPH_H
#define EZC_CLI_GRAPH_H

#include <stdio.h>
#include "ezc/graph.h"

/* Loads path, loads plugins[] (command-line --plugin) into reg, checks the
 * graph. On errors prints each as "FILE:LINE: message" (sorted by line) to
 * f and returns NULL with *nerr set; an unreadable file is one error. */
ezc_graph *cli_graph_open(const char *path, const char *const *plugins, size_t nplugins,
                          ezc_registry *reg, FILE *f, size_t *nerr);
/* The same with ezc_graph_check_flags' flags; with EZC_GRAPH_CHECK_NO_PLUGINS
 * each unchecked node is also noted on f ("FILE:LINE: note: ..."). */
ezc_graph *cli_graph_open_flags(const char *path, const char *const *plugins, size_t nplugins,
                                ezc_registry *reg, unsigned flags, FILE *f, size_t *nerr);
/* How many nodes the check left unchecked (plugins not loaded). */
size_t cli_graph_unchecked(const ezc_graph *g);

int cmd_validate(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
