#!/usr/bin/env bash
# test_record.sh — `ezc record` / `ezc replay` and the graph `record` sink as
# a user runs them. A live counter stream is recorded, replayed and recorded
# again: the two files must hold byte-identical messages (topic, header and
# data frames compared one by one with tools/python/ezc_recording.py, which
# is also checked against msgpack and the counter's values). Truncated and
# corrupt files must be refused with an error naming the file and offset.
# Usage: test_record.sh PATH_TO_EZC   (EZC_PYTHON, EZC_SOURCE_DIR from meson)
set -u
ezc="$1"
. "$(dirname "$0")/lib.sh" record
pyrec() { PYTHONPATH="$src/tools/python" "$py" - "$@"; }

for c in record replay; do
  expect "$c --help" 0 "usage: ezc $c" -- "$ezc" "$c" --help
  expect "$c --help examples" 0 "examples:" -- "$ezc" "$c" --help
done
expect "record no file" 2 "expected ENDPOINT and FILE" -- "$ezc" record "ipc://$dir/x"
expect "replay bad rate" 2 "--rate '0': expected a number > 0" -- "$ezc" replay "$dir/a.ezr" "ipc://$dir/x" --rate 0
expect "replay missing file" 1 "$dir/none.ezr: cannot open" -- "$ezc" replay "$dir/none.ezr" "ipc://$dir/x"

# ---- record a live stream: counter, 3 channels int32 + a sine float64 topic ----
"$ezc" pub "ipc://$dir/raw" --signal counter --channels 3 --chunk 10 --fs 2000 --dtype int32 --topic cnt & pids+=($!)
out=$(timeout 30 "$ezc" record "ipc://$dir/raw" "$dir/a.ezr" --count 60 2>&1); status=$?
check "record exits 0" $status "$out"
check "record summary" $([[ "$out" == *"60 messages"*"$dir/a.ezr"* ]]; echo $?) "$out"
expect "record refuses to replace" 1 "give --force" -- "$ezc" record "ipc://$dir/raw" "$dir/a.ezr" --count 1
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null

r=$(pyrec "$dir/a.ezr" <<'PYEOF'
import sys, msgpack, numpy as np, ezc_recording
rec = ezc_recording.Recording(sys.argv[1])
assert len(rec) == 60, len(rec)
assert np.all(np.diff(rec.recv_ns) >= 0), "receive times go back"
last_end = None
for i, m in enumerate(rec):
    assert m.topic == "cnt", m.topic
    assert m.header == msgpack.unpackb(bytes(m.header_bytes)), f"message {i}: header differs from msgpack's reading"
    assert m.dims == ["time", "ch"] and m.data.dtype == np.int32 and m.data.shape == (10, 3)
    n0 = int(round(m.axes["time"]["offset"] * 2000))
    want = np.broadcast_to((n0 + np.arange(10))[:, None], (10, 3))
    assert np.array_equal(m.data, want), f"message {i}: {m.data[:, 0]}"
    if last_end is not None:
        assert n0 == last_end, f"message {i}: gap ({n0} != {last_end})"
    last_end = n0 + 10
print("ok")
PYEOF
)
check "python reader: values, headers, no gap" $([ "$r" = ok ]; echo $?) "$r"

# ---- replay at the recorded pace, record it again: identical messages ----
span=$(pyrec "$dir/a.ezr" <<'PYEOF'
import sys, ezc_recording
r = ezc_recording.Recording(sys.argv[1]); print((r.recv_ns[-1] - r.recv_ns[0]) / 1e9)
PYEOF
)
timeout 30 "$ezc" record "ipc://$dir/rep" "$dir/b.ezr" --count 60 --quiet & rec=$!; pids+=($rec)
start=$(date +%s%N)
out=$(timeout 30 "$ezc" replay "$dir/a.ezr" "ipc://$dir/rep" 2>&1); status=$?
took=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN{print (b - a) / 1e9}')
wait $rec; rstatus=$?
check "replay exits 0" $status "$out"
check "replay summary" $([[ "$out" == *"60 messages"* ]]; echo $?) "$out"
check "re-record exits 0" $rstatus "status $rstatus"
# Paced: it cannot finish before the recorded span (lower bound only: a busy machine is slower).
check "replay keeps the recorded pace" $(awk -v t="$took" -v s="$span" 'BEGIN{exit !(t >= 0.9 * s)}'; echo $?) "took $took s for a span of $span s"
check "no ipc file left by replay" $([ ! -e "$dir/rep" ]; echo $?) "$(ls -l "$dir")"

