/* test_xp_cuda.c — the CUDA backend against host references: transfers,
 * element-wise ops (float32 within 1e-6 relative of libm in float, float64
 * within 1e-12: GPU libm is correctly rounded to within 1-2 ulp), reductions
 * along every axis against a double loop (and every reduction, nan- forms,
 * integer dtypes, against the CPU backend), the caching allocator, and the
 * errors. Linear algebra (cuBLAS/cuSOLVER) and fft (cuFFT) are compared with
 * the CPU backend on the same data (itself tested against numpy). Without a
 * GPU it checks that the error names the device, then exits 77 (skip). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"

static const ezc_xp *cu;

static int single(ezc_dtype t)
{
    return t == EZC_FLOAT32 || t == EZC_COMPLEX64;
}

/* Real numbers in a (complex counts two: re, im). */
static size_t nreal(const ezc_array *a)
{
    return ezc_array_size(a) * (ezc_dtype_is_complex(a->dtype) ? 2 : 1);
}

static double re_at(const ezc_array *a, size_t i)
{
    return single(a->dtype) ? ((const float *)ezc_array_data(a))[i]
                            : ((const double *)ezc_array_data(a))[i];
}

static void re_set(ezc_array *a, size_t i, double v)
{
    if (single(a->dtype))
        ((float *)ezc_array_data(a))[i] = (float)v;
    else
        ((double *)ezc_array_data(a))[i] = v;
}

