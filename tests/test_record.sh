#!/usr/bin/env bash
# test_record.sh — `ezc record` / `ezc replay` and the graph `record` sink as
# a user runs them. A live counter stream is recorded, replayed and recorded
# again: the two files must hold byte-identical messages (topic, header and
# data frames compared one by one with tools/python/ezc_recording.py, which
# is also checked against msgpack and the counter's values). Corrupt files
# (a flipped bit anywhere, data included; hostile lengths and shapes) must be
# refused with an error naming the file, the offset and the message. Files
# whose recorder died (SIGKILL, cut) are read up to their last complete
# record, saying what was left out, and `ezc record --repair` makes them
# whole; a full disk (/dev/full, a size limit, a small tmpfs when root)
# names the file and keeps what was written readable; the version 1 file
# tests/ref/recording_v1.ezr (written by the version 1 writer) still reads.
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
import sys, warnings, ezc_recording
warnings.simplefilter("ignore")  # version 1 or unfinished files compared too
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
head -c 20 "$dir/a.ezr" > "$dir/tiny.ezr"
expect "tiny: refused" 1 "recording $dir/tiny.ezr: offset 20: truncated" -- "$ezc" replay "$dir/tiny.ezr" "ipc://$dir/t" --wait 0
# Third record's marker, and a byte inside the fifth record's msgpack header.
read -r off3 off5 <<<"$(pyrec "$dir/a.ezr" <<'PYEOF'
import sys, ezc_recording
r = ezc_recording.Recording(sys.argv[1]); print(r.offsets[2], r.offsets[4] + 48 + 3 + 5)
PYEOF
)"
cp "$dir/a.ezr" "$dir/marker.ezr"; printf 'X' | dd of="$dir/marker.ezr" bs=1 seek="$off3" conv=notrunc status=none
expect "corrupt marker: refused" 1 "recording $dir/marker.ezr: offset $off3: message 2: no record marker" -- "$ezc" replay "$dir/marker.ezr" "ipc://$dir/t" --wait 0
cp "$dir/a.ezr" "$dir/header.ezr"; printf '\xff' | dd of="$dir/header.ezr" bs=1 seek="$off5" conv=notrunc status=none
expect "corrupt header: refused" 1 "message 4: topic/header checksum mismatch" -- "$ezc" replay "$dir/header.ezr" "ipc://$dir/t" --wait 0

# ---- a flipped data byte is refused, naming the message and its offsets ----
read -r off7 data7 <<<"$(pyrec "$dir/a.ezr" <<'PYEOF'
import sys, ezc_recording
m = ezc_recording.Recording(sys.argv[1])[7]; print(m.offset, m.data_offset)
PYEOF
)"
cp "$dir/a.ezr" "$dir/data.ezr"; printf '\x40' | dd of="$dir/data.ezr" bs=1 seek=$((data7 + 5)) conv=notrunc status=none
want="recording $dir/data.ezr: offset $off7: message 7: data checksum mismatch (CRC-32C of the 120 data bytes at offset $data7)"
expect "flipped data byte: refused" 1 "$want" -- "$ezc" replay "$dir/data.ezr" "ipc://$dir/t" --wait 0
expect "flipped data byte: refused (table CRC)" 1 "$want" -- env EZC_CRC32C=software "$ezc" replay "$dir/data.ezr" "ipc://$dir/t" --wait 0
expect "unflipped file: table CRC agrees" 0 "60 messages" -- env EZC_CRC32C=software "$ezc" replay "$dir/a.ezr" "ipc://$dir/u" --wait 0 --fast
r=$(pyrec "$dir/marker.ezr" "$dir/header.ezr" "$dir/data.ezr" <<'PYEOF' 2>&1
import sys, ezc_recording
for p in sys.argv[1:]:
    try:
        ezc_recording.Recording(p)
        print("accepted", p)
    except ezc_recording.RecordingError as e:
        assert p in str(e) and "offset" in str(e), str(e)
try:
    ezc_recording.Recording(sys.argv[3])
except ezc_recording.RecordingError as e:
    print(e)
assert ezc_recording.crc32c(b"123456789") == 0xE3069283
print("ok")
PYEOF
)
check "python reader refuses the same files" $([[ "$r" == *"$want"*ok ]]; echo $?) "$r"
# One bit flipped at 64 places across the file (all but the creation time,
# bytes 16-23, which nothing checks): each file is refused, or, where the
# flip hit the footer's end marker, read as unfinished with all 60 messages.
positions=$("$py" -c "import sys; n=int(sys.argv[1]); print(' '.join(str(p) for p in sorted(set(list(range(0, 16)) + list(range(24, n, max(1, n // 48))) + list(range(n - 40, n))))))" "$size")
silent=0 flips=0
for pos in $positions; do
  cp "$dir/a.ezr" "$dir/flip.ezr"
  byte=$(od -An -tu1 -j "$pos" -N1 "$dir/flip.ezr" | tr -d ' ')
  printf "\\x$(printf %02x $((byte ^ (1 << (pos % 8)))))" | dd of="$dir/flip.ezr" bs=1 seek="$pos" conv=notrunc status=none
  out=$("$ezc" replay "$dir/flip.ezr" "ipc://$dir/u" --wait 0 --fast 2>&1); st=$?
  flips=$((flips + 1))
  if [ $st -eq 0 ] && ! [[ "$out" == *"is unfinished"*"read 60 complete messages"* ]]; then
    silent=$((silent + 1)); echo "flip at $pos accepted: $out"
  fi
