#!/usr/bin/env bash
# test_eos.sh — end of stream, as a user meets it. Finite graphs end by
# themselves with exit 0 (one process fused and unfused, process groups,
# two hosts over tcp, nodes whose policy is `always`, a two-input node that
# must wait for both inputs, `subscribe` and `inputs:` fed by a finite
# `ezc pub`); `ezc pub --count`, `ezc replay`, `ezc node`, a graph's publish
# sink and a Python publisher end their streams and `ezc echo`/`record`/`hz`
# stop at the marker (or keep listening with --keep); the marker is no
# sequence gap, while messages lost just before it are. Every wait is
# bounded (timeout), none is timed.
# Usage: test_eos.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" eos
pywire() { PYTHONPATH="$src/tools/python" "$py" - "$@"; }
# wait_for FILE TEXT: until FILE holds TEXT (at most 20 s); 0 when it does.
wait_for() {
  for _ in $(seq 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
lines() { grep -c "$2" "$1"; } # lines of FILE matching RE

for c in echo hz record; do
  expect "$c --help names --keep" 0 "--keep" -- "$ezc" "$c" --help
done
expect "run --help names the end of stream" 0 "end of its streams" -- "$ezc" run --help

# ---- graphs: counter {count: 3} -> print ends by itself ----
run_graph() { # run_graph NAME FILE: exit 0 within the bound, 3 messages printed
  local name="$1" file="$2" status
  timeout 60 "$ezc" run "$file" >"$dir/$name.out" 2>"$dir/$name.err"; status=$?
  check "$name: exits 0 by itself" $status "status $status: $(tail -5 "$dir/$name.err")"
  local n; n=$(lines "$dir/$name.out" '^p: seq=')
  check "$name: 3 messages printed" $([ "$n" -eq 3 ]; echo $?) "$n lines: $(head -c 600 "$dir/$name.out")"
  check "$name: the last is seq 2" $(grep -q '^p: seq=2 ' "$dir/$name.out"; echo $?) \
    "$(head -c 600 "$dir/$name.out")"
}
cat >"$dir/one.yaml" <<'EOF'
nodes:
  c: {type: counter, settings: {count: 3, chunk: 10, channels: 2}}
  s: {type: scale, settings: {scale: 2}}
  p: {type: print}
edges: [c -> s, s -> p]
EOF
run_graph fused "$dir/one.yaml"
check "fused: says every node finished" $(grep -q "end of stream: every node has finished" "$dir/fused.err"; echo $?) "$(cat "$dir/fused.err")"
{ echo "runtime: {fuse: false}"; cat "$dir/one.yaml"; } >"$dir/unfused.yaml"
run_graph unfused "$dir/unfused.yaml"

# A node whose policy restarts it after any exit still finishes at the end.
sed 's/count: 3,/count: 3, realtime: false,/; s/type: counter,/type: counter, restart: always,/' \
  "$dir/one.yaml" >"$dir/always.yaml"
run_graph always "$dir/always.yaml"

cat >"$dir/groups.yaml" <<'EOF'
nodes:
  c: {type: counter, process: a, restart: always, settings: {count: 3, chunk: 10, channels: 2}}
  s: {type: scale, process: a, settings: {scale: 2}}
  p: {type: print, process: b, restart: on-failure}
edges: [c -> s, s -> p]
EOF
run_graph groups "$dir/groups.yaml"
check "groups: group a finished, not restarted" \
  $(grep -q "group 'a' finished (end of stream)" "$dir/groups.err" && ! grep -q "restarts [1-9]" "$dir/groups.err"; echo $?) \
  "$(cat "$dir/groups.err")"
{ echo "runtime: {fuse: false}"; cat "$dir/groups.yaml"; } >"$dir/groups_unfused.yaml"
run_graph groups_unfused "$dir/groups_unfused.yaml"

# Across hosts (tcp:// edges on loopback): both `ezc run --host` end by themselves.
pa=$((24000 + ($$ % 2000) * 10)); pb=$((pa + 5))
cat >"$dir/hosts.yaml" <<EOF
hosts:
  a: {address: 127.0.0.1, port: $pa, groups: [acq]}
  b: {address: 127.0.0.2, port: $pb, groups: [out]}
nodes:
  c: {type: counter, process: acq, settings: {count: 3, chunk: 10, channels: 2}}
  p: {type: print, process: out}
edges: [c -> p]
EOF
timeout 60 "$ezc" run "$dir/hosts.yaml" --host b >"$dir/hosts.out" 2>"$dir/hostsb.err" & hb=$!
timeout 60 "$ezc" run "$dir/hosts.yaml" --host a >/dev/null 2>"$dir/hostsa.err"
check "hosts: host a ends by itself" $? "$(cat "$dir/hostsa.err")"
wait "$hb"; status=$?
check "hosts: host b ends by itself" $status "status $status: $(cat "$dir/hostsb.err")"
check "hosts: 3 messages printed" $([ "$(lines "$dir/hosts.out" '^p: seq=')" -eq 3 ]; echo $?) \
  "$(head -c 600 "$dir/hosts.out")"

# A two-input node ends only after both inputs ended: b runs on well after a.
cat >"$dir/two.yaml" <<'EOF'
nodes:
  a: {type: counter, settings: {count: 3, chunk: 10, channels: 2, realtime: false}}
  b: {type: counter, settings: {count: 12, chunk: 10, channels: 2, fs: 200}}
  s: {type: add_streams}
  p: {type: print}
edges: [a -> s.a, b -> s.b, s -> p]
EOF
timeout 60 "$ezc" run "$dir/two.yaml" >"$dir/two.out" 2>"$dir/two.err"; status=$?
check "add_streams: exits 0 by itself" $status "status $status: $(cat "$dir/two.err")"
check "add_streams: took all 15 inputs before ending" \
  $(grep -q "ezc run: s: 15 messages" "$dir/two.err"; echo $?) "$(cat "$dir/two.err")"
check "add_streams: 3 pairs printed" $([ "$(lines "$dir/two.out" '^p: seq=')" -eq 3 ]; echo $?) \
  "$(head -c 600 "$dir/two.out")"

# ---- ezc pub --count N -> ezc echo ----
timeout 30 "$ezc" echo "ipc://$dir/p1" --header-only >"$dir/echo.out" 2>"$dir/echo.err" & e=$!
pids+=($e)
"$ezc" pub "ipc://$dir/p1" --count 5 --fast --first-wait 5000 2>"$dir/pub.err"
check "pub --count 5 exits 0" $? "$(cat "$dir/pub.err")"
wait "$e"; status=$?
check "echo exits 0 at the end of stream" $status "status $status: $(cat "$dir/echo.err")"
check "echo printed 5 messages" $([ "$(lines "$dir/echo.out" '^seq=')" -eq 5 ]; echo $?) "$(cat "$dir/echo.out")"
check "echo says end of stream" $(grep -q "end of stream (topic 'raw') after 5 messages" "$dir/echo.err"; echo $?) \
  "$(cat "$dir/echo.err")"

# --keep: the end is reported, and a second stream on the endpoint still arrives.
"$ezc" echo "ipc://$dir/p2" --header-only --keep >"$dir/keep.out" 2>"$dir/keep.err" & k=$!
pids+=($k)
"$ezc" pub "ipc://$dir/p2" --count 5 --fast --first-wait 5000 2>/dev/null
wait_for "$dir/keep.err" "listening on (--keep)"
check "echo --keep reports the end" $? "$(cat "$dir/keep.err")"
"$ezc" pub "ipc://$dir/p2" --count 2 --fast --first-wait 5000 2>/dev/null
wait_for "$dir/keep.err" "after 7 messages"
check "echo --keep goes on receiving" $? "$(cat "$dir/keep.err"; cat "$dir/keep.out")"
kill -0 "$k" 2>/dev/null
check "echo --keep still runs" $? "it exited"
kill "$k"; wait "$k" 2>/dev/null

# ---- ezc replay -> ezc record: the copy stops and has its footer ----
timeout 30 "$ezc" record "ipc://$dir/r1" "$dir/a.ezr" 2>"$dir/rec1.err" & r=$!
"$ezc" pub "ipc://$dir/r1" --count 6 --fast --first-wait 5000 --topic cnt 2>/dev/null
wait "$r"; check "record stops at the end of pub's stream" $? "$(cat "$dir/rec1.err")"
timeout 30 "$ezc" record "ipc://$dir/r2" "$dir/b.ezr" 2>"$dir/rec2.err" & r=$!
"$ezc" replay "$dir/a.ezr" "ipc://$dir/r2" --fast --quiet
check "replay exits 0" $? ""
wait "$r"; status=$?
check "record stops at the end of the replay" $status "status $status: $(cat "$dir/rec2.err")"
check "record keeps all 6" $(grep -q "6 messages" "$dir/rec2.err"; echo $?) "$(cat "$dir/rec2.err")"
expect "the copy has its index (footer)" 0 "is complete (it has its index)" -- "$ezc" record --repair "$dir/b.ezr"
r=$(PYTHONPATH="$src/tools/python" "$py" -c '
import sys, ezc_recording
print(len(ezc_recording.Recording(sys.argv[1])))' "$dir/b.ezr" 2>&1)
check "the copy reads back: 6 messages, no marker stored" $([ "$r" = 6 ]; echo $?) "$r"

# ---- the marker is no gap; messages lost just before it are ----
timeout 30 "$ezc" hz "ipc://$dir/h1" >"$dir/hz.out" 2>"$dir/hz.err" & h=$!
"$ezc" replay "$dir/a.ezr" "ipc://$dir/h1" --quiet
wait "$h"; status=$?
check "hz exits 0 at the end of stream" $status "status $status: $(cat "$dir/hz.err")"
check "hz: the marker is no gap" $(tail -1 "$dir/hz.out" | grep -q "gaps 0  malformed 0 .*(n=6,"; echo $?) \
  "$(cat "$dir/hz.out")"
timeout 30 "$ezc" hz "ipc://$dir/h2" >"$dir/hz2.out" 2>"$dir/hz2.err" & h=$!
pywire "ipc://$dir/h2" <<'PYEOF'
import sys, numpy as np, ezc_wire
p = ezc_wire.Publisher(sys.argv[1], first_wait_ms=5000)
x = np.zeros((4, 2), np.float32)
p.send(x, ["time", "ch"], topic="t")  # seq 0, once hz has subscribed
for seq in (1, 2):                    # then 3 and 4 are lost: the end says 5 were sent
    p.sock.send_multipart(ezc_wire.encode(x, ["time", "ch"], "t", src=p.src, seq=seq))
p.sock.send_multipart(ezc_wire.encode_eos("t", p.src, 5))
p.close()
PYEOF
wait "$h"; status=$?
check "hz: messages lost before the end are gaps" \
  $([ $status -eq 0 ] && tail -1 "$dir/hz2.out" | grep -q "gaps 2  malformed 0 .*(n=3,"; echo $?) \
  "status $status: $(cat "$dir/hz2.out" "$dir/hz2.err")"

# ---- a Python publisher ends its stream through ezc_wire ----
timeout 30 "$ezc" echo "ipc://$dir/py" --header-only >"$dir/py.out" 2>"$dir/py.err" & e=$!
pywire "ipc://$dir/py" <<'PYEOF'
import sys, numpy as np, ezc_wire
p = ezc_wire.Publisher(sys.argv[1], first_wait_ms=5000)
for i in range(4):
    p.send(np.full((10, 2), i, np.float32), ["time", "ch"], topic="py")
p.send_eos("py")
p.close()
PYEOF
wait "$e"; status=$?
check "echo stops at a Python publisher's end" $status "status $status: $(cat "$dir/py.err")"
check "echo got the 4 Python messages" $([ "$(lines "$dir/py.out" '^seq=')" -eq 4 ]; echo $?) "$(cat "$dir/py.out")"

# ---- outside streams: a `subscribe` source and an `inputs:` entry end with their publisher ----
cat >"$dir/sub.yaml" <<EOF
nodes:
  i: {type: subscribe, settings: {endpoint: "ipc://$dir/in1"}}
  p: {type: print}
edges: [i -> p]
EOF
cat >"$dir/inputs.yaml" <<EOF
inputs:
  raw: {node: s.b, endpoint: "ipc://$dir/in2"}
nodes:
  c: {type: counter, settings: {count: 2, chunk: 10, channels: 2}}
  s: {type: add_streams}
  p: {type: print}
edges: [c -> s.a, s -> p]
EOF
for g in sub inputs; do
  n=3 ep=in1; [ "$g" = inputs ] && n=2 ep=in2
  timeout 60 "$ezc" run "$dir/$g.yaml" >"$dir/$g.out" 2>"$dir/$g.err" & r=$!
  "$ezc" pub "ipc://$dir/$ep" --count 3 --chunk 10 --channels 2 --first-wait 5000 2>/dev/null
  wait "$r"; status=$?
  check "$g: the graph ends with its outside publisher" $status "status $status: $(cat "$dir/$g.err")"
  check "$g: $n messages printed" $([ "$(lines "$dir/$g.out" '^p: seq=')" -eq "$n" ]; echo $?) \
    "$(head -c 600 "$dir/$g.out")"
done

# ---- ezc node passes the end on, and exits 0 ----
timeout 30 "$ezc" echo "ipc://$dir/n2" --header-only >"$dir/node.out" 2>"$dir/node.err" & e=$!
timeout 30 "$ezc" node abs --in "ipc://$dir/n1" --out "ipc://$dir/n2" 2>"$dir/node1.err" & nd=$!
"$ezc" pub "ipc://$dir/n1" --count 4 --fast --first-wait 5000 2>/dev/null
wait "$nd"; status=$?
check "ezc node exits 0 at the end of its input" $status "status $status: $(cat "$dir/node1.err")"
wait "$e"; status=$?
check "echo behind ezc node stops too" $status "status $status: $(cat "$dir/node.err")"
check "echo got the node's 4 messages" $([ "$(lines "$dir/node.out" '^seq=')" -eq 4 ]; echo $?) \
  "$(cat "$dir/node.out")"

# ---- ezc_wire reads the end of ezc's streams; a graph's publish sink ends its stream ----
cat >"$dir/pubsink.yaml" <<EOF
nodes:
  c: {type: counter, settings: {count: 4, chunk: 5, channels: 1}}
  o: {type: publish, settings: {endpoint: "ipc://$dir/sink", topic: done}}
edges: [c -> o]
EOF
pywire "ipc://$dir/sink" >"$dir/pysub.out" 2>&1 <<'PYEOF' & s=$!
import sys, ezc_wire
sub = ezc_wire.Subscriber(sys.argv[1])
print("ready", flush=True)
got = []
while True:
    m = sub.recv(timeout_ms=20000)
    if m is None:
        print("timeout", got); sys.exit(1)
    if m.eos:
        print("eos", m.topic, m.seq, len(got)); break
    got.append(m.seq)
PYEOF
wait_for "$dir/pysub.out" ready # connecting: the sink's first send waits for it
timeout 60 "$ezc" run "$dir/pubsink.yaml" --quiet 2>"$dir/pubsink.err"
check "a graph with a publish sink ends" $? "$(cat "$dir/pubsink.err")"
wait "$s"
check "ezc_wire sees the publish sink's end after its 4 messages" \
  $(grep -q "^eos done 4 4$" "$dir/pysub.out"; echo $?) "$(cat "$dir/pysub.out")"

finish
