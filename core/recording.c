/* recording.c — the recording file: records of raw wire frames, then an
 * index and a footer (docs/recording-format.md).
 *
 * The writer streams records through a stdio buffer and keeps the index in
 * memory until close. The reader maps the file and checks all of it before
 * anything is used, so a replay never starts on a file it would stumble on
 * half way: every length is checked against the bytes really there before
 * it is followed, and each problem is reported with its byte offset. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ezc/recording.h"
#include "ezc/wire.h"
#include "ezc/xp.h"

static const char FILE_MAGIC[8] = {'E', 'Z', 'C', 'R', 'E', 'C', '1', '\n'};
static const char END_MAGIC[8] = {'E', 'Z', 'C', 'E', 'N', 'D', '1', '\n'};
static const char REC_MAGIC[4] = {'E', 'Z', 'C', 'M'};
static const char IDX_MAGIC[4] = {'E', 'Z', 'C', 'I'};

#define FILE_HEAD 32
#define REC_HEAD 32
#define IDX_HEAD 16
#define IDX_ENTRY 16
#define FOOTER 32

static uint64_t align16(uint64_t n) { return (n + 15) & ~(uint64_t)15; }

/* CRC-32 (IEEE 802.3, zlib's crc32), so Python's zlib.crc32 checks it too. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *b = p;
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- writer ---- */

struct ezc_recording_writer {
    FILE *f;
    char *path;
    uint64_t offset; /* where the next record goes */
    unsigned char *index; /* IDX_ENTRY bytes per record */
    size_t count, cap;
    uint64_t bytes;
    ezc_wire_encoder *enc;
    int failed;
};

static int write_fail(ezc_recording_writer *w, ezc_error *err)
{
    w->failed = 1;
    return ezc_error_set(err, EZC_EIO, "recording %s: write failed at offset %llu: %s", w->path,
                         (unsigned long long)w->offset, strerror(errno ? errno : EIO));
}

static int put_bytes(ezc_recording_writer *w, const void *p, size_t n, ezc_error *err)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        return write_fail(w, err);
    return 0;
}

static int put_zeros(ezc_recording_writer *w, size_t n, ezc_error *err)
{
    static const unsigned char z[16];
    return put_bytes(w, z, n, err);
}

ezc_recording_writer *ezc_recording_writer_new(const char *path, int overwrite, ezc_error *err)
{
    ezc_recording_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", path);
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0644);
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        ezc_error_set(err, EZC_EIO, "recording %s: cannot create: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(w->path);
        free(w);
        return NULL;
    }
    setvbuf(w->f, NULL, _IOFBF, 1 << 20);
    unsigned char head[FILE_HEAD] = {0};
    memcpy(head, FILE_MAGIC, 8);
    put32(head + 8, EZC_RECORDING_VERSION);
    put32(head + 12, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    put64(head + 16, (uint64_t)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    if (put_bytes(w, head, sizeof head, err)) {
        fclose(w->f);
        unlink(path);
        free(w->path);
        free(w);
        return NULL;
    }
    w->offset = FILE_HEAD;
    return w;
}

int ezc_recording_writer_add(ezc_recording_writer *w, const void *topic, size_t tlen,
                             const void *header, size_t hlen, const void *data, size_t dlen,
                             int64_t recv_ns, ezc_error *err)
{
    if (w->failed)
        return ezc_error_set(err, EZC_EIO, "recording %s: an earlier write failed", w->path);
    if (tlen > EZC_RECORDING_MAX_TOPIC)
        return ezc_error_set(err, EZC_EINVAL, "recording %s: topic of %zu bytes (at most %d)",
                             w->path, tlen, EZC_RECORDING_MAX_TOPIC);
    if (hlen > EZC_WIRE_MAX_HEADER)
        return ezc_error_set(err, EZC_EINVAL, "recording %s: header of %zu bytes (at most %u)",
                             w->path, hlen, EZC_WIRE_MAX_HEADER);
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        unsigned char *ni = realloc(w->index, cap * IDX_ENTRY);
        if (!ni)
            return ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", w->path);
        w->index = ni;
        w->cap = cap;
    }
    unsigned char rec[REC_HEAD];
    memcpy(rec, REC_MAGIC, 4);
    put32(rec + 4, (uint32_t)tlen);
    put32(rec + 8, (uint32_t)hlen);
    put32(rec + 12, crc32_update(crc32_update(0, topic, tlen), header, hlen));
    put64(rec + 16, dlen);
    put64(rec + 24, (uint64_t)recv_ns);
    size_t meta = tlen + hlen;
    if (put_bytes(w, rec, sizeof rec, err) || put_bytes(w, topic, tlen, err) ||
        put_bytes(w, header, hlen, err) || put_zeros(w, align16(meta) - meta, err) ||
        put_bytes(w, data, dlen, err) || put_zeros(w, align16(dlen) - dlen, err))
        return err ? err->code : EZC_EIO;
    unsigned char *e = w->index + w->count * IDX_ENTRY;
    put64(e, w->offset);
    put64(e + 8, (uint64_t)recv_ns);
    w->count++;
    w->bytes += dlen;
    w->offset += REC_HEAD + align16(meta) + align16(dlen);
    return 0;
}

