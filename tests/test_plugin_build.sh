#!/usr/bin/env bash
# test_plugin_build.sh — a plugin author's path: install ezc (into a staging
# directory), build examples/plugin/rectify_gain.c out of tree with nothing
# but `pkg-config --cflags --libs ezc`, load it, run it; then the installed
# ezc, moved elsewhere, runs without LD_LIBRARY_PATH (its install rpath).
# Usage: test_plugin_build.sh BUILD_DIR SOURCE_DIR
set -u
build="$1" src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "plugin_build: 0 passed, 1 failed"; exit 1; }
meson install -C "$build" --destdir "$tmp/stage" --no-rebuild --quiet >/dev/null 2>&1 ||
  fail "meson install into a staging dir"
pc=$(dirname "$(find "$tmp/stage" -name ezc.pc | head -1)")
[ -n "$pc" ] || fail "ezc.pc was not installed"
[ -f "$(find "$tmp/stage" -path '*include/ezc/plugin.h' | head -1)" ] || fail "ezc/plugin.h not installed"
export PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$tmp/stage"
flags=$(pkg-config --cflags --libs ezc) || fail "pkg-config ezc"
# Only the installed headers: the source tree's include/ must not be needed.
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC "$src/examples/plugin/rectify_gain.c" $flags \
   -o "$tmp/rg.so" || fail "building the plugin with pkg-config flags: $flags"
libdir=$(dirname "$(find "$tmp/stage" -name 'libezc.so' | head -1)")
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/stage/usr/local/bin/ezc" list --plugin "$tmp/rg.so" rectify_gain 2>&1) ||
  fail "installed ezc cannot load the plugin: $out"
grep -q "gain" <<<"$out" || fail "schema not shown: $out"
# The installed ezc finds its libezc.so by itself (install rpath $ORIGIN/..):
# no LD_LIBRARY_PATH, and the staged prefix moved elsewhere, as a custom
# --prefix would put it.
mv "$tmp/stage/usr/local" "$tmp/moved"
out=$(env -u LD_LIBRARY_PATH "$tmp/moved/bin/ezc" --help 2>&1) ||
  fail "installed ezc --help without LD_LIBRARY_PATH: $out"
grep -q "usage" <<<"$out" || fail "installed ezc --help: $out"
out=$(env -u LD_LIBRARY_PATH "$tmp/moved/bin/ezc" list 2>&1) ||
  fail "installed ezc list without LD_LIBRARY_PATH: $out"
grep -q "butterworth" <<<"$out" || fail "installed ezc list shows no transformers: $out"
lib=$(env -u LD_LIBRARY_PATH ldd "$tmp/moved/bin/ezc" | grep 'libezc\.so')
[[ "$lib" == *"$tmp/moved/"* ]] || fail "installed ezc loads a libezc that is not its own: $lib"
echo "plugin_build: 2 passed, 0 failed"
