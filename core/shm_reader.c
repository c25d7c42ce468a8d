/* shm_reader.c — the subscriber's side of the shared-memory transport
 * (shm.h). Everything read from the pool is checked before use, as wire
 * input is: the control segment's sizes against this build's, each
 * segment's description against the file's real size, each slot's head
 * against the slot. A broken pool makes messages refused, never a crash.
 *
 * Received arrays wrap their slot's data (read-only mapping, buffer marked
 * readonly so writers copy first); the slot goes back to the publisher
 * when the last such array is released, from whatever thread releases it.
 * The reader object lives until then too, so its mappings stay valid
 * after ezc_shm_sub_detach.
 *
 * Forwarded messages (a publisher sending on a slot it received from
 * another pool, the origin) name that slot in their head. A reader with
 * EZC_SHM_READER_FWD keeps a SIDE entry in each origin its pool names,
 * maps it, and says how much it has mapped (fwd_mapped); taking such a
 * message, it takes its own reference on the origin's slot through the
 * side entry, then hands the head slot back at once. So the data stays
 * held by this process alone, wherever it came from, and a dead reader's
 * holds are reclaimed by the pool that owns the slot. */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "ezc/shm_reader.h"
#include "ezc/wire.h"
#include "pubsub_internal.h"
#include "shm.h"

struct ezc_shm_sub {
    atomic_int refs; /* the subscriber + arrays alive */
    ezc_shm_ctl *ctl;
    int ctl_fd;
    int door;
    ezc_shm_reader *me;
    uint64_t pub_id;
    _Atomic uint32_t nmapped; /* segments mapped, in order (read by releases on other threads) */
    unsigned char *base[EZC_SHM_SEGS];
    uint64_t size[EZC_SHM_SEGS];
    uint64_t slot_bytes[EZC_SHM_SEGS];
    uint32_t first[EZC_SHM_SEGS], count[EZC_SHM_SEGS];
    uint32_t flags;                     /* EZC_SHM_READER_*: ours, not the pool's copy */
    uint32_t me_idx;                    /* our entry's index */
    char name[EZC_SHM_NAME];            /* the control segment */
    ezc_shm_sub *side[EZC_SHM_ORIGINS]; /* our SIDE entries in the origins (NULL: none) */
    uint32_t side_gen[EZC_SHM_ORIGINS]; /* the origin entry's gen each was attached under */
};

static void sub_unref(ezc_shm_sub *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (uint32_t k = 0; k < s->nmapped; k++)
        munmap(s->base[k], s->size[k]);
    if (s->ctl)
        munmap(s->ctl, sizeof *s->ctl);
    if (s->ctl_fd >= 0)
        close(s->ctl_fd);
    if (s->door >= 0)
        close(s->door);
    free(s);
}

/* Whether name is a control segment name of this user's: "/ezc-UID-...",
 * no further '/', room for its NUL. */
static int name_ours(const char *name)
{
    char mine[32];
    snprintf(mine, sizeof mine, "/ezc-%u-", (unsigned)geteuid());
    return strnlen(name, EZC_SHM_NAME) < EZC_SHM_NAME && strncmp(name, mine, strlen(mine)) == 0 &&
           !strchr(name + 1, '/');
}

/* "ezc-shm 3 /ezc-UID-..." from PATH.shm, when it is a regular file of ours. */
int ezc_shm_pool_name(const char *path, char *name, size_t cap)
{
    char side[560];
    if (snprintf(side, sizeof side, "%s.shm", path) >= (int)sizeof side)
        return -1;
    int fd = open(side, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    char line[160];
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0)
        return -1;
    line[n] = '\0';
    int version;
    char fmt[32];
    snprintf(fmt, sizeof fmt, "ezc-shm %%d %%%zus", cap - 1);
    if (sscanf(line, fmt, &version, name) != 2 || version != EZC_SHM_VERSION || !name_ours(name))
        return -1;
    return 0;
}

static int ctl_valid(const ezc_shm_ctl *c)
{
    return memcmp(c->magic, EZC_SHM_MAGIC, 8) == 0 && c->version == EZC_SHM_VERSION &&
           c->readers == EZC_SHM_READERS && c->ring == EZC_SHM_RING && c->slots == EZC_SHM_SLOTS &&
           c->segs == EZC_SHM_SEGS && c->head == EZC_SHM_HEAD && c->uid == (uint32_t)geteuid();
}

