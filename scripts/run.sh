#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a finished training run:
# set-up (packages, Kokkos), Release build, then the default deck (the paper's Shakespeare
# transformer, about 70-75 minutes on 2 idle cores) or the deck given.
#   scripts/run.sh [DECK] [--set key=value ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
bash "$here/setup.sh"
lip_select_openblas_core   # OpenBLAS is installed now
bash "$here/build.sh" Release
deck="${1:-$LIP_REPO/inputs/shakespeare.in}"
[ $# -gt 0 ] && shift
cd "$LIP_REPO"
bash "$here/prepare_data.sh" "$deck"
# One single-threaded MPI rank per core is the fastest layout on a CPU node (docs/PERFORMANCE.md:
# 2 ranks x 1 thread 7,600-8,000 tokens/s on the Shakespeare deck, 1 rank x 2 threads 4,800), when
# the cores divide the deck's batch; otherwise one rank with a thread per core. LIP_RANKS overrides.
cores="$(nproc)"
batch="$(awk '$1 == "data.batch_size" {print $2}' "$deck" | tail -n 1)"
for arg in "$@"; do [[ "$arg" == data.batch_size=* ]] && batch="${arg#data.batch_size=}"; done  # --set overrides
ranks="${LIP_RANKS:-1}"
if [ -z "${LIP_RANKS:-}" ] && [ "$cores" -gt 1 ] && [ -n "$batch" ] && [ $((batch % cores)) -eq 0 ]; then ranks="$cores"; fi
if [ "$ranks" -gt 1 ]; then
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
  echo "run: $ranks MPI ranks x $OMP_NUM_THREADS thread(s) (LIP_RANKS=1 for one rank)" >&2
  exec mpiexec -n "$ranks" "$LIP_BUILD_DIR/lip_driver" "$deck" "$@"
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$cores}"
exec "$LIP_BUILD_DIR/lip_driver" "$deck" "$@"
