/* test_tf_sampler.c — events messages (ezc/events.h) and the sampler:
 * windows equal to slicing the same signal, x[i0 : i0 + L] with i0 the
 * first sample at or after t + start (exact: a window is a copy), whatever
 * the chunking of the signal and whichever of signal and events comes
 * first; late, future and overflowing events counted in the output attrs;
 * labels on the event coordinate; settings errors named; events through the
 * wire and a recording and back; no data buffer allocated on the steady path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/events.h"
#include "ezc/recording.h"
#include "ezc/wire.h"
#include "tf_test.h"

extern const ezc_transformer_type ezc_sampler_type;

#define N 1000
#define NCH 3
#define FS 100.0
#define T0 2.0

static const ezc_dtype dtypes[2] = {EZC_FLOAT32, EZC_FLOAT64};

/* [time, ch] at FS from T0: x[i, c] = 10 i + c (exact in float32). */
static ezc_array *make_signal(ezc_dtype t)
{
    static double v[N * NCH];
    for (int i = 0; i < N; i++)
        for (int c = 0; c < NCH; c++)
            v[i * NCH + c] = 10.0 * i + c;
    int64_t shape[2] = {N, NCH};
    ezc_array *a = tc_dims(tc_array(t, 2, shape, v), "time", "ch");
    ezc_array_set_linear_axis(a, 0, 1 / FS, T0, "s");
    const char *ch[NCH] = {"c3", "cz", "c4"};
    ezc_error err = {0};
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, ch, NCH, "", &err), 0);
    ezc_array_attr_set_str(a, "subject", "s01", &err);
    return a;
}

static ezc_array *events(size_t n, const double *t, const char *const *lab)
{
    ezc_error err = {0};
    ezc_array *e = ezc_events_new(n, t, lab, &err);
    ck_assert_msg(e != NULL, "%s", err.msg);
    return e;
}

/* Expected first index of an event's window (the reference's rule). */
static int64_t first(double t, double start)
{
    return (int64_t)ceil((t + start - T0) * FS - 1e-6);
}

/* Checks window w of y (host) against the signal for an event at t. */
static void check_window(const ezc_array *y, size_t w, double t, double start, int64_t L,
                         const char *label)
{
    int64_t i0 = first(t, start);
    ck_assert_int_eq(y->shape[1], L);
    ck_assert_int_eq(y->shape[2], NCH);
    for (int64_t i = 0; i < L; i++)
        for (int c = 0; c < NCH; c++) {
            double got = tc_get(y, ((size_t)w * (size_t)L + (size_t)i) * NCH + (size_t)c, 0);
            ck_assert_msg(got == 10.0 * (double)(i0 + i) + c,
                          "event %s window %zu: [%lld, %d] = %g, want %g", label, w, (long long)i,
                          c, got, 10.0 * (double)(i0 + i) + c);
        }
    ck_assert_str_eq(y->axes[0].coords->labels[w], label);
}

