#!/bin/bash
# test_restart_named.sh — a named `ezc pub` killed with -9 and restarted 2 s
# later. Its successor reads the numbering file the dead one left (run
# folder, pubseq/ID) and never numbers below it, and its headers carry a new
# "start": every subscriber (ezc echo, ezc hz, Python ezc_wire.Subscriber)
# reports "publisher restarted" once, silent for the outage (what the arrivals show, +-0.1 s),
# with the exact loss: the numbers the dead one took but never delivered
# plus the message periods nobody sent (paced), or only the former (--fast).
# A successor without the file starts over: the loss is said to be unknown.
ezc="${1:?usage: test_restart_named.sh EZC}"
. "$(dirname "$0")/lib.sh" restart_named
export EZC_RUN_DIR="$dir/run"
mkdir -m 700 "$EZC_RUN_DIR"

# ---- paced: kill -9, restart 2 s later ----
"$ezc" echo "ipc://$dir/named" --header-only > "$dir/echo.out" 2> "$dir/echo.err" & echo_pid=$!; pids+=($echo_pid)
"$ezc" hz "ipc://$dir/named" > "$dir/hz.out" 2>&1 & hz_pid=$!; pids+=($hz_pid)
out=$("$py" - "$ezc" "$dir" "$src/tools/python" <<'PYEOF' 2>&1
import glob, os, signal, struct, subprocess, sys, time
sys.path.insert(0, sys.argv[3])
import ezc_wire
ezc, d = sys.argv[1], sys.argv[2]
lines = []
sub = ezc_wire.Subscriber(f"ipc://{d}/named", report=lines.append)
cmd = [ezc, "pub", f"ipc://{d}/named", "--name", "t-emg", "--fs", "1000", "--chunk", "50",
       "--channels", "2"]
msgs, arrived = [], []
def recv_for(s):
    end = time.monotonic() + s
    while time.monotonic() < end:
        m = sub.recv(timeout_ms=20)
        if isinstance(m, ezc_wire.Message):
            msgs.append(m)
            arrived.append(time.monotonic())
def numbering_file():
    files = glob.glob(f"{os.environ['EZC_RUN_DIR']}/pubseq/*")
    assert len(files) == 1, files
    assert os.stat(files[0]).st_mode & 0o777 == 0o600, oct(os.stat(files[0]).st_mode)
    with open(files[0], "rb") as f:
        return struct.unpack("<QQ", f.read())[1]
p = subprocess.Popen(cmd)
recv_for(1.5)
p.kill(); t_kill = time.monotonic(); p.wait()
n_next = numbering_file()          # the dead process's next number
recv_for(2.0 - (time.monotonic() - t_kill))
p = subprocess.Popen(cmd); outage = time.monotonic() - t_kill
recv_for(1.5)
p.send_signal(signal.SIGINT); p.wait()
recv_for(0.3)
restarts = [m for m in msgs if m.restart]
assert len(restarts) == 1, [str(m.restart) for m in restarts]
r, k = restarts[0].restart, msgs.index(restarts[0])
last, first = msgs[k - 1].seq, msgs[k].seq
st = sub.stats()
print(f"outage {outage:.3f} silent {r.silent_s:.3f} observed {arrived[k] - arrived[k - 1]:.3f} "
      f"lost {r.lost} last {last} first {first} "
      f"next {n_next} gaps {st['gaps']} restarts {st['restarts']} "
      f"srcs {len({m.src for m in msgs})} starts {len({m.start_ns for m in msgs})} "
      f"lines {len([x for x in lines if 'publisher restarted' in x])} "
      f"received {st['received']} span {msgs[-1].seq - msgs[0].seq + 1}")
PYEOF
)
sleep 0.3
kill -INT $echo_pid $hz_pid 2>/dev/null; wait $echo_pid $hz_pid 2>/dev/null
val() { sed -nE "s/(^|.* )$1 (-?[0-9.]+)( .*|$)/\2/p" <<<"$2" | head -1; }
for v in outage silent observed lost last first next gaps restarts srcs starts lines received span; do
  printf -v "$v" '%s' "$(val "$v" "$out")"
