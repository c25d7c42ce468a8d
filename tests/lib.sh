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