/* Attaches to the pool whose control segment is `name`: 0 with *out or
 * with *out NULL (not ours to map: inline), or EZC_ENOMEM. A SIDE entry
 * gets no doorbell: nothing is ever queued to it. */
static int attach_name(const char *name, const char *topic, uint32_t flags, ezc_shm_sub **out,
                       ezc_error *err)
{
    size_t tlen = strlen(topic);
    if (tlen > sizeof(((ezc_shm_reader *)0)->topic) || !name_ours(name))
        return 0;
    ezc_shm_sub *s = calloc(1, sizeof *s);
    if (!s)
        return ezc_error_set(err, EZC_ENOMEM, "shm: out of memory");
    atomic_init(&s->refs, 1);
    s->door = -1;
    s->flags = flags;
    memcpy(s->name, name, strlen(name) + 1);
    s->ctl_fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    struct stat st;
    if (s->ctl_fd < 0 || fstat(s->ctl_fd, &st) != 0 || st.st_uid != geteuid() ||
        (uint64_t)st.st_size < sizeof *s->ctl)
        goto inline_only;
    /* A lock we can take means the publisher is gone. */
    if (flock(s->ctl_fd, LOCK_SH | LOCK_NB) == 0)
        goto inline_only;
    s->ctl = mmap(NULL, sizeof *s->ctl, PROT_READ | PROT_WRITE, MAP_SHARED, s->ctl_fd, 0);
    if (s->ctl == MAP_FAILED) {
        s->ctl = NULL;
        goto inline_only;
    }
    if (!ctl_valid(s->ctl))
        goto inline_only;
    s->pub_id = s->ctl->pub_id;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    socklen_t alen = sizeof(sa_family_t);
    if (!(flags & EZC_SHM_READER_SIDE)) {
        /* The doorbell: an abstract datagram socket the kernel names (autobind). */
        s->door = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->door < 0 || bind(s->door, (struct sockaddr *)&a, alen) != 0)
            goto inline_only;
        alen = sizeof a;
        if (getsockname(s->door, (struct sockaddr *)&a, &alen) != 0 ||
            alen <= offsetof(struct sockaddr_un, sun_path) + 1 ||
            alen - offsetof(struct sockaddr_un, sun_path) - 1 >= EZC_SHM_DOOR)
            goto inline_only;
    }
    for (int i = 0; i < EZC_SHM_READERS && !s->me; i++) {
        ezc_shm_reader *r = &s->ctl->reader[i];
        uint32_t free_ = EZC_SHM_FREE;
        if (atomic_compare_exchange_strong(&r->state, &free_, EZC_SHM_CLAIMING)) {
            s->me = r;
            s->me_idx = (uint32_t)i;
        }
    }
    if (!s->me)
        goto inline_only; /* every entry taken: this subscriber goes inline */
    ezc_shm_reader *r = s->me;
    r->pid = (int32_t)getpid();
    r->topic_len = (uint32_t)tlen;
    memcpy(r->topic, topic, tlen);
    memset(r->door, 0, sizeof r->door);
    if (s->door >= 0)
        memcpy(r->door, a.sun_path + 1, alen - offsetof(struct sockaddr_un, sun_path) - 1);
    r->flags = flags;
    for (int k = 0; k < EZC_SHM_ORIGINS; k++)
        atomic_store(&s->ctl->fwd_mapped[s->me_idx][k], 0);
    atomic_store(&r->waiting, 0);
    atomic_store(&r->dropped, 0);
    atomic_store(&r->head, atomic_load(&r->tail));
    atomic_store(&r->state, EZC_SHM_ACTIVE);
    *out = s;
    return 0;
inline_only:
    if (s->me)
        atomic_store(&s->me->state, EZC_SHM_FREE);
    sub_unref(s);
    return 0;
}

int ezc_shm_sub_attach(const char *path, const char *topic, uint32_t flags, ezc_shm_sub **out,
                       ezc_error *err)
{
    *out = NULL;
    char name[EZC_SHM_NAME];
    if (!ezc_shm_enabled() || ezc_shm_pool_name(path, name, sizeof name))
        return 0;
    return attach_name(name, topic ? topic : "", flags & ~EZC_SHM_READER_SIDE, out, err);
}

