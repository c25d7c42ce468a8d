"""test_python_interop.py — Python and C exchange AxisArrays over real sockets.

C publisher -> Python subscriber (tcp and ipc), then Python publisher -> C
subscriber (tcp). The C side is tests/pubsub_helper; both sides build and
check the sample of tests/pubsub_sample.h: float32 (4 time x 3 ch), value
1000k + 10t + c, time linear (gain 0.001 s, offset 0.004k), ch labels
a/b/c, key "sample", attrs k and source. Run by meson with Debian's python3.
"""
import os
import random
import subprocess
import sys
import time

import numpy as np
import zmq

sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
try:
    import ezc_wire  # the documented Python side of the wire format
except ImportError as e:
    print(f"skipped: tools/python/ezc_wire.py is not importable ({e})")
    sys.exit(77)

N = 20
TIMEOUT_MS = 10000
HELPER = os.path.join(os.environ.get("EZC_BUILD_DIR", "build"), "tests", "pubsub_helper")


def expected_values(k):
    t = np.arange(4, dtype=np.float32)[:, None]
    c = np.arange(3, dtype=np.float32)[None, :]
    return (1000 * k + 10 * t + c).astype(np.float32)


def check_sample(msg, k, source):
    """msg: an ezc_wire.AxisArray decoded from the wire."""
    assert msg.data.dtype == np.float32, msg.data.dtype
    assert msg.data.shape == (4, 3), msg.data.shape
    assert list(msg.dims) == ["time", "ch"], msg.dims
    np.testing.assert_array_equal(msg.data, expected_values(k))
    t = msg.axes["time"]
    assert t["kind"] == "linear" and t["unit"] == "s", t
    assert abs(t["gain"] - 0.001) < 1e-15 and abs(t["offset"] - 0.004 * k) < 1e-12, t
    ch = msg.axes["ch"]
    assert ch["kind"] == "coord" and list(ch["labels"]) == ["a", "b", "c"], ch
    assert msg.key == "sample", msg.key
    assert msg.attrs == {"k": k, "source": source}, msg.attrs


def c_publisher_to_python(endpoint):
    helper = subprocess.Popen([HELPER, "pub", endpoint, str(N)], stdout=subprocess.PIPE,
                              text=True)
    try:
        bound = helper.stdout.readline().strip()
        assert bound.startswith(endpoint.split("*")[0]), bound
        ctx = zmq.Context.instance()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"sample")
        sub.connect(bound)
        src = None
        for k in range(N):
            assert sub.poll(TIMEOUT_MS), f"message {k} did not arrive from {bound}"
            frames = sub.recv_multipart(copy=False)
            assert len(frames) == 3, len(frames)
            assert frames[0].bytes == b"sample"
            msg = ezc_wire.decode(frames[1].buffer, frames[2].buffer)
            check_sample(msg, k, "c-helper")
            assert msg.seq == k, (msg.seq, k)
            src = msg.src if src is None else src
            assert msg.src == src
            assert abs(msg.ts_ns - time.time_ns()) < 60e9, msg.ts_ns
        sub.close()
        assert helper.wait(timeout=20) == 0, "C publisher failed"
    finally:
        if helper.poll() is None:
            helper.kill()
    print(f"C -> Python over {bound}: {N} messages checked")


def python_publisher_to_c():
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.LINGER, 2000)
    pub.bind("tcp://127.0.0.1:*")
    endpoint = pub.getsockopt_string(zmq.LAST_ENDPOINT)
    helper = subprocess.Popen([HELPER, "sub", endpoint, str(N)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert pub.poll(TIMEOUT_MS), "the C subscriber never subscribed"
        assert pub.recv()[0] == 1
        src = random.getrandbits(64)
        for k in range(N):
            header = ezc_wire.encode_header(
                expected_values(k), dims=["time", "ch"],
                axes={"time": {"kind": "linear", "gain": 0.001, "offset": 0.004 * k,
                               "unit": "s"},
                      "ch": {"kind": "coord", "labels": ["a", "b", "c"], "unit": ""}},
                key="sample", attrs={"k": k, "source": "python"},
                src=src, seq=k, ts_ns=time.time_ns())
            pub.send_multipart([b"sample", header, expected_values(k).tobytes()])
        out, errs = helper.communicate(timeout=30)
    finally:
        if helper.poll() is None:
            helper.kill()
    pub.close()
    assert helper.returncode == 0, f"C subscriber rejected the messages: {errs}"
    assert out.strip().endswith(f"ok {N}"), out
    print(f"Python -> C over {endpoint}: {N} messages accepted")


def main():
    if not os.path.exists(HELPER):
        print(f"missing {HELPER}")
        return 1
    c_publisher_to_python("tcp://127.0.0.1:*")
    path = f"/tmp/ezc-test-interop-{os.getpid()}.ipc"
    try:
        c_publisher_to_python("ipc://" + path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    python_publisher_to_c()
    return 0


if __name__ == "__main__":
    sys.exit(main())