/* Uniform in [-4, 4); float or complex dtypes. */
static ezc_array *host(ezc_dtype t, int nd, const int64_t *shape, unsigned seed)
{
    ezc_error err;
    ezc_array *a = ezc_array_new(t, nd, shape, NULL, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    size_t n = nreal(a);
    srand(seed);
    for (size_t i = 0; i < n; i++)
        re_set(a, i, (rand() / (double)RAND_MAX) * 8.0 - 4.0);
    return a;
}

static ezc_array *new_on(DLDevice d, ezc_dtype t, int nd, const int64_t *shape)
{
    ezc_error err;
    ezc_array *a = ezc_array_new(t, nd, shape, NULL, d, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
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
    ck_assert_msg(fabs(got - want) <= tol * fmax(fabs(want), 1.0), "%s[%zu]: %.17g vs %.17g", what,
                  i, got, want);
}

/* Tolerances against the CPU backend, relative to the largest magnitude of
 * the CPU result: cuBLAS, cuSOLVER and cuFFT sum in other orders and use
 * other algorithms (blocked factorisations, tree reductions, other radices)
 * than OpenBLAS, LAPACK and FFTW, so results differ by rounding growth of
 * about n * eps of the largest entry: < 1e-12 in float64 and < 1e-5 in
 * float32 at these sizes. A wrong layout, transpose or scale is off by O(1). */
static double tol_of(ezc_dtype t)
{
    return single(t) ? 1e-4 : 1e-10;
}

static void match_cpu(const ezc_array *dev, const ezc_array *want, const char *what)
{
    ezc_array *got = to(dev, ezc_device_cpu());
    ck_assert_int_eq(got->dtype, want->dtype);
    ck_assert_uint_eq(nreal(got), nreal(want));
    double big = 0, tol = tol_of(want->dtype);
    for (size_t i = 0; i < nreal(want); i++)
        big = fmax(big, fabs(re_at(want, i)));
    if (big == 0)
        big = 1;
    for (size_t i = 0; i < nreal(want); i++)
        ck_assert_msg(fabs(re_at(got, i) - re_at(want, i)) <= tol * big,
                      "%s (%s)[%zu]: %.17g vs cpu %.17g (scale %g)", what,
                      ezc_dtype_name(want->dtype), i, re_at(got, i), re_at(want, i), big);
    ezc_array_destroy(&got);
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
    case EZC_UNARY_SIN: return sin(v);
    case EZC_UNARY_COS: return cos(v);
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
        close_enough(at(r, i), isnan(at(h, i)) ? NAN : fmin(fmax(at(h, i), -1.0), 2.0), 0, "clip",
                     i);
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
                            EZC_REDUCE_MAX, EZC_REDUCE_VAR,  EZC_REDUCE_STD};
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
                ck_assert_msg(ezc_xp_call(cu, reduce, &err, ops[k], d, axis, y) == 0, "%s",
                              err.msg);
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

/* Every reduction on the GPU against the CPU backend on the same data,
 * along every axis: float32/float64 with NaNs sprinkled in (no slice all
 * NaN), and integer dtypes (random bytes: wrapping sums and products).
 * Exact for min, max, arg* and median, and integer results (the same sequential
 * rules, selection gives the same values); moments and float products
 * within 1e-12 (float64) / 1e-5 (float32): the sums run in double in other
 * orders (the GPU's last-axis tree, the CPU's 16 lanes). */
static void reduce_vs_cpu(const ezc_array *h, int axis, ezc_reduce_op op)
{
    ezc_error err;
    ezc_dtype yt = ezc_reduce_dtype(op, h->dtype);
    int nd = h->tensor.ndim;
    int64_t os[EZC_MAX_DIMS];
    for (int i = 0, j = 0; i < nd; i++)
        if (i != axis)
            os[j++] = h->shape[i];
    ezc_array *hy = new_on(ezc_device_cpu(), yt, nd - 1, os);
    ezc_array *dy = new_on(ezc_device_cuda(0), yt, nd - 1, os);
    ezc_array *d = to(h, ezc_device_cuda(0));
    int hrc = ezc_xp_call(ezc_xp_cpu(), reduce, &err, op, h, axis, hy);
    ck_assert_msg(hrc == 0, "cpu: %s", err.msg);
    int drc = ezc_xp_call(cu, reduce, &err, op, d, axis, dy);
    ck_assert_msg(drc == 0, "cuda op %d %s axis %d: %s", (int)op, ezc_dtype_name(h->dtype), axis,
                  err.msg);
    ezc_array *got = to(dy, ezc_device_cpu());
    char what[64];
    snprintf(what, sizeof what, "reduce op %d %s axis %d", (int)op, ezc_dtype_name(h->dtype), axis);
    if (yt == EZC_FLOAT32 || yt == EZC_FLOAT64) {
        double tol = yt == EZC_FLOAT32 ? 1e-5 : 1e-12;
        for (size_t i = 0; i < ezc_array_size(hy); i++)
            close_enough(at(got, i), at(hy, i), tol, what, i);
    } else {
        ck_assert_msg(memcmp(ezc_array_data(got), ezc_array_data(hy), ezc_array_nbytes(hy)) == 0,
                      "%s: differs from the cpu", what);
    }
    ezc_array_destroy(&got);
    ezc_array_destroy(&d);
    ezc_array_destroy(&dy);
    ezc_array_destroy(&hy);
}

START_TEST(t_reduce_all_vs_cpu)
{
    ezc_error err;
    int64_t shape3[3] = {4, 37, 6}, shape2[2] = {3, 700};
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = ti ? EZC_FLOAT64 : EZC_FLOAT32;
        for (int sh = 0; sh < 2; sh++) {
            int nd = sh ? 2 : 3;
            ezc_array *h = host(t, nd, sh ? shape2 : shape3, 21);
            for (size_t i = 3; i < ezc_array_size(h); i += 17)
                re_set(h, i, NAN);
            for (int axis = 0; axis < nd; axis++)
                for (int op = 0; op < EZC_REDUCE_COUNT; op++)
                    reduce_vs_cpu(h, axis, (ezc_reduce_op)op);
            ezc_array_destroy(&h);
        }
    }
    ezc_dtype ints[5] = {EZC_INT8, EZC_INT16, EZC_UINT8, EZC_INT64, EZC_UINT32};
    for (int ti = 0; ti < 5; ti++) {
        ezc_array *h = new_on(ezc_device_cpu(), ints[ti], 3, shape3);
        unsigned char *p = ezc_array_data(h);
        srand(31 + (unsigned)ti);
        for (size_t i = 0; i < ezc_array_nbytes(h); i++)
            p[i] = (unsigned char)rand();
        if (ints[ti] == EZC_INT8) /* equal values: first occurrence must win */
            for (size_t i = 0; i < ezc_array_size(h); i += 5)
                ((int8_t *)p)[i] = -128;
        for (int axis = 0; axis < 3; axis++)
            for (int op = 0; op < EZC_REDUCE_COUNT; op++)
                reduce_vs_cpu(h, axis, (ezc_reduce_op)op);
        ezc_array_destroy(&h);
    }
    (void)err;
}
END_TEST

/* All-NaN slices: nanargmin/nanargmax refuse (EZC_ENUMERIC), as the CPU and
 * numpy; nanmin/nanmean/nanmedian give NaN, nansum 0. Empty axes: sum 0,
 * prod 1, median NaN, min and argmax refused. */
START_TEST(t_reduce_nan_and_empty)
{
    ezc_error err;
    int64_t shape[2] = {3, 4}, os[1] = {4};
    ezc_array *h = host(EZC_FLOAT64, 2, shape, 3);
    for (size_t r = 0; r < 3; r++)
        re_set(h, r * 4 + 2, NAN); /* column 2 all NaN */
    ezc_array *d = to(h, ezc_device_cuda(0));
    ezc_array *yi = new_on(ezc_device_cuda(0), EZC_INT64, 1, os);
    ezc_array *yf = new_on(ezc_device_cuda(0), EZC_FLOAT64, 1, os);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_NANARGMIN, d, 0, yi), EZC_ENUMERIC);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.reduce(nanargmin): all-NaN slice along axis 0"));
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_NANARGMAX, d, 0, yi), EZC_ENUMERIC);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_ARGMIN, d, 0, yi), 0);
    ezc_array *r = to(yi, ezc_device_cpu());
    ck_assert_int_eq(((int64_t *)ezc_array_data(r))[2], 0); /* the first NaN wins */
    ezc_array_destroy(&r);
    ezc_reduce_op nanres[3] = {EZC_REDUCE_NANMIN, EZC_REDUCE_NANMEAN, EZC_REDUCE_NANMEDIAN};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, nanres[k], d, 0, yf), 0);
        r = to(yf, ezc_device_cpu());
        ck_assert(isnan(((double *)ezc_array_data(r))[2]));
        ck_assert(!isnan(((double *)ezc_array_data(r))[1]));
        ezc_array_destroy(&r);
    }
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_NANSUM, d, 0, yf), 0);
    r = to(yf, ezc_device_cpu());
    ck_assert(((double *)ezc_array_data(r))[2] == 0.0);
    ezc_array_destroy(&r);
    /* wrong output dtype */
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_ARGMAX, d, 0, yf), EZC_EDTYPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "expected int64"));
    /* empty axis */
    int64_t es[2] = {0, 4};
    ezc_array *e = new_on(ezc_device_cuda(0), EZC_INT32, 2, es);
    ezc_array *ys = new_on(ezc_device_cuda(0), EZC_INT64, 1, os);
    ezc_array *ym = new_on(ezc_device_cuda(0), EZC_FLOAT64, 1, os);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_PROD, e, 0, ys), 0);
    r = to(ys, ezc_device_cpu());
    ck_assert_int_eq(((int64_t *)ezc_array_data(r))[3], 1);
    ezc_array_destroy(&r);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_SUM, e, 0, ys), 0);
    r = to(ys, ezc_device_cpu());
    ck_assert_int_eq(((int64_t *)ezc_array_data(r))[0], 0);
    ezc_array_destroy(&r);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_MEDIAN, e, 0, ym), 0);
    r = to(ym, ezc_device_cpu());
    ck_assert(isnan(((double *)ezc_array_data(r))[0]));
    ezc_array_destroy(&r);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_ARGMAX, e, 0, ys), EZC_ESHAPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "axis 0 has length 0"));
    ezc_array_destroy(&e);
    ezc_array_destroy(&ys);
    ezc_array_destroy(&ym);
    ezc_array_destroy(&yi);
    ezc_array_destroy(&yf);
    ezc_array_destroy(&d);
    ezc_array_destroy(&h);
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
    /* A table entry left NULL is reported by ezc_xp_call, naming op and backend. */
    ezc_xp partial = *cu;
    partial.diff = NULL;
    ck_assert_int_eq(ezc_xp_call(&partial, diff, &err, d, NULL, 0, d), EZC_ENOTSUP);
    ck_assert_str_eq(err.msg, "xp.diff is not implemented by the cuda backend");
    ezc_array *c64 = ezc_array_new(EZC_COMPLEX64, 1, shape, NULL, ezc_device_cuda(0), &err);
    ck_assert_int_eq(ezc_xp_call(cu, reduce, &err, EZC_REDUCE_MEDIAN, c64, 0, d), EZC_EDTYPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.reduce(median): dtype complex64 not supported"));
    ezc_array_destroy(&c64);
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

static const ezc_dtype float_types[2] = {EZC_FLOAT32, EZC_FLOAT64};

/* Every transpose combination of a (37 x 19) @ (19 x 23), and an empty
 * inner length, which must give zeros. */
START_TEST(t_matmul_vs_cpu)
{
    ezc_error err;
    const ezc_xp *cpu = ezc_xp_cpu();
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = float_types[ti];
        for (int tr = 0; tr < 4; tr++) {
            int ta = tr & 1, tb = tr >> 1;
            int64_t m = 37, k = 19, n = 23;
            int64_t sa[2] = {ta ? k : m, ta ? m : k}, sb[2] = {tb ? n : k, tb ? k : n};
            int64_t sc[2] = {m, n};
            ezc_array *ha = host(t, 2, sa, 21 + tr), *hb = host(t, 2, sb, 31 + tr);
            ezc_array *hc = new_on(ezc_device_cpu(), t, 2, sc);
            ck_assert_msg(cpu->matmul(ha, hb, hc, ta, tb, &err) == 0, "%s", err.msg);
            ezc_array *da = to(ha, ezc_device_cuda(0)), *db = to(hb, ezc_device_cuda(0));
            ezc_array *dc = new_on(ezc_device_cuda(0), t, 2, sc);
            ck_assert_msg(ezc_xp_call(cu, matmul, &err, da, db, dc, ta, tb) == 0, "%s", err.msg);
            match_cpu(dc, hc,
                      ta ? (tb ? "matmul a.T b.T" : "matmul a.T b")
                         : (tb ? "matmul a b.T" : "matmul a b"));
            ezc_array *arrs[6] = {ha, hb, hc, da, db, dc};
            for (int i = 0; i < 6; i++)
                ezc_array_destroy(&arrs[i]);
        }
        int64_t s0[2] = {3, 0}, s1[2] = {0, 4}, s2[2] = {3, 4};
        ezc_array *da = new_on(ezc_device_cuda(0), t, 2, s0),
                  *db = new_on(ezc_device_cuda(0), t, 2, s1);
        ezc_array *dc = new_on(ezc_device_cuda(0), t, 2, s2);
        ck_assert_int_eq(ezc_xp_call(cu, fill, &err, dc, 7.0), 0);
        ck_assert_msg(ezc_xp_call(cu, matmul, &err, da, db, dc, 0, 0) == 0, "%s", err.msg);
        ezc_array *hc = to(dc, ezc_device_cpu());
        for (size_t i = 0; i < 12; i++)
            ck_assert(re_at(hc, i) == 0.0);
        ezc_array_destroy(&hc);
        ezc_array_destroy(&da);
        ezc_array_destroy(&db);
        ezc_array_destroy(&dc);
    }
}
END_TEST

