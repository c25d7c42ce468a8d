"""References for tests/test_tf_filter.c (scipy.signal 1.10): filter design
(butter, cheby1, cheby2, sosfilt_zi), sosfilt/lfilter with state along each
axis, and the butterworth, filter, decimate, ewma, adaptive_standard_scaler
and cheby transformers on multi-channel data; FIR design (firwin windows,
kaiserord, remez) and the firfilter, kaiser and fir_pmc transformers;
butterworthzerophase as ezmsg-sigproc's streaming algorithm on given chunks.

Run by hand: /usr/bin/python3 tests/ref/gen_tf_filter.py
"""
import numpy as np
import scipy
import scipy.signal as sig

from refs import Refs

r = Refs("tf_filter", __doc__)
rng = np.random.default_rng(20240611)

# ---- design ---------------------------------------------------------------
WN = {"lowpass": 0.3, "highpass": 0.3, "bandpass": [0.2, 0.45], "bandstop": [0.2, 0.45]}
for order in (1, 2, 3, 4, 5, 8):
    for band, wn in WN.items():
        r.put(f"sos_butter_{band}_{order}", sig.butter(order, wn, band, output="sos"))
        r.put(f"sos_cheby1_{band}_{order}", sig.cheby1(order, 0.5, wn, band, output="sos"))
for order in (2, 3):
    for band, wn in WN.items():
        b, a = sig.butter(order, wn, band, output="ba")
        r.put(f"ba_butter_{band}_{order}", np.concatenate([b, a]))
for q in (2, 4, 10):
    r.put(f"sos_decimate_{q}", sig.cheby1(8, 0.05, 0.8 / q, output="sos"))
for band in WN:
    r.put(f"zi_butter_{band}_4", sig.sosfilt_zi(sig.butter(4, WN[band], band, output="sos")))

# ---- xp.iir: sosfilt / lfilter with zi along every axis of a 3-D array ------
x3 = rng.standard_normal((24, 3, 19))
r.put("iir_x", x3)
sos = sig.butter(3, [0.1, 0.4], "bandpass", output="sos")
r.put("iir_sos", sos)
b3, a3 = sig.cheby1(3, 1.0, 0.25, output="ba")
r.put("iir_ba", np.concatenate([b3, a3]))
for ax in range(3):
    shp = list(x3.shape)
    shp[ax] = 2
    zi = rng.standard_normal([sos.shape[0]] + shp)
    r.put(f"iir_zi_ax{ax}", np.moveaxis(zi, ax + 1, 1).copy())  # [sec][2][outer][inner]
    y, zf = sig.sosfilt(sos, x3, axis=ax, zi=zi)
    r.put(f"iir_sos_y_ax{ax}", y)
    r.put(f"iir_sos_zf_ax{ax}", np.moveaxis(zf, ax + 1, 1).copy())
    shp[ax] = 3
    zl = rng.standard_normal(shp)
    r.put(f"iir_lzi_ax{ax}", np.moveaxis(zl, ax, 0).copy())  # [order][outer][inner]
    y, zf = sig.lfilter(b3, a3, x3, axis=ax, zi=zl)
    r.put(f"iir_lf_y_ax{ax}", y)
    r.put(f"iir_lf_zf_ax{ax}", np.moveaxis(zf, ax, 0).copy())
# float32 data, float64 arithmetic: the reference filters the float32 values
x32 = x3.astype(np.float32)
y, _ = sig.sosfilt(sos, x32.astype(np.float64), axis=0, zi=np.zeros((sos.shape[0], 2, 3, 19)))
r.put("iir_f32_y_ax0", y)
y, _ = sig.sosfilt(sos, x32.astype(np.float64), axis=2, zi=np.zeros((sos.shape[0], 24, 3, 2)))
r.put("iir_f32_y_ax2", y)

# ---- transformers ------------------------------------------------------------
FS = 500.0
x = rng.standard_normal((240, 4)) + np.array([3.0, -1.0, 0.5, 10.0])
r.put("tf_x", x)


def sos_run(sos, x):
    zi = sig.sosfilt_zi(sos)[:, :, None] * x[0]
    return sig.sosfilt(sos, x, axis=0, zi=zi)[0]


def ba_run(b, a, x):
    zi = sig.lfilter_zi(b, a)[:, None] * x[0]
    return sig.lfilter(b, a, x, axis=0, zi=zi)[0]


