"""References for test_learn_linreg (linear_regressor and
adaptive_linear_regressor, ezmsg-learn's linear_model regressors):
scikit-learn's LinearRegression / Ridge fitted on each train message, and
SGDRegressor.partial_fit called once per sample in order (one regressor per
target). Run with /usr/bin/python3 (scikit-learn 1.2)."""
import numpy as np
from sklearn.linear_model import LinearRegression, Ridge, SGDRegressor

from refs import Refs

r = Refs("learn_linreg", __doc__)
rng = np.random.default_rng(20260613)
F, T = 5, 2
B = rng.normal(size=(F, T))
c = np.array([0.7, -1.3])


def data(n, loc=2.0):
    x = loc + rng.normal(size=(n, F)) @ (np.eye(F) + 0.3 * rng.normal(size=(F, F)))
    return x, x @ B + c + 0.1 * rng.normal(size=(n, T))


x1, y1 = data(200)
x2, y2 = data(120, loc=-1.0)
xs, _ = data(50)
r.put("lr_train1", np.c_[x1, y1])  # per sample: features then targets
r.put("lr_train2", np.c_[x2, y2])
r.put("lr_sig", xs)

for tag, est in {
    "ols": LinearRegression(),
    "ridge": Ridge(alpha=2.5),
    "noint": LinearRegression(fit_intercept=False),
    "ridge_noint": Ridge(alpha=2.5, fit_intercept=False),
}.items():
    for k, (x, y) in enumerate([(x1, y1), (x2, y2)], 1):
        est.fit(x, y)
        r.put(f"lr_{tag}{k}_coef", np.atleast_2d(est.coef_))
        r.put(f"lr_{tag}{k}_intercept", np.broadcast_to(np.asarray(est.intercept_, float), (T,)))
        r.put(f"lr_{tag}{k}_y", est.predict(xs))
# one target (n_targets = 1: the last column)
est = Ridge(alpha=2.5).fit(np.c_[x1, y1[:, 0]], y1[:, 1])
r.put("lr_one_y", est.predict(np.c_[xs, xs[:, :1]]))

# adaptive: standardised-ish features (SGD wants them near unit scale)
xa, ya = data(300, loc=0.0)
xas, _ = data(40, loc=0.0)
r.put("ad_train", np.c_[xa, ya])
r.put("ad_sig", xas)
for tag, kw in {
    "inv": {},  # sklearn defaults: invscaling, eta0 0.01, power_t 0.25, alpha 1e-4
    "const": dict(learning_rate="constant", eta0=0.005, alpha=1e-3),
    "opt": dict(learning_rate="optimal", alpha=1.0),
}.items():
    regs = [SGDRegressor(shuffle=False, **kw) for _ in range(T)]
    for k in range(2):  # after the first 120 samples, then after all
        for i in range(k * 120, 120 if k == 0 else len(xa)):
            for j, reg in enumerate(regs):
                reg.partial_fit(xa[i : i + 1], ya[i : i + 1, j])
        suffix = "_half" if k == 0 else ""
        r.put(f"ad_{tag}{suffix}_coef", np.array([reg.coef_ for reg in regs]))
        r.put(f"ad_{tag}{suffix}_intercept", np.array([reg.intercept_[0] for reg in regs]))
        r.put(f"ad_{tag}{suffix}_y", np.stack([reg.predict(xas) for reg in regs], axis=1))
    assert regs[0].t_ == len(xa) + 1
r.save()
