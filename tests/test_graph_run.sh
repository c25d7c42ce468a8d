#!/usr/bin/env bash
# test_graph_run.sh — graph files through the ezc command as a user runs
# them: validate and graph output, then `ezc run` as a real child process
# (threads in one process, then process groups as children over ipc://),
# with a Python subscriber (tools/python/ezc_wire.py) checking the values
# that arrive against numpy: |sin| of the synthetic sine (float64, 1e-12)
# and the counter's sample indices (exact, no gap). SIGINT must give exit
# status 0, leave no child process and no ipc socket file behind.
# Usage: test_graph_run.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" graph_run

# Receives N messages from an endpoint and checks them (kind: abs_sine or counter).
receive() { # receive ENDPOINT N KIND
  "$py" - "$1" "$2" "$3" "$src/tools/python" <<'PYEOF'
import sys
import numpy as np
sys.path.insert(0, sys.argv[4])
import ezc_wire
ep, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sub = ezc_wire.Subscriber(ep)
last_end = None
for i in range(n):
    m = sub.recv(timeout_ms=10000)
    if m is None:
        sys.exit(f"message {i}: nothing within 10 s")
    assert m.dims == ["time", "ch"], m.dims
    ax = m.axes["time"]
    fs = 1.0 / ax["gain"]
    n0 = int(round(ax["offset"] * fs))
    t = (n0 + np.arange(m.data.shape[0]))[:, None] / fs
    if kind == "abs_sine":   # fs 1000, freq 7, 3 channels, float64
        c = np.arange(m.data.shape[1])[None, :]
        want = np.abs(np.sin(2 * np.pi * 7.0 * (c + 1) * t))
        assert m.data.dtype == np.float64, m.data.dtype
        assert np.all(m.data >= 0), "negative value after abs"
        err = np.max(np.abs(m.data - want))
        assert err <= 1e-12, f"message {i}: max error {err}"
    else:                    # counter (x k for counterK): every channel holds the sample index
        k = int(kind[7:] or 1)
        want = np.broadcast_to(k * (n0 + np.arange(m.data.shape[0]))[:, None], m.data.shape)
        assert np.array_equal(m.data, want), f"message {i}: {m.data[:3, 0]} != {want[:3, 0]}"
        if last_end is not None:
            assert n0 == last_end, f"gap: chunk starts at {n0}, previous ended at {last_end}"
        last_end = n0 + m.data.shape[0]
print(f"ok {n} {kind}")
PYEOF
}

# ---- validate / graph ----
for c in validate graph run; do
  expect "$c --help" 0 "usage: ezc $c" -- "$ezc" "$c" --help
done
expect "validate demo" 0 "demo_abs.yaml: ok (3 nodes, 2 edges)" -- "$ezc" validate "$src/configs/demo_abs.yaml"
cat > "$dir/bad.yaml" <<'YEOF'
nodes:
  s: {type: sine, settings: {fs: fast}}
  a: {type: abss}
edges:
  - s -> a
  - a -> nowhere
YEOF
out=$("$ezc" validate "$dir/bad.yaml" 2>&1); status=$?
check "validate errors exit 1" $([ $status -eq 1 ]; echo $?) "status $status"
check "validate error lines" $(grep -q "^$dir/bad.yaml:2: node 's': sine: setting 'fs' = 'fast': expected a number (float)" <<<"$out" &&
  grep -q "^$dir/bad.yaml:3: node 'a': unknown transformer type 'abss'" <<<"$out" &&
  grep -q "^$dir/bad.yaml:6: edge 'a -> nowhere': unknown node 'nowhere'" <<<"$out"; echo $?) "$out"
check "validate errors in line order" $(grep -o '^[^ ]*yaml:[0-9]*' <<<"$out" | cut -d: -f2 | sort -n -c 2>/dev/null; echo $?) "$out"
expect "validate missing file" 1 "cannot open" -- "$ezc" validate "$dir/none.yaml"
expect "graph refuses a bad file" 1 "bad.yaml:3:" -- "$ezc" graph "$dir/bad.yaml"
expect "graph bad format" 2 "--format 'svg': expected dot or mermaid" -- "$ezc" graph "$src/configs/demo_abs.yaml" --format svg

