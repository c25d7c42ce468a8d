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
 * ezc_crc32c(ezc_crc32c(0, a, na), b, nb) is the CRC of a then b. Inputs of
 * 256 bytes and more are folded with carry-less multiplication where the
 * CPU has AVX-512 and VPCLMULQDQ (about 32 bytes a cycle); else the SSE4.2
 * instruction runs on three interleaved lanes (about 8 bytes a cycle); else
 * slicing-by-8. EZC_CRC32C in the environment, read on first use, forces a
 * path (for tests and benchmarks): "software" or "sse4.2". */
uint32_t ezc_crc32c(uint32_t crc, const void *p, size_t n);

/* The path ezc_crc32c takes in this process: "avx512-vpclmulqdq", "sse4.2"
 * or "software". A static string; any thread. */
const char *ezc_crc32c_path(void);

#ifdef __cplusplus
}
#endif
#endif
