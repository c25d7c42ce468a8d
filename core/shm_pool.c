/* shm_pool.c — the publisher's side of the shared-memory transport (shm.h).
 *
 * Slots are found by scanning from the first: recently freed slots come back
 * first, so a steady stream keeps reusing the same few (warm in cache, and
 * the segment's untouched tail never gets pages). A slot's pages are
 * reserved (fallocate) the first time it is used, never a whole segment at
 * once, so a full /dev/shm is an error at that moment, not a SIGBUS later.
 *
 * Forwarding: a message whose data is a slot this process received from
 * another pool goes out as a head-only slot (EZC_SHM_HEAD bytes, in
 * segments of their own) naming that slot; the pool keeps a reference to
 * the received buffer until every reader has handed the head back (each
 * took its own reference on the origin's slot by then), checked in order
 * at each send (fwd_collect). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "pubsub_internal.h"
#include "shm.h"

#define SEG_TARGET (64u << 20) /* bytes a data segment aims at */
#define SEG_MIN_SLOTS 4
#define SEG_MAX_SLOTS 256
#define WAIT_NS 20000             /* a blocked send looks again this often */
#define LIVENESS_NS 1000000000    /* readers' pids are checked this often while sending */
#define BLOCKED_CHECK_NS 50000000 /* ... and this often while a reader holds a send back */

struct ezc_shm_pool {
    atomic_int refs; /* the publisher + loaned buffers alive */
    ezc_shm_ctl *ctl;
    int ctl_fd;
    char prefix[EZC_SHM_NAME]; /* "/ezc-UID-PID-RAND" */
    char sidecar[520];         /* PATH.shm; "" when not written */
    int seg_fd[EZC_SHM_SEGS];
    unsigned char *seg_base[EZC_SHM_SEGS];
    uint64_t seg_size[EZC_SHM_SEGS];
    unsigned char touched[EZC_SHM_SLOTS];        /* pages reserved */
    _Atomic unsigned char loaned[EZC_SHM_SLOTS]; /* lent out and not yet sent */
    uint32_t nslots;
    uint64_t bytes, max_bytes;
    int door; /* unbound datagram socket that rings readers' doorbells */
    int64_t next_liveness;
    uint64_t dropped, nospace, reclaims, zero_copy, forwarded;
    /* Forwarded heads: the buffer each holds, and the heads in the order
     * sent with the generation they went under (one whose slot has been
     * taken again since is skipped). */
    ezc_buffer *fwd[EZC_SHM_SLOTS];
    struct {
        uint32_t slot;
        uint64_t gen;
    } fwd_q[2 * EZC_SHM_SLOTS];
    uint64_t fwd_head, fwd_tail;
    uint32_t nfwd;
    int forward; /* EZC_SHM_FORWARD is not 0 */
    /* Origins: the one each forwarded head names, how many heads name
     * each, and when each was last used (to retire the oldest). */
    uint8_t fwd_origin[EZC_SHM_SLOTS];
    uint32_t origin_heads[EZC_SHM_ORIGINS];
    uint64_t origin_used[EZC_SHM_ORIGINS], origin_tick;
};

/* Lets go of forwarded head s's buffer (its readers have their own
 * references on the origin's slot by now). */
static void fwd_drop(ezc_shm_pool *p, uint32_t s)
{
    if (p->fwd[s]) {
        ezc_buffer_unref(&p->fwd[s]);
        p->nfwd--;
        p->origin_heads[p->fwd_origin[s]]--;
    }
}

/* Drops the forwarded heads every reader has handed back, oldest first
 * (all of them with `all`: the pool is going). */
static void fwd_collect(ezc_shm_pool *p, int all)
{
    for (; p->fwd_head != p->fwd_tail; p->fwd_head++) {
        uint32_t s = p->fwd_q[p->fwd_head % (2 * EZC_SHM_SLOTS)].slot;
        uint64_t gen = p->fwd_q[p->fwd_head % (2 * EZC_SHM_SLOTS)].gen;
        uint64_t st = atomic_load(&p->ctl->slot_state[s]);
        if (!p->fwd[s] || EZC_SHM_GEN(st) != gen)
            continue; /* dropped when the slot was taken again */
        if (!all && EZC_SHM_REFS(st))
            break;
        fwd_drop(p, s);
    }
}

int ezc_shm_enabled(void)
{
    const char *e = getenv("EZC_SHM");
    return !(e && (strcmp(e, "0") == 0 || strcmp(e, "off") == 0 || strcmp(e, "inline") == 0));
}

int ezc_shm_forward_enabled(void)
{
    const char *e = getenv("EZC_SHM_FORWARD");
    return !(e && (strcmp(e, "0") == 0 || strcmp(e, "off") == 0));
}

