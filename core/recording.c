/* recording.c — the recording file: records of raw wire frames, then an
 * index and a footer (docs/recording-format.md).
 *
 * The writer buffers whole records and writes them with write(2), so it
 * knows exactly how much reached the file: after a failed write (disk
 * full) it cuts the file after the last whole record and still writes the
 * index. The reader maps the file and checks all of it before anything is
 * used: every length is checked against the bytes really there before it
 * is followed, every checksum is verified, and each problem is reported
 * with its byte offset. A file without footer (its writer died) is read
 * record by record up to the first that is incomplete or wrong. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#endif
#include "ezc/crc32c.h"
#include "ezc/recording.h"
#include "ezc/wire.h"
#include "ezc/xp.h"

static const char FILE_MAGIC[8] = {'E', 'Z', 'C', 'R', 'E', 'C', '1', '\n'};
static const char END_MAGIC[8] = {'E', 'Z', 'C', 'E', 'N', 'D', '1', '\n'};
static const char REC_MAGIC[4] = {'E', 'Z', 'C', 'M'};
static const char IDX_MAGIC[4] = {'E', 'Z', 'C', 'I'};

#define FILE_HEAD 32
#define REC_HEAD_V1 32
#define REC_HEAD_V2 48 /* v1's 32 bytes, data CRC-32C, CRC-32C of bytes 0..35, 8 zero */
#define REC_HEAD_CRC_SPAN 36
#define IDX_HEAD 16
#define IDX_ENTRY 16
#define FOOTER 32
#define WBUF (1u << 20)

static uint64_t align16(uint64_t n)
{
    return (n + 15) & ~(uint64_t)15;
}
static uint32_t rec_head(uint32_t version)
{
    return version == 1 ? REC_HEAD_V1 : REC_HEAD_V2;
}

/* CRC-32 (IEEE 802.3, zlib's crc32) of topic and header, so Python's
 * zlib.crc32 checks it too. */
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

/* The index and footer for count records ending at records_end. */
static void make_tail(unsigned char ih[IDX_HEAD], unsigned char foot[FOOTER],
                      const unsigned char *index, uint64_t count, uint64_t records_end)
{
    memset(ih, 0, IDX_HEAD);
    memset(foot, 0, FOOTER);
    memcpy(ih, IDX_MAGIC, 4);
    put64(ih + 8, count);
    put64(foot, records_end);
    put64(foot + 8, count);
    put32(foot + 16, crc32_update(0, index, count * IDX_ENTRY));
    memcpy(foot + 24, END_MAGIC, 8);
}

/* write(2) all of it at fd's position; 0 or errno. *done counts what went. */
static int write_all(int fd, const void *p, size_t n, uint64_t *done)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? errno : ENOSPC;
        b += k;
        n -= (size_t)k;
        if (done)
            *done += (uint64_t)k;
    }
    return 0;
}

/* ---- writer ---- */

struct ezc_recording_writer {
    int fd;
    char *path;
    unsigned char *buf; /* whole records waiting for write(2) */
    size_t blen;
    uint64_t written;     /* bytes that reached the file */
    uint64_t offset;      /* where the next record goes */
    unsigned char *index; /* IDX_ENTRY bytes per record */
    size_t count, cap;
    uint64_t bytes;
    ezc_wire_encoder *enc;
    int failed;
};

static int write_fail(ezc_recording_writer *w, int e, ezc_error *err)
{
    w->failed = 1;
    return ezc_error_set(err, EZC_EIO, "recording %s: write failed at offset %llu: %s", w->path,
                         (unsigned long long)w->written, strerror(e));
}

static int flush_buf(ezc_recording_writer *w, ezc_error *err)
{
    int e = write_all(w->fd, w->buf, w->blen, &w->written);
    w->blen = 0;
    return e ? write_fail(w, e, err) : 0;
}

/* Appends n bytes: through the buffer, or straight to the file when they
 * would not fit in it. */
