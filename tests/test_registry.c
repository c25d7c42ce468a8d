/* test_registry.c — built-in types, unknown names with suggestions, plugins
 * loaded by path and run on real data, and a wrong-ABI plugin refused.
 * Plugin paths come from EZC_TEST_PLUGIN and EZC_TEST_BAD_PLUGIN. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_run.h"
#include "ezc/ezc.h"

START_TEST(t_builtins)
{
    ezc_error err;
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    ck_assert_uint_ge(ezc_registry_count(r), 3);
    const char *src;
    const ezc_transformer_type *t = ezc_registry_find(r, "clip", &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->name, "clip");
    ck_assert_ptr_nonnull(ezc_registry_at(r, 0, &src));
    ck_assert_str_eq(src, "built-in");
    ck_assert_ptr_null(ezc_registry_find(r, "clp", &err));
    ck_assert_int_eq(err.code, EZC_ENOTFOUND);
    ck_assert_str_eq(err.msg, "unknown transformer type 'clp' (did you mean 'clip'?)");
    ck_assert_ptr_null(ezc_registry_find(r, "butterworth_zzz", &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "`ezc list`"));
    /* The same types twice are refused, naming the first source. */
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "already registered by built-in"));
    ezc_registry_destroy(&r);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(t_plugin_loads_and_runs)
{
    ezc_error err;
    const char *path = getenv("EZC_TEST_PLUGIN");
    ck_assert_ptr_nonnull(path);
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    ck_assert_msg(ezc_registry_load_plugin(r, path, &err) == 0, "%s", err.msg);
    size_t count = ezc_registry_count(r);
    ck_assert_int_eq(ezc_registry_load_plugin(r, path, &err), 0); /* again: no duplicates */
    ck_assert_uint_eq(ezc_registry_count(r), count);
    const char *src;
    const ezc_transformer_type *t = ezc_registry_find(r, "rectify_gain", &err);
    ck_assert_ptr_nonnull(t);
    ezc_registry_at(r, ezc_registry_count(r) - 1, &src);
    ck_assert_str_eq(src, path);
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "gain", "3", NULL, &err);
    ezc_transformer *tr = ezc_transformer_new(t, s, &err);
    ck_assert_msg(tr != NULL, "%s", err.msg);
    int64_t shape[1] = {4};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), &err);
    double *x = ezc_array_data(a);
    x[0] = -1;
    x[1] = 2;
    x[2] = -0.5;
    x[3] = 0;
    ezc_array *y;
    ck_assert_int_eq(ezc_transformer_process(tr, 0, a, &y, &err), 0);
    const double *v = ezc_array_data(y);
    ck_assert_double_eq(v[0], 3);
    ck_assert_double_eq(v[1], 6);
    ck_assert_double_eq(v[2], 1.5);
    ck_assert_double_eq(v[3], 0);
    ezc_array_destroy(&y);
    /* The plugin's own errors come back prefixed with its type name. */
    a = ezc_array_zeros(EZC_INT16, 1, shape, NULL, &err);
    ck_assert_int_eq(ezc_transformer_process(tr, 0, a, &y, &err), EZC_EDTYPE);
    ck_assert_ptr_null(y);
    ck_assert_str_eq(err.msg, "rectify_gain: needs float32 or float64, got int16");
    ezc_transformer_destroy(&tr);
    ezc_settings_destroy(&s);
    ezc_registry_destroy(&r);
}
END_TEST

START_TEST(t_bad_plugins_refused)
{
    ezc_error err;
    const char *bad = getenv("EZC_TEST_BAD_PLUGIN");
    ck_assert_ptr_nonnull(bad);
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_load_plugin(r, bad, &err), EZC_EABI);
    ck_assert_ptr_nonnull(strstr(err.msg, "was built for ezc plugin ABI 3; this ezc has ABI 2"));
    ck_assert_ptr_nonnull(strstr(err.msg, bad));
    ck_assert_uint_eq(ezc_registry_count(r), 0);
    ck_assert_int_eq(ezc_registry_load_plugin(r, "/nonexistent/plugin.so", &err), EZC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.msg, "plugin '/nonexistent/plugin.so' does not load"));
    /* A shared object that is not an ezc plugin: libezc itself. */
    char lib[4096];
    snprintf(lib, sizeof lib, "%s/libezc.so", getenv("EZC_BUILD_DIR"));
    ck_assert_int_eq(ezc_registry_load_plugin(r, lib, &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "has no ezc_plugin_entry()"));
    ezc_registry_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_builtins);
    tcase_add_test(tc, t_plugin_loads_and_runs);
    tcase_add_test(tc, t_bad_plugins_refused);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
