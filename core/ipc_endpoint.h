/* ipc_endpoint.h — who owns the socket file of an ipc:// endpoint.
 *
 * ZeroMQ's ipc bind unlinks whatever sits at the path and binds afresh, so
 * without a rule a second process silently takes a live endpoint over, and
 * whoever stops first deletes the other's socket file. ezc binds an ipc
 * endpoint only under a claim: an exclusive flock(2) on "PATH.lock" (mode
 * 0600, the owner's pid written in it) held for as long as the endpoint is
 * bound, released by ezc_ipc_claim_release or by the kernel when the owner
 * dies. Under the claim a leftover socket file nobody accepts on (its owner
 * died) is removed; one a live program serves without a lock (another
 * ZeroMQ program, an older ezc) is refused, naming its pid. Removing the
 * socket file at the end is ezc_ipc_file_remove's job (pubsub_internal.h:
 * only the file this process bound, same device and inode); call it before
 * ezc_ipc_claim_release, so that nobody can bind the path in between.
 *
 * Used by ezc_pub_new (every ezc publisher, hence `ezc pub/node/run` and
 * graph outputs) and `ezc replay`; anyone binding an ipc endpoint on a raw
 * ZeroMQ socket should do the same:
 *
 *   ezc_ipc_claim *c;
 *   if (ezc_ipc_claim_take(endpoint, &c, err)) return err->code;
 *   if (zmq_bind(sock, endpoint)) { ezc_ipc_claim_release(&c); ...; }
 *   ezc_ipc_claim_bound(c, err);               (the file becomes 0600)
 *   ezc_ipc_file_note(&f, endpoint, last_endpoint);
 *   ... zmq_close(sock); ezc_ipc_file_remove(&f); ezc_ipc_claim_release(&c);
 *
 * Not for endpoints that are not ipc://PATH: wildcards (a "*" path: ZeroMQ
 * picks a fresh path in a private 0700 folder) and abstract names
 * ("ipc://@name": no file, a second bind fails with "Address in use")
 * get no claim (*out = NULL; every function accepts NULL).
 *
 * Thread-safety: a claim is used from one thread at a time; claims are
 * independent of one another (two claims of one path in one process
 * conflict like two processes do). The lock's descriptor is close-on-exec:
 * a program started by exec never holds it; a forked child shares it until
 * it execs or exits. */
#ifndef EZC_IPC_ENDPOINT_H
#define EZC_IPC_ENDPOINT_H

#include "ezc/error.h"

typedef struct ezc_ipc_claim ezc_ipc_claim;

/* Claims "ipc://PATH" before it is bound. 0 with *out set (the caller owns
 * it: ezc_ipc_claim_release), or 0 with *out NULL for an endpoint that needs
 * no claim (not ipc://, a wildcard, an abstract name). EZC_EIO, *out NULL:
 * "ipc:///x: in use by pid 123 (lock /x.lock)" when a live process holds the
 * claim or serves the socket without one; PATH exists and is not a socket
 * (ZeroMQ would delete it); the lock file cannot be opened or locked.
 * EZC_ENOMEM. Never waits for the lock. */
int ezc_ipc_claim_take(const char *endpoint, ezc_ipc_claim **out, ezc_error *err);

/* After a successful bind under c: makes the socket file owner-only (chmod
 * 0600 right after the bind rather than a umask around it, which would
 * change the mode of files other threads create meanwhile). EZC_EIO when
 * the file is missing or chmod fails. NULL c: 0. */
int ezc_ipc_claim_bound(ezc_ipc_claim *c, ezc_error *err);

/* Removes the lock file (when it is still the one this claim locked) and
 * lets go of the lock: from now on another process may bind the path. Call
 * it after closing the ZeroMQ socket and removing its file
 * (ezc_ipc_file_remove). Sets *c to NULL; NULL-safe; no errors (a file
 * already gone is fine). A process that dies holding a claim leaves the
 * lock file behind, unlocked: the next taker reuses it. */
void ezc_ipc_claim_release(ezc_ipc_claim **c);

/* The socket file's path ("/tmp/x" for "ipc:///tmp/x"), valid while c
 * lives; "" for NULL. */
const char *ezc_ipc_claim_path(const ezc_ipc_claim *c);

#endif
