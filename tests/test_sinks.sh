#!/usr/bin/env bash
# test_sinks.sh — what a graph's sinks show and let out (nodes/graph_run.c,
# nodes/summary.c):
#   print: the header line, then per channel first/last/min/max/mean
#     (`values: summary`, the default; at most 8 channels, then a count),
#     every value (`values: full`) or the header only (`values: none`);
#     checked line for line on known data (a counter through a per-channel
#     linear map: channel c holds scale[c] * sample index).
#   publish / outputs: a message holding no data (a window not full yet:
#     0 along its first dim) does not leave the graph, unless the publish
#     sink says `keep_empty: true`.
# Usage: test_sinks.sh PATH_TO_EZC
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" sinks

cat > "$dir/print.yaml" <<YEOF
nodes:
  c: {type: counter, settings: {fs: 1000, channels: 3, chunk: 4, realtime: false, count: 2, dtype: float64}}
  m: {type: linear, settings: {scale: [1, -2, 10], axis: ch}}
  p: {type: print}
  f: {type: print, settings: {values: full}}
  n: {type: print, settings: {values: none}}
edges: [c -> m, m -> p, m -> f, m -> n]
YEOF
expect "print: validate" 0 "ok (5 nodes, 4 edges)" -- "$ezc" validate "$dir/print.yaml"
"$ezc" run "$dir/print.yaml" --duration 1 > "$dir/print.out" 2> "$dir/print.err"; status=$?
check "print: run exit 0" $status "status $status: $(cat "$dir/print.err")"
# ch1 at sample 0: 0 * -2 + 0 is +0, as numpy and ezmsg compute linear.
want_p="p: seq=0 key=c dtype=float64 shape=[4, 3] dims=[time, ch] device=cpu time.offset=0.000000s fs=1000
p:   ch0: first=0 last=3 min=0 max=3 mean=1.5 (over 4)
p:   ch1: first=0 last=-6 min=-6 max=0 mean=-3 (over 4)
p:   ch2: first=0 last=30 min=0 max=30 mean=15 (over 4)
p: seq=1 key=c dtype=float64 shape=[4, 3] dims=[time, ch] device=cpu time.offset=0.004000s fs=1000
p:   ch0: first=4 last=7 min=4 max=7 mean=5.5 (over 4)
p:   ch1: first=-8 last=-14 min=-14 max=-8 mean=-11 (over 4)
p:   ch2: first=40 last=70 min=40 max=70 mean=55 (over 4)"
got_p=$(grep '^p:' "$dir/print.out")
check "print: summary values per channel" $([ "$got_p" == "$want_p" ]; echo $?) "$got_p"
want_f="f: seq=0 key=c dtype=float64 shape=[4, 3] dims=[time, ch] device=cpu time.offset=0.000000s fs=1000
f:   [0]: 0 0 0
f:   [1]: 1 -2 10
f:   [2]: 2 -4 20
f:   [3]: 3 -6 30
f: seq=1 key=c dtype=float64 shape=[4, 3] dims=[time, ch] device=cpu time.offset=0.004000s fs=1000
f:   [0]: 4 -8 40
f:   [1]: 5 -10 50
f:   [2]: 6 -12 60
f:   [3]: 7 -14 70"
got_f=$(grep '^f:' "$dir/print.out")
check "print: values: full shows every value" $([ "$got_f" == "$want_f" ]; echo $?) "$got_f"
got_n=$(grep '^n:' "$dir/print.out")
check "print: values: none shows headers only" \
  $([ "$(wc -l <<<"$got_n")" -eq 2 ] && ! grep -q "first=\|\]:" <<<"$got_n"; echo $?) "$got_n"

printf 'nodes:\n  c: {type: counter, settings: {channels: 11, chunk: 2, realtime: false, count: 1}}\n  p: {type: print}\nedges: [c -> p]\n' > "$dir/wide.yaml"
out=$("$ezc" run "$dir/wide.yaml" --duration 1 2>/dev/null)
check "print: 8 channels, then how many more" \
  $([ "$(grep -c 'first=' <<<"$out")" -eq 8 ] && grep -qx "p:   ... 3 more channels (values: full shows every value)" <<<"$out"; echo $?) "$out"
expect "print: bad values setting" 1 "setting 'values'" -- "$ezc" validate \
  <(printf 'nodes:\n  c: {type: counter}\n  p: {type: print, settings: {values: all}}\nedges: [c -> p]\n')

