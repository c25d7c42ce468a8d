/* zmq_context.c — the one ZeroMQ context ezc uses unless told otherwise.
 *
 * Created on first use under a lock; forgotten in a forked child (ZeroMQ
 * contexts do not survive fork: the child builds its own); terminated at
 * exit once every ezc socket on it is closed, so a publisher that exits
 * right after its last send still delivers what is queued (up to linger;
 * never longer, even if a socket someone else opened on it stays open). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>
#include "ezc/pub.h"
#include "pubsub_internal.h"

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static void *shared_ctx;
static atomic_int open_sockets;
static int hooks_installed;
static _Atomic uint64_t secret;

static int longest_linger_ms; /* of the publishers made; -1 = one lingers forever */

void ezc_zmq_note_linger(int ms)
{
    pthread_mutex_lock(&ctx_lock);
    if (longest_linger_ms >= 0 && (ms < 0 || ms > longest_linger_ms))
        longest_linger_ms = ms;
    pthread_mutex_unlock(&ctx_lock);
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    int done;
    void *ctx;
} term_job;

static void *term_ctx(void *arg)
{
    term_job *job = arg;
    zmq_ctx_term(job->ctx);
    pthread_mutex_lock(&job->lock);
    job->done = 1;
    pthread_cond_signal(&job->done_cv);
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

/* Terminating the context lets queued messages go (up to each socket's
 * linger). It waits for every socket to be closed, and a program's own
 * sockets on this context are not counted: so wait no longer than the
 * longest linger (plus a little), then let the process end anyway. */
static void at_exit(void)
{
    pthread_mutex_lock(&ctx_lock);
    void *ctx = shared_ctx;
    int linger = longest_linger_ms;
    if (ctx && atomic_load(&open_sockets) <= 0)
        shared_ctx = NULL;
    else
        ctx = NULL;
    pthread_mutex_unlock(&ctx_lock);
    if (!ctx)
        return;
    static term_job job = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL};
    job.ctx = ctx;
    pthread_t th;
    if (pthread_create(&th, NULL, term_ctx, &job) != 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t wait_ms = linger < 0 ? (int64_t)1 << 40 : (int64_t)linger + 200;
    until.tv_sec += (time_t)(wait_ms / 1000);
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&job.lock);
    while (!job.done)
        if (pthread_cond_timedwait(&job.done_cv, &job.lock, &until) == ETIMEDOUT)
            break;
    int done = job.done;
    pthread_mutex_unlock(&job.lock);
    if (done)
        pthread_join(th, NULL);
    else
        pthread_detach(th);
}

static void before_fork(void)
{
    pthread_mutex_lock(&ctx_lock);
}
static void after_fork_parent(void)
{
    pthread_mutex_unlock(&ctx_lock);
}
static void after_fork_child(void)
{
    /* The parent's I/O threads are not in this process: start afresh. */
    shared_ctx = NULL;
    longest_linger_ms = 0;
    atomic_store(&open_sockets, 0);
    pthread_mutex_unlock(&ctx_lock);
}

/* One I/O thread moves about a gigabyte a second; a few are plenty, and a
 * small machine should keep its cores for the nodes. EZC_ZMQ_IO_THREADS
 * overrides. */
static int io_threads(void)
{
    const char *env = getenv("EZC_ZMQ_IO_THREADS");
    if (env && *env) {
        int n = atoi(env);
        if (n >= 1 && n <= 64)
            return n;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cpus >= 8 ? (int)(cpus / 4) : 1;
    return n > 4 ? 4 : n;
}

#ifndef ZMQ_ZERO_COPY_RECV
#define ZMQ_ZERO_COPY_RECV 10 /* libzmq >= 4.3 has it among its draft context options */
#endif

void *ezc_zmq_context(void)
{
    pthread_mutex_lock(&ctx_lock);
    if (!hooks_installed) {
        hooks_installed = 1;
        pthread_atfork(before_fork, after_fork_parent, after_fork_child);
        atexit(at_exit);
    }
    if (!shared_ctx) {
        shared_ctx = zmq_ctx_new();
        if (shared_ctx) {
            zmq_ctx_set(shared_ctx, ZMQ_IO_THREADS, io_threads());
            /* Off: a small received message gets an allocation of its own
             * instead of a slice of an 8 KiB+ receive buffer, which it would
             * pin whole for as long as it is held. A stream arriving one
             * message per read then held in a queue (a stalled subscriber
             * downstream, hwm deep) cost ~16 KB per 300-byte message, and
             * the heap kept that peak (tests/test_endurance.py). Large
             * messages are read into their own buffer either way. */
            zmq_ctx_set(shared_ctx, ZMQ_ZERO_COPY_RECV, 0);
        }
    }
    void *ctx = shared_ctx;
    pthread_mutex_unlock(&ctx_lock);
    return ctx;
}

void *ezc_zmq_socket_open(void *ctx, int type)
{
    int shared = ctx == NULL;
    if (shared && !(ctx = ezc_zmq_context()))
        return NULL;
    void *sock = zmq_socket(ctx, type);
    if (sock && shared)
        atomic_fetch_add(&open_sockets, 1);
    return sock;
}

void ezc_zmq_socket_close(void *sock, int shared)
{
    if (!sock)
        return;
    zmq_close(sock);
    if (shared)
        atomic_fetch_sub(&open_sockets, 1);
}

uint64_t ezc_random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
        v = (uint64_t)ezc_clock_ns(CLOCK_REALTIME) * 0x9e3779b97f4a7c15ULL;
        v ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&v;
    }
    return v;
}

uint64_t ezc_inproc_secret(void)
{
    uint64_t s = atomic_load_explicit(&secret, memory_order_relaxed);
    while (!s) {
        uint64_t fresh = ezc_random_u64() | 1;
        uint64_t expected = 0;
        if (atomic_compare_exchange_strong(&secret, &expected, fresh))
            s = fresh;
        else
            s = expected;
    }
    return s;
}
