#!/usr/bin/python3
"""References for the core transformer suites (tests/test_tf_*.c written by
the lead: element-wise, axis, aggregate), computed with numpy 1.24.

Writes tf_core.bin / tf_core.txt through refs.py. Deterministic (fixed
seed). Run: /usr/bin/python3 tests/ref/gen_tf_core.py
"""
import numpy as np

from refs import Refs

np.seterr(all="ignore")  # inf, NaN and overflow are part of the references
r = Refs("tf_core", __doc__)
rng = np.random.default_rng(20261205)
F = {"f32": np.float32, "f64": np.float64}

# ---- element-wise ----------------------------------------------------------
# [time, ch]: random values plus a row of special values (inf, -inf, NaN,
# +0, -0) and a row with a denormal and tiny/huge magnitudes.
x = rng.normal(0, 3, (6, 5))
x[0] = [np.inf, -np.inf, np.nan, 0.0, -0.0]
x[1] = [5e-324, -1e-310, 1e300, -2.5, 7.0]
for s, t in F.items():
    xs = x.astype(t)
    r.put(f"ew_x_{s}", xs)
    r.put(f"ew_scale_{s}", xs * t(2.5))
    r.put(f"ew_invert_{s}", np.reciprocal(xs))
    r.put(f"ew_pow3_{s}", np.power(xs, t(3.0)))
    r.put(f"ew_powhalf_{s}", np.power(xs, t(0.5)))
    r.put(f"ew_pow2_{s}", np.power(xs, t(2.0)))
    r.put(f"ew_add_{s}", xs + t(1.5))
    r.put(f"ew_diffsub_{s}", xs - t(3.0))
    r.put(f"ew_diffmin_{s}", t(3.0) - xs)
    r.put(f"ew_linear_{s}", xs * t(2.0) + t(-1.0))
    sc = np.array([1.0, -2.0, 0.5, 4.0, 0.0])
    of = np.array([0.0, 1.0, -1.0, 2.0, 10.0])
    r.put(f"ew_linear_ch_{s}", (xs * sc.astype(t) + of.astype(t)).astype(t))
    r.put(f"ew_linear_sc_of_{s}", (xs * t(3.0) + of.astype(t)).astype(t))
    r.put(f"ew_linear_time_{s}", (xs * np.arange(1, 7, dtype=t)[:, None]).astype(t))
# logs over every float32 exponent and the special values: the CPU backend
# computes them itself (vectorised), so they are checked against numpy here
lx = np.concatenate([[0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1e-45, 1e-40, 1.1754942e-38,
                      1.0, 1.5, 1.4999999, 0.75, 2.0 ** 127],
                     np.exp(rng.uniform(-87, 88, 200))])
for s, t in F.items():
    ls = lx.astype(t)
    r.put(f"ew_logx_{s}", ls)
    r.put(f"ew_ln_{s}", np.log(ls))
    r.put(f"ew_log2_{s}", np.log2(ls))
    r.put(f"ew_log10_{s}", np.log10(ls))
xi = np.array([[-3, 0, 7], [100, -32768, 32767]], dtype=np.int16)
r.put("ew_xi16", xi)
r.put("ew_scale_i16", xi * 2.5)         # numpy: int16 * python float -> float64
r.put("ew_add_i16", xi + 1.5)
r.put("ew_invert_i16", np.reciprocal(xi.astype(np.float64)))

# ---- diff, transpose, slicer ---------------------------------------------------
for s, t in F.items():
    x = rng.normal(0, 1, (40, 3)).astype(t)
    x[7, 1] = np.nan
    x[9, 2] = np.inf
    r.put(f"diff_x_{s}", x)
    whole = np.diff(np.concatenate([x[:1], x]), axis=0)
    r.put(f"diff_time_{s}", whole)
    r.put(f"diff_time_fs_{s}", whole * t(250.0))
    r.put(f"diff_ch_{s}", np.diff(np.concatenate([x[:, :1], x], axis=1), axis=1))
xi = rng.integers(-1000, 1000, (12, 2)).astype(np.int32)
r.put("diff_x_i32", xi)
r.put("diff_time_i32", np.diff(np.concatenate([xi[:1], xi]), axis=0))

x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 1.5 - 7
r.put("tr_x", x)
r.put("tr_c_ell", np.transpose(x, (2, 0, 1)))
r.put("tr_b_a_c", np.transpose(x, (1, 0, 2)))
r.put("tr_ell_a", np.transpose(x, (1, 2, 0)))

