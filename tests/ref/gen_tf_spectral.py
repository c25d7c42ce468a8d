#!/usr/bin/python3
"""References for tests/test_tf_spectral.c: window, spectrum, spectrogram.

Windows are numpy sliding windows over the zero-padded input (ezmsg-sigproc's
rules for the initial zeros); spectra are numpy.fft of the input times
numpy's symmetric windows (np.hanning, ...), as ezmsg-sigproc computes them.
Deterministic (fixed seed). Run: /usr/bin/python3 tests/ref/gen_tf_spectral.py
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from refs import Refs

np.seterr(all="ignore")
rng = np.random.default_rng(20240612)
r = Refs("tf_spectral", __doc__)

# ---- window -------------------------------------------------------------
FS = 200.0
x = rng.standard_normal((157, 3))
r.put("win_x", x)


def windows(a, W, S, nzero, axis=0):
    """(.., nwin, W, ..) windows of zeros(nzero) + a along axis."""
    a = np.moveaxis(a, axis, 0)
    buf = np.concatenate([np.zeros((nzero,) + a.shape[1:], a.dtype), a])
    if buf.shape[0] < W:
        v = np.zeros((0, W) + a.shape[1:], a.dtype)
    else:
        v = np.moveaxis(sliding_window_view(buf, W, axis=0)[::S], -1, 1)
    return np.moveaxis(v, [0, 1], [axis, axis + 1])


r.put("win_none", windows(x, 20, 10, 0))       # dur 0.1, shift 0.05, pad none
r.put("win_shift", windows(x, 20, 10, 10))     # pad shift: W - S zeros
r.put("win_full5", windows(x, 20, 10, 15))     # pad full/input, first message of 5
r.put("win_gap", windows(x, 10, 16, 0))        # dur 0.05 < shift 0.08
for i, cum in enumerate([5, 35, 157]):         # 1:1 mode, messages of 5, 30, 122
    buf = np.concatenate([np.zeros((15, 3)), x[:cum]])
    r.put(f"win_1to1_{i}", buf[-20:][None])
x3 = rng.standard_normal((3, 157, 2)).astype(np.float32)
r.put("win_x3", x3)
r.put("win_x3_none", windows(x3, 20, 10, 0, axis=1))

# ---- spectrum -----------------------------------------------------------
WINDOWS = {"hann": np.hanning, "hamming": np.hamming, "blackman": np.blackman,
           "bartlett": np.bartlett, "boxcar": np.ones}
GAIN = 1.0 / FS
xs = rng.standard_normal((128, 4))
r.put("spec_x", xs)


def spec(a, window="hann", transform="raw_complex", output="positive", norm="forward",
         shift=True, nfft=None, axis=0):
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    nfft = nfft or n
    w = WINDOWS[window](n)
    wa = a * w.reshape((n,) + (1,) * (a.ndim - 1))
    if not np.iscomplexobj(a) and output == "positive":
        X = np.fft.rfft(wa, n=nfft, axis=0, norm=norm)
    else:
        X = np.fft.fft(wa, n=nfft, axis=0, norm=norm)
        if output == "positive":
            X = X[: nfft // 2 + 1]
        elif output == "negative":
            X = np.fft.fftshift(X, axes=0)[: nfft // 2 + 1]
        elif shift:
            X = np.fft.fftshift(X, axes=0)
    scale = np.sum(w ** 2) * GAIN
    out = {"raw_complex": X, "real": X.real, "imag": X.imag, "abs": np.abs(X),
           "power": np.abs(X) ** 2, "rel_power": np.abs(X) ** 2 / scale,
           "rel_db": 10 * np.log10(np.abs(X) ** 2 / scale)}[transform]
    return np.moveaxis(out, 0, axis)


for wname in WINDOWS:
    for tf in ["raw_complex", "real", "imag", "rel_power", "rel_db", "abs", "power"]:
        r.put(f"spec_{wname}_{tf}", spec(xs, wname, tf))
r.put("spec_full_shift", spec(xs, output="full"))
r.put("spec_full_noshift", spec(xs, output="full", shift=False))
r.put("spec_negative", spec(xs, output="negative"))
r.put("spec_backward", spec(xs, norm="backward"))
r.put("spec_ortho", spec(xs, norm="ortho"))
r.put("spec_pad200", spec(xs, transform="rel_power", nfft=200))
r.put("spec_trunc100", spec(xs, transform="rel_power", nfft=100))
r.put("spec_chtime", spec(xs.T, transform="rel_power", axis=1))
xo = xs[:127]
r.put("spec_odd_full", spec(xo, output="full"))
r.put("spec_odd_negative", spec(xo, output="negative"))
r.put("spec_odd_positive", spec(xo))
z = rng.standard_normal((64, 3)) + 1j * rng.standard_normal((64, 3))
r.put("spec_z", z)
r.put("spec_z_positive", spec(z))
r.put("spec_z_full", spec(z, output="full"))
r.put("spec_z_full_noshift", spec(z, output="full", shift=False))
r.put("spec_z_negative", spec(z, output="negative"))
r.put("spec_z_rel_power", spec(z, transform="rel_power"))
xi = (xs * 1000).astype(np.int16)
r.put("spec_xi", xi)
r.put("spec_xi_rel_power", spec(xi.astype(np.float64), transform="rel_power"))

# ---- spectrogram --------------------------------------------------------
GAIN = 1.0 / 100.0
s = rng.standard_normal((400, 2))
r.put("sg_x", s)
wins = windows(s, 32, 16, 0)                   # (nwin, 32, 2)
r.put("sg_rel_power", spec(wins, transform="rel_power", axis=1))
r.put("sg_rel_db", spec(wins, transform="rel_db", axis=1))
sn = s.copy()
sn[100, 0] = np.nan
sn[250, 1] = np.inf
r.put("sg_x_nan", sn)
r.put("sg_nan_rel_power", spec(windows(sn, 32, 16, 0), transform="rel_power", axis=1))
# ezmsg-sigproc's Spectrogram pads until the shift when a shift is set:
# W - S = 16 zeros before the first sample (the window transformer's "shift")
r.put("sg_shift_rel_db", spec(windows(s, 32, 16, 16), transform="rel_db", axis=1))
r.save()