static int emit(ezc_recording_writer *w, const void *p, size_t n, ezc_error *err)
{
    if (n > WBUF - w->blen && flush_buf(w, err))
        return EZC_EIO;
    if (n >= WBUF) {
        int e = write_all(w->fd, p, n, &w->written);
        return e ? write_fail(w, e, err) : 0;
    }
    if (n)
        memcpy(w->buf + w->blen, p, n);
    w->blen += n;
    return 0;
}

static void writer_free(ezc_recording_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    ezc_wire_encoder_destroy(&w->enc);
    free(w->buf);
    free(w->index);
    free(w->path);
    free(w);
}

ezc_recording_writer *ezc_recording_writer_new(const char *path, int overwrite, ezc_error *err)
{
    ezc_recording_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path)) || !(w->buf = malloc(WBUF))) {
        if (w)
            free(w->path);
        free(w);
        ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", path);
        return NULL;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0644);
    if (w->fd < 0) {
        ezc_error_set(err, EZC_EIO, "recording %s: cannot create: %s", path, strerror(errno));
        writer_free(w);
        return NULL;
    }
    unsigned char head[FILE_HEAD] = {0};
    memcpy(head, FILE_MAGIC, 8);
    put32(head + 8, EZC_RECORDING_VERSION);
    put32(head + 12, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    put64(head + 16, (uint64_t)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    /* Written at once: a full disk shows here, not at the first message. */
    int e = write_all(w->fd, head, sizeof head, &w->written);
    if (e) {
        ezc_error_set(err, EZC_EIO, "recording %s: cannot write the file header: %s", path,
                      strerror(e));
        struct stat st;
        if (!fstat(w->fd, &st) && S_ISREG(st.st_mode))
            unlink(path);
        writer_free(w);
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
    static const unsigned char zeros[16];
    unsigned char rec[REC_HEAD_V2] = {0};
    memcpy(rec, REC_MAGIC, 4);
    put32(rec + 4, (uint32_t)tlen);
    put32(rec + 8, (uint32_t)hlen);
    put32(rec + 12, crc32_update(crc32_update(0, topic, tlen), header, hlen));
    put64(rec + 16, dlen);
    put64(rec + 24, (uint64_t)recv_ns);
    put32(rec + 32, ezc_crc32c(0, data, dlen));
    put32(rec + 36, ezc_crc32c(0, rec, REC_HEAD_CRC_SPAN));
    size_t meta = tlen + hlen;
    if (emit(w, rec, sizeof rec, err) || emit(w, topic, tlen, err) || emit(w, header, hlen, err) ||
        emit(w, zeros, align16(meta) - meta, err) || emit(w, data, dlen, err) ||
        emit(w, zeros, align16(dlen) - dlen, err))
        return EZC_EIO;
    unsigned char *e = w->index + w->count * IDX_ENTRY;
    put64(e, w->offset);
    put64(e + 8, (uint64_t)recv_ns);
    w->count++;
    w->bytes += dlen;
    w->offset += REC_HEAD_V2 + align16(meta) + align16(dlen);
    return 0;
}

int ezc_recording_writer_add_array(ezc_recording_writer *w, const char *topic, const ezc_array *a,
                                   int64_t recv_ns, ezc_error *err)
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

int ezc_recording_writer_flush(ezc_recording_writer *w, ezc_error *err)
{
    if (w->failed)
        return ezc_error_set(err, EZC_EIO, "recording %s: an earlier write failed", w->path);
    return flush_buf(w, err);
}

uint64_t ezc_recording_writer_count(const ezc_recording_writer *w)
{
    return w ? w->count : 0;
}
uint64_t ezc_recording_writer_bytes(const ezc_recording_writer *w)
{
    return w ? w->bytes : 0;
}

/* Writes the index and footer of the first count records at records_end
 * (the file is cut there first). 0 or errno. */
static int write_tail(int fd, const unsigned char *index, uint64_t count, uint64_t records_end)
{
    unsigned char ih[IDX_HEAD], foot[FOOTER];
    make_tail(ih, foot, index, count, records_end);
    if (ftruncate(fd, (off_t)records_end) || lseek(fd, (off_t)records_end, SEEK_SET) < 0)
        return errno;
    int e = write_all(fd, ih, sizeof ih, NULL);
    if (!e)
        e = write_all(fd, index, count * IDX_ENTRY, NULL);
    if (!e)
        e = write_all(fd, foot, sizeof foot, NULL);
    if (e && ftruncate(fd, (off_t)records_end) == 0)
        return e; /* back to the records alone: readable without the index */
    return e;
}

/* After a failed write: keep the records that reached the file whole. */
static int close_failed(ezc_recording_writer *w, ezc_error *err)
{
    size_t keep = w->count;
    uint64_t end = w->offset;
    while (keep && end > w->written) {
        keep--;
        end = get64(w->index + keep * IDX_ENTRY);
    }
    if (end > w->written) /* not even the file header */
        return ezc_error_set(err, EZC_EIO, "recording %s: a write failed before any message",
                             w->path);
    int e = write_tail(w->fd, w->index, keep, end);
    if (!e)
        return ezc_error_set(err, EZC_EIO,
                             "recording %s: a write failed; the file keeps the first %zu "
                             "messages, with their index",
                             w->path, keep);
    return ezc_error_set(err, EZC_EIO,
                         "recording %s: a write failed; the file keeps the first %zu messages "
                         "but no index (%s): readers read it as unfinished, and `ezc record "
                         "--repair` adds the index",
                         w->path, keep, strerror(e));
}

int ezc_recording_writer_close(ezc_recording_writer **wp, ezc_error *err)
{
    if (!wp || !*wp)
        return 0;
    ezc_recording_writer *w = *wp;
    *wp = NULL;
    int rc = 0;
    if (!w->failed && flush_buf(w, err))
        rc = EZC_EIO;
    if (!w->failed) {
        unsigned char ih[IDX_HEAD], foot[FOOTER];
        make_tail(ih, foot, w->index, w->count, w->offset);
        int e = write_all(w->fd, ih, sizeof ih, &w->written);
        if (!e)
            e = write_all(w->fd, w->index, w->count * IDX_ENTRY, &w->written);
        if (!e)
            e = write_all(w->fd, foot, sizeof foot, &w->written);
        if (e)
            rc = write_fail(w, e, err);
    }
    if (w->failed)
        rc = close_failed(w, err);
    if (close(w->fd) && !rc)
        rc =
            ezc_error_set(err, EZC_EIO, "recording %s: close failed: %s", w->path, strerror(errno));
    w->fd = -1;
    writer_free(w);
    return rc;
}

/* ---- reader ---- */

struct ezc_recording {
    char *path;
    const unsigned char *map;
    size_t size;
    size_t count, cap;
    uint64_t *offs; /* record offsets */
    uint32_t head;  /* record header size of this version */
    ezc_recording_info info;
};

/* What is wrong with a record: where, and what (without file and offset). */
typedef struct fault {
    uint64_t at;
    char why[EZC_ERROR_MSG_MAX];
} fault;

static int fault_set(fault *f, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fault_set(fault *f, uint64_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, sizeof f->why, fmt, ap);
    va_end(ap);
    f->at = at;
    return -1;
}

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

/* Index of the first nonzero byte of p[0, n), or UINT64_MAX. */
static uint64_t nonzero(const unsigned char *p, uint64_t n)
{
    for (uint64_t k = 0; k < n; k++)
        if (p[k])
            return k;
    return UINT64_MAX;
}

/* Checks record i at off, which must end by `end` (`end_what` names that
 * limit), and returns where it ends. Every length is checked against the
 * bytes left before it is followed; the header goes through the wire
 * decoder, which checks its shape (ezc_shape_count) against the data. */
static int check_record(const ezc_recording *r, size_t i, uint64_t off, uint64_t end,
                        const char *end_what, uint64_t *next, fault *f)
{
    const unsigned char *p = r->map + off;
    uint64_t head = r->head;
    if (end - off < head)
        return fault_set(f, off, "message %zu: record header cut short (%llu of %llu bytes)", i,
                         (unsigned long long)(end - off), (unsigned long long)head);
    if (memcmp(p, REC_MAGIC, 4))
        return fault_set(f, off, "message %zu: no record marker (EZCM)%s", i,
                         memcmp(p, IDX_MAGIC, 4) ? "" : ": an unfinished index");
    if (r->info.version >= 2 && ezc_crc32c(0, p, REC_HEAD_CRC_SPAN) != get32(p + 36))
        return fault_set(f, off, "message %zu: record header checksum mismatch", i);
    uint64_t tlen = get32(p + 4), hlen = get32(p + 8), dlen = get64(p + 16);
    if (tlen > EZC_RECORDING_MAX_TOPIC || hlen > EZC_WIRE_MAX_HEADER)
        return fault_set(f, off, "message %zu: topic %llu / header %llu bytes: too long", i,
                         (unsigned long long)tlen, (unsigned long long)hlen);
    uint64_t left = end - off - head, meta = align16(tlen + hlen);
    if (meta > left || dlen > left - meta || align16(dlen) > left - meta)
        return fault_set(f, off,
                         "message %zu: its frames (%llu + %llu + %llu bytes) run past %s at %llu",
                         i, (unsigned long long)tlen, (unsigned long long)hlen,
                         (unsigned long long)dlen, end_what, (unsigned long long)end);
    if (crc32_update(crc32_update(0, p + head, tlen), p + head + tlen, hlen) != get32(p + 12))
        return fault_set(f, off, "message %zu: topic/header checksum mismatch", i);
    const unsigned char *data = p + head + meta;
    /* No byte goes unchecked: what no checksum covers must be zero. */
    uint64_t nz = head > REC_HEAD_V1
                      ? nonzero(p + REC_HEAD_CRC_SPAN + 4, head - REC_HEAD_CRC_SPAN - 4)
                      : UINT64_MAX;
    if (nz != UINT64_MAX)
        return fault_set(f, off + REC_HEAD_CRC_SPAN + 4 + nz,
                         "message %zu: reserved record header byte is not zero", i);
    if ((nz = nonzero(p + head + tlen + hlen, meta - tlen - hlen)) != UINT64_MAX ||
        (nz = nonzero(data + dlen, align16(dlen) - dlen)) != UINT64_MAX)
        return fault_set(f, off, "message %zu: padding byte is not zero", i);

    if (r->info.version >= 2 && ezc_crc32c(0, data, dlen) != get32(p + 32))
        return fault_set(f, off,
                         "message %zu: data checksum mismatch (CRC-32C of the %llu data bytes "
                         "at offset %llu)",
                         i, (unsigned long long)dlen, (unsigned long long)(off + head + meta));
    ezc_error err;
    ezc_buffer *b =
        dlen ? ezc_buffer_wrap((void *)data, dlen, ezc_device_cpu(), NULL, NULL, &err) : NULL;
    ezc_array *a = NULL;
    int rc = b || !dlen ? ezc_wire_decode(p + head + tlen, hlen, b, &a, &err) : EZC_ENOMEM;
    ezc_array_destroy(&a);
    ezc_buffer_unref(&b);
    if (rc)
        return fault_set(f, off + head + tlen, "message %zu: %s", i, err.msg);
    *next = off + head + meta + align16(dlen);
    return 0;
}

static int push_offset(ezc_recording *r, uint64_t off)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        uint64_t *n = realloc(r->offs, cap * sizeof *n);
        if (!n)
            return -1;
        r->offs = n;
        r->cap = cap;
    }
    r->offs[r->count++] = off;
    return 0;
}

