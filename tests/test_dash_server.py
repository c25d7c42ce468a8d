#!/usr/bin/env python3
"""test_dash_server.py — ezc-dash (docs/dashboard.md) against real processes.

`ezc run` runs a sine (amplitude 2) through scale (1.5) to a named output;
`ezc-dash --port 0` serves it. A minimal WebSocket client written here
(raw socket: handshake, masked client frames) checks the protocol: hello,
the graphs list with growing counters, plot frames whose min/max are the
sine's amplitude (3.0, then 1.0 after a live set) within 1e-6 at <= 30
frames/s, a node's schema, a refused set with its validation message,
a recording written and readable, a stop shown as "stopped", a stream
published faster than real time whose frames count what the plot skipped
(missed > received; 0 missed at real time). Then hostile
clients: no or a wrong token, a foreign Origin, 20 tabs at once, tabs that
vanish or never read, malformed HTTP and WebSocket input; a healthy tab
must keep getting frames throughout. Then SIGTERM: exit 0 within 2 s,
no `ezc record` child left, its file finished; and `ezc run --dash`.
Usage: test_dash_server.py EZC EZC_DASH   (EZC_DASH empty: not built, skip)"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

ezc = os.path.abspath(sys.argv[1])
dash = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else ""
if not dash or not os.access(dash, os.X_OK):
    print("ezc-dash was not built (libwebsockets missing): skipped")
    sys.exit(77)
sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_ws import WS, WSClosed, decode  # noqa: E402

fails = 0


def check(what, ok, detail=""):
    global fails
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        fails += 1


def http(port, raw, timeout=3.0):
    """Sends raw bytes, returns the status code of the reply (0: none)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        buf = b""
        while b"\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except (socket.timeout, ConnectionError):
        buf = b""
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", buf)
    return int(m.group(1)) if m else 0


def minmax(frame):
    v = frame["values"].reshape(frame["rows"], frame["cols"], 2)
    return float(np.nanmin(v[:, :, 0])), float(np.nanmax(v[:, :, 1]))


tmp = tempfile.mkdtemp(prefix="ezc-dash-test-")
env = dict(os.environ)
env["EZC_RUN_DIR"] = os.path.join(tmp, "run")
os.makedirs(env["EZC_RUN_DIR"], mode=0o700)
with open(os.path.join(tmp, "dtest.yaml"), "w") as f:
    f.write("""nodes:
  sine:
    type: sine
    settings: {fs: 1000, channels: 2, chunk: 20, freq: 5, amplitude: 2, dtype: float64}
  gain:
    type: scale
    settings: {scale: 1.5}
  out:
    type: publish
    settings: {endpoint: "ipc://%s/out.sock"}
edges:
  - sine -> gain
  - gain -> out
""" % tmp)
run = subprocess.Popen([ezc, "run", os.path.join(tmp, "dtest.yaml"), "--quiet"], env=env,
                       cwd=tmp, stderr=open(os.path.join(tmp, "run.log"), "w"))
proc = subprocess.Popen([dash, "--port", "0", "--quiet"], env=env, cwd=tmp,
                        stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "dash.log"), "w"),
                        text=True)
line = proc.stdout.readline()
m = re.fullmatch(r"ezc dash: http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]{32})\n", line)
check("the URL line", m is not None, repr(line))
if not m:
    run.kill()
    proc.kill()
    sys.exit(1)
port, token = int(m.group(1)), m.group(2)
time.sleep(2.3)  # the graph fills a 2 s window

