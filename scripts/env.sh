# Shared paths for the scripts (sourced, never run). Every value can be overridden.
LIP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LIP_CACHE_DIR="${LIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lipschitz}"
export LIP_KOKKOS_PREFIX="${LIP_KOKKOS_PREFIX:-$LIP_CACHE_DIR/kokkos-3.4.1}"
export LIP_BUILD_DIR="${LIP_BUILD_DIR:-$LIP_REPO/build}"
# Debian's python3 carries numpy, h5py, matplotlib (and torch for the regression generators).
export LIP_PYTHON="${LIP_PYTHON:-/usr/bin/python3}"
if [ -z "${Kokkos_ROOT:-}" ]; then KOKKOS_FOR_CMAKE="$LIP_KOKKOS_PREFIX"; else KOKKOS_FOR_CMAKE="$Kokkos_ROOT"; fi
export OMP_PROC_BIND="${OMP_PROC_BIND:-spread}" OMP_PLACES="${OMP_PLACES:-threads}"
# Kokkos' OpenMP threads and OpenBLAS's own threads share the cores: with the default (spinning)
# wait policy each steals the other's cores and gemm runs 2-5x slower (docs/PERFORMANCE.md).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
# Open MPI refuses to start as root unless told; containers and CI often run as root.
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# OpenBLAS (Debian 12: 0.3.21, DYNAMIC_ARCH) picks its kernels by CPU model and falls back to the
# generic SSE3 "Prescott" kernels on models it does not know (Sapphire Rapids and later): SGEMM
# then runs about 4x slower (docs/PERFORMANCE.md). When that happens, name the widest kernel family
# the CPU supports. A value already in the environment is left alone; lip_driver warns if the
# fallback is still in effect. Called again by run.sh/test.sh once set-up has installed OpenBLAS.
lip_select_openblas_core() {
  [ -n "${OPENBLAS_CORETYPE:-}" ] && return 0
  local core
  core="$("$LIP_PYTHON" -c 'import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null)" || return 0
  case "$core" in
    Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Katmai) ;;
    *) return 0 ;;
  esac
  local flags; flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
  local choice=""
  if grep -qw avx512f <<<"$flags"; then choice=SkylakeX
  elif grep -qw avx2 <<<"$flags"; then choice=Haswell
  elif grep -qw avx <<<"$flags"; then choice=Sandybridge; fi
  if [ -n "$choice" ]; then
    export OPENBLAS_CORETYPE="$choice"
    echo "env: OpenBLAS fell back to its generic '$core' kernels on this CPU; OPENBLAS_CORETYPE=$choice" >&2
  fi
  return 0
}
lip_select_openblas_core
