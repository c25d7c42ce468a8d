/* test_shm_mutate.c — structured mutation of a shared-memory pool, the
 * seeded counterpart of test_shm_hostile.c. A real pool (ezc_pub on ipc://)
 * is mapped here a second time, read-write; each iteration sends an honest
 * message (value v), changes ONE thing the subscriber will read (the ring
 * entry's slot or generation, the slot's state word, a head field, bytes of
 * the msgpack header, the origin table, a segment descriptor not yet used),
 * sends a second honest message (v + 0.5) and receives until it arrives.
 * Whatever is delivered must be v intact or v + 0.5 intact; a refusal is
 * counted as malformed (at most one per iteration); afterwards no slot
 * reference and no hold may be left beyond what the mutation itself
 * explains (a reference the forged entry or state made unreachable), and the
 * pool is put back to honest for the next iteration.
 *
 * Values are boundaries (0, 1, max - 1, max, max + 1, UINT32_MAX /
 * UINT64_MAX, the real value and its neighbours) and random ones from a
 * xorshift64 generator with a fixed seed (printed; EZC_SHM_MUTATE_SEED
 * replays another). Honest forwards are among the choices: the pool names
 * itself as origin 1 (a legal origin: the reader attaches a SIDE entry to
 * it) and the head names its own slot; they must deliver v intact. */
#include <check.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "check_run.h"
#include "shm_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
#define ITERATIONS 800
#else
#define ITERATIONS 3000
#endif
#define SEED 0x5eed5a17c0ffee01ull
#define VALUES FIXTURE_VALUES
#define RECV_MS 2000
#define DESC_COUNT 16 /* slots of a forged segment descriptor, before its mutation */

static ezc_wire_encoder *enc;
static uint64_t seed, rng;
static uint32_t origin_gen; /* the last gen this test named an origin record under */
/* What the subscriber has mapped of this pool: segments (the real one and
 * forged descriptors it accepted) and where the last one ends. */
static uint32_t rsegs, rend;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
    return v[rnd() % n];
}

/* A u32 field whose largest sensible value is max and whose real value is real. */
static uint64_t pick32(uint64_t real, uint64_t max)
{
    const uint64_t v[] = {0,
                          1,
                          max - 1,
                          max,
                          max + 1,
                          UINT32_MAX,
                          real - 1,
                          real,
                          real + 1,
                          (uint32_t)rnd(),
                          rnd() % (max + 2),
                          UINT32_MAX - 1};
    return (uint32_t)pick(v, sizeof v / sizeof v[0]);
}

static uint64_t pick64(uint64_t real, uint64_t max)
{
    const uint64_t v[] = {0,       1,          max - 1,        max,
                          max + 1, UINT64_MAX, UINT64_MAX - 1, real - 1,
                          real,    real + 1,   rnd(),          rnd() % (max + 2)};
    return pick(v, sizeof v / sizeof v[0]);
}

static void setup(void)
{
    ezc_error err;
    shm_fixture_open("mutate");
    enc = ezc_wire_encoder_new(&err);
    ck_assert_msg(enc != NULL, "%s", err.msg);
    rsegs = 1;
    rend = ctl->seg[0].count;
    origin_gen = 0;
}

static void teardown(void)
{
    ezc_wire_encoder_destroy(&enc);
    shm_fixture_close();
}