/* A finished file: the footer, the index, and records that fill the space
 * from the file header to the index exactly. */
static int read_indexed(ezc_recording *r, ezc_error *err)
{
    const char *path = r->path;
    const unsigned char *foot = r->map + r->size - FOOTER;
    uint64_t ioff = get64(foot), count = get64(foot + 8);
    uint64_t foot_off = r->size - FOOTER;
    if (ioff < FILE_HEAD || ioff > foot_off || foot_off - ioff < IDX_HEAD ||
        (foot_off - ioff - IDX_HEAD) % IDX_ENTRY ||
        (foot_off - ioff - IDX_HEAD) / IDX_ENTRY != count)
        return corrupt(path, foot_off, err,
                       "footer: index at %llu with %llu entries does not fit a %zu-byte file",
                       (unsigned long long)ioff, (unsigned long long)count, r->size);
    const unsigned char *ih = r->map + ioff, *index = ih + IDX_HEAD;
    if (memcmp(ih, IDX_MAGIC, 4) || get32(ih + 4) || get64(ih + 8) != count)
        return corrupt(path, ioff, err, "index header: bad marker or count");
    if (crc32_update(0, index, count * IDX_ENTRY) != get32(foot + 16))
        return corrupt(path, ioff + IDX_HEAD, err, "index checksum mismatch");
    if (get32(foot + 20))
        return corrupt(path, foot_off + 20, err, "footer: reserved bytes are not zero");
    /* count <= size / 16 (checked above), so this allocation is bounded by the file. */
    if (count && !(r->offs = malloc(count * sizeof *r->offs)))
        return ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", path);
    r->cap = count;
    uint64_t off = FILE_HEAD;
    for (size_t i = 0; i < count; i++) {
        const unsigned char *e = index + i * IDX_ENTRY;
        if (get64(e) != off)
            return corrupt(path, ioff + IDX_HEAD + i * IDX_ENTRY, err,
                           "index entry %zu: offset %llu, expected %llu", i,
                           (unsigned long long)get64(e), (unsigned long long)off);
        uint64_t next = 0;
        fault f = {0};
        if (check_record(r, i, off, ioff, "the records' end", &next, &f))
            return corrupt(path, f.at, err, "%s", f.why);
        if (get64(r->map + off + 24) != get64(e + 8))
            return corrupt(path, off + 24, err, "message %zu: receive time differs from the index",
                           i);
        r->offs[r->count++] = off;
        off = next;
    }
    if (off != ioff)
        return corrupt(path, off, err, "%llu bytes between the last record and the index",
                       (unsigned long long)(ioff - off));
    r->info.finished = 1;
    r->info.records_end = off;
    return 0;
}