int ezc_shm_sub_fresh(const ezc_shm_sub *s)
{
    return s && atomic_load(&s->ctl->sent) == 0;
}

void ezc_shm_sub_detach(ezc_shm_sub **sp)
{
    if (!sp || !*sp)
        return;
    ezc_shm_sub *s = *sp;
    *sp = NULL;
    for (uint32_t k = 0; k < EZC_SHM_ORIGINS; k++)
        ezc_shm_sub_detach(&s->side[k]); /* arrays over their slots keep them mapped */
    atomic_store(&s->me->state, EZC_SHM_LEAVING);
    atomic_store(&s->ctl->gc_hint, 1);
    sub_unref(s);
}

uint64_t ezc_shm_sub_pub_id(const ezc_shm_sub *s)
{
    return s ? s->pub_id : 0;
}

int ezc_shm_sub_fd(const ezc_shm_sub *s)
{
    return s ? s->door : -1;
}

int ezc_shm_sub_dead(ezc_shm_sub *s)
{
    if (flock(s->ctl_fd, LOCK_SH | LOCK_NB) != 0)
        return 0;
    flock(s->ctl_fd, LOCK_UN);
    return 1;
}

uint64_t ezc_shm_sub_dropped(const ezc_shm_sub *s)
{
    return s ? atomic_load(&s->me->dropped) : 0;
}

