"""Model files from Python into the C learners: a scikit-learn LDA fitted
here and exported with tools/python/ezc_models.py predicts the same
probabilities through `lda` (1e-9 relative; see test_learn_lda.c),
Kalman matrices exported with save_kalman filter like numpy (1e-9), and
sklearn's Ridge, LinearRegression, SGDRegressor and SGDClassifier predict
through `linear_regressor`, `adaptive_linear_regressor` and `sgd` as in
sklearn (1e-9). A corrupt export, or one of another kind, is refused with
the file named.

    /usr/bin/python3 test_learn_models.py   (EZC_BUILD_DIR, EZC_SOURCE_DIR set)"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.linalg as sl
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

SRC = os.environ.get("EZC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import ezc_models  # noqa: E402

HELPER = os.path.join(os.environ.get("EZC_BUILD_DIR", "build"), "tests", "learn_helper")
rng = np.random.default_rng(3)
failures = []


def run(kind, model, x, *settings):
    with tempfile.TemporaryDirectory() as d:
        xin, yout = os.path.join(d, "x.bin"), os.path.join(d, "y.bin")
        np.ascontiguousarray(x, "<f8").tofile(xin)
        p = subprocess.run([HELPER, kind, model, xin, str(x.shape[0]), str(x.shape[1]), yout,
                            *settings], capture_output=True, text=True)
        if p.returncode:
            return None, p.stderr
        return np.fromfile(yout, "<f8"), ""


def close(name, got, want, rtol):
    got = got.reshape(want.shape)
    bad = np.abs(got - want) > rtol * np.abs(want) + 1e-15
    if bad.any():
        i = np.argwhere(bad)[0]
        failures.append(f"{name}: element {tuple(i)} = {got[tuple(i)]!r}, want {want[tuple(i)]!r}")
    else:
        print(f"ok {name}")


with tempfile.TemporaryDirectory() as tmp:
    # LDA: three string classes, and two numeric ones
    for k, labels in ((3, np.array(["rest", "left", "right"])), (2, np.array([0.0, 1.0]))):
        f = 8
        x = np.concatenate([rng.normal(size=(50, f)) + rng.normal(size=f) * 2 for _ in range(k)])
        y = np.repeat(labels, 50)
        for kw in (dict(solver="lsqr", shrinkage="auto"), dict(solver="svd")):
            lda = LinearDiscriminantAnalysis(**kw).fit(x, y)
            path = os.path.join(tmp, "lda.ezm")
            ezc_models.save_lda_sklearn(path, lda)
            t = rng.normal(size=(30, f)) * 2
            got, err = run("lda", path, t)
            if got is None:
                failures.append(f"lda {k} classes {kw}: {err}")
                continue
            close(f"lda {k} classes {kw['solver']}", got, lda.predict_proba(t), 1e-9)

    # Kalman: matrices as numpy arrays, steady-state gain from scipy
    s, f = 4, 10
    A = np.eye(s) * 0.9 + rng.normal(size=(s, s)) * 0.02
    W = np.eye(s) * 0.1
    H = rng.normal(size=(f, s))
    Q = np.eye(f) + 0.1 * np.ones((f, f))
    kf_path = path = os.path.join(tmp, "kf.ezm")
    ezc_models.save_kalman(path, A, W, H, Q)
    P = sl.solve_discrete_are(A.T, H.T, W, Q)
    K = P @ H.T @ np.linalg.inv(H @ P @ H.T + Q)
    z = rng.normal(size=(60, f))
    xs, want = np.zeros(s), []
    for zi in z:
        xp = A @ xs
        xs = xp + K @ (zi - H @ xp)
        want.append(xs)
    got, err = run("kalman", path, z)
    if got is None:
        failures.append(f"kalman: {err}")
    else:
        close("kalman steady", got, np.array(want), 1e-9)

    # linear_regressor from sklearn Ridge (2 targets) and LinearRegression
    from sklearn.linear_model import LinearRegression, Ridge, SGDClassifier, SGDRegressor
    f = 6
    x = rng.normal(size=(80, f))
    y2 = x @ rng.normal(size=(f, 2)) + rng.normal(size=2) + 0.1 * rng.normal(size=(80, 2))
    t = rng.normal(size=(25, f))
    for est, nt in ((Ridge(alpha=0.5).fit(x, y2), 2), (LinearRegression().fit(x, y2[:, 0]), 1)):
        path = os.path.join(tmp, "lr.ezm")
        ezc_models.save_linreg_sklearn(path, est)
        got, err = run("linear_regressor", path, t, f"n_targets={nt}")
        name = f"linear_regressor from {type(est).__name__}"
        if got is None:
            failures.append(f"{name}: {err}")
        else:
            close(name, got, est.predict(t).reshape(25, nt), 1e-9)

    # SGDRegressor -> adaptive_linear_regressor (its t_ travels with it)
    sgr = SGDRegressor(random_state=0).fit(x, y2[:, 0])
    path = os.path.join(tmp, "alr.ezm")
    ezc_models.save_sgd_sklearn(path, sgr)
    got, err = run("adaptive_linear_regressor", path, t)
    if got is None:
        failures.append(f"adaptive_linear_regressor: {err}")
    else:
        close("adaptive_linear_regressor from SGDRegressor", got, sgr.predict(t).reshape(25, 1),
              1e-9)

    # SGDClassifier (3 string classes, and 2 numeric) -> sgd decision values
    for labels in (np.array(["left", "rest", "right"]), np.array([0.0, 1.0])):
        k = len(labels)
        xc = np.concatenate([rng.normal(size=(40, f)) + rng.normal(size=f) * 2 for _ in range(k)])
        yc = np.repeat(labels, 40)
        clf = SGDClassifier(loss="log_loss", random_state=0).fit(xc, yc)
        path = os.path.join(tmp, "sgd.ezm")
        ezc_models.save_sgd_sklearn(path, clf)
        got, err = run("sgd", path, t, "output=decision")
        name = f"sgd {k} classes from SGDClassifier"
        if got is None:
            failures.append(f"{name}: {err}")
        else:
            close(name, got, clf.decision_function(t).reshape(25, -1), 1e-9)

    # a model of another kind is refused with both kinds named
    got, err = run("sgd", os.path.join(tmp, "lr.ezm"), t)
    if got is not None or "linear_regressor" not in err:
        failures.append(f"sgd took a linear_regressor model: {err!r}")
    else:
        print("ok kind mismatch refused:", err.strip())

    # a truncated file: refused, the file named
    with open(kf_path, "rb") as fh:
        data = fh.read()
    with open(kf_path, "wb") as fh:
        fh.write(data[: len(data) // 2])
    got, err = run("kalman", kf_path, z)
    if got is not None or "kf.ezm" not in err:
        failures.append(f"truncated model accepted or unnamed: {err!r}")
    else:
        print("ok truncated file refused:", err.strip())

for line in failures:
    print("FAIL", line)
sys.exit(1 if failures else 0)
