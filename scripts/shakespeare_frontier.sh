#!/usr/bin/env bash
# Certified bound vs validation accuracy on Shakespeare for several sigma_max values (Muon + soft
# cap on every matrix), as the Lipschitz/performance frontier of the paper's Fig. 2 (right).
#   scripts/shakespeare_frontier.sh STEPS OUTDIR [--set key=value ...]   (extra --set apply to every run)
# STEPS is a number or `deck` (the deck's own 2000 steps). The runs are one lip_sweep over
# constraint.w_max on inputs/shakespeare.in (method none for "inf"), written to OUTDIR/frontier.sweep;
# an interrupted frontier continues where it stopped when run again (finished runs are kept, the
# others resume from their checkpoints).
# Environment: LIP_FRONTIER_SIGMAS (default "1.2 2 3 6 inf"), LIP_FRONTIER_JOBS runs at a time
# (default 2, one thread per rank), LIP_FRONTIER_RANKS MPI ranks per run (default 1; with 2 ranks set
# LIP_FRONTIER_JOBS=1 on a 2-core machine). Prints the frontier table and writes OUTDIR/frontier.png
# (training curves) and OUTDIR/frontier_bound.png (final accuracy and loss against the bound).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
steps="$1"; out="$(realpath -m "$2")"; shift 2
mkdir -p "$out"
sigmas="${LIP_FRONTIER_SIGMAS:-1.2 2 3 6 inf}"
ranks="${LIP_FRONTIER_RANKS:-1}"
jobs="${LIP_FRONTIER_JOBS:-2}"
methods=(); caps=()
for w in $sigmas; do
  if [ "$w" = inf ]; then methods+=(none); caps+=(1); else methods+=(soft_cap); caps+=("$w"); fi
done
{
  echo "base $LIP_REPO/inputs/shakespeare.in"
  echo "output $out"
  echo "group_size $ranks"
  if [ "$steps" != deck ]; then
    echo "set run.steps $steps"; echo "set run.eval_every $steps"; echo "set run.log_every $steps"
  fi
  for a in "$@"; do
    case "$a" in --set) ;; *=*) echo "set ${a%%=*} ${a#*=}" ;; *) echo "shakespeare_frontier: expected --set key=value, got '$a'" >&2; exit 2 ;; esac
  done
  echo "zip sigma constraint.method ${methods[*]}"
  echo "zip sigma constraint.w_max ${caps[*]}"
} >"$out/frontier.sweep"
bash "$here/prepare_data.sh" "$LIP_REPO/inputs/shakespeare.in" >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mpiexec -n $((ranks * jobs)) "$LIP_BUILD_DIR/lip_sweep" "$out/frontier.sweep" >>"$out/sweep.log" 2>&1 ||
  { tail -5 "$out/sweep.log"; exit 1; }
# Run directories in the order of LIP_FRONTIER_SIGMAS, and their labels.
mapfile -t runs < <("$LIP_PYTHON" - "$out" <<'PY'
import csv, sys
for r in csv.DictReader(open(f"{sys.argv[1]}/results.csv")):
    sigma = "inf" if r["constraint.method"] == "none" else r["constraint.w_max"]
    print(f"{sys.argv[1]}/runs/{r['id']}\t{sigma}\t{r['status']}")
PY
)
echo "| sigma_max | step | val loss | val acc | certified bound | max activation |"
echo "|---|---|---|---|---|---|"
dirs=(); labels=()
for line in "${runs[@]}"; do
  IFS=$'\t' read -r dir sigma status <<<"$line"
  [ "$status" = done ] || { echo "| $sigma | $status | | | | |"; continue; }
  dirs+=("$dir"); labels+=("sigma $sigma")
  "$LIP_PYTHON" -c "
import csv, sys
r = list(csv.DictReader(open('$dir/eval.csv')))[-1]
print(f\"| $sigma | {r['step']} | {float(r['eval_loss']):.4f} | {float(r['eval_accuracy']):.4f} | {float(r['bound']):.4g} | {float(r['max_activation']):.4g} |\")"
done
IFS=,; label_list="${labels[*]}"; unset IFS
"$LIP_PYTHON" "$here/plot_training.py" "${dirs[@]}" --labels "$label_list" --out "$out/frontier.png"
"$LIP_PYTHON" "$here/plot_frontier.py" "${dirs[@]}" --out "$out/frontier_bound.png"