enum {
    K_ENTRY_SLOT, /* the queued ring entry's slot */
    K_ENTRY_GEN,  /* ... its generation */
    K_STATE_REFS, /* the slot's state word: references only */
    K_STATE_GEN,  /* ... generation only */
    K_HEAD_GEN,   /* head fields (of a plain head, or of an honest forward) */
    K_TOPIC_LEN,
    K_HDR_LEN,
    K_HDR_FLIP,     /* a byte of the msgpack header */
    K_HDR_TRUNC,    /* hdr_len cut short */
    K_DATA_LEN,     /* a plain head's data_len */
    K_DATA_GROW,    /* ... past the slot, with a header that agrees */
    K_ORIGIN,       /* a plain head's origin */
    K_FWD_HONEST,   /* an honest forward: must arrive intact */
    K_FWD_SLOT,     /* an honest forward's origin_slot */
    K_FWD_GEN,      /* ... origin_gen */
    K_FWD_DATA_LEN, /* ... data_len */
    K_FWD_GROW,     /* ... data_len past the origin's slot, with a header that agrees */
    K_ORIGIN_TABLE, /* norigins, an origin record's state, gen or name */
    K_SEG_DESC,     /* the descriptor of a segment index not yet used, nsegs bumped */
    K_COUNT
};
static const char *const kind_name[K_COUNT] = {
    "entry.slot",   "entry.gen", "state.refs",   "state.gen",         "head.gen",
    "topic_len",    "hdr_len",   "hdr byte",     "hdr truncated",     "data_len",
    "data grown",   "origin",    "fwd honest",   "origin_slot",       "origin_gen",
    "fwd data_len", "fwd grown", "origin table", "segment descriptor"};

/* One iteration's mutation: what it changed, to undo it and to judge. */
typedef struct step {
    int kind;
    char what[200];
    uint32_t slot; /* v's slot and generation */
    uint64_t gen;
    ezc_shm_entry *entry, entry_was;
    unsigned char *at; /* v's slot */
    unsigned char head_was[EZC_SHM_HEAD];
    int head_saved;
    uint32_t norigins_was;
    ezc_shm_origin origin_was[EZC_SHM_ORIGINS];
    int table_saved;
    uint32_t desc_idx;
    int must_deliver;  /* honest after all: v must arrive intact */
    uint32_t leftover; /* references the mutation leaves on v's slot */
    int state_restore; /* store gen << 16 in the state word after judging */
} step;

static void save_head(step *s)
{
    memcpy(s->head_was, s->at, EZC_SHM_HEAD);
    s->head_saved = 1;
}

static void save_table(step *s)
{
    s->norigins_was = atomic_load(&ctl->norigins);
    memcpy(s->origin_was, ctl->origin, sizeof s->origin_was);
    s->table_saved = 1;
}

/* Names this pool as origin record k under a fresh gen (as a publisher
 * names an origin: name, gen + 1, then state 1). */
static void name_self(uint32_t k)
{
    memcpy(ctl->origin[k].name, pool_name, sizeof pool_name);
    atomic_store(&ctl->origin[k].gen, ++origin_gen);
    atomic_store(&ctl->origin[k].state, 1);
    if (atomic_load(&ctl->norigins) < k + 1)
        atomic_store(&ctl->norigins, k + 1);
}

/* Turns v's head into an honest forward of itself through origin k + 1. */
static void make_forward(step *s, uint32_t k)
{
    name_self(k);
    ezc_shm_slot_head *h = (ezc_shm_slot_head *)s->at;
    h->origin = k + 1;
    h->origin_slot = s->slot;
    h->origin_gen = s->gen;
}

/* A header for `n` float64 values where v's was, and data_len to match. */
static void grow(step *s, uint64_t n)
{
    ezc_error err;
    const int64_t shape[1] = {(int64_t)n};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    const void *bytes;
    size_t len;
    ck_assert_int_eq(ezc_wire_encode_header(enc, a, &bytes, &len, &err), 0);
    ezc_shm_slot_head *h = (ezc_shm_slot_head *)s->at;
    ck_assert_uint_le(sizeof *h + h->topic_len + len, EZC_SHM_HEAD);
    memcpy(s->at + sizeof *h + h->topic_len, bytes, len);
    h->hdr_len = (uint32_t)len;
    h->data_len = n * sizeof(double);
    ezc_array_destroy(&a);
}

