#!/usr/bin/env bash
# test_dash_lan.sh — the dashboard served on a LAN address and used from
# another machine, made of two network namespaces joined by a veth pair
# (10.232.N.1 and .2/24 on the veth only). In A: a named `ezc pub` and
# `ezc-dash --bind 10.232.N.1 --port 0`. From B, as a browser on another
# host would: the page (HTTP 200) at the printed URL; the WebSocket with the
# token gets hello, the stream list with A's stream, and plot frames of it
# whose values are the sine's; without the token, or with another, 403.
# Needs root and `ip netns`; exits 77 (skipped) without them or without the
# dashboard. Namespaces are removed at exit whatever happens.
# Usage: test_dash_lan.sh EZC EZC_DASH
set -u
ezc="$1"
dash="${2:-}"
. "$(dirname "$0")/lib.sh" dash_lan
if [ -z "$dash" ] || [ ! -x "$dash" ]; then
  echo "dash_lan: skipped (ezc-dash not built)"
  exit 77
fi
net=10.232.$(($$ % 250 + 1))
if ! netns_pair "l$(($$ % 100000))" "$net"; then
  echo "dash_lan: skipped (needs root and network namespaces with a veth pair)"
  exit 77
fi
mkdir -m 700 "$dir/run"
inA() { ip netns exec "$A" env EZC_RUN_DIR="$dir/run" "$@"; }
inA "$ezc" pub --name lan/sine --channels 2 --fs 1000 --chunk 50 --amplitude 2 >/dev/null 2>&1 &
pids+=($!)
inA "$dash" --bind "$net.1" --port 0 > "$dir/dash.out" 2>"$dir/dash.err" &
pids+=($!)
url=""
for _ in $(seq 50); do
  url=$(grep -o "http://[^ ]*" "$dir/dash.out" 2>/dev/null | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
check "the URL is on the LAN address, with a token" \
  $([[ "$url" =~ ^http://$net\.1:[0-9]+/\?token=[0-9a-f]{32}$ ]]; echo $?) "url '$url'; $(cat "$dir/dash.err")"
ip netns exec "$B" "$py" - "$url" "$src/tests/support" <<'PYEOF'
import sys, urllib.request
sys.path.insert(0, sys.argv[2])
from ezc_check import check, finish
from ezc_ws import WS, decode
url = sys.argv[1]
host, rest = url[len("http://"):].split(":", 1)
port, token = int(rest.split("/")[0]), rest.split("token=")[1]
with urllib.request.urlopen(url, timeout=5) as r:
    page = r.read().decode()
check("from B: the page at the printed URL", r.status == 200 and "app.js" in page, r.status)
for bad in (None, "0" * 32):
    w = WS(port, bad, host=host)
    check(f"from B: the WebSocket refused {'without' if bad is None else 'with a wrong'} token",
          w.status == 403, w.status)
    w.close()
w = WS(port, token, host=host)
check("from B: the WebSocket with the token", w.status == 101, w.status)
hello = w.recv_until(lambda m: m.get("type") == "hello")
check("hello", hello.get("version") == 1, hello)
streams = w.recv_until(lambda m: m.get("type") == "streams" and
                       any(s["name"] == "lan/sine" for s in m["streams"]), timeout=8)
w.send_json({"op": "subscribe", "stream": "lan/sine", "window_s": 2, "columns": 200})
frames = w.frames(2.5)
vals = [f["values"] for f in frames if f.get("stream") == "lan/sine"]
hi = max((float(v[v == v].max()) for v in vals if (v == v).any()), default=0)
check("plot frames of A's stream reach B", len(vals) >= 5, len(vals))
check("their values are the sine's (amplitude 2)", abs(hi - 2) < 0.05, hi)
w.close()
finish("dash_lan from B")
PYEOF
check "the client in B" $? "see above; dash: $(tail -3 "$dir/dash.err")"
finish
