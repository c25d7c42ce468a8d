"""References for test_learn_refit (ReFIT intention re-estimation, Gilja et
al. 2012) and test_learn_cca (incremental CCA per ezmsg-learn), written
out in numpy. Run with /usr/bin/python3."""
import os
import sys

import numpy as np
import scipy.linalg as sl

from refs import HERE, Refs

sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "python"))
import ezc_models  # noqa: E402

r = Refs("learn2", __doc__)
rng = np.random.default_rng(20120612)

# ---- ReFIT refit -------------------------------------------------------
S, F, DT = 4, 10, 0.05


def cursor_session(n):
    """Positions, velocities, targets, hold flags of a target-reaching cursor."""
    p, v, tgt, hold = np.zeros(2), np.zeros(2), rng.uniform(-1, 1, 2), 0
    out = np.zeros((n, 7))
    for t in range(n):
        d = tgt - p
        if hold == 0 and np.linalg.norm(d) < 0.1:
            hold = 6
        if hold:
            want = np.zeros(2)
            hold -= 1
            if hold == 0:
                tgt = rng.uniform(-1, 1, 2)
        else:
            want = 2.0 * d
        v = 0.8 * v + 0.2 * want + rng.normal(0, 0.05, 2)
        p = p + v * DT
        out[t] = [*p, *v, *tgt, hold > 0]
    return out


H_true = rng.normal(size=(F, S))
def feats(kin):
    return kin[:, :S] @ H_true.T + rng.normal(size=(len(kin), F)) * 0.5


def fit(x, z, scale=1.2):
    x1, x2 = x[:-1], x[1:]
    a = x2.T @ x1 @ np.linalg.inv(x1.T @ x1)
    e = x2 - x1 @ a.T
    w = e.T @ e / (len(x) - 1)
    h, q = fit_hq(x, z, scale)
    return a, w, h, q


def fit_hq(x, z, scale=1.2):
    h = z.T @ x @ np.linalg.inv(x.T @ x)
    d = z - x @ h.T
    return h, d.T @ d / len(x) * scale


def gain(a, w, h, q):
    p = sl.solve_discrete_are(a.T, h.T, w, q)
    return p @ h.T @ np.linalg.inv(h @ p @ h.T + q)


def dare_p(a, w, h, q):
    return sl.solve_discrete_are(a.T, h.T, w, q)


def steady(a, h, k, z):
    x, out = np.zeros(S), []
    for zi in z:
        xp = a @ x
        x = xp + k @ (zi - h @ xp)
        out.append(x)
    return np.array(out)


def full(a, w, h, q, z):
    """From the steady-state P, as ezmsg-learn (and ezc's default)."""
    x, p, out = np.zeros(S), dare_p(a, w, h, q), []
    for zi in z:
        xp = a @ x
        pp = a @ p @ a.T + w
        k = pp @ h.T @ np.linalg.inv(h @ pp @ h.T + q)
        x = xp + k @ (zi - h @ xp)
        ikh = np.eye(S) - k @ h
        p = ikh @ pp @ ikh.T + k @ q @ k.T
        out.append(x)
    return np.array(out)


def intended(states, cursor, target, hold, vel=2, pos=0, rule="previous"):
    """ReFIT: velocity zero while holding, else its speed toward the target
    (kept within 1e-5 of it). Positions (pos >= 0): "previous" (ezmsg-learn's
    RefitKalmanFilter.refit: as sent, but while holding the previous sample's
    intended position), "cursor" (the cursor's, Gilja et al.) or "sent"."""
    x = states.copy()
    for t in range(len(x)):
        if pos >= 0 and rule == "cursor":
            x[t, pos:pos + 2] = cursor[t]
        if hold[t] != 0:
            x[t, vel:vel + 2] = 0
            if pos >= 0 and rule == "previous" and t > 0:
                x[t, pos:pos + 2] = x[t - 1, pos:pos + 2]
            continue
        d = target[t] - cursor[t]
        dist = np.hypot(d[0], d[1])
        if dist > 1e-5:
            x[t, vel:vel + 2] = np.hypot(*states[t, vel:vel + 2]) * d / dist
    return x


kin = cursor_session(300)
z_fit = feats(kin)
A, W, H, Q = fit(kin[:, :S], z_fit)
K = gain(A, W, H, Q)
# an online session decoded by that model: decoded states, the cursor shown
# (the decoded position, clipped to the workspace), targets, holds
kin2 = cursor_session(250)
z_on = feats(kin2)
dec = steady(A, H, K, z_on)
cursor = np.clip(dec[:, :2], -0.5, 0.5)
target, hold = kin2[:, 4:6].copy(), kin2[:, 6].copy()
target[17] = cursor[17]; hold[17] = 0  # on the target, not holding: velocity kept
hold[40] = 2.5                         # any non-zero value is a hold
refit = np.concatenate([z_on, dec, cursor, target, hold[:, None]], axis=1)
xi = intended(dec, cursor, target, hold)
H2, Q2 = fit_hq(xi, z_on)
K2 = gain(A, W, H2, Q2)
xk = intended(dec, cursor, target, hold, pos=-1)
H3, Q3 = fit_hq(xk, z_on)
assert np.array_equal(xk, intended(dec, cursor, target, hold, rule="sent"))
xc = intended(dec, cursor, target, hold, rule="cursor")
H4, Q4 = fit_hq(xc, z_on)
assert hold[1:][hold[:-1] != 0].any() and not np.array_equal(xi, xk)  # holds that span samples
z_test = feats(cursor_session(120))