# ---- one process: threads ----
cat > "$dir/one.yaml" <<YEOF
nodes:
  sine:
    type: sine
    settings: {fs: 1000, channels: 3, chunk: 20, freq: 7, dtype: float64}
  rect: {type: abs}
  count: {type: counter, settings: {fs: 2000, channels: 2, chunk: 10, dtype: int32}}
  rect2: {type: abs}
  pub: {type: publish, settings: {endpoint: "ipc://$dir/count"}}
  show: {type: print, settings: {every: 10}}
edges:
  - sine -> rect
  - rect -> show
  - count -> rect2
  - {from: rect2, to: pub, queue: block}
outputs:
  envelope: {node: rect, endpoint: "ipc://$dir/abs"}
YEOF
expect "validate one" 0 "ok (6 nodes, 4 edges)" -- "$ezc" validate "$dir/one.yaml"
dot=$("$ezc" graph "$dir/one.yaml")
check "dot labels" $(grep -q '"sine" \[label="sine\\nsine\\nchannels=3\\nchunk=20\\nfreq=7\\ndtype=float64"' <<<"$dot"; echo $?) "$dot"
check "dot output endpoint" $(grep -q '"rect" -> "output:envelope"' <<<"$dot"; echo $?) "$dot"
"$ezc" run "$dir/one.yaml" --quiet > "$dir/one.out" 2>&1 & run=$!; pids+=($run)
r1=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/abs 20 abs_sine" 2>&1)
check "run: |sine| values" $([[ "$r1" == "ok 20 abs_sine" ]]; echo $?) "$r1"
r2=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/count 30 counter" 2>&1)
check "run: counter values, no gap" $([[ "$r2" == "ok 30 counter" ]]; echo $?) "$r2"
kill -INT $run; wait $run; status=$?
check "run: SIGINT exit 0" $status "status $status: $(cat "$dir/one.out")"
check "run: print sink lines" $(grep -q '^show: seq=.* dtype=float64 shape=\[20, 3\] dims=\[time, ch\]' "$dir/one.out"; echo $?) "$(head -5 "$dir/one.out")"
left=$(find "$dir" -type s | wc -l)
check "run: no ipc file left" $([ "$left" -eq 0 ]; echo $?) "$(find "$dir" -type s)"

# --duration ends the run by itself, with a summary per node.
out=$(timeout 20 "$ezc" run "$dir/one.yaml" --duration 1 2>&1 >/dev/null); status=$?
check "run --duration exit 0" $status "status $status: $out"
check "run summary" $(grep -q "ezc run: rect: [0-9]* messages" <<<"$out"; echo $?) "$out"
# latency since the source: shown for the nodes downstream of it, growing
# (or equal) along the chain, not for the source itself
p50() { grep "ezc run: $1: " <<<"$out" | sed -nE 's/.*latency p50 ([0-9]+) us.*/\1/p'; }
lr=$(p50 rect)
check "run summary: latency p50 at rect" $([ -n "$lr" ]; echo $?) "$out"
check "run summary: no latency at the source" $(grep "ezc run: sine: " <<<"$out" | grep -vq latency; echo $?) "$out"

# Queue policies: a blocking edge loses nothing; conflate and drop_oldest
# edges drop (counted) instead of holding the fast source back, and what
# they deliver plus what they drop never exceeds what was sent.
cat > "$dir/queues.yaml" <<YEOF
nodes:
  c: {type: counter, settings: {realtime: false, chunk: 1000, channels: 64}}
  a: {type: abs}
  b: {type: abs}
  p: {type: print, settings: {every: 1000000}}
  q: {type: print, settings: {every: 1000000}}
edges:
  - c -> a
  - {from: c, to: b, queue: conflate}
  - {from: a, to: p, queue: drop_oldest, queue_size: 4}
  - b -> q
