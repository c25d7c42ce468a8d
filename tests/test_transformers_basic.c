/* test_transformers_basic.c — abs, clip and log: values against libm
 * references (float64 exact to 1e-12 relative, float32 1e-6), in-place
 * behaviour when the buffer is unique, untouched input when it is shared,
 * and settings errors. Every value test runs once per available backend
 * (cpu, and cuda:0 where a GPU answers): the same transformer code, the
 * data on that device, the result brought back to compare. */
#include <check.h>
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"

extern const ezc_transformer_type ezc_abs_type, ezc_clip_type, ezc_log_type, ezc_to_device_type;

static const double src[6] = {-2.5, -1.0, 0.0, 0.25, 3.0, 100.0};

static DLDevice devs[2];
static int ndevs;

/* a moved to device d (consumes a). */
static ezc_array *on(ezc_array *a, DLDevice d)
{
    ezc_error err;
    if (ezc_device_equal(a->tensor.device, d))
        return a;
    ezc_array *b = ezc_array_to_device(a, d, &err);
    ck_assert_msg(b != NULL, "%s", err.msg);
    ezc_array_destroy(&a);
    return b;
}

/* The result brought to the host for checking (consumes y). */
static ezc_array *host(ezc_array *y)
{
    return on(y, ezc_device_cpu());
}

static ezc_array *vec(ezc_dtype t)
{
    ezc_error err;
    int64_t shape[2] = {3, 2};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(t, 2, shape, dims, ezc_device_cpu(), &err);
    for (int i = 0; i < 6; i++) {
        if (t == EZC_FLOAT64)
            ((double *)ezc_array_data(a))[i] = src[i];
        if (t == EZC_FLOAT32)
            ((float *)ezc_array_data(a))[i] = (float)src[i];
        if (t == EZC_INT16)
            ((int16_t *)ezc_array_data(a))[i] = (int16_t)(src[i] * 4);
    }
    return a;
}

static ezc_transformer *make(const ezc_transformer_type *type, const char *k1, const char *v1,
                             const char *k2, const char *v2)
{
    ezc_error err;
    ezc_settings *s = ezc_settings_new(&err);
    if (k1)
        ezc_settings_set(s, k1, v1, NULL, &err);
    if (k2)
        ezc_settings_set(s, k2, v2, NULL, &err);
    ezc_transformer *t = ezc_transformer_new(type, s, &err);
    ck_assert_msg(t != NULL, "%s", err.msg);
    ezc_settings_destroy(&s);
    return t;
}

static double rel(double got, double want)
{
    return fabs(got - want) / fmax(fabs(want), 1.0);
}

