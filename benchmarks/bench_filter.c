/* bench_filter.c — butterworth (order 4 band-pass, 64 channels x 30000
 * samples at 1 kHz, layout [time, ch], messages of 300 samples) against
 * scipy.signal.sosfilt with carried zi on the same chunks, measured in the
 * same run by $EZC_PYTHON (Debian's python with scipy). Median of 5 runs,
 * float64 and float32; the ratio is ezc / scipy (< 1: ezc faster).
 * Then the bound the machine puts on it: the cascade needs 5 fused
 * multiply-adds per section, sample and channel (transposed direct form
 * II: out = b0 x + z0; z0 = b1 x - a1 out + z1; z1 = b2 x - a2 out), 38.4 M
 * for 4 sections here; divided by the FMA rate measured in this process
 * (independent chains of the widest vectors the CPU has), that is the time
 * no implementation can beat, and ezc's time is printed as a multiple of it.
 *
 *   meson test -C build --benchmark filter -v */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ezc/ezc.h"
#include "bench_tf.h"

#define REPS 5
#define NT 30000
#define NCH 64
#define CHUNK 300

extern const ezc_transformer_type ezc_butterworth_type;

static void die(const char *what, const ezc_error *err)
{
    bench_die("bench_filter", what, err ? err->msg : "");
}

/* ms per run (all chunks through a fresh transformer), median of REPS. */
static double bench_ezc(ezc_dtype t)
{
    ezc_error err = {0};
    int64_t shape[2] = {NT, NCH};
    const char *dims[2] = {"time", "ch"};
    ezc_array *x = ezc_array_new(t, 2, shape, dims, ezc_device_cpu(), &err);
    if (!x)
        die("alloc", &err);
    ezc_array_set_linear_axis(x, 0, 1e-3, 0, "s");
    unsigned s = 12345;
    for (size_t i = 0; i < ezc_array_size(x); i++) {
        s = s * 1103515245u + 12345u;
        double v = (double)((s >> 8) & 0xffff) / 32768.0 - 1.0;
        if (t == EZC_FLOAT64)
            ((double *)ezc_array_data(x))[i] = v;
        else
            ((float *)ezc_array_data(x))[i] = (float)v;
    }
    ezc_settings *set = ezc_settings_new(&err);
    ezc_settings_set(set, "order", "4", NULL, &err);
    ezc_settings_set(set, "cuton", "10", NULL, &err);
    ezc_settings_set(set, "cutoff", "100", NULL, &err);
    double times[REPS];
    for (int r = 0; r < REPS; r++) {
        ezc_transformer *tf = ezc_transformer_new(&ezc_butterworth_type, set, &err);
        if (!tf)
            die("butterworth", &err);
        double t0 = bench_now();
        for (int64_t at = 0; at < NT; at += CHUNK) {
            ezc_array *c = ezc_array_slice(x, 0, at, at + CHUNK, &err), *y = NULL;
            if (!c || ezc_transformer_process(tf, 0, c, &y, &err))
                die("process", &err);
            ezc_array_destroy(&y);
        }
        times[r] = (bench_now() - t0) * 1e3;
        ezc_transformer_destroy(&tf);
    }
    ezc_settings_destroy(&set);
    ezc_array_destroy(&x);
    qsort(times, REPS, sizeof *times, bench_cmp_double);
    return times[REPS / 2];
}

static const char *py_src = "import time, numpy as np, scipy.signal as sig\n"
                            "sos = sig.butter(4, [10, 100], 'bandpass', fs=1000, output='sos')\n"
                            "rng = np.random.default_rng(1)\n"
                            "for dt in (np.float64, np.float32):\n"
                            "    x = rng.uniform(-1, 1, (30000, 64)).astype(dt)\n"
                            "    ts = []\n"
                            "    for r in range(5):\n"
                            "        t0 = time.perf_counter()\n"
                            "        zi = sig.sosfilt_zi(sos)[:, :, None] * x[0]\n"
                            "        for at in range(0, 30000, 300):\n"
                            "            y, zi = sig.sosfilt(sos, x[at:at + 300], axis=0, zi=zi)\n"
                            "        ts.append((time.perf_counter() - t0) * 1e3)\n"
                            "    print(sorted(ts)[2])\n";

#define SECTIONS 4
#define FMA_PER_SECTION 5

int main(void)
{
    double ezc64 = bench_ezc(EZC_FLOAT64), ezc32 = bench_ezc(EZC_FLOAT32);
    double py64 = 0, py32 = 0;
    const char *py = getenv("EZC_PYTHON");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c \"$EZC_BENCH_SRC\"", py ? py : "/usr/bin/python3");
    setenv("EZC_BENCH_SRC", py_src, 1);
    FILE *p = popen(cmd, "r");
    int ok = p && fscanf(p, "%lf %lf", &py64, &py32) == 2;
    if (p)
        pclose(p);
    printf("butterworth order 4 band-pass, %d ch x %d samples [time, ch], chunks of %d, "
           "median of %d runs\n",
           NCH, NT, CHUNK, REPS);
    printf("%-10s %12s %12s %10s\n", "dtype", "ezc ms", "scipy ms", "ezc/scipy");
    printf("%-10s %12.2f %12.2f %10.3f\n", "float64", ezc64, py64, ok ? ezc64 / py64 : 0);
    printf("%-10s %12.2f %12.2f %10.3f\n", "float32", ezc32, py32, ok ? ezc32 / py32 : 0);
    if (!ok)
        printf("(scipy baseline unavailable: set EZC_PYTHON to a python with scipy)\n");
    const char *isa;
    double rate = bench_fma_rate(&isa);
    if (rate > 0) {
        double need = (double)NCH * NT * SECTIONS * FMA_PER_SECTION;
        double bound_ms = need / rate * 1e3;
        printf("FMA bound: %.1f M lane-FMAs at %.1f G/s (%s, measured here): %.2f ms; "
               "ezc float64 %.1fx it, float32 %.1fx\n",
               need / 1e6, rate / 1e9, isa, bound_ms, ezc64 / bound_ms, ezc32 / bound_ms);
    }
    return 0;
}
