/* test_tf_dsp3.c — concat, align and merge: values against numpy
 * (tests/ref/gen_tf_dsp3.py; data is only moved, so the match is exact),
 * float32 and float64 on every backend; the joined dim's labels, the time
 * axis and the attrs; random chunks of both streams in random order
 * (chunks of 0 and 1 samples among them) giving what the whole streams
 * give; every dropped sample counted and said; settings errors named. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

extern const ezc_transformer_type ezc_concat_type, ezc_align_type, ezc_merge_type,
    ezc_adaptive_lattice_notch_type, ezc_adaptive_lnc_type, ezc_signalinjector_type;

static const char *const sfx[2] = {"f32", "f64"};

/* Reference `name` as a [time, ch] message at fs Hz from t0, channels
 * labelled from `labels` (one letter each), on dev. */
static ezc_array *stream(const char *name, double fs, double t0, const char *labels, DLDevice dev)
{
    return tc_to(tc_labelled(name, fs, t0, labels), dev);
}

static void assert_labels(const ezc_array *y, int dim, const char *const *want, size_t n)
{
    ck_assert_int_eq(y->axes[dim].kind, EZC_AXIS_COORD);
    ck_assert_ptr_nonnull(y->axes[dim].coords);
    ck_assert_ptr_nonnull(y->axes[dim].coords->labels);
    ck_assert_uint_eq(y->axes[dim].coords->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(y->axes[dim].coords->labels[i], want[i]);
}

/* ---- concat ------------------------------------------------------------- */

START_TEST(t_concat_values)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    for (int k = 0; k < 2; k++) {
        char na[32], nb[32], nc[32];
        snprintf(na, sizeof na, "cat_a_%s", sfx[k]);
        snprintf(nb, sizeof nb, "cat_b_%s", sfx[k]);
        snprintf(nc, sizeof nc, "cat_c_%s", sfx[k]);
        ezc_transformer *t = tc_make(&ezc_concat_type, "");
        ezc_array *a = stream(na, 100, 0.5, "xyz", dev), *b = stream(nb, 100, 0.5, "pq", dev);
        ck_assert_int_eq(ezc_array_attr_set_str(a, "unit", "uV", &err), 0);
        ck_assert_int_eq(ezc_array_attr_set_str(b, "unit", "uV", &err), 0);
        ck_assert_int_eq(ezc_array_attr_set_int(a, "probe", 1, &err), 0);
        ck_assert_int_eq(ezc_array_attr_set_int(b, "probe", 2, &err), 0);
        ck_assert_int_eq(ezc_array_set_key(a, "left", &err), 0);
        a->seq = 11;
        ck_assert_ptr_null(tc_apply_port(t, 1, b)); /* b waits for its partner */
        ezc_array *y = tc_host(tc_apply_port(t, 0, a));
        ezc_array *want = tc_ref("cat_ab_%s", sfx[k]);
        tc_assert_close(y, want, 0, 0, "concat along ch");
        ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32);
        ck_assert_str_eq(y->dims[0], "time");
        ck_assert_str_eq(y->dims[1], "ch");
        const char *lab[5] = {"x_a", "y_a", "z_a", "p_b", "q_b"};
        assert_labels(y, 1, lab, 5);
        ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(y->axes[0].gain, 0.01, 1e-15);
        ck_assert_double_eq(y->axes[0].offset, 0.5);
        ck_assert_str_eq(y->key, "left");
        ck_assert_int_eq(y->seq, 11);
        ck_assert_ptr_nonnull(ezc_array_attr(y, "unit")); /* equal in both: kept */
        ck_assert_ptr_null(ezc_array_attr(y, "probe"));   /* differs: dropped */
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);

        /* a new dim, labelled label_a / label_b; a new key */
        t = tc_make(&ezc_concat_type, "axis=feature; label_a=spk; label_b=sbp; new_key=both");
        ck_assert_ptr_null(tc_apply_port(t, 0, stream(na, 100, 0, "xyz", dev)));
        y = tc_host(tc_apply_port(t, 1, stream(nc, 100, 0, "xyz", dev)));
        want = tc_ref("cat_ac_new_%s", sfx[k]);
        tc_assert_close(y, want, 0, 0, "concat along a new dim");
        ck_assert_int_eq(ezc_array_ndim(y), 3);
        ck_assert_str_eq(y->dims[2], "feature");
        const char *feat[2] = {"spk", "sbp"};
        assert_labels(y, 2, feat, 2);
        const char *ch[3] = {"x", "y", "z"};
        assert_labels(y, 1, ch, 3);
        ck_assert_str_eq(y->key, "both");
        ezc_array_destroy(&y);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);

        /* relabel_axis=false: the labels as they are */
        t = tc_make(&ezc_concat_type, "relabel_axis=false");
        ck_assert_ptr_null(tc_apply_port(t, 0, stream(na, 100, 0, "xyz", dev)));
        y = tc_host(tc_apply_port(t, 1, stream(nb, 100, 0, "pq", dev)));
        const char *plain[5] = {"x", "y", "z", "p", "q"};
        assert_labels(y, 1, plain, 5);
        ezc_array_destroy(&y);
        /* a second pair with the same tables reuses the merged one */
        ck_assert_ptr_null(tc_apply_port(t, 0, stream(na, 100, 0, "xyz", dev)));
        y = tc_host(tc_apply_port(t, 1, stream(nb, 100, 0, "pq", dev)));
        assert_labels(y, 1, plain, 5);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_concat_errors)
{
    ezc_error err = {0};
    ezc_array *out = NULL;
    const char *m = tc_make_fails(&ezc_concat_type, "max_lag=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "concat: setting 'max_lag' = 0: expected >= 1"), "%s", m);
    m = tc_make_fails(&ezc_concat_type, "axis=", EZC_EINVAL);
    ck_assert_msg(strstr(m, "concat: setting 'axis' = '': expected a dim name"), "%s", m);
    ck_assert_int_eq(ezc_transformer_type_nports(&ezc_concat_type), 2);
    ck_assert_int_eq(ezc_transformer_type_port_index(&ezc_concat_type, "b"), 1);

    ezc_transformer *t = tc_make(&ezc_concat_type, "max_lag=2");
    /* other lengths must match */
    ck_assert_ptr_null(tc_apply_port(t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu())));
    ezc_array *b = stream("mrg_b_f64", 100, 0, "pq", ezc_device_cpu());
    ck_assert_int_eq(ezc_transformer_process(t, 1, b, &out, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "concat: dim 'time' has length 6 on port 'a', 50 on port 'b'"),
                  "%s", err.msg);
    /* dtypes too */
    ck_assert_ptr_null(tc_apply_port(t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu())));
    b = stream("cat_b_f32", 100, 0, "pq", ezc_device_cpu());
    ck_assert_int_eq(ezc_transformer_process(t, 1, b, &out, &err), EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "concat: port 'a' has float64 data, port 'b' float32"), "%s",
                  err.msg);
    /* the dim on one side only */
    ck_assert_ptr_null(tc_apply_port(t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu())));
    b = tc_dims(stream("cat_b_f64", 100, 0, "pq", ezc_device_cpu()), "time", "feat");
    ck_assert_int_eq(ezc_transformer_process(t, 1, b, &out, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "concat: setting 'axis' = 'ch': port 'a' has that dim and port "
                                  "'b' not (dims: a time, ch; b time, feat)"),
                  "%s", err.msg);
    /* a port running max_lag ahead: its oldest is dropped, and said */
    ck_assert_ptr_null(tc_apply_port(t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu())));
    ck_assert_ptr_null(tc_apply_port(t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu())));
    ck_assert_int_eq(ezc_transformer_process(
                         t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu()), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "concat: port 'a' is 2 messages ahead of port 'b': dropped its "
                                  "oldest"),
                  "%s", err.msg);
    ezc_transformer_destroy(&t);

    /* assert_identical_shared_axes: other coordinates on a shared dim */
    t = tc_make(&ezc_concat_type, "axis=feature; assert_identical_shared_axes=true");
    ck_assert_ptr_null(tc_apply_port(t, 0, stream("cat_a_f64", 100, 0, "xyz", ezc_device_cpu())));
    b = stream("cat_c_f64", 100, 0, "xyw", ezc_device_cpu());
    ck_assert_int_eq(ezc_transformer_process(t, 1, b, &out, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "concat: shared dim 'ch' has other coordinates on port 'a' than "
                                  "on port 'b'"),
                  "%s", err.msg);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ---- adaptive_lattice_notch -------------------------------------------- */

