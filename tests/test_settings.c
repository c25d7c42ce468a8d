/* test_settings.c — schema validation: types, defaults, lists, choices, and
 * error messages that name the owner, the setting and the expected type. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "check_run.h"
#include "ezc/ezc.h"

static const ezc_setting_spec schema[] = {
    {"min", EZC_SETTING_FLOAT, NULL, "lower bound", 0, NULL},
    {"order", EZC_SETTING_INT, "4", "filter order", 0, NULL},
    {"zero", EZC_SETTING_BOOL, "false", "clip zero", 0, NULL},
    {"window", EZC_SETTING_STRING, "hann", "window", 0, "hann|hamming|boxcar"},
    {"bands", EZC_SETTING_FLOATS, "[17, 30]", "band edges", 0, NULL},
    {"chans", EZC_SETTING_INTS, NULL, "channels", 0, NULL},
    {"labels", EZC_SETTING_STRINGS, NULL, "labels", 0, NULL},
    {"axis", EZC_SETTING_STRING, NULL, "axis", 1, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static ezc_settings *make(void)
{
    ezc_error err;
    ezc_settings *s = ezc_settings_new(&err);
    ck_assert_int_eq(ezc_settings_set(s, "axis", "time", NULL, &err), 0);
    return s;
}

START_TEST(t_defaults_and_types)
{
    ezc_error err;
    ezc_settings *s = make();
    ck_assert_int_eq(ezc_settings_set(s, "min", "-2.5e-1", NULL, &err), 0);
    ck_assert_int_eq(ezc_settings_set(s, "zero", "yes", NULL, &err), 0);
    ck_assert_int_eq(ezc_settings_set(s, "chans", "[1, 3 ,5]", NULL, &err), 0);
    const char *labels[] = {"C3", "C4"};
    ck_assert_int_eq(ezc_settings_set_list(s, "labels", labels, 2, NULL, &err), 0);
    ck_assert_int_eq(ezc_settings_validate(s, schema, "t", &err), 0);
    double f;
    int64_t i;
    int b;
    const char *str;
    ck_assert_int_eq(ezc_settings_get_float(s, "min", &f), 0);
    ck_assert_double_eq(f, -0.25);
    ck_assert_int_eq(ezc_settings_get_int(s, "order", &i), 0);
    ck_assert_int_eq(i, 4);
    ck_assert_int_eq(ezc_settings_get_bool(s, "zero", &b), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(ezc_settings_get_string(s, "window", &str), 0);
    ck_assert_str_eq(str, "hann");
    const double *fs;
    size_t n;
    ck_assert_int_eq(ezc_settings_get_floats(s, "bands", &fs, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_double_eq(fs[1], 30);
    const int64_t *is;
    ck_assert_int_eq(ezc_settings_get_ints(s, "chans", &is, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(is[2], 5);
    const char *const *ls;
    ck_assert_int_eq(ezc_settings_get_strings(s, "labels", &ls, &n), 0);
    ck_assert_str_eq(ls[1], "C4");
    /* Wrong-type getter and absent optional setting. */
    ck_assert_int_eq(ezc_settings_get_int(s, "min", &i), EZC_ENOTFOUND);
    ezc_settings_destroy(&s);
    s = make();
    ck_assert_int_eq(ezc_settings_validate(s, schema, "t", &err), 0);
    ck_assert(!ezc_settings_has(s, "min"));
    ck_assert_int_eq(ezc_settings_get_float(s, "min", &f), EZC_ENOTFOUND);
    ezc_settings_destroy(&s);
}
END_TEST

static void expect_error(const char *name, const char *value, const char *want)
{
    ezc_error err;
    ezc_settings *s = make();
    ezc_settings_set(s, name, value, NULL, &err);
    ck_assert_int_eq(ezc_settings_validate(s, schema, "clip", &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
    ezc_settings_destroy(&s);
}

START_TEST(t_errors_name_the_setting)
{
    expect_error("mn", "5", "clip: unknown setting 'mn' (known: min, order, zero");
    expect_error("min", "abc", "clip: setting 'min' = 'abc': expected a number (float)");
    expect_error("min", "nan", "expected a number");
    expect_error("min", "1e999", "expected a number");
    expect_error("order", "4.5", "setting 'order' = '4.5': expected an integer (int)");
    expect_error("zero", "maybe", "expected true or false (bool)");
    expect_error("window", "kaiser",
                 "setting 'window' = 'kaiser': expected one of hann|hamming|boxcar");
    expect_error("bands", "[1, x]", "setting 'bands' = 'x': expected numbers (floats)");
    expect_error("bands", "[1, 2", "expected a list");
    ezc_error err;
    ezc_settings *s = ezc_settings_new(&err);
    ck_assert_int_eq(ezc_settings_validate(s, schema, "clip", &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "clip: setting 'axis' is required"));
    /* where is kept for the message */
    ezc_settings_set(s, "axis", "time", NULL, &err);
    ezc_settings_set(s, "order", "x", "graph.yaml:12", &err);
    ck_assert_int_eq(ezc_settings_validate(s, schema, "butter", &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "graph.yaml:12: butter: setting 'order'"));
    ezc_settings_destroy(&s);
}
END_TEST

START_TEST(t_inf_bounds_and_copy)
{
    ezc_error err;
    ezc_settings *s = make();
    ezc_settings_set(s, "min", "-.inf", NULL, &err);
    ezc_settings_set(s, "min", "-inf", NULL, &err); /* replaces */
    ezc_settings *c = ezc_settings_copy(s, &err);
    ck_assert_int_eq(ezc_settings_validate(c, schema, "t", &err), 0);
    double f;
    ck_assert_int_eq(ezc_settings_get_float(c, "min", &f), 0);
    ck_assert(isinf(f) && f < 0);
    ck_assert(!ezc_settings_has(s, "order")); /* the original is not validated */
    ezc_settings_destroy(&c);
    ezc_settings_destroy(&s);
    ck_assert_ptr_null(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_defaults_and_types);
    tcase_add_test(tc, t_errors_name_the_setting);
    tcase_add_test(tc, t_inf_bounds_and_copy);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
