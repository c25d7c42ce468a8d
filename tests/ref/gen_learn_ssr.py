"""References for test_learn_ssr (LRR re-referencing, ezmsg-learn's ssr
module), written out in numpy: each channel's ridge regression on the other
channels of its cluster, solved channel by channel (np.linalg.solve) from the
accumulated X'X. As today's ezmsg-learn (MIN_REREF_CLUSTER_SIZE), clusters
of fewer than min_size (3) channels pass through, in the fit and in the
initial CAR. Run with /usr/bin/python3."""
import numpy as np

from refs import Refs

r = Refs("learn_ssr", __doc__)
rng = np.random.default_rng(20180214)
N = 6


def signals(n):
    """Correlated channels: a shared reference, two sources mixed in, noise."""
    ref = rng.normal(size=(n, 1))
    src = rng.normal(size=(n, 2)) @ rng.normal(size=(2, N))
    return 1.5 * ref + src + 0.3 * rng.normal(size=(n, N))


def fit(c, clusters, ridge, min_size=3):
    """W (N x N): column j predicts channel j from its cluster's others."""
    w = np.zeros((N, N))
    for q in np.unique(clusters):
        members = np.flatnonzero(clusters == q)
        if len(members) < min_size:
            continue
        for j in members:
            o = members[members != j]
            if len(o):
                w[o, j] = np.linalg.solve(c[np.ix_(o, o)] + ridge * np.eye(len(o)), c[o, j])
    return w


t1, t2, sig, few = signals(200), signals(150), signals(50), signals(3)
one = np.zeros(N, dtype=int)
cl = np.array([0, 0, 1, 1, 1, 2])
blocks = np.array([0, 0, 0, 0, 1, 1])
c1, c2, cf = t1.T @ t1, t2.T @ t2, few.T @ few

r.put("ssr_t1", t1)
r.put("ssr_t2", t2)
r.put("ssr_t12", np.concatenate([t1, t2]))  # the same samples, one message
r.put("ssr_sig", sig)
r.put("ssr_few", few)

w = {
    "a1": fit(c1, one, 0.0),           # one cluster, after the first message
    "a2": fit(c1 + c2, one, 0.0),      # ... after both (incremental)
    "b2": fit(c1 + c2, cl, 2.5),       # clusters [0 0 1 1 1 2], ridge 2.5: only 1 solved
    "b2m2": fit(c1 + c2, cl, 2.5, 2),  # ... min_cluster_size 2: clusters 0 and 1 solved
    "c2": fit(c2, one, 0.0),           # incremental = false: the last message only
    "d2": fit(c1 + c2, blocks, 0.0),   # block_size = 4: the last block (2) passes
    "f1": fit(cf + c1, one, 0.0),      # a singular first message, then t1
}
assert np.allclose(fit(np.concatenate([t1, t2]).T @ np.concatenate([t1, t2]), one, 0.0), w["a2"])
for k, v in w.items():
    r.put(f"ssr_w_{k}", v)
    r.put(f"ssr_y_{k}", sig - sig @ v)

# initial CAR (leave-one-out mean per cluster of >= min_size) before any model
def car_matrix(min_size):
    car = np.zeros((N, N))
    for q in np.unique(cl):
        m = np.flatnonzero(cl == q)
        if len(m) < min_size:
            continue
        for j in m:
            o = m[m != j]
            car[o, j] = 1.0 / len(o) if len(o) else 0.0
    return car


car = car_matrix(3)
r.put("ssr_y_car", sig - sig @ car)
r.put("ssr_y_car_m2", sig - sig @ car_matrix(2))
y_loo = sig.copy()
for j in range(N):  # the same, written as "x minus the mean of the others"
    o = [i for i in np.flatnonzero(cl == cl[j]) if i != j]
    if len(o) >= 2:
        y_loo[:, j] -= sig[:, o].mean(axis=1)
assert np.allclose(y_loo, sig - sig @ car)
r.save()
