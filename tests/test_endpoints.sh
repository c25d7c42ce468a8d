#!/usr/bin/env bash
# test_endpoints.sh — who owns an ipc:// endpoint, and the first message, as
# a user meets them with real processes: a second `ezc pub`, `ezc node`,
# `ezc replay` or `ezc run` on an endpoint a live process serves fails with
# the endpoint and that process's pid, and the first keeps serving (its
# socket file untouched); a dead process's socket file is reclaimed; a
# program serving the path without ezc's lock (pyzmq) is not taken over; a
# file that is not a socket is not deleted; socket files are 0600; and a
# subscriber started before `ezc pub` gets seq 0.
# Usage: test_endpoints.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" endpoints

wait_sock() { # wait_sock PATH: up to 10 s for a socket file
  for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done
  return 1
}
inode() { stat -c %i "$1" 2>/dev/null; }

# ---- two `ezc pub` on one ipc endpoint ----
ep="ipc://$dir/raw"
"$ezc" pub "$ep" --signal counter --channels 2 --chunk 10 & pub1=$!; pids+=($pub1)
wait_sock "$dir/raw"; check "first pub bound" $? "no socket file $dir/raw"
ino=$(inode "$dir/raw")
check "socket file is 0600" $([ "$(stat -c %a "$dir/raw")" = 600 ]; echo $?) "mode $(stat -c %a "$dir/raw")"
check "lock file holds the pid" $([ "$(cat "$dir/raw.lock" 2>/dev/null)" = "$pub1" ]; echo $?) \
  "lock: $(cat "$dir/raw.lock" 2>&1)"
expect "second pub refused, naming endpoint and pid" 1 \
  "$ep: in use by pid $pub1 (lock $dir/raw.lock)" -- timeout 10 "$ezc" pub "$ep" --count 3
check "socket file untouched" $([ "$(inode "$dir/raw")" = "$ino" ]; echo $?) "inode $(inode "$dir/raw") != $ino"
out=$(timeout 10 "$ezc" echo "$ep" --count 3 --timeout 5 2>&1); status=$?
check "first pub still serves" $([ $status -eq 0 ] && [ "$(grep -c '^seq=' <<<"$out")" -eq 3 ]; echo $?) "$out"

# Other commands that bind refuse it too.
expect "node --out refused" 1 "$ep: in use by pid $pub1" -- \
  timeout 10 "$ezc" node abs --in "ipc://$dir/none" --out "$ep" --count 1
cat > "$dir/g.yaml" <<YEOF
nodes:
  sine: {type: sine, settings: {fs: 1000, channels: 2, chunk: 50}}
  out: {type: publish, settings: {endpoint: "$ep", topic: abs}}
edges:
  - sine -> out
YEOF
out=$(timeout 20 "$ezc" run "$dir/g.yaml" --quiet --duration 5 2>&1); status=$?
check "run refused" $([ $status -ne 0 ] && [[ "$out" == *"$ep: in use by pid $pub1"* ]]; echo $?) \
  "status $status: $out"
timeout 10 "$ezc" record "$ep" "$dir/a.ezr" --count 3 >/dev/null 2>&1
expect "replay refused" 1 "$ep: in use by pid $pub1" -- timeout 10 "$ezc" replay "$dir/a.ezr" "$ep" --quiet
check "socket file still the first's" $([ "$(inode "$dir/raw")" = "$ino" ]; echo $?) "inode changed"
out=$(timeout 10 "$ezc" echo "$ep" --count 2 --timeout 5 2>&1)
check "first pub serves after all refusals" $(grep -c '^seq=' <<<"$out" | grep -qx 2; echo $?) "$out"

kill "$pub1"; wait "$pub1" 2>/dev/null
check "pub removes socket and lock at exit" $([ ! -e "$dir/raw" ] && [ ! -e "$dir/raw.lock" ]; echo $?) \
  "$(ls -l "$dir")"

