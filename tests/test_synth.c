/* test_synth.c — synthetic sources: values, axes and continuity across chunks. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "check_run.h"
#include "ezc/ezc.h"

START_TEST(t_sine_values_and_axes)
{
    ezc_error err;
    ezc_synth_options o;
    ezc_synth_options_init(&o);
    o.fs = 500;
    o.channels = 3;
    o.chunk = 50;
    o.dtype = EZC_FLOAT64;
    o.freq = 7;
    o.amplitude = 2;
    ezc_synth *s = ezc_synth_new(&o, &err);
    ck_assert_ptr_nonnull(s);
    for (int k = 0; k < 3; k++) {
        ezc_array *a = ezc_synth_next(s, &err);
        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(a->shape[0], 50);
        ck_assert_int_eq(a->shape[1], 3);
        ck_assert_str_eq(a->dims[0], "time");
        ck_assert_str_eq(a->dims[1], "ch");
        ck_assert_int_eq(a->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(a->axes[0].gain, 1.0 / 500, 1e-15);
        ck_assert_double_eq_tol(a->axes[0].offset, k * 0.1, 1e-12); /* continuous time */
        ck_assert_str_eq(a->axes[1].coords->labels[2], "ch2");
        ck_assert_str_eq(a->key, "synth");
        const double *x = ezc_array_data(a);
        for (int t = 0; t < 50; t++)
            for (int c = 0; c < 3; c++) {
                double tt = (k * 50 + t) / 500.0;
                double want = 2 * sin(2 * M_PI * 7 * (c + 1) * tt);
                ck_assert_double_eq_tol(x[t * 3 + c], want, 1e-12);
            }
        ezc_array_destroy(&a);
    }
    ck_assert_uint_eq(ezc_synth_samples(s), 150);
    ezc_synth_destroy(&s);
    ck_assert_ptr_null(s);
}
END_TEST

/* float32 (rotation in float, blocks re-started from the double state) and
 * float64 against sin() in double, over a long chunk, a channel count that
 * is not a multiple of the vector width, and an integer dtype. float32:
 * 1e-5 of the amplitude (the float rotation adds ~1e-6 to the rounding). */
START_TEST(t_sine_float32_long_chunks)
{
    ezc_error err;
    const ezc_dtype dts[] = {EZC_FLOAT32, EZC_FLOAT64, EZC_INT32};
    for (int k = 0; k < 3; k++) {
        ezc_synth_options o;
        ezc_synth_options_init(&o);
        o.fs = 997;
        o.channels = 37;
        o.chunk = 1003;
        o.dtype = dts[k];
        o.freq = 3.3;
        o.amplitude = dts[k] == EZC_INT32 ? 1000 : 1.5;
        ezc_synth *s = ezc_synth_new(&o, &err);
        ck_assert_ptr_nonnull(s);
        double maxerr = 0;
        for (int m = 0; m < 3; m++) {
            ezc_array *a = ezc_synth_next(s, &err);
            ck_assert_ptr_nonnull(a);
            for (int t = 0; t < o.chunk; t++)
                for (int c = 0; c < o.channels; c++) {
                    double tt = (double)(m * o.chunk + t) / o.fs;
                    double want = o.amplitude * sin(2 * M_PI * o.freq * (c + 1) * tt);
                    size_t i = (size_t)t * (size_t)o.channels + (size_t)c;
                    double got = dts[k] == EZC_FLOAT32   ? ((const float *)ezc_array_data(a))[i]
                                 : dts[k] == EZC_FLOAT64 ? ((const double *)ezc_array_data(a))[i]
                                                         : ((const int32_t *)ezc_array_data(a))[i];
                    if (dts[k] == EZC_INT32)
                        ck_assert_double_eq(got, (double)llrint(want));
                    else if (fabs(got - want) > maxerr)
                        maxerr = fabs(got - want);
                }
            ezc_array_destroy(&a);
        }
        if (dts[k] == EZC_FLOAT32)
            ck_assert_double_le(maxerr, 1e-5 * o.amplitude);
        if (dts[k] == EZC_FLOAT64)
            ck_assert_double_le(maxerr, 1e-11 * o.amplitude); /* 1003 steps from one anchor */
        ezc_synth_destroy(&s);
    }
}
END_TEST

START_TEST(t_counter_int16_and_noise_stats)
{
    ezc_error err;
    ezc_synth_options o;
    ezc_synth_options_init(&o);
    o.kind = EZC_SYNTH_COUNTER;
    o.dtype = EZC_INT16;
    o.channels = 2;
    o.chunk = 10;
    ezc_synth *s = ezc_synth_new(&o, &err);
    ezc_array *a = ezc_synth_next(s, &err);
    ezc_array_destroy(&a);
    a = ezc_synth_next(s, &err);
    const int16_t *x = ezc_array_data(a);
    ck_assert_int_eq(x[0], 10);
    ck_assert_int_eq(x[19], 19);
    ezc_array_destroy(&a);
    ezc_synth_destroy(&s);

    o.kind = EZC_SYNTH_NOISE;
    o.dtype = EZC_FLOAT64;
    o.channels = 1;
    o.chunk = 100000;
    o.amplitude = 3;
    s = ezc_synth_new(&o, &err);
    a = ezc_synth_next(s, &err);
    const double *y = ezc_array_data(a);
    double m = 0, v = 0;
    for (int i = 0; i < 100000; i++)
        m += y[i];
    m /= 100000;
    for (int i = 0; i < 100000; i++)
        v += (y[i] - m) * (y[i] - m);
    v /= 100000;
    /* 100k samples: the mean's standard error is 3/316 ~ 0.01; 5 sigma bounds. */
    ck_assert_double_eq_tol(m, 0.0, 0.05);
    ck_assert_double_eq_tol(sqrt(v), 3.0, 0.05);
    ezc_array_destroy(&a);
    ezc_synth_destroy(&s);
}
END_TEST

START_TEST(t_bad_options)
{
    ezc_error err;
    ezc_synth_options o;
    ezc_synth_options_init(&o);
    o.fs = 0;
    ck_assert_ptr_null(ezc_synth_new(&o, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "fs > 0"));
    ezc_synth_options_init(&o);
    o.dtype = EZC_COMPLEX64;
    ck_assert_ptr_null(ezc_synth_new(&o, &err));
    ck_assert_int_eq(err.code, EZC_EDTYPE);
    ezc_synth_kind k;
    ck_assert_int_eq(ezc_synth_kind_parse("square", &k, &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "'square'"));
    ck_assert_int_eq(ezc_synth_kind_parse("noise", &k, &err), 0);
    ck_assert_int_eq(k, EZC_SYNTH_NOISE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_sine_values_and_axes);
    tcase_add_test(tc, t_sine_float32_long_chunks);
    tcase_add_test(tc, t_counter_int16_and_noise_stats);
    tcase_add_test(tc, t_bad_options);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
