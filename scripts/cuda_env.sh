# The opt-in CUDA build's paths and environment (sourced after env.sh, never run; only by
# `scripts/setup.sh --cuda` and `scripts/build.sh --cuda`). Every value can be overridden.
#
# Debian 12's CUDA 11.8 (`nvidia-cuda-toolkit`, host compiler g++-11) builds everything, and only
# it: a machine may carry another CUDA (an nvcc earlier in PATH, CUDA_HOME/CUDA_ROOT, a toolkit's
# headers copied into /usr/local/include, its libraries in LIBRARY_PATH). lip_cuda_use_debian_toolkit
# removes those from this process's environment, and lip_cuda_host_compiler writes the host compiler
# that nvcc is given: g++-11 with its default header search path minus /usr/local/include, so
# Debian's CUDA headers in /usr/include are the only ones the host compiler can see.
export LIP_KOKKOS_CUDA_PREFIX="${LIP_KOKKOS_CUDA_PREFIX:-$LIP_CACHE_DIR/kokkos-3.4.1-cuda}"
export LIP_CUDA_BUILD_DIR="${LIP_CUDA_BUILD_DIR:-$LIP_REPO/build-cuda}"
# A Kokkos 3.4.1 architecture name (Kokkos_ARCH_<name>); 3.4 knows none newer than Ampere.
# AMPERE80 compiles sm_80 code plus compute_80 PTX, which the driver JIT-compiles on Hopper.
export LIP_CUDA_ARCH="${LIP_CUDA_ARCH:-AMPERE80}"
export LIP_CUDA_HOST_CXX="${LIP_CUDA_HOST_CXX:-g++-11}"
LIP_CUDA_PACKAGES=(g++-11 nvidia-cuda-toolkit)

# Drop every other CUDA from PATH and the compiler's search-path variables; nvcc is /usr/bin/nvcc.
lip_cuda_use_debian_toolkit() {
  local var entry kept
  for var in PATH LIBRARY_PATH LD_LIBRARY_PATH CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH; do
    [ -n "${!var:-}" ] || continue
    kept=""
    local IFS=:
    for entry in ${!var}; do
      case "$entry" in
        */cuda|*/cuda/*|*/cuda-[0-9]*) continue ;;
      esac
      if [ "$var" = PATH ] && [ "$entry" != /usr/bin ] && [ -x "$entry/nvcc" ]; then continue; fi
      kept="${kept:+$kept:}$entry"
    done
    unset IFS
    if [ -n "$kept" ]; then export "$var=$kept"; else unset "$var"; fi
  done
  # nvcc_wrapper runs $CUDA_ROOT/bin/nvcc when CUDA_ROOT is set; CMake's CUDA searches read the others.
  unset CUDA_HOME CUDA_PATH CUDA_ROOT CUDA_TOOLKIT_ROOT_DIR CUDAToolkit_ROOT CUDACXX NVCC_PREPEND_FLAGS NVCC_APPEND_FLAGS
  export NVCC_WRAPPER_DEFAULT_COMPILER="$LIP_KOKKOS_CUDA_PREFIX/libexec/lipschitz/$LIP_CUDA_HOST_CXX"
}

# Write $LIP_KOKKOS_CUDA_PREFIX/libexec/lipschitz/g++-11: the host compiler with -nostdinc and its
# own default include directories given back explicitly, after the caller's (so -I/-isystem order
# is kept), except /usr/local/include. The file keeps the compiler's name: nvcc recognises its
# host compiler by name.
lip_cuda_host_compiler() {
  local cxx; cxx="$(command -v "$LIP_CUDA_HOST_CXX")" || { echo "cuda: $LIP_CUDA_HOST_CXX not found" >&2; return 1; }
  local dir="$LIP_KOKKOS_CUDA_PREFIX/libexec/lipschitz" dirs=() line
  while IFS= read -r line; do
    line="${line# }"
    [ "$(readlink -f "$line")" = /usr/local/include ] && continue
    dirs+=(-isystem "$(readlink -f "$line")")
  done < <("$cxx" -xc++ -E -v /dev/null 2>&1 >/dev/null |
           sed -n '/^#include <\.\.\.> search starts here:/,/^End of search list\./p' | sed '1d;$d')
  [ ${#dirs[@]} -gt 0 ] || { echo "cuda: could not read $cxx's include directories" >&2; return 1; }
  mkdir -p "$dir"
  {
    echo '#!/bin/sh'
    echo "# $LIP_CUDA_HOST_CXX without /usr/local/include in its header search path (scripts/cuda_env.sh)."
    printf 'exec %q "$@" -nostdinc' "$cxx"
    printf ' %q' "${dirs[@]}"
    echo
  } > "$dir/$LIP_CUDA_HOST_CXX.tmp"
  chmod +x "$dir/$LIP_CUDA_HOST_CXX.tmp"
  mv "$dir/$LIP_CUDA_HOST_CXX.tmp" "$dir/$LIP_CUDA_HOST_CXX"
}

# Debian's CUDA lives in the contrib and non-free components; add them, for the Debian archive
# entries this machine already has, when the toolkit has no install candidate.
lip_cuda_enable_components() {
  if apt-cache policy nvidia-cuda-toolkit 2>/dev/null | grep -q 'Candidate: [0-9]'; then return 0; fi
  local tmp dest; tmp="$(mktemp)"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    dest=/etc/apt/sources.list.d/lipschitz-cuda.sources
    awk 'function flush() { if (keep && buf != "") printf "%s\n", buf; buf = ""; keep = 0 }
         /^[[:space:]]*$/ { flush(); next }
         /^Types:/ { keep = ($0 ~ /[: ]deb( |$)/); $0 = "Types: deb" }
         /^Components:/ { $0 = "Components: contrib non-free" }
         { buf = buf $0 "\n" }
         END { flush() }' /etc/apt/sources.list.d/debian.sources > "$tmp"
  elif [ -f /etc/apt/sources.list ]; then
    dest=/etc/apt/sources.list.d/lipschitz-cuda.list
    grep -E '^deb[[:space:]].*debian' /etc/apt/sources.list |
      sed -E 's/^(deb([[:space:]]+\[[^]]*\])?[[:space:]]+[^[:space:]]+[[:space:]]+[^[:space:]]+).*/\1 contrib non-free/' > "$tmp"
  fi
  if [ -s "$tmp" ]; then
    echo "cuda: enabling Debian's contrib and non-free components ($dest)"
    "${sudo_cmd[@]}" cp "$tmp" "$dest"
    "${sudo_cmd[@]}" chmod 644 "$dest"
  fi
  rm -f "$tmp"
  "${sudo_cmd[@]}" apt-get update -qq
}