static void pool_unref(ezc_shm_pool *p)
{
    if (atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    for (uint32_t k = 0; k < EZC_SHM_SEGS; k++) {
        if (p->seg_base[k])
            munmap(p->seg_base[k], p->seg_size[k]);
        if (p->seg_fd[k] >= 0)
            close(p->seg_fd[k]);
    }
    if (p->ctl)
        munmap(p->ctl, sizeof *p->ctl);
    if (p->ctl_fd >= 0)
        close(p->ctl_fd); /* lets go of the lock */
    if (p->door >= 0)
        close(p->door);
    free(p);
}

/* ---- stale segments ---- */

static int pid_dead(long pid)
{
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes this user's segments whose publisher is gone: a control segment
 * whose lock nobody holds (its owner died: the kernel dropped the lock),
 * and data segments whose owner pid no longer exists. Never another user's
 * (the name and the file's owner must both be ours). */
static void sweep_stale(void)
{
    char mine[32];
    snprintf(mine, sizeof mine, "ezc-%u-", (unsigned)geteuid());
    DIR *d = opendir("/dev/shm");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, mine, strlen(mine)) != 0)
            continue;
        char name[300];
        snprintf(name, sizeof name, "/%s", e->d_name);
        long pid = strtol(e->d_name + strlen(mine), NULL, 10);
        size_t n = strlen(e->d_name);
        int is_ctl = n > 2 && strcmp(e->d_name + n - 2, "-c") == 0;
        int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0)
            continue;
        struct stat st;
        int ours = fstat(fd, &st) == 0 && st.st_uid == geteuid();
        int stale = 0;
        if (ours && is_ctl)
            stale = flock(fd, LOCK_EX | LOCK_NB) == 0;
        else if (ours)
            stale = pid_dead(pid);
        if (stale)
            shm_unlink(name);
        close(fd);
    }
    closedir(d);
}

/* ---- creation ---- */

