"""References for the learner suites (lda, kalman, dare): scikit-learn 1.2's
LinearDiscriminantAnalysis and scipy 1.10's solve_discrete_are, and the ReFIT
Kalman equations written out in numpy. Run with /usr/bin/python3."""
import numpy as np
import scipy
import scipy.linalg as sl
import sklearn
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA

from refs import Refs

r = Refs("learn", __doc__)
rng = np.random.default_rng(20240611)

# ---- LDA ---------------------------------------------------------------
# Three classes with labels 7, 2, 5 (unsorted in the stream), unequal
# counts, correlated features with different scales.
def classes_data(counts, labels, f, spread):
    mix = rng.normal(size=(f, f)) * 0.6 + np.diag(rng.uniform(0.5, 3.0, f))
    xs, ys = [], []
    for c, (n, lab) in enumerate(zip(counts, labels)):
        centre = rng.normal(size=f) * spread
        xs.append(rng.normal(size=(n, f)) @ mix + centre)
        ys.append(np.full(n, lab, float))
    x, y = np.concatenate(xs), np.concatenate(ys)
    p = rng.permutation(len(y))
    return x[p], y[p]


x3, y3 = classes_data([25, 35, 30], [7.0, 2.0, 5.0], 6, 1.5)
t3, _ = classes_data([15, 15, 10], [7.0, 2.0, 5.0], 6, 1.5)
x2, y2 = classes_data([28, 32], [0.0, 1.0], 4, 1.0)
t2, _ = classes_data([20, 20], [0.0, 1.0], 4, 1.0)
# more features than a class has samples: only shrinkage keeps it regular
xw, yw = classes_data([12, 14, 13], [0.0, 1.0, 2.0], 20, 0.8)
r.put("lda3_x", x3); r.put("lda3_y", y3); r.put("lda3_t", t3)
r.put("lda2_x", x2); r.put("lda2_y", y2); r.put("lda2_t", t2)
r.put("ldaw_x", xw); r.put("ldaw_y", yw)

cases = [("auto", dict(solver="lsqr", shrinkage="auto")),
         ("fixed", dict(solver="lsqr", shrinkage=0.3)),
         ("none", dict(solver="lsqr")),
         ("svd", dict(solver="svd"))]
for tag, (x, y, t) in {"3": (x3, y3, t3), "2": (x2, y2, t2)}.items():
    for name, kw in cases:
        m = LDA(**kw).fit(x, y)
        r.put(f"lda{tag}_{name}_coef", m.coef_)
        r.put(f"lda{tag}_{name}_intercept", m.intercept_)
        r.put(f"lda{tag}_{name}_proba", m.predict_proba(t))
        r.put(f"lda{tag}_{name}_decision", m.decision_function(t))
        # predict: the index of the predicted label in the sorted classes
        r.put(f"lda{tag}_{name}_predict", np.searchsorted(m.classes_, m.predict(t)).astype(float))
        d = m.decision_function(t)
        margin = np.abs(d) if d.ndim == 1 else np.diff(np.sort(d, axis=1)[:, -2:], axis=1)
        assert margin.min() > 1e-6, (tag, name)  # no near-ties: predict is exact
m = LDA(solver="lsqr", shrinkage="auto").fit(xw, yw)
r.put("ldaw_auto_coef", m.coef_)
r.put("ldaw_auto_intercept", m.intercept_)

# ---- DARE --------------------------------------------------------------
def dare_case(name, a, b, q, rr):
    r.put(f"dare_{name}_a", a); r.put(f"dare_{name}_b", b)
    r.put(f"dare_{name}_q", q); r.put(f"dare_{name}_r", rr)
    r.put(f"dare_{name}_x", sl.solve_discrete_are(a, b, q, rr))


for name, n, m_ in (("small", 3, 2), ("mid", 6, 3)):
    a = rng.normal(size=(n, n))
    a *= 1.3 / max(abs(np.linalg.eigvals(a)))  # an unstable mode too
    b = rng.normal(size=(n, m_))
    g = rng.normal(size=(n, n)); q = g @ g.T + 0.1 * np.eye(n)
    h = rng.normal(size=(m_, m_)); rr = h @ h.T + 0.5 * np.eye(m_)
    dare_case(name, a, b, q, rr)

# ---- ReFIT Kalman ------------------------------------------------------
S, F, N = 4, 12, 400
dt = 0.05
A_true = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 0.95, 0], [0, 0, 0, 0.95]])
states = np.zeros((N, S))
for i in range(1, N):
    states[i] = A_true @ states[i - 1] + np.r_[0, 0, rng.normal(size=2) * 0.3]
H_true = rng.normal(size=(F, S))
feats = states @ H_true.T + rng.normal(size=(N, F)) * 0.5 + 2.0


def refit_fit(x, z, scale=1.2):
    x1, x2 = x[:-1], x[1:]
    a = x2.T @ x1 @ np.linalg.inv(x1.T @ x1)
    e = x2 - x1 @ a.T
    w = e.T @ e / (len(x) - 1)
    h = z.T @ x @ np.linalg.inv(x.T @ x)
    d = z - x @ h.T
    q = d.T @ d / len(x) * scale
    return a, w, h, q


A, W, H, Q = refit_fit(states, feats)
P = sl.solve_discrete_are(A.T, H.T, W, Q)
K = P @ H.T @ np.linalg.inv(H @ P @ H.T + Q)
zt = states[:150] @ H_true.T + rng.normal(size=(150, F)) * 0.5 + 2.0


def steady(z):
    x = np.zeros(S); out = []
    for zi in z:
        xp = A @ x
        x = xp + K @ (zi - H @ xp)
        out.append(x)
    return np.array(out)


def full(z, alpha=1.0, p0=P):
    """ezmsg-learn's RefitKalmanFilter with steady_state=False: the recursion
    starts from the DARE solution (p0 = P, set when the model is fitted or
    loaded; zeros for initial_covariance=zero) and fading memory inflates
    the whole prediction, alpha^2 (A P A' + W)."""
    x = np.zeros(S); p = p0.copy(); out = []
    for zi in z:
        xp = A @ x
        pp = alpha ** 2 * (A @ p @ A.T + W)
        k = pp @ H.T @ np.linalg.inv(H @ pp @ H.T + Q)
        x = xp + k @ (zi - H @ xp)
        ikh = np.eye(S) - k @ H
        p = ikh @ pp @ ikh.T + k @ Q @ k.T
        out.append(x)
    return np.array(out)


r.put("kf_train", np.concatenate([feats, states], axis=1))
r.put("kf_A", A); r.put("kf_W", W); r.put("kf_H", H); r.put("kf_Q", Q)
r.put("kf_P", P); r.put("kf_K", K)
r.put("kf_z", zt)
r.put("kf_steady", steady(zt))
r.put("kf_full", full(zt))
r.put("kf_full_zero", full(zt, p0=np.zeros((S, S))))
r.put("kf_full_alpha", full(zt, 1.05))
r.put("kf_full_alpha_zero", full(zt, 1.05, np.zeros((S, S))))
r.save()
print("sklearn", sklearn.__version__, "scipy", scipy.__version__)
