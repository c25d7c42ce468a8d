#!/usr/bin/python3
"""References for tests/test_tf_sampler.c: windows of a random signal
around events, cut by numpy slicing, x[i0 : i0 + L] with i0 the first
sample at or after t + start and L = round((stop - start) * fs).

Writes tf_sampler.bin / tf_sampler.txt through refs.py. Deterministic
(fixed seed). Run: /usr/bin/python3 tests/ref/gen_tf_sampler.py
"""
import numpy as np

from refs import Refs

r = Refs("tf_sampler", __doc__)
rng = np.random.default_rng(20261206)
FS, T0, START, STOP = 250.0, 12.5, -0.2, 0.5
x = rng.normal(0, 1, (2000, 4))                    # [time, ch], 8 s
t = np.sort(rng.uniform(T0 + 0.25, T0 + 7.4, 12))  # off the sample grid
t[:3] = T0 + np.array([0.2, 1.0, 1.0])             # on it, and twice the same
L = int(round((STOP - START) * FS))
i0 = np.ceil((t + START - T0) * FS - 1e-6).astype(int)
r.put("events_t", t)
r.put("settings", np.array([FS, T0, START, STOP]))
for s, ty in {"f32": np.float32, "f64": np.float64}.items():
    xs = x.astype(ty)
    r.put(f"x_{s}", xs)
    r.put(f"windows_{s}", np.stack([xs[i:i + L] for i in i0]))
r.save()
