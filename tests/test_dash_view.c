/* test_dash_view.c — the dashboard's decimator (tools/dash/dash_view.h)
 * against a brute-force reference computed here from every sample: min/max
 * (traces) and means (heat map) per column for random chunkings (chunks of
 * 0, 1, 7 and 1000 samples), float32 and float64, time-first and time-last
 * layouts, NaN where a column has no data, the window sliding, spectrum
 * bins, scalars, time going back, zero-size shapes and channel counts too
 * large for one plot refused with a message. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check_run.h"
#include "dash_view.h"

/* fs chosen so that no sample lands near a column boundary (fs * width is
 * irrational), so chunking cannot move a sample across one by rounding. */
#define FS 3141.592653589793
#define OFFSET 1234.5 /* the stream's time of sample 0 */

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Signal: a different mix per channel, reproducible per sample index. */
static double sample(size_t k, size_t c)
{
    return sin(0.01 * (double)k * (double)(c + 1)) * (double)(c + 1) + 0.001 * (double)(k % 7);
}

static const size_t chunk_sizes[] = {0, 1, 7, 1000};

/* Feeds samples [k0, k1) in random chunks of 0/1/7/1000; dtype, layout. */
static void feed_range(dash_view *v, size_t k0, size_t k1, size_t rows, int f64, int time_last)
{
    size_t cap = 1000 * (rows ? rows : 1);
    float *bf = malloc(cap * sizeof *bf);
    double *bd = malloc(cap * sizeof *bd);
    ck_assert(bf && bd);
    for (size_t k = k0; k < k1;) {
        size_t n = chunk_sizes[(size_t)(urand() * 4) % 4];
        if (n > k1 - k)
            n = k1 - k;
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < rows; c++) {
                size_t at = time_last ? c * n + i : i * rows + c;
                bd[at] = sample(k + i, c);
                bf[at] = (float)bd[at];
            }
        ptrdiff_t st = time_last ? 1 : (ptrdiff_t)rows, sc = time_last ? (ptrdiff_t)n : 1;
        uint64_t before = dash_view_fed(v);
        ck_assert_int_eq(dash_view_feed(v, f64 ? (void *)bd : (void *)bf,
                                        f64 ? EZC_FLOAT64 : EZC_FLOAT32, n, st, sc,
                                        OFFSET + (double)k / FS, 1.0 / FS),
                         0);
        ck_assert(dash_view_fed(v) == before + (n > 0)); /* 0 samples: nothing new */
        k += n;
    }
    free(bf);
    free(bd);
}

/* The reference frame after samples [0, kn) were fed. */
static void reference(size_t kn, size_t rows, size_t cols, double window, int heat, int f64,
                      float *out, double *x0)
{
    double w = window / (double)cols;
    size_t last = kn - 1;
    int64_t newest = (int64_t)floor(((double)last / FS) / w), first = newest - (int64_t)cols + 1;
    *x0 = (double)first * w - (double)last / FS;
    for (size_t j = 0; j < cols; j++)
        for (size_t c = 0; c < rows; c++) {
            double mn = INFINITY, mx = -INFINITY, sum = 0;
            size_t cnt = 0;
            for (size_t k = 0; k < kn; k++) {
                int64_t col = (int64_t)floor(((double)k / FS) / w);
                if (col != first + (int64_t)j)
                    continue;
                double x = f64 ? sample(k, c) : (double)(float)sample(k, c);
                mn = fmin(mn, x);
                mx = fmax(mx, x);
                sum += x;
                cnt++;
            }
            if (heat)
                out[c * cols + j] = cnt ? (float)(sum / (double)cnt) : NAN;
            else {
                out[(c * cols + j) * 2] = cnt ? (float)mn : NAN;
                out[(c * cols + j) * 2 + 1] = cnt ? (float)mx : NAN;
            }
        }
}

static void check_frame(dash_view *v, size_t kn, size_t rows, size_t cols, double window, int heat,
                        int f64)
{
    size_t nv = dash_view_frame_values(v);
    ck_assert_uint_eq(nv, rows * cols * (heat ? 1 : 2));
    float *got = malloc((nv + 1) * sizeof *got), *want = malloc((nv + 1) * sizeof *want);
    ck_assert(got && want);
    dash_frame_info fi;
    ck_assert_int_eq(dash_view_frame(v, got, nv, &fi), 0);
    double x0;
    reference(kn, rows, cols, window, heat, f64, want, &x0);
    ck_assert_uint_eq(fi.rows, rows);
    ck_assert_uint_eq(fi.cols, cols);
    ck_assert_uint_eq(fi.values, nv);
    ck_assert(fabs(fi.dx - window / (double)cols) < 1e-12);
    ck_assert_msg(fabs(fi.x0 - x0) < 1e-6, "x0 %.9f vs %.9f", fi.x0, x0);
    size_t nan = 0;
    for (size_t i = 0; i < nv; i++) {
        if (isnan(want[i])) {
            ck_assert_msg(isnan(got[i]), "value %zu: %g where no data", i, (double)got[i]);
            nan++;
            continue;
        }
        if (heat) /* means: summation order differs by nothing but the chunking */
            ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-6f * (1 + fabsf(want[i])),
                          "value %zu: %.9g vs %.9g", i, (double)got[i], (double)want[i]);
        else
            ck_assert_msg(got[i] == want[i], "value %zu: %.9g vs %.9g", i, (double)got[i],
                          (double)want[i]);
    }
    (void)nan;
    free(got);
    free(want);
}