/* Maps the segments the publisher has described since last time. */
static int map_new(ezc_shm_sub *s)
{
    uint32_t n = atomic_load_explicit(&s->ctl->nsegs, memory_order_acquire);
    if (n > EZC_SHM_SEGS)
        return -1;
    while (s->nmapped < n) {
        uint32_t k = s->nmapped;
        ezc_shm_seg g = s->ctl->seg[k];
        g.name[sizeof g.name - 1] = '\0';
        uint64_t prev_end = k ? s->first[k - 1] + s->count[k - 1] : 0;
        if (strncmp(g.name, "/ezc-", 5) != 0 || strchr(g.name + 1, '/') ||
            g.slot_bytes < EZC_SHM_HEAD || g.slot_bytes % 4096 || g.first != prev_end ||
            g.count == 0 || g.count > EZC_SHM_SLOTS - g.first ||
            g.count > UINT64_MAX / g.slot_bytes)
            return -1;
        /* A reader that forwards may write on a slot it holds alone. */
        int rw = (s->flags & EZC_SHM_READER_FWD) != 0;
        int fd = shm_open(g.name, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
        struct stat st;
        uint64_t size = g.count * g.slot_bytes;
        if (fd < 0)
            return -1;
        if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (uint64_t)st.st_size < size) {
            close(fd);
            return -1;
        }
        void *base = mmap(NULL, size, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (base == MAP_FAILED)
            return -1;
        s->base[k] = base;
        s->size[k] = size;
        s->slot_bytes[k] = g.slot_bytes;
        s->first[k] = g.first;
        s->count[k] = g.count;
        atomic_store_explicit(&s->nmapped, k + 1, memory_order_release);
    }
    return 0;
}

/* Hands a slot back (the last array over it went). */
static void slot_release(ezc_shm_sub *s, uint32_t slot)
{
    atomic_fetch_sub(&s->me->holds[slot], 1);
    atomic_fetch_sub(&s->ctl->slot_state[slot], 1);
}

static void data_free(void *data, void *ctx)
{
    ezc_shm_sub *s = ctx;
    const unsigned char *at = (const unsigned char *)data - EZC_SHM_HEAD;
    uint32_t n = atomic_load_explicit(&s->nmapped, memory_order_acquire);
    for (uint32_t k = 0; k < n; k++) {
        if (at >= s->base[k] && at < s->base[k] + s->size[k]) {
            slot_release(s,
                         s->first[k] + (uint32_t)((uint64_t)(at - s->base[k]) / s->slot_bytes[k]));
            break;
        }
    }
    sub_unref(s);
}

/* Whether entry e's reference is there: its slot is under e's generation
 * with a reference (a forged entry has none, and gives nothing back). */
static int entry_live(ezc_shm_sub *s, ezc_shm_entry e)
{
    if (e.slot >= EZC_SHM_SLOTS)
        return 0;
    uint64_t st = atomic_load(&s->ctl->slot_state[e.slot]);
    return EZC_SHM_GEN(st) == e.gen && EZC_SHM_REFS(st) > 0;
}

/* Entry e's slot in the mapped segments and its head page, checked: 0
 * with *at and *h, 1 when its segment is not mapped, 2 for a head that is
 * not e's generation or does not fit the slot (or names an origin, to a
 * reader that does not take forwarded messages). */
static int slot_head(ezc_shm_sub *s, ezc_shm_entry e, const unsigned char **at,
                     ezc_shm_slot_head *h)
{
    uint32_t k = 0, n = atomic_load_explicit(&s->nmapped, memory_order_relaxed);
    while (k < n && e.slot >= s->first[k] + s->count[k])
        k++;
    if (k == n)
        return 1;
    *at = s->base[k] + (uint64_t)(e.slot - s->first[k]) * s->slot_bytes[k];
    memcpy(h, *at, sizeof *h);
    if (h->gen != e.gen || h->topic_len > EZC_SHM_HEAD - sizeof *h ||
        h->hdr_len > EZC_SHM_HEAD - sizeof *h - h->topic_len)
        return 2;
    if (!h->origin)
        return h->data_len > s->slot_bytes[k] - EZC_SHM_HEAD ? 2 : 0;
    /* Forwarded: its data is checked against the origin's slot (origin_hold). */
    int fwd_ok = (s->flags & EZC_SHM_READER_FWD) && h->origin <= EZC_SHM_ORIGINS && h->data_len;
    return fwd_ok ? 0 : 2;
}

/* Keeps our SIDE entries in step with the origin table: attaches one in
 * each origin named since last time (or renamed: a new gen), lets go of
 * those retired, maps what they have added, and tells the publisher how
 * much of each we have mapped: it forwards us only slots we can reach. */
static void sides_update(ezc_shm_sub *s)
{
    uint32_t n = atomic_load_explicit(&s->ctl->norigins, memory_order_acquire);
    for (uint32_t k = 0; k < n && k < EZC_SHM_ORIGINS; k++) {
        ezc_shm_origin *o = &s->ctl->origin[k];
        _Atomic uint32_t *mapped = &s->ctl->fwd_mapped[s->me_idx][k];
        uint32_t st = atomic_load_explicit(&o->state, memory_order_acquire);
        uint32_t gen = atomic_load_explicit(&o->gen, memory_order_acquire);
        if (st != 1 || gen != s->side_gen[k]) {
            ezc_shm_sub_detach(&s->side[k]);
            if (atomic_load_explicit(mapped, memory_order_relaxed))
                atomic_store(mapped, 0);
            if (st != 1)
                continue; /* retiring: the publisher names it again once we let go */
            char name[EZC_SHM_NAME];
            memcpy(name, o->name, sizeof name);
            name[sizeof name - 1] = '\0';
            s->side_gen[k] = gen;
            attach_name(name, "", EZC_SHM_READER_SIDE, &s->side[k], NULL);
            /* Renamed while we read the name: attach again next time. */
            if (atomic_load(&o->gen) != gen || atomic_load(&o->state) != 1) {
                ezc_shm_sub_detach(&s->side[k]);
                s->side_gen[k] = 0;
            }
        }
        if (!s->side[k])
            continue;
        map_new(s->side[k]);
        uint32_t m = atomic_load_explicit(&s->side[k]->nmapped, memory_order_relaxed);
        if (atomic_load_explicit(mapped, memory_order_relaxed) != m)
            atomic_store(mapped, m);
    }
}

/* A forwarded message's data (head h): a reference and hold of our own on
 * its slot in the origin, through our side entry there. 0 with *owner
 * (the side reader now holding it), *slot and *data; 3 when it cannot be
 * had (nothing held). */
static int origin_hold(ezc_shm_sub *s, const ezc_shm_slot_head *h, ezc_shm_sub **owner,
                       uint32_t *slot, const unsigned char **data, ezc_error *err)
{
    uint32_t k = h->origin - 1, i = h->origin_slot, g = 0;
    /* The entry renamed since we attached (a stale fwd_mapped of ours let
     * the publisher forward from the new origin): attach to that first. */
    if (atomic_load(&s->ctl->origin[k].gen) != s->side_gen[k])
        sides_update(s);
    ezc_shm_sub *o = s->side_gen[k] == atomic_load(&s->ctl->origin[k].gen) ? s->side[k] : NULL;
    if (!o)
        return ezc_error_set(err, EZC_EPROTO,
                             "shm: a message forwarded from origin %u, "
                             "which this reader has not mapped",
                             h->origin),
               3;
    uint32_t n = atomic_load_explicit(&o->nmapped, memory_order_relaxed);
    while (g < n && i >= o->first[g] + o->count[g])
        g++;
    if (i >= EZC_SHM_SLOTS || g == n || h->data_len > o->slot_bytes[g] - EZC_SHM_HEAD)
        return ezc_error_set(err, EZC_EPROTO,
                             "shm: a forwarded message names slot %u of origin %u, which "
                             "cannot hold its %llu bytes",
                             i, h->origin, (unsigned long long)h->data_len),
               3;
    /* The forwarder holds the slot while the head is ours, so this only
     * fails for a forged head or a forwarder that died and was reclaimed. */
    uint64_t st = atomic_load(&o->ctl->slot_state[i]);
    do {
        if (EZC_SHM_GEN(st) != h->origin_gen || EZC_SHM_REFS(st) == 0 || EZC_SHM_REFS(st) == 0xffff)
            return ezc_error_set(err, EZC_EPROTO,
                                 "shm: slot %u of origin %u is no longer generation %llu", i,
                                 h->origin, (unsigned long long)h->origin_gen),
                   3;
    } while (!atomic_compare_exchange_weak(&o->ctl->slot_state[i], &st, st + 1));
    atomic_fetch_add(&o->me->holds[i], 1);
    *owner = o;
    *slot = i;
    *data = o->base[g] + (uint64_t)(i - o->first[g]) * o->slot_bytes[g] + EZC_SHM_HEAD;
    return 0;
}

int ezc_shm_sub_source(const ezc_buffer *b, const void *data, size_t nbytes, ezc_shm_src *src)
{
    if (!b || b->free_fn != data_free || data != b->data || nbytes == 0 || nbytes > b->nbytes)
        return -1;
    ezc_shm_sub *s = b->free_ctx;
    const unsigned char *at = (const unsigned char *)data - EZC_SHM_HEAD;
    uint32_t n = atomic_load_explicit(&s->nmapped, memory_order_acquire);
    for (uint32_t k = 0; k < n; k++) {
        if (at < s->base[k] || at >= s->base[k] + s->size[k])
            continue;
        uint64_t off = (uint64_t)(at - s->base[k]);
        if (off % s->slot_bytes[k])
            return -1;
        src->pool = s->name;
        src->slot = s->first[k] + (uint32_t)(off / s->slot_bytes[k]);
        src->seg = k;
        src->gen = EZC_SHM_GEN(atomic_load(&s->ctl->slot_state[src->slot]));
        return 0;
    }
    return -1;
}

/* Takes the next queued entry and checks its slot: 0 with the slot held
 * (holds + the ring's reference) and *h / *at describing it, 1 when the
 * ring is empty, 3 for an entry refused (nothing held). */
static int take_slot(ezc_shm_sub *s, uint32_t *slot, ezc_shm_slot_head *h, const unsigned char **at,
                     ezc_error *err)
{
    ezc_shm_reader *r = s->me;
    if (s->flags & EZC_SHM_READER_FWD)
        sides_update(s);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head == atomic_load_explicit(&r->tail, memory_order_acquire))
        return 1;
    ezc_shm_entry e = r->ring[head & (EZC_SHM_RING - 1)];
    /* Map new segments before the entry is taken: a publisher that is
     * closing waits for its queues to empty, then removes the segments. */
    int mapped = map_new(s);
    /* The reference the publisher took for this ring entry is ours now. */
    atomic_store(&r->head, head + 1);
    if (e.slot >= EZC_SHM_SLOTS)
        return ezc_error_set(err, EZC_EPROTO, "shm: slot %u out of range", e.slot), 3;
    if (!entry_live(s, e))
        return ezc_error_set(
                   err, EZC_EPROTO,
                   "shm: slot %u is not the one queued (generation %llu, now %llu)", e.slot,
                   (unsigned long long)e.gen,
                   (unsigned long long)EZC_SHM_GEN(atomic_load(&s->ctl->slot_state[e.slot]))),
               3;
    atomic_fetch_add(&r->holds[e.slot], 1);
    int bad = mapped != 0 ? 1 : slot_head(s, e, at, h);
    if (bad) {
        slot_release(s, e.slot);
        return ezc_error_set(err, EZC_EPROTO,
                             bad == 1 ? "shm: slot %u: its data segment is missing or malformed"
                                      : "shm: slot %u has a malformed head",
                             e.slot),
               3;
    }
    *slot = e.slot;
    return 0;
}

