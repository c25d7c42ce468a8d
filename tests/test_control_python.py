"""test_control_python.py — tools/python/ezc_control.py against a real
`ezc run` (sine 100 Hz -> butterworth -> an output), in a private run
folder: graphs() lists it (and not a stale socket whose owner died);
stats() figures grow between two calls; graph() gives its nodes and edge;
set() moves the butterworth cutoff from 200 Hz to 20 Hz and the 100 Hz
amplitude read off the output follows scipy's response for each (within
3 %); an invalid value raises Refused with `ezc validate`'s own message, an
unknown node and a cutoff above Nyquist are refused, and none of them
changes the output; a stopped (SIGSTOP) graph raises ControlTimeout within
its timeout instead of hanging; stop() ends the run with exit status 0 and
its socket gone. Then the in-band settings port: a second graph (`name:
tune`) wires a subscribe node fed by this script into bw.settings; a
message with attrs ezc.settings {cutoff: "20"} retunes bw as set() did,
and seven bad ones (an invalid value, above Nyquist, malformed or
oversized attrs) are each counted as one error of bw with its message, the
output unchanged.
Usage: test_control_python.py PATH_TO_EZC   (run by meson with /usr/bin/python3)
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import signal as sps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import ezc_control  # noqa: E402
import ezc_wire  # noqa: E402

EZC = sys.argv[1]
FS, F0 = 1000.0, 100.0




def amplitude_at(x, f0=F0, fs=FS):
    """Amplitude of the f0 component (least squares on sin, cos, 1)."""
    t = np.arange(len(x)) / fs
    a = np.column_stack([np.sin(2 * np.pi * f0 * t), np.cos(2 * np.pi * f0 * t), np.ones_like(t)])
    c, *_ = np.linalg.lstsq(a, x, rcond=None)
    return float(np.hypot(c[0], c[1]))


def butter_gain(cutoff, order=4, f0=F0, fs=FS):
    sos = sps.butter(order, cutoff, fs=fs, output="sos")
    _, h = sps.sosfreqz(sos, worN=[f0], fs=fs)
    return float(abs(h[0]))


def take(sub, n):
    seg = []
    for _ in range(n):
        m = sub.recv(timeout_ms=5000)
        if m is None or isinstance(m, ezc_wire.EndOfStream):
            raise RuntimeError("no message within 5 s")
        seg.append(m.data[:, 0])
    return np.concatenate(seg)


def settled_amplitude(sub):
    take(sub, 10)  # what was in flight, and the filter's transient (0.5 s)
    return amplitude_at(take(sub, 10))


def main(tmp):
    os.environ["EZC_RUN_DIR"] = os.path.join(tmp, "run")
    path = os.path.join(tmp, "lab.yaml")
    text = f"""nodes:
  sine:
    type: sine
    settings: {{fs: {FS:g}, channels: 1, chunk: 50, freq: {F0:g}, dtype: float64}}
  bw:
    type: butterworth
    settings: {{order: 4, cutoff: 200}}
edges:
  - sine -> bw
outputs:
  filtered: {{node: bw, endpoint: "ipc://{tmp}/out"}}
