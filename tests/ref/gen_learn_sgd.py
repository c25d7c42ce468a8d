"""References for test_learn_sgd (sgd, ezmsg-learn's sgd decoder):
scikit-learn 1.2's SGDClassifier(penalty="l2", shuffle=False) with
partial_fit called once per sample in order (classes given on the first
call), then _predict_proba_lr (what ezmsg-learn outputs), decision_function
and predict. Run with /usr/bin/python3."""
import numpy as np
from sklearn.linear_model import SGDClassifier

from refs import Refs

r = Refs("learn_sgd", __doc__)
rng = np.random.default_rng(20261206)
F = 4


def data(n, k):
    y = rng.integers(0, k, size=n)
    means = np.array([[1.0, -0.5, 0.3, 0.0], [-0.8, 0.6, 0.0, 0.4], [0.2, 0.9, -1.0, -0.3]])
    return means[y] + 0.8 * rng.normal(size=(n, F)), y


for k in (2, 3):
    x, y = data(240, k)
    xs, _ = data(60, k)
    r.put(f"k{k}_x", x)
    r.put(f"k{k}_y", y.astype(np.float64) + 1.0)  # labels 1.0 .. k
    r.put(f"k{k}_sig", xs)
    for tag, kw in {
        "hinge": dict(loss="hinge"),  # sklearn defaults: alpha 1e-4, 'optimal'
        "log": dict(loss="log_loss", alpha=1e-3),
        "const": dict(loss="hinge", learning_rate="constant", eta0=0.01, alpha=1e-3),
    }.items():
        est = SGDClassifier(shuffle=False, **kw)
        classes = np.arange(1.0, k + 1)
        for i in range(len(x)):
            if i == 100:  # a snapshot after the first 100 samples
                r.put(f"k{k}_{tag}_half_coef", est.coef_)
            est.partial_fit(x[i : i + 1], y[i : i + 1] + 1.0, classes=classes)
        assert est.t_ == len(x) + 1
        r.put(f"k{k}_{tag}_coef", est.coef_)
        r.put(f"k{k}_{tag}_intercept", est.intercept_)
        r.put(f"k{k}_{tag}_proba", est._predict_proba_lr(xs))
        r.put(f"k{k}_{tag}_decision", est.decision_function(xs))
        r.put(f"k{k}_{tag}_predict", np.searchsorted(classes, est.predict(xs)).astype(np.int64))
r.save()
