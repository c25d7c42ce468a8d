/* test_tf_more.c — activation, quantize, digitize, denormalize, flatten,
 * extract_axis, detrend, gaussiansmoothing, singlebandpow, binned_aggregate
 * and rollingscaler against numpy/scipy (tests/ref/gen_tf_more.py) on every
 * backend, float32 and float64: values, dtypes, the axes each one promises,
 * random chunks (0 and 1 samples included) against the whole stream for the
 * stateful ones, no allocation on the steady path, settings errors by name.
 * Tolerances: activation 1e-12 relative + 1e-15 absolute (float64), 1e-5 +
 * 1e-7 (float32): a few roundings through exp/log, and the absolute part
 * covers logit near 1/2, where log(x / (1 - x)) is near 0 and scipy's own
 * formula differs by an ulp of 1; quantize, digitize, flatten and
 * extract_axis must match exactly (ties included: numpy rounds halves to
 * even); detrend 1e-13 (float64) / 2e-6 (float32) of max|x|; the filters
 * (gaussiansmoothing, singlebandpow) 1e-12 / 1e-5 of max|y|; binned
 * reductions 1e-12; rollingscaler 1e-9 on z-scores (window sums of x^2
 * minus the squared mean); chunked runs equal whole runs to 1e-13. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_activation_type, ezc_quantize_type, ezc_digitize_type,
    ezc_denormalize_type, ezc_flatten_type, ezc_extract_axis_type, ezc_detrend_type,
    ezc_gaussiansmoothing_type, ezc_singlebandpow_type, ezc_binned_aggregate_type,
    ezc_rollingscaler_type;

static const char *const sfx[2] = {"f32", "f64"};

/* Reference `name` as [time, ch] at 100 Hz (offset 3 s), labelled channels. */
static ezc_array *signal_of(const char *name, DLDevice dev)
{
    ezc_error err = {0};
    ezc_array *x = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 0.01, 3.0, "s");
    const char *labels[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    if (x->shape[1] <= 8)
        ck_assert_int_eq(ezc_array_set_coord_labels(x, 1, labels, (size_t)x->shape[1], "", &err),
                         0);
    return tc_to(x, dev);
}

/* The [time, ch] metadata of signal_of came through. */
static void assert_meta(const ezc_array *y)
{
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "ch");
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq(y->axes[0].gain, 0.01);
    ck_assert_double_eq(y->axes[0].offset, 3.0);
    ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_COORD);
    ck_assert_str_eq(y->axes[1].coords->labels[1], "b");
}

static void run_check(const ezc_transformer_type *type, const char *settings, const char *xname,
                      const char *want, double rtol, double atol, DLDevice dev)
{
    ezc_transformer *t = tc_make(type, settings);
    ezc_array *y = tc_host(tc_apply(t, signal_of(xname, dev)));
    ezc_array *w = tc_ref("%s", want);
    char what[160];
    snprintf(what, sizeof what, "%s {%s} on %s", type->name, settings, xname);
    ck_assert_msg(y->dtype == w->dtype, "%s: dtype %s, want %s", what, ezc_dtype_name(y->dtype),
                  ezc_dtype_name(w->dtype));
    tc_assert_close(y, w, rtol, atol, what);
    assert_meta(y);
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
}

/* ---- activation ---- */

START_TEST(t_activation_values)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        double rt = k ? 1e-12 : 1e-5, at = k ? 1e-15 : 1e-7;
        char x[32], p[32], w[48];
        snprintf(x, sizeof x, "act_x_%s", sfx[k]);
        snprintf(p, sizeof p, "act_p_%s", sfx[k]);
        snprintf(w, sizeof w, "act_sigmoid_%s", sfx[k]);
        run_check(&ezc_activation_type, "function=sigmoid", x, w, rt, at, dev);
        run_check(&ezc_activation_type, "function=expit", x, w, rt, at, dev);
        snprintf(w, sizeof w, "act_log_expit_%s", sfx[k]);
        run_check(&ezc_activation_type, "function=log_expit", x, w, rt, at, dev);
        snprintf(w, sizeof w, "act_logit_%s", sfx[k]);
        run_check(&ezc_activation_type, "function=logit", p, w, rt, at, dev);
        run_check(&ezc_activation_type, "", x, x, 0, 0, dev); /* none */
    }
    /* log_expit keeps its precision far out: -exp(-40) and x itself at -800 */
    ezc_transformer *t = tc_make(&ezc_activation_type, "function=log_expit");
    ezc_array *y = tc_host(tc_apply(t, signal_of("act_x_f64", dev)));
    ck_assert_double_eq_tol(tc_get(y, 6, 0), -exp(-40.0), 1e-30);
    ck_assert_double_eq(tc_get(y, 9, 0), -800.0);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_activation_in_place_ints_errors)
{
    ezc_error err = {0};
    /* the buffer is ours: computed in place */
    ezc_transformer *t = tc_make(&ezc_activation_type, "function=logit");
    ezc_array *x = signal_of("act_p_f64", ezc_device_cpu());
    void *data = ezc_array_data(x);
    ezc_array *y = tc_apply(t, x);
    ck_assert_ptr_eq(ezc_array_data(y), data);
    ezc_array_destroy(&y);
    /* shared: the other holder's data stays as it was */
    x = signal_of("act_p_f64", ezc_device_cpu());
    ezc_array *keep = ezc_array_clone(x, &err);
    y = tc_apply(t, x);
    ck_assert_ptr_ne(ezc_array_data(y), ezc_array_data(keep));
    ezc_array *orig = tc_ref("act_p_f64");
    tc_assert_close(keep, orig, 0, 0, "shared input untouched");
    ezc_array_destroy(&orig);
    ezc_array_destroy(&keep);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* integers become float64 (scipy would give float32 for int16) */
    t = tc_make(&ezc_activation_type, "function=sigmoid");
    y = tc_apply(t, tc_ref("act_xi16"));
    ezc_array *w = tc_ref("act_sigmoid_i16_f64");
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    tc_assert_close(y, w, 1e-15, 0, "sigmoid of int16");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    /* complex is refused by name; the state survives */
    int64_t n = 2;
    const char *m =
        tc_apply_fails(t, ezc_array_zeros(EZC_COMPLEX64, 1, &n, NULL, &err), EZC_EDTYPE);
    ck_assert_str_eq(m, "activation: complex64 data is not supported");
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_activation_type, "function=relu", EZC_EINVAL);
    ck_assert_msg(strstr(m, "activation") && strstr(m, "'function'") && strstr(m, "relu"), "%s", m);
}
END_TEST