/* The reference's [time, ch] at 500 Hz on dev. */
static ezc_array *lat_input(int k, DLDevice dev)
{
    ezc_array *x = tc_dims(tc_ref("lat_x_%s", sfx[k]), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 500, 2.0, "s");
    return tc_to(x, dev);
}

START_TEST(t_lattice_values_chunks)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    static const char *const cases[4][2] = {
        {"", "lat_y"},
        {"output=freq", "lat_f"},
        {"gamma=0.99; mu=0.95; eta=0.9; init_notch_freq=55", "lat_y55"},
        {"gamma=0.99; mu=0.95; eta=0.9; init_notch_freq=55; output=freq", "lat_f55"},
    };
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 4; c++) {
            /* float64: the recursion as numpy runs it, to contraction (FMA) rounding */
            double tol = k ? 1e-9 : 2e-5;
            ezc_array *want = tc_ref("%s_%s", cases[c][1], sfx[k]);
            ezc_transformer *t = tc_make(&ezc_adaptive_lattice_notch_type, cases[c][0]);
            ezc_array *y = tc_host(tc_apply(t, lat_input(k, dev)));
            char what[96];
            snprintf(what, sizeof what, "lattice {%s} %s whole", cases[c][0], sfx[k]);
            tc_assert_close(y, want, tol, tol, what);
            ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32);
            ck_assert_str_eq(y->dims[0], "time");
            ck_assert_str_eq(y->dims[1], "ch");
            ck_assert_double_eq(y->axes[0].offset, 2.0);
            ck_assert_int_eq(y->axes[1].kind, EZC_AXIS_NONE);
            ezc_array_destroy(&y);
            ezc_transformer_destroy(&t);
            /* random chunks (0 and 1 among them) give the same, bit for bit */
            for (unsigned seed = 1; seed <= 3; seed++) {
                int64_t lens[64];
                size_t n = tc_random_chunks(300, seed, lens, 64);
                t = tc_make(&ezc_adaptive_lattice_notch_type, cases[c][0]);
                ezc_array *x = lat_input(k, ezc_device_cpu());
                ezc_array *xd = tc_to(ezc_array_copy(x, &err), dev);
                y = tc_apply_chunks(t, xd, 0, lens, n, NULL);
                snprintf(what, sizeof what, "lattice {%s} %s chunks %u", cases[c][0], sfx[k], seed);
                tc_assert_close(y, want, tol, tol, what);
                ezc_array_destroy(&y);
                ezc_array_destroy(&x);
                ezc_array_destroy(&xd);
                ezc_transformer_destroy(&t);
            }
            ezc_array_destroy(&want);
        }
}
END_TEST