/* m @ m.T + n I: symmetric positive definite. */
static ezc_array *spd(ezc_dtype t, int64_t n, unsigned seed)
{
    ezc_error err;
    int64_t sh[2] = {n, n};
    ezc_array *m = host(t, 2, sh, seed), *a = new_on(ezc_device_cpu(), t, 2, sh);
    ck_assert_int_eq(ezc_xp_cpu()->matmul(m, m, a, 0, 1, &err), 0);
    for (int64_t i = 0; i < n; i++)
        re_set(a, (size_t)(i * n + i), re_at(a, (size_t)(i * n + i)) + (double)n);
    ezc_array_destroy(&m);
    return a;
}

START_TEST(t_cholesky_vs_cpu)
{
    ezc_error err;
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = float_types[ti];
        int64_t n = 33, sh[2] = {n, n};
        ezc_array *ha = spd(t, n, 51), *hl = new_on(ezc_device_cpu(), t, 2, sh);
        ck_assert_msg(ezc_xp_cpu()->cholesky(ha, hl, &err) == 0, "%s", err.msg);
        ezc_array *da = to(ha, ezc_device_cuda(0)), *dl = new_on(ezc_device_cuda(0), t, 2, sh);
        ck_assert_int_eq(ezc_xp_call(cu, fill, &err, dl, 9.0),
                         0); /* the upper part must be zeroed */
        ck_assert_msg(ezc_xp_call(cu, cholesky, &err, da, dl) == 0, "%s", err.msg);
        match_cpu(dl, hl, "cholesky");
        ezc_array *gl = to(dl, ezc_device_cpu());
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = i + 1; j < n; j++)
                ck_assert_msg(re_at(gl, (size_t)(i * n + j)) == 0.0, "l[%lld, %lld] not zero",
                              (long long)i, (long long)j);
        /* in place */
        ck_assert_msg(ezc_xp_call(cu, cholesky, &err, da, da) == 0, "%s", err.msg);
        match_cpu(da, hl, "cholesky in place");
        ezc_array *arrs[5] = {ha, hl, da, dl, gl};
        for (int i = 0; i < 5; i++)
            ezc_array_destroy(&arrs[i]);
    }
}
END_TEST

