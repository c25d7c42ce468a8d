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

# ---- validate: what the runtime would refuse, plugins, limits ----
cat > "$dir/http.yaml" <<YEOF
nodes:
  s: {type: sine}
  p: {type: publish, settings: {endpoint: "http://localhost:80"}}
edges: [s -> p]
YEOF
expect "validate: http endpoint" 1 "http.yaml:3: node 'p': publish: setting 'endpoint' = 'http://localhost:80': expected tcp://, ipc:// or inproc:// endpoint" -- "$ezc" validate "$dir/http.yaml"
cat > "$dir/nyq.yaml" <<YEOF
nodes:
  s: {type: sine, settings: {fs: 1000}}
  f: {type: butterworth, settings: {order: 4, cutoff: 800}}
  p: {type: print}
edges: [s -> f, f -> p]
YEOF
expect "validate: cutoff past Nyquist" 1 "nyq.yaml:3: node 'f': butterworth: setting 'cutoff' = 800 Hz: must be below Nyquist (500 Hz at fs = 1000 Hz of the stream from 's')" -- "$ezc" validate "$dir/nyq.yaml"
printf 'nodes:\n  a: {type: abs}\ndescription: %s\n' "$(head -c 100000 /dev/zero | tr '\0' '[')" > "$dir/deep.yaml"
expect "validate: deep nesting" 1 "deep.yaml:3: nested more than 64 levels deep" -- timeout 10 "$ezc" validate "$dir/deep.yaml"

# A plugin named without ./ that exists here is that file; one that does
# not exist says where it was looked for.
plugdir="${EZC_BUILD_DIR:-}/examples/plugin"
if [ -f "$plugdir/libezc-example-plugin.so" ]; then
  printf 'nodes:\n  s: {type: counter}\n  r: {type: rectify_gain}\n  p: {type: print}\nedges: [s -> r, r -> p]\n' > "$dir/rg.yaml"
  expect "--plugin bare file name" 0 "rg.yaml: ok (3 nodes, 2 edges)" -- \
    bash -c 'cd "$1" && "$2" validate "$3" --plugin libezc-example-plugin.so' _ "$plugdir" \
    "$(cd "$(dirname "$ezc")" && pwd)/$(basename "$ezc")" "$dir/rg.yaml"
fi
expect "--plugin missing bare name" 1 "plugin 'nope-plugin.so' does not load: no file 'nope-plugin.so' in the current folder, and the loader's search" -- \
  "$ezc" validate "$dir/nyq.yaml" --plugin nope-plugin.so

# Loading a plugin runs its code (a constructor, before any check):
# validate loads the file's plugins, --no-plugins and graph do not.
if command -v cc >/dev/null; then
  cat > "$dir/ctor.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void ran(void)
{
    const char *p = getenv("EZC_TEST_MARKER");
    FILE *f = p ? fopen(p, "w") : NULL;
    if (f)
        fclose(f);
}
CEOF
  cc -shared -fPIC -o "$dir/ctor.so" "$dir/ctor.c"
  printf 'plugins: [ctor.so]\nnodes:\n  s: {type: counter}\n  r: {type: from_ctor}\n  p: {type: print}\nedges: [s -> r, r -> p]\n' > "$dir/ctor.yaml"
  export EZC_TEST_MARKER="$dir/marker"
  expect "validate --no-plugins: plugin types unchecked" 0 "ctor.yaml: ok (3 nodes, 2 edges; 1 unchecked: plugins not loaded)" -- "$ezc" validate "$dir/ctor.yaml" --no-plugins
  expect "validate --no-plugins: the note" 0 "ctor.yaml:4: note: node 'r': type 'from_ctor' is not checked" -- "$ezc" validate "$dir/ctor.yaml" --no-plugins
  check "validate --no-plugins runs no plugin code" $([ ! -e "$dir/marker" ]; echo $?) "marker written"
  expect "graph loads no plugin" 0 '"r" [label="r\nfrom_ctor"' -- "$ezc" graph "$dir/ctor.yaml"
  check "graph runs no plugin code" $([ ! -e "$dir/marker" ]; echo $?) "marker written"
  expect "validate loads the plugin (and so runs it)" 1 "has no ezc_plugin_entry()" -- "$ezc" validate "$dir/ctor.yaml"
  check "validate ran the plugin's constructor" $([ -e "$dir/marker" ]; echo $?) "no marker"
  unset EZC_TEST_MARKER
