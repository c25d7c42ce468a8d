#!/usr/bin/env bash
# tools/test.sh — the whole test suite from a fresh Debian 12 machine:
# installs what it needs, builds from scratch with warnings as errors, runs
# every suite, then runs it again under AddressSanitizer + UBSan.
#   tools/test.sh            everything
#   tools/test.sh --no-asan  skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
asan=1
[ "${1:-}" = "--no-asan" ] && asan=0
bash tools/deps.sh

rm -rf build-test build-asan
meson setup build-test -Dwerror=true -Dbuildtype=debugoptimized >/dev/null
ninja -C build-test
meson test -C build-test --print-errorlogs --num-processes 2

if [ $asan -eq 1 ]; then
  meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dcuda=disabled >/dev/null
  ninja -C build-asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3
fi