same() { # same A B: message-by-message byte comparison
  pyrec "$1" "$2" <<'PYEOF'
import sys, ezc_recording
a, b = ezc_recording.Recording(sys.argv[1]), ezc_recording.Recording(sys.argv[2])
assert len(a) == len(b), f"{len(a)} != {len(b)} messages"
for i, (x, y) in enumerate(zip(a, b)):
    assert x.topic_bytes == y.topic_bytes, f"message {i}: topic"
    assert bytes(x.header_bytes) == bytes(y.header_bytes), f"message {i}: header bytes differ"
    assert bytes(x.data_bytes) == bytes(y.data_bytes), f"message {i}: data bytes differ"
print("ok")
PYEOF
}
r=$(same "$dir/a.ezr" "$dir/b.ezr" 2>&1)
check "record -> replay -> record: byte-identical messages" $([ "$r" = ok ]; echo $?) "$r"
# The payload bytes, file against file: only receive times may differ.
cmp_payloads() {
  pyrec "$1" "$2" <<'PYEOF'
import sys, ezc_recording
for p in sys.argv[1:]:
    r = ezc_recording.Recording(p)
    with open(p + ".payload", "wb") as f:
        for m in r:
            f.write(m.topic_bytes); f.write(bytes(m.header_bytes)); f.write(bytes(m.data_bytes))
PYEOF
  cmp "$1.payload" "$2.payload"
}
check "cmp of the payloads" $(cmp_payloads "$dir/a.ezr" "$dir/b.ezr" >/dev/null 2>&1; echo $?) "payloads differ"

# --fast and --loop: 150 messages out of a 60-message file, quickly.
# (timeout --foreground: a plain timeout passes SIGINT on twice, to the
# child and to its process group, and a second SIGINT means "exit at once")
timeout 30 "$ezc" record "ipc://$dir/loop" "$dir/c.ezr" --count 150 --quiet & rec=$!; pids+=($rec)
timeout --foreground 30 "$ezc" replay "$dir/a.ezr" "ipc://$dir/loop" --fast --loop --quiet & rep=$!; pids+=($rep)
wait $rec; rstatus=$?
kill -INT $rep; wait $rep; status=$?
check "replay --fast --loop feeds 150 messages" $rstatus "record status $rstatus"
check "replay --loop: Ctrl-C exit 0" $status "status $status"
r=$(pyrec "$dir/c.ezr" "$dir/a.ezr" <<'PYEOF'
import sys, ezc_recording
c, a = ezc_recording.Recording(sys.argv[1]), ezc_recording.Recording(sys.argv[2])
assert len(c) == 150
for i, m in enumerate(c):
    assert bytes(m.header_bytes) == bytes(a[i % 60].header_bytes), f"message {i}"
print("ok")
PYEOF
)
check "loop order" $([ "$r" = ok ]; echo $?) "$r"

