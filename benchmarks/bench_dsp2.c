/* bench_dsp2.c — fir_hilbert (envelope, default order 170) and resample
 * (1 kHz -> 300 Hz) against what ezmsg-sigproc runs, on the same data in
 * the same run: 64 channels x 30000 float64 samples at 1 kHz, layout
 * [time, ch], messages of 300 samples. scipy: remez(171, type='hilbert')
 * taps, lfilter with carried zi, the delay line and |re + j im| in
 * complex64 (FIRHilbertEnvelope); interp1d(linear) per message over the
 * carried sample and the message at the grid points up to its end
 * (Resample's prescribed-rate path without its buffer classes), run by
 * $EZC_PYTHON. Median of 3 runs; the ratio is ezc / scipy (< 1: ezc faster).
 *
 *   meson test -C build --benchmark dsp2 -v */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"
#include "bench_tf.h"

#define REPS 3
#define NT 30000
#define NCH 64
#define CHUNK 300

extern const ezc_transformer_type ezc_fir_hilbert_type, ezc_resample_type;

static const char *py_src =
    "import time, math, numpy as np, scipy.signal as sig\n"
    "from scipy.interpolate import interp1d\n"
    "rng = np.random.default_rng(1)\n"
    "x = rng.uniform(-1, 1, (30000, 64))\n"
    "def med(f):\n"
    "    ts = []\n"
    "    for r in range(3):\n"
    "        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1e3)\n"
    "    return sorted(ts)[1]\n"
    "def hil():\n"
    "    b = sig.remez(171, [0, 1, 2, 500], [0, 1], type='hilbert', fs=1000)\n"
    "    dly = 85\n"
    "    def run():\n"
    "        zi = sig.lfilter_zi(b, [1.0])[:, None] * x[0]\n"
    "        buf = np.zeros((64, dly))\n"
    "        for at in range(0, 30000, 300):\n"
    "            c = x[at:at + 300]\n"
    "            im, zi = sig.lfilter(b, [1.0], c, axis=0, zi=zi)\n"
    "            xc = np.concatenate([buf, c.T], axis=-1)\n"
    "            re = xc[..., :-dly][..., -300:]\n"
    "            buf = xc[..., -dly:].copy()\n"
    "            env = np.abs(re.astype(np.complex64) + 1j * im.T.astype(np.complex64)).T\n"
    "    return med(run)\n"
    "def rs():\n"
    "    def run():\n"
    "        last_t = None; last_y = None; k = 0\n"
    "        for at in range(0, 30000, 300):\n"
    "            t = (at + np.arange(300)) * 1e-3; y = x[at:at + 300]\n"
    "            if last_t is not None:\n"
    "                t = np.concatenate([[last_t], t]); y = np.concatenate([last_y, y])\n"
    "            kmax = math.floor(t[-1] * 300 + 1e-9)\n"
    "            tn = np.arange(k, kmax + 1) / 300.0; k = kmax + 1\n"
    "            out = interp1d(t, y, kind='linear', axis=0, copy=False, bounds_error=False,\n"
    "                           fill_value='extrapolate', assume_sorted=True)(tn)\n"
    "            last_t = t[-1]; last_y = y[-1:]\n"
    "    return med(run)\n"
    "print(hil(), rs())\n";

int main(void)
{
    ezc_array *x = bench_tf_noise("bench_dsp2", NT, NCH, 1000);
    double eh = bench_tf_stream_ms("bench_dsp2", &ezc_fir_hilbert_type, NULL, 0, x, CHUNK, REPS);
    const char *rs[] = {"resample_rate", "300"};
    double er = bench_tf_stream_ms("bench_dsp2", &ezc_resample_type, rs, 2, x, CHUNK, REPS);
    ezc_array_destroy(&x);
    double ph = 0, pr = 0;
    const char *py = getenv("EZC_PYTHON");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c \"$EZC_BENCH_SRC\"", py && *py ? py : "/usr/bin/python3");
    setenv("EZC_BENCH_SRC", py_src, 1);
    FILE *p = popen(cmd, "r");
    int ok = p && fscanf(p, "%lf %lf", &ph, &pr) == 2;
    if (p)
        pclose(p);
    printf("%d ch x %d float64 samples [time, ch] at 1 kHz, chunks of %d, median of %d runs\n", NCH,
           NT, CHUNK, REPS);
    printf("%-40s %10s %10s %10s\n", "transformer", "ezc ms", "scipy ms", "ezc/scipy");
    printf("%-40s %10.1f %10.1f %10.3f\n", "fir_hilbert envelope, 171 taps", eh, ph,
           ok ? eh / ph : 0);
    printf("%-40s %10.1f %10.1f %10.3f\n", "resample 1 kHz -> 300 Hz (linear)", er, pr,
           ok ? er / pr : 0);
    if (!ok)
        printf("(scipy baseline unavailable: set EZC_PYTHON to a python with scipy)\n");
    return 0;
}
