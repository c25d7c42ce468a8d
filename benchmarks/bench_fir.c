/* bench_fir.c — the FIR and zero-phase filters against scipy on the same
 * data in the same run: firfilter with 64 and 1024 taps (firwin lowpass)
 * and butterworthzerophase (order 4 band-pass), 64 channels x 30000
 * float64 samples at 1 kHz, layout [time, ch], messages of 300 samples.
 * scipy: lfilter(h, 1, chunk, axis=0, zi) with carried zi (what
 * ezmsg-sigproc's FIRFilter runs), and ezmsg-sigproc's zero-phase algorithm
 * (forward sosfilt with zi, then a backward sosfilt over the buffered
 * samples per message, keeping pad_length of them), run by $EZC_PYTHON.
 * Median of 3 runs; the ratio is ezc / scipy (< 1: ezc faster).
 *
 *   meson test -C build --benchmark fir -v */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"
#include "bench_tf.h"

#define REPS 3
#define NT 30000
#define NCH 64
#define CHUNK 300

extern const ezc_transformer_type ezc_firfilter_type, ezc_butterworthzerophase_type;

static int64_t chunk = CHUNK;

static const char *py_src =
    "import time, numpy as np, scipy.signal as sig\n"
    "rng = np.random.default_rng(1)\n"
    "x = rng.uniform(-1, 1, (30000, 64))\n"
    "def med(f):\n"
    "    ts = []\n"
    "    for r in range(3):\n"
    "        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1e3)\n"
    "    return sorted(ts)[1]\n"
    "def fir(n):\n"
    "    h = sig.firwin(n, 100, fs=1000)\n"
    "    def run():\n"
    "        zi = sig.lfilter_zi(h, [1.0])[:, None] * x[0]\n"
    "        for at in range(0, 30000, 300):\n"
    "            y, zi = sig.lfilter(h, [1.0], x[at:at + 300], axis=0, zi=zi)\n"
    "    return med(run)\n"
    "def zp():\n"
    "    sos = sig.butter(4, [10, 100], 'bandpass', fs=1000, output='sos')\n"
    "    imp = np.zeros(10000); imp[0] = 1\n"
    "    h = np.abs(sig.sosfilt(sos, imp)); pad = max(np.where(h > 0.01 * h.max())[0][-1] + 1, "
    "12)\n"
    "    zu = sig.sosfilt_zi(sos)[:, :, None]\n"
    "    def run():\n"
    "        zi = zu * x[0]; buf = np.empty((0, 64))\n"
    "        for at in range(0, 30000, 300):\n"
    "            y, zi = sig.sosfilt(sos, x[at:at + 300], axis=0, zi=zi)\n"
    "            buf = np.concatenate([buf, y]); n = buf.shape[0] - pad\n"
    "            if n <= 0: continue\n"
    "            r = buf[::-1]\n"
    "            b = sig.sosfilt(sos, r, axis=0, zi=zu * r[0])[0][::-1]\n"
    "            out = b[:n]; buf = buf[n:]\n"
    "    return med(run)\n"
    "print(fir(64), fir(1024), zp())\n";

/* --sweep [CHUNK]: firfilter ms per run for taps 32 .. 2048 (chunks of 300
 * or CHUNK, a divisor of 30000), for choosing xp.fir's direct/FFT
 * crossover: run once with EZC_FIR_FFT=0 and once with EZC_FIR_FFT=1. */
static int sweep(const ezc_array *x)
{
    static const char *const taps[] = {"32",  "64",  "96",   "128", "192",
                                       "256", "512", "1024", "2048"};
    for (size_t i = 0; i < sizeof taps / sizeof *taps; i++) {
        const char *kv[] = {"order", taps[i], "cutoff", "100"};
        printf("taps %5s %10.1f ms\n", taps[i],
               bench_tf_stream_ms("bench_fir", &ezc_firfilter_type, kv, 4, x, chunk, REPS));
    }
    return 0;
}

int main(int argc, char **argv)
{
    ezc_array *x = bench_tf_noise("bench_fir", NT, NCH, 1000);
    if (argc > 1 && strcmp(argv[1], "--sweep") == 0) {
        chunk = argc > 2 ? atoll(argv[2]) : CHUNK;
        return chunk > 0 && NT % chunk == 0 ? sweep(x) : 2;
    }
    const char *f64[] = {"order", "64", "cutoff", "100"};
    const char *f1024[] = {"order", "1024", "cutoff", "100"};
    const char *zp[] = {"order", "4", "cuton", "10", "cutoff", "100"};
    double e64 = bench_tf_stream_ms("bench_fir", &ezc_firfilter_type, f64, 4, x, chunk, REPS);
    double e1024 = bench_tf_stream_ms("bench_fir", &ezc_firfilter_type, f1024, 4, x, chunk, REPS);
    double ezp =
        bench_tf_stream_ms("bench_fir", &ezc_butterworthzerophase_type, zp, 6, x, chunk, REPS);
    ezc_array_destroy(&x);
    double p64 = 0, p1024 = 0, pzp = 0;
    const char *py = getenv("EZC_PYTHON");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c \"$EZC_BENCH_SRC\"", py && *py ? py : "/usr/bin/python3");
    setenv("EZC_BENCH_SRC", py_src, 1);
    FILE *p = popen(cmd, "r");
    int ok = p && fscanf(p, "%lf %lf %lf", &p64, &p1024, &pzp) == 3;
    if (p)
        pclose(p);
    printf("%d ch x %d float64 samples [time, ch] at 1 kHz, chunks of %d, median of %d runs\n", NCH,
           NT, CHUNK, REPS);
    printf("%-36s %10s %10s %10s\n", "filter", "ezc ms", "scipy ms", "ezc/scipy");
    printf("%-36s %10.1f %10.1f %10.3f\n", "firfilter 64 taps (direct form)", e64, p64,
           ok ? e64 / p64 : 0);
    printf("%-36s %10.1f %10.1f %10.3f\n", "firfilter 1024 taps (direct form)", e1024, p1024,
           ok ? e1024 / p1024 : 0);
    printf("%-36s %10.1f %10.1f %10.3f\n", "butterworthzerophase order 4 bp", ezp, pzp,
           ok ? ezp / pzp : 0);
    if (!ok)
        printf("(scipy baseline unavailable: set EZC_PYTHON to a python with scipy)\n");
    /* a direct FIR needs one fused multiply-add per tap, sample and channel */
    const char *isa;
    double rate = bench_fma_rate(&isa);
    for (int k = 0; rate > 0 && k < 2; k++) {
        double taps = k ? 1024 : 64, need = taps * NCH * NT, bound = need / rate * 1e3;
        printf("FMA bound, %4.0f taps: %.0f M lane-FMAs at %.1f G/s (%s, measured here): %.2f "
               "ms; ezc %.1fx it\n",
               taps, need / 1e6, rate / 1e9, isa, bound, (k ? e1024 : e64) / bound);
    }
    return 0;
}
