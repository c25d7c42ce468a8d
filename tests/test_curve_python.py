"""test_curve_python.py — ezc_wire.Publisher as a CURVE server (tcp://), with
real processes: a Python publisher process (its secret key and a folder of
allowed public keys, as `ezc pub --curve-server --curve-allow`); `ezc echo`
with an allowed key receives its messages, one with another key receives
nothing and the publisher writes the refusal once, with that key's
fingerprint (its .pub text); a plaintext `ezc echo` receives nothing; a
Python CURVE Subscriber gets exactly the arrays sent. Two CURVE publishers
share one context (one ZAP handler, stopped when both are closed); key
mistakes are refused naming the file.
Usage: test_curve_python.py PATH_TO_EZC   (run by meson with /usr/bin/python3)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ezc_check import check, finish  # noqa: E402
SRC = os.environ.get("EZC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import ezc_wire  # noqa: E402

EZC = sys.argv[1]




# The publisher process: two CURVE publishers on one context, message k of
# each is [k*8 .. k*8+7] as float64 [time 2, ch 4]; ports on stdout, then
# the refusal count when done.
PUBLISHER = r"""
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import ezc_wire
key, allow, seconds = sys.argv[2], sys.argv[3], float(sys.argv[4])
a = ezc_wire.Publisher("tcp://127.0.0.1:*", curve_server_key=key, curve_allow_dir=allow,
                       first_wait_ms=0)
b = ezc_wire.Publisher("tcp://127.0.0.1:*", curve_server_key=key, curve_allow_dir=allow,
                       first_wait_ms=0)
print(a.endpoint, b.endpoint, flush=True)
end, k = time.monotonic() + seconds, 0
while time.monotonic() < end:
    x = np.arange(k * 8, k * 8 + 8, dtype=np.float64).reshape(2, 4)
    a.send(x, ["time", "ch"], topic="raw")
    b.send(x, ["time", "ch"], topic="raw")
    k += 1
    time.sleep(0.02)
