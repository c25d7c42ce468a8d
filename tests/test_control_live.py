"""test_control_live.py — `ezc set` on the sinks and on the sources other
than the synthetic ones (docs/control.md, "Changing settings"), each with a
real `ezc run` in a private run folder, changed from the command line
(`ezc set`) or tools/python/ezc_control.py while messages flow:

  print      every / values change what is printed from the next message;
             the messages printed are exactly those the rule in force says.
  publish    keep_empty lets empty messages out, and back; lossy=true makes
             a stalled reader miss messages instead of holding the graph up,
             lossy=false holds it again; endpoint / topic are refused.
  record     (in a process group: the set is relayed to its child) a new
             path starts a new file: each message in exactly one file, all
             files complete; a path that is the file being written, one
             that exists or cannot be made is refused, the file goes on.
  synth_mi   amplitude x2 doubles the output, a new freq keeps the phase
             (no jump); fs, classes and an out-of-range erd are refused;
             the events node takes a set while it waits for its next cue.
  slow       a sine with 2 s between messages: a set for it, and for the
             butterworth and publish sink fused after it, is answered in
             well under a second (a cutoff above Nyquist refused, with its
             message), not left for the next message.
  subscribe  endpoint A -> B -> a stream name: the node follows, every
             message of the old publisher that arrived goes out before the
             first of the new one; a path nothing serves, an unknown stream
             and two publishers at once are refused, the old one stays. In a
             process group, the move (with endpoint="") holds through a
             kill -9 of the group's child.

Every refused set must leave the output as it was, and the sequence
numbers of the graph's output must go on without a gap through the
changes. Usage: test_control_live.py PATH_TO_EZC (/usr/bin/python3)
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import ezc_control  # noqa: E402
import ezc_recording  # noqa: E402
import ezc_wire  # noqa: E402

EZC = sys.argv[1]


def start(tmp, name, yaml, stdout=None):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(yaml)
    log = open(os.path.join(tmp, name + ".log"), "w")
    run = subprocess.Popen([EZC, "run", path], stdout=stdout or subprocess.DEVNULL, stderr=log)
    for _ in range(100):
        if name in ezc_control.graphs():
            break
        time.sleep(0.05)
    return run


def stop(run, name):
    try:
        ezc_control.stop(name)
    except ezc_control.ControlError:
        pass
    try:
        return run.wait(timeout=15)
    except subprocess.TimeoutExpired:
        run.kill()
        return run.wait()


def ezc_set(target, *kv):
    r = subprocess.run([EZC, "set", target, *kv], capture_output=True, text=True, timeout=15)
    return r.returncode, (r.stdout + r.stderr).strip()


def refused(what, graph, node, settings, want):
    """A set refused with a message holding `want`."""
    try:
        ezc_control.set_settings(graph, node, settings)
        return check(f"{what}: refused", False, "accepted")
    except ezc_control.Refused as e:
        return check(f"{what}: refused ({e})", want in str(e), str(e))


def take(sub, n, timeout_ms=5000):
    out = []
    for _ in range(n):
        m = sub.recv(timeout_ms=timeout_ms)
        if m is None or isinstance(m, ezc_wire.EndOfStream):
            raise RuntimeError(f"no message within {timeout_ms} ms")
        out.append(m)
    return out


def no_gaps(msgs):
    seqs = [m.seq for m in msgs]
    return sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)


# ---- print ----

def test_print(tmp):
    yaml = """nodes:
  c: {type: counter, settings: {fs: 1000, channels: 2, chunk: 10, dtype: float64}}
  p: {type: print, settings: {every: 1, values: none}}
