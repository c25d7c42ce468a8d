#!/usr/bin/env bash
# control_overhead.sh — what the control plane costs the data path
# (docs/performance.md): the same graph (counter -> abs -> clip -> publish,
# as fast as taken: realtime false, COUNT messages of 64 x 8 float32) run
# ROUNDS times alone and ROUNDS times with `ezc top --interval 0.1` reading
# it ten times a second (every node's counters, latency sort, CPU clocks).
# Prints the messages/s of each run and the medians.
# Usage: control_overhead.sh PATH_TO_EZC [COUNT [ROUNDS]]
set -u
ezc="$1"; count="${2:-200000}"; rounds="${3:-5}"
dir=$(mktemp -d /tmp/ezc-ctl-overhead.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export EZC_RUN_DIR="$dir/run"
cat > "$dir/bench.yaml" <<YEOF
nodes:
  src: {type: counter, settings: {fs: 1000000, channels: 8, chunk: 64, dtype: float32, realtime: false, count: $count}}
  a: {type: abs}
  c: {type: clip, settings: {min: 0, max: 100}}
  out: {type: publish, settings: {endpoint: "ipc://$dir/out"}}
edges:
  - src -> a
  - a -> c
  - c -> out
YEOF
one() { # one WITH_TOP -> messages/s
  local t0 t1 top=""
  t0=$(date +%s.%N)
  "$ezc" run "$dir/bench.yaml" --quiet &
  local run=$!
  if [ "$1" = 1 ]; then
    for _ in $(seq 100); do [ -S "$EZC_RUN_DIR/graphs/bench.ctl" ] && break; sleep 0.01; done
    "$ezc" top bench --interval 0.1 >/dev/null 2>&1 &
    top=$!
  fi
  wait $run
  t1=$(date +%s.%N)
  [ -n "$top" ] && kill $top 2>/dev/null && wait $top 2>/dev/null
  echo "$count / ($t1 - $t0)" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
alone=() with=()
for r in $(seq "$rounds"); do
  alone+=("$(one 0)")
  with+=("$(one 1)")
done
printf 'alone:    %s\n' "$(printf '%.0f ' "${alone[@]}")"
printf 'with top: %s\n' "$(printf '%.0f ' "${with[@]}")"
ma=$(printf '%s\n' "${alone[@]}" | median) mw=$(printf '%s\n' "${with[@]}" | median)
printf 'median msg/s: alone %.0f, with ezc top at 10 Hz %.0f (%+.1f%%)\n' "$ma" "$mw" \
  "$(echo "($mw - $ma) / $ma * 100" | bc -l)"
