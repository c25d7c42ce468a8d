#!/bin/bash
# test_shm.sh — the shared-memory transport between real processes:
# integrity through a 3-process chain, no slot leaked, kill -9 of a
# subscriber and of a publisher, a shared-memory and an inline subscriber
# side by side, loaned buffers, nothing left in /dev/shm.
# usage: test_shm.sh SHM_HELPER EZC [MESSAGES through the chain, default 1000000]
helper="$1" ezc="$2" chain_n="${3:-1000000}"
. "$(dirname "$0")/lib.sh" shm
uid=$(id -u)
shm_files() { ls /dev/shm 2>/dev/null | grep -c "^ezc-$uid-$1" || true; }
field() { sed -n "s/.* $1 \([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# 1. A chain pub -> fwd -> sub through shared memory, every message checked.
n=${EZC_SHM_TEST_MESSAGES:-$chain_n}
"$helper" sub "ipc://$dir/b" "$n" >"$dir/sub1" 2>&1 & pids+=($!); sp=$!
"$helper" fwd "ipc://$dir/a" "ipc://$dir/b" "$n" >"$dir/fwd1" 2>&1 & pids+=($!); fp=$!
"$helper" pub "ipc://$dir/a" "$n" 100 1 >"$dir/pub1" 2>&1 & pids+=($!); pp=$!
wait $pp; st_p=$?; wait $fp; st_f=$?; wait $sp; st_s=$?
out=$(cat "$dir/sub1"); pub=$(cat "$dir/pub1")
check "chain exits" $((st_p + st_f + st_s)) "pub $st_p fwd $st_f sub $st_s: $pub $(cat "$dir/fwd1") $out"
check "chain all received through shm" "$([ "$(field received "$out")" = "$n" ] && [ "$(field shm "$out")" = "$n" ]; echo $?)" "$out"
check "chain zero corrupt, zero gaps" "$([ "$(field corrupt "$out")" = 0 ] && [ "$(field gaps "$out")" = 0 ]; echo $?)" "$out"
check "chain path is shm" "$([ "$(field path "$out")" = shm ]; echo $?)" "$out"
check "chain: the pool used shared memory" "$([ "$(field slots "$pub")" -gt 0 ]; echo $?)" "$pub"
check "chain: no slot leaked" "$([ "$(field held "$pub")" = 0 ] && [ "$(field dropped "$pub")" = 0 ]; echo $?)" "$pub"
check "chain: no segment left in /dev/shm" "$([ "$(shm_files "$pp-")" = 0 ] && [ "$(shm_files "$fp-")" = 0 ]; echo $?)" "$(ls /dev/shm)"
check "chain: no sidecar left" "$([ ! -e "$dir/a.shm" ] && [ ! -e "$dir/b.shm" ]; echo $?)" "$(ls "$dir")"
# The pass-through node sent each message on the slot it received it in
# (only the first few, before the last reader had mapped the origin, copied).
fwd=$(cat "$dir/fwd1")
check "chain: the pass-through node forwarded the slots, no copy" \
  "$([ "$(field sent "$fwd")" -ge "$n" ] && [ "$(field forwarded "$fwd")" -ge $((n - 2000)) ]; echo $?)" "$fwd"

# 2. Loaned buffers: the producer writes into the slot itself.
"$helper" sub "ipc://$dir/l" 1000 >"$dir/subl" 2>&1 & pids+=($!); sp=$!
"$helper" pub "ipc://$dir/l" 1000 6400 1 loan >"$dir/publ" 2>&1; st_p=$?
wait $sp; st_s=$?
out=$(cat "$dir/subl"); pub=$(cat "$dir/publ")
check "loan: all intact" "$((st_p + st_s))" "$pub / $out"
check "loan: through shm, no slot held" "$([ "$(field shm "$out")" = 1000 ] && [ "$(field held "$pub")" = 0 ]; echo $?)" "$pub / $out"

# 3. Mixed: one subscriber through shared memory, one forced inline; both
# get every message, identical. The publisher first, as in 4: a subscriber
# that moves from the socket to the pool counts twice for
# ezc_pub_wait_subscribers (pub.h), which let the publisher start before
# the inline one had subscribed (1 run in 12).
"$helper" pub "ipc://$dir/m" 3000 1000 2 >"$dir/pubm" 2>&1 & pids+=($!); pp=$!
for _ in $(seq 100); do [ -e "$dir/m.shm" ] && break; sleep 0.02; done
"$helper" sub "ipc://$dir/m" 3000 >"$dir/subm1" 2>&1 & pids+=($!); s1=$!
EZC_SHM=0 "$helper" sub "ipc://$dir/m" 3000 >"$dir/subm2" 2>&1 & pids+=($!); s2=$!
wait $pp; st_p=$?; wait $s1; st1=$?; wait $s2; st2=$?
o1=$(cat "$dir/subm1"); o2=$(cat "$dir/subm2")
check "mixed exits" $((st_p + st1 + st2)) "$o1 / $o2 / $(cat "$dir/pubm")"
check "mixed: shm subscriber" "$([ "$(field received "$o1")" = 3000 ] && [ "$(field shm "$o1")" = 3000 ] && [ "$(field corrupt "$o1")" = 0 ]; echo $?)" "$o1"
check "mixed: inline subscriber" "$([ "$(field received "$o2")" = 3000 ] && [ "$(field shm "$o2")" = 0 ] && [ "$(field corrupt "$o2")" = 0 ] && [ "$(field path "$o2")" = inline ]; echo $?)" "$o2"

# 4. kill -9 of a subscriber mid-stream: the publisher and the other
# subscriber go on; the dead one's slots come back (reclaims 1, held 0).
# The publisher first: its pool is there when the subscribers connect, so
# both read shared memory from their first message (a subscriber that
# connected before would move to the pool only while receiving, and the
# slow one might still be inline when it is killed: nothing to reclaim).
"$helper" pub "ipc://$dir/k" 20000 1000 2 >"$dir/pubk" 2>&1 & pids+=($!); pp=$!
for _ in $(seq 100); do [ -e "$dir/k.shm" ] && break; sleep 0.02; done
"$helper" sub "ipc://$dir/k" 20000 >"$dir/subk1" 2>&1 & pids+=($!); s1=$!
"$helper" sub "ipc://$dir/k" 20000 2000 >"$dir/subk2" 2>&1 & pids+=($!); s2=$!
sleep 1; kill -9 $s2
wait $pp; st_p=$?; wait $s1; st1=$?
o1=$(cat "$dir/subk1"); pub=$(cat "$dir/pubk")
check "kill sub: publisher finished" "$st_p" "$pub"
check "kill sub: the other got everything" "$([ "$st1" = 0 ] && [ "$(field received "$o1")" = 20000 ] && [ "$(field gaps "$o1")" = 0 ]; echo $?)" "$o1"
check "kill sub: dead reader reclaimed, nothing held" "$([ "$(field reclaims "$pub")" = 1 ] && [ "$(field held "$pub")" = 0 ]; echo $?)" "$pub"

# 5. kill -9 of a publisher mid-stream: the subscriber survives and takes the
# next publisher on the same endpoint; the dead one's segments are removed
# when the next publisher starts.
"$helper" sub "ipc://$dir/r" 0 >"$dir/subr" 2>&1 & pids+=($!); sp=$!
"$helper" pub "ipc://$dir/r" 100000000 1000 1 >/dev/null 2>&1 & pids+=($!); dead=$!
sleep 1; kill -9 $dead; wait $dead 2>/dev/null
check "kill pub: its segments remain until someone starts" "$([ "$(shm_files "$dead-")" -ge 1 ]; echo $?)" "$(ls /dev/shm)"
"$helper" pub "ipc://$dir/r" 500 1000 1 >"$dir/pubr" 2>&1; st_p=$?
wait $sp; st_s=$?
o=$(cat "$dir/subr")
check "kill pub: the subscriber took the new publisher" "$([ "$st_p" = 0 ] && [ "$st_s" = 0 ] && [ "$(field corrupt "$o")" = 0 ]; echo $?)" "$o / $(cat "$dir/pubr")"
check "kill pub: dead publisher's segments removed" "$([ "$(shm_files "$dead-")" = 0 ]; echo $?)" "$(ls /dev/shm)"

# 5b. kill -9 around a forwarding node. A reader of forwarded messages that
# dies holding one: the pool that owns the slot (not the forwarder's) finds
# its side entry dead and takes the slot back; the other reader gets all.
"$helper" sub "ipc://$dir/fb" 0 >"$dir/subfb1" 2>&1 & pids+=($!); s1=$!
"$helper" sub "ipc://$dir/fb" 0 3000 >"$dir/subfb2" 2>&1 & pids+=($!); s2=$!
for _ in $(seq 250); do grep -q ready "$dir/subfb1" && grep -q ready "$dir/subfb2" && break; sleep 0.02; done
"$helper" fwd "ipc://$dir/fa" "ipc://$dir/fb" 0 >"$dir/fwdf" 2>&1 & pids+=($!); fp=$!
"$helper" pub "ipc://$dir/fa" 20000 1000 1 >"$dir/pubf" 2>&1 & pids+=($!); pp=$!
sleep 1.5; kill -9 $s2
wait $pp; st_p=$?; wait $fp; st_f=$?; wait $s1; st1=$?
pub=$(cat "$dir/pubf"); fwd=$(cat "$dir/fwdf"); o1=$(cat "$dir/subfb1")
check "kill -9 forwarded reader: the others finished" "$((st_p + st_f + st1))" "$pub / $fwd / $o1"
check "kill -9 forwarded reader: the other reader got all, intact" \
  "$([ "$(field received "$o1")" = 20000 ] && [ "$(field corrupt "$o1")" = 0 ] && [ "$(field gaps "$o1")" = 0 ]; echo $?)" "$o1"
check "kill -9 forwarded reader: forwarded, the origin reclaimed it, nothing held" \
  "$([ "$(field forwarded "$fwd")" -gt 0 ] && [ "$(field reclaims "$pub")" = 1 ] && [ "$(field held "$pub")" = 0 ]; echo $?)" "$pub / $fwd"
# The forwarder itself killed: the origin takes back every slot it held
# for its readers; its reader lives on and reads nothing corrupt.
"$helper" sub "ipc://$dir/gb" 0 1000 >"$dir/subgb" 2>&1 & pids+=($!); sp=$!
for _ in $(seq 250); do grep -q ready "$dir/subgb" && break; sleep 0.02; done
"$helper" fwd "ipc://$dir/ga" "ipc://$dir/gb" 0 >/dev/null 2>&1 & pids+=($!); fp=$!
"$helper" pub "ipc://$dir/ga" 20000 1000 1 >"$dir/pubg" 2>&1 & pids+=($!); pp=$!
sleep 1; kill -9 $fp
wait $pp; st_p=$?; pub=$(cat "$dir/pubg")
check "kill -9 forwarder: the origin finished, reclaimed it, nothing held" \
  "$([ "$st_p" = 0 ] && [ "$(field reclaims "$pub")" = 1 ] && [ "$(field held "$pub")" = 0 ]; echo $?)" "$pub"
check "kill -9 forwarder: its reader is still running" "$(kill -0 $sp; echo $?)" "$(cat "$dir/subgb")"
kill $sp; wait $sp 2>/dev/null

# 6. EZC_SHM=0 on the publisher: no pool, no sidecar, data inline.
EZC_SHM=0 "$helper" pub "ipc://$dir/o" 100 10 1 >"$dir/pubo" 2>&1 & pids+=($!); pp=$!
out=$("$helper" sub "ipc://$dir/o" 100 2>&1); wait $pp
check "EZC_SHM=0: inline" "$([ "$(field received "$out")" = 100 ] && [ "$(field shm "$out")" = 0 ]; echo $?)" "$out"

# 7. Python reads the pool through numpy without copying (ezc_wire.ShmSubscriber):
# with its own reader (mmap and libatomic, no libezc), and through libezc
# (not with a sanitizer build: Python cannot load an ASan library).
lib="$(dirname "$helper")/../libezc.so"
backends=python
if ldd "$lib" 2>/dev/null | grep -q libasan; then
  echo "skip: python through libezc (libezc is built with ASan)"
else
  backends="python libezc"
fi
for be in $backends; do
  "$helper" pub "ipc://$dir/py-$be" 300 5000 1 >"$dir/pubpy" 2>&1 & pids+=($!); pp=$!
  out=$(EZC_SHM_BACKEND=$be EZC_LIB="$lib" timeout 60 "$py" "$src/tests/shm_python.py" "ipc://$dir/py-$be" 300 2>&1); st=$?
  wait $pp
  check "python ($be): every message in place, read-only, intact" "$st" "$out / $(cat "$dir/pubpy")"
done
# Through a pass-through node: the Python reader takes forwarded messages
# (a side entry in the origin pool, the data held there), so the node
# copies only those it sent before the reader had mapped the origin (a
# fraction of a millisecond's worth). The publisher first: the node's
# subscriber then reads pool a from its first message, not the socket.
EZC_SHM_BACKEND=python timeout 60 "$py" "$src/tests/shm_python.py" "ipc://$dir/pyf-b" 1000 >"$dir/pyf" 2>&1 & pids+=($!); sp=$!
"$helper" pub "ipc://$dir/pyf-a" 1000 5000 1 >"$dir/pubpyf" 2>&1 & pids+=($!); pp=$!
for _ in $(seq 100); do [ -e "$dir/pyf-a.shm" ] && break; sleep 0.02; done
"$helper" fwd "ipc://$dir/pyf-a" "ipc://$dir/pyf-b" 1000 >"$dir/fwdpy" 2>&1 & pids+=($!); fp=$!
wait $pp; st_p=$?; wait $fp; st_f=$?; wait $sp; st_s=$?
out=$(cat "$dir/pyf"); fwd=$(cat "$dir/fwdpy"); pub=$(cat "$dir/pubpyf")
check "python through a forwarder: every message in place, read-only, intact" \
  "$((st_p + st_f + st_s))" "$out / $fwd / $pub"
check "python through a forwarder: forwarded, not copied (all but the first few)" \
  "$([ "$(field forwarded "$fwd")" -ge 800 ] && [ "$(field held "$pub")" = 0 ]; echo $?)" "$out / $fwd / $pub"
# kill -9 of a Python reader holding a slot with its ring full: the
# publisher finds it dead by pid, hands its slots back and finishes.
"$helper" pub "ipc://$dir/pk" 5000 1000 2 >"$dir/pubpk" 2>&1 & pids+=($!); pp=$!
for _ in $(seq 100); do [ -e "$dir/pk.shm" ] && break; sleep 0.02; done
"$helper" sub "ipc://$dir/pk" 5000 >"$dir/subpk" 2>&1 & pids+=($!); s1=$!
EZC_SHM_BACKEND=python "$py" "$src/tests/shm_python.py" "ipc://$dir/pk" hold >"$dir/pyk" 2>&1 & pids+=($!); hp=$!
for _ in $(seq 250); do grep -q holding "$dir/pyk" && break; sleep 0.02; done
sleep 0.5; kill -9 $hp
wait $pp; st_p=$?; wait $s1; st1=$?
pub=$(cat "$dir/pubpk"); o1=$(cat "$dir/subpk")
check "kill -9 python reader: publisher finished, the C reader got everything" \
  "$([ "$st_p" = 0 ] && [ "$st1" = 0 ] && [ "$(field received "$o1")" = 5000 ]; echo $?)" "$pub / $o1 / $(cat "$dir/pyk")"
check "kill -9 python reader: reclaimed, nothing held" \
  "$([ "$(field reclaims "$pub")" = 1 ] && [ "$(field held "$pub")" = 0 ]; echo $?)" "$pub"

# 8. The CLI: ezc hz says which path it reads.
"$ezc" pub "ipc://$dir/h" --count 3000 --fast --wait-subs 1 >/dev/null 2>&1 & pids+=($!); pp=$!
out=$(timeout 20 "$ezc" hz "ipc://$dir/h" 2>&1); wait $pp
check "ezc hz: path shm" "$([[ "$out" == *"path shm"* ]]; echo $?)" "$out"
# Behind a node that writes in place on what it alone holds (scale), the
# slot is forwarded: hz says so, and the node's output is the scaled data.
"$ezc" pub "ipc://$dir/h1" --count 400 --rate 5000 --wait-subs 1 >/dev/null 2>&1 & pids+=($!); pp=$!
"$ezc" node scale --set scale=2 --in "ipc://$dir/h1" --out "ipc://$dir/h2" --count 400 >/dev/null 2>&1 & pids+=($!); np=$!
out=$(timeout 20 "$ezc" hz "ipc://$dir/h2" 2>&1 | head -3); kill $pp $np 2>/dev/null; wait $pp $np 2>/dev/null
check "ezc hz: behind an in-place node the slots are forwarded" "$([[ "$out" == *"path shm (forwarded"* ]]; echo $?)" "$out"

# 9. A graph's runtime: {shm: false} keeps its ipc:// edges and outputs on
# the socket; `ezc run` says how each node's input from another group came.
for mode in true false; do
  cat > "$dir/g-$mode.yaml" <<YEOF
nodes:
  src: {type: sine, process: a, settings: {fs: 1000, channels: 2, chunk: 10, count: 400}}
  sc: {type: scale, process: b, settings: {scale: 2}}
edges:
  - src -> sc
outputs:
  out: {node: sc, endpoint: "ipc://$dir/g-$mode"}
runtime: {shm: $mode}
YEOF
  timeout 30 "$ezc" hz "ipc://$dir/g-$mode" > "$dir/hz-$mode" 2>&1 & hp=$!; pids+=($hp)
  sleep 0.3
  timeout 30 "$ezc" run "$dir/g-$mode.yaml" > "$dir/run-$mode" 2>&1
  wait $hp
done
check "ezc run: the edge between groups came through shared memory" \
  "$(grep -qE "group b: sc: 400 messages.*, in shm$" "$dir/run-true"; echo $?)" "$(cat "$dir/run-true")"
check "ezc run: with shm: false, through the socket" \
  "$(grep -qE "group b: sc: 400 messages.*, in inline$" "$dir/run-false"; echo $?)" "$(cat "$dir/run-false")"
check "runtime: {shm: true}: the output goes through shared memory" \
  "$(grep -q "path shm" "$dir/hz-true"; echo $?)" "$(cat "$dir/hz-true" "$dir/run-true")"
check "runtime: {shm: false}: the output stays on the socket" \
  "$(grep -q "path inline" "$dir/hz-false" && ! grep -q "path shm" "$dir/hz-false"; echo $?)" \
  "$(cat "$dir/hz-false" "$dir/run-false")"
expect "runtime: {shm: maybe} is refused with its line" 1 "runtime: shm = 'maybe': expected true or false" -- \
  "$ezc" validate <(sed 's/shm: false/shm: maybe/' "$dir/g-false.yaml")

finish
