#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine:
#   1. installs the Debian packages the build needs (skipped when all are present);
#   2. unless Kokkos_ROOT is given, builds Kokkos 3.4.1 (Serial + OpenMP, C++17) and
#      Kokkos Kernels 3.4.1 (BLAS TPL = OpenBLAS) from Debian's `trilinos` source package
#      into a cached prefix outside the repository, reused on later runs.
# `setup.sh --cuda` (opt-in) adds Debian's CUDA 11.8 toolkit and g++-11 to the packages and builds
# Kokkos 3.4.1 (Cuda + Serial) and Kokkos Kernels 3.4.1 (cuBLAS) into their own cached prefix
# instead (scripts/cuda_env.sh, scripts/kokkos_cuda.sh); with Kokkos_ROOT it installs the
# packages only (a user's own CUDA Kokkos comes with its own toolkit).
# Prints `export Kokkos_ROOT=...` style facts on its last lines; callers source
# scripts/env.sh instead of parsing them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
cuda=0
if [ "${1:-}" = --cuda ]; then cuda=1; source "$here/cuda_env.sh"; fi

packages=(cmake g++ make pkg-config dpkg-dev
          libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
          libgtest-dev libopenblas-dev liblapack-dev
          nlohmann-json3-dev libpcre2-dev libcli11-dev libfmt-dev
          python3-numpy python3-h5py python3-matplotlib python3-torch)

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

if [ "$cuda" = 1 ] && [ -z "${Kokkos_ROOT:-}" ]; then
  packages+=("${LIP_CUDA_PACKAGES[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  if [ "$cuda" = 1 ] && [[ " ${missing[*]} " == *" nvidia-cuda-toolkit "* ]]; then lip_cuda_enable_components; fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -n "${Kokkos_ROOT:-}" ]; then
  echo "setup: using the Kokkos given by Kokkos_ROOT=$Kokkos_ROOT (no Kokkos build)"
  exit 0
fi

stamp="$LIP_KOKKOS_PREFIX/.lipschitz-kokkos-3.4.1-done"
if [ "$cuda" = 1 ]; then
  stamp="$LIP_KOKKOS_CUDA_PREFIX/.lipschitz-kokkos-3.4.1-cuda-done"
  [ -f "$stamp" ] && { echo "setup: Kokkos 3.4.1 (CUDA) + Kokkos Kernels already built in $LIP_KOKKOS_CUDA_PREFIX"; exit 0; }
fi
if [ -f "$stamp" ]; then
  echo "setup: Kokkos 3.4.1 + Kokkos Kernels already built in $LIP_KOKKOS_PREFIX"
  exit 0
fi

# Debian ships Kokkos 3.4.1 inside the trilinos source package. apt-get source needs deb-src
# entries; derive them from this machine's own Debian entries when none exist.
ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return
  fi
  echo "setup: no deb-src entries; deriving them from the existing Debian entries"
  local tmp; tmp="$(mktemp)"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$tmp"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed -E 's/^deb /deb-src /' > "$tmp"
  fi
  if [ -s "$tmp" ]; then
    local dest=/etc/apt/sources.list.d/lipschitz-deb-src
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then dest="$dest.sources"; else dest="$dest.list"; fi
    "${sudo_cmd[@]}" cp "$tmp" "$dest"
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  rm -f "$tmp"
}
ensure_deb_src

src_root="$LIP_CACHE_DIR/src"
mkdir -p "$src_root"
trilinos_dir="$(find "$src_root" -maxdepth 1 -type d -name 'trilinos-*' | head -n 1)"
if [ -z "$trilinos_dir" ]; then
  echo "setup: fetching Debian's trilinos source package"
  (cd "$src_root" && apt-get source -qq --download-only trilinos && \
   dpkg-source --no-check -x --skip-patches trilinos_*.dsc >/dev/null)
  trilinos_dir="$(find "$src_root" -maxdepth 1 -type d -name 'trilinos-*' | head -n 1)"
fi
kokkos_src="$trilinos_dir/packages/kokkos"
kernels_src="$trilinos_dir/packages/kokkos-kernels"
grep -q 'Kokkos_VERSION_MINOR 4' "$kokkos_src/CMakeLists.txt" || \
  { echo "setup: $kokkos_src is not Kokkos 3.4" >&2; exit 1; }

jobs="$(nproc)"
if [ "$cuda" = 1 ]; then
  source "$here/kokkos_cuda.sh"   # builds into $LIP_KOKKOS_CUDA_PREFIX and writes $stamp
  exit 0
fi
build="$LIP_CACHE_DIR/build"
rm -rf "$build"; mkdir -p "$build"

echo "setup: building Kokkos (Serial + OpenMP, C++17) into $LIP_KOKKOS_PREFIX"
cmake -S "$kokkos_src" -B "$build/kokkos" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$LIP_KOKKOS_PREFIX" -DCMAKE_CXX_STANDARD=17 \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_OPENMP=ON \
  -DKokkos_ENABLE_TESTS=OFF >"$build/kokkos.log"
cmake --build "$build/kokkos" -j "$jobs" >>"$build/kokkos.log"
cmake --install "$build/kokkos" >>"$build/kokkos.log"

echo "setup: building Kokkos Kernels (BLAS TPL: OpenBLAS; float and double; no default ETI)"
cmake -S "$kernels_src" -B "$build/kernels" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$LIP_KOKKOS_PREFIX" -DCMAKE_CXX_STANDARD=17 \
  -DKokkos_ROOT="$LIP_KOKKOS_PREFIX" \
  -DKokkosKernels_ENABLE_TPL_BLAS=ON \
  -DKokkosKernels_INST_FLOAT=ON -DKokkosKernels_INST_DOUBLE=ON \
  -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF -DKokkosKernels_INST_COMPLEX_FLOAT=OFF \
  -DKokkosKernels_INST_OFFSET_SIZE_T=OFF -DKokkosKernels_INST_ORDINAL_INT=OFF \
  -DKokkosKernels_INST_OFFSET_INT=OFF \
  -DKokkosKernels_ADD_DEFAULT_ETI=OFF -DKokkosKernels_ENABLE_TESTS=OFF \
  -DKokkosKernels_ENABLE_TPL_LAPACK=OFF \
  -DBLAS_LIBRARIES=openblas -DBLAS_LIBRARY_DIRS="/usr/lib/$(gcc -print-multiarch)" \
  >"$build/kernels.log"
cmake --build "$build/kernels" -j "$jobs" >>"$build/kernels.log"
cmake --install "$build/kernels" >>"$build/kernels.log"

touch "$stamp"
echo "setup: done; Kokkos prefix $LIP_KOKKOS_PREFIX"