edges: [c -> p]
"""
    out = open(os.path.join(tmp, "print.out"), "w")
    run = start(tmp, "pr", yaml, stdout=out)
    time.sleep(0.4)
    rc, msg = ezc_set("pr/p", "every=5", "values=summary")
    check("print: every=5 values=summary taken", rc == 0 and msg == "pr/p: applied, state kept", msg)
    time.sleep(0.3)
    rc, msg = ezc_set("pr/p", "values=fancy")
    check("print: values=fancy refused with the schema's message",
          rc == 1 and "setting 'values'" in msg and "fancy" in msg, msg)
    rc, msg = ezc_set("pr/p", "every=often")
    check("print: every=often refused", rc == 1 and "setting 'every'" in msg, msg)
    time.sleep(0.3)
    r = ezc_control.set("pr", "p", every=1, values="none")
    check("print: back to every=1 values=none", r == {"applied": True, "state": "kept"}, r)
    time.sleep(0.3)
    st = {n["name"]: n for n in ezc_control.stats("pr")["nodes"]}
    status = stop(run, "pr")
    out.close()
    check("print: run exits 0", status == 0, status)
    recs = []  # [seq, value lines, first value of ch0]
    for line in open(os.path.join(tmp, "print.out")):
        if line.startswith("p: seq="):
            recs.append([int(line.split()[1][4:]), 0, None])
        elif line.startswith("p:   ch0: first=") and recs:
            recs[-1][1] += 1
            recs[-1][2] = float(line.split()[2][6:])
        elif line.startswith("p:   ch") and recs:
            recs[-1][1] += 1
    valued = [i for i, r in enumerate(recs) if r[1]]
    ok = len(valued) >= 10 and valued == list(range(valued[0], valued[-1] + 1))
    check("print: the summary lines come in one stretch", ok, [r[0] for r in recs])
    if not ok:
        return
    before, during, after = recs[:valued[0]], recs[valued[0]:valued[-1] + 1], recs[valued[-1] + 1:]
    seq = [r[0] for r in recs]
    check("print: every message before the change printed",
          [r[0] for r in before] == list(range(len(before))), seq[:len(before) + 3])
    d = [r[0] for r in during]
    check("print: one in 5 while every=5, none skipped",
          all(s % 5 == 0 for s in d) and d == list(range(d[0], d[-1] + 1, 5)) and
          0 < d[0] - before[-1][0] <= 5, d)
    check("print: 2 channels summed up for each", all(r[1] == 2 for r in during), during[:3])
    check("print: the values are those of the message printed (counter: 10 x seq)",
          all(r[2] == 10.0 * r[0] for r in during), during[:3])
    a = [r[0] for r in after]
    check("print: every message after the change back",
          len(a) > 10 and a == list(range(a[0], a[0] + len(a))) and 0 < a[0] - d[-1] <= 5,
          (d[-1], a[:5]))
    check("print: the refused sets printed nothing else",
          all(r[1] in (0, 2) for r in recs), "")
    check("print: all the node's messages reached it", st["p"]["messages"] == st["c"]["messages"]
          or abs(st["p"]["messages"] - st["c"]["messages"]) <= 1, st)


# ---- publish ----

def test_publish(tmp):
    # 10-sample windows of 4-sample chunks: 3 of every 5 outputs are empty
    yaml = f"""nodes:
  c: {{type: counter, settings: {{fs: 1000, channels: 2, chunk: 4, dtype: float64}}}}
  w: {{type: window, settings: {{window_dur: 0.01, window_shift: 0.01, zero_pad_until: none}}}}
  out: {{type: publish, settings: {{endpoint: "ipc://{tmp}/pub-out"}}}}
edges: [c -> w, w -> out]
"""
    run = start(tmp, "pu", yaml)
    sub = ezc_wire.Subscriber(f"ipc://{tmp}/pub-out")
    a = take(sub, 20)
    r = ezc_control.set("pu", "out", keep_empty=True)
    check("publish: keep_empty=true taken", r == {"applied": True, "state": "kept"}, r)
    b = take(sub, 50)
    rc, msg = ezc_set("pu/out", f"endpoint=ipc://{tmp}/elsewhere")
    check("publish: endpoint refused, restart the graph",
          rc == 1 and "node 'out': publish: setting 'endpoint' cannot change while it runs "
          "(restart the graph to move a publisher" in msg, msg)
    refused("publish: topic", "pu", "out", {"topic": "x"}, "setting 'topic' cannot change")
    c = take(sub, 50)
    r = ezc_control.set("pu", "out", keep_empty=False)
    check("publish: keep_empty=false taken", r["applied"], r)
    take(sub, 5)
    d = take(sub, 30)
    empty = [sum(1 for m in x if m.data.size == 0) for x in (a, b[10:], c, d)]
    check("publish: empty messages only while keep_empty=true",
          empty[0] == 0 and empty[1] >= 15 and empty[2] >= 15 and empty[3] == 0, empty)
    allm = a + b + c
    check("publish: no message lost across the changes (seq)", no_gaps(allm) == 0,
          [m.seq for m in allm])
    first = [float(m.data.reshape(-1, 2)[0, 0]) for m in a + b + c if m.data.size]
    steps = {round(y - x) for x, y in zip(first, first[1:])}
    check("publish: every window went out (10 samples apart)", steps == {10}, steps)
    stop(run, "pu")

    # lossy: a reader that stops reading holds a blocking publisher up (the
    # source waits), a lossy one does not (the reader misses messages)
    yaml = f"""nodes:
  c: {{type: counter, settings: {{channels: 2, chunk: 4, dtype: float64, realtime: false}}}}
  out: {{type: publish, settings: {{endpoint: "ipc://{tmp}/lossy-out"}}}}
