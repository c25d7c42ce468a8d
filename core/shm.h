/* shm.h — the shared-memory transport between processes of one host
 * (docs/pubsub.md "Shared memory", layout in docs/wire-format.md).
 *
 * A publisher on ipc://PATH owns a pool: a control segment (this layout)
 * and data segments cut into slots. A slot holds one message: a 4 KiB head
 * page (topic and the ordinary wire header) followed by the data. Each
 * subscriber that maps the pool takes a reader entry: a ring of slot
 * references the publisher fills and the reader empties, a doorbell (an
 * abstract Unix datagram socket the publisher writes a byte to when the
 * reader sleeps), and the count of slots it holds. A slot's state word is
 * its generation and reference count: the publisher takes a reference per
 * ring it is queued on, the reader hands it back when the array is
 * released, and the slot is reused only at count 0 with a new generation.
 *
 * Liveness: the publisher holds an exclusive flock on the control segment
 * for its whole life (readers test it to see a dead publisher; any ezc
 * process removes segments whose lock is free). Readers are checked by pid
 * when they hold the publisher back; a dead one's ring and holds are handed
 * back. Everything is mode 0600: another user cannot map it and gets the
 * inline path.
 *
 * The pool is found through "PATH.shm", a one-line file the publisher
 * writes beside the ipc socket (under its ipc claim) naming the control
 * segment. Internal: pub.c and sub.c use it. */
#ifndef EZC_SHM_H
#define EZC_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "ezc/array.h"
#include "ezc/wire.h"

#define EZC_SHM_MAGIC "EZCSHM1"
#define EZC_SHM_VERSION 3  /* 2: readers have flags; 3: forwarded messages (origins) */
#define EZC_SHM_READERS 64 /* reader entries per pool */
#define EZC_SHM_RING 1024  /* queued messages per reader (a power of 2) */
#define EZC_SHM_SLOTS 4096 /* slots per pool, all segments together */
#define EZC_SHM_SEGS 64    /* data segments per pool */
#define EZC_SHM_HEAD 4096  /* a slot's head page: topic and wire header */
#define EZC_SHM_NAME 64    /* segment names, with the NUL */
#define EZC_SHM_DOOR 40    /* doorbell address, abstract, without the leading NUL */
#define EZC_SHM_ORIGINS 16 /* pools whose slots this pool forwards */

enum { EZC_SHM_FREE = 0, EZC_SHM_CLAIMING = 1, EZC_SHM_ACTIVE = 2, EZC_SHM_LEAVING = 3 };
/* A reader's flags, set before it turns ACTIVE. LOSSY: a full ring drops
 * for this reader at once, whatever the send's policy (a dashboard: it may
 * miss, never hold the sender). FWD: it may be queued forwarded messages
 * (their data in an origin pool). SIDE: never queued to; it holds slots a
 * forwarding pool handed on. */
#define EZC_SHM_READER_LOSSY 1u
#define EZC_SHM_READER_FWD 2u
#define EZC_SHM_READER_SIDE 4u

/* A ring entry: the slot and the generation it was published under. */
typedef struct ezc_shm_entry {
    uint32_t slot;
    uint32_t reserved;
    uint64_t gen;
} ezc_shm_entry;

typedef struct ezc_shm_reader {
    _Atomic uint32_t state; /* EZC_SHM_*: FREE -> CLAIMING (reader) -> ACTIVE (reader) ->
                               LEAVING (reader) -> FREE (publisher) */
    int32_t pid;
    _Atomic uint32_t waiting; /* the reader sleeps on its doorbell */
    uint32_t topic_len;
    char topic[256]; /* the subscription prefix (EZC_TOPIC_MAX: fixed by the layout) */
    char door[EZC_SHM_DOOR];
    uint32_t flags; /* EZC_SHM_READER_* */
    /* Each writer's words on a cache line of their own: no false sharing. */
    _Alignas(64) _Atomic uint64_t head; /* next entry the reader takes (written by the reader) */
    _Alignas(64) _Atomic uint64_t tail; /* next entry the publisher fills (by the publisher) */
    _Atomic uint64_t dropped;           /* messages the publisher could not queue here */
    _Alignas(64) ezc_shm_entry ring[EZC_SHM_RING];
    _Atomic uint16_t holds[EZC_SHM_SLOTS]; /* slots taken off the ring, not yet released */
} ezc_shm_reader;
/* The layout docs/wire-format.md gives other languages */
_Static_assert(offsetof(ezc_shm_reader, door) == 272 && offsetof(ezc_shm_reader, flags) == 312 &&
                   offsetof(ezc_shm_reader, head) == 320 && offsetof(ezc_shm_reader, ring) == 448 &&
                   sizeof(ezc_shm_reader) == 25024,
               "shm reader entry layout");

typedef struct ezc_shm_seg {
    char name[EZC_SHM_NAME];
    uint64_t slot_bytes; /* EZC_SHM_HEAD + room for data, a multiple of 4096 */
    uint32_t first;      /* global index of its first slot */
    uint32_t count;
} ezc_shm_seg;