done
near() { "$py" -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) <= float(sys.argv[3]) else 1)" "$@"; }
# The silence a subscriber reports is the outage plus the successor's start
# (a process start, and its wait for subscribers): at least the outage, and
# on a loaded machine up to a second and a half more.
outage_ok() { "$py" -c "import sys; s, o = map(float, sys.argv[1:3]); sys.exit(0 if o - 0.1 <= s <= o + 1.5 else 1)" "$@"; }
check "python: one restart reported, one line, same id, two instances" $([ "${restarts:-}" = 1 ] &&
  [ "${lines:-}" = 1 ] && [ "${srcs:-}" = 1 ] && [ "${starts:-}" = 2 ]; echo $?) "$out"
check "python: silent for the outage, as the arrivals it saw (+-0.1 s)" $(outage_ok "${silent:-0}" "${outage:-9}" &&
  near "${silent:-0}" "${observed:-9}" 0.1; echo $?) "$out"
check "python: lost is exact (first - last - 1 of what arrived)" $([ -n "${lost:-}" ] &&
  [ "$lost" -eq $((first - last - 1)) ] && [ "$gaps" -eq "$lost" ] &&
  [ $((received + gaps)) -eq "$span" ]; echo $?) "$out"
check "the dead publisher numbered what arrived, at most one more (killed between)" $([ -n "${next:-}" ] &&
  [ "$last" -lt "$next" ] && [ $((next - 1 - last)) -le 1 ]; echo $?) "$out"
# (the successor's first message leaves up to ~0.12 s after it took its number:
# it gives shared-memory readers time to move; hence 3 periods, not 1)
check "the successor went on from its file: the outage's message periods (50 ms) are the rest" $(
  [ -n "${next:-}" ] && [ "$first" -ge "$next" ] &&
  near $((first - next)) "$("$py" -c "print($silent / 0.05)")" 3; echo $?) "$out"
# ezc echo: its own restart line, and its own exact loss from the seqs it printed
echo_line=$(grep "publisher restarted" "$dir/echo.err")
e_silent=$(sed -nE 's/.*silent ([0-9.]+) s; ([0-9]+) messages lost.*/\1/p' <<<"$echo_line")
e_lost=$(sed -nE 's/.*silent ([0-9.]+) s; ([0-9]+) messages lost.*/\2/p' <<<"$echo_line")
read -r e_exact e_first <<<"$("$py" - "$dir/echo.out" "${next:-0}" <<'PYEOF'
import re, sys
seqs = [int(x) for x in re.findall(r"^seq=(\d+)", open(sys.argv[1]).read(), re.M)]
n = int(sys.argv[2])
first = min(s for s in seqs if s >= n)
print(first - max(s for s in seqs if s < n) - 1, first)
PYEOF
)"
check "ezc echo: one restart line, silent as Python's (+-0.25 s), lost exact" $([ "$(grep -c "publisher restarted" "$dir/echo.err")" = 1 ] &&
  outage_ok "${e_silent:-0}" "${outage:-9}" && near "${e_silent:-0}" "${silent:-9}" 0.25 && [ -n "$e_lost" ] && [ "$e_lost" = "$e_exact" ] &&
  grep -q "it went on with its numbering: exact" <<<"$echo_line"; echo $?) "$echo_line (its seqs: $e_exact) $out"
check "ezc echo: no other loss" $(grep -q "ezc echo: [0-9]* messages, $e_lost missing" "$dir/echo.err"; echo $?) "$(cat "$dir/echo.err")"
h_line=$(grep -E "restarts 1 \(last silent [0-9.]+ s, lost [0-9]+\)" "$dir/hz.out" | tail -1)
h_silent=$(sed -nE 's/.*last silent ([0-9.]+) s, lost ([0-9]+).*/\1/p' <<<"$h_line")
h_lost=$(sed -nE 's/.*last silent ([0-9.]+) s, lost ([0-9]+).*/\2/p' <<<"$h_line")
# (hz prints no seqs: its loss lies between the periods nobody sent, up to the
# earliest first message any of us got, and what the others lost plus the few
# messages a later reconnection can miss: subscribers beyond the first one the
# successor waits for may connect after its first messages)
f_min=$(( ${first:-0} < ${e_first:-0} ? ${first:-0} : ${e_first:-0} ))
l_max=$(( ${lost:-0} > ${e_lost:-0} ? ${lost:-0} : ${e_lost:-0} ))
check "ezc hz: the restart, silent as Python's (+-0.25 s), the loss" $([ -n "$h_lost" ] && outage_ok "$h_silent" "${outage:-9}" && near "$h_silent" "${silent:-9}" 0.25 &&
  [ "$h_lost" -ge $((f_min - next)) ] && [ "$h_lost" -le $((l_max + 2)) ]; echo $?) "$(tail -2 "$dir/hz.out") $out"