static int write_sidecar(ezc_shm_pool *p, const char *path, ezc_error *err)
{
    char tmp[560];
    if (snprintf(p->sidecar, sizeof p->sidecar, "%s.shm", path) >= (int)sizeof p->sidecar ||
        snprintf(tmp, sizeof tmp, "%s.shm.%d", path, (int)getpid()) >= (int)sizeof tmp) {
        p->sidecar[0] = '\0';
        return ezc_error_set(err, EZC_EINVAL, "shm: path '%s' is too long", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        p->sidecar[0] = '\0';
        return ezc_error_set(err, EZC_EIO, "shm: cannot write %s: %s", tmp, strerror(errno));
    }
    char line[128];
    int n = snprintf(line, sizeof line, "ezc-shm %d %s-c\n", EZC_SHM_VERSION, p->prefix);
    int ok = write(fd, line, (size_t)n) == n;
    close(fd);
    if (!ok || rename(tmp, p->sidecar) != 0) {
        unlink(tmp);
        p->sidecar[0] = '\0';
        return ezc_error_set(err, EZC_EIO, "shm: cannot write %s.shm", path);
    }
    return 0;
}

ezc_shm_pool *ezc_shm_pool_new(const char *path, uint64_t pub_id, ezc_error *err)
{
    if (!ezc_shm_enabled())
        return NULL;
    sweep_stale();
    ezc_shm_pool *p = calloc(1, sizeof *p);
    if (!p) {
        ezc_error_set(err, EZC_ENOMEM, "shm: out of memory");
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->ctl_fd = p->door = -1;
    p->forward = ezc_shm_forward_enabled();
    for (int k = 0; k < EZC_SHM_SEGS; k++)
        p->seg_fd[k] = -1;
    p->max_bytes = (uint64_t)1 << 30;
    const char *mb = getenv("EZC_SHM_MAX_MB");
    if (mb && atoll(mb) > 0)
        p->max_bytes = (uint64_t)atoll(mb) << 20;
    snprintf(p->prefix, sizeof p->prefix, "/ezc-%u-%d-%016llx", (unsigned)geteuid(), (int)getpid(),
             (unsigned long long)ezc_random_u64());
    char name[EZC_SHM_NAME + 4];
    snprintf(name, sizeof name, "%s-c", p->prefix);
    p->ctl_fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (p->ctl_fd < 0) {
        ezc_error_set(err, EZC_EIO, "shm: cannot create %s: %s", name, strerror(errno));
        goto fail;
    }
    if (flock(p->ctl_fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(p->ctl_fd, sizeof *p->ctl) != 0 ||
        posix_fallocate(p->ctl_fd, 0, sizeof *p->ctl) != 0) {
        ezc_error_set(err, EZC_EIO, "shm: cannot size %s (%zu bytes): %s", name, sizeof *p->ctl,
                      strerror(errno));
        goto fail_unlink;
    }
    p->ctl = mmap(NULL, sizeof *p->ctl, PROT_READ | PROT_WRITE, MAP_SHARED, p->ctl_fd, 0);
    if (p->ctl == MAP_FAILED) {
        p->ctl = NULL;
        ezc_error_set(err, EZC_EIO, "shm: cannot map %s: %s", name, strerror(errno));
        goto fail_unlink;
    }
    ezc_shm_ctl *c = p->ctl;
    c->version = EZC_SHM_VERSION;
    c->readers = EZC_SHM_READERS;
    c->ring = EZC_SHM_RING;
    c->slots = EZC_SHM_SLOTS;
    c->segs = EZC_SHM_SEGS;
    c->head = EZC_SHM_HEAD;
    c->pub_id = pub_id;
    c->pid = (int32_t)getpid();
    c->uid = (uint32_t)geteuid();
    atomic_thread_fence(memory_order_release);
    memcpy(c->magic, EZC_SHM_MAGIC, 8);
    p->door = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->door < 0) {
        ezc_error_set(err, EZC_EIO, "shm: cannot open a doorbell socket: %s", strerror(errno));
        goto fail_unlink;
    }
    if (write_sidecar(p, path, err))
        goto fail_unlink;
    return p;
fail_unlink:
    shm_unlink(name);
fail:
    pool_unref(p);
    return NULL;
}

void ezc_shm_pool_destroy(ezc_shm_pool **pp)
{
    if (!pp || !*pp)
        return;
    ezc_shm_pool *p = *pp;
    *pp = NULL;
    fwd_collect(p, 1);
    if (p->sidecar[0]) {
        /* Only our own line: a publisher that took the path after us wrote its own. */
        char line[128] = "", want[128];
        snprintf(want, sizeof want, "ezc-shm %d %s-c\n", EZC_SHM_VERSION, p->prefix);
        FILE *f = fopen(p->sidecar, "re");
        if (f) {
            if (!fgets(line, sizeof line, f))
                line[0] = '\0';
            fclose(f);
        }
        if (strcmp(line, want) == 0)
            unlink(p->sidecar);
    }
    char name[EZC_SHM_NAME + 4];
    for (int k = 0; k < EZC_SHM_SEGS; k++) {
        if (p->seg_fd[k] < 0)
            continue;
        snprintf(name, sizeof name, "%s-%d", p->prefix, k);
        shm_unlink(name);
    }
    snprintf(name, sizeof name, "%s-c", p->prefix);
    shm_unlink(name);
    pool_unref(p);
}

/* ---- readers ---- */

static int64_t now_ns(void)
{
    return ezc_clock_ns(CLOCK_MONOTONIC);
}

static void slot_unref(ezc_shm_pool *p, uint32_t slot, uint32_t n)
{
    if (slot < p->nslots && n)
        atomic_fetch_sub(&p->ctl->slot_state[slot], n);
}

/* Hands back what reader r still has queued (and, when it is dead, what it
 * held), then frees its entry once nothing of it is held. */
static void reader_release(ezc_shm_pool *p, ezc_shm_reader *r, int dead)
{
    uint64_t head = atomic_load(&r->head), tail = atomic_load(&r->tail);
    if (tail - head > EZC_SHM_RING) /* a dead reader's head can be anything */
        head = tail - EZC_SHM_RING;
    for (; head != tail; head++) {
        ezc_shm_entry *e = &r->ring[head & (EZC_SHM_RING - 1)];
        slot_unref(p, e->slot, 1);
    }
    atomic_store(&r->head, tail);
    int held = 0;
    for (uint32_t s = 0; s < p->nslots; s++) {
        uint16_t h = atomic_load(&r->holds[s]);
        if (h && dead) {
            slot_unref(p, s, h);
            atomic_store(&r->holds[s], 0);
        } else if (h) {
            held = 1;
        }
    }
    if (dead)
        p->reclaims++;
    if (!held) {
        atomic_store(&r->waiting, 0);
        for (int k = 0; k < EZC_SHM_ORIGINS; k++)
            atomic_store(&p->ctl->fwd_mapped[r - p->ctl->reader][k], 0);
        atomic_store(&r->state, EZC_SHM_FREE);
    }
}

/* An active reader that is queued to (not a SIDE entry). */
static int queued_to(const ezc_shm_reader *r)
{
    return atomic_load(&r->state) == EZC_SHM_ACTIVE && !(r->flags & EZC_SHM_READER_SIDE);
}

/* Readers that left (their entry frees when they hold nothing more) and,
 * with `pids`, readers whose process is gone. */
static void readers_collect(ezc_shm_pool *p, int pids)
{
    ezc_shm_ctl *c = p->ctl;
    atomic_store(&c->gc_hint, 0);
    for (int i = 0; i < EZC_SHM_READERS; i++) {
        ezc_shm_reader *r = &c->reader[i];
        uint32_t st = atomic_load(&r->state);
        if (st == EZC_SHM_FREE)
            continue;
        int dead = pids && pid_dead(r->pid);
        if (st == EZC_SHM_LEAVING || (st == EZC_SHM_ACTIVE && dead))
            reader_release(p, r, dead);
        else if (st == EZC_SHM_CLAIMING && dead)
            atomic_store(&r->state, EZC_SHM_FREE);
    }
}

static void maybe_collect(ezc_shm_pool *p)
{
    int64_t now = now_ns();
    int pids = now >= p->next_liveness;
    if (pids)
        p->next_liveness = now + LIVENESS_NS;
    if (pids || atomic_load_explicit(&p->ctl->gc_hint, memory_order_relaxed))
        readers_collect(p, pids);
}

int ezc_shm_pool_readers(ezc_shm_pool *p)
{
    if (!p)
        return 0;
    maybe_collect(p);
    int n = 0;
    for (int i = 0; i < EZC_SHM_READERS; i++)
        n += queued_to(&p->ctl->reader[i]);
    return n;
}

/* ---- slots ---- */

static int add_segment(ezc_shm_pool *p, uint64_t need, ezc_error *err)
{
    ezc_shm_ctl *c = p->ctl;
    uint32_t k = atomic_load(&c->nsegs);
    uint64_t slot_bytes = (need + 4095) & ~(uint64_t)4095;
    if (k >= EZC_SHM_SEGS || p->nslots >= EZC_SHM_SLOTS || slot_bytes < need)
        return ezc_error_set(err, EZC_EIO, "shm: the pool has no room for more segments");
    uint64_t count = SEG_TARGET / slot_bytes;
    if (count < SEG_MIN_SLOTS)
        count = SEG_MIN_SLOTS;
    if (count > SEG_MAX_SLOTS)
        count = SEG_MAX_SLOTS;
    if (count > EZC_SHM_SLOTS - p->nslots)
        count = EZC_SHM_SLOTS - p->nslots;
    while (count > 1 && p->bytes + count * slot_bytes > p->max_bytes)
        count--;
    if (p->bytes + count * slot_bytes > p->max_bytes)
        return ezc_error_set(err, EZC_EIO,
                             "shm: a %llu-byte slot would pass the pool's limit of %llu MiB "
                             "(EZC_SHM_MAX_MB)",
                             (unsigned long long)slot_bytes,
                             (unsigned long long)(p->max_bytes >> 20));
    char name[EZC_SHM_NAME + 4];
    snprintf(name, sizeof name, "%s-%u", p->prefix, k);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return ezc_error_set(err, EZC_EIO, "shm: cannot create %s: %s", name, strerror(errno));
    uint64_t size = count * slot_bytes;
    void *base = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0)
        base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        int e = errno;
        close(fd);
        shm_unlink(name);
        return ezc_error_set(err, EZC_EIO, "shm: cannot size or map %s (%llu bytes): %s", name,
                             (unsigned long long)size, strerror(e));
    }
    p->seg_fd[k] = fd;
    p->seg_base[k] = base;
    p->seg_size[k] = size;
    ezc_shm_seg *s = &c->seg[k];
    memcpy(s->name, name, sizeof s->name); /* the prefix leaves room: see pool_new */
    s->name[sizeof s->name - 1] = '\0';
    s->slot_bytes = slot_bytes;
    s->first = p->nslots;
    s->count = (uint32_t)count;
    for (uint32_t i = 0; i < count; i++) /* generation 1, no references */
        atomic_store(&c->slot_state[p->nslots + i], (uint64_t)1 << 16);
    p->nslots += (uint32_t)count;
    p->bytes += size;
    atomic_store_explicit(&c->nsegs, k + 1, memory_order_release);
    return 0;
}

