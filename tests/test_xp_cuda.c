/* test_xp_cuda.c — the CUDA backend against host references: transfers,
 * element-wise ops (float32 within 1e-6 relative of libm in float, float64
 * within 1e-12: GPU libm is correctly rounded to within 1-2 ulp), reductions
 * along every axis against a double loop, the caching allocator, and the
 * errors. Without a GPU it checks that the error names the device, then
 * exits 77 (skip). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"

static const ezc_xp *cu;

static ezc_array *host(ezc_dtype t, int nd, const int64_t *shape, unsigned seed)
{
    ezc_error err;
    ezc_array *a = ezc_array_new(t, nd, shape, NULL, ezc_device_cpu(), &err);
    size_t n = ezc_array_size(a);
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        double v = (rand() / (double)RAND_MAX) * 8.0 - 4.0;
        if (t == EZC_FLOAT32) ((float *)ezc_array_data(a))[i] = (float)v;
        else ((double *)ezc_array_data(a))[i] = v;
    }
    return a;
}

static double at(const ezc_array *a, size_t i)
{
    return a->dtype == EZC_FLOAT32 ? ((const float *)ezc_array_data(a))[i]
                                   : ((const double *)ezc_array_data(a))[i];
}

static ezc_array *to(const ezc_array *a, DLDevice d)
{
    ezc_error err;
    ezc_array *b = ezc_array_to_device(a, d, &err);
    ck_assert_msg(b != NULL, "%s", err.msg);
    return b;
}

static void close_enough(double got, double want, double tol, const char *what, size_t i)
{
    if (isnan(want)) {
        ck_assert_msg(isnan(got), "%s[%zu]: %g, want NaN", what, i, got);
        return;
    }
    if (isinf(want)) {
        ck_assert_msg(got == want, "%s[%zu]: %g, want %g", what, i, got, want);
        return;
    }
    ck_assert_msg(fabs(got - want) <= tol * fmax(fabs(want), 1.0), "%s[%zu]: %.17g vs %.17g", what, i,
                  got, want);
}

START_TEST(t_roundtrip_exact)
{
    int64_t shape[2] = {1000, 33};
    ezc_array *h = host(EZC_FLOAT64, 2, shape, 1);
    ezc_array *d = to(h, ezc_device_cuda(0));
    ck_assert_int_eq(d->tensor.device.device_type, kDLCUDA);
    ck_assert_str_eq(ezc_xp_of(d, NULL)->name, "cuda");
    ezc_array *back = to(d, ezc_device_cpu());
    ck_assert_int_eq(memcmp(ezc_array_data(back), ezc_array_data(h), ezc_array_nbytes(h)), 0);
    ezc_array_destroy(&h);
    ezc_array_destroy(&d);
    ezc_array_destroy(&back);
}
END_TEST

static double ref_unary(int op, double v, int f32)
{
    switch (op) {
    case EZC_UNARY_ABS: return fabs(v);
    case EZC_UNARY_NEG: return -v;
    case EZC_UNARY_SQUARE: return f32 ? (double)((float)v * (float)v) : v * v;
    case EZC_UNARY_SIGN: return (v > 0) - (v < 0);
    case EZC_UNARY_SQRT: return sqrt(v);
    case EZC_UNARY_EXP: return exp(v);
    case EZC_UNARY_LOG: return log(v);
    case EZC_UNARY_LOG2: return log2(v);
    case EZC_UNARY_LOG10: return log10(v);
    default: return 1.0 / v;
    }
}

START_TEST(t_unary_all_ops)
{
    ezc_error err;
    ezc_dtype types[2] = {EZC_FLOAT32, EZC_FLOAT64};
    for (int ti = 0; ti < 2; ti++) {
        int f32 = types[ti] == EZC_FLOAT32;
        double tol = f32 ? 1e-6 : 1e-12;
        for (int op = 0; op < EZC_UNARY_COUNT; op++) {
            int64_t shape[1] = {100003}; /* odd: exercises the vector tail */
            ezc_array *h = host(types[ti], 1, shape, (unsigned)op + 7);
            ezc_array *d = to(h, ezc_device_cuda(0));
            /* in place */
            ck_assert_msg(ezc_xp_call(cu, unary, &err, (ezc_unary_op)op, d, d) == 0, "%s", err.msg);
            ezc_array *r = to(d, ezc_device_cpu());
            for (size_t i = 0; i < 100003; i++)
                close_enough(at(r, i), ref_unary(op, at(h, i), f32), tol, "unary", i);
            ezc_array_destroy(&h);
            ezc_array_destroy(&d);
            ezc_array_destroy(&r);
        }
    }
}
END_TEST

