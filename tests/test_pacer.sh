#!/usr/bin/env bash
# test_pacer.sh — real-time sources that cannot keep up say so, once
# (nodes/pacer.c, shared by `ezc pub` and a graph's sources): a rate no
# machine delivers (1e9 samples/s of 64 channels) warns on stderr naming the
# source, the rate asked and the rate achieved, exactly once, and `ezc run`
# flags the node BEHIND REAL TIME in its summary; a paced ordinary rate
# warns never. Catching up after a stall (the first message waits up to
# 0.5 s for a subscriber) is not "behind".
# Usage: test_pacer.sh PATH_TO_EZC
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" pacer

# ezc pub: 200 messages at 1e9 samples/s (an issue report named 1e7, which
# a fast machine does deliver; 1e9 is out of any machine's reach)
err=$("$ezc" pub "ipc://$dir/fast" --fs 1e9 --channels 64 --count 200 2>&1 >/dev/null); status=$?
check "pub 1e9: exit 0" $status "status $status: $err"
n=$(grep -c "cannot keep up with real time" <<<"$err")
check "pub 1e9: warned exactly once" $([ "$n" -eq 1 ]; echo $?) "$n warnings: $err"
check "pub 1e9: warning names the source and both rates" \
  $(grep -qE "source 'pub ipc://$dir/fast' cannot keep up with real time: asked 1e\+09 samples/s, achieving [0-9.e+]+ samples/s" <<<"$err"; echo $?) "$err"

# paced at an ordinary rate (the first send waits 0.5 s for a subscriber
# that never comes, then real time starts): no warning
err=$("$ezc" pub "ipc://$dir/slow" --fs 1000 --channels 64 --count 5 2>&1 >/dev/null); status=$?
check "pub 1000: exit 0" $status "status $status: $err"
check "pub 1000: no warning" $([ -z "$err" ]; echo $?) "$err"

# the same in a graph: a sine node asked for 1e9
printf 'nodes:\n  fast: {type: sine, settings: {fs: 1e9, channels: 64}}\n  p: {type: print, settings: {every: 100000000}}\nedges: [fast -> p]\n' > "$dir/fast.yaml"
err=$("$ezc" run "$dir/fast.yaml" --duration 1 2>&1 >/dev/null); status=$?
check "graph 1e9: exit 0" $status "status $status: $err"
n=$(grep -c "cannot keep up with real time" <<<"$err")
check "graph 1e9: warned exactly once" $([ "$n" -eq 1 ]; echo $?) "$n warnings: $err"
check "graph 1e9: warning names the node" $(grep -q "source 'fast' cannot keep up with real time: asked 1e+09 samples/s" <<<"$err"; echo $?) "$err"
check "graph 1e9: summary flags the node" $(grep -q "ezc run: fast: .*BEHIND REAL TIME" <<<"$err"; echo $?) "$err"
check "graph 1e9: only the source is flagged" $(grep "ezc run: p: " <<<"$err" | grep -vq BEHIND; echo $?) "$err"

# process groups: the child's figure reaches the supervisor's summary
printf 'nodes:\n  fast: {type: sine, process: a, settings: {fs: 1e9, channels: 64}}\n  p: {type: print, process: b, settings: {every: 100000000}}\nedges: [fast -> p]\n' > "$dir/groups.yaml"
err=$("$ezc" run "$dir/groups.yaml" --duration 1 2>&1 >/dev/null); status=$?
check "groups 1e9: exit 0" $status "status $status: $err"
check "groups 1e9: summary flags the node" $(grep -q "ezc run group a: fast: .*BEHIND REAL TIME" <<<"$err"; echo $?) "$err"

printf 'nodes:\n  calm: {type: sine, settings: {fs: 1000, chunk: 10}}\n  p: {type: print, settings: {every: 1000}}\nedges: [calm -> p]\n' > "$dir/calm.yaml"
err=$("$ezc" run "$dir/calm.yaml" --duration 1 2>&1 >/dev/null); status=$?
check "graph 1000: exit 0" $status "status $status: $err"
check "graph 1000: no warning, not flagged" $(! grep -qE "keep up|BEHIND" <<<"$err"; echo $?) "$err"
finish
