/* ezc/sub.h — receive AxisArrays from one or more publishers.
 *
 *   ezc_sub *s = ezc_sub_new("tcp://localhost:5560", "emg", NULL, &err);
 *   ezc_array *a;
 *   while (ezc_sub_recv(s, &a, 1000, &err) == 0) { ...; ezc_array_destroy(&a); }
 *
 * A malformed message never reaches the caller: it is counted, logged once
 * per kind (wrong frame count, header/data rejected by the decoder, bad
 * inproc frame; ezc/log.h), and skipped; ezc_sub_recv goes on waiting for a
 * valid one. Sequence numbers are tracked per publisher (its id travels in
 * the header) and topic, and gaps are counted.
 *
 * What arrives shares memory with its source: from an inproc publisher the
 * array's buffer is the sender's (write through ezc_array_make_writable);
 * from ipc/tcp the buffer is the received ZeroMQ frame (no copy, except a
 * small frame that ZeroMQ packed at an address misaligned for the dtype).
 * A subscriber is used from one thread at a time. */
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
    int conflate;      /* recv returns the newest queued message, dropping older ones
                          (ZMQ_CONFLATE-like; those count neither as received nor as gaps) */
    void *zmq_context; /* NULL = ezc's shared context */
} ezc_sub_options;

typedef struct ezc_sub_stats {
    uint64_t received;   /* valid messages delivered */
    uint64_t gaps;       /* messages missing according to sequence numbers
                            (per publisher and topic; a new publisher is no gap). A
                            publisher whose sequence starts over (it restarted with the
                            same id) counts one gap: what it lost is unknown */
    uint64_t restarts;   /* those sequence restarts */
    uint64_t malformed;  /* messages rejected by the decoder */
    uint64_t publishers; /* distinct publisher ids seen */
    char last_error[EZC_ERROR_MSG_MAX]; /* why the latest malformed one was rejected */
} ezc_sub_stats;

void ezc_sub_options_init(ezc_sub_options *o);

/* Connects to endpoint (tcp://, ipc://, inproc://; the publisher need not
 * be there yet), subscribing to topic prefix (NULL or "" = all). NULL opt =
 * defaults. Caller owns the result. */
ezc_sub *ezc_sub_new(const char *endpoint, const char *topic, const ezc_sub_options *opt,
                     ezc_error *err);
/* Connects to one more publisher endpoint (any of the three transports). */
int ezc_sub_connect(ezc_sub *s, const char *endpoint, ezc_error *err);
void ezc_sub_destroy(ezc_sub **s);

/* Waits up to timeout_ms (-1 = forever, 0 = poll) for a valid message;
 * skipping malformed ones does not extend the wait, signals do not cut it.
 * 0 and *out set (caller owns it), EZC_ETIMEOUT (*out NULL), EZC_ENOMEM or
 * EZC_EIO. The topic it came under is copied into topic_out when non-NULL
 * (truncated to topic_cap - 1 bytes, always NUL-terminated). */
int ezc_sub_recv(ezc_sub *s, ezc_array **out, int timeout_ms, ezc_error *err);
int ezc_sub_recv_topic(ezc_sub *s, ezc_array **out, char *topic_out, size_t topic_cap,
                       int timeout_ms, ezc_error *err);

void ezc_sub_stats_get(const ezc_sub *s, ezc_sub_stats *st);

#ifdef __cplusplus
}
#endif
#endif
