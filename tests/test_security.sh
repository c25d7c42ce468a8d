#!/usr/bin/env bash
# test_security.sh — who may connect: CURVE keys (`ezc keygen`), encrypted
# and authenticated tcp:// for `ezc pub/echo/hz/record` and for a graph
# split over two hosts (security: section), refused keys logged once with
# their fingerprint, a subscriber that connects and never reads no longer
# stalling `ezc pub` for a reader beside it (stall limit), and `ezc run`'s
# warning about plaintext tcp:// on a non-loopback address.
# Usage: test_security.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" # absolute: the test works in $dir
. "$(dirname "$0")/lib.sh" security

base=$((30000 + ($$ % 1500) * 10))
cd "$dir" || exit 1

# ---- keygen ----
expect "keygen writes the pair" 0 "srv.key (secret, 0600) and srv.pub written" -- "$ezc" keygen srv
check "secret key is 0600" $([ "$(stat -c %a srv.key)" = 600 ]; echo $?) "$(stat -c %a srv.key)"
check "public key is 0644" $([ "$(stat -c %a srv.pub)" = 644 ]; echo $?) "$(stat -c %a srv.pub)"
key_line() { grep -v '^#' "$1" | head -1; }
check "keys are 40 characters of Z85" \
  $([ "$(key_line srv.key | tr -d '\n' | wc -c)" = 40 ] && [ "$(key_line srv.pub | tr -d '\n' | wc -c)" = 40 ] \
    && [ "$(key_line srv.key)" != "$(key_line srv.pub)" ]; echo $?) "$(cat srv.key srv.pub)"
expect "keygen never replaces a secret key" 1 "srv.key exists (a secret key is never replaced" -- "$ezc" keygen srv
expect "keygen needs a NAME" 2 "usage: ezc keygen NAME" -- "$ezc" keygen
"$ezc" keygen ok >/dev/null && "$ezc" keygen bad >/dev/null && "$ezc" keygen cli >/dev/null
mkdir allow && cp ok.pub cli.pub allow/
cp ok.key lax.key && chmod 644 lax.key
echo "# empty" > empty.pub
mkdir noone

# ---- option errors ----
expect "--curve-server needs --curve-allow" 2 "--curve-server and --curve-allow go together" -- \
  "$ezc" pub tcp://127.0.0.1:$base --curve-server srv.key --count 1
expect "--curve-client needs --curve-server-pub" 2 "--curve-client and --curve-server-pub go together" -- \
  "$ezc" echo tcp://127.0.0.1:$base --curve-client ok.key --count 1
expect "a secret key others may read is refused" 1 "lax.key: mode 0644 lets others read it" -- \
  "$ezc" echo tcp://127.0.0.1:$base --curve-client lax.key --curve-server-pub srv.pub --count 1
expect "a public key file without a key" 1 "empty.pub: no key in the file" -- \
  "$ezc" echo tcp://127.0.0.1:$base --curve-client ok.key --curve-server-pub empty.pub --count 1
expect "an allowed folder with no key" 1 "noone holds no .pub file" -- \
  "$ezc" pub tcp://127.0.0.1:$base --curve-server srv.key --curve-allow noone --count 1
expect "pub --help names the CURVE and stall options" 0 "--curve-allow DIR" -- "$ezc" pub --help
expect "echo --help names the CURVE options" 0 "--curve-server-pub PUBFILE" -- "$ezc" echo --help

# ---- CURVE between ezc pub and its subscribers ----
ep="tcp://127.0.0.1:$base"
"$ezc" pub "$ep" --curve-server srv.key --curve-allow allow --fs 1000 --chunk 10 \
  > pub.out 2> pub.err & pp=$!; pids+=($pp)
sleep 0.3
n=$("$ezc" echo "$ep" --curve-client ok.key --curve-server-pub srv.pub --count 5 --header-only \
    --timeout 10 2>echo.err | grep -c '^seq=')