edges: [c -> out]
security: {{stall_timeout_ms: 0}}
"""
    run = start(tmp, "lo", yaml)
    sub = ezc_wire.Subscriber(f"ipc://{tmp}/lossy-out")

    def grown_while_paused():
        n0 = {n["name"]: n["messages"] for n in ezc_control.stats("lo")["nodes"]}["c"]
        time.sleep(1.0)
        n1 = {n["name"]: n["messages"] for n in ezc_control.stats("lo")["nodes"]}["c"]
        return n1 - n0

    m1 = take(sub, 3000)
    g_block = grown_while_paused()
    m2 = take(sub, 3000)
    check("publish: blocking: nothing lost (seq)", no_gaps(m1 + m2) == 0, no_gaps(m1 + m2))
    r = ezc_control.set("lo", "out", lossy=True)
    check("publish: lossy=true taken", r == {"applied": True, "state": "kept"}, r)
    g_lossy = grown_while_paused()
    m3 = take(sub, 3000)
    check("publish: lossy: the stalled reader missed messages", no_gaps(m3) > 0, no_gaps(m3))
    r = ezc_control.set("lo", "out", lossy=False)
    check("publish: lossy=false taken", r["applied"], r)
    take(sub, 5000)  # what the lossy stretch queued, and more
    g_block2 = grown_while_paused()
    m4 = take(sub, 6000)
    print(f"source messages during a 1 s pause of the reader: blocking {g_block}, "
          f"lossy {g_lossy}, blocking again {g_block2}")
    check("publish: a blocking publisher holds the source up, a lossy one does not",
          g_lossy > 4 * max(g_block, g_block2, 1000), (g_block, g_lossy, g_block2))
    check("publish: blocking again: nothing lost", no_gaps(m4[len(m4) // 2:]) == 0, no_gaps(m4))
    stop(run, "lo")


# ---- record ----

def test_record(tmp):
    # in a process group: the set goes through the supervisor to the child
    yaml = f"""nodes:
  c: {{type: counter, settings: {{fs: 1000, channels: 1, chunk: 10, dtype: float64, count: 300}}}}
  rec:
    type: record
    process: disk
    settings: {{path: "{tmp}/a.ezr"}}
edges: [c -> rec]
"""
    open(os.path.join(tmp, "exists.ezr"), "w").write("x")
    run = start(tmp, "re", yaml)
    time.sleep(0.8)
    rc, msg = ezc_set("re/rec", f"path={tmp}/b.ezr")
    check("record: path=b.ezr taken", rc == 0 and msg == "re/rec: applied, state kept", msg)
    time.sleep(0.3)
    refused("record: the file being written", "re", "rec", {"path": f"{tmp}/./b.ezr"},
            "is the file being written")
    refused("record: an existing file", "re", "rec", {"path": f"{tmp}/exists.ezr"}, "exists.ezr")
    refused("record: a folder that is not there", "re", "rec", {"path": f"{tmp}/no/such/c.ezr"},
            "setting 'path'")
    time.sleep(0.3)
    r = ezc_control.set("re", "rec", path=f"{tmp}/c.ezr", topic="t2")
    check("record: path=c.ezr topic=t2 taken", r == {"applied": True, "state": "kept"}, r)
    status = run.wait(timeout=20)
    check("record: the graph ends by itself, exit 0", status == 0,
          open(os.path.join(tmp, "re.log")).read()[-600:])
    files = {}
    for f in ("a", "b", "c"):
        rec = ezc_recording.Recording(os.path.join(tmp, f + ".ezr"))
        files[f] = (rec.finished, [m.header["seq"] for m in rec],
                    [float(m.data[0, 0]) for m in rec], {str(m.topic) for m in rec})
    n = {f: len(v[1]) for f, v in files.items()}
    print(f"record: messages per file {n}")
    check("record: every file complete (index written)", all(v[0] for v in files.values()),
          {f: v[0] for f, v in files.items()})
    check("record: each file has some", all(k > 10 for k in n.values()), n)
    seqs = files["a"][1] + files["b"][1] + files["c"][1]
    check("record: each message in exactly one file, in order (seq 0..299)",
          seqs == list(range(300)), seqs)
    vals = files["a"][2] + files["b"][2] + files["c"][2]
    check("record: the data go on (counter: 10 x seq)", vals == [10.0 * s for s in range(300)], vals[:5])
    check("record: topic t2 in the last file only", "t2" in next(iter(files["c"][3])) and
          not any("t2" in t for t in files["a"][3] | files["b"][3]),
          (files["a"][3], files["c"][3]))
    check("record: the existing file untouched", open(os.path.join(tmp, "exists.ezr")).read() == "x", "")


# ---- synth_mi ----

def test_synth_mi(tmp):
    # no noise, no jitter: channel 3 (no class of its own) is amplitude * sin
    yaml = f"""nodes:
  eeg: {{type: synth_mi, settings: {{fs: 250, channels: 4, chunk: 25, noise: 0, jitter: 0, amplitude: 2}}}}
  cues: {{type: synth_mi, settings: {{output: events, fs: 250, channels: 4}}}}
  out: {{type: publish, settings: {{endpoint: "ipc://{tmp}/mi-out"}}}}