/* An entry of the origin table. Entries are reused (a restarted upstream
 * has a new pool): the publisher retires one no forwarded message refers
 * to (state 2; readers let go of it and zero their fwd_mapped), renames
 * it once every reader has, and counts gen up, so a reader that sees a
 * gen it has not attached to attaches again. */
typedef struct ezc_shm_origin {
    char name[EZC_SHM_NAME]; /* the origin pool's control segment */
    _Atomic uint32_t state;  /* 0 unused, 1 named (after name and gen), 2 retiring */
    _Atomic uint32_t gen;    /* counts the names this entry has had */
} ezc_shm_origin;

typedef struct ezc_shm_ctl {
    char magic[8];
    uint32_t version, readers, ring, slots, segs, head;
    uint64_t pub_id;
    int32_t pid;
    uint32_t uid;
    _Atomic uint32_t nsegs;   /* segments described below (release after filling one) */
    _Atomic uint32_t gc_hint; /* a reader left: the publisher frees its entry */
    _Atomic uint64_t sent;    /* messages the publisher has sent (counted as each send starts) */
    ezc_shm_seg seg[EZC_SHM_SEGS];
    _Atomic uint64_t slot_state[EZC_SHM_SLOTS]; /* generation << 16 | references */
    ezc_shm_reader reader[EZC_SHM_READERS];
    /* Forwarding (version 3): a message whose data is a slot of another
     * pool (one this publisher received it from) is queued as a head-only
     * slot naming that origin. A reader is forwarded to only once it has
     * mapped the origin (fwd_mapped: how many of its segments), holding
     * the slot there itself through a SIDE entry of its own. */
    _Atomic uint32_t norigins;
    uint32_t pad;
    ezc_shm_origin origin[EZC_SHM_ORIGINS];
    _Atomic uint32_t fwd_mapped[EZC_SHM_READERS][EZC_SHM_ORIGINS]; /* written by each reader */
} ezc_shm_ctl;

/* The head page of a slot. */
typedef struct ezc_shm_slot_head {
    uint64_t gen;
    uint32_t topic_len, hdr_len;
    uint64_t data_len;
    /* origin 0: the data follows the head page; k: it is slot origin_slot
     * of origin[k - 1], under origin_gen */
    uint32_t origin;
    uint32_t origin_slot;
    uint64_t origin_gen;
} ezc_shm_slot_head;
_Static_assert(sizeof(ezc_shm_slot_head) == 40 && offsetof(ezc_shm_ctl, reader) == 37952 &&
                   offsetof(ezc_shm_ctl, norigins) == 1639488 &&
                   offsetof(ezc_shm_ctl, origin) == 1639496 &&
                   offsetof(ezc_shm_ctl, fwd_mapped) == 1640648 && sizeof(ezc_shm_ctl) == 1644800,
               "shm control segment layout");

#define EZC_SHM_REFS(st) ((uint32_t)((st)&0xffff))
#define EZC_SHM_GEN(st) ((st) >> 16)

/* ---- publisher side (shm_pool.c) ---- */
typedef struct ezc_shm_pool ezc_shm_pool;

typedef struct ezc_shm_pool_stats {
    uint64_t sent;      /* messages queued to at least one reader */
    uint64_t dropped;   /* messages a reader missed: its ring stayed full (lossy, stall) */
    uint64_t nospace;   /* messages no slot could take (pool at its limit): inline only */
    uint64_t reclaims;  /* dead readers whose slots were handed back */
    uint64_t zero_copy; /* messages sent from a loaned slot: no copy */
    uint64_t forwarded; /* messages sent on a slot received from another pool: no copy */
    uint32_t readers;   /* active readers */
    uint32_t slots;     /* slots made so far */
    uint32_t held;      /* of them, in use */
    uint64_t bytes;     /* data segment bytes */
} ezc_shm_pool_stats;

/* Creates the pool of the ipc endpoint `path` (the socket file's path) for
 * publisher `pub_id`, writes PATH.shm, and removes segments left by dead
 * processes of this user. NULL when shared memory is off or unavailable
 * (err says why; the publisher then goes inline only). */
ezc_shm_pool *ezc_shm_pool_new(const char *path, uint64_t pub_id, ezc_error *err);
/* Waits until every reader has taken what is queued for it (they map
 * the segments as they take), at most linger_ms (-1 = as long as they
 * live): what ZeroMQ's linger is for the socket. */
void ezc_shm_pool_linger(ezc_shm_pool *p, int linger_ms);
/* Removes PATH.shm and every segment; slots still mapped by readers stay
 * readable to them until they unmap. NULL-safe. */
void ezc_shm_pool_destroy(ezc_shm_pool **p);

/* Active readers (after handing back those that left or died). */
int ezc_shm_pool_readers(ezc_shm_pool *p);

typedef struct ezc_shm_send {
    int lossy;             /* a full ring drops for that reader at once */
    int timeout_ms;        /* lossless: how long a full ring or a full pool may hold the send */
    int stall_ms;          /* > 0: a ring full this long drops for that reader */
    const ezc_buffer *own; /* the data buffer when it is a slot loaned by this pool */
} ezc_shm_send;

