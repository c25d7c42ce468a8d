#!/usr/bin/env bash
# test_control.sh — live control of a running graph (docs/control.md), as
# a user drives it: `ezc run` serves its control socket in a private run
# folder (EZC_RUN_DIR), `ezc top --once` lists its nodes, `ezc set` changes
# a butterworth's cutoff mid-stream (a Python reader sees the power above
# the new cutoff drop, and no sequence gap on the way), refused changes
# (a bad value, an unknown setting, a cutoff above Nyquist, a source's rate,
# a publish sink's endpoint) leave
# the output as it was, hostile requests get errors and no crash, a second
# graph of the same name is refused, and `ezc stop` ends the run with exit
# status 0 and no socket or lock file left. A file's own `name: lab1` names
# its socket and its outputs (lab1/bw in `ezc ls`), `--name` overrides it,
# a bad one is refused at its line. `ezc set` on a node of a process group
# is relayed to its child and holds through a kill -9 of that child.
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
check("a source's rate cannot change live", r.returncode == 1 and
      "noise: fs, channels, chunk, dtype, realtime, count and key cannot change while it runs"
      in r.stderr, r.stderr)
r = subprocess.run([ezc, "set", "g/out", "endpoint=ipc:///tmp/x"], capture_output=True, text=True)
check("a publisher cannot move live", r.returncode == 1 and
      "node 'out': publish: setting 'endpoint' cannot change while it runs (restart the graph "
      "to move a publisher" in r.stderr, r.stderr)
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
# a source's own settings, live: the noise's deviation, the stream going on
# (against a stretch well after the cutoff change: its transient is gone)
base = take(300)
r = subprocess.run([ezc, "set", "g/synth", "amplitude=3"], capture_output=True, text=True)
check("amplitude=3 taken by the source", r.returncode == 0 and "applied, state kept" in r.stdout,
      r.stdout + r.stderr)
take(30)
d = take(300)
ratio = float(np.std(d[:, 0]) / np.std(base[:, 0]))
print(f"source amplitude 1 -> 3: output deviation x{ratio:.2f}")
check("the output's deviation follows the source (x3 +-15%)", 2.55 < ratio < 3.45, ratio)
offs = [m.axes["time"]["offset"] for m in msgs]
steps = [round((y - x) * 1000) for x, y in zip(offs, offs[1:])]
check("the time axis goes on through the change", all(s == 10 for s in steps), set(steps))
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

# schema: the node's settings as its type declares them, each with the value
# in force: the one of the latest accepted set, else the graph file's.
expect "set cutoff=42 before schema" 0 "applied" -- "$ezc" set g/bw cutoff=42
"$py" - "$EZC_RUN_DIR/graphs/g.ctl" <<'PYEOF'
import sys, zmq, msgpack
s = zmq.Context().socket(zmq.REQ)
s.setsockopt(zmq.RCVTIMEO, 2000)
s.connect("ipc://" + sys.argv[1])
def call(req):
    s.send(msgpack.packb(req))
    return msgpack.unpackb(s.recv(), raw=False)
r = call({"op": "schema", "node": "bw"})
assert r["ok"] is True and r["node"] == "bw" and r["type"] == "butterworth", r
by = {x["name"]: x for x in r["settings"]}
assert all(set(x) == {"name", "type", "default", "doc", "choices", "required", "value"} for x in r["settings"]), r
assert by["cutoff"]["value"] == "42" and by["cutoff"]["type"] == "float" and by["cutoff"]["doc"], by["cutoff"]
assert by["order"]["type"] == "int" and by["order"]["value"] == "4", by["order"]
s2 = call({"op": "schema", "node": "synth"})
assert s2["ok"] and {x["name"]: x["value"] for x in s2["settings"]}["channels"] == "2", s2
for bad, msg in (({"op": "schema", "node": "nope"}, "no node 'nope' in graph 'g'"),
                 ({"op": "schema"}, 'needs "node"'), ({"op": "schema", "node": 3}, "expected a node")):
    r = call(bad)
    assert r["ok"] is False and msg in r["error"], (bad, r)
