#!/usr/bin/env bash
# tools/device-bundle.sh — packs an ezc build and the shared libraries it
# needs (those not part of the C runtime or the CUDA driver) so that it runs
# on a Linux GPU box that has a driver but no package manager access.
#   tools/device-bundle.sh BUILD_DIR OUT.tar.xz
# On the target:  tar xJf OUT.tar.xz && . ezc-bundle/env.sh && ezc --help
set -euo pipefail
build="${1:?usage: device-bundle.sh BUILD_DIR OUT.tar.xz}"
out="${2:?usage: device-bundle.sh BUILD_DIR OUT.tar.xz}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/ezc-bundle"
mkdir -p "$root/lib" "$root/bin"
# Binaries and modules of the build, with their relative layout (their
# RPATHs are $ORIGIN-relative, so the tree stays usable as it is).
(cd "$build" && find . \( -type f -o -type l \) \( -perm -u+x -o -name '*.so*' \) ! -path './meson-*' ! -name '*.p' -print0 |
  tar --null -T - -cf -) | tar -C "$root/bin" -xf -
# Libraries they link, minus glibc, the C++ runtime (the target's is newer),
# CUDA's driver, and the CUDA toolkit's libraries (cudart, cuBLAS, cuSOLVER,
# cuFFT: hundreds of MB, and a GPU box has the toolkit that matches its
# driver; env.sh puts it on the path).
{ find "$root/bin" -type f -print0 | xargs -0 ldd 2>/dev/null || true; } | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s|libcuda)\.so' |
  grep -v -E '/lib(cudart|cublas|cublasLt|cusolver|cufft|cusparse|nvJitLink|curand)\.so' |
  grep -v -F -e "$(cd "$build" && pwd)" -e "$root" | while read -r lib; do cp -L "$lib" "$root/lib/"; done
cat > "$root/env.sh" <<'ENV'
# Source me: puts the bundle's libraries and the ezc command on the paths.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cuda_lib=""
for d in "${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda/lib64; do [ -d "$d" ] && cuda_lib="$d:" && break; done
export LD_LIBRARY_PATH="$here/lib:$cuda_lib${LD_LIBRARY_PATH:-}"
export PATH="$here/bin/tools/ezc:$PATH"
[ -f "$here/bin/core/cuda/libezc-cuda.so" ] && export EZC_CUDA_MODULE="$here/bin/core/cuda/libezc-cuda.so"
ENV
tar -C "$stage" -cJf "$out" ezc-bundle
echo "device-bundle: $(du -h "$out" | cut -f1) -> $out ($(ls "$root/lib" | wc -l) libraries)"