/* Slices [a, b) of a signal along time, on device d. */
static ezc_array *piece(const ezc_array *x, int64_t a, int64_t b, DLDevice d)
{
    ezc_error err = {0};
    ezc_array *p = ezc_array_slice(x, 0, a, b, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ezc_array *c = ezc_array_copy(p, &err); /* a buffer of its own, as from upstream */
    ezc_array_destroy(&p);
    return tc_to(c, d);
}

#define NEV 6
static const double ev_t[NEV] = {2.5, 3.003, 5.0, 5.0, 7.777, 11.5};
static const char *const ev_l[NEV] = {"left", "right", "left", "rest", "right", "left"};

/* Feeds events (before, between or after the signal chunks) and the signal
 * in the given chunks; returns the windows joined along "event" in order. */
static ezc_array *run(DLDevice d, ezc_dtype dt, const int64_t *lens, size_t nl, int events_at)
{
    ezc_transformer *t = tc_make(&ezc_sampler_type, "start=-0.1; stop=0.2; buffer_duration=10");
    ezc_array *x = make_signal(dt), *outs[64];
    size_t no = 0;
    int64_t at = 0;
    for (size_t c = 0; c <= nl; c++) {
        if ((size_t)events_at == c) {
            ezc_array *y = tc_apply_port(t, 1, events(NEV, ev_t, ev_l));
            if (y)
                outs[no++] = tc_host(y);
        }
        if (c == nl)
            break;
        ezc_array *y = tc_apply_port(t, 0, piece(x, at, at + lens[c], d));
        at += lens[c];
        if (y) {
            ck_assert_int_lt(no, 64);
            outs[no++] = tc_host(y);
        }
    }
    ezc_error err = {0};
    ezc_array *all = no ? ezc_array_concat((const ezc_array *const *)outs, no, 0, &err) : NULL;
    ck_assert_msg(!no || all, "%s", err.msg);
    for (size_t i = 0; i < no; i++) {
        ck_assert_str_eq(outs[i]->dims[0], "event");
        ck_assert_str_eq(outs[i]->dims[1], "time");
        ck_assert_str_eq(outs[i]->dims[2], "ch");
        ck_assert_int_eq(outs[i]->axes[1].kind, EZC_AXIS_LINEAR);
        ck_assert_double_eq_tol(outs[i]->axes[1].gain, 1 / FS, 1e-15);
        ck_assert_double_eq(outs[i]->axes[1].offset, -0.1);
        ck_assert_str_eq(outs[i]->axes[2].coords->labels[2], "c4");
        ck_assert_str_eq(ezc_array_attr(outs[i], "subject")->v.s.ptr, "s01");
        ck_assert_ptr_null(ezc_array_attr(outs[i], "ezc.sampler.late"));
        ezc_array_destroy(&outs[i]);
    }
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
    return all;
}

static void check_all(const ezc_array *y)
{
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->shape[0], NEV);
    for (size_t w = 0; w < NEV; w++)
        check_window(y, w, ev_t[w], -0.1, 30, ev_l[w]);
}

/* Against numpy (tests/ref/gen_tf_sampler.py): a random signal, events on
 * and off the sample grid, the signal in random chunks (0 and 1 samples
 * among them), the events before it or a third of the way through. */
START_TEST(t_numpy)
{
    const char *sfx = _i % 2 ? "f64" : "f32";
    ezc_array *set = tc_ref("settings"), *tt = tc_ref("events_t");
    ezc_array *x = tc_dims(tc_ref("x_%s", sfx), "time", "ch"), *want = tc_ref("windows_%s", sfx);
    const double *sv = ezc_array_data(set);
    ezc_array_set_linear_axis(x, 0, 1 / sv[0], sv[1], "s");
    size_t ne = (size_t)tt->shape[0];
    const char *lab[16];
    char names[16][24];
    for (size_t e = 0; e < ne; e++) {
        snprintf(names[e], sizeof names[e], "e%zu", e);
        lab[e] = names[e];
    }
    char settings[128];
    snprintf(settings, sizeof settings, "start=%.17g; stop=%.17g", sv[2], sv[3]);
    for (unsigned seed = 0; seed < 4; seed++) {
        int64_t lens[64];
        size_t nl = tc_random_chunks(x->shape[0], 99 + seed, lens, 64), no = 0;
        ezc_transformer *t = tc_make(&ezc_sampler_type, settings);
        ezc_array *outs[64];
        int64_t at = 0;
        for (size_t c = 0; c <= nl; c++) {
            ezc_array *y = NULL;
            if (c == (seed % 2 ? nl / 3 : 0))
                y = tc_apply_port(t, 1, events(ne, ezc_array_data(tt), lab));
            if (y)
                outs[no++] = tc_host(y);
            if (c == nl)
                break;
            y = tc_apply_port(t, 0, piece(x, at, at + lens[c], tc_dev(_i / 2)));
            at += lens[c];
            if (y)
                outs[no++] = tc_host(y);
        }
        ezc_error err = {0};
        ezc_array *all = ezc_array_concat((const ezc_array *const *)outs, no, 0, &err);
        ck_assert_msg(all != NULL, "%s", err.msg);
        tc_assert_close(all, want, 0, 0, "sampler windows vs numpy");
        for (size_t e = 0; e < ne; e++)
            ck_assert_str_eq(all->axes[0].coords->labels[e], lab[e]);
        for (size_t i = 0; i < no; i++)
            ezc_array_destroy(&outs[i]);
        ezc_array_destroy(&all);
        ezc_transformer_destroy(&t);
    }
    ezc_array_destroy(&set);
    ezc_array_destroy(&tt);
    ezc_array_destroy(&x);
    ezc_array_destroy(&want);
}
END_TEST