/* ---- quantize ---- */

START_TEST(t_quantize_values)
{
    DLDevice dev = tc_dev(_i);
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"max_val=1; min_val=-1", "qz_b8_f64"},
        {"max_val=1; min_val=-1; bits=1", "qz_b1_f64"},
        {"max_val=1.5; min_val=-0.5; bits=12", "qz_b12_f64"},
        {"max_val=1; min_val=-1; bits=24", "qz_b24_f64"},
        {"max_val=1; min_val=-1; bits=40", "qz_b40_f64"},
        {"max_val=1; min_val=-1; bits=64", "qz_b64_f64"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ezc_transformer *t = tc_make(&ezc_quantize_type, cases[c].set);
        ezc_array *y = tc_host(tc_apply(t, signal_of("qz_x_f64", dev)));
        ezc_array *w = tc_ref("%s", cases[c].want);
        if (c == 1) { /* 1 bit: bool, stored as uint8 in the reference */
            ck_assert_int_eq(y->dtype, EZC_BOOL);
        } else {
            ck_assert_int_eq(y->dtype, w->dtype);
        }
        for (size_t i = 0; i < ezc_array_size(w); i++) {
            uint64_t g, e;
            if (w->dtype == EZC_UINT64) {
                g = ((const uint64_t *)ezc_array_data(y))[i];
                e = ((const uint64_t *)ezc_array_data(w))[i];
            } else {
                g = (uint64_t)tc_get(y, i, 0);
                e = (uint64_t)tc_get(w, i, 0);
            }
            ck_assert_msg(g == e, "quantize {%s}: element %zu = %llu, want %llu", cases[c].set, i,
                          (unsigned long long)g, (unsigned long long)e);
        }
        assert_meta(y);
        ezc_array_destroy(&y);
        ezc_array_destroy(&w);
        ezc_transformer_destroy(&t);
    }
    /* exact halves round to even, as numpy.round */
    ezc_transformer *t = tc_make(&ezc_quantize_type, "max_val=4; bits=3");
    ezc_array *y = tc_host(tc_apply(t, tc_to(tc_ref("qz_ties_x"), dev)));
    ezc_array *w = tc_ref("qz_ties");
    tc_assert_close(y, w, 0, 0, "quantize ties");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    run_check(&ezc_quantize_type, "max_val=1; min_val=-1", "qz_x_f32", "qz_b8_f32", 0, 0, dev);
}
END_TEST

START_TEST(t_quantize_nan_ints_errors)
{
    /* NaN and +-inf: 0 and the ends; integers are quantized as numbers */
    double v[4] = {NAN, INFINITY, -INFINITY, 3};
    int64_t n = 4;
    ezc_transformer *t = tc_make(&ezc_quantize_type, "max_val=3; bits=4");
    ezc_array *y = tc_apply(t, tc_array(EZC_FLOAT64, 1, &n, v));
    const uint8_t *q = ezc_array_data(y);
    ck_assert(q[0] == 0 && q[1] == 15 && q[2] == 0 && q[3] == 15);
    ezc_array_destroy(&y);
    y = tc_apply(t, tc_array(EZC_INT32, 1, &n, (double[]){-1, 1, 2, 7}));
    q = ezc_array_data(y);
    ck_assert_int_eq(y->dtype, EZC_UINT8);
    ck_assert(q[0] == 0 && q[1] == 5 && q[2] == 10 && q[3] == 15);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    const char *m = tc_make_fails(&ezc_quantize_type, "max_val=1; bits=65", EZC_EINVAL);
    ck_assert_str_eq(m, "quantize: setting 'bits' = 65: must be 1 to 64");
    m = tc_make_fails(&ezc_quantize_type, "max_val=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "quantize: setting 'max_val' = -1") && strstr(m, "'min_val' = 0"), "%s",
                  m);
    m = tc_make_fails(&ezc_quantize_type, "bits=4", EZC_EINVAL);
    ck_assert_msg(strstr(m, "max_val"), "%s", m);
}
END_TEST

/* ---- digitize ---- */

START_TEST(t_digitize_values)
{
    DLDevice dev = tc_dev(_i);
    static const char *const types[3] = {"int16", "int32", "int64"};
    for (int k = 0; k < 3; k++)
        for (int asym = 0; asym < 2; asym++) {
            char set[96], want[48];
            snprintf(set, sizeof set, "min_val=%s; max_val=1; dtype=%s", asym ? "-0.25" : "-1",
                     types[k]);
            snprintf(want, sizeof want, "dg_%s%s_f64", types[k], asym ? "_asym" : "");
            ezc_transformer *t = tc_make(&ezc_digitize_type, set);
            ezc_array *y = tc_host(tc_apply(t, signal_of("dg_x_f64", dev)));
            ezc_array *w = tc_ref("%s", want);
            ck_assert_int_eq(y->dtype, w->dtype);
            for (size_t i = 0; i < ezc_array_size(w); i++) {
                int64_t g, e;
                if (k == 2) {
                    g = ((const int64_t *)ezc_array_data(y))[i];
                    e = ((const int64_t *)ezc_array_data(w))[i];
                } else {
                    g = (int64_t)tc_get(y, i, 0);
                    e = (int64_t)tc_get(w, i, 0);
                }
                ck_assert_msg(g == e, "digitize {%s}: element %zu = %lld, want %lld", set, i,
                              (long long)g, (long long)e);
            }
            assert_meta(y);
            if (asym) { /* the inverse map, as ezmsg-sigproc stamps it */
                ezc_array *a = tc_ref("dg_%s_asym_attrs", types[k]);
                const ezc_attr *c = ezc_array_attr(y, "conversion"),
                               *o = ezc_array_attr(y, "offset");
                ck_assert(c && c->type == EZC_ATTR_FLOAT && o && o->type == EZC_ATTR_FLOAT);
                ck_assert_double_eq(c->v.f, tc_get(a, 0, 0));
                ck_assert_double_eq(o->v.f, tc_get(a, 1, 0));
                ezc_array_destroy(&a);
            }
            ezc_array_destroy(&y);
            ezc_array_destroy(&w);
            ezc_transformer_destroy(&t);
        }
    run_check(&ezc_digitize_type, "min_val=-1; max_val=1", "dg_x_f32", "dg_int16_f32", 0, 0, dev);
}
END_TEST

