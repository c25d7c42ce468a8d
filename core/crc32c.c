/* crc32c.c — CRC-32C, in hardware where there is one.
 *
 * Three paths, one picked per process. (1) With AVX-512 and VPCLMULQDQ,
 * long inputs are folded by carry-less multiplication: four 64-byte
 * accumulators take 256 bytes a round, each 16-byte block is carried
 * forward with two 64x64 products (below), and the 16 bytes the fold ends
 * on, then the tail, go through the crc32 instruction. (2) With SSE4.2 only,
 * the crc32 instruction (latency three, one a cycle) runs three lanes of
 * LANE bytes, joined by the CRC's linearity:
 *   crc(init = x, A || B) = shift(crc(init = x, A), |B|) ^ crc(init = 0, B)
 * where shift(y, LANE) is a fixed linear map on 32 bits, kept as four
 * 256-entry tables. (3) Slicing-by-8. Everything works on the raw register
 * (no pre/post inversion) until ezc_crc32c.
 *
 * Folding, in the reflected order the bytes arrive in: a 128-bit block X
 * whose first 8 bytes are H and last 8 are L stands for H x^64 + L, and
 * moving it F bits later keeps the CRC when it becomes
 * H (x^(F+64) mod P) + L (x^F mod P), a polynomial of degree < 96 that is
 * XORed onto the block F bits on. A reflected 64x64 carry-less product
 * comes out multiplied by x, so the constants are x^(F+63) and x^(F-1)
 * mod P, bit-reversed into the upper half of a 64-bit word. */
#include "ezc/crc32c.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__clang__) || __GNUC__ >= 9)
#include <immintrin.h>
#define HAVE_FOLD 1
#endif
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define POLY 0x82F63B78u /* reflected Castagnoli */
#define LANE 4096        /* bytes per lane and round; a multiple of 8 */
#define FOLD_MIN 256     /* shortest input the folding path takes */

enum { PATH_SOFT, PATH_SSE42, PATH_FOLD };
static const char *const path_names[] = {"software", "sse4.2", "avx512-vpclmulqdq"};

static uint32_t tab[8][256];       /* slicing-by-8 */
static uint32_t shift_tab[4][256]; /* x -> crc of LANE zero bytes from x */
static uint64_t fold_k[10];        /* (H, L) pairs moving 2048, 512, 384, 256, 128 bits */
static int path;
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

/* x^n mod P as a folding constant: coefficient of x^d at bit 63 - d. */
static uint64_t xpow_const(unsigned n)
{
    uint32_t v = 1; /* unreflected: bit d is x^d; P = x^32 + 0x1EDC6F41 */
    while (n--)
        v = (v << 1) ^ (v >> 31 ? 0x1EDC6F41u : 0);
    uint32_t r = 0;
    for (int d = 0; d < 32; d++)
        r |= (v >> d & 1u) << (31 - d);
    return (uint64_t)r << 32;
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
    static const unsigned dist[5] = {2048, 512, 384, 256, 128};
    for (int i = 0; i < 5; i++) {
        fold_k[2 * i] = xpow_const(dist[i] + 63);    /* for H, the block's first 8 bytes */
        fold_k[2 * i + 1] = xpow_const(dist[i] - 1); /* for L */
    }
    path = PATH_SOFT;
#if defined(__x86_64__)
    const char *force = getenv("EZC_CRC32C");
    int want = !force || !*force                        ? PATH_FOLD
               : !strcmp(force, "software")             ? PATH_SOFT
               : !strcmp(force, path_names[PATH_SSE42]) ? PATH_SSE42
                                                        : PATH_FOLD;
    if (want >= PATH_SSE42 && __builtin_cpu_supports("sse4.2"))
        path = PATH_SSE42;
#ifdef HAVE_FOLD
    if (want == PATH_FOLD && path == PATH_SSE42 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("pclmul"))
        path = PATH_FOLD;
#endif
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t hw_tail(uint32_t c, const unsigned char *p,
                                                          size_t n)
{
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
    return hw_tail(c, p, n);
}
#endif

#ifdef HAVE_FOLD
#define FOLD_TARGET __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

/* Each 16-byte lane of a moved the distance k is made for, XORed onto d. */
FOLD_TARGET static inline __m512i fold(__m512i a, __m512i k, __m512i d)
{
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(a, k, 0x00),
                                     _mm512_clmulepi64_epi128(a, k, 0x11), d, 0x96);
}

FOLD_TARGET static uint32_t hw_fold(uint32_t c, const unsigned char *p, size_t n)
{
    const __m512i k2048 = _mm512_broadcast_i32x4(_mm_loadu_si128((const void *)&fold_k[0]));
    const __m512i k512 = _mm512_broadcast_i32x4(_mm_loadu_si128((const void *)&fold_k[2]));
    /* the initial register goes into the first four bytes */
    __m512i a0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_maskz_set1_epi32(1, (int)c));
    __m512i a1 = _mm512_loadu_si512(p + 64), a2 = _mm512_loadu_si512(p + 128);
    __m512i a3 = _mm512_loadu_si512(p + 192);
    p += 256, n -= 256;
    for (; n >= 256; p += 256, n -= 256) {
        a0 = fold(a0, k2048, _mm512_loadu_si512(p));
        a1 = fold(a1, k2048, _mm512_loadu_si512(p + 64));
        a2 = fold(a2, k2048, _mm512_loadu_si512(p + 128));
        a3 = fold(a3, k2048, _mm512_loadu_si512(p + 192));
    }
    __m512i a = fold(fold(fold(a0, k512, a1), k512, a2), k512, a3);
    for (; n >= 64; p += 64, n -= 64)
        a = fold(a, k512, _mm512_loadu_si512(p));
    /* lanes 0, 1, 2 move 384, 256, 128 bits onto lane 3 */
    __m512i kz = _mm512_setzero_si512();
    kz = _mm512_inserti32x4(kz, _mm_loadu_si128((const void *)&fold_k[4]), 0);
    kz = _mm512_inserti32x4(kz, _mm_loadu_si128((const void *)&fold_k[6]), 1);
    kz = _mm512_inserti32x4(kz, _mm_loadu_si128((const void *)&fold_k[8]), 2);
    __m512i t = fold(a, kz, _mm512_setzero_si512());
    __m128i x = _mm_xor_si128(
        _mm_xor_si128(_mm512_extracti32x4_epi32(a, 3), _mm512_extracti32x4_epi32(t, 0)),
        _mm_xor_si128(_mm512_extracti32x4_epi32(t, 1), _mm512_extracti32x4_epi32(t, 2)));
    uint64_t r = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
    r = _mm_crc32_u64(r, (uint64_t)_mm_extract_epi64(x, 1));
    return hw_tail((uint32_t)r, p, n);
}
#endif

uint32_t ezc_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init);
#ifdef HAVE_FOLD
    if (path == PATH_FOLD && n >= FOLD_MIN)
        return ~hw_fold(~crc, p, n);
#endif
#if defined(__x86_64__)
    if (path >= PATH_SSE42)
        return ~hw(~crc, p, n);
#endif
    return ~soft(~crc, p, n);
}

const char *ezc_crc32c_path(void)
{
    pthread_once(&once, init);
    return path_names[path];
}
