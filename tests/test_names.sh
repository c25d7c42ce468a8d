#!/usr/bin/env bash
# test_names.sh — stream names on one host, with real processes: two `ezc pub
# --name` without an endpoint run side by side (private endpoints, no
# collision); `ezc ls` lists both with dtype, shape and rate and forgets one
# killed by kill -9; `ezc echo/hz/record NAME` read by name; a second live
# publisher of a name is refused naming the first's pid; a name not found
# is an error with close matches (or waited for with --wait); a graph's
# subscribe node takes {stream: NAME}; Python's Subscriber(name=...); `ezc
# ls` lists running graphs (a held GRAPH.ctl.lock). Also measures how soon
# after `ezc pub --name` starts `ezc ls` lists it.
# Usage: test_names.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" names
export EZC_RUN_DIR="$dir/run"

listed() { "$ezc" ls --quiet --streams 2>/dev/null | grep -qx "$1"; }
wait_listed() { # wait_listed NAME: up to 5 s
  for _ in $(seq 250); do listed "$1" && return 0; sleep 0.02; done
  return 1
}
ms() { date +%s%3N; }

# ---- two named publishers without endpoints, side by side ----
t0=$(ms)
"$ezc" pub --name emg/raw --channels 2 --chunk 10 --fs 500 & p1=$!; pids+=($p1)
until listed emg/raw || [ $(($(ms) - t0)) -gt 5000 ]; do :; done
t1=$(ms)
listed emg/raw; check "first named pub listed" $? "$("$ezc" ls 2>&1)"
echo "ezc ls lists a new 'ezc pub --name' after $((t1 - t0)) ms (process start included)"
"$ezc" pub --name emg/envelope --channels 3 --chunk 20 & p2=$!; pids+=($p2)
wait_listed emg/envelope; check "second named pub listed" $? "$("$ezc" ls 2>&1)"
kill -0 "$p1" 2>/dev/null && kill -0 "$p2" 2>/dev/null
check "both run side by side" $? "p1 or p2 exited"
out=$("$ezc" ls --streams)
ep1=$(awk '$1 == "emg/raw" {print $2}' <<<"$out")
ep2=$(awk '$1 == "emg/envelope" {print $2}' <<<"$out")
check "private endpoints, distinct, in the run folder" \
  $([[ "$ep1" == "ipc://$EZC_RUN_DIR/streams/"* && "$ep2" == "ipc://$EZC_RUN_DIR/streams/"* && \
       "$ep1" != "$ep2" ]]; echo $?) "$out"
check "ls shows pid" $(awk -v p="$p1" '$1 == "emg/raw" && $0 ~ p {f=1} END {exit !f}' <<<"$out"; echo $?) "$out"

# ---- consumers by name ----
out=$(timeout 10 "$ezc" echo emg/raw --count 3 --timeout 5 2>&1); status=$?
check "echo NAME --count 3" $([ $status -eq 0 ] && [ "$(grep -c '^seq=' <<<"$out")" -eq 3 ]; echo $?) "$out"
# the first message (sent once echo subscribed, or 0.5 s after the start) describes the stream
out=$("$ezc" ls --streams)
check "ls shows dtype, shape, dims, fs after the first message" \
  $(grep -E '^emg/raw +ipc://[^ ]+ +float32 +\[10, 2\] +time,ch +500 ' <<<"$out" >/dev/null; echo $?) "$out"
out=$(timeout 10 "$ezc" hz emg/envelope --duration 1.2 2>&1); status=$?
check "hz NAME" $([ $status -eq 0 ] && grep -q '^rate [1-9]' <<<"$out"; echo $?) "$out"
expect "record NAME FILE" 0 "" -- timeout 10 "$ezc" record emg/raw "$dir/raw.ezr" --count 2 --quiet
check "the recording holds 2 messages" $([ -s "$dir/raw.ezr" ]; echo $?) "no file"

# ---- errors ----
expect "second live publisher of a name refused" 1 "name 'emg/raw' is in use by pid $p1" -- \
  timeout 10 "$ezc" pub --name emg/raw --count 1
expect "name not found, close match named" 1 \
  "ezc echo: no stream named 'emg/ra' (did you mean: emg/raw?" -- timeout 10 "$ezc" echo emg/ra --count 1
expect "name not found, nothing close" 1 "no stream named 'zzz' (2 streams registered" -- \
  timeout 10 "$ezc" hz zzz --duration 1
expect "bad name refused" 2 "--name: stream name '.x': starts with '.'" -- "$ezc" pub --name .x

