#!/usr/bin/python3
"""References for tests/test_tf_more.c (activation, quantize, digitize,
denormalize, flatten, detrend, gaussiansmoothing, singlebandpow,
binned_aggregate, rollingscaler), computed with numpy 1.24 / scipy 1.10 as
ezmsg-sigproc's transformers compute them.

Writes tf_more.bin / tf_more.txt through refs.py. Deterministic (fixed
seed). Run: /usr/bin/python3 tests/ref/gen_tf_more.py
"""
import numpy as np
import scipy.special

from refs import Refs

np.seterr(all="ignore")
r = Refs("tf_more", __doc__)
rng = np.random.default_rng(20261206)
F = {"f32": np.float32, "f64": np.float64}

# ---- activation --------------------------------------------------------------
# [time, ch]: random values over a wide range, special values, large |x|
x = rng.normal(0, 4, (8, 6))
x[0] = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-300]
x[1] = [40.0, -40.0, 800.0, -800.0, 1e-8, -1e-8]
p = rng.uniform(0, 1, (8, 6))       # logit's domain and beyond
p[0] = [0.0, 1.0, -0.5, 1.5, np.nan, 0.5]
p[1] = [1e-300, 1 - 1e-16, 0.3, 0.65, 0.4999, 0.5001]
for s, t in F.items():
    xs, ps = x.astype(t), p.astype(t)
    r.put(f"act_x_{s}", xs)
    r.put(f"act_sigmoid_{s}", scipy.special.expit(xs))
    r.put(f"act_log_expit_{s}", scipy.special.log_expit(xs))
    r.put(f"act_p_{s}", ps)
    r.put(f"act_logit_{s}", scipy.special.logit(ps))
xi = np.array([[-3, 0, 7], [100, -300, 2]], dtype=np.int16)
r.put("act_xi16", xi)
r.put("act_sigmoid_i16", scipy.special.expit(xi))   # float32 for int16 in scipy:
r.put("act_sigmoid_i16_f64", scipy.special.expit(xi.astype(np.float64)))


# ---- quantize ----------------------------------------------------------------
def quantize(data, max_val, min_val=0.0, bits=8):
    rng_ = max_val - min_val
    scale = 2 ** bits - 1
    clip_max = max_val
    if bits <= 1:
        dt = np.bool_
    elif bits <= 8:
        dt = np.uint8
    elif bits <= 16:
        dt = np.uint16
    elif bits <= 32:
        dt = np.uint32
    else:
        dt = np.uint64
        if bits == 64:
            clip_max *= 1 - 2e-16
    d = np.clip(data, min_val, clip_max)
    d = (d - min_val) / rng_
    return np.round(scale * d).astype(dt)


# float64: ties included (x = k + 0.5 steps) to check half-to-even
q = rng.uniform(-1.5, 1.5, (10, 4))
q[0] = [-1.0, 1.0, -2.0, 2.0]
q[1] = np.array([0.5, 1.5, 2.5, 3.5]) / 255 * 2 - 1     # near half steps at 8 bits
r.put("qz_x_f64", q)
for name, kw in {"b8": dict(max_val=1.0, min_val=-1.0, bits=8),
                 "b1": dict(max_val=1.0, min_val=-1.0, bits=1),
                 "b12": dict(max_val=1.5, min_val=-0.5, bits=12),
                 "b24": dict(max_val=1.0, min_val=-1.0, bits=24),
                 "b40": dict(max_val=1.0, min_val=-1.0, bits=40),
                 "b64": dict(max_val=1.0, min_val=-1.0, bits=64)}.items():
    r.put(f"qz_{name}_f64", quantize(q, **kw))
# exact ties: 0 .. 4 in halves, range [0, 4], bits 3 -> 7 steps; x * 7 / 4
qt = np.arange(0, 9) * 4 / 7 / 2
r.put("qz_ties_x", qt)
r.put("qz_ties", quantize(qt, 4.0, 0.0, 3))
# float32: values away from half steps (float32 arithmetic in numpy, float64 in ezc)
q32 = ((np.arange(40) % 17) / 16.0 * 2 - 1 + 0.2 / 255).astype(np.float32).reshape(10, 4)
r.put("qz_x_f32", q32)
r.put("qz_b8_f32", quantize(q32, 1.0, -1.0, 8))


# ---- digitize ----------------------------------------------------------------
I64_CAST_MAX = np.nextafter(np.float64(np.iinfo(np.int64).max), 0.0)