edges: [eeg -> out]
"""
    run = start(tmp, "mi", yaml)
    sub = ezc_wire.Subscriber(f"ipc://{tmp}/mi-out")
    a = take(sub, 10)
    rc, msg = ezc_set("mi/eeg", "amplitude=4")
    check("synth_mi: amplitude=4 taken", rc == 0 and msg == "mi/eeg: applied, state kept", msg)
    b = take(sub, 10)
    refused("synth_mi: fs", "mi", "eeg", {"fs": 500}, "synth_mi: setting 'fs' cannot change while it runs")
    refused("synth_mi: classes", "mi", "eeg", {"classes": ["a", "b", "c"]},
            "setting 'classes' cannot change")
    refused("synth_mi: erd out of range", "mi", "eeg", {"erd": 2},
            "synth_mi: setting 'erd' = 2: expected a fraction in [0, 1]")
    refused("synth_mi: not a setting", "mi", "eeg", {"gain": 2}, "unknown setting 'gain'")
    c = take(sub, 10)
    r = ezc_control.set("mi", "eeg", freq=20)
    check("synth_mi: freq=20 taken", r["applied"], r)
    d = take(sub, 12)
    t0 = time.monotonic()
    r = ezc_control.set("mi", "cues", amplitude=4)  # its next cue is up to 4 s away
    dt = time.monotonic() - t0
    check("synth_mi: the events node takes a set while it waits for its cue",
          r == {"applied": True, "state": "kept"} and dt < 0.5, (r, dt))

    def rms(msgs):
        return float(np.sqrt(np.mean(np.concatenate([m.data[:, 3] for m in msgs]) ** 2)))
    ra, rb, rc_ = rms(a[1:]), rms(b[1:]), rms(c)
    print(f"synth_mi ch3 rms: amplitude 2 {ra:.4f}, 4 {rb:.4f}, after refusals {rc_:.4f}")
    check("synth_mi: amplitude 2 -> 4 doubles the output", abs(rb / ra - 2) < 0.01, (ra, rb))
    check("synth_mi: refusals change nothing", abs(rc_ / rb - 1) < 0.01, (rb, rc_))
    x = np.concatenate([m.data[:, 3] for m in c + d]).astype(float)
    jump = float(np.abs(np.diff(x)).max())
    bound = 4 * 2 * np.pi * 20 / 250  # amplitude x the largest step of a 20 Hz sine
    check("synth_mi: a new freq keeps the phase (no jump)", jump <= bound * 1.001, (jump, bound))
    spec = np.abs(np.fft.rfft(np.concatenate([m.data[:, 3] for m in d[2:]])))
    f = np.fft.rfftfreq(25 * len(d[2:]), 1 / 250)
    check("synth_mi: the mu rhythm is at 20 Hz now", abs(f[spec.argmax()] - 20) < 0.5, f[spec.argmax()])
    allm = a + b + c + d
    check("synth_mi: no message lost (seq)", no_gaps(allm) == 0, [m.seq for m in allm])
    offs = [m.axes["time"]["offset"] for m in allm]
    check("synth_mi: the time axis goes on", {round((y - x) * 1000) for x, y in zip(offs, offs[1:])}
          == {100}, offs[:4])
    stop(run, "mi")


# ---- a slow paced source: a set for it or a node fused after it, answered at once ----

def test_slow_source(tmp):
    yaml = f"""nodes:
  sine: {{type: sine, settings: {{fs: 10, channels: 1, chunk: 20, dtype: float64}}}}
  bw: {{type: butterworth, settings: {{order: 2, cutoff: 3}}}}
  out: {{type: publish, settings: {{endpoint: "ipc://{tmp}/slow-out"}}}}
