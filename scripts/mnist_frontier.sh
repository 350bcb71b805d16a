#!/usr/bin/env bash
# The MNIST MLP Lipschitz-performance frontier (paper Fig. 2 left, Fig. 4 left; issue 17): the two
# sweep decks inputs/sweeps/mnist_frontier_{adamw,muon}.sweep (120 + 174 runs of one epoch) with
# lip_sweep on LIP_SWEEP_RANKS ranks (default 2, one configuration per rank, 1 thread each), then
# scripts/plot_sweep.py (OUTDIR/mnist_frontier_*). Resumable: start it again after an interruption.
#   scripts/mnist_frontier.sh [OUTDIR]            (default runs/; sweeps in OUTDIR/mnist_frontier_*)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/run_sweeps.sh" "${1:-$here/../runs}" mnist_frontier "MNIST MLP, 1 epoch" \
  "$here/../inputs/sweeps/mnist_frontier_adamw.sweep" "$here/../inputs/sweeps/mnist_frontier_muon.sweep"