/* How many doubles to claim: always more than a slot of `slot_bytes` holds. */
static uint64_t grow_count(uint64_t slot_bytes, uint64_t past_mapping)
{
    uint64_t room = (slot_bytes - EZC_SHM_HEAD) / sizeof(double);
    const uint64_t v[] = {room + 1, room + 2,     room + VALUES,           slot_bytes / 8,
                          2 * room, past_mapping, room + 1 + rnd() % 65536};
    return pick(v, sizeof v / sizeof v[0]);
}

static const char *garbage_name(int which, char *buf, size_t cap)
{
    switch (which) {
    case 0: return pool_name; /* honest */
    case 1: snprintf(buf, cap, "/ezc-%u-garbage-c", (unsigned)geteuid()); return buf;
    case 2: snprintf(buf, cap, "/ezc-%u-1-0123456789abcdef-c", (unsigned)geteuid() + 1); return buf;
    case 3: return ctl->seg[0].name;           /* a data segment: no publisher's lock on it */
    case 4: memset(buf, 'A', cap); return buf; /* no NUL */
    case 5: snprintf(buf, cap, "/ezc-%u-/x-c", (unsigned)geteuid()); return buf;
    case 6: buf[0] = '\0'; return buf;
    default:
        snprintf(buf, cap, "%s", pool_name);
        buf[strlen(buf) - 1] ^= 1; /* a neighbour's name */
        return buf;
    }
}