/* Whether queued entry e (its reference still the ring's) is a valid
 * end-of-stream marker; a forged or malformed entry is not (take_slot
 * refuses it). */
static int entry_is_eos(ezc_shm_sub *s, ezc_shm_entry e)
{
    const unsigned char *at;
    ezc_shm_slot_head h;
    ezc_wire_stamp stamp;
    return entry_live(s, e) && slot_head(s, e, &at, &h) == 0 && h.data_len == 0 &&
           ezc_wire_eos_stamp(at + sizeof h + h.topic_len, h.hdr_len, &stamp);
}

uint64_t ezc_shm_sub_skip(ezc_shm_sub *s, uint64_t keep)
{
    ezc_shm_reader *r = s->me;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (tail - head <= keep || tail - head > EZC_SHM_RING)
        return 0;
    uint64_t n = tail - head - keep;
    map_new(s); /* to read the entries' heads: an end of stream stops the skip */
    for (uint64_t i = 0; i < n; i++) {
        /* each entry's reference is ours: handed back unread (a forged
         * entry, as in take_slot, gives nothing back) */
        ezc_shm_entry e = r->ring[(head + i) & (EZC_SHM_RING - 1)];
        if (entry_is_eos(s, e)) {
            n = i; /* it and what follows stay queued */
            break;
        }
        if (entry_live(s, e))
            atomic_fetch_sub(&s->ctl->slot_state[e.slot], 1);
    }
    atomic_store(&r->head, head + n);
    return n;
}

