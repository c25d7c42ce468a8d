/* graph_internal.h — what graph_check.c and graph_run.c share: turning a
 * source node's validated settings into synth options. */
#ifndef EZC_GRAPH_INTERNAL_H
#define EZC_GRAPH_INTERNAL_H

#include "ezc/graph.h"
#include "ezc/synth.h"

/* s must have been validated against the node kind's schema. Strings in o
 * point into s. */
int ezc_graph_synth_options(const ezc_graph_node *n, const ezc_settings *s, ezc_synth_options *o,
                            int *realtime, int64_t *count, ezc_error *err);

#endif