done
check "$flips bit flips: none replayed silently" $silent "$silent accepted"

# ---- unfinished files (no footer): every complete record is read ----
read -r ends off40 <<<"$(pyrec "$dir/a.ezr" <<'PYEOF'
import sys, ezc_recording
r = ezc_recording.Recording(sys.argv[1]); print(r.records_end, r.offsets[40])
PYEOF
)"
unfinished() { # unfinished NAME FILE N DISCARD_SUBSTRING: replay reads N messages and says why
  local out st
  out=$("$ezc" replay "$2" "ipc://$dir/u" --wait 0 --fast 2>&1); st=$?
  check "$1: replay" $([ $st -eq 0 ] && [[ "$out" == *"recording $2 is unfinished"*"read $3 complete messages; discarded the last $4"* ]] && [[ "$out" == *"ezc replay: $3 messages"* ]]; echo $?) "status $st: $out"
}
# The recorder died while writing the index: all 60 records; the index part is left out.
head -c $((size - 10)) "$dir/a.ezr" > "$dir/trunc.ezr"
unfinished "cut in the index" "$dir/trunc.ezr" 60 "$((size - 10 - ends)) bytes from offset $ends: message 60: no record marker (EZCM): an unfinished index"
head -c $((off40 + 100)) "$dir/a.ezr" > "$dir/cut40.ezr"
unfinished "cut in record 40's data" "$dir/cut40.ezr" 40 "100 bytes from offset $off40: message 40: its frames (3 + "
head -c $((off40 + 20)) "$dir/a.ezr" > "$dir/cut40h.ezr"
unfinished "cut in record 40's header" "$dir/cut40h.ezr" 40 "20 bytes from offset $off40: message 40: record header cut short (20 of 48 bytes)"
head -c $((off40)) "$dir/a.ezr" > "$dir/cut40e.ezr"
unfinished "cut after record 39" "$dir/cut40e.ezr" 40 "0 bytes ("
r=$(pyrec "$dir/a.ezr" "$dir/cut40.ezr" "$off40" <<'PYEOF' 2>&1
import sys, warnings, ezc_recording
warnings.simplefilter("ignore")
a, c = ezc_recording.Recording(sys.argv[1]), ezc_recording.Recording(sys.argv[2])
assert not c.finished and len(c) == 40 and c.discarded == 100, (c.finished, len(c), c.discarded)
assert c.discard_reason.startswith(f"offset {sys.argv[3]}: message 40: its frames"), c.discard_reason
for i in range(40):
    assert bytes(a[i].header_bytes) == bytes(c[i].header_bytes) and bytes(a[i].data_bytes) == bytes(c[i].data_bytes), i
print("ok")
PYEOF
)
check "python reader: the same 40 messages, 100 bytes discarded" $([ "$r" = ok ]; echo $?) "$r"