START_TEST(t_cholesky_not_pd)
{
    ezc_error err;
    for (int ti = 0; ti < 2; ti++) {
        int64_t sh[2] = {2, 2};
        ezc_array *h = new_on(ezc_device_cpu(), float_types[ti], 2, sh);
        double v[4] = {1, 2, 2, 1}; /* eigenvalues 3 and -1 */
        for (size_t i = 0; i < 4; i++)
            re_set(h, i, v[i]);
        ezc_array *d = to(h, ezc_device_cuda(0)),
                  *l = new_on(ezc_device_cuda(0), float_types[ti], 2, sh);
        ck_assert_int_eq(ezc_xp_call(cu, cholesky, &err, d, l), EZC_ENUMERIC);
        ck_assert_ptr_nonnull(strstr(err.msg, "xp.cholesky: matrix is not positive definite"));
        ck_assert_ptr_nonnull(strstr(err.msg, "order 2"));
        ezc_array_destroy(&h);
        ezc_array_destroy(&d);
        ezc_array_destroy(&l);
    }
}
END_TEST

START_TEST(t_solve_vs_cpu)
{
    ezc_error err;
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = float_types[ti];
        int64_t n = 29, sa[2] = {n, n}, sb2[2] = {n, 5}, sb1[1] = {n};
        ezc_array *ha = host(t, 2, sa, 61);
        for (int64_t i = 0; i < n; i++) /* diagonally dominant: well conditioned */
            re_set(ha, (size_t)(i * n + i), re_at(ha, (size_t)(i * n + i)) + 4.0 * (double)n);
        ezc_array *da = to(ha, ezc_device_cuda(0));
        for (int nd = 1; nd <= 2; nd++) {
            const int64_t *sb = nd == 2 ? sb2 : sb1;
            ezc_array *hb = host(t, nd, sb, 62 + nd), *hx = new_on(ezc_device_cpu(), t, nd, sb);
            ck_assert_msg(ezc_xp_cpu()->solve(ha, hb, hx, &err) == 0, "%s", err.msg);
            ezc_array *db = to(hb, ezc_device_cuda(0)), *dx = new_on(ezc_device_cuda(0), t, nd, sb);
            ck_assert_msg(ezc_xp_call(cu, solve, &err, da, db, dx) == 0, "%s", err.msg);
            match_cpu(dx, hx, nd == 2 ? "solve (29 x 5)" : "solve (29,)");
            /* b untouched, and x = b in place */
            match_cpu(db, hb, "solve keeps b");
            ck_assert_msg(ezc_xp_call(cu, solve, &err, da, db, db) == 0, "%s", err.msg);
            match_cpu(db, hx, "solve in place");
            ezc_array_destroy(&hb);
            ezc_array_destroy(&hx);
            ezc_array_destroy(&db);
            ezc_array_destroy(&dx);
        }
        match_cpu(da, ha, "solve keeps a");
        ezc_array_destroy(&ha);
        ezc_array_destroy(&da);
    }
}
END_TEST

