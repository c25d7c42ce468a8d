/* ezc/pub.h — publish AxisArrays on a ZeroMQ endpoint.
 *
 *   ezc_pub *p = ezc_pub_new("tcp://0.0.0.0:5560", NULL, &err);
 *   ezc_pub_send(p, "emg", arr, &err);
 *   ezc_pub_destroy(&p);
 *
 * Transports: tcp:// and ipc:// send [topic][msgpack header][data] with the
 * data frame zero-copy (the publisher holds a buffer reference until
 * ZeroMQ is done with it, possibly releasing it on a ZeroMQ I/O thread).
 * inproc:// passes the array by reference: the receiver gets a header of
 * its own over the same buffer, no bytes are copied (write through
 * ezc_array_make_writable: copy-on-write). inproc peers must share a
 * ZeroMQ context (the default one does).
 *
 * Every message carries the publisher's random 64-bit id (src), a sequence
 * number (seq) and the publish time (ts_ns, CLOCK_REALTIME). seq counts the
 * messages sent under each topic from 0 (or first_seq), so a subscriber that
 * filters on a topic prefix still sees an unbroken sequence per topic and a
 * gap means a lost message. A send that fails (timeout) takes no number.
 * A process that restarts and publishes the same stream again keeps its id
 * (options.id) and goes on numbering where the dead one stopped
 * (options.first_seq, ezc_pub_set_next_seq), so what the restart lost is
 * an exact gap for every subscriber (docs/pubsub.md, "Restarts"). Every
 * header also carries the time this publisher was made ("start",
 * docs/wire-format.md), so subscribers report such a successor as a
 * restart, with that exact loss (sub.h, stats.restart_lost).
 *
 * Slow subscribers: by default the publisher never drops silently. It uses
 * an XPUB socket with ZMQ_XPUB_NODROP, so when a subscriber's queue is full
 * (hwm messages on each side of the pipe; for ipc/tcp the kernel's socket
 * buffers come on top), ezc_pub_send waits for room (back-pressure) —
 * every subscriber then goes at the pace of the slowest — up to
 * send_timeout_ms (-1 = forever) and then fails with EZC_ETIMEOUT: that
 * message went to no subscriber and may be sent again. A subscriber that
 * connected and stopped reading therefore stalls a publisher whose timeout
 * is -1 and that has no stall limit ("Stalls" below); one that disconnects
 * releases it. With `lossy` set the socket
 * behaves like a plain PUB: a message for a full subscriber is dropped for
 * that subscriber only (whole messages, never parts), and it shows up there
 * as a sequence gap. Messages sent while no subscriber is connected go
 * nowhere and are not errors.
 *
 * Stopping: after ezc_interrupt() (ezc/interrupt.h, e.g. from a SIGTERM
 * handler) a send that would wait for room, or a wait for subscribers,
 * returns EZC_EINTR within 100 ms instead of waiting on,
 * whichever thread the signal reached.
 *
 * ipc:// socket files: ZeroMQ leaves the file of a closed listener behind;
 * ezc_pub_destroy removes the file this publisher bound (and only that one:
 * not when another process has bound a new socket at the path since).
 *
 * The first message: ZeroMQ subscriptions travel asynchronously, and a
 * subscriber that connected (or kept retrying, every 100 ms) before the
 * bind subscribes only a moment after it; what is sent before goes nowhere.
 * So the first ezc_pub_send of a publisher with no subscription yet waits
 * for one, at most until first_wait_ms (default 500) after ezc_pub_new,
 * and a subscriber that was there gets seq 0. Later sends never wait for
 * subscribers. To be sure of more than one, use ezc_pub_wait_subscribers.
 *
 * ipc:// ownership: an ipc endpoint that a live process serves is not
 * taken over. ezc_pub_new holds an flock on "PATH.lock" (the pid written in
 * it) for the publisher's lifetime and fails with EZC_EIO naming the
 * endpoint and the pid ("pub: cannot bind: ipc:///tmp/x: in use by pid 123
 * (lock /tmp/x.lock)"); a socket file left by a dead process is removed and
 * the bind goes ahead. The socket file is made owner-only (0600) right
 * after the bind.
 *
 * Stalls (stall_timeout_ms > 0): a subscriber that connects and stops
 * reading would otherwise hold every send, and so every other subscriber,
 * forever. With a stall limit, a send that has waited that long for room
 * overflows the full queue instead: ZeroMQ then skips that subscriber until
 * it has read half its queue (it sees the loss as a sequence gap) and the
 * others get the message. The stall is counted (ezc_pub_stats_get) and the
 * first one logged, naming the endpoint. For the next stall_timeout_ms after
 * a stall, a full queue is overflowed at once rather than waited for, so a
 * subscriber that keeps falling behind costs the others one wait, not one per
 * refill; a stretch that long without a full queue makes the publisher
 * lossless again. ZeroMQ has no per-subscriber control on one socket, so
 * during that stretch any subscriber whose queue is full loses messages.
 *
 * CURVE (tcp:// only; ezc/curve.h, docs/pubsub.md "Security"): with
 * curve_server_key and curve_allow_dir set, every connection is encrypted
 * and a subscriber gets in only with one of the allowed public keys; a
 * refused one gets nothing, and is logged once per key with its address
 * and public key. ipc:// and inproc:// publishers ignore these options.
 *
 * Shared memory (ipc://PATH only): subscribers on the same host, of the same
 * user, read each message from a shared-memory slot instead of through the
 * socket: the publisher copies the data into the slot once (or not at all
 * when it came from ezc_pub_loan), a subscriber maps it read-only and
 * wraps it as its array's buffer, and a doorbell wakes it. The slot goes
 * back to the publisher when every subscriber has released its array. The
 * pool is found through "PATH.shm" beside the socket (docs/pubsub.md,
 * "Shared memory"; layout in docs/wire-format.md). Subscribers that
 * cannot map it (another user, tcp://, EZC_SHM=0 on their side) get the
 * data inline as before, from the same publisher, at the same time. Slow
 * shared-memory subscribers hold the send back exactly as inline ones do
 * (lossy: they miss the message; a stall limit applies too), and what one
 * misses is counted (shm_dropped) and is a sequence gap for it.
 * EZC_SHM=0 in the environment (or options.inline_only) turns it off.
 *
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
    int hwm;              /* messages queued per subscriber; default 1000 */
    int send_timeout_ms;  /* back-pressure wait; default -1 (forever) */
    int lossy;            /* drop for full subscribers instead of waiting */
    int linger_ms;        /* after destroy, how long queued messages may still go; default 1000 */
    void *zmq_context;    /* share a context (required for inproc peers); NULL = ezc's shared one */
    uint64_t id;          /* the publisher id (src) to use; 0 = a random one. A process that
                            restarts and publishes the same stream again gives the same id,
                            so subscribers see the restart as a gap (see sub.h), not as a
                            new stream */
    int first_wait_ms;    /* the first send waits for a first subscriber, up to this long
                            after ezc_pub_new (see "The first message"); default 500,
                            0 = never wait */
    uint64_t first_seq;   /* the seq of the first message under each topic; default 0. A
                            restarted publisher (same id) that starts past the last number
                            it sent makes the messages it missed a gap, not a restart */
    int stall_timeout_ms; /* a send blocked this long by a full subscriber queue overflows it
                             instead ("Stalls" above); default 0 = off (lossless, wait up to
                             send_timeout_ms). Ignored when lossy */
    const char *curve_server_key; /* tcp://: this server's CURVE secret key file (ezc/curve.h);
                                     NULL = plaintext. Read at ezc_pub_new */
    const char *curve_allow_dir;  /* with it: the folder whose NAME.pub files are the
                                     subscribers let in (read at ezc_pub_new) */
    int inline_only;              /* ipc://: no shared memory (as EZC_SHM=0): every subscriber
                                     gets the data through the socket */
    const char *name;  /* the stream's name (ezc/names.h): registered on this host for the
                          publisher's life, so consumers can name it instead of an endpoint;
                          with it the endpoint may be NULL or "" (a private ipc:// one in the
                          run folder) and id 0 means the name's id (ezc_names_stream_id).
                          NULL = unnamed. inproc:// publishers are not registered */
    const char *graph; /* with name: the graph this stream is an output of (for `ezc ls`) */
} ezc_pub_options;