# ---- a recorder killed with SIGKILL; --repair writes its index ----
"$ezc" pub "ipc://$dir/k" --signal counter --channels 3 --chunk 10 --fs 2000 --dtype int32 --topic cnt & pk=$!; pids+=($pk)
"$ezc" record "ipc://$dir/k" "$dir/killed.ezr" --quiet & rk=$!; pids+=($rk)
for _ in $(seq 300); do [ "$(stat -c %s "$dir/killed.ezr" 2>/dev/null || echo 0)" -gt 24000 ] && break; sleep 0.1; done
kill -9 $rk; wait $rk 2>/dev/null; kill $pk; wait $pk 2>/dev/null
read -r kn kd <<<"$(pyrec "$dir/killed.ezr" <<'PYEOF' 2>/dev/null
import sys, warnings, numpy as np, ezc_recording
warnings.simplefilter("ignore")
r = ezc_recording.Recording(sys.argv[1])
assert not r.finished
last = None
for i, m in enumerate(r):  # the counter runs on without a gap
    n0 = int(round(m.axes["time"]["offset"] * 2000))
    assert np.array_equal(m.data, np.broadcast_to((n0 + np.arange(10))[:, None], (10, 3))), i
    assert last is None or n0 == last + 10, (i, n0, last)
    last = n0
print(len(r), r.discarded)
PYEOF
)"
check "killed recorder: its messages read, values right" $([ "${kn:-0}" -ge 50 ]; echo $?) "read '${kn:-}' messages"
unfinished "killed recorder" "$dir/killed.ezr" "${kn:-x}" "${kd:-x} bytes"
cp "$dir/killed.ezr" "$dir/repaired.ezr"
expect "--repair" 0 "repaired $dir/repaired.ezr: ${kn:-x} messages, index written; cut off the last ${kd:-x} bytes" -- "$ezc" record --repair "$dir/repaired.ezr"
expect "--repair again: nothing to do" 0 "is complete (it has its index): nothing to repair" -- "$ezc" record --repair "$dir/repaired.ezr"
out=$("$ezc" replay "$dir/repaired.ezr" "ipc://$dir/u" --wait 0 --fast 2>&1); st=$?
check "repaired file: replayed as finished" $([ $st -eq 0 ] && [[ "$out" != *unfinished* ]] && [[ "$out" == *"${kn:-x} messages"* ]]; echo $?) "status $st: $out"
timeout 30 "$ezc" record "ipc://$dir/rr" "$dir/rr.ezr" --count "${kn:-1}" --quiet & rec=$!; pids+=($rec)
expect "replay the repaired file" 0 "${kn:-x} messages" -- timeout 30 "$ezc" replay "$dir/repaired.ezr" "ipc://$dir/rr" --fast
wait $rec
r=$(same "$dir/killed.ezr" "$dir/repaired.ezr" 2>&1; same "$dir/repaired.ezr" "$dir/rr.ezr" 2>&1)
check "repaired: the killed file's messages, replayed byte for byte" $([ "$r" = "ok"$'\n'"ok" ]; echo $?) "$r"
cp "$dir/cut40.ezr" "$dir/cut40r.ezr"
expect "--repair a cut record" 0 "repaired $dir/cut40r.ezr: 40 messages, index written; cut off the last 100 bytes from offset $off40" -- "$ezc" record --repair "$dir/cut40r.ezr"
r=$(pyrec "$dir/cut40r.ezr" "$off40" <<'PYEOF' 2>&1
import sys, ezc_recording, os
r = ezc_recording.Recording(sys.argv[1])
assert r.finished and len(r) == 40, (r.finished, len(r))
assert os.path.getsize(sys.argv[1]) == int(sys.argv[2]) + 16 + 16 * 40 + 32
print("ok")
PYEOF
)
check "repaired cut file: finished, 40 messages, index after record 39" $([ "$r" = ok ]; echo $?) "$r"
# Damage, not a cut: a flipped data byte in record 10 of an unfinished file.
cp "$dir/cut40.ezr" "$dir/dmg.ezr"; printf '\x01' | dd of="$dir/dmg.ezr" bs=1 seek=$((data7 + 5)) conv=notrunc status=none
unfinished "damaged unfinished file" "$dir/dmg.ezr" 7 "$((off40 + 100 - off7)) bytes from offset $off7: message 7: data checksum mismatch"
sum0=$(sha256sum < "$dir/dmg.ezr")
expect "--repair refuses a damaged file" 1 "recording $dir/dmg.ezr: not repaired: offset $off7: message 7: data checksum mismatch" -- "$ezc" record --repair "$dir/dmg.ezr"
check "--repair left the damaged file alone" $([ "$(sha256sum < "$dir/dmg.ezr")" = "$sum0" ]; echo $?) "changed"
expect "--repair usage" 2 "--repair FILE takes no ENDPOINT" -- "$ezc" record --repair "$dir/dmg.ezr" "ipc://$dir/x"
printf 'hello world, not a recording at all....' > "$dir/text.ezr"
expect "not a recording" 1 "offset 0: not an ezc recording" -- "$ezc" replay "$dir/text.ezr" "ipc://$dir/t" --wait 0
check "refusals leave no ipc file" $([ ! -e "$dir/t" ]; echo $?) "$(ls "$dir")"