/* The segment of global slot s (slots are handed out in segment order). */
static uint32_t seg_of(const ezc_shm_pool *p, uint32_t s)
{
    uint32_t k = 0, n = atomic_load_explicit(&p->ctl->nsegs, memory_order_relaxed);
    while (k + 1 < n && s >= p->ctl->seg[k + 1].first)
        k++;
    return k;
}

static unsigned char *slot_ptr(const ezc_shm_pool *p, uint32_t s)
{
    uint32_t k = seg_of(p, s);
    const ezc_shm_seg *g = &p->ctl->seg[k];
    return p->seg_base[k] + (uint64_t)(s - g->first) * g->slot_bytes;
}

/* A free slot with room for nbytes of data (exactly that room with
 * `exact`: a forwarded head's), taken (one reference, a new generation):
 * its index, or -1 when none is free (err untouched) or -2 with err set
 * (the pool cannot grow, the system has no pages). */
static int64_t slot_take(ezc_shm_pool *p, size_t nbytes, int may_grow, int exact, ezc_error *err)
{
    ezc_shm_ctl *c = p->ctl;
    uint64_t need = EZC_SHM_HEAD + (uint64_t)nbytes;
    if (need < nbytes)
        return ezc_error_set(err, EZC_EIO, "shm: %zu bytes is too large", nbytes), -2;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t n = atomic_load(&c->nsegs);
        for (uint32_t k = 0; k < n; k++) {
            ezc_shm_seg *g = &c->seg[k];
            if (g->slot_bytes < need || (exact && g->slot_bytes != need))
                continue;
            for (uint32_t s = g->first; s < g->first + g->count; s++) {
                uint64_t st = atomic_load_explicit(&c->slot_state[s], memory_order_relaxed);
                if (EZC_SHM_REFS(st) || p->loaned[s])
                    continue;
                fwd_drop(p, s); /* a forwarded head every reader handed back */
                uint64_t next = ((EZC_SHM_GEN(st) + 1) << 16) | 1;
                if (!atomic_compare_exchange_strong(&c->slot_state[s], &st, next))
                    continue;
                if (!p->touched[s]) {
                    /* Reserve its pages now: a full /dev/shm fails here, not as a SIGBUS. */
                    int e = posix_fallocate(p->seg_fd[k], (off_t)((s - g->first) * g->slot_bytes),
                                            (off_t)g->slot_bytes);
                    if (e) {
                        atomic_fetch_sub(&c->slot_state[s], 1);
                        return ezc_error_set(err, EZC_EIO,
                                             "shm: no memory for a %llu-byte slot in /dev/shm: %s",
                                             (unsigned long long)g->slot_bytes, strerror(e)),
                               -2;
                    }
                    p->touched[s] = 1;
                }
                return s;
            }
        }
        if (pass || !may_grow)
            break;
        /* Grow when no slot of this size is free; the old ones stay as they
         * are. At the limit, a slot that fits comes back sooner or later. */
        ezc_error gerr = {0, ""};
        if (add_segment(p, need, &gerr)) {
            for (uint32_t k = 0; k < n; k++)
                if (c->seg[k].slot_bytes >= need && (!exact || c->seg[k].slot_bytes == need))
                    return -1;
            if (err)
                *err = gerr;
            return -2;
        }
    }
    return -1;
}

