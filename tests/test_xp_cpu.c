/* test_xp_cpu.c — the CPU array namespace against numpy references.
 *
 * References come from tests/ref/gen_xp_ref.py (xp_ref.bin + xp_ref.txt).
 * Tolerances: |got - ref| <= tol * max(|ref|, 1) with tol = 1e-12 for
 * float64 and 1e-5 for float32 results (FFTs scale by the largest |ref| of
 * the array instead, as their error grows with the norm); integer, index and
 * data-movement results must match exactly. NaN must meet NaN, inf the same
 * inf. */
#include <check.h>
#include <complex.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"
#include "tf_test.h"

#define TOL64 1e-12
#define TOL32 1e-5

/* ---- references (tests/support/tf_test.c reads them) -------------------- */

/* A new CPU array holding the reference `name`. */
static ezc_array *ref(const char *name)
{
    return tc_ref("%s", name);
}

static ezc_array *reff(const char *fmt, const char *s)
{
    char name[64];
    snprintf(name, sizeof name, fmt, s);
    return ref(name);
}

/* An array of dtype/shape, filled with a byte pattern no result has. */
static ezc_array *empty(ezc_dtype t, int nd, const int64_t *shape)
{
    ezc_array *a = ezc_array_new(t, nd, shape, NULL, ezc_device_cpu(), NULL);
    ck_assert_ptr_nonnull(a);
    memset(ezc_array_data(a), 0xA5, ezc_array_nbytes(a));
    return a;
}
static ezc_array *like(const ezc_array *r)
{
    return empty(r->dtype, r->tensor.ndim, r->shape);
}
static ezc_array *like_t(const ezc_array *r, ezc_dtype t)
{
    return empty(t, r->tensor.ndim, r->shape);
}
static ezc_array *clone_data(const ezc_array *r)
{
    ezc_array *a = like(r);
    memcpy(ezc_array_data(a), ezc_array_data(r), ezc_array_nbytes(r));
    return a;
}

static double tol_of(ezc_dtype t)
{
    return ezc_dtype_real(t) == EZC_FLOAT32 ? TOL32 : TOL64;
}

/* Element i as a double (the real part), and its imaginary part. */
static double elem(const ezc_array *a, size_t i, double *im)
{
    const void *p = ezc_array_data(a);
    *im = 0;
    switch (a->dtype) {
    case EZC_FLOAT32: return ((const float *)p)[i];
    case EZC_FLOAT64: return ((const double *)p)[i];
    case EZC_INT8: return ((const int8_t *)p)[i];
    case EZC_INT16: return ((const int16_t *)p)[i];
    case EZC_INT32: return ((const int32_t *)p)[i];
    case EZC_INT64: return (double)((const int64_t *)p)[i];
    case EZC_UINT8: return ((const uint8_t *)p)[i];
    case EZC_UINT16: return ((const uint16_t *)p)[i];
    case EZC_UINT32: return ((const uint32_t *)p)[i];
    case EZC_UINT64: return (double)((const uint64_t *)p)[i];
    case EZC_BOOL: return ((const uint8_t *)p)[i];
    case EZC_COMPLEX64:
        *im = cimagf(((const float complex *)p)[i]);
        return crealf(((const float complex *)p)[i]);
    case EZC_COMPLEX128:
        *im = cimag(((const double complex *)p)[i]);
        return creal(((const double complex *)p)[i]);
    default: return NAN;
    }
}

static int close_to(double g, double w, double tol, double scale)
{
    if (isnan(w))
        return isnan(g);
    if (isinf(w))
        return g == w;
    return fabs(g - w) <= tol * fmax(fabs(w), scale);
}

static void expect_shape(const ezc_array *got, const ezc_array *want, const char *what)
{
    ck_assert_msg(got->tensor.ndim == want->tensor.ndim, "%s: ndim %d != %d", what,
                  got->tensor.ndim, want->tensor.ndim);
    for (int d = 0; d < got->tensor.ndim; d++)
        ck_assert_msg(got->shape[d] == want->shape[d], "%s: shape[%d] %lld != %lld", what, d,
                      (long long)got->shape[d], (long long)want->shape[d]);
}

/* Element-wise closeness; `scale` floors the relative tolerance's base. */
static void expect_close_s(const ezc_array *got, const ezc_array *want, double tol, double scale,
                           const char *what)
{
    expect_shape(got, want, what);
    for (size_t i = 0; i < ezc_array_size(want); i++) {
        double gi, wi, g = elem(got, i, &gi), w = elem(want, i, &wi);
        ck_assert_msg(close_to(g, w, tol, scale) && close_to(gi, wi, tol, scale),
                      "%s[%zu]: got %.17g%+.17gi, want %.17g%+.17gi (tol %g)", what, i, g, gi, w,
                      wi, tol);
    }
}
static void expect_close(const ezc_array *got, const ezc_array *want, const char *what)
{
    ck_assert_msg(got->dtype == want->dtype, "%s: dtype %s, want %s", what,
                  ezc_dtype_name(got->dtype), ezc_dtype_name(want->dtype));
    expect_close_s(got, want, tol_of(want->dtype), 1.0, what);
}

static double max_abs(const ezc_array *a)
{
    double m = 0;
    for (size_t i = 0; i < ezc_array_size(a); i++) {
        double im, re = elem(a, i, &im);
        m = fmax(m, hypot(re, im));
    }
    return m;
}

static void expect_equal(const ezc_array *got, const ezc_array *want, const char *what)
{
    ck_assert_msg(got->dtype == want->dtype, "%s: dtype %s, want %s", what,
                  ezc_dtype_name(got->dtype), ezc_dtype_name(want->dtype));
    expect_shape(got, want, what);
    size_t isz = ezc_dtype_size(got->dtype);
    for (size_t i = 0; i < ezc_array_size(want); i++)
        if (memcmp((char *)ezc_array_data(got) + i * isz, (char *)ezc_array_data(want) + i * isz,
                   isz)) {
            double gi, wi, g = elem(got, i, &gi), w = elem(want, i, &wi);
            ck_abort_msg("%s[%zu]: got %.17g, want %.17g", what, i, g, w);
        }
}

static void free_all(ezc_array **as, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ezc_array_destroy(&as[i]);
}
#define FREE(...)                                                                                  \
    do {                                                                                           \
        ezc_array *list_[] = {__VA_ARGS__};                                                        \
        free_all(list_, sizeof list_ / sizeof list_[0]);                                           \
    } while (0)

#define OK(call)                                                                                   \
    do {                                                                                           \
        ezc_error e_ = {0};                                                                        \
        int rc_ = (call);                                                                          \
        ck_assert_msg(rc_ == 0, "%s -> %d: %s", #call, rc_, e_.msg);                               \
    } while (0)
/* `call` must use `e_` as its error argument. */
#define FAILS(call, want_code, substr)                                                             \
    do {                                                                                           \
        ezc_error e_ = {0};                                                                        \
        int rc_ = (call);                                                                          \
        ck_assert_msg(rc_ == (want_code), "%s -> %d (want %d): %s", #call, rc_, (want_code),       \
                      e_.msg);                                                                     \
        ck_assert_int_eq(e_.code, (want_code));                                                    \
        ck_assert_msg(strstr(e_.msg, (substr)), "message '%s' lacks '%s'", e_.msg, (substr));      \
    } while (0)

static const char *const precisions[] = {"f32", "f64"};

/* ---- element-wise ------------------------------------------------------- */

START_TEST(t_unary_float)
{
    const ezc_xp *xp = ezc_xp_cpu();
    static const struct {
        ezc_unary_op op;
        const char *name;
        int pos;
    } ops[] = {
        {EZC_UNARY_ABS, "abs", 0},       {EZC_UNARY_NEG, "neg", 0},
        {EZC_UNARY_SQUARE, "square", 0}, {EZC_UNARY_SIGN, "sign", 0},
        {EZC_UNARY_EXP, "exp", 0},       {EZC_UNARY_RECIPROCAL, "reciprocal", 0},
        {EZC_UNARY_SQRT, "sqrt", 1},     {EZC_UNARY_LOG, "log", 1},
        {EZC_UNARY_LOG2, "log2", 1},     {EZC_UNARY_LOG10, "log10", 1},
        {EZC_UNARY_SIN, "sin", 0},       {EZC_UNARY_COS, "cos", 0},
    };
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *x = reff("u_x_%s", s), *pos = reff("u_pos_%s", s);
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            char name[64];
            snprintf(name, sizeof name, "u_%s_%s", ops[k].name, s);
            const ezc_array *in = ops[k].pos ? pos : x;
            ezc_array *want = ref(name), *y = like(in), *yy = clone_data(in);
            OK(xp->unary(ops[k].op, in, y, &e_));
            expect_close(y, want, name);
            OK(xp->unary(ops[k].op, yy, yy, &e_)); /* in place */
            expect_close(yy, want, name);
            FREE(want, y, yy);
        }
        FREE(x, pos);
    }
}
END_TEST

