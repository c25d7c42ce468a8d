#!/usr/bin/env bash
# test_discovery.sh — stream names across hosts on loopback, with real
# processes: a named tcp:// `ezc pub` in one run folder, consumers in
# another (so the local registry cannot answer), EZC_PEERS=127.0.0.1.
# `ezc ls --remote` lists it within 2 s with the address in place of the
# wildcard host, `ezc echo NAME --count 3` receives from it over tcp, an ipc://
# publisher and an unset EZC_PEERS announce nothing, a CURVE publisher's
# beacon carries its public key (the consumer still connects with the .pub
# it trusts), and a listener fed random and forged datagrams (from Python)
# survives, refuses them all, and still hears a good beacon sent after them.
# Usage: test_discovery.sh PATH_TO_EZC   (EZC_PYTHON from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" discovery
mkdir -m 700 "$dir/a" "$dir/b"
# A port of our own, so parallel runs and other tests do not hear us.
port=$((21000 + $$ % 20000))
export EZC_DISCOVERY_PORT=$port
ms() { date +%s%3N; }

# ---- off by default: nothing announced without EZC_DISCOVERY/EZC_PEERS ----
EZC_RUN_DIR="$dir/a" "$ezc" pub --name quiet/one --channels 2 tcp://127.0.0.1:0 \
  >/dev/null 2>&1 & q=$!; pids+=($q)
out=$(EZC_RUN_DIR="$dir/b" "$ezc" ls --remote --wait 1.2 --streams --quiet 2>&1)
check "no beacons unless asked" $([ -z "$out" ]; echo $?) "$out"
kill "$q"; wait "$q" 2>/dev/null

expect "a wrong interface is an error at the publisher's start" 1 "no IPv4 interface 'nosuch9'" -- \
  env EZC_RUN_DIR="$dir/a" EZC_DISCOVERY=nosuch9 "$ezc" pub --name bad/iface --count 1 tcp://127.0.0.1:0

export EZC_PEERS=127.0.0.1
# ---- an ipc:// named publisher is not announced (not reachable elsewhere) ----
EZC_RUN_DIR="$dir/a" "$ezc" pub --name local/only --channels 2 >/dev/null 2>&1 & q=$!; pids+=($q)

# ---- listed remotely within 2 s of the publisher's start ----
t0=$(ms)
EZC_RUN_DIR="$dir/a" "$ezc" pub --name lab/emg --channels 4 --fs 250 --chunk 25 tcp://0.0.0.0:0 \
  >/dev/null 2>&1 & p=$!; pids+=($p)
listed=""
for _ in $(seq 20); do
  EZC_RUN_DIR="$dir/b" "$ezc" ls --remote --wait 0.3 --streams --quiet 2>/dev/null |
    grep -qx lab/emg && { listed=$(($(ms) - t0)); break; }
