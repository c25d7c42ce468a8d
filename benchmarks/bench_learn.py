"""Baselines for bench_learn.c, measured in the same run: writes the models
and data the C side uses into DIR and prints one line per baseline,
"name microseconds_per_sample" (median of REPS runs).

    bench_learn.py DIR REPS"""
import os
import sys
import time

import numpy as np
import scipy.linalg as sl
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import SGDClassifier, SGDRegressor

sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import ezc_models  # noqa: E402

out, reps = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)

# Kalman: 96 features -> 4 states, steady state, chunks of 20 samples
S, F, CH, NCH = 4, 96, 20, 200
A = np.eye(S) * 0.95 + rng.normal(size=(S, S)) * 0.01
W = np.eye(S) * 0.05
H = rng.normal(size=(F, S))
g = rng.normal(size=(F, F)) * 0.1
Q = g @ g.T + np.eye(F)
ezc_models.save_kalman(os.path.join(out, "kf.ezm"), A, W, H, Q)
z = rng.normal(size=(CH * NCH, F))
z.astype("<f8").tofile(os.path.join(out, "kf_z.bin"))
P = sl.solve_discrete_are(A.T, H.T, W, Q)
K = P @ H.T @ np.linalg.inv(H @ P @ H.T + Q)


def kalman_run():
    x = np.zeros(S)
    for c in range(NCH):
        chunk = z[c * CH:(c + 1) * CH]
        y = np.empty((CH, S))
        for i, zi in enumerate(chunk):
            xp = A @ x
            x = xp + K @ (zi - H @ xp)
            y[i] = x


ts = []
for _ in range(reps):
    t0 = time.perf_counter()
    kalman_run()
    ts.append((time.perf_counter() - t0) / (CH * NCH) * 1e6)