# ---- a full disk: the error names the file, and what was written reads ----
expect "/dev/full: error names the file" 1 "recording /dev/full: cannot write the file header: No space left on device" -- timeout 30 "$ezc" record "ipc://$dir/nothing" /dev/full --force --count 1
check "/dev/full is still there" $([ -c /dev/full ]; echo $?) "$(ls -l /dev/full 2>&1)"
full_disk() { # full_disk NAME FILE ERRNO_TEXT [ulimit -f blocks]: records until a write fails
  local name="$1" f="$2" why="$3" out st kept
  "$ezc" pub "ipc://$dir/fd" --signal counter --channels 3 --chunk 10 --fs 2000 --dtype int32 --topic cnt & local pf=$!; pids+=($pf)
  if [ -n "${4:-}" ]; then
    out=$(trap '' XFSZ; ulimit -f "$4"; timeout 60 "$ezc" record "ipc://$dir/fd" "$f" 2>&1); st=$?
  else
    out=$(timeout 60 "$ezc" record "ipc://$dir/fd" "$f" 2>&1); st=$?
  fi
  kill $pf; wait $pf 2>/dev/null
  check "$name: exit 1, error names the file" $([ $st -eq 1 ] && [[ "$out" == *"recording $f: write failed at offset "*": $why"* ]] && [[ "$out" == *"recording $f: a write failed; the file keeps the first "* ]]; echo $?) "status $st: $out"
  kept=$(sed -n 's/.*the file keeps the first \([0-9]*\) messages.*/\1/p' <<<"$out" | head -1)
  r=$(pyrec "$f" "${kept:-x}" <<'PYEOF' 2>&1
import sys, warnings, numpy as np, ezc_recording
warnings.simplefilter("ignore")
r = ezc_recording.Recording(sys.argv[1])
assert len(r) == int(sys.argv[2]) and len(r) > 10, (len(r), sys.argv[2])
for i, m in enumerate(r):
    n0 = int(round(m.axes["time"]["offset"] * 2000))
    assert np.array_equal(m.data, np.broadcast_to((n0 + np.arange(10))[:, None], (10, 3))), i
print("ok")
PYEOF
)
  check "$name: the $kept messages kept read back, values right" $([ "$r" = ok ]; echo $?) "$r"
  out=$("$ezc" replay "$f" "ipc://$dir/u" --wait 0 --fast 2>&1); st=$?
  check "$name: replay reads them" $([ $st -eq 0 ] && [[ "$out" == *"ezc replay: $kept messages"* ]]; echo $?) "status $st: $out"
}
full_disk "file size limit (EFBIG)" "$dir/limited.ezr" "File too large" 48
if [ "$(id -u)" -eq 0 ]; then
  mkdir "$dir/mnt"
  if mount -t tmpfs -o size=64k ezc-test-full "$dir/mnt"; then
    trap 'umount "$dir/mnt" 2>/dev/null; cleanup' EXIT
    full_disk "full tmpfs (ENOSPC)" "$dir/mnt/full.ezr" "No space left on device"
    umount "$dir/mnt"
  else
    check "mount a 64 KiB tmpfs for the full-disk test (root)" 1 "mount failed"
  fi
