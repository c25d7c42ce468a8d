"""test_python_wire.py — tools/python/ezc_wire.py as a user meets it:
its Publisher feeding `ezc echo`, `ezc pub` feeding its Subscriber, and
its decoder refusing malformed messages with the field named; the
README's Python snippet run as written (endpoints aside) against ezc
processes, its first message arriving; a zero-row array both ways; ipc
endpoints shared with ezc's ownership rule; end of stream both ways
(encode_eos/decode, `ezc pub --count`'s marker); and `import ezc_wire` naming
what to install when numpy, pyzmq or msgpack is missing.
Usage: test_python_wire.py PATH_TO_EZC   (run by meson with /usr/bin/python3)
"""
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import ezc_wire  # noqa: E402

EZC = sys.argv[1]




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
        # int64 would wrap 2^32 x 2^32 to 0 and take the empty frame
        (lambda: ezc_wire.decode(ezc_wire.msgpack.packb({"v": 1, "dtype": "uint8",
                                                         "shape": [1 << 32, 1 << 32],
                                                         "dims": ["a", "b"]}), b""),
         "header.shape: more than 2^40 elements"),
        (lambda: ezc_wire.decode(ezc_wire.msgpack.packb({"v": 1, "dtype": "uint8",
                                                         "shape": [(1 << 40) + 1, 0],
                                                         "dims": ["a", "b"]}), b""),
         "header.shape[0]: 1099511627777 is over 2^40"),
        (lambda: ezc_wire.decode(ezc_wire.msgpack.packb({"v": 1, "dtype": "uint8", "shape": [True],
                                                         "dims": ["a"]}), b"\0"),
         "header.shape[0]: expected a non-negative integer"),
    ]
    for fn, want in cases:
        try:
            fn()
            check(f"refused: {want}", False, "accepted")
        except ezc_wire.WireError as e:
            check(f"refused: {want}", want in str(e), str(e))


def end_of_stream(tmp):
    """encode_eos/decode agree with each other and with `ezc pub --count`'s
    marker; malformed markers are refused with the field named."""
    m = ezc_wire.decode_frames(ezc_wire.encode_eos("t", src=5, seq=9, ts_ns=7))
    check("eos decodes as EndOfStream",
          m.eos and (m.topic, m.src, m.seq, m.ts_ns) == ("t", 5, 9, 7), repr(m))
    f = ezc_wire.encode(np.zeros((1,), np.uint8), ["t"])
    check("a message is no eos", not ezc_wire.decode(f[1], f[2]).eos)
    pk = ezc_wire.msgpack.packb
    for header, data, want in (
            ({"v": 1, "eos": True}, b"\0", "data: an end-of-stream marker has an empty data frame"),
            ({"v": 1, "eos": 1}, b"", "header.eos: expected true or false"),
            ({"eos": True}, b"", "header.v: missing"),
            ({"v": 1, "eos": True, "data": "cuda_ipc"}, b"", "carries no data")):
        try:
            ezc_wire.decode(pk(header), data)
            check(f"eos refused: {want}", False, "accepted")
        except ezc_wire.WireError as e:
            check(f"eos refused: {want}", want in str(e), str(e))
    ep = f"ipc://{tmp}/eos"
    sub = ezc_wire.Subscriber(ep)
    pub = subprocess.run([EZC, "pub", ep, "--count", "3", "--fast", "--first-wait", "5000"],
                         capture_output=True, text=True, timeout=60)
    check("ezc pub --count 3 exits 0", pub.returncode == 0, pub.stderr)
    got = [sub.recv(timeout_ms=10000) for _ in range(4)]
    sub.close()
    check("3 messages, then the end",
          all(x is not None for x in got) and [x.eos for x in got] == [False] * 3 + [True],
          repr(got))
    if all(x is not None for x in got):
        check("the end's seq counts the messages", got[3].seq == 3 and got[3].topic == "raw",
              repr(got[3]))
        check("the end comes from the same publisher", got[3].src == got[0].src, repr(got))


SRC = os.environ.get("EZC_SOURCE_DIR", ".")


