#!/usr/bin/env bash
# test_shutdown.sh — stopping ezc processes with real signals, as a terminal
# and a service manager do it.
# - Ctrl-C on a graph with process groups: the graph runs in a session of
#   its own (setsid) and SIGINT goes to the whole process group, as a
#   terminal sends it. One SIGINT: exit 0, the recording is finished (it
#   replays), no ipc socket file, no process, no private folder left. Two
#   SIGINTs 0.2 s apart: non-zero exit, "forced" said, no process left.
# - SIGTERM to a publisher (`ezc pub`, `ezc node`, `ezc run`) held up by a
#   subscriber that connected and never reads: exit 0 within 5 s, its ipc
#   socket file gone.
# - `ezc pub` / `ezc node` on ipc endpoints, SIGINT: their socket files are
#   removed; echo, hz, record and replay stop on one SIGTERM with status 0.
# Usage: test_shutdown.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" shutdown

# wait_exit PID SECONDS: waits for PID (a child of this shell) to exit; sets
# status to its exit status, or to 124 (and kills it) when it outlives SECONDS.
wait_exit() {
  local pid=$1 n=$(( $2 * 20 )) st
  while [ $n -gt 0 ]; do
    st=$(ps -o stat= -p "$pid" 2>/dev/null)
    [ -z "$st" ] || [[ "$st" == Z* ]] && break
    sleep 0.05; n=$((n - 1))
  done
  if [ $n -eq 0 ]; then
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; status=124
  else
    wait "$pid"; status=$?
  fi
}

# wait_for COND SECONDS: polls a shell condition every 0.05 s.
wait_for() {
  local n=$(( $2 * 20 ))
  while [ $n -gt 0 ] && ! eval "$1"; do sleep 0.05; n=$((n - 1)); done
  eval "$1"
}

# stall ENDPOINT READY: a subscriber that connects, subscribes to everything
# and never reads (small queues), so an ezc publisher on ENDPOINT blocks.
stall() {
  "$py" -c '
import sys, time, zmq
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.RCVHWM, 1)
s.setsockopt(zmq.RCVBUF, 4096)
s.connect(sys.argv[1])
s.setsockopt(zmq.SUBSCRIBE, b"")
open(sys.argv[2], "w").close()
time.sleep(3600)' "$1" "$2" &
  pids+=($!)
  stalled=$!
}

alive_in_group() { pgrep -g "$1" 2>/dev/null | wc -l; }

# ---- a graph with process groups, Ctrl-C from the "terminal" ----
cat > "$dir/rec.yaml" <<YEOF
nodes:
  sine: {type: sine, process: acq, settings: {fs: 50000, channels: 4, chunk: 100}}
  rec: {type: record, process: store, settings: {path: "$dir/out.ezr"}}
  pub: {type: publish, process: store, settings: {endpoint: "ipc://$dir/sink"}}
edges:
  - sine -> rec
  - sine -> pub
YEOF
# Starts the graph in a session (and process group) of its own; sets run,
# pgid and ipcdir (the supervisor's private folder).
start_graph() {
  setsid "$ezc" run "$dir/rec.yaml" --quiet > "$dir/run.out" 2>&1 & run=$!; pids+=($run)
  wait_for "[ \$(pgrep -P $run | wc -l) -eq 2 ] && [ -S '$dir/sink' ]" 10
  pgid=$(ps -o pgid= -p $run | tr -d ' ')
  local kid
  kid=$(pgrep -P $run | head -1)
  ipcdir=$(tr '\0' '\n' < /proc/$kid/cmdline | grep -A1 -- --ipc-dir | tail -1)
}

start_graph
check "graph: own process group" $([ "$pgid" = "$run" ]; echo $?) "pgid '$pgid', pid $run"
# Some data in the recording before the stop.
wait_for "[ \$(stat -c %s '$dir/out.ezr' 2>/dev/null || echo 0) -gt 0 ]" 10
sleep 0.5
kill -INT -- -"$pgid"
wait_exit $run 15
check "graph: one Ctrl-C, exit 0" $status "status $status: $(cat "$dir/run.out")"
check "graph: every process gone" $([ "$(alive_in_group "$pgid")" -eq 0 ]; echo $?) \
  "$(pgrep -a -g "$pgid")"
# The footer ends with the magic "EZCEND<version>\n" (docs/recording-format.md).
magic=$(tail -c 8 "$dir/out.ezr" | head -c 6)
check "graph: the recording ends with its index footer" $([ "$magic" = EZCEND ]; echo $?) \
  "last bytes '$magic'"
out=$("$ezc" replay "$dir/out.ezr" "ipc://$dir/replay" --wait 0 --fast 2>&1); st=$?
n=$(sed -n 's/^ezc replay: \([0-9]*\) messages.*/\1/p' <<<"$out")
check "graph: the recording has its index and replays" \
  $([ $st -eq 0 ] && [ "${n:-0}" -gt 0 ]; echo $?) "status $st: $out"