START_TEST(t_lattice_axis_errors)
{
    /* time as the last dim: the same values, transposed */
    ezc_error err = {0};
    ezc_array *x = lat_input(1, ezc_device_cpu());
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    ck_assert_ptr_nonnull(xt);
    ezc_transformer *t = tc_make(&ezc_adaptive_lattice_notch_type, "");
    ezc_array *y = tc_apply(t, xt);
    ezc_array *want = tc_ref("lat_y_f64");
    ezc_array *wt = ezc_array_permute(tc_dims(want, "time", "ch"), perm, &err);
    tc_assert_close(y, wt, 1e-9, 1e-9, "lattice along the last dim");
    ck_assert_str_eq(y->dims[1], "time");
    ezc_array_destroy(&y);
    ezc_array_destroy(&wt);
    ezc_array_destroy(&want);
    ezc_array_destroy(&x);
    /* a template change (another channel count) restarts the state */
    ezc_array *a = lat_input(1, ezc_device_cpu());
    ezc_array *b = ezc_array_slice(a, 1, 0, 2, &err);
    ezc_array_destroy(&a);
    y = tc_apply(t, b);
    ck_assert_int_eq(y->shape[1], 2);
    ezc_array_destroy(&y);
    /* no sampling rate: refused, naming the dim */
    int64_t shape[2] = {4, 2};
    double v[8] = {0};
    ezc_array *bad = tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch");
    const char *m = tc_apply_fails(t, bad, EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lattice_notch: dim 'time' has no linear axis"), "%s", m);
    ezc_transformer_destroy(&t);
    /* a notch above Nyquist: said when the rate is known */
    t = tc_make(&ezc_adaptive_lattice_notch_type, "init_notch_freq=300");
    m = tc_apply_fails(t, lat_input(1, ezc_device_cpu()), EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lattice_notch: setting 'init_notch_freq' = 300: expected "
                            "below Nyquist (250 Hz at fs = 500)"),
                  "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_adaptive_lattice_notch_type, "gamma=1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lattice_notch: setting 'gamma' = 1: expected a number in "
                            "[0, 1)"),
                  "%s", m);
    m = tc_make_fails(&ezc_adaptive_lattice_notch_type, "eta=-0.5", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lattice_notch: setting 'eta' = -0.5"), "%s", m);
    m = tc_make_fails(&ezc_adaptive_lattice_notch_type, "init_notch_freq=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lattice_notch: setting 'init_notch_freq' = 0"), "%s", m);
    m = tc_make_fails(&ezc_adaptive_lattice_notch_type, "output=both", EZC_EINVAL);
    ck_assert_msg(strstr(m, "output"), "%s", m);
}
END_TEST

