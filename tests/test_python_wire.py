"""test_python_wire.py — tools/python/ezc_wire.py as a user meets it:
its Publisher feeding `ezc echo`, `ezc pub` feeding its Subscriber, and
its decoder refusing malformed messages with the field named.
Usage: test_python_wire.py PATH_TO_EZC   (run by meson with /usr/bin/python3)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import ezc_wire  # noqa: E402

EZC = sys.argv[1]
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}: {detail}")


def python_pub_to_ezc_echo(tmp):
    pub = ezc_wire.Publisher(f"ipc://{tmp}/py")
    echo = subprocess.Popen([EZC, "echo", pub.endpoint, "--count", "3", "--timeout", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ok = pub.wait_subscribers(1, 10000)
    check("ezc echo subscribed", ok)
    for k in range(3):
        data = np.full((50, 4), -2.0 + k, dtype=np.float64)
        pub.send(data, ["time", "ch"], topic="py",
                 axes={"time": ezc_wire.linear_axis(0.002, 0.1 * k, "s"),
                       "ch": ezc_wire.coord_axis(labels=["a", "b", "c", "d"])},
                 key="pydev")
    out, err = echo.communicate(timeout=20)
    lines = [l for l in out.splitlines() if l.startswith("seq=")]
    check("echo got 3 messages", len(lines) == 3, out + err)
    check("echo exit 0", echo.returncode == 0, err)
    if len(lines) == 3:
        check("echo header", "topic=py key=pydev dtype=float64 shape=[50, 4] dims=[time, ch]" in lines[0],
              lines[0])
        check("echo fs from gain", "fs=500" in lines[0], lines[0])
        check("echo values", "min=-1 max=-1" in lines[1], lines[1])
        check("echo seq", lines[2].startswith("seq=2 "), lines[2])
    pub.close()


def ezc_pub_to_python_sub(tmp):
    ep = f"ipc://{tmp}/c"
    pub = subprocess.Popen([EZC, "pub", ep, "--channels", "3", "--chunk", "20", "--fs", "2000",
                            "--signal", "counter", "--dtype", "int32"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sub = ezc_wire.Subscriber(ep, topic="raw")
        msgs = []
        while len(msgs) < 5:
            m = sub.recv(timeout_ms=10000)
            check("message within 10 s", m is not None)
            if m is None:
                break
            msgs.append(m)
        if len(msgs) == 5:
            m = msgs[-1]
            check("dtype int32", m.data.dtype == np.int32, m.data.dtype)
            check("dims", m.dims == ["time", "ch"], m.dims)
            check("labels", m.axes["ch"]["labels"] == ["ch0", "ch1", "ch2"], m.axes)
            first = int(m.data[0, 0])
            want = np.repeat(np.arange(first, first + 20)[:, None], 3, axis=1)
            check("counter values", np.array_equal(m.data, want), m.data[:3])
            check("time offset = first sample / fs", abs(m.axes["time"]["offset"] - first / 2000) < 1e-12,
                  m.axes["time"])
            seqs = [x.seq for x in msgs]
            check("consecutive seq", seqs == list(range(seqs[0], seqs[0] + 5)), seqs)
            check("one publisher id", len({x.src for x in msgs}) == 1)
        sub.close()
    finally:
        pub.terminate()
        pub.wait(timeout=10)


def malformed():
    f = ezc_wire.encode(np.zeros((2, 3), np.float32), ["time", "ch"])
    header, data = bytes(f[1]), bytes(f[2])
    cases = [
        (lambda: ezc_wire.decode(header, data[:-1]), "data: frame has 23 bytes"),
        (lambda: ezc_wire.decode(b"\x93\x01\x02\x03", data), "header: expected a msgpack map"),
        (lambda: ezc_wire.decode(ezc_wire.msgpack.packb({"v": 1, "dtype": "float16", "shape": [1],
                                                         "dims": ["t"]}), b"\0\0"),
         "header.dtype: unknown dtype 'float16'"),
        (lambda: ezc_wire.decode(ezc_wire.msgpack.packb({"v": 1, "dtype": "uint8", "shape": [1, 1],
                                                         "dims": ["t", "t"]}), b"\0"),
         "header.dims[1]: duplicate dim 't'"),
        (lambda: ezc_wire.decode(ezc_wire.msgpack.packb({"v": 2, "dtype": "uint8", "shape": [1],
                                                         "dims": ["t"]}), b"\0"),
         "header.v: unsupported format version 2"),
        (lambda: ezc_wire.decode_frames([b"t", header]), "frames: expected 3"),
    ]
    for fn, want in cases:
        try:
            fn()
            check(f"refused: {want}", False, "accepted")
        except ezc_wire.WireError as e:
            check(f"refused: {want}", want in str(e), str(e))


with tempfile.TemporaryDirectory(prefix="ezc-pywire-") as tmp:
    python_pub_to_ezc_echo(tmp)
    ezc_pub_to_python_sub(tmp)
malformed()
print(f"python_wire: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
