"""ezc_models — write (and read) ezc model files from Python with numpy only.

The format (docs/learn.md): one msgpack map
    {"ezc_model": 1, "kind": "lda" | "kalman",
     "arrays": {name: {"dtype": "float64", "shape": [...], "data": <bin>}},
     "labels": [...]}            # optional: class labels, all str or all numbers
written here by a small msgpack encoder of its own, so no msgpack package
is needed.

    import ezc_models
    ezc_models.save_lda_sklearn("lda.ezm", fitted_lda)
    ezc_models.save_kalman("kf.ezm", A, W, H, Q)
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
        a = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
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
