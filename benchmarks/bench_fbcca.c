/* bench_fbcca.c — fbcca beside numpy doing what ezmsg-sigproc's
 * FBCCATransformer does (per block and frequency: centre, drop flat
 * columns, QR of the channels and of the references, SVD of Qx^T Qy), on
 * the same shape in the same run: messages [win 10, band 12, time 500,
 * ch 8] float64 (2 s windows at 250 Hz), 8 target frequencies, 5
 * harmonics, softmax; 20 messages, median of 3 runs; the ratio is
 * ezc / numpy (< 1: ezc faster). numpy runs under $EZC_PYTHON.
 *
 *   meson test -C build --benchmark fbcca -v */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"
#include "bench_util.h"

#define REPS 3
#define MSGS 20

extern const ezc_transformer_type ezc_fbcca_type;

static const char *py_src =
    "import time, numpy as np\n"
    "rng = np.random.default_rng(1)\n"
    "x = rng.uniform(-1, 1, (10, 12, 500, 8))\n"
    "t = np.arange(500) / 250.0\n"
    "freqs = [8, 9, 10, 11, 12, 13, 14, 15]\n"
    "def rho(X, Y):\n"
    "    Xc = X - X.mean(axis=0, keepdims=True); Yc = Y - Y.mean(axis=0, keepdims=True)\n"
    "    Xc = Xc[:, Xc.std(axis=0) > 1e-12]; Yc = Yc[:, Yc.std(axis=0) > 1e-12]\n"
    "    qx = np.linalg.qr(Xc)[0]; qy = np.linalg.qr(Yc)[0]\n"
    "    return np.linalg.svd(qx.T @ qy, compute_uv=False)[0]\n"
    "def msg():\n"
    "    out = np.zeros((10, 12, 8))\n"
    "    for j, f in enumerate(freqs):\n"
    "        Y = np.column_stack([fn(2 * np.pi * k * f * t) for k in range(1, 6)\n"
    "                             for fn in (np.sin, np.cos)])\n"
    "        for b in range(10):\n"
    "            for k in range(12):\n"
    "                out[b, k, j] = rho(x[b, k], Y)\n"
    "    w = np.arange(1, 13) ** -1.25 + 0.25\n"
    "    s = (out ** 2 * w[None, :, None]).sum(axis=1)\n"
    "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
    "    return e / e.sum(axis=-1, keepdims=True)\n"
    "ts = []\n"
    "for r in range(3):\n"
    "    t0 = time.perf_counter()\n"
    "    for m in range(20): msg()\n"
    "    ts.append((time.perf_counter() - t0) * 1e3)\n"
    "print(sorted(ts)[1])\n";

int main(void)
{
    ezc_error err = {0};
    int64_t shape[4] = {10, 12, 500, 8};
    const char *dims[4] = {"win", "band", "time", "ch"};
    ezc_array *x = ezc_array_new(EZC_FLOAT64, 4, shape, dims, ezc_device_cpu(), &err);
    if (!x)
        bench_die("bench_fbcca", "alloc", err.msg);
    ezc_array_set_linear_axis(x, 2, 1.0 / 250, 0, "s");
    unsigned s = 12345;
    double *v = ezc_array_data(x);
    for (size_t i = 0; i < ezc_array_size(x); i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (double)((s >> 8) & 0xffff) / 32768.0 - 1.0;
    }
    ezc_settings *set = ezc_settings_new(&err);
    if (!set || ezc_settings_set(set, "filterbank_dim", "band", NULL, &err) ||
        ezc_settings_set(set, "freqs", "[8, 9, 10, 11, 12, 13, 14, 15]", NULL, &err))
        bench_die("bench_fbcca", "settings", err.msg);
    double times[REPS];
    for (int r = 0; r < REPS; r++) {
        ezc_transformer *tf = ezc_transformer_new(&ezc_fbcca_type, set, &err);
        if (!tf)
            bench_die("bench_fbcca", "fbcca", err.msg);
        double t0 = bench_now();
        for (int m = 0; m < MSGS; m++) {
            ezc_array *c = ezc_array_clone(x, &err), *y = NULL;
            if (!c || ezc_transformer_process(tf, 0, c, &y, &err))
                bench_die("bench_fbcca", "process", err.msg);
            ezc_array_destroy(&y);
        }
        times[r] = (bench_now() - t0) * 1e3;
        ezc_transformer_destroy(&tf);
    }
    double ez = bench_median(times, REPS), np = 0;
    ezc_settings_destroy(&set);
    ezc_array_destroy(&x);
    const char *py = getenv("EZC_PYTHON");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c \"$EZC_BENCH_SRC\"", py && *py ? py : "/usr/bin/python3");
    setenv("EZC_BENCH_SRC", py_src, 1);
    FILE *p = popen(cmd, "r");
    int ok = p && fscanf(p, "%lf", &np) == 1;
    if (p)
        pclose(p);
    printf("%d messages [win 10, band 12, time 500, ch 8] float64, 8 freqs x 5 harmonics, "
           "median of %d runs\n",
           MSGS, REPS);
    printf("%-32s %10s %10s %10s\n", "transformer", "ezc ms", "numpy ms", "ezc/numpy");
    printf("%-32s %10.1f %10.1f %10.3f\n", "fbcca (120 blocks per message)", ez, np,
           ok ? ez / np : 0);
    if (!ok)
        printf("(numpy baseline unavailable: set EZC_PYTHON to a python with numpy)\n");
    return 0;
}
