/* bench_spectrum.c — the spectrum transformer (hann window, FFT along time,
 * norm "forward") on 64 channels x 1024 samples, float32 and float64, laid
 * out [time, ch] and [ch, time], beside numpy doing the same on the same
 * bytes in the same run: np.fft.rfft(x * w, axis, norm="forward") (and
 * |X|^2 / scale for rel_power), through $EZC_PYTHON (Debian's python3 with
 * numpy). Each figure is the median over runs of the mean per message; the
 * buffer counter shows the steady runs allocate nothing.
 *
 *   meson test -C build --benchmark spectrum -v */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ezc/ezc.h"
#include "bench_util.h"

extern const ezc_transformer_type ezc_spectrum_type;

#define REPS 9
#define PER_RUN 40

static void die(const char *what, const ezc_error *err)
{
    bench_die("bench_spectrum", what, err ? err->msg : "");
}

static const char *numpy_script =
    "import sys, time, numpy as np\n"
    "p, dt, n0, n1, ax, tf, k, r = sys.argv[1:]\n"
    "x = np.fromfile(p, dtype=dt).reshape(int(n0), int(n1)); ax = int(ax)\n"
    "n = x.shape[ax]; w = np.hanning(n).astype(dt)\n"
    "w = w.reshape((n, 1) if ax == 0 else (1, n)); scale = float(np.sum(w ** 2)) / 1000.0\n"
    "f = (lambda: np.fft.rfft(x * w, axis=ax, norm='forward')) if tf == 'raw_complex' else \\\n"
    "    (lambda: np.abs(np.fft.rfft(x * w, axis=ax, norm='forward')) ** 2 / scale)\n"
    "f(); ts = []\n"
    "for _ in range(int(r)):\n"
    "    t = time.perf_counter()\n"
    "    for _ in range(int(k)): f()\n"
    "    ts.append((time.perf_counter() - t) / int(k))\n"
    "print(sorted(ts)[len(ts) // 2] * 1e6)\n";

/* numpy's µs per message on the bytes of x, or -1 when no python answers. */
static double numpy_us(const ezc_array *x, int ax, const char *tf)
{
    const char *py = getenv("EZC_PYTHON");
    if (!py || !*py)
        py = "/usr/bin/python3";
    char data[] = "/tmp/ezc_bench_spectrum_XXXXXX", script[] = "/tmp/ezc_bench_spectrum_py_XXXXXX";
    int fd = mkstemp(data), fs = mkstemp(script);
    if (fd < 0 || fs < 0)
        return -1;
    size_t nb = ezc_array_nbytes(x);
    int ok = write(fd, ezc_array_data(x), nb) == (ssize_t)nb &&
             write(fs, numpy_script, strlen(numpy_script)) == (ssize_t)strlen(numpy_script);
    close(fd);
    close(fs);
    double us = -1;
    if (ok) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s %s %s %s %lld %lld %d %s %d %d", py, script, data,
                 x->dtype == EZC_FLOAT32 ? "float32" : "float64", (long long)x->shape[0],
                 (long long)x->shape[1], ax, tf, PER_RUN, REPS);
        FILE *p = popen(cmd, "r");
        if (p) {
            if (fscanf(p, "%lf", &us) != 1)
                us = -1;
            pclose(p);
        }
    }
    unlink(data);
    unlink(script);
    return us;
}

/* ezc's µs per message (median over REPS runs of PER_RUN messages); *grown
 * gets the buffers allocated during the timed runs. */
static double ezc_us(const ezc_array *x, const char *settings, uint64_t *grown)
{
    ezc_error err = {0};
    ezc_settings *s = ezc_settings_new(&err);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", settings);
    for (char *save = NULL, *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        *eq = 0;
        while (*kv == ' ')
            kv++;
        if (ezc_settings_set(s, kv, eq + 1, NULL, &err))
            die("settings", &err);
    }
    ezc_transformer *t = ezc_transformer_new(&ezc_spectrum_type, s, &err);
    if (!t)
        die(settings, &err);
    ezc_settings_destroy(&s);
    double times[REPS];
    uint64_t before = 0;
    for (int r = -1; r < REPS; r++) { /* run -1 warms up: plans, caches */
        if (r == 0)
            before = ezc_buffer_new_count();
        double t0 = bench_now();
        for (int k = 0; k < PER_RUN; k++) {
            ezc_array *in = ezc_array_clone(x, &err), *y = NULL;
            if (!in || ezc_transformer_process(t, 0, in, &y, &err))
                die(settings, &err);
            ezc_array_destroy(&y);
        }
        if (r >= 0)
            times[r] = (bench_now() - t0) / PER_RUN * 1e6;
    }
    *grown = ezc_buffer_new_count() - before;
    ezc_transformer_destroy(&t);
    qsort(times, REPS, sizeof times[0], bench_cmp_double);
    return times[REPS / 2];
}

int main(void)
{
    ezc_error err = {0};
    printf("spectrum: hann, FFT along time (1024 samples, fs 1 kHz) x 64 channels; "
           "median of %d runs x %d messages\n\n",
           REPS, PER_RUN);
    printf("%-8s %-10s %-12s %12s %12s %9s %14s\n", "dtype", "layout", "transform", "ezc us/msg",
           "numpy us/msg", "numpy/ezc", "steady allocs");
    const char *tfs[2] = {"raw_complex", "rel_power"};
    for (int d = 0; d < 2; d++)
        for (int lay = 0; lay < 2; lay++) {
            ezc_dtype dt = d ? EZC_FLOAT64 : EZC_FLOAT32;
            int64_t shape[2] = {lay ? 64 : 1024, lay ? 1024 : 64};
            const char *dims[2] = {lay ? "ch" : "time", lay ? "time" : "ch"};
            ezc_array *x = ezc_array_new(dt, 2, shape, dims, ezc_device_cpu(), &err);
            if (!x)
                die("array", &err);
            ezc_array_set_linear_axis(x, lay, 1e-3, 0, "s");
            unsigned seed = 12345;
            for (size_t i = 0; i < ezc_array_size(x); i++) {
                seed = seed * 1103515245u + 12345u;
                double v = (double)((seed >> 8) & 0xffff) / 32768.0 - 1.0;
                if (d)
                    ((double *)ezc_array_data(x))[i] = v;
                else
                    ((float *)ezc_array_data(x))[i] = (float)v;
            }
            for (int f = 0; f < 2; f++) {
                char settings[128];
                snprintf(settings, sizeof settings, "window=hann; transform=%s", tfs[f]);
                uint64_t grown;
                double e = ezc_us(x, settings, &grown), np = numpy_us(x, lay, tfs[f]);
                printf("%-8s %-10s %-12s %12.1f %12.1f %8.2fx %14llu\n", d ? "float64" : "float32",
                       lay ? "[ch,time]" : "[time,ch]", tfs[f], e, np, np > 0 ? np / e : 0.0,
                       (unsigned long long)grown);
                fflush(stdout);
            }
            ezc_array_destroy(&x);
        }
    return 0;
}