/* Events before the signal, the signal in one message: all at once. */
START_TEST(t_events_first_whole)
{
    int64_t lens[1] = {N};
    ezc_array *y = run(tc_dev(_i / 2), dtypes[_i % 2], lens, 1, 0);
    ck_assert_int_eq(y->dtype, dtypes[_i % 2]);
    check_all(y);
    ezc_array_destroy(&y);
}
END_TEST

/* Events after the signal has arrived: each window comes on the events call. */
START_TEST(t_events_after)
{
    int64_t lens[2] = {600, 400}; /* the ring holds 1000 samples: all of it */
    ezc_array *y = run(tc_dev(_i / 2), dtypes[_i % 2], lens, 2, 2);
    check_all(y);
    ezc_array_destroy(&y);
}
END_TEST

/* Random chunks (0 and 1 samples among them), events before, between and
 * after: the same windows in the same order. */
START_TEST(t_random_chunks)
{
    for (unsigned seed = 1; seed <= 6; seed++) {
        int64_t lens[40];
        size_t nl = tc_random_chunks(N, seed + 17u * (unsigned)_i, lens, 40);
        for (int at = 0; at <= 2; at++) {
            ezc_array *y = run(tc_dev(_i / 2), dtypes[_i % 2], lens, nl, at * (int)nl / 4);
            check_all(y);
            ezc_array_destroy(&y);
        }
    }
}
END_TEST

