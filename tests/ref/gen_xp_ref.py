#!/usr/bin/python3
"""Reference values for tests/test_xp_cpu.c, computed with numpy.

Writes xp_ref.bin (the arrays, raw little-endian C order, each 16-byte
aligned) and xp_ref.txt (one line per array: name dtype offset ndim shape...).
Deterministic: a fixed seed, and numpy only. Run from anywhere:

    /usr/bin/python3 tests/ref/gen_xp_ref.py
"""
import os
import warnings

import numpy as np

np.seterr(all="ignore")  # 1/0 = inf and overflow are part of the references
warnings.simplefilter("ignore", np.ComplexWarning)  # complex -> real keeps the real part

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)
blob = bytearray()
index = []
names = set()


def put(name, a):
    a = np.ascontiguousarray(a)
    assert name not in names, name
    assert a.dtype.byteorder in "=<|", name
    names.add(name)
    while len(blob) % 16:
        blob.append(0)
    index.append(f"{name} {a.dtype.name} {len(blob)} {a.ndim} " + " ".join(str(d) for d in a.shape))
    blob.extend(a.tobytes())


F = {"f32": np.float32, "f64": np.float64}

# ---- element-wise -----------------------------------------------------------
x = rng.normal(0, 2, (7, 13))
x[0, :4] = [0.0, -0.0, 1.0, np.nan]
pos = rng.uniform(0.1, 5.0, (7, 13))
for s, t in F.items():
    xs, ps = x.astype(t), pos.astype(t)
    put(f"u_x_{s}", xs)
    put(f"u_pos_{s}", ps)
    put(f"u_abs_{s}", np.abs(xs))
    put(f"u_neg_{s}", np.negative(xs))
    put(f"u_square_{s}", np.square(xs))
    put(f"u_sign_{s}", np.sign(xs))
    put(f"u_exp_{s}", np.exp(xs))
    put(f"u_reciprocal_{s}", np.reciprocal(xs))
    put(f"u_sin_{s}", np.sin(xs))
    put(f"u_cos_{s}", np.cos(xs))
    put(f"u_sqrt_{s}", np.sqrt(ps))
    put(f"u_log_{s}", np.log(ps))
    put(f"u_log2_{s}", np.log2(ps))
    put(f"u_log10_{s}", np.log10(ps))
    put(f"aff_{s}", xs * t(2.5) + t(-1.25))
    put(f"pow15_{s}", np.power(ps, t(1.5)))
    put(f"pow2_{s}", np.power(ps, t(2.0)))
    put(f"powm05_{s}", np.power(ps, t(-0.5)))
    xn = xs.copy()
    xn[1, 2] = xn[4, 4] = np.nan
    put(f"clip_x_{s}", xn)
    put(f"clip_y_{s}", np.clip(xn, t(-0.5), t(0.75)))
    put(f"clip_inf_{s}", np.clip(xn, t(-np.inf), t(0.3)))

i16 = rng.integers(-20, 20, 40).astype(np.int16)
i16[:4] = [-32768, 32767, 0, -1]
put("abs_x_i16", i16)
put("abs_y_i16", np.abs(i16))
put("clip_x_i16", i16)
put("clip_y_i16", np.clip(i16, -2, 3))  # bounds -2.5 and 3.7 rounded inward
c64 = (rng.normal(size=(5, 6)) + 1j * rng.normal(size=(5, 6))).astype(np.complex64)
c128 = (rng.normal(size=(5, 6)) + 1j * rng.normal(size=(5, 6))).astype(np.complex128)
put("c_x_c64", c64)
put("c_abs_c64", np.abs(c64))
put("c_neg_c64", -c64)
put("c_x_c128", c128)
put("c_square_c128", np.square(c128))
put("c_reciprocal_c128", np.reciprocal(c128))
put("c_aff_c64", c64 * np.float32(2.5) + np.float32(-1.25))