/* xp.log_base: ln(x) / ln(base) in one pass, rounded as numpy's
 * np.log(x) / np.log(base) in the dtype: float64 is within an ulp of libm's
 * log divided by log(base) (both logs are about half an ulp from the exact
 * ln: t_ln_f64_accuracy; they differ on ~0.05% of doubles); float32 is the correctly rounded logf divided by
 * (float)log(base), here against (float)log((double)x), which is correctly
 * rounded but on x = 0x1.2f1fd6p+3 and 0x1.827a74p-7 (one ulp off: rounded
 * twice; their correct roundings are written in): bit for bit. Sweeps every float32 exponent and denormals, values near 1, powers
 * of the base, specials; in place and not; the same as unary LOG then a
 * division. The AVX-512 and portable loops are both checked through the
 * log transformer (tf_elementwise and tf_elementwise_baseline). */
static size_t log_base_inputs(float *v)
{
    size_t n = 0;
    static const uint32_t mant[] = {0,        1,        0x7fffff, 0x400000, 0x123457,
                                    0x3504f3, 0x330000, 0x4d0000, 0x5fffff};
    for (uint32_t e = 0; e < 255; e++) /* e = 0: denormals (and +0) */
        for (size_t m = 0; m < sizeof mant / sizeof *mant; m++) {
            uint32_t b = e << 23 | mant[m];
            memcpy(&v[n++], &b, 4);
        }
    for (int k = -300; k <= 300; k++) /* 1 and its neighbours */
        v[n++] = nextafterf(1.0f, k < 0 ? 0.0f : 2.0f) + (float)k * 0x1p-24f;
    for (int k = -37; k <= 38; k++)
        v[n++] = (float)pow(10.0, k);
    for (int k = -149; k <= 127; k += 7)
        v[n++] = ldexpf(1.0f, k);
    uint32_t seed = 12345;
    for (int k = 0; k < 4000; k++) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t b = seed & 0x7fffffffu;
        memcpy(&v[n++], &b, 4);
    }
    const float special[] = {0.0f,      -0.0f, -1.0f,   -FLT_MIN,       INFINITY,
                             -INFINITY, NAN,   FLT_MAX, 0x1.2f1fd6p+3f, 0x1.827a74p-7f};
    for (size_t k = 0; k < sizeof special / sizeof *special; k++)
        v[n++] = special[k];
    return n;
}

static int64_t ulps_apart(double g, double w, int f32)
{
    if (isnan(g) || isnan(w))
        return isnan(g) && isnan(w) ? 0 : INT64_MAX;
    if (signbit(g) != signbit(w))
        return g == w ? 0 : INT64_MAX;
    if (f32) {
        float gf = (float)g, wf = (float)w;
        int32_t a, b;
        memcpy(&a, &gf, 4);
        memcpy(&b, &wf, 4);
        return llabs((long long)a - b);
    }
    int64_t a, b;
    memcpy(&a, &g, 8);
    memcpy(&b, &w, 8);
    return a > b ? a - b : b - a;
}

/* The float64 natural log against logl (x87 long double: 11 more bits),
 * error in ulps of the double result: at most 0.53 (libm's bound is 0.52;
 * the AVX-512 loop measured 0.528 at worst over 10^6 values against 50
 * digits). 200,000 random positive doubles over every exponent
 * (denormals included), 20,000 within 2^-10 of 1, and both sides of each
 * reduction interval's edge (the top 4 bits above 0x3fe66 of the bits). */
START_TEST(t_ln_f64_accuracy)
{
    const ezc_xp *xp = ezc_xp_cpu();
    int64_t n = 200000 + 20000 + 17 * 3 * 3;
    ezc_array *x = empty(EZC_FLOAT64, 1, &n), *y = empty(EZC_FLOAT64, 1, &n);
    double *xv = ezc_array_data(x);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int64_t k = 0;
    for (; k < 200000; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t b = (seed >> 1) % 0x7ff0000000000000ull; /* positive, finite */
        memcpy(&xv[k], &b, 8);
        if (xv[k] == 0)
            xv[k] = 1.0;
    }
    for (int j = 0; j < 20000; j++, k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        xv[k] = 1.0 + ((double)(seed >> 11) * 0x1p-53 - 0.5) * 0x1p-9;
    }
    for (uint64_t i = 0; i <= 16; i++)
        for (int d = -1; d <= 1; d++)
            for (int sc = -1; sc <= 1; sc++, k++) {
                uint64_t b = 0x3fe6600000000000ull + (i << 48) + (uint64_t)(int64_t)d;
                memcpy(&xv[k], &b, 8);
                xv[k] = ldexp(xv[k], 40 * sc);
            }
    OK(xp->unary(EZC_UNARY_LOG, x, y, &e_));
    const double *yv = ezc_array_data(y);
    double worst = 0, at = 0;
    for (int64_t i = 0; i < n; i++) {
        long double t = logl((long double)xv[i]);
        double td = (double)t;
        if (td == 0) {
            ck_assert_msg(yv[i] == 0, "ln(%a) = %a, want 0", xv[i], yv[i]);
            continue;
        }
        double ulp = nextafter(fabs(td), INFINITY) - fabs(td);
        double e = (double)(fabsl((long double)yv[i] - t) / ulp);
        if (e > worst)
            worst = e, at = xv[i];
    }
    printf("float64 ln: at most %.4f ulp from logl (x = %a)\n", worst, at);
    ck_assert_msg(worst <= 0.53, "float64 ln: %.4f ulp from logl at x = %a", worst, at);
    FREE(x, y);
}
END_TEST

