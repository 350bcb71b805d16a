#!/usr/bin/env bash
# Run sweep decks one after the other with lip_sweep, then plot them together with plot_sweep.py.
#   scripts/run_sweeps.sh OUTDIR PREFIX TITLE SWEEP_DECK [SWEEP_DECK ...]
# Each deck's runs go to OUTDIR/<deck name without .sweep> (its log beside it); the figures and tables
# to OUTDIR/PREFIX_*. LIP_SWEEP_RANKS ranks (default 2, one thread each). Resumable: start it again.
# The data of the first deck's base deck is prepared first (scripts/prepare_data.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
out="$(realpath -m "$1")"; prefix="$2"; title="$3"; shift 3
ranks="${LIP_SWEEP_RANKS:-2}"
mkdir -p "$out"
first="$1"
bash "$here/prepare_data.sh" "$(dirname "$first")/$(awk '$1 == "base" {print $2}' "$first")" >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
results=()
for sweep in "$@"; do
  name="$(basename "$sweep" .sweep)"
  mpiexec -n "$ranks" "$LIP_BUILD_DIR/lip_sweep" "$sweep" --sweep-set "output $out/$name" 2>&1 | tee -a "$out/$name.log"
  results+=("$out/$name/results.csv")
done
"$LIP_PYTHON" "$here/plot_sweep.py" --title "$title" --out "$out/$prefix" "${results[@]}"
