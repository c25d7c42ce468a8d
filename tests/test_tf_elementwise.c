/* test_tf_elementwise.c — scale, invert, pow, add, difference and linear
 * against numpy (tests/ref/gen_tf_core.py) on every backend, float32 and
 * float64, with inf, NaN, signed zeros and denormals in the input; integer
 * input promoted to float64 as numpy does; in place when the buffer is
 * unique; settings and shape errors named.
 * Tolerance per element: |got - ref| <= 1e-12 |ref| + 1e-300 (float64),
 * 1e-5 |ref| + 1e-30 (float32): these are one or two roundings. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_log_type;
extern const ezc_transformer_type ezc_scale_type, ezc_invert_type, ezc_pow_type, ezc_add_type,
    ezc_difference_type, ezc_linear_type;

static const char *const sfx[2] = {"f32", "f64"};

/* Runs type{settings} on ew_x_<s> (as [time, ch]) on device dev and
 * compares with reference `want_<s>`; checks it ran in place. */
static void check(const ezc_transformer_type *type, const char *settings, const char *want,
                  DLDevice dev)
{
    for (int k = 0; k < 2; k++) {
        ezc_transformer *t = tc_make(type, settings);
        ezc_array *x = tc_to(tc_dims(tc_ref("ew_x_%s", sfx[k]), "time", "ch"), dev);
        ezc_array_set_linear_axis(x, 0, 0.001, 5.0, "s");
        void *data = ezc_array_data(x);
        ezc_array *y = tc_apply(t, x);
        ck_assert_ptr_eq(ezc_array_data(y), data); /* unique buffer: in place */
        ck_assert(ezc_device_equal(y->tensor.device, dev));
        y = tc_host(y);
        ezc_array *w = tc_ref("%s_%s", want, sfx[k]);
        char what[128];
        snprintf(what, sizeof what, "%s {%s} %s", type->name, settings, sfx[k]);
        double tol = tc_tol(w->dtype);
        tc_assert_close(y, w, tol, k ? 1e-300 : 1e-30, what);
        ck_assert_int_eq(y->dtype, w->dtype);
        /* metadata rides along untouched */
        ck_assert_str_eq(y->dims[0], "time");
        ck_assert_str_eq(y->dims[1], "ch");
        ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq(y->axes[0].gain, 0.001);
        ck_assert_double_eq(y->axes[0].offset, 5.0);
        ck_assert_str_eq(y->axes[0].unit, "s");
        ezc_array_destroy(&y);
        ezc_array_destroy(&w);
        ezc_transformer_destroy(&t);
    }
}

START_TEST(t_constants)
{
    DLDevice dev = tc_dev(_i);
    check(&ezc_scale_type, "scale=2.5", "ew_scale", dev);
    check(&ezc_invert_type, "", "ew_invert", dev);
    check(&ezc_pow_type, "exponent=3", "ew_pow3", dev);
    check(&ezc_pow_type, "exponent=0.5", "ew_powhalf", dev);
    check(&ezc_pow_type, "", "ew_pow2", dev);
    check(&ezc_add_type, "value=1.5", "ew_add", dev);
    check(&ezc_difference_type, "value=3", "ew_diffsub", dev);
    check(&ezc_difference_type, "value=3; subtrahend=false", "ew_diffmin", dev);
    check(&ezc_linear_type, "scale=2; offset=-1", "ew_linear", dev);
    check(&ezc_linear_type, "scale=[1, -2, 0.5, 4, 0]; offset=[0, 1, -1, 2, 10]; axis=ch",
          "ew_linear_ch", dev);
    check(&ezc_linear_type, "scale=3; offset=[0, 1, -1, 2, 10]; axis=ch", "ew_linear_sc_of", dev);
    check(&ezc_linear_type, "scale=[1, 2, 3, 4, 5, 6]; axis=time", "ew_linear_time", dev);
}
END_TEST