START_TEST(t_abs_in_place_and_shared)
{
    ezc_error err;
    DLDevice dev = devs[_i];
    ezc_transformer *t = make(&ezc_abs_type, NULL, NULL, NULL, NULL);
    ezc_array *a = on(vec(EZC_FLOAT32), dev), *y;
    void *before = ezc_array_data(a);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    ck_assert_ptr_eq(y, a);                             /* the same array back... */
    ck_assert_ptr_eq(ezc_array_data(y), before);        /* ...computed in place */
    ck_assert(ezc_device_equal(y->tensor.device, dev)); /* ...where the data was */
    y = host(y);
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(((float *)ezc_array_data(y))[i], fabsf((float)src[i]));
    ezc_array_destroy(&y);
    /* Shared input: the other holder keeps its negative values. */
    a = on(vec(EZC_FLOAT64), dev);
    ezc_array *keep = ezc_array_clone(a, &err);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    ck_assert_ptr_ne(ezc_array_data(y), ezc_array_data(keep));
    y = host(y);
    keep = host(keep);
    ck_assert_double_eq(((double *)ezc_array_data(keep))[0], -2.5);
    ck_assert_double_eq(((double *)ezc_array_data(y))[0], 2.5);
    ck_assert_str_eq(y->dims[1], "ch");
    ezc_array_destroy(&y);
    ezc_array_destroy(&keep);
    if (dev.device_type != kDLCPU) { /* integer and complex kernels: cpu only so far */
        ezc_transformer_destroy(&t);
        return;
    }
    /* int16 stays int16. */
    a = vec(EZC_INT16);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    ck_assert_int_eq(y->dtype, EZC_INT16);
    ck_assert_int_eq(((int16_t *)ezc_array_data(y))[0], 10);
    ezc_array_destroy(&y);
    /* complex64 -> float32 magnitude. */
    int64_t n = 2;
    a = ezc_array_new(EZC_COMPLEX64, 1, &n, NULL, ezc_device_cpu(), &err);
    float complex *z = ezc_array_data(a);
    z[0] = 3.0f + 4.0f * I;
    z[1] = -1.0f;
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    ck_assert_float_eq_tol(((float *)ezc_array_data(y))[0], 5.0f, 1e-6f);
    ck_assert_float_eq_tol(((float *)ezc_array_data(y))[1], 1.0f, 1e-6f);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_clip)
{
    ezc_error err;
    DLDevice dev = devs[_i];
    ezc_transformer *t = make(&ezc_clip_type, "min", "-1.5", "max", "2");
    ezc_array *a = vec(EZC_FLOAT64), *y;
    ((double *)ezc_array_data(a))[2] = NAN;
    ck_assert_int_eq(ezc_transformer_process(t, 0, on(a, dev), &y, &err), 0);
    y = host(y);
    const double *v = ezc_array_data(y);
    const double want[6] = {-1.5, -1.0, NAN, 0.25, 2.0, 2.0};
    for (int i = 0; i < 6; i++)
        if (isnan(want[i]))
            ck_assert(isnan(v[i]));
        else
            ck_assert_double_eq(v[i], want[i]);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* Only a lower bound. */
    t = make(&ezc_clip_type, "min", "0", NULL, NULL);
    a = on(vec(EZC_FLOAT32), dev);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    y = host(y);
    ck_assert_float_eq(((float *)ezc_array_data(y))[0], 0.0f);
    ck_assert_float_eq(((float *)ezc_array_data(y))[5], 100.0f);
    ezc_array_destroy(&y);
    /* Complex data is refused, and the error names the transformer. */
    int64_t n = 1;
    a = ezc_array_zeros(EZC_COMPLEX128, 1, &n, NULL, &err);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), EZC_EDTYPE);
    ck_assert_ptr_null(y);
    ck_assert_str_eq(err.msg, "clip: complex128 data has no order to clip by");
    ezc_transformer_destroy(&t);
    /* min > max is a settings error. */
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "min", "5", NULL, &err);
    ezc_settings_set(s, "max", "1", NULL, &err);
    ck_assert_ptr_null(ezc_transformer_new(&ezc_clip_type, s, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_str_eq(err.msg, "clip: min (5) > max (1)");
    ezc_settings_destroy(&s);
}
END_TEST

START_TEST(t_log_bases)
{
    ezc_error err;
    const char *bases[4] = {"10", "2", "2.718281828459045", "3"};
    for (int b = 0; b < 4; b++) {
        ezc_transformer *t = make(&ezc_log_type, "base", bases[b], NULL, NULL);
        double base = strtod(bases[b], NULL);
        ezc_array *a = on(vec(EZC_FLOAT64), devs[_i]), *y;
        ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
        y = host(y);
        const double *v = ezc_array_data(y);
        for (int i = 0; i < 6; i++) {
            double want = log(src[i]) / log(base);
            if (src[i] < 0)
                ck_assert(isnan(v[i]));
            else if (src[i] == 0)
                ck_assert(isinf(v[i]) && v[i] < 0);
            else
                ck_assert_msg(rel(v[i], want) <= 1e-12, "base %s x %g: %.17g vs %.17g", bases[b],
                              src[i], v[i], want);
        }
        ezc_array_destroy(&y);
        /* float32 within 1e-6 relative */
        a = on(vec(EZC_FLOAT32), devs[_i]);
        ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
        y = host(y);
        ck_assert_int_eq(y->dtype, EZC_FLOAT32);
        ck_assert(rel(((float *)ezc_array_data(y))[5], log(100.0) / log(base)) <= 1e-6);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_log_clip_zero_and_ints)
{
    ezc_error err;
    DLDevice dev = devs[_i];
    ezc_transformer *t = make(&ezc_log_type, "clip_zero", "true", NULL, NULL);
    ezc_array *a = on(vec(EZC_FLOAT64), dev), *y;
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    y = host(y);
    const double *v = ezc_array_data(y);
    ck_assert(rel(v[0], log10(DBL_MIN)) <= 1e-12); /* -2.5 raised to DBL_MIN */
    ck_assert(rel(v[2], log10(DBL_MIN)) <= 1e-12); /* 0 too: finite, not -inf */
    ck_assert(rel(v[3], log10(0.25)) <= 1e-12);
    ezc_array_destroy(&y);
    a = on(vec(EZC_FLOAT32), dev);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    y = host(y);
    ck_assert(rel(((float *)ezc_array_data(y))[1], log10(FLT_MIN)) <= 1e-6);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    if (dev.device_type != kDLCPU)
        return;
    /* int16 input becomes float64 (numpy's rule). */
    t = make(&ezc_log_type, "base", "2", NULL, NULL);
    a = vec(EZC_INT16);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert(rel(((double *)ezc_array_data(y))[4], log2(12.0)) <= 1e-12);
    ck_assert_str_eq(y->dims[0], "time");
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "base", "1", NULL, &err);
    ck_assert_ptr_null(ezc_transformer_new(&ezc_log_type, s, &err));
    ck_assert_str_eq(err.msg, "log: base (1) must be positive, finite and not 1");
    ezc_settings_set(s, "base", "ten", NULL, &err);
    ck_assert_ptr_null(ezc_transformer_new(&ezc_log_type, s, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "log: setting 'base' = 'ten': expected a number"));
    ezc_settings_destroy(&s);
}
END_TEST

/* to_device moves data to the device of the loop and back; values and
 * metadata survive; a device with no backend is refused at init. */
START_TEST(t_to_device)
{
    ezc_error err;
    char name[32];
    ezc_device_format(devs[_i], name, sizeof name);
    ezc_transformer *t = make(&ezc_to_device_type, "device", name, NULL, NULL);
    ezc_transformer *back = make(&ezc_to_device_type, "device", "cpu", NULL, NULL);
    ezc_array *a = vec(EZC_FLOAT64), *y, *z;
    ezc_array_set_key(a, "dev7", &err);
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    ck_assert(ezc_device_equal(y->tensor.device, devs[_i]));
    ck_assert_int_eq(ezc_transformer_process(back, 0, y, &z, &err), 0);
    ck_assert_int_eq(z->tensor.device.device_type, kDLCPU);
    ck_assert_double_eq(((double *)ezc_array_data(z))[4], 3.0);
    ck_assert_str_eq(z->key, "dev7");
    ck_assert_str_eq(z->dims[1], "ch");
    ezc_array_destroy(&z);
    ezc_transformer_destroy(&t);
    ezc_transformer_destroy(&back);
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "device", "cuda:7", NULL, &err);
    ck_assert_ptr_null(ezc_transformer_new(&ezc_to_device_type, s, &err));
    ck_assert_msg(strstr(err.msg, "cuda:7") != NULL, "%s", err.msg);
    ezc_settings_set(s, "device", "gpu", NULL, &err);
    ck_assert_ptr_null(ezc_transformer_new(&ezc_to_device_type, s, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "to_device: device 'gpu': expected cpu, cuda or cuda:N"));
    ezc_settings_destroy(&s);
}
END_TEST

int main(void)
{
    ezc_error err;
    devs[ndevs++] = ezc_device_cpu();
    if (ezc_xp_for(ezc_device_cuda(0), &err))
        devs[ndevs++] = ezc_device_cuda(0);
    else
        printf("cuda:0 not tested: %s\n", err.msg);
    Suite *s = suite_create("transformers_basic");
    TCase *tc = tcase_create("core");
    /* cuda cannot work in a forked child of a process that touched it */
    tcase_add_loop_test(tc, t_abs_in_place_and_shared, 0, ndevs);
    tcase_add_loop_test(tc, t_clip, 0, ndevs);
    tcase_add_loop_test(tc, t_log_bases, 0, ndevs);
    tcase_add_loop_test(tc, t_log_clip_zero_and_ints, 0, ndevs);
    tcase_add_loop_test(tc, t_to_device, 0, ndevs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    if (ndevs > 1)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