try:
    # ---- static files ----
    www = os.environ.get("EZC_DASH_WWW") or os.path.join(
        os.environ.get("EZC_SOURCE_DIR", "."), "tools", "dash", "www")
    has_page = os.path.exists(os.path.join(www, "index.html"))
    st = http(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    check("GET / serves the page", st == 200 or not has_page, st)
    for path in (b"/nope", b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/www/app.js",
                 b"/index.html.bak", b"/app.js/"):
        st = http(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        check(f"GET {path.decode()} refused", st in (403, 404, 400), st)

    # ---- hello, graphs ----
    ws = WS(port, token)
    check("upgrade with the token", ws.status == 101, ws.status)
    hello = ws.recv_until(lambda m: m["type"] == "hello")
    check("hello", hello.get("version") == 1 and hello.get("pid") == proc.pid, hello)
    g1 = ws.recv_until(lambda m: m["type"] == "graphs" and any(
        g["name"] == "dtest" for g in m["graphs"]), 5)
    g2 = ws.recv_until(lambda m: m["type"] == "graphs", 3)
    d1 = {n["name"]: n for g in g1["graphs"] if g["name"] == "dtest" for n in g["nodes"]}
    d2 = {n["name"]: n for g in g2["graphs"] if g["name"] == "dtest" for n in g["nodes"]}
    gd = [g for g in g2["graphs"] if g["name"] == "dtest"][0]
    check("graphs: the graph's nodes", set(d2) == {"sine", "gain", "out"}, d2.keys())
    check("graphs: messages grow", d2["gain"]["messages"] > d1["gain"]["messages"] > 0,
          (d1["gain"]["messages"], d2["gain"]["messages"]))
    check("graphs: running, pid, types, edges",
          gd["state"] == "running" and gd["pid"] == run.pid and d2["gain"]["type"] == "scale"
          and {(e["from"], e["to"]) for e in gd["edges"]} == {("sine", "gain"), ("gain", "out")},
          gd)
    check("graphs: the output's stream", d2["out"]["stream"] == "dtest/out", d2["out"])
    streams = ws.recv_until(lambda m: m["type"] == "streams" and m["streams"], 3)
    check("streams lists dtest/out", any(s["name"] == "dtest/out" and s["recording"] is None
                                         for s in streams["streams"]), streams)

    # ---- plot frames ----
    ws.send_json({"op": "subscribe", "stream": "dtest/out", "window_s": 2, "columns": 200})
    fr = ws.frames(3.0)
    check("subscribe: frames arrive", len(fr) >= 20, len(fr))
    check("at most 30 frames/s", len(fr) <= 3 * 30 + 2, len(fr))
    if fr:
        f = fr[-1]
        mn, mx = minmax(f)
        check("frame header", f["stream"] == "dtest/out" and f["mode"] == "traces"
              and f["rows"] == 2 and f["cols"] == 200 and len(f["values"]) == 2 * 200 * 2
              and f["labels"] == ["ch0", "ch1"] and abs(f["dx"] - 0.01) < 1e-12
              and -2.0 <= f["x0"] < -1.98 and f["unit"] == "s"
              and 0 < f["sent_ns"] - f["src_ts_ns"] < 5e9
              and f["received"] > 0 and f["missed"] == 0, {k: v for k, v in f.items()
                                                           if k != "values"})
        check("min/max = the amplitude 3 within 1e-6", abs(mx - 3) < 1e-6 and abs(mn + 3) < 1e-6,
              (mn, mx))
        seqs = [f["seq"] for f in fr]
        check("seq counts up", seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs[:10])

    # ---- schema, set ----
    ws.send_json({"op": "schema", "graph": "dtest", "node": "gain"})
    sc = ws.recv_until(lambda m: m["type"] in ("schema", "error") or
                       (m["type"] == "result" and m.get("op") == "schema"))
    sv = {s["name"]: s for s in sc.get("settings", [])}
    check("schema of the scale node", sc["type"] == "schema" and sc["node_type"] == "scale"
          and sv.get("scale", {}).get("value") == "1.5" and sv["scale"]["type"] == "float"
          and sv["scale"]["default"] is not None, sc)
    ws.send_json({"op": "set", "id": 7, "graph": "dtest", "node": "gain",
                  "settings": {"scale": "abc"}})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == 7, 5)
    check("invalid set refused with the validation message",
          r["ok"] is False and "setting 'scale' = 'abc': expected a number" in r["error"], r)
    ws.send_json({"op": "set", "id": 8, "graph": "dtest", "node": "gain",
                  "settings": {"scale": 0.5}})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == 8, 5)
    check("set scale=0.5 accepted", r["ok"] is True, r)
    time.sleep(2.3)  # the window fills with the new amplitude
    fr = ws.frames(0.5)
    mn, mx = minmax(fr[-1]) if fr else (0, 0)
    check("the plot follows the set: amplitude 1 within 1e-6",
          abs(mx - 1) < 1e-6 and abs(mn + 1) < 1e-6, (mn, mx))
    ws.send_json({"op": "schema", "graph": "dtest", "node": "gain"})
    sc = ws.recv_until(lambda m: m["type"] == "schema")
    check("schema shows the value in force", {s["name"]: s["value"] for s in sc["settings"]}
          .get("scale") in ("0.5", "0.50000000000000000"), sc)

    # ---- record ----
    ws.send_json({"op": "record", "id": "r1", "stream": "dtest/out", "on": True})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == "r1", 5)
    path = r.get("path") or ""
    check("record on", r["ok"] is True and path.endswith(".ezr") and path.startswith(tmp), r)
    st = ws.recv_until(lambda m: m["type"] == "streams" and any(
        s["recording"] for s in m["streams"]), 3)
    check("streams shows the recording", any(s["name"] == "dtest/out" and s["recording"] == path
                                             for s in st["streams"]), st)
    time.sleep(1.5)
    ws.send_json({"op": "record", "id": "r2", "stream": "dtest/out", "on": False})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == "r2", 5)
    check("record off", r["ok"] is True and r["path"] == path, r)
    ws.send_json({"op": "record", "id": "r3", "stream": "dtest/out", "on": False})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == "r3", 5)
    check("record off twice refused", r["ok"] is False and "not being recorded" in r["error"], r)
    n_rec, shape, err, finished = 0, None, None, False
    for _ in range(50):  # the recorder writes its index on SIGINT
        time.sleep(0.1)
        try:
            from ezc_recording import Recording
            rec = Recording(path)
            n_rec = len(rec)
            shape = list(rec[0].data.shape) if n_rec else None
            finished = rec.finished
            rec.close()
            if finished:
                break
        except Exception as e:  # not finished yet
            err = e
    check("the recording reads back with messages and its index",
          n_rec > 20 and shape == [20, 2] and finished, (n_rec, shape, finished, path, err))
    rp = subprocess.run([ezc, "replay", path, "ipc://%s/replay.sock" % tmp, "--wait", "0",
                         "--fast", "--quiet"], env=env, capture_output=True, text=True, timeout=30)
    check("ezc replay reads it", rp.returncode == 0, rp.stderr)

    # ---- hostile: tokens, origin ----
    for what, tok, origin in (("no token", None, None), ("wrong token", "0" * 32, None),
                              ("token prefix", token[:31], None),
                              ("foreign Origin", token, "http://evil.example:80")):
        w = WS(port, tok, origin=origin)
        check(f"{what} -> 403", w.status == 403, w.status)
        w.close()
    w = WS(port, token, origin="http://127.0.0.1:%d" % port)
    check("same-host Origin accepted", w.status == 101, w.status)
    w.close()

    # ---- 20 tabs at once ----
    tabs = [WS(port, token) for _ in range(20)]
    for t in tabs:
        t.send_json({"op": "subscribe", "stream": "dtest/out", "window_s": 1, "columns": 100})
    got = [len(t.frames(1.5)) for t in tabs]
    check("20 tabs all get frames", all(n >= 10 for n in got), got)
    for t in tabs:
        t.close()

    # ---- vanishing and silent tabs, malformed input; a healthy tab throughout ----
    healthy = WS(port, token)
    healthy.send_json({"op": "subscribe", "stream": "dtest/out", "window_s": 1, "columns": 64})
    healthy_frames = []
    stop_reader = threading.Event()

    def read_healthy():
        while not stop_reader.is_set():
            try:
                healthy.s.settimeout(0.2)
                m = decode(*healthy.recv())
                if m["type"] == "frame":
                    healthy_frames.append(time.time())
            except socket.timeout:
                continue
            except Exception:
                break
    reader = threading.Thread(target=read_healthy, daemon=True)
    reader.start()

    gone = WS(port, token)
    gone.send_json({"op": "subscribe", "stream": "dtest/out", "window_s": 5, "columns": 4096})
    time.sleep(0.3)
    gone.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    gone.close()  # reset, no close frame
    silent = WS(port, token)
    silent.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    silent.send_json({"op": "subscribe", "stream": "dtest/out", "window_s": 60,
                      "columns": 4096})
    t0 = time.time()
    loris = socket.create_connection(("127.0.0.1", port))
    loris.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    bad_http = [b"\x00\xff garbage \x16\x03\x01" * 100, b"GET / HTTP/1.1\r\nX: " + b"a" * 100000
                + b"\r\n\r\n", b"BREW /pot HTCPCP/1.0\r\n\r\n", b"GET\r\n\r\n",
                b"GET /ws?token=" + token.encode() + b" HTTP/1.1\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"]
    for raw in bad_http:
        try:
            http(port, raw, timeout=2)
        except OSError:
            pass
    replies = {}
    cases = [
        ("bad opcode", lambda w: w.send_frame(b"xx", opcode=3), False),
        ("unmasked client frame", lambda w: w.send_frame(b'{"op":"unsubscribe"}', mask=False),
         False),
        ("length that lies", lambda w: w.send_frame(b"short", length=1000), False),
        ("length 2^63", lambda w: w.s.sendall(b"\x81\xff\x7f" + b"\xff" * 7 + b"abcd"), False),
        ("oversize 1 MB text", lambda w: w.send_frame("x" * (1 << 20)), True),
        ("invalid UTF-8", lambda w: w.send_frame(b'{"op":"\xff\xfe"}'), False),
        ("invalid JSON", lambda w: w.send_frame(b'{"op": subscribe'), True),
        ("nested 10,000 deep", lambda w: w.send_frame("[" * 10000 + "]" * 10000), True),
        ("unknown op", lambda w: w.send_json({"op": "launch"}), True),
        ("binary request", lambda w: w.send_frame(b"\x01\x02", opcode=2), True),
        ("bad subscribe", lambda w: w.send_json({"op": "subscribe", "stream": "//x",
                                                 "columns": 1e9}), True),
    ]
    for what, act, replies_error in cases:
        w = WS(port, token)
        try:
            act(w)
            if replies_error:
                e = w.recv_until(lambda m: m["type"] == "error", 5)
                replies[what] = e["error"]
        except (WSClosed, OSError, TimeoutError) as e:
            if replies_error:
                replies[what] = f"no error reply: {e!r}"
        w.close()
    check("oversize request refused", "at most 65536 bytes" in replies.get("oversize 1 MB text", ""),
          replies)
    check("invalid JSON refused", replies.get("invalid JSON", "").startswith("JSON:"), replies)
    check("deep nesting refused", "nested deeper than" in replies.get("nested 10,000 deep", ""),
          replies)
    check("unknown op refused", "unknown op 'launch'" in replies.get("unknown op", ""), replies)
    check("binary request refused", "text" in replies.get("binary request", ""), replies)
    check("bad subscribe refused", "subscribe" in replies.get("bad subscribe", ""), replies)
    while time.time() - t0 < 5.5:  # the silent tab has not read for 5 s
        time.sleep(0.1)
    n_before = len(healthy_frames)
    time.sleep(1.0)
    n_after = len(healthy_frames)
    check("the healthy tab kept getting frames throughout",
          len(healthy_frames) >= 100 and n_after - n_before >= 15,
          (len(healthy_frames), n_after - n_before))
    gaps = np.diff(healthy_frames) if len(healthy_frames) > 1 else [99]
    check("no stall over 1 s for the healthy tab", max(gaps) < 1.0, max(gaps))
    # The silent tab reads now. Frames due while its socket was full were
    # skipped, so its backlog is what the socket buffers held (~64 frames
    # of 64 KB here), not the ~150 made in 5 s; then it draws fresh ones.
    backlog, lag, end = 0, 99.0, time.time() + 15
    while time.time() < end:
        silent.s.settimeout(1.0)
        try:
            m = decode(*silent.recv())
        except (socket.timeout, WSClosed, OSError):
            break
        if m["type"] == "frame":
            lag = (time.time_ns() - m["sent_ns"]) / 1e9
            if lag < 0.3:
                break
            backlog += 1
    check("the silent tab skipped frames, then caught up", backlog < 120 and lag < 0.3,
          (backlog, lag))
    loris.close()
    silent.close()
    stop_reader.set()
    reader.join()

    # ---- 64 connections at most ----
    healthy.close()
    time.sleep(0.3)
    many = [WS(port, token) for _ in range(64)]  # with `ws`: 65
    codes = [w.status for w in many]
    check("64 connections taken, the 65th refused (503)",
          codes.count(101) == 63 and codes[-1] == 503, codes)
    for w in many:
        w.close()

    # ---- stop the graph from the page ----
    ws.send_json({"op": "stop", "id": 9, "graph": "dtest"})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == 9, 5)
    check("stop accepted", r["ok"] is True, r)
    rc = run.wait(10)
    check("the graph exits 0", rc == 0, rc)
    g = ws.recv_until(lambda m: m["type"] == "graphs" and any(
        x["name"] == "dtest" and x["state"] == "stopped" for x in m["graphs"]), 5)
    check("the graph shows as stopped", True, g)

    # ---- faster than real time: the plot reads part, and says what it skips ----
    fast = subprocess.Popen([ezc, "pub", "--name", "dfast", "--channels", "64", "--chunk", "100",
                             "--fast"], env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    ws.send_json({"op": "subscribe", "stream": "dfast", "window_s": 2, "columns": 200})
    fr = [f for f in ws.frames(3.0) if f["stream"] == "dfast"]
    last = {k: v for k, v in fr[-1].items() if k != "values"} if fr else {}
    check("faster than real time: frames come, and count what the plot skipped",
          len(fr) >= 10 and last["received"] > 0 and last["missed"] > last["received"], last)
    fast.kill()
    fast.wait()
    ws.send_json({"op": "unsubscribe"})

    # ---- SIGTERM: a clean exit, no recorder left ----
    pub = subprocess.Popen([ezc, "pub", "--name", "dtest2", "--channels", "2", "--fs", "1000"],
                           env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    ws.send_json({"op": "record", "id": "r4", "stream": "dtest2", "on": True})
    r = ws.recv_until(lambda m: m["type"] == "result" and m.get("id") == "r4", 5)
    time.sleep(1.0)
    kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True,
                          text=True).stdout.split()
    check("a recorder child runs", r["ok"] is True and len(kids) == 1, (r, kids))
    ws.close()
    t = time.time()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.time() - t
    check("SIGTERM: exit 0 within 2 s", rc == 0 and took < 2, (rc, took))
    time.sleep(0.2)
    left = [k for k in kids if os.path.exists(f"/proc/{k}") and
            "record" in open(f"/proc/{k}/cmdline").read()]
    check("no ezc record left behind", not left, left)
    try:
        from ezc_recording import Recording
        rec = Recording(r["path"])
        n4 = (len(rec), rec.finished)
        rec.close()
    except Exception as e:
        n4 = repr(e)
    check("the recorder stopped cleanly: its file has messages and its index",
          isinstance(n4, tuple) and n4[0] > 0 and n4[1] is True, n4)
    pub.terminate()
    pub.wait()

    # ---- ezc run --dash: the URL line, the dashboard ends with the run ----
    r = subprocess.run([ezc, "run", os.path.join(tmp, "dtest.yaml"), "--dash", "--dash-port",
                        "0", "--duration", "2", "--quiet"], env=env, cwd=tmp,
                       capture_output=True, text=True, timeout=20)
    m = re.search(r"^ezc dash: http://127\.0\.0\.1:(\d+)/\?token=[0-9a-f]{32}$", r.stdout, re.M)
    check("ezc run --dash: URL line, exit 0", r.returncode == 0 and m is not None,
          (r.returncode, r.stdout, r.stderr[-500:]))
    if m:
        try:
            socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=1).close()
            gone = False
        except OSError:
            gone = True
        check("ezc run --dash: the dashboard ended with the run", gone)
finally:
    for p in (run, proc):
        if p.poll() is None:
            p.kill()
            p.wait()
    if fails:
        for log in ("run.log", "dash.log"):
            print(f"--- {log}:\n" + open(os.path.join(tmp, log)).read()[-3000:])

print(f"{fails} failure(s)")
if not fails:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if fails else 0)
