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
 * End of stream: a publisher that is done sends an end-of-stream marker
 * (ezc_pub_send_eos, docs/wire-format.md). ezc_sub_recv reports it as
 * EZC_EEOS — not a failure — after every message sent before it; the topic
 * it came under is given as for a message. It is not a gap and not
 * malformed; messages lost just before it are gaps. Each publisher (and
 * topic) sends its own: a subscriber connected to several decides itself
 * when all have ended. Receiving goes on normally after it (another
 * publisher, or the same one starting again, which is no gap either).
 *
 * What arrives shares memory with its source: from an inproc publisher the
 * array's buffer is the sender's (write through ezc_array_make_writable);
 * from ipc/tcp the buffer is the received ZeroMQ frame (no copy, except a
 * small frame that ZeroMQ packed at an address misaligned for the dtype).
 * CURVE: with curve_client_key and curve_server_pub set, every tcp://
 * endpoint is connected encrypted and authenticated (ipc:// and inproc://
 * ones stay plaintext). A publisher that does not accept the key (or a
 * plaintext one) completes no handshake: nothing arrives and ezc_sub_recv
 * times out; no error is reported to the subscriber (docs/pubsub.md,
 * "Security").
 * Shared memory: an ipc:// endpoint whose ezc publisher has a pool
 * (pub.h) is read from shared memory instead of the socket: the array's
 * buffer is the publisher's slot, read-only (readonly buffer: write
 * through ezc_array_make_writable) unless this subscriber is its only
 * holder: then it may be written in place, and a publisher sending it on
 * to readers of shared memory forwards the slot itself, no copy (pub.h).
 * The slot is handed back when the array is released, from any thread. Arrays stay valid after ezc_sub_destroy. A
 * subscriber that connects before its publisher exists moves to the pool
 * when it appears (while receiving; docs/pubsub.md "Shared memory").
 * EZC_SHM=0 or options.inline_only keep everything on the socket.
 * A subscriber is used from one thread at a time. */
#ifndef EZC_SUB_H
#define EZC_SUB_H

#include <stddef.h>
#include <stdint.h>
#include "array.h"
#include "clock.h"

struct ezc_stream_info; /* ezc/names.h */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_sub ezc_sub;

typedef struct ezc_sub_options {
    int hwm;                      /* messages queued; default 1000 */
    int conflate;                 /* recv returns the newest queued message, dropping older ones
                          (ZMQ_CONFLATE-like; those count neither as received nor as gaps) */
    void *zmq_context;            /* NULL = ezc's shared context */
    const char *curve_client_key; /* CURVE (ezc/curve.h) for tcp:// publishers: this
                                     client's secret key file; NULL = plaintext */
    const char *curve_server_pub; /* with it: the publisher's public key file. Both are
                                     read at ezc_sub_new; ipc:// and inproc://
                                     endpoints stay plaintext */
    int inline_only;              /* ipc://: never read shared memory (as EZC_SHM=0) */
    int lossy; /* this subscriber may miss messages rather than hold its publishers up
                  (a monitor, a dashboard): in shared memory a full queue of ours drops
                  the message for us at once, whatever the publisher's own policy
                  (counted in our gaps and its shm_dropped). Over a socket (tcp://,
                  EZC_SHM=0) the publisher's policy still decides */
} ezc_sub_options;

typedef struct ezc_sub_stats {
    uint64_t received;                  /* valid messages delivered */
    uint64_t gaps;                      /* messages missing according to sequence numbers
                            (per publisher and topic; a new publisher is no gap). A
                            publisher whose sequence starts over (it restarted with the
                            same id and numbered from 0 again) counts one gap: what it
                            lost is unknown. One that restarted and went on numbering
                            (graph groups, named `ezc pub`) shows its loss exactly */
    uint64_t restarts;                  /* publisher restarts under the same id: a new
                            instance ("start" in the header changed, docs/wire-format.md)
                            or, from a publisher that does not say, a sequence that went
                            back. After an end of stream a new start is none */
    int64_t gap_silence_ns;             /* across the latest gap: the publisher's send time of the
                                   first message after it minus that of the last before
                                   (its ts stamps, so no clock of ours); 0 before any */
    int64_t restart_silence_ns;         /* the same across the latest restart */
    uint64_t malformed;                 /* messages rejected by the decoder */
    uint64_t publishers;                /* distinct publisher ids seen */
    uint64_t ends;                      /* end-of-stream markers reported (EZC_EEOS) */
    char last_error[EZC_ERROR_MSG_MAX]; /* why the latest malformed one was rejected */
    uint64_t shm_received;              /* of received, those read from shared memory */
    uint64_t shm_forwarded; /* of those, forwarded: read where a publisher upstream of this
                               one wrote them (pub.h, shm_forwarded) */
    uint64_t duplicates;    /* copies dropped: messages of a publisher whose shared
                                           memory we moved to that still came through the
                                           socket (never delivered twice) */
    int64_t restart_lost;   /* messages lost across the latest restart (counted in gaps too):
                             exact when the new instance went on with the numbering; -1 =
                             unknown (it numbered from the start again: one gap counted);
                             0 before any */
} ezc_sub_stats;