START_TEST(t_affine_clip_pow_binary)
{
    ezc_error err;
    int64_t shape[2] = {517, 9};
    ezc_array *h = host(EZC_FLOAT32, 2, shape, 3);
    ((float *)ezc_array_data(h))[5] = NAN;
    ezc_array *d = to(h, ezc_device_cuda(0));
    ezc_array *y = ezc_array_new_like(d, EZC_FLOAT32, 0, NULL, &err);
    ck_assert_int_eq(ezc_xp_call(cu, clip, &err, d, y, -1.0, 2.0), 0);
    ezc_array *r = to(y, ezc_device_cpu());
    for (size_t i = 0; i < ezc_array_size(h); i++)
        close_enough(at(r, i), isnan(at(h, i)) ? NAN : fmin(fmax(at(h, i), -1.0), 2.0), 0, "clip", i);
    ezc_array_destroy(&r);
    ck_assert_int_eq(ezc_xp_call(cu, affine, &err, d, y, 2.5, -1.0), 0);
    r = to(y, ezc_device_cpu());
    for (size_t i = 0; i < ezc_array_size(h); i++)
        close_enough(at(r, i), at(h, i) * 2.5 - 1.0, 1e-6, "affine", i);
    ezc_array_destroy(&r);
    ck_assert_int_eq(ezc_xp_call(cu, pow, &err, d, y, 2.0), 0);
    r = to(y, ezc_device_cpu());
    for (size_t i = 0; i < ezc_array_size(h); i++)
        close_enough(at(r, i), at(h, i) * at(h, i), 1e-6, "pow", i);
    ezc_array_destroy(&r);
    ck_assert_int_eq(ezc_xp_call(cu, binary, &err, EZC_BINARY_SUB, d, y, y), 0);
    r = to(y, ezc_device_cpu());
    for (size_t i = 0; i < ezc_array_size(h); i++)
        close_enough(at(r, i), at(h, i) - (double)(float)(at(h, i) * at(h, i)), 1e-6, "sub", i);
    ezc_array_destroy(&r);
    ezc_array_destroy(&y);
    ezc_array_destroy(&d);
    ezc_array_destroy(&h);
}
END_TEST

START_TEST(t_reduce_every_axis)
{
    ezc_error err;
    ezc_reduce_op ops[6] = {EZC_REDUCE_SUM, EZC_REDUCE_MEAN, EZC_REDUCE_MIN,
                            EZC_REDUCE_MAX, EZC_REDUCE_VAR, EZC_REDUCE_STD};
    int64_t shape[3] = {7, 300, 5};
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = ti ? EZC_FLOAT64 : EZC_FLOAT32;
        ezc_array *h = host(t, 3, shape, 11);
        ezc_array *d = to(h, ezc_device_cuda(0));
        for (int axis = 0; axis < 3; axis++) {
            size_t outer, n, inner;
            ezc_array_split(h, axis, &outer, &n, &inner);
            int64_t os[2];
            for (int i = 0, j = 0; i < 3; i++)
                if (i != axis)
                    os[j++] = shape[i];
            for (int k = 0; k < 6; k++) {
                ezc_array *y = ezc_array_new(t, 2, os, NULL, ezc_device_cuda(0), &err);
                ck_assert_msg(ezc_xp_call(cu, reduce, &err, ops[k], d, axis, y) == 0, "%s", err.msg);
                ezc_array *r = to(y, ezc_device_cpu());
                for (size_t o = 0; o < outer; o++)
                    for (size_t q = 0; q < inner; q++) {
                        double s = 0, mn = INFINITY, mx = -INFINITY, m2 = 0;
                        for (size_t i = 0; i < n; i++) {
                            double v = at(h, (o * n + i) * inner + q);
                            s += v;
                            mn = fmin(mn, v);
                            mx = fmax(mx, v);
                        }
                        double mean = s / (double)n;
                        for (size_t i = 0; i < n; i++) {
                            double dv = at(h, (o * n + i) * inner + q) - mean;
                            m2 += dv * dv;
                        }
                        double want[6] = {s, mean, mn, mx, m2 / (double)n, sqrt(m2 / (double)n)};
                        /* double accumulation on both sides; float32 output rounding */
                        close_enough(at(r, o * inner + q), want[k], ti ? 1e-12 : 1e-6, "reduce",
                                     o * inner + q);
                    }
                ezc_array_destroy(&r);
                ezc_array_destroy(&y);
            }
        }
        ezc_array_destroy(&d);
        ezc_array_destroy(&h);
    }
}
END_TEST