START_TEST(t_log_base)
{
    const ezc_xp *xp = ezc_xp_cpu();
    float *v = malloc(8000 * sizeof *v);
    int64_t n = (int64_t)log_base_inputs(v);
    const double bases[] = {10, 2, M_E, 3, 0.5, 1e-3, 1.0001};
    for (int p = 0; p < 2; p++) {
        ezc_dtype t = p ? EZC_FLOAT64 : EZC_FLOAT32;
        ezc_array *x = empty(t, 1, &n), *y = empty(t, 1, &n), *z = empty(t, 1, &n);
        for (int64_t i = 0; i < n; i++) {
            double d = p ? (double)v[i] * (1.0 + 0x1p-40 * (double)(i % 7)) : v[i];
            if (p)
                ((double *)ezc_array_data(x))[i] = d;
            else
                ((float *)ezc_array_data(x))[i] = v[i];
        }
        for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
            double lb = log(bases[b]);
            OK(xp->log_base(x, y, bases[b], &e_));
            for (int64_t i = 0; i < n; i++) {
                double im, xi = elem(x, (size_t)i, &im), g = elem(y, (size_t)i, &im);
                float lf = xi == 0x1.2f1fd6p+3   ? 0x1.1fcbcep+1f
                           : xi == 0x1.827a74p-7 ? -0x1.1c2b1ep+2f
                                                 : (float)log(xi); /* see above */
                double w = p ? log(xi) / lb : (double)(lf / (float)lb);
                ck_assert_msg(ulps_apart(g, w, !p) <= p,
                              "log_base %s base %g: x = %a gives %a, want %a", precisions[p],
                              bases[b], xi, g, w);
            }
            /* in place, and unary LOG then a division by ln(base), agree */
            OK(xp->copy(x, z, &e_));
            OK(xp->log_base(z, z, bases[b], &e_));
            expect_equal(z, y, "log_base in place");
            ezc_array *den = like(x);
            OK(xp->fill(den, lb, &e_));
            OK(xp->unary(EZC_UNARY_LOG, x, z, &e_));
            OK(xp->binary(EZC_BINARY_DIV, z, den, z, &e_));
            expect_equal(z, y, "unary log then div");
            FREE(den);
        }
        FREE(x, y, z);
    }
    free(v);
    int64_t three = 3;
    ezc_array *x = empty(EZC_FLOAT32, 1, &three), *i = empty(EZC_INT32, 1, &three);
    ezc_array *d = empty(EZC_FLOAT64, 1, &three);
    FAILS(xp->log_base(x, x, 1.0, &e_), EZC_EINVAL, "xp.log_base: base (1)");
    FAILS(xp->log_base(x, x, -2.0, &e_), EZC_EINVAL, "must be positive");
    FAILS(xp->log_base(x, x, INFINITY, &e_), EZC_EINVAL, "xp.log_base: base");
    FAILS(xp->log_base(i, i, 10.0, &e_), EZC_EDTYPE, "log_base");
    FAILS(xp->log_base(x, d, 10.0, &e_), EZC_EDTYPE, "log_base");
    FREE(x, i, d);
}
END_TEST

START_TEST(t_unary_int_complex)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = ref("abs_x_i16"), *want = ref("abs_y_i16"), *y = like(x);
    OK(xp->unary(EZC_UNARY_ABS, x, y, &e_));
    expect_equal(y, want, "abs int16 (abs(-32768) wraps to -32768 as numpy)");
    FREE(x, want, y);

    x = ref("c_x_c64");
    want = ref("c_abs_c64");
    y = like_t(x, EZC_FLOAT32);
    OK(xp->unary(EZC_UNARY_ABS, x, y, &e_));
    expect_close(y, want, "abs complex64 -> float32");
    ezc_array *neg = ref("c_neg_c64"), *yn = like(x);
    OK(xp->unary(EZC_UNARY_NEG, x, yn, &e_));
    expect_close(yn, neg, "neg complex64");
    FREE(x, want, y, neg, yn);

    x = ref("c_x_c128");
    ezc_array *sq = ref("c_square_c128"), *rc = ref("c_reciprocal_c128");
    ezc_array *ysq = like(x), *yrc = clone_data(x);
    OK(xp->unary(EZC_UNARY_SQUARE, x, ysq, &e_));
    expect_close(ysq, sq, "square complex128");
    OK(xp->unary(EZC_UNARY_RECIPROCAL, yrc, yrc, &e_));
    expect_close(yrc, rc, "reciprocal complex128 in place");
    FREE(x, sq, rc, ysq, yrc);
}
END_TEST

START_TEST(t_clip)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *x = reff("clip_x_%s", s), *w1 = reff("clip_y_%s", s);
        ezc_array *w2 = reff("clip_inf_%s", s), *y = like(x), *yy = clone_data(x);
        OK(xp->clip(x, y, -0.5, 0.75, &e_));
        expect_close(y, w1, "clip [-0.5, 0.75] (NaN passes)");
        OK(xp->clip(yy, yy, -INFINITY, 0.3, &e_));
        expect_close(yy, w2, "clip [-inf, 0.3] in place");
        FREE(x, w1, w2, y, yy);
    }
    ezc_array *x = ref("clip_x_i16"), *want = ref("clip_y_i16"), *y = like(x);
    OK(xp->clip(x, y, -2.5, 3.7, &e_));
    expect_equal(y, want, "clip int16, bounds rounded inward");
    OK(xp->clip(x, y, -1e9, 1e9, &e_));
    expect_equal(y, x, "clip int16, bounds beyond the dtype");
    FAILS(xp->clip(x, y, NAN, 1, &e_), EZC_EINVAL, "NaN");
    FREE(x, want, y);
}
END_TEST

START_TEST(t_affine_pow)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *x = reff("u_x_%s", s), *pos = reff("u_pos_%s", s), *w = reff("aff_%s", s);
        ezc_array *y = clone_data(x);
        OK(xp->affine(y, y, 2.5, -1.25, &e_));
        expect_close(y, w, "affine in place");
        static const struct {
            double p;
            const char *name;
        } pw[] = {{1.5, "pow15_%s"}, {2.0, "pow2_%s"}, {-0.5, "powm05_%s"}};
        for (int k = 0; k < 3; k++) {
            ezc_array *wp = reff(pw[k].name, s), *yp = like(pos);
            OK(xp->pow(pos, yp, pw[k].p, &e_));
            expect_close(yp, wp, pw[k].name);
            FREE(wp, yp);
        }
        FREE(x, pos, w, y);
    }
    ezc_array *c = ref("c_x_c64"), *wc = ref("c_aff_c64"), *yc = like(c);
    OK(xp->affine(c, yc, 2.5, -1.25, &e_));
    expect_close(yc, wc, "affine complex64");
    FREE(c, wc, yc);

    ezc_array *x = ref("affax_x_f64"), *s4 = ref("affax_s4"), *o4 = ref("affax_o4");
    ezc_array *s5 = ref("affax_s5"), *w1 = ref("affax_y1_f64"), *w2 = ref("affax_y2_f64");
    ezc_array *y = like(x);
    OK(xp->affine_axis(x, y, 1, ezc_array_data(s4), ezc_array_data(o4), &e_));
    expect_close(y, w1, "affine_axis axis 1");
    OK(xp->affine_axis(x, y, -1, ezc_array_data(s5), NULL, &e_));
    expect_close(y, w2, "affine_axis last axis, no offset");
    ezc_array *x32 = ref("affax_x_f32"), *w32 = ref("affax_y1_f32"), *y32 = clone_data(x32);
    OK(xp->affine_axis(y32, y32, 1, ezc_array_data(s4), ezc_array_data(o4), &e_));
    expect_close(y32, w32, "affine_axis float32 in place");
    FREE(x, s4, o4, s5, w1, w2, y, x32, w32, y32);
}
END_TEST