static void loan_free(void *data, void *ctx)
{
    ezc_shm_pool *p = ctx;
    /* Find the slot by address: the data starts a head page into it. */
    unsigned char *at = (unsigned char *)data - EZC_SHM_HEAD;
    uint32_t n = atomic_load(&p->ctl->nsegs);
    for (uint32_t k = 0; k < n; k++) {
        ezc_shm_seg *g = &p->ctl->seg[k];
        if (at < p->seg_base[k] || at >= p->seg_base[k] + p->seg_size[k])
            continue;
        uint32_t s = g->first + (uint32_t)((uint64_t)(at - p->seg_base[k]) / g->slot_bytes);
        p->loaned[s] = 0;
        atomic_fetch_sub(&p->ctl->slot_state[s], 1);
        break;
    }
    pool_unref(p);
}

ezc_buffer *ezc_shm_pool_loan(ezc_shm_pool *p, size_t nbytes, ezc_error *err)
{
    int64_t s = slot_take(p, nbytes, 1, 0, err);
    if (s == -1)
        ezc_error_set(err, EZC_EIO, "shm: every slot is in use");
    if (s < 0)
        return NULL;
    unsigned char *at = slot_ptr(p, (uint32_t)s);
    atomic_fetch_add(&p->refs, 1);
    ezc_buffer *b = ezc_buffer_wrap(at + EZC_SHM_HEAD, nbytes, ezc_device_cpu(), loan_free, p, err);
    if (!b) {
        atomic_fetch_sub(&p->ctl->slot_state[s], 1);
        pool_unref(p);
        return NULL;
    }
    p->loaned[s] = 1;
    return b;
}

