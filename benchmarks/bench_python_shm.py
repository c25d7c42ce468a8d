#!/usr/bin/env python3
"""bench_python_shm.py — what a Python program pays to read an ezc stream
on this host (docs/performance.md).

`ezc pub ipc://... --fast --signal counter --dtype float64 --channels 64
--chunk 100` (51.2
KB messages) read by Python, for each way ezc_wire offers, interleaved over
ROUNDS rounds: `socket` (ezc_wire.Subscriber: ZeroMQ, the bytes copied
through the kernel; the baseline), `shm-python` (ShmSubscriber's own reader:
mmap + libatomic) and `shm-libezc` (ShmSubscriber through libezc). Each
round reads N messages as fast as they come and touches one value of each
(the array is a view: reading it all would measure numpy, not the
transport). Prints msg/s and the reader's CPU per message (user+sys,
os.times), medians over the rounds, and each path's ratio to the socket.
Usage: bench_python_shm.py EZC LIBEZC [ROUNDS [N]]"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ezc, lib = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
n = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools",
                                "python"))
import ezc_wire  # noqa: E402


def one(path, tmp):
    ep = f"ipc://{tmp}/{path}-{time.monotonic_ns()}"
    env = dict(os.environ, EZC_SHM="0" if path == "socket" else "1")
    pub = subprocess.Popen([ezc, "pub", ep, "--fast", "--signal", "counter", "--dtype", "float64", "--channels", "64",
                            "--chunk", "100", "--count", str(n + 1), "--wait-subs", "1"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sub = None
        for _ in range(400):
            try:
                if path == "socket":
                    sub = ezc_wire.Subscriber(ep)
                else:
                    sub = ezc_wire.ShmSubscriber(ep, backend=path[4:], lib=lib if path ==
                                                 "shm-libezc" else None)
                break
            except (ezc_wire.WireError, OSError):
                time.sleep(0.01)
        if sub is None:
            raise RuntimeError(f"{path}: no publisher at {ep}")
        first = sub.recv(timeout_ms=10000)  # the clock starts at the first message
        if first is None:
            raise RuntimeError(f"{path}: nothing received")
        del first
        c0, t0 = os.times(), time.perf_counter()
        got = 0
        while got < n:
            m = sub.recv(timeout_ms=10000)
            if m is None or m.eos:
                break
            float(m.data[0, 0])
            got += 1
            del m
        dt, c1 = time.perf_counter() - t0, os.times()
        stats = sub.stats()
        sub.close()
        if got != n:
            raise RuntimeError(f"{path}: {got} of {n} messages ({stats})")
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        return got / dt, cpu / got * 1e6
    finally:
        pub.wait(timeout=30)


def main():
    paths = ["socket", "shm-python", "shm-libezc"]
    res = {p: [] for p in paths}
    with tempfile.TemporaryDirectory(prefix="ezc-bench-pyshm-") as tmp:
        for _ in range(rounds):
            for p in paths:
                res[p].append(one(p, tmp))
    base = statistics.median(r[0] for r in res["socket"])
    print(f"Python reading 51.2 KB float64 messages from `ezc pub --fast`, {n} per round, "
          f"median of {rounds} rounds:")
    print("| path | msg/s | vs socket | reader CPU µs/msg |")
    print("| --- | --- | --- | --- |")
    for p in paths:
        rate = statistics.median(r[0] for r in res[p])
        cpu = statistics.median(r[1] for r in res[p])
        print(f"| {p} | {rate:,.0f} | {rate / base:.2f}× | {cpu:.1f} |")
    return 0


sys.exit(main())
