#!/usr/bin/env bash
# End-to-end targets on real MNIST (issues 2 and 3), 5 epochs each (about a minute on 2 cores):
#   inputs/mnist_mlp.in (AdamW)                  test accuracy >= 0.97, prints its certified bound
#   inputs/mnist_mlp_muon_softcap.in (Muon+cap)  accuracy within 0.01 of AdamW, bound <= 1/10 of
#                                                AdamW's, every logged layer norm <= 6 (1 + 1e-3)
# Skips (77) when the raw MNIST files are not found.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
export OMP_NUM_THREADS=2
source "$src/tests/driver/data_dirs.sh"
prepare_mnist "$tmp/mnist.h5"
for deck in mnist_mlp mnist_mlp_muon_softcap; do
  "$build/lip_driver" "$src/inputs/$deck.in" --set data.dir="$tmp" --set run.output_dir="$tmp/$deck" \
    --set run.progress=false >"$tmp/$deck.log" 2>&1 || { echo "FAIL: $deck did not run"; tail -5 "$tmp/$deck.log"; exit 1; }
  grep -E "^done" "$tmp/$deck.log"
done
$py - "$tmp" <<'PY'
import csv, sys
d = sys.argv[1]
base = list(csv.DictReader(open(f"{d}/mnist_mlp/eval.csv")))[-1]
muon_rows = list(csv.DictReader(open(f"{d}/mnist_mlp_muon_softcap/eval.csv")))
muon = muon_rows[-1]
acc_a, acc_m = float(base["eval_accuracy"]), float(muon["eval_accuracy"])
bound_a, bound_m = float(base["bound"]), float(muon["bound"])
worst = max(float(r[k]) for r in muon_rows for k in r if k.startswith("norm_"))
print(f"AdamW acc {acc_a:.4f} bound {bound_a:.4g}; Muon+soft cap acc {acc_m:.4f} bound {bound_m:.4g} "
      f"(ratio {bound_m / bound_a:.3f}); largest logged norm {worst:.4f}")
ok = True
for cond, msg in ((acc_a >= 0.97, "AdamW accuracy below 0.97"),
                  (acc_m >= acc_a - 0.01, "Muon + soft cap more than 1 point below AdamW"),
                  (bound_m <= bound_a / 10, "Muon + soft cap bound above 1/10 of AdamW's"),
                  (worst <= 6 * 1.001, "a logged layer norm exceeds w_max (1 + 1e-3)")):
    if not cond:
        print("FAIL:", msg); ok = False
sys.exit(0 if ok else 1)
PY
