"""ezc_models — write (and read) ezc model files from Python with numpy only.

The format (docs/learn.md): one msgpack map
    {"ezc_model": 1, "kind": "lda" | "kalman" | "ssr" | "cca" | "linear_regressor" |
                             "adaptive_linear_regressor" | "sgd",
     "arrays": {name: {"dtype": "float64", "shape": [...], "data": <bin>}},
     "labels": [...]}            # optional: class labels, all str or all numbers
written here by a small msgpack encoder of its own, so no msgpack package
is needed.

    import ezc_models
    ezc_models.save_lda_sklearn("lda.ezm", fitted_lda)
    ezc_models.save_kalman("kf.ezm", A, W, H, Q)
    ezc_models.save_cca_ezmsg("cca.ezm", icca, n_samples=n)   # ezmsg-learn IncrementalCCA
    ezc_models.save_linreg_sklearn("ridge.ezm", fitted_ridge)    # LinearRegression / Ridge
    ezc_models.save_sgd_sklearn("sgd.ezm", fitted_sgd)           # SGDClassifier / SGDRegressor
"""
import struct

import numpy as np

VERSION = 1


def _pack(v, out):
    if v is None:
        out += b"\xc0"
    elif isinstance(v, bool):
        out += b"\xc3" if v else b"\xc2"
    elif isinstance(v, (int, np.integer)):
        v = int(v)
        if 0 <= v < 128:
            out += bytes([v])
        elif v >= 0:
            out += b"\xcf" + struct.pack(">Q", v)
        else:
            out += b"\xd3" + struct.pack(">q", v)
    elif isinstance(v, (float, np.floating)):
        out += b"\xcb" + struct.pack(">d", float(v))
    elif isinstance(v, str):
        b = v.encode("utf-8")
        out += (bytes([0xA0 | len(b)]) if len(b) < 32 else b"\xdb" + struct.pack(">I", len(b))) + b
    elif isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        out += b"\xc6" + struct.pack(">I", len(b)) + b
    elif isinstance(v, (list, tuple)):
        out += b"\xdd" + struct.pack(">I", len(v))
        for x in v:
            _pack(x, out)
    elif isinstance(v, dict):
        out += b"\xdf" + struct.pack(">I", len(v))
        for k, x in v.items():
            _pack(str(k), out)
            _pack(x, out)
    else:
        raise TypeError(f"ezc_models: cannot encode {type(v).__name__}")


def save(path, kind, arrays, labels=None):
    """Writes arrays (name -> array-like of at most 2 dims) as float64."""
    enc = {}
    for name, a in arrays.items():
        a = np.array(a, dtype="<f8", order="C")  # (ascontiguousarray would make 0-d 1-d)
        if a.ndim > 2:
            raise ValueError(f"ezc_models: array {name!r} has {a.ndim} dims (at most 2)")
        enc[name] = {"dtype": "float64", "shape": list(a.shape), "data": a.tobytes()}
    top = {"ezc_model": VERSION, "kind": kind, "arrays": enc}
    if labels is not None:
        labels = list(np.asarray(labels).tolist())
        if not (all(isinstance(x, str) for x in labels)
                or all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in labels)):
            raise ValueError("ezc_models: labels must be all strings or all numbers")
        top["labels"] = [x if isinstance(x, str) else float(x) for x in labels]
    out = bytearray()
    _pack(top, out)
    with open(path, "wb") as f:
        f.write(out)


def save_lda(path, coef, intercept, classes):
    """coef (K' x F), intercept (K'), classes (K); K' = 1 when K = 2
    (scikit-learn's binary form: the decision value of classes[1])."""
    coef = np.atleast_2d(np.asarray(coef, float))
    intercept = np.atleast_1d(np.asarray(intercept, float))
    k = len(classes)
    if k < 2 or coef.shape[0] != (1 if k == 2 else k) or intercept.shape != (coef.shape[0],):
        raise ValueError(f"ezc_models: lda with {k} classes needs coef "
                         f"({1 if k == 2 else k} x F) and intercept; got {coef.shape}, "
                         f"{intercept.shape}")
    save(path, "lda", {"coef": coef, "intercept": intercept}, labels=classes)


def save_lda_sklearn(path, lda):
    """A fitted sklearn.discriminant_analysis.LinearDiscriminantAnalysis."""
    save_lda(path, lda.coef_, lda.intercept_, lda.classes_)


def save_kalman(path, A, W, H, Q):
    """ReFIT Kalman matrices: A, W (S x S) state transition and its noise,
    H (F x S) observation and Q (F x F) its noise."""
    A, W, H, Q = (np.asarray(m, float) for m in (A, W, H, Q))
    s, f = A.shape[0], H.shape[0]
    if A.shape != (s, s) or W.shape != (s, s) or H.shape != (f, s) or Q.shape != (f, f):
        raise ValueError(f"ezc_models: kalman shapes A {A.shape} W {W.shape} H {H.shape} "
                         f"Q {Q.shape} do not fit (S x S, S x S, F x S, F x F)")
    save(path, "kalman", {"A": A, "W": W, "H": H, "Q": Q})


