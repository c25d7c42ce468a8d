/* graph_internal.h — what graph_check.c, graph_static.c, graph_security.c
 * and graph_run.c share: the static stream checks and the security:
 * section applied to sockets. (Node kinds: node_kind.h.) */
#ifndef EZC_GRAPH_INTERNAL_H
#define EZC_GRAPH_INTERNAL_H

#include "ezc/graph.h"
#include "ezc/pub.h"
#include "ezc/sub.h"

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