/* Applies one mutation to the message just queued in slot s->slot. */
static void mutate(step *s)
{
    ezc_shm_slot_head *h = (ezc_shm_slot_head *)s->at;
    uint64_t old = 0, now = 0, room = ctl->seg[0].slot_bytes - EZC_SHM_HEAD;
    int fwd = 0;
    switch (s->kind) {
    case K_ENTRY_SLOT:
        old = s->entry->slot;
        now = pick32(old, EZC_SHM_SLOTS - 1);
        if (rnd() % 4 == 0)
            now = rnd() % ctl->seg[0].count; /* a slot that exists */
        s->entry->slot = (uint32_t)now;
        s->leftover = now != old;
        s->must_deliver = now == old;
        break;
    case K_ENTRY_GEN:
        old = s->entry->gen;
        now = pick64(old, ((uint64_t)1 << 48) - 1);
        s->entry->gen = now;
        s->leftover = now != old;
        s->must_deliver = now == old;
        break;
    case K_STATE_REFS: {
        uint64_t st = atomic_load(&ctl->slot_state[s->slot]);
        const uint64_t v[] = {0, 1, 2, 3, 0x7fff, 0xfffe, 0xffff, rnd() & 0xffff};
        old = EZC_SHM_REFS(st);
        now = pick(v, sizeof v / sizeof v[0]);
        atomic_store(&ctl->slot_state[s->slot], (st & ~(uint64_t)0xffff) | now);
        /* The reader hands back the reference it took; none it was not given. */
        s->leftover = now ? (uint32_t)now - 1 : 0;
        s->must_deliver = now != 0;
        break;
    }
    case K_STATE_GEN: {
        uint64_t st = atomic_load(&ctl->slot_state[s->slot]);
        old = EZC_SHM_GEN(st);
        now = pick64(old, ((uint64_t)1 << 48) - 1) & (((uint64_t)1 << 48) - 1);
        atomic_store(&ctl->slot_state[s->slot], now << 16 | EZC_SHM_REFS(st));
        /* A refused entry keeps the ring's reference: nothing can give it back. */
        s->leftover = now != old;
        s->state_restore = now != old;
        s->must_deliver = now == old;
        break;
    }
    case K_HEAD_GEN:
    case K_TOPIC_LEN:
    case K_HDR_LEN:
    case K_HDR_FLIP:
    case K_HDR_TRUNC:
        save_head(s);
        if (rnd() % 3 == 0) {
            save_table(s);
            make_forward(s, 0);
            fwd = 1;
        }
        if (s->kind == K_HEAD_GEN) {
            old = h->gen;
            now = pick64(old, ((uint64_t)1 << 48) - 1);
            h->gen = now;
        } else if (s->kind == K_TOPIC_LEN) {
            old = h->topic_len;
            now = pick32(old, EZC_SHM_HEAD - sizeof *h - h->hdr_len);
            h->topic_len = (uint32_t)now;
        } else if (s->kind == K_HDR_LEN) {
            old = h->hdr_len;
            now = pick32(old, EZC_SHM_HEAD - sizeof *h - h->topic_len);
            h->hdr_len = (uint32_t)now;
        } else if (s->kind == K_HDR_FLIP) {
            uint32_t i = (uint32_t)(rnd() % h->hdr_len);
            unsigned char *b = s->at + sizeof *h + h->topic_len + i;
            const uint64_t v[] = {0x00,        0xff, 0xc1, 0x80, 0x90, 0xa0,
                                  0xc0,        0x7f, 0xdf, 0xcf, 0xd3, *b ^ (1u << rnd() % 8),
                                  rnd() & 0xff};
            old = *b;
            now = pick(v, sizeof v / sizeof v[0]);
            *b = (unsigned char)now;
            snprintf(s->what, sizeof s->what, "%s%s: byte %u of %u = 0x%02x (was 0x%02x)",
                     kind_name[s->kind], fwd ? " (forwarded)" : "", i, h->hdr_len, (unsigned)now,
                     (unsigned)old);
            s->must_deliver = now == old;
            return;
        } else {
            old = h->hdr_len;
            now = rnd() % old;
            h->hdr_len = (uint32_t)now;
        }
        s->must_deliver = now == old;
        break;
    case K_DATA_LEN:
        save_head(s);
        old = h->data_len;
        now = pick64(old, room);
        h->data_len = now;
        s->must_deliver = now == old;
        break;
    case K_DATA_GROW:
    case K_FWD_GROW:
        save_head(s);
        if (s->kind == K_FWD_GROW) {
            save_table(s);
            make_forward(s, 0);
            fwd = 1;
        }
        old = h->data_len;
        grow(s, grow_count(ctl->seg[0].slot_bytes,
                           (seg0_size - (uint64_t)s->slot * ctl->seg[0].slot_bytes) / 8 + 1));
        now = h->data_len;
        break;
    case K_ORIGIN:
        save_head(s);
        if (rnd() % 2) { /* with the table naming this pool, or not */
            save_table(s);
            name_self(0);
        }
        old = h->origin;
        now = pick32(1, EZC_SHM_ORIGINS);
        h->origin = (uint32_t)now;
        break;
    case K_FWD_HONEST:
        save_head(s);
        save_table(s);
        if (rnd() % 4 == 0) {
            make_forward(s, 1); /* through a second record, naming the same pool */
            old = now = 2;
        } else {
            make_forward(s, 0);
            old = now = 1;
        }
        s->must_deliver = 1;
        fwd = 1;
        break;
    case K_FWD_SLOT:
    case K_FWD_GEN:
    case K_FWD_DATA_LEN:
        save_head(s);
        save_table(s);
        make_forward(s, 0);
        fwd = 1;
        if (s->kind == K_FWD_SLOT) {
            old = h->origin_slot;
            now = pick32(old, EZC_SHM_SLOTS - 1);
            if (rnd() % 4 == 0)
                now = rnd() % ctl->seg[0].count;
            h->origin_slot = (uint32_t)now;
        } else if (s->kind == K_FWD_GEN) {
            old = h->origin_gen;
            now = pick64(old, ((uint64_t)1 << 48) - 1);
            h->origin_gen = now;
        } else {
            old = h->data_len;
            now = pick64(old, room);
            h->data_len = now;
        }
        s->must_deliver = now == old;
        break;
    case K_ORIGIN_TABLE: {
        save_head(s);
        save_table(s);
        if (rnd() % 4)
            make_forward(s, 0);
        else
            name_self(0);
        fwd = h->origin != 0;
        int field = (int)(rnd() % 4);
        char buf[EZC_SHM_NAME] = {0};
        if (field == 0) {
            old = atomic_load(&ctl->norigins);
            const uint64_t v[] = {0,
                                  1,
                                  2,
                                  EZC_SHM_ORIGINS - 1,
                                  EZC_SHM_ORIGINS,
                                  EZC_SHM_ORIGINS + 1,
                                  UINT32_MAX,
                                  (uint32_t)rnd()};
            now = pick(v, sizeof v / sizeof v[0]);
            atomic_store(&ctl->norigins, (uint32_t)now);
            snprintf(s->what, sizeof s->what, "origin table%s: norigins = %" PRIu64,
                     fwd ? " (forwarded)" : "", now);
        } else if (field == 1) {
            old = atomic_load(&ctl->origin[0].state);
            const uint64_t v[] = {0, 1, 2, 3, UINT32_MAX, (uint32_t)rnd()};
            now = pick(v, sizeof v / sizeof v[0]);
            atomic_store(&ctl->origin[0].state, (uint32_t)now);
            snprintf(s->what, sizeof s->what, "origin table%s: origin[0].state = %" PRIu64,
                     fwd ? " (forwarded)" : "", now);
        } else if (field == 2) {
            old = atomic_load(&ctl->origin[0].gen);
            /* old - 1: the name before, also this pool */
            now = pick32(old, UINT32_MAX - 1);
            atomic_store(&ctl->origin[0].gen, (uint32_t)now);
            snprintf(s->what, sizeof s->what,
                     "origin table%s: origin[0].gen = %" PRIu64 " (was %" PRIu64 ")",
                     fwd ? " (forwarded)" : "", now, old);
        } else {
            int which = (int)(rnd() % 8);
            const char *name = garbage_name(which, buf, sizeof buf);
            memcpy(ctl->origin[0].name, name, EZC_SHM_NAME);
            snprintf(s->what, sizeof s->what, "origin table%s: origin[0].name = %.*s (%d)",
                     fwd ? " (forwarded)" : "", EZC_SHM_NAME - 1, which == 4 ? "AAAA..." : name,
                     which);
            s->must_deliver = which == 0 && fwd;
        }
        return;
    }
    case K_SEG_DESC: {
        uint32_t k = rsegs;
        uint64_t n = k + 1;
        int field = (int)(rnd() % 5);
        if (k >= EZC_SHM_SEGS)
            field = 4;
        s->desc_idx = k;
        if (k < EZC_SHM_SEGS) {
            ezc_shm_seg *g = &ctl->seg[k];
            memcpy(g->name, ctl->seg[0].name, sizeof g->name);
            g->slot_bytes = ctl->seg[0].slot_bytes;
            g->first = rend;
            g->count = DESC_COUNT;
            uint64_t file_slots = seg0_size / g->slot_bytes;
            if (field == 0) {
                old = g->count;
                const uint64_t v[] = {0,
                                      1,
                                      DESC_COUNT - 1,
                                      DESC_COUNT,
                                      DESC_COUNT + 1,
                                      file_slots,
                                      file_slots + 1,
                                      EZC_SHM_SLOTS - g->first,
                                      EZC_SHM_SLOTS - g->first + 1,
                                      UINT32_MAX,
                                      (uint32_t)rnd()};
                now = pick(v, sizeof v / sizeof v[0]);
                g->count = (uint32_t)now;
            } else if (field == 1) {
                old = g->slot_bytes;
                const uint64_t v[] = {0,
                                      1,
                                      4095,
                                      4096,
                                      old - 1,
                                      old,
                                      old + 1,
                                      12288,
                                      seg0_size,
                                      UINT64_MAX,
                                      (uint64_t)1 << 63,
                                      UINT64_MAX & ~(uint64_t)4095,
                                      rnd(),
                                      rnd() & ~(uint64_t)4095};
                now = pick(v, sizeof v / sizeof v[0]);
                g->slot_bytes = now;
            } else if (field == 2) {
                old = g->first;
                now = pick32(old, EZC_SHM_SLOTS - 1);
                g->first = (uint32_t)now;
            } else if (field == 3) {
                char buf[EZC_SHM_NAME] = {0};
                int which = (int)(rnd() % 8);
                const char *name = which == 0   ? ctl->seg[0].name
                                   : which == 3 ? pool_name
                                                : garbage_name(which, buf, sizeof buf);
                memcpy(g->name, name, EZC_SHM_NAME);
                old = 0;
                now = (uint64_t)which;
            }
        }
        if (field == 4) {
            old = k + 1;
            const uint64_t v[] = {k + 1, EZC_SHM_SEGS + 1, UINT32_MAX, (uint32_t)rnd() | 128};
            now = n = pick(v, sizeof v / sizeof v[0]);
        }
        atomic_store_explicit(&ctl->nsegs, (uint32_t)n, memory_order_release);
        static const char *const fields[] = {"count", "slot_bytes", "first", "name", "nsegs"};
        snprintf(s->what, sizeof s->what,
                 "segment descriptor %u (of %u mapped): %s = %" PRIu64 " (was %" PRIu64 ")", k,
                 rsegs, fields[field], now, old);
        return;
    }
    }
    snprintf(s->what, sizeof s->what, "%s%s = %" PRIu64 " (was %" PRIu64 ")", kind_name[s->kind],
             fwd ? " (forwarded)" : "", now, old);
}

