/* ipc.c — CUDA IPC for the wire (core/cuda/ipc.h, docs/wire-format.md).
 *
 * Sender: an array's allocation is exported as a cudaIpcMemHandle and its
 * buffer held in one of SLOTS lease slots of this process. Each slot has a
 * generation counter in a small POSIX shared-memory table; releasing a slot
 * (oldest first when the slots or the held bytes run out, or after
 * LEASE_NS) bumps the generation *before* the buffer goes back to the
 * allocator. Receiver: checks the generation, opens the handle, copies the
 * bytes device to device into its own buffer, closes the handle, and checks
 * the generation again: unchanged means the sender held the buffer for the
 * whole copy (a seqlock), changed means the receiver fell behind and the
 * message is refused. The receiver's array is its own memory, so the
 * sender's buffer is never tied to how long a receiver keeps the data. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cuda_internal.h"
#include "ipc.h"

#define SLOTS 64
#define LEASE_NS (10LL * 1000000000) /* a lease ends after 10 s at most */
#define HOLD_BYTES ((size_t)1 << 30) /* held buffers beyond 1 GiB release the oldest */
#define MAPS 32                      /* receivers keep this many senders' tables mapped */

typedef struct {
    ezc_buffer *buf;
    int64_t t_ns;
    size_t bytes;
} lease;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *gens; /* SLOTS generations, shared memory */
static char table_name[EZC_WIRE_IPC_SHM_MAX];
static lease slots[SLOTS];
static unsigned next_slot;
static size_t held_bytes;

static struct {
    char name[EZC_WIRE_IPC_SHM_MAX];
    const uint64_t *gens;
} maps[MAPS];
static int nmaps;

static uint64_t n_sends, n_receives, n_expired;

/* cuMemGetAddressRange through the runtime (the module does not link
 * libcuda): the base and size of the allocation holding a pointer. */
typedef int (*range_fn)(unsigned long long *base, size_t *size, unsigned long long ptr);
static range_fn get_range;
static pthread_once_t range_once = PTHREAD_ONCE_INIT;

static void find_range(void)
{
    void *fn = NULL;
    enum cudaDriverEntryPointQueryResult q;
    if (cudaGetDriverEntryPointByVersion("cuMemGetAddressRange", &fn, 12000, cudaEnableDefault,
                                         &q) == cudaSuccess &&
        q == cudaDriverEntryPointSuccess)
        get_range = (range_fn)fn;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void unlink_table(void)
{
    if (table_name[0])
        shm_unlink(table_name);
}

/* The sender's generation table, created on the first export. */
static int table_open_locked(ezc_error *err)
{
    if (gens)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(table_name, sizeof table_name, "/ezc-cuda-ipc-%ld-%08lx", (long)getpid(),
             (unsigned long)(ts.tv_nsec ^ (long)ts.tv_sec));
    int fd = shm_open(table_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, SLOTS * sizeof(uint64_t)) != 0) {
        if (fd >= 0) {
            close(fd);
            shm_unlink(table_name);
        }
        table_name[0] = '\0';
        return ezc_error_set(err, EZC_EIO,
                             "cuda_ipc: cannot create the lease table in shared memory");
    }
    void *p = mmap(NULL, SLOTS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        shm_unlink(table_name);
        table_name[0] = '\0';
        return ezc_error_set(err, EZC_EIO, "cuda_ipc: cannot map the lease table");
    }
    gens = p;
    atexit(unlink_table);
    return 0;
}

/* Ends slot i's lease: the generation moves first, then the buffer goes. */
static void release_locked(unsigned i)
{
    if (!slots[i].buf)
        return;
    __atomic_add_fetch(&gens[i], 1, __ATOMIC_SEQ_CST);
    held_bytes -= slots[i].bytes;
    ezc_buffer_unref(&slots[i].buf);
}

