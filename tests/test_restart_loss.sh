#!/bin/bash
# test_restart_loss.sh — a process group killed with SIGKILL and restarted
# loses messages; every one of them must show downstream as a sequence gap.
# counter (group acq, 200 msg/s) -> abs (group dsp) -> publish (group dsp),
# an outside Python subscriber counting (src, seq) as ezc's subscriber does;
# dsp is killed -9 three times. The counter's values say which messages
# came through, so the truly missing count is known: it must equal the gap
# count, and no restart (sequence going back) may be seen.
ezc="${1:?usage: test_restart_loss.sh EZC}"
. "$(dirname "$0")/lib.sh" restart_loss

cat > "$dir/g.yaml" <<YEOF
nodes:
  count: {type: counter, process: acq, settings: {fs: 200, channels: 2, chunk: 1, dtype: float64}}
  rect: {type: abs, process: dsp, restart: on-failure}
  out: {type: publish, process: dsp, settings: {endpoint: "ipc://$dir/out"}}
edges: [count -> rect, rect -> out]
YEOF

out=$("$py" - "$ezc" "$dir" "$src/tools/python" <<'PYEOF' 2>&1
import os, signal, subprocess, sys, time
sys.path.insert(0, sys.argv[3])
import ezc_wire
ezc, d = sys.argv[1], sys.argv[2]
sub = ezc_wire.Subscriber(f"ipc://{d}/out")
run = subprocess.Popen([ezc, "run", f"{d}/g.yaml"], stderr=open(f"{d}/run.err", "w"))

def dsp_pid():
    for k in os.listdir("/proc"):
        if not k.isdigit():
            continue
        try:
            with open(f"/proc/{k}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{k}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if ppid == run.pid and b"--group" in cmd and cmd[cmd.index(b"--group") + 1] == b"dsp":
            return int(k)
    return None

values, last, gaps, restarts, kills = [], {}, 0, 0, 0
def take(m):
    global gaps, restarts
    key = (m.src, m.topic)
    if key in last:
        if m.seq > last[key]:
            gaps += m.seq - last[key] - 1
        else:
            gaps += 1
            restarts += 1
    last[key] = m.seq
    assert m.data.shape == (1, 2), m.data.shape
    values.append(int(m.data[0, 0]))

t0 = time.monotonic()
kill_at = [4.0, 8.0, 12.0]
while time.monotonic() - t0 < 16.0:
    if kill_at and time.monotonic() - t0 >= kill_at[0] and values:
        p = dsp_pid()
        if p:
            os.kill(p, signal.SIGKILL)
            kills += 1
            kill_at.pop(0)
    m = sub.recv(timeout_ms=50)
    if isinstance(m, ezc_wire.Message):
        take(m)
run.send_signal(signal.SIGINT)
while True:
    m = sub.recv(timeout_ms=1000)
    if not isinstance(m, ezc_wire.Message):
        break
    take(m)
status = run.wait(timeout=30)
assert values == sorted(values) and len(set(values)) == len(values), "out of order or repeated"
missing = values[-1] - values[0] + 1 - len(values)
print(f"kills {kills} received {len(values)} first {values[0]} last {values[-1]} "
      f"missing {missing} gaps {gaps} restarts {restarts} status {status}")
PYEOF
)
echo "$out"
summary=$(cat "$dir"/run.err 2>/dev/null)
read -r kills received missing gaps restarts status <<<"$(sed -nE 's/.*kills ([0-9]+) received ([0-9]+) .*missing ([0-9]+) gaps ([0-9]+) restarts ([0-9]+) status (-?[0-9]+).*/\1 \2 \3 \4 \5 \6/p' <<<"$out")"
check "three kills -9 of the middle group" $([ "${kills:-0}" = 3 ]; echo $?) "$out"
check "messages were lost (the kills cost something)" $([ "${missing:-0}" -gt 0 ]; echo $?) "$out"
check "every lost message is a gap: gaps == missing" $([ -n "${gaps:-}" ] && [ "$gaps" = "$missing" ]; echo $?) "$out"
check "no sequence restart seen downstream" $([ "${restarts:-1}" = 0 ]; echo $?) "$out"
check "supervisor exits 0 on SIGINT" $([ "${status:-1}" = 0 ]; echo $?) "$out $summary"
# The source's own count covers every value the subscriber saw.
sent=$(sed -nE 's/^ezc run group acq: count: ([0-9]+) messages.*/\1/p' <<<"$summary")
last=$(sed -nE 's/.* last ([0-9]+) .*/\1/p' <<<"$out")
check "summary: the counter sent at least up to the last value seen" $([ -n "$sent" ] && [ "$sent" -gt "${last:-0}" ]; echo $?) "$summary"
check "summary: the dsp group's restarts counted" $(grep -Eq "^ezc run group dsp: rect: .*restarts 3" <<<"$summary"; echo $?) "$summary"
# ---- a named `ezc pub`: kill -9, restarted 2 s later ----
# Same id (--name), seq by the clock: the outage is a gap of the messages
# not sent (to within one), the numbering never goes back; `ezc echo` and
# `ezc hz` report the restart (a new "start" stamp) with that exact loss.
"$ezc" echo "ipc://$dir/named" --header-only > /dev/null 2> "$dir/echo.err" & echo_pid=$!; pids+=($echo_pid)
"$ezc" hz "ipc://$dir/named" > "$dir/hz.out" 2>&1 & hz_pid=$!; pids+=($hz_pid)
out2=$("$py" - "$ezc" "$dir" "$src/tools/python" <<'PYEOF' 2>&1
import signal, subprocess, sys, time
sys.path.insert(0, sys.argv[3])
import ezc_wire
ezc, d = sys.argv[1], sys.argv[2]
sub = ezc_wire.Subscriber(f"ipc://{d}/named")
cmd = [ezc, "pub", f"ipc://{d}/named", "--name", "lab-emg", "--fs", "1000", "--chunk", "20",
       "--channels", "2"]
msgs = []
def recv_for(s):
    end = time.monotonic() + s
    while time.monotonic() < end:
        m = sub.recv(timeout_ms=50)
        if isinstance(m, ezc_wire.Message):
            msgs.append((m.src, m.seq, m.ts_ns))
p = subprocess.Popen(cmd)
recv_for(2.0)
p.kill(); p.wait()
n_before = len(msgs)
recv_for(2.0)
p = subprocess.Popen(cmd)
recv_for(2.0)
p.send_signal(signal.SIGINT); p.wait()
recv_for(0.3)
gaps = restarts = 0
for (s0, q0, _), (s1, q1, _) in zip(msgs, msgs[1:]):
    assert s0 == s1, "the restarted publisher changed its id"
    if q1 > q0:
        gaps += q1 - q0 - 1
    else:
        restarts += 1
a, b = msgs[n_before - 1], msgs[n_before]
expected = round((b[2] - a[2]) / 20e6) - 1   # message periods of 20 ms the outage took
print(f"before {n_before} after {len(msgs) - n_before} gaps {gaps} restarts {restarts} "
      f"expected {expected}")
PYEOF
)
sleep 0.3
kill -INT $echo_pid $hz_pid 2>/dev/null; wait $echo_pid $hz_pid 2>/dev/null
read -r gaps2 restarts2 expected2 <<<"$(sed -nE 's/.*gaps ([0-9]+) restarts ([0-9]+) expected (-?[0-9]+).*/\1 \2 \3/p' <<<"$out2")"
check "named pub: same id, no restart seen" $([ "${restarts2:-1}" = 0 ]; echo $?) "$out2"
check "named pub: the outage is a gap of its message periods (+-1)" $([ -n "${gaps2:-}" ] &&
  [ "$gaps2" -ge 75 ] && [ $((gaps2 - expected2)) -le 1 ] && [ $((expected2 - gaps2)) -le 1 ]; echo $?) "$out2"
check "named pub: ezc echo says it restarted, how long it was silent and what was lost" $(grep -Eq \
  "publisher restarted \(topic 'raw', seq [0-9]+\): silent [2-9]\.[0-9]+ s; [1-9][0-9]* messages lost" "$dir/echo.err"; echo $?) "$(cat "$dir/echo.err")"
check "named pub: ezc hz shows the restart's silence and loss" $(grep -Eq "gaps [1-9][0-9]* .*restarts 1 \(last silent [2-9]\.[0-9]+ s, lost [1-9][0-9]*\)" "$dir/hz.out"; echo $?) "$(tail -5 "$dir/hz.out")"

# ---- `ezc node` passes its input's gaps on ----
# A publisher that skips 5 numbers (as a restarted one does); the node's
# output must show the same 5 as a gap, not renumber them away.
"$ezc" node abs --in "ipc://$dir/nin" --out "ipc://$dir/nout" > "$dir/node.err" 2>&1 & node_pid=$!; pids+=($node_pid)
out3=$(timeout 30 "$py" - "$dir" "$src/tools/python" <<'PYEOF' 2>&1
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
import ezc_wire
d = sys.argv[1]
sub = ezc_wire.Subscriber(f"ipc://{d}/nout")
pub = ezc_wire.Publisher(f"ipc://{d}/nin")
pub.wait_subscribers(1, 10000)
x = np.ones((2, 3), np.float32)
for k in range(20):
    if k == 10:
        pub.seq["raw"] += 5       # five messages lost upstream
    pub.send(x, ["time", "ch"], topic="raw")
pub.send_eos("raw")
seqs = []
while True:
    m = sub.recv(timeout_ms=5000)
    if not isinstance(m, ezc_wire.Message):
        break
    seqs.append(m.seq)
gaps = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]))
print(f"node: received {len(seqs)} gaps {gaps} ended {isinstance(m, ezc_wire.EndOfStream)}")
PYEOF
)
wait $node_pid
check "ezc node: an input gap of 5 is a gap of 5 on its output" $([[ "$out3" == *"received 20 gaps 5 ended True"* ]]; echo $?) "$out3 $(cat "$dir/node.err")"

finish
