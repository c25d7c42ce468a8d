/* test_crc32c.c — ezc_crc32c against the bitwise definition: the check
 * value, every length 0..100 at every start offset 0..7, lengths around the
 * three-lane rounds of the hardware path (3 x 4096 bytes) and well past
 * them, and incremental updates in uneven pieces. Run twice by meson: as
 * the CPU allows (SSE4.2 here) and with EZC_CRC32C=software. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/crc32c.h"

static uint32_t bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static unsigned char *noise(size_t n, unsigned seed)
{
    unsigned char *b = malloc(n + 8);
    for (size_t i = 0; i < n + 8; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
    return b;
}

START_TEST(t_check_value)
{
    ck_assert_uint_eq(ezc_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(ezc_crc32c(0, "", 0), 0);
}
END_TEST

START_TEST(t_small_all_offsets)
{
    unsigned char *b = noise(200, 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 100; n++)
            ck_assert_msg(ezc_crc32c(0, b + off, n) == bitwise(b + off, n), "offset %zu length %zu",
                          off, n);
    free(b);
}
END_TEST

START_TEST(t_lane_rounds)
{
    const size_t lens[] = {12287,     12288,          12289,  12288 + 7,
                           2 * 12288, 2 * 12288 + 13, 100000, 1 << 20};
    unsigned char *b = noise(1 << 20, 11);
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        for (size_t off = 0; off < 3; off++)
            ck_assert_msg(ezc_crc32c(0, b + off, lens[i]) == bitwise(b + off, lens[i]),
                          "offset %zu length %zu", off, lens[i]);
    free(b);
}
END_TEST

START_TEST(t_incremental)
{
    size_t n = 50000;
    unsigned char *b = noise(n, 3);
    uint32_t c = 0;
    size_t at = 0, step = 1;
    while (at < n) {
        size_t k = step < n - at ? step : n - at;
        c = ezc_crc32c(c, b + at, k);
        at += k;
        step = step * 3 + 1; /* 1, 4, 13, 40, ... 29524: crosses the lane rounds */
    }
    ck_assert_uint_eq(c, bitwise(b, n));
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_check_value);
    tcase_add_test(tc, t_small_all_offsets);
    tcase_add_test(tc, t_lane_rounds);
    tcase_add_test(tc, t_incremental);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
