#!/usr/bin/env bash
# tools/deps.sh — installs the Debian 12 packages ezc builds and tests with.
# Does nothing when they are all present; needs root (or sudo) otherwise.
set -euo pipefail
# libwebsockets-dev: the dashboard server (ezc dash); chromium, chromium-driver
# and python3-selenium: its test in a real browser.
pkgs=(meson ninja-build pkg-config gcc libzmq3-dev libmsgpack-dev libfftw3-dev
      libopenblas-dev liblapacke-dev libyaml-dev libdlpack-dev check
      python3 python3-zmq python3-msgpack python3-numpy python3-scipy python3-sklearn python3-yaml
      clang libclang-rt-14-dev clang-format
      libwebsockets-dev chromium chromium-driver python3-selenium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
