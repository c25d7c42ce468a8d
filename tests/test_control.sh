#!/usr/bin/env bash
# test_control.sh — live control of a running graph (docs/control.md), as
# a user drives it: `ezc run` serves its control socket in a private run
# folder (EZC_RUN_DIR), `ezc top --once` lists its nodes, `ezc set` changes
# a butterworth's cutoff mid-stream (a Python reader sees the power above
# the new cutoff drop, and no sequence gap on the way), refused changes
# (a bad value, an unknown setting, a cutoff above Nyquist, a source) leave
# the output as it was, hostile requests get errors and no crash, a second
# graph of the same name is refused, and `ezc stop` ends the run with exit
# status 0 and no socket or lock file left.
# Usage: test_control.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" control
export EZC_RUN_DIR="$dir/run"

for c in top set stop; do
  expect "$c --help" 0 "usage: ezc $c" -- "$ezc" "$c" --help
done
expect "set needs GRAPH/NODE" 2 "expected GRAPH/NODE" -- "$ezc" set g cutoff=1
expect "set needs KEY=VALUE" 2 "expected KEY=VALUE" -- "$ezc" set g/bw cutoff
expect "stop: no such graph" 1 "no graph 'nothere' runs" -- "$ezc" stop nothere
expect "top: nothing runs" 0 "(no graph running)" -- "$ezc" top --once

cat > "$dir/g.yaml" <<YEOF
nodes:
  synth:
    type: noise
    settings: {fs: 1000, channels: 2, chunk: 10, dtype: float64}
  bw:
    type: butterworth
    settings: {order: 4, cutoff: 250}
  out:
    type: publish
    settings: {endpoint: "ipc://$dir/out"}
edges:
  - synth -> bw
  - bw -> out
YEOF
"$ezc" run "$dir/g.yaml" --quiet 2>"$dir/run.log" &
run_pid=$!
pids+=($run_pid)
for _ in $(seq 50); do [ -S "$EZC_RUN_DIR/graphs/g.ctl" ] && break; sleep 0.1; done
check "control socket is there, 0600" $([ "$(stat -c %a "$EZC_RUN_DIR/graphs/g.ctl" 2>/dev/null)" = 600 ]; echo $?) \
  "$(ls -l "$EZC_RUN_DIR/graphs" 2>&1)"
check "its lock file" $([ -f "$EZC_RUN_DIR/graphs/g.ctl.lock" ]; echo $?) "no lock file"

out=$("$ezc" top --once 2>&1); status=$?
check "top --once lists the nodes" $([ $status -eq 0 ] && grep -q "^g  *synth  *noise  *running" <<<"$out" &&
  grep -q "^g  *bw  *butterworth" <<<"$out" && grep -q "^g  *out  *publish" <<<"$out"; echo $?) "$out"
expect "top GRAPH --once" 0 "butterworth" -- "$ezc" top g --once
expect "a second graph --name g is refused" 1 "in use by pid $run_pid" -- \
  "$ezc" run "$dir/g.yaml" --name g --quiet --duration 1
mkdir -p "$dir/copy"; sed "s|$dir/out|$dir/out2|" "$dir/g.yaml" > "$dir/copy/g.yaml"
expect "a second run of g, unnamed, is g-2" 0 "graph 'g' runs already: this one is 'g-2'" -- \
  "$ezc" run "$dir/copy/g.yaml" --duration 0.5

# The message `ezc validate` gives for the same bad value, without its FILE:LINE.
sed 's/cutoff: 250/cutoff: abc/' "$dir/g.yaml" > "$dir/bad.yaml"
vmsg=$("$ezc" validate "$dir/bad.yaml" 2>&1 | grep "setting 'cutoff'" | sed 's/^[^ ]*yaml:[0-9]*: //')
check "validate gives a message" $([ -n "$vmsg" ]; echo $?) "none"

