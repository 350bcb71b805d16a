#!/usr/bin/env bash
# Certified bound vs validation accuracy on Shakespeare for several sigma_max values (Muon + soft
# cap on every matrix), as the Lipschitz/performance frontier of the paper's Fig. 2 (right).
#   scripts/shakespeare_frontier.sh STEPS OUTDIR [--set key=value ...]   (extra --set apply to every run)
# STEPS is a number or `deck` (the deck's own 2000 steps). Each run uses inputs/shakespeare.in with
# constraint.w_max set per run (method none for "inf") and resumes from its own checkpoints
# (--resume auto), so an interrupted frontier continues where it stopped when run again.
# Environment: LIP_FRONTIER_SIGMAS (default "1.2 2 3 6 inf"), LIP_FRONTIER_JOBS runs at a time
# (default 2, one thread each), LIP_FRONTIER_RANKS MPI ranks per run (default 1; with 2 ranks set
# LIP_FRONTIER_JOBS=1 on a 2-core machine). Prints the frontier table and writes OUTDIR/frontier.png
# (training curves) and OUTDIR/frontier_bound.png (final accuracy and loss against the bound).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
steps="$1"; out="$2"; shift 2
mkdir -p "$out"
sigmas="${LIP_FRONTIER_SIGMAS:-1.2 2 3 6 inf}"
ranks="${LIP_FRONTIER_RANKS:-1}"
step_args=()
[ "$steps" = deck ] || step_args=(--set run.steps="$steps" --set run.eval_every="$steps" --set run.log_every="$steps")
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
launch=()
[ "$ranks" -gt 1 ] && launch=(mpiexec -n "$ranks")
for w in $sigmas; do
  method=soft_cap; wmax="$w"
  if [ "$w" = inf ]; then method=none; wmax=1; fi
  "${launch[@]}" "$LIP_BUILD_DIR/lip_driver" "$LIP_REPO/inputs/shakespeare.in" "${step_args[@]}" \
    --set constraint.method="$method" --set constraint.w_max="$wmax" --set run.output_dir="$out/sigma_$w" \
    --resume auto "$@" >>"$out/sigma_$w.log" 2>&1 &
  while [ "$(jobs -rp | wc -l)" -ge "${LIP_FRONTIER_JOBS:-2}" ]; do sleep 2; done
done
wait
"$LIP_PYTHON" - "$out" $sigmas <<'PY'
import csv, sys
out, sigmas = sys.argv[1], sys.argv[2:]
print("| sigma_max | step | val loss | val acc | certified bound | max activation |")
print("|---|---|---|---|---|---|")
for w in sigmas:
    r = list(csv.DictReader(open(f"{out}/sigma_{w}/eval.csv")))[-1]
    print(f"| {w} | {r['step']} | {float(r['eval_loss']):.4f} | {float(r['eval_accuracy']):.4f} | "
          f"{float(r['bound']):.4g} | {float(r['max_activation']):.4g} |")
PY
"$LIP_PYTHON" "$here/plot_training.py" $(for w in $sigmas; do echo "$out/sigma_$w"; done) \
  --labels "$(echo $sigmas | sed 's/\([^ ]*\)/sigma \1/g; s/ sigma/,sigma/g')" --out "$out/frontier.png"
"$LIP_PYTHON" "$here/plot_frontier.py" $(for w in $sigmas; do echo "$out/sigma_$w"; done) --out "$out/frontier_bound.png"
