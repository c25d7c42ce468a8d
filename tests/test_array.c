/* test_array.c — AxisArray: life cycle, axes, copy-on-write, slicing. */
#include <check.h>
#include "ezc/ezc.h"
START_TEST(t_placeholder) { ck_assert_int_eq(ezc_dtype_size(EZC_FLOAT32), 4); }
END_TEST
int main(void)
{
    Suite *s = suite_create("array");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_placeholder);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