/* Queues one message (topic, encoded wire header, data) for every active
 * reader whose prefix matches. The data is copied into a slot unless it
 * already lives in one of this pool's loaned slots, or in a slot received
 * from another pool that every such reader has mapped (then it is
 * forwarded: a head-only slot names it, and the pool holds a reference to
 * how->own until the readers have taken their own). 0 (queued or nobody to
 * queue for), EZC_ETIMEOUT (lossless, a ring stayed full), EZC_EINTR,
 * EZC_ENOSPC-like EZC_EIO when no slot can be had (counted in nospace). */
int ezc_shm_pool_send(ezc_shm_pool *p, const char *topic, const void *hdr, size_t hlen,
                      const void *data, size_t nbytes, const ezc_shm_send *how, ezc_error *err);

/* A buffer of nbytes in a fresh slot (ezc_pub_loan). */
ezc_buffer *ezc_shm_pool_loan(ezc_shm_pool *p, size_t nbytes, ezc_error *err);

void ezc_shm_pool_stats_get(ezc_shm_pool *p, ezc_shm_pool_stats *st);

/* ---- subscriber side (shm_reader.c) ---- */
typedef struct ezc_shm_sub ezc_shm_sub;

/* The control segment named in PATH.shm (when it is a file of ours): 0, or
 * -1 when there is none. */
int ezc_shm_pool_name(const char *path, char *name, size_t cap);

/* Attaches to the pool named by PATH.shm for ipc endpoint `path`,
 * subscribing to `topic`, as a reader with `flags` (EZC_SHM_READER_*). 0
 * with *out (attached), 0 with *out NULL (no pool there, or not ours to
 * map: inline), or EZC_ENOMEM. */
int ezc_shm_sub_attach(const char *path, const char *topic, uint32_t flags, ezc_shm_sub **out,
                       ezc_error *err);
/* Leaves the pool; arrays received stay valid (the mapping lives until the
 * last is released). NULL-safe. */
void ezc_shm_sub_detach(ezc_shm_sub **s);

uint64_t ezc_shm_sub_pub_id(const ezc_shm_sub *s);
/* The doorbell's descriptor, to poll for POLLIN. */
int ezc_shm_sub_fd(const ezc_shm_sub *s);
/* True when the publisher has sent nothing yet: every message it sends
 * from now on is queued to this reader (none went only inline). */
int ezc_shm_sub_fresh(const ezc_shm_sub *s);
/* Messages the publisher could not queue to this reader (full ring, no slot). */
uint64_t ezc_shm_sub_dropped(const ezc_shm_sub *s);
/* True when the publisher is gone (its lock is free). */
int ezc_shm_sub_dead(ezc_shm_sub *s);
/* The next queued message: 0 with *out and the topic (NUL-terminated,
 * truncated to cap), 1 when the ring is empty, 2 for an end of stream,
 * 3 for a message refused (err says why; counted by the caller),
 * EZC_ENOMEM. For 0 and 2, *stamp (when non-NULL) has the header's stamps
 * (src, seq, ts, start). For 0, *forwarded (when non-NULL) says whether
 * the data was forwarded (it lies in an origin pool). */
int ezc_shm_sub_take(ezc_shm_sub *s, ezc_array **out, char *topic, size_t cap,
                     ezc_wire_stamp *stamp, int *forwarded, ezc_error *err);
/* Hands back all but the newest `keep` queued messages unread (a monitor
 * catching up); the next one taken shows the skip as a sequence gap. Stops
 * at an end-of-stream marker (it and what follows stay queued). Returns how
 * many. */
uint64_t ezc_shm_sub_skip(ezc_shm_sub *s, uint64_t keep);
/* Before sleeping on the doorbell: 1 when something is queued already (do
 * not sleep). After waking, ezc_shm_sub_disarm. */
int ezc_shm_sub_arm(ezc_shm_sub *s);
void ezc_shm_sub_disarm(ezc_shm_sub *s);

/* Where a buffer a reader of ours received lies, when it is a whole
 * slot's data from its start (nbytes of it): the pool's control segment
 * name (valid while b lives), the slot, its generation and its segment's
 * index. 0, or -1 when b is not such a buffer. */
typedef struct ezc_shm_src {
    const char *pool;
    uint32_t slot, seg;
    uint64_t gen;
} ezc_shm_src;
int ezc_shm_sub_source(const ezc_buffer *b, const void *data, size_t nbytes, ezc_shm_src *src);

/* Shared memory is on unless EZC_SHM=0 (or "off", "inline"). */
int ezc_shm_enabled(void);
/* Forwarding is on unless EZC_SHM_FORWARD=0 (or "off"): then a publisher
 * copies every message into a slot of its own, and a reader neither takes
 * forwarded messages nor writes on a slot it holds alone (for debugging,
 * and the benchmark's baseline). */
int ezc_shm_forward_enabled(void);

#endif