/* Traces and heat map, float32/64, both layouts, a partial then a sliding window. */
START_TEST(t_time_modes)
{
    const size_t rows = 3, cols = 97;
    const double window = 0.5; /* 1571 samples: the window fills, then slides */
    int heat = _i & 1, f64 = (_i >> 1) & 1, time_last = (_i >> 2) & 1;
    ezc_error err;
    dash_view *v =
        dash_view_new(heat ? DASH_MODE_HEATMAP : DASH_MODE_TRACES, rows, cols, window, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    /* Before any data: every column NaN. */
    float *f = malloc(rows * cols * 2 * sizeof *f);
    dash_frame_info fi;
    ck_assert_int_eq(dash_view_frame(v, f, rows * cols * 2, &fi), 0);
    for (size_t i = 0; i < fi.values; i++)
        ck_assert(isnan(f[i]));
    free(f);
    feed_range(v, 0, 400, rows, f64, time_last); /* part of a window: older columns empty */
    check_frame(v, 400, rows, cols, window, heat, f64);
    feed_range(v, 400, 5000, rows, f64, time_last); /* three windows on: it slid */
    check_frame(v, 5000, rows, cols, window, heat, f64);
    dash_view_destroy(&v);
    ck_assert_ptr_null(v);
}
END_TEST

/* Time that goes back (a restarted source) starts the view over; a jump of
 * more than a window clears it. */
START_TEST(t_restart_and_jump)
{
    ezc_error err;
    dash_view *v = dash_view_new(DASH_MODE_TRACES, 1, 16, 1.0, &err);
    ck_assert_ptr_nonnull(v);
    float x[100], out[32];
    for (int i = 0; i < 100; i++)
        x[i] = 5;
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 100, 1, 1, 100.0, 0.01), 0);
    for (int i = 0; i < 100; i++)
        x[i] = -1;
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 10, 1, 1, 3.0, 0.01), 0); /* back */
    dash_frame_info fi;
    ck_assert_int_eq(dash_view_frame(v, out, 32, &fi), 0);
    int data = 0;
    for (int j = 0; j < 16; j++)
        if (!isnan(out[2 * j])) {
            ck_assert(out[2 * j] == -1 && out[2 * j + 1] == -1); /* nothing of the old 5s */
            data++;
        }
    ck_assert_int_eq(data, 2); /* 0.1 s of data in columns of 1/16 s */
    for (int i = 0; i < 100; i++)
        x[i] = 7;
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 1, 1, 1, 50.0, 0.01), 0); /* ahead */
    ck_assert_int_eq(dash_view_frame(v, out, 32, &fi), 0);
    for (int j = 0; j < 15; j++)
        ck_assert(isnan(out[2 * j]));
    ck_assert(out[30] == 7 && out[31] == 7);
    /* NaN samples stay out of min/max */
    x[0] = NAN;
    x[1] = 9;
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 2, 1, 1, 50.001, 0.0001), 0);
    ck_assert_int_eq(dash_view_frame(v, out, 32, &fi), 0);
    ck_assert(out[30] == 7 && out[31] == 9);
    dash_view_destroy(&v);
}
END_TEST

/* Spectrum: the newest message's bins, max over the bins of a column. */
START_TEST(t_spectrum)
{
    const size_t rows = 2, nb = 1000, cols = 64;
    ezc_error err;
    dash_view *v = dash_view_new(DASH_MODE_SPECTRUM, rows, cols, 1, &err);
    ck_assert_ptr_nonnull(v);
    double *d = malloc(nb * rows * sizeof *d);
    float out[128];
    for (int round = 0; round < 2; round++) { /* the second replaces the first */
        for (size_t i = 0; i < nb; i++)
            for (size_t c = 0; c < rows; c++)
                d[i * rows + c] = urand() * (double)(c + 1) + round * 100;
        ck_assert_int_eq(dash_view_feed(v, d, EZC_FLOAT64, nb, (ptrdiff_t)rows, 1, 2.0, 0.5), 0);
    }
    dash_frame_info fi;
    ck_assert_int_eq(dash_view_frame(v, out, 128, &fi), 0);
    ck_assert_uint_eq(fi.cols, cols);
    ck_assert(fi.x0 == 2.0 && fabs(fi.dx - 0.5 * nb / cols) < 1e-12);
    for (size_t c = 0; c < rows; c++)
        for (size_t j = 0; j < cols; j++) {
            double m = -INFINITY;
            for (size_t i = j * nb / cols; i < (j + 1) * nb / cols; i++)
                m = fmax(m, d[i * rows + c]);
            ck_assert(out[c * cols + j] == (float)m);
        }
    /* fewer bins than columns: one column per bin, time-last layout */
    float few[2 * 10];
    for (int i = 0; i < 20; i++)
        few[i] = (float)i;
    ck_assert_int_eq(dash_view_feed(v, few, EZC_FLOAT32, 10, 1, 10, 0, 1), 0);
    ck_assert_int_eq(dash_view_frame(v, out, 128, &fi), 0);
    ck_assert_uint_eq(fi.cols, 10);
    ck_assert_uint_eq(fi.values, 20);
    for (int i = 0; i < 20; i++)
        ck_assert(out[i] == (float)i);
    free(d);
    dash_view_destroy(&v);
}
END_TEST

