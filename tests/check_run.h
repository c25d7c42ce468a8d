/* check_run.h — how every Check unit test runs its suite. Header only. */
#ifndef EZC_TEST_CHECK_RUN_H
#define EZC_TEST_CHECK_RUN_H

#include <check.h>

/* Runs every test of s (each in its own child, Check's default) and frees
 * it: the program's exit status, 0 when all passed. */
static inline int ezc_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