# ---- --wait: a consumer started before its publisher ----
timeout 15 "$ezc" echo late --wait 5 --count 2 --timeout 5 > "$dir/late.out" 2>&1 & e1=$!
sleep 0.3
"$ezc" pub --name late --count 50 --chunk 10 > /dev/null 2>&1 & p3=$!; pids+=($p3)
wait "$e1"; status=$?
check "echo --wait gets a publisher that came later" \
  $([ $status -eq 0 ] && [ "$(grep -c '^seq=' "$dir/late.out")" -eq 2 ]; echo $?) "$(cat "$dir/late.out")"
wait "$p3" 2>/dev/null

# ---- a graph subscribes by name ----
cat > "$dir/g.yaml" <<YEOF
nodes:
  src: {type: subscribe, settings: {stream: emg/envelope}}
  show: {type: print, settings: {values: none}}
edges:
  - src -> show
YEOF
out=$(timeout 15 "$ezc" run "$dir/g.yaml" --quiet --duration 1 2>&1); status=$?
check "graph subscribe {stream: NAME}" $(grep -q 'shape=\[20, 3\]' <<<"$out"; echo $?) "status $status: $out"

# ---- Python ----
if "$py" -c 'import zmq, msgpack, numpy' 2>/dev/null; then
  out=$(PYTHONPATH="$src/tools/python" timeout 10 "$py" - <<'PYEOF' 2>&1
import ezc_wire
s = ezc_wire.Subscriber(name="emg/envelope")
m = s.recv(timeout_ms=3000)
print("py", list(m.dims), m.data.shape, s.stream["pid"] > 0)
try:
    ezc_wire.Subscriber("emg/envelop")
except ezc_wire.StreamNotFound as e:
    print("notfound", e)
PYEOF
)
  check "python Subscriber(name=)" $(grep -q "py \['time', 'ch'\] (20, 3) True" <<<"$out" && \
    grep -q "did you mean: emg/envelope" <<<"$out"; echo $?) "$out"
fi

# ---- kill -9: the entry goes with its owner ----
kill -9 "$p1"; wait "$p1" 2>/dev/null
listed emg/raw; check "ls forgets a kill -9'd publisher" $([ $? -ne 0 ]; echo $?) "$("$ezc" ls 2>&1)"
check "its entry files are removed" \
  $([ ! -e "$EZC_RUN_DIR/streams/emg%2Fraw.stream" ] && [ ! -e "$EZC_RUN_DIR/streams/emg%2Fraw.stream.lock" ]; echo $?) \
  "$(ls "$EZC_RUN_DIR/streams")"
listed emg/envelope; check "the other is still listed" $? "$("$ezc" ls 2>&1)"
"$ezc" pub --name emg/raw --channels 2 --chunk 10 --fs 500 & p4=$!; pids+=($p4)
wait_listed emg/raw; check "a restarted name is listed again" $? "$("$ezc" ls 2>&1)"
ep4=$("$ezc" ls --streams | awk '$1 == "emg/raw" {print $2}')
check "on the same private endpoint" $([ "$ep4" = "$ep1" ]; echo $?) "$ep4 != $ep1"

# ---- rates ----
out=$("$ezc" ls --streams --rates)
check "ls --rates" $(awk '$1 == "emg/raw" && $NF + 0 > 20 && $NF + 0 < 80 {f=1} END {exit !f}' <<<"$out"; echo $?) "$out"

# ---- running graphs: GRAPH.ctl with its lock held ----
mkdir -p "$EZC_RUN_DIR/graphs"
: > "$EZC_RUN_DIR/graphs/live.ctl"; : > "$EZC_RUN_DIR/graphs/dead.ctl"; : > "$EZC_RUN_DIR/graphs/dead.ctl.lock"
# a subshell that holds the lock and becomes `sleep`: killing it lets go
(exec 9>"$EZC_RUN_DIR/graphs/live.ctl.lock"; flock -x 9; echo $BASHPID >&9; exec sleep 30) \
  >/dev/null 2>&1 & f1=$!; pids+=($f1)
for _ in $(seq 100); do flock -n "$EZC_RUN_DIR/graphs/live.ctl.lock" true || break; sleep 0.02; done
out=$("$ezc" ls --graphs)
check "ls lists a graph whose control lock is held (with its pid), not one whose is free" \
  $(grep -Eq "^live +$f1 " <<<"$out" && ! grep -q '^dead ' <<<"$out"; echo $?) "$out"

# ---- a clean exit unregisters ----
kill "$p2"; wait "$p2" 2>/dev/null
check "SIGTERM unregisters" $([ ! -e "$EZC_RUN_DIR/streams/emg%2Fenvelope.stream" ]; echo $?) \
  "$(ls "$EZC_RUN_DIR/streams")"
expect "ls --help" 0 "usage: ezc ls" -- "$ezc" ls --help
finish