START_TEST(t_digitize_edges_errors)
{
    double v[3] = {NAN, INFINITY, -INFINITY};
    int64_t n = 3;
    ezc_transformer *t = tc_make(&ezc_digitize_type, "min_val=-1; max_val=1; dtype=int64");
    ezc_array *y = tc_apply(t, tc_array(EZC_FLOAT64, 1, &n, v));
    const int64_t *q = ezc_array_data(y);
    ck_assert(q[0] == 0 && q[1] == INT64_MAX && q[2] == INT64_MIN);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    const char *m = tc_make_fails(&ezc_digitize_type, "min_val=5; max_val=1", EZC_EINVAL);
    ck_assert_str_eq(m, "digitize: setting 'max_val' = 1: must be finite and above 'min_val' = 5");
    m = tc_make_fails(&ezc_digitize_type, "min_val=0; max_val=1; dtype=int8", EZC_EINVAL);
    ck_assert_msg(strstr(m, "digitize") && strstr(m, "'dtype'") && strstr(m, "int8"), "%s", m);
}
END_TEST

/* ---- denormalize ---- */

START_TEST(t_denormalize_values)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        char x[32], w[32];
        snprintf(x, sizeof x, "dn_x_%s", sfx[k]);
        snprintf(w, sizeof w, "dn_const_%s", sfx[k]);
        ezc_transformer *t = tc_make(&ezc_denormalize_type, "distribution=constant");
        ezc_array *y = tc_host(tc_apply(t, signal_of(x, dev)));
        ezc_array *want = tc_ref("%s", w);
        ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32); /* float32 stays */
        tc_assert_close(y, want, k ? 1e-12 : 1e-6, k ? 1e-12 : 1e-5, "denormalize constant");
        assert_meta(y);
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

/* Offsets per channel from two rows: x = 0 gives o, x = 1 gives o (1 + 1/3.29). */
static void offsets_of(ezc_transformer *t, int64_t nch, double *o)
{
    int64_t shape[2] = {2, nch};
    double v[16] = {0};
    for (int64_t c = 0; c < nch; c++)
        v[nch + c] = 1;
    ezc_array *x = tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch");
    ezc_array *y = tc_apply(t, x);
    for (int64_t c = 0; c < nch; c++) {
        o[c] = tc_get(y, (size_t)c, 0);
        ck_assert_double_eq_tol(tc_get(y, (size_t)(nch + c), 0), o[c] * (1 + 1 / 3.29),
                                1e-12 * o[c]);
    }
    ezc_array_destroy(&y);
}