# affine along an axis: the middle one and the last one
ax3 = rng.normal(size=(3, 4, 5))
sc4, of4, sc5 = rng.normal(size=4), rng.normal(size=4), rng.normal(size=5)
put("affax_x_f64", ax3)
put("affax_s4", sc4)
put("affax_o4", of4)
put("affax_s5", sc5)
put("affax_y1_f64", ax3 * sc4[None, :, None] + of4[None, :, None])
put("affax_y2_f64", ax3 * sc5[None, None, :])
put("affax_x_f32", ax3.astype(np.float32))
put("affax_y1_f32", ax3.astype(np.float32) * sc4[None, :, None].astype(np.float32)
    + of4[None, :, None].astype(np.float32))

# binary: a NaN on either side for min/max
a = rng.normal(size=(6, 9))
b = rng.normal(size=(6, 9))
b += np.where(b >= 0, 0.5, -0.5)
an, bn = a.copy(), b.copy()
an[0, 0] = an[2, 3] = np.nan
bn[0, 0] = bn[1, 1] = bn[5, 8] = np.nan
for s, t in F.items():
    A, B, AN, BN = (v.astype(t) for v in (a, b, an, bn))
    put(f"bin_a_{s}", A)
    put(f"bin_b_{s}", B)
    put(f"bin_add_{s}", A + B)
    put(f"bin_sub_{s}", A - B)
    put(f"bin_mul_{s}", A * B)
    put(f"bin_div_{s}", A / B)
    put(f"bin_an_{s}", AN)
    put(f"bin_bn_{s}", BN)
    put(f"bin_minimum_{s}", np.minimum(AN, BN))
    put(f"bin_maximum_{s}", np.maximum(AN, BN))
    put(f"bin_arctan2_{s}", np.arctan2(AN, BN))
    put(f"bin_hypot_{s}", np.hypot(AN, BN))
for s, t in (("c64", np.complex64), ("c128", np.complex128)):
    A = (rng.normal(size=(4, 5)) + 1j * rng.normal(size=(4, 5))).astype(t)
    B = (rng.normal(size=(4, 5)) + 1j * rng.normal(size=(4, 5))).astype(t)
    put(f"binc_a_{s}", A)
    put(f"binc_b_{s}", B)
    put(f"binc_add_{s}", A + B)
    put(f"binc_sub_{s}", A - B)
    put(f"binc_mul_{s}", A * B)
    put(f"binc_div_{s}", A / B)
ia = np.array([2147483600, -5, 7, -2147483600, 100, 0], dtype=np.int32)
ib = np.array([100, -7, 7, -100, -100, 0], dtype=np.int32)
put("bini_a_i32", ia)
put("bini_b_i32", ib)
with np.errstate(over="ignore"):
    put("bini_add_i32", ia + ib)
    put("bini_mul_i32", ia * ib)
put("bini_maximum_i32", np.maximum(ia, ib))

# ---- reductions ------------------------------------------------------------
# (4, 5, 38): axis 0 and 1 reduce strided rows (inner 190 and 38), axis 2 a
# contiguous run of 38 = 2 x 16 lanes + 6; medians of 4 (even), 5, 38.
RED_OPS = ["sum", "prod", "mean", "min", "max", "std", "var", "median", "argmin", "argmax",
           "nansum", "nanmean", "nanmin", "nanmax", "nanstd", "nanvar", "nanmedian",
           "nanargmin", "nanargmax"]
red = rng.normal(size=(4, 5, 38))
redn = red.copy()
while True:
    mask = rng.random(red.shape) < 0.15
    if all(not np.all(mask, axis=k).any() for k in range(3)):
        break
redn[mask] = np.nan
red_ints = rng.integers(-3, 4, size=(4, 5, 38)).astype(np.int16)


def reduce_ref(op, v, axis):
    f = getattr(np, op)
    with np.errstate(all="ignore"):
        r = f(v, axis=axis)
    return np.asarray(r)


for s, t in F.items():
    for tag, arr in (("x", red), ("xn", redn)):
        v = arr.astype(t)
        put(f"red_{tag}_{s}", v)
        for op in RED_OPS:
            for axis in range(3):
                put(f"red_{tag}_{s}_{op}_{axis}", reduce_ref(op, v, axis))
put("red_x_i16", red_ints)
for op in RED_OPS:
    for axis in range(3):
        put(f"red_x_i16_{op}_{axis}", reduce_ref(op, red_ints, axis))