edges: [sine -> bw, bw -> out]
"""
    run = start(tmp, "sl", yaml)
    sub = ezc_wire.Subscriber(f"ipc://{tmp}/slow-out")
    take(sub, 1)  # a message every 2 s; the first went: every node is open
    for node, settings, want in (("bw", {"cutoff": 2}, None), ("out", {"lossy": True}, None),
                                 ("sine", {"amplitude": 2}, None),
                                 ("bw", {"cutoff": 6}, "below Nyquist")):
        t0 = time.monotonic()
        try:
            r = ezc_control.set_settings("sl", node, settings)
            got = r if r == {"applied": True, "state": "kept"} else f"not taken: {r}"
        except ezc_control.Refused as e:
            got = str(e)
        dt = time.monotonic() - t0
        ok = (got == {"applied": True, "state": "kept"}) if want is None else want in str(got)
        check(f"slow source: {node} {settings} answered within 0.3 s (messages 2 s apart)",
              ok and dt < 0.3, (got, round(dt, 3)))
    m = take(sub, 2)
    check("slow source: the stream goes on", no_gaps(m) == 0 and m[0].seq >= 1, [x.seq for x in m])
    stop(run, "sl")


# ---- subscribe ----

class Feeder(threading.Thread):
    """A Python publisher sending [[tag, i]] every 2 ms."""

    def __init__(self, endpoint, tag):
        super().__init__(daemon=True)
        self.pub = ezc_wire.Publisher(endpoint, first_wait_ms=0)
        self.tag, self.halt = tag, False

    def run(self):
        i = 0
        while not self.halt:
            self.pub.send(np.array([[self.tag, i]], dtype=np.float64), ["time", "ch"])
            i += 1
            time.sleep(0.002)
        self.pub.close()


def test_subscribe(tmp):
    fa, fb = Feeder(f"ipc://{tmp}/A", 1.0), Feeder(f"ipc://{tmp}/B", 2.0)
    fa.start()
    fb.start()
    env = dict(os.environ)
    pc = subprocess.Popen([EZC, "pub", "--name", "live/c", f"ipc://{tmp}/C", "--signal", "counter",
                           "--fs", "1000", "--chunk", "10", "--channels", "2", "--dtype", "float64"],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yaml = f"""nodes:
  s: {{type: subscribe, settings: {{endpoint: "ipc://{tmp}/A"}}}}
  out: {{type: publish, settings: {{endpoint: "ipc://{tmp}/sub-out"}}}}
