#!/usr/bin/env bash
# The Shakespeare proxy frontier (paper Fig. 2 right on a scaled deck; issue 17): the two sweep decks
# inputs/sweeps/shakespeare_proxy_{muon,adamw}.sweep (48 + 48 runs of 300 steps on
# inputs/sweeps/shakespeare_proxy.in) with lip_sweep on LIP_SWEEP_RANKS ranks (default 2, one
# configuration per rank, 1 thread each), then scripts/plot_sweep.py. Resumable: start it again after
# an interruption.
#   scripts/shakespeare_proxy_frontier.sh [OUTDIR]     (default runs/; sweeps in OUTDIR/shakespeare_proxy_*)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
out="$(realpath -m "${1:-$LIP_REPO/runs}")"
ranks="${LIP_SWEEP_RANKS:-2}"
mkdir -p "$out"
bash "$here/prepare_data.sh" "$LIP_REPO/inputs/sweeps/shakespeare_proxy.in" >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
results=()
for opt in muon adamw; do
  sweep="$LIP_REPO/inputs/sweeps/shakespeare_proxy_$opt.sweep"
  mpiexec -n "$ranks" "$LIP_BUILD_DIR/lip_sweep" "$sweep" --sweep-set "output $out/shakespeare_proxy_$opt" \
    2>&1 | tee -a "$out/shakespeare_proxy_$opt.log"
  results+=("$out/shakespeare_proxy_$opt/results.csv")
done
"$LIP_PYTHON" "$here/plot_sweep.py" --title "Shakespeare proxy, 300 steps" --out "$out/shakespeare_proxy" "${results[@]}"