/* log in bases e, 2, 10 over every float32 exponent, denormals, signed
 * zeros, infinities, NaN and negatives: the CPU backend computes these
 * itself (vectorised), so numpy is the reference; 1e-6 relative (float32:
 * a few ulp), 1e-12 (float64). */
START_TEST(t_log_everywhere)
{
    DLDevice dev = tc_dev(_i);
    const char *bases[3] = {"2.718281828459045", "2", "10"},
               *refs[3] = {"ew_ln", "ew_log2", "ew_log10"};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 3; b++) {
            char set[64], what[64];
            snprintf(set, sizeof set, "base=%s", bases[b]);
            ezc_transformer *t = tc_make(&ezc_log_type, set);
            ezc_array *y = tc_host(tc_apply(t, tc_to(tc_ref("ew_logx_%s", sfx[k]), dev)));
            ezc_array *w = tc_ref("%s_%s", refs[b], sfx[k]);
            snprintf(what, sizeof what, "log %s %s", bases[b], sfx[k]);
            tc_assert_close(y, w, k ? 1e-12 : 1e-6, 0, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&w);
            ezc_transformer_destroy(&t);
        }
}
END_TEST

/* Ulps between got and want, element by element, as the float bits of
 * their dtype (float32 or float64): NaN must meet NaN, and the signs must
 * agree (so -0.0 against +0.0 fails even at max_ulp 0). */
static void assert_ulps(const ezc_array *got, const ezc_array *want, int64_t max_ulp,
                        const char *what)
{
    ck_assert_int_eq(got->dtype, want->dtype);
    ck_assert_uint_eq(ezc_array_size(got), ezc_array_size(want));
    for (size_t i = 0; i < ezc_array_size(got); i++) {
        double g = tc_get(got, i, 0), w = tc_get(want, i, 0);
        int64_t d;
        if (isnan(w) || isnan(g)) {
            d = isnan(w) && isnan(g) ? 0 : INT64_MAX;
        } else if (signbit(g) != signbit(w)) {
            d = INT64_MAX;
        } else if (got->dtype == EZC_FLOAT32) {
            float gf = (float)g, wf = (float)w;
            int32_t a, b;
            memcpy(&a, &gf, 4);
            memcpy(&b, &wf, 4);
            d = llabs((long long)a - b);
        } else {
            int64_t a, b;
            memcpy(&a, &g, 8);
            memcpy(&b, &w, 8);
            d = a > b ? a - b : b - a;
        }
        ck_assert_msg(d <= max_ulp, "%s: element %zu = %.17g, want %.17g (%lld ulp > %lld)", what,
                      i, g, w, (long long)d, (long long)max_ulp);
    }
}

/* log as ezmsg-sigproc computes it, ln(x) / ln(base), against numpy's
 * formula with libm's log and logf (tests/ref/gen_tf_core.py), in five
 * bases, with zeros, denormals, infinities, NaN and negatives. On the CPU:
 * float64 within 1 ulp (libm's log, then the same division: in fact equal);
 * float32 within 1 ulp of the formula with a correctly rounded logf and 2
 * of libm's logf, which is not correctly rounded (0.3% of its results are 1
 * ulp off, and the division by ln(base) can double that). CUDA's log and
 * logf are themselves up to 1 and 2 ulp off: 4 ulp there. */