print("kalman", sorted(ts)[reps // 2])

# LDA: 3 classes x 256 features, chunks of 100 samples
F2, N2, NCH2 = 256, 100, 50
x = np.concatenate([rng.normal(size=(400, F2)) + rng.normal(size=F2) for _ in range(3)])
y = np.repeat([0.0, 1.0, 2.0], 400)
lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x, y)
ezc_models.save_lda_sklearn(os.path.join(out, "lda.ezm"), lda)
t = rng.normal(size=(N2 * NCH2, F2))
t.astype("<f8").tofile(os.path.join(out, "lda_x.bin"))
ts = []
for _ in range(reps):
    t0 = time.perf_counter()
    for c in range(NCH2):
        lda.predict_proba(t[c * N2:(c + 1) * N2])
    ts.append((time.perf_counter() - t0) / (N2 * NCH2) * 1e6)
print("lda", sorted(ts)[reps // 2])

# CCA: incremental update, 64 + 64 channels, batches of 100 samples (the
# same update as learn/cca.c and tests/ref/gen_learn2.py)
D1, D2, NB3, NS3 = 64, 64, 40, 100
lat = rng.normal(size=(NB3 * NS3, 8))
cx = np.c_[lat, rng.normal(size=(NB3 * NS3, D1 - 8))] @ rng.normal(size=(D1, D1)) / 8
cy = np.c_[lat + rng.normal(size=lat.shape), rng.normal(size=(NB3 * NS3, D2 - 8))] \
    @ rng.normal(size=(D2, D2)) / 8
cx.astype("<f8").tofile(os.path.join(out, "cca_x.bin"))
cy.astype("<f8").tofile(os.path.join(out, "cca_y.bin"))


def inv_sqrt(c):
    w, v = np.linalg.eigh(c + 1e-8 * np.eye(len(c)))
    return (v * (1 / np.sqrt(np.clip(w, 1e-12, None)))) @ v.T


def cca_run(k=2, base=0.95, lo=0.5, hi=0.99, rate=0.1):
    c11, c22, c12, cur = np.zeros((D1, D1)), np.zeros((D2, D2)), np.zeros((D1, D2)), base
    for b in range(NB3):
        x, y = cx[b * NS3:(b + 1) * NS3], cy[b * NS3:(b + 1) * NS3]
        n11, n22, n12 = x.T @ x / NS3, y.T @ y / NS3, x.T @ y / NS3
        if np.any(c11 != 0):
            change = (np.linalg.norm(n11 - c11) / D1 ** 2 + np.linalg.norm(n22 - c22) / D2 ** 2
                      + np.linalg.norm(n12 - c12) / (D1 * D2)) / 3
            cur = (1 - rate) * cur + rate * min(max(base * (1 - change), lo), hi)
        c11, c22, c12 = (cur * c11 + (1 - cur) * n11, cur * c22 + (1 - cur) * n22,
                         cur * c12 + (1 - cur) * n12)
        s1, s2 = inv_sqrt(c11), inv_sqrt(c22)
        u, sv, vt = np.linalg.svd(s1 @ c12 @ s2, full_matrices=False)
        wx, wy = s1 @ u[:, :k], s2 @ vt.T[:, :k]
        for j in range(k):
            if wx[np.argmax(np.abs(wx[:, j])), j] < 0:
                wx[:, j] *= -1
                wy[:, j] *= -1
        np.concatenate([x @ wx, y @ wy], axis=1)


ts = []
for _ in range(reps):
    t0 = time.perf_counter()
    cca_run()
    ts.append((time.perf_counter() - t0) / (NB3 * NS3) * 1e6)
print("cca", sorted(ts)[reps // 2])

# SSR (LRR re-referencing) inference: 64 channels, chunks of 100 samples;
# W fitted on other data (one cluster, ridge 1, one inverse as learn/ssr.c)
C4, N4, NCH4 = 64, 100, 50
mix = rng.normal(size=(C4, C4)) / 8
train = (rng.normal(size=(4000, C4)) + rng.normal(size=(4000, 1))) @ mix
m_inv = np.linalg.inv(train.T @ train + np.eye(C4))
W4 = -m_inv / np.diag(m_inv)[None, :]
np.fill_diagonal(W4, 0.0)
ezc_models.save(os.path.join(out, "ssr.ezm"), "ssr", {"W": W4})
s4 = (rng.normal(size=(N4 * NCH4, C4)) + rng.normal(size=(N4 * NCH4, 1))) @ mix
s4.astype("<f8").tofile(os.path.join(out, "ssr_x.bin"))
ts = []
for _ in range(reps):
    t0 = time.perf_counter()
    for c in range(NCH4):
        chunk = s4[c * N4:(c + 1) * N4]
        chunk - chunk @ W4
    ts.append((time.perf_counter() - t0) / (N4 * NCH4) * 1e6)
print("ssr", sorted(ts)[reps // 2])

# LDA refit: one train message of 100 trials x 256 features, two classes,
# lsqr + Ledoit-Wolf (what a 256-feature, 100-trial fit needs); ms per fit
F5, N5, FITS = 256, 100, 10
y5 = np.repeat([0.0, 1.0], N5 // 2)
x5 = rng.normal(size=(N5, F5)) + np.outer(y5, rng.normal(size=F5) * 0.5)
x5.astype("<f8").tofile(os.path.join(out, "ldafit_x.bin"))
y5.astype("<f8").tofile(os.path.join(out, "ldafit_y.bin"))
ts = []
for _ in range(reps):
    t0 = time.perf_counter()
    for _ in range(FITS):
        LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x5, y5)
    ts.append((time.perf_counter() - t0) / FITS * 1e3)
print("lda_fit", sorted(ts)[reps // 2])

# SGD partial_fit, one call per labelled sample (as ezmsg-learn's sgd and
# adaptive_linear_regressor): 64 features, 2000 samples; us per sample
F6, N6 = 64, 2000
y6 = rng.integers(0, 2, size=N6).astype(np.float64)
x6 = rng.normal(size=(N6, F6)) + np.outer(y6 - 0.5, rng.normal(size=F6))
t6 = x6 @ rng.normal(size=F6) / 8 + 0.1 * rng.normal(size=N6)
x6.astype("<f8").tofile(os.path.join(out, "sgd_x.bin"))
y6.astype("<f8").tofile(os.path.join(out, "sgd_y.bin"))
np.c_[x6, t6].astype("<f8").tofile(os.path.join(out, "sgdr_xt.bin"))
for name, make, target in [
    ("sgd", lambda: SGDClassifier(shuffle=False), y6),
    ("sgd_reg", lambda: SGDRegressor(shuffle=False), t6),
]:
    ts = []
    for _ in range(reps):
        est = make()
        t0 = time.perf_counter()
        for i in range(N6):
            if name == "sgd":
                est.partial_fit(x6[i:i + 1], target[i:i + 1], classes=[0.0, 1.0])
            else:
                est.partial_fit(x6[i:i + 1], target[i:i + 1])
        ts.append((time.perf_counter() - t0) / N6 * 1e6)
    print(name, sorted(ts)[reps // 2])