YEOF
out=$(timeout 30 "$ezc" run "$dir/queues.yaml" --duration 2 2>&1 >/dev/null); status=$?
check "queues: exit 0" $status "$out"
sent=$(grep "ezc run: c: " <<<"$out" | sed -E 's/.*: ([0-9]+) messages.*/\1/')
adrops=$(grep "ezc run: a: " <<<"$out" | sed -E 's/.*drops ([0-9]+),.*/\1/')
bsum=$(( $(grep "ezc run: b: " <<<"$out" | sed -E 's/.*: ([0-9]+) messages.*drops ([0-9]+),.*/\1 + \2/') ))
psum=$(( $(grep "ezc run: p: " <<<"$out" | sed -E 's/.*: ([0-9]+) messages.*drops ([0-9]+),.*/\1 + \2/') ))
check "queues: block edge drops nothing" $([ "$adrops" = 0 ]; echo $?) "$out"
check "queues: delivered + dropped <= sent" $([ "$bsum" -le "$sent" ] && [ "$psum" -le "$sent" ] && [ "$sent" -gt 100 ]; echo $?) "$out"

# Fusion: counter -> scale -> abs -> publish is one thread by default (no
# socket between the nodes); the values must be those of the same chain
# with a socket per edge (runtime: {fuse: false}): 2 x the sample index,
# no gap, and per-node counters either way.
for fuse in true false; do
  cat > "$dir/fuse-$fuse.yaml" <<YEOF
runtime: {fuse: $fuse}
nodes:
  c: {type: counter, settings: {fs: 2000, channels: 3, chunk: 10, dtype: float64}}
  neg: {type: scale, settings: {scale: -2}}
  mag: {type: abs}
  pub: {type: publish, settings: {endpoint: "ipc://$dir/fuse-$fuse"}}
edges: [c -> neg, neg -> mag, mag -> pub]
YEOF
  "$ezc" run "$dir/fuse-$fuse.yaml" > "$dir/fuse-$fuse.out" 2>&1 & run=$!; pids+=($run)
  r=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/fuse-$fuse 30 counter2" 2>&1)
  check "fuse $fuse: 2 x counter values, no gap" $([[ "$r" == "ok 30 counter2" ]]; echo $?) "$r"
  kill -INT $run; wait $run; status=$?
  out=$(cat "$dir/fuse-$fuse.out")
  check "fuse $fuse: SIGINT exit 0" $status "status $status: $out"
  for n in c neg mag pub; do
    check "fuse $fuse: summary counts node $n" $(grep -Eq "ezc run: $n: [1-9][0-9]* messages" <<<"$out"; echo $?) "$out"
  done
done
dot=$("$ezc" graph "$dir/fuse-true.yaml"); dotn=$("$ezc" graph "$dir/fuse-false.yaml")
check "graph: fused edges bold" $(grep -q '"neg" -> "mag" \[style=bold\]' <<<"$dot" && ! grep -q bold <<<"$dotn"; echo $?) "$dot"
expect "mermaid: fused edges thick" 0 'n_c ==> n_neg' -- "$ezc" graph "$dir/fuse-true.yaml" --format mermaid
expect "runtime: bad fuse value" 1 "runtime: fuse = 'maybe': expected true or false" -- \
  "$ezc" validate /dev/stdin <<<"$(sed 's/fuse: true/fuse: maybe/' "$dir/fuse-true.yaml")"

# Per-node errors and restarts inside a fused chain: diff refuses every
# message (no dim 'nope'), counted on diff alone; a record sink that cannot
# open its file restarts (on-failure) on its own: its upstream waits (a
# block edge), neither restarting nor failing.
cat > "$dir/fuse-err.yaml" <<YEOF
nodes:
  c: {type: counter, settings: {fs: 2000, channels: 2, chunk: 10}}
  s: {type: transpose, settings: {axes: [time, ch]}}
  d: {type: diff, settings: {axis: nope}}
  p: {type: print}
  c2: {type: counter, settings: {fs: 2000, channels: 2, chunk: 10}}
  a: {type: abs}
  rec: {type: record, restart: on-failure, settings: {path: "$dir/no/such/dir/x.rec"}}