START_TEST(t_log_as_ezmsg)
{
    DLDevice dev = tc_dev(_i);
    int cpu = dev.device_type == kDLCPU;
    const char *bases[5][2] = {
        {"10", "10"}, {"2", "2"}, {"2.718281828459045", "e"}, {"3", "3"}, {"0.5", "half"}};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 5; b++) {
            char set[64], what[64];
            snprintf(set, sizeof set, "base=%s", bases[b][0]);
            ezc_transformer *t = tc_make(&ezc_log_type, set);
            ezc_array *y = tc_host(tc_apply(t, tc_to(tc_ref("lg_x_%s", sfx[k]), dev)));
            ezc_array *w = tc_ref("lg_b%s_%s", bases[b][1], sfx[k]);
            snprintf(what, sizeof what, "log base %s %s", bases[b][0], sfx[k]);
            assert_ulps(y, w, cpu ? 1 + !k : 4, what);
            ezc_array_destroy(&w);
            if (!k) {
                w = tc_ref("lg_cr_b%s_f32", bases[b][1]);
                snprintf(what, sizeof what, "log base %s f32 (correctly rounded logf)",
                         bases[b][0]);
                assert_ulps(y, w, cpu ? 1 : 4, what);
                ezc_array_destroy(&w);
            }
            ezc_array_destroy(&y);
            ezc_transformer_destroy(&t);
        }
    /* ln(1000) / ln(10) is 2.9999999999999996, not log10's 3 */
    ezc_transformer *t = tc_make(&ezc_log_type, "");
    double v = 1000;
    int64_t one = 1;
    ezc_array *y = tc_host(tc_apply(t, tc_to(tc_array(EZC_FLOAT64, 1, &one, &v), dev)));
    ck_assert_double_eq(tc_get(y, 0, 0), 2.9999999999999996);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

/* log on many values against numpy's formula computed here in C: float64
 * log(x) / log(base), float32 the correctly rounded logf divided by
 * (float)log(base) ((float)log((double)x) but on the two floats where that
 * rounds twice). Every float32 exponent with several mantissas, denormals,
 * 1 and its neighbours, powers of the base, pseudo-random floats, zeros,
 * infinities, NaN, negatives. Bit for bit on the CPU, in both of its loops
 * (this suite also runs with EZC_CPU_BASELINE=1); 4 ulp elsewhere. */
START_TEST(t_log_many_values)
{
    DLDevice dev = tc_dev(_i);
    int cpu = dev.device_type == kDLCPU;
    enum { MAX = 6000 };
    double *v = malloc(MAX * sizeof *v), *w = malloc(MAX * sizeof *w);
    int64_t n = 0;
    static const uint32_t mant[] = {0, 1, 0x7fffff, 0x400000, 0x3504f3, 0x330000, 0x4d0000};
    for (uint32_t e = 0; e < 255; e++)
        for (size_t m = 0; m < sizeof mant / sizeof *mant; m++) {
            uint32_t b = e << 23 | mant[m];
            float f;
            memcpy(&f, &b, 4);
            v[n++] = f;
        }
    for (int k = -200; k <= 200; k++)
        v[n++] = 1.0 + k * (k < 0 ? 0x1p-24 : 0x1p-23);
    uint32_t seed = 99;
    for (int k = 0; k < 2000; k++) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t b = seed & 0x7fffffffu;
        float f;
        memcpy(&f, &b, 4);
        v[n++] = f;
    }
    const double special[] = {0, -0.0, -1, -INFINITY, INFINITY, NAN, 0x1.2f1fd6p+3, 0x1.827a74p-7};
    for (size_t k = 0; k < sizeof special / sizeof *special; k++)
        v[n++] = special[k];
    const double bases[] = {10, 2, 0.5};
    for (int k = 0; k < 2; k++)
        for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
            int64_t m = n;
            double lb = log(bases[b]);
            for (int j = -30; j <= 30; j++) /* powers of the base */
                v[m++] = k ? pow(bases[b], j) : (float)pow(bases[b], j);
            for (int64_t i = 0; i < m; i++) {
                float lf = v[i] == 0x1.2f1fd6p+3   ? 0x1.1fcbcep+1f
                           : v[i] == 0x1.827a74p-7 ? -0x1.1c2b1ep+2f
                                                   : (float)log(v[i]);
                w[i] = k ? log(v[i]) / lb : (double)(lf / (float)lb);
            }
            char set[64], what[64];
            snprintf(set, sizeof set, "base=%.17g", bases[b]);
            ezc_transformer *t = tc_make(&ezc_log_type, set);
            ezc_dtype dt = k ? EZC_FLOAT64 : EZC_FLOAT32;
            ezc_array *y = tc_host(tc_apply(t, tc_to(tc_array(dt, 1, &m, v), dev)));
            ezc_array *want = tc_array(dt, 1, &m, w);
            snprintf(what, sizeof what, "log many values base %g %s", bases[b], sfx[k]);
            assert_ulps(y, want, cpu ? 0 : 4, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&want);
            ezc_transformer_destroy(&t);
        }
    free(v);
    free(w);
}
END_TEST