START_TEST(t_solve_singular)
{
    ezc_error err;
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = float_types[ti];
        int64_t sa[2] = {6, 6}, sb[1] = {6};
        ezc_array *ha = host(t, 2, sa, 71);
        for (size_t j = 0; j < 6; j++) /* a zero row: exactly singular */
            re_set(ha, 3 * 6 + j, 0.0);
        ezc_array *hb = host(t, 1, sb, 72);
        ezc_array *da = to(ha, ezc_device_cuda(0)), *db = to(hb, ezc_device_cuda(0));
        ezc_array *dx = new_on(ezc_device_cuda(0), t, 1, sb);
        ck_assert_int_eq(ezc_xp_call(cu, solve, &err, da, db, dx), EZC_ENUMERIC);
        ck_assert_ptr_nonnull(strstr(err.msg, "xp.solve: matrix is singular"));
        ezc_array *arrs[5] = {ha, hb, da, db, dx};
        for (int i = 0; i < 5; i++)
            ezc_array_destroy(&arrs[i]);
    }
}
END_TEST

/* a = q diag(2, 4, ..., 2n) q.T with q orthogonal (eigenvectors of a random
 * symmetric matrix): eigenvalue gaps of 2 keep the eigenvectors well
 * determined in float32 too. Eigenvalues as the CPU's, ascending;
 * eigenvectors (unit columns) up to each column's sign, within the tolerance
 * absolute. */