edges: [s -> out]
"""
    run = start(tmp, "su", yaml)
    try:
        sub = ezc_wire.Subscriber(f"ipc://{tmp}/sub-out")
        a = take(sub, 100)
        rc, msg = ezc_set("su/s", f"endpoint=ipc://{tmp}/B")
        check("subscribe: endpoint=B taken", rc == 0 and msg == "su/s: applied, state kept", msg)
        b = take(sub, 150)
        refused("subscribe: a path nothing serves", "su", "s", {"endpoint": f"ipc://{tmp}/nothing"},
                "no publisher is bound there")
        refused("subscribe: an unknown stream", "su", "s", {"stream": "live/nosuch", "endpoint": ""},
                "no stream named 'live/nosuch'")
        refused("subscribe: both endpoint and stream", "su", "s", {"stream": "live/c"},
                "give one of 'endpoint' and 'stream', not both")
        refused("subscribe: a bad endpoint", "su", "s", {"endpoint": "nope://x"}, "nope://x")
        c = take(sub, 100)
        for _ in range(50):  # `ezc pub` registers its name; an empty value unsets one
            rc, msg = ezc_set("su/s", "stream=live/c", "endpoint=")
            if rc == 0:
                break
            time.sleep(0.1)
        check("subscribe: stream=live/c endpoint= taken", rc == 0 and msg == "su/s: applied, state kept",
              msg)
        d = take(sub, 60)
        st = {n["name"]: n for n in ezc_control.stats("su")["nodes"]}
        status = stop(run, "su")
        check("subscribe: run exits 0", status == 0, status)
    finally:
        fa.halt = fb.halt = True
        pc.terminate()
        pc.wait()
        if run.poll() is None:
            run.kill()
    msgs = a + b + c + d
    src = []  # (A, B or C, index)
    for m in msgs:
        if m.data.shape == (1, 2):
            src.append(("AB"[int(m.data[0, 0]) - 1], int(m.data[0, 1])))
        else:
            src.append(("C", int(m.data[0, 0])))
    order = "".join(s for s, _ in src)
    runs = [order[0]] + [y for x, y in zip(order, order[1:]) if y != x]
    check("subscribe: A, then B, then C: each switch once", runs == ["A", "B", "C"], runs)
    for k, step in (("A", 1), ("B", 1), ("C", 10)):
        idx = [i for s, i in src if s == k]
        check(f"subscribe: {k}'s messages all there, in order, from the first one taken",
              len(idx) > 10 and idx == list(range(idx[0], idx[0] + step * len(idx), step)),
              idx[:3] + idx[-3:])
    check("subscribe: no message lost out of the graph (seq)", no_gaps(msgs) == 0, no_gaps(msgs))
    check("subscribe: the node counts no drop", st["s"]["drops"] == 0, st["s"])


def test_subscribe_group(tmp):
    """A move to a stream (endpoint set to "") in a process group holds
    through a kill -9 of the group's child: the supervisor keeps the empty
    value too, so the new child does not find both endpoint and stream."""
    fa = Feeder(f"ipc://{tmp}/GA", 1.0)
    fa.start()
    pc = subprocess.Popen([EZC, "pub", "--name", "live/g", f"ipc://{tmp}/GC", "--signal", "counter",
                           "--fs", "1000", "--chunk", "10", "--channels", "2", "--dtype", "float64"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yaml = f"""nodes:
  s: {{type: subscribe, process: inp, restart: always, settings: {{endpoint: "ipc://{tmp}/GA"}}}}
  out: {{type: publish, process: inp, settings: {{endpoint: "ipc://{tmp}/grp-out"}}}}
edges: [s -> out]
"""
    run = start(tmp, "sg", yaml)
    try:
        sub = ezc_wire.Subscriber(f"ipc://{tmp}/grp-out")
        take(sub, 20, timeout_ms=8000)
        for _ in range(50):
            rc, msg = ezc_set("sg/s", "stream=live/g", "endpoint=")
            if rc == 0:
                break
            time.sleep(0.1)
        check("subscribe group: stream=live/g endpoint= relayed and taken", rc == 0, msg)
        ps = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(run.pid)], capture_output=True,
                            text=True).stdout.splitlines()
        child = [int(x.split()[0]) for x in ps if "--group inp" in x]
        check("subscribe group: its child", len(child) == 1, ps)
        if child:
            os.kill(child[0], 9)
        time.sleep(1.0)
        while sub.recv(timeout_ms=0) is not None:  # what came before the kill
            pass
        m = take(sub, 20, timeout_ms=8000)
        check("subscribe group: after the restart it reads the stream", all(x.data.shape == (10, 2)
              for x in m), [x.data.shape for x in m])
    finally:
        fa.halt = True
        pc.terminate()
        pc.wait()
        status = stop(run, "sg")
    log = open(os.path.join(tmp, "sg.log")).read()
    check("subscribe group: both settings kept for the new child",
          "group 'inp': 2 live settings kept from before its restart" in log and status == 0,
          (status, log[-800:]))


def main():
    h = subprocess.run([EZC, "set", "--help"], capture_output=True, text=True).stdout
    check("`ezc set --help` lists what each source and sink kind changes live",
          all(f"\n  {k} " in h for k in ("synth_mi", "subscribe", "print", "publish", "record")), h)
    with tempfile.TemporaryDirectory(prefix="ezc-control-live.") as tmp:
        os.environ["EZC_RUN_DIR"] = os.path.join(tmp, "run")
        for t in (test_print, test_publish, test_record, test_synth_mi, test_slow_source,
                  test_subscribe, test_subscribe_group):
            try:
                t(tmp)
            except Exception as e:  # one kind failing leaves the others to run
                check(f"{t.__name__} ran to its end", False, repr(e))
    finish("control_live")


if __name__ == "__main__":
    main()
