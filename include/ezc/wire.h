/* ezc/wire.h — the wire codec: an AxisArray as [topic][header][data] frames.
 *
 * The header is one msgpack map (docs/wire-format.md); the data frame holds
 * the raw C-order little-endian bytes and is never copied by the codec: the
 * encoder points at the array's buffer, the decoder wraps the received
 * frame. The decoder checks every length against the bytes it was given,
 * so a hostile frame can make it fail but never read out of bounds or
 * allocate more than the frame could describe. */
#ifndef EZC_WIRE_H
#define EZC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_WIRE_VERSION 1
#define EZC_WIRE_MAX_HEADER (1u << 20) /* 1 MiB: larger headers are refused */

typedef struct ezc_wire_encoder ezc_wire_encoder;

/* An encoder reuses one growing byte buffer; one per thread. */
ezc_wire_encoder *ezc_wire_encoder_new(ezc_error *err);
void ezc_wire_encoder_destroy(ezc_wire_encoder **enc);

/* From now on every header enc makes (messages and end-of-stream markers)
 * carries "start": start_ns, the time its publisher instance began (ns
 * since the epoch), so receivers tell a restart under the same src from a
 * gap (docs/wire-format.md). 0 (the default) = no "start" key. */
void ezc_wire_encoder_set_start(ezc_wire_encoder *enc, int64_t start_ns);

/* Encodes a's header (not its data) into the encoder's buffer. The bytes
 * stay valid until the next call on enc. The data must be on the CPU
 * (data "inline"); other devices are an EZC_EDEVICE error for now. */
int ezc_wire_encode_header(ezc_wire_encoder *enc, const ezc_array *a, const void **bytes,
                           size_t *len, ezc_error *err);

/* Decodes a header and attaches `data` (adds a reference on success; may be
 * NULL when the header says the data has zero bytes). The data frame's
 * length must equal shape x itemsize. On error *out is NULL and err names
 * the field ("header.shape[1]: expected a non-negative integer").
 * A valid end-of-stream marker (below) is no array: EZC_EEOS, *out NULL. */
int ezc_wire_decode(const void *header, size_t len, ezc_buffer *data, ezc_array **out,
                    ezc_error *err);

/* ---- End of stream (docs/wire-format.md, "eos": true) ----
 * A publisher ends a stream (one topic) with a header {"v": 1, "eos": true,
 * "src", "seq", "ts"} and an empty data frame. seq is the number the next
 * message would have had (the count sent under that topic), so a receiver
 * can tell whether messages were lost just before the end; the marker
 * itself takes no number. Decoding one gives EZC_EEOS (above); dtype,
 * shape and dims may be present and are ignored; a non-empty data frame or
 * cuda_ipc data makes it malformed (EZC_EPROTO). */
typedef struct ezc_wire_stamp {
    uint64_t src;     /* publisher id */
    uint64_t seq;     /* for a marker: the messages sent under the topic before it */
    int64_t ts_ns;    /* send time, ns since the epoch (CLOCK_REALTIME) */
    int64_t start_ns; /* "start": when this publisher instance began (ns since the epoch);
                         a new value under the same src is a restart. 0 = not carried */
} ezc_wire_stamp;

/* Encodes an end-of-stream header with st's fields into enc's buffer
 * (valid until the next call on enc). 0 or EZC_ENOMEM. */
int ezc_wire_encode_eos(ezc_wire_encoder *enc, const ezc_wire_stamp *st, const void **bytes,
                        size_t *len, ezc_error *err);

/* 1 and *st filled when header is a well-formed end-of-stream header,
 * 0 otherwise (a normal header, or a malformed one). Allocates nothing. */
int ezc_wire_eos_stamp(const void *header, size_t len, ezc_wire_stamp *st);

/* ---- CUDA IPC (docs/wire-format.md, "data": "cuda_ipc") ----
 * Between processes of one host, data on a CUDA device travels as a CUDA
 * IPC memory handle instead of bytes; the receiver copies it device to
 * device within the sender's lease (see the doc for the protocol). */
#define EZC_WIRE_IPC_HANDLE 64  /* bytes of a cudaIpcMemHandle_t */
#define EZC_WIRE_IPC_SHM_MAX 64 /* lease segment name, NUL included */

typedef struct ezc_wire_cuda_ipc {
    unsigned char handle[EZC_WIRE_IPC_HANDLE]; /* cudaIpcMemHandle_t of the allocation */
    int32_t device;                            /* CUDA ordinal at the sender */
    uint64_t offset;                           /* bytes from the allocation's base to the data */
    uint64_t pid;                              /* sending process */
    char shm[EZC_WIRE_IPC_SHM_MAX];            /* POSIX shm name of the sender's lease table */
    uint32_t slot;                             /* lease slot in that table */
    uint64_t gen;                              /* the slot's generation while the lease holds */
} ezc_wire_cuda_ipc;

/* Encodes a's header with "device": "cuda:<ipc->device>", "data":
 * "cuda_ipc" and the descriptor; the data frame is then empty. a's data is
 * not touched (it may be on any device). */
int ezc_wire_encode_header_cuda_ipc(ezc_wire_encoder *enc, const ezc_array *a,
                                    const ezc_wire_cuda_ipc *ipc, const void **bytes, size_t *len,
                                    ezc_error *err);

/* Makes the buffer of a cuda_ipc message: nbytes of data the descriptor
 * names. Returns a buffer the caller owns, or NULL with err set. */
typedef ezc_buffer *(*ezc_wire_ipc_open_fn)(const ezc_wire_cuda_ipc *ipc, size_t nbytes, void *ctx,
                                            ezc_error *err);

/* ezc_wire_decode, with cuda_ipc data made by `open` (NULL: the CUDA
 * module's, loaded on demand; without a CUDA device the message is refused
 * with "no CUDA device to open the IPC handle"). ezc_wire_decode is this
 * with open NULL. For cuda_ipc the data frame must be empty (data NULL or 0
 * bytes). */
int ezc_wire_decode_with(const void *header, size_t len, ezc_buffer *data,
                         ezc_wire_ipc_open_fn open, void *ctx, ezc_array **out, ezc_error *err);

/* ezc_wire_decode_with that also fills *st (when non-NULL) with the
 * header's stamps (src, seq, ts, start) whenever it returns 0 or EZC_EEOS:
 * a message and an end-of-stream marker alike, in the one pass. */
int ezc_wire_decode_stamp(const void *header, size_t len, ezc_buffer *data,
                          ezc_wire_ipc_open_fn open, void *ctx, ezc_array **out, ezc_wire_stamp *st,
                          ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