/* ---- adaptive_lnc ------------------------------------------------------- */

static ezc_array *lnc_input(int k, DLDevice dev)
{
    ezc_array *x = tc_dims(tc_ref("lnc_x_%s", sfx[k]), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 1.0 / 1000, 0.0, "s");
    return tc_to(x, dev);
}

START_TEST(t_lnc_values_chunks)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    static const char *const cases[3][2] = {
        {"", "lnc_y"},
        {"num_harmonics=2; freq_time_constant=0", "lnc_fixed"},
        {"num_harmonics=2; adapt_time_constant=0.05; freq_time_constant=0.3; "
         "max_freq_deviation=1",
         "lnc_h2"},
    };
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 3; c++) {
            /* float64: sums in another order than numpy's, through the loop */
            double tol = k ? 1e-9 : 1e-4;
            ezc_array *want = tc_ref("%s_%s", cases[c][1], sfx[k]);
            ezc_transformer *t = tc_make(&ezc_adaptive_lnc_type, cases[c][0]);
            ezc_array *y = tc_host(tc_apply(t, lnc_input(k, dev)));
            char what[128];
            snprintf(what, sizeof what, "adaptive_lnc {%s} %s whole", cases[c][0], sfx[k]);
            tc_assert_close(y, want, tol, tol, what);
            ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32);
            ck_assert_str_eq(y->dims[0], "time");
            ck_assert_double_eq_tol(y->axes[0].gain, 1e-3, 1e-18);
            ezc_array_destroy(&y);
            ezc_transformer_destroy(&t);
            for (unsigned seed = 1; seed <= 3; seed++) {
                int64_t lens[64];
                size_t n = tc_random_chunks(1500, seed, lens, 64);
                t = tc_make(&ezc_adaptive_lnc_type, cases[c][0]);
                ezc_array *xd = lnc_input(k, dev);
                y = tc_apply_chunks(t, xd, 0, lens, n, NULL);
                snprintf(what, sizeof what, "adaptive_lnc {%s} %s chunks %u", cases[c][0], sfx[k],
                         seed);
                tc_assert_close(y, want, tol, tol, what);
                ezc_array_destroy(&y);
                ezc_array_destroy(&xd);
                ezc_transformer_destroy(&t);
            }
            ezc_array_destroy(&want);
        }
    (void)err;
}
END_TEST

START_TEST(t_lnc_axis_errors)
{
    ezc_error err = {0};
    /* time as the last dim: the same values, transposed */
    ezc_array *x = lnc_input(1, ezc_device_cpu());
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    ezc_transformer *t = tc_make(&ezc_adaptive_lnc_type, "");
    ezc_array *y = tc_apply(t, xt);
    ezc_array *w = tc_dims(tc_ref("lnc_y_f64"), "time", "ch");
    ezc_array *wt = ezc_array_permute(w, perm, &err);
    ezc_array_destroy(&w);
    tc_assert_close(y, wt, 1e-9, 1e-9, "adaptive_lnc along the last dim");
    ck_assert_str_eq(y->dims[1], "time");
    ezc_array_destroy(&y);
    ezc_array_destroy(&wt);
    ezc_transformer_destroy(&t);
    /* passthrough: the message itself */
    t = tc_make(&ezc_adaptive_lnc_type, "cancel_method=passthrough");
    ezc_array *same = ezc_array_clone(x, &err);
    y = tc_apply(t, same);
    ck_assert_ptr_eq(y, same);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&x);
    /* no sampling rate: refused */
    t = tc_make(&ezc_adaptive_lnc_type, "");
    int64_t shape[2] = {4, 2};
    double v[8] = {0};
    const char *m =
        tc_apply_fails(t, tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch"), EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lnc: dim 'time' has no linear axis"), "%s", m);
    ezc_transformer_destroy(&t);
    m = tc_make_fails(&ezc_adaptive_lnc_type, "cancel_method=subtract", EZC_ENOTSUP);
    ck_assert_msg(strstr(m, "adaptive_lnc: setting 'cancel_method' = 'subtract': not implemented"),
                  "%s", m);
    m = tc_make_fails(&ezc_adaptive_lnc_type, "num_harmonics=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lnc: setting 'num_harmonics' = 0: expected 1 to 64"), "%s",
                  m);
    m = tc_make_fails(&ezc_adaptive_lnc_type, "adapt_time_constant=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lnc: setting 'adapt_time_constant' = 0: expected > 0"), "%s",
                  m);
    m = tc_make_fails(&ezc_adaptive_lnc_type, "max_freq_deviation=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lnc: setting 'max_freq_deviation' = -1: expected >= 0"), "%s",
                  m);
    m = tc_make_fails(&ezc_adaptive_lnc_type, "line_freq=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "adaptive_lnc: setting 'line_freq' = 0: expected > 0 Hz"), "%s", m);
}
END_TEST

