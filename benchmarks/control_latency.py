#!/usr/bin/env python3
"""control_latency.py — `ezc set` to effect on one host (docs/performance.md).

Runs `ezc run` on a graph sine (fs FS, default 20 kHz, chunk 10: a message
every 500 us) -> clip -> publish, then N times: sends {"op": "set", clip max =
0.5 or 0.9} on the graph's control socket and times, from just before the
send, the first message out of the graph whose values obey the new max (the
first computed with the new settings). TARGET "synth" sets the source's
amplitude (0.5, 0.9) instead, clip then out of the way (max 2), and waits
for the first message whose max is within 10 % of it (the old amplitude's
are 45 % away). Also times the `ezc set` command itself (a process start
included). Prints p50/p99/max in microseconds.
Usage: control_latency.py PATH_TO_EZC [N [FS [TARGET]]]   (TARGET: clip, synth)"""
import os, random, subprocess, sys, tempfile, time
import numpy as np
import msgpack, zmq

ezc = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
fs = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
target = sys.argv[4] if len(sys.argv) > 4 else "clip"
assert target in ("clip", "synth"), target
setting = "max" if target == "clip" else "amplitude"
d = tempfile.mkdtemp(prefix="ezc-ctl-bench.")
env = dict(os.environ, EZC_RUN_DIR=d + "/run")
open(d + "/lat.yaml", "w").write(f"""nodes:
  synth: {{type: sine, settings: {{fs: {fs}, channels: 4, chunk: 10, freq: 1000, dtype: float64}}}}
  clip: {{type: clip, settings: {{min: -1, max: {0.9 if target == "clip" else 2}}}}}
  out: {{type: publish, settings: {{endpoint: "ipc://{d}/out"}}}}
edges:
  - synth -> clip
  - clip -> out
""")
run = subprocess.Popen([ezc, "run", d + "/lat.yaml", "--quiet"], env=env)
ctl = d + "/run/graphs/lat.ctl"
while not os.path.exists(ctl):
    time.sleep(0.05)
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(f"ipc://{d}/out")
req = ctx.socket(zmq.REQ)
req.connect("ipc://" + ctl)
time.sleep(0.5)

def drain():
    while sub.poll(0):
        sub.recv_multipart()

def data_max(frames):
    # the wire format: [topic, header(msgpack), data]; float64 data in the last frame
    return np.frombuffer(frames[-1], dtype=np.float64).max() if len(frames[-1]) else None

lat, rep = [], []
rng = random.Random(1)
for i in range(n):
    mx = 0.5 if i % 2 == 0 else 0.9
    drain()
    t0 = time.perf_counter_ns()
    req.send(msgpack.packb({"op": "set", "node": target, "settings": {setting: mx}}))
    while True:
        f = sub.recv_multipart()
        m = data_max(f)
        if m is not None and abs(m - mx) < (1e-12 if target == "clip" else 0.1 * mx):
            lat.append((time.perf_counter_ns() - t0) / 1e3)
            break
    r = msgpack.unpackb(req.recv())
    rep.append((time.perf_counter_ns() - t0) / 1e3)
    assert r["ok"] and r["applied"], r
    # 5 ms and a random part of one message period: a fixed pause would lock
    # the sends to one phase of the source's clock, and the run would
    # measure that phase's distance to the next message instead of all of them
    time.sleep(0.005 + rng.uniform(0, 10 / fs))
cli = []
for i in range(30):
    t0 = time.perf_counter_ns()
    subprocess.run([ezc, "set", f"lat/{target}", f"{setting}={0.5 if i % 2 == 0 else 0.9}"], env=env,
                   check=True, capture_output=True)
    cli.append((time.perf_counter_ns() - t0) / 1e3)
subprocess.run([ezc, "stop", "lat"], env=env, check=True)
run.wait()
lat, cli = np.array(lat), np.array(cli)
print(f"fs {fs}, {fs // 10} msg/s, set {target} {setting}: set -> first output with the new settings, {n} changes: p50 {np.percentile(lat, 50):.0f} us, "
      f"p99 {np.percentile(lat, 99):.0f} us, max {lat.max():.0f} us")
rep = np.array(rep)
print(f"  (the reply, sent once the node took it: p50 {np.percentile(rep, 50):.0f} us, "
      f"p99 {np.percentile(rep, 99):.0f} us)")
print(f"`ezc set` command, wall time, {len(cli)} runs: p50 {np.percentile(cli, 50)/1e3:.2f} ms, "
      f"p99 {np.percentile(cli, 99)/1e3:.2f} ms")
print(f"ezc run exit status {run.returncode}")
