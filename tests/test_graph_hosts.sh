#!/usr/bin/env bash
# test_graph_hosts.sh — one graph split over two hosts, run as two
# `ezc run FILE --host NAME` processes on loopback (127.0.0.1 and 127.0.0.2):
# sine on host a -> abs on host b -> publish sink back on host a, so data
# crosses tcp:// both ways. A Python subscriber checks the |sine| values
# end to end (float64, 1e-12). Also: each side starts only its own groups,
# --host errors, hosts: validation errors. Network namespaces are not used
# (this test needs no privileges).
# Usage: test_graph_hosts.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" graph_hosts

# Free-ish ports: two bases 100 apart, from the PID.
pa=$((20000 + ($$ % 2000) * 10)); pb=$((pa + 5))
cat > "$dir/two.yaml" <<YEOF
hosts:
  a: {address: 127.0.0.1, port: $pa, groups: [acq, out]}
  b: {address: 127.0.0.2, port: $pb, groups: [dsp]}
nodes:
  sine:
    type: sine
    process: acq
    settings: {fs: 1000, channels: 3, chunk: 20, freq: 7, dtype: float64}
  rect: {type: abs, process: dsp}
  pub: {type: publish, process: out, settings: {endpoint: "ipc://$dir/abs"}}
edges:
  - sine -> rect
  - rect -> pub
YEOF
expect "validate hosts" 0 "ok (3 nodes, 2 edges)" -- "$ezc" validate "$dir/two.yaml"
expect "run --help names --host" 0 "--host NAME" -- "$ezc" run --help
expect "unknown host" 2 "--host 'c': no such host" -- "$ezc" run "$dir/two.yaml" --host c

cat > "$dir/bad.yaml" <<'YEOF'
hosts:
  a: {address: 127.0.0.1, groups: [acq, nothing]}
  b: {address: 127.0.0.2, groups: [acq], port: 99999}
  c: {groups: [x]}
nodes:
  s: {type: sine, process: acq}
  p: {type: print, process: lost}
edges: [s -> p]
YEOF
out=$("$ezc" validate "$dir/bad.yaml" 2>&1); status=$?
check "hosts errors exit 1" $([ $status -eq 1 ]; echo $?) "$out"
for want in "bad.yaml:2: host 'a': no node is in process group 'nothing'" \
            "bad.yaml:3: host 'b': port '99999': expected an integer in [1, 65535]" \
            "bad.yaml:3: host 'b': group 'acq' is already on host 'a'" \
            "bad.yaml:4: host 'c': no address" \
            "bad.yaml:7: node 'p': process group 'lost' is on no host"; do
  check "hosts error: $want" $(grep -qF "$want" <<<"$out"; echo $?) "$out"
done

# Host b first (its subscriber waits for a's publisher), then host a.
"$ezc" run "$dir/two.yaml" --host b --quiet > "$dir/b.out" 2>&1 & hb=$!; pids+=($hb)
"$ezc" run "$dir/two.yaml" --host a --quiet > "$dir/a.out" 2>&1 & ha=$!; pids+=($ha)
r=$(timeout 30 "$py" - "ipc://$dir/abs" "$src/tools/python" <<'PYEOF' 2>&1
import sys
import numpy as np
sys.path.insert(0, sys.argv[2])
import ezc_wire
sub = ezc_wire.Subscriber(sys.argv[1])
for i in range(20):
    m = sub.recv(timeout_ms=15000)
    if m is None:
        sys.exit(f"message {i}: nothing within 15 s")
    ax = m.axes["time"]
    fs = 1.0 / ax["gain"]
    n0 = int(round(ax["offset"] * fs))
    t = (n0 + np.arange(m.data.shape[0]))[:, None] / fs
    want = np.abs(np.sin(2 * np.pi * 7.0 * (np.arange(3)[None, :] + 1) * t))
    err = np.max(np.abs(m.data - want))
    assert m.data.dtype == np.float64 and err <= 1e-12, f"message {i}: max error {err}"
print("ok")
PYEOF
)
check "two hosts: |sine| end to end over tcp both ways" $([ "$r" = ok ]; echo $?) "$r; a: $(cat "$dir/a.out"); b: $(cat "$dir/b.out")"
groups_of() { for k in $(pgrep -P "$1"); do tr '\0' ' ' < /proc/$k/cmdline | sed -E 's/.*--group ([^ ]*).*/\1/'; echo; done | sort | tr '\n' ' '; }
check "host a runs acq and out" $([ "$(groups_of $ha)" = "acq out " ]; echo $?) "'$(groups_of $ha)'"
check "host b runs dsp" $([ "$(groups_of $hb)" = "dsp " ]; echo $?) "'$(groups_of $hb)'"
# The edges really are tcp on each host's address (port base + edge index).
socks=$(ss -ltnH 2>/dev/null)
if [ -n "$socks" ]; then
  check "a binds 127.0.0.1:$pa (edge 0)" $(grep -q "127.0.0.1:$pa " <<<"$socks"; echo $?) "$socks"
  check "b binds 127.0.0.2:$((pb + 1)) (edge 1)" $(grep -q "127.0.0.2:$((pb + 1)) " <<<"$socks"; echo $?) "$socks"
else
  echo "note: ss not available; listening sockets not checked"
fi
kill -INT $ha $hb; wait $ha; sa=$?; wait $hb; sb=$?
check "host a: SIGINT exit 0" $sa "status $sa: $(cat "$dir/a.out")"
check "host b: SIGINT exit 0" $sb "status $sb: $(cat "$dir/b.out")"
echo "note: network namespaces are not exercised (optional; the two hosts share loopback)"

finish
