"""References for tests/test_tf_filter.c (scipy.signal 1.10): filter design
(butter, cheby1, sosfilt_zi), sosfilt/lfilter with state along each axis,
and the butterworth, filter, decimate, ewma and adaptive_standard_scaler
transformers on multi-channel data.

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

r.save()
print("scipy", scipy.__version__)
