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

/* Encodes a's header (not its data) into the encoder's buffer. The bytes
 * stay valid until the next call on enc. The data must be on the CPU
 * (data "inline"); other devices are an EZC_EDEVICE error for now. */
int ezc_wire_encode_header(ezc_wire_encoder *enc, const ezc_array *a, const void **bytes,
                           size_t *len, ezc_error *err);

/* Decodes a header and attaches `data` (adds a reference on success; may be
 * NULL when the header says the data has zero bytes). The data frame's
 * length must equal shape x itemsize. On error *out is NULL and err names
 * the field ("header.shape[1]: expected a non-negative integer"). */
int ezc_wire_decode(const void *header, size_t len, ezc_buffer *data, ezc_array **out,
                    ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