int ezc_recording_writer_add_array(ezc_recording_writer *w, const char *topic,
                                   const ezc_array *a, int64_t recv_ns, ezc_error *err)
{
    if (!w->enc && !(w->enc = ezc_wire_encoder_new(err)))
        return err ? err->code : EZC_ENOMEM;
    ezc_array *host = NULL;
    if (a->tensor.device.device_type != kDLCPU) {
        if (!(host = ezc_array_to_device(a, ezc_device_cpu(), err)))
            return ezc_error_prefix(err, "recording %s", w->path);
        a = host;
    }
    const void *hdr;
    size_t hlen;
    int rc = ezc_wire_encode_header(w->enc, a, &hdr, &hlen, err);
    if (!rc)
        rc = ezc_recording_writer_add(w, topic ? topic : "", topic ? strlen(topic) : 0, hdr, hlen,
                                      ezc_array_data(a), ezc_array_nbytes(a), recv_ns, err);
    ezc_array_destroy(&host);
    return rc;
}

uint64_t ezc_recording_writer_count(const ezc_recording_writer *w) { return w ? w->count : 0; }
uint64_t ezc_recording_writer_bytes(const ezc_recording_writer *w) { return w ? w->bytes : 0; }

int ezc_recording_writer_close(ezc_recording_writer **wp, ezc_error *err)
{
    if (!wp || !*wp)
        return 0;
    ezc_recording_writer *w = *wp;
    *wp = NULL;
    int rc = 0;
    if (!w->failed) {
        unsigned char ih[IDX_HEAD] = {0}, foot[FOOTER] = {0};
        memcpy(ih, IDX_MAGIC, 4);
        put64(ih + 8, w->count);
        put64(foot, w->offset);
        put64(foot + 8, w->count);
        put32(foot + 16, crc32_update(0, w->index, w->count * IDX_ENTRY));
        memcpy(foot + 24, END_MAGIC, 8);
        rc = put_bytes(w, ih, sizeof ih, err);
        if (!rc)
            rc = put_bytes(w, w->index, w->count * IDX_ENTRY, err);
        if (!rc)
            rc = put_bytes(w, foot, sizeof foot, err);
        if (!rc && fflush(w->f))
            rc = write_fail(w, err);
    } else {
        rc = ezc_error_set(err, EZC_EIO, "recording %s: incomplete (a write failed)", w->path);
    }
    if (fclose(w->f) && !rc)
        rc = write_fail(w, err);
    ezc_wire_encoder_destroy(&w->enc);
    free(w->index);
    free(w->path);
    free(w);
    return rc;
}

/* ---- reader ---- */

struct ezc_recording {
    char *path;
    const unsigned char *map;
    size_t size;
    size_t count;
    const unsigned char *index;
};