/* Puts back what the mutation changed (the publisher stays usable). */
static void restore(step *s)
{
    if (s->kind == K_ENTRY_SLOT || s->kind == K_ENTRY_GEN)
        *s->entry = s->entry_was;
    if (s->head_saved)
        memcpy(s->at, s->head_was, EZC_SHM_HEAD);
    if (s->table_saved) {
        atomic_store(&ctl->norigins, s->norigins_was);
        for (int k = 0; k < EZC_SHM_ORIGINS; k++) {
            memcpy(ctl->origin[k].name, s->origin_was[k].name, EZC_SHM_NAME);
            atomic_store(&ctl->origin[k].gen, atomic_load(&s->origin_was[k].gen));
            atomic_store(&ctl->origin[k].state, atomic_load(&s->origin_was[k].state));
        }
    }
    if (s->kind == K_SEG_DESC) {
        atomic_store(&ctl->nsegs, 1);
        if (s->desc_idx < EZC_SHM_SEGS)
            memset(&ctl->seg[s->desc_idx], 0, sizeof ctl->seg[s->desc_idx]);
    }
    /* The references the mutation made unreachable: handed back here. */
    if (s->state_restore)
        atomic_store(&ctl->slot_state[s->slot], s->gen << 16);
    else if (s->leftover)
        atomic_fetch_sub(&ctl->slot_state[s->slot], s->leftover);
}

