#!/usr/bin/env bash
# Configure and build into $LIP_BUILD_DIR (default build/). Used by run.sh and test.sh.
# `build.sh --cuda [BuildType]`: set-up and build for CUDA into build-cuda/ (scripts/build_cuda.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
if [ "${1:-}" = --cuda ]; then shift; exec bash "$here/build_cuda.sh" "$@"; fi  # opt-in CUDA build
build_type="${1:-Release}"
mkdir -p "$LIP_BUILD_DIR"
cmake -S "$LIP_REPO" -B "$LIP_BUILD_DIR" -DCMAKE_BUILD_TYPE="$build_type" -DKokkos_ROOT="$KOKKOS_FOR_CMAKE" \
  -DPython3_EXECUTABLE="$LIP_PYTHON" ${LIP_CMAKE_ARGS:-} >"$LIP_BUILD_DIR/configure.log" 2>&1 \
  || { cat "$LIP_BUILD_DIR/configure.log"; exit 1; }
cmake --build "$LIP_BUILD_DIR" -j "$(nproc)"
