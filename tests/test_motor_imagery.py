"""test_motor_imagery.py — events from the command line, and a decoder
trained inside a graph on a simulated motor-imagery session.

Events (docs/wire-format.md, "Events (markers)"), real processes and sockets:
  `ezc pub --events left,right --rate 20 --count 6`: six messages that
  follow the convention (float64 [event], attr ezc.kind = events, a label
  coordinate), labels cycling, event k at exactly k / 20 s, paced (the six
  span >= 0.2 s), then the end of stream; `--events -` sends one per stdin
  line (comments, blank lines skipped, a label with spaces kept) and ends at
  the end of input; a malformed or overlong line exits 1 naming its line; bad LABELS and
  --rate exit 2. `ezc echo` prints events as "events=1 [T s 'LABEL']", a
  control byte in a label as \\xNN, a malformed events message as
  "malformed (events: ...)". `ezc record` of an events stream, then
  `ezc replay --fast`: the same times, labels and attrs, then the end.

The source (synth_mi, two nodes at speed 100, 6 trials, jitter 0): float32
  [time, ch] at 250 Hz in chunks of 0.1 s; two runs are identical bit for
  bit; a cue at 1 + 4k s; in each imagery window (numpy FFT, 8-12 Hz) the
  cued class's channel (left: ch0, right: ch1) has < 0.4 x the mu power of
  every other channel (the simulation damps it to 0.25 x) — the markers
  are the signal's truth.
The experiment: configs/motor_imagery.yaml copied with private endpoints,
its sources at speed 20 with 50 trials (200 s of session in 10 s), run by
`ezc run` until its sources end. A Python subscriber takes the predictions
(P(left), P(right) every 0.1 s of session time) and the cue markers.
  - 50 cues at 1 + 4k s, both classes present; the run exits 0, no warning.
  - Trial 0 is predicted by the untrained start model: exactly 0.5 / 0.5.
  - Online accuracy: a trial's prediction is the class of larger mean
    probability over the frames starting in [cue + 0.5, cue + 2.0) s. The
    decoder gets trial k's training sample only after the frame at cue +
    2.4 s, so these predictions come from trials before k (causal). Over
    trials 10..49 (n = 40; the first 10 are the learning phase), chance is
    p = 0.5: P(X >= 28 | n = 40, p = 0.5) = 0.0083 < 0.01, so at least 28
    correct rejects chance at p < 0.01. The simulation (erd 0.5, jitter 0.15)
    allows ~93%, so 28 is far from the expected ~37: no flakiness.
Usage: test_motor_imagery.py PATH_TO_EZC
"""
import os
import shutil
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




def collect(sub, deadline_s, want_eos=True):
    """Messages from sub until its end of stream (or the deadline)."""
    msgs, eos = [], False
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        m = sub.recv(timeout_ms=100)
        if m is None:
            continue
        if getattr(m, "eos", False):
            eos = True
            if want_eos:
                break
            continue
        msgs.append((time.monotonic(), m))
    return msgs, eos


def is_event_msg(m):
    return (m.data.dtype == np.float64 and m.dims == ["event"]
            and m.attrs.get("ezc.kind") == "events"
            and len(m.axes["event"]["labels"]) == m.data.shape[0])


def events_of(msgs):
    return [(float(t), lab) for _, m in msgs
            for t, lab in zip(m.data, m.axes["event"]["labels"])]


