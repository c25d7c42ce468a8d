#!/usr/bin/env bash
# test_cli.sh — the ezc command line as a user runs it: real processes over
# real ipc sockets (pub -> node abs -> echo), help texts, and error messages.
# Usage: test_cli.sh PATH_TO_EZC
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" cli

expect "help" 0 "commands:" -- "$ezc" --help
expect "no args" 2 "usage: ezc" -- "$ezc"
expect "unknown command" 2 "unknown command 'bogus'" -- "$ezc" bogus
for c in pub echo hz node list; do
  expect "$c --help" 0 "usage: ezc $c" -- "$ezc" "$c" --help
done
expect "pub bad fs" 2 "--fs 'abc': expected a number" -- "$ezc" pub "ipc://$dir/x" --fs abc
expect "pub bad dtype" 2 "--dtype 'float16': unknown dtype" -- "$ezc" pub "ipc://$dir/x" --dtype float16
expect "pub bad signal" 2 "signal 'square'" -- "$ezc" pub "ipc://$dir/x" --signal square
expect "pub no endpoint" 2 "expected one ENDPOINT" -- "$ezc" pub
expect "node bad setting" 2 "clip: min (5) > max (1)" -- "$ezc" node clip --set min=5 --set max=1 --in "ipc://$dir/a" --out "ipc://$dir/b"
expect "node unknown setting" 2 "unknown setting 'mn'" -- "$ezc" node clip --set mn=5 --in "ipc://$dir/a" --out "ipc://$dir/b"
expect "node unknown type" 2 "unknown transformer type 'abss'" -- "$ezc" node abss --in "ipc://$dir/a" --out "ipc://$dir/b"
expect "node missing plugin" 2 "/nonexistent.so" -- "$ezc" node abs --plugin /nonexistent.so --in "ipc://$dir/a" --out "ipc://$dir/b"
expect "list" 0 "clip" -- "$ezc" list
expect "list clip" 0 "max" -- "$ezc" list clip
expect "list shows graph sources" 0 "sine                 source: a sine per channel" -- "$ezc" list
expect "list sine (a graph source)" 0 "freq             float    default 10" -- "$ezc" list sine
expect "list add_streams ports" 0 "b                second operand" -- "$ezc" list add_streams
expect "list unknown" 2 "unknown transformer type 'clp'" -- "$ezc" list clp
expect "echo nothing" 1 "nothing received" -- "$ezc" echo "ipc://$dir/silent" --timeout 0.5

# The live pipeline: sine -> abs -> echo. abs makes every value >= 0 while
# the sine itself swings to -1.
"$ezc" pub "ipc://$dir/raw" --channels 8 --fs 10000 --chunk 100 & pids+=($!)
"$ezc" node abs --in "ipc://$dir/raw" --out "ipc://$dir/abs" & pids+=($!)
out=$(timeout 30 "$ezc" echo "ipc://$dir/abs" --count 5 --timeout 10 2>&1); status=$?
check "pipeline exits 0" $status "status $status: $out"
lines=$(grep -c '^seq=' <<<"$out")
check "pipeline 5 messages" $([ "$lines" -eq 5 ]; echo $?) "got $lines: $out"
bad=$(grep '^seq=' <<<"$out" | grep -v 'shape=\[100, 8\] dims=\[time, ch\]' | wc -l)
check "pipeline shape and dims" $([ "$bad" -eq 0 ]; echo $?) "$out"
negative=$(grep -o 'min=[^ ]*' <<<"$out" | grep -c 'min=-')
check "pipeline abs applied" $([ "$negative" -eq 0 ] && [ "$lines" -gt 0 ]; echo $?) "$out"
maxes=$(grep -o 'max=[0-9.]*' <<<"$out" | cut -d= -f2 | awk '$1 > 0.9 && $1 <= 1.0' | wc -l)
check "pipeline amplitude kept" $([ "$maxes" -eq "$lines" ]; echo $?) "$out"
raw=$(timeout 30 "$ezc" echo "ipc://$dir/raw" --count 2 --timeout 10 2>&1)
check "raw stream has negatives" $(grep -q 'min=-' <<<"$raw"; echo $?) "$raw"

# pub --npy: a file numpy wrote (arange(30) as 10 x 3 float32), in chunks of
# 4 samples at 100 Hz: the values, the time offsets, the short last chunk.
npy="$src/tests/ref/npy"
"$ezc" pub "ipc://$dir/npy" --npy "$npy/f32_2d.npy" --chunk 4 --fs 100 --wait-subs 1 & pids+=($!)
out=$(timeout 20 "$ezc" echo "ipc://$dir/npy" --count 3 --timeout 10 2>&1)
check "pub --npy chunk 0" $(grep -q 'seq=0 .*shape=\[4, 3\] dims=\[time, ch\].*time.offset=0.000000s fs=100 min=0 max=11' <<<"$out"; echo $?) "$out"
check "pub --npy chunk 1" $(grep -q 'seq=1 .*time.offset=0.040000s fs=100 min=12 max=23' <<<"$out"; echo $?) "$out"
check "pub --npy last chunk" $(grep -q 'seq=2 .*shape=\[2, 3\].*min=24 max=29' <<<"$out"; echo $?) "$out"
expect "pub --npy fortran" 2 "Fortran-order data; save it with np.save(path, np.ascontiguousarray(a))" -- "$ezc" pub "ipc://$dir/x" --npy "$npy/fortran.npy"
expect "pub --npy missing" 2 "npy /nonexistent.npy: No such file" -- "$ezc" pub "ipc://$dir/x" --npy /nonexistent.npy

# hz over the live raw stream: 100 msg/s (fs 10000, chunks of 100), no gaps.
hz=$(timeout 20 "$ezc" hz "ipc://$dir/raw" --window 2 --duration 3 2>&1)
last=$(grep '^rate' <<<"$hz" | tail -1)
rate=$(awk '{print $2}' <<<"$last")
check "hz rate ~100 msg/s" $(awk -v r="$rate" 'BEGIN{exit !(r > 60 && r < 140)}'; echo $?) "$hz"
check "hz no gaps" $(grep -q 'gaps 0 ' <<<"$last"; echo $?) "$hz"
check "hz bandwidth 100 x 3200 B" $(awk -v l="$last" 'BEGIN{split(l,f," "); exit !(f[5] > 0.19 && f[5] < 0.45)}'; echo $?) "$hz"
expect "hz bad window" 2 "--window must be a positive" -- "$ezc" hz "ipc://$dir/raw" --window 0

finish