/* Time not the first dim: output [event, time, ch] all the same. */
START_TEST(t_time_not_first)
{
    ezc_error err = {0};
    ezc_transformer *t = tc_make(&ezc_sampler_type, "start=0; stop=0.05");
    ezc_array *x = make_signal(EZC_FLOAT64);
    int perm[2] = {1, 0};
    ezc_array *xt = ezc_array_permute(x, perm, &err);
    ck_assert_ptr_nonnull(xt);
    const double tt[2] = {3.0, 2.0};
    const char *ll[2] = {"a", "b"};
    ck_assert_ptr_null(tc_apply_port(t, 1, events(2, tt, ll)));
    ezc_array *y = tc_host(tc_apply_port(t, 0, xt));
    ck_assert_int_eq(y->shape[0], 2);
    check_window(y, 0, 3.0, 0, 5, "a");
    check_window(y, 1, 2.0, 0, 5, "b");
    ezc_array_destroy(&y);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

static int64_t attr_int(const ezc_array *y, const char *k)
{
    const ezc_attr *a = ezc_array_attr(y, k);
    ck_assert_msg(a && a->type == EZC_ATTR_INT, "attr %s missing", k);
    return a->v.i;
}

/* Late, future and overflowing events are counted on the next output. */
START_TEST(t_counts)
{
    ezc_transformer *t =
        tc_make(&ezc_sampler_type, "start=-0.1; stop=0.1; buffer_duration=1; max_pending=3");
    ezc_array *x = make_signal(EZC_FLOAT32);
    /* 3 pending before any signal; the fourth overflows */
    const double t0[4] = {2.05, 2.5, 9.0, 2.6};
    const char *l0[4] = {"late", "ok", "future", "dropped"};
    ck_assert_ptr_null(tc_apply_port(t, 1, events(4, t0, l0)));
    ezc_array *y = tc_apply_port(t, 0, piece(x, 0, 100, tc_dev(0))); /* 2.0 .. 2.99 s */
    /* 2.05: window from 1.95 s, before the stream: late; 9.0: stop 9.1 >
     * 2.99 + 1: future; 2.5 ready */
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->shape[0], 1);
    check_window(y, 0, 2.5, -0.1, 20, "ok");
    ck_assert_int_eq(attr_int(y, "ezc.sampler.late"), 1);
    ck_assert_int_eq(attr_int(y, "ezc.sampler.future"), 1);
    ck_assert_int_eq(attr_int(y, "ezc.sampler.overflow"), 1);
    ezc_array_destroy(&y);
    /* more signal: the ring keeps 1 s (100 samples); an event whose window
     * starts at 2.4 s is late once 4.0 s has arrived */
    ck_assert_ptr_null(tc_apply_port(t, 0, piece(x, 100, 220, tc_dev(0))));
    const double t1[2] = {2.5, 3.6};
    const char *l1[2] = {"gone", "fine"};
    y = tc_apply_port(t, 1, events(2, t1, l1));
    ck_assert_int_eq(y->shape[0], 1);
    check_window(y, 0, 3.6, -0.1, 20, "fine");
    ck_assert_int_eq(attr_int(y, "ezc.sampler.late"), 2);
    ezc_array_destroy(&y);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

/* Only as many events wait as max_pending; no output when none is ready;
 * an empty events message is fine. */
START_TEST(t_pending_bounded)
{
    ezc_transformer *t = tc_make(&ezc_sampler_type, "start=0; stop=0.1; max_pending=1");
    ezc_array *x = make_signal(EZC_FLOAT64);
    ck_assert_ptr_null(tc_apply_port(t, 1, events(0, NULL, NULL)));
    ck_assert_ptr_null(tc_apply_port(t, 0, piece(x, 0, 10, tc_dev(0))));
    const double tt[3] = {2.2, 2.3, 2.4};
    const char *ll[3] = {"a", "b", "c"};
    ck_assert_ptr_null(tc_apply_port(t, 1, events(3, tt, ll)));
    ezc_array *y = tc_apply_port(t, 0, piece(x, 10, 100, tc_dev(0)));
    ck_assert_int_eq(y->shape[0], 1);
    check_window(y, 0, 2.2, 0, 10, "a");
    ck_assert_int_eq(attr_int(y, "ezc.sampler.overflow"), 2);
    ezc_array_destroy(&y);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

START_TEST(t_settings_errors)
{
    const char *m = tc_make_fails(&ezc_sampler_type, "start=0.5; stop=0.2", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sampler") && strstr(m, "'stop' = 0.2") && strstr(m, "0.5"), "%s", m);
    m = tc_make_fails(&ezc_sampler_type, "start=0; stop=1; buffer_duration=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sampler") && strstr(m, "'buffer_duration' = 0"), "%s", m);
    m = tc_make_fails(&ezc_sampler_type, "start=0; stop=3; buffer_duration=2", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sampler") && strstr(m, "'buffer_duration' = 2"), "%s", m);
    m = tc_make_fails(&ezc_sampler_type, "start=0; stop=1; max_pending=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "sampler") && strstr(m, "'max_pending' = 0"), "%s", m);
    m = tc_make_fails(&ezc_sampler_type, "start=0", EZC_EINVAL);
    ck_assert_msg(strstr(m, "stop"), "%s", m);
}
END_TEST

/* Malformed inputs are refused with the port and the fault named; the
 * instance stays usable. */
START_TEST(t_bad_inputs)
{
    ezc_transformer *t = tc_make(&ezc_sampler_type, "start=0; stop=0.1");
    ezc_array *x = make_signal(EZC_FLOAT64);
    const char *m = tc_apply_port_fails(t, 1, piece(x, 0, 10, tc_dev(0)), EZC_EINVAL);
    ck_assert_msg(strstr(m, "sampler: port 'events': events: attr 'ezc.kind'"), "%s", m);
    ezc_array *nolin = piece(x, 0, 10, tc_dev(0));
    ezc_array_clear_axis(nolin, 0);
    m = tc_apply_port_fails(t, 0, nolin, EZC_EINVAL);
    ck_assert_msg(strstr(m, "sampler: axis 'time' must be linear"), "%s", m);
    ezc_array *evdim = piece(x, 0, 10, tc_dev(0));
    ezc_error err = {0};
    ezc_array_set_dim(evdim, 1, "event", &err);
    m = tc_apply_port_fails(t, 0, evdim, EZC_ESHAPE);
    ck_assert_msg(strstr(m, "sampler: the signal has a dim 'event' already"), "%s", m);
    const double tt[1] = {2.0};
    const char *ll[1] = {"a"};
    ck_assert_ptr_null(tc_apply_port(t, 1, events(1, tt, ll)));
    ezc_array *y = tc_apply_port(t, 0, piece(x, 0, 10, tc_dev(0)));
    check_window(y, 0, 2.0, 0, 10, "a");
    ezc_array_destroy(&y);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

/* ezc_events_new -> wire -> ezc_events_check, and what check refuses. */
START_TEST(t_events_roundtrip)
{
    ezc_error err = {0};
    const double tt[3] = {0.25, 1e9, -3.5};
    const char *ll[3] = {"go", "", "stop \xc3\xa9"};
    for (size_t n = 0; n <= 3; n += 3) {
        ezc_array *e = events(n, tt, ll);
        ck_assert_int_eq(ezc_events_check(e, &err), 0);
        ezc_wire_encoder *enc = ezc_wire_encoder_new(&err);
        const void *h;
        size_t hl;
        ck_assert_int_eq(ezc_wire_encode_header(enc, e, &h, &hl, &err), 0);
        ezc_array *d = NULL;
        ck_assert_msg(ezc_wire_decode(h, hl, n ? e->buf : NULL, &d, &err) == 0, "%s", err.msg);
        ck_assert_msg(ezc_events_check(d, &err) == 0, "%s", err.msg);
        ck_assert(ezc_events_is(d));
        ck_assert_uint_eq(ezc_events_count(d), n);
        for (size_t i = 0; i < n; i++) {
            ck_assert_double_eq(ezc_events_time(d, i), tt[i]);
            ck_assert_str_eq(ezc_events_label(d, i), ll[i]);
        }
        ezc_array_destroy(&d);
        ezc_wire_encoder_destroy(&enc);
        ezc_array_destroy(&e);
    }
    /* a recording keeps it as any message (ezc record / ezc replay) */
    ezc_array *e0 = events(3, tt, ll);
    ezc_recording_writer *w = ezc_recording_writer_new(tc_tmp_path("ev.ezcr"), 1, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_int_eq(ezc_recording_writer_add_array(w, "ev", e0, 1, &err), 0);
    ck_assert_int_eq(ezc_recording_writer_close(&w, &err), 0);
    ezc_recording *r = ezc_recording_open(tc_tmp_path("ev.ezcr"), &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    ezc_array *back = NULL;
    ck_assert_int_eq(ezc_recording_decode(r, 0, &back, &err), 0);
    ck_assert_msg(ezc_events_check(back, &err) == 0, "%s", err.msg);
    ck_assert_double_eq(ezc_events_time(back, 1), 1e9);
    ck_assert_str_eq(ezc_events_label(back, 2), ll[2]);
    ezc_array_destroy(&back);
    ezc_recording_close(&r);
    ezc_array_destroy(&e0);
    /* refused by ezc_events_new */
    const double bad[1] = {NAN};
    ck_assert_ptr_null(ezc_events_new(1, bad, ll, &err));
    ck_assert_msg(strstr(err.msg, "events: time[0] is nan"), "%s", err.msg);
    const char *nul[1] = {NULL};
    ck_assert_ptr_null(ezc_events_new(1, tt, nul, &err));
    ck_assert_msg(strstr(err.msg, "events: label[0]"), "%s", err.msg);
    /* refused by ezc_events_check */
    ezc_array *e = events(3, tt, ll);
    ((double *)ezc_array_data(e))[2] = INFINITY;
    ck_assert_int_eq(ezc_events_check(e, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "events: time[2] is inf"), "%s", err.msg);
    ((double *)ezc_array_data(e))[2] = 1;
    ezc_array_clear_axis(e, 0);
    ck_assert_int_eq(ezc_events_check(e, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "events: axis 'event' has no labels"), "%s", err.msg);
    ezc_array_set_dim(e, 0, "time", &err);
    ck_assert_int_eq(ezc_events_check(e, &err), EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "events: dims are (time)"), "%s", err.msg);
    ezc_array_attr_remove(e, "ezc.kind");
    ck_assert_int_eq(ezc_events_check(e, &err), EZC_EINVAL);
    ck_assert(!ezc_events_is(e));
    ezc_array_destroy(&e);
    int64_t shape[1] = {2};
    ezc_array *f = tc_dims(tc_array(EZC_FLOAT32, 1, shape, tt), "event");
    ezc_array_attr_set_str(f, "ezc.kind", "events", &err);
    ck_assert_int_eq(ezc_events_check(f, &err), EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "events: times are float32"), "%s", err.msg);
    ezc_array_destroy(&f);
}
END_TEST

/* The steady path allocates no data buffer (as tf_steady checks for the
 * one-port types: the sampler's events port takes only events, so it is
 * checked here): 100-sample signal messages, each followed by two events
 * (one ready at once, one waiting for the next message),
 * all made before the count starts, outputs released. */
START_TEST(t_steady)
{
    enum { WARM = 8, RUNS = 20 };
    ezc_transformer *t = tc_make(&ezc_sampler_type, "start=-0.05; stop=0.1; buffer_duration=1");
    ezc_array *x = make_signal(EZC_FLOAT32), *sig[WARM + RUNS], *ev[WARM + RUNS];
    for (int i = 0; i < WARM + RUNS; i++) {
        sig[i] = piece(x, (i * 30) % (N - 100), (i * 30) % (N - 100) + 100, tc_dev(0));
        sig[i]->axes[0].offset = T0 + 1.0 * i; /* consecutive 1 s messages */
        const double tt[2] = {T0 + i + 0.1, T0 + i + 0.971};
        const char *ll[2] = {"a", "b"};
        ev[i] = events(2, tt, ll);
    }
    uint64_t before = 0;
    size_t got = 0;
    for (int i = 0; i < WARM + RUNS; i++) {
        if (i == WARM)
            before = ezc_buffer_new_count();
        ezc_array *y = tc_apply_port(t, 0, sig[i]);
        got += y ? (size_t)y->shape[0] : 0;
        ezc_array_destroy(&y);
        y = tc_apply_port(t, 1, ev[i]); /* events come after their signal */
        got += y ? (size_t)y->shape[0] : 0;
        ezc_array_destroy(&y);
    }
    ck_assert_msg(ezc_buffer_new_count() == before, "%llu data buffers allocated",
                  (unsigned long long)(ezc_buffer_new_count() - before));
    ck_assert_uint_eq(got, 2 * (WARM + RUNS) - 1); /* the last 'b' waits for more signal */
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
}
END_TEST

int main(void)
{
    tc_devices_init();
    tc_refs_load("tf_sampler");
    Suite *s = suite_create("tf_sampler");
    TCase *tc = tcase_create("core");
    int nd = tc_ndevs();
    tcase_add_loop_test(tc, t_numpy, 0, 2 * nd);
    tcase_add_loop_test(tc, t_events_first_whole, 0, 2 * nd);
    tcase_add_loop_test(tc, t_events_after, 0, 2 * nd);
    tcase_add_loop_test(tc, t_random_chunks, 0, 2 * nd);
    tcase_add_test(tc, t_time_not_first);
    tcase_add_test(tc, t_counts);
    tcase_add_test(tc, t_pending_bounded);
    tcase_add_test(tc, t_settings_errors);
    tcase_add_test(tc, t_bad_inputs);
    tcase_add_test(tc, t_events_roundtrip);
    tcase_add_test(tc, t_steady);
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