START_TEST(t_binary)
{
    const ezc_xp *xp = ezc_xp_cpu();
    static const char *const names[] = {"add",     "sub",     "mul",     "div",
                                        "minimum", "maximum", "arctan2", "hypot"};
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *a = reff("bin_a_%s", s), *b = reff("bin_b_%s", s);
        ezc_array *an = reff("bin_an_%s", s), *bn = reff("bin_bn_%s", s);
        for (int op = 0; op < EZC_BINARY_COUNT; op++) {
            char name[64];
            snprintf(name, sizeof name, "bin_%s_%s", names[op], s);
            int nan = op >= EZC_BINARY_MIN;
            const ezc_array *A = nan ? an : a, *B = nan ? bn : b;
            ezc_array *want = ref(name), *y = like(A), *ya = clone_data(A), *yb = clone_data(B);
            OK(xp->binary((ezc_binary_op)op, A, B, y, &e_));
            expect_close(y, want, name);
            OK(xp->binary((ezc_binary_op)op, ya, B, ya, &e_)); /* y is a */
            expect_close(ya, want, name);
            OK(xp->binary((ezc_binary_op)op, A, yb, yb, &e_)); /* y is b */
            expect_close(yb, want, name);
            FREE(want, y, ya, yb);
        }
        FREE(a, b, an, bn);
    }
    static const char *const cp[] = {"c64", "c128"};
    for (int p = 0; p < 2; p++) {
        ezc_array *a = reff("binc_a_%s", cp[p]), *b = reff("binc_b_%s", cp[p]);
        for (int op = 0; op <= EZC_BINARY_DIV; op++) {
            char name[64];
            snprintf(name, sizeof name, "binc_%s_%s", names[op], cp[p]);
            ezc_array *want = ref(name), *y = like(a);
            OK(xp->binary((ezc_binary_op)op, a, b, y, &e_));
            expect_close(y, want, name);
            FREE(want, y);
        }
        FREE(a, b);
    }
    ezc_array *a = ref("bini_a_i32"), *b = ref("bini_b_i32"), *y = like(a);
    ezc_array *wadd = ref("bini_add_i32"), *wmul = ref("bini_mul_i32"),
              *wmax = ref("bini_maximum_i32");
    OK(xp->binary(EZC_BINARY_ADD, a, b, y, &e_));
    expect_equal(y, wadd, "int32 add wraps");
    OK(xp->binary(EZC_BINARY_MUL, a, b, y, &e_));
    expect_equal(y, wmul, "int32 mul wraps");
    OK(xp->binary(EZC_BINARY_MAX, a, b, y, &e_));
    expect_equal(y, wmax, "int32 maximum");
    FAILS(xp->binary(EZC_BINARY_DIV, a, b, y, &e_), EZC_EDTYPE, "xp.binary(div): dtype int32");
    FREE(a, b, y, wadd, wmul, wmax);
}
END_TEST

/* ---- reductions --------------------------------------------------------- */

static const char *const red_names[EZC_REDUCE_COUNT] = {
    "sum",    "prod",   "mean",      "min",       "max",       "std",    "var",
    "median", "argmin", "argmax",    "nansum",    "nanmean",   "nanmin", "nanmax",
    "nanstd", "nanvar", "nanmedian", "nanargmin", "nanargmax",
};

static void check_reduce_all(const char *prefix)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = ref(prefix);
    for (int op = 0; op < EZC_REDUCE_COUNT; op++)
        for (int axis = 0; axis < 3; axis++) {
            char name[96];
            snprintf(name, sizeof name, "%s_%s_%d", prefix, red_names[op], axis);
            ezc_array *want = ref(name), *y = like(want);
            /* The last axis is asked for as -1. */
            OK(xp->reduce((ezc_reduce_op)op, x, axis == 2 ? -1 : axis, y, &e_));
            if (ezc_dtype_is_int(want->dtype))
                expect_equal(y, want, name);
            else
                expect_close(y, want, name);
            FREE(want, y);
        }
    FREE(x);
}

START_TEST(t_reduce_float)
{
    check_reduce_all("red_x_f64");
    check_reduce_all("red_xn_f64");
    check_reduce_all("red_x_f32");
    check_reduce_all("red_xn_f32");
}
END_TEST

START_TEST(t_reduce_int)
{
    check_reduce_all("red_x_i16");
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = ref("red_x_u8"), *want = ref("red_x_u8_sum_1"), *y = like(want);
    OK(xp->reduce(EZC_REDUCE_SUM, x, 1, y, &e_));
    expect_equal(y, want, "uint8 sum -> uint64");
    FREE(x, want, y);
}
END_TEST

START_TEST(t_reduce_wide)
{
    /* 600 columns: more than one sweep of accumulators. */
    const ezc_xp *xp = ezc_xp_cpu();
    static const struct {
        ezc_reduce_op op;
        const char *name;
    } ops[] = {
        {EZC_REDUCE_SUM, "red_w_f64_sum"},         {EZC_REDUCE_PROD, "red_w_f64_prod"},
        {EZC_REDUCE_VAR, "red_w_f64_var"},         {EZC_REDUCE_MIN, "red_w_f64_min"},
        {EZC_REDUCE_ARGMIN, "red_w_f64_argmin"},   {EZC_REDUCE_MEDIAN, "red_w_f64_median"},
        {EZC_REDUCE_NANMEAN, "red_w_f64_nanmean"}, {EZC_REDUCE_NANSTD, "red_w_f64_nanstd"},
        {EZC_REDUCE_NANMAX, "red_w_f64_nanmax"},   {EZC_REDUCE_NANARGMAX, "red_w_f64_nanargmax"},
        {EZC_REDUCE_SUM, "red_w_i16_sum"},         {EZC_REDUCE_PROD, "red_w_i16_prod"},
        {EZC_REDUCE_MAX, "red_w_i16_max"},         {EZC_REDUCE_ARGMIN, "red_w_i16_argmin"},
    };
    ezc_array *xf = ref("red_w_f64"), *xi = ref("red_w_i16");
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const ezc_array *x = strstr(ops[k].name, "i16") ? xi : xf;
        ezc_array *want = ref(ops[k].name), *y = like(want);
        OK(xp->reduce(ops[k].op, x, 0, y, &e_));
        if (ezc_dtype_is_int(want->dtype))
            expect_equal(y, want, ops[k].name);
        else
            expect_close(y, want, ops[k].name);
        FREE(want, y);
    }
    FREE(xf, xi);
}
END_TEST

START_TEST(t_reduce_median_long)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = ref("med_x_f64"), *w1 = ref("med_y_f64"), *w2 = ref("med_y2_f64");
    ezc_array *y = like(w1);
    OK(xp->reduce(EZC_REDUCE_MEDIAN, x, 1, y, &e_));
    expect_close(y, w1, "median of 1001 with ties");
    int64_t s2[2] = {2, 1000};
    ezc_array *x2 = empty(EZC_FLOAT64, 2, s2);
    for (int r = 0; r < 2; r++)
        memcpy((double *)ezc_array_data(x2) + r * 1000, (double *)ezc_array_data(x) + r * 1001,
               1000 * sizeof(double));
    OK(xp->reduce(EZC_REDUCE_MEDIAN, x2, 1, y, &e_));
    expect_close(y, w2, "median of 1000 with ties");
    FREE(x, w1, w2, y, x2);
}
END_TEST