# wider than one sweep of 256 accumulators: axis 0 of (3, 600)
WIDE_OPS = ["sum", "prod", "var", "min", "argmin", "median", "nanmean", "nanstd", "nanmax",
            "nanargmax"]
wide = rng.normal(size=(3, 600))
wide[rng.random(wide.shape) < 0.1] = np.nan
wide[:, 7] = [np.nan, 1.0, 2.0]
put("red_w_f64", wide)
for op in WIDE_OPS:
    put(f"red_w_f64_{op}", reduce_ref(op, wide, 0))
wide_i = rng.integers(-3, 4, size=(3, 600)).astype(np.int16)
put("red_w_i16", wide_i)
for op in ("sum", "prod", "max", "argmin"):
    put(f"red_w_i16_{op}", reduce_ref(op, wide_i, 0))
u8 = rng.integers(200, 256, size=(3, 40)).astype(np.uint8)
put("red_x_u8", u8)
put("red_x_u8_sum_1", np.sum(u8, axis=1))
# medians over a longer run with many ties, exercising the selection
med = rng.integers(0, 50, size=(2, 1001)).astype(np.float64)
put("med_x_f64", med)
put("med_y_f64", np.median(med, axis=1))
put("med_y2_f64", np.median(med[:, :1000], axis=1))

# ---- along an axis -----------------------------------------------------------
d = rng.normal(size=(4, 5, 6))
prev1 = rng.normal(size=(4, 1, 6))
prev2 = rng.normal(size=(4, 5, 1))
for s, t in F.items():
    D, P1, P2 = d.astype(t), prev1.astype(t), prev2.astype(t)
    put(f"diff_x_{s}", D)
    put(f"diff_p1_{s}", P1)
    put(f"diff_p2_{s}", P2)
    put(f"diff_y1_{s}", np.diff(D, axis=1))
    put(f"diff_y2_{s}", np.diff(D, axis=2))
    put(f"diff_y1p_{s}", np.diff(D, axis=1, prepend=P1))
    put(f"diff_y2p_{s}", np.diff(D, axis=2, prepend=P2))
di = rng.integers(-30000, 30000, size=(3, 7)).astype(np.int16)
put("diff_x_i16", di)
put("diff_y1_i16", np.diff(di, axis=1))  # wraps, as int16 arithmetic

tk = rng.normal(size=(4, 5, 6))
put("take_x_f64", tk)
put("take_y1_f64", np.take(tk, [4, 0, 0, 2], axis=1))
put("take_y2_f64", np.take(tk, [5, 1, 3], axis=2))
tkc = c64[:4]
put("take_x_c64", tkc)
put("take_y0_c64", np.take(tkc, [3, 3, 0], axis=0))
c1, c2, c3 = rng.normal(size=(4, 2, 6)), rng.normal(size=(4, 3, 6)), rng.normal(size=(4, 1, 6))
put("cat_a_f64", c1)
put("cat_b_f64", c2)
put("cat_c_f64", c3)
put("cat_y_f64", np.concatenate([c1, c2, c3], axis=1))
put("perm_y_f64", np.transpose(tk, (2, 0, 1)))
pt = rng.normal(size=(37, 19)).astype(np.float32)
put("perm_x_f32", pt)
put("perm_y_f32", pt.T)
pi = rng.integers(-100, 100, size=(4, 5, 6)).astype(np.int16)
put("perm_x_i16", pi)
put("perm_y_i16", np.transpose(pi, (0, 2, 1)))
put("perm_y2_i16", np.transpose(pi, (1, 0, 2)))