# ---- `ezc run` twice: the second fails, the first goes on publishing ----
"$ezc" run "$dir/g.yaml" --quiet & run1=$!; pids+=($run1)
wait_sock "$dir/raw"; check "run bound" $? "no socket file"
ino=$(inode "$dir/raw")
out=$(timeout 20 "$ezc" run "$dir/g.yaml" --quiet --duration 5 2>&1); status=$?
check "second run refused" $([ $status -ne 0 ] && [[ "$out" == *"$ep: in use by pid $run1"* ]]; echo $?) \
  "status $status: $out"
check "run's socket file untouched" $([ "$(inode "$dir/raw")" = "$ino" ]; echo $?) "inode changed"
out=$(timeout 10 "$ezc" echo "$ep" --count 2 --timeout 5 2>&1)
check "first run still serves" $(grep -c '^seq=.*topic=abs' <<<"$out" | grep -qx 2; echo $?) "$out"
kill -INT "$run1"; wait "$run1" 2>/dev/null
check "run removes socket and lock" $([ ! -e "$dir/raw" ] && [ ! -e "$dir/raw.lock" ]; echo $?) "$(ls -l "$dir")"

# ---- a dead process's socket file is reclaimed silently ----
"$py" -c "
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
os._exit(0)" "$dir/stale"
check "stale socket left behind" $([ -S "$dir/stale" ]; echo $?) "no stale file"
out=$(timeout 10 "$ezc" pub "ipc://$dir/stale" --count 2 --fast --first-wait 0 2>&1); status=$?
check "stale socket reclaimed" $([ $status -eq 0 ] && [ -z "$out" ]; echo $?) "status $status: $out"
check "reclaimed file removed at exit" $([ ! -e "$dir/stale" ] && [ ! -e "$dir/stale.lock" ]; echo $?) "$(ls -l "$dir")"

# ---- a live program without the lock (pyzmq) is not taken over ----
"$py" -c "
import sys, time, zmq
s = zmq.Context().socket(zmq.XPUB); s.bind('ipc://' + sys.argv[1])
time.sleep(30)" "$dir/foreign" & foreign=$!; pids+=($foreign)
wait_sock "$dir/foreign"
ino=$(inode "$dir/foreign")
expect "foreign server refused with its pid" 1 \
  "ipc://$dir/foreign: in use by pid $foreign (it holds no $dir/foreign.lock)" -- \
  timeout 10 "$ezc" pub "ipc://$dir/foreign" --count 1
check "foreign socket untouched" $([ "$(inode "$dir/foreign")" = "$ino" ]; echo $?) "inode changed"
kill "$foreign"

# ---- a path that is not a socket is never deleted ----
echo "precious" > "$dir/notes"
expect "regular file refused" 1 "ipc://$dir/notes: $dir/notes exists and is not a socket" -- \
  timeout 10 "$ezc" pub "ipc://$dir/notes" --count 1
check "regular file kept" $([ "$(cat "$dir/notes")" = precious ]; echo $?) "$(cat "$dir/notes" 2>&1)"

# ---- the first message reaches a subscriber that was there first ----
"$ezc" echo "ipc://$dir/first" --count 1 --timeout 10 > "$dir/echo.out" 2>&1 & echo1=$!
sleep 1 # the subscriber is up (it keeps retrying its connect) before the bind
out=$(timeout 10 "$ezc" pub "ipc://$dir/first" --count 3 --fast 2>&1)
check "pub ok" $? "$out"
wait "$echo1"; status=$?
check "echo got seq 0" $([ $status -eq 0 ] && grep -q '^seq=0 ' "$dir/echo.out"; echo $?) \
  "status $status: $(cat "$dir/echo.out")"
expect "--first-wait bad value" 2 "--first-wait" -- "$ezc" pub "ipc://$dir/x" --first-wait -1
expect "pub --help names --first-wait" 0 "--first-wait MS" -- "$ezc" pub --help

finish
