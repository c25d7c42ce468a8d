"""test_configs.py — the shipped graphs (configs/*.yaml) run as a user runs
them, from a working directory that is not the config's.

configs/ is copied (models included) into a scratch folder, each file with
its ipc:///tmp/ezc-* endpoints moved into that folder (a private name, so
a user's running demo is not in the way); the commands run in a sibling
folder, naming the file by a relative path, so relative paths in a graph
(its model files) must resolve against the file's folder, not the CWD.

Every config (a new one is covered by being there):
  `ezc validate` says "ok"; `ezc run FILE --duration 3` exits 0 and logs no
  warning or error; a subscriber on each publish sink of a graph that has
  its own sources receives messages, none of them empty (0 along a dim),
  each topic's `time` axis offsets strictly increasing.
EMG: 24 sines at 5, 10, ... 120 Hz -> Butterworth band-pass 20-450 Hz ->
  abs -> 100 ms moving mean every 50 ms. After the filter settles, a channel
  in the pass band (>= 60 Hz) carries the mean of |sin| = 2/pi (3%), the
  5 Hz channel is below 2% of it.
EEG: 20 Hz rhythm (40, 60, 80 Hz on channels 1-3) + white noise ->
  bandpower(1 s hann windows every 0.5 s, rel_power, bands 17-30 and
  70-170 Hz) against numpy within 10%; no empty message leaves the graph
  and message k's time offset is exactly k * 0.5 s (the window starts).
Cursor: the committed model (configs/models/cursor_kalman.ezm, 32
  features) decodes fed features: one [time, state] row per bin.
Usage: test_configs.py PATH_TO_EZC
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
SRC = os.environ.get("EZC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import ezc_wire  # noqa: E402

EZC = os.path.abspath(sys.argv[1])




def copy_configs(tmp):
    """configs/ under tmp with private endpoints; returns (folder, cwd)."""
    dst = os.path.join(tmp, "configs")
    shutil.copytree(os.path.join(SRC, "configs"), dst)
    for path in glob.glob(os.path.join(dst, "*.yaml")):
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"ipc:///tmp/(ezc-[A-Za-z0-9_.-]+)", f"ipc://{tmp}/\\1", text))
    cwd = os.path.join(tmp, "elsewhere")
    os.mkdir(cwd)
    return dst, cwd


def publish_endpoints(graph):
    out = [n["settings"]["endpoint"] for n in graph["nodes"].values()
           if n.get("type") == "publish"]
    out += [o["endpoint"] for o in (graph.get("outputs") or {}).values()]
    return out


def data_messages(msgs):
    return [m for m in msgs if not getattr(m, "eos", False)]


def test_every(cfg, cwd):
    name = os.path.basename(cfg)
    rel = os.path.relpath(cfg, cwd)
    v = subprocess.run([EZC, "validate", rel], cwd=cwd, capture_output=True, text=True,
                       timeout=30)
    check(f"{name}: validate from another folder", v.returncode == 0 and "ok (" in v.stdout,
          v.stdout + v.stderr)
    with open(cfg) as f:
        graph = yaml.safe_load(f)
    subs = [ezc_wire.Subscriber(ep) for ep in publish_endpoints(graph)]
    proc = subprocess.Popen([EZC, "run", rel, "--duration", "3"], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = [[] for _ in subs]
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        for k, s in enumerate(subs):
            m = s.recv(timeout_ms=20)
            if m is not None:
                got[k].append(m)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    for s in subs:
        s.close()
    check(f"{name}: run --duration 3 exits 0", proc.returncode == 0,
          f"{proc.returncode}: {err[-600:]}")
    check(f"{name}: run logs no warning or error",
          "ezc[warn]" not in err and "ezc[error]" not in err,
          err[-600:])
    if graph.get("inputs"):
        return  # fed from outside: its data is checked below (cursor) or by its own test
    for ep, msgs in zip(publish_endpoints(graph), got):
        msgs = data_messages(msgs)
        check(f"{name}: messages on {os.path.basename(ep)}", len(msgs) > 0, len(msgs))
        empty = [m.data.shape for m in msgs if m.data.size == 0]
        check(f"{name}: no empty message leaves the graph", not empty, empty[:5])
        offs = [m.axes["time"]["offset"] for m in msgs if "time" in (m.axes or {})]
        check(f"{name}: time offsets strictly increasing",
              all(b > a for a, b in zip(offs, offs[1:])), offs[:12])


def run_graph(cfg, cwd, n_msgs, skip):
    """Runs cfg until n_msgs + skip messages arrived; returns them all
    (empty ones included) after the first skip, and the empty count."""
    with open(cfg) as f:
        ep = publish_endpoints(yaml.safe_load(f))[0]
    name = os.path.basename(cfg)
    proc = subprocess.Popen([EZC, "run", os.path.relpath(cfg, cwd), "--quiet", "--duration", "60"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    msgs, empty = [], 0
    try:
        sub = ezc_wire.Subscriber(ep)
        deadline = time.monotonic() + 30
        while len(msgs) < skip + n_msgs and time.monotonic() < deadline:
            m = sub.recv(timeout_ms=2000)
            if m is None or getattr(m, "eos", False):
                continue
            if m.data.size == 0:
                empty += 1
            msgs.append(m)
        sub.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    check(f"{name}: SIGINT exit status 0", proc.returncode == 0, f"{proc.returncode}: {err[-400:]}")
    check(f"{name}: no socket file left", not os.path.exists(ep[len("ipc://"):]), ep)
    check(f"{name}: {skip + n_msgs} messages arrived", len(msgs) >= skip + n_msgs, len(msgs))
    return msgs, empty


def test_emg(folder, cwd):
    msgs, empty = run_graph(os.path.join(folder, "emg_envelope.yaml"), cwd, 10, skip=10)
    check("emg: no empty message", empty == 0, empty)
    msgs = msgs[10:]
    if not msgs:
        return
    m = msgs[0]
    check("emg: dims [win, ch]", m.dims == ["win", "ch"], m.dims)
    y = np.concatenate([m.data for m in msgs])
    freqs = 5.0 * (np.arange(24) + 1)
    want = 2 / np.pi
    pas = y[:, freqs >= 60]
    err = np.max(np.abs(pas / want - 1))
    check("emg: pass-band envelope = 2/pi within 3%", err < 0.03, f"max rel err {err:.4f}")
    stop = np.max(y[:, 0]) / want
    check("emg: 5 Hz channel below 2%", stop < 0.02, f"{stop:.4f}")
    gain = m.axes["win"]["gain"]
    check("emg: one row per 50 ms", abs(gain - 0.05) < 1e-12, gain)


def bandpower_ref(freq, fs=500.0, n=500):
    t = np.arange(4 * n) / fs
    x = np.sin(2 * np.pi * freq * t)
    w = np.hanning(n)
    out = []
    for s in range(0, x.size - n + 1, n // 2):
        X = np.fft.rfft(x[s:s + n] * w, norm="forward")
        p = np.abs(X) ** 2 / (np.sum(w ** 2) / fs)
        f = np.arange(p.size) * fs / n
        out.append([p[(f >= lo) & (f <= hi)].mean() for lo, hi in [(17, 30), (70, 170)]])
    return np.mean(out, axis=0)


def test_eeg(folder, cwd):
    msgs, empty = run_graph(os.path.join(folder, "eeg_bandpower.yaml"), cwd, 6, skip=2)
    check("eeg: no empty message leaves the graph", empty == 0, f"{empty} empty")
    offs = [m.axes["time"]["offset"] for m in msgs]
    # one 1 s window every 0.5 s from t = 0: message k starts at k * 0.5 s
    want = [0.5 * k for k in range(len(offs))]
    check("eeg: time offsets are the window starts 0, 0.5, 1.0, ...",
          len(offs) > 0 and np.allclose(offs, want, rtol=0, atol=1e-9), offs)
    msgs = [m for m in msgs[2:] if m.data.size]
    if not msgs:
        return
    m = msgs[0]
    check("eeg: dims [time, freq, ch]", m.dims == ["time", "freq", "ch"], m.dims)
    check("eeg: one window per message", all(m.data.shape[0] == 1 for m in msgs),
          [m.data.shape for m in msgs])
    y = np.concatenate([m.data for m in msgs])          # (windows, 2 bands, 4 ch)
    centres = np.asarray(m.axes["freq"]["values"], dtype=float)
    check("eeg: band centres inside the bands",
          17 <= centres[0] <= 30 and 70 <= centres[1] <= 170, centres)
    for ch, freq in ((0, 20), (3, 80)):
        ref = bandpower_ref(freq)
        got = y[:, :, ch].mean(axis=0)
        band = 0 if freq == 20 else 1
        err = abs(got[band] / ref[band] - 1)
        check(f"eeg: ch{ch} ({freq} Hz) band power within 10% of numpy", err < 0.10,
              f"got {got}, numpy {ref}")
        check(f"eeg: ch{ch} ({freq} Hz) its band dominates", got[band] > 100 * got[1 - band], got)


def test_cursor(folder, cwd):
    """The committed model decodes: 40 bins of 32 features in, 40 states out."""
    cfg = os.path.join(folder, "cursor_kalman.yaml")
    with open(cfg) as f:
        graph = yaml.safe_load(f)
    ep_in = graph["inputs"]["features"]["endpoint"]
    ep_out = publish_endpoints(graph)[0]
    sub = ezc_wire.Subscriber(ep_out, topic="decoded")
    pub = ezc_wire.Publisher(ep_in)
    proc = subprocess.Popen([EZC, "run", os.path.relpath(cfg, cwd), "--quiet", "--duration", "30"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = 0
    try:
        check("cursor: decoder subscribed", pub.wait_subscribers(1, 10000))
        rng = np.random.default_rng(5)
        deadline = time.monotonic() + 20
        for b in range(40):
            pub.send(rng.normal(0, 1, (1, 32)), ["time", "ch"], topic="features",
                     axes={"time": ezc_wire.linear_axis(0.05, b * 0.05, "s")})
        last = None
        while rows < 40 and time.monotonic() < deadline:
            m = sub.recv(timeout_ms=1000)
            if m is None or getattr(m, "eos", False):
                continue
            rows += m.data.shape[0]
            last = m
        if last is not None:
            check("cursor: dims [time, state], 4 states",
                  last.dims == ["time", "state"] and last.data.shape[1] == 4,
                  (last.dims, last.data.shape))
            check("cursor: finite states", bool(np.all(np.isfinite(last.data))), last.data)
    finally:
        pub.close()
        sub.close()
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    # the subscriber may connect after the first bins: most must arrive
    check("cursor: decoded states arrive (committed model loads from a relative path)",
          rows >= 30, f"{rows} rows; {err[-400:]}")
    check("cursor: SIGINT exit status 0", proc.returncode == 0, f"{proc.returncode}: {err[-400:]}")


with tempfile.TemporaryDirectory(prefix="ezc-configs-") as tmp:
    folder, cwd = copy_configs(tmp)
    configs = sorted(glob.glob(os.path.join(folder, "*.yaml")))
    check("configs/ holds graph files", len(configs) >= 4, configs)
    for cfg in configs:
        test_every(cfg, cwd)
    test_emg(folder, cwd)
    test_eeg(folder, cwd)
    test_cursor(folder, cwd)
finish("configs")