# ---- FFT along axis 1 of (3, 16, 4) ------------------------------------------
fr = rng.normal(size=(3, 16, 4))
fc = rng.normal(size=(3, 16, 4)) + 1j * rng.normal(size=(3, 16, 4))
fh = np.fft.rfft(rng.normal(size=(3, 16, 4)), axis=1)  # a Hermitian half, 9 long
for s, rt, ct in (("f32", np.float32, np.complex64), ("f64", np.float64, np.complex128)):
    R, C, H = fr.astype(rt), fc.astype(ct), fh.astype(ct)
    put(f"fft_r_{s}", R)
    put(f"fft_c_{s}", C)
    put(f"fft_h_{s}", H)
    put(f"rfft16_{s}", np.fft.rfft(R, n=16, axis=1).astype(ct))
    put(f"rfft20_{s}", np.fft.rfft(R, n=20, axis=1).astype(ct))
    put(f"rfft10_{s}", np.fft.rfft(R, n=10, axis=1).astype(ct))
    put(f"fft16_{s}", np.fft.fft(C, n=16, axis=1).astype(ct))
    put(f"fft12_{s}", np.fft.fft(C, n=12, axis=1).astype(ct))
    put(f"ifft16_{s}", np.fft.ifft(C, n=16, axis=1).astype(ct))
    put(f"ifft24_{s}", np.fft.ifft(C, n=24, axis=1).astype(ct))
    put(f"irfft16_{s}", np.fft.irfft(H, n=16, axis=1).astype(rt))
    put(f"irfft15_{s}", np.fft.irfft(H, n=15, axis=1).astype(rt))
    put(f"irfft20_{s}", np.fft.irfft(H, n=20, axis=1).astype(rt))

# ---- linear algebra --------------------------------------------------------
ma, mb = rng.normal(size=(4, 3)), rng.normal(size=(3, 5))
r = rng.normal(size=(5, 5))
spd = r @ r.T + 5 * np.eye(5)
ls, lb, lb1 = rng.normal(size=(5, 5)) + 4 * np.eye(5), rng.normal(size=(5, 3)), rng.normal(size=5)
sym = rng.normal(size=(6, 6))
sym = sym + sym.T
sv1, sv2 = rng.normal(size=(6, 4)), rng.normal(size=(3, 5))
for s, t in F.items():
    A, B = ma.astype(t), mb.astype(t)
    put(f"mm_a_{s}", A)
    put(f"mm_b_{s}", B)
    put(f"mm_at_{s}", A.T)
    put(f"mm_bt_{s}", B.T)
    put(f"mm_c_{s}", A.astype(np.float64) @ B.astype(np.float64))
    put(f"spd_{s}", spd.astype(t))
    put(f"chol_{s}", np.linalg.cholesky(spd.astype(t).astype(np.float64)))
    put(f"solve_a_{s}", ls.astype(t))
    put(f"solve_b_{s}", lb.astype(t))
    put(f"solve_b1_{s}", lb1.astype(t))
    put(f"solve_x_{s}", np.linalg.solve(ls.astype(t).astype(np.float64), lb.astype(t).astype(np.float64)))
    put(f"solve_x1_{s}", np.linalg.solve(ls.astype(t).astype(np.float64), lb1.astype(t).astype(np.float64)))
    w, v = np.linalg.eigh(sym.astype(t).astype(np.float64))
    put(f"eigh_a_{s}", sym.astype(t))
    put(f"eigh_w_{s}", w)
    put(f"eigh_v_{s}", v)
    for tag, m in (("1", sv1), ("2", sv2)):
        u_, s_, vt_ = np.linalg.svd(m.astype(t).astype(np.float64), full_matrices=False)
        put(f"svd{tag}_a_{s}", m.astype(t))
        put(f"svd{tag}_s_{s}", s_)

# ---- memory ------------------------------------------------------------------
ast = np.array([-2.7, -0.5, 0.0, 0.4, 1.9, 3.0, 126.6, -127.2])
put("ast_x_f64", ast)
put("ast_i16", ast.astype(np.int16))
put("ast_u8", np.abs(ast).astype(np.uint8))
put("ast_bool", ast.astype(np.bool_))
put("ast_c128", (ast + 2j * ast).astype(np.complex128))
put("ast_c128_f32", (ast + 2j * ast).astype(np.complex128).astype(np.float32))
put("ast_i16_f32", ast.astype(np.int16).astype(np.float32))

with open(os.path.join(HERE, "xp_ref.bin"), "wb") as f:
    f.write(bytes(blob))
with open(os.path.join(HERE, "xp_ref.txt"), "w") as f:
    f.write("# name dtype offset ndim shape... (written by gen_xp_ref.py)\n")
    f.write("\n".join(index) + "\n")
print(f"{len(index)} arrays, {len(blob)} bytes")