r.put("rf_fit", np.concatenate([z_fit, kin[:, :S]], axis=1))
r.put("rf_A", A); r.put("rf_W", W)
r.put("rf_refit", refit)
r.put("rf_intended", xi)
r.put("rf_H", H2); r.put("rf_Q", Q2); r.put("rf_K", K2)
r.put("rf_H_keep", H3); r.put("rf_Q_keep", Q3)
r.put("rf_intended_cursor", xc)
r.put("rf_H_cursor", H4); r.put("rf_Q_cursor", Q4)
r.put("rf_z", z_test)
r.put("rf_steady", steady(A, H2, K2, z_test))
r.put("rf_full", full(A, W, H2, Q2, z_test))

# ---- incremental CCA (ezmsg-learn's IncrementalCCA update) ---------------
class ICCA:
    def __init__(self, k, base=0.95, lo=0.5, hi=0.99, rate=0.1):
        self.k, self.base, self.lo, self.hi, self.rate = k, base, lo, hi, rate
        self.cur = base
        self.c = None
        self.n_samples = self.n_batches = 0
        self.clamps = set()

    def partial_fit(self, x, y):
        n = len(x)
        new = [x.T @ x / n, y.T @ y / n, x.T @ y / n]
        if self.c is None:
            self.c = [np.zeros_like(m) for m in new]
        if np.any(self.c[0] != 0):  # the first update keeps the base factor
            sizes = [x.shape[1] ** 2, y.shape[1] ** 2, x.shape[1] * y.shape[1]]
            change = sum(np.linalg.norm(a - b) / s for a, b, s in zip(new, self.c, sizes)) / 3
            raw = self.base * (1 - change)
            self.clamps.add("min" if raw < self.lo else "max" if raw > self.hi else "none")
            target = min(max(raw, self.lo), self.hi)
            self.cur = (1 - self.rate) * self.cur + self.rate * target
        a = self.cur
        self.c = [a * old + (1 - a) * m for old, m in zip(self.c, new)]
        self.n_samples += n
        self.n_batches += 1

        def inv_sqrt(c):
            w, v = np.linalg.eigh(c + 1e-8 * np.eye(len(c)))
            return (v * (1 / np.sqrt(np.clip(w, 1e-12, None)))) @ v.T

        s1, s2 = inv_sqrt(self.c[0]), inv_sqrt(self.c[1])
        u, sv, vt = np.linalg.svd(s1 @ self.c[2] @ s2, full_matrices=False)
        wx, wy = s1 @ u[:, :self.k], s2 @ vt.T[:, :self.k]
        for j in range(self.k):  # the largest |x weight| is positive
            if wx[np.argmax(np.abs(wx[:, j])), j] < 0:
                wx[:, j] *= -1
                wy[:, j] *= -1
        self.corr, self.wx, self.wy = sv, wx, wy
        return np.concatenate([x @ wx, y @ wy], axis=1)


def two_views(n, d1, d2, rho):
    """Views sharing len(rho) latent sources with those correlations."""
    zx = rng.normal(size=(n, len(rho)))
    zy = zx * rho + rng.normal(size=(n, len(rho))) * np.sqrt(1 - np.square(rho))
    x = np.c_[zx, rng.normal(size=(n, d1 - len(rho)))] @ rng.normal(size=(d1, d1))
    y = np.c_[zy, rng.normal(size=(n, d2 - len(rho)))] @ rng.normal(size=(d2, d2))
    return x, y


sizes = [50, 30, 1, 64, 20, 45, 37]
x, y = two_views(sum(sizes), 6, 5, [0.9, 0.6, 0.3])
x[144:164] *= 30  # the fifth batch: a jump the smoothing adapts to (min clamp)
r.put("cca_x", x); r.put("cca_y", y); r.put("cca_sizes", np.array(sizes, float))
# case b: small signals (changes ~1e-4) with base 0.995: the max clamp
r.put("cca_bx", x * 0.01); r.put("cca_by", y * 0.01)
for tag, kw in (("a", dict(k=3)), ("b", dict(k=2, base=0.995))):
    if tag == "b":
        x, y = x * 0.01, y * 0.01
    m = ICCA(**kw)
    proj, corr, at = [], [], 0
    for b, n in enumerate(sizes):
        proj.append(m.partial_fit(x[at:at + n], y[at:at + n]))
        corr.append(m.corr[:m.k])
        at += n
        if tag == "a" and b == 3:  # the state after 4 of 7 batches, for a cca `model`
            ezc_models.save_cca(os.path.join(HERE, "learn2_cca_a_half.ezm"), *m.c, m.cur,
                                m.n_samples, m.n_batches, m.wx, m.wy, m.corr)
    r.put(f"cca_{tag}_proj", np.concatenate(proj))
    r.put(f"cca_{tag}_corr", np.array(corr))
    print(tag, "final smoothing", m.cur, "clamps", sorted(m.clamps), "correlations", m.corr)
r.save()