/* The slot of a buffer this pool lent, or -1. */
static int64_t loaned_slot(const ezc_shm_pool *p, const ezc_buffer *b, const void *data)
{
    if (!b || b->free_fn != loan_free || b->free_ctx != p || data != b->data)
        return -1;
    const unsigned char *at = (const unsigned char *)b->data - EZC_SHM_HEAD;
    uint32_t n = atomic_load(&p->ctl->nsegs);
    for (uint32_t k = 0; k < n; k++) {
        const ezc_shm_seg *g = &p->ctl->seg[k];
        if (at >= p->seg_base[k] && at < p->seg_base[k] + p->seg_size[k])
            return g->first + (uint32_t)((uint64_t)(at - p->seg_base[k]) / g->slot_bytes);
    }
    return -1;
}

/* ---- sending ---- */

static int wait_step(ezc_shm_pool *p, int64_t start, const ezc_shm_send *how, int64_t *checked,
                     ezc_error *err)
{
    int64_t now = now_ns();
    if (now - *checked >= BLOCKED_CHECK_NS) {
        *checked = now;
        readers_collect(p, 1);
    }
    if (ezc_interrupted())
        return ezc_error_set(err, EZC_EINTR, "shm: send abandoned: a stop was requested");
    if (how->timeout_ms >= 0 && now - start >= (int64_t)how->timeout_ms * 1000000)
        return EZC_ETIMEOUT;
    struct timespec ts = {0, WAIT_NS};
    nanosleep(&ts, NULL);
    return 0;
}

static int topic_matches(const ezc_shm_reader *r, const char *topic, size_t tlen)
{
    uint32_t n = r->topic_len;
    return n <= sizeof r->topic && n <= tlen && memcmp(r->topic, topic, n) == 0;
}

