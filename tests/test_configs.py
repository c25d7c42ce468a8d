"""test_configs.py — the shipped signal graphs run as a user runs them.

For configs/emg_envelope.yaml and configs/eeg_bandpower.yaml: a copy of the
file with a private ipc:// output endpoint, `ezc validate` on it, `ezc run`
in a child process, a Python subscriber (tools/python/ezc_wire.py) checking
what arrives against what the graph should compute, then SIGINT: exit
status 0, no socket file left.

EMG: 24 sines at 5, 10, ... 120 Hz -> Butterworth band-pass 20-450 Hz ->
abs -> 100 ms moving mean every 50 ms. After the filter settles, a channel
in the pass band (>= 60 Hz) carries the mean of |sin| = 2/pi (each window
holds whole periods; tolerance 3% for the band-pass gain there), and the
5 Hz channel is attenuated below 2% of it (order-4 high-pass edge at 20 Hz).

EEG: 20 Hz rhythm (40, 60, 80 Hz on channels 1-3) + white noise (sd 0.1)
-> add_streams -> bandpower(1 s hann windows, rel_power, bands 17-30 and
70-170 Hz). Reference: the same windows of a pure sine through numpy (hann,
rfft norm "forward", |X|^2 / (sum(w^2) / fs), mean over the band's bins),
within 10% (the noise adds ~1e-4 / Hz against ~0.1 / Hz); band order as
expected per channel (20 Hz: beta >> gamma; 80 Hz: gamma >> beta).
Usage: test_configs.py PATH_TO_EZC
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

SRC = os.environ.get("EZC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import ezc_wire  # noqa: E402

EZC = sys.argv[1]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"FAIL - {name}: {detail}")


def run_graph(config, endpoint_old, tmp, n_msgs, skip):
    """Runs a copy of config with a private endpoint; returns the messages."""
    ipc = os.path.join(tmp, os.path.basename(config) + ".ipc")
    text = open(os.path.join(SRC, "configs", config)).read()
    assert endpoint_old in text, endpoint_old
    path = os.path.join(tmp, config)
    with open(path, "w") as f:
        f.write(text.replace(endpoint_old, "ipc://" + ipc))
    v = subprocess.run([EZC, "validate", path], capture_output=True, text=True)
    check(f"{config}: validate", v.returncode == 0 and "ok (" in v.stdout, v.stdout + v.stderr)
    proc = subprocess.Popen([EZC, "run", path, "--quiet", "--duration", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    msgs = []
    try:
        sub = ezc_wire.Subscriber("ipc://" + ipc)
        deadline = time.monotonic() + 30
        while len(msgs) < skip + n_msgs and time.monotonic() < deadline:
            m = sub.recv(timeout_ms=2000)
            # a message may hold no window yet (0 along the first dim, as
            # ezmsg-sigproc sends them); only ones with data count
            if m is not None and m.data.shape[0] > 0:
                msgs.append(m)
        sub.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    check(f"{config}: SIGINT exit status 0", proc.returncode == 0, f"{proc.returncode}: {err[-400:]}")
    check(f"{config}: no socket file left", not os.path.exists(ipc), ipc)
    check(f"{config}: {skip + n_msgs} non-empty messages arrived", len(msgs) >= skip + n_msgs,
          len(msgs))
    return msgs[skip:]


def test_emg(tmp):
    msgs = run_graph("emg_envelope.yaml", "ipc:///tmp/ezc-emg-envelope", tmp, 10, skip=10)
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


def test_eeg(tmp):
    msgs = run_graph("eeg_bandpower.yaml", "ipc:///tmp/ezc-eeg-bandpower", tmp, 6, skip=2)
    if not msgs:
        return
    m = msgs[0]
    check("eeg: dims [time, freq, ch]", m.dims == ["time", "freq", "ch"], m.dims)
    y = np.concatenate([m.data for m in msgs])          # (windows, 2 bands, 4 ch)
    centres = np.asarray(m.axes["freq"]["values"], dtype=float)
    check("eeg: band centres inside the bands",
          17 <= centres[0] <= 30 and 70 <= centres[1] <= 170, centres)
    for ch, freq in enumerate([20, 40, 60, 80]):
        ref = bandpower_ref(freq)
        got = y[:, :, ch].mean(axis=0)
        band = 0 if freq == 20 else 1 if freq == 80 else None
        if band is None:
            continue
        err = abs(got[band] / ref[band] - 1)
        check(f"eeg: ch{ch} ({freq} Hz) band power within 10% of numpy", err < 0.10,
              f"got {got}, numpy {ref}")
        check(f"eeg: ch{ch} ({freq} Hz) its band dominates", got[band] > 100 * got[1 - band], got)


with tempfile.TemporaryDirectory() as tmp:
    test_emg(tmp)
    test_eeg(tmp)
print(f"configs: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