/* What a publisher has done (ezc_pub_stats_get). */
typedef struct ezc_pub_stats {
    uint64_t sent;        /* messages handed to ZeroMQ (as ezc_pub_sent) */
    uint64_t stalls;      /* sends that waited stall_timeout_ms for a full queue */
    uint64_t overflows;   /* sends that went on past a full queue (each stall's send and
                           those at once after it): that subscriber missed the message,
                           and misses more until it reads again */
    uint64_t refused;     /* CURVE handshakes refused (key not allowed) */
    uint32_t shm_readers; /* subscribers reading shared memory now */
    uint32_t shm_slots;   /* slots made (their data segments total shm_bytes) */
    uint32_t shm_held;    /* slots in use: queued or held by a subscriber */
    uint64_t shm_bytes;
    uint64_t shm_dropped;   /* messages a shared-memory subscriber missed (full queue with
                              lossy or a stall limit, no slot to be had) */
    uint64_t shm_reclaims;  /* subscribers found dead whose slots were taken back */
    uint64_t shm_zero_copy; /* messages sent from a loaned slot (ezc_pub_loan, a
                               copy-on-write into ezc_pub_cow_buffer): no copy */
    uint64_t shm_forwarded; /* messages sent on the slot they were received in from another
                               pool (a pass-through node): no copy */
} ezc_pub_stats;