# Reader: 150 messages, refused changes, 150 more, cutoff=20, 150 more.
"$py" - "ipc://$dir/out" "$ezc" "$vmsg" "$src/tools/python" <<'PYEOF'
import subprocess, sys
import numpy as np
sys.path.insert(0, sys.argv[4])
import ezc_wire
ep, ezc, vmsg = sys.argv[1], sys.argv[2], sys.argv[3]
sub = ezc_wire.Subscriber(ep)
msgs = []
def take(n):
    seg = []
    for _ in range(n):
        m = sub.recv(timeout_ms=5000)
        assert m is not None, "no message within 5 s"
        assert not isinstance(m, ezc_wire.EndOfStream), "end of stream"
        msgs.append(m)
        seg.append(m.data)
    return np.concatenate(seg)
def power_above(x, f0, fs=1000.0):  # mean power above f0 (Hann window: no leakage)
    x = (x[:, 0] - x[:, 0].mean()) * np.hanning(len(x))
    p = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / fs)
    return p[f > f0].sum() / len(x)
def ezc_set(*kv):
    r = subprocess.run([ezc, "set", "g/bw", *kv], capture_output=True, text=True, timeout=10)
    return r.returncode, r.stdout + r.stderr
fails = 0
def check(name, ok, detail):
    global fails
    if not ok:
        fails += 1
        print(f"FAIL: {name}: {detail}")
a = take(150)
rc, out = ezc_set("cutoff=abc")
check("bad value refused", rc == 1 and out.strip() == f"ezc set: {vmsg}", f"{rc} {out!r} vs {vmsg!r}")
rc, out = ezc_set("cutof=20")
check("unknown setting refused", rc == 1 and "unknown setting 'cutof'" in out and
      "`ezc list butterworth` shows them" in out, out)
rc, out = ezc_set("cutoff=600")
check("above Nyquist refused", rc == 1 and "must be below Nyquist" in out, out)
r = subprocess.run([ezc, "set", "g/synth", "fs=10"], capture_output=True, text=True)
check("a source refused", r.returncode == 1 and "live settings are for transformer nodes" in r.stderr, r.stderr)
take(10)  # anything in flight
b = take(150)
rc, out = ezc_set("cutoff=20")
check("cutoff=20 taken", rc == 0 and "applied, state kept" in out, out)
take(10)
c = take(150)
pa, pb, pc = power_above(a, 100), power_above(b, 100), power_above(c, 100)
print(f"power above 100 Hz: before {pa:.3g}, after refused sets {pb:.3g}, after cutoff=20 {pc:.3g}")
check("refused sets change nothing", 0.7 < pb / pa < 1.4, (pa, pb))
check("spectrum moves under the new cutoff", pc < 1e-3 * pa, (pa, pc))
seqs = [m.seq for m in msgs]
gaps = sum(1 for x, y in zip(seqs, seqs[1:]) if y != x + 1)
check("no message lost (sequence gaps)", gaps == 0, f"{gaps} gaps")
print(f"reader: {len(msgs)} messages, {gaps} gaps, {fails} failures")
sys.exit(1 if fails else 0)
PYEOF
check "reader: live set mid-stream" $? "see above"

# Hostile requests: every one answered with an error, the server goes on.
"$py" - "$EZC_RUN_DIR/graphs/g.ctl" <<'PYEOF'
import sys, zmq, msgpack
ctx = zmq.Context()
def call(frames):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.RCVTIMEO, 2000)
    s.setsockopt(zmq.LINGER, 0)
    s.connect("ipc://" + sys.argv[1])
    s.send_multipart(frames)
    r = msgpack.unpackb(s.recv(), raw=False)
    s.close()
    return r
bad = [b"", b"\xc1", b"\x93\x01\x02\x03", msgpack.packb({"op": "launch"}),
       msgpack.packb({"op": 7}), msgpack.packb({"nop": "stats"}), b"\xdf\xff\xff\xff\xff",
       b"\x81\xa2op\xa5stats\x00", msgpack.packb({"op": "set", "node": "bw"}),
       msgpack.packb({"op": "set", "node": "bw", "settings": {"cutoff": {"x": 1}}}),
       msgpack.packb({"op": "set", "node": "bw", "settings": {"cutoff": "9" * 5000}}),
       msgpack.packb({"op": "set", "node": "x" * 300, "settings": {"cutoff": 1}}),
       msgpack.packb({"op": "set", "node": "nope", "settings": {"cutoff": 1}}),
       msgpack.packb({"op": "set", "node": "bw", "settings": {}}),
       msgpack.packb({"op": "set", "node": "bw", "settings": [[[[[[[[1]]]]]]]]}),
       b"\x81\xa2op" + b"\x91" * 200 + b"\x01"]