# ---- --fast: the successor starts exactly at the file's number ----
rm -f "$dir/named"
out2=$("$py" - "$ezc" "$dir" "$src/tools/python" <<'PYEOF' 2>&1
import glob, os, struct, subprocess, sys, time
sys.path.insert(0, sys.argv[3])
import ezc_wire
ezc, d = sys.argv[1], sys.argv[2]
sub = ezc_wire.Subscriber(f"ipc://{d}/fast")
def run(*extra):
    return subprocess.Popen([ezc, "pub", f"ipc://{d}/fast", "--id", "4242", "--fast", "--chunk",
                             "10", "--channels", "1", "--stall-timeout", "0", *extra])
msgs = []
def recv_for(s, slow=0.0):
    end = time.monotonic() + s
    while time.monotonic() < end:
        m = sub.recv(timeout_ms=20)
        if isinstance(m, ezc_wire.Message):
            msgs.append(m)
            time.sleep(slow)
files = lambda: glob.glob(f"{os.environ['EZC_RUN_DIR']}/pubseq/*")
before = set(files())
p = run()
recv_for(1.0, slow=0.001)           # a slow reader: the publisher waits on it (lossless)
p.kill(); t_kill = time.monotonic(); p.wait()
f = (set(files()) - before).pop()
n_next = struct.unpack("<QQ", open(f, "rb").read())[1]
recv_for(1.0)                       # what reached our side still comes; its queue died with it
p = run(); outage = time.monotonic() - t_kill
recv_for(1.5)
p.kill(); p.wait()                  # (no end of stream: after one, a new start is no restart)
r = [m for m in msgs if m.restart]
k = msgs.index(r[0]) if r else 0
print(f"restarts {len(r)} next {n_next} last {msgs[k - 1].seq} first {msgs[k].seq} "
      f"lost {r[0].restart.lost if r else -1} silent {r[0].restart.silent_s if r else 0:.3f} "
      f"outage {outage:.3f} contiguous {int(all(b.seq == a.seq + 1 for a, b in zip(msgs[:k - 1], msgs[1:k])))}")
# the numbering file is gone: a successor starts over, and says the loss is unknown
os.unlink(f)
p = run("--count", "5")
recv_for(1.5)
p.wait()
r = [m for m in msgs if m.restart]
print(f"unknown {r[-1].restart.lost} restarts2 {len(r)} text [{r[-1].restart}]")
PYEOF
)
for v in restarts next last first lost silent outage contiguous; do
  printf -v "f_$v" '%s' "$(val "$v" "$out2")"
done
check "--fast: one restart; the successor starts at the file's number" $([ "${f_restarts:-}" = 1 ] &&
  [ "$f_first" = "$f_next" ]; echo $?) "$out2"
# The dead one's queue (a slow reader: up to hwm messages) died with it: those
# numbers were taken and never delivered, and nothing before them was lost.
check "--fast: lost = the numbers the dead one took and never delivered, exactly" $([ -n "${f_lost:-}" ] &&
  [ "$f_lost" -eq $((f_next - 1 - f_last)) ] && [ "$f_lost" -ge 1 ] && [ "$f_contiguous" = 1 ]; echo $?) "$out2"
# Its silence counts from the last message that reached us, queued before the kill.
check "--fast: silent at least the outage" $("$py" -c "import sys; sys.exit(0 if $f_silent >= $f_outage - 0.1 else 1)"; echo $?) "$out2"
check "no numbering file: a restart whose loss is unknown, said plainly" $(grep -q \
  "unknown None restarts2 2 text \[publisher restarted (topic 'raw', seq 0): silent [0-9.]* s; it numbered from the start again, so what it lost is unknown" <<<"$out2"; echo $?) "$out2"
echo "restart_named: paced: outage ${outage:-?} s; python silent ${silent:-?} s lost ${lost:-?}" \
  "(last ${last:-?}, file ${next:-?}, first ${first:-?}); echo ${e_silent:-?} s ${e_lost:-?}; hz" \
  "${h_silent:-?} s ${h_lost:-?}; --fast: lost ${f_lost:-?} (last ${f_last:-?}, file ${f_next:-?})"
finish