START_TEST(t_allocator_reuses_blocks)
{
    ezc_error err;
    int64_t shape[1] = {123456};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 1, shape, NULL, ezc_device_cuda(0), &err);
    void *p = ezc_array_data(a);
    ezc_array_destroy(&a);
    a = ezc_array_new(EZC_FLOAT32, 1, shape, NULL, ezc_device_cuda(0), &err);
    ck_assert_ptr_eq(ezc_array_data(a), p); /* same block back from the cache */
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_errors)
{
    ezc_error err;
    int64_t shape[1] = {4};
    ezc_array *h = host(EZC_FLOAT32, 1, shape, 5);
    ezc_array *d = to(h, ezc_device_cuda(0));
    ck_assert_int_eq(ezc_xp_call(cu, unary, &err, EZC_UNARY_ABS, h, h), EZC_EDEVICE);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.unary(abs): x is on device cpu"));
    ck_assert_int_eq(ezc_xp_call(cu, fft, &err, EZC_FFT_R2C, d, 0, 4, d), EZC_ENOTSUP);
    ck_assert_str_eq(err.msg, "xp.fft is not implemented by the cuda backend");
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_MEDIAN, d, 0, d), EZC_ENOTSUP);
    ck_assert_ptr_nonnull(strstr(err.msg, "not implemented by the cuda backend"));
    ezc_array *i16 = ezc_array_new(EZC_INT16, 1, shape, NULL, ezc_device_cuda(0), &err);
    ck_assert_int_eq(ezc_xp_call(cu, unary, &err, EZC_UNARY_ABS, i16, i16), EZC_EDTYPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "dtype int16 not supported on cuda"));
    /* The CPU backend refuses cuda data, naming the device. */
    ck_assert_int_eq(ezc_xp_call(ezc_xp_cpu(), unary, &err, EZC_UNARY_ABS, d, d), EZC_EDEVICE);
    ck_assert_ptr_nonnull(strstr(err.msg, "cuda:0"));
    ezc_array_destroy(&i16);
    ezc_array_destroy(&d);
    ezc_array_destroy(&h);
}
END_TEST

/* abs (a built-in transformer, written against xp only) runs unchanged on
 * the GPU and matches the CPU result exactly. */
START_TEST(t_transformer_runs_on_gpu)
{
    ezc_error err;
    ezc_registry *r = ezc_registry_new(&err);
    ezc_registry_add_builtins(r, &err);
    ezc_transformer *t = ezc_transformer_new(ezc_registry_find(r, "abs", &err), NULL, &err);
    int64_t shape[2] = {100, 64};
    ezc_array *h = host(EZC_FLOAT32, 2, shape, 9);
    ezc_array *d = to(h, ezc_device_cuda(0)), *y;
    void *p = ezc_array_data(d);
    ck_assert_int_eq(ezc_transformer_process(t, 0, d, &y, &err), 0);
    ck_assert_ptr_eq(ezc_array_data(y), p); /* in place, on the device */
    ezc_array *back = to(y, ezc_device_cpu());
    for (size_t i = 0; i < 6400; i++)
        ck_assert(at(back, i) == fabs(at(h, i)));
    ezc_array_destroy(&back);
    ezc_array_destroy(&y);
    ezc_array_destroy(&h);
    ezc_transformer_destroy(&t);
    ezc_registry_destroy(&r);
}
END_TEST

int main(void)
{
    ezc_error err;
    cu = ezc_xp_for(ezc_device_cuda(0), &err);
    if (!cu) {
        if (!strstr(err.msg, "cuda:0")) {
            fprintf(stderr, "FAIL: the error does not name the device: %s\n", err.msg);
            return 1;
        }
        printf("skip: %s\n", err.msg);
        return 77;
    }
    Suite *s = suite_create("xp_cuda");
    TCase *tc = tcase_create("gpu");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_roundtrip_exact);
    tcase_add_test(tc, t_unary_all_ops);
    tcase_add_test(tc, t_affine_clip_pow_binary);
    tcase_add_test(tc, t_reduce_every_axis);
    tcase_add_test(tc, t_allocator_reuses_blocks);
    tcase_add_test(tc, t_errors);
    tcase_add_test(tc, t_transformer_runs_on_gpu);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* a forked child cannot use the parent's CUDA context */
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
