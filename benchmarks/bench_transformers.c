/* bench_transformers.c — element-wise transformers on 1,000,000 float32 in
 * place, beside memcpy of the same bytes and numpy's in-place equivalent
 * (np.abs(x, out=x), ...) run by $EZC_PYTHON on the same data in the same
 * run. Each repetition refills the buffer from a source (not timed) and
 * times one transformer call; median of REPS. Printed: µs per call,
 * memcpy-equivalent bandwidth share (memcpy time / op time: both read and
 * write 4 MB), and numpy / ezc (> 1: ezc faster). Then log base 10 on the
 * same 1,000,000 values as float32 and float64 (a file numpy reads, so the
 * data are the very same): ezc's log beside numpy's np.log10 and
 * np.log(x) / np.log(10), the formula ezmsg-sigproc runs and ezc rounds as.
 *
 *   meson test -C build --benchmark transformers -v */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ezc/ezc.h"
#include "bench_util.h"

#define N 1000000
#define REPS 31

extern const ezc_transformer_type ezc_abs_type, ezc_clip_type, ezc_scale_type, ezc_linear_type,
    ezc_log_type;

static void die(const char *what, const char *msg)
{
    bench_die("bench_transformers", what, msg);
}

/* µs per call of type{settings} on a refilled copy of src. */
static double bench(const ezc_transformer_type *type, const char *const set[4], const void *src,
                    ezc_dtype dt)
{
    size_t bytes = N * ezc_dtype_size(dt);
    ezc_error err = {0};
    ezc_settings *s = ezc_settings_new(&err);
    for (int i = 0; i < 4 && set[i]; i += 2)
        ezc_settings_set(s, set[i], set[i + 1], NULL, &err);
    ezc_transformer *t = ezc_transformer_new(type, s, &err);
    ezc_settings_destroy(&s);
    if (!t)
        die(type->name, err.msg);
    int64_t n = N;
    const char *dims[1] = {"time"};
    ezc_array *x = ezc_array_new(dt, 1, &n, dims, ezc_device_cpu(), &err);
    double t_us[REPS];
    /* one untimed call first: a transformer may build per-stream state on
     * its first message (log keeps an array of ln(base) to divide by) */
    memcpy(ezc_array_data(x), src, bytes);
    ezc_array *w = NULL;
    if (ezc_transformer_process(t, 0, x, &w, &err))
        die(type->name, err.msg);
    x = w;
    uint64_t allocs = ezc_buffer_new_count();
    for (int r = 0; r < REPS; r++) {
        memcpy(ezc_array_data(x), src, bytes);
        ezc_array *y = NULL;
        double t0 = bench_now();
        if (ezc_transformer_process(t, 0, x, &y, &err))
            die(type->name, err.msg);
        t_us[r] = (bench_now() - t0) * 1e6;
        if (ezc_array_data(y) != ezc_array_data(x))
            die(type->name, "not in place");
        x = y;
    }
    if (ezc_buffer_new_count() != allocs)
        die(type->name, "allocated on the steady path");
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t);
    return bench_median(t_us, REPS);
}

static double bench_memcpy(const float *src)
{
    float *dst = malloc(N * sizeof *dst);
    double t_us[REPS];
    for (int r = 0; r < REPS; r++) {
        memset(dst, r, 4096); /* keep the copy from being elided */
        double t0 = bench_now();
        memcpy(dst, src, N * sizeof *dst);
        t_us[r] = (bench_now() - t0) * 1e6;
        if (dst[r] != src[r])
            die("memcpy", "copy mismatch");
    }
    free(dst);
    return bench_median(t_us, REPS);
}

/* numpy's µs for each op, same data shape and method, or NAN. */
static void bench_numpy(double out[5])
{
    for (int i = 0; i < 5; i++)
        out[i] = NAN;
    const char *py = getenv("EZC_PYTHON");
    if (!py || !*py)
        return;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c '\n"
             "import time, numpy as np\n"
             "rng = np.random.default_rng(1)\n"
             "src = rng.uniform(0.1, 10.0, %d).astype(np.float32)\n"
             "src[::3] *= -1\n"
             "pos = np.abs(src)\n"
             "x = np.empty_like(src)\n"
             "ops = [(src, lambda: np.abs(x, out=x)),\n"
             "       (src, lambda: np.clip(x, -1.0, 2.0, out=x)),\n"
             "       (src, lambda: np.multiply(x, np.float32(2.5), out=x)),\n"
             "       (src, lambda: (np.multiply(x, np.float32(2.0), out=x), np.add(x, "
             "np.float32(-1.0), out=x))),\n"
             "       (pos, lambda: np.log10(x, out=x))]\n"
             "for s, f in ops:\n"
             "    t = []\n"
             "    for r in range(%d):\n"
             "        np.copyto(x, s)\n"
             "        t0 = time.perf_counter(); f(); t.append((time.perf_counter() - t0) * 1e6)\n"
             "    print(sorted(t)[len(t) // 2])\n"
             "'",
             py, N, REPS);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    for (int i = 0; i < 5; i++)
        if (fscanf(p, "%lf", &out[i]) != 1)
            break;
    pclose(p);
}