# ---- truncated and corrupt files are refused, naming file and offset ----
size=$(stat -c %s "$dir/a.ezr")
head -c $((size - 10)) "$dir/a.ezr" > "$dir/trunc.ezr"
expect "truncated: refused" 1 "recording $dir/trunc.ezr: offset $((size - 10)): truncated: no index footer" -- "$ezc" replay "$dir/trunc.ezr" "ipc://$dir/t" --wait 0
head -c 20 "$dir/a.ezr" > "$dir/tiny.ezr"
expect "tiny: refused" 1 "recording $dir/tiny.ezr: offset 20: truncated" -- "$ezc" replay "$dir/tiny.ezr" "ipc://$dir/t" --wait 0
# Third record's marker, and a byte inside the fifth record's msgpack header.
read -r off3 off5 <<<"$(pyrec "$dir/a.ezr" <<'PYEOF'
import sys, ezc_recording
r = ezc_recording.Recording(sys.argv[1]); print(r.offsets[2], r.offsets[4] + 32 + 3 + 5)
PYEOF
)"
cp "$dir/a.ezr" "$dir/marker.ezr"; printf 'X' | dd of="$dir/marker.ezr" bs=1 seek="$off3" conv=notrunc status=none
expect "corrupt marker: refused" 1 "recording $dir/marker.ezr: offset $off3: message 2: no record marker" -- "$ezc" replay "$dir/marker.ezr" "ipc://$dir/t" --wait 0
cp "$dir/a.ezr" "$dir/header.ezr"; printf '\xff' | dd of="$dir/header.ezr" bs=1 seek="$off5" conv=notrunc status=none
expect "corrupt header: refused" 1 "message 4: topic/header checksum mismatch" -- "$ezc" replay "$dir/header.ezr" "ipc://$dir/t" --wait 0
r=$(pyrec "$dir/trunc.ezr" "$dir/marker.ezr" "$dir/header.ezr" <<'PYEOF' 2>&1
import sys, ezc_recording
for p in sys.argv[1:]:
    try:
        ezc_recording.Recording(p)
        print("accepted", p)
    except ezc_recording.RecordingError as e:
        assert p in str(e) and "offset" in str(e), str(e)
print("ok")
PYEOF
)
check "python reader refuses the same files" $([ "$r" = ok ]; echo $?) "$r"
printf 'hello world, not a recording at all....' > "$dir/text.ezr"
expect "not a recording" 1 "offset 0: not an ezc recording" -- "$ezc" replay "$dir/text.ezr" "ipc://$dir/t" --wait 0
check "refusals leave no ipc file" $([ ! -e "$dir/t" ]; echo $?) "$(ls "$dir")"

# ---- the graph's record sink writes the same format ----
cat > "$dir/g.yaml" <<YEOF
nodes:
  count: {type: counter, settings: {fs: 2000, channels: 2, chunk: 20, dtype: int32, count: 40, realtime: false}}
  rect: {type: abs}
  keep: {type: record, settings: {path: "$dir/g.ezr", topic: counts}}
edges:
  - count -> rect
  - rect -> keep
YEOF
expect "validate with a record sink" 0 "ok (3 nodes, 2 edges)" -- "$ezc" validate "$dir/g.yaml"
out=$(timeout 30 "$ezc" run "$dir/g.yaml" --duration 1.5 --quiet 2>&1); status=$?
check "graph with a record sink: exit 0" $status "$out"
r=$(pyrec "$dir/g.ezr" <<'PYEOF' 2>&1
import sys, numpy as np, ezc_recording
rec = ezc_recording.Recording(sys.argv[1])
assert len(rec) == 40, len(rec)
for i, m in enumerate(rec):
    assert m.topic == "counts", m.topic
    assert m.header["seq"] == i, (i, m.header["seq"])
    want = np.broadcast_to((20 * i + np.arange(20))[:, None], (20, 2))
    assert np.array_equal(m.data, want), f"message {i}"
print("ok")
PYEOF
)
check "record sink: 40 messages, values, seq" $([ "$r" = ok ]; echo $?) "$r"
# ezc replay reads what the sink wrote.
timeout 30 "$ezc" record "ipc://$dir/g2" "$dir/g2.ezr" --count 40 --quiet & rec=$!; pids+=($rec)
expect "replay a sink's file" 0 "40 messages" -- timeout 30 "$ezc" replay "$dir/g.ezr" "ipc://$dir/g2" --fast
wait $rec
r=$(same "$dir/g.ezr" "$dir/g2.ezr" 2>&1)
check "sink file -> replay -> record: identical" $([ "$r" = ok ]; echo $?) "$r"
expect "record sink refuses to replace" 1 "g.ezr: cannot create: File exists" -- timeout 30 "$ezc" run "$dir/g.yaml" --duration 1 --quiet

finish