def save_cca(path, C11, C22, C12, smoothing, n_samples=0, n_batches=0, x_weights=None,
             y_weights=None, correlations=None):
    """Incremental CCA state for a `cca` node's `model` setting: the smoothed
    covariances C11 (d1 x d1), C22 (d2 x d2), C12 (d1 x d2) and the current
    smoothing factor, from which fitting goes on; the counts, weights and
    correlations are for readers (the node recomputes the weights)."""
    C11, C22, C12 = (np.asarray(m, float) for m in (C11, C22, C12))
    d1, d2 = C11.shape[0], C22.shape[0]
    if C11.shape != (d1, d1) or C22.shape != (d2, d2) or C12.shape != (d1, d2):
        raise ValueError(f"ezc_models: cca shapes C11 {C11.shape} C22 {C22.shape} "
                         f"C12 {C12.shape} do not fit (d1 x d1, d2 x d2, d1 x d2)")
    if not 0 <= float(smoothing) <= 1:
        raise ValueError(f"ezc_models: cca smoothing {smoothing} is not in 0..1")
    arrays = {"C11": C11, "C22": C22, "C12": C12, "smoothing": np.float64(smoothing),
              "n_samples": np.float64(n_samples), "n_batches": np.float64(n_batches)}
    for name, a in (("x_weights", x_weights), ("y_weights", y_weights),
                    ("correlations", correlations)):
        if a is not None:
            arrays[name] = a
    save(path, "cca", arrays)


def save_cca_ezmsg(path, icca, n_samples=0, n_batches=0):
    """A fitted ezmsg-learn IncrementalCCA (its C11, C22, C12 and
    current_smoothing; it keeps no counts, so give them if known)."""
    save_cca(path, icca.C11, icca.C22, icca.C12, icca.current_smoothing, n_samples, n_batches,
             getattr(icca, "x_weights_", None), getattr(icca, "y_weights_", None),
             getattr(icca, "correlations_", None))


def _linear(coef, intercept, what):
    coef = np.atleast_2d(np.asarray(coef, float))
    intercept = np.atleast_1d(np.asarray(intercept, float))
    if coef.ndim != 2 or intercept.shape != (coef.shape[0],):
        raise ValueError(f"ezc_models: {what} needs coef (T x F) and intercept (T); got "
                         f"{coef.shape}, {intercept.shape}")
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError(f"ezc_models: {what}: NaN or inf in coef or intercept")
    return coef, intercept


def save_linear_regressor(path, coef, intercept, adaptive=False, t=1.0):
    """A `linear_regressor` model (coef T x F, intercept T: one row per
    target, the node's n_targets), or with adaptive=True an
    `adaptive_linear_regressor` one, whose t is sklearn's SGDRegressor t_
    (1 before any sample): partial fitting goes on from there."""
    coef, intercept = _linear(coef, intercept, "linear_regressor")
    arrays = {"coef": coef, "intercept": intercept}
    if adaptive:
        arrays["t"] = np.float64(t)
    save(path, "adaptive_linear_regressor" if adaptive else "linear_regressor", arrays)


def save_linreg_sklearn(path, est):
    """A fitted sklearn LinearRegression or Ridge (a `linear_regressor`
    model), or an SGDRegressor (an `adaptive_linear_regressor` one, with its
    t_ so that partial fitting continues as sklearn's would)."""
    if hasattr(est, "t_"):
        save_linear_regressor(path, est.coef_, est.intercept_, adaptive=True, t=est.t_)
    else:
        save_linear_regressor(path, est.coef_, est.intercept_)


def save_sgd(path, coef, intercept, classes, t=1.0):
    """An `sgd` classifier model: coef (K' x F) and intercept (K'), K' = 1
    for two classes (sklearn's binary form), else K; classes (K labels) and
    t (sklearn's t_)."""
    coef, intercept = _linear(coef, intercept, "sgd")
    k = len(classes)
    if k < 2 or coef.shape[0] != (1 if k == 2 else k):
        raise ValueError(f"ezc_models: sgd with {k} classes needs {1 if k == 2 else k} "
                         f"rows of coef; got {coef.shape[0]}")
    save(path, "sgd", {"coef": coef, "intercept": intercept, "t": np.float64(t)}, labels=classes)


def save_sgd_sklearn(path, est):
    """A fitted sklearn SGDClassifier (an `sgd` model) or SGDRegressor (an
    `adaptive_linear_regressor` one)."""
    if hasattr(est, "classes_"):
        save_sgd(path, est.coef_, est.intercept_, est.classes_, est.t_)
    else:
        save_linreg_sklearn(path, est)