void ezc_pub_options_init(ezc_pub_options *o);

/* Binds the endpoint ("tcp://0.0.0.0:5560", "tcp://127.0.0.1:*" for a free
 * port, "ipc:///tmp/x", "inproc://name"). NULL opt = defaults. With
 * opt->name the stream is registered under that name (ezc/names.h) before
 * the bind, and its entry gets the bound endpoint, then the first message's
 * dtype, shape and rate; a NULL or "" endpoint is then a private ipc://
 * path in the run folder, the same for the same name. EZC_EINVAL for a bad
 * name, EZC_EIO "name 'X' is in use by pid N (endpoint E)" when a live
 * publisher holds it. Caller owns
 * the result; EZC_EINVAL for a bad endpoint or option, EZC_EIO when the bind
 * fails (address in use; an ipc path a live process serves, or that is not
 * a socket: see "ipc:// ownership" above). With CURVE options on a tcp://
 * endpoint: EZC_ENOTSUP when libzmq lacks CURVE, EZC_EINVAL for a bad key
 * file or an allowed-keys folder without a .pub file, EZC_EIO when a file
 * cannot be read (each message names the file). */
ezc_pub *ezc_pub_new(const char *endpoint, const ezc_pub_options *opt, ezc_error *err);
/* Unregisters its name (first, so nobody resolves a closing stream), closes
 * the socket; queued messages keep going for up to linger_ms. On the
 * default context the process's exit waits for them (see ezc_zmq_context).
 * On ipc:// it returns once every subscriber has read what was sent to it,
 * or after linger_ms (docs/pubsub.md, "Exit").
 * Removes the ipc:// socket file the publisher bound (not a wildcard's,
 * which ZeroMQ removes itself; not one another process has bound since).
 * Sets *p to NULL; NULL-safe. */
void ezc_pub_destroy(ezc_pub **p);

/* Sends a under `topic` (NULL = ""): stamps src, a new sequence number and
 * the publish time into the message (a itself is not modified). Does not
 * take ownership of a; its buffer is shared, not copied, so do not write
 * into a's data afterwards unless ezc_array_make_writable says it is yours.
 * The first send may wait for a first subscriber, up to first_wait_ms after
 * ezc_pub_new ("The first message" above); no other send does.
 * 0, EZC_ETIMEOUT (back-pressure, see above), EZC_EINTR (it would have
 * waited and a stop was requested: ezc/interrupt.h; the message was not
 * sent and took no number), EZC_EDEVICE (ipc/tcp: data not on the CPU),
 * EZC_ENOMEM or EZC_EIO. */
int ezc_pub_send(ezc_pub *p, const char *topic, const ezc_array *a, ezc_error *err);

/* Ends the stream under `topic` (NULL = ""): sends the end-of-stream
 * marker (docs/wire-format.md: a header with "eos": true and an empty data
 * frame, carrying src, the seq the next message would get (the number of
 * messages sent under the topic when numbering started at 0) as seq,
 * and the send time). Subscribers report it as EZC_EEOS from ezc_sub_recv
 * (sub.h), after every message sent before it. It takes no sequence number.
 * A blocking publisher waits for room for it as for a message (up to
 * send_timeout_ms). A lossy one waits too where ZeroMQ lets it, but a
 * subscriber whose queue overflowed (dropped messages) and has not read
 * since misses the marker as it misses messages: give a finite stream a
 * blocking publisher. Sending more under the topic
 * afterwards is allowed and starts the stream again for subscribers.
 * Like ezc_pub_send, the first send of the publisher may wait for a first
 * subscriber. 0, EZC_ETIMEOUT (nothing sent; retry), EZC_EINTR (a stop was
 * requested while it waited), EZC_ENOMEM or EZC_EIO. */