check "an allowed client reads the data" $([ "$n" = 5 ]; echo $?) "$n lines; $(cat echo.err)"
for i in 1 2; do
  out=$("$ezc" echo "$ep" --curve-client bad.key --curve-server-pub srv.pub --count 1 --timeout 2 2>&1)
  st=$?
  check "a client with another key gets nothing ($i)" $([ $st = 1 ] && ! grep -q '^seq=' <<<"$out" \
    && grep -q "nothing received from $ep for 2 s" <<<"$out"; echo $?) "status $st: $out"
done
out=$("$ezc" echo "$ep" --count 1 --timeout 2 2>&1); st=$?
check "a plaintext client gets nothing" $([ $st = 1 ] && ! grep -q '^seq=' <<<"$out"; echo $?) "status $st: $out"
out=$(timeout 10 "$py" - "$ep" <<'PYEOF' 2>&1
import sys, zmq
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"")
s.connect(sys.argv[1])
print("got" if s.poll(2000) else "nothing")
PYEOF
)
check "a raw ZeroMQ plaintext subscriber gets nothing" $([ "$out" = nothing ]; echo $?) "$out"
out=$(timeout 15 "$py" - "$ep" "$src/tools/python" <<'PYEOF' 2>&1
import sys
sys.path.insert(0, sys.argv[2])
import ezc_wire
s = ezc_wire.Subscriber(sys.argv[1], curve_client_key="ok.key", curve_server_pub="srv.pub")
m = s.recv(timeout_ms=10000)
print("ok" if m is not None and m.data.shape == (10, 8) else f"got {m}")
PYEOF
)
check "ezc_wire.Subscriber with CURVE keys reads the data" $([ "$out" = ok ]; echo $?) "$out"
out=$("$ezc" hz "$ep" --curve-client cli.key --curve-server-pub srv.pub --duration 1.5 2>&1)
check "ezc hz with CURVE" $(grep -q "rate [1-9]" <<<"$out"; echo $?) "$out"
"$ezc" record "$ep" rec.ezr --curve-client ok.key --curve-server-pub srv.pub --count 3 --quiet 2>rec.err
st=$?
check "ezc record with CURVE" $([ $st = 0 ] && [ -s rec.ezr ]; echo $?) "status $st: $(cat rec.err)"
kill -INT $pp; wait $pp
badkey=$(key_line bad.pub)
nlog=$(grep -cF "refused a subscriber from 127.0.0.1: key $badkey is not in" pub.err)
check "the refused key is logged once, with address and key" $([ "$nlog" = 1 ]; echo $?) \
  "$nlog lines: $(cat pub.err)"
check "the publisher counts the refused handshakes" \
  $(grep -qE "ezc pub: [2-9][0-9]* CURVE handshake\(s\) refused" pub.err; echo $?) "$(cat pub.err)"
check "the allowed keys are never logged" $(! grep -qF "$(key_line ok.pub)" pub.err; echo $?) "$(cat pub.err)"

# ---- a subscriber that connects and never reads ----
# ~25.6 KB messages at 500/s: the silent one's queues (its RCVHWM 1 and a
# small kernel buffer, the publisher's 1000) fill within seconds.
stuck() { # stuck ENDPOINT SECONDS: subscribes and never reads
  "$py" - "$1" "$2" <<'PYEOF' &
import sys, time, zmq
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.RCVHWM, 1)
s.setsockopt(zmq.RCVBUF, 4096)
s.setsockopt(zmq.SUBSCRIBE, b"")
s.connect(sys.argv[1])
time.sleep(float(sys.argv[2]))
PYEOF
  pids+=($!)
}
ep2="tcp://127.0.0.1:$((base + 1))"
"$ezc" pub "$ep2" --fs 50000 --chunk 100 --channels 64 --count 3000 --wait-subs 2 \
  --stall-timeout 1000 > /dev/null 2> stall.err & pp=$!; pids+=($pp)