START_TEST(t_reduce_edges)
{
    const ezc_xp *xp = ezc_xp_cpu();
    int64_t s0[2] = {0, 3}, s1[1] = {3}, sk[2] = {1, 3};
    ezc_array *x = empty(EZC_FLOAT64, 2, s0), *y = empty(EZC_FLOAT64, 1, s1);
    OK(xp->reduce(EZC_REDUCE_SUM, x, 0, y, &e_));
    for (int i = 0; i < 3; i++)
        ck_assert(((double *)ezc_array_data(y))[i] == 0.0);
    OK(xp->reduce(EZC_REDUCE_PROD, x, 0, y, &e_));
    ck_assert(((double *)ezc_array_data(y))[2] == 1.0);
    OK(xp->reduce(EZC_REDUCE_MEAN, x, 0, y, &e_));
    ck_assert(isnan(((double *)ezc_array_data(y))[1]));
    OK(xp->reduce(EZC_REDUCE_NANMEDIAN, x, 0, y, &e_));
    ck_assert(isnan(((double *)ezc_array_data(y))[0]));
    FAILS(xp->reduce(EZC_REDUCE_MIN, x, 0, y, &e_), EZC_ESHAPE,
          "xp.reduce(min): axis 0 has length 0");
    ezc_array *yi = empty(EZC_INT64, 1, s1);
    FAILS(xp->reduce(EZC_REDUCE_ARGMAX, x, 0, yi, &e_), EZC_ESHAPE, "reduce(argmax)");
    FREE(x, y);

    /* A column of NaNs: nanmean/nanmin give NaN, nanargmin refuses (as numpy). */
    int64_t s[2] = {4, 3};
    x = empty(EZC_FLOAT64, 2, s);
    double *d = ezc_array_data(x);
    for (int i = 0; i < 12; i++)
        d[i] = i % 3 == 1 ? NAN : (double)(i % 5);
    y = empty(EZC_FLOAT64, 1, s1);
    OK(xp->reduce(EZC_REDUCE_NANMEAN, x, 0, y, &e_));
    ck_assert(isnan(((double *)ezc_array_data(y))[1]));
    ck_assert(fabs(((double *)ezc_array_data(y))[0] - (0 + 3 + 1 + 4) / 4.0) < 1e-15);
    OK(xp->reduce(EZC_REDUCE_NANMIN, x, 0, y, &e_));
    ck_assert(isnan(((double *)ezc_array_data(y))[1]));
    OK(xp->reduce(EZC_REDUCE_NANSUM, x, 0, y, &e_));
    ck_assert(((double *)ezc_array_data(y))[1] == 0.0);
    FAILS(xp->reduce(EZC_REDUCE_NANARGMIN, x, 0, yi, &e_), EZC_ENUMERIC,
          "xp.reduce(nanargmin): all-NaN slice");
    /* keepdims-shaped output (1, 3) is accepted too. */
    ezc_array *yk = empty(EZC_FLOAT64, 2, sk);
    OK(xp->reduce(EZC_REDUCE_MAX, x, 0, yk, &e_));
    ck_assert(((double *)ezc_array_data(yk))[0] == 4.0 && isnan(((double *)ezc_array_data(yk))[1]));
    /* y of the wrong dtype / shape. */
    FAILS(xp->reduce(EZC_REDUCE_ARGMIN, x, 0, y, &e_), EZC_EDTYPE, "expected int64");
    FAILS(xp->reduce(EZC_REDUCE_SUM, x, 1, y, &e_), EZC_ESHAPE, "xp.reduce(sum): y has shape (3,)");
    FAILS(xp->reduce(EZC_REDUCE_SUM, x, 2, y, &e_), EZC_EINVAL, "axis 2 out of range");
    FREE(x, y, yi, yk);
}
END_TEST

/* ---- along an axis ------------------------------------------------------ */

START_TEST(t_diff)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *x = reff("diff_x_%s", s), *p1 = reff("diff_p1_%s", s),
                  *p2 = reff("diff_p2_%s", s);
        ezc_array *w1 = reff("diff_y1_%s", s), *w2 = reff("diff_y2_%s", s);
        ezc_array *w1p = reff("diff_y1p_%s", s), *w2p = reff("diff_y2p_%s", s);
        ezc_array *y1 = like(w1), *y2 = like(w2), *y1p = like(w1p), *y2p = clone_data(x);
        OK(xp->diff(x, NULL, 1, y1, &e_));
        expect_close(y1, w1, "diff axis 1");
        OK(xp->diff(x, NULL, -1, y2, &e_));
        expect_close(y2, w2, "diff last axis");
        OK(xp->diff(x, p1, 1, y1p, &e_));
        expect_close(y1p, w1p, "diff axis 1 with prev");
        OK(xp->diff(y2p, p2, 2, y2p, &e_));
        expect_close(y2p, w2p, "diff last axis with prev, in place");
        FAILS(xp->diff(x, p2, 1, y1p, &e_), EZC_ESHAPE, "xp.diff: prev has shape (4, 5, 1)");
        FAILS(xp->diff(x, NULL, 1, y1p, &e_), EZC_ESHAPE, "xp.diff: y has shape (4, 5, 6)");
        FREE(x, p1, p2, w1, w2, w1p, w2p, y1, y2, y1p, y2p);
    }
    ezc_array *x = ref("diff_x_i16"), *w = ref("diff_y1_i16"), *y = like(w);
    OK(xp->diff(x, NULL, 1, y, &e_));
    expect_equal(y, w, "int16 diff wraps");
    FREE(x, w, y);
    int64_t s0[1] = {0}, s2[1] = {2};
    ezc_array *e = empty(EZC_FLOAT32, 1, s0), *b = empty(EZC_BOOL, 1, s2),
              *ye = empty(EZC_FLOAT32, 1, s0);
    FAILS(xp->diff(e, NULL, 0, ye, &e_), EZC_ESHAPE, "length 0");
    FAILS(xp->diff(b, NULL, 0, b, &e_), EZC_EDTYPE, "xp.diff: dtype bool not supported on cpu");
    FREE(e, b, ye);
}
END_TEST

START_TEST(t_take_concat_permute)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = ref("take_x_f64"), *w1 = ref("take_y1_f64"), *w2 = ref("take_y2_f64");
    ezc_array *y1 = like(w1), *y2 = like(w2);
    const int64_t i1[] = {4, 0, 0, 2}, i2[] = {5, 1, 3}, bad[] = {1, 5};
    OK(xp->take(x, 1, i1, 4, y1, &e_));
    expect_equal(y1, w1, "take axis 1");
    OK(xp->take(x, -1, i2, 3, y2, &e_));
    expect_equal(y2, w2, "take last axis");
    int64_t sb[3] = {4, 2, 6};
    ezc_array *yb = empty(EZC_FLOAT64, 3, sb);
    FAILS(xp->take(x, 1, bad, 2, yb, &e_), EZC_EINVAL, "index 5 at position 1 out of range");
    ezc_array_destroy(&yb);
    ezc_array *c = ref("take_x_c64"), *wc = ref("take_y0_c64"), *yc = like(wc);
    const int64_t i0[] = {3, 3, 0};
    OK(xp->take(c, 0, i0, 3, yc, &e_));
    expect_equal(yc, wc, "take axis 0 complex64");
    FREE(w1, w2, y1, y2, c, wc, yc);

    ezc_array *a = ref("cat_a_f64"), *b = ref("cat_b_f64"), *cc = ref("cat_c_f64");
    ezc_array *wcat = ref("cat_y_f64"), *ycat = like(wcat);
    const ezc_array *parts[] = {a, b, cc};
    OK(xp->concat(parts, 3, 1, ycat, &e_));
    expect_equal(ycat, wcat, "concat axis 1");
    int64_t sw[3] = {4, 2, 5};
    ezc_array *odd = empty(EZC_FLOAT64, 3, sw);
    const ezc_array *wrong[] = {a, odd};
    FAILS(xp->concat(wrong, 2, 1, ycat, &e_), EZC_ESHAPE, "xs[1] has shape (4, 2, 5)");
    FREE(a, b, cc, wcat, ycat, odd);

    ezc_array *wp = ref("perm_y_f64"), *yp = like(wp);
    const int perm[] = {2, 0, 1}, perm2[] = {1, 0}, perm3[] = {0, 2, 1}, perm4[] = {1, 0, 2};
    OK(xp->permute(x, perm, yp, &e_));
    expect_equal(yp, wp, "permute (2, 0, 1)");
    ezc_array *xf = ref("perm_x_f32"), *wf = ref("perm_y_f32"), *yf = like(wf);
    OK(xp->permute(xf, perm2, yf, &e_));
    expect_equal(yf, wf, "transpose 37 x 19 float32");
    ezc_array *xi = ref("perm_x_i16"), *wi = ref("perm_y_i16"), *wi2 = ref("perm_y2_i16");
    ezc_array *yi = like(wi), *yi2 = like(wi2);
    OK(xp->permute(xi, perm3, yi, &e_));
    expect_equal(yi, wi, "permute (0, 2, 1) int16");
    OK(xp->permute(xi, perm4, yi2, &e_));
    expect_equal(yi2, wi2, "permute (1, 0, 2) int16");
    FAILS(xp->permute(xi, perm3, yi2, &e_), EZC_ESHAPE, "not x's shape (4, 5, 6) permuted");
    FREE(x, wp, yp, xf, wf, yf, xi, wi, wi2, yi, yi2);
}
END_TEST

