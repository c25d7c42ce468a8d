#!/usr/bin/env bash
# test_clock_hosts.sh — clocks across hosts with real processes
# (docs/pubsub.md, "Clocks across hosts"). A named tcp:// `ezc pub` runs
# with its clock set off by EZC_CLOCK_SKEW_MS (+2500 ms, then -1234.5 ms);
# `ezc hz NAME` on the other "host" must recover that offset within 1 ms
# (the method's bound is half the round trip: tens of microseconds here) and
# report the true publish-to-arrival latency (0 .. 50 ms) instead of one off
# by the skew, which it still shows when given the endpoint (no name, no
# clock), and `ezc ls --remote` shows it in its CLOCK column; Python's
# ezc_wire.Subscriber by name and clock_measure recover it the same way.
# Prints each measured offset and its error.
#   loopback: two run folders on one host, EZC_PEERS=127.0.0.1;
#   netns:    two network namespaces joined by a veth (root only; 77 else).
# Usage: test_clock_hosts.sh PATH_TO_EZC loopback|netns
set -u
ezc="$1"
mode="${2:-loopback}"
. "$(dirname "$0")/lib.sh" "clock_$mode"
export EZC_DISCOVERY_PORT=$((30000 + $$ % 20000))
if [ "$mode" = netns ]; then
  net=10.232.$(($$ % 250 + 1))
  if ! netns_pair "c$(($$ % 100000))" "$net"; then
    echo "clock_netns: skipped (needs root and network namespaces with a veth pair)"
    exit 77
  fi
  addr_a=$net.1 addr_b=$net.2
  inA() { ip netns exec "$A" env EZC_RUN_DIR="$dir/a" EZC_PEERS=$addr_b "$@"; }
  inB() { ip netns exec "$B" env EZC_RUN_DIR="$dir/b" EZC_PEERS=$addr_a "$@"; }
else
  addr_a=127.0.0.1
  # Only ever called in a subshell (& or $(...)): exec, so that $! is the
  # program itself and killing it ends it.
  inA() { exec env EZC_RUN_DIR="$dir/a" EZC_PEERS=127.0.0.1 "$@"; }
  inB() { exec env EZC_RUN_DIR="$dir/b" EZC_PEERS=127.0.0.1 "$@"; }
fi
mkdir -m 700 "$dir/a" "$dir/b"
export EZC_PY="$src/tools/python"

