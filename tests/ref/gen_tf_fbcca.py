#!/usr/bin/python3
"""References for tests/test_tf_sigproc3.c: fbcca, resampleconcat, singlebandpow
(mode=square_law).

fbcca: canonical correlation analysis as in Lin et al. 2007 and the
filter-bank combination of Chen et al. 2015, written here from the
literature: per window and sub-band, the largest canonical correlation
between the centred channels and the centred sine/cosine references of
each target frequency and its harmonics, from the QR factors of both
(Bjorck and Golub 1973: the singular values of Qx^T Qy); columns with a
standard deviation of 1e-12 or less carry nothing and are left out;
sub-bands combined as sum_k w_k rho_k^2, w_k = k^-a + b; then a softmax
with beta (beta = 0: the sums themselves).
resampleconcat: numpy.interp of the signal at the reference's sample
times from the signal's first to its last, joined after the reference.
singlebandpow square_law: scipy's butter + sosfilt (from sosfilt_zi times the
first input), square, low-pass, every factor-th sample.

Writes tf_fbcca.bin / tf_fbcca.txt through refs.py. Deterministic
(fixed seed). Run: /usr/bin/python3 tests/ref/gen_tf_fbcca.py
"""
import numpy as np
import scipy.signal

from refs import Refs

r = Refs("tf_fbcca", __doc__)
rng = np.random.default_rng(20261207)


# ---- fbcca -------------------------------------------------------------------
def rho_max(x, y):
    """Largest canonical correlation of x (n, p) and y (n, q)."""
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    x = x[:, x.std(axis=0) > 1e-12]
    y = y[:, y.std(axis=0) > 1e-12]
    if x.shape[1] == 0 or y.shape[1] == 0:
        return 0.0
    qx = np.linalg.qr(x)[0]
    qy = np.linalg.qr(y)[0]
    return np.linalg.svd(qx.T @ qy, compute_uv=False)[0]


def references(t, f, harmonics):
    cols = []
    for h in range(1, harmonics + 1):
        cols.append(np.sin(2 * np.pi * h * f * t))
        cols.append(np.cos(2 * np.pi * h * f * t))
    return np.stack(cols, axis=1)


def fbcca(blocks, t, freqs, harmonics, beta, weights):
    """blocks: (batch, band, time, ch) -> (batch, freq)."""
    t = t - t[0]
    out = np.zeros((blocks.shape[0], len(freqs)))
    for b in range(blocks.shape[0]):
        for j, f in enumerate(freqs):
            y = references(t, f, harmonics)
            rho = np.array([rho_max(blocks[b, k], y) for k in range(blocks.shape[1])])
            out[b, j] = np.sum(weights[: len(rho)] * rho**2)
    if beta != 0:
        e = np.exp(beta * (out - out.max(axis=1, keepdims=True)))
        out = e / e.sum(axis=1, keepdims=True)
    return out


def chen_weights(n, a=1.25, b=0.25):
    return np.arange(1, n + 1) ** -a + b


FS = 250.0
T0 = 1.5
t = T0 + np.arange(250) / FS
FREQS = [8.0, 10.0, 12.0, 15.0]
# [win, ch, band, time]: window 0 carries 10 Hz, window 1 12 Hz (with a
# second harmonic), mixed into 4 channels with noise; each band its own noise.
x = np.zeros((2, 4, 3, len(t)))
for w, f in enumerate([10.0, 12.0]):
    src = np.sin(2 * np.pi * f * t + 0.3) + 0.4 * np.cos(2 * np.pi * 2 * f * t)
    mix = rng.normal(0, 1, 4)
    for k in range(3):
        x[w, :, k, :] = mix[:, None] * src[None, :] * (1.0 / (k + 1)) + rng.normal(
            0, 1.5, (4, len(t))
        )
