#!/usr/bin/env bash
# The best Shakespeare proxy configurations on the full deck (issue 17): from the proxy sweeps'
# results.csv, the run with the lowest final validation loss among those with certified bound < 2,
# < 10 and < 100; each is trained on inputs/shakespeare.in (2000 steps, width 256, context 256,
# batch 64) by one lip_sweep (group_size LIP_SWEEP_RANKS, default 2: one configuration at a time
# on 2 ranks), then drawn on the full-deck frontier with the earlier full-deck points.
#   scripts/shakespeare_full_best.sh PROXY_DIR [OUTDIR]
# PROXY_DIR holds shakespeare_proxy_{muon,adamw}/results.csv (scripts/shakespeare_proxy_frontier.sh);
# OUTDIR defaults to PROXY_DIR/shakespeare_full_best. Resumable: start it again to continue.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
proxy="$(realpath -m "$1")"
out="$(realpath -m "${2:-$proxy/shakespeare_full_best}")"
ranks="${LIP_SWEEP_RANKS:-2}"
mkdir -p "$out"
# The sweep deck: one zip over the chosen configurations (the keys the proxy sweeps set or swept).
"$LIP_PYTHON" - "$proxy" "$LIP_REPO" "$out" "$ranks" >"$out/best.sweep" <<'PY'
import csv, math, sys
proxy, repo, out, ranks = sys.argv[1:]
rows = [r for o in ("muon", "adamw") for r in csv.DictReader(open(f"{proxy}/shakespeare_proxy_{o}/results.csv"))]
done = [r for r in rows if r["status"] == "done"]
keys = ["optim.kind", "constraint.method", "constraint.w_max", "optim.weight_decay", "model.final_scale", "optim.lr"]
chosen = []
for limit in (2, 10, 100):
    inside = [r for r in done if float(r["log10_bound"]) < math.log10(limit)]
    if inside:
        best = min(inside, key=lambda r: float(r["final_val_loss"]))
        if best not in chosen:
            chosen.append(best)
        print(f"# bound < {limit}: proxy run {best['id']} (val loss {float(best['final_val_loss']):.4f}, "
              f"bound {float(best['bound']):.4g})")
print(f"base {repo}/inputs/shakespeare.in\noutput {out}\ngroup_size {ranks}\nset run.progress false")
for k in keys + ["optim.head.lr"]:
    values = [r.get(k) or "0" for r in chosen]  # head lr 0 (= optim.lr) where the proxy left it unset
    print(f"zip best {k} " + " ".join(values))
PY
cat "$out/best.sweep"
bash "$here/prepare_data.sh" "$LIP_REPO/inputs/shakespeare.in" >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mpiexec -n "$ranks" "$LIP_BUILD_DIR/lip_sweep" "$out/best.sweep" 2>&1 | tee -a "$out/sweep.log"
mapfile -t dirs < <("$LIP_PYTHON" -c "
import csv, sys
for r in csv.DictReader(open('$out/results.csv')):
    if r['status'] == 'done': print('$out/runs/' + r['id'])")
"$LIP_PYTHON" "$here/plot_frontier.py" "${dirs[@]}" --points "$LIP_REPO/docs/figures/shakespeare_frontier_points.csv" \
  --bound-limit 2 --out "$out/shakespeare_full_frontier.png"
