# Shared preamble of the driver tests (sourced, not a test): strict variables, the build
# directory, Debian's python3 with h5py/numpy (else skip with 77), a scratch directory removed on
# exit, and single-threaded, passive-wait OpenMP so that several ranks share the cores politely.
set -u
build="${LIP_BUILD_DIR:?}"
py=/usr/bin/python3
mpiexec="${MPIEXEC:-mpiexec}"
$py -c 'import h5py, numpy' 2>/dev/null || { echo "SKIP: $py lacks h5py/numpy"; exit 77; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
export OMP_NUM_THREADS=1 OMP_PROC_BIND=false OMP_WAIT_POLICY=passive
