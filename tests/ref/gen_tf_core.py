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
xi = np.array([[-3, 0, 7], [100, -32768, 32767]], dtype=np.int16)
r.put("ew_xi16", xi)
r.put("ew_scale_i16", xi * 2.5)         # numpy: int16 * python float -> float64
r.put("ew_add_i16", xi + 1.5)
r.put("ew_invert_i16", np.reciprocal(xi.astype(np.float64)))

r.save()