print("schema: bw's settings with cutoff=42 in force; bad requests refused")
PYEOF
check "schema op" $? "see above"

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

# A graph's own name (a top-level name:): its control socket and its
# outputs' stream names; --name still overrides it; a bad one is refused.
cat > "$dir/named.yaml" <<YEOF
name: lab1
nodes:
  sine: {type: sine, settings: {fs: 1000, channels: 1, chunk: 50}}
  bw: {type: butterworth, settings: {order: 2, cutoff: 100}}
edges: [sine -> bw]
outputs:
  filtered: {node: bw, endpoint: "ipc://$dir/named-out"}
YEOF
"$ezc" run "$dir/named.yaml" --quiet 2>"$dir/named.log" &
named_pid=$!
pids+=($named_pid)
for _ in $(seq 50); do [ -S "$EZC_RUN_DIR/graphs/lab1.ctl" ] && break; sleep 0.1; done
out=$("$ezc" top --once 2>&1)
check "name: lab1 is what top lists" $(grep -q "^lab1  *bw  *butterworth" <<<"$out" &&
  ! grep -q "^named " <<<"$out"; echo $?) "$out"
out=$("$ezc" ls 2>&1)
check "its output is lab1/bw in ezc ls" $(grep -q "^lab1/bw  *ipc://$dir/named-out" <<<"$out"; echo $?) "$out"
sed "s|$dir/named-out|$dir/named-out2|" "$dir/named.yaml" > "$dir/named2.yaml"
expect "a second graph with name: lab1 is refused" 1 "in use by pid $named_pid" -- \
  "$ezc" run "$dir/named2.yaml" --quiet --duration 1
"$ezc" run "$dir/named2.yaml" --name lab2 --quiet --duration 3 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -S "$EZC_RUN_DIR/graphs/lab2.ctl" ] && break; sleep 0.1; done
expect "--name overrides name:" 0 "butterworth" -- "$ezc" top lab2 --once
expect "set through name:" 0 "lab1/bw: applied" -- "$ezc" set lab1/bw cutoff=50
expect "stop lab1" 0 "" -- "$ezc" stop lab1
wait $named_pid; status=$?
check "the named graph exits 0 after ezc stop" $status "$(tail -3 "$dir/named.log")"
printf '# a comment\ndescription: x\nname: "lab 1"\nnodes:\n  a: {type: sine}\n' > "$dir/badname.yaml"
expect "validate refuses a bad name: at FILE:LINE" 1 \
  "$dir/badname.yaml:3: name: graph name 'lab 1': expected 1 to 63 of A-Z a-z 0-9 . _ -" -- \
  "$ezc" validate "$dir/badname.yaml"

# set on a node of a process group: the supervisor relays it to the group's
# child; the change holds through a kill -9 of that child and its restart.
cat > "$dir/pg.yaml" <<YEOF
nodes:
  synth:
    type: noise
    process: acq
    settings: {fs: 1000, channels: 2, chunk: 10, dtype: float64}
  bw:
    type: butterworth
    process: filt
    restart: always
    settings: {order: 4, cutoff: 250}
  out:
    type: publish
    process: filt
    settings: {endpoint: "ipc://$dir/pgout"}
edges:
  - synth -> bw
  - bw -> out
YEOF
"$ezc" run "$dir/pg.yaml" 2>"$dir/pg.log" &
pg_pid=$!
pids+=($pg_pid)
for _ in $(seq 50); do [ -S "$EZC_RUN_DIR/graphs/pg.ctl" ] && break; sleep 0.1; done
"$py" - "ipc://$dir/pgout" "$ezc" "$vmsg" "$src/tools/python" "$pg_pid" <<'PYEOF'
import os, signal, subprocess, sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
import ezc_wire, ezc_control
ep, ezc, vmsg, sup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[5])
sub = ezc_wire.Subscriber(ep)
fails = 0
def check(name, ok, detail):
    global fails
    if not ok:
        fails += 1
        print(f"FAIL: {name}: {detail}")