/* ---- FFT ------------------------------------------------------------------ */

static void check_fft(ezc_fft_kind kind, const char *in, const char *out, int64_t n, const char *s)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = reff(in, s), *want = reff(out, s), *y = like(want), *x0 = clone_data(x);
    char what[64];
    snprintf(what, sizeof what, out, s);
    OK(xp->fft(kind, x, 1, n, y, &e_));
    expect_close_s(y, want, tol_of(want->dtype), max_abs(want), what);
    expect_equal(x, x0, "fft input untouched");
    /* Again, through the cached plan. */
    memset(ezc_array_data(y), 0, ezc_array_nbytes(y));
    OK(xp->fft(kind, x, 1, n, y, &e_));
    expect_close_s(y, want, tol_of(want->dtype), max_abs(want), what);
    FREE(x, want, y, x0);
}

START_TEST(t_fft)
{
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        check_fft(EZC_FFT_R2C, "fft_r_%s", "rfft16_%s", 16, s);
        check_fft(EZC_FFT_R2C, "fft_r_%s", "rfft20_%s", 20, s);
        check_fft(EZC_FFT_R2C, "fft_r_%s", "rfft10_%s", 10, s);
        check_fft(EZC_FFT_C2C, "fft_c_%s", "fft16_%s", 16, s);
        check_fft(EZC_FFT_C2C, "fft_c_%s", "fft12_%s", 12, s);
        check_fft(EZC_FFT_C2CI, "fft_c_%s", "ifft16_%s", 16, s);
        check_fft(EZC_FFT_C2CI, "fft_c_%s", "ifft24_%s", 24, s);
        check_fft(EZC_FFT_C2R, "fft_h_%s", "irfft16_%s", 16, s);
        check_fft(EZC_FFT_C2R, "fft_h_%s", "irfft15_%s", 15, s);
        check_fft(EZC_FFT_C2R, "fft_h_%s", "irfft20_%s", 20, s);
    }
    /* Data off FFTW's SIMD alignment takes an unaligned plan. */
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *r = ref("fft_r_f32"), *want = ref("rfft16_f32"), *y = like(want);
    ezc_buffer *buf = ezc_buffer_new_host(ezc_array_nbytes(r) + 4, NULL);
    ezc_array *off = ezc_array_from_buffer(buf, 4, EZC_FLOAT32, 3, r->shape, NULL, NULL);
    ezc_buffer_unref(&buf);
    memcpy(ezc_array_data(off), ezc_array_data(r), ezc_array_nbytes(r));
    OK(xp->fft(EZC_FFT_R2C, off, 1, 16, y, &e_));
    expect_close_s(y, want, TOL32, max_abs(want), "rfft of misaligned data");
    FAILS(xp->fft(EZC_FFT_C2C, r, 1, 16, y, &e_), EZC_EDTYPE,
          "xp.fft(fft): dtype float32 not supported");
    FAILS(xp->fft(EZC_FFT_R2C, r, 1, 18, y, &e_), EZC_ESHAPE, "length 10 along axis 1");
    FAILS(xp->fft(EZC_FFT_R2C, r, 1, 0, y, &e_), EZC_EINVAL, "n = 0");
    FREE(r, want, y, off);
}
END_TEST

/* Every length from 1 to 80 against a direct DFT: odd, prime and tiny sizes,
 * and more shapes than the plan cache holds (the rest get one-off plans). */
START_TEST(t_fft_many_shapes)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int64_t n = 1; n <= 80; n++) {
        int64_t nh = n / 2 + 1;
        ezc_array *x = empty(EZC_FLOAT64, 1, &n), *y = empty(EZC_COMPLEX128, 1, &nh);
        ezc_array *back = empty(EZC_FLOAT64, 1, &n);
        double *xd = ezc_array_data(x);
        for (int64_t i = 0; i < n; i++)
            xd[i] = sin(0.7 * (double)(i * i)) + 0.25;
        OK(xp->fft(EZC_FFT_R2C, x, 0, n, y, &e_));
        const double complex *yd = ezc_array_data(y);
        for (int64_t k = 0; k < nh; k++) {
            double complex want = 0;
            for (int64_t i = 0; i < n; i++)
                want += xd[i] * cexp(-2 * M_PI * I * (double)((k * i) % n) / (double)n);
            ck_assert_msg(cabs(yd[k] - want) <= 1e-12 * (double)n, "rfft n=%lld bin %lld",
                          (long long)n, (long long)k);
        }
        OK(xp->fft(EZC_FFT_C2R, y, 0, n, back, &e_));
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(fabs(((double *)ezc_array_data(back))[i] - xd[i]) <= 1e-12,
                          "irfft(rfft(x)) n=%lld [%lld]", (long long)n, (long long)i);
        FREE(x, y, back);
    }
}
END_TEST

/* Threads planning and executing at once get the same answers as one. */
typedef struct {
    int64_t n;
    int bad;
} fft_job;

static void *fft_worker(void *arg)
{
    fft_job *job = arg;
    const ezc_xp *xp = ezc_xp_cpu();
    int64_t shape[2] = {job->n, 8}, out[2] = {job->n / 2 + 1, 8};
    ezc_array *x = ezc_array_new(EZC_FLOAT32, 2, shape, NULL, ezc_device_cpu(), NULL);
    ezc_array *y = ezc_array_new(EZC_COMPLEX64, 2, out, NULL, ezc_device_cpu(), NULL);
    float *xd = ezc_array_data(x);
    for (int64_t i = 0; i < job->n * 8; i++)
        xd[i] = (float)(i % 8); /* channel c is the constant c */
    for (int r = 0; r < 50; r++) {
        memset(ezc_array_data(y), 0, ezc_array_nbytes(y));
        if (xp->fft(EZC_FFT_R2C, x, 0, job->n, y, NULL)) {
            job->bad++;
            continue;
        }
        /* A constant c has c * n at DC and nothing elsewhere. */
        const float complex *yd = ezc_array_data(y);
        for (int64_t k = 0; k < out[0]; k++)
            for (int c = 0; c < 8; c++) {
                float complex want = k == 0 ? (float)(c * job->n) : 0;
                if (cabsf(yd[k * 8 + c] - want) > 1e-4f * (float)job->n)
                    job->bad++;
            }
    }
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    return NULL;
}

START_TEST(t_fft_threads)
{
    pthread_t th[6];
    fft_job jobs[6] = {{96, 0}, {100, 0}, {96, 0}, {250, 0}, {100, 0}, {33, 0}};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, fft_worker, &jobs[i]), 0);
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(jobs[i].bad == 0, "thread %d (n=%lld): %d wrong values", i,
                      (long long)jobs[i].n, jobs[i].bad);
    }
}
END_TEST

/* ---- linear algebra ----------------------------------------------------- */

START_TEST(t_matmul)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *a = reff("mm_a_%s", s), *b = reff("mm_b_%s", s), *at = reff("mm_at_%s", s);
        ezc_array *bt = reff("mm_bt_%s", s), *want = reff("mm_c_%s", s);
        ezc_array *c = like_t(want, a->dtype);
        double tol = tol_of(a->dtype);
        const ezc_array *A[] = {a, at, a, at}, *B[] = {b, b, bt, bt};
        for (int t = 0; t < 4; t++) {
            memset(ezc_array_data(c), 0xA5, ezc_array_nbytes(c));
            OK(xp->matmul(A[t], B[t], c, t & 1, t >> 1, &e_));
            expect_close_s(c, want, tol, 1.0,
                           t == 0   ? "a @ b"
                           : t == 1 ? "a.T @ b"
                           : t == 2 ? "a @ b.T"
                                    : "a.T @ b.T");
        }
        FAILS(xp->matmul(a, a, c, 0, 0, &e_), EZC_ESHAPE, "inner lengths 3 and 4");
        FREE(a, b, at, bt, want, c);
    }
}
END_TEST

