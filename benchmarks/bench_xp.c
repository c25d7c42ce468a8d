/* bench_xp.c — speed of the CPU array namespace against baselines measured in
 * the same run: element-wise ops in place against memcpy of the same bytes,
 * a mean over time against a naive loop, an rFFT against its own first call
 * (which pays for planning). Each figure is the median of several runs.
 *
 *   meson test -C build --benchmark xp_cpu -v */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ezc/ezc.h"
#include "bench_util.h"

#define REPS 9

static ezc_array *make(ezc_dtype t, int nd, const int64_t *shape)
{
    ezc_error err = {0};
    ezc_array *a = ezc_array_new(t, nd, shape, NULL, ezc_device_cpu(), &err);
    if (!a) {
        fprintf(stderr, "bench_xp: %s\n", err.msg);
        exit(1);
    }
    return a;
}

static void fill_random(ezc_array *a)
{
    float *p = ezc_array_data(a);
    unsigned s = 12345;
    for (size_t i = 0; i < ezc_array_size(a); i++) {
        s = s * 1103515245u + 12345u;
        p[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

static void check(int rc, const ezc_error *err)
{
    if (rc) {
        fprintf(stderr, "bench_xp: %s\n", err->msg);
        exit(1);
    }
}

/* ---- element-wise against memcpy --------------------------------------- */

static void bench_elementwise(void)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_error err = {0};
    const int64_t n = (int64_t)16 << 20;
    ezc_array *x = make(EZC_FLOAT32, 1, &n), *dst = make(EZC_FLOAT32, 1, &n);
    fill_random(x);
    memset(ezc_array_data(dst), 0, ezc_array_nbytes(dst));
    size_t bytes = ezc_array_nbytes(x);
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = bench_now();
        memcpy(ezc_array_data(dst), ezc_array_data(x), bytes);
        t[r] = bench_now() - t0;
    }
    double base = bench_median(t, REPS);
    /* Bytes moved: each op reads and writes the array once, as memcpy. */
    printf("element-wise, 16 Mi float32 in place (%zu MiB read + written)\n", bytes >> 20);
    printf("  %-22s %9.3f ms %8.2f GB/s\n", "memcpy to 2nd buffer", base * 1e3,
           2.0 * (double)bytes / base / 1e9);
    const char *names[3] = {"abs", "clip [-0.5, 0.5]", "scale (x * 1.0001 + 0)"};
    for (int op = 0; op < 3; op++) {
        for (int r = 0; r < REPS; r++) {
            double t0 = bench_now();
            int rc = op == 0   ? xp->unary(EZC_UNARY_ABS, x, x, &err)
                     : op == 1 ? xp->clip(x, x, -0.5, 0.5, &err)
                               : xp->affine(x, x, 1.0001, 0.0, &err);
            t[r] = bench_now() - t0;
            check(rc, &err);
        }
        double m = bench_median(t, REPS);
        printf("  %-22s %9.3f ms %8.2f GB/s   memcpy time / op time = %.2f\n", names[op], m * 1e3,
               2.0 * (double)bytes / m / 1e9, base / m);
    }
    ezc_array_destroy(&x);
    ezc_array_destroy(&dst);
}

/* ---- mean over time against a naive loop ------------------------------- */

/* What one would write first: one channel at a time down the time axis. */
static void naive_mean_axis0(const float *x, size_t rows, size_t cols, float *y)
{
    for (size_t c = 0; c < cols; c++) {
        double s = 0;
        for (size_t r = 0; r < rows; r++)
            s += x[r * cols + c];
        y[c] = (float)(s / (double)rows);
    }
}

static void naive_mean_axis1(const float *x, size_t rows, size_t cols, float *y)
{
    for (size_t r = 0; r < rows; r++) {
        double s = 0;
        for (size_t c = 0; c < cols; c++)
            s += x[r * cols + c];
        y[r] = (float)(s / (double)cols);
    }
}

static void bench_mean(void)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_error err = {0};
    printf("mean over time, float32\n");
    for (int layout = 0; layout < 2; layout++) {
        /* (time, ch) reduced along axis 0, then (ch, time) along axis 1. */
        int64_t shape[2] = {layout ? 64 : 100000, layout ? 100000 : 64};
        int axis = layout;
        ezc_array *x = make(EZC_FLOAT32, 2, shape);
        fill_random(x);
        int64_t m = 64;
        ezc_array *y = make(EZC_FLOAT32, 1, &m), *yn = make(EZC_FLOAT32, 1, &m);
        double t[REPS], tn[REPS];
        for (int r = 0; r < REPS; r++) {
            double t0 = bench_now();
            check(xp->reduce(EZC_REDUCE_MEAN, x, axis, y, &err), &err);
            t[r] = bench_now() - t0;
            t0 = bench_now();
            (layout ? naive_mean_axis1 : naive_mean_axis0)(ezc_array_data(x), (size_t)shape[0],
                                                           (size_t)shape[1], ezc_array_data(yn));
            tn[r] = bench_now() - t0;
        }
        double worst = 0;
        for (int c = 0; c < 64; c++)
            worst = fmax(worst,
                         fabs(((float *)ezc_array_data(y))[c] - ((float *)ezc_array_data(yn))[c]));
        double a = bench_median(t, REPS), b = bench_median(tn, REPS);
        printf("  (%lld x %lld) axis %d: xp %8.3f ms, naive loop %8.3f ms, naive / xp = %.2f "
               "(max |diff| %.1e)\n",
               (long long)shape[0], (long long)shape[1], axis, a * 1e3, b * 1e3, b / a, worst);
        ezc_array_destroy(&x);
        ezc_array_destroy(&y);
        ezc_array_destroy(&yn);
    }
}

/* ---- rfft: steady state against the first (planning) call --------------- */

static void bench_rfft(ezc_dtype t, int64_t n0, int64_t n1, int axis)
{
    const ezc_xp *xp = ezc_xp_cpu();
    ezc_error err = {0};
    int64_t shape[2] = {n0, n1}, out[2] = {n0, n1};
    int64_t n = shape[axis];
    out[axis] = n / 2 + 1;
    ezc_array *x = make(t, 2, shape);
    ezc_array *y = make(ezc_dtype_complex(t), 2, out);
    if (t == EZC_FLOAT32) {
        fill_random(x);
    } else {
        double *p = ezc_array_data(x);
        for (size_t i = 0; i < ezc_array_size(x); i++)
            p[i] = sin(0.01 * (double)i);
    }
    double t0 = bench_now();
    check(xp->fft(EZC_FFT_R2C, x, axis, n, y, &err), &err);
    double first = bench_now() - t0, ts[REPS * 5];
    for (int r = 0; r < REPS * 5; r++) {
        t0 = bench_now();
        check(xp->fft(EZC_FFT_R2C, x, axis, n, y, &err), &err);
        ts[r] = bench_now() - t0;
    }
    double m = bench_median(ts, REPS * 5);
    printf("  %-7s (%lld x %lld) along axis %d: %8.1f us per call, first call %8.1f us, "
           "first / steady = %.1f\n",
           ezc_dtype_name(t), (long long)n0, (long long)n1, axis, m * 1e6, first * 1e6, first / m);
    ezc_array_destroy(&x);
    ezc_array_destroy(&y);
}

int main(void)
{
    bench_elementwise();
    bench_mean();
    printf("rfft of 64 channels x 1024 samples\n");
    bench_rfft(EZC_FLOAT32, 1024, 64, 0);
    bench_rfft(EZC_FLOAT32, 64, 1024, 1);
    bench_rfft(EZC_FLOAT64, 1024, 64, 0);
    return 0;
}
