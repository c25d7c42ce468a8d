#!/usr/bin/env bash
# tools/gpu-check.sh — runs every Check suite of a device bundle on a GPU box
# (tools/device-bundle.sh), so each transformer and learner suite runs over
# cuda:0 as well as the CPU, then the CUDA benchmarks. From the source tree:
#   tools/gpu-check.sh BUNDLE.tar.xz [--bench]
# Prints one line per suite and "gpu-check: N passed, N failed, N skipped";
# exit status 1 when any failed.
set -uo pipefail
bundle="${1:?usage: gpu-check.sh BUNDLE.tar.xz [--bench]}"
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xJf "$bundle" || exit 2
# shellcheck disable=SC1091
. "$tmp/ezc-bundle/env.sh"
b="$tmp/ezc-bundle/bin"
export EZC_SOURCE_DIR="$src" EZC_BUILD_DIR="$b" CK_DEFAULT_TIMEOUT=300
export EZC_TEST_PLUGIN="$b/examples/plugin/libezc-example-plugin.so"
export EZC_TEST_BAD_PLUGIN="$b/examples/plugin/libezc-bad-abi-plugin.so"
export EZC_PYTHON="${EZC_PYTHON:-/usr/bin/python3}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
pass=0 fail=0 skip=0
for t in "$b"/tests/test_*; do
  [ -x "$t" ] && [ -f "$t" ] || continue
  name=$(basename "$t")
  out=$(timeout 600 "$t" 2>&1); rc=$?
  summary=$(grep -E '^[0-9]+%: Checks' <<<"$out" | tail -1)
  case $rc in
    0) pass=$((pass + 1)); echo "ok    $name  $summary $(grep -c 'cuda:0 not tested' <<<"$out" | sed 's/^0$//; s/^1$/(cpu only)/')";;
    77) skip=$((skip + 1)); echo "skip  $name  $(tail -1 <<<"$out")";;
    *) fail=$((fail + 1)); echo "FAIL  $name  (status $rc)"; grep -E ':[FE]:' <<<"$out" | head -20;;
  esac
done
if [ "${2:-}" = "--bench" ]; then
  for bn in bench_xp_cuda bench_pipeline; do
    [ -x "$b/benchmarks/$bn" ] && timeout 300 "$b/benchmarks/$bn"
  done
fi
echo "gpu-check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
