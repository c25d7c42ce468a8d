/* graph_security.c — what a graph's security: section does to its sockets,
 * and the plaintext exposure `ezc run` warns about.
 *
 * Key files apply to tcp:// only (pub.c and sub.c leave ipc and inproc
 * plaintext), so the runtime passes them to every publisher and subscriber
 * it makes. Stall limits go only to the publishers that face the outside
 * (outputs, publish sinks): the graph's own edges stay lossless. */
#include <stdio.h>
#include <string.h>
#include "ezc/pub.h"
#include "ezc/sub.h"
#include "graph_internal.h"
#include "node_kind.h"

void ezc_graph_security_pub(const ezc_graph *g, int outside, ezc_pub_options *po)
{
    const ezc_graph_security *sec = &g->security;
    po->curve_server_key = sec->server_key;
    po->curve_allow_dir = sec->allow;
    if (outside)
        po->stall_timeout_ms = sec->stall_set ? sec->stall_timeout_ms : EZC_GRAPH_STALL_TIMEOUT_MS;
}

void ezc_graph_security_sub(const ezc_graph *g, ezc_sub_options *so)
{
    so->curve_client_key = g->security.client_key;
    so->curve_server_pub = g->security.client_key ? g->security.server_pub : NULL;
}

/* tcp://ADDR:PORT binds on a loopback address only (127.0.0.0/8, ::1,
 * localhost, lo). A wildcard, another address or a name may face a LAN. */
static int loopback_only(const char *endpoint)
{
    const char *a = endpoint + 6;
    const char *colon = strrchr(a, ':');
    size_t n = colon ? (size_t)(colon - a) : strlen(a);
    char addr[256];
    if (n >= sizeof addr)
        return 0;
    memcpy(addr, a, n);
    addr[n] = '\0';
    return strncmp(addr, "127.", 4) == 0 || !strcmp(addr, "[::1]") || !strcmp(addr, "::1") ||
           !strcmp(addr, "localhost") || !strcmp(addr, "lo");
}

static int exposed(const ezc_graph *g, const char *endpoint)
{
    return !g->security.server_key && endpoint && strncmp(endpoint, "tcp://", 6) == 0 &&
           !loopback_only(endpoint);
}

int ezc_graph_plaintext_exposure(const ezc_graph *g, char *what, size_t cap)
{
    for (size_t i = 0; i < g->noutputs; i++)
        if (exposed(g, g->outputs[i].endpoint)) {
            snprintf(what, cap, "output '%s' (%s)", g->outputs[i].name, g->outputs[i].endpoint);
            return 1;
        }
    for (size_t i = 0; i < g->nnodes; i++) {
        const ezc_graph_node *n = &g->nodes[i];
        const ezc_node_kind *kind = n->type ? ezc_node_kind_find(n->type) : NULL;
        if (!kind || !kind->ops || !kind->ops->wire) /* binds nothing for the outside */
            continue;
        for (size_t k = 0; k < n->nsettings; k++)
            if (!strcmp(n->settings[k].name, "endpoint") && exposed(g, n->settings[k].text)) {
                snprintf(what, cap, "%s sink '%s' (%s)", kind->name, n->name, n->settings[k].text);
                return 1;
            }
    }
    /* Edges between hosts are bound on the upstream host's address. */
    for (size_t i = 0; i < g->nedges; i++) {
        const ezc_graph_edge *e = &g->edges[i];
        if (e->from < 0 || e->to < 0)
            continue;
        const ezc_graph_host *hf =
            ezc_graph_group_host(g, ezc_graph_node_group(&g->nodes[e->from]));
        const ezc_graph_host *ht = ezc_graph_group_host(g, ezc_graph_node_group(&g->nodes[e->to]));
        char ep[300];
        if (!hf || !ht || hf == ht || !hf->address)
            continue;
        snprintf(ep, sizeof ep, "tcp://%s:%d", hf->address, hf->port + (int)i);
        if (exposed(g, ep)) {
            snprintf(what, cap, "the edge %s -> %s (%s)", g->nodes[e->from].name,
                     g->nodes[e->to].name, ep);
            return 1;
        }
    }
    return 0;
}