START_TEST(t_eigh_vs_cpu)
{
    ezc_error err;
    int64_t n = 24, sh[2] = {n, n}, sw[1] = {n};
    ezc_array *m = host(EZC_FLOAT64, 2, sh, 81),
              *sym = new_on(ezc_device_cpu(), EZC_FLOAT64, 2, sh);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            re_set(sym, (size_t)(i * n + j),
                   0.5 * (re_at(m, (size_t)(i * n + j)) + re_at(m, (size_t)(j * n + i))));
    ezc_array *qw = new_on(ezc_device_cpu(), EZC_FLOAT64, 1, sw),
              *q = new_on(ezc_device_cpu(), EZC_FLOAT64, 2, sh);
    ck_assert_msg(ezc_xp_cpu()->eigh(sym, qw, q, &err) == 0, "%s", err.msg);
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = float_types[ti];
        ezc_array *ha = new_on(ezc_device_cpu(), t, 2, sh);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double v = 0;
                for (int64_t p = 0; p < n; p++)
                    v += re_at(q, (size_t)(i * n + p)) * 2.0 * (double)(p + 1) *
                         re_at(q, (size_t)(j * n + p));
                re_set(ha, (size_t)(i * n + j), v);
            }
        for (int64_t i = 0; i < n; i++) /* exactly symmetric after rounding */
            for (int64_t j = 0; j < i; j++)
                re_set(ha, (size_t)(j * n + i), re_at(ha, (size_t)(i * n + j)));
        ezc_array *hw = new_on(ezc_device_cpu(), t, 1, sw),
                  *hv = new_on(ezc_device_cpu(), t, 2, sh);
        ck_assert_msg(ezc_xp_cpu()->eigh(ha, hw, hv, &err) == 0, "%s", err.msg);
        ezc_array *da = to(ha, ezc_device_cuda(0));
        ezc_array *dw = new_on(ezc_device_cuda(0), t, 1, sw),
                  *dv = new_on(ezc_device_cuda(0), t, 2, sh);
        ck_assert_msg(ezc_xp_call(cu, eigh, &err, da, dw, dv) == 0, "%s", err.msg);
        match_cpu(dw, hw, "eigh w");
        ezc_array *gw = to(dw, ezc_device_cpu()), *gv = to(dv, ezc_device_cpu());
        for (int64_t i = 0; i < n; i++) /* ascending: 2, 4, ..., 2n */
            ck_assert_msg(fabs(re_at(gw, (size_t)i) - 2.0 * (double)(i + 1)) < 1e-3, "w[%lld] = %g",
                          (long long)i, re_at(gw, (size_t)i));
        for (int64_t j = 0; j < n; j++) {
            double dot = 0;
            for (int64_t i = 0; i < n; i++)
                dot += re_at(gv, (size_t)(i * n + j)) * re_at(hv, (size_t)(i * n + j));
            double sgn = dot < 0 ? -1.0 : 1.0;
            for (int64_t i = 0; i < n; i++) {
                double g = sgn * re_at(gv, (size_t)(i * n + j)), w = re_at(hv, (size_t)(i * n + j));
                ck_assert_msg(fabs(g - w) <= tol_of(t),
                              "eigh (%s) v[%lld, %lld]: %.17g vs cpu %.17g", ezc_dtype_name(t),
                              (long long)i, (long long)j, g, w);
            }
        }
        ezc_array *arrs[8] = {ha, hw, hv, da, dw, dv, gw, gv};
        for (int i = 0; i < 8; i++)
            ezc_array_destroy(&arrs[i]);
    }
    ezc_array_destroy(&m);
    ezc_array_destroy(&sym);
    ezc_array_destroy(&q);
    ezc_array_destroy(&qw);
}
END_TEST

/* Tall, wide and square: singular values as the CPU's, u and vt with
 * orthonormal rows/columns, and u diag(s) vt = a. */