bp = sig.butter(4, [10, 60], "bandpass", fs=FS, output="sos")
r.put("bw_bp_sos", bp)
r.put("bw_bp_y", sos_run(bp, x))
x32 = x.astype(np.float32)
r.put("bw_bp_y32", sos_run(bp, x32.astype(np.float64)))
hp = sig.butter(3, 20, "highpass", fs=FS, output="sos")
r.put("bw_hp_y", sos_run(hp, x))
bs = sig.butter(2, [30, 40], "bandstop", fs=FS, output="sos")
r.put("bw_bs_y", sos_run(bs, x))
b, a = sig.butter(3, 40, "lowpass", fs=FS, output="ba")
r.put("bw_lp_ba_y", ba_run(b, a, x))
r.put("bw_lp_ba", np.concatenate([b, a]))
# filter with explicit b/a of unequal lengths (FIR part longer than IIR part)
fb, fa = np.array([0.2, 0.3, 0.1, -0.05]), np.array([1.0, -0.5])
r.put("flt_ba_y", ba_run(fb, fa, x))

# decimate: cheby1(8, 0.05, 0.8/q) then every q-th sample
FSD = 1000.0
xd = rng.standard_normal((600, 2)) + 2.0
r.put("dec_x", xd)
dsos = sig.cheby1(8, 0.05, 0.8 / 4, output="sos")
r.put("dec_y", sos_run(dsos, xd)[::4])

# ewma as today's ezmsg-sigproc (ewma.py): z[t] = alpha x[t] + (1 - alpha) z[t-1]
# from z = 0, alpha = 1 - exp(-dt / tau), then y[t] = z[t] / (1 - (1 - alpha)^t)
# with t = 1, 2, ... counted since the reset (the bias correction)
FSE, TAU = 100.0, 0.2
alpha = 1 - np.exp(-(1.0 / FSE) / TAU)
xe = rng.standard_normal((200, 3)) + 5.0
r.put("ewma_x", xe)
ze = sig.lfilter([alpha], [1.0, alpha - 1.0], xe, axis=0, zi=np.zeros((1, 3)))[0]
r.put("ewma_y", ze / (1.0 - (1.0 - alpha) ** np.arange(1, 201))[:, None])

# adaptive standard scaler, written with the same operations as the C code
# (see transformers/adaptive_standard_scaler.c), NaN samples included
TAUS = 0.5
al = -np.expm1(-1.0 / (FSE * TAUS))
xs = rng.standard_normal((300, 3)) * np.array([1.0, 2.0, 0.5]) + np.array([0.5, -1.0, 3.0])
xs[0, 1] = np.nan
xs[50, 0] = np.nan
xs[51, 0] = np.nan
xs[120:125, 2] = np.nan
r.put("ass_x", xs)
sw = np.zeros(3)
sx = np.zeros(3)
sq = np.zeros(3)
ys = np.empty_like(xs)
with np.errstate(invalid="ignore", divide="ignore"):
    for n in range(xs.shape[0]):
        fin = np.isfinite(xs[n])
        w = np.where(fin, 1.0, 0.0)
        v = np.where(fin, xs[n], 0.0)
        q = v * v
        out = []
        for S, u in ((sw, w), (sx, v), (sq, q)):
            yv = al * u + S
            S[:] = 0.0 * u - (al - 1.0) * yv
            out.append(yv)
        mean = out[1] / out[0]
        var = out[2] / out[0] - mean * mean
        y = (xs[n] - mean) / np.sqrt(var)
        y = np.where(np.isnan(y), 0.0, y) + (xs[n] - xs[n])
        ys[n] = y
r.put("ass_y", ys)

# ---- cheby (appended: the draws above keep their values) -------------------
for order in (1, 2, 3, 4, 5, 8):
    for band, wn in WN.items():
        r.put(f"sos_cheby2_{band}_{order}", sig.cheby2(order, 40, wn, band, output="sos"))
for fam in ("cheby1", "cheby2"):
    for band, wn in WN.items():
        f = sig.cheby1 if fam == "cheby1" else sig.cheby2
        b, a = sig.normalize(*f(3, 0.5 if fam == "cheby1" else 30, wn, band, output="ba"))
        r.put(f"ba_{fam}_{band}_3", np.concatenate([b, a]))
cb = sig.cheby1(4, 0.5, [10, 60], "bandpass", fs=FS, output="sos")
r.put("ch1_bp_y", sos_run(cb, x))
r.put("ch1_bp_y32", sos_run(cb, x.astype(np.float32).astype(np.float64)))
r.put("ch2_hp_y", sos_run(sig.cheby2(5, 40, 20, "highpass", fs=FS, output="sos"), x))
b, a = sig.normalize(*sig.cheby2(3, 30, [0.1, 0.2], "bandstop", output="ba"))
r.put("ch2_bs_ba_y", ba_run(b, a, x))
b, a = sig.normalize(*sig.cheby1(4, 1.0, 40, "lowpass", fs=FS, output="ba"))
r.put("ch1_lp_ba_y", ba_run(b, a, x))