void ezc_sub_options_init(ezc_sub_options *o);

/* Connects to endpoint (tcp://, ipc://, inproc://; the publisher need not
 * be there yet), subscribing to topic prefix (NULL or "" = all). NULL opt =
 * defaults. Caller owns the result. */
ezc_sub *ezc_sub_new(const char *endpoint, const char *topic, const ezc_sub_options *opt,
                     ezc_error *err);
/* With CURVE options: EZC_ENOTSUP (libzmq without CURVE), EZC_EINVAL (a bad
 * key file, a secret key others may read) or EZC_EIO (cannot read a file);
 * the message names the file. */
/* Connects to one more publisher endpoint (any of the three transports;
 * CURVE applies to a tcp:// one when the subscriber has keys). */
int ezc_sub_connect(ezc_sub *s, const char *endpoint, ezc_error *err);
void ezc_sub_destroy(ezc_sub **s);

/* Connects to the stream registered as `name` on this host (ezc/names.h):
 * its entry is looked up, waiting up to timeout_ms (0 = not at all, -1 =
 * forever) for the name to appear, and its endpoint connected as by
 * ezc_sub_new (a publisher that restarts under the name and binds the same
 * endpoint, as a name without an endpoint does, is reconnected by itself).
 * NULL and EZC_ENOTFOUND "no stream named 'X' (did you mean: ...)",
 * EZC_EINVAL (not a name), EZC_EINTR (a stop while waiting), or
 * ezc_sub_new's errors. Implemented with the registry (core/names.c). */
ezc_sub *ezc_sub_new_by_name(const char *name, const char *topic, const ezc_sub_options *opt,
                             int timeout_ms, ezc_error *err);

/* Waits up to timeout_ms (-1 = forever, 0 = poll) for a valid message;
 * skipping malformed ones does not extend the wait, signals do not cut it
 * unless they requested a stop: after ezc_interrupt() (ezc/interrupt.h) a
 * message already queued is still delivered, but a wait ends within 100 ms
 * with EZC_EINTR (whichever thread the signal reached).
 * 0 and *out set (caller owns it), EZC_EEOS (*out NULL: a publisher ended
 * its stream, see above; with conflate, a message queued before the marker
 * is returned first), EZC_ETIMEOUT (*out NULL), EZC_EINTR
 * (*out NULL), EZC_ENOMEM or EZC_EIO. The topic it came under is copied into topic_out when non-NULL
 * (truncated to topic_cap - 1 bytes, always NUL-terminated). */
int ezc_sub_recv(ezc_sub *s, ezc_array **out, int timeout_ms, ezc_error *err);
/* A topic buffer that holds every topic ezc's own nodes route by (graph
 * edges, outputs, node topics); longer topics arrive truncated. */
#define EZC_TOPIC_MAX 256
int ezc_sub_recv_topic(ezc_sub *s, ezc_array **out, char *topic_out, size_t topic_cap,
                       int timeout_ms, ezc_error *err);

void ezc_sub_stats_get(const ezc_sub *s, ezc_sub_stats *st);
/* stats.gaps alone, for a per-message path (a node passing its inputs'
 * gaps on into its own numbering); 0 for NULL. */
uint64_t ezc_sub_gaps(const ezc_sub *s);
/* Clocks across hosts (ezc/clock.h). When si names a stream of another
 * host whose beacon offers a clock service (si->host set, si->time_port >
 * 0), s measures that host's clock from now on (a thread of its own) and,
 * when map is 1, delivers every message's ts stamp mapped onto this host's
 * clock (ts - offset) as soon as the first estimate is there; stamps before
 * it pass as sent. For any other si it does nothing. 0, or
 * ezc_clock_tracker_new's errors (nothing changed). ezc_sub_new_by_name
 * calls it with map 1; a subscriber tracks one host (a second call
 * replaces the first). Not concurrently with a receive. */
int ezc_sub_clock_track(ezc_sub *s, const struct ezc_stream_info *si, int map, ezc_error *err);

/* The publisher host's clock as measured: 0 with *out (and its host, as
 * probed, into host when non-NULL); EZC_ENOTFOUND when s measures no other
 * host's clock; EZC_ETIMEOUT while no probe has come back. Any thread. */
int ezc_sub_clock(ezc_sub *s, ezc_clock_estimate *out, char *host, size_t cap);

/* For a monitor that fell behind (a plot): hands back, unread, all but the
 * newest `keep` messages queued for s in shared memory by each publisher,
 * so that the next one received is recent. What is skipped shows as a
 * sequence gap (counted, as any loss). Skipping stops at an end-of-stream
 * marker: it and whatever is queued after it stay queued, so a reader that
 * skips still receives the end of stream (EZC_EEOS). Messages queued on the
 * socket are not touched. Returns how many were skipped. Not concurrently
 * with a receive. */
uint64_t ezc_sub_skip_queued(ezc_sub *s, uint64_t keep);

/* How the data arrives: "shm" (every ipc endpoint through shared memory),
 * "inline" (the socket), or "shm+inline" (some of each). */
const char *ezc_sub_path(const ezc_sub *s);

#ifdef __cplusplus
}
#endif
#endif