left=$(find "$dir" -type s | wc -l)
check "graph: no ipc socket file left" $([ "$left" -eq 0 ]; echo $?) "$(find "$dir" -type s)"
check "graph: private ipc folder removed" $([ -n "$ipcdir" ] && [ ! -e "$ipcdir" ]; echo $?) \
  "'$ipcdir'"

# Two Ctrl-C 0.2 s apart force the exit. A subscriber that never reads on
# the publish sink keeps the store group busy (its queued messages linger
# a second at exit), so the second one arrives while the graph is stopping.
rm -f "$dir/out.ezr"
stall "ipc://$dir/sink" "$dir/stall1" # connects (and retries) until the sink is bound
start_graph
wait_for "[ -e '$dir/stall1' ]" 10
sleep 1
kill -INT -- -"$pgid"; sleep 0.2; kill -INT -- -"$pgid"
wait_exit $run 15
check "graph: two Ctrl-C, non-zero exit" $([ $status -ne 0 ] && [ $status -ne 124 ]; echo $?) \
  "status $status: $(cat "$dir/run.out")"
check "graph: two Ctrl-C, says forced" $(grep -q "forced" "$dir/run.out"; echo $?) \
  "$(cat "$dir/run.out")"
sleep 0.2
check "graph: forced, every process gone" $([ "$(alive_in_group "$pgid")" -eq 0 ]; echo $?) \
  "$(pgrep -a -g "$pgid")"
check "graph: forced, private ipc folder removed" \
  $([ -n "$ipcdir" ] && [ ! -e "$ipcdir" ]; echo $?) "'$ipcdir'"
kill "$stalled" 2>/dev/null; wait "$stalled" 2>/dev/null
rm -f "$dir/sink"

# A group that does not stop (held by SIGSTOP: SIGTERM stays pending) is
# killed after the supervisor's grace period of 10 s, which it says, and
# the run ends non-zero: the recording may be unfinished.
rm -f "$dir/out.ezr"
start_graph
store=""
for k in $(pgrep -P $run); do tr '\0' ' ' < /proc/$k/cmdline | grep -q -- '--group store' && store=$k; done
kill -STOP "$store"
kill -INT $run # the supervisor only, as `kill PID` does
wait_exit $run 20
check "graph: a hung group is killed after the grace period, exit 1" $([ $status -eq 1 ]; echo $?) \
  "status $status: $(cat "$dir/run.out")"
check "graph: the supervisor says it killed the hung group" \
  $(grep -q "group 'store' did not stop within 10 s of SIGTERM: killing it (SIGKILL)" "$dir/run.out"; echo $?) \
  "$(cat "$dir/run.out")"
sleep 0.2
check "graph: hung group, every process gone" $([ "$(alive_in_group "$pgid")" -eq 0 ]; echo $?) \
  "$(pgrep -a -g "$pgid")"
rm -f "$dir/sink" "$dir/out.ezr"

# ---- SIGTERM to a publisher blocked on a subscriber that never reads ----
# ezc pub: 5000 small messages as fast as possible; unblocked it would be
# done in well under a second, so still running after 2 s means blocked.
stall "ipc://$dir/p" "$dir/stall2"
"$ezc" pub "ipc://$dir/p" --fast --count 5000 --wait-subs 1 > "$dir/pub.out" 2>&1 & p=$!; pids+=($p)
wait_for "[ -e '$dir/stall2' ]" 10
sleep 2
st=$(ps -o stat= -p $p)
check "pub: blocked by the stalled subscriber" $([ -n "$st" ] && [[ "$st" != Z* ]]; echo $?) \
  "ezc pub already exited: $(cat "$dir/pub.out")"
kill -TERM $p
wait_exit $p 5
check "pub: one SIGTERM while blocked, exit 0 within 5 s" $status \
  "status $status: $(cat "$dir/pub.out")"
check "pub: its ipc socket file removed" $([ ! -e "$dir/p" ]; echo $?) "$(find "$dir" -type s)"
kill "$stalled" 2>/dev/null; wait "$stalled" 2>/dev/null

# ezc node: fed as fast as possible, its output held up by a stalled subscriber.
stall "ipc://$dir/nout" "$dir/stall3"
"$ezc" pub "ipc://$dir/nin" --fast > /dev/null 2>&1 & feed=$!; pids+=($feed)
"$ezc" node abs --in "ipc://$dir/nin" --out "ipc://$dir/nout" > "$dir/node.out" 2>&1 & nd=$!
pids+=($nd)
wait_for "[ -e '$dir/stall3' ] && [ -S '$dir/nout' ]" 10
sleep 2
kill -TERM $nd
wait_exit $nd 5
check "node: one SIGTERM while blocked, exit 0 within 5 s" $status \
  "status $status: $(cat "$dir/node.out")"
check "node: its ipc socket file removed" $([ ! -e "$dir/nout" ]; echo $?) "$(find "$dir" -type s)"
kill "$stalled" $feed 2>/dev/null; wait "$stalled" $feed 2>/dev/null