START_TEST(t_scalars)
{
    ezc_error err;
    dash_view *v = dash_view_new(DASH_MODE_SCALARS, 3, 800, 5, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(dash_view_frame_values(v), 3);
    double x[] = {1, 2, 3, 4, 5, 6};
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT64, 2, 3, 1, 0, 1), 0);
    float out[3];
    dash_frame_info fi;
    ck_assert_int_eq(dash_view_frame(v, out, 3, &fi), 0);
    ck_assert(out[0] == 4 && out[1] == 5 && out[2] == 6);
    ck_assert_int_eq(dash_view_frame(v, out, 2, &fi), EZC_EINVAL); /* too small */
    dash_view_destroy(&v);
}
END_TEST

/* Zero-size shapes, refused arguments, channel counts too large. */
START_TEST(t_limits)
{
    ezc_error err;
    for (int m = DASH_MODE_TRACES; m <= DASH_MODE_SCALARS; m++) {
        dash_view *v = dash_view_new((dash_mode)m, 0, 100, 1, &err); /* no channels */
        ck_assert_msg(v != NULL, "%s", err.msg);
        ck_assert_uint_eq(dash_view_frame_values(v), 0);
        ck_assert_int_eq(dash_view_feed(v, NULL, EZC_FLOAT32, 50, 0, 1, 0, 0.001), 0);
        float none[1];
        dash_frame_info fi;
        ck_assert_int_eq(dash_view_frame(v, none, 0, &fi), 0);
        ck_assert_uint_eq(fi.values, 0);
        dash_view_destroy(&v);
    }
    dash_view *v = dash_view_new(DASH_MODE_TRACES, 100000, 800, 5, &err);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "100000 channels x 800 columns is too many values"), "%s",
                  err.msg);
    ck_assert_ptr_null(dash_view_new(DASH_MODE_HEATMAP, SIZE_MAX, 4096, 5, &err));
    ck_assert_ptr_null(dash_view_new(DASH_MODE_SCALARS, SIZE_MAX / 2, 16, 5, &err));
    ck_assert_ptr_null(dash_view_new(DASH_MODE_TRACES, 4, 0, 5, &err));
    ck_assert_ptr_null(dash_view_new(DASH_MODE_TRACES, 4, DASH_VIEW_COLS_MAX + 1, 5, &err));
    ck_assert_ptr_null(dash_view_new(DASH_MODE_TRACES, 4, 100, 0, &err));
    ck_assert_ptr_null(dash_view_new(DASH_MODE_TRACES, 4, 100, NAN, &err));
    ck_assert_ptr_null(dash_view_new(DASH_MODE_AUTO, 4, 100, 1, &err));
    v = dash_view_new(DASH_MODE_TRACES, 1, 100, 1, &err);
    int32_t ints[4] = {0};
    float x[4] = {0};
    ck_assert_int_eq(dash_view_feed(v, ints, EZC_INT32, 4, 1, 1, 0, 0.1), EZC_EINVAL);
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 4, 1, 1, 0, 0), EZC_EINVAL);
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 4, 1, 1, NAN, 0.1), EZC_EINVAL);
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 4, 1, 1, 0, INFINITY), EZC_EINVAL);
    ck_assert_int_eq(dash_view_feed(v, x, EZC_FLOAT32, 4, 1, 1, 1e300, 0.1), 0); /* far: over */
    ck_assert_uint_eq(dash_view_fed(v), 1);
    dash_view_destroy(&v);
    dash_view_destroy(&v); /* NULL-safe */
    ck_assert_int_eq(dash_mode_auto(1, 0, 8), DASH_MODE_TRACES);
    ck_assert_int_eq(dash_mode_auto(1, 0, 65), DASH_MODE_HEATMAP);
    ck_assert_int_eq(dash_mode_auto(1, 1, 8), DASH_MODE_HEATMAP);
    ck_assert_int_eq(dash_mode_auto(0, 1, 8), DASH_MODE_SPECTRUM);
    ck_assert_int_eq(dash_mode_auto(0, 0, 8), DASH_MODE_SCALARS);
    ck_assert_int_eq(dash_mode_from_name("heatmap"), DASH_MODE_HEATMAP);
    ck_assert_int_eq(dash_mode_from_name("pie"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dash_view");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_time_modes, 0, 8);
    tcase_add_test(tc, t_restart_and_jump);
    tcase_add_test(tc, t_spectrum);
    tcase_add_test(tc, t_scalars);
    tcase_add_test(tc, t_limits);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
