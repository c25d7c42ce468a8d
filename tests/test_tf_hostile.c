/* test_tf_hostile.c — every built-in transformer (the tf_cases table) fed
 * what a hostile or merely unusual peer can legally send:
 * - zero-element messages whose other dims are huge ([2^40, 0], [0, 2^40]):
 *   the work must be O(elements), so each case runs under a timeout and must
 *   finish, either with an output of zero elements or with an error;
 * - data at an address that is item-aligned but not 16-byte aligned, as
 *   ZeroMQ hands over frames: the output must equal that of the same message
 *   in an aligned buffer (to float rounding: FFTW plans differ by
 *   alignment), and UBSan (the sanitizer pass) must see no misaligned load. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tf_cases.h"
#include "tf_test.h"

#define HUGE_DIM ((int64_t)1 << 40)

/* A message of the given shape with no data bytes, [time, ch], 1 kHz. */
static ezc_array *empty_input(int64_t nt, int64_t nch)
{
    ezc_error err = {0};
    int64_t shape[2] = {nt, nch};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert_uint_eq(ezc_array_nbytes(a), 0);
    ezc_array_set_linear_axis(a, 0, 1e-3, 0, "s");
    return a;
}

/* Runs in through a fresh t; NULL output, an empty output or an error are
 * all acceptable — a hang (the timeout), a crash or a non-empty output from
 * nothing are not. */
static void run_empty(const tc_case *c, int64_t nt, int64_t nch)
{
    ezc_error err = {0};
    ezc_registry *reg = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(reg, &err), 0);
    const ezc_transformer_type *tt = ezc_registry_find(reg, c->type, &err);
    ck_assert_msg(tt != NULL, "%s", err.msg);
    ezc_transformer *t = tc_make(tt, c->settings);
    /* a few, so stateful paths see an empty follow-up; a two-port type
     * (concat, merge) gets each on both ports */
    int nports = ezc_transformer_type_nports(tt) == 2 ? 2 : 1;
    for (int i = 0; i < 3 * nports; i++) {
        ezc_array *in = empty_input(nt, nch), *out = NULL;
        in->axes[0].offset = 0.1 * (i / nports);
        int rc = ezc_transformer_process(t, i % nports, in, &out, &err); /* takes in */
        if (rc == 0 && out)
            ck_assert_msg(ezc_array_size(out) == 0 || nt * nch == 0,
                          "%s {%s}: shape [%lld, %lld] gave %zu elements", c->type, c->settings,
                          (long long)nt, (long long)nch, ezc_array_size(out));
        if (rc)
            ck_assert_msg(err.msg[0], "%s: error %d without a message", c->type, rc);
        ezc_array_destroy(&out);
    }
    ezc_transformer_destroy(&t);
    ezc_registry_destroy(&reg);
}

START_TEST(t_empty_long_time)
{
    run_empty(&tc_typical[_i], HUGE_DIM, 0);
}
END_TEST

START_TEST(t_empty_wide)
{
    run_empty(&tc_typical[_i], 0, HUGE_DIM);
}
END_TEST

START_TEST(t_empty_plain)
{
    run_empty(&tc_typical[_i], 0, tc_typical[_i].nch);
}
END_TEST

/* a's data moved to a buffer at byte offset 4 (float32-aligned, never
 * 16-aligned), metadata shared. Consumes a. */
static ezc_array *unaligned(ezc_array *a)
{
    ezc_error err = {0};
    size_t nb = ezc_array_nbytes(a);
    ezc_buffer *b = ezc_buffer_new_host(nb + 4, &err);
    ck_assert_ptr_nonnull(b);
    memcpy((char *)b->data + 4, ezc_array_data(a), nb);
    ck_assert_int_eq(ezc_array_set_buffer(a, b, 4, &err), 0);
    ezc_buffer_unref(&b);
    ck_assert_uint_eq((uintptr_t)ezc_array_data(a) % 16, 4);
    return a;
}

/* One message through ta (aligned) and tu (unaligned copy): the same
 * status, and bit-identical outputs. Consumes a. */
static void same_both_ways(ezc_transformer *ta, ezc_transformer *tu, int port, ezc_array *a,
                           const char *what)
{
    ezc_error ea = {0}, eu = {0};
    ezc_array *u = ezc_array_copy(a, &ea), *ya = NULL, *yu = NULL;
    ck_assert_ptr_nonnull(u);
    u = unaligned(u);
    int ra = ezc_transformer_process(ta, port, a, &ya, &ea);
    int ru = ezc_transformer_process(tu, port, u, &yu, &eu);
    ck_assert_msg(ra == ru, "%s: aligned gave %d (%s), unaligned %d (%s)", what, ra, ea.msg, ru,
                  eu.msg);
    ck_assert_msg((ya == NULL) == (yu == NULL), "%s: output presence differs", what);
    if (ya) {
        ya = tc_host(ya);
        yu = tc_host(yu);
        /* Equal to float rounding: FFTW picks other (SIMD) codelets for
         * unaligned arrays, so spectra differ in the last bits; everything
         * else is bit-identical in practice. */
        tc_assert_close(yu, ya, tc_tol(ya->dtype), 1e-6, what);
    }
    ezc_array_destroy(&ya);
    ezc_array_destroy(&yu);
}

START_TEST(t_unaligned)
{
    const tc_case *c = &tc_typical[_i];
    ezc_error err = {0};
    ezc_registry *reg = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(reg, &err), 0);
    const ezc_transformer_type *tt = ezc_registry_find(reg, c->type, &err);
    ck_assert_ptr_nonnull(tt);
    /* Odd lengths too ([10, n] as found, then [37, n]): the vector loops'
     * tails and heads both see unaligned addresses. Rows of 4, 8 and 16
     * bytes (1, 2, 4 float32 channels) are what a move by a wider type
     * misreads; a setting made for nch channels may refuse the others —
     * then both copies must refuse alike. */
    const int64_t lens[] = {10, 37, 64};
    const int64_t chans[] = {c->nch, 1, 2, 4};
    for (size_t h = 0; h < sizeof chans / sizeof *chans; h++) {
        ezc_transformer *ta = tc_make(tt, c->settings), *tu = tc_make(tt, c->settings);
        for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
            ezc_array *a = tc_typical_input(lens[k], chans[h]);
            a->axes[0].offset = (double)k;
            char what[96];
            snprintf(what, sizeof what, "%s {%s} [%lld, %lld]", c->type, c->settings,
                     (long long)lens[k], (long long)chans[h]);
            /* a two-port type gets the message on port b too */
            for (int p = ezc_transformer_type_nports(tt) == 2; p > 0; p--) {
                ezc_error e2 = {0};
                same_both_ways(ta, tu, p, ezc_array_copy(a, &e2), what);
            }
            same_both_ways(ta, tu, 0, a, what);
        }
        ezc_transformer_destroy(&ta);
        ezc_transformer_destroy(&tu);
    }
    ezc_registry_destroy(&reg);
}
END_TEST

int main(void)
{
    tc_devices_init();
    Suite *s = suite_create("tf_hostile");
    TCase *tc = tcase_create("core");
    /* A transformer that loops over the product of non-zero dims spins for
     * hours on [2^40, 0]; this bound turns that into a failure. */
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, t_empty_long_time, 0, (int)tc_ntypical);
    tcase_add_loop_test(tc, t_empty_wide, 0, (int)tc_ntypical);
    tcase_add_loop_test(tc, t_empty_plain, 0, (int)tc_ntypical);
    tcase_add_loop_test(tc, t_unaligned, 0, (int)tc_ntypical);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