START_TEST(t_cholesky_solve)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        ezc_array *a = reff("spd_%s", s), *a0 = clone_data(a), *want = reff("chol_%s", s);
        ezc_array *l = like(a);
        double tol = tol_of(a->dtype);
        OK(xp->cholesky(a, l, &e_));
        expect_close_s(l, want, tol, 1.0, "cholesky (upper part zero)");
        expect_equal(a, a0, "cholesky input untouched");
        FREE(a, a0, want, l);

        a = reff("solve_a_%s", s);
        a0 = clone_data(a);
        ezc_array *b = reff("solve_b_%s", s), *b1 = reff("solve_b1_%s", s);
        ezc_array *wx = reff("solve_x_%s", s), *wx1 = reff("solve_x1_%s", s);
        ezc_array *x = like(b), *x1 = clone_data(b1);
        OK(xp->solve(a, b, x, &e_));
        expect_close_s(x, wx, tol * 10, 1.0, "solve, 3 right-hand sides");
        OK(xp->solve(a, x1, x1, &e_));
        expect_close_s(x1, wx1, tol * 10, 1.0, "solve, 1-D b in place");
        expect_equal(a, a0, "solve input untouched");
        FREE(a, a0, b, b1, wx, wx1, x, x1);
    }
}
END_TEST

START_TEST(t_eigh_svd)
{
    const ezc_xp *xp = ezc_xp_cpu();
    for (int p = 0; p < 2; p++) {
        const char *s = precisions[p];
        /* float32 LAPACK against a float64 reference: eigenvectors carry
         * eps32 * |a| / gap, so they get 1e-4 here. */
        double tol = tol_of(p ? EZC_FLOAT64 : EZC_FLOAT32) * 10, vtol = p ? 1e-10 : 1e-4;
        ezc_array *a = reff("eigh_a_%s", s), *a0 = clone_data(a);
        ezc_array *ww = reff("eigh_w_%s", s), *wv = reff("eigh_v_%s", s);
        int64_t n = a->shape[0];
        ezc_array *w = empty(a->dtype, 1, &n), *v = like(a);
        OK(xp->eigh(a, w, v, &e_));
        expect_close_s(w, ww, tol, max_abs(ww), "eigh eigenvalues (ascending)");
        expect_equal(a, a0, "eigh input untouched");
        for (int64_t j = 0; j < n; j++) {
            double dot = 0, im;
            for (int64_t i = 0; i < n; i++)
                dot += elem(v, (size_t)(i * n + j), &im) * elem(wv, (size_t)(i * n + j), &im);
            double sign = dot < 0 ? -1 : 1;
            for (int64_t i = 0; i < n; i++) {
                double g = sign * elem(v, (size_t)(i * n + j), &im),
                       r = elem(wv, (size_t)(i * n + j), &im);
                ck_assert_msg(fabs(g - r) <= vtol, "eigh v[%lld, %lld]: %g vs %g", (long long)i,
                              (long long)j, g, r);
            }
        }
        FREE(a, a0, ww, wv, w, v);

        for (int t = 1; t <= 2; t++) {
            char an[32], sn[32];
            snprintf(an, sizeof an, "svd%d_a_%s", t, s);
            snprintf(sn, sizeof sn, "svd%d_s_%s", t, s);
            a = ref(an);
            ezc_array *ws = ref(sn);
            int64_t m = a->shape[0], nn = a->shape[1], k = m < nn ? m : nn;
            int64_t su[2] = {m, k}, svt[2] = {k, nn};
            ezc_array *u = empty(a->dtype, 2, su), *sv = empty(a->dtype, 1, &k),
                      *vt = empty(a->dtype, 2, svt);
            OK(xp->svd(a, u, sv, vt, &e_));
            expect_close_s(sv, ws, tol, max_abs(ws), "svd singular values");
            double im;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < nn; j++) {
                    double r = 0;
                    for (int64_t q = 0; q < k; q++)
                        r += elem(u, (size_t)(i * k + q), &im) * elem(sv, (size_t)q, &im) *
                             elem(vt, (size_t)(q * nn + j), &im);
                    double want = elem(a, (size_t)(i * nn + j), &im);
                    ck_assert_msg(fabs(r - want) <= tol * max_abs(a),
                                  "svd u s vt [%lld, %lld]: %g vs %g", (long long)i, (long long)j,
                                  r, want);
                }
            FREE(a, ws, u, sv, vt);
        }
    }
}
END_TEST

START_TEST(t_linalg_errors)
{
    const ezc_xp *xp = ezc_xp_cpu();
    int64_t s2[2] = {2, 2}, s1[1] = {2}, s23[2] = {2, 3};
    ezc_array *a = empty(EZC_FLOAT64, 2, s2), *l = empty(EZC_FLOAT64, 2, s2);
    double *d = ezc_array_data(a);
    d[0] = 1, d[1] = 2, d[2] = 2, d[3] = 1; /* eigenvalues 3 and -1 */
    FAILS(xp->cholesky(a, l, &e_), EZC_ENUMERIC, "xp.cholesky: matrix is not positive definite");
    d[0] = 1, d[1] = 2, d[2] = 2, d[3] = 4; /* rank 1 */
    ezc_array *b = empty(EZC_FLOAT64, 1, s1), *x = empty(EZC_FLOAT64, 1, s1);
    ((double *)ezc_array_data(b))[0] = 1, ((double *)ezc_array_data(b))[1] = 1;
    FAILS(xp->solve(a, b, x, &e_), EZC_ENUMERIC, "xp.solve: matrix is singular");
    ezc_array *ai = empty(EZC_INT32, 2, s2), *r = empty(EZC_FLOAT64, 2, s23);
    FAILS(xp->matmul(ai, ai, ai, 0, 0, &e_), EZC_EDTYPE,
          "xp.matmul: dtype int32 not supported on cpu");
    FAILS(xp->cholesky(r, l, &e_), EZC_ESHAPE, "xp.cholesky: a must be square, got shape (2, 3)");
    FAILS(xp->solve(a, b, l, &e_), EZC_ESHAPE, "xp.solve: x has shape (2, 2), expected (2,)");
    FREE(a, l, b, x, ai, r);
}
END_TEST

/* ---- memory, checks, errors -------------------------------------------- */