def digitize(data, min_val, max_val, dtype):
    info = np.iinfo(dtype)
    d = np.clip(data, min_val, max_val)
    d = (d - min_val) / (max_val - min_val)
    d = np.round(d * (info.max - info.min) + info.min)
    if dtype == np.int64:
        high = d >= I64_CAST_MAX
        d = np.clip(d, info.min, I64_CAST_MAX).astype(np.int64)
        return np.where(high, np.int64(info.max), d)
    return d.astype(dtype)


dg = rng.uniform(-1.2, 1.2, (10, 4))
dg[0] = [-1.0, 1.0, -5.0, 5.0]
dg[1] = [0.0, 1e-6, -1e-6, 0.999999]
r.put("dg_x_f64", dg)
for dt in (np.int16, np.int32, np.int64):
    n = np.dtype(dt).name
    r.put(f"dg_{n}_f64", digitize(dg, -1.0, 1.0, dt))
    r.put(f"dg_{n}_asym_f64", digitize(dg, -0.25, 1.0, dt))
    info = np.iinfo(dt)
    conv = float(1.25) / float(info.max - info.min)
    r.put(f"dg_{n}_asym_attrs", np.array([conv, -0.25 - float(info.min) * conv]))
dg32 = ((np.arange(40) % 13) / 12.0 * 2 - 1 + 0.3 / 65535).astype(np.float32).reshape(10, 4)
r.put("dg_x_f32", dg32)
r.put("dg_int16_f32", digitize(dg32, -1.0, 1.0, np.int16))

# ---- denormalize (constant distribution: deterministic) ----------------------
dn = rng.normal(0, 1, (10, 4))
dn[0] = [-10.0, 10.0, 0.0, np.nan]
o = (2.0 + 40.0) / 2.0
for s_, t in F.items():
    xs = dn.astype(t)
    r.put(f"dn_x_{s_}", xs)
    r.put(f"dn_const_{s_}", np.clip(xs * (np.full((1, 4), o) / 3.29) + np.full((1, 4), o), 0.0, None))

# ---- flatten -----------------------------------------------------------------
fl = rng.normal(0, 1, (5, 3, 4))                 # [time, ch, feat]
r.put("fl_x", fl)
r.put("fl_default", fl.reshape(5, 12))
r.put("fl_feat_ch", np.transpose(fl, (0, 2, 1)).reshape(5, 12))
r.put("fl_keep_ch", np.transpose(fl, (1, 0, 2)).reshape(3, 20))
fl4 = rng.normal(0, 1, (3, 2, 4, 5))             # [time, a, b, c]
r.put("fl4_x", fl4)
r.put("fl4_c_a", np.transpose(fl4, (0, 3, 1, 2)).reshape(3, 10, 4))

# ---- detrend -----------------------------------------------------------------
import scipy.signal  # noqa: E402

dt = rng.normal(0, 1, (60, 3)) + np.arange(60)[:, None] * np.array([0.1, -0.3, 0.0]) + 5
for s_, t in F.items():
    xs = dt.astype(t)
    r.put(f"dt_x_{s_}", xs)
    r.put(f"dt_constant_{s_}", scipy.signal.detrend(xs, axis=0, type="constant"))
    r.put(f"dt_linear_{s_}", scipy.signal.detrend(xs, axis=0, type="linear"))
# along ch (the last dim) too
r.put("dt_linear_ch_f64", scipy.signal.detrend(dt, axis=1, type="linear"))
# ewma (ezmsg-sigproc's Detrend): x - bias-corrected EWMA, fs 100 Hz, tau 0.2 s
alpha = 1 - np.exp(-1 / (100 * 0.2))
z = scipy.signal.lfilter([alpha], [1, alpha - 1], dt, axis=0)
tt = np.arange(1, 61)[:, None]
r.put("dt_ewma_f64", dt - z / (1 - (1 - alpha) ** tt))

# ---- gaussiansmoothing: lfilter(b, 1) started at the first sample's steady state
def gauss_taps(sigma_s, fs, width=4, kernel_size=None):
    sd = sigma_s * fs
    m = kernel_size if kernel_size is not None else int(2 * width * sd + 1)
    b = scipy.signal.windows.gaussian(m, std=sd)
    return b / np.sum(b)


gs = rng.normal(0, 1, (200, 3)).cumsum(axis=0) + 3
for s_, t in F.items():
    r.put(f"gs_x_{s_}", gs.astype(t))