edges: [c -> s, s -> d, d -> p, c2 -> a, a -> rec]
YEOF
out=$(timeout 20 "$ezc" run "$dir/fuse-err.yaml" --duration 1.5 2>&1 >/dev/null); status=$?
# validate follows dims only through transformers it knows (not transpose),
# so d's axis is refused at run time: every message, which is exit 1.
check "fuse errors: exit 1, the refusing node named" $([ $status -eq 1 ] &&
  grep -q "ezc run: node 'd' refused every message it got" <<<"$out"; echo $?) "status $status: $out"
num() { grep "ezc run: $1: " <<<"$out" | sed -nE "s/.* $2 ([0-9]+).*/\1/p"; }
msgs() { grep "ezc run: $1: " <<<"$out" | sed -nE 's/.*: ([0-9]+) messages.*/\1/p'; }
check "fuse errors: counted on the refusing node" $([ "$(num d errors)" -gt 5 ] && [ "$(num s errors)" = 0 ] &&
  [ "$(msgs p)" = 0 ] && [ "$(msgs s)" -gt 5 ]; echo $?) "$out"
check "fuse restarts: counted on the failing node" $([ "$(num rec restarts)" -ge 2 ] &&
  [ "$(num a restarts)" = 0 ] && [ "$(num a errors)" = 0 ] && [ "$(msgs a)" -ge 2 ]; echo $?) "$out"

# inputs: an outside publisher (ezc pub) feeding a node of the graph.
cat > "$dir/inputs.yaml" <<YEOF
nodes:
  rect: {type: abs}
  pub: {type: publish, settings: {endpoint: "ipc://$dir/inabs"}}
edges: [rect -> pub]
inputs:
  ext: {node: rect, endpoint: "ipc://$dir/ext", topic: raw}
YEOF
"$ezc" pub "ipc://$dir/ext" --signal counter --channels 2 --chunk 10 --fs 2000 & extpub=$!; pids+=($extpub)
"$ezc" run "$dir/inputs.yaml" --quiet & run=$!; pids+=($run)
r5=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/inabs 20 counter" 2>&1)
check "inputs: outside publisher through the graph" $([[ "$r5" == "ok 20 counter" ]]; echo $?) "$r5"
kill -INT $run; wait $run; status=$?
check "inputs: SIGINT exit 0" $status "status $status"
kill -INT $extpub; wait $extpub
rm -f "$dir/ext"

# A `subscribe` source node: the same outside publisher as a named node.
cat > "$dir/subscribe.yaml" <<YEOF
nodes:
  ext: {type: subscribe, settings: {endpoint: "ipc://$dir/ext2", topic: raw}}
  rect: {type: abs}
  pub: {type: publish, settings: {endpoint: "ipc://$dir/subabs"}}
edges: [ext -> rect, rect -> pub]
YEOF
expect "validate subscribe node" 0 "ok (3 nodes, 2 edges)" -- "$ezc" validate "$dir/subscribe.yaml"
"$ezc" pub "ipc://$dir/ext2" --signal counter --channels 2 --chunk 10 --fs 2000 & extpub=$!; pids+=($extpub)
"$ezc" run "$dir/subscribe.yaml" --quiet & run=$!; pids+=($run)
r6=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/subabs 20 counter" 2>&1)
check "subscribe node: outside publisher through the graph" $([[ "$r6" == "ok 20 counter" ]]; echo $?) "$r6"
# and through the C API (ezc echo is an ezc_sub client): chunks of 10
# consecutive sample indices, so max - min = 9 in every message
echoed=$(timeout 20 "$ezc" echo "ipc://$dir/subabs" --count 5 --timeout 10 2>&1)
spans=$(grep -o 'min=[0-9]* max=[0-9]*' <<<"$echoed" | awk -F'[= ]' '{print $4 - $2}' | sort -u | tr '\n' ' ')
check "subscribe node: C API subscriber sees the counter" $([ "$(grep -c '^seq=.*shape=\[10, 2\]' <<<"$echoed")" -eq 5 ] && [ "$spans" = "9 " ]; echo $?) "$echoed"
kill -INT $run; wait $run; status=$?
check "subscribe node: SIGINT exit 0" $status "status $status"
kill -INT $extpub; wait $extpub
rm -f "$dir/ext2"
expect "subscribe node needs an endpoint" 1 "endpoint" -- "$ezc" validate <(printf 'nodes:\n  s: {type: subscribe}\n  p: {type: print}\nedges: [s -> p]\n')