# ---- FIR (appended) ----------------------------------------------------------
def fir_run(h, x, axis=0):
    xm = np.moveaxis(x, axis, 0)
    zi = sig.lfilter_zi(h, [1.0])[:, None] * xm[0].reshape(1, -1)
    y = sig.lfilter(h, [1.0], xm.reshape(xm.shape[0], -1), axis=0, zi=zi)[0]
    return np.moveaxis(y.reshape(xm.shape), 0, axis)


FIRWIN = [  # (name, numtaps, cutoff / Nyquist, window, pass_zero, scale)
    ("lp_hamming", 31, [0.2], "hamming", True, True),
    ("lp_even", 64, [0.3], "hann", True, True),
    ("hp_blackman", 33, [0.4], "blackman", False, True),
    ("bp_bartlett", 45, [0.2, 0.5], "bartlett", False, True),
    ("bs_boxcar", 51, [0.3, 0.6], "boxcar", True, False),
    ("multi", 41, [0.1, 0.3, 0.5], "hamming", True, True),
]
for name, n, cut, win, pz, sc in FIRWIN:
    r.put(f"firwin_{name}", sig.firwin(n, cut, window=win, pass_zero=pz, scale=sc))
r.put("firwin_kaiser", sig.firwin(77, 0.3, window=("kaiser", 5.65), scale=False))
r.put("firwin_width", sig.firwin(55, [0.25, 0.6], width=0.1, pass_zero=False))
KORD = [(40, 0.1), (60, 0.05), (21, 0.2), (8, 0.5), (100, 0.01)]
r.put("kaiserord", np.array([[a, w, *sig.kaiserord(a, w)] for a, w in KORD], float))
REMEZ = [  # (numtaps, band edges / fs, desired, weight)
    (31, [0, 0.1, 0.15, 0.5], [1, 0], [1, 1]),
    (65, [0, 0.1, 0.15, 0.5], [1, 0], [1, 10]),
    (101, [0, 0.05, 0.08, 0.2, 0.23, 0.5], [0, 1, 0], [1, 1, 1]),
    (129, [0, 0.05, 0.07, 0.2, 0.22, 0.5], [1, 0, 1], [1, 3, 1]),
    (201, [0, 0.08, 0.1, 0.5], [1, 0], [1, 1]),
    (513, [0, 0.1, 0.11, 0.5], [1, 0], [1, 1]),
]
for i, (n, b, d, w) in enumerate(REMEZ):
    r.put(f"remez_{i}_spec", np.array([n, len(d)] + b + d + w, float))
    r.put(f"remez_{i}", sig.remez(n, b, d, weight=w))


def pmc_taps(fs, order, cuton=None, cutoff=None, transition=10.0, wp=1.0, wlo=1.0, whi=1.0):
    """ezmsg-sigproc fir_pmc.py's band layout, then scipy.signal.remez."""
    order += order % 2
    nyq, tw = fs / 2, max(transition, 0.0)
    clip = lambda f: float(min(max(f, 0.0), nyq))
    if cuton is None:
        b, d, w = [0, clip(cutoff), clip(cutoff + tw), nyq], [1, 0], [wp, whi]
    elif cutoff is None:
        b, d, w = [0, clip(cuton - tw), clip(cuton), nyq], [0, 1], [wlo, wp]
    elif cuton <= cutoff:
        b = [0, clip(cuton - tw), clip(cuton), clip(cutoff), clip(cutoff + tw), nyq]
        d, w = [0, 1, 0], [wlo, wp, whi]
    else:
        b = [0, clip(cutoff), clip(cutoff + tw), clip(cuton - tw), clip(cuton), nyq]
        d, w = [1, 0, 1], [wp, whi, wp]
    for i in range(1, len(b)):
        if b[i] <= b[i - 1]:
            b[i] = min(b[i - 1] + 1e-6, nyq)
    return sig.remez(order + 1, b, d, weight=w, fs=fs)


def kaiser_taps(fs, cutoff, ripple, width, pass_zero=True):
    """ezmsg-sigproc kaiser.py: kaiserord, odd length, firwin without scaling."""
    n, beta = sig.kaiserord(ripple, width / (0.5 * fs))
    n += 1 - n % 2
    return sig.firwin(n, cutoff, window=("kaiser", beta), pass_zero=pass_zero, scale=False, fs=fs)