x = rng.normal(0, 1, (5, 6))
r.put("sl_x", x)
r.put("sl_1_4", x[:, 1:4])
r.put("sl_step2", x[:, ::2])
r.put("sl_last", x[:, -1])
r.put("sl_list", x[:, [0, 2, 5]])
r.put("sl_labels", x[:, [3, 1]])       # "Cz, C3" on labels Fz C3 C4 Cz P3 P4
r.put("sl_rev", x[:, 4:1:-1])
r.put("sl_time", x[1:4, :])

# ---- aggregate, ranged_aggregate ---------------------------------------------
AGG = ["mean", "sum", "min", "max", "std", "var", "median", "prod", "argmin", "argmax"]
for s, t in F.items():
    x = rng.normal(0, 1, (4, 7, 3)).astype(t)       # [win, freq, ch]
    xn = x.copy()
    xn[0, 2, 1] = np.nan
    xn[3, :3, 2] = np.nan
    r.put(f"agg_x_{s}", x)
    r.put(f"agg_xnan_{s}", xn)
    for op in AGG:
        r.put(f"agg_{op}_{s}", getattr(np, op)(x, axis=1))
        if op != "prod":
            r.put(f"agg_nan{op}_{s}", getattr(np, "nan" + op)(xn, axis=1))
    r.put(f"agg_trapezoid_{s}", np.trapz(x, dx=0.5, axis=1).astype(t))

# ranged: a linear freq axis (gain 0.5 Hz, offset 0) and irregular coordinates
BANDS = [(1.0, 3.0), (2.2, 9.0), (10.0, 10.0)]
x = rng.normal(0, 1, (4, 33, 3))
r.put("rng_x", x)
fr = np.arange(33) * 0.5
for op in ["mean", "max", "std", "median", "argmax", "argmin", "trapezoid"]:
    out, centres = [], []
    for lo, hi in BANDS:
        inds = np.where((fr >= lo) & (fr <= hi))[0]
        sl = x[:, inds[0]:inds[-1] + 1]
        if op == "trapezoid":
            v = np.trapz(sl, x=fr[inds[0]:inds[-1] + 1], axis=1)
        elif op.startswith("arg"):
            v = fr[inds[0]:inds[-1] + 1][getattr(np, op)(sl, axis=1)]
        else:
            v = getattr(np, op)(sl, axis=1)
        out.append(v)
        centres.append(0.5 * np.mean(inds))
    r.put(f"rng_lin_{op}", np.stack(out, axis=1))
r.put("rng_lin_centres", np.array(centres))
frc = np.sort(rng.uniform(0, 16, 33))
r.put("rng_coords", frc)
out, outa, centres = [], [], []
for lo, hi in [(1.0, 5.0), (6.0, 12.0)]:
    inds = np.where((frc >= lo) & (frc <= hi))[0]
    sl = x[:, inds[0]:inds[-1] + 1]
    out.append(np.mean(sl, axis=1))
    outa.append(frc[inds[0]:inds[-1] + 1][np.argmax(sl, axis=1)])
    centres.append(np.mean(frc[inds]))
r.put("rng_coord_mean", np.stack(out, axis=1))
r.put("rng_coord_argmax", np.stack(outa, axis=1))
r.put("rng_coord_centres", np.array(centres))

# ---- coordinate_spaces, affine, common_rereference ---------------------------
for s, t in F.items():
    xy = rng.normal(0, 2, (5, 2)).astype(t)
    xy[0] = [0.0, 0.0]
    xy[1] = [-1.0, -0.0]
    r.put(f"cs_xy_{s}", xy)
    # numpy.hypot/arctan2, IEEE signed zeros: (-1, -0) -> theta = -pi. (ezmsg-sigproc
    # builds x + 1j*y first, which turns -0 into +0 and gives +pi there.)
    r.put(f"cs_pol_{s}", np.stack([np.hypot(xy[:, 0], xy[:, 1]),
                                   np.arctan2(xy[:, 1], xy[:, 0])], axis=1).astype(t))
    rt = np.stack([np.abs(rng.normal(0, 2, 5)), rng.uniform(-4, 4, 5)], axis=1).astype(t)
    r.put(f"cs_rt_{s}", rt)
    zz = rt[:, 0] * np.exp(1j * rt[:, 1])
    r.put(f"cs_cart_{s}", np.stack([zz.real, zz.imag], axis=1).astype(t))

    x = rng.normal(0, 1, (6, 4)).astype(t)
    W = rng.normal(0, 1, (4, 3)).astype(t)
    Wb = rng.normal(0, 1, (5, 3)).astype(t)
    r.put(f"af_x_{s}", x)
    r.put(f"af_W_{s}", W)
    r.put(f"af_Wb_{s}", Wb)
    r.put(f"af_y_{s}", x @ W)
    r.put(f"af_yb_{s}", x @ Wb[:4] + Wb[4])
    r.put(f"af_yleft_{s}", (W.T @ x.T).T)          # right_multiply=false with W.T (3 x 4)
    x3 = rng.normal(0, 1, (3, 4, 2)).astype(t)
    r.put(f"af_x3_{s}", x3)
    r.put(f"af_y3_{s}", np.einsum("aib,io->aob", x3, W[:, :2].astype(t)).astype(t))
    r.put(f"af_W2_{s}", np.ascontiguousarray(W[:, :2]))

    x = rng.normal(0, 1, (7, 6)).astype(t)
    x[3, 2] = 100.0  # an outlier: mean and median references differ
    r.put(f"car_x_{s}", x)
    r.put(f"car_mean_{s}", x - x.mean(axis=1, keepdims=True))
    n = x.shape[1]
    loo = (x.sum(axis=1, keepdims=True) - x) / (n - 1)
    r.put(f"car_mean_loo_{s}", x - loo)
    cl = [0, 0, 1, 1, 1, 2]
    y = np.empty_like(x)
    ym = np.empty_like(x)
    for c in set(cl):
        idx = [i for i, k in enumerate(cl) if k == c]
        y[:, idx] = x[:, idx] - x[:, idx].mean(axis=1, keepdims=True)
        ym[:, idx] = x[:, idx] - np.median(x[:, idx], axis=1, keepdims=True)
    r.put(f"car_mean_cl_{s}", y)
    r.put(f"car_median_cl_{s}", ym)
    r.put(f"car_median_{s}", x - np.median(x, axis=1, keepdims=True))