x[:, :, :, :] += 3.0  # an offset the centring removes
for s, dt in (("f32", np.float32), ("f64", np.float64)):
    xs = x.astype(dt)
    blocks = np.transpose(xs.astype(np.float64), (0, 2, 3, 1))  # [win, band, time, ch]
    r.put(f"fb_x_{s}", xs)
    r.put(f"fb_soft_{s}", fbcca(blocks, t, FREQS, 3, 1.0, chen_weights(3)))
    r.put(f"fb_raw_{s}", fbcca(blocks, t, FREQS, 3, 0.0, chen_weights(3)))
    r.put(f"fb_ab_{s}", fbcca(blocks, t, FREQS, 3, 2.0, chen_weights(3, 2.0, 0.0)))
    r.put(f"fb_w_{s}", fbcca(blocks, t, FREQS, 2, 0.0, np.array([1.0, 0.5, 0.25])))

# [time, ch] without sub-bands; channel 2 constant (no variance: left out).
tc = np.arange(200) / FS
cx = rng.normal(0, 1, (200, 5))
cx[:, 0] += 2 * np.sin(2 * np.pi * 9 * tc)
cx[:, 3] += np.cos(2 * np.pi * 11.5 * tc + 1)
cx[:, 2] = 0.7
r.put("cca_x", cx)
r.put("cca_raw", fbcca(cx[None, None], tc, [9.0, 11.5, 20.0], 2, 0.0, chen_weights(1))[0])
# 3 samples, 5 channels: the channels span every centred direction, rho = 1.
sx = rng.normal(0, 1, (3, 5))
r.put("cca_short_x", sx)
r.put("cca_short", fbcca(sx[None, None], tc[:3], [10.0, 20.0], 1, 0.0, chen_weights(1))[0])

# ---- resampleconcat ----------------------------------------------------------
# reference: 100 Hz, 3 channels, from t = 0.013; signal: 73 Hz, 2 channels,
# from t = 0.05. Reference samples before the signal's first are dropped;
# those up to the signal's last are output.
RFS, SFS, RT0, ST0 = 100.0, 73.0, 0.013, 0.05
ra = rng.normal(0, 1, (160, 3))
sb = rng.normal(0, 1, (120, 2))
rt = RT0 + np.arange(len(ra)) / RFS
st = ST0 + np.arange(len(sb)) / SFS
keep = (rt >= st[0] - 1e-12) & (rt <= st[-1] + 1e-12)
interp = np.stack([np.interp(rt[keep], st, sb[:, c]) for c in range(sb.shape[1])], axis=1)
for s, dt in (("f32", np.float32), ("f64", np.float64)):
    r.put(f"rc_ref_{s}", ra.astype(dt))
    r.put(f"rc_sig_{s}", sb.astype(dt))
    si = np.stack(
        [np.interp(rt[keep], st, sb.astype(dt).astype(np.float64)[:, c]) for c in range(2)], axis=1
    )
    r.put(f"rc_out_{s}", np.concatenate([ra[keep].astype(dt).astype(np.float64), si], axis=1))
r.put("rc_params", np.array([RFS, SFS, RT0, ST0, np.argmax(keep), keep.sum()], dtype=np.float64))

# ---- singlebandpow square_law ------------------------------------------------
# ezmsg-sigproc's SquareLawBandPower: band-pass, square, low-pass, downsample.
SBFS = 1000.0
sbx = rng.normal(0, 1, (1000, 3)) + np.sin(2 * np.pi * 40 * np.arange(1000) / SBFS)[:, None]
bp = scipy.signal.butter(4, [30, 60], btype="bandpass", fs=SBFS, output="sos")
lp = scipy.signal.butter(4, 10, btype="lowpass", fs=SBFS, output="sos")
# each filter starts from its steady state for its first input (sosfilt_zi), as
# ezc's butterworth does
sq = scipy.signal.sosfilt(bp, sbx, axis=0, zi=scipy.signal.sosfilt_zi(bp)[:, :, None] * sbx[0])[0]
sq = sq**2
sq = scipy.signal.sosfilt(lp, sq, axis=0, zi=scipy.signal.sosfilt_zi(lp)[:, :, None] * sq[0])[0]
r.put("sbp_x", sbx)
r.put("sbp_sq", sq[::10])  # factor 10: every 10th sample from the first

r.save()