h = sig.firwin(31, 60, fs=FS)
r.put("fir_lp_y", fir_run(h, x))
r.put("fir_lp_y32", fir_run(h, x.astype(np.float32).astype(np.float64)))
r.put("fir_ct_y", fir_run(h, np.ascontiguousarray(x.T), axis=1))
r.put("fir_bs_y", fir_run(sig.firwin(41, [0.2, 0.4], width=0.05), x))
r.put("kai_bp_y", fir_run(kaiser_taps(FS, [40, 90], 40, 20, pass_zero=False), x))
r.put("kai_bp_taps", kaiser_taps(FS, [40, 90], 40, 20, pass_zero=False))
r.put("pmc_lp_y", fir_run(pmc_taps(FS, 40, cutoff=60, transition=20), x))
r.put("pmc_bs_y", fir_run(pmc_taps(FS, 51, cuton=120, cutoff=60, transition=15, wp=2, whi=1), x))
r.put("pmc_hp_y32", fir_run(pmc_taps(FS, 30, cuton=100, transition=30),
                            x.astype(np.float32).astype(np.float64)))

# ---- butterworthzerophase (appended) -------------------------------------------
def zp_pad(sos, order, settle=0.01, max_pad=None, fs=FS, ba=False):
    """ezmsg-sigproc butterworthzerophase.py's _compute_pad_length."""
    min_len = 3 * (order + 1) if ba else 3 * ((order + 1) // 2) * 2
    n = max(min_len * 10, 10000)
    if max_pad is not None:
        n = min(n, int(max_pad * fs) + 1)
    imp = np.zeros(n)
    imp[0] = 1.0
    h = np.abs(sig.lfilter(*sos, imp) if ba else sig.sosfilt(sos, imp))
    above = np.where(h > settle * h.max())[0]
    pad = max(above[-1] + 1 if len(above) else min_len, min_len)
    return min(pad, int(max_pad * fs)) if max_pad is not None else pad


def zp_stream(sos, x, chunks, pad, ba=False):
    """Forward filter with carried state, then per message a backward pass
    over the buffered samples, keeping pad of them (ezmsg-sigproc)."""
    filt = (lambda c, v, zi: sig.lfilter(*c, v, axis=0, zi=zi)) if ba else (
        lambda c, v, zi: sig.sosfilt(c, v, axis=0, zi=zi))
    zu = (sig.lfilter_zi(*sos)[:, None]) if ba else sig.sosfilt_zi(sos)[:, :, None]
    zi = zu * x[0]
    buf = np.empty((0,) + x.shape[1:])
    outs, at = [], 0
    for n in chunks:
        c = x[at:at + n]
        at += n
        if n == 0:
            continue
        y, zi = filt(sos, c, zi)
        buf = np.concatenate([buf, y])
        nout = buf.shape[0] - pad
        if nout <= 0:
            continue
        r = buf[::-1]
        b = filt(sos, r, zu * r[0])[0][::-1]
        outs.append(b[:nout])
        buf = buf[nout:]
    return np.concatenate(outs)


ZP_CHUNKS = [37, 0, 1, 90, 112]
zsos = sig.butter(2, [20, 80], "bandpass", fs=FS, output="sos")
zpad = zp_pad(zsos, 2)
r.put("zp_pad", np.array([zpad], float))
r.put("zp_chunks", np.array(ZP_CHUNKS, float))
r.put("zp_bp_y", zp_stream(zsos, x, ZP_CHUNKS, zpad))
r.put("zp_bp_y32", zp_stream(zsos, x.astype(np.float32).astype(np.float64), ZP_CHUNKS, zpad))
r.put("zp_bp_whole", zp_stream(zsos, x, [240], zpad))
zba = sig.butter(3, 40, "lowpass", fs=FS, output="ba")
zpad_ba = zp_pad(zba, 3, settle=0.05, max_pad=0.05, ba=True)
r.put("zp_lp_ba_pad", np.array([zpad_ba], float))
r.put("zp_lp_ba_y", zp_stream(zba, x, ZP_CHUNKS, zpad_ba, ba=True))

# ---- a long FIR on a long message: xp.fir's FFT path (appended) ----------------
xl = rng.standard_normal((6000, 2)) + np.array([1.0, -2.0])
r.put("fir_long_x", xl)
r.put("fir_long_y", fir_run(sig.firwin(2001, 50, fs=FS), xl))

r.save()
print("scipy", scipy.__version__)
