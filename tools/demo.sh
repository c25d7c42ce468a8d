#!/usr/bin/env bash
# tools/demo.sh — the live demo from a fresh Debian 12 machine: installs what
# it needs, builds, then runs   sine publisher -> abs node -> printer
# over ipc:// until Ctrl-C, or for --count N messages.
#   tools/demo.sh [--count N] [--channels N] [--fs HZ]
set -euo pipefail
cd "$(dirname "$0")/.."
count=0 channels=8 fs=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --channels) channels="$2"; shift 2 ;;
    --fs) fs="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "demo: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
bash tools/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
# only what the demo runs (the full build, tests and benchmarks included, is
# minutes on a small machine): the ezc binary and the library it links
ninja -C build tools/ezc/ezc >/dev/null
ezc=build/tools/ezc/ezc
dir=$(mktemp -d /tmp/ezc-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
trap 'exit 0' INT TERM
"$ezc" pub "ipc://$dir/raw" --channels "$channels" --fs "$fs" --topic raw & pids+=($!)
"$ezc" node abs --in "ipc://$dir/raw" --out "ipc://$dir/abs" & pids+=($!)
echo "demo: sine ($channels ch, $fs Hz) -> abs -> echo; Ctrl-C to stop" >&2
if [ "$count" -gt 0 ]; then
  "$ezc" echo "ipc://$dir/abs" --count "$count" --timeout 10
else
  "$ezc" echo "ipc://$dir/abs" --timeout 10
fi