# ezc run, one process: a publish sink held up the same way.
cat > "$dir/one.yaml" <<YEOF
nodes:
  sine: {type: sine, settings: {fs: 100000, channels: 8, chunk: 100}}
  pub: {type: publish, settings: {endpoint: "ipc://$dir/rout"}}
edges:
  - sine -> pub
YEOF
stall "ipc://$dir/rout" "$dir/stall4"
"$ezc" run "$dir/one.yaml" --quiet > "$dir/one.out" 2>&1 & r=$!; pids+=($r)
wait_for "[ -e '$dir/stall4' ] && [ -S '$dir/rout' ]" 10
sleep 2
kill -TERM $r
wait_exit $r 5
check "run: one SIGTERM while blocked, exit 0 within 5 s" $status \
  "status $status: $(cat "$dir/one.out")"
check "run: the sink's ipc socket file removed" $([ ! -e "$dir/rout" ]; echo $?) "$(find "$dir" -type s)"
kill "$stalled" 2>/dev/null; wait "$stalled" 2>/dev/null

# ---- ipc socket files of pub and node, SIGINT ----
"$ezc" pub "ipc://$dir/a" > "$dir/a.out" 2>&1 & p=$!; pids+=($p)
wait_for "[ -S '$dir/a' ]" 10
"$ezc" node abs --in "ipc://$dir/a" --out "ipc://$dir/b" > "$dir/b.out" 2>&1 & nd=$!; pids+=($nd)
wait_for "[ -S '$dir/b' ]" 10
# Every other command stops on one SIGTERM with status 0 as well.
"$ezc" echo "ipc://$dir/b" > /dev/null 2> "$dir/echo.out" & e=$!; pids+=($e)
"$ezc" hz "ipc://$dir/b" > /dev/null 2> "$dir/hz.out" & h=$!; pids+=($h)
"$ezc" record "ipc://$dir/b" "$dir/b.ezr" --quiet > "$dir/record.out" 2>&1 & rc=$!; pids+=($rc)
sleep 1.5
for k in "echo $e" "hz $h" "record $rc"; do
  set -- $k
  kill -TERM "$2"; wait_exit "$2" 5
  check "$1: one SIGTERM, exit 0" $status "status $status: $(cat "$dir/$1.out")"
done
out=$("$ezc" replay "$dir/b.ezr" "ipc://$dir/c" --wait 0 --fast 2>&1)
check "record: stopped by SIGTERM, the file has its footer" \
  $([ "$(tail -c 8 "$dir/b.ezr" | head -c 6)" = EZCEND ]; echo $?) "$(tail -c 8 "$dir/b.ezr" | od -c)"
check "record: stopped by SIGTERM, the file replays" $(grep -Eq "^ezc replay: [1-9][0-9]* messages" <<<"$out"; echo $?) "$out"
kill -INT $nd; wait_exit $nd 5
check "node: SIGINT, exit 0" $status "status $status: $(cat "$dir/b.out")"
check "node: SIGINT, --out socket file removed" $([ ! -e "$dir/b" ]; echo $?) "$(find "$dir" -type s)"
kill -INT $p; wait_exit $p 5
check "pub: SIGINT, exit 0" $status "status $status: $(cat "$dir/a.out")"
check "pub: SIGINT, socket file removed" $([ ! -e "$dir/a" ]; echo $?) "$(find "$dir" -type s)"
# replay waiting for a subscriber that never comes.
"$ezc" replay "$dir/b.ezr" "ipc://$dir/d" --quiet > "$dir/replay.out" 2>&1 & rp=$!; pids+=($rp)
wait_for "[ -S '$dir/d' ]" 10
kill -TERM $rp; wait_exit $rp 5
check "replay: one SIGTERM, exit 0" $status "status $status: $(cat "$dir/replay.out")"
check "replay: socket file removed" $([ ! -e "$dir/d" ]; echo $?) "$(find "$dir" -type s)"
# A second signal to a lone command forces it and says so.
"$ezc" pub "ipc://$dir/f" --fast > /dev/null 2> "$dir/f.out" & p=$!; pids+=($p)
stall "ipc://$dir/f" "$dir/stall5"
wait_for "[ -e '$dir/stall5' ] && [ -S '$dir/f' ]" 10
sleep 1
# Held by SIGSTOP while both arrive (two kinds: pending signals of one kind
# merge), then handled one after the other.
kill -STOP $p; kill -TERM $p; kill -INT $p; kill -CONT $p
wait_exit $p 5
check "pub: second signal forces exit 130" $([ $status -eq 130 ]; echo $?) "status $status"
check "pub: second signal says forced" $(grep -q "forced exit" "$dir/f.out"; echo $?) \
  "$(cat "$dir/f.out")"
kill "$stalled" 2>/dev/null; wait "$stalled" 2>/dev/null

finish