typedef struct tally {
    uint64_t intact, refused, wrong, leaked;
    uint64_t by_kind[K_COUNT][2]; /* [intact, refused] */
} tally;

/* A delivered array: v or v + 0.5 intact (*got_v, *got_half), else wrong. */
static void judge(const step *s, int it, ezc_array *a, double v, int *got_v, int *got_half,
                  tally *t)
{
    if (intact(a, v)) {
        *got_v = 1;
    } else if (intact(a, v + 0.5)) {
        *got_half = 1;
    } else {
        t->wrong++;
        const double *d = ezc_array_data(a);
        ck_abort_msg("iteration %d (seed 0x%016" PRIx64 "), mutation %s: delivered wrong data "
                     "(dtype %d, ndim %d, %zu values, first %g; expected %g or %g)",
                     it, seed, s->what, (int)a->dtype, ezc_array_ndim(a), ezc_array_size(a),
                     ezc_array_size(a) ? d[0] : 0.0, v, v + 0.5);
    }
}

static void check_leaks(const step *s, int it, tally *t)
{
    for (uint32_t i = 0; i < EZC_SHM_SLOTS; i++) {
        uint64_t st = atomic_load(&ctl->slot_state[i]);
        uint32_t want = i == s->slot ? s->leftover : 0;
        if (EZC_SHM_REFS(st) != want) {
            t->leaked++;
            ck_abort_msg("iteration %d (seed 0x%016" PRIx64 "), mutation %s: slot %u has %u "
                         "references once every array is gone (expected %u)",
                         it, seed, s->what, i, EZC_SHM_REFS(st), want);
        }
    }
    for (int i = 0; i < EZC_SHM_READERS; i++) {
        ezc_shm_reader *r = &ctl->reader[i];
        if (atomic_load(&r->state) == EZC_SHM_FREE)
            continue;
        for (uint32_t j = 0; j < EZC_SHM_SLOTS; j++) {
            if (atomic_load(&r->holds[j])) {
                t->leaked++;
                ck_abort_msg("iteration %d (seed 0x%016" PRIx64 "), mutation %s: reader entry %d "
                             "(flags %u) still holds slot %u",
                             it, seed, s->what, i, r->flags, j);
            }
        }
    }
}

