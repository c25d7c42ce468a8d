/* graph_internal.h — what graph_check.c, graph_static.c and graph_run.c
 * share: turning a source node's validated settings into synth options,
 * and the static stream checks. */
#ifndef EZC_GRAPH_INTERNAL_H
#define EZC_GRAPH_INTERNAL_H

#include "ezc/graph.h"
#include "ezc/pub.h"
#include "ezc/sub.h"
#include "ezc/synth.h"

/* s must have been validated against the node kind's schema. Strings in o
 * point into s. */
int ezc_graph_synth_options(const ezc_graph_node *n, const ezc_settings *s, ezc_synth_options *o,
                            int *realtime, int64_t *count, ezc_error *err);

/* What sources declare about their streams (fs, dims, lengths, dtype),
 * carried along the edges through transformers known to keep it, and each
 * transformer's settings checked against it (Nyquist, axis names, list
 * lengths); errors are added to g. ok[i]: node i passed its own checks
 * (only those are looked at). graph_static.c. */
void ezc_graph_static_check(ezc_graph *g, const unsigned char *ok);

/* The security: section applied to a publisher the runtime binds (key files
 * for tcp://; outside: an output or publish sink, which gets the stall
 * limit) or a subscriber it connects. Strings point into g.
 * graph_security.c. */
void ezc_graph_security_pub(const ezc_graph *g, int outside, ezc_pub_options *po);
void ezc_graph_security_sub(const ezc_graph *g, ezc_sub_options *so);

#endif
