/* test_npy.c — .npy files: fixtures written by numpy (tests/ref/gen_npy.py)
 * load with the right dtype, shape and values; files ezc writes load back
 * and load in numpy (Debian's python, when present); every truncation and
 * the unsupported layouts are refused with a message naming the file. */
#include <check.h>
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_run.h"
#include "ezc/ezc.h"

static char *fixture(const char *name)
{
    static char path[1024];
    const char *src = getenv("EZC_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/ref/npy/%s", src ? src : "..", name);
    return path;
}

START_TEST(t_fixtures)
{
    ezc_error err;
    ezc_array *a = ezc_npy_load(fixture("f32_2d.npy"), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert_int_eq(a->dtype, EZC_FLOAT32);
    ck_assert_int_eq(ezc_array_ndim(a), 2);
    ck_assert(a->shape[0] == 10 && a->shape[1] == 3);
    for (int i = 0; i < 30; i++)
        ck_assert_float_eq(((float *)ezc_array_data(a))[i], (float)i);
    ezc_array_destroy(&a);

    a = ezc_npy_load(fixture("f64_1d.npy"), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert(a->dtype == EZC_FLOAT64 && ezc_array_ndim(a) == 1 && a->shape[0] == 7);
    for (int i = 0; i < 7; i++) /* linspace(-1, 1, 7) */
        ck_assert_double_eq_tol(((double *)ezc_array_data(a))[i], -1.0 + i / 3.0, 1e-15);
    ezc_array_destroy(&a);

    a = ezc_npy_load(fixture("i16_3d.npy"), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert(a->dtype == EZC_INT16 && a->shape[0] == 2 && a->shape[1] == 3 && a->shape[2] == 4);
    ck_assert_int_eq(((int16_t *)ezc_array_data(a))[23], 11);
    ezc_array_destroy(&a);

    a = ezc_npy_load(fixture("c64.npy"), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert_int_eq(a->dtype, EZC_COMPLEX64);
    ck_assert(((float complex *)ezc_array_data(a))[1] == -3.5f * I);
    ezc_array_destroy(&a);

    a = ezc_npy_load(fixture("u8_scalar.npy"), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert(ezc_array_ndim(a) == 0 && ((uint8_t *)ezc_array_data(a))[0] == 7);
    ezc_array_destroy(&a);

    a = ezc_npy_load(fixture("v2.npy"), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    ck_assert(a->dtype == EZC_INT64 && a->shape[0] == 4 && ((int64_t *)ezc_array_data(a))[3] == 3);
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_refused)
{
    ezc_error err;
    ck_assert_ptr_null(ezc_npy_load(fixture("fortran.npy"), &err));
    ck_assert_msg(strstr(err.msg, "fortran.npy: Fortran-order data; save it with "
                                  "np.save(path, np.ascontiguousarray(a))"),
                  "%s", err.msg);
    ck_assert_ptr_null(ezc_npy_load(fixture("bigendian.npy"), &err));
    ck_assert_msg(strstr(err.msg, "big-endian"), "%s", err.msg);
    ck_assert_ptr_null(ezc_npy_load(fixture("structured.npy"), &err));
    ck_assert_msg(strstr(err.msg, "structured arrays are not supported"), "%s", err.msg);
    ck_assert_ptr_null(ezc_npy_load("/nonexistent/x.npy", &err));
    ck_assert_int_eq(err.code, EZC_EIO);
    ck_assert_msg(strstr(err.msg, "npy /nonexistent/x.npy: No such file"), "%s", err.msg);
    /* every truncation of a good file is refused, never read past */
    FILE *f = fopen(fixture("f32_2d.npy"), "rb");
    unsigned char buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char path[] = "/tmp/ezc_npy_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    for (size_t len = 0; len < n; len++) {
        f = fopen(path, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
        ezc_array *a = ezc_npy_load(path, &err);
        ck_assert_msg(a == NULL, "truncated to %zu bytes was accepted", len);
        ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
    }
    unlink(path);
}
END_TEST

START_TEST(t_round_trip_and_numpy)
{
    ezc_error err;
    int64_t shape[2] = {5, 4};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 2, shape, NULL, ezc_device_cpu(), &err);
    double sum = 0;
    for (int i = 0; i < 20; i++)
        sum += ((double *)ezc_array_data(a))[i] = 0.25 * i - 1;
    char path[] = "/tmp/ezc_npy_rt_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ck_assert_int_eq(ezc_npy_save(path, a, &err), 0);
    ezc_array *b = ezc_npy_load(path, &err);
    ck_assert_msg(b != NULL, "%s", err.msg);
    ck_assert(b->dtype == EZC_FLOAT64 && b->shape[0] == 5 && b->shape[1] == 4);
    ck_assert_int_eq(memcmp(ezc_array_data(a), ezc_array_data(b), ezc_array_nbytes(a)), 0);
    const char *py = getenv("EZC_PYTHON");
    if (py && access(py, X_OK) == 0) {
        char cmd[1024], out[256] = "";
        snprintf(cmd, sizeof cmd,
                 "%s -c 'import numpy as np; a = np.load(\"%s\"); "
                 "print(a.dtype, a.shape, repr(float(a.sum())), a.flags.c_contiguous)'",
                 py, path);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(fgets(out, sizeof out, p));
        pclose(p);
        char want[256];
        snprintf(want, sizeof want, "float64 (5, 4) %.1f True\n", sum);
        ck_assert_str_eq(out, want);
    }
    unlink(path);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_fixtures);
    tcase_add_test(tc, t_refused);
    tcase_add_test(tc, t_round_trip_and_numpy);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