static int corrupt(const char *path, uint64_t offset, ezc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int corrupt(const char *path, uint64_t offset, ezc_error *err, const char *fmt, ...)
{
    char what[EZC_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ezc_error_set(err, EZC_EPROTO, "recording %s: offset %llu: %s", path,
                         (unsigned long long)offset, what);
}

/* Checks record i at off (within [off, end)) and returns where it ends. */
static int check_record(const ezc_recording *r, size_t i, uint64_t off, uint64_t end,
                        uint64_t *next, ezc_error *err)
{
    const unsigned char *p = r->map + off;
    if (end - off < REC_HEAD)
        return corrupt(r->path, off, err, "message %zu: record header cut short", i);
    if (memcmp(p, REC_MAGIC, 4))
        return corrupt(r->path, off, err, "message %zu: no record marker (EZCM)", i);
    uint64_t tlen = get32(p + 4), hlen = get32(p + 8), dlen = get64(p + 16);
    if (tlen > EZC_RECORDING_MAX_TOPIC || hlen > EZC_WIRE_MAX_HEADER)
        return corrupt(r->path, off, err, "message %zu: topic %llu / header %llu bytes: too long",
                       i, (unsigned long long)tlen, (unsigned long long)hlen);
    uint64_t left = end - off - REC_HEAD;
    if (align16(tlen + hlen) > left || dlen > left - align16(tlen + hlen) ||
        align16(dlen) > left - align16(tlen + hlen))
        return corrupt(r->path, off, err,
                       "message %zu: its frames (%llu + %llu + %llu bytes) run past the "
                       "records' end at %llu",
                       i, (unsigned long long)tlen, (unsigned long long)hlen,
                       (unsigned long long)dlen, (unsigned long long)end);
    if (crc32_update(crc32_update(0, p + REC_HEAD, tlen), p + REC_HEAD + tlen, hlen) !=
        get32(p + 12))
        return corrupt(r->path, off, err, "message %zu: topic/header checksum mismatch", i);
    *next = off + REC_HEAD + align16(tlen + hlen) + align16(dlen);
    return 0;
}

ezc_recording *ezc_recording_open(const char *path, ezc_error *err)
{
    ezc_recording *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", path);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        ezc_error_set(err, EZC_EIO, "recording %s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    r->size = (size_t)st.st_size;
    if (r->size < FILE_HEAD) {
        corrupt(path, r->size, err, "truncated: %zu bytes, less than the 32-byte file header",
                r->size);
        goto fail;
    }
    r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        ezc_error_set(err, EZC_EIO, "recording %s: cannot map: %s", path, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (memcmp(r->map, FILE_MAGIC, 8)) {
        corrupt(path, 0, err, "not an ezc recording (no EZCREC1 magic)");
        goto fail;
    }
    if (get32(r->map + 8) != EZC_RECORDING_VERSION) {
        corrupt(path, 8, err, "format version %u (this reader knows %d)", get32(r->map + 8),
                EZC_RECORDING_VERSION);
        goto fail;
    }
    const unsigned char *foot = r->map + r->size - FOOTER;
    if (r->size < FILE_HEAD + IDX_HEAD + FOOTER || memcmp(foot + 24, END_MAGIC, 8)) {
        corrupt(path, r->size, err,
                "truncated: no index footer at the end of the file (%zu bytes; the recorder "
                "did not finish)",
                r->size);
        goto fail;
    }
    uint64_t ioff = get64(foot), count = get64(foot + 8);
    uint64_t foot_off = r->size - FOOTER;
    if (ioff < FILE_HEAD || ioff > foot_off || (foot_off - ioff - IDX_HEAD) / IDX_ENTRY != count ||
        foot_off - ioff < IDX_HEAD || (foot_off - ioff - IDX_HEAD) % IDX_ENTRY) {
        corrupt(path, foot_off, err,
                "footer: index at %llu with %llu entries does not fit a %zu-byte file",
                (unsigned long long)ioff, (unsigned long long)count, r->size);
        goto fail;
    }
    const unsigned char *ih = r->map + ioff;
    if (memcmp(ih, IDX_MAGIC, 4) || get64(ih + 8) != count) {
        corrupt(path, ioff, err, "index header: bad marker or count");
        goto fail;
    }
    r->index = ih + IDX_HEAD;
    r->count = (size_t)count;
    if (crc32_update(0, r->index, r->count * IDX_ENTRY) != get32(foot + 16)) {
        corrupt(path, ioff + IDX_HEAD, err, "index checksum mismatch");
        goto fail;
    }
    /* Records follow one another from the file header to the index. */
    uint64_t off = FILE_HEAD;
    for (size_t i = 0; i < r->count; i++) {
        const unsigned char *e = r->index + i * IDX_ENTRY;
        if (get64(e) != off) {
            corrupt(path, ioff + IDX_HEAD + i * IDX_ENTRY, err,
                    "index entry %zu: offset %llu, expected %llu", i,
                    (unsigned long long)get64(e), (unsigned long long)off);
            goto fail;
        }
        uint64_t next = 0;
        if (check_record(r, i, off, ioff, &next, err))
            goto fail;
        if (get64(r->map + off + 24) != get64(e + 8)) {
            corrupt(path, off + 24, err, "message %zu: receive time differs from the index", i);
            goto fail;
        }
        ezc_recording_msg m;
        ezc_recording_get(r, i, &m);
        ezc_buffer *b = m.data_len ? ezc_buffer_wrap((void *)m.data, m.data_len, ezc_device_cpu(),
                                                     NULL, NULL, err)
                                   : NULL;
        ezc_array *a = NULL;
        int rc = b || !m.data_len ? ezc_wire_decode(m.header, m.header_len, b, &a, err)
                                  : EZC_ENOMEM;
        ezc_array_destroy(&a);
        ezc_buffer_unref(&b);
        if (rc) {
            ezc_error_prefix(err, "recording %s: offset %llu: message %zu", path,
                             (unsigned long long)(off + REC_HEAD + m.topic_len), i);
            goto fail;
        }
        off = next;
    }
    if (off != ioff) {
        corrupt(path, off, err, "%llu bytes between the last record and the index",
                (unsigned long long)(ioff - off));
        goto fail;
    }
    return r;
fail:
    if (fd >= 0)
        close(fd);
    ezc_recording_close(&r);
    return NULL;
}

void ezc_recording_close(ezc_recording **rp)
{
    if (!rp || !*rp)
        return;
    ezc_recording *r = *rp;
    *rp = NULL;
    if (r->map)
        munmap((void *)r->map, r->size);
    free(r->path);
    free(r);
}

size_t ezc_recording_count(const ezc_recording *r) { return r ? r->count : 0; }

int ezc_recording_get(const ezc_recording *r, size_t i, ezc_recording_msg *out)
{
    memset(out, 0, sizeof *out);
    if (!r || i >= r->count)
        return EZC_EINVAL;
    uint64_t off = get64(r->index + i * IDX_ENTRY);
    const unsigned char *p = r->map + off;
    out->offset = off;
    out->topic_len = get32(p + 4);
    out->header_len = get32(p + 8);
    out->data_len = (size_t)get64(p + 16);
    out->recv_ns = (int64_t)get64(p + 24);
    out->topic = (const char *)p + REC_HEAD;
    out->header = p + REC_HEAD + out->topic_len;
    out->data = p + REC_HEAD + align16(out->topic_len + out->header_len);
    return 0;
}

int ezc_recording_decode(const ezc_recording *r, size_t i, ezc_array **out, ezc_error *err)
{
    *out = NULL;
    ezc_recording_msg m;
    if (ezc_recording_get(r, i, &m))
        return ezc_error_set(err, EZC_EINVAL, "recording %s: no message %zu (%zu in the file)",
                             r ? r->path : "?", i, ezc_recording_count(r));
    ezc_buffer *b = NULL;
    if (m.data_len) {
        if (!(b = ezc_buffer_new_host(m.data_len, err)))
            return err ? err->code : EZC_ENOMEM;
        memcpy(b->data, m.data, m.data_len);
    }
    int rc = ezc_wire_decode(m.header, m.header_len, b, out, err);
    ezc_buffer_unref(&b);
    return rc;
}
