/* ezc/pub.h — publish AxisArrays on a ZeroMQ endpoint.
 *
 *   ezc_pub *p = ezc_pub_new("tcp://0.0.0.0:5560", NULL, &err);
 *   ezc_pub_send(p, "emg", arr, &err);
 *   ezc_pub_destroy(&p);
 *
 * Transports: tcp:// and ipc:// send [topic][msgpack header][data] with the
 * data frame zero-copy (the publisher holds a buffer reference until
 * ZeroMQ is done with it). inproc:// passes the array by reference: the
 * receiver gets the same buffer, no bytes are copied.
 *
 * Slow subscribers: by default the publisher never drops silently. It uses
 * an XPUB socket with ZMQ_XPUB_NODROP, so when a subscriber's queue (HWM
 * messages) is full, ezc_pub_send waits for room (back-pressure), up to
 * send_timeout_ms (-1 = forever) and then fails with EZC_ETIMEOUT. With
 * `lossy` set it behaves like a plain PUB: messages to a full subscriber are
 * dropped (counted in the subscriber as sequence gaps).
 * A publisher is used from one thread at a time. */
#ifndef EZC_PUB_H
#define EZC_PUB_H

#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_pub ezc_pub;

typedef struct ezc_pub_options {
    int hwm;             /* messages queued per subscriber; default 1000 */
    int send_timeout_ms; /* back-pressure wait; default -1 (forever) */
    int lossy;           /* drop for full subscribers instead of waiting */
    int linger_ms;       /* on destroy, how long queued messages may still go; default 1000 */
    void *zmq_context;   /* share a context (required for inproc peers); NULL = ezc's shared one */
} ezc_pub_options;

void ezc_pub_options_init(ezc_pub_options *o);

/* Binds the endpoint ("tcp://0.0.0.0:5560", "ipc:///tmp/x", "inproc://name"). */
ezc_pub *ezc_pub_new(const char *endpoint, const ezc_pub_options *opt, ezc_error *err);
void ezc_pub_destroy(ezc_pub **p);

/* Sends a under `topic` (NULL = ""): stamps a new sequence number and the
 * publish time into the message (a itself is not modified). Does not take
 * ownership of a; its buffer is shared, not copied. */
int ezc_pub_send(ezc_pub *p, const char *topic, const ezc_array *a, ezc_error *err);

/* Waits until at least n subscriptions have arrived (ZeroMQ subscriptions
 * travel asynchronously: messages sent before are not seen by that peer). */
int ezc_pub_wait_subscribers(ezc_pub *p, int n, int timeout_ms, ezc_error *err);

/* The endpoint actually bound (with the port ZeroMQ chose for a wildcard port). */
const char *ezc_pub_endpoint(const ezc_pub *p);
uint64_t ezc_pub_sent(const ezc_pub *p);
uint64_t ezc_pub_id(const ezc_pub *p);

/* The process-wide ZeroMQ context ezc uses by default (created on first use). */
void *ezc_zmq_context(void);

#ifdef __cplusplus
}
#endif
#endif