def take(n):
    seg = []
    for _ in range(n):
        m = sub.recv(timeout_ms=8000)
        assert m is not None and not isinstance(m, ezc_wire.EndOfStream), "no message within 8 s"
        seg.append(m.data)
    return np.concatenate(seg)
def power_above(x, f0, fs=1000.0):
    x = (x[:, 0] - x[:, 0].mean()) * np.hanning(len(x))
    p = np.abs(np.fft.rfft(x)) ** 2
    return p[np.fft.rfftfreq(len(x), 1 / fs) > f0].sum() / len(x)
def ezc_set(*kv):
    r = subprocess.run([ezc, "set", "pg/bw", *kv], capture_output=True, text=True, timeout=10)
    return r.returncode, r.stdout + r.stderr
def filt_child():
    r = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(sup)], capture_output=True, text=True)
    pids = [int(l.split()[0]) for l in r.stdout.splitlines() if "--group filt" in l]
    return pids[0] if len(pids) == 1 else None
a = take(150)
rc, out = ezc_set("cutoff=abc")
check("group: bad value refused with validate's message", rc == 1 and out.strip() == f"ezc set: {vmsg}",
      f"{rc} {out!r}")
rc, out = ezc_set("cutoff=20")
check("group: cutoff=20 taken in the child", rc == 0 and out.strip() == "pg/bw: applied, state kept", out)
take(10)
b = take(150)
child = filt_child()
check("group: the child of group filt", child is not None, child)
os.kill(child, signal.SIGKILL)
for _ in range(100):  # its successor
    time.sleep(0.1)
    if filt_child() not in (None, child):
        break
check("group: restarted as another process", filt_child() not in (None, child), filt_child())
take(20)
c = take(150)
st = {n["name"]: n for n in ezc_control.stats("pg")["nodes"]}
check("group: bw restarted once", st["bw"]["restarts"] == 1, st["bw"])
pa, pb, pc = power_above(a, 100), power_above(b, 100), power_above(c, 100)
print(f"group: power above 100 Hz: cutoff 250 {pa:.3g}, cutoff 20 {pb:.3g}, after kill -9 {pc:.3g}")
check("group: the set changes the output", pb < 1e-3 * pa, (pa, pb))
check("group: the setting holds after the restart", pc < 1e-3 * pa, (pa, pc))
r = ezc_control.set("pg", "bw", order=2)
check("group: a set reaches the new child", r["applied"] is True, r)
print(f"group reader: {fails} failures")
sys.exit(1 if fails else 0)
PYEOF
check "reader: set on a process group, kept across kill -9" $? "see above; $(tail -5 "$dir/pg.log")"
check "the child said it kept the setting" \
  $(grep -q "group 'filt': 1 live setting kept from before its restart" "$dir/pg.log"; echo $?) \
  "$(cat "$dir/pg.log")"
# ezc graph NAME: the running graph drawn with its figures, groups as clusters
out=$("$ezc" graph pg 2>&1)
check "ezc graph pg draws the running graph" $(grep -q '^digraph "pg (running)"' <<<"$out" &&
  grep -q 'subgraph "cluster_filt"' <<<"$out" && grep -qE '"bw" \[label="bw\\nbutterworth\\n[0-9.]+ msg/s' <<<"$out" &&
  grep -qE '" -> "bw";' <<<"$out"; echo $?) "$out"
out=$("$ezc" graph pg --format mermaid 2>&1)
check "ezc graph pg --format mermaid" $(grep -q '^flowchart LR' <<<"$out" &&
  grep -q 'subgraph group_filt' <<<"$out" && grep -q -- '--> n_bw' <<<"$out"; echo $?) "$out"
expect "ezc graph of a name nothing runs" 1 "nosuchgraph: cannot open" -- "$ezc" graph nosuchgraph
expect "stop pg" 0 "" -- "$ezc" stop pg
wait $pg_pid; status=$?
check "the supervisor exits 0 after ezc stop" $status "$(tail -5 "$dir/pg.log")"
finish