done
check "listed within 2 s" $([ -n "$listed" ] && [ "$listed" -le 2000 ]; echo $?) "after ${listed:-never} ms"
echo "loopback: 'ezc ls --remote' listed a new 'ezc pub --name' ${listed:-never} ms after its start"
EZC_RUN_DIR="$dir/b" "$ezc" ls --remote --wait 1.5 --streams > "$dir/ls.txt" 2>&1
out=$(cat "$dir/ls.txt")
line=$(awk '$1 == "lab/emg"' "$dir/ls.txt")
check "ls --remote lists the other folder's tcp stream" $([ -n "$line" ]; echo $?) "$out"
ep=$(awk '{print $3}' <<<"$line")
check "wildcard host replaced by the address toward the peer" \
  $([[ "$ep" == tcp://127.0.0.1:* ]]; echo $?) "$line"
check "dtype, shape and fs announced" \
  $([ "$(awk '{print $4, $5, $6}' <<<"$line")" = "float32 [25,4] 250" ]; echo $?) "$line"
check "ipc:// publisher not announced" $(! grep -q local/only "$dir/ls.txt"; echo $?) "$out"

# ---- a consumer resolves the name remotely and receives over tcp ----
out=$(EZC_RUN_DIR="$dir/b" timeout 20 "$ezc" echo lab/emg --count 3 2>&1)
check "echo NAME --count 3 receives from the other folder's stream" \
  $([ "$(grep -c 'shape=\[25, 4\]' <<<"$out")" -eq 3 ]; echo $?) "$out"
out=$(EZC_RUN_DIR="$dir/b" EZC_DISCOVERY_WAIT_MS=300 timeout 20 "$ezc" echo lab/nothing --count 1 2>&1)
check "a name nobody announces is not found" $([[ "$out" == *"no stream named 'lab/nothing'"* ]]; echo $?) "$out"
kill "$p" "$q" 2>/dev/null; wait "$p" "$q" 2>/dev/null

# ---- a CURVE publisher's beacon carries its public key; data stays encrypted ----
"$ezc" keygen "$dir/srv" >/dev/null && "$ezc" keygen "$dir/cli" >/dev/null && mkdir "$dir/allow" &&
  cp "$dir/cli.pub" "$dir/allow/"
EZC_RUN_DIR="$dir/a" "$ezc" pub --name sec/emg --channels 2 --chunk 10 --curve-server "$dir/srv.key" \
  --curve-allow "$dir/allow" tcp://0.0.0.0:0 >/dev/null 2>&1 & p=$!; pids+=($p)
out=$(EZC_RUN_DIR="$dir/b" "$ezc" ls --remote --wait 1.5 --streams 2>&1)
key=$(grep -v '^#' "$dir/srv.pub" | head -1)
check "beacon carries the CURVE server key" \
  $([ -n "$key" ] && [ "$(awk '$1 == "sec/emg" {print $NF}' <<<"$out")" = "$key" ]; echo $?) "$out"
out=$(EZC_RUN_DIR="$dir/b" timeout 20 "$ezc" echo sec/emg --curve-client "$dir/cli.key" \
  --curve-server-pub "$dir/srv.pub" --count 2 2>&1)
check "resolved CURVE stream received with the trusted key" \
  $([ "$(grep -c 'shape=\[10, 2\]' <<<"$out")" -eq 2 ]; echo $?) "$out"
kill "$p"; wait "$p" 2>/dev/null

# ---- hostile datagrams while a consumer listens ----
# (one listener at a time: a unicast datagram reaches one socket of a port)
cat > "$dir/fuzz.py" <<'EOF'
import random, socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
good = (b"ezc-beacon 1\nname=fuzz/good\nendpoint=tcp://127.0.0.1:5999\npid=77\nhost=h\n"
        b"dtype=float32\nshape=10,2\ndims=time,ch\nfs=100\n")
forged = [
    good.replace(b"fuzz/good", b"forged/ipc").replace(b"tcp://127.0.0.1:5999", b"ipc:///tmp/evil"),
    good.replace(b"fuzz/good", b"forged/ipc").replace(b"tcp://127.0.0.1:5999", b"inproc://x"),
    good.replace(b"fuzz/good", b"forged/ipc").replace(b"127.0.0.1:5999", b"1.2.3.4;127.0.0.1:5999"),
    good + b"name=forged/dup\n", good.replace(b"shape=10,2", b"shape=" + b"9," * 40 + b"9"),
    good.replace(b"fs=100", b"fs=inf"), good[:-1], good.replace(b"pid=77", b"pid=0"),
    good + b"x" * 2000, b"", b"ezc-beacon 1\n", good.replace(b"\n", b"\r\n"),
]
rnd = random.Random(1)
sent = 0
for d in forged:
    s.sendto(d, ("127.0.0.1", port)); sent += 1
for _ in range(3000):
    kind = rnd.randrange(3)
    if kind == 0:
        d = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 1500)))
    elif kind == 1:  # one byte of the good beacon changed, cut, or repeated
        b = bytearray(good); i = rnd.randrange(len(b))
        op = rnd.randrange(3)
        if op == 0: b[i] = rnd.randrange(256)
        elif op == 1: b = b[:i]
        else: b = b[:i] + b[i:] * rnd.randrange(2, 30)
        d = bytes(b)
    else:  # structured: good keys, hostile values
        keys = [b"name", b"endpoint", b"pid", b"host", b"shape", b"dims", b"dtype", b"fs", b"curve"]
        vals = [b"ipc:///x", b"tcp://h:99999", b"-1", b"\xff\xfe", b"a" * 900, b"1,2,3", b"",
                b"nan", b"tcp://h:1", b"x,y", b"float32", b"%s%s%n"]
        d = b"ezc-beacon 1\n" + b"".join(rnd.choice(keys) + b"=" + rnd.choice(vals) + b"\n"
                                          for _ in range(rnd.randrange(1, 12)))
        d = d.replace(b"name=fuzz/good", b"name=fuzz/x")
    s.sendto(d[:65000], ("127.0.0.1", port)); sent += 1
s.sendto(good, ("127.0.0.1", port))
print("sent", sent, "hostile datagrams and one good beacon")
EOF
EZC_RUN_DIR="$dir/b" "$ezc" ls --remote --wait 4 --streams > "$dir/fuzz.txt" 2>&1 & l=$!
sleep 0.3
"$py" "$dir/fuzz.py" "$port"
wait "$l"; lrc=$?
check "listener survives the fuzz" $([ "$lrc" -eq 0 ]; echo $?) "exit $lrc: $(cat "$dir/fuzz.txt")"
check "the good beacon after the fuzz is heard" $(grep -q '^fuzz/good ' "$dir/fuzz.txt"; echo $?) \
  "$(cat "$dir/fuzz.txt")"
# Mutations that still make a well-formed beacon may be listed (beacons are
# not authenticated); none may carry anything but a tcp://HOST:PORT endpoint.
bad=$(awk 'NR > 3 && $3 !~ /^tcp:\/\/[A-Za-z0-9.-]+:[1-9][0-9]*$/' "$dir/fuzz.txt")
check "only tcp://HOST:PORT endpoints listed, no forged stream" \
  $([ -z "$bad" ] && ! grep -Eq 'forged/|evil|inproc' "$dir/fuzz.txt"; echo $?) "$bad"
EZC_RUN_DIR="$dir/b" EZC_DISCOVERY_WAIT_MS=3000 timeout 20 "$ezc" echo forged/ipc --count 1 \
  > "$dir/forged.txt" 2>&1 & f=$!
sleep 0.3
"$py" "$dir/fuzz.py" "$port" >/dev/null
wait "$f"; frc=$?
out=$(cat "$dir/forged.txt")
check "a consumer never connects to a forged ipc:// endpoint" \
  $([ "$frc" -ne 0 ] && [ "$frc" -lt 124 ] && [[ "$out" == *"no stream named 'forged/ipc'"* ]]; echo $?) \
  "exit $frc: $out"
finish
