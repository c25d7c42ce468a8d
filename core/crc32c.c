/* crc32c.c — CRC-32C, in hardware where there is one.
 *
 * The SSE4.2 crc32 instruction has a latency of three cycles but takes a
 * new one every cycle, so one dependent chain runs at a third of its speed.
 * Long inputs go in rounds of three lanes of LANE bytes, each lane its own
 * chain, joined by the CRC's linearity:
 *   crc(init = x, A || B) = shift(crc(init = x, A), |B|) ^ crc(init = 0, B)
 * where shift(y, LANE) (feeding LANE zero bytes from y) is a fixed linear
 * map on 32 bits, kept as four 256-entry tables. Everything works on the
 * raw register (no pre/post inversion) until ezc_crc32c. */
#include "ezc/crc32c.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define POLY 0x82F63B78u /* reflected Castagnoli */
#define LANE 4096        /* bytes per lane and round; a multiple of 8 */

static uint32_t tab[8][256];       /* slicing-by-8 */
static uint32_t shift_tab[4][256]; /* x -> crc of LANE zero bytes from x */
static int use_hw;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t soft(uint32_t c, const unsigned char *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) {
        c = tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        n--;
    }
    for (; n >= 8; p += 8, n -= 8) {
        /* Bytes in stream order, whatever the host's byte order. */
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24);
        c = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^ tab[5][(lo >> 16) & 0xff] ^
            tab[4][lo >> 24] ^ tab[3][p[4]] ^ tab[2][p[5]] ^ tab[1][p[6]] ^ tab[0][p[7]];
    }
    while (n--)
        c = tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

static uint32_t shift_lane(uint32_t x)
{
    return shift_tab[0][x & 0xff] ^ shift_tab[1][(x >> 8) & 0xff] ^ shift_tab[2][(x >> 16) & 0xff] ^
           shift_tab[3][x >> 24];
}

static void init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? POLY ^ (c >> 1) : c >> 1;
        tab[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xff];
    /* shift is linear: its value on each of the 32 bits, then the tables. */
    static const unsigned char zeros[LANE];
    uint32_t basis[32];
    for (int b = 0; b < 32; b++)
        basis[b] = soft(1u << b, zeros, LANE);
    for (int k = 0; k < 4; k++)
        for (int v = 0; v < 256; v++) {
            uint32_t s = 0;
            for (int b = 0; b < 8; b++)
                if (v >> b & 1)
                    s ^= basis[8 * k + b];
            shift_tab[k][v] = s;
        }
#if defined(__x86_64__)
    const char *force = getenv("EZC_CRC32C");
    use_hw = __builtin_cpu_supports("sse4.2") && !(force && !strcmp(force, "software"));
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t hw(uint32_t c, const unsigned char *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        n--;
    }
    for (; n >= 3 * LANE; p += 3 * LANE, n -= 3 * LANE) {
        uint64_t a = c, b = 0, d = 0, v;
        for (size_t i = 0; i < LANE; i += 8) {
            memcpy(&v, p + i, 8);
            a = _mm_crc32_u64(a, v);
            memcpy(&v, p + LANE + i, 8);
            b = _mm_crc32_u64(b, v);
            memcpy(&v, p + 2 * LANE + i, 8);
            d = _mm_crc32_u64(d, v);
        }
        c = shift_lane(shift_lane((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)d;
    }
    uint64_t c64 = c, v;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
    }
    c = (uint32_t)c64;
    while (n--)
        c = _mm_crc32_u8(c, *p++);
    return c;
}
#endif

uint32_t ezc_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init);
#if defined(__x86_64__)
    if (use_hw)
        return ~hw(~crc, p, n);
#endif
    return ~soft(~crc, p, n);
}
