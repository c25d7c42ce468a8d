/* fuzz_recording.c — libFuzzer target for the recording reader
 * (ezc_recording_open, _get, _decode, _repair; docs/recording-format.md).
 *
 * The input is the file. Random bytes alone would die at the first
 * checksum, so a custom mutator parses the input into records, changes
 * them as a hostile or broken writer would (shapes of 2^40 and 2^63,
 * lengths past the end, records dropped or repeated, the file cut at any
 * byte, with or without index, version 1 or 2) and writes them back with
 * every checksum right, so the checks behind the checksums are reached.
 * Invariants trapped on: what opens decodes to arrays that pass
 * ezc_array_check, each version 2 record's data matches its CRC-32C, and
 * an unfinished file that --repair fixes reopens finished with the same
 * messages. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ezc/recording.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* ---- the target ---- */

static int fd = -1;
static char path[64];

static uint32_t crc32c_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

/* A digest of every message (frames and time), to compare before and after a repair. */
static uint32_t digest(const ezc_recording *r)
{
    uint32_t h = 0;
    for (size_t i = 0; i < ezc_recording_count(r); i++) {
        ezc_recording_msg m;
        if (ezc_recording_get(r, i, &m))
            __builtin_trap();
        h = ezc_crc32c(h, m.topic, m.topic_len);
        h = ezc_crc32c(h, m.header, m.header_len);
        h = ezc_crc32c(h, m.data, m.data_len);
        h = ezc_crc32c(h, &m.recv_ns, sizeof m.recv_ns);
    }
    return h;
}

