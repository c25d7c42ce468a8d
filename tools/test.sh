#!/usr/bin/env bash
# tools/test.sh — the whole test suite from a fresh Debian 12 machine:
# installs what it needs, builds from scratch with warnings as errors, runs
# every suite, then runs it again under AddressSanitizer + UBSan.
#   tools/test.sh            everything
#   tools/test.sh --no-asan  skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
# Adds one meson run's counts (from its log) to the totals.
count() {
  local log="$1/meson-logs/testlog.txt"
  passed=$((passed + $(awk '/^Ok:/ {print $2}' "$log" | tail -1)))
  failed=$((failed + $(awk '/^Fail:/ {print $2}' "$log" | tail -1) + $(awk '/^Timeout:/ {print $2}' "$log" | tail -1)))
  skipped=$((skipped + $(awk '/^Skipped:/ {print $2}' "$log" | tail -1)))
}
trap 'echo "tests: $passed passed, $failed failed, $skipped skipped"' EXIT
asan=1
[ "${1:-}" = "--no-asan" ] && asan=0
bash tools/deps.sh

# Formatting: every C source as .clang-format says (Debian's clang-format 14,
# which tools/deps.sh installs). `clang-format -i FILE` fixes a file.
if command -v clang-format >/dev/null; then
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    csrc=$(git ls-files '*.c' '*.h')
  else
    csrc=$(find core nodes transformers learn tools tests benchmarks examples include -name '*.[ch]')
  fi
  if fmt=$(clang-format --dry-run -Werror $csrc 2>&1); then
    passed=$((passed + 1))
    echo "format: $(echo $csrc | wc -w) files as .clang-format says"
  else
    failed=$((failed + 1))
    echo "$fmt" | grep -E '^[^ ].*error:' | cut -d: -f1 | sort -u | sed 's/^/format: not formatted: /'
    echo "format: run clang-format -i on the files above"
    exit 1
  fi
fi

rm -rf build-test build-asan
meson setup build-test -Dwerror=true -Dbuildtype=debugoptimized >/dev/null
ninja -C build-test
status=0
meson test -C build-test --print-errorlogs --num-processes 2 || status=1
count build-test
[ $status -eq 0 ] || exit 1

if [ $asan -eq 1 ]; then
  # allocator_may_return_null: an absurd allocation a peer asks for (a 2^40
  # element result) fails as malloc does in a release build, so the
  # out-of-memory error path is what gets tested, not ASan's own abort.
  meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dcuda=disabled >/dev/null
  ninja -C build-asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 || status=1
  count build-asan
  [ $status -eq 0 ] || exit 1
fi

# Bounded libFuzzer runs over every decoder of outside data (EZC_SKIP_FUZZ=1
# skips them; EZC_FUZZ_SECONDS sets each run's length; docs/robustness.md
# says how to run them long). Each target starts from its seed corpus.
if [ "${EZC_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null; then
  rm -rf build-fuzz
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcuda=disabled >/dev/null
  # target:seed folder (tests/fuzz/corpus* as given)
  targets="wire:corpus recording:corpus_recording graph:corpus_graph npy:corpus_npy model:corpus_model"
  ninja -C build-fuzz $(for t in $targets; do echo "tests/fuzz/fuzz_${t%%:*}"; done) >/dev/null
  for t in $targets; do
    name=${t%%:*} seeds=${t#*:}
    corpus=$(mktemp -d)
    cp tests/fuzz/"$seeds"/* "$corpus"/
    log=build-fuzz/fuzz_$name.log
    if build-fuzz/tests/fuzz/fuzz_"$name" "$corpus" -max_total_time="${EZC_FUZZ_SECONDS:-20}" \
         -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1; then
      passed=$((passed + 1))
      echo "fuzz_$name: $(grep -o 'Done [0-9]* runs' "$log"), no crash"
    else
      failed=$((failed + 1))
      tail -40 "$log"
      rm -rf "$corpus"
      exit 1
    fi
    rm -rf "$corpus"
  done
fi