int ezc_shm_sub_take(ezc_shm_sub *s, ezc_array **out, char *topic, size_t cap,
                     ezc_wire_stamp *stamp, int *forwarded, ezc_error *err)
{
    *out = NULL;
    uint32_t slot;
    ezc_shm_slot_head h;
    const unsigned char *at;
    int rc = take_slot(s, &slot, &h, &at, err);
    if (rc)
        return rc;
    if (topic && cap) {
        size_t n = h.topic_len < cap - 1 ? h.topic_len : cap - 1;
        memcpy(topic, at + sizeof h, n);
        topic[n] = '\0';
    }
    /* The data's slot: this one, or the origin's for a forwarded message
     * (then the head slot goes back once the header is read). */
    ezc_shm_sub *owner = s;
    uint32_t dslot = slot;
    const unsigned char *data = at + EZC_SHM_HEAD;
    if (h.origin && origin_hold(s, &h, &owner, &dslot, &data, err)) {
        slot_release(s, slot);
        return 3;
    }
    if (forwarded)
        *forwarded = h.origin != 0;
    ezc_buffer *buf = NULL;
    if (h.data_len) {
        atomic_fetch_add(&owner->refs, 1);
        buf = ezc_buffer_wrap((void *)data, h.data_len, ezc_device_cpu(), data_free, owner, err);
        if (!buf) {
            sub_unref(owner);
            slot_release(owner, dslot);
            if (owner != s)
                slot_release(s, slot);
            return EZC_ENOMEM;
        }
        /* Held by us alone (the publisher done queueing it, every other
         * reader done with it): ours to write on in place, and to forward
         * then. Nobody else can take a reference on it any more. */
        buf->readonly = !(owner == s && (s->flags & EZC_SHM_READER_FWD) &&
                          EZC_SHM_REFS(atomic_load(&s->ctl->slot_state[slot])) == 1);
    }
    const unsigned char *hdr = at + sizeof h + h.topic_len;
    rc = ezc_wire_decode_stamp(hdr, h.hdr_len, buf, NULL, NULL, out, stamp, err);
    /* The head slot goes back now unless the array's buffer is over it. */
    int head_in_buf = buf && owner == s;
    if (buf)
        ezc_buffer_unref(&buf); /* the array holds it now, or nobody: the slot goes back */
    if (!head_in_buf)
        slot_release(s, slot);
    if (rc == EZC_EEOS)
        return 2;
    if (rc == EZC_ENOMEM)
        return rc;
    return rc ? 3 : 0;
}