# ---- process groups: children over ipc:// ----
cat > "$dir/groups.yaml" <<YEOF
nodes:
  sine:
    type: sine
    process: acq
    settings: {fs: 1000, channels: 3, chunk: 20, freq: 7, dtype: float64}
  rect: {type: abs, process: dsp, restart: on-failure}
  pub: {type: publish, process: out, settings: {endpoint: "ipc://$dir/gabs"}}
edges:
  - sine -> rect
  - rect -> pub
YEOF
expect "mermaid groups" 0 'subgraph group_dsp ["process dsp"]' -- "$ezc" graph "$dir/groups.yaml" --format mermaid
"$ezc" run "$dir/groups.yaml" > "$dir/groups.out" 2>&1 & run=$!; pids+=($run)
r3=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/gabs 20 abs_sine" 2>&1)
check "groups: |sine| values across processes" $([[ "$r3" == "ok 20 abs_sine" ]]; echo $?) "$r3"
kids=$(pgrep -P $run | tr '\n' ' ')
nkids=$(wc -w <<<"$kids")
check "groups: one child per group" $([ "$nkids" -eq 3 ]; echo $?) "children: $kids"
ipcdir=$(tr '\0' '\n' < /proc/$(awk '{print $1}' <<<"$kids")/cmdline | grep -A1 -- --ipc-dir | tail -1)
check "groups: private ipc folder" $([ -d "$ipcdir" ]; echo $?) "'$ipcdir'"
# Kill the dsp group: on-failure restarts it, and data flows again.
dsp=""
for k in $kids; do tr '\0' ' ' < /proc/$k/cmdline | grep -q -- '--group dsp' && dsp=$k; done
kill -KILL "$dsp" 2>/dev/null
sleep 1.5
r4=$(timeout 30 bash -c "$(declare -f receive); py='$py' src='$src' receive ipc://$dir/gabs 5 abs_sine" 2>&1)
check "groups: restarted after a crash" $([[ "$r4" == "ok 5 abs_sine" ]]; echo $?) "$r4 $(cat "$dir/groups.out")"
kids=$(pgrep -P $run | tr '\n' ' ')
kill -INT $run; wait $run; status=$?
check "groups: SIGINT exit 0" $status "status $status: $(cat "$dir/groups.out")"
# The supervisor's summary: a line per node of every group (the children
# report their nodes through a pipe), counts summed over restarts, and
# the crash counted as a restart of the dsp group's nodes.
out=$(cat "$dir/groups.out")
for n in "acq: sine" "dsp: rect" "out: pub"; do
  check "groups: summary line for $n" $(grep -Eq "^ezc run group $n: [1-9][0-9]* messages" <<<"$out"; echo $?) "$out"
done
check "groups: restart in the summary" $(grep -Eq "^ezc run group dsp: rect: .*restarts [1-9]" <<<"$out" &&
  grep -Eq "^ezc run group acq: sine: .*restarts 0" <<<"$out"; echo $?) "$out"
# Downstream of the crash (another process) the restarted publisher (same
# id, numbering resumed past what was lost) shows as a gap, and valid data
# followed (r4 above); tests/test_restart_loss.sh checks the gap is exact.
check "groups: the crash is a gap downstream" $(grep -Eq "^ezc run group out: pub: .*drops [1-9]" <<<"$out"; echo $?) "$out"
sleep 0.2
alive=0; for k in $kids; do kill -0 "$k" 2>/dev/null && alive=$((alive+1)); done
check "groups: no child left" $([ "$alive" -eq 0 ]; echo $?) "alive: $alive of $kids"
check "groups: ipc folder removed" $([ ! -e "$ipcdir" ]; echo $?) "$ipcdir"
left=$(find "$dir" -type s | wc -l)
check "groups: no ipc file left" $([ "$left" -eq 0 ]; echo $?) "$(find "$dir" -type s)"

finish
