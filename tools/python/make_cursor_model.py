#!/usr/bin/python3
"""make_cursor_model.py — the ReFIT Kalman model configs/cursor_kalman.yaml
runs with (configs/models/cursor_kalman.ezm), made from a simulated session
with a fixed seed: running it again writes the same bytes.

The simulation: a 2-D cursor reaching for random targets (hold 0.5 s on
each) in 50 ms bins; FEATURES binned firing rates, cosine-tuned to the
cursor velocity with a little position tuning and unit Gaussian noise,
centred (as ReFIT expects of its features). The fit is ReFIT's least
squares: state (px, py, vx, vy) transition A and its noise W, observation
H and its noise Q (docs/learn.md, "kalman").

    /usr/bin/python3 tools/python/make_cursor_model.py            # writes the model
    /usr/bin/python3 tools/python/make_cursor_model.py --feed ipc:///tmp/ezc-cursor-features
        # publishes held-out features of the same simulation at 20 bins/s
        # (topic "features"), for `ezc run configs/cursor_kalman.yaml`

Needs numpy (and pyzmq for --feed): Debian's python3-numpy, python3-zmq.
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ezc_models  # noqa: E402

DT = 0.05      # 20 Hz bins
FEATURES = 32  # channels the model takes
SEED = 2012


def simulate(n, rng):
    """Per bin: position, velocity (the state; columns 0-3) of a cursor
    reaching for targets (reach, hold 0.5 s, next target), then the target
    (4-5) and whether it holds (6). tests/test_cursor_decode.py uses it too."""
    p, v, tgt, hold = np.zeros(2), np.zeros(2), rng.uniform(-0.8, 0.8, 2), 0
    out = np.zeros((n, 7))
    for t in range(n):
        d = tgt - p
        if hold == 0 and np.linalg.norm(d) < 0.05:
            hold = 10
        if hold:
            want = np.zeros(2)
            hold -= 1
            if hold == 0:
                tgt = rng.uniform(-0.8, 0.8, 2)
        else:
            want = 2.5 * d
            s = np.linalg.norm(want)
            if s > 1.5:
                want *= 1.5 / s
        v = 0.8 * v + 0.2 * want + rng.normal(0, 0.03, 2)
        p = p + v * DT
        out[t] = [*p, *v, *tgt, hold > 0]
    return out


def session(features, seed):
    """(training states, training features, held-out features), centred."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0, 2 * np.pi, features)
    depth = rng.uniform(0.5, 1.5, features)
    base = rng.uniform(1, 3, features)
    pos_tuning = rng.normal(0, 0.3, (features, 2))
    vel_tuning = np.c_[depth * np.cos(theta), depth * np.sin(theta)]

    def rates(kin):
        return (base + kin[:, 2:4] @ vel_tuning.T + kin[:, :2] @ pos_tuning.T
                + rng.normal(0, 1.0, (len(kin), features)))

    train, test = simulate(3000, rng)[:, :4], simulate(1200, rng)[:, :4]
    z_train, z_test = rates(train), rates(test)
    mean = z_train.mean(axis=0)
    return train, z_train - mean, z_test - mean


def fit(X, Z):
    """ReFIT least squares: A, W (4 x 4), H (F x 4), Q (F x F)."""
    x1, x2 = X[:-1], X[1:]
    A = x2.T @ x1 @ np.linalg.inv(x1.T @ x1)
    E = x2 - x1 @ A.T
    W = E.T @ E / (len(X) - 1)
    H = Z.T @ X @ np.linalg.inv(X.T @ X)
    D = Z - X @ H.T
    Q = D.T @ D / len(X)
    return A, W, H, Q


def feed(endpoint, z):
    """Publishes z (bins x F) in real time, one bin per message, looping."""
    import signal
    import ezc_wire

    def stop(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)  # like Ctrl-C: close, remove the socket file
    pub = ezc_wire.Publisher(endpoint)
    print(f"make_cursor_model: publishing {z.shape[1]} features at {1 / DT:g} bins/s on "
          f"{endpoint} (topic features); Ctrl-C stops", file=sys.stderr)
    start, i = time.monotonic(), 0
    try:
        while True:
            row = z[i % len(z)][None, :]
            pub.send(row, ["time", "ch"], topic="features",
                     axes={"time": ezc_wire.linear_axis(DT, i * DT, "s")}, key="simulated")
            i += 1
            time.sleep(max(0.0, start + i * DT - time.monotonic()))
    except KeyboardInterrupt:
        pass
    finally:
        pub.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "configs", "models",
                                                  "cursor_kalman.ezm"),
                    help="model file to write (default configs/models/cursor_kalman.ezm)")
    ap.add_argument("--features", type=int, default=FEATURES, help="features per bin (32)")
    ap.add_argument("--seed", type=int, default=SEED, help="simulation seed (2012)")
    ap.add_argument("--feed", metavar="ENDPOINT",
                    help="instead of writing the model, publish held-out features there")
    a = ap.parse_args()
    train, z_train, z_test = session(a.features, a.seed)
    if a.feed:
        feed(a.feed, z_test)
        return
    A, W, H, Q = fit(train, z_train)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    ezc_models.save_kalman(a.out, A, W, H, Q)
    print(f"make_cursor_model: wrote {os.path.normpath(a.out)} (kalman, 4 states, "
          f"{a.features} features, seed {a.seed})")


if __name__ == "__main__":
    main()
