#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a finished training run:
# set-up (packages, Kokkos), Release build, then the default deck (the paper's Shakespeare
# transformer, about 95 minutes on 2 cores) or the deck given.
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
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
exec "$LIP_BUILD_DIR/lip_driver" "$deck" "$@"