START_TEST(t_memory)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_array *x = ref("ast_x_f64"), *wi = ref("ast_i16"), *wb = ref("ast_bool");
    ezc_array *yi = like_t(x, EZC_INT16), *yb = like_t(x, EZC_BOOL),
              *yc = like_t(x, EZC_COMPLEX128);
    OK(xp->astype(x, yi, &e_));
    expect_equal(yi, wi, "astype float64 -> int16 truncates");
    OK(xp->astype(x, yb, &e_));
    expect_equal(yb, wb, "astype float64 -> bool");
    OK(xp->astype(x, yc, &e_));
    for (size_t i = 0; i < ezc_array_size(x); i++) {
        double complex v = ((double complex *)ezc_array_data(yc))[i];
        ck_assert(creal(v) == ((double *)ezc_array_data(x))[i] && cimag(v) == 0);
    }
    ezc_array *c = ref("ast_c128"), *f = like_t(c, EZC_FLOAT32), *wf32 = ref("ast_c128_f32");
    OK(xp->astype(c, f, &e_));
    expect_equal(f, wf32, "astype complex128 -> float32 keeps the real part");
    FREE(wi, wb, yi, yb, yc, c, f, wf32);
    ezc_array *xa = ref("ast_x_f64"), *u = ref("ast_u8"), *yu = like_t(x, EZC_UINT8);
    ezc_array *absx = like(xa);
    OK(xp->unary(EZC_UNARY_ABS, xa, absx, &e_));
    OK(xp->astype(absx, yu, &e_));
    expect_equal(yu, u, "astype float64 -> uint8 truncates");
    ezc_array *i16 = ref("ast_i16"), *f32 = like_t(i16, EZC_FLOAT32), *wf = ref("ast_i16_f32");
    OK(xp->astype(i16, f32, &e_));
    expect_equal(f32, wf, "astype int16 -> float32");
    FREE(xa, u, yu, absx, i16, f32, wf);

    int64_t s[1] = {5};
    ezc_array *fi = empty(EZC_INT8, 1, s), *fc = empty(EZC_COMPLEX64, 1, s),
              *fb = empty(EZC_BOOL, 1, s);
    OK(xp->fill(fi, -7.9, &e_));
    OK(xp->fill(fc, 2.5, &e_));
    OK(xp->fill(fb, 0.5, &e_));
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(((int8_t *)ezc_array_data(fi))[i], -7);
        ck_assert(((float complex *)ezc_array_data(fc))[i] == 2.5f);
        ck_assert_int_eq(((uint8_t *)ezc_array_data(fb))[i], 1);
    }
    FAILS(xp->fill(fi, 200, &e_), EZC_EINVAL, "xp.fill: value 200 does not fit dtype int8");
    ezc_array *c2 = like(fi);
    OK(xp->copy(fi, c2, &e_));
    expect_equal(c2, fi, "copy");
    FAILS(xp->copy(fi, fb, &e_), EZC_EDTYPE, "xp.copy: src is int8 but dst is bool");
    OK(xp->sync(ezc_device_cpu(), &e_));
    FREE(x, fi, fc, fb, c2);
}
END_TEST

START_TEST(t_errors)
{
    const ezc_xp *xp = ezc_xp_cpu();
    int64_t s34[2] = {3, 4}, s35[2] = {3, 5}, s3[1] = {3};
    ezc_array *c = empty(EZC_COMPLEX64, 2, s34), *yc = empty(EZC_COMPLEX64, 1, s3);
    FAILS(xp->reduce(EZC_REDUCE_MEDIAN, c, 1, yc, &e_), EZC_EDTYPE,
          "xp.reduce(median): dtype complex64 not supported on cpu");
    ezc_array *i = empty(EZC_INT32, 2, s34);
    FAILS(xp->unary(EZC_UNARY_SQRT, i, i, &e_), EZC_EDTYPE,
          "xp.unary(sqrt): dtype int32 not supported on cpu");
    FAILS(xp->unary(EZC_UNARY_ABS, c, c, &e_), EZC_EDTYPE,
          "xp.unary(abs): y has dtype complex64, expected float32");
    FAILS(xp->pow(i, i, 2.0, &e_), EZC_EDTYPE, "xp.pow: dtype int32");
    ezc_array *a = empty(EZC_FLOAT32, 2, s34), *b = empty(EZC_FLOAT32, 2, s35);
    FAILS(xp->binary(EZC_BINARY_ADD, a, b, a, &e_), EZC_ESHAPE,
          "xp.binary(add): b has shape (3, 5) but a has shape (3, 4)");
    FAILS(xp->binary(EZC_BINARY_SUB, a, i, a, &e_), EZC_EDTYPE, "a is float32 but b is int32");
    FAILS(xp->clip(a, b, 0, 1, &e_), EZC_ESHAPE, "xp.clip");
    /* Shifted overlap of input and output is refused; exact aliasing is fine. */
    ezc_buffer *buf = ezc_buffer_new_host(64 * sizeof(float), NULL);
    int64_t s8[1] = {8};
    ezc_array *v0 = ezc_array_from_buffer(buf, 0, EZC_FLOAT32, 1, s8, NULL, NULL);
    ezc_array *v1 = ezc_array_from_buffer(buf, 4, EZC_FLOAT32, 1, s8, NULL, NULL);
    FAILS(xp->unary(EZC_UNARY_NEG, v0, v1, &e_), EZC_EINVAL, "overlaps an input at another offset");
    /* Data on another device is never read by the CPU backend. */
    ezc_buffer *dev = ezc_buffer_wrap(ezc_array_data(a), ezc_array_nbytes(a), ezc_device_cuda(0),
                                      NULL, NULL, NULL);
    ezc_array *g = ezc_array_from_buffer(dev, 0, EZC_FLOAT32, 2, s34, NULL, NULL);
    FAILS(xp->unary(EZC_UNARY_ABS, g, a, &e_), EZC_EDEVICE, "xp.unary(abs): x is on device cuda:0");
    FAILS(xp->fft(EZC_FFT_R2C, g, 0, 4, c, &e_), EZC_EDEVICE, "cuda:0");
    FAILS(xp->unary((ezc_unary_op)99, a, a, &e_), EZC_EINVAL, "unknown op 99");
    FAILS(xp->unary(EZC_UNARY_ABS, NULL, a, &e_), EZC_EINVAL, "x is NULL");
    ezc_buffer_unref(&buf);
    ezc_buffer_unref(&dev);
    FREE(c, yc, i, a, b, v0, v1, g);
}
END_TEST

START_TEST(t_table_complete)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ck_assert_ptr_eq(ezc_xp_for(ezc_device_cpu(), NULL), xp);
    ck_assert_int_eq(xp->abi, EZC_XP_ABI);
    ck_assert_str_eq(xp->name, "cpu");
    /* Every slot filled: ezc_xp_call never answers EZC_ENOTSUP on the CPU. */
    const struct {
        const char *name;
        int set;
    } slots[] = {
#define SLOT(f) {#f, xp->f != NULL}
        SLOT(alloc),    SLOT(copy),        SLOT(fill),   SLOT(astype),  SLOT(sync),   SLOT(unary),
        SLOT(affine),   SLOT(affine_axis), SLOT(clip),   SLOT(pow),     SLOT(binary), SLOT(reduce),
        SLOT(diff),     SLOT(take),        SLOT(concat), SLOT(permute), SLOT(fft),    SLOT(matmul),
        SLOT(cholesky), SLOT(solve),       SLOT(eigh),   SLOT(svd),
#undef SLOT
    };
    for (size_t k = 0; k < sizeof slots / sizeof slots[0]; k++)
        ck_assert_msg(slots[k].set, "xp.%s is missing", slots[k].name);
}
END_TEST

int main(void)
{
    tc_refs_load("xp_ref");
    Suite *s = suite_create("xp_cpu");
    TCase *tc = tcase_create("ops");
    tcase_add_test(tc, t_unary_float);
    tcase_add_test(tc, t_unary_int_complex);
    tcase_add_test(tc, t_clip);
    tcase_add_test(tc, t_affine_pow);
    tcase_add_test(tc, t_binary);
    tcase_add_test(tc, t_reduce_float);
    tcase_add_test(tc, t_reduce_int);
    tcase_add_test(tc, t_reduce_wide);
    tcase_add_test(tc, t_reduce_median_long);
    tcase_add_test(tc, t_reduce_edges);
    tcase_add_test(tc, t_diff);
    tcase_add_test(tc, t_log_base);
    tcase_add_test(tc, t_ln_f64_accuracy);
    tcase_add_test(tc, t_take_concat_permute);
    tcase_add_test(tc, t_fft);
    tcase_add_test(tc, t_fft_many_shapes);
    tcase_add_test(tc, t_fft_threads);
    tcase_add_test(tc, t_matmul);
    tcase_add_test(tc, t_cholesky_solve);
    tcase_add_test(tc, t_eigh_svd);
    tcase_add_test(tc, t_linalg_errors);
    tcase_add_test(tc, t_memory);
    tcase_add_test(tc, t_errors);
    tcase_add_test(tc, t_table_complete);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