int ezc_pub_send_eos(ezc_pub *p, const char *topic, ezc_error *err);

/* Waits until at least n subscriptions have arrived since the publisher was
 * created (each subscriber's topic counts once, reconnections again, and
 * so does a subscriber that subscribed on the socket and then moved to
 * shared memory: both count; the count never goes down). ZeroMQ subscriptions travel asynchronously:
 * messages sent before a subscription arrived are not seen by that peer.
 * timeout_ms -1 = forever; EZC_ETIMEOUT names how many arrived; EZC_EINTR
 * when a stop was requested (ezc/interrupt.h) before enough arrived. */
int ezc_pub_wait_subscribers(ezc_pub *p, int n, int timeout_ms, ezc_error *err);

/* Sets the seq the next message under `topic` (NULL = "") gets, as a
 * restarted process does to go on where it stopped or to skip the numbers
 * of messages it knows were lost. Numbers that go down make subscribers
 * count a restart (sub.h). 0, EZC_EINVAL (p NULL) or EZC_ENOMEM. */
int ezc_pub_set_next_seq(ezc_pub *p, const char *topic, uint64_t seq, ezc_error *err);
/* The seq the next message under `topic` (NULL = "") will get: first_seq
 * for a topic not used yet. */
uint64_t ezc_pub_next_seq(const ezc_pub *p, const char *topic);

/* Makes p lossy (1: full subscribers miss messages) or blocking (0: the
 * sender waits, the stall limit of its options applies again) from its
 * next send on, as ezc_pub_options.lossy at ezc_pub_new would have; what
 * is queued already stays. The sending thread, between two sends (a graph
 * `publish` sink's live `lossy`, docs/control.md). 0, EZC_EINVAL (p NULL)
 * or EZC_EIO (the socket refused the option). ezc_pub_lossy: which. */
int ezc_pub_set_lossy(ezc_pub *p, int lossy, ezc_error *err);
int ezc_pub_lossy(const ezc_pub *p);

/* An ezc_array_cow_fn (ezc/array.h) for publisher `pub` (an ezc_pub *): a
 * loaned slot of nbytes when pub has subscribers reading shared memory, so
 * that a copy-on-write made while computing its next message is that
 * message's slot; NULL otherwise (and when no slot can be had). The
 * sending thread. */
ezc_buffer *ezc_pub_cow_buffer(void *pub, size_t nbytes, ezc_error *err);

/* A new CPU array whose data lives in a shared-memory slot of p (ipc://
 * with shared memory; elsewhere an ordinary array): fill it in place and
 * send it, and shared-memory subscribers read those very bytes, no copy
 * (an acquisition program writes samples straight into shared memory).
 * After ezc_pub_send the data is read-only (ezc_array_is_writable is false:
 * writers copy first). Destroy it as any array; the slot goes back when
 * every reader is done. The same errors as ezc_array_new. */
ezc_array *ezc_pub_loan(ezc_pub *p, ezc_dtype dtype, int ndim, const int64_t *shape,
                        const char *const *dims, ezc_error *err);

/* The endpoint actually bound (ZMQ_LAST_ENDPOINT: with the port ZeroMQ
 * chose for a wildcard port), valid while p lives. */
const char *ezc_pub_endpoint(const ezc_pub *p);
/* Messages handed to ZeroMQ (all topics; dropped-for-lossy ones included). */
uint64_t ezc_pub_sent(const ezc_pub *p);
/* The random id carried as src by every message of p. */
uint64_t ezc_pub_id(const ezc_pub *p);
/* Fills *st (zeros for NULL p). refused is updated by the CURVE handler's
 * thread; the rest belong to the sending thread. */
void ezc_pub_stats_get(const ezc_pub *p, ezc_pub_stats *st);

/* The process-wide ZeroMQ context ezc uses by default: created on first use
 * (thread-safe) with one I/O thread per 4 cores, 1 to 4 (environment
 * EZC_ZMQ_IO_THREADS overrides). A forked child gets a fresh one on its
 * first use. At exit, once every ezc publisher and subscriber on it is
 * destroyed, it is terminated, which waits for queued messages (up to the
 * longest linger_ms); close sockets you open on it yourself before exit, or
 * the exit waits that long for them in vain. */
void *ezc_zmq_context(void);

#ifdef __cplusplus
}
#endif
#endif