/* ---- signalinjector ----------------------------------------------------- */

static ezc_array *one(double v)
{
    int64_t shape[1] = {1};
    return tc_array(EZC_FLOAT64, 1, shape, &v);
}

START_TEST(t_injector_values_ports)
{
    ezc_error err = {0};
    DLDevice dev = tc_dev(_i);
    ezc_array *p = tc_ref("inj_params");
    double fs = tc_get(p, 0, 0), t0 = tc_get(p, 1, 0);
    ezc_array_destroy(&p);
    for (int k = 0; k < 2; k++) {
        double tol = k ? 1e-12 : 1e-6;
        ezc_array *want = tc_ref("inj_y_%s", sfx[k]);
        ezc_transformer *t = tc_make(&ezc_signalinjector_type,
                                     "frequency=13; amplitude=0.7; mixing=[0.5, -0.25, 0.9]");
        ezc_array *x = tc_dims(tc_ref("inj_x_%s", sfx[k]), "time", "ch");
        ezc_array_set_linear_axis(x, 0, 1 / fs, t0, "s");
        ezc_array *y = tc_host(tc_apply(t, tc_to(ezc_array_copy(x, &err), dev)));
        tc_assert_close(y, want, tol, tol, "signalinjector [time, ch]");
        ck_assert_int_eq(y->dtype, k ? EZC_FLOAT64 : EZC_FLOAT32);
        ck_assert_double_eq(y->axes[0].offset, t0);
        ezc_array_destroy(&y);
        /* chunks: the time axis carries t, so any split gives the same */
        int64_t lens[64];
        size_t n = tc_random_chunks(50, 7, lens, 64);
        ezc_array *xd = tc_to(ezc_array_copy(x, &err), dev);
        y = tc_apply_chunks(t, xd, 0, lens, n, NULL);
        tc_assert_close(y, want, tol, tol, "signalinjector chunks");
        ezc_array_destroy(&y);
        ezc_array_destroy(&xd);
        /* time as the last dim */
        int perm[2] = {1, 0};
        ezc_array *xt = ezc_array_permute(x, perm, &err), *wt = ezc_array_permute(want, perm, &err);
        y = tc_host(tc_apply(t, tc_to(xt, dev)));
        tc_assert_close(y, wt, tol, tol, "signalinjector [ch, time]");
        ezc_array_destroy(&y);
        ezc_array_destroy(&wt);
        /* the frequency port: NaN turns it off, a value back on */
        ck_assert_ptr_null(tc_apply_port(t, 1, one(NAN)));
        y = tc_host(tc_apply(t, tc_to(ezc_array_copy(x, &err), dev)));
        tc_assert_close(y, x, 0, 0, "signalinjector off");
        ezc_array_destroy(&y);
        ck_assert_ptr_null(tc_apply_port(t, 1, one(13)));
        ck_assert_ptr_null(tc_apply_port(t, 2, one(0)));
        y = tc_host(tc_apply(t, tc_to(ezc_array_copy(x, &err), dev)));
        tc_assert_close(y, x, 0, 0, "signalinjector amplitude 0");
        ezc_array_destroy(&y);
        ezc_array_destroy(&x);
        ezc_array_destroy(&want);
        ezc_transformer_destroy(&t);
    }
}
END_TEST

