/* test_crc32c.c — ezc_crc32c against the bitwise definition: the check
 * value, every length 0..100 at every start offset 0..7, every length
 * 0..4096 at odd offsets (the folding path's 256-byte rounds, 64-byte steps
 * and tails), lengths around the three-lane rounds of the SSE4.2 path
 * (3 x 4096 bytes) and well past them, and incremental updates in uneven
 * pieces. Without EZC_CRC32C set, the suite runs once per path
 * (EZC_CRC32C unset, "sse4.2", "software"), each test in a fresh child
 * (Check's fork mode), since the path is picked once per process; meson
 * runs it again with EZC_CRC32C=software. */
#include <check.h>
#include <stdio.h>
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

START_TEST(t_to_4096_odd_offsets)
{
    unsigned char *b = noise(4096 + 16, 5);
    const size_t offs[] = {1, 3, 7, 13};
    for (size_t o = 0; o < sizeof offs / sizeof *offs; o++)
        for (size_t n = 0; n <= 4096; n++)
            ck_assert_msg(ezc_crc32c(0, b + offs[o], n) == bitwise(b + offs[o], n),
                          "path %s offset %zu length %zu", ezc_crc32c_path(), offs[o], n);
    /* a non-zero initial register goes through the first block */
    for (size_t n = 250; n <= 1100; n += 17) {
        uint32_t c = ezc_crc32c(0, b + 1, 9);
        ck_assert_msg(ezc_crc32c(c, b + 10, n) == bitwise(b + 1, n + 9), "path %s split %zu",
                      ezc_crc32c_path(), n);
    }
    free(b);
}
END_TEST

/* The path asked for is the one taken (where the CPU has it). */
START_TEST(t_path)
{
    const char *want = getenv("EZC_CRC32C"), *got = ezc_crc32c_path();
    if (want && !strcmp(want, "software"))
        ck_assert_str_eq(got, "software");
    else if (want && !strcmp(want, "sse4.2") && __builtin_cpu_supports("sse4.2"))
        ck_assert_str_eq(got, "sse4.2");
    else if (!want && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq"))
        ck_assert_str_eq(got, "avx512-vpclmulqdq");
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

/* Failed tests of one run of the suite, with EZC_CRC32C as it is. */
static int run_suite(int *forked)
{
    Suite *s = suite_create("crc32c");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_check_value);
    tcase_add_test(tc, t_small_all_offsets);
    tcase_add_test(tc, t_to_4096_odd_offsets);
    tcase_add_test(tc, t_path);
    tcase_add_test(tc, t_lane_rounds);
    tcase_add_test(tc, t_incremental);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    *forked = srunner_fork_status(r) != CK_NOFORK;
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed;
}

int main(void)
{
    int forked = 0, failed = 0;
    if (getenv("EZC_CRC32C"))
        return run_suite(&forked) ? 1 : 0;
    static const char *const paths[] = {NULL, "sse4.2", "software"};
    for (int i = 0; i < 3; i++) {
        if (paths[i])
            setenv("EZC_CRC32C", paths[i], 1);
        printf("EZC_CRC32C=%s\n", paths[i] ? paths[i] : "(unset)");
        failed += run_suite(&forked);
        if (!forked) /* the first path stays for the whole process */
            break;
    }
    return failed ? 1 : 0;
}