/* Holds on slot i through SIDE entries: a forwarded message's data. */
static uint32_t side_holds(uint32_t i)
{
    uint32_t n = 0;
    for (int k = 0; k < EZC_SHM_READERS; k++)
        if (atomic_load(&ctl->reader[k].state) == EZC_SHM_ACTIVE &&
            (ctl->reader[k].flags & EZC_SHM_READER_SIDE))
            n += atomic_load(&ctl->reader[k].holds[i]);
    return n;
}

static void iteration(int it, tally *t)
{
    static step s; /* a head page in it: not on the stack */
    memset(&s, 0, sizeof s);
    double v = it;
    ezc_error err;
    ezc_array *a;
    uint64_t m0 = malformed();
    send(v);
    ezc_shm_reader *r = reader();
    uint64_t tail = atomic_load(&r->tail);
    ck_assert_uint_ne(tail, atomic_load(&r->head));
    s.entry = &r->ring[(tail - 1) & (EZC_SHM_RING - 1)];
    s.entry_was = *s.entry;
    s.slot = s.entry->slot;
    s.gen = s.entry->gen;
    ck_assert_uint_lt(s.slot, ctl->seg[0].count);
    ck_assert_uint_eq(EZC_SHM_REFS(atomic_load(&ctl->slot_state[s.slot])), 1);
    s.at = seg0 + (uint64_t)s.slot * ctl->seg[0].slot_bytes;
    s.kind = (int)(rnd() % K_COUNT);
    mutate(&s);

    int got_v = 0, got_half = 0;
    if (s.kind == K_SEG_DESC) {
        /* Every take maps new segments first, and a bad descriptor refuses
         * whatever is queued: v is taken alone, then the pool is honest
         * again before the publisher (who reads nsegs) sends. */
        int rc = ezc_sub_recv(sub, &a, 0, &err);
        ck_assert_msg(rc == 0 || rc == EZC_ETIMEOUT,
                      "iteration %d (seed 0x%016" PRIx64 "), mutation %s: recv: %s", it, seed,
                      s.what, err.msg);
        if (rc == 0) {
            judge(&s, it, a, v, &got_v, &got_half, t);
            ezc_array_destroy(&a);
            if (s.desc_idx < EZC_SHM_SEGS && atomic_load(&ctl->nsegs) == s.desc_idx + 1) {
                rsegs++; /* the reader mapped it: the next forged index is past it */
                rend = ctl->seg[s.desc_idx].first + ctl->seg[s.desc_idx].count;
            }
        }
        restore(&s);
    }
    send(v + 0.5);
    for (int n = 0; n < 3 && !got_half; n++) {
        int rc = ezc_sub_recv(sub, &a, RECV_MS, &err);
        ck_assert_msg(rc == 0,
                      "iteration %d (seed 0x%016" PRIx64 "), mutation %s: the next honest "
                      "message did not arrive: %s",
                      it, seed, s.what, err.msg);
        int had_v = got_v;
        judge(&s, it, a, v, &got_v, &got_half, t);
        if (s.kind == K_FWD_HONEST && got_v && !had_v)
            ck_assert_msg(side_holds(s.slot) == 1 && atomic_load(&r->holds[s.slot]) == 0,
                          "iteration %d (seed 0x%016" PRIx64 "), mutation %s: not taken through "
                          "a side entry",
                          it, seed, s.what);
        ezc_array_destroy(&a);
    }
    ck_assert_msg(got_half, "iteration %d (seed 0x%016" PRIx64 "), mutation %s: %g never arrived",
                  it, seed, s.what, v + 0.5);
    /* A forged entry or head that named the second message's slot took it
     * first: what is still queued is taken too (refused or a copy of it). */
    for (int n = 0; n < 4 && atomic_load(&r->head) != atomic_load(&r->tail); n++) {
        if (ezc_sub_recv(sub, &a, 0, &err) != 0)
            continue;
        judge(&s, it, a, v, &got_v, &got_half, t);
        ezc_array_destroy(&a);
    }
    ck_assert_msg(atomic_load(&r->head) == atomic_load(&r->tail),
                  "iteration %d (seed 0x%016" PRIx64 "), mutation %s: the ring did not empty", it,
                  seed, s.what);
    uint64_t dm = malformed() - m0;
    ck_assert_msg(dm <= 1,
                  "iteration %d (seed 0x%016" PRIx64 "), mutation %s: %" PRIu64
                  " messages refused (at most 1)",
                  it, seed, s.what, dm);
    ck_assert_msg(got_v || dm == 1 || s.kind == K_FWD_SLOT,
                  "iteration %d (seed 0x%016" PRIx64 "), mutation %s: %g neither arrived nor "
                  "was counted as malformed",
                  it, seed, s.what, v);
    ck_assert_msg(got_v || !s.must_deliver,
                  "iteration %d (seed 0x%016" PRIx64 "), mutation %s: an honest message (%g) "
                  "was refused",
                  it, seed, s.what, v);
    check_leaks(&s, it, t);
    if (s.kind != K_SEG_DESC)
        restore(&s);
    if (got_v)
        t->intact++;
    else
        t->refused++;
    t->by_kind[s.kind][got_v ? 0 : 1]++;
}