def run_pub(args, ep, stdin=None, deadline=15):
    """ezc pub ARGS on ep with a subscriber; (messages, eos, completed process)."""
    sub = ezc_wire.Subscriber(ep)
    proc = subprocess.Popen([EZC, "pub", ep, "--first-wait", "2000"] + args,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    msgs, eos = collect(sub, 5)  # while it runs: arrival times show the pacing
    sub.close()
    try:
        proc.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return msgs, eos, proc.returncode, err


def test_pub_events(tmp):
    ep = f"ipc://{tmp}/ev"
    msgs, eos, rc, err = run_pub(["--events", "left, right", "--rate", "20", "--count", "6"], ep)
    check("pub --events LABELS: exit 0", rc == 0, err)
    check("pub --events LABELS: 6 messages then the end of stream", len(msgs) == 6 and eos,
          (len(msgs), eos))
    check("pub --events: each follows the events convention",
          all(is_event_msg(m) and m.data.shape == (1,) for _, m in msgs),
          [(m.dims, m.attrs, m.data.dtype) for _, m in msgs][:2])
    ev = events_of(msgs)
    want = [(k / 20, "left" if k % 2 == 0 else "right") for k in range(6)]
    check("pub --events: labels cycle, event k at k / rate s", ev == want, ev)
    check("pub --events: topic 'events'", all(m.topic == "events" for _, m in msgs),
          [m.topic for _, m in msgs][:1])
    if len(msgs) == 6:
        span = msgs[-1][0] - msgs[0][0]
        check("pub --events: paced at --rate (6 events span >= 0.2 s)", span >= 0.2, span)

    lines = "# cues\n1.5 left\n\n  4.0   right hand \n2 x\n"
    msgs, eos, rc, err = run_pub(["--events", "-"], ep, stdin=lines)
    check("pub --events -: exit 0 at the end of input", rc == 0, err)
    check("pub --events -: one message per line, then the end of stream",
          len(msgs) == 3 and eos, (len(msgs), eos))
    check("pub --events -: times and labels (trimmed, spaces kept)",
          events_of(msgs) == [(1.5, "left"), (4.0, "right hand"), (2.0, "x")], events_of(msgs))

    msgs, eos, rc, err = run_pub(["--events", "-"], ep, stdin="1.5 left\nnan up\n")
    check("pub --events -: a malformed line exits 1, naming it",
          rc == 1 and "stdin line 2" in err and "TIME LABEL" in err and not eos, (rc, err))
    check("pub --events -: the lines before it were sent", events_of(msgs) == [(1.5, "left")],
          events_of(msgs))
    msgs, eos, rc, err = run_pub(["--events", "-"], ep, stdin="1 " + "x" * 5000 + "\n")
    check("pub --events -: a line over 4096 bytes exits 1, nothing sent",
          rc == 1 and "stdin line 1: longer than 4096 bytes" in err and not msgs, (rc, err))
    for args, what in ((["--events", "a,,b"], "label 2 is empty"),
                       (["--events", "a", "--rate", "0"], "--rate 0")):
        p = subprocess.run([EZC, "pub", ep] + args, capture_output=True, text=True, timeout=10)
        check(f"pub {' '.join(args)}: exit 2 saying {what!r}",
              p.returncode == 2 and what in p.stderr, (p.returncode, p.stderr))


def test_echo_events(tmp):
    ep = f"ipc://{tmp}/echo"
    echo = subprocess.Popen([EZC, "echo", ep, "--timeout", "10"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    pub = subprocess.run([EZC, "pub", ep, "--first-wait", "2000", "--events", "-"],
                         input="0.25 left\n3 a\x1bb\n", capture_output=True, text=True,
                         timeout=15)
    out, err = echo.communicate(timeout=15)
    check("echo: exits 0 at the end of an events stream", echo.returncode == 0 and pub.returncode
          == 0, (echo.returncode, pub.returncode, err, pub.stderr))
    lines = out.splitlines()
    check("echo: an event message shows its events",
          len(lines) == 2 and "events=1 [0.250000 s 'left']" in lines[0]
          and "min=" not in lines[0], lines)
    check("echo: a control byte of a label is shown as \\x1b",
          len(lines) == 2 and "[3.000000 s 'a\\x1bb']" in lines[1], lines)


def test_echo_malformed(tmp):
    """A message that says it is events but breaks the convention: named, no crash."""
    ep = f"ipc://{tmp}/bad"
    pub = ezc_wire.Publisher(ep)
    echo = subprocess.Popen([EZC, "echo", ep, "--count", "2", "--timeout", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pub.wait_subscribers(1, 5000)
    pub.send(np.array([1.0, 2.0]), ["event"], topic="events", attrs={"ezc.kind": "events"})
    pub.send(np.array([np.nan]), ["event"], topic="events", attrs={"ezc.kind": "events"},
             axes={"event": ezc_wire.coord_axis(labels=["x"])})
    out, err = echo.communicate(timeout=15)
    pub.close()
    lines = out.splitlines()
    check("echo: malformed events are said, naming the fault",
          echo.returncode == 0 and len(lines) == 2
          and "malformed (events: axis 'event' has no labels)" in lines[0]
          and "malformed (events: time[0] is nan" in lines[1], (echo.returncode, lines, err))


def test_record_replay(tmp):
    ep, ep2 = f"ipc://{tmp}/rec", f"ipc://{tmp}/rep"
    path = os.path.join(tmp, "cues.ezr")
    rec = subprocess.Popen([EZC, "record", ep, path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    sent = [(0.5, "left"), (4.5, "right"), (8.5, "left"), (12.5, "rest")]
    pub = subprocess.run([EZC, "pub", ep, "--first-wait", "2000", "--events", "-"],
                         input="".join(f"{t} {lab}\n" for t, lab in sent),
                         capture_output=True, text=True, timeout=15)
    _, rerr = rec.communicate(timeout=15)
    check("record: an events stream is recorded, ending at its end of stream",
          pub.returncode == 0 and rec.returncode == 0 and os.path.getsize(path) > 0,
          (pub.returncode, rec.returncode, rerr))
    sub = ezc_wire.Subscriber(ep2)
    rep = subprocess.Popen([EZC, "replay", path, ep2, "--fast", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    msgs, eos = collect(sub, 10)
    sub.close()
    _, perr = rep.communicate(timeout=15)
    check("replay: exit 0", rep.returncode == 0, perr)
    check("replay: the events come back as events, then the end of stream",
          eos and len(msgs) == 4 and all(is_event_msg(m) for _, m in msgs), (len(msgs), eos))
    check("replay: the same times and labels", events_of(msgs) == sent, events_of(msgs))


def run_experiment(tmp):
    """The shipped graph at speed 20, 50 trials; (cues, predictions, rc, stderr)."""
    cfg_dir = os.path.join(tmp, "configs")
    shutil.copytree(os.path.join(SRC, "configs", "models"), os.path.join(cfg_dir, "models"))
    with open(os.path.join(SRC, "configs", "motor_imagery.yaml")) as f:
        graph = yaml.safe_load(f)
    for node in ("eeg", "cues"):
        graph["nodes"][node]["settings"].update({"speed": 20, "trials": N_TRIALS})
    eps = {}
    for name, out in graph["outputs"].items():
        out["endpoint"] = eps[name] = f"ipc://{tmp}/mi-{name}"
    cfg = os.path.join(cfg_dir, "motor_imagery.yaml")
    with open(cfg, "w") as f:
        yaml.safe_dump(graph, f)
    subs = {name: ezc_wire.Subscriber(ep) for name, ep in eps.items()}
    proc = subprocess.Popen([EZC, "run", cfg, "--quiet"], cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    got = {name: [] for name in subs}
    ended = set()
    deadline = time.monotonic() + 45
    while len(ended) < len(subs) and time.monotonic() < deadline:
        for name, sub in subs.items():  # drain each (200 predictions/s), then a short nap
            while (m := sub.recv(timeout_ms=0)) is not None:
                if getattr(m, "eos", False):
                    ended.add(name)
                else:
                    got[name].append(m)
        time.sleep(0.005)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    for sub in subs.values():
        sub.close()
    check("experiment: both outputs end (the sources end after their trials)",
          len(ended) == 2, ended)
    return got["cues"], got["predictions"], proc.returncode, err


SOURCE_GRAPH = """
nodes:
  eeg:
    type: synth_mi
    settings: {seed: 11, jitter: 0, speed: 100, trials: 6}
  cues:
    type: synth_mi
    settings: {output: events, seed: 11, jitter: 0, speed: 100, trials: 6}
outputs:
  eeg: {node: eeg, endpoint: "ipc://TMP/src-eeg"}
  cues: {node: cues, endpoint: "ipc://TMP/src-cues"}
"""


def run_source(tmp):
    """SOURCE_GRAPH run once: (eeg [time, ch] as one array, its time offsets, cues)."""
    cfg = os.path.join(tmp, "source.yaml")
    with open(cfg, "w") as f:
        f.write(SOURCE_GRAPH.replace("TMP", tmp))
    subs = {k: ezc_wire.Subscriber(f"ipc://{tmp}/src-{k}") for k in ("eeg", "cues")}
    proc = subprocess.Popen([EZC, "run", cfg, "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    got = {k: collect(s, 20)[0] for k, s in subs.items()}
    proc.communicate(timeout=15)
    for sub in subs.values():
        sub.close()
    eeg = [m for _, m in got["eeg"]]
    x = np.concatenate([np.asarray(m.data) for m in eeg]) if eeg else np.zeros((0, 8))
    return x, [m.axes["time"]["offset"] for m in eeg], events_of(got["cues"])


def test_source(tmp):
    """synth_mi: deterministic, and the markers are the signal's truth."""
    x, offs, cues = run_source(tmp)
    x2, _, cues2 = run_source(tmp)
    n = (1 + 6 * 4) * 250  # the first cue at 1 s, 6 trials of 4 s, at 250 Hz
    check("synth_mi: 6 trials of 8 channels at 250 Hz, float32, then the end",
          x.shape == (n, 8) and x.dtype == np.float32, x.shape)
    check("synth_mi: time offsets k * 0.1 s (chunks of 25)",
          np.allclose(offs, 0.1 * np.arange(len(offs)), rtol=0, atol=1e-9), offs[:4])
    check("synth_mi: the same seed gives the same signal and cues, bit for bit",
          x.shape == x2.shape and np.array_equal(x, x2) and cues == cues2, (cues, cues2))
    check("synth_mi: one cue per trial at 1 + 4k s",
          [t for t, _ in cues] == [1.0 + 4 * k for k in range(6)], cues)
    if x.shape != (n, 8) or len(cues) != 6:
        return
    f = np.fft.rfftfreq(750, 1 / 250)
    mu = (f >= 8) & (f <= 12)
    told = []
    for c, lab in cues:  # imagery: 3 s from the cue; the cued channel lost its mu
        seg = x[int(c * 250):int(c * 250) + 750].astype(float)
        power = (np.abs(np.fft.rfft(seg, axis=0)) ** 2)[mu].sum(axis=0)
        told.append(["left", "right"][int(power[1] < power[0])])
        rest = np.delete(power, int(power[1] < power[0]))
        check(f"synth_mi: cue at {c} s: its channel's mu power < 0.4 x every other's",
              power.min() < 0.4 * rest.min(), power.round(0))
    check("synth_mi: the damped channel is the cue's class on every trial",
          told == [lab for _, lab in cues], (told, cues))


N_TRIALS, LEARN, THRESHOLD = 50, 10, 28


def test_experiment(tmp):
    t0 = time.monotonic()
    cue_msgs, pred_msgs, rc, err = run_experiment(tmp)
    check("experiment: ezc run exits 0 and logs no warning",
          rc == 0 and "ezc[warn]" not in err and "ezc[error]" not in err, (rc, err[-800:]))
    cues = events_of([(0, m) for m in cue_msgs])
    check(f"experiment: {N_TRIALS} cues at 1 + 4k s",
          [t for t, _ in cues] == [1.0 + 4 * k for k in range(N_TRIALS)], cues[:5])
    labels = [lab for _, lab in cues]
    check("experiment: both classes cued", set(labels) == {"left", "right"}, set(labels))
    if not pred_msgs or len(cues) != N_TRIALS:
        return
    m = pred_msgs[0]
    check("experiment: predictions are [time, classes] (left, right)",
          m.dims == ["time", "classes"] and m.axes["classes"]["labels"] == ["left", "right"],
          (m.dims, m.axes.get("classes")))
    t = np.concatenate([p.axes["time"]["offset"] + p.axes["time"]["gain"]
                        * np.arange(p.data.shape[0]) for p in pred_msgs])
    p = np.concatenate([np.asarray(p.data, float) for p in pred_msgs])
    correct, frames, first = [], [], None
    for k, (c, lab) in enumerate(cues):
        sel = (t >= c + 0.5 - 1e-6) & (t < c + 2.0 - 1e-6)
        frames.append(int(sel.sum()))
        if not sel.any():
            correct.append(False)
            continue
        mean = p[sel].mean(axis=0)
        if k == 0:
            first = mean
        correct.append(["left", "right"][int(mean[1] > mean[0])] == lab)
    check("experiment: every trial's window has its 15 predictions (0.1 s apart)",
          all(n == 15 for n in frames), frames)
    check("experiment: trial 0 comes from the untrained start model (0.5, 0.5)",
          first is not None and np.allclose(first, 0.5, atol=1e-6), first)
    late = correct[LEARN:]
    n_ok = int(sum(late))
    check(f"experiment: online accuracy over trials {LEARN}..{N_TRIALS - 1} >= {THRESHOLD}/"
          f"{len(late)} (chance rejected at p < 0.01)", n_ok >= THRESHOLD,
          f"{n_ok}/{len(late)}")
    print(f"# online accuracy {n_ok}/{len(late)} after {LEARN} learning trials; "
          f"first {LEARN}: {int(sum(correct[:LEARN]))}/{LEARN}; "
          f"{time.monotonic() - t0:.1f} s")


with tempfile.TemporaryDirectory(prefix="ezc-mi-") as tmp:
    test_pub_events(tmp)
    test_echo_events(tmp)
    test_echo_malformed(tmp)
    test_record_replay(tmp)
    test_source(tmp)
    test_experiment(tmp)
finish("motor_imagery")
