"""References for tests/test_tf_dsp2.c (scipy.signal 1.10): fir_hilbert's
remez 'hilbert' designs (bands as ezmsg-sigproc's fir_hilbert builds them,
with its gain normalisations) and its streaming outputs (envelope, phase,
the filtered signal) on multi-channel data.

Run by hand: /usr/bin/python3 tests/ref/gen_tf_dsp2.py
"""
import numpy as np
import scipy.signal as sig
from scipy.interpolate import interp1d

from refs import Refs

r = Refs("tf_dsp2", __doc__)
rng = np.random.default_rng(20261206)


# ---- fir_hilbert ----------------------------------------------------------
def hilbert_taps(fs, order, f_lo=1.0, f_hi=None, trans_lo=1.0, trans_hi=1.0, wp=1.0, wlo=1.0,
                 whi=1.0, norm_band=None, norm_freq=None):
    """ezmsg-sigproc's fir_hilbert_design_fun, written from its description."""
    order += order % 2
    nyq = fs / 2.0
    f1 = max(f_lo, 0.0) + trans_lo
    f2 = (nyq - trans_hi) if f_hi is None else min(f_hi, nyq - trans_hi)
    assert 0.0 < f1 < f2 < nyq
    bands = [0.0, max(f1 - trans_lo, 0.0), f1, f2, min(f2 + trans_hi, nyq), nyq]
    desired, weight = [0.0, 1.0, 0.0], [wlo, wp, whi]
    for i in range(1, 5):
        if bands[i] <= bands[i - 1]:
            bands[i] = np.nextafter(bands[i - 1], np.inf)
    if bands[4] >= nyq:
        bands, desired, weight = bands[:3] + [nyq], desired[:2], weight[:2]
    b = sig.remez(order + 1, bands, desired, weight=weight, type="hilbert", fs=fs)
    g = None
    if norm_freq is not None:
        g = abs(sig.freqz(b, [1.0], worN=2 * np.pi * np.array([norm_freq]) / fs)[1][0])
    elif norm_band is not None:
        lo, hi = max(norm_band[0], f1), min(norm_band[1], f2)
        w = 2 * np.pi * np.linspace(lo, hi, 2048) / fs
        g = float(np.median(np.abs(sig.freqz(b, [1.0], worN=w)[1])))
    return b / g if g else b


def fir_run(b, x):
    """lfilter(b, 1) along axis 0 from the steady state of x[0]."""
    zi = sig.lfilter_zi(b, [1.0])[:, None] * x[0]
    return sig.lfilter(b, [1.0], x, axis=0, zi=zi)[0]


FS = 500.0
t = np.arange(300) / FS
hx = (np.sin(2 * np.pi * 23 * t)[:, None] * np.array([1.0, 2.0, 0.5])
      + 0.3 * np.sin(2 * np.pi * 61 * t + 1)[:, None]
      + 0.2 * rng.standard_normal((300, 3)) + np.array([0.5, -1.0, 2.0]))
r.put("hil_x", hx)
CASES = {
    "a": dict(order=64, f_lo=5.0, trans_lo=5.0, f_hi=200.0, trans_hi=10.0),
    "b": dict(order=41),  # odd order -> 42, default corners: stop/pass
    "c": dict(order=50, f_lo=10.0, trans_lo=4.0, f_hi=150.0, trans_hi=20.0, wlo=3.0, whi=2.0,
              norm_freq=40.0),
    "d": dict(order=50, f_lo=10.0, trans_lo=4.0, f_hi=150.0, trans_hi=20.0,
              norm_band=(0.0, 100.0)),
    "e": dict(order=170),  # ezmsg-sigproc's defaults
    "f": dict(order=200, f_lo=5.0, trans_lo=5.0),
}
for k, c in CASES.items():
    b = hilbert_taps(FS, **c)
    r.put(f"hil_taps_{k}", b)
    dly = (len(b) - 1) // 2
    for name, x in (("", hx), ("32", hx.astype(np.float32))):
        im = fir_run(b, x.astype(np.float64))
        re = np.concatenate([np.zeros((dly, 3)), x.astype(np.float64)])[: len(x)]
        if name:  # float32: each part rounded to float32, then combined in float32
            im, re = im.astype(np.float32), re.astype(np.float32)
        r.put(f"hil_env{name}_{k}", np.hypot(re, im))
        r.put(f"hil_phase{name}_{k}", np.arctan2(im, re))
        r.put(f"hil_filt{name}_{k}", im)

