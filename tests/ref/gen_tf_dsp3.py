#!/usr/bin/python3
"""References for tests/test_tf_dsp3.c (concat, align, merge,
adaptive_lattice_notch, adaptive_lnc, signalinjector), computed with
numpy/scipy as ezmsg-sigproc's Concat, AlignAlongAxis, Merge,
AdaptiveLatticeNotchFilter, AdaptiveLNC and SignalInjector compute them.

Writes tf_dsp3.bin / tf_dsp3.txt through refs.py. Deterministic (fixed
seed). Run: /usr/bin/python3 tests/ref/gen_tf_dsp3.py
"""
import numpy as np
import scipy.signal

from refs import Refs

r = Refs("tf_dsp3", __doc__)
rng = np.random.default_rng(20261206)
F = {"f32": np.float32, "f64": np.float64}

# ---- concat ------------------------------------------------------------------
# [time, ch]: a has 3 channels, b 2; joined along ch; c has a's shape, so
# a and c can also be stacked along a new last dim.
ca = rng.normal(0, 1, (6, 3))
cb = rng.normal(0, 1, (6, 2))
cc = rng.normal(0, 1, (6, 3))
for s, t in F.items():
    r.put(f"cat_a_{s}", ca.astype(t))
    r.put(f"cat_b_{s}", cb.astype(t))
    r.put(f"cat_c_{s}", cc.astype(t))
    r.put(f"cat_ab_{s}", np.concatenate([ca, cb], axis=1).astype(t))
    r.put(f"cat_ac_new_{s}", np.stack([ca, cc], axis=-1).astype(t))

# ---- merge / align -----------------------------------------------------------
# 100 Hz; a: 40 samples from t = 0, b: 50 samples from t = 0.05 (5 samples
# later). The common times are 0.05 .. 0.39: a[5:40] with b[0:35].
FS, SKIP = 100.0, 5
ma = rng.normal(0, 1, (40, 3))
mb = rng.normal(0, 1, (50, 2))
mb3 = rng.normal(0, 1, (50, 3))
n = min(len(ma) - SKIP, len(mb))
for s, t in F.items():
    r.put(f"mrg_a_{s}", ma.astype(t))
    r.put(f"mrg_b_{s}", mb.astype(t))
    r.put(f"mrg_b3_{s}", mb3.astype(t))
    r.put(f"mrg_ab_{s}", np.concatenate([ma[SKIP:SKIP + n], mb[:n]], axis=1).astype(t))
    r.put(f"aln_ab_{s}", np.stack([ma[SKIP:SKIP + n], mb3[:n]], axis=-1).astype(t))
r.put("mrg_params", np.array([FS, SKIP, n], dtype=np.float64))


# ---- adaptive_lattice_notch --------------------------------------------------
def lattice_notch(x, fs, gamma=0.995, mu=0.99, eta=0.99, init_f=None):
    """ezmsg-sigproc's AdaptiveLatticeNotchFilterTransformer (chunkwise=False),
    time on axis 0: float64 state, outputs in x's dtype."""
    f0 = init_f if init_f is not None else 0.07178314656435313 * fs
    shp = x.shape[1:]
    s_hist = np.zeros((2,) + shp)
    p = np.zeros(shp)
    q = np.zeros(shp)
    k1 = -np.cos(f0 * (2 * np.pi) / fs) + np.zeros(shp)
    y = np.zeros_like(x)
    fr = np.zeros_like(x)
    for i, xn in enumerate(x):
        s1, s2 = s_hist[-1], s_hist[-2]
        s = xn - k1 * (1 + gamma) * s1 - gamma * s2
        y[i] = s + 2 * k1 * s1 + s2
        p = eta * p + (1 - eta) * (s1 * (s + s2))
        q = eta * q + (1 - eta) * (2 * (s1 * s1))
        nk = np.clip(-p / (q + 1e-8), -1, 1)
        k1 = mu * k1 + (1 - mu) * nk
        fr[i] = np.arccos(-k1) * (fs / (2 * np.pi))
        s_hist[-2] = s1
        s_hist[-1] = s
    return y, fr


LFS = 500.0
tt = np.arange(300) / LFS
lx = 0.8 * np.sin(2 * np.pi * 60 * tt)[:, None] * np.array([1.0, 0.5, -0.7]) \
    + 0.1 * rng.normal(0, 1, (300, 3))
for s, t in F.items():
    xs = lx.astype(t)
    r.put(f"lat_x_{s}", xs)
    y, fr = lattice_notch(xs, LFS)
    r.put(f"lat_y_{s}", y)
    r.put(f"lat_f_{s}", fr)
    y, fr = lattice_notch(xs, LFS, gamma=0.99, mu=0.95, eta=0.9, init_f=55.0)
    r.put(f"lat_y55_{s}", y)
    r.put(f"lat_f55_{s}", fr)