START_TEST(t_injector_draws_errors)
{
    ezc_error err = {0};
    /* drawn weights: in [-1, 1), the same for the same seed */
    int64_t shape[2] = {4, 5};
    double zeros[20] = {0};
    ezc_array *x = tc_dims(tc_array(EZC_FLOAT64, 2, shape, zeros), "time", "ch");
    ezc_array_set_linear_axis(x, 0, 0.01, 0.003, "s");
    ezc_transformer *a = tc_make(&ezc_signalinjector_type, "frequency=10; mixing_seed=5");
    ezc_transformer *b = tc_make(&ezc_signalinjector_type, "frequency=10; mixing_seed=5");
    ezc_array *ya = tc_apply(a, ezc_array_copy(x, &err)),
              *yb = tc_apply(b, ezc_array_copy(x, &err));
    tc_assert_close(ya, yb, 0, 0, "same seed");
    double s0 = sin(2 * M_PI * 10 * 0.003);
    for (int c = 0; c < 5; c++) {
        double w = tc_get(ya, (size_t)c, 0) / s0;
        ck_assert_msg(w >= -1 && w < 1, "weight %d = %g", c, w);
    }
    ezc_array_destroy(&ya);
    ezc_array_destroy(&yb);
    ezc_transformer_destroy(&a);
    ezc_transformer_destroy(&b);
    /* no frequency: the message passes unchanged */
    a = tc_make(&ezc_signalinjector_type, "");
    ezc_array *c = ezc_array_copy(x, &err);
    ezc_array *y = tc_apply(a, c);
    ck_assert_ptr_eq(y, c);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&a);
    /* errors: named */
    a = tc_make(&ezc_signalinjector_type, "frequency=10; mixing=[1, 2]");
    const char *m = tc_apply_fails(a, ezc_array_copy(x, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "signalinjector: setting 'mixing' has 2 weights; the message has 5 "
                            "channels"),
                  "%s", m);
    m = tc_apply_port_fails(a, 1, tc_array(EZC_FLOAT64, 2, shape, zeros), EZC_ESHAPE);
    ck_assert_msg(strstr(m, "signalinjector: a message on port 'frequency' must hold one number "
                            "(it has 20)"),
                  "%s", m);
    m = tc_apply_port_fails(a, 1, one(-3), EZC_EINVAL);
    ck_assert_msg(strstr(m, "signalinjector: port 'frequency' got -3"), "%s", m);
    ezc_transformer_destroy(&a);
    a = tc_make(&ezc_signalinjector_type, "frequency=10; time_dim=ch");
    int64_t s3[3] = {2, 2, 2};
    double z8[8] = {0};
    ezc_array *x3 = tc_dims(tc_array(EZC_FLOAT64, 3, s3, z8), "a", "ch", "b");
    m = tc_apply_fails(a, x3, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "signalinjector: setting 'time_dim' = 'ch': the time dim must be the "
                            "first or the last"),
                  "%s", m);
    ezc_transformer_destroy(&a);
    m = tc_make_fails(&ezc_signalinjector_type, "frequency=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "signalinjector: setting 'frequency' = -1: expected >= 0 Hz"), "%s", m);
    ezc_array_destroy(&x);
}
END_TEST

/* xp.lattice_notch's contract, on the CPU backend */
START_TEST(t_xp_lattice_contract)
{
    ezc_error err = {0};
    const ezc_xp *xp = ezc_xp_cpu();
    int64_t shape[2] = {4, 3}, n5 = 15, n4 = 12;
    ezc_array *x = ezc_array_zeros(EZC_FLOAT64, 2, shape, NULL, &err);
    ezc_array *y = ezc_array_zeros(EZC_FLOAT64, 2, shape, NULL, &err);
    ezc_array *y32 = ezc_array_zeros(EZC_FLOAT32, 2, shape, NULL, &err);
    ezc_array *st = ezc_array_zeros(EZC_FLOAT64, 1, &n5, NULL, &err);
    ezc_array *st4 = ezc_array_zeros(EZC_FLOAT64, 1, &n4, NULL, &err);
    ezc_array *xi = ezc_array_zeros(EZC_INT32, 2, shape, NULL, &err);
    ck_assert_int_eq(xp->lattice_notch(x, 0, 0.9, 0.9, 0.9, st, y, NULL, &err), 0);
    ck_assert_int_eq(xp->lattice_notch(x, 0, 0.9, 0.9, 0.9, st, x, NULL, &err), 0); /* in place */
    ck_assert_int_eq(xp->lattice_notch(x, 0, 0.9, 0.9, 0.9, st4, y, NULL, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "xp.lattice_notch: st has 12 elements; expected 5 x 1 x 3 = 15"),
                  "%s", err.msg);
    ck_assert_int_eq(xp->lattice_notch(x, 0, 0.9, 0.9, 0.9, st, y32, NULL, &err), EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "xp.lattice_notch: x is float64 but y is float32"), "%s",
                  err.msg);
    ck_assert_int_eq(xp->lattice_notch(xi, 0, 0.9, 0.9, 0.9, st, y, NULL, &err), EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "xp.lattice_notch"), "%s", err.msg);
    ck_assert_int_eq(xp->lattice_notch(x, 0, 0.9, 0.9, 0.9, st, y, x, &err) != 0, 1);
    ck_assert_int_eq(xp->lattice_notch(x, 5, 0.9, 0.9, 0.9, st, y, NULL, &err) != 0, 1);
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
    ezc_array_destroy(&y32);
    ezc_array_destroy(&st);
    ezc_array_destroy(&st4);
    ezc_array_destroy(&xi);
}
END_TEST