"""
    with open(path, "w") as f:
        f.write(text)
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write(text.replace("cutoff: 200", "cutoff: abc"))
    v = subprocess.run([EZC, "validate", bad], capture_output=True, text=True)
    vmsg = [l.split(": ", 1)[1] for l in (v.stdout + v.stderr).splitlines()
            if "setting 'cutoff'" in l]
    check("validate names the bad cutoff", v.returncode != 0 and len(vmsg) == 1, v.stdout + v.stderr)

    check("nothing runs: graphs() empty", ezc_control.graphs() == [], ezc_control.graphs())
    t = time.monotonic()
    try:
        ezc_control.stats("lab")
        check("no graph: GraphNotFound", False, "no exception")
    except ezc_control.GraphNotFound as e:
        check("no graph: GraphNotFound", "no graph 'lab' runs" in str(e) and
              time.monotonic() - t < 0.5, str(e))
    try:
        ezc_control.stats("../etc")
        check("a bad name is refused", False, "no exception")
    except ValueError as e:
        check("a bad name is refused", "expected 1 to 63" in str(e), str(e))

    run = subprocess.Popen([EZC, "run", path, "--quiet"], stderr=subprocess.PIPE, text=True)
    try:
        body(run, tmp, vmsg[0] if vmsg else "")
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    return vmsg[0] if vmsg else "?"


def body(run, tmp, vmsg):
    for _ in range(100):
        if "lab" in ezc_control.graphs():
            break
        time.sleep(0.05)
    check("graphs() lists lab", ezc_control.graphs() == ["lab"], ezc_control.graphs())

    # A stale socket: its lock names a process that has exited.
    dead = subprocess.Popen(["true"])
    dead.wait()
    gdir = os.path.join(os.environ["EZC_RUN_DIR"], "graphs")
    open(os.path.join(gdir, "ghost.ctl"), "w").close()
    with open(os.path.join(gdir, "ghost.ctl.lock"), "w") as f:
        f.write(f"{dead.pid}\n")
    check("a dead owner's socket is not listed", ezc_control.graphs() == ["lab"],
          ezc_control.graphs())
    try:
        ezc_control.stop("ghost", timeout=0.5)
        check("ghost: GraphNotFound", False, "no exception")
    except ezc_control.GraphNotFound:
        check("ghost: GraphNotFound", True)

    g = ezc_control.graph("lab")
    check("graph(): nodes", [(n["name"], n["type"]) for n in g["nodes"]] ==
          [("sine", "sine"), ("bw", "butterworth")], g)
    check("graph(): edge", [(e["from"], e["to"]) for e in g["edges"]] == [("sine", "bw")], g)

    s1 = ezc_control.stats("lab")
    time.sleep(0.7)
    s2 = ezc_control.stats("lab")
    m1 = {n["name"]: n["messages"] for n in s1["nodes"]}
    m2 = {n["name"]: n for n in s2["nodes"]}
    check("stats(): graph, pid", s2["graph"] == "lab" and s2["pid"] == run.pid, s2)
    check("stats(): uptime grows", s2["uptime_s"] > s1["uptime_s"] + 0.5, (s1["uptime_s"], s2["uptime_s"]))
    # 20 messages/s: 0.7 s adds 14, give or take the pacing and the sampling
    for name in ("sine", "bw"):
        grown = m2[name]["messages"] - m1[name]
        check(f"stats(): {name} messages grow", 8 <= grown <= 20, (m1, m2))
    check("stats(): rates and states", m2["sine"]["msg_s"] > 5 and m2["bw"]["state"] == "running",
          m2)

    sub = ezc_wire.Subscriber(f"ipc://{tmp}/out")
    want200, want20 = butter_gain(200), butter_gain(20)
    a200 = settled_amplitude(sub)
    check("cutoff 200: the 100 Hz amplitude as scipy's response", abs(a200 - want200) < 0.03 * want200,
          (a200, want200))

    r = ezc_control.set("lab", "bw", cutoff=20)
    check("set cutoff=20 taken, state kept", r == {"applied": True, "state": "kept"}, r)
    a20 = settled_amplitude(sub)
    check("cutoff 20: the 100 Hz amplitude as scipy's response", abs(a20 - want20) < 0.03 * want20,
          (a20, want20))
    print(f"100 Hz amplitude: cutoff 200 -> {a200:.5f} (scipy {want200:.5f}), "
          f"cutoff 20 -> {a20:.6f} (scipy {want20:.6f})")

    refusals = [({"cutoff": "abc"}, "bw", lambda m: m == vmsg),
                ({"cutoff": 600}, "bw", lambda m: "must be below Nyquist" in m),
                ({"cutof": 30}, "bw", lambda m: "unknown setting 'cutof'" in m),
                ({"cutoff": 30}, "nope", lambda m: "no node 'nope'" in m),
                ({"fs": 10}, "sine", lambda m: "fs, channels, chunk, dtype, realtime, count and key "
                                                "cannot change while it runs" in m)]
    for settings, node, ok in refusals:
        try:
            ezc_control.set_settings("lab", node, settings)
            check(f"refused: {node} {settings}", False, "no exception")
        except ezc_control.Refused as e:
            check(f"refused: {node} {settings}", ok(str(e)) and e.graph == "lab" and e.op == "set",
                  f"{e!s} (validate: {vmsg!r})")
    try:
        ezc_control.set("lab", "bw", cutoff={"x": 1})
        check("a dict value: TypeError before sending", False, "no exception")
    except TypeError as e:
        check("a dict value: TypeError before sending", "setting 'cutoff'" in str(e), str(e))
    a_after = settled_amplitude(sub)
    check("refusals change nothing", abs(a_after - want20) < 0.03 * want20, (a_after, want20))

    # A graph that does not answer (stopped by SIGSTOP) never hangs the caller.
    # kill() returns before the process is stopped: wait until it is ("T"),
    # or a request sent at once may still be answered.
    os.kill(run.pid, signal.SIGSTOP)
    t = time.monotonic()
    while time.monotonic() - t < 2:
        with open(f"/proc/{run.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                break
        time.sleep(0.005)
    t = time.monotonic()
    try:
        ezc_control.stats("lab", timeout=0.5)
        check("a stopped graph: ControlTimeout", False, "no exception")
    except ezc_control.ControlTimeout as e:
        dt = time.monotonic() - t
        check("a stopped graph: ControlTimeout within its timeout", 0.45 < dt < 1.5 and
              "no answer within 500 ms" in str(e), f"{dt:.2f} s: {e}")
    finally:
        os.kill(run.pid, signal.SIGCONT)
    check("answers again after SIGCONT", ezc_control.stats("lab")["graph"] == "lab")
    sub.close()

    ezc_control.stop("lab")
    try:
        rc = run.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    err = run.stderr.read()
    check("stop(): ezc run exits 0", rc == 0, f"status {rc}: {err[-400:]}")
    check("stop(): no longer listed, socket removed", "lab" not in ezc_control.graphs() and
          not os.path.exists(os.path.join(os.environ["EZC_RUN_DIR"], "graphs", "lab.ctl")),
          ezc_control.graphs())


def settings_port(tmp, vmsg):
    """A node's output retunes another: the `tuner` node (a subscribe source
    fed by this script) -> bw.settings; messages carry attrs ezc.settings."""
    path = os.path.join(tmp, "tune.yaml")
    with open(path, "w") as f:
        f.write(f"""name: tune
