/* ezc/sub.h — receive AxisArrays from one or more publishers.
 *
 *   ezc_sub *s = ezc_sub_new("tcp://localhost:5560", "emg", NULL, &err);
 *   ezc_array *a;
 *   while (ezc_sub_recv(s, &a, 1000, &err) == 0) { ...; ezc_array_destroy(&a); }
 *
 * A malformed message never reaches the caller: it is counted, logged once
 * per kind (ezc/log.h), and skipped; ezc_sub_recv goes on waiting for a
 * valid one. Sequence numbers are tracked per publisher (its id travels in
 * the header) and gaps are counted. A subscriber is used from one thread at
 * a time. */
#ifndef EZC_SUB_H
#define EZC_SUB_H

#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_sub ezc_sub;

typedef struct ezc_sub_options {
    int hwm;           /* messages queued; default 1000 */
    int conflate;      /* keep only the latest message (ZMQ_CONFLATE-like) */
    void *zmq_context; /* NULL = ezc's shared context */
} ezc_sub_options;

typedef struct ezc_sub_stats {
    uint64_t received;   /* valid messages delivered */
    uint64_t gaps;       /* messages missing according to sequence numbers */
    uint64_t malformed;  /* messages rejected by the decoder */
    uint64_t publishers; /* distinct publisher ids seen */
    char last_error[EZC_ERROR_MSG_MAX];
} ezc_sub_stats;

void ezc_sub_options_init(ezc_sub_options *o);

/* Connects to endpoint, subscribing to topic prefix (NULL or "" = all). */
ezc_sub *ezc_sub_new(const char *endpoint, const char *topic, const ezc_sub_options *opt,
                     ezc_error *err);
/* Connects to one more publisher endpoint (same transport class). */
int ezc_sub_connect(ezc_sub *s, const char *endpoint, ezc_error *err);
void ezc_sub_destroy(ezc_sub **s);

/* Waits up to timeout_ms (-1 = forever, 0 = poll) for a valid message.
 * 0 and *out set (caller owns it), EZC_ETIMEOUT, or EZC_EIO. The topic it
 * came under is copied into topic_out when non-NULL (up to topic_cap). */
int ezc_sub_recv(ezc_sub *s, ezc_array **out, int timeout_ms, ezc_error *err);
int ezc_sub_recv_topic(ezc_sub *s, ezc_array **out, char *topic_out, size_t topic_cap,
                       int timeout_ms, ezc_error *err);

void ezc_sub_stats_get(const ezc_sub *s, ezc_sub_stats *st);

#ifdef __cplusplus
}
#endif
#endif
