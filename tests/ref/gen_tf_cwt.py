"""References for tests/test_tf_cwt.c: the continuous wavelet transform as
ezmsg-sigproc's CWT computes it (PyWavelets' cwt method run as a streaming
filter bank), written here from PyWavelets' documented algorithm with
numpy alone (PyWavelets is not packaged for Debian's Python here):

- psi on 2^10 points of linspace(lb, ub) (morl, mexh: [-8, 8]; cmorB-C:
  [-8, 8], 1/sqrt(pi B) exp(-t^2 / B) exp(2j pi C t); shanB-C and
  fbspM-B-C: [-20, 20], sqrt(B) sinc(B t / M)^M exp(2j pi C t), M = 1 for
  shan: the formulas of PyWavelets' documentation); gausP and cgauP
  (P = 1..8) on [-5, 5]: the P-th derivative of exp(-t^2) (gaus, real,
  times (-1)^floor(P/2): PyWavelets' signs, gaus1 = -2t e^{-t^2} / ...,
  gaus2 = -2(2t^2 - 1) e^{-t^2} / ...) or of exp(-jt) exp(-t^2) (cgau, as
  is), built here as polynomial times Gaussian by p' + g' p and scaled to
  unit L2 norm over R (analytic constants, checked by quadrature);
- int_psi = cumsum(psi) * (x[1] - x[0]), conjugated for complex wavelets;
- central frequency: k = argmax |fft(psi)[1:]| + 2, folded (k > N/2 ->
  N - k + 2), 1 / (domain / (k - 1)); scale = cf / (f * gain);
- kernel per scale: int_psi[floor(arange(s * range + 1) / (s * step))]
  (indices inside the table), reversed; ezmsg casts the grid to the data's
  dtype first, so float32 data use the float32 step and range;
- the whole signal convolved from zeros (np.convolve, first n samples),
  differenced along time against a leading zero, times -sqrt(scale).

Also minimum-phase kernels (the filter bank's and cwt's `min_phase`):
scipy.signal.minimum_phase (1.10, default n_fft), homomorphic and hilbert,
of an odd firwin and an even remez kernel, and the bank's output with them.

Run by hand: /usr/bin/python3 tests/ref/gen_tf_cwt.py
"""
from math import comb, pi, sqrt

import numpy as np
import scipy.integrate as integ
import scipy.signal as sig

from refs import Refs

r = Refs("tf_cwt", __doc__)
rng = np.random.default_rng(20261206)
N = 1024


def odd_factorial2(n):
    """(2n - 1)!!, 1 for n = 0: E[Z^(2n)] of a standard normal Z."""
    out = 1
    for k in range(1, 2 * n, 2):
        out *= k
    return out


def gaussian_derivative(p, cplx):
    """d^p/dt^p of exp(-t^2) (times exp(-jt) when cplx) as poly(t) times
    that Gaussian, the poly by q_{n+1} = q_n' + g' q_n (g the exponent),
    with PyWavelets' sign and unit L2 norm. The norm is analytic: by
    Parseval, int |f^(p)|^2 dt = sqrt(pi/2) E[(Z - s)^(2p)], Z standard
    normal, s = 1 for cgau (the exp(-jt) shift), 0 for gaus: (2p - 1)!!
    for gaus, sum_k C(2p, 2k) (2k - 1)!! for cgau."""
    P = np.polynomial.Polynomial
    dg = P([-1j if cplx else 0, -2])  # g = -jt - t^2 (or -t^2)
    q = P([1 + 0j])
    for _ in range(p):
        q = q.deriv() + dg * q
    c = sum(comb(2 * p, 2 * k) * odd_factorial2(k) for k in range(p + 1)) if cplx \
        else odd_factorial2(p)
    norm2 = c * sqrt(pi / 2)
    # ... and by quadrature over R
    quad, _ = integ.quad(lambda t: abs(q(t)) ** 2 * np.exp(-2 * t * t), -np.inf, np.inf,
                         epsabs=0, epsrel=1e-13, limit=200)
    assert abs(quad / norm2 - 1) < 1e-12, (p, cplx, quad, norm2)
    sign = 1 if cplx else (-1) ** (p // 2)
    if cplx:
        return lambda t: sign * q(t) * np.exp(-1j * t - t * t) / sqrt(norm2)
    qr = P(q.coef.real)
    assert not np.any(q.coef.imag)
    return lambda t: sign * qr(t) * np.exp(-t * t) / sqrt(norm2)


# PyWavelets' closed forms for gaus1 and gaus2 (the sign convention)
_t = np.linspace(-5, 5, 41)
assert np.allclose(gaussian_derivative(1, False)(_t),
                   -2 * _t * np.exp(-_t ** 2) / (pi / 2) ** 0.25, rtol=0, atol=1e-15)
assert np.allclose(gaussian_derivative(2, False)(_t),
                   -2 * (2 * _t ** 2 - 1) * np.exp(-_t ** 2) / sqrt(3 * sqrt(pi / 2)),
                   rtol=0, atol=1e-15)


def wavelet(name):
    if name == "morl":
        return (lambda t: np.exp(-t ** 2 / 2) * np.cos(5 * t)), -8.0, 8.0, False
    if name == "mexh":
        return (lambda t: 2 / (np.sqrt(3) * np.pi ** 0.25) * (1 - t ** 2) * np.exp(-t ** 2 / 2)), \
            -8.0, 8.0, False
    if name.startswith("shan") or name.startswith("fbsp"):
        parts = [float(v) for v in name[4:].split("-")]
        m, b, c = (1.0, *parts) if name.startswith("shan") else parts

        def psi(t):
            u = np.pi * b * t / m
            sinc = np.where(u == 0, 1.0, np.sin(u) / np.where(u == 0, 1.0, u))
            return np.sqrt(b) * sinc ** m * np.exp(2j * np.pi * c * t)
        return psi, -20.0, 20.0, True
    if name.startswith("gaus") or name.startswith("cgau"):
        return gaussian_derivative(int(name[4:]), name.startswith("cgau")), -5.0, 5.0, \
            name.startswith("cgau")
    b, c = (float(v) for v in name[4:].split("-"))
    return (lambda t: 1 / np.sqrt(np.pi * b) * np.exp(-t ** 2 / b) * np.exp(2j * np.pi * c * t)), \
        -8.0, 8.0, True


def cwt(x, fs, name, freqs=None, scales=None, min_phase=None):
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
        kern = int_psi[reix][::-1]
        kernels.append(sig.minimum_phase(kern, method=min_phase) if min_phase else kern)
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
         ("cmor1.5-1.0", [5, 10, 12, 25], None), ("morl", None, [4.0, 16.0, 9.5]),
         ("shan1.5-1.0", [6, 12], None), ("fbsp2-1.0-0.5", [8, 16], None)]