/* Whether a whole record starts somewhere in [from, size): then the file
 * was damaged, not merely cut short, and what follows the bad record is
 * not to be thrown away by a repair. */
static uint64_t later_record(const ezc_recording *r, uint64_t from)
{
    for (uint64_t off = align16(from + 1); off + r->head <= r->size; off += 16) {
        const unsigned char *p = r->map + off;
        if (memcmp(p, REC_MAGIC, 4))
            continue;
        uint64_t next;
        fault f = {0};
        if (!check_record(r, 0, off, r->size, "the end of the file", &next, &f))
            return off;
    }
    return 0;
}

/* An unfinished file (no footer): records one after another up to the
 * first that is incomplete or wrong; the rest is left out, with the
 * reason. */
static int read_scanned(ezc_recording *r, ezc_error *err)
{
    uint64_t off = FILE_HEAD;
    for (size_t i = 0; off < r->size; i++) {
        uint64_t next = 0;
        fault f = {0};
        if (check_record(r, i, off, r->size, "the end of the file", &next, &f)) {
            uint64_t later = later_record(r, off);
            r->info.damaged = later != 0;
            r->info.discarded = r->size - off;
            if (later)
                snprintf(r->info.reason, sizeof r->info.reason,
                         "offset %llu: %.300s; a whole record follows at offset %llu (the file "
                         "is damaged, not only unfinished)",
                         (unsigned long long)f.at, f.why, (unsigned long long)later);
            else
                snprintf(r->info.reason, sizeof r->info.reason, "offset %llu: %.400s",
                         (unsigned long long)f.at, f.why);
            break;
        }
        if (push_offset(r, off))
            return ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", r->path);
        off = next;
    }
    r->info.records_end = off;
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
    r->info.version = get32(r->map + 8);
    if (r->info.version < 1 || r->info.version > EZC_RECORDING_VERSION) {
        corrupt(path, 8, err, "format version %u (this reader knows 1 to %d)", r->info.version,
                EZC_RECORDING_VERSION);
        goto fail;
    }
    r->head = rec_head(r->info.version);
    if (get32(r->map + 12) || nonzero(r->map + 24, 8) != UINT64_MAX) {
        corrupt(path, 12, err, "file header: flags or reserved bytes are not zero");
        goto fail;
    }
    int footer =
        r->size >= FILE_HEAD + IDX_HEAD + FOOTER && !memcmp(r->map + r->size - 8, END_MAGIC, 8);
    if (footer ? read_indexed(r, err) : read_scanned(r, err))
        goto fail;
    r->info.data_verified = r->info.version >= 2;
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
    free(r->offs);
    free(r->path);
    free(r);
}

