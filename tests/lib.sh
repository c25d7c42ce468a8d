# tests/lib.sh — what the shell test scripts share. Source it after setting
# `ezc` (the binary under test):
#   . "$(dirname "$0")/lib.sh" NAME
# gives: $py (Debian's python3 or $EZC_PYTHON), $src (the source tree),
# $dir (a scratch folder removed at exit), pids+=(PID) for children killed at
# exit, check NAME STATUS DETAIL, expect NAME WANT_STATUS WANT_SUBSTRING --
# CMD..., and finish (prints "NAME: P passed, F failed", the exit status).
set -u
test_name="${1:?lib.sh: a test name}"
py="${EZC_PYTHON:-/usr/bin/python3}"
src="${EZC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
dir=$(mktemp -d "/tmp/ezc-$test_name.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
pass=0 fail=0
check() { # check NAME STATUS DETAIL
  if [ "$2" -eq 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $1: $3"; fi
}
expect() { # expect NAME WANT_STATUS WANT_SUBSTRING -- CMD...
  local name="$1" want="$2" sub="$3"; shift 4
  local out status
  out=$("$@" 2>&1); status=$?
  [ "$status" -eq "$want" ] && [[ "$out" == *"$sub"* ]]
  check "$name" $? "status $status (want $want), output: ${out:0:400}"
}
finish() {
  echo "$test_name: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

# netns_pair ID NET: two network namespaces $A and $B (another "host" each)
# joined by a veth pair, $VA in A with NET.1/24 and $VB in B with NET.2/24
# (broadcast set), loopback up in both; removed at exit whatever happens.
# Needs root and `ip netns`; returns 1 (the caller skips, 77) where they
# cannot be made. ID: a few letters and digits, unique per test and run.
netns_pair() {
  A=ezc${1}a B=ezc${1}b VA=v${1}a VB=v${1}b
  netns_cleanup() {
    cleanup
    # what ran inside them (ip netns exec's children outlive its pid)
    for ns in "$A" "$B"; do
      ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    done
    sleep 0.2
    for ns in "$A" "$B"; do
      ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    ip link del "$VA" 2>/dev/null
    true
  }
  trap netns_cleanup EXIT
  trap 'exit 1' INT TERM # so that a timeout's signal still cleans up
  [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns list >/dev/null 2>&1 &&
    ip netns add "$A" && ip netns add "$B" &&
    ip link add "$VA" type veth peer name "$VB" &&
    ip link set "$VA" netns "$A" && ip link set "$VB" netns "$B" &&
    ip -n "$A" addr add "$2.1/24" brd + dev "$VA" && ip -n "$B" addr add "$2.2/24" brd + dev "$VB" &&
    ip -n "$A" link set "$VA" up && ip -n "$B" link set "$VB" up &&
    ip -n "$A" link set lo up && ip -n "$B" link set lo up
}
