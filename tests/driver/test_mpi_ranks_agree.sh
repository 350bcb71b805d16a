#!/usr/bin/env bash
# Data parallelism does not change the run: the same deck at 1, 2 and 4 MPI ranks (the global
# batch split into 32/16/8 rows per rank) gives training losses at step 20 that agree within 1e-5
# relative (only the floating-point reduction order differs). Prints the numbers.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

$py "$LIP_SOURCE_DIR/tests/driver/synthetic_datasets.py" images "$tmp/tiny.h5" --train 256 --test 32 --seed 1 --label-step 3 --noise 50 || exit 1
cat > "$tmp/deck.in" <<DECK
run.name            ranks
run.steps           20
run.eval_every      1000
data.dataset        mnist
data.file           $tmp/tiny.h5
data.batch_size     32
data.eval_batch_size 32
data.eval_batches   1
model.kind          mlp
model.width         32
model.depth         3
optim.kind          muon
optim.lr            0.1
constraint.method   soft_cap
constraint.w_max    2
DECK

for np in 1 2 4; do
  "$mpiexec" -n $np --oversubscribe "$build/lip_driver" "$tmp/deck.in" --set run.output_dir="$tmp/np$np" \
    >"$tmp/np$np.log" 2>&1 || { echo "FAIL: the run at $np rank(s) failed"; cat "$tmp/np$np.log"; exit 1; }
done
$py - "$tmp" <<'PY'
import sys, csv
d = sys.argv[1]
loss = {}
for np_ in (1, 2, 4):
    rows = list(csv.DictReader(open(f"{d}/np{np_}/train.csv")))
    assert rows[-1]["step"] == "20", rows[-1]
    loss[np_] = [float(r["loss"]) for r in rows]
worst = 0.0
for np_ in (2, 4):
    worst = max(worst, max(abs(a - b) / abs(a) for a, b in zip(loss[1], loss[np_])))
print("loss at step 20: " + ", ".join(f"{n} rank(s) {loss[n][-1]:.9g}" for n in (1, 2, 4)))
print(f"step 1: {loss[1][0]:.9g}; max relative difference to 1 rank over steps 1-20: {worst:.2e} (tolerance 1e-5)")
rel20 = max(abs(loss[1][-1] - loss[n][-1]) / abs(loss[1][-1]) for n in (2, 4))
print(("ok  " if rel20 <= 1e-5 else "FAIL") + f" relative difference at step 20: {rel20:.2e}")
sys.exit(0 if rel20 <= 1e-5 else 1)
PY