fi
expect "--plugin with --no-plugins" 2 "contradict" -- "$ezc" validate "$dir/nyq.yaml" --no-plugins --plugin x.so

# A graph that validates (subscribe: nothing is known of its stream) but
# whose linear node refuses every message: 4 channels, 3 scales. The run
# says so and exits 1.
cat > "$dir/refuse.yaml" <<YEOF
nodes:
  s: {type: sine, settings: {fs: 1000, channels: 4, chunk: 50}}
  out: {type: publish, settings: {endpoint: "ipc://$dir/refuse"}}
  in: {type: subscribe, settings: {endpoint: "ipc://$dir/refuse"}}
  lin: {type: linear, settings: {scale: [1, 2, 3], axis: ch}}
  p: {type: print}
edges: [s -> out, in -> lin, lin -> p]
YEOF
expect "refuse: validates" 0 "ok (5 nodes, 3 edges)" -- "$ezc" validate "$dir/refuse.yaml"
out=$(timeout 20 "$ezc" run "$dir/refuse.yaml" --duration 1.5 2>&1 >/dev/null); status=$?
check "refuse: run exits 1" $([ $status -eq 1 ]; echo $?) "status $status: $out"
check "refuse: the node is named" $(grep -q "^ezc run: node 'lin' refused every message it got ([0-9]*); last: " <<<"$out"; echo $?) "$out"
check "refuse: summary flags it" $(grep "ezc run: lin: " <<<"$out" | grep -q "REFUSED EVERY MESSAGE"; echo $?) "$out"
check "refuse: healthy nodes unflagged" $(! grep "ezc run: s: " <<<"$out" | grep -q REFUSED; echo $?) "$out"
# On a terminal (script gives the run a pty) the status line flags it too.
if command -v script >/dev/null; then
  out=$(timeout 20 script -qec "'$ezc' run '$dir/refuse.yaml' --duration 2.5" /dev/null 2>&1)
  check "refuse: status line flags the node" $(grep -a "  lin  " <<<"$out" | grep -aq "REFUSES ALL INPUT" &&
    ! grep -a "  s  " <<<"$out" | grep -aq "REFUSES"; echo $?) "$(cat -v <<<"${out: -600}")"
fi
# With process groups the supervisor judges the node's figures from its child.
sed 's/lin: {type: linear,/lin: {type: linear, process: dsp,/' "$dir/refuse.yaml" > "$dir/refuse-groups.yaml"
out=$(timeout 30 "$ezc" run "$dir/refuse-groups.yaml" --duration 2 2>&1 >/dev/null); status=$?
check "refuse (process groups): exit 1, node named" $([ $status -eq 1 ] &&
  grep -q "^ezc run: node 'lin' refused every message it got" <<<"$out" &&
  grep "ezc run group dsp: lin: " <<<"$out" | grep -q "REFUSED EVERY MESSAGE"; echo $?) "status $status: $out"

# A 10,000-node fused chain runs in one thread without recursing per node
# (it overflowed the stack): all 20 messages reach the end.
"$py" -c '
import sys
n = 10000
out = ["nodes:", "  s: {type: counter, settings: {channels: 2, chunk: 10, count: 20, realtime: false}}"]
out += ["  n%d: {type: abs}" % i for i in range(n)]
out += ["  p: {type: print}", "edges:", "  - s -> n0"]
out += ["  - n%d -> n%d" % (i - 1, i) for i in range(1, n)]
out += ["  - n%d -> p" % (n - 1)]
print("\n".join(out))' > "$dir/chain.yaml"
out=$(timeout 60 "$ezc" run "$dir/chain.yaml" --duration 2 2>&1); status=$?
check "10,000-node fused chain runs" $([ $status -eq 0 ] && grep -q "^p: seq=19 " <<<"$out" &&
  grep -q "ezc run: p: 20 messages" <<<"$out"; echo $?) "status $status: ${out: -400}"

finish
