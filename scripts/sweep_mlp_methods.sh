#!/usr/bin/env bash
# Every weight-constraint method on the MNIST MLP with Muon (the paper's Fig. 4 middle settings:
# method, sigma_max, wd, spectral_wd, lr; inputs/sweeps/mnist_methods.sweep) trained by lip_sweep,
# then a table of test accuracy, certified bound and the largest logged RMS->RMS norm of each layer
# relative to sigma_max (exact SVD norms, logged at every evaluation).
#   scripts/sweep_mlp_methods.sh [STEPS] [OUTDIR]      (default 117 steps = 1 epoch)
# LIP_SWEEP_POWER_ITERATIONS (default 256) sets constraint.power_iterations; LIP_SWEEP_RANKS (default
# 1) ranks, one configuration each. Resumable: finished methods are kept.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
steps="${1:-117}"
out="$(realpath -m "${2:-$LIP_REPO/runs/sweep_mlp_methods}")"
mkdir -p "$out"
sweep="$LIP_REPO/inputs/sweeps/mnist_methods.sweep"
bash "$here/prepare_data.sh" "$LIP_REPO/inputs/mnist_mlp_muon_softcap.in" >/dev/null
launch=()
[ "${LIP_SWEEP_RANKS:-1}" -gt 1 ] && launch=(mpiexec -n "$LIP_SWEEP_RANKS") && export OMP_NUM_THREADS=1
"${launch[@]}" "$LIP_BUILD_DIR/lip_sweep" "$sweep" --sweep-set "output $out" \
  --sweep-set "set run.steps $steps" --sweep-set "set run.eval_every $(( (steps + 8) / 9 ))" \
  --sweep-set "set constraint.power_iterations ${LIP_SWEEP_POWER_ITERATIONS:-256}" >"$out/sweep.log" 2>&1 ||
  { tail -5 "$out/sweep.log"; exit 1; }
"$LIP_PYTHON" - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
print(f"| method | sigma_max | lr | test acc | certified bound | max norm / sigma_max (mlp_in, mlp_0, mlp_out) over all evals | all <= 1.001? |")
print("|---|---|---|---|---|---|---|")
for row in csv.DictReader(open(f"{out}/results.csv")):
    method = row["constraint.method"]
    name = "weight_decay" if method == "none" else method
    if row["status"] != "done":
        print(f"| {name} | | {row['optim.lr']} | {row['status']}: {row['message']} | | | |")
        continue
    rows = list(csv.DictReader(open(f"{out}/runs/{row['id']}/eval.csv")))
    capped = method not in ("none", "spec_wd")
    w = float(row["constraint.w_max"])
    layers = ["mlp_in", "mlp_0", "mlp_out"]
    worst = [max(float(r["norm_" + l]) for r in rows) for l in layers]
    ratio = [x / w for x in worst] if capped else [float("nan")] * 3
    ok = all(x <= 1.001 for x in ratio) if capped else "n/a"
    last = rows[-1]
    print(f"| {name} | {row['constraint.w_max'] if capped else '-'} | {row['optim.lr']} | {float(last['eval_accuracy']):.4f} | "
          f"{float(last['bound']):.4g} | " + ", ".join(f"{x:.4f}" for x in ratio) + f" | {ok} |")
PY