else
  echo "SKIP: full tmpfs test (needs root to mount a tmpfs)"
fi

# ---- format version 1 (no data checksums) still reads, said once ----
v1="$src/tests/ref/recording_v1.ezr"
out=$("$ezc" replay "$v1" "ipc://$dir/u" --wait 0 --fast 2>&1); st=$?
check "version 1 file: replayed, said once" $([ $st -eq 0 ] && [[ "$out" == *"ezc replay: 5 messages"* ]] && [ "$(grep -c "format version 1: its data bytes carry no checksum and are not verified" <<<"$out")" -eq 1 ]; echo $?) "status $st: $out"
r=$(pyrec "$v1" <<'PYEOF' 2>&1
import sys, warnings, numpy as np, ezc_recording
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    r = ezc_recording.Recording(sys.argv[1])
assert [str(x.message) for x in w] == [f"recording {sys.argv[1]}: format version 1: its data bytes carry no checksum and are not verified"], w
assert r.version == 1 and r.finished and not r.data_verified and len(r) == 5
for i, m in enumerate(r):
    assert m.topic == "old" and m.header["seq"] == i + 1
    assert np.array_equal(m.data, np.broadcast_to((4 * i + 4 + np.arange(4))[:, None], (4, 2))), i
print("ok")
PYEOF
)
check "version 1 file: python reader, values" $([ "$r" = ok ]; echo $?) "$r"
timeout 30 "$ezc" record "ipc://$dir/v1" "$dir/v1to2.ezr" --count 5 --quiet & rec=$!; pids+=($rec)
expect "version 1 file: replay into a new recording" 0 "5 messages" -- timeout 30 "$ezc" replay "$v1" "ipc://$dir/v1" --fast
wait $rec
r=$(same "$v1" "$dir/v1to2.ezr" 2>&1)
check "version 1 -> version 2: same messages" $([ "$r" = ok ] && [ "$(od -An -tu4 -j8 -N4 "$dir/v1to2.ezr" | tr -d ' ')" = 2 ]; echo $?) "$r"
v1size=$(stat -c %s "$v1")
head -c $((v1size - 100)) "$v1" > "$dir/v1cut.ezr"
expect "version 1 unfinished: --repair" 0 "repaired $dir/v1cut.ezr: 5 messages" -- "$ezc" record --repair "$dir/v1cut.ezr"
r=$(same "$v1" "$dir/v1cut.ezr" 2>&1)
check "version 1 repaired: same messages" $([ "$r" = ok ]; echo $?) "$r"

