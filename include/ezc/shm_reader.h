/* ezc/shm_reader.h — read an ezc publisher's shared memory from another
 * language (Python's ezc_wire.ShmSubscriber, Julia, Rust ... through their
 * C FFI). C programs use ezc_sub, which does this by itself (sub.h).
 *
 *   ezc_shm_sub *r;
 *   if (ezc_shm_reader_open("ipc:///tmp/raw", "", &r, &err)) ...;
 *   ezc_shm_msg m;
 *   while (ezc_shm_reader_next(r, 1000, &m, &err) == 0) {
 *       ... decode m.header (the msgpack header of docs/wire-format.md),
 *           read m.data_len bytes at m.data (read-only, C order) ...
 *       ezc_shm_reader_release(r, m.slot);
 *   }
 *   ezc_shm_reader_close(&r);
 *
 * A message stays valid, in place, until it is released; release each
 * exactly once, in any order, from any thread. Messages hold the
 * publisher's slots: release promptly, or the publisher waits (or, lossy,
 * this reader misses messages, a gap in seq). The reader otherwise is used
 * from one thread at a time. The layout and protocol underneath are in
 * docs/wire-format.md ("Shared memory between processes of one host"). */
#ifndef EZC_SHM_READER_H
#define EZC_SHM_READER_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_shm_sub ezc_shm_sub;

typedef struct ezc_shm_msg {
    const char *topic; /* not NUL-terminated */
    size_t topic_len;
    const void *header; /* the wire header (msgpack) */
    size_t header_len;
    const void *data; /* the data, read-only */
    size_t data_len;
    uint32_t slot; /* give it back to ezc_shm_reader_release */
} ezc_shm_msg;

/* Attaches to the pool of the ezc publisher on "ipc://PATH", receiving
 * messages whose topic starts with `topic` (NULL = all). 0 with *out (free
 * it with ezc_shm_reader_close); EZC_ENOTFOUND when there is no pool
 * (nobody there, not an ezc publisher, another user's, EZC_SHM=0: read the
 * socket instead), EZC_EINVAL for an endpoint that is not ipc://. */
int ezc_shm_reader_open(const char *endpoint, const char *topic, ezc_shm_sub **out, ezc_error *err);

/* The next message, waiting up to timeout_ms (-1 = forever). 0 with *m
 * filled; EZC_ETIMEOUT; EZC_EEOS when the publisher is gone and everything
 * it queued was read (an end-of-stream marker is an ordinary message here:
 * its header says "eos"); EZC_EPROTO for a message refused (skipped: call
 * again). */
int ezc_shm_reader_next(ezc_shm_sub *r, int timeout_ms, ezc_shm_msg *m, ezc_error *err);

/* Gives a message's slot back. */
void ezc_shm_reader_release(ezc_shm_sub *r, uint32_t slot);

/* Leaves the pool; messages not yet released stay valid until they are.
 * Sets *r to NULL; NULL-safe. */
void ezc_shm_reader_close(ezc_shm_sub **r);

#ifdef __cplusplus
}
#endif
#endif
