#!/usr/bin/env bash
# The opt-in CUDA build, one command from a fresh Debian 12 machine (`scripts/build.sh --cuda`):
#   1. `setup.sh --cuda`: the Debian packages plus Debian's CUDA 11.8 toolkit (contrib/non-free)
#      and g++-11; Kokkos 3.4.1 (Cuda + Serial) and Kokkos Kernels 3.4.1 (cuBLAS) from Debian's
#      `trilinos` source package into $LIP_KOKKOS_CUDA_PREFIX (~/.cache/lipschitz/kokkos-3.4.1-cuda),
#      built once;
#   2. configures and builds the library, drivers, benchmarks and tests into $LIP_CUDA_BUILD_DIR
#      (build-cuda/) with that Kokkos' nvcc_wrapper. Nothing is run: the tests need a GPU
#      (`cd build-cuda && ctest` on a GPU node).
# With Kokkos_ROOT set (a user's own CUDA Kokkos, 3.x or 4.x, with Kokkos Kernels there or in
# KokkosKernels_ROOT) step 1 installs the Debian packages only and step 2 compiles with
# $Kokkos_ROOT/bin/nvcc_wrapper when there is one (else with CXX / CMake's default) and that
# Kokkos' own toolkit; the environment is left as it is.
#   scripts/build.sh --cuda [BuildType]      (default Release; LIP_CMAKE_ARGS as for build.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
source "$here/cuda_env.sh"
build_type="${1:-Release}"

start=$SECONDS
bash "$here/setup.sh" --cuda
echo "build: set-up done in $((SECONDS - start)) s"

cmake_args=(-DCMAKE_BUILD_TYPE="$build_type" -DPython3_EXECUTABLE="$LIP_PYTHON")
debian_toolkit=0
if [ -n "${Kokkos_ROOT:-}" ]; then
  cmake_args+=(-DKokkos_ROOT="$Kokkos_ROOT")
  if [ -x "$Kokkos_ROOT/bin/nvcc_wrapper" ] && [ -z "${CXX:-}" ]; then
    cmake_args+=(-DCMAKE_CXX_COMPILER="$Kokkos_ROOT/bin/nvcc_wrapper")
  fi
else
  debian_toolkit=1
  lip_cuda_use_debian_toolkit
  lip_cuda_host_compiler
  cmake_args+=(-DKokkos_ROOT="$LIP_KOKKOS_CUDA_PREFIX"
               -DCMAKE_CXX_COMPILER="$LIP_KOKKOS_CUDA_PREFIX/bin/nvcc_wrapper"
               -DCMAKE_IGNORE_PREFIX_PATH="/usr/local;/usr/local/cuda")
fi

start=$SECONDS
mkdir -p "$LIP_CUDA_BUILD_DIR"
cmake -S "$LIP_REPO" -B "$LIP_CUDA_BUILD_DIR" "${cmake_args[@]}" ${LIP_CMAKE_ARGS:-} \
  >"$LIP_CUDA_BUILD_DIR/configure.log" 2>&1 || { cat "$LIP_CUDA_BUILD_DIR/configure.log"; exit 1; }
cmake --build "$LIP_CUDA_BUILD_DIR" -j "$(nproc)"
echo "build: project built for CUDA in $((SECONDS - start)) s ($LIP_CUDA_BUILD_DIR)"

if [ "$debian_toolkit" = 1 ]; then
  # Every header the compiler read is listed in the dependency files: none may come from another
  # CUDA under /usr/local.
  [ -n "$(find "$LIP_CUDA_BUILD_DIR" -name '*.o.d' -print -quit)" ] || \
    { echo "build: no dependency files in $LIP_CUDA_BUILD_DIR to check" >&2; exit 1; }
  foreign="$(find "$LIP_CUDA_BUILD_DIR" -name '*.d' -print0 | xargs -0 -r grep -l '/usr/local/' || true)"
  if [ -n "$foreign" ]; then
    echo "build: these objects read headers under /usr/local (another CUDA?):" >&2
    echo "$foreign" >&2
    exit 1
  fi
  echo "build: all objects compiled against Debian's CUDA 11.8 headers (none from /usr/local)"
fi
