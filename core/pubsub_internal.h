/* pubsub_internal.h — what pub.c and sub.c share beyond the public headers:
 * the process-wide context's socket bookkeeping, clocks, and the inproc
 * frame that carries an AxisArray by reference. The inproc frame is only
 * ever trusted when it proves it was made by this process for exactly the
 * bytes the receiver holds (see ezc_inproc_frame_check). */
#ifndef EZC_PUBSUB_INTERNAL_H
#define EZC_PUBSUB_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "ezc/array.h"

/* A ZeroMQ socket of `type` on ctx (NULL = ezc's shared context), counted so
 * that the shared context can be terminated at exit (letting queued
 * messages go, up to each socket's linger) once every socket is closed.
 * Sockets a program opens itself on ezc_zmq_context() are not counted; left
 * open, they make the exit wait the longest linger in vain. */
void *ezc_zmq_socket_open(void *ctx, int type);
/* shared: the socket was opened with ctx NULL. */
void ezc_zmq_socket_close(void *sock, int shared);

/* A publisher on the shared context lingers ms (-1 = forever) after destroy:
 * the wait at exit is bounded by the longest. */
void ezc_zmq_note_linger(int ms);

/* A process-wide random secret (never 0) that tags inproc frames. */
uint64_t ezc_inproc_secret(void);

/* The frame body of an inproc message: a heap clone of the sent header.
 * `self` is the frame's own address and `tag` mixes it with the secret, so a
 * frame whose bytes were copied (another transport, a raw peer) or forged
 * without the secret fails the check. */
typedef struct ezc_inproc_frame {
    uint64_t tag;
    const void *self;
    ezc_array *arr;
} ezc_inproc_frame;

static inline uint64_t ezc_inproc_tag(const void *self)
{
    return ezc_inproc_secret() ^ (uint64_t)(uintptr_t)self ^ 0x657a63696e70726fULL;
}

/* The longest a blocking send or receive waits before it looks at the stop
 * request (ezc/interrupt.h) again. */
#define EZC_STOP_CHECK_MS 100

static inline int64_t ezc_clock_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A condition variable whose timed waits run on CLOCK_MONOTONIC (a wall
 * clock step neither shortens nor stretches them), and such a wait's
 * deadline ms from now. */
static inline void ezc_cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

static inline struct timespec ezc_deadline_ms(int ms)
{
    int64_t t = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
    return (struct timespec){(time_t)(t / 1000000000), (long)(t % 1000000000)};
}

/* Random 64 bits (getrandom, else clock and pid mixed). */
uint64_t ezc_random_u64(void);

/* The socket file an ipc:// bind of this process created. ZeroMQ leaves a
 * closed listener's file behind (except for a wildcard endpoint, whose
 * temporary file and folder it removes itself); whoever bound it removes it,
 * and only when the file there is still the one it bound (same device and
 * inode): a later bind by someone else on that path is left alone. */
typedef struct ezc_ipc_file {
    char path[512]; /* "" when nothing is owned */
    unsigned long long dev, ino;
} ezc_ipc_file;

/* Notes the socket file of `endpoint` (as ZMQ_LAST_ENDPOINT gives it) right
 * after a successful zmq_bind; `requested` is the endpoint as asked for. Owns
 * nothing for other transports, wildcards, or a path that is not a socket. */
void ezc_ipc_file_note(ezc_ipc_file *f, const char *requested, const char *endpoint);
/* Removes the noted file when it is still the same socket; call after
 * closing the socket. Idempotent; async-signal-safe (lstat, unlink). */
void ezc_ipc_file_remove(ezc_ipc_file *f);

/* A closing ipc:// publisher's connections, held open until their
 * receivers have read every byte (ipc_drain.c says why: a libzmq bug loses
 * the tail otherwise). ezc_ipc_drain_begin(path), with the path the socket
 * is bound to, before zmq_close: NULL when it has no connection (or on any
 * failure: nothing is held then). ezc_ipc_drain_finish after zmq_close
 * waits until ZeroMQ has written out each connection's queue and the
 * receiver has read it, at most linger_ms (-1: no limit), then lets go;
 * NULL-safe. Neither is thread-safe on one drain. */
typedef struct ezc_ipc_drain ezc_ipc_drain;
ezc_ipc_drain *ezc_ipc_drain_begin(const char *path);
void ezc_ipc_drain_finish(ezc_ipc_drain **d, int linger_ms);

#endif
