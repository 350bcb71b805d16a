#!/usr/bin/env bash
# The MNIST MLP Lipschitz-performance frontier (paper Fig. 2 left, Fig. 4 left; issue 17): the two
# sweep decks inputs/sweeps/mnist_frontier_{adamw,muon}.sweep (120 + 174 runs of one epoch) with
# lip_sweep on LIP_SWEEP_RANKS ranks (default 2, one configuration per rank, 1 thread each), then
# scripts/plot_sweep.py. Resumable: start it again after an interruption (finished runs are kept,
# interrupted ones continue from their checkpoints).
#   scripts/mnist_frontier.sh [OUTDIR]            (default runs/; sweeps in OUTDIR/mnist_frontier_*)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
out="$(realpath -m "${1:-$LIP_REPO/runs}")"
ranks="${LIP_SWEEP_RANKS:-2}"
mkdir -p "$out"
bash "$here/prepare_data.sh" "$LIP_REPO/inputs/sweeps/mnist_frontier.in" >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
results=()
for opt in adamw muon; do
  sweep="$LIP_REPO/inputs/sweeps/mnist_frontier_$opt.sweep"
  mpiexec -n "$ranks" "$LIP_BUILD_DIR/lip_sweep" "$sweep" --sweep-set "output $out/mnist_frontier_$opt" \
    2>&1 | tee -a "$out/mnist_frontier_$opt.log"
  results+=("$out/mnist_frontier_$opt/results.csv")
done
"$LIP_PYTHON" "$here/plot_sweep.py" --title "MNIST MLP, 1 epoch" --out "$out/mnist_frontier" "${results[@]}"