/* ---- merge and align: random chunks in random order --------------------- */

static void merge_case(const ezc_transformer_type *type, const char *settings, const char *bname,
                       const char *want_name, const char *blabels, DLDevice dev, int k)
{
    char na[32], nb[32], nw[32];
    snprintf(na, sizeof na, "mrg_a_%s", sfx[k]);
    snprintf(nb, sizeof nb, "%s_%s", bname, sfx[k]);
    snprintf(nw, sizeof nw, "%s_%s", want_name, sfx[k]);
    ezc_array *p = tc_ref("mrg_params");
    double fs = tc_get(p, 0, 0), skip = tc_get(p, 1, 0);
    ezc_array_destroy(&p);
    ezc_array *a = stream(na, fs, 0.0, "xyz", ezc_device_cpu());
    ezc_array *b = stream(nb, fs, skip / fs, blabels, ezc_device_cpu());
    ezc_array *want = tc_ref("%s", nw);
    for (unsigned seed = 1; seed <= 6; seed++) {
        ezc_transformer *t = tc_make(type, settings);
        uint64_t drops[2];
        const unsigned seeds[2] = {seed, seed + 77};
        static const char *const ports[2] = {"a", "b"};
        ezc_array *y = tc_run_two_ports(t, a, b, dev, seeds, ports, drops);
        char what[96];
        snprintf(what, sizeof what, "%s %s seed %u", type->name, sfx[k], seed);
        tc_assert_close(y, want, 0, 0, what);
        ck_assert_int_eq((int)drops[0], (int)skip); /* a's first samples: no partner, said */
        ck_assert_int_eq((int)drops[1], 0);
        ck_assert_int_eq(y->axes[0].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(y->axes[0].offset, skip / fs, 1e-12);
        ck_assert_double_eq_tol(y->axes[0].gain, 1 / fs, 1e-15);
        ezc_array_destroy(&y);
        ezc_transformer_destroy(&t);
    }
    /* whole messages, b first */
    ezc_transformer *t = tc_make(type, settings);
    ezc_error err = {0};
    ezc_array *out = NULL;
    ck_assert_ptr_null(tc_apply_port(t, 1, tc_to(ezc_array_copy(b, &err), dev)));
    ck_assert_int_eq(ezc_transformer_process(t, 0, tc_to(ezc_array_copy(a, &err), dev), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "dropped 5 samples of port 'a' and 0 of port 'b' without a "
                                  "partner (port 'a' starts before port 'b'; 5 and 0 in all)"),
                  "%s", err.msg);
    ezc_array *flush = ezc_array_slice(a, 0, 40, 40, &err);
    ezc_array *y = tc_host(tc_apply_port(t, 0, tc_to(ezc_array_copy(flush, &err), dev)));
    tc_assert_close(y, want, 0, 0, "whole messages");
    if (type == &ezc_merge_type) {
        const char *lab[5] = {"x_a", "y_a", "z_a", "p_b", "q_b"};
        assert_labels(y, 1, lab, 5);
    } else {
        ck_assert_str_eq(y->dims[2], "stream");
        const char *lab[2] = {"a", "b"};
        assert_labels(y, 2, lab, 2);
        const char *ch[3] = {"x", "y", "z"};
        assert_labels(y, 1, ch, 3);
    }
    ezc_array_destroy(&y);
    ezc_array_destroy(&flush);
    ezc_transformer_destroy(&t);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    ezc_array_destroy(&want);
}

START_TEST(t_merge_values_chunks)
{
    for (int k = 0; k < 2; k++)
        merge_case(&ezc_merge_type, "", "mrg_b", "mrg_ab", "pq", tc_dev(_i), k);
}
END_TEST

START_TEST(t_align_values_chunks)
{
    for (int k = 0; k < 2; k++)
        merge_case(&ezc_align_type, "", "mrg_b3", "aln_ab", "xyz", tc_dev(_i), k);
}
END_TEST

START_TEST(t_align_drops_errors)
{
    ezc_error err = {0};
    ezc_array *out = NULL;
    /* buffer_dur bounds what one port holds: the oldest go, counted */
    ezc_transformer *t = tc_make(&ezc_merge_type, "buffer_dur=0.01");
    ck_assert_ptr_null(tc_apply_port(t, 0, tc_ramp(8, 0, 0, 1000)));
    ck_assert_int_eq(ezc_transformer_process(t, 0, tc_ramp(8, 0.008, 16, 1000), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "merge: dropped 6 samples of port 'a' and 0 of port 'b' without "
                                  "a partner (port 'a' ran more than buffer_dur = 0.01 s ahead"),
                  "%s", err.msg);
    /* b joins at a's oldest held time (0.006): 10 pairs */
    ezc_array *y = tc_apply_port(t, 1, tc_ramp(10, 0.006, 100, 1000));
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->shape[0], 10);
    ck_assert_double_eq_tol(y->axes[0].offset, 0.006, 1e-12);
    ck_assert_double_eq(tc_get(y, 0, 0), 12); /* a's sample 6 */
    ck_assert_double_eq(tc_get(y, 2, 0), 100);
    ezc_array_destroy(&y);
    /* a gap on one port: what it held is dropped and said */
    ck_assert_ptr_null(tc_apply_port(t, 0, tc_ramp(3, 0.016, 0, 1000)));
    ck_assert_int_eq(ezc_transformer_process(t, 0, tc_ramp(3, 0.030, 0, 1000), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "dropped 3 samples of port 'a' and 0 of port 'b' without a "
                                  "partner (port 'a' jumped from time 0.019 to 0.03"),
                  "%s", err.msg);
    /* another rate on b: a's held samples go, b's rate wins */
    ck_assert_int_eq(ezc_transformer_process(t, 1, tc_ramp(4, 0.030, 0, 500), &out, &err),
                     EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "dropped 3 samples of port 'a' and 0 of port 'b' without a "
                                  "partner (port 'b' has gain 0.002, port 'a' 0.001"),
                  "%s", err.msg);
    /* no linear time axis: refused, nothing buffered */
    ezc_array *bad = tc_ramp(3, 0, 0, 1000);
    ezc_array_clear_axis(bad, 0);
    ck_assert_int_eq(ezc_transformer_process(t, 0, bad, &out, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "merge: port 'a': dim 'time' has no linear axis"), "%s", err.msg);
    bad = tc_dims(tc_ramp(3, 0, 0, 1000), "t", "ch");
    ck_assert_int_eq(ezc_transformer_process(t, 1, bad, &out, &err), EZC_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "merge: setting 'align_axis' = 'time': the message on port 'b' "
                                  "has no such dim (dims: t, ch)"),
                  "%s", err.msg);
    ezc_transformer_destroy(&t);

    t = tc_make(&ezc_align_type, "axis=t");
    bad = tc_ramp(3, 0, 0, 1000);
    ck_assert_int_eq(ezc_transformer_process(t, 0, bad, &out, &err), EZC_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "align: setting 'axis' = 't': the message on port 'a'"), "%s",
                  err.msg);
    ezc_transformer_destroy(&t);

    const char *m = tc_make_fails(&ezc_merge_type, "buffer_dur=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "merge: setting 'buffer_dur' = 0: expected > 0 seconds"), "%s", m);
    m = tc_make_fails(&ezc_align_type, "gain_rtol=-1", EZC_EINVAL);
    ck_assert_msg(strstr(m, "align: setting 'gain_rtol' = -1: expected >= 0"), "%s", m);
    m = tc_make_fails(&ezc_merge_type, "axis=", EZC_EINVAL);
    ck_assert_msg(strstr(m, "merge: setting 'axis' = '': expected a dim name"), "%s", m);
    ck_assert_int_eq(ezc_transformer_type_port_index(&ezc_merge_type, "b"), 1);
    ck_assert_int_eq(ezc_transformer_type_port_index(&ezc_align_type, "b"), 1);
}
END_TEST

int main(void)
{
    tc_refs_load("tf_dsp3");
    tc_devices_init();
    Suite *s = suite_create("tf_dsp3");
    TCase *tc = tcase_create("dsp3");
    tcase_add_loop_test(tc, t_concat_values, 0, tc_ndevs());
    tcase_add_test(tc, t_concat_errors);
    tcase_add_loop_test(tc, t_merge_values_chunks, 0, tc_ndevs());
    tcase_add_loop_test(tc, t_align_values_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_align_drops_errors);
    tcase_add_loop_test(tc, t_lattice_values_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_lattice_axis_errors);
    tcase_add_test(tc, t_xp_lattice_contract);
    tcase_add_loop_test(tc, t_lnc_values_chunks, 0, tc_ndevs());
    tcase_add_test(tc, t_lnc_axis_errors);
    tcase_add_loop_test(tc, t_injector_values_ports, 0, tc_ndevs());
    tcase_add_test(tc, t_injector_draws_errors);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
