/* ezc/recording.h — recordings: wire messages kept in a file, as received.
 *
 *   ezc_recording_writer *w = ezc_recording_writer_new("run.ezr", 0, &err);
 *   ezc_recording_writer_add(w, topic, tlen, hdr, hlen, data, dlen, recv_ns, &err);
 *   ezc_recording_writer_close(&w, &err);        // writes the index: required
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
 * received; an index at the end lists every record's offset and receive
 * time. The layout is docs/recording-format.md; tools/python/ezc_recording.py
 * reads it with numpy alone. Opening checks the whole file (structure,
 * checksums of topic and header bytes, every header through the wire
 * decoder) and refuses a truncated or corrupt one with an error that names
 * the file and the byte offset. A writer or a reader is used by one thread
 * at a time. */
#ifndef EZC_RECORDING_H
#define EZC_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_RECORDING_VERSION 1
#define EZC_RECORDING_MAX_TOPIC 4096 /* bytes; longer topics are refused */

typedef struct ezc_recording_writer ezc_recording_writer;

/* Creates path (an existing file is replaced only when overwrite is set,
 * else EZC_EIO names it) and writes the file header. Caller owns the
 * writer; close it with ezc_recording_writer_close, which writes the index
 * (a file without its index is refused as truncated). */
ezc_recording_writer *ezc_recording_writer_new(const char *path, int overwrite, ezc_error *err);

/* Appends one message as its frames: topic (tlen bytes), header (the
 * msgpack map, not checked here: callers decode it first) and data.
 * recv_ns: CLOCK_REALTIME nanoseconds at receive. EZC_EINVAL for a topic
 * over EZC_RECORDING_MAX_TOPIC bytes or a header over 1 MiB, EZC_EIO for a
 * write that fails (disk full): the writer should then be closed. */
int ezc_recording_writer_add(ezc_recording_writer *w, const void *topic, size_t tlen,
                             const void *header, size_t hlen, const void *data, size_t dlen,
                             int64_t recv_ns, ezc_error *err);

/* Appends an AxisArray as the frames an ipc/tcp publisher would send for it
 * (header encoded with its own src/seq/ts). Data on another device is
 * copied to the host first (an explicit transfer). */
int ezc_recording_writer_add_array(ezc_recording_writer *w, const char *topic,
                                   const ezc_array *a, int64_t recv_ns, ezc_error *err);

/* Messages and data bytes appended so far. */
uint64_t ezc_recording_writer_count(const ezc_recording_writer *w);
uint64_t ezc_recording_writer_bytes(const ezc_recording_writer *w);

/* Writes the index and the footer and closes the file; *w becomes NULL
 * (NULL-safe). 0 or EZC_EIO naming the file. */
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
    int64_t recv_ns;  /* CLOCK_REALTIME at receive */
    uint64_t offset;  /* of the record in the file */
} ezc_recording_msg;

/* Maps and checks the whole file. NULL with err (EZC_EIO: cannot read;
 * EZC_EPROTO: truncated or corrupt, naming the file and the offset). */
ezc_recording *ezc_recording_open(const char *path, ezc_error *err);
void ezc_recording_close(ezc_recording **r);

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