def echo_lines(proc):
    out, err = proc.communicate(timeout=20)
    return [l for l in out.splitlines() if l.startswith("seq=")], out + err


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_socket(path):
    for _ in range(100):
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def readme_snippet(tmp):
    """The README's Python block, run by this interpreter from the source
    tree; only its two endpoints are replaced by private ones."""
    readme = open(os.path.join(SRC, "README.md")).read()
    m = re.search(r"```python\n(.*?)```", readme, re.S)
    check("README has a python block", m is not None)
    if not m:
        return
    code = m.group(1)
    sub_ep, pub_ep = "ipc:///tmp/ezc-demo-abs", "tcp://127.0.0.1:5561"
    check("README snippet endpoints", sub_ep in code and pub_ep in code, code)
    mine_sub, mine_pub = f"ipc://{tmp}/demo-abs", f"tcp://127.0.0.1:{free_tcp_port()}"
    code = code.replace(sub_ep, mine_sub).replace(pub_ep, mine_pub)
    # What the README says to run beside it: the demo graph's publisher and an echo.
    graph = open(os.path.join(SRC, "configs", "demo_abs.yaml")).read()
    check("demo graph publishes on the README's endpoint", sub_ep in graph)
    with open(f"{tmp}/demo.yaml", "w") as f:
        f.write(graph.replace(sub_ep, mine_sub))
    run = subprocess.Popen([EZC, "run", f"{tmp}/demo.yaml", "--quiet"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    echo = subprocess.Popen([EZC, "echo", mine_pub, "--count", "1", "--timeout", "15"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        check("demo graph bound", wait_socket(mine_sub[6:]))
        time.sleep(1)  # echo is up and retrying its connect before the snippet binds
        r = subprocess.run([sys.executable, "-c", code], cwd=SRC, capture_output=True, text=True,
                           timeout=30)
        check("README snippet exits 0", r.returncode == 0, r.stdout + r.stderr)
        check("README snippet prints dims and shape",
              r.stdout.startswith("['time', 'ch'] (50, 4) {'kind': 'linear'"), r.stdout + r.stderr)
        lines, text = echo_lines(echo)
        check("echo got the snippet's first and only message", len(lines) == 1 and
              lines[0].startswith("seq=0 ") and "shape=[100, 8] dims=[time, ch]" in lines[0]
              and "fs=1000" in lines[0], text)
    finally:
        for p in (echo, run):
            if p.poll() is None:
                p.terminate()
            p.wait(timeout=15)


def empty_array(tmp):
    """A [0, 8] array goes out of Python, through ezc, and decodes again."""
    frames = ezc_wire.encode(np.zeros((0, 8), np.float32), ["time", "ch"], topic="e")
    check("empty data frame", len(bytes(frames[2])) == 0)
    m = ezc_wire.decode_frames(frames)
    check("empty decodes", m.data.shape == (0, 8) and m.data.dtype == np.float32, repr(m))
    m = ezc_wire.decode(ezc_wire.encode_header(np.zeros((0, 3)), ["a", "b"])
                        .replace(b"\x92\x00\x03", b"\x92\xcf" + (1 << 40).to_bytes(8, "big") + b"\x00"), b"")
    check("[2^40, 0] is legal and empty", m.data.shape == (1 << 40, 0), repr(m))
    ep = f"ipc://{tmp}/empty"
    echo = subprocess.Popen([EZC, "echo", ep, "--count", "2", "--timeout", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)  # echo is up and retrying its connect before the bind
    pub = ezc_wire.Publisher(ep)
    pub.send(np.zeros((0, 8), np.float32), ["time", "ch"], topic="e")
    pub.send(np.ones((0, 2, 3), np.complex64), ["time", "ch", "f"], topic="e")
    lines, text = echo_lines(echo)
    check("ezc got both empty arrays", len(lines) == 2, text)
    if len(lines) == 2:
        check("ezc decodes [0, 8]", lines[0].startswith("seq=0 ") and
              "dtype=float32 shape=[0, 8] dims=[time, ch]" in lines[0], lines[0])
        check("ezc decodes [0, 2, 3] complex",
              "dtype=complex64 shape=[0, 2, 3] dims=[time, ch, f]" in lines[1], lines[1])
    pub.close()
    # ... and back: a node asked to keep empty results (by default they stay
    # in the node, as graph outputs do) passes one to a Python subscriber.
    node_in, node_out = f"ipc://{tmp}/ein", f"ipc://{tmp}/eout"
    node = subprocess.Popen([EZC, "node", "abs", "--in", node_in, "--out", node_out, "--count", "1",
                             "--keep-empty"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sub = ezc_wire.Subscriber(node_out)
    pub = ezc_wire.Publisher(node_in)
    pub.wait_subscribers(1, 10000)
    pub.send(np.zeros((0, 8), np.float64), ["time", "ch"])
    m = sub.recv(timeout_ms=10000)
    check("empty array through ezc node", m is not None and m.data.shape == (0, 8)
          and m.dims == ["time", "ch"], repr(m))
    node.wait(timeout=15)
    sub.close()
    pub.close()


def ipc_ownership(tmp):
    """Python publishers follow ezc's rule for ipc endpoints, both ways."""
    path = f"{tmp}/own"
    ep = "ipc://" + path
    pub = ezc_wire.Publisher(ep)
    check("python socket file 0600", stat.S_IMODE(os.lstat(path).st_mode) == 0o600,
          oct(os.lstat(path).st_mode))
    r = subprocess.run([EZC, "pub", ep, "--count", "1"], capture_output=True, text=True, timeout=20)
    want = f"{ep}: in use by pid {os.getpid()} (lock {path}.lock)"
    check("ezc pub refused on a python endpoint", r.returncode == 1 and want in r.stderr, r.stderr)
    try:
        ezc_wire.Publisher(ep)
        check("second python publisher refused", False, "accepted")
    except ezc_wire.EndpointInUse as e:
        check("second python publisher refused", want in str(e), str(e))
    pub.close()
    check("python close removes socket and lock",
          not os.path.exists(path) and not os.path.exists(path + ".lock"), os.listdir(tmp))
    cpub = subprocess.Popen([EZC, "pub", ep], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        check("ezc pub bound", wait_socket(path))
        ino = os.lstat(path).st_ino
        try:
            ezc_wire.Publisher(ep)
            check("python refused on an ezc endpoint", False, "accepted")
        except ezc_wire.EndpointInUse as e:
            check("python refused on an ezc endpoint", f"in use by pid {cpub.pid}" in str(e), str(e))
        check("ezc's socket file untouched", os.lstat(path).st_ino == ino)
    finally:
        cpub.terminate()
        cpub.wait(timeout=10)
    # A live program without the lock is not taken over either.
    raw = socket.socket(socket.AF_UNIX)
    raw.bind(path)
    raw.listen(4)
    try:
        ezc_wire.Publisher(ep)
        check("python refused on a lockless listener", False, "accepted")
    except ezc_wire.EndpointInUse as e:
        check("python refused on a lockless listener",
              f"in use by pid {os.getpid()} (it holds no {path}.lock)" in str(e), str(e))
    raw.close()
    check("lockless listener's file kept", stat.S_ISSOCK(os.lstat(path).st_mode))
    # Once nobody listens, the leftover socket file is reclaimed.
    os.unlink(path)
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
    pub = ezc_wire.Publisher(ep)
    check("stale file reclaimed", stat.S_ISSOCK(os.lstat(path).st_mode))
    pub.close()


def import_errors():
    """import ezc_wire without one of its modules says what to install."""
    for mod, shown in (("numpy", "numpy"), ("zmq", "zmq (pyzmq)"), ("msgpack", "msgpack")):
        code = (f"import sys; sys.modules[{mod!r}] = None; "
                f"sys.path.insert(0, {os.path.join(SRC, 'tools', 'python')!r}); import ezc_wire")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        want = (f"ImportError: ezc_wire needs numpy, pyzmq and msgpack; {shown} is missing for "
                f"{sys.executable}. On Debian use /usr/bin/python3 with `apt install "
                f"python3-numpy python3-zmq python3-msgpack`")
        check(f"import without {mod}", r.returncode == 1 and last.startswith(want), r.stderr)


with tempfile.TemporaryDirectory(prefix="ezc-pywire-") as tmp:
    python_pub_to_ezc_echo(tmp)
    ezc_pub_to_python_sub(tmp)
    readme_snippet(tmp)
    empty_array(tmp)
    ipc_ownership(tmp)
    end_of_stream(tmp)
import_errors()
malformed()
finish("python_wire")