# skewed SKEW_MS NAME: a publisher whose clock is SKEW_MS ahead, then hz in B.
skewed() {
  local skew="$1" name="$2" p out off rtt err p50 ep
  inA env EZC_CLOCK_SKEW_MS="$skew" "$ezc" pub --name "$name" --channels 2 --fs 1000 --chunk 10 \
    "tcp://$addr_a:0" >"$dir/pub.txt" 2>&1 &
  p=$!
  pids+=($p)
  out=$(inB timeout 30 "$ezc" hz "$name" --wait 5 --duration 3 2>&1)
  off=$(grep '^clock:' <<<"$out" | tail -1 | sed -n 's/.* is \([-+0-9.]*\) ms ahead.*/\1/p')
  rtt=$(grep '^clock:' <<<"$out" | tail -1 | sed -n 's/.*round trip \([0-9.]*\) ms.*/\1/p')
  p50=$(grep '^rate' <<<"$out" | tail -1 | sed -n 's/.*latency p50 \([-0-9]*\) us.*/\1/p')
  err=$(awk -v a="${off:-nan}" -v b="$skew" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.4f", d }')
  check "skew $skew ms: offset recovered within 1 ms" \
    $(awk -v e="$err" 'BEGIN { exit !(e <= 1.0) }'; echo $?) "$out"
  check "skew $skew ms: latency is the true one (0 .. 50 ms)" \
    $([ -n "$p50" ] && [ "$p50" -ge 0 ] && [ "$p50" -le 50000 ]; echo $?) "$out"
  echo "$mode: skew $skew ms: measured $off ms (error $err ms, round trip $rtt ms), latency p50 $p50 us"
  # By endpoint there is no name, so no clock: the stamps stay the publisher's.
  out=$(inB "$ezc" ls --remote --wait 1.5 2>&1)
  ep=$(awk -v n="$name" '$1 == n {print $3}' <<<"$out")
  off=$(awk -v n="$name" '$1 == n {print $8}' <<<"$out" | sed 's/ms$//')
  check "skew $skew ms: ls --remote's CLOCK within 1 ms" \
    $(awk -v a="${off:-nan}" -v b="$skew" 'BEGIN { d = a - b; exit !(d >= -1 && d <= 1) }'
      echo $?) "$out"
  out=$(inB timeout 30 "$ezc" hz "$ep" --duration 2 2>&1)
  p50=$(grep '^rate' <<<"$out" | tail -1 | sed -n 's/.*latency p50 \([-0-9]*\) us.*/\1/p')
  check "skew $skew ms: by endpoint the latency is off by the skew" \
    $(awk -v l="${p50:-0}" -v s="$skew" 'BEGIN { d = -l / 1000 - s; exit !(d > -50 && d < 50) }'
      echo $?) "endpoint '$ep': $out"
  ! grep -q '^clock:' <<<"$out"
  check "skew $skew ms: by endpoint no clock line" $? "$out"
  # Python: a Subscriber by name gets the stamps on this host's clock too.
  out=$(inB timeout 30 "$py" - "$name" <<'PY' 2>&1
import os, statistics, sys, time
sys.path.insert(0, os.environ["EZC_PY"])
import ezc_wire
sub = ezc_wire.Subscriber(name=sys.argv[1], name_wait_ms=5000)
lat, t0 = [], time.monotonic()
while len(lat) < 60 and time.monotonic() - t0 < 10:
    m = sub.recv(500)
    if m is not None and not getattr(m, "eos", False) and sub.clock():
        lat.append((time.time_ns() - m.ts_ns) / 1e3)
off, rtt = sub.clock()
e = ezc_wire.resolve(sys.argv[1])
off2, rtt2 = ezc_wire.clock_measure(e["endpoint"][6:].rpartition(":")[0], e["time"])
print(f"python: offset {off / 1e6:+.3f} ms rtt {rtt / 1e3:.1f} us; measure {off2 / 1e6:+.3f} ms; "
      f"n {len(lat)} latency p50 {statistics.median(lat):.0f} us")
sub.close()
PY
)
  check "skew $skew ms: python Subscriber by name: offset within 1 ms, true latency" \
    $(awk -v s="$skew" '/^python:/ { o = $3; m = $9; l = $(NF-1) }
        END { exit !(o - s <= 1 && s - o <= 1 && m - s <= 1 && s - m <= 1 && l >= 0 && l <= 50000) }' \
        <<<"$out"; echo $?) "$out"
  echo "$mode: $(grep '^python:' <<<"$out")"
  kill "$p"
  wait "$p" 2>/dev/null
}

# A graph's `subscribe` node on another host's graph output: the source
# time that graph stamped (on a clock 1234.5 ms behind) is mapped too, so
# the latency since the source that `ezc top` shows is the true one, not
# 1.2 s.
graph_case() {
  local p q out lat
  printf '%s\n' "nodes:" \
    "  sig: {type: sine, settings: {fs: 1000, chunk: 10, channels: 2}}" \
    "  out: {type: publish, settings: {endpoint: \"tcp://$addr_a:0\"}}" \
    "edges:" "  - sig -> out" >"$dir/clkg.yaml"
  printf '%s\n' "nodes:" \
    "  in: {type: subscribe, settings: {stream: clkg/out}}" \
    "  mag: {type: abs}" \
    "  out: {type: publish, settings: {endpoint: \"ipc://$dir/b/out\"}}" \
    "edges:" "  - in -> mag" "  - mag -> out" >"$dir/clkh.yaml"
  inA env EZC_CLOCK_SKEW_MS=-1234.5 "$ezc" run "$dir/clkg.yaml" --quiet >"$dir/g.txt" 2>&1 &
  p=$!
  pids+=($p)
  inB "$ezc" run "$dir/clkh.yaml" --quiet >"$dir/h.txt" 2>&1 &
  q=$!
  pids+=($q)
  sleep 4
  out=$(inB "$ezc" top clkh --once 2>&1)
  lat=$(awk '$2 == "mag" {print $10}' <<<"$out")
  check "graph: latency since the other host's source is the true one (< 50 ms)" \
    $([[ "$lat" == *us ]] || { [[ "$lat" == *ms ]] && awk -v v="${lat%ms}" 'BEGIN { exit !(v < 50) }'; }
      echo $?) "$out $(cat "$dir/g.txt" "$dir/h.txt")"
  echo "$mode: graph across hosts, source clock 1234.5 ms behind: latency p50 at mag $lat"
  kill "$q" "$p"
  wait "$q" "$p" 2>/dev/null
}

skewed 2500 clk/ahead
skewed -1234.5 clk/behind
graph_case
finish
