#!/usr/bin/env python3
"""bench_dash.py — what the dashboard costs a graph (docs/performance.md).

The fastest stream we plot: a sine of 64 channels at 30 kHz in 1 ms chunks
(30 samples, float32), produced as fast as taken (realtime: false), through
scale to a named output. Graph throughput is the output node's messages/s
over MEASURE_S seconds (from its control-plane counters, after a warm-up),
measured ROUNDS times each, interleaved: without any subscriber, with `ezc
hz` on the stream (what any ordinary subscriber costs: the publisher then
really sends), and with ezc-dash running and one WebSocket client plotting
that stream (traces, 800 columns, 5 s; the frames it gets are counted).
Then the same at the stream's real pace (realtime: true, 1000 msg/s), where
the graph must keep up. Prints the medians and the ratios.
Usage: bench_dash.py EZC EZC_DASH [ROUNDS [MEASURE_S]]"""
import base64
import json
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ezc, dash = os.path.abspath(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else ""
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
measure_s = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
if not dash or not os.access(dash, os.X_OK):
    print("ezc-dash was not built: skipped")
    sys.exit(77)
dash = os.path.abspath(dash)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools",
                                "python"))
import ezc_control  # noqa: E402

tmp = tempfile.mkdtemp(prefix="ezc-bench-dash-")
os.environ["EZC_RUN_DIR"] = os.path.join(tmp, "run")
os.makedirs(os.environ["EZC_RUN_DIR"], mode=0o700)
graph = os.path.join(tmp, "dashbench.yaml")
yaml = ("""nodes:
  src:
    type: sine
    settings: {fs: 30000, channels: 64, chunk: 30, dtype: float32, realtime: REALTIME, freq: 3}
  gain:
    type: scale
    settings: {scale: 2}
  out:
    type: publish
    settings: {endpoint: "ipc://%s/out.sock"}
edges:
  - src -> gain
  - gain -> out
""" % tmp)


def ws_client(port, token, stream, stop, counter):
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: ezc-dash.v1\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    buf = buf.split(b"\r\n\r\n", 1)[1]
    msg = json.dumps({"op": "subscribe", "stream": stream, "window_s": 5,
                      "columns": 800}).encode()
    mask = os.urandom(4)
    s.sendall(struct.pack("!BBH", 0x81, 0x80 | 126, len(msg)) if len(msg) >= 126 else
              struct.pack("!BB", 0x81, 0x80 | len(msg)))
    s.sendall(mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            continue
        if not d:
            break
        buf += d
        while len(buf) >= 2:  # count whole binary frames
            n, pos = buf[1] & 127, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, pos = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, pos = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < pos + n:
                break
            if buf[0] & 15 == 2:
                counter[0] += 1
            buf = buf[pos + n:]
    s.close()


def one(mode, realtime):
    with open(graph, "w") as f:
        f.write(yaml.replace("REALTIME", "true" if realtime else "false"))
    run = subprocess.Popen([ezc, "run", graph, "--quiet"], cwd=tmp)
    dproc, stop, counter, th, hz = None, threading.Event(), [0], None, None
    try:
        for _ in range(300):
            try:
                ezc_control.stats("dashbench", timeout=0.2)
                break
            except Exception:
                time.sleep(0.02)
        if mode == "hz":
            hz = subprocess.Popen([ezc, "hz", "dashbench/out"], cwd=tmp,
                                  stdout=subprocess.DEVNULL)
        if mode == "dash":
            dproc = subprocess.Popen([dash, "--port", "0", "--quiet"], cwd=tmp,
                                     stdout=subprocess.PIPE, text=True)
            m = re.search(r":(\d+)/\?token=([0-9a-f]+)", dproc.stdout.readline())
            th = threading.Thread(target=ws_client, args=(int(m.group(1)), m.group(2),
                                                          "dashbench/out", stop, counter))
            th.start()
        time.sleep(1.5)  # warm-up: the subscriber attached, the plot running

        def out_messages():
            return [n for n in ezc_control.stats("dashbench")["nodes"]
                    if n["name"] == "out"][0]["messages"]
        f0, m0, t0 = counter[0], out_messages(), time.time()
        time.sleep(measure_s)
        m1, t1, f1 = out_messages(), time.time(), counter[0]
        return (m1 - m0) / (t1 - t0), (f1 - f0) / (t1 - t0)
    finally:
        stop.set()
        if th:
            th.join()
        for p in (dproc, hz):
            if p:
                p.terminate()
                p.wait()
        run.terminate()
        run.wait()


for realtime in (False, True):
    res = {"none": [], "hz": [], "dash": []}
    fps = []
    pace = "real time (1000 msg/s)" if realtime else "full speed"
    for r in range(rounds):
        for mode in res:
            rate, f = one(mode, realtime)
            res[mode].append(rate)
            if mode == "dash":
                fps.append(f)
        print(f"{pace} round {r + 1}: " + ", ".join(
            f"{m} {res[m][-1]:,.0f} msg/s" for m in res) + f" ({fps[-1]:.1f} frames/s plotted)",
            flush=True)
    med = {m: statistics.median(v) for m, v in res.items()}
    print(f"dash: 64 ch x 30 kHz float32 in 1 ms chunks at {pace}: graph throughput without a "
          f"subscriber {med['none']:,.0f} msg/s; with ezc hz {med['hz']:,.0f} "
          f"(ratio {med['hz'] / med['none']:.3f}); with ezc-dash plotting it "
          f"{med['dash']:,.0f} (ratio {med['dash'] / med['none']:.3f}, "
          f"{med['dash'] / med['hz']:.3f} of the hz run); median of {rounds} interleaved runs, "
          f"{statistics.median(fps):.1f} frames/s plotted", flush=True)
shutil.rmtree(tmp, ignore_errors=True)