static void ring(ezc_shm_pool *p, ezc_shm_reader *r)
{
    if (!atomic_load(&r->waiting) || !atomic_exchange(&r->waiting, 0))
        return;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strnlen(r->door, sizeof r->door);
    memcpy(a.sun_path + 1, r->door, n); /* abstract: sun_path[0] is NUL */
    char one = 1;
    sendto(p->door, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a,
           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
}

/* Rings the doorbells of the readers in *pending, and clears it. */
static void ring_pending(ezc_shm_pool *p, uint64_t *pending)
{
    for (int i = 0; *pending; i++)
        if (*pending >> i & 1) {
            ring(p, &p->ctl->reader[i]);
            *pending &= ~((uint64_t)1 << i);
        }
}

/* Whether a reader still has origin k mapped. */
static int origin_mapped(ezc_shm_pool *p, int k)
{
    for (int i = 0; i < EZC_SHM_READERS; i++)
        if (atomic_load(&p->ctl->reader[i].state) != EZC_SHM_FREE &&
            atomic_load(&p->ctl->fwd_mapped[i][k]))
            return 1;
    return 0;
}

/* The index of origin pool `name` in our table, named there when new (its
 * readers map it from their next take on), or -1 while the table has no
 * room: then the entry used longest ago that no queued message names is
 * retired, to be named again once every reader has let go of it. */
static int origin_index(ezc_shm_pool *p, const char *name)
{
    ezc_shm_ctl *c = p->ctl;
    int k, unused = -1, retired = -1, oldest = -1;
    if (strlen(name) >= EZC_SHM_NAME)
        return -1;
    for (k = 0; k < EZC_SHM_ORIGINS; k++) {
        uint32_t st = atomic_load_explicit(&c->origin[k].state, memory_order_relaxed);
        if (st == 1 && strncmp(c->origin[k].name, name, EZC_SHM_NAME) == 0) {
            p->origin_used[k] = ++p->origin_tick;
            return k;
        }
        if (st == 0 && unused < 0)
            unused = k;
        else if (st == 2 && retired < 0 && !origin_mapped(p, k))
            retired = k;
        else if (st == 1 && !p->origin_heads[k] &&
                 (oldest < 0 || p->origin_used[k] < p->origin_used[oldest]))
            oldest = k;
    }
    k = unused >= 0 ? unused : retired;
    if (k < 0) {
        if (oldest >= 0)
            atomic_store(&c->origin[oldest].state, 2);
        return -1;
    }
    memcpy(c->origin[k].name, name, strlen(name) + 1);
    atomic_fetch_add(&c->origin[k].gen, 1);
    atomic_store(&c->origin[k].state, 1);
    if ((uint32_t)k >= atomic_load(&c->norigins))
        atomic_store(&c->norigins, (uint32_t)k + 1);
    p->origin_used[k] = ++p->origin_tick;
    return k;
}

/* Whether data (how->own, received from another pool) can be forwarded to
 * every one of `targets`: each takes forwarded messages and has mapped the
 * slot's segment in that origin. *k: the origin's index. */
static int can_forward(ezc_shm_pool *p, uint64_t targets, const ezc_shm_send *how, const void *data,
                       size_t nbytes, ezc_shm_src *src, int *k)
{
    if (!p->forward || !how->own || ezc_shm_sub_source(how->own, data, nbytes, src) ||
        p->fwd_tail - p->fwd_head >= 2 * EZC_SHM_SLOTS || (*k = origin_index(p, src->pool)) < 0)
        return 0;
    for (int i = 0; i < EZC_SHM_READERS; i++) {
        const ezc_shm_reader *r = &p->ctl->reader[i];
        if ((targets >> i & 1) &&
            (!(r->flags & EZC_SHM_READER_FWD) ||
             atomic_load_explicit(&p->ctl->fwd_mapped[i][*k], memory_order_acquire) <= src->seg))
            return 0;
    }
    return 1;
}

int ezc_shm_pool_send(ezc_shm_pool *p, const char *topic, const void *hdr, size_t hlen,
                      const void *data, size_t nbytes, const ezc_shm_send *how, ezc_error *err)
{
    ezc_shm_ctl *c = p->ctl;
    /* Counted before the readers are looked at: a reader that registers and
     * then finds sent == 0 is sure to be queued every message (shm_reader.c). */
    atomic_fetch_add(&c->sent, 1);
    maybe_collect(p);
    if (p->nfwd)
        fwd_collect(p, 0);
    size_t tlen = strlen(topic);
    uint64_t targets = 0;
    for (int i = 0; i < EZC_SHM_READERS; i++) {
        ezc_shm_reader *r = &c->reader[i];
        if (queued_to(r) && topic_matches(r, topic, tlen))
            targets |= (uint64_t)1 << i;
    }
    /* A reader that would drop this one anyway (lossy, its ring full: a
     * dashboard behind) costs no slot and no copy: counted and left out. */
    for (int i = 0; i < EZC_SHM_READERS; i++) {
        ezc_shm_reader *r = &c->reader[i];
        if ((targets >> i & 1) && (how->lossy || (r->flags & EZC_SHM_READER_LOSSY)) &&
            atomic_load_explicit(&r->tail, memory_order_relaxed) - atomic_load(&r->head) >=
                EZC_SHM_RING) {
            atomic_fetch_add(&r->dropped, 1);
            p->dropped++;
            targets &= ~((uint64_t)1 << i);
        }
    }
    if (!targets)
        return 0;
    if (tlen + hlen + sizeof(ezc_shm_slot_head) > EZC_SHM_HEAD) {
        for (int i = 0; i < EZC_SHM_READERS; i++)
            if (targets >> i & 1)
                atomic_fetch_add(&c->reader[i].dropped, 1);
        p->dropped++;
        return ezc_error_set(err, EZC_EIO,
                             "shm: a %zu-byte header does not fit a slot's head page (%d bytes)",
                             tlen + hlen, EZC_SHM_HEAD);
    }
    int64_t s = loaned_slot(p, how->own, data);
    int own = s >= 0 && p->loaned[s], k = 0, origin = 0; /* origin: k + 1 when forwarded */
    ezc_shm_src src = {0};
    if (!own && can_forward(p, targets, how, data, nbytes, &src, &k) &&
        (s = slot_take(p, 0, 1, 1, NULL)) >= 0) {
        uint64_t gen = EZC_SHM_GEN(atomic_load(&c->slot_state[s]));
        p->fwd[s] = ezc_buffer_ref((ezc_buffer *)how->own);
        p->fwd_q[p->fwd_tail % (2 * EZC_SHM_SLOTS)].slot = (uint32_t)s;
        p->fwd_q[p->fwd_tail % (2 * EZC_SHM_SLOTS)].gen = gen;
        p->fwd_tail++;
        p->nfwd++;
        p->fwd_origin[s] = (uint8_t)k;
        p->origin_heads[k]++;
        p->forwarded++;
        ((ezc_buffer *)how->own)->readonly = 1; /* readers see it now: no more writes */
        origin = k + 1;
    } else if (own) {
        atomic_fetch_add(&c->slot_state[s], 1); /* the send's own reference */
        p->loaned[s] = 0;
        ((ezc_buffer *)how->own)->readonly = 1; /* readers see it now: no more writes */
        p->zero_copy++;
    } else {
        int64_t start = now_ns(), checked = start;
        for (;;) {
            s = slot_take(p, nbytes, 1, 0, err);
            if (s >= 0)
                break;
            int rc = s == -2 || how->lossy ? 1 : wait_step(p, start, how, &checked, err);
            if (rc == EZC_EINTR)
                return rc;
            if (rc) { /* no slot: the shm readers miss this one, counted */
                p->nospace++;
                for (int i = 0; i < EZC_SHM_READERS; i++)
                    if (targets >> i & 1)
                        atomic_fetch_add(&c->reader[i].dropped, 1);
                if (s == -1)
                    ezc_error_set(err, EZC_ETIMEOUT, "shm: every slot is in use");
                return s == -2 ? EZC_EIO : EZC_ETIMEOUT;
            }
        }
        if (nbytes)
            memcpy(slot_ptr(p, (uint32_t)s) + EZC_SHM_HEAD, data, nbytes);
    }
    unsigned char *at = slot_ptr(p, (uint32_t)s);
    uint64_t gen = EZC_SHM_GEN(atomic_load(&c->slot_state[s]));
    ezc_shm_slot_head h = {gen, (uint32_t)tlen, (uint32_t)hlen, nbytes, (uint32_t)origin, 0, 0};
    if (origin) {
        h.origin_slot = src.slot;
        h.origin_gen = src.gen;
    }
    memcpy(at, &h, sizeof h);
    memcpy(at + sizeof h, topic, tlen);
    memcpy(at + sizeof h + tlen, hdr, hlen);
    /* Sleeping readers are woken once the send's own reference is gone,
     * so one that takes the message at once can find itself its only
     * holder (and write on it in place, forward it); a send that has to
     * wait for a full ring wakes those queued so far first. */
    int rc = 0;
    uint64_t pending = 0;
    for (int i = 0; i < EZC_SHM_READERS && rc == 0; i++) {
        if (!(targets >> i & 1))
            continue;
        ezc_shm_reader *r = &c->reader[i];
        int64_t start = 0, checked = 0;
        for (;;) {
            uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
            if (tail - atomic_load(&r->head) < EZC_SHM_RING) {
                r->ring[tail & (EZC_SHM_RING - 1)] = (ezc_shm_entry){(uint32_t)s, 0, gen};
                atomic_fetch_add(&c->slot_state[s], 1);
                atomic_store(&r->tail, tail + 1);
                pending |= (uint64_t)1 << i;
                break;
            }
            if (!start) {
                start = checked = now_ns();
                ring_pending(p, &pending);
            }
            int stalled = how->stall_ms > 0 && now_ns() - start >= (int64_t)how->stall_ms * 1000000;
            int w = how->lossy || stalled || (r->flags & EZC_SHM_READER_LOSSY)
                        ? 1
                        : wait_step(p, start, how, &checked, err);
            if (atomic_load(&r->state) != EZC_SHM_ACTIVE)
                break; /* it left or died while we waited */
            if (w == EZC_EINTR || w == EZC_ETIMEOUT) {
                rc = w;
                break;
            }
            if (w) {
                atomic_fetch_add(&r->dropped, 1);
                p->dropped++;
                break;
            }
        }
    }
    atomic_fetch_sub(&c->slot_state[s], 1); /* the send's reference */
    ring_pending(p, &pending);
    if (rc == EZC_ETIMEOUT)
        ezc_error_set(err, rc, "shm: a subscriber's queue stayed full (%d messages)", EZC_SHM_RING);
    return rc;
}

void ezc_shm_pool_linger(ezc_shm_pool *p, int linger_ms)
{
    if (!p || linger_ms == 0)
        return;
    int64_t until = now_ns() + (int64_t)linger_ms * 1000000;
    for (;;) {
        readers_collect(p, 1);
        /* ... and have their own references on what was forwarded */
        fwd_collect(p, 0);
        int queued = p->nfwd != 0;
        for (int i = 0; i < EZC_SHM_READERS && !queued; i++) {
            ezc_shm_reader *r = &p->ctl->reader[i];
            queued = queued_to(r) && atomic_load(&r->head) != atomic_load(&r->tail);
        }
        if (!queued || (linger_ms > 0 && now_ns() >= until))
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

void ezc_shm_pool_stats_get(ezc_shm_pool *p, ezc_shm_pool_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!p)
        return;
    maybe_collect(p); /* what is held: after those that left or died handed back */
    ezc_shm_ctl *c = p->ctl;
    st->sent = atomic_load(&c->sent);
    st->dropped = p->dropped;
    st->nospace = p->nospace;
    st->zero_copy = p->zero_copy;
    st->forwarded = p->forwarded;
    st->reclaims = p->reclaims;
    st->slots = p->nslots;
    st->bytes = p->bytes;
    for (uint32_t s = 0; s < p->nslots; s++)
        st->held += EZC_SHM_REFS(atomic_load(&c->slot_state[s])) != 0;
    for (int i = 0; i < EZC_SHM_READERS; i++)
        st->readers += queued_to(&c->reader[i]);
}
