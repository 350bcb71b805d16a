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
