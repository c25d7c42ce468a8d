/* test_tf_steady.c — "no transformer allocates on the steady path": every
 * built-in transformer, with typical settings, gets a warm-up and then 20
 * messages of the same template (each a buffer of its own, made before the
 * count starts, as upstream nodes hand them over); the thread's buffer
 * counter (ezc_buffer_new_count) must not move while they are processed and
 * their outputs released. Headers and coordinate tables are small mallocs
 * and not counted: data buffers are. */
#include <stdio.h>
#include <string.h>
#include "tf_cases.h"
#include "tf_test.h"

/* Warm-up spans a whole cycle of output sizes: 100-sample messages through
 * a 16-sample window shift give 6 or 7 windows in a cycle of 4 messages,
 * and a cache grows (once) on the first largest one. */
#define WARM 8
#define RUNS 20

START_TEST(t_steady)
{
    ezc_error err = {0};
    ezc_registry *reg = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(reg, &err), 0);
    const char *type = tc_typical[_i].type, *set = tc_typical[_i].settings;
    const ezc_transformer_type *tt = ezc_registry_find(reg, type, &err);
    ck_assert_msg(tt != NULL, "%s", err.msg);
    ezc_transformer *t = tc_make(tt, set);
    /* A two-stream type (concat, merge) gets each message on both ports;
     * other ports (signalinjector's controls) take no streams. */
    int nports = ezc_transformer_type_nports(tt) == 2 ? 2 : 1;
    ezc_array *proto = tc_typical_input(100, tc_typical[_i].nch), *in[2][WARM + RUNS];
    for (int p = 0; p < nports; p++)
        for (int i = 0; i < WARM + RUNS; i++) {
            in[p][i] = ezc_array_copy(proto, &err);
            ck_assert_ptr_nonnull(in[p][i]);
            in[p][i]->axes[0].offset = 0.1 * i; /* consecutive messages */
        }
    for (int i = 0; i < WARM; i++)
        for (int p = 0; p < nports; p++) {
            ezc_array *y = tc_apply_port(t, p, in[p][i]);
            ezc_array_destroy(&y);
        }
    uint64_t before = ezc_buffer_new_count();
    for (int i = WARM; i < WARM + RUNS; i++)
        for (int p = 0; p < nports; p++) {
            ezc_array *y = tc_apply_port(t, p, in[p][i]);
            ezc_array_destroy(&y);
        }
    ck_assert_msg(ezc_buffer_new_count() == before,
                  "%s {%s}: %llu data buffers allocated on "
                  "the steady path",
                  type, set, (unsigned long long)(ezc_buffer_new_count() - before));
    ezc_array_destroy(&proto);
    ezc_transformer_destroy(&t);
    ezc_registry_destroy(&reg);
}
END_TEST

int main(void)
{
    tc_devices_init();
    Suite *s = suite_create("tf_steady");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_steady, 0, (int)tc_ntypical);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
