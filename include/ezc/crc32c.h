/* ezc/crc32c.h — CRC-32C (Castagnoli), the checksum of recording records.
 *
 * Thread-safe; the tables are made once, on first use. */
#ifndef EZC_CRC32C_H
#define EZC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* crc of the bytes before (0 to start), updated with n bytes at p:
 * ezc_crc32c(0, "123456789", 9) == 0xE3069283, and
 * ezc_crc32c(ezc_crc32c(0, a, na), b, nb) is the CRC of a then b. Uses the
 * SSE4.2 instruction on three interleaved lanes where the CPU has it (about
 * a cycle per 8 bytes), else slicing-by-8; EZC_CRC32C=software in the
 * environment forces the table path (for tests). */
uint32_t ezc_crc32c(uint32_t crc, const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
