/* ezc/node.h — a transformer node: subscribe, transform, publish.
 *
 * The loop every node runs: receive a message, hand it to the transformer,
 * publish what comes out. A bad message (one the transformer refuses) is
 * logged once per kind of error, counted, and the loop goes on; nothing that
 * was accepted is dropped silently. */
#ifndef EZC_NODE_H
#define EZC_NODE_H

#include <signal.h>
#include <stdint.h>
#include "pub.h"
#include "sub.h"
#include "transformer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_node_stats {
    uint64_t received;  /* messages taken from the input */
    uint64_t published; /* messages sent on the output */
    uint64_t errors;    /* messages the transformer refused */
    uint64_t empty;     /* results with no elements, not published (keep_empty off) */
    int ended;          /* the input's end-of-stream marker came and was passed on */
    char last_error[EZC_ERROR_MSG_MAX];
} ezc_node_stats;

typedef struct ezc_node_options {
    const char *topic;           /* output topic; NULL = the input's topic */
    uint64_t max_messages;       /* stop after this many inputs; 0 = no limit */
    int poll_ms;                 /* how often `stop` is looked at; default 100 */
    volatile sig_atomic_t *stop; /* set non-zero (e.g. by a signal) to stop; may be NULL */
    int keep_empty;              /* publish results that hold no elements too (default: they
                                   stay in the node, counted in st->empty, as graph outputs
                                   and publish sinks do) */
    /* Optional: called on the loop's thread before each message reaches
     * the transformer, i.e. between two messages: where live settings are
     * taken (ezc_transformer_update; `ezc node` does, docs/control.md).
     * Keep it to a flag check on the steady path. */
    void (*between)(ezc_transformer *t, void *ctx);
    void *between_ctx;
} ezc_node_options;

/* Runs until *stop, max_messages, the end of the input's stream, or a
 * socket failure (EZC_EIO). At an end-of-stream marker on the input
 * (EZC_EEOS from ezc_sub_recv, sub.h) it sends one on the output under the
 * output topic (ezc_pub_send_eos), sets st->ended and returns that send's
 * result. Returns 0 when stopped by the caller, the message limit or the
 * end of stream. Input messages lost before they arrived (the input's
 * sequence gaps) are skipped in the output's numbering before the next
 * send, so subscribers of the output count them as gaps too (exactly, for
 * one topic and a transformer that makes one output per input). */
int ezc_transformer_node_run(ezc_transformer *t, ezc_sub *in, ezc_pub *out,
                             const ezc_node_options *opt, ezc_node_stats *st, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
