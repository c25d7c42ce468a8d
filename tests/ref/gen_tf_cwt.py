"""References for tests/test_tf_cwt.c: the continuous wavelet transform as
ezmsg-sigproc's CWT computes it (PyWavelets' cwt method run as a streaming
filter bank), written here from PyWavelets' documented algorithm with
numpy alone (PyWavelets is not packaged for Debian's Python here):

- psi on 2^10 points of linspace(lb, ub) (morl, mexh: [-8, 8]; cmorB-C:
  [-8, 8], 1/sqrt(pi B) exp(-t^2 / B) exp(2j pi C t));
- int_psi = cumsum(psi) * (x[1] - x[0]), conjugated for complex wavelets;
- central frequency: k = argmax |fft(psi)[1:]| + 2, folded (k > N/2 ->
  N - k + 2), 1 / (domain / (k - 1)); scale = cf / (f * gain);
- kernel per scale: int_psi[floor(arange(s * range + 1) / (s * step))]
  (indices inside the table), reversed; ezmsg casts the grid to the data's
  dtype first, so float32 data use the float32 step and range;
- the whole signal convolved from zeros (np.convolve, first n samples),
  differenced along time against a leading zero, times -sqrt(scale).

Run by hand: /usr/bin/python3 tests/ref/gen_tf_cwt.py
"""
import numpy as np

from refs import Refs

r = Refs("tf_cwt", __doc__)
rng = np.random.default_rng(20261206)
N = 1024


def wavelet(name):
    if name == "morl":
        return (lambda t: np.exp(-t ** 2 / 2) * np.cos(5 * t)), -8.0, 8.0, False
    if name == "mexh":
        return (lambda t: 2 / (np.sqrt(3) * np.pi ** 0.25) * (1 - t ** 2) * np.exp(-t ** 2 / 2)), \
            -8.0, 8.0, False
    b, c = (float(v) for v in name[4:].split("-"))
    return (lambda t: 1 / np.sqrt(np.pi * b) * np.exp(-t ** 2 / b) * np.exp(2j * np.pi * c * t)), \
        -8.0, 8.0, True


def cwt(x, fs, name, freqs=None, scales=None):
    """x: [time, ch]; returns [ch, freq, time] and the frequencies."""
    f, lb, ub, cplx = wavelet(name)
    grid = np.linspace(lb, ub, N)
    psi = f(grid)
    int_psi = np.cumsum(psi) * (grid[1] - grid[0])
    if cplx:
        int_psi = np.conj(int_psi)
    k = np.argmax(np.abs(np.fft.fft(psi)[1:])) + 2
    if k > N / 2:
        k = N - k + 2
    cf = 1.0 / ((grid[-1] - grid[0]) / (k - 1))
    gain = 1.0 / fs
    if freqs is not None:
        scales = cf / (np.sort(np.asarray(freqs, float)) * gain)
    else:
        scales = np.sort(np.asarray(scales, float))[::-1]
    g = grid.astype(x.dtype)
    rng_, step = g[-1] - g[0], g[1] - g[0]
    kernels = []
    for s in scales:
        reix = (np.arange(s * rng_ + 1) / (s * step)).astype(int)
        reix = reix[reix < N]
        kernels.append(int_psi[reix][::-1])
    n = x.shape[0]
    out = np.zeros((x.shape[1], len(scales), n), complex if cplx else float)
    for c in range(x.shape[1]):
        for i, (kern, s) in enumerate(zip(kernels, scales)):
            conv = np.convolve(x[:, c].astype(float), kern)[:n]
            out[c, i] = -np.sqrt(s) * np.diff(np.concatenate([[0], conv]))
    return out, cf / scales / gain


x = rng.standard_normal((800, 2))
t = np.arange(800) / 250.0
x[:, 0] += 2 * np.sin(2 * np.pi * 12 * t)
r.put("cwt_x", x)
cases = [("morl", [4, 8, 12, 20, 30], None), ("mexh", [6, 15], None),
         ("cmor1.5-1.0", [5, 10, 12, 25], None), ("morl", None, [4.0, 16.0, 9.5])]
for i, (name, fr, sc) in enumerate(cases):
    y, fq = cwt(x, 250.0, name, fr, sc)
    if np.iscomplexobj(y):
        r.put(f"cwt{i}_re", y.real)
        r.put(f"cwt{i}_im", y.imag)
    else:
        r.put(f"cwt{i}_y", y)
    r.put(f"cwt{i}_freq", fq)
# float32: the float32 grid's step and range pick the kernels' indices
y32, _ = cwt(x.astype(np.float32), 250.0, "morl", [4, 8, 12, 20, 30])
r.put("cwt0_y_f32", y32)
r.save()