/* A backend without xp.log_base (CUDA today): the transformer falls back
 * to unary LOG and a division by an array of ln(base) kept per template,
 * which gives the same bits; two messages, so the kept array is reused. */
START_TEST(t_log_without_log_base)
{
    ezc_xp cpu = *ezc_xp_cpu();
    cpu.log_base = NULL;
    const char *bases[2] = {"10", "0.5"};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 2; b++) {
            ezc_error err = {0};
            ezc_settings *s = ezc_settings_new(&err);
            ck_assert_int_eq(ezc_settings_set(s, "base", bases[b], NULL, &err), 0);
            ck_assert_int_eq(ezc_settings_validate(s, ezc_log_type.settings, "log", &err), 0);
            void *st = NULL;
            ck_assert_msg(ezc_log_type.init(&st, s, &err) == 0, "%s", err.msg);
            ezc_settings_destroy(&s);
            char set[32], what[64];
            snprintf(set, sizeof set, "base=%s", bases[b]);
            ezc_transformer *t = tc_make(&ezc_log_type, set);
            for (int m = 0; m < 2; m++) {
                ezc_array *y = NULL;
                ck_assert_msg(
                    ezc_log_type.process(st, 0, tc_ref("lg_x_%s", sfx[k]), &y, &cpu, &err) == 0,
                    "%s", err.msg);
                ezc_array *w = tc_apply(t, tc_ref("lg_x_%s", sfx[k]));
                snprintf(what, sizeof what, "log fallback base %s %s", bases[b], sfx[k]);
                assert_ulps(y, w, 0, what);
                ezc_array_destroy(&y);
                ezc_array_destroy(&w);
            }
            ezc_transformer_destroy(&t);
            ezc_log_type.fini(st);
        }
}
END_TEST

/* clip_zero clips (to the dtype's smallest normal) only when the message
 * holds some x <= 0, NaN aside, as ezmsg-sigproc: [1e-310, 1] gives -310,
 * [1e-310, 0, -2, 1] gives log10(DBL_MIN) for the first three. Integers are
 * never clipped (ezmsg checks for a floating dtype): log10(0) = -inf. */
