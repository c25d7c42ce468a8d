"""test_hostile_peer.py — what a peer on the network can send to a running
`ezc node`, over a real tcp socket, and what must survive it.

Each node type below gets, in order: a 60-byte header whose shape product
wraps 64 bits ([2^32, 2^32], empty data frame: it crashed diff/aggregate and
made slicer read heap past its buffer), a legal zero-element message with a
huge other dim ([2^40, 0]: slicer spun forever over empty rows), a message
stamped ts = INT64_MIN with attrs["ezc.t0_ns"] = INT64_MIN (signed overflow
in latency arithmetic: UBSan in the sanitizer pass), and finally one valid
[10, 4] float32 message. The node must still be alive, the valid message's
result must arrive with the right values, and SIGINT must stop the node with
status 0 and a count of what it refused.

Usage: test_hostile_peer.py EZC_BINARY"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
try:
    import msgpack
    import numpy as np
    import zmq
except ImportError as e:  # pragma: no cover
    print(f"needs Debian's python3-zmq, python3-msgpack, python3-numpy: {e}")
    sys.exit(77)

EZC = sys.argv[1]
INT64_MIN = -(2 ** 63)




def header(dtype, shape, dims, seq, ts=None, attrs=None):
    h = {"v": 1, "dtype": dtype, "shape": list(shape), "dims": list(dims), "src": 77,
         "seq": seq}
    if ts is not None:
        h["ts"] = ts
    if attrs is not None:
        h["attrs"] = attrs
    return msgpack.packb(h)


def run_case(tmp, ctx, port, node_type, settings, want, same):
    pub = ctx.socket(zmq.PUB)
    pub.bind(f"tcp://127.0.0.1:{port}")
    out = f"ipc://{tmp}/out-{port}"
    args = [EZC, "node", node_type, "--in", f"tcp://127.0.0.1:{port}", "--out", out]
    for s in settings:
        args += ["--set", s]
    node = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVTIMEO, 200)
    sub.connect(out)
    name = f"{node_type} {' '.join(settings)}"
    x = (np.arange(40, dtype=np.float32).reshape(10, 4) * 0.5 - 3).astype(np.float32)
    hostile = [
        [b"t", header("float32", [2 ** 32, 2 ** 32], ["time", "ch"], 0), b""],
        [b"t", header("float32", [2 ** 40, 0], ["time", "ch"], 1), b""],
        [b"t", header("float32", [10, 4], ["time", "ch"], 2, ts=INT64_MIN,
                      attrs={"ezc.t0_ns": INT64_MIN}), x.tobytes()],
    ]
    valid = [b"t", header("float32", [10, 4], ["time", "ch"], 3), x.tobytes()]
    got = None
    deadline = time.time() + 20
    # The node connects when it is up: resend until its answer to the valid
    # message shows up (each round is hostile first, then valid).
    while got is None and time.time() < deadline and node.poll() is None:
        for frames in hostile + [valid]:
            pub.send_multipart(frames)
        t_end = time.time() + 0.5
        while time.time() < t_end:
            try:
                parts = sub.recv_multipart()
            except zmq.Again:
                continue
            h = msgpack.unpackb(parts[1], raw=False)
            if h.get("seq") is not None and h["shape"] and all(h["shape"]) and \
                    h["shape"] == list(want.shape) and len(parts[2]) == want.nbytes:
                got = np.frombuffer(parts[2], dtype=h["dtype"]).reshape(h["shape"])
                break
    alive = node.poll() is None
    check(f"{name}: alive after hostile messages", alive,
          f"exit {node.returncode}: {node.stderr.read() if not alive else ''}")
    check(f"{name}: valid message's result arrives", got is not None, "nothing came")
    if got is not None:
        check(f"{name}: values", same(got, want), f"got {got!r}, want {want!r}")
    node.send_signal(signal.SIGINT)
    try:
        _, err = node.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        node.kill()
        _, err = node.communicate()
        check(f"{name}: stops on SIGINT", False, "still running 10 s after SIGINT")
        err = ""
    else:
        check(f"{name}: exit 0 on SIGINT", node.returncode == 0, f"status {node.returncode}: {err}")
    check(f"{name}: no sanitizer report", "runtime error" not in err and "ERROR: AddressSanitizer" not in err,
          err[-2000:])
    sub.close(0)
    pub.close(0)


def main():
    ctx = zmq.Context()
    x = (np.arange(40, dtype=np.float32).reshape(10, 4) * 0.5 - 3).astype(np.float32)
    # diff carries the last sample across messages; the valid message follows
    # a copy of itself (the INT64_MIN-stamped one), so its first row is
    # x[0] - x[-1] and the rest is np.diff. The stamped copy itself (first
    # after the [2^40, 0] message reset the template) has another first row,
    # so only rows 1: are compared.
    d = np.concatenate([x[:1] - x[-1:], np.diff(x, axis=0)]).astype(np.float32)
    cases = [
        ("diff", ["axis=time"], d, lambda g, w: np.array_equal(g[1:], w[1:])),
        ("aggregate", ["axis=ch", "operation=mean"], x.mean(axis=1, dtype=np.float32), None),
        ("slicer", ["selection=1:3"], x[:, 1:3], None),
        ("abs", [], np.abs(x), None),
    ]
    with tempfile.TemporaryDirectory(prefix="ezc-hostile-") as tmp:
        base = 26000 + os.getpid() % 2000
        for i, (t, s, want, same) in enumerate(cases):
            run_case(tmp, ctx, base + i, t, s, want, same or np.array_equal)
    ctx.term()
    finish("hostile_peer")


if __name__ == "__main__":
    sys.exit(main())