START_TEST(t_svd_vs_cpu)
{
    ezc_error err;
    int64_t shapes[3][2] = {{13, 7}, {7, 13}, {9, 9}};
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = float_types[ti];
        double tol = tol_of(t);
        for (int si = 0; si < 3; si++) {
            int64_t m = shapes[si][0], n = shapes[si][1], k = m < n ? m : n;
            int64_t su[2] = {m, k}, ss[1] = {k}, sv[2] = {k, n};
            ezc_array *ha = host(t, 2, shapes[si], 91 + (unsigned)si);
            ezc_array *hu = new_on(ezc_device_cpu(), t, 2, su),
                      *hs = new_on(ezc_device_cpu(), t, 1, ss);
            ezc_array *hv = new_on(ezc_device_cpu(), t, 2, sv);
            ck_assert_msg(ezc_xp_cpu()->svd(ha, hu, hs, hv, &err) == 0, "%s", err.msg);
            ezc_array *da = to(ha, ezc_device_cuda(0));
            ezc_array *du = new_on(ezc_device_cuda(0), t, 2, su),
                      *ds = new_on(ezc_device_cuda(0), t, 1, ss);
            ezc_array *dv = new_on(ezc_device_cuda(0), t, 2, sv);
            ck_assert_msg(ezc_xp_call(cu, svd, &err, da, du, ds, dv) == 0, "%s", err.msg);
            match_cpu(ds, hs, "svd s");
            match_cpu(da, ha, "svd keeps a");
            ezc_array *gu = to(du, ezc_device_cpu()), *gs = to(ds, ezc_device_cpu());
            ezc_array *gv = to(dv, ezc_device_cpu());
            double big = 0;
            for (size_t i = 0; i < (size_t)(m * n); i++)
                big = fmax(big, fabs(re_at(ha, i)));
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double r = 0;
                    for (int64_t p = 0; p < k; p++)
                        r += re_at(gu, (size_t)(i * k + p)) * re_at(gs, (size_t)p) *
                             re_at(gv, (size_t)(p * n + j));
                    ck_assert_msg(fabs(r - re_at(ha, (size_t)(i * n + j))) <= tol * big,
                                  "svd (%s) %lldx%lld: (u s vt)[%lld, %lld] = %.17g, a = %.17g",
                                  ezc_dtype_name(t), (long long)m, (long long)n, (long long)i,
                                  (long long)j, r, re_at(ha, (size_t)(i * n + j)));
                }
            for (int64_t p = 0; p < k; p++)
                for (int64_t q = 0; q < k; q++) {
                    double uu = 0, vv = 0;
                    for (int64_t i = 0; i < m; i++)
                        uu += re_at(gu, (size_t)(i * k + p)) * re_at(gu, (size_t)(i * k + q));
                    for (int64_t j = 0; j < n; j++)
                        vv += re_at(gv, (size_t)(p * n + j)) * re_at(gv, (size_t)(q * n + j));
                    ck_assert_msg(fabs(uu - (p == q)) <= tol && fabs(vv - (p == q)) <= tol,
                                  "svd (%s): u.T u or vt vt.T not the identity at [%lld, %lld]",
                                  ezc_dtype_name(t), (long long)p, (long long)q);
                }
            ezc_array *arrs[11] = {ha, hu, hs, hv, da, du, ds, dv, gu, gs, gv};
            for (int i = 0; i < 11; i++)
                ezc_array_destroy(&arrs[i]);
        }
    }
}
END_TEST

/* Every kind along each axis of a (5, 64, 3) array (the last one named -1),
 * with n shorter than, equal to and longer than the axis (truncation, the
 * direct path, zero padding), both precisions; twice, the second time
 * through cached plans. irfft's input has zero imaginary parts at 0 and the
 * Nyquist bins, so its result does not depend on how a library treats them. */
START_TEST(t_fft_vs_cpu)
{
    ezc_error err;
    static const char *names[4] = {"rfft", "fft", "ifft", "irfft"};
    int64_t shape[3] = {5, 64, 3};
    int axes[3] = {0, 1, -1};
    for (int rep = 0; rep < 2; rep++)
        for (int pi = 0; pi < 2; pi++) {
            ezc_dtype rt = pi ? EZC_FLOAT64 : EZC_FLOAT32, ct = pi ? EZC_COMPLEX128 : EZC_COMPLEX64;
            ezc_array *xr = host(rt, 3, shape, 101), *xc = host(ct, 3, shape, 103);
            for (int ai = 0; ai < 3; ai++) {
                int ax = ai == 2 ? 2 : axes[ai];
                int64_t len = shape[ax];
                ezc_array *xh = ezc_array_copy(xc, &err);
                ck_assert_ptr_nonnull(xh);
                size_t outer, nx, inner;
                ezc_array_split(xh, ax, &outer, &nx, &inner);
                size_t zero_at[3] = {0, (size_t)(len - 1) / 2, (size_t)len / 2};
                for (size_t o = 0; o < outer; o++)
                    for (size_t q = 0; q < inner; q++)
                        for (int z = 0; z < 3; z++)
                            re_set(xh, 2 * ((o * nx + zero_at[z]) * inner + q) + 1, 0.0);
                for (int kind = 0; kind < 4; kind++) {
                    int64_t ns[3] = {len - 1, len, 2 * len + 3};
                    for (int ni = 0; ni < 3; ni++) {
                        int64_t n = ns[ni];
                        const ezc_array *x = kind == EZC_FFT_R2C   ? xr
                                             : kind == EZC_FFT_C2R ? xh
                                                                   : xc;
                        ezc_dtype yt = kind == EZC_FFT_C2R ? rt : ct;
                        int64_t ys[3] = {shape[0], shape[1], shape[2]};
                        ys[ax] = kind == EZC_FFT_R2C ? n / 2 + 1 : n;
                        ezc_array *hy = new_on(ezc_device_cpu(), yt, 3, ys);
                        ck_assert_msg(
                            ezc_xp_cpu()->fft((ezc_fft_kind)kind, x, axes[ai], n, hy, &err) == 0,
                            "%s", err.msg);
                        ezc_array *dx = to(x, ezc_device_cuda(0)),
                                  *dy = new_on(ezc_device_cuda(0), yt, 3, ys);
                        ck_assert_msg(ezc_xp_call(cu, fft, &err, (ezc_fft_kind)kind, dx, axes[ai],
                                                  n, dy) == 0,
                                      "%s", err.msg);
                        char what[64];
                        snprintf(what, sizeof what, "%s axis %d n %lld", names[kind], axes[ai],
                                 (long long)n);
                        match_cpu(dy, hy, what);
                        ezc_array_destroy(&hy);
                        ezc_array_destroy(&dx);
                        ezc_array_destroy(&dy);
                    }
                }
                ezc_array_destroy(&xh);
            }
            ezc_array_destroy(&xr);
            ezc_array_destroy(&xc);
        }
}
END_TEST