static void check_open(const ezc_recording *r)
{
    for (size_t i = 0; i < ezc_recording_count(r); i++) {
        ezc_recording_msg m;
        ezc_error err;
        ezc_array *a = NULL;
        if (ezc_recording_get(r, i, &m) || ezc_recording_decode(r, i, &a, &err) ||
            ezc_array_check(a, &err))
            __builtin_trap(); /* open accepted a message that does not decode */
        if (ezc_recording_info_of(r)->version >= 2) {
            const uint8_t *rec = (const uint8_t *)m.topic - 48;
            uint32_t want = (uint32_t)rec[32] | (uint32_t)rec[33] << 8 | (uint32_t)rec[34] << 16 |
                            (uint32_t)rec[35] << 24;
            if (crc32c_ref(m.data, m.data_len) != want)
                __builtin_trap(); /* data that fails its checksum got through */
        }
        ezc_array_destroy(&a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (fd < 0) {
        if ((fd = memfd_create("ezc-fuzz-recording", 0)) < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    /* The CRC-32C in use (SSE4.2 or tables) against the bitwise definition,
     * at every alignment and length the input gives. */
    size_t skip = n ? d[0] % 8 : 0;
    if (skip <= n && ezc_crc32c(0, d + skip, n - skip) != crc32c_ref(d + skip, n - skip))
        __builtin_trap();
    if (ftruncate(fd, 0) || (n && pwrite(fd, d, n, 0) != (ssize_t)n))
        abort();
    ezc_error err;
    ezc_recording *r = ezc_recording_open(path, &err);
    if (!r)
        return 0;
    check_open(r);
    ezc_recording_info info = *ezc_recording_info_of(r);
    size_t count = ezc_recording_count(r);
    uint32_t h = digest(r);
    ezc_recording_close(&r);
    if (info.finished || info.damaged)
        return 0;
    ezc_recording_info seen;
    if (ezc_recording_repair(path, &seen, &err))
        __builtin_trap(); /* an unfinished, undamaged file must be repairable */
    if (!(r = ezc_recording_open(path, &err)))
        __builtin_trap();
    if (!ezc_recording_info_of(r)->finished || ezc_recording_count(r) != count || digest(r) != h)
        __builtin_trap(); /* the repair changed the messages */
    ezc_recording_close(&r);
    return 0;
}

/* ---- the structured mutator ---- */

typedef struct span {
    const uint8_t *p;
    size_t n;
} span;

typedef struct rec {
    span topic, header, data;
    int64_t recv;
} rec;

#define MAX_RECS 64

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint64_t rd(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void wr(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc32_zlib(uint32_t c, const uint8_t *p, size_t n)
{
    c = ~c;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

/* Records of d as a lenient reader sees them (no checksum checked). */
static int parse(const uint8_t *d, size_t n, rec *out, uint32_t *version)
{
    if (n < 32 || memcmp(d, "EZCREC1\n", 8))
        return 0;
    *version = rd(d + 8, 4) == 1 ? 1 : 2;
    size_t head = *version == 1 ? 32 : 48, off = 32;
    int k = 0;
    while (k < MAX_RECS && n - off >= head && !memcmp(d + off, "EZCM", 4)) {
        uint64_t t = rd(d + off + 4, 4), h = rd(d + off + 8, 4), dl = rd(d + off + 16, 8);
        uint64_t left = n - off - head, meta = (t + h + 15) & ~(uint64_t)15;
        if (meta > left || dl > left - meta || ((dl + 15) & ~(uint64_t)15) > left - meta)
            break;
        const uint8_t *p = d + off + head;
        out[k++] = (rec){{p, t}, {p + t, h}, {p + meta, dl}, (int64_t)rd(d + off + 24, 8)};
        off += head + meta + ((dl + 15) & ~(uint64_t)15);
    }
    return k;
}

/* Writes records as a correct writer would; 0 when it does not fit. */
static size_t emit(uint8_t *out, size_t max, const rec *r, int k, uint32_t version, int footer)
{
    size_t head = version == 1 ? 32 : 48, off = 32;
    uint64_t idx[2 * MAX_RECS];
    if (max < 32)
        return 0;
    memset(out, 0, 32);
    memcpy(out, "EZCREC1\n", 8);
    wr(out + 8, version, 4);
    for (int i = 0; i < k; i++) {
        size_t meta = (r[i].topic.n + r[i].header.n + 15) & ~(size_t)15;
        size_t len = head + meta + ((r[i].data.n + 15) & ~(size_t)15);
        if (len > max - off)
            return 0;
        uint8_t *p = out + off;
        memset(p, 0, len);
        memcpy(p, "EZCM", 4);
        wr(p + 4, r[i].topic.n, 4);
        wr(p + 8, r[i].header.n, 4);
        memmove(p + head, r[i].topic.p, r[i].topic.n);
        memmove(p + head + r[i].topic.n, r[i].header.p, r[i].header.n);
        wr(p + 12, crc32_zlib(0, p + head, r[i].topic.n + r[i].header.n), 4);
        wr(p + 16, r[i].data.n, 8);
        wr(p + 24, (uint64_t)r[i].recv, 8);
        memmove(p + head + meta, r[i].data.p, r[i].data.n);
        if (version >= 2) {
            wr(p + 32, ezc_crc32c(0, p + head + meta, r[i].data.n), 4);
            wr(p + 36, ezc_crc32c(0, p, 36), 4);
        }
        idx[2 * i] = off;
        idx[2 * i + 1] = (uint64_t)r[i].recv;
        off += len;
    }
    if (!footer)
        return off;
    size_t tail = 16 + 16 * (size_t)k + 32;
    if (tail > max - off)
        return 0;
    uint8_t *p = out + off;
    memset(p, 0, tail);
    memcpy(p, "EZCI", 4);
    wr(p + 8, (uint64_t)k, 8);
    for (int i = 0; i < 2 * k; i++)
        wr(p + 16 + 8 * i, idx[i], 8);
    uint8_t *f = p + 16 + 16 * k;
    wr(f, off, 8);
    wr(f + 8, (uint64_t)k, 8);
    wr(f + 16, crc32_zlib(0, p + 16, 16 * (size_t)k), 4);
    memcpy(f + 24, "EZCEND1\n", 8);
    return off + tail;
}

/* Replaces the ints of the header's "shape" array with hostile ones; the
 * new header goes to buf. 0 when the header has no such array. */
static size_t hostile_shape(const span *h, uint8_t *buf, size_t cap, uint64_t *s)
{
    static const uint8_t key[] = {0xa5, 's', 'h', 'a', 'p', 'e'};
    const uint8_t *at = memmem(h->p, h->n, key, sizeof key);
    if (!at)
        return 0;
    size_t pos = (size_t)(at - h->p) + sizeof key, end = pos;
    if (end >= h->n || (h->p[end] & 0xf0) != 0x90)
        return 0;
    int dims = h->p[end++] & 0x0f;
    for (int i = 0; i < dims; i++) { /* skip the old ints */
        if (end >= h->n)
            return 0;
        uint8_t b = h->p[end];
        size_t w = b < 0x80 || b >= 0xe0    ? 1
                   : b == 0xcc || b == 0xd0 ? 2
                   : b == 0xcd || b == 0xd1 ? 3
                   : b == 0xce || b == 0xd2 ? 5
                   : b == 0xcf || b == 0xd3 ? 9
                                            : 0;
        if (!w || w > h->n - end)
            return 0;
        end += w;
    }
    static const uint64_t vals[] = {
        0, 1, 1ull << 40, (1ull << 40) + 1, 1ull << 32, 1ull << 63, UINT64_MAX, 0xFFFFFFFFull, 3};
    int nd = (int)(rng_next(s) % 10); /* 9 dims is one too many */
    size_t need = pos + 1 + 9 * (size_t)nd + (h->n - end);
    if (need > cap)
        return 0;
    memcpy(buf, h->p, pos);
    size_t o = pos;
    buf[o++] = (uint8_t)(0x90 | nd);
    for (int i = 0; i < nd; i++) {
        uint64_t v = vals[rng_next(s) % (sizeof vals / sizeof vals[0])];
        buf[o++] = rng_next(s) & 1 ? 0xcf : 0xd3;
        for (int b = 7; b >= 0; b--)
            buf[o++] = (uint8_t)(v >> (8 * b));
    }
    memcpy(buf + o, h->p + end, h->n - end);
    return o + (h->n - end);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint64_t s = seed * 2654435761u + 1;
    rec r[MAX_RECS];
    uint32_t version = 2;
    int k = parse(data, size, r, &version);
    unsigned how = (unsigned)(rng_next(&s) % 8);
    if (!k || how == 0) /* plain byte mutations (checksums then mostly fail) */
        return LLVMFuzzerMutate(data, size, max_size);
    uint8_t *copy = malloc(size), *hdr = malloc(1 << 16);
    if (!copy || !hdr) {
        free(copy);
        free(hdr);
        return size;
    }
    memcpy(copy, data, size); /* spans point into copy from here on */
    for (int i = 0; i < k; i++) {
        r[i].topic.p = copy + (r[i].topic.p - data);
        r[i].header.p = copy + (r[i].header.p - data);
        r[i].data.p = copy + (r[i].data.p - data);
    }
    int i = (int)(rng_next(&s) % (uint64_t)k), footer = (int)(rng_next(&s) % 3 != 0);
    switch (how) {
    case 1: { /* hostile shape */
        size_t hn = hostile_shape(&r[i].header, hdr, 1 << 16, &s);
        if (hn)
            r[i].header = (span){hdr, hn};
        break;
    }
    case 2: /* data a little longer or shorter than the shape says */
        if (r[i].data.n && rng_next(&s) & 1)
            r[i].data.n -= 1 + rng_next(&s) % r[i].data.n;
        else if (r[i].data.p + r[i].data.n + 16 <= copy + size)
            r[i].data.n += 1 + rng_next(&s) % 16;
        break;
    case 3: /* a record dropped or repeated */
        if (rng_next(&s) & 1 && k > 1)
            memmove(&r[i], &r[i + 1], (size_t)(k - i - 1) * sizeof r[0]), k--;
        else if (k < MAX_RECS)
            r[k++] = r[i];
        break;
    case 4: /* the other version */ version = version == 1 ? 2 : 1; break;
    case 5: /* header bytes mutated, checksums made right again */
        if (r[i].header.n && r[i].header.n <= (1 << 16) / 2) {
            memcpy(hdr, r[i].header.p, r[i].header.n);
            size_t hn = LLVMFuzzerMutate(hdr, r[i].header.n, 1 << 15);
            r[i].header = (span){hdr, hn};
        }
        break;
    default: /* 6, 7: a cut or a changed length, checksums right */ break;
    }
    uint8_t *out = malloc(max_size ? max_size : 1);
    size_t n = out ? emit(out, max_size, r, k, version, footer) : 0;
    if (n && how >= 6) {
        if (how == 6) { /* the writer died at some byte */
            n = 32 + (size_t)(rng_next(&s) % (n - 31));
        } else { /* one length field set to a hostile value, the header checksum redone */
            size_t off = 32, head = version == 1 ? 32 : 48;
            for (int j = 0; j < i; j++)
                off += head + ((r[j].topic.n + r[j].header.n + 15) & ~(size_t)15) +
                       ((r[j].data.n + 15) & ~(size_t)15);
            static const uint64_t vals[] = {0,
                                            15,
                                            16,
                                            4096,
                                            4097,
                                            1u << 20,
                                            (1u << 20) + 1,
                                            0xFFFFFFFFu,
                                            0xFFFFFFFFFFFFFFF0ull,
                                            UINT64_MAX};
            uint64_t v = vals[rng_next(&s) % (sizeof vals / sizeof vals[0])];
            int field = (int)(rng_next(&s) % 3);
            if (field < 2)
                wr(out + off + 4 + 4 * field, v, 4);
            else
                wr(out + off + 16, v, 8);
            if (version >= 2)
                wr(out + off + 36, ezc_crc32c(0, out + off, 36), 4);
        }
    }
    if (n && n <= max_size)
        memcpy(data, out, n);
    else
        n = LLVMFuzzerMutate(data, size, max_size);
    free(out);
    free(copy);
    free(hdr);
    return n;
}
