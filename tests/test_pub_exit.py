"""test_pub_exit.py — a finite stream's last messages and end-of-stream
marker reach a subscriber that is behind when `ezc pub` exits (ipc://,
through the socket).

libzmq 4.3 loses what is still in the kernel's socket buffer when the
sender closes an ipc:// connection while the receiver's queue is full; the
publisher now holds its connections until they are read
(core/ipc_drain.c). Here the subscriber (Python) reads slower than `ezc
pub --fast` sends, so the publisher's exit
meets a full receiver queue: before the fix 5 runs of 6 lost the last
message and the marker. Also: a subscriber that never reads does not
keep the publisher past its linger time. Run by meson with Debian's
python3; usage: test_pub_exit.py EZC"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import ezc_wire  # noqa: E402

EZC = sys.argv[1]
N = 3001
failures = 0


def check(name, cond, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"), flush=True)
    failures += not cond


def start_pub(ep, n):
    return subprocess.Popen([EZC, "pub", ep, "--fast", "--signal", "counter", "--dtype", "float64",
                             "--channels", "64", "--chunk", "100", "--count", str(n),
                             "--wait-subs", "1"], env=dict(os.environ, EZC_SHM="0"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def raw_sub(ep, hwm):
    """A plain ZeroMQ SUB (any language's subscriber) with a small queue."""
    s = zmq.Context.instance().socket(zmq.SUB)
    s.setsockopt(zmq.RCVHWM, hwm)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(ep)
    return s


def read_all(recv):
    """(data messages, last seq, end-of-stream seen) until the marker or a 5 s silence."""
    count, last, eos = 0, None, False
    while True:
        h = recv()
        if h is None:
            break
        if h.get("eos"):
            eos = True
            break
        count += 1
        last = h["seq"]
    return count, last, eos


def main():
    with tempfile.TemporaryDirectory(prefix="ezc-pub-exit-") as tmp:
        for rnd in range(5):
            # A raw SUB: Python reads slower than `ezc pub --fast` sends, so
            # its queue is full when the publisher exits.
            ep = f"ipc://{tmp}/raw{rnd}"
            pub = start_pub(ep, N)
            s = raw_sub(ep, 1000)

            def recv_raw():
                try:
                    return msgpack.unpackb(s.recv_multipart()[1])
                except zmq.Again:
                    return None
            count, last, eos = read_all(recv_raw)
            s.close()
            pub.wait(timeout=30)
            check(f"round {rnd}: a raw SUB behind at the end gets all {N} messages and the end "
                  f"of stream", count == N and last == N - 1 and eos and pub.returncode == 0,
                  f"{count} messages, last {last}, eos {eos}, rc {pub.returncode} "
                  f"{pub.stderr.read().decode()[-300:]}")

            # ezc_wire's subscriber, the same way.
            ep = f"ipc://{tmp}/wire{rnd}"
            pub = start_pub(ep, N)
            sub = ezc_wire.Subscriber(ep)

            def recv_wire():
                m = sub.recv(timeout_ms=5000)
                return None if m is None else {"eos": m.eos, "seq": m.seq}
            count, last, eos = read_all(recv_wire)
            sub.close()
            pub.wait(timeout=30)
            check(f"round {rnd}: ezc_wire.Subscriber behind at the end gets all {N} and the end "
                  f"of stream", count == N and last == N - 1 and eos and pub.returncode == 0,
                  f"{count} messages, last {last}, eos {eos}")

        # ezc_wire's Publisher, closed at once after its last send, then the
        # process exits: Python does not wait for ZeroMQ's linger, so it
        # used to lose ~500 messages over ipc and ~440 over tcp.
        code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import ezc_wire; "
                "p = ezc_wire.Publisher(sys.argv[2], first_wait_ms=5000); d = np.zeros((100, 64)); "
                "[p.send(d, ['time', 'ch']) for _ in range(3000)]; p.send_eos(); p.close()")
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()
        for ep in (f"ipc://{tmp}/pywire", f"tcp://127.0.0.1:{port}"):
            pub = subprocess.Popen([sys.executable, "-c", code,
                                    os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools",
                                                 "python"), ep])
            s = raw_sub(ep, 1000)

            def recv_slow():
                try:
                    h = msgpack.unpackb(s.recv_multipart()[1])
                except zmq.Again:
                    return None
                time.sleep(0.0002)
                return h
            count, last, eos = read_all(recv_slow)
            s.close()
            pub.wait(timeout=30)
            check(f"ezc_wire.Publisher on {ep[:3]}: a slow reader gets all 3000 and the end of "
                  f"stream", count == 3000 and eos and pub.returncode == 0,
                  f"{count} messages, eos {eos}")

        # A subscriber that never reads: the publisher still exits, within
        # its linger time (1 s) and a margin, not held forever.
        ep = f"ipc://{tmp}/stuck"
        pub = start_pub(ep, N)
        s = raw_sub(ep, 10)
        t0 = time.monotonic()
        try:
            pub.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pub.kill()
        dt = time.monotonic() - t0
        check("a subscriber that never reads holds the publisher at most its linger time",
              pub.returncode == 0 and dt < 5, f"rc {pub.returncode} after {dt:.1f} s")
        s.close()
    print(f"{'FAILED' if failures else 'passed'}: {failures} failures")
    return 1 if failures else 0


sys.exit(main())