/* numpy's µs for log base 10 of the values in `path` (float32), as float32
 * then float64: np.log10, and np.log(x) then np.divide by np.log(10.0). */
static void bench_numpy_log(const char *path, double out[4])
{
    for (int i = 0; i < 4; i++)
        out[i] = NAN;
    const char *py = getenv("EZC_PYTHON");
    if (!py || !*py)
        return;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c '\n"
             "import time, numpy as np\n"
             "src32 = np.fromfile(\"%s\", dtype=np.float32)\n"
             "ln10 = np.log(10.0)\n"
             "for src in (src32, src32.astype(np.float64)):\n"
             "    x = np.empty_like(src)\n"
             "    for f in (lambda: np.log10(x, out=x),\n"
             "              lambda: (np.log(x, out=x), np.divide(x, ln10, out=x))):\n"
             "        t = []\n"
             "        for r in range(%d):\n"
             "            np.copyto(x, src)\n"
             "            t0 = time.perf_counter(); f(); t.append((time.perf_counter() - t0) * "
             "1e6)\n"
             "        print(sorted(t)[len(t) // 2])\n"
             "'",
             py, path, REPS);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    for (int i = 0; i < 4; i++)
        if (fscanf(p, "%lf", &out[i]) != 1)
            break;
    pclose(p);
}

/* The log table: ezc's log (base 10) on pos as float32 and float64, beside
 * numpy on the same values. */
static void bench_log(const float *pos)
{
    char path[] = "/tmp/ezc-bench-log-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f || fwrite(pos, sizeof *pos, N, f) != N || fclose(f))
        die("log", "cannot write the data file for numpy");
    double np_us[4];
    bench_numpy_log(path, np_us);
    unlink(path);
    double *pos64 = malloc(N * sizeof *pos64);
    for (int i = 0; i < N; i++)
        pos64[i] = pos[i];
    const char *set[4] = {NULL};
    double us[2] = {bench(&ezc_log_type, set, pos, EZC_FLOAT32),
                    bench(&ezc_log_type, set, pos64, EZC_FLOAT64)};
    free(pos64);
    printf("\nlog base 10, the same %d values in [0.1, 10] in place (median of %d)\n", N, REPS);
    printf("%-8s %10s %12s %16s %12s %16s\n", "dtype", "ezc us", "np.log10 us", "log+divide us",
           "log10/ezc", "(log+div)/ezc");
    for (int k = 0; k < 2; k++)
        printf("%-8s %10.1f %12.1f %16.1f %11.2fx %15.2fx\n", k ? "float64" : "float32", us[k],
               np_us[2 * k], np_us[2 * k + 1], np_us[2 * k] / us[k], np_us[2 * k + 1] / us[k]);
}

int main(void)
{
    float *src = malloc(N * sizeof *src), *pos = malloc(N * sizeof *pos);
    unsigned s = 1;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        float v = 0.1f + 9.9f * (float)((s >> 8) & 0xffff) / 65535.0f;
        src[i] = i % 3 == 0 ? -v : v;
        pos[i] = v;
    }
    double np_us[5];
    bench_numpy(np_us);
    double mc = bench_memcpy(src);
    struct {
        const ezc_transformer_type *type;
        const char *set[4], *label;
        const float *in;
    } c[5] = {
        {&ezc_abs_type, {NULL}, "abs", src},
        {&ezc_clip_type, {"min", "-1", "max", "2"}, "clip [-1, 2]", src},
        {&ezc_scale_type, {"scale", "2.5"}, "scale 2.5", src},
        {&ezc_linear_type, {"scale", "2", "offset", "-1"}, "linear 2x-1", src},
        {&ezc_log_type, {NULL}, "log10", pos},
    };
    printf("element-wise transformers, %d float32 in place (median of %d)\n", N, REPS);
    printf("memcpy of the same 4 MB: %.1f us (%.2f GB/s read+write)\n", mc,
           2.0 * N * sizeof(float) / (mc * 1e3));
    printf("%-14s %10s %14s %10s %12s\n", "op", "ezc us", "memcpy share", "numpy us", "numpy/ezc");
    for (int i = 0; i < 5; i++) {
        double us = bench(c[i].type, c[i].set, c[i].in, EZC_FLOAT32);
        printf("%-14s %10.1f %13.2fx %10.1f %11.2fx\n", c[i].label, us, mc / us, np_us[i],
               np_us[i] / us);
    }
    bench_log(pos);
    free(src);
    free(pos);
    return 0;
}
