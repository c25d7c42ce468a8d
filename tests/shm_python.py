"""shm_python.py — a Python subscriber reads an ezc publisher's shared memory
without copying (tests/test_shm.sh). usage: shm_python.py ENDPOINT N|hold
(EZC_SHM_BACKEND: python or libezc; "hold": keep the first message and
sleep, printing "holding", until killed)
Checks every message as shm_helper's pub makes them (value i of message k =
k * 1e6 + i, attr "sum"), that each array lies in a /dev/shm/ezc-* mapping
of this process (zero-copy) and is read-only, and prints
"python received R inplace P corrupt C"."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import numpy as np  # noqa: E402
import ezc_wire  # noqa: E402


def shm_ranges():
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "/dev/shm/ezc-" in parts[5]:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                out.append((lo, hi))
    return out


def main():
    endpoint, hold = sys.argv[1], sys.argv[2] == "hold"
    n = 1 if hold else int(sys.argv[2])
    sub = None
    for _ in range(200):  # the publisher may not be up yet
        try:
            sub = ezc_wire.ShmSubscriber(endpoint, backend=os.environ.get("EZC_SHM_BACKEND"))
            break
        except ezc_wire.WireError:
            import time
            time.sleep(0.05)
    if sub is None:
        print("python: no pool at", endpoint)
        return 1
    print("ready", flush=True)
    got = inplace = corrupt = 0
    while got < n:
        msg = sub.recv(timeout_ms=20000)
        if hold and msg is not None:
            print("holding", sub.backend, flush=True)
            import time
            time.sleep(3600)
        if msg is None:
            break
        if msg.eos:
            break
        a = msg.data
        k = int(a[0] // 1e6) if a.size else 0
        ok = np.array_equal(a, k * 1e6 + np.arange(a.size)) and msg.attrs.get("sum") == float(a.sum())
        corrupt += not ok
        addr = a.__array_interface__["data"][0]
        inplace += any(lo <= addr < hi for lo, hi in shm_ranges()) and not a.flags.writeable
        got += 1
        del a, msg
    sub.close()
    print(f"python received {got} inplace {inplace} corrupt {corrupt}")
    return 0 if got == n and inplace == n and corrupt == 0 else 1


sys.exit(main())