# ---- adaptive_lnc (cancel_method = notch) -------------------------------------
def lnc(x, fs, line_freq=60.0, nharm=1, tau_adapt=0.1, tau_freq=0.5, max_dev=2.0):
    """ezmsg-sigproc's AdaptiveLNCTransformer, notch mode, time on axis 0, one
    call (its window grid makes chunking irrelevant): returns y in x's dtype."""
    omega = 2 * np.pi * line_freq / fs
    lo, hi = max(0.0, line_freq - max_dev), min(fs / 2, line_freq + max_dev)
    wmin, wmax = 2 * np.pi * lo / fs, 2 * np.pi * hi / fs
    block = max(1, int(round(fs / line_freq)))
    mu = 2.0 / (tau_adapt * fs)
    zi = np.zeros((nharm, 2) + x.shape[1:])

    def sos_of(w):
        return np.array([(1.0, -2 * np.cos((i + 1) * w), 1.0, 1.0,
                          -(2 - mu) * np.cos((i + 1) * w), 1 - mu) for i in range(nharm)])

    if tau_freq <= 0:
        y, zi = scipy.signal.sosfilt(sos_of(omega), x, axis=0, zi=zi)
        return y.astype(x.dtype)
    beta = 1 - np.exp(-(block / fs) / tau_freq)
    phase, inb, prev = 0.0, 0, None
    acc_r = np.zeros(x.shape[1:])
    acc_i = np.zeros(x.shape[1:])
    out, pos, n = [], 0, x.shape[0]
    while pos < n:
        seg = min(block - inb, n - pos)
        xs = x[pos:pos + seg]
        ys, zi = scipy.signal.sosfilt(sos_of(omega), xs, axis=0, zi=zi)
        removed = xs - ys
        ph = phase + omega * np.arange(seg)
        bs = (seg,) + (1,) * (removed.ndim - 1)
        acc_r = acc_r + np.sum(removed * np.cos(ph).reshape(bs), axis=0)
        acc_i = acc_i + np.sum(removed * np.sin(ph).reshape(bs), axis=0)
        out.append(ys)
        phase += omega * seg
        inb += seg
        pos += seg
        if inb >= block:
            z = acc_r.reshape(-1) - 1j * acc_i.reshape(-1)
            if prev is not None:
                cross = np.sum(z * np.conj(prev))
                if cross != 0:
                    omega = float(np.clip(omega + beta * float(np.angle(cross)) / block, wmin, wmax))
            prev = z
            acc_r = acc_r * 0
            acc_i = acc_i * 0
            inb = 0
    return np.concatenate(out, axis=0).astype(x.dtype)


NFS = 1000.0
tn = np.arange(1500) / NFS
nx = (np.sin(2 * np.pi * 60.7 * tn + 0.3)[:, None] * np.array([1.0, 0.6, -0.4])
      + 0.3 * np.sin(2 * np.pi * 121.4 * tn)[:, None]
      + 0.2 * np.sin(2 * np.pi * 7 * tn)[:, None] + 0.05 * rng.normal(0, 1, (1500, 3)))
for s, t in F.items():
    xs = nx.astype(t)
    r.put(f"lnc_x_{s}", xs)
    r.put(f"lnc_y_{s}", lnc(xs, NFS))
    r.put(f"lnc_fixed_{s}", lnc(xs, NFS, nharm=2, tau_freq=0))
    r.put(f"lnc_h2_{s}", lnc(xs, NFS, nharm=2, tau_adapt=0.05, tau_freq=0.3, max_dev=1.0))


# ---- signalinjector ---------------------------------------------------------
# ezmsg: t = the time axis values, signal = sin(2 pi f t), mixed = signal *
# mixing * amplitude (float64), added in the data's dtype. The weights are
# given here (ezc's `mixing` setting), as numpy's generator is not ezc's.
IFS, IT0, IF, IA = 200.0, 0.25, 13.0, 0.7
imix = np.array([0.5, -0.25, 0.9])
ix = rng.normal(0, 1, (50, 3))
it = IT0 + np.arange(50) / IFS
for s, t in F.items():
    xs = ix.astype(t)
    r.put(f"inj_x_{s}", xs)
    mixed = np.sin(2 * np.pi * IF * it)[:, None] * imix[None, :] * IA
    r.put(f"inj_y_{s}", xs + mixed.astype(t))
r.put("inj_params", np.array([IFS, IT0, IF, IA], dtype=np.float64))
r.save()