const ezc_recording_info *ezc_recording_info_of(const ezc_recording *r)
{
    return r ? &r->info : NULL;
}

size_t ezc_recording_count(const ezc_recording *r)
{
    return r ? r->count : 0;
}

int ezc_recording_get(const ezc_recording *r, size_t i, ezc_recording_msg *out)
{
    memset(out, 0, sizeof *out);
    if (!r || i >= r->count)
        return EZC_EINVAL;
    uint64_t off = r->offs[i];
    const unsigned char *p = r->map + off;
    out->offset = off;
    out->topic_len = get32(p + 4);
    out->header_len = get32(p + 8);
    out->data_len = (size_t)get64(p + 16);
    out->recv_ns = (int64_t)get64(p + 24);
    out->topic = (const char *)p + r->head;
    out->header = p + r->head + out->topic_len;
    out->data = p + r->head + align16(out->topic_len + out->header_len);
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

int ezc_recording_repair(const char *path, ezc_recording_info *info, ezc_error *err)
{
    ezc_recording *r = ezc_recording_open(path, err);
    if (!r)
        return err ? err->code : EZC_EPROTO;
    if (info)
        *info = r->info;
    if (r->info.finished) {
        ezc_recording_close(&r);
        return 0;
    }
    if (r->info.damaged) {
        int rc =
            ezc_error_set(err, EZC_EPROTO, "recording %s: not repaired: %s", path, r->info.reason);
        ezc_recording_close(&r);
        return rc;
    }
    /* The index, rebuilt from the records read (count <= size / 48). */
    unsigned char *index = r->count ? malloc(r->count * IDX_ENTRY) : NULL;
    if (r->count && !index) {
        ezc_recording_close(&r);
        return ezc_error_set(err, EZC_ENOMEM, "recording %s: out of memory", path);
    }
    for (size_t i = 0; i < r->count; i++) {
        put64(index + i * IDX_ENTRY, r->offs[i]);
        put64(index + i * IDX_ENTRY + 8, get64(r->map + r->offs[i] + 24));
    }
    uint64_t count = r->count, end = r->info.records_end;
    ezc_recording_close(&r);
    int rc = 0, fd = open(path, O_WRONLY | O_CLOEXEC);
    int e = fd < 0 ? errno : write_tail(fd, index, count, end);
    if (!e && fsync(fd))
        e = errno;
    if (e)
        rc = ezc_error_set(err, EZC_EIO, "recording %s: cannot write the index: %s", path,
                           strerror(e));
    if (fd >= 0 && close(fd) && !rc)
        rc = ezc_error_set(err, EZC_EIO, "recording %s: close failed: %s", path, strerror(errno));
    free(index);
    return rc;
}