for name, (sig, ks) in {"s10": (0.01, None), "s4k9": (0.004, 9)}.items():
    b = gauss_taps(sig, 500.0, kernel_size=ks)
    zi = scipy.signal.lfilter_zi(b, [1.0])[:, None] * gs[0]
    r.put(f"gs_{name}_taps", b)
    r.put(f"gs_{name}_y", scipy.signal.lfilter(b, [1.0], gs, axis=0, zi=zi)[0])

# ---- singlebandpow (RMSBandPower): butter bandpass sos with sosfilt_zi * x0,
# square, mean over bins of int(bin_duration * fs) samples, sqrt
sb = rng.normal(0, 1, (523, 2)) + np.sin(2 * np.pi * 40 * np.arange(523) / 500)[:, None]
r.put("sbp_x", sb)
sos = scipy.signal.butter(4, [30, 60], btype="bandpass", fs=500.0, output="sos")
zi = scipy.signal.sosfilt_zi(sos)[:, :, None] * sb[0]
yb = scipy.signal.sosfilt(sos, sb, axis=0, zi=zi)[0] ** 2
W = int(0.05 * 500)
nb = len(sb) // W
ms = yb[:nb * W].reshape(nb, W, 2).mean(axis=1)
r.put("sbp_ms", ms)
r.put("sbp_rms", np.sqrt(ms))

# ---- binned_aggregate (BinSchedule: bin m = samples [int(m spb), int((m+1) spb)))
ba = rng.normal(0, 1, (103, 3))
r.put("ba_x", ba)
fs, off = 500.0, 0.5
tax = off + np.arange(len(ba)) / fs


def bins(spb, n):
    edges = []
    m = 0
    while int((m + 1) * spb) <= n:
        edges.append((int(m * spb), int((m + 1) * spb)))
        m += 1
    return edges


for name, spb in {"frac": 0.021 * fs, "fixed": float(int(0.021 * fs))}.items():
    e = bins(spb, len(ba))
    r.put(f"ba_{name}_mean", np.stack([ba[a:b].mean(axis=0) for a, b in e]))
    mn = np.stack([ba[a:b].min(axis=0) for a, b in e])
    mx = np.stack([ba[a:b].max(axis=0) for a, b in e])
    am = np.stack([tax[a:b][np.argmax(ba[a:b], axis=0)] for a, b in e])
    r.put(f"ba_{name}_min_max_argmax", np.stack([mn, mx, am], axis=-1))
    r.put(f"ba_{name}_trapezoid", np.stack([np.trapz(ba[a:b], x=tax[a:b], axis=0) for a, b in e]))

# ---- rollingscaler: ezmsg's RollingScaler fed one sample per message (its
# per-sample semantics): raw until min_samples, then (x - mean) / max(sd,
# 1e-8) over the last k samples, non-finite -> 0, clipped
def rolling(x, k, min_n, clip, train=None, update=True):
    win = [] if train is None else list(train[-k:])
    out = np.empty_like(x)
    if not update:
        w = np.array(win)
        sd = np.maximum(np.sqrt(w.var(axis=0)), 1e-8)
        z = (x - w.mean(axis=0)) / sd
        z = np.where(np.isfinite(z), z, 0.0)
        return np.clip(z, -clip, clip)
    for i, row in enumerate(x):
        n = len(win)
        if n == 0 or n < min_n:
            out[i] = row
        else:
            w = np.array(win)
            sd = np.maximum(np.sqrt(w.var(axis=0)), 1e-8)
            z = (row - w.mean(axis=0)) / sd
            z = np.where(np.isfinite(z), z, 0.0)
            out[i] = np.clip(z, -clip, clip)
        win.append(row)
        win = win[-k:]
    return out


rs = rng.normal(0, 1, (90, 3)) * np.array([1.0, 3.0, 0.5]) + np.array([0.0, 2.0, -1.0])
rs[40, 1] = 30.0                                   # clipped at 10
r.put("rs_x", rs)
r.put("rs_k20", rolling(rs, 20, 1, 10.0))
r.put("rs_k7_min5", rolling(rs, 7, 5, 3.0))
rt = rng.normal(0, 1, (30, 3)) + 1
r.put("rs_train", rt)
r.put("rs_frozen_k20", rolling(rs, 20, 1, 10.0, train=rt, update=False))
r.put("rs_train_then_k20", rolling(rs, 20, 1, 10.0, train=rt))

r.save()