# ---- hostile lengths and shapes: checked before anything is multiplied ----
# Records rebuilt from a.ezr's first one with a changed field and every
# checksum made right again, so that only the field itself is at fault.
craft() { # craft OUT FIELD VALUE
  pyrec "$dir/a.ezr" "$@" <<'PYEOF'
import sys, struct, zlib, msgpack, ezc_recording
src, out, field, value = sys.argv[1:5]
m = ezc_recording.Recording(src)[0]
topic, data = m.topic_bytes, bytes(m.data_bytes)
h = msgpack.unpackb(bytes(m.header_bytes), raw=False)
tlen = dlen = None
if field == "shape":
    h["shape"] = [int(v) for v in value.split(",")]
    h["dims"] = (list(h["dims"]) + [f"x{k}" for k in range(8)])[:len(h["shape"])]
elif field == "dlen":
    dlen = int(value)
elif field == "tlen":
    tlen = int(value)
hdr = msgpack.packb(h, use_bin_type=True)
a16 = lambda n: (n + 15) & ~15
rec = bytearray(48)
rec[0:4] = b"EZCM"
struct.pack_into("<IIIQq", rec, 4, len(topic) if tlen is None else tlen, len(hdr),
                 zlib.crc32(topic + hdr), len(data) if dlen is None else dlen, m.recv_ns)
struct.pack_into("<I", rec, 32, ezc_recording.crc32c(data))
struct.pack_into("<I", rec, 36, ezc_recording.crc32c(bytes(rec[:36])))
meta = topic + hdr
body = bytes(rec) + meta + bytes(a16(len(meta)) - len(meta)) + data + bytes(a16(len(data)) - len(data))
head = open(src, "rb").read(32)
index = struct.pack("<Qq", 32, m.recv_ns)
ioff = 32 + len(body)
tail = b"EZCI" + bytes(4) + struct.pack("<Q", 1) + index + struct.pack("<QQI", ioff, 1, zlib.crc32(index)) + bytes(4) + b"EZCEND1\n"
open(out, "wb").write(head + body + tail)
PYEOF
}
craft "$dir/ok.ezr" shape 10,3
expect "crafted record: the unchanged one reads" 0 "1 messages" -- "$ezc" replay "$dir/ok.ezr" "ipc://$dir/u" --wait 0 --fast
craft "$dir/big.ezr" shape 1099511627776,1099511627776
expect "shape 2^40 x 2^40: refused" 1 "recording $dir/big.ezr: offset 83: message 0: header.shape: more than 2^40 elements" -- "$ezc" replay "$dir/big.ezr" "ipc://$dir/t" --wait 0
craft "$dir/wrap.ezr" shape 4294967296,4294967296,4294967296
expect "shape wrapping 2^64: refused" 1 "message 0: header.shape: more than 2^40 elements" -- "$ezc" replay "$dir/wrap.ezr" "ipc://$dir/t" --wait 0
craft "$dir/neg.ezr" shape 10,-3
expect "negative dim: refused" 1 "message 0: header.shape" -- "$ezc" replay "$dir/neg.ezr" "ipc://$dir/t" --wait 0
craft "$dir/dlen.ezr" dlen 18446744073709551600
expect "data length 2^64-16: refused" 1 "offset 32: message 0: its frames (3 + " -- "$ezc" replay "$dir/dlen.ezr" "ipc://$dir/t" --wait 0
craft "$dir/tlen.ezr" tlen 4294967295
expect "topic length 2^32-1: refused" 1 "offset 32: message 0: topic 4294967295 / header " -- "$ezc" replay "$dir/tlen.ezr" "ipc://$dir/t" --wait 0
r=$(pyrec "$dir/ok.ezr" "$dir/big.ezr" "$dir/wrap.ezr" "$dir/neg.ezr" "$dir/dlen.ezr" "$dir/tlen.ezr" <<'PYEOF' 2>&1
import sys, ezc_recording
assert len(ezc_recording.Recording(sys.argv[1])) == 1
for p, want in zip(sys.argv[2:], ["header.shape: more than 2^40 elements", "header.shape: more than 2^40 elements",
                                  "header.shape[1] = -3 is out of range", "message 0: its frames", "message 0: topic 4294967295"]):
    try:
        ezc_recording.Recording(p)
        print("accepted", p)
    except ezc_recording.RecordingError as e:
        assert want in str(e), (want, str(e))
print("ok")
PYEOF
)
check "python reader refuses the same hostile records" $([ "$r" = ok ]; echo $?) "$r"

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