def put_cases(cases, start):
    """cwt{i}_y (or _re, _im) and cwt{i}_freq for each case, i from start."""
    for i, (name, fr, sc) in enumerate(cases, start=start):
        y, fq = cwt(x, 250.0, name, fr, sc)
        if np.iscomplexobj(y):
            r.put(f"cwt{i}_re", y.real)
            r.put(f"cwt{i}_im", y.imag)
        else:
            r.put(f"cwt{i}_y", y)
        r.put(f"cwt{i}_freq", fq)


put_cases(cases, 0)
# float32: the float32 grid's step and range pick the kernels' indices
y32, _ = cwt(x.astype(np.float32), 250.0, "morl", [4, 8, 12, 20, 30])
r.put("cwt0_y_f32", y32)
y, _ = cwt(x, 250.0, "morl", [8, 20], min_phase="homomorphic")
r.put("cwt_mp_y", y)

def hilbert_symmetric(h):
    """scipy's hilbert method on one half of the (symmetric) spectrum, so
    the two mirror bins of the response's minimum are alike (scipy's full
    FFT leaves one at log(1e-10), the other wherever rounding puts it)."""
    n = len(h)
    nfft = 2 ** int(np.ceil(np.log2(2 * (n - 1) / 0.01)))
    k = np.arange(nfft // 2 + 1)
    H = np.real(np.fft.rfft(h, nfft) * np.exp(1j * k * (2 * np.pi / nfft * (n // 2))))
    dp, ds = H.max() - 1, -H.min()
    H = np.sqrt((H + ds) * (4 / (np.sqrt(1 + dp + ds) + np.sqrt(1 - dp + ds)) ** 2)) + 1e-10
    c = np.fft.irfft(np.log(H), nfft)
    sg = np.zeros(nfft)
    sg[1:nfft // 2], sg[nfft // 2 + 1:] = 1, -1
    return np.fft.irfft(H * np.exp(np.fft.rfft(c * sg)), nfft)[:n // 2 + n % 2]


# minimum phase: an odd firwin and an even remez kernel
k1 = sig.firwin(31, 0.3)
k2 = sig.remez(40, [0, 0.1, 0.15, 0.5], [1, 0])
r.put("mp_k1", k1)
r.put("mp_k2", k2)
for method in ("homomorphic", "hilbert"):
    m1, m2 = sig.minimum_phase(k1, method=method), sig.minimum_phase(k2, method=method)
    r.put(f"mp_{method}_k1", m1)
    r.put(f"mp_{method}_k2", m2)
    # the bank's output [ch, kernel, time]
    y = np.stack([np.stack([sig.lfilter(m, [1.0], x[:, c]) for m in (m1, m2)])
                  for c in range(x.shape[1])])
    r.put(f"mp_{method}_y", y)
m1, m2 = hilbert_symmetric(k1), hilbert_symmetric(k2)
r.put("mp_hilbert_sym_y", np.stack([np.stack([sig.lfilter(m, [1.0], x[:, c]) for m in (m1, m2)])
                                    for c in range(x.shape[1])]))

# gaus and cgau (after the rest, whose offsets stay as they were): cases 6..
gcases = [("gaus1", [5, 12, 30], None), ("gaus4", [8, 20], None), ("gaus8", None, [3.0, 12.0]),
          ("cgau1", [6, 15], None), ("cgau2", [4, 10, 25], None), ("cgau8", [10, 40], None)]
put_cases(gcases, len(cases))
# psi of every gaus and cgau at every 8th point of its 2^10-point grid,
# [re, im] per point; and the central frequency's margin (the top |DFT|
# bin over the runner-up outside its mirror: a near tie could fold either
# way between FFT roundings)
for fam in ("gaus", "cgau"):
    for p in range(1, 9):
        f, lb, ub, _ = wavelet(f"{fam}{p}")
        psi = f(np.linspace(lb, ub, N)) + 0j
        r.put(f"psi_{fam}{p}", np.stack([psi.real, psi.imag], axis=1)[::8])
        mag = np.abs(np.fft.fft(psi))
        top = np.argmax(mag[1:]) + 1
        rest = np.delete(mag, [0, top, (N - top) % N] if fam == "gaus" else [0, top])
        assert mag[top] / rest.max() > 1 + 1e-9, (fam, p)
r.save()