START_TEST(t_linalg_fft_errors)
{
    ezc_error err;
    int64_t s23[2] = {2, 3}, s44[2] = {4, 4}, s4[1] = {4};
    ezc_array *a = new_on(ezc_device_cuda(0), EZC_FLOAT64, 2, s23);
    ezc_array *c = new_on(ezc_device_cuda(0), EZC_FLOAT64, 2, s44);
    ck_assert_int_eq(ezc_xp_call(cu, matmul, &err, a, a, c, 0, 0), EZC_ESHAPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.matmul: a (2, 3) and b (2, 3) do not fit"));
    ck_assert_int_eq(ezc_xp_call(cu, cholesky, &err, a, c), EZC_ESHAPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.cholesky: a must be square, got shape (2, 3)"));
    ezc_array *f = new_on(ezc_device_cuda(0), EZC_FLOAT32, 2, s44);
    ck_assert_int_eq(ezc_xp_call(cu, cholesky, &err, c, f), EZC_EDTYPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.cholesky: l has dtype float32, expected float64"));
    ezc_array *z = new_on(ezc_device_cuda(0), EZC_COMPLEX64, 1, s4);
    ck_assert_int_eq(ezc_xp_call(cu, fft, &err, EZC_FFT_R2C, z, 0, 4, z), EZC_EDTYPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.fft(rfft): x has dtype complex64"));
    ezc_array *r = new_on(ezc_device_cuda(0), EZC_FLOAT32, 1, s4);
    ck_assert_int_eq(ezc_xp_call(cu, fft, &err, EZC_FFT_R2C, r, 0, 4, z), EZC_ESHAPE);
    ck_assert_ptr_nonnull(
        strstr(err.msg, "xp.fft(rfft): y must have x's shape with 3 along axis 0"));
    ck_assert_int_eq(ezc_xp_call(cu, fft, &err, EZC_FFT_C2C, z, 0, 0, z), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "xp.fft(fft): length n = 0"));
    ck_assert_int_eq(ezc_xp_call(cu, unary, &err, EZC_UNARY_ABS, z, z), EZC_EDTYPE);
    ck_assert_ptr_nonnull(
        strstr(err.msg, "dtype complex64 not supported on cuda (float32, float64)"));
    ezc_array *arrs[5] = {a, c, f, z, r};
    for (int i = 0; i < 5; i++)
        ezc_array_destroy(&arrs[i]);
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
    tcase_add_test(tc, t_reduce_all_vs_cpu);
    tcase_add_test(tc, t_reduce_nan_and_empty);
    tcase_add_test(tc, t_allocator_reuses_blocks);
    tcase_add_test(tc, t_errors);
    tcase_add_test(tc, t_transformer_runs_on_gpu);
    tcase_add_test(tc, t_matmul_vs_cpu);
    tcase_add_test(tc, t_cholesky_vs_cpu);
    tcase_add_test(tc, t_cholesky_not_pd);
    tcase_add_test(tc, t_solve_vs_cpu);
    tcase_add_test(tc, t_solve_singular);
    tcase_add_test(tc, t_eigh_vs_cpu);
    tcase_add_test(tc, t_svd_vs_cpu);
    tcase_add_test(tc, t_fft_vs_cpu);
    tcase_add_test(tc, t_linalg_fft_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr,
                            CK_NOFORK); /* a forked child cannot use the parent's CUDA context */
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
