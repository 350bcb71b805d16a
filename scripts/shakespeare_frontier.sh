#!/usr/bin/env bash
# Certified bound vs validation accuracy on Shakespeare for several sigma_max values (Muon + soft
# cap on every matrix), as the Lipschitz/performance frontier of the paper's Fig. 2 (right).
#   scripts/shakespeare_frontier.sh STEPS OUTDIR [--set key=value ...]   (extra --set apply to every run)
# Each run uses inputs/shakespeare.in with constraint.w_max set per run (and method none for "inf").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
steps="$1"; out="$2"; shift 2
mkdir -p "$out"
for w in ${LIP_FRONTIER_SIGMAS:-1.2 2 3 6 inf}; do
  method=soft_cap; wmax="$w"
  if [ "$w" = inf ]; then method=none; wmax=1; fi
  "$LIP_BUILD_DIR/lip_driver" "$LIP_REPO/inputs/shakespeare.in" --set run.steps="$steps" \
    --set run.eval_every="$steps" --set run.log_every="$steps" --set constraint.method="$method" \
    --set constraint.w_max="$wmax" --set run.output_dir="$out/sigma_$w" "$@" >"$out/sigma_$w.log" 2>&1 &
  while [ "$(jobs -rp | wc -l)" -ge "${LIP_FRONTIER_JOBS:-2}" ]; do sleep 2; done
done
wait
"$LIP_PYTHON" - "$out" ${LIP_FRONTIER_SIGMAS:-1.2 2 3 6 inf} <<'PY'
import csv, sys
out, sigmas = sys.argv[1], sys.argv[2:]
print("| sigma_max | val loss | val acc | certified bound | max activation |")
print("|---|---|---|---|---|")
for w in sigmas:
    r = list(csv.DictReader(open(f"{out}/sigma_{w}/eval.csv")))[-1]
    print(f"| {w} | {float(r['eval_loss']):.4f} | {float(r['eval_accuracy']):.4f} | {float(r['bound']):.4g} | {float(r['max_activation']):.4g} |")
PY