START_TEST(t_structured_mutations)
{
    seed = SEED;
    const char *e = getenv("EZC_SHM_MUTATE_SEED");
    if (e && *e)
        seed = strtoull(e, NULL, 0);
    rng = seed ? seed : 1;
    printf("shm_mutate: seed 0x%016" PRIx64 ", %d iterations\n", seed, ITERATIONS);
    fflush(stdout);
    static tally t;
    memset(&t, 0, sizeof t);
    for (int it = 0; it < ITERATIONS; it++)
        iteration(it, &t);
    for (int k = 0; k < K_COUNT; k++)
        printf("  %-20s delivered-intact %4" PRIu64 ", refused %4" PRIu64 "\n", kind_name[k],
               t.by_kind[k][0], t.by_kind[k][1]);
    printf("  segment descriptors the reader accepted: %u\n", rsegs - 1);
    printf("mutations %d: delivered-intact %" PRIu64 ", refused %" PRIu64 ", wrong %" PRIu64
           ", leaked %" PRIu64 "\n",
           ITERATIONS, t.intact, t.refused, t.wrong, t.leaked);
    fflush(stdout);
    ck_assert_uint_eq(t.wrong, 0);
    ck_assert_uint_eq(t.leaked, 0);
    ck_assert_uint_eq(t.intact + t.refused, ITERATIONS);
    ck_assert_uint_gt(t.by_kind[K_FWD_HONEST][0], 0);
    ck_assert_str_eq(ezc_sub_path(sub), "shm");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("shm_mutate");
    TCase *tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, t_structured_mutations);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