START_TEST(t_denormalize_draws_errors)
{
    double o1[8], o2[8], o3[8];
    const char *dists[2] = {"uniform", "normal"};
    for (int d = 0; d < 2; d++) {
        char set[96];
        snprintf(set, sizeof set, "distribution=%s; low_rate=5; high_rate=9; seed=7", dists[d]);
        ezc_transformer *a = tc_make(&ezc_denormalize_type, set),
                        *b = tc_make(&ezc_denormalize_type, set);
        offsets_of(a, 8, o1);
        offsets_of(a, 8, o3); /* same stream: same offsets */
        offsets_of(b, 8, o2); /* same seed: same draw */
        int differ = 0;
        for (int c = 0; c < 8; c++) {
            ck_assert(o1[c] >= 5 && o1[c] <= 9);
            ck_assert_double_eq(o1[c], o2[c]);
            ck_assert_double_eq(o1[c], o3[c]);
            differ |= o1[c] != o1[0];
        }
        ck_assert(differ);
        offsets_of(a, 3, o3); /* a new template (3 channels): drawn again */
        ck_assert(o3[0] != o1[0] || o3[1] != o1[1]);
        ezc_transformer_destroy(&a);
        ezc_transformer_destroy(&b);
    }
    const char *m = tc_make_fails(&ezc_denormalize_type, "low_rate=10; high_rate=1", EZC_EINVAL);
    ck_assert_str_eq(m, "denormalize: setting 'high_rate' = 1: must be finite and at least "
                        "'low_rate' = 10");
    m = tc_make_fails(&ezc_denormalize_type, "distribution=poisson", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'distribution'") && strstr(m, "poisson"), "%s", m);
    ezc_transformer *t = tc_make(&ezc_denormalize_type, "axis=chan");
    m = tc_apply_fails(t, signal_of("dn_x_f64", ezc_device_cpu()), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "denormalize: setting 'axis' = 'chan'"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- flatten ---- */

static ezc_array *cube(DLDevice dev)
{
    ezc_error err = {0};
    ezc_array *x = tc_dims(tc_ref("fl_x"), "time", "ch", "feat");
    ezc_array_set_linear_axis(x, 0, 0.5, 10.0, "s");
    const char *ch[3] = {"C3", "Cz", "C4"};
    const double feat[4] = {4, 8.5, 13, 30};
    ck_assert_int_eq(ezc_array_set_coord_labels(x, 1, ch, 3, "", &err), 0);
    ck_assert_int_eq(ezc_array_set_coord_values(x, 2, feat, 4, "Hz", &err), 0);
    ck_assert_int_eq(ezc_array_set_key(x, "k1", &err), 0);
    return tc_to(x, dev);
}

static void assert_labels(const ezc_array *y, int ax, const char *const *want, size_t n)
{
    ck_assert_int_eq(y->axes[ax].kind, EZC_AXIS_COORD);
    ck_assert_uint_eq(y->axes[ax].coords->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(y->axes[ax].coords->labels[i], want[i]);
}

START_TEST(t_flatten_values_axes)
{
    DLDevice dev = tc_dev(_i);
    /* default: keep time, merge ch (slow) and feat (fast), no copy */
    ezc_transformer *t = tc_make(&ezc_flatten_type, "");
    ezc_array *x = cube(dev);
    void *data = ezc_array_data(x);
    ezc_array *y = tc_apply(t, x);
    ck_assert_ptr_eq(ezc_array_data(y), data);
    y = tc_host(y);
    ezc_array *w = tc_ref("fl_default");
    tc_assert_close(y, w, 0, 0, "flatten default");
    ck_assert_int_eq(ezc_array_ndim(y), 2);
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "ch");
    ck_assert_double_eq(y->axes[0].gain, 0.5);
    ck_assert_double_eq(y->axes[0].offset, 10.0);
    ck_assert_str_eq(y->key, "k1");
    const char *lab[12] = {"C3/4.0",  "C3/8.5",  "C3/13.0", "C3/30.0", "Cz/4.0",  "Cz/8.5",
                           "Cz/13.0", "Cz/30.0", "C4/4.0",  "C4/8.5",  "C4/13.0", "C4/30.0"};
    assert_labels(y, 1, lab, 12);
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    /* feat slow, ch fast: a permute; sample_axis renames; another separator */
    t = tc_make(&ezc_flatten_type,
                "flatten_axes=[feat, ch]; sample_axis=t; output_axis=chfeat; label_separator=_");
    y = tc_host(tc_apply(t, cube(dev)));
    w = tc_ref("fl_feat_ch");
    tc_assert_close(y, w, 0, 0, "flatten feat, ch");
    ck_assert_str_eq(y->dims[0], "t");
    ck_assert_str_eq(y->dims[1], "chfeat");
    ck_assert_str_eq(y->axes[1].coords->labels[1], "4.0_Cz");
    ck_assert_str_eq(y->axes[1].coords->labels[11], "30.0_C4");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    /* keep ch: time (linear, so positions) and feat merge */
    t = tc_make(&ezc_flatten_type, "preserve_axis=ch; output_axis=x");
    y = tc_host(tc_apply(t, cube(dev)));
    w = tc_ref("fl_keep_ch");
    tc_assert_close(y, w, 0, 0, "flatten keep ch");
    ck_assert_str_eq(y->dims[0], "ch");
    ck_assert_str_eq(y->axes[0].coords->labels[2], "C4");
    ck_assert_str_eq(y->axes[1].coords->labels[0], "1/4.0");
    ck_assert_str_eq(y->axes[1].coords->labels[19], "5/30.0");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    /* 4-d with a dim left over: (time, c, a) merged, b stays last */
    t = tc_make(&ezc_flatten_type, "flatten_axes=[c, a]");
    ezc_array *x4 = tc_dims(tc_ref("fl4_x"), "time", "a", "b", "c");
    y = tc_host(tc_apply(t, tc_to(x4, dev)));
    w = tc_ref("fl4_c_a");
    tc_assert_close(y, w, 0, 0, "flatten 4-d");
    ck_assert_str_eq(y->dims[2], "b");
    ck_assert_str_eq(y->axes[1].coords->labels[3], "2/2");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_flatten_chunks_errors)
{
    /* chunks along time (0 and 1 included) give the whole */
    ezc_array *x = cube(ezc_device_cpu());
    ezc_transformer *t = tc_make(&ezc_flatten_type, "flatten_axes=[feat, ch]; output_axis=m");
    int64_t lens[8];
    size_t n = tc_random_chunks(5, 3, lens, 8);
    ezc_array *y = tc_apply_chunks(t, x, 0, lens, n, NULL), *w = tc_ref("fl_feat_ch");
    tc_assert_close(y, w, 0, 0, "flatten in chunks");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
    const char *m = tc_make_fails(&ezc_flatten_type,
                                  "preserve_axis=ch; flatten_axes=[ch]; output_axis=x", EZC_EINVAL);
    ck_assert_msg(strstr(m, "flatten: setting 'flatten_axes' names 'ch'"), "%s", m);
    m = tc_make_fails(&ezc_flatten_type, "sample_axis=ch", EZC_EINVAL);
    ck_assert_msg(strstr(m, "flatten: setting 'output_axis' = 'ch'"), "%s", m);
    m = tc_make_fails(&ezc_flatten_type, "preserve_axis=ch", EZC_EINVAL);
    ck_assert_msg(strstr(m, "flatten: setting 'output_axis' = 'ch'"), "%s", m);
    /* the first dim, kept by default, named like the output */
    t = tc_make(&ezc_flatten_type, "");
    m = tc_apply_fails(t, tc_dims(tc_ref("fl_x"), "ch", "time", "feat"), EZC_EINVAL);
    ck_assert_msg(strstr(m, "flatten: setting 'output_axis' = 'ch'"), "%s", m);
    ezc_transformer_destroy(&t);
    ck_assert_msg(strstr(m, "flatten: setting 'output_axis' = 'ch'"), "%s", m);
    t = tc_make(&ezc_flatten_type, "flatten_axes=[freq]");
    m = tc_apply_fails(t, cube(ezc_device_cpu()), EZC_ENOTFOUND);
    ck_assert_str_eq(m, "flatten: setting 'flatten_axes' names 'freq': the message has no such dim "
                        "(dims: time, ch, feat)");
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_flatten_type, "preserve_axis=win");
    m = tc_apply_fails(t, cube(ezc_device_cpu()), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "flatten: setting 'preserve_axis' = 'win'"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- extract_axis ---- */

START_TEST(t_extract_axis)
{
    DLDevice dev = tc_dev(_i);
    ezc_transformer *t = tc_make(&ezc_extract_axis_type, "axis=feat");
    ezc_array *y = tc_host(tc_apply(t, cube(dev)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT64);
    ck_assert_int_eq(ezc_array_ndim(y), 1);
    ck_assert_str_eq(y->dims[0], "feat");
    ck_assert_int_eq(y->shape[0], 4);
    ck_assert_double_eq(tc_get(y, 1, 0), 8.5);
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_COORD);
    ck_assert_str_eq(y->axes[0].unit, "Hz");
    ck_assert_str_eq(y->key, "k1");
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* linear: offset + gain i along the reference */
    t = tc_make(&ezc_extract_axis_type, "axis=time; reference=time");
    y = tc_host(tc_apply(t, cube(dev)));
    ck_assert_int_eq(y->shape[0], 5);
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq(tc_get(y, (size_t)i, 0), 10.0 + 0.5 * i);
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_double_eq(y->axes[0].gain, 0.5);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_extract_axis_errors)
{
    ezc_transformer *t = tc_make(&ezc_extract_axis_type, "axis=ch");
    const char *m = tc_apply_fails(t, cube(ezc_device_cpu()), EZC_EINVAL);
    ck_assert_str_eq(m,
                     "extract_axis: setting 'axis' = 'ch': the dim has text labels, not numbers");
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_extract_axis_type, "");
    m = tc_apply_fails(t, cube(ezc_device_cpu()), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "extract_axis: setting 'axis' = 'freq'"), "%s", m);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_extract_axis_type, "axis=time; reference=samples");
    m = tc_apply_fails(t, cube(ezc_device_cpu()), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "extract_axis: setting 'reference' = 'samples'"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- detrend ---- */

/* constant / linear: scipy.signal.detrend of the message, along time or ch. */
START_TEST(t_detrend_values)
{
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        char x[32];
        snprintf(x, sizeof x, "dt_x_%s", sfx[k]);
        const char *types[2] = {"constant", "linear"};
        for (int ty = 0; ty < 2; ty++) {
            char set[32];
            snprintf(set, sizeof set, "type=%s", types[ty]);
            ezc_transformer *t = tc_make(&ezc_detrend_type, set);
            ezc_array *y = tc_host(tc_apply(t, signal_of(x, dev)));
            ezc_array *w = tc_ref("dt_%s_%s", types[ty], sfx[k]);
            /* against the data's scale: the result is a small difference */
            ezc_array *xr = tc_ref("%s", x);
            tc_assert_close(y, w, 0, (k ? 1e-13 : 2e-6) * tc_max_abs(xr), set);
            ck_assert_int_eq(y->dtype, w->dtype);
            assert_meta(y);
            ezc_array_destroy(&xr);
            ezc_array_destroy(&y);
            ezc_array_destroy(&w);
            ezc_transformer_destroy(&t);
        }
    }
    /* along the last dim */
    ezc_transformer *t = tc_make(&ezc_detrend_type, "type=linear; axis=ch");
    ezc_array *y = tc_host(tc_apply(t, signal_of("dt_x_f64", dev))),
              *w = tc_ref("dt_linear_ch_f64");
    tc_assert_close(y, w, 0, 1e-13 * 30, "detrend linear along ch");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    /* one sample: nothing left of it */
    t = tc_make(&ezc_detrend_type, "type=linear");
    int64_t shape[2] = {1, 2};
    y = tc_apply(t, tc_dims(tc_array(EZC_FLOAT64, 2, shape, (double[]){3, -4}), "time", "ch"));
    ck_assert(tc_get(y, 0, 0) == 0 && tc_get(y, 1, 0) == 0);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_detrend_ewma_chunks)
{
    DLDevice dev = tc_dev(_i);
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_for(dev, &err);
    if (!xp || !xp->iir) {
        printf("xp.iir not on this device: skipped\n");
        return;
    }
    ezc_array *w = tc_ref("dt_ewma_f64"), *xr = tc_ref("dt_x_f64");
    double tol = 1e-13 * tc_max_abs(xr);
    ezc_transformer *t = tc_make(&ezc_detrend_type, "time_constant=0.2");
    ezc_array *y = tc_host(tc_apply(t, signal_of("dt_x_f64", dev)));
    tc_assert_close(y, w, 0, tol, "detrend ewma");
    ck_assert_double_eq(tc_get(y, 0, 0), 0); /* the first sample is its own mean */
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    for (unsigned seed = 1; seed <= 3; seed++) {
        int64_t lens[64];
        ezc_array *x = signal_of("dt_x_f64", dev);
        size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
        t = tc_make(&ezc_detrend_type, "time_constant=0.2");
        y = tc_apply_chunks(t, x, 0, lens, n, NULL);
        tc_assert_close(y, w, 0, tol, "detrend ewma in chunks");
        ezc_array_destroy(&y);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&w);
    ezc_array_destroy(&xr);
}
END_TEST

START_TEST(t_detrend_errors)
{
    const char *m = tc_make_fails(&ezc_detrend_type, "time_constant=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "detrend: setting 'time_constant' = 0"), "%s", m);
    m = tc_make_fails(&ezc_detrend_type, "type=quadratic", EZC_EINVAL);
    ck_assert_msg(strstr(m, "'type'") && strstr(m, "quadratic"), "%s", m);
    ezc_transformer *t = tc_make(&ezc_detrend_type, "type=constant; axis=win");
    m = tc_apply_fails(t, signal_of("dt_x_f64", ezc_device_cpu()), EZC_ENOTFOUND);
    ck_assert_msg(strstr(m, "detrend: setting 'axis' = 'win'"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- gaussiansmoothing, singlebandpow (recursive state: xp.iir) ---- */

static int no_iir(DLDevice dev)
{
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_for(dev, &err);
    if (xp && xp->iir)
        return 0;
    printf("xp.iir not on this device: skipped\n");
    return 1;
}

/* type{set} on x whole (dtype t) against want within tol * max|want|, and
 * in random chunks (0 and 1 included) against the whole within 1e-13. */
static void whole_and_chunks(const ezc_transformer_type *type, const char *set, const char *x,
                             double fs, const char *want, DLDevice dev)
{
    ezc_array *w = tc_ref("%s", want);
    for (int k = 0; k < 2; k++) {
        ezc_dtype t = k ? EZC_FLOAT64 : EZC_FLOAT32;
        ezc_transformer *tf = tc_make(type, set);
        ezc_array *y = tc_host(tc_apply(tf, tc_stream_of(x, fs, 0.5, t, dev)));
        char what[128];
        snprintf(what, sizeof what, "%s {%s} %s", type->name, set, ezc_dtype_name(t));
        ck_assert_int_eq(y->dtype, t);
        tc_assert_close(y, w, 0, (k ? 1e-12 : 1e-5) * tc_max_abs(w), what);
        ck_assert_str_eq(y->dims[0], "time");
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&tf);
    }
    ezc_array_destroy(&w);
    tc_check_chunks(type, set, x, fs, dev);
}

START_TEST(t_gaussiansmoothing)
{
    DLDevice dev = tc_dev(_i);
    if (no_iir(dev))
        return;
    whole_and_chunks(&ezc_gaussiansmoothing_type, "", "gs_x_f64", 500, "gs_s10_y", dev);
    whole_and_chunks(&ezc_gaussiansmoothing_type, "sigma=0.004; kernel_size=9", "gs_x_f64", 500,
                     "gs_s4k9_y", dev);
    /* the time axis rides along */
    ezc_transformer *t = tc_make(&ezc_gaussiansmoothing_type, "");
    ezc_array *y = tc_host(tc_apply(t, tc_stream_of("gs_x_f64", 500, 0.5, EZC_FLOAT64, dev)));
    ck_assert_double_eq(y->axes[0].gain, 1.0 / 500);
    ck_assert_double_eq(y->axes[0].offset, 0.5);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    /* one tap: the identity */
    t = tc_make(&ezc_gaussiansmoothing_type, "kernel_size=1");
    y = tc_host(tc_apply(t, tc_stream_of("gs_x_f64", 500, 0.5, EZC_FLOAT64, dev)));
    ezc_array *x = tc_ref("gs_x_f64");
    tc_assert_close(y, x, 0, 0, "kernel_size 1");
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_singlebandpow)
{
    DLDevice dev = tc_dev(_i);
    if (no_iir(dev))
        return;
    const char *set = "cuton=30; cutoff=60";
    whole_and_chunks(&ezc_singlebandpow_type, set, "sbp_x", 500, "sbp_rms", dev);
    whole_and_chunks(&ezc_singlebandpow_type, "cuton=30; cutoff=60; apply_sqrt=false", "sbp_x", 500,
                     "sbp_ms", dev);
    /* bins: time axis of gain 25 / 500 s, starting at the first sample */
    ezc_transformer *t = tc_make(&ezc_singlebandpow_type, set);
    ezc_array *y = tc_host(tc_apply(t, tc_stream_of("sbp_x", 500, 0.5, EZC_FLOAT64, dev)));
    ck_assert_int_eq(ezc_array_ndim(y), 2);
    ck_assert_str_eq(y->dims[0], "time");
    ck_assert_str_eq(y->dims[1], "ch");
    ck_assert_int_eq(y->shape[0], 20);
    ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq_tol(y->axes[0].gain, 0.05, 1e-15);
    ck_assert_double_eq_tol(y->axes[0].offset, 0.5, 1e-15);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_smoothing_bandpow_errors)
{
    const char *m = tc_make_fails(&ezc_gaussiansmoothing_type, "sigma=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "gaussiansmoothing: setting 'sigma' = -1"), "%s", m);
    m = tc_make_fails(&ezc_gaussiansmoothing_type, "kernel_size=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "gaussiansmoothing: setting 'kernel_size' = 0"), "%s", m);
    m = tc_make_fails(&ezc_gaussiansmoothing_type, "width=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "gaussiansmoothing: setting 'width' = 0"), "%s", m);
    /* 2 * 4 * 10 s * 10 kHz taps: refused when the rate is known */
    ezc_transformer *t = tc_make(&ezc_gaussiansmoothing_type, "sigma=10");
    ezc_array *x = tc_stream_of("gs_x_f64", 10000, 0.5, EZC_FLOAT64, ezc_device_cpu());
    m = tc_apply_fails(t, x, EZC_EINVAL);
    ck_assert_msg(strstr(m, "gaussiansmoothing: setting 'sigma' = 10 s: 800001 taps"), "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_singlebandpow_type, "cuton=30", EZC_EINVAL);
    ck_assert_msg(strstr(m, "cutoff"), "%s", m);
    m = tc_make_fails(&ezc_singlebandpow_type, "cuton=30; cutoff=60; bin_duration=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "singlebandpow: setting 'bin_duration' = 0"), "%s", m);
    m = tc_make_fails(&ezc_singlebandpow_type, "cuton=-3; cutoff=60", EZC_EINVAL);
    ck_assert_msg(strstr(m, "singlebandpow: setting 'cuton' = -3"), "%s", m);
    t = tc_make(&ezc_singlebandpow_type, "cuton=30; cutoff=300");
    m = tc_apply_fails(t, tc_stream_of("sbp_x", 500, 0.5, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_EINVAL);
    ck_assert_msg(strstr(m, "singlebandpow: butterworth: setting 'cutoff' = 300 Hz"), "%s", m);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- binned_aggregate ---- */

/* ba_x at 500 Hz from 0.5 s, whole and in random chunks, against want. */
static void check_bins(const char *set, const char *want, int transposed, DLDevice dev)
{
    ezc_error err = {0};
    ezc_array *w = tc_ref("%s", want);
    for (unsigned seed = 0; seed <= 3; seed++) {
        ezc_array *x = tc_stream_of("ba_x", 500, 0.5, EZC_FLOAT64, dev);
        int tax = 0;
        if (transposed) { /* [ch, time]: the staging is permuted */
            const int perm[2] = {1, 0};
            ezc_array *p = ezc_array_permute(x, perm, &err);
            ck_assert_ptr_nonnull(p);
            ezc_array_destroy(&x);
            x = p;
            tax = 1;
        }
        ezc_transformer *t = tc_make(&ezc_binned_aggregate_type, set);
        ezc_array *y;
        if (seed == 0) {
            y = tc_host(tc_apply(t, x));
            x = NULL;
        } else {
            int64_t lens[64];
            size_t n = tc_random_chunks(103, seed, lens, 64);
            y = tc_apply_chunks(t, x, tax, lens, n, NULL);
        }
        char what[160];
        snprintf(what, sizeof what, "binned_aggregate {%s}%s seed %u", set,
                 transposed ? " [ch, time]" : "", seed);
        if (transposed) { /* back to [time, ch, ...] to compare */
            int perm[3] = {1, 0, 2};
            ezc_array *p = ezc_array_permute(y, perm, &err);
            ck_assert_msg(p != NULL, "%s", err.msg);
            ezc_array_destroy(&y);
            y = p;
        }
        tc_assert_close(y, w, 1e-12, 1e-12, what);
        ck_assert_str_eq(y->dims[0], "time");
        ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(y->axes[0].offset, 0.5, 1e-12);
        ezc_array_destroy(&y);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&w);
}

START_TEST(t_binned_aggregate)
{
    DLDevice dev = tc_dev(_i);
    check_bins("bin_duration=0.021", "ba_frac_mean", 0, dev);
    check_bins("bin_duration=0.021; fractional=false", "ba_fixed_mean", 0, dev);
    check_bins("bin_duration=0.021; operations=[min, max, argmax]", "ba_frac_min_max_argmax", 0,
               dev);
    check_bins("bin_duration=0.021; fractional=false; operations=[min, max, argmax]",
               "ba_fixed_min_max_argmax", 0, dev);
    check_bins("bin_duration=0.021; operation=trapezoid", "ba_frac_trapezoid", 0, dev);
    check_bins("bin_duration=0.021; operation=trapezoid; fractional=false", "ba_fixed_trapezoid", 1,
               dev);
    /* axes: gain is the nominal duration (fractional) or whole samples / fs */
    const char *sets[2] = {"bin_duration=0.021", "bin_duration=0.021; fractional=false"};
    const double gains[2] = {0.021, 10.0 / 500};
    for (int k = 0; k < 2; k++) {
        ezc_transformer *t = tc_make(&ezc_binned_aggregate_type, sets[k]);
        ezc_array *y = tc_host(tc_apply(t, tc_stream_of("ba_x", 500, 0.5, EZC_FLOAT64, dev)));
        ck_assert_double_eq_tol(y->axes[0].gain, gains[k], 1e-15);
        ck_assert_str_eq(y->axes[0].unit, "s");
        ck_assert_str_eq(y->dims[1], "ch");
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
    /* float32 stays float32: its bin means to float32 rounding */
    ezc_transformer *t = tc_make(&ezc_binned_aggregate_type, "bin_duration=0.021");
    ezc_array *y = tc_host(tc_apply(t, tc_stream_of("ba_x", 500, 0.5, EZC_FLOAT32, dev)));
    ezc_array *w = tc_ref("ba_frac_mean");
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    tc_assert_close(y, w, 1e-5, 1e-6, "binned_aggregate float32 mean");
    ezc_array_destroy(&y);
    ezc_array_destroy(&w);
    ezc_transformer_destroy(&t);
    t = tc_make(&ezc_binned_aggregate_type, "operations=[min, max]; newaxis=env");
    y = tc_host(tc_apply(t, tc_stream_of("ba_x", 500, 0.5, EZC_FLOAT32, dev)));
    ck_assert_int_eq(y->dtype, EZC_FLOAT32);
    ck_assert_str_eq(y->dims[2], "env");
    ck_assert_str_eq(y->axes[2].coords->labels[1], "max");
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_binned_aggregate_errors)
{
    const char *m = tc_make_fails(&ezc_binned_aggregate_type, "bin_duration=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "binned_aggregate: setting 'bin_duration' = -1"), "%s", m);
    m = tc_make_fails(&ezc_binned_aggregate_type, "operation=mode", EZC_EINVAL);
    ck_assert_msg(strstr(m, "binned_aggregate") && strstr(m, "mode"), "%s", m);
    ezc_transformer *t = tc_make(&ezc_binned_aggregate_type, "bin_duration=0.001");
    m = tc_apply_fails(t, tc_stream_of("ba_x", 500, 0.5, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_EINVAL);
    ck_assert_msg(strstr(m, "binned_aggregate: setting 'bin_duration' = 0.001 s: under one sample "
                            "at fs = 500 Hz"),
                  "%s", m);
    /* the state is usable: a stream at a rate that fits */
    ezc_array *y = tc_apply(t, tc_stream_of("ba_x", 5000, 0.5, EZC_FLOAT64, ezc_device_cpu()));
    ck_assert_int_eq(y->shape[0], 20);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- rollingscaler ---- */

/* Tolerance: the window sums run in float64 (sum of x^2 minus the squared
 * mean), so 1e-9 absolute on z-scores of order 1 (the data's mean is at
 * most twice its sd here); float32 output 1e-5. */
START_TEST(t_rollingscaler)
{
    DLDevice dev = tc_dev(_i);
    if (no_iir(dev))
        return;
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"update_with_signal=true", "rs_k20"},
        {"update_with_signal=true; k_samples=7; min_samples=5; clip=3", "rs_k7_min5"},
    };
    for (size_t c = 0; c < 2; c++) {
        ezc_array *w = tc_ref("%s", cases[c].want);
        for (int k = 0; k < 2; k++) {
            ezc_dtype t = k ? EZC_FLOAT64 : EZC_FLOAT32;
            ezc_transformer *tf = tc_make(&ezc_rollingscaler_type, cases[c].set);
            ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("rs_x", 100, 0.5, t, dev)));
            ck_assert_int_eq(y->dtype, t);
            tc_assert_close(y, w, k ? 1e-9 : 1e-5, k ? 1e-9 : 1e-5, cases[c].set);
            ezc_array_destroy(&y);
            ezc_transformer_destroy(&tf);
        }
        for (unsigned seed = 1; seed <= 3; seed++) {
            int64_t lens[64];
            ezc_array *x = tc_stream_of("rs_x", 100, 0.5, EZC_FLOAT64, dev);
            size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
            ezc_transformer *tf = tc_make(&ezc_rollingscaler_type, cases[c].set);
            ezc_array *y = tc_apply_chunks(tf, x, 0, lens, n, NULL);
            tc_assert_close(y, w, 1e-9, 1e-9, "rollingscaler in chunks");
            ezc_array_destroy(&y);
            ezc_array_destroy(&x);
            ezc_transformer_destroy(&tf);
        }
        ezc_array_destroy(&w);
    }
    /* trained first (port train), then scored with a frozen or a moving window */
    const char *sets[2] = {"", "update_with_signal=true"};
    const char *wants[2] = {"rs_frozen_k20", "rs_train_then_k20"};
    for (int u = 0; u < 2; u++) {
        ezc_transformer *tf = tc_make(&ezc_rollingscaler_type, sets[u]);
        /* before any training the signal passes through */
        ezc_array *x0 = tc_stream_of("rs_x", 100, 0.5, EZC_FLOAT64, dev);
        ezc_array *y0 = tc_host(tc_apply(tf, tc_stream_of("rs_x", 100, 0.5, EZC_FLOAT64, dev)));
        if (!u) {
            ezc_array *xr = tc_ref("rs_x");
            tc_assert_close(y0, xr, 0, 0, "untrained: raw");
            ezc_array_destroy(&xr);
        }
        ezc_array_destroy(&y0);
        ezc_array_destroy(&x0);
        ezc_transformer_destroy(&tf);
        tf = tc_make(&ezc_rollingscaler_type, sets[u]);
        ck_assert_ptr_null(
            tc_apply_port(tf, 1, tc_stream_of("rs_train", 100, 0.5, EZC_FLOAT64, dev)));
        ezc_array *y = tc_host(tc_apply(tf, tc_stream_of("rs_x", 100, 0.5, EZC_FLOAT64, dev)));
        ezc_array *w = tc_ref("%s", wants[u]);
        tc_assert_close(y, w, 1e-9, 1e-9, wants[u]);
        ck_assert_double_eq(y->axes[0].gain, 0.01);
        ezc_array_destroy(&y);
        ezc_array_destroy(&w);
        ezc_transformer_destroy(&tf);
    }
}
END_TEST

START_TEST(t_rollingscaler_errors)
{
    const char *m = tc_make_fails(&ezc_rollingscaler_type, "k_samples=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "rollingscaler: setting 'k_samples' = 0"), "%s", m);
    m = tc_make_fails(&ezc_rollingscaler_type, "window_size=-2", EZC_EINVAL);
    ck_assert_msg(strstr(m, "rollingscaler: setting 'window_size' = -2"), "%s", m);
    m = tc_make_fails(&ezc_rollingscaler_type, "clip=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "rollingscaler: setting 'clip' = -1"), "%s", m);
    ezc_transformer *t = tc_make(&ezc_rollingscaler_type, "window_size=2000");
    m = tc_apply_fails(t, tc_stream_of("rs_x", 100, 0.5, EZC_FLOAT64, ezc_device_cpu()),
                       EZC_EINVAL);
    ck_assert_msg(strstr(m, "rollingscaler: setting 'window_size' = 2000 s: 200000 samples"), "%s",
                  m);
    ezc_transformer_destroy(&t);
    /* window_size: k = ceil(0.1 s * 100 Hz) = 10 samples, min = ceil(1 s * 100 Hz) -> 10 */
    t = tc_make(&ezc_rollingscaler_type, "window_size=0.1; update_with_signal=true");
    ezc_array *y =
        tc_host(tc_apply(t, tc_stream_of("rs_x", 100, 0.5, EZC_FLOAT64, ezc_device_cpu())));
    ezc_array *x = tc_ref("rs_x");
    for (size_t i = 0; i < 30; i++) /* the first 10 samples raw, the 11th scored */
        ck_assert(tc_get(y, i, 0) == tc_get(x, i, 0));
    ck_assert(tc_get(y, 30, 0) != tc_get(x, 30, 0));
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- the steady path ---- */

START_TEST(t_no_steady_allocation)
{
    static const struct {
        const ezc_transformer_type *type;
        const char *set;
    } cases[] = {
        {&ezc_activation_type, "function=log_expit"},
        {&ezc_quantize_type, "max_val=1; bits=12"},
        {&ezc_digitize_type, "min_val=-1; max_val=1; dtype=int64"},
        {&ezc_denormalize_type, "seed=1"},
        {&ezc_flatten_type, "preserve_axis=ch; output_axis=x"},
        {&ezc_extract_axis_type, "axis=time; reference=time"},
        {&ezc_detrend_type, "type=linear"},
        {&ezc_detrend_type, "time_constant=0.1"},
        {&ezc_gaussiansmoothing_type, "sigma=0.002"},
        {&ezc_singlebandpow_type, "cuton=10; cutoff=30; bin_duration=0.01"},
        {&ezc_binned_aggregate_type, "bin_duration=0.035; operations=[mean, argmax]"},
        {&ezc_rollingscaler_type, "update_with_signal=true; k_samples=5"},
    };
    ezc_error err = {0};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ezc_transformer *t = tc_make(cases[c].type, cases[c].set);
        ezc_array *x = signal_of("act_x_f64", ezc_device_cpu());
        for (int i = 0; i < 8; i++) /* a whole cycle of output sizes */
            ezc_array_destroy(&(ezc_array *){tc_apply(t, ezc_array_copy(x, &err))});
        ezc_array *in[5];
        for (int i = 0; i < 5; i++)
            in[i] = ezc_array_copy(x, &err);
        uint64_t before = ezc_buffer_new_count();
        for (int i = 0; i < 5; i++) {
            ezc_array *y = tc_apply(t, in[i]);
            ezc_array_destroy(&y);
        }
        ck_assert_msg(ezc_buffer_new_count() == before, "%s: allocated on the steady path",
                      cases[c].type->name);
        ezc_array_destroy(&x);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

int main(void)
{
    tc_refs_load("tf_more");
    tc_devices_init();
    Suite *s = suite_create("tf_more");
    TCase *tc = tcase_create("more");
    tcase_add_loop_test(tc, t_activation_values, 0, tc_ndevs());
    tcase_add_test(tc, t_activation_in_place_ints_errors);
    tcase_add_loop_test(tc, t_quantize_values, 0, tc_ndevs());
    tcase_add_test(tc, t_quantize_nan_ints_errors);
    tcase_add_loop_test(tc, t_digitize_values, 0, tc_ndevs());
    tcase_add_test(tc, t_digitize_edges_errors);
    tcase_add_loop_test(tc, t_denormalize_values, 0, tc_ndevs());
    tcase_add_test(tc, t_denormalize_draws_errors);
    tcase_add_loop_test(tc, t_flatten_values_axes, 0, tc_ndevs());
    tcase_add_test(tc, t_flatten_chunks_errors);
    tcase_add_loop_test(tc, t_extract_axis, 0, tc_ndevs());
    tcase_add_test(tc, t_extract_axis_errors);
    tcase_add_loop_test(tc, t_detrend_values, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_detrend_ewma_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_detrend_errors);
    tcase_add_loop_test(tc, t_gaussiansmoothing, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_singlebandpow, 0, tc_ndevs());
    tcase_add_test(tc, t_smoothing_bandpow_errors);
    tcase_add_loop_test(tc, t_binned_aggregate, 0, tc_ndevs());
    tcase_add_test(tc, t_binned_aggregate_errors);
    tcase_add_loop_test(tc, t_rollingscaler, 0, tc_ndevs());
    tcase_add_test(tc, t_rollingscaler_errors);
    tcase_add_test(tc, t_no_steady_allocation);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