START_TEST(t_log_clip_zero_as_ezmsg)
{
    DLDevice dev = tc_dev(_i);
    const char *cases[2] = {"lg_noclip", "lg_clip"};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 2; c++) {
            char what[64];
            ezc_transformer *t = tc_make(&ezc_log_type, "clip_zero=true");
            ezc_array *y = tc_host(tc_apply(t, tc_to(tc_ref("%s_x_%s", cases[c], sfx[k]), dev)));
            ezc_array *w = tc_ref("%s_%s", cases[c], sfx[k]);
            snprintf(what, sizeof what, "log clip_zero %s %s", cases[c], sfx[k]);
            assert_ulps(y, w, dev.device_type == kDLCPU ? 1 : 4, what);
            if (!c && k)
                ck_assert_double_eq_tol(tc_get(y, 0, 0), -310.0, 1e-12);
            ezc_array_destroy(&y);
            ezc_array_destroy(&w);
            ezc_transformer_destroy(&t);
        }
    ezc_transformer *t = tc_make(&ezc_log_type, "clip_zero=true");
    int64_t two = 2;
    double v[2] = {0, 100};
    ezc_array *y = tc_host(tc_apply(t, tc_to(tc_array(EZC_INT16, 1, &two, v), dev)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert(isinf(tc_get(y, 0, 0)) && tc_get(y, 0, 0) < 0);
    ck_assert_double_eq(tc_get(y, 1, 0), 2.0);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

/* Signed zeros come out as numpy's expressions give them (bit for bit):
 * scale is s * x (-0.0 stays -0.0), add x + 0 and linear x * s + 0 give
 * +0.0, difference x - 0 keeps -0.0, invert 1 / -0.0 = -inf. */
START_TEST(t_signed_zeros)
{
    DLDevice dev = tc_dev(_i);
    struct {
        const ezc_transformer_type *type;
        const char *set, *want;
    } cases[] = {
        {&ezc_scale_type, "scale=2.5", "sz_scale"},
        {&ezc_scale_type, "scale=1", "sz_x"},
        {&ezc_add_type, "value=0", "sz_add0"},
        {&ezc_difference_type, "value=0", "sz_diff0"},
        {&ezc_difference_type, "value=0; subtrahend=false", "sz_rdiff0"},
        {&ezc_linear_type, "scale=2", "sz_linear"},
        {&ezc_linear_type, "scale=[2, 1, 3]; axis=dim1", "sz_linear_ch"},
        {&ezc_invert_type, "", "sz_invert"},
    };
    for (int k = 0; k < 2; k++)
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            char what[96];
            ezc_transformer *t = tc_make(cases[c].type, cases[c].set);
            ezc_array *y = tc_host(tc_apply(t, tc_to(tc_ref("sz_x_%s", sfx[k]), dev)));
            ezc_array *w = tc_ref("%s_%s", cases[c].want, sfx[k]);
            snprintf(what, sizeof what, "%s {%s} %s", cases[c].type->name, cases[c].set, sfx[k]);
            assert_ulps(y, w, 0, what);
            ezc_array_destroy(&y);
            ezc_array_destroy(&w);
            ezc_transformer_destroy(&t);
        }
    /* -0.0 in, -0.0 out */
    ezc_transformer *t = tc_make(&ezc_scale_type, "scale=3");
    double mz = -0.0;
    int64_t one = 1;
    ezc_array *y = tc_host(tc_apply(t, tc_to(tc_array(EZC_FLOAT64, 1, &one, &mz), dev)));
    ck_assert(tc_get(y, 0, 0) == 0 && signbit(tc_get(y, 0, 0)));
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_integers_promote)
{
    struct {
        const ezc_transformer_type *type;
        const char *set, *want;
    } cases[] = {
        {&ezc_scale_type, "scale=2.5", "ew_scale_i16"},
        {&ezc_add_type, "value=1.5", "ew_add_i16"},
        {&ezc_invert_type, "", "ew_invert_i16"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ezc_transformer *t = tc_make(cases[c].type, cases[c].set);
        ezc_array *y = tc_apply(t, tc_ref("ew_xi16"));
        ezc_array *w = tc_ref("%s", cases[c].want);
        ck_assert_int_eq(y->dtype, EZC_FLOAT64);
        tc_assert_close(y, w, 1e-15, 0, cases[c].want);
        ezc_array_destroy(&y);
        ezc_array_destroy(&w);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* scale = 1 is the identity: the message itself comes back, untouched and
 * uncopied, even when its buffer is shared; integers still become float64. */
START_TEST(t_scale_one_is_identity)
{
    ezc_error err;
    ezc_transformer *t = tc_make(&ezc_scale_type, "scale=1");
    ezc_array *x = tc_ref("ew_x_f32");
    ezc_array *keep = ezc_array_clone(x, &err);
    ezc_array *y = tc_apply(t, x);
    ck_assert_ptr_eq(y, x);
    ck_assert_ptr_eq(ezc_array_data(y), ezc_array_data(keep));
    tc_assert_close(y, keep, 0, 0, "scale 1");
    ezc_array_destroy(&y);
    ezc_array_destroy(&keep);
    y = tc_apply(t, tc_ref("ew_xi16"));
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_shared_input_untouched)
{
    ezc_error err;
    ezc_transformer *t = tc_make(&ezc_scale_type, "scale=-1");
    ezc_array *x = tc_ref("ew_x_f64");
    ezc_array *keep = ezc_array_clone(x, &err);
    ezc_array *y = tc_apply(t, x);
    ck_assert_ptr_ne(ezc_array_data(y), ezc_array_data(keep));
    ck_assert_double_eq(((double *)ezc_array_data(keep))[5], 5e-324);
    ck_assert_double_eq(((double *)ezc_array_data(y))[7], -1e300);
    ezc_array_destroy(&y);
    ezc_array_destroy(&keep);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_errors)
{
    const char *m;
    m = tc_make_fails(&ezc_scale_type, "scale=big", EZC_EINVAL);
    ck_assert_msg(strstr(m, "scale") && strstr(m, "big"), "%s", m);
    m = tc_make_fails(&ezc_linear_type, "scale=[1, 2]", EZC_EINVAL);
    ck_assert_msg(strstr(m, "linear: setting 'scale' has 2 values: say which dim"), "%s", m);
    m = tc_make_fails(&ezc_linear_type, "scale=[1, 2]; offset=[1, 2, 3]; axis=ch", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'scale' has 2 values but 'offset' has 3"), "%s", m);
    /* per-channel list of the wrong length for the message */
    ezc_transformer *t = tc_make(&ezc_linear_type, "scale=[1, 2, 3]; axis=ch");
    m = tc_apply_fails(t, tc_dims(tc_ref("ew_x_f64"), "time", "ch"), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "linear: setting 'scale' has 3 values but dim 'ch' has length 5"), "%s",
                  m);
    /* an axis the message lacks */
    m = tc_apply_fails(t, tc_dims(tc_ref("ew_x_f64"), "time", "freq"), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "linear: setting 'axis' = 'ch': the message has no such dim "
                            "(dims: time, freq)"),
                  "%s", m);
    /* the state survives errors: the next good message is computed */
    const double v[6] = {1, 1, 1, -1, -1, -1};
    int64_t shape[2] = {2, 3};
    ezc_array *y = tc_apply(t, tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch"));
    const double *yv = ezc_array_data(y);
    ck_assert(yv[0] == 1 && yv[1] == 2 && yv[2] == 3 && yv[5] == -3);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* pow of complex data is refused by name */
    ezc_error err;
    int64_t n = 2;
    t = tc_make(&ezc_pow_type, "exponent=3");
    m = tc_apply_fails(t, ezc_array_zeros(EZC_COMPLEX64, 1, &n, NULL, &err), EZC_EDTYPE);
    ck_assert_str_eq(m, "pow: complex64 data is not supported");
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_steady_path_allocates_nothing)
{
    ezc_transformer *t = tc_make(&ezc_linear_type, "scale=[1, -2, 0.5, 4, 0]; axis=ch");
    ezc_array *x = tc_dims(tc_ref("ew_x_f32"), "time", "ch");
    uint64_t before = ezc_buffer_new_count();
    for (int i = 0; i < 100; i++)
        x = tc_apply(t, x);
    ck_assert_uint_eq(ezc_buffer_new_count(), before);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_core");
    tc_devices_init();
    Suite *s = suite_create("tf_elementwise");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_constants, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_log_everywhere, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_log_as_ezmsg, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_log_many_values, 0, tc_ndevs());
    tcase_add_test(tc, t_log_without_log_base);
    tcase_add_loop_test(tc, t_log_clip_zero_as_ezmsg, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_signed_zeros, 0, tc_ndevs());
    tcase_add_test(tc, t_integers_promote);
    tcase_add_test(tc, t_shared_input_untouched);
    tcase_add_test(tc, t_scale_one_is_identity);
    tcase_add_test(tc, t_errors);
    tcase_add_test(tc, t_steady_path_allocates_nothing);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