static int export_array(const ezc_array *a, ezc_wire_cuda_ipc *ipc, ezc_error *err)
{
    int rc = ezc_cuda_check_device("cuda_ipc export", "a", a, err);
    if (rc)
        return rc;
    pthread_once(&range_once, find_range);
    memset(ipc, 0, sizeof *ipc);
    unsigned long long ptr = (unsigned long long)(uintptr_t)ezc_array_data(a), base = ptr;
    size_t size = 0, nbytes = ezc_array_nbytes(a);
    if (!get_range || get_range(&base, &size, ptr) != 0)
        base = (unsigned long long)(uintptr_t)a->buf->data; /* our allocator: a block per buffer */
    cudaIpcMemHandle_t h;
    if ((rc = (int)cudaIpcGetMemHandle(&h, (void *)(uintptr_t)base)))
        return ezc_cuda_fail(err, "cuda_ipc export", rc);
    memcpy(ipc->handle, &h, sizeof ipc->handle);
    ipc->device = a->tensor.device.device_id;
    ipc->offset = ptr - base;
    ipc->pid = (uint64_t)getpid();
    pthread_mutex_lock(&lock);
    if ((rc = table_open_locked(err))) {
        pthread_mutex_unlock(&lock);
        return rc;
    }
    int64_t t = now_ns();
    unsigned slot = next_slot;
    /* Oldest first (ring order): this slot, then expired or over-budget ones. */
    release_locked(slot);
    for (unsigned k = 1; k < SLOTS; k++) {
        unsigned i = (slot + k) % SLOTS;
        if (slots[i].buf && (t - slots[i].t_ns > LEASE_NS || held_bytes + nbytes > HOLD_BYTES))
            release_locked(i);
    }
    slots[slot].buf = ezc_buffer_ref(a->buf);
    slots[slot].t_ns = t;
    slots[slot].bytes = nbytes;
    held_bytes += nbytes;
    next_slot = (slot + 1) % SLOTS;
    snprintf(ipc->shm, sizeof ipc->shm, "%s", table_name);
    ipc->slot = slot;
    ipc->gen = __atomic_load_n(&gens[slot], __ATOMIC_SEQ_CST);
    n_sends++;
    pthread_mutex_unlock(&lock);
    return 0;
}

static void unref_held(void *data, void *ctx)
{
    (void)data;
    ezc_buffer *b = ctx;
    ezc_buffer_unref(&b);
}

/* A receiver in the sending process itself (CUDA refuses to open a handle
 * there): the leased buffer, by reference. */
static ezc_buffer *import_local(const ezc_wire_cuda_ipc *ipc, size_t nbytes, ezc_error *err)
{
    ezc_buffer *held = NULL;
    pthread_mutex_lock(&lock);
    if (gens && ipc->slot < SLOTS && strcmp(ipc->shm, table_name) == 0 && slots[ipc->slot].buf &&
        __atomic_load_n(&gens[ipc->slot], __ATOMIC_SEQ_CST) == ipc->gen)
        held = ezc_buffer_ref(slots[ipc->slot].buf);
    pthread_mutex_unlock(&lock);
    if (!held) {
        __atomic_add_fetch(&n_expired, 1, __ATOMIC_RELAXED);
        ezc_error_set(err, EZC_EPROTO,
                      "cuda_ipc: the sender's lease on slot %u has ended "
                      "(the receiver fell behind)",
                      ipc->slot);
        return NULL;
    }
    unsigned long long base = (unsigned long long)(uintptr_t)held->data;
    pthread_once(&range_once, find_range);
    size_t size = held->nbytes;
    if (get_range)
        get_range(&base, &size, base);
    char *p = (char *)(uintptr_t)base + ipc->offset;
    if (ipc->offset > size || nbytes > size - ipc->offset) {
        ezc_buffer_unref(&held);
        ezc_error_set(err, EZC_EPROTO, "cuda_ipc: offset %llu + %zu bytes is beyond the allocation",
                      (unsigned long long)ipc->offset, nbytes);
        return NULL;
    }
    ezc_buffer *b = ezc_buffer_wrap(p, nbytes, ezc_device_cuda(ipc->device), unref_held, held, err);
    if (!b)
        ezc_buffer_unref(&held);
    else
        __atomic_add_fetch(&n_receives, 1, __ATOMIC_RELAXED);
    return b;
}

/* The sender's generation table, mapped read-only (kept for MAPS senders). */
static const uint64_t *map_table(const char *name, int *temporary, ezc_error *err)
{
    *temporary = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < nmaps; i++)
        if (strcmp(maps[i].name, name) == 0) {
            const uint64_t *g = maps[i].gens;
            pthread_mutex_unlock(&lock);
            return g;
        }
    pthread_mutex_unlock(&lock);
    int fd = shm_open(name, O_RDONLY, 0);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size != (off_t)(SLOTS * sizeof(uint64_t))) {
        if (fd >= 0)
            close(fd);
        ezc_error_set(err, EZC_EPROTO,
                      "cuda_ipc: the sender's lease table %s is not there (the sender has gone)",
                      name);
        return NULL;
    }
    void *p = mmap(NULL, SLOTS * sizeof(uint64_t), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        ezc_error_set(err, EZC_EIO, "cuda_ipc: cannot map the lease table %s", name);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    if (nmaps < MAPS) {
        snprintf(maps[nmaps].name, sizeof maps[nmaps].name, "%s", name);
        maps[nmaps++].gens = p;
    } else {
        *temporary = 1;
    }
    pthread_mutex_unlock(&lock);
    return p;
}

