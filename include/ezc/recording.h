/* ezc/recording.h — recordings: wire messages kept in a file, as received.
 *
 *   ezc_recording_writer *w = ezc_recording_writer_new("run.ezr", 0, &err);
 *   ezc_recording_writer_add(w, topic, tlen, hdr, hlen, data, dlen, recv_ns, &err);
 *   ezc_recording_writer_close(&w, &err);        // writes the index
 *
 *   ezc_recording *r = ezc_recording_open("run.ezr", &err);
 *   for (size_t i = 0; i < ezc_recording_count(r); i++) {
 *       ezc_recording_msg m;
 *       ezc_recording_get(r, i, &m);             // pointers into the file
 *   }
 *   ezc_recording_close(&r);
 *
 * A record holds the three frames of one wire message ([topic][msgpack
 * header][data], docs/wire-format.md) byte for byte with the time it was
 * received and checksums of its header, frames and data; an index at the
 * end lists every record's offset and receive time. The layout is
 * docs/recording-format.md; tools/python/ezc_recording.py reads it with
 * numpy alone. Opening checks the whole file (structure, every checksum,
 * every header through the wire decoder) and refuses a corrupt one with an
 * error that names the file and the byte offset. A file whose writer died
 * (no index) is read up to its last complete record; ezc_recording_info
 * says what was left out and why, and ezc_recording_repair adds the index.
 * A writer or a reader is used by one thread at a time. */
#ifndef EZC_RECORDING_H
#define EZC_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include "array.h"
#include "crc32c.h" /* the records' checksum */

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_RECORDING_VERSION 2      /* written; versions 1 and 2 are read */
#define EZC_RECORDING_MAX_TOPIC 4096 /* bytes; longer topics are refused */

typedef struct ezc_recording_writer ezc_recording_writer;

/* Creates path (an existing file is replaced only when overwrite is set,
 * else EZC_EIO names it) and writes the file header. Caller owns the
 * writer; close it with ezc_recording_writer_close, which writes the index
 * (a file without its index is refused as truncated). */
ezc_recording_writer *ezc_recording_writer_new(const char *path, int overwrite, ezc_error *err);

/* Appends one message as its frames: topic (tlen bytes), header (the
 * msgpack map, not checked here: callers decode it first) and data.
 * recv_ns: CLOCK_REALTIME nanoseconds at receive. Records are buffered (up
 * to 1 MiB) and reach the file in whole records unless a write fails.
 * EZC_EINVAL for a topic over EZC_RECORDING_MAX_TOPIC bytes or a header
 * over 1 MiB; EZC_EIO for a write that fails ("recording FILE: write failed
 * at offset N: No space left on device"): every later add fails too, and
 * the writer should be closed, which keeps what reached the file. */
int ezc_recording_writer_add(ezc_recording_writer *w, const void *topic, size_t tlen,
                             const void *header, size_t hlen, const void *data, size_t dlen,
                             int64_t recv_ns, ezc_error *err);

/* Appends an AxisArray as the frames an ipc/tcp publisher would send for it
 * (header encoded with its own src/seq/ts). Data on another device is
 * copied to the host first (an explicit transfer). */
int ezc_recording_writer_add_array(ezc_recording_writer *w, const char *topic, const ezc_array *a,
                                   int64_t recv_ns, ezc_error *err);

/* Hands the buffered records to the file (write(2); no fsync), so that a
 * recorder killed later loses none of them. 0 or EZC_EIO as for add. */
int ezc_recording_writer_flush(ezc_recording_writer *w, ezc_error *err);

/* Messages and data bytes appended so far. */
uint64_t ezc_recording_writer_count(const ezc_recording_writer *w);
uint64_t ezc_recording_writer_bytes(const ezc_recording_writer *w);

/* Writes the index and the footer and closes the file; *w becomes NULL
 * (NULL-safe). 0 or EZC_EIO naming the file. After a failed write (disk
 * full) the file is cut after the last record that reached it whole and
 * the index of those records is written; if even that does not fit, the
 * file is left without index (readers still read its records, and
 * ezc_recording_repair adds the index later). Either way the result is
 * EZC_EIO with a message saying how many messages the file keeps. */
int ezc_recording_writer_close(ezc_recording_writer **w, ezc_error *err);

typedef struct ezc_recording ezc_recording;

/* One message, pointing into the mapped file (valid until close). */
typedef struct ezc_recording_msg {
    const char *topic; /* not NUL-terminated */
    size_t topic_len;
    const void *header;
    size_t header_len;
    const void *data; /* 16-byte aligned in the file */
    size_t data_len;
    int64_t recv_ns; /* CLOCK_REALTIME at receive */
    uint64_t offset; /* of the record in the file */
} ezc_recording_msg;

/* Maps and checks the whole file: structure, the checksums of every record
 * (its header, topic and header frames, and, from version 2, its data) and
 * every header through the wire decoder (shapes through ezc_shape_count,
 * the data length against shape x itemsize). NULL with err (EZC_EIO:
 * cannot read; EZC_EPROTO: corrupt, naming the file, the byte offset and
 * the message). A finished file (with its index) must be right throughout.
 * An unfinished one (no index footer: the writer was killed or the disk
 * filled) is read record by record up to the first one that is incomplete
 * or fails a check; what follows is left out and reported by
 * ezc_recording_info. Caller owns the result: ezc_recording_close. */
ezc_recording *ezc_recording_open(const char *path, ezc_error *err);
void ezc_recording_close(ezc_recording **r);

/* What opening found. */
typedef struct ezc_recording_info {
    uint32_t version;               /* the file's format version: 1 or 2 */
    int finished;                   /* 1: the index and footer are there; 0: read by scanning */
    int data_verified;              /* 1: every record's data matched its checksum (version 2) */
    int damaged;                    /* unfinished and a whole record follows the bad one: the file
                           * was damaged, not only cut short (repair refuses it) */
    uint64_t records_end;           /* offset where the last record read ends */
    uint64_t discarded;             /* bytes from records_end to the end of the file left out
                           * (unfinished files only; 0 when the last record was whole) */
    char reason[EZC_ERROR_MSG_MAX]; /* why they were left out, naming the offset and
                                     * message; "" when nothing was */
} ezc_recording_info;

/* Points into r (valid until close). */
const ezc_recording_info *ezc_recording_info_of(const ezc_recording *r);

/* Writes the index and footer of an unfinished recording: opens it as
 * ezc_recording_open does, cuts off the discarded tail (an incomplete
 * record) and appends the index of the records read, then fsyncs. A
 * finished file is left as it is. On success fills *info (may be NULL) as
 * ezc_recording_open saw the file before the repair and returns 0;
 * afterwards ezc_recording_open reads the same messages as a finished
 * file. EZC_EPROTO when the file cannot be read at all (see open), EZC_EIO
 * when it cannot be written; err names the file. Not to be run on a file a
 * writer still appends to. */
int ezc_recording_repair(const char *path, ezc_recording_info *info, ezc_error *err);

size_t ezc_recording_count(const ezc_recording *r);
/* Message i (0 <= i < count): 0, or EZC_EINVAL when i is out of range. */
int ezc_recording_get(const ezc_recording *r, size_t i, ezc_recording_msg *out);
/* Message i decoded as an AxisArray with a copy of its data (it may
 * outlive r). Caller owns *out. */
int ezc_recording_decode(const ezc_recording *r, size_t i, ezc_array **out, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
