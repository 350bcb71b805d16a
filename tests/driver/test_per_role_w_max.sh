#!/usr/bin/env bash
# Per-role caps of the transformer (constraint.qk_w_max, constraint.head_w_max): a tiny GPT trained
# with Muon steps of up to 0.2 of each cap (inside the range where the soft cap provably holds,
# docs/DECISIONS.md) keeps, at every evaluation,
#   q*, k*             <= qk_w_max   and some q/k above w_max (the key took effect),
#   out (head)         <= head_w_max and above w_max,
#   v*, w*, mlp_*      <= w_max,
# each RMS->RMS norm measured by exact SVD (metrics.norm_method exact), tolerance 1e-3 relative.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
"$build/lip_driver" "$src/inputs/regression/gpt_tiny.in" --set data.dir="$tmp" \
  --set run.output_dir="$tmp/run" --set run.progress=false --set run.steps=30 --set optim.lr=0.2 --set optim.head.lr=10 \
  --set constraint.w_max=1 --set constraint.qk_w_max=2.5 --set constraint.head_w_max=1.5 \
  >"$tmp/run.log" 2>&1 || { echo "FAIL: the driver failed"; tail -5 "$tmp/run.log"; exit 1; }
$py - "$tmp/run/eval.csv" <<'PY'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok, top_qk, top_out = True, 0.0, 0.0
for r in rows:
    for key, value in r.items():
        if not key.startswith("norm_") or key == "norm_embed":
            continue
        name, x = key[5:], float(value)
        cap = 2.5 if re.fullmatch(r"[qk]\d+", name) else 1.5 if name == "out" else 1.0
        if re.fullmatch(r"[qk]\d+", name): top_qk = max(top_qk, x)
        if name == "out": top_out = max(top_out, x)
        if x > cap * 1.001:
            print(f"FAIL: step {r['step']}: {name} norm {x:.5f} exceeds its cap {cap}"); ok = False
print(f"largest q/k norm {top_qk:.4f} (cap 2.5), head norm {top_out:.4f} (cap 1.5), others capped at 1")
if top_qk <= 1.2: print("FAIL: no q/k norm rose above w_max: qk_w_max had no effect"); ok = False
if top_out <= 1.2: print("FAIL: the head norm never rose above w_max: head_w_max had no effect"); ok = False
sys.exit(0 if ok else 1)
PY