for req in bad:
    r = call([req])
    assert r["ok"] is False and r["error"], (req[:40], r)
import random  # mutations of valid requests: every one answered, none crashes the server
rng = random.Random(15)
seeds = [msgpack.packb(x) for x in ({"op": "stats"}, {"op": "graph"},
         {"op": "set", "node": "bw", "settings": {"cutoff": 30.5, "order": [1, 2]}})]
for _ in range(300):
    b = bytearray(rng.choice(seeds))
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(3)
        if k == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif k == 1:
            b.insert(rng.randrange(len(b) + 1), rng.randrange(256))
        elif b:
            del b[rng.randrange(len(b))]
    r = call([bytes(b)])
    assert isinstance(r, dict) and "ok" in r, (bytes(b), r)
r = call([msgpack.packb({"op": "stats"}), b"more"])
assert r["ok"] is False and "one frame" in r["error"], r
r = call([msgpack.packb({"op": "stats"})])
assert r["ok"] is True and [n["name"] for n in r["nodes"]] == ["synth", "bw", "out"], r
g = call([msgpack.packb({"op": "graph"})])
assert g["ok"] and {(e["from"], e["to"]) for e in g["edges"]} == {("synth", "bw"), ("bw", "out")}, g
r = call([msgpack.packb({"op": "set", "node": "bw", "settings": {"cutoff": 30.5, "order": 4}})])
assert r["ok"] is True and r["state"] == "kept", r
print(f"hostile: {len(bad) + 1} refused, 300 mutations answered, stats/graph/set still answered")
PYEOF
check "hostile requests" $? "see above"

expect "stop" 0 "" -- "$ezc" stop g
wait $run_pid; status=$?
check "ezc run exits 0 after ezc stop" $status "status $status; log: $(tail -5 "$dir/run.log")"
check "socket and lock removed" $([ ! -e "$EZC_RUN_DIR/graphs/g.ctl" ] && [ ! -e "$EZC_RUN_DIR/graphs/g.ctl.lock" ]; echo $?) \
  "$(ls -l "$EZC_RUN_DIR/graphs" 2>&1)"
check "refused and taken changes logged" $(grep -q "new settings refused, the old ones stay" "$dir/run.log"; echo $?) \
  "$(cat "$dir/run.log")"

# ezc node: the same socket, named by --name, its one node after its type.
"$ezc" pub "ipc://$dir/raw" --channels 2 --fs 1000 >/dev/null 2>&1 &
pids+=($!)
"$ezc" node clip --set min=-1 --set max=1 --in "ipc://$dir/raw" --out "ipc://$dir/clipped" \
  --name nd 2>"$dir/node.log" &
node_pid=$!
pids+=($node_pid)
for _ in $(seq 50); do [ -S "$EZC_RUN_DIR/graphs/nd.ctl" ] && break; sleep 0.1; done
expect "top lists ezc node" 0 "clip" -- "$ezc" top nd --once
expect "set on ezc node: re-created" 0 "nd/clip: " -- "$ezc" set nd/clip max=0.5
expect "set on ezc node: refused" 1 "node 'clip': clip: setting 'max' = 'abc': expected a number" -- \
  "$ezc" set nd/clip max=abc
expect "set on ezc node: wrong node" 1 "no node 'abs' here" -- "$ezc" set nd/abs max=1
expect "stop ezc node" 0 "" -- "$ezc" stop nd
wait $node_pid; status=$?
check "ezc node exits 0 after ezc stop" $status "status $status; $(tail -3 "$dir/node.log")"
finish