static ezc_buffer *import(const ezc_wire_cuda_ipc *ipc, size_t nbytes, ezc_error *err)
{
    if (ipc->slot >= SLOTS) {
        ezc_error_set(err, EZC_EPROTO, "header.cuda_ipc.slot: %u (the lease table has %d)",
                      ipc->slot, SLOTS);
        return NULL;
    }
    if (ipc->pid == (uint64_t)getpid())
        return import_local(ipc, nbytes, err);
    int temporary;
    const uint64_t *g = map_table(ipc->shm, &temporary, err);
    if (!g)
        return NULL;
    ezc_buffer *out = NULL;
    void *peer = NULL;
    int rc = 0;
    if (__atomic_load_n(&g[ipc->slot], __ATOMIC_SEQ_CST) != ipc->gen)
        goto expired;
    if (!(out = ezc_cuda_alloc(ezc_device_cuda(ipc->device), nbytes, err)))
        goto done;
    cudaIpcMemHandle_t h;
    memcpy(&h, ipc->handle, sizeof h);
    cudaSetDevice(ipc->device);
    if ((rc = (int)cudaIpcOpenMemHandle(&peer, h, cudaIpcMemLazyEnablePeerAccess))) {
        peer = NULL;
        cudaGetLastError();
        /* A slot released meanwhile explains a failed open best. */
        if (__atomic_load_n(&g[ipc->slot], __ATOMIC_SEQ_CST) != ipc->gen)
            goto expired;
        ezc_cuda_fail(err, "cuda_ipc open", rc);
        goto fail;
    }
    pthread_once(&range_once, find_range);
    unsigned long long base = 0;
    size_t size = 0;
    if (get_range && get_range(&base, &size, (unsigned long long)(uintptr_t)peer) == 0 &&
        (ipc->offset > size || nbytes > size - ipc->offset)) {
        ezc_error_set(err, EZC_EPROTO,
                      "header.cuda_ipc.offset: %llu + %zu bytes is beyond the "
                      "%zu-byte allocation",
                      (unsigned long long)ipc->offset, nbytes, size);
        goto fail;
    }
    if (nbytes)
        rc = (int)cudaMemcpyAsync(out->data, (char *)peer + ipc->offset, nbytes,
                                  cudaMemcpyDeviceToDevice, cudaStreamPerThread);
    if (!rc)
        rc = (int)cudaStreamSynchronize(cudaStreamPerThread);
    if (rc) {
        ezc_cuda_fail(err, "cuda_ipc copy", rc);
        goto fail;
    }
    cudaIpcCloseMemHandle(peer);
    peer = NULL;
    if (__atomic_load_n(&g[ipc->slot], __ATOMIC_SEQ_CST) != ipc->gen)
        goto expired;
    __atomic_add_fetch(&n_receives, 1, __ATOMIC_RELAXED);
    goto done;
expired:
    __atomic_add_fetch(&n_expired, 1, __ATOMIC_RELAXED);
    ezc_error_set(err, EZC_EPROTO,
                  "cuda_ipc: the sender's lease on slot %u ended before the copy was done (the "
                  "receiver fell behind by more than %d messages or %lld s)",
                  ipc->slot, SLOTS, (long long)(LEASE_NS / 1000000000));
fail:
    if (peer)
        cudaIpcCloseMemHandle(peer);
    ezc_buffer_unref(&out);
done:
    if (temporary)
        munmap((void *)g, SLOTS * sizeof(uint64_t));
    return out;
}

static void counters(ezc_cuda_ipc_counters *c)
{
    pthread_mutex_lock(&lock);
    c->ipc_sends = n_sends;
    pthread_mutex_unlock(&lock);
    c->ipc_receives = __atomic_load_n(&n_receives, __ATOMIC_RELAXED);
    c->expired = __atomic_load_n(&n_expired, __ATOMIC_RELAXED);
    c->host_copies = ezc_cuda_host_copies();
}

const ezc_cuda_ipc_ops ezc_cuda_ipc_table = {
    .abi = EZC_CUDA_IPC_ABI,
    .export_array = export_array,
    .import = import,
    .counters = counters,
};