stuck "$ep2" 60
n=$("$ezc" echo "$ep2" --count 3000 --header-only --timeout 10 2>reader.err | grep -c '^seq=')
wait $pp; pst=$?
check "with a stall limit the reader gets every message" $([ "$n" = 3000 ] && ! grep -q missing reader.err; echo $?) \
  "$n of 3000; reader: $(cat reader.err); pub: $(cat stall.err)"
check "the publisher counts one stall" $([ $pst = 0 ] && grep -q "ezc pub: 1 stall(s)" stall.err; echo $?) \
  "status $pst: $(cat stall.err)"
nlog=$(grep -c "pub $ep2: a subscriber took no message for 1000 ms" stall.err)
check "the stall is logged once with the endpoint" $([ "$nlog" = 1 ]; echo $?) "$(cat stall.err)"

ep3="tcp://127.0.0.1:$((base + 2))"
"$ezc" pub "$ep3" --fs 50000 --chunk 100 --channels 64 --count 3000 --wait-subs 2 \
  --stall-timeout 0 > /dev/null 2> nolimit.err & pp=$!; pids+=($pp)
stuck "$ep3" 60
n=$("$ezc" echo "$ep3" --count 3000 --header-only --timeout 3 2>reader.err | grep -c '^seq=')
kill -INT $pp; wait $pp
check "without it (--stall-timeout 0) the silent one stalls the reader" \
  $([ "$n" -lt 3000 ] && grep -q "nothing received" reader.err; echo $?) "$n of 3000; $(cat reader.err)"

# The same through a graph's publish sink, whose sends retry after short
# timeouts: the stall is counted across them (security: stall_timeout_ms).
ep4="tcp://127.0.0.1:$((base + 6))"
cat > stall.yaml <<YEOF
security: {stall_timeout_ms: 1000}
nodes:
  s: {type: sine, settings: {fs: 50000, channels: 64, chunk: 100, count: 3000}}
  p: {type: publish, settings: {endpoint: "$ep4"}}
edges: [s -> p]
YEOF
stuck "$ep4" 60
"$ezc" echo "$ep4" --header-only --timeout 20 > graph_reader.out 2> graph_reader.err & er=$!; pids+=($er)
sleep 0.5
"$ezc" run stall.yaml --quiet > graph_stall.out 2>&1; gst=$?
wait $er
# (the reader may join a little after the first messages: those are no gaps)
n=$(grep -c '^seq=' graph_reader.out)
last=$(grep '^seq=' graph_reader.out | tail -1 | cut -d' ' -f1)
check "a graph's publish sink: the reader gets the stream to its end, no gap" \
  $([ $gst = 0 ] && [ "$n" -ge 2000 ] && [ "$last" = seq=2999 ] && grep -q "end of stream" graph_reader.err \
    && ! grep -q missing graph_reader.err; echo $?) \
  "run status $gst, $n messages; reader: $(cat graph_reader.err); run: $(cat graph_stall.out)"
nlog=$(grep -c "pub $ep4: a subscriber took no message for 1000 ms" graph_stall.out)
check "the publish sink's stall is logged once" $([ "$nlog" = 1 ]; echo $?) "$(cat graph_stall.out)"

# ---- a graph over two hosts, encrypted ----
pa=$((base + 100)); pb=$((base + 105))
cat > two.yaml <<YEOF
security:
  server_key: srv.key
  allow: allow
  client_key: cli.key
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
expect "validate a graph with security" 0 "ok (3 nodes, 2 edges)" -- "$ezc" validate two.yaml
"$ezc" run two.yaml --host b --quiet > b.out 2>&1 & hb=$!; pids+=($hb)
"$ezc" run two.yaml --host a --quiet > a.out 2>&1 & ha=$!; pids+=($ha)
r=$(timeout 30 "$py" - "ipc://$dir/abs" "$src/tools/python" "tcp://127.0.0.1:$pa" <<'PYEOF' 2>&1
import sys
import numpy as np
import zmq
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
    assert np.max(np.abs(m.data - want)) <= 1e-12, f"message {i}: wrong values"
# the edge sine -> rect crosses tcp on host a's address: plaintext gets nothing
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"")
s.connect(sys.argv[3])
print("ok" if not s.poll(2000) else "plaintext subscriber got data")
PYEOF
)
check "two hosts with security: data flows, plaintext gets nothing" $([ "$r" = ok ]; echo $?) \
  "$r; a: $(cat a.out); b: $(cat b.out)"