# Empty messages: 10-sample windows of 4-sample chunks, so 3 of every 5
# window outputs hold no window.
cat > "$dir/empty.yaml" <<YEOF
nodes:
  c: {type: counter, settings: {fs: 1000, channels: 2, chunk: 4}}
  w: {type: window, settings: {window_dur: 0.01, window_shift: 0.01, zero_pad_until: none}}
  drop: {type: publish, settings: {endpoint: "ipc://$dir/drop"}}
  keep: {type: publish, settings: {endpoint: "ipc://$dir/keep", keep_empty: true}}
edges: [c -> w, w -> drop, w -> keep]
outputs:
  out: {node: w, endpoint: "ipc://$dir/out"}
YEOF
expect "empty: validate" 0 "ok (4 nodes, 3 edges)" -- "$ezc" validate "$dir/empty.yaml"
"$ezc" run "$dir/empty.yaml" --duration 3 --quiet 2> "$dir/empty.err" & pids+=($!)
res=$(timeout 20 "$py" - "$dir" "$src" <<'PYEOF'
import sys, time
sys.path.insert(0, sys.argv[2] + "/tools/python")
import ezc_wire
d = sys.argv[1]
subs = {k: ezc_wire.Subscriber(f"ipc://{d}/{k}") for k in ("drop", "keep", "out")}
seen = {k: [0, 0] for k in subs}  # [with data, empty]
end = time.monotonic() + 2.0
while time.monotonic() < end:
    for k, s in subs.items():
        m = s.recv(timeout_ms=10)
        if m is not None and not getattr(m, "eos", False):
            seen[k][m.data.size == 0] += 1
print(" ".join(f"{k}={v[0]}/{v[1]}" for k, v in seen.items()))
PYEOF
)
wait "${pids[-1]}"; status=$?
check "empty: run exit 0" $status "status $status: $(cat "$dir/empty.err")"
read -r drop keep outp <<<"$res"
nd() { cut -d= -f2 <<<"$1" | cut -d/ -f1; }
ne() { cut -d/ -f2 <<<"$1"; }
check "empty: publish sink lets data out" $([ "$(nd "$drop")" -gt 5 ]; echo $?) "$res"
check "empty: publish sink drops empty messages" $([ "$(ne "$drop")" -eq 0 ]; echo $?) "$res"
check "empty: outputs: entry drops empty messages" $([ "$(ne "$outp")" -eq 0 ] && [ "$(nd "$outp")" -gt 5 ]; echo $?) "$res"
check "empty: keep_empty: true lets them out" $([ "$(ne "$keep")" -gt 0 ] && [ "$(nd "$keep")" -gt 5 ]; echo $?) "$res"

# `ezc node` follows the same rule for its --out; --keep-empty lets them out.
"$ezc" pub "ipc://$dir/raw" --signal counter --fs 1000 --channels 2 --chunk 4 --count 400 \
  > /dev/null 2>&1 & pids+=($!)
for k in drop keep; do
  extra=(); [ $k = keep ] && extra=(--keep-empty)
  "$ezc" node window --set window_dur=0.01 --set window_shift=0.01 --set zero_pad_until=none \
    --in "ipc://$dir/raw" --out "ipc://$dir/node_$k" "${extra[@]}" > /dev/null 2>&1 & pids+=($!)
done
res=$(timeout 20 "$py" - "$dir" "$src" <<'PYEOF'
import sys, time
sys.path.insert(0, sys.argv[2] + "/tools/python")
import ezc_wire
d = sys.argv[1]
subs = {k: ezc_wire.Subscriber(f"ipc://{d}/node_{k}") for k in ("drop", "keep")}
seen = {k: [0, 0] for k in subs}
end = time.monotonic() + 2.5
while time.monotonic() < end:
    for k, s in subs.items():
        m = s.recv(timeout_ms=10)
        if m is not None and not getattr(m, "eos", False):
            seen[k][m.data.size == 0] += 1
print(" ".join(f"{k}={v[0]}/{v[1]}" for k, v in seen.items()))
PYEOF
)
read -r ndrop nkeep <<<"$res"
check "empty: ezc node drops empty results" $([ "$(ne "$ndrop")" -eq 0 ] && [ "$(nd "$ndrop")" -gt 5 ]; echo $?) "$res"
check "empty: ezc node --keep-empty lets them out" $([ "$(ne "$nkeep")" -gt 0 ]; echo $?) "$res"
finish