# ---- bandpower: windows of 128 at 500 Hz, shift 64, no initial zeros, hann
# (numpy's symmetric window), rel_db = 10 log10(|X|^2 / (sum(w^2) / fs)) with
# X normalised "forward" (1/n, the spectrum default as ezmsg-sigproc),
# mean over the rfft bins inside each band (bin spacing fs / 128)
fs, W, S = 500.0, 128, 64
t = np.arange(1000) / fs
x = np.stack([np.sin(2 * np.pi * 20 * t), 2 * np.sin(2 * np.pi * 100 * t),
              rng.normal(0, 1, t.size)], axis=1)
r.put("bp_x", x)
w = np.hanning(W)
starts = range(0, x.shape[0] - W + 1, S)
win = np.stack([x[i:i + W] for i in starts])            # (nwin, W, ch)
X = np.fft.rfft(win * w[None, :, None], axis=1, norm="forward")  # ezmsg default norm
db = 10 * np.log10(np.abs(X) ** 2 / (np.sum(w ** 2) / fs))
f = np.arange(W // 2 + 1) * fs / W
out = []
for lo, hi in [(17, 30), (70, 170)]:
    m = (f >= lo) & (f <= hi)
    out.append(db[:, m].mean(axis=1))
r.put("bp_y", np.stack(out, axis=1))                     # (nwin, band, ch)
r.put("bp_centres", np.array([f[(f >= lo) & (f <= hi)].mean() for lo, hi in [(17, 30), (70, 170)]]))

# ---- parity with today's ezmsg-sigproc: slicer order/regex, log ----------------
# (appended last, with their own generator, so the arrays above keep their bytes)
import ctypes
import math
import re

rp = np.random.default_rng(20261206)


def ezmsg_pick(selection, labels, order="axis"):
    """Indices ezmsg-sigproc's Slicer picks for a comma list of labels,
    indices and slices (exact label, then int, then a regex full match),
    deduplicated (first wins) and, for order "axis", sorted."""
    idx = []
    for tok in (t.strip() for t in selection.split(",")):
        if ":" in tok:
            idx += list(range(len(labels)))[slice(*(int(p) if p else None for p in tok.split(":")))]
        elif tok in labels:
            idx += [i for i, lab in enumerate(labels) if lab == tok]
        elif re.fullmatch(r"[+-]?\d+", tok):
            idx.append(int(tok) % len(labels))
        else:
            idx += [i for i, lab in enumerate(labels) if re.fullmatch(tok, lab)]
    first = list(dict.fromkeys(idx))
    return sorted(first) if order == "axis" else first


MONTAGE = ["Fz", "C3", "C4", "Cz", "P3", "P4"]
x = r_sl = None
for name, sel, order in [("sl_labels_axis", "Cz, C3", "axis"),
                         ("sl_dups_axis", "3,1,1:3", "axis"),
                         ("sl_dups_sel", "3,1,1:3", "selection"),
                         ("sl_regex", "C[34]", "axis"),
                         ("sl_regex_mix_axis", "P.*, Fz", "axis"),
                         ("sl_regex_mix_sel", "P.*, Fz", "selection"),
                         ("sl_label_one", "Cz", "axis")]:
    pick = ezmsg_pick(sel, MONTAGE, order)
    r.put(name + "_idx", np.array(pick, dtype=np.int64))

# log as ezmsg-sigproc computes it, np.log(x) / np.log(base), with the logs
# numpy's baseline loops call: libm's log (float64) and logf (float32). numpy's
# AVX2/AVX-512 logs differ from libm by up to 2-3 ulp (np.log(10.0) itself is
# 1 ulp low on AVX-512), so a SIMD numpy gives results a few ulp apart from
# machine to machine; libm's are the reproducible reference.
libm = ctypes.CDLL("libm.so.6")
libm.logf.restype = ctypes.c_float
libm.logf.argtypes = [ctypes.c_float]


def ln64(v):
    return np.array([math.log(e) if e > 0 and np.isfinite(e) else np.log(e) for e in v])


def ln32(v):
    return np.array([libm.logf(float(e)) if e > 0 and np.isfinite(e) else np.log(e)
                     for e in v], dtype=np.float32)


lgx = np.concatenate([[0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, 10.0, 1000.0, 1e-5, 0.001,
                       2.0, 0.5, 1e-310, 5e-324, 1e300, 1.5, 0.75, 1.0 + 2.0 ** -40],
                      np.exp(rp.uniform(-700, 700, 300)), rp.uniform(0.5, 2.0, 300),
                      rp.uniform(0, 10, 300)])
lgx32 = np.concatenate([[1e-40, 1e-45, 1.1754942e-38, 3.4e38, 1.0 + 2.0 ** -20],
                        np.exp(rp.uniform(-103, 88, 300))]).astype(np.float32)
lgx32 = np.concatenate([lgx.astype(np.float32), lgx32])
r.put("lg_x_f64", lgx)
r.put("lg_x_f32", lgx32)
for bname, base in [("10", 10.0), ("2", 2.0), ("e", math.e), ("3", 3.0), ("half", 0.5)]:
    r.put(f"lg_b{bname}_f64", ln64(lgx) / math.log(base))
    r.put(f"lg_b{bname}_f32", ln32(lgx32) / np.float32(math.log(base)))
# clip_zero: ezmsg clips only when some x <= 0 (NaN aside)
cx = np.array([1e-310, 1.0, np.nan])
r.put("lg_noclip_x_f64", cx)
r.put("lg_noclip_f64", ln64(cx) / math.log(10.0))
cx = np.array([1e-310, 0.0, -2.0, 1.0, np.nan])
r.put("lg_clip_x_f64", cx)
r.put("lg_clip_f64", ln64(np.maximum(cx, np.finfo(np.float64).tiny)) / math.log(10.0))
cx = np.array([1e-40, 1.0], dtype=np.float32)
r.put("lg_noclip_x_f32", cx)
r.put("lg_noclip_f32", ln32(cx) / np.float32(math.log(10.0)))
cx = np.array([1e-40, 0.0, 1.0], dtype=np.float32)
r.put("lg_clip_x_f32", cx)
r.put("lg_clip_f32", ln32(np.maximum(cx, np.finfo(np.float32).tiny)) / np.float32(math.log(10.0)))

# signed zeros through the element-wise transformers: numpy's own expressions
# (scale s * x, add x + v, difference x - v / v - x, linear x * s + o, invert)
szx = np.array([[-0.0, 0.0, -1.5], [0.0, -0.0, 2.0]])
for s_, t in F.items():
    xs = szx.astype(t)
    r.put(f"sz_x_{s_}", xs)
    r.put(f"sz_scale_{s_}", t(2.5) * xs)
    r.put(f"sz_add0_{s_}", xs + t(0.0))
    r.put(f"sz_diff0_{s_}", xs - t(0.0))
    r.put(f"sz_rdiff0_{s_}", t(0.0) - xs)
    r.put(f"sz_linear_{s_}", xs * t(2.0) + t(0.0))
    r.put(f"sz_linear_ch_{s_}", xs * np.array([2.0, 1.0, 3.0], dtype=t) + t(0.0))
    with np.errstate(divide="ignore"):
        r.put(f"sz_invert_{s_}", t(1.0) / xs)

# float32 with a correctly rounded log (libm's logf is not: 0.3% of its
# results are 1 ulp off), the rest of the formula unchanged
for bname, base in [("10", 10.0), ("2", 2.0), ("e", math.e), ("3", 3.0), ("half", 0.5)]:
    cr = np.log(lgx32.astype(np.float64)).astype(np.float32)
    r.put(f"lg_cr_b{bname}_f32", cr / np.float32(math.log(base)))

r.save()