kill -INT $ha $hb; wait $ha $hb
check "no plaintext warning for a secured graph" $(! grep -q "plaintext tcp" a.out b.out; echo $?) "$(cat a.out b.out)"

sed 's/client_key: cli.key/client_key: bad.key/' two.yaml > wrongkey.yaml
"$ezc" run wrongkey.yaml --host b --quiet > b2.out 2>&1 & hb=$!; pids+=($hb)
"$ezc" run wrongkey.yaml --host a --quiet > a2.out 2>&1 & ha=$!; pids+=($ha)
r=$(timeout 20 "$py" - "ipc://$dir/abs" "$src/tools/python" <<'PYEOF' 2>&1
import sys
sys.path.insert(0, sys.argv[2])
import ezc_wire
print("nothing" if ezc_wire.Subscriber(sys.argv[1]).recv(timeout_ms=4000) is None else "got data")
PYEOF
)
kill -INT $ha $hb; wait $ha $hb
check "a graph host with a key not allowed gets nothing" $([ "$r" = nothing ]; echo $?) "$r"
check "the hosts log the refused key" \
  $(cat a2.out b2.out | grep -F "key $(key_line bad.pub) is not in" | grep -q "refused a subscriber from 127.0.0."; echo $?) \
  "$(cat a2.out b2.out)"

# ---- security: section errors ----
cat > badsec.yaml <<'YEOF'
security:
  server_key: srv.key
  colour: blue
  stall_timeout_ms: soon
nodes:
  s: {type: sine}
  p: {type: print}
edges: [s -> p]
YEOF
out=$("$ezc" validate badsec.yaml 2>&1); st=$?
check "security errors exit 1" $([ $st = 1 ]; echo $?) "$out"
for want in "badsec.yaml:3: security: unknown key 'colour' (expected server_key, allow, client_key, server_pub, stall_timeout_ms)" \
            "badsec.yaml:4: security: stall_timeout_ms 'soon': expected an integer" \
            "badsec.yaml:1: security: server_key and allow go together"; do
  check "security error: $want" $(grep -qF "$want" <<<"$out"; echo $?) "$out"
done

# ---- the plaintext warning ----
mkgraph() { # mkgraph FILE ADDRESS PORT [SECURITY]
  cat > "$1" <<YEOF
${4:-}
nodes:
  s: {type: counter, process: g1, settings: {fs: 100, count: 5}}
  p: {type: publish, process: g2, settings: {endpoint: "tcp://$2:$3"}}
  o: {type: print, process: g2}
edges: [s -> p, s -> o]
YEOF
}
mkgraph open.yaml 0.0.0.0 $((base + 3))
out=$("$ezc" run open.yaml --quiet --duration 5 2>&1)
n=$(grep -c "plaintext tcp:// on a non-loopback address" <<<"$out")
check "plaintext 0.0.0.0 is warned about once" $([ "$n" = 1 ] && \
  grep -q "publish sink 'p' (tcp://0.0.0.0:$((base + 3)))" <<<"$out"; echo $?) "$out"
mkgraph lo.yaml 127.0.0.1 $((base + 4))
out=$("$ezc" run lo.yaml --quiet --duration 5 2>&1)
check "no warning for 127.0.0.1" $(! grep -q "plaintext" <<<"$out"; echo $?) "$out"
mkgraph sec.yaml 0.0.0.0 $((base + 5)) "security: {server_key: srv.key, allow: allow}"
out=$("$ezc" run sec.yaml --quiet --duration 5 2>&1)
check "no warning with security" $(! grep -q "plaintext" <<<"$out"; echo $?) "$out"

finish