nodes:
  sine:
    type: sine
    settings: {{fs: {FS:g}, channels: 1, chunk: 50, freq: {F0:g}, dtype: float64}}
  tuner:
    type: subscribe
    settings: {{endpoint: "ipc://{tmp}/tune"}}
  bw:
    type: butterworth
    settings: {{order: 4, cutoff: 200}}
edges:
  - sine -> bw
  - tuner -> bw.settings
outputs:
  filtered: {{node: bw, endpoint: "ipc://{tmp}/tuned"}}
""")
    v = subprocess.run([EZC, "validate", path], capture_output=True, text=True)
    check("settings port: validate accepts bw.settings", v.returncode == 0, v.stdout + v.stderr)
    bad = path.replace("tune.yaml", "tune_bad.yaml")
    with open(path) as f, open(bad, "w") as g:
        g.write(f.read().replace("- sine -> bw\n", "- sine -> bw\n  - tuner -> sine.settings\n"))
    v = subprocess.run([EZC, "validate", bad], capture_output=True, text=True)
    check("settings port: a source has none", v.returncode == 1 and "node 'sine' (sine) is a source" in
          v.stdout + v.stderr, v.stdout + v.stderr)
    pub = ezc_wire.Publisher(f"ipc://{tmp}/tune")
    run = subprocess.Popen([EZC, "run", path, "--quiet"], stderr=subprocess.PIPE, text=True)
    try:
        check("settings port: the tuner subscribed", pub.wait_subscribers(1, 10000))
        sub = ezc_wire.Subscriber(f"ipc://{tmp}/tuned")
        none = np.zeros(0)

        def bw_errors():
            return {n["name"]: n for n in ezc_control.stats("tune")["nodes"]}["bw"]

        a200 = settled_amplitude(sub)
        pub.send(none, ["x"], attrs=ezc_control.settings_attrs(cutoff=20))
        a20 = settled_amplitude(sub)
        want200, want20 = butter_gain(200), butter_gain(20)
        check("settings port: cutoff 200 before", abs(a200 - want200) < 0.03 * want200, (a200, want200))
        check("settings port: cutoff=20 taken", abs(a20 - want20) < 0.03 * want20, (a20, want20))
        print(f"settings port: 100 Hz amplitude {a200:.5f} -> {a20:.6f} (scipy {want20:.6f})")
        bw = bw_errors()
        check("settings port: no error yet", bw["errors"] == 0, bw)
        refusals = [(ezc_control.settings_attrs(cutoff="abc"), lambda m: m == "settings port: " + vmsg),
                    (ezc_control.settings_attrs(cutoff=600), lambda m: "must be below Nyquist" in m),
                    ({"ezc.settings": "cutoff=30"}, lambda m: "expected attrs \"ezc.settings\"" in m),
                    ({"ezc.settings": {"cutoff": 30}}, lambda m: "entry 0: expected a setting" in m),
                    ({}, lambda m: "expected attrs" in m),
                    ({"ezc.settings": {f"k{i}": "1" for i in range(65)}},
                     lambda m: "a map of 1 to 64 setting names" in m),
                    ({"ezc.settings": {"cutoff": "9" * 5000}}, lambda m: "under 4096 bytes" in m)]
        for k, (attrs, ok) in enumerate(refusals):
            pub.send(none, ["x"], attrs=attrs)
            for _ in range(50):
                bw = bw_errors()
                if bw["errors"] > k:
                    break
                time.sleep(0.05)
            check(f"settings port: refusal {k} counted, with its message",
                  bw["errors"] == k + 1 and ok(bw["last_error"]), (attrs, bw["errors"], bw["last_error"]))
        # Random settings maps (never a valid one: no such setting, or not
        # text): each one refused and counted, the node still running.
        import random
        rng = random.Random(15)

        def junk(depth=0):
            k = rng.randrange(8 if depth < 3 else 6)
            if k == 6:
                return [junk(depth + 1) for _ in range(rng.randrange(4))]
            if k == 7:
                return {rng.choice([f"k{rng.randrange(9)}", rng.randrange(9), None]): junk(depth + 1)
                        for _ in range(rng.randrange(4))}
            return [None, rng.random() < 0.5, rng.randint(-2**63, 2**64 - 1), rng.random() * 1e300,
                    "x" * rng.randrange(6000), bytes(rng.randrange(9))][k]

        nfuzz = 200
        for _ in range(nfuzz):
            m = {f"zz{rng.randrange(99)}": junk() for _ in range(rng.randrange(1, 5))}
            try:
                pub.send(none, ["x"], attrs={"ezc.settings": m if rng.random() < 0.8 else junk()})
            except (TypeError, ValueError):  # a map key msgpack cannot hash: sent as a plain map
                pub.send(none, ["x"], attrs={"ezc.settings": {"zz": 1}})
        want = len(refusals) + nfuzz
        for _ in range(100):
            bw = bw_errors()
            if bw["errors"] >= want:
                break
            time.sleep(0.05)
        check("settings port: random maps all refused and counted, bw running",
              bw["errors"] == want and bw["state"] == "running", (bw["errors"], want, bw["state"]))
        a_after = settled_amplitude(sub)
        check("settings port: refusals keep the old settings", abs(a_after - want20) < 0.03 * want20,
              (a_after, want20))
        sub.close()
        ezc_control.stop("tune")
        rc = run.wait(timeout=10)
        err = run.stderr.read()
        check("settings port: exit 0", rc == 0, err[-400:])
        check("settings port: refusals logged", "message refused" in err and "settings port" in err,
              err[-600:])
    finally:
        pub.close()
        if run.poll() is None:
            run.kill()
            run.wait()


with tempfile.TemporaryDirectory(prefix="ezc-control-py.") as tmp_dir:
    vmsg_ = main(tmp_dir)
    settings_port(tmp_dir, vmsg_)
finish("control_python")