/* ---- the foreign reader API (ezc/shm_reader.h) ---- */

int ezc_shm_reader_open(const char *endpoint, const char *topic, ezc_shm_sub **out, ezc_error *err)
{
    if (!out)
        return ezc_error_set(err, EZC_EINVAL, "shm_reader: open needs an output");
    *out = NULL;
    if (!endpoint || strncmp(endpoint, "ipc://", 6) != 0)
        return ezc_error_set(err, EZC_EINVAL, "shm_reader: '%s' is not an ipc:// endpoint",
                             endpoint ? endpoint : "(null)");
    if (ezc_shm_sub_attach(endpoint + 6, topic ? topic : "", 0, out, err))
        return err ? err->code : EZC_ENOMEM;
    if (!*out)
        return ezc_error_set(err, EZC_ENOTFOUND,
                             "shm_reader %s: no shared-memory pool there (no ezc publisher, "
                             "another user's, or EZC_SHM=0)",
                             endpoint);
    return 0;
}

int ezc_shm_reader_next(ezc_shm_sub *s, int timeout_ms, ezc_shm_msg *m, ezc_error *err)
{
    if (!s || !m)
        return ezc_error_set(err, EZC_EINVAL, "shm_reader: next needs a reader and a message");
    int64_t deadline = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
    for (;;) {
        ezc_shm_slot_head h;
        const unsigned char *at;
        int rc = take_slot(s, &m->slot, &h, &at, err);
        if (rc == 0) {
            atomic_fetch_add(&s->refs, 1); /* the mapping lives until the release */
            m->topic = (const char *)at + sizeof h;
            m->topic_len = h.topic_len;
            m->header = at + sizeof h + h.topic_len;
            m->header_len = h.hdr_len;
            m->data = at + EZC_SHM_HEAD;
            m->data_len = h.data_len;
            return 0;
        }
        if (rc == 3)
            return EZC_EPROTO;
        if (ezc_shm_sub_dead(s) && !ezc_shm_sub_arm(s))
            return ezc_error_set(err, EZC_EEOS, "shm_reader: the publisher is gone");
        int64_t left = deadline - ezc_clock_ns(CLOCK_MONOTONIC);
        if (timeout_ms >= 0 && left <= 0)
            return ezc_error_set(err, EZC_ETIMEOUT, "shm_reader: nothing within %d ms", timeout_ms);
        int wait = timeout_ms < 0 || left > 100000000 ? 100 : (int)((left + 999999) / 1000000);
        if (!ezc_shm_sub_arm(s)) {
            struct pollfd p = {s->door, POLLIN, 0};
            poll(&p, 1, wait);
        }
        ezc_shm_sub_disarm(s);
    }
}

void ezc_shm_reader_release(ezc_shm_sub *s, uint32_t slot)
{
    if (!s || slot >= EZC_SHM_SLOTS)
        return;
    slot_release(s, slot);
    sub_unref(s);
}

void ezc_shm_reader_close(ezc_shm_sub **s)
{
    ezc_shm_sub_detach(s);
}

int ezc_shm_sub_arm(ezc_shm_sub *s)
{
    ezc_shm_reader *r = s->me;
    atomic_store(&r->waiting, 1);
    return atomic_load(&r->head) != atomic_load(&r->tail);
}

void ezc_shm_sub_disarm(ezc_shm_sub *s)
{
    atomic_store(&s->me->waiting, 0);
    char buf[64];
    while (recv(s->door, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
}
