#!/usr/bin/env bash
# test_discovery_netns.sh — stream names across two hosts, made of two
# network namespaces joined by a veth pair (10.231.N.1 and .2/24 on the veth
# only). Broadcast discovery on the veth: `ezc ls --remote` in one lists the
# other's `ezc pub --name` and `ezc echo NAME` receives from it over tcp.
# Then broadcast is cut (the listener's local broadcast route removed, as on
# a VPN) and explicit peers (EZC_PEERS) still work, while a broadcasting
# publisher is no longer heard. Prints the median times from a publisher's
# start to its first beacon and to being listed on the other host. Needs root and
# `ip netns` (and the right to use it); exits 77 (skipped) without them.
# Namespaces are removed at exit whatever happens.
# Usage: test_discovery_netns.sh PATH_TO_EZC
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" discovery_netns
net=10.231.$(($$ % 250 + 1))
if ! netns_pair "d$(($$ % 100000))" "$net"; then
  echo "discovery_netns: skipped (needs root and network namespaces with a veth pair)"
  exit 77
fi
mkdir -m 700 "$dir/a" "$dir/b"
export EZC_DISCOVERY_PORT=5690
ms() { date +%s%3N; }
inA() { ip netns exec "$A" env EZC_RUN_DIR="$dir/a" "$@"; }
inB() { ip netns exec "$B" env EZC_RUN_DIR="$dir/b" "$@"; }

# time_listed MODE_A MODE_B NAME: starts `ezc pub --name NAME` in A, lists
# in B every 0.3 s until it shows; prints the ms from the start (or "never").
time_listed() {
  local t0 p t=never
  t0=$(ms)
  inA env $1 "$ezc" pub --name "$3" --channels 2 --fs 100 tcp://0.0.0.0:0 >/dev/null 2>&1 &
  p=$!
  pids+=($p)
  for _ in $(seq 15); do
    if inB env $2 "$ezc" ls --remote --wait 0.3 --streams --quiet 2>/dev/null | grep -qx "$3"; then
      t=$(($(ms) - t0))
      break
    fi
  done
  kill "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  echo "$t"
}
# first_beacon MODE_A NAME: ms from the start of `ezc pub --name NAME` in A
# to its first beacon arriving in B (a Python socket, the port's only
# listener, stamps it; one clock for both namespaces), or "never".
first_beacon() {
  local w p t1
  : > "$dir/lat.txt"
  inB "$py" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1]))); s.settimeout(5)
print("ready", flush=True)
want = ("name=" + sys.argv[2] + "\n").encode()
while want not in s.recvfrom(2000)[0]:
    pass
print(int(time.time() * 1000))' "$EZC_DISCOVERY_PORT" "$2" > "$dir/lat.txt" 2>/dev/null &
  w=$!
  for _ in $(seq 200); do grep -q ready "$dir/lat.txt" && break; sleep 0.01; done
  t0=$(ms)
  inA env $1 "$ezc" pub --name "$2" --channels 2 tcp://0.0.0.0:0 >/dev/null 2>&1 &
  p=$!
  pids+=($p)
  wait "$w"
  t1=$(tail -1 "$dir/lat.txt")
  kill "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  [[ "$t1" =~ ^[0-9]+$ ]] && echo $((t1 - t0)) || echo never
}
median() { tr ' ' '\n' <<<"$*" | sort -n | awk '{v[NR]=$1} END {print (NR ? v[int((NR+1)/2)] : "never")}'; }

# ---- broadcast on the veth ----
bcast_a="EZC_DISCOVERY=$VA" bcast_b="EZC_DISCOVERY=$VB"
inA env $bcast_a "$ezc" pub --name net/emg --channels 3 --fs 200 --chunk 20 tcp://0.0.0.0:0 \
  >"$dir/pub.txt" 2>&1 & p=$!; pids+=($p)
out=$(inB env $bcast_b "$ezc" ls --remote --wait 1.5 --streams 2>&1)
line=$(awk '$1 == "net/emg"' <<<"$out")
check "broadcast: listed in the other namespace" $([ -n "$line" ]; echo $?) "$out"
check "broadcast: endpoint carries the veth address" \
  $([[ "$(awk '{print $3}' <<<"$line")" == "tcp://$net.1:"* ]]; echo $?) "$line"
out=$(inB env $bcast_b timeout 20 "$ezc" echo net/emg --count 3 2>&1)
check "broadcast: echo NAME --count 3 receives over tcp across the veth" \
  $([ "$(grep -c 'shape=\[20, 3\]' <<<"$out")" -eq 3 ]; echo $?) "$out"
kill "$p"; wait "$p" 2>/dev/null
times=()
for i in 1 2 3 4 5; do times+=("$(time_listed "$bcast_a" "$bcast_b" "net/b$i")"); done
bmed=$(median "${times[@]}")
check "broadcast: listed within 2 s (median)" $([ "$bmed" != never ] && [ "$bmed" -le 2000 ]; echo $?) \
  "${times[*]}"
echo "across hosts (veth, broadcast): listed ${bmed} ms after the publisher's start (median of 5: ${times[*]})"
times=()
for i in 1 2 3 4 5; do times+=("$(first_beacon "$bcast_a" "net/f$i")"); done
fmed=$(median "${times[@]}")
check "broadcast: first beacon within 2 s (median)" $([ "$fmed" != never ] && [ "$fmed" -le 2000 ]; echo $?) \
  "${times[*]}"
echo "across hosts (veth, broadcast): first beacon heard ${fmed} ms after the publisher's start (median of 5: ${times[*]})"

# ---- broadcast cut: explicit peers only ----
ip -n "$B" route del broadcast "$net.255" dev "$VB" table local 2>/dev/null
ip -n "$B" route del broadcast 255.255.255.255 table local 2>/dev/null
t=$(time_listed "$bcast_a" "$bcast_b" net/cut)
check "broadcast cut: a broadcasting publisher is not heard" $([ "$t" = never ]; echo $?) "listed after $t ms"
peers_a="EZC_PEERS=$net.2" peers_b="EZC_PEERS=$net.1"
times=()
for i in 1 2 3 4 5; do times+=("$(time_listed "$peers_a" "$peers_b" "net/p$i")"); done
pmed=$(median "${times[@]}")
check "peers: listed within 2 s without broadcast (median)" \
  $([ "$pmed" != never ] && [ "$pmed" -le 2000 ]; echo $?) "${times[*]}"
echo "across hosts (veth, EZC_PEERS, broadcast cut): listed ${pmed} ms after the publisher's start (median of 5: ${times[*]})"
inA env $peers_a "$ezc" pub --name net/peer --channels 2 --chunk 10 tcp://0.0.0.0:0 >/dev/null 2>&1 &
p=$!; pids+=($p)
out=$(inB env $peers_b timeout 20 "$ezc" echo net/peer --count 3 2>&1)
check "peers: echo NAME --count 3 receives over tcp" \
  $([ "$(grep -c 'shape=\[10, 2\]' <<<"$out")" -eq 3 ]; echo $?) "$out"
out=$(inB env EZC_PEERS=$net.9 EZC_DISCOVERY_WAIT_MS=1500 timeout 20 "$ezc" echo net/peer --count 1 2>&1)
check "peers: beacons from a host not listed are refused" \
  $([[ "$out" == *"no stream named 'net/peer'"* ]]; echo $?) "$out"
kill "$p"; wait "$p" 2>/dev/null
finish
