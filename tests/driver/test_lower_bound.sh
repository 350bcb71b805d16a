#!/usr/bin/env bash
# lip_lower_bound end to end on a tiny MLP and a tiny transformer trained here
# (inputs/regression/mlp_tiny.in, gpt_tiny.in; the final checkpoint of each):
#  * one run directory and one checkpoint file are accepted; both rows land in one CSV (header
#    once, then appended rows) with the documented columns;
#  * every lower bound is positive and at most the certified upper bound (upper/lower ≥ 1);
#  * the MLP's upper bound is the product of its exact layer norms, eval.csv's final bound; the
#    transformer's printed token-level bound is eval.csv's final (paper-formula, exact-norm) bound,
#    and its map bound is that divided by the embedding norm;
#  * a bad option is refused.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
train() {  # train NAME DECK
  "$build/lip_driver" "$src/inputs/regression/$2" --set data.dir="$tmp" --set run.output_dir="$tmp/$1" \
    --set run.progress=false >"$tmp/$1.log" 2>&1 || { echo "FAIL: training $1 failed"; tail -5 "$tmp/$1.log"; exit 1; }
}
train mlp mlp_tiny.in
train gpt gpt_tiny.in
bound() {  # bound NAME RUN ARGS...
  local name="$1" run="$2"; shift 2
  "$build/lip_lower_bound" "$run" --data-dir "$tmp" --csv "$tmp/bounds.csv" "$@" >"$tmp/$name.out" 2>&1 \
    || { echo "FAIL: lip_lower_bound on $name failed"; cat "$tmp/$name.out"; exit 1; }
  cat "$tmp/$name.out"
}
bound mlp "$tmp/mlp" --examples 8 --iterations 10 --pairs 4 --steps 10
bound gpt "$tmp/gpt/$(cat "$tmp/gpt/latest")" --examples 2 --iterations 5 --pairs 2 --steps 5 --seed 3
if "$build/lip_lower_bound" "$tmp/mlp" --iterations -1 >"$tmp/bad.out" 2>&1; then
  echo "FAIL: --iterations -1 was accepted"; fail=1
fi
$py - "$tmp" <<'PY' || fail=1
import csv, math, re, sys
tmp = sys.argv[1]
ok = True
rows = list(csv.DictReader(open(f"{tmp}/bounds.csv")))
columns = ["model", "checkpoint", "step", "examples", "iterations", "pairs", "steps", "log10_upper", "upper",
           "jacobian_lower", "pair_lower", "lower", "upper_over_lower"]
if list(rows[0].keys()) != columns or len(rows) != 2:
    print(f"FAIL: CSV columns {list(rows[0].keys())} and {len(rows)} rows; expected {columns} and 2 rows"); sys.exit(1)
for r in rows:
    upper, jac, pair, lower = (float(r[k]) for k in ("upper", "jacobian_lower", "pair_lower", "lower"))
    print(f"{r['model']}: upper {upper:.5g}, jacobian lower {jac:.5g}, pair lower {pair:.5g}, upper/lower {float(r['upper_over_lower']):.4g}")
    if not (jac > 0 and pair > 0 and lower == max(jac, pair) and lower <= upper * (1 + 1e-6)):
        print(f"FAIL: {r['model']}: expected 0 < lower = max(jacobian, pair) <= upper"); ok = False
    if abs(math.log10(upper) - float(r["log10_upper"])) > 1e-6:
        print(f"FAIL: {r['model']}: upper {upper} and log10_upper {r['log10_upper']} disagree"); ok = False
mlp, gpt = rows
if mlp["model"] != "mlp:mnist" or gpt["model"] != "gpt:shakespeare":
    print(f"FAIL: models {mlp['model']}, {gpt['model']}"); ok = False
def final_eval(run):
    return list(csv.DictReader(open(f"{tmp}/{run}/eval.csv")))[-1]
e = final_eval("mlp")
if abs(float(mlp["log10_upper"]) - float(e["log10_bound"])) > 1e-5:
    print(f"FAIL: MLP upper 10^{mlp['log10_upper']}, trainer's final bound 10^{e['log10_bound']}"); ok = False
e = final_eval("gpt")
out = open(f"{tmp}/gpt.out").read()
token_bound = float(re.search(r"certified bound \(tokens -> logits.*?\) ([0-9.e+-]+)", out).group(1))
radius = float(re.search(r"per-position RMS <= ([0-9.e+-]+)", out).group(1))
if abs(token_bound / float(e["bound"]) - 1) > 1e-4:
    print(f"FAIL: transformer certified bound {token_bound}, trainer's final bound {e['bound']}"); ok = False
if abs(radius / float(e["norm_embed"]) - 1) > 1e-4 or abs(float(gpt["upper"]) * radius / token_bound - 1) > 1e-4:
    print(f"FAIL: map bound {gpt['upper']} is not the certified bound {token_bound} / embedding norm {radius}"); ok = False
sys.exit(0 if ok else 1)
PY
exit $fail
