#!/usr/bin/env bash
# metrics.bound_table: the per-stage budget of the certified bound.
#  * transformer (final_scale 2, residual_scale 1.5, so both enter the recursion): at every
#    evaluation the stages of bound_table.csv are embed, block<p>.attn, block<p>.mlp, head, the
#    last equals eval.csv's log10_bound, and every stage matches the independent recursion
#    gpt_bound_paper_stages of regression/reference/lipschitz_reference.py run on eval.csv's norms;
#  * MLP: the stages are the cumulative products of the layer norms, final_scale with the last;
#  * the budget is printed after the run, and without the key no bound_table.csv is written;
#  * a finished run resumed at run.steps with the key (the way to get the table for an existing
#    checkpoint) writes the table once and replaces, not repeats, its final eval.csv row.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py -c 'import torch' 2>/dev/null || { echo "SKIP: $py lacks torch (the reference recursion)"; exit 77; }
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
run() {  # run NAME DECK [--set ...]
  local name="$1" deck="$2"; shift 2
  "$build/lip_driver" "$src/inputs/regression/$deck" --set data.dir="$tmp" --set run.output_dir="$tmp/$name" \
    --set run.progress=false "$@" >"$tmp/$name.log" 2>&1 || { echo "FAIL: $name: the driver failed"; tail -5 "$tmp/$name.log"; exit 1; }
}
run gpt gpt_tiny.in --set metrics.bound_table=true --set model.final_scale=2 --set model.residual_scale=1.5
run mlp mlp_tiny.in --set metrics.bound_table=true --set model.final_scale=3
run plain mlp_tiny.in
grep -q "certified bound budget at step 10" "$tmp/gpt.log" || { echo "FAIL: the transformer's budget was not printed"; fail=1; }
grep -q "certified bound budget at step 12" "$tmp/mlp.log" || { echo "FAIL: the MLP's budget was not printed"; fail=1; }
[ ! -e "$tmp/plain/bound_table.csv" ] || { echo "FAIL: bound_table.csv written without metrics.bound_table"; fail=1; }
cp "$tmp/plain/eval.csv" "$tmp/plain_eval_before.csv"
run plain mlp_tiny.in --set metrics.bound_table=true --resume latest
$py - "$tmp/plain_eval_before.csv" "$tmp/plain" <<'PY' || fail=1
import csv, sys
before = list(csv.DictReader(open(sys.argv[1])))
after = list(csv.DictReader(open(f"{sys.argv[2]}/eval.csv")))
table = list(csv.DictReader(open(f"{sys.argv[2]}/bound_table.csv")))
steps = [r["step"] for r in after]
ok = steps == [r["step"] for r in before] and after[-1]["log10_bound"] == before[-1]["log10_bound"]
ok = ok and [r["step"] for r in table] == [steps[-1]] and table[0][list(table[0])[-1]] == after[-1]["log10_bound"]
print(f"resume at run.steps: eval.csv steps {steps} (before {[r['step'] for r in before]}), bound_table.csv steps {[r['step'] for r in table]}")
sys.exit(0 if ok else 1)
PY
PYTHONPATH="$src/regression/reference" $py - "$tmp" <<'PY' || fail=1
import csv, math, sys
import lipschitz_reference as ref
tmp = sys.argv[1]
ok = True

def rows(path):
    return list(csv.DictReader(open(path)))

cfg = ref.GptConfig(num_blocks=2, final_scale=2.0, residual_scale=1.5)
names = ref.gpt_names(cfg)
evals, table = rows(f"{tmp}/gpt/eval.csv"), rows(f"{tmp}/gpt/bound_table.csv")
expected_columns = ["step", "log10_embed"] + [f"log10_block{p}.{b}" for p in range(2) for b in ("attn", "mlp")] + ["log10_head"]
if list(table[0].keys()) != expected_columns:
    print(f"FAIL: transformer columns {list(table[0].keys())}, expected {expected_columns}"); ok = False
if [r["step"] for r in table] != [r["step"] for r in evals]:
    print("FAIL: bound_table.csv and eval.csv were written at different steps"); ok = False
for e, t in zip(evals, table):
    norms = [float(e["norm_" + n]) for n in names]
    if float(t["log10_head"]) != float(e["log10_bound"]):
        print(f"FAIL: step {e['step']}: head stage {t['log10_head']} != log10_bound {e['log10_bound']}"); ok = False
    for stage, value in ref.gpt_bound_paper_stages(cfg, norms):
        got = float(t["log10_" + stage])
        want = math.log10(value) if value > 0 else -math.inf
        if not (got == want or abs(got - want) <= 1e-6):
            print(f"FAIL: step {e['step']}: {stage}: C++ {got!r}, reference {want!r}"); ok = False
print(f"transformer: {len(table)} evaluations x {len(expected_columns) - 1} stages match the reference recursion")

evals, table = rows(f"{tmp}/mlp/eval.csv"), rows(f"{tmp}/mlp/bound_table.csv")
layers = [k[5:] for k in evals[0] if k.startswith("norm_")]
for e, t in zip(evals, table):
    running = 0.0
    for i, name in enumerate(layers):
        running += math.log10(float(e["norm_" + name])) + (math.log10(3.0) if i == len(layers) - 1 else 0.0)
        got = float(t["log10_" + name])
        if abs(got - running) > 1e-6:
            print(f"FAIL: MLP step {e['step']}: {name}: {got!r}, cumulative product {running!r}"); ok = False
    if float(t["log10_" + layers[-1]]) != float(e["log10_bound"]):
        print(f"FAIL: MLP step {e['step']}: last stage != log10_bound"); ok = False
print(f"MLP: {len(table)} evaluations x {len(layers)} layers are the cumulative products")
sys.exit(0 if ok else 1)
PY
exit $fail