refused = a.refused + b.refused
a.close()
b.close()
import threading
print(f"refused {refused} threads {threading.active_count()}", flush=True)
"""


def keygen(path):
    r = subprocess.run([EZC, "keygen", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return open(path + ".pub").read().splitlines()[-1].strip()


def main():
    if not zmq.has("curve"):
        print("libzmq without CURVE: skipped")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="ezc-curve-python.")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish("curve_python")


def run(tmp):
    allow = os.path.join(tmp, "allow")
    os.mkdir(allow)
    keygen(os.path.join(tmp, "server"))
    alice = keygen(os.path.join(tmp, "alice"))
    mallory = keygen(os.path.join(tmp, "mallory"))
    shutil.copy(os.path.join(tmp, "alice.pub"), allow)
    server_pub = os.path.join(tmp, "server.pub")

    pub = subprocess.Popen([sys.executable, "-c", PUBLISHER, os.path.join(SRC, "tools", "python"),
                            os.path.join(tmp, "server.key"), allow, "6"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ep_a, ep_b = pub.stdout.readline().split()

    def echo(*args):
        return subprocess.Popen([EZC, "echo", ep_a, "--count", "5", "--timeout", "3", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    allowed = echo("--curve-client", os.path.join(tmp, "alice.key"),
                   "--curve-server-pub", server_pub)
    refused = echo("--curve-client", os.path.join(tmp, "mallory.key"),
                   "--curve-server-pub", server_pub)
    plain = echo()

    # A Python CURVE subscriber with the allowed key, on the second publisher.
    sub = ezc_wire.Subscriber(ep_b, curve_client_key=os.path.join(tmp, "alice.key"),
                              curve_server_pub=server_pub)
    got = []
    end = time.monotonic() + 4
    while len(got) < 20 and time.monotonic() < end:
        m = sub.recv(timeout_ms=200)
        if m is not None and not m.eos:
            got.append(m)
    sub.close()
    exact = bool(got) and all(
        np.array_equal(m.data, np.arange(m.seq * 8, m.seq * 8 + 8, dtype=np.float64).reshape(2, 4))
        for m in got)
    check("python CURVE subscriber: 20 messages, each exactly the array sent",
          len(got) == 20 and exact and [m.seq for m in got] == list(range(got[0].seq, got[0].seq + 20)),
          f"{len(got)} messages")

    outs = {n: p.communicate(timeout=20) + (p.returncode,)
            for n, p in (("allowed", allowed), ("refused", refused), ("plain", plain))}
    pout, perr = pub.communicate(timeout=20)
    if os.environ.get("EZC_TEST_VERBOSE"):
        print(perr, pout, outs["allowed"][0][:300])
    rows = re.findall(r"^seq=(\d+) topic=raw .*dtype=float64 shape=\[2, 4\].* min=(\S+) max=(\S+)",
                      outs["allowed"][0], re.M)
    check("ezc echo with an allowed key: 5 messages, exit 0, their values (min k*8, max k*8+7)",
          outs["allowed"][2] == 0 and len(rows) == 5
          and all(float(lo) == int(k) * 8 and float(hi) == int(k) * 8 + 7 for k, lo, hi in rows),
          outs["allowed"])
    check("ezc echo with a key not allowed: nothing, exit 1 (timeout)",
          outs["refused"][2] == 1 and outs["refused"][0] == ""
          and "nothing received" in outs["refused"][1], outs["refused"])
    check("plaintext ezc echo: nothing, exit 1 (timeout)",
          outs["plain"][2] == 1 and outs["plain"][0] == "" and "nothing received" in outs["plain"][1],
          outs["plain"])
    lines = [x for x in perr.splitlines() if "refused a subscriber" in x]
    check("the publisher wrote the refusal once, with the key's fingerprint and the folder",
          len(lines) == 1 and f"key {mallory} is not in {allow}" in lines[0]
          and ep_a in lines[0] and "from 127.0.0.1" in lines[0] and alice not in perr, perr)
    m = re.search(r"refused (\d+) threads (\d+)", pout)
    check("refusals counted; the ZAP thread gone after close",
          m is not None and int(m.group(1)) >= 1 and int(m.group(2)) == 1, pout + perr)

    # Key mistakes are refused before anything is bound, naming the file.
    loose = os.path.join(tmp, "loose.key")
    shutil.copy(os.path.join(tmp, "server.key"), loose)
    os.chmod(loose, 0o644)
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    cases = [(dict(curve_server_key=loose, curve_allow_dir=allow), "mode 0644 lets others read it"),
             (dict(curve_server_key=os.path.join(tmp, "server.key"), curve_allow_dir=empty),
              f"allowed keys folder {empty} holds no .pub file"),
             (dict(curve_server_key=os.path.join(tmp, "server.key")), "go together")]
    for kw, want in cases:
        try:
            ezc_wire.Publisher("tcp://127.0.0.1:*", **kw).close()
            check(f"refused: {want}", False, "accepted")
        except ValueError as e:
            check(f"refused: {want}", want in str(e), str(e))
    # Someone else's ZAP handler on the context: said plainly, not hung.
    ctx = zmq.Context()
    other = ctx.socket(zmq.REP)
    other.bind(ezc_wire.ZAP_ENDPOINT)
    try:
        ezc_wire.Publisher("tcp://127.0.0.1:*", context=ctx,
                           curve_server_key=os.path.join(tmp, "server.key"),
                           curve_allow_dir=allow).close()
        check("a context with another ZAP handler is refused", False, "accepted")
    except RuntimeError as e:
        check("a context with another ZAP handler is refused", "ZAP handler" in str(e), str(e))
    other.close(0)
    ctx.term()
    check("no thread left behind in this process", threading.active_count() == 1,
          threading.enumerate())


if __name__ == "__main__":
    main()
