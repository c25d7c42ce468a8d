"""test_cursor_decode.py — configs/cursor_kalman.yaml as a user runs it: a
simulated 2-D cursor-control session decoded by `ezc run`.

numpy simulates a cursor driven by smooth, target-directed velocities
(reach, hold 0.5 s on the target, next target) and 96 binned features with
cosine tuning to velocity, a little position tuning and Gaussian noise. The
ReFIT matrices (A, W, H, Q) are fitted in numpy on a training block and
written with tools/python/ezc_models.py; a copy of the graph file points at
that model and at private ipc:// endpoints. A Python publisher feeds the
held-out block to the graph's `features` input; a subscriber collects the
decoded states. Checks: every bin decoded once, dims/axes carried; the
decoded states equal numpy's steady-state filter (1e-9: DARE by doubling vs
scipy, then 1200 recursive steps); decoded velocity correlates > 0.9 with
the true velocity on each axis; SIGINT ends the run with status 0.
Usage: test_cursor_decode.py PATH_TO_EZC   (run by meson with /usr/bin/python3)
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.linalg as sl
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
SRC = os.environ.get("EZC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import ezc_models  # noqa: E402
import ezc_wire  # noqa: E402
from make_cursor_model import fit, simulate  # noqa: E402  (the shipped model's simulator)

EZC = sys.argv[1]
DT = 0.05  # 20 Hz bins
F = 96
CHUNK = 10
DEADLINE = time.monotonic() + 50  # the whole test stays under a minute




rng = np.random.default_rng(2012)
theta = rng.uniform(0, 2 * np.pi, F)
depth = rng.uniform(0.5, 1.5, F)
base = rng.uniform(1, 3, F)
pos_tuning = rng.normal(0, 0.3, (F, 2))


def features(kin):
    vel_tuning = np.c_[depth * np.cos(theta), depth * np.sin(theta)]
    return (base + kin[:, 2:4] @ vel_tuning.T + kin[:, :2] @ pos_tuning.T
            + rng.normal(0, 1.0, (len(kin), F)))


train_kin, test_kin = simulate(3000, rng), simulate(1200, rng)
z_train, z_test = features(train_kin), features(test_kin)
mean = z_train.mean(axis=0)  # features centred upstream, as ReFIT does
z_train, z_test = z_train - mean, z_test - mean

# ReFIT fit (the kalman node's `train` equations) in numpy.
A, W, H, Q = fit(train_kin[:, :4], z_train)
Q = Q * 1.2
P = sl.solve_discrete_are(A.T, H.T, W, Q)
K = P @ H.T @ np.linalg.inv(H @ P @ H.T + Q)
want = np.zeros((len(z_test), 4))
x = np.zeros(4)
for i, z in enumerate(z_test):
    xp = A @ x
    x = xp + K @ (z - H @ xp)
    want[i] = x

tmp = tempfile.mkdtemp(prefix="ezc-cursor-")
run = None
try:
    model = os.path.join(tmp, "kf.ezm")
    ezc_models.save_kalman(model, A, W, H, Q)
    with open(os.path.join(SRC, "configs", "cursor_kalman.yaml")) as f:
        graph = yaml.safe_load(f)
    graph["nodes"]["decoder"]["settings"]["model"] = model
    graph["nodes"]["out"]["settings"]["endpoint"] = f"ipc://{tmp}/decoded"
    graph["inputs"]["features"]["endpoint"] = f"ipc://{tmp}/features"
    cfg = os.path.join(tmp, "cursor_kalman.yaml")
    with open(cfg, "w") as f:
        yaml.safe_dump(graph, f)

    v = subprocess.run([EZC, "validate", cfg], capture_output=True, text=True, timeout=20)
    check("validate", v.returncode == 0 and "ok (2 nodes, 1 edges)" in v.stdout, v.stdout + v.stderr)

    sub = ezc_wire.Subscriber(f"ipc://{tmp}/decoded", topic="decoded")
    pub = ezc_wire.Publisher(f"ipc://{tmp}/features")
    run = subprocess.Popen([EZC, "run", cfg, "--quiet", "--duration", "45"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check("decoder subscribed", pub.wait_subscribers(1, 10000))

    # The first chunks go out one at a time until the decoded stream answers
    # (our subscriber's connection may still be on its way); the filter sees
    # every chunk either way, and outputs are placed by their time axis.
    got = np.full((len(z_test), 4), np.nan)
    hits = np.zeros(len(z_test), int)
    msgs = []

    def take(m):
        msgs.append(m)
        i0 = int(round(m.axes["time"]["offset"] / DT))
        got[i0:i0 + m.data.shape[0]] = m.data
        hits[i0:i0 + m.data.shape[0]] += 1

    answered = False
    for c in range(0, len(z_test), CHUNK):
        pub.send(z_test[c:c + CHUNK], ["time", "ch"], topic="features",
                 axes={"time": ezc_wire.linear_axis(DT, c * DT, "s")}, key="utah")
        if not answered:
            m = sub.recv(timeout_ms=500)
            if m is not None:
                answered = True
                take(m)
    while answered and not hits[-1] and time.monotonic() < DEADLINE:
        m = sub.recv(timeout_ms=2000)
        if m is None:
            break
        take(m)

    check("decoded stream answered", answered and msgs, f"{len(msgs)} messages")
    if msgs:
        first = int(np.argmax(hits > 0))
        print(f"decoded bins {first}..{len(z_test) - 1} ({len(msgs)} messages)")
        m = msgs[0]
        check("dims", m.dims == ["time", "state"], m.dims)
        check("dtype", m.data.dtype == np.float64, m.data.dtype)
        check("time axis carried", abs(m.axes["time"]["gain"] - DT) < 1e-15, m.axes.get("time"))
        check("key carried", m.key == "utah", m.key)
        check("each bin once from the first answer on",
              np.all(hits[first:] == 1) and first < 200, f"first {first}, hits {np.bincount(hits)}")
        ok = hits == 1
        err = np.max(np.abs(got[ok] - want[ok]) / (1 + np.abs(want[ok])))
        check("states equal numpy's steady-state filter (1e-9)", err < 1e-9, f"max rel err {err:.3g}")
        late = ok & (np.arange(len(z_test)) >= 50)  # past the filter's start transient
        for axis, name in ((0, "x"), (1, "y")):
            r = np.corrcoef(got[late, 2 + axis], test_kin[late, 2 + axis])[0, 1]
            print(f"velocity {name}: r = {r:.4f} over {late.sum()} bins")
            check(f"velocity {name} correlation > 0.9", r > 0.9, f"r = {r:.4f}")
    pub.close()
    sub.close()
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=15)
    check("run: SIGINT exit 0", run.returncode == 0, f"status {run.returncode}: {out[-2000:]}")
    check("run: output socket file removed", not os.path.exists(os.path.join(tmp, "decoded")),
          os.listdir(tmp))
finally:
    if run is not None and run.poll() is None:
        run.kill()
        run.wait()
    shutil.rmtree(tmp, ignore_errors=True)

finish("cursor_decode")