# ---- filterbank, filterbankdesign --------------------------------------------
def bank(kernels, x):
    """Each kernel from a zero state along axis 0 -> [ch, kernel, time]."""
    ys = [sig.lfilter(k, [1.0], x, axis=0) for k in kernels]
    return np.stack(ys).transpose(2, 0, 1)


fbx = rng.standard_normal((200, 3)) + np.array([1.0, -2.0, 0.5])
r.put("fb_x", fbx)
kerns = [rng.standard_normal(5), rng.standard_normal(9), rng.standard_normal(3)]
r.put("fb_kernels", np.concatenate(kerns))
r.put("fb_y", bank(kerns, fbx))
r.put("fb_y32", bank(kerns, fbx.astype(np.float32).astype(np.float64)))


def kaiser_taps(fs, cutoff, ripple, width, pass_zero):
    """ezmsg-sigproc's kaiser_design_fun (Hz)."""
    n, beta = sig.kaiserord(ripple, width / (0.5 * fs))
    n += 1 - n % 2
    return sig.firwin(n, cutoff, window=("kaiser", beta), pass_zero=pass_zero, scale=False, fs=fs)


FB_FS = 500.0
fbd = [kaiser_taps(FB_FS, 30.0, 40.0, 10.0, True),
       kaiser_taps(FB_FS, [40.0, 80.0], 50.0, 15.0, "bandpass"),
       kaiser_taps(FB_FS, 100.0, 30.0, 20.0, False)]
r.put("fbd_y", bank(fbd, fbx))
r.put("fbd_y32", bank(fbd, fbx.astype(np.float32).astype(np.float64)))

# ---- combfilter --------------------------------------------------------------
def comb_sos(fs, f0=60.0, nh=3, q=35.0, peak=False, proportional=False):
    rows = []
    for i in range(1, nh + 1):
        if f0 * i >= fs / 2:
            continue
        qi = q * i if proportional else q
        b, a = (sig.iirpeak if peak else sig.iirnotch)(f0 * i, qi, fs=fs)
        rows.append(np.hstack([b, a]))
    return np.vstack(rows)


def sos_run(sos, x):
    zi = sig.sosfilt_zi(sos)[:, :, None] * x[0]
    return sig.sosfilt(sos, x, axis=0, zi=zi)[0]


def ba_run(b, a, x):
    zi = sig.lfilter_zi(b, a)[:, None] * x[0]
    return sig.lfilter(b, a, x, axis=0, zi=zi)[0]


cx = (np.sin(2 * np.pi * 60 * np.arange(400) / FB_FS)[:, None]
      + 0.5 * rng.standard_normal((400, 3)) + np.array([0.0, 3.0, -1.0]))
r.put("comb_x", cx)
COMB = {
    "notch": dict(),
    "peak": dict(peak=True, q=10.0),
    "prop": dict(f0=100.0, nh=4, proportional=True, q=20.0),
}
for k, c in COMB.items():
    sos = comb_sos(FB_FS, **c)
    r.put(f"comb_sos_{k}", sos)
    r.put(f"comb_y_{k}", sos_run(sos, cx))
    r.put(f"comb_y32_{k}", sos_run(sos, cx.astype(np.float32).astype(np.float64)))
    b, a = sig.normalize(*sig.sos2tf(sos))
    r.put(f"comb_yba_{k}", ba_run(b, a, cx))

# ---- resample ----------------------------------------------------------------
def resample_ref(x, fs, t0, rate):
    """interp1d(linear) at t0 + k / rate for every k up to the last sample."""
    t = t0 + np.arange(len(x)) / fs
    k = np.arange(int(np.floor((len(x) - 1) * rate / fs + 1e-9)) + 1)
    tn = t0 + k / rate
    return interp1d(t, x, kind="linear", axis=0, assume_sorted=True)(tn)


rx = rng.standard_normal((500, 3)).cumsum(axis=0) + np.array([0.0, 5.0, -3.0])
r.put("rs_x", rx)
for name, rate in (("down", 300.0), ("up", 1300.0), ("int", 250.0)):
    r.put(f"rs_y_{name}", resample_ref(rx, 1000.0, 0.25, rate))
    r.put(f"rs_y32_{name}", resample_ref(rx.astype(np.float32).astype(np.float64), 1000.0, 0.25,
                                         rate))
r.save()
