#!/usr/bin/env bash
# lip_robustness on a real MNIST model (issue 16, "soundness, measured"): the Muon + soft cap
# (sigma_max 3) MLP of inputs/fig3_mnist_muon.in, trained 5 epochs, on 500 test images.
#   1. PGD-l2 with 100 steps and 10 restarts at each example's certified radius (x (1 - 1e-3)) finds
#      no adversarial example: 0 violations among the certified examples.
#   2. Certified accuracy <= PGD robust accuracy at every radius of the grid, and the certificate
#      is not vacuous (certified accuracy > 0.5 at radius 0.5).
#   3. Negative control: a certificate 10x too optimistic (--bound-scale 0.1) produces violations.
#   4. Bad input: a missing run, a directory without checkpoint and bad options end in clear errors
#      and leave no output.
# Skips (77) when the raw MNIST files are not found.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
export OMP_NUM_THREADS=2
source "$src/tests/driver/data_dirs.sh"
prepare_mnist "$tmp/mnist.h5"
run="$tmp/muon"
"$build/lip_driver" "$src/inputs/fig3_mnist_muon.in" --set data.dir="$tmp" --set run.output_dir="$run" \
  --set run.steps=585 --set run.eval_every=585 --set run.progress=false >"$tmp/train.log" 2>&1 \
  || { echo "FAIL: training did not run"; tail -5 "$tmp/train.log"; exit 1; }
grep "^done" "$tmp/train.log"

"$build/lip_robustness" "$run" --data-dir "$tmp" --examples 500 --norms l2 --attacks pgd \
  --eps-l2 0,0.25,0.5,1,1.5,2 --steps 50 --soundness --out "$tmp/sound" >"$tmp/sound.log" 2>&1 \
  || { echo "FAIL: lip_robustness failed"; tail -5 "$tmp/sound.log"; exit 1; }
grep -E "^(certified bound|clean accuracy|soundness)" "$tmp/sound.log"

"$build/lip_robustness" "$run" --data-dir "$tmp" --examples 500 --norms l2 --attacks fgsm --eps-l2 0 \
  --soundness --soundness-steps 20 --soundness-restarts 1 --bound-scale 0.1 --out "$tmp/wrong" \
  >"$tmp/wrong.log" 2>&1 || { echo "FAIL: lip_robustness --bound-scale 0.1 failed"; tail -5 "$tmp/wrong.log"; exit 1; }
grep -E "^soundness" "$tmp/wrong.log" | sed 's/^/negative control: /'

$py - "$tmp" <<'PY' || fail=1
import csv, json, sys
d = sys.argv[1]
ok = True
def check(cond, msg):
    global ok
    if not cond:
        print("FAIL:", msg); ok = False
sound = json.load(open(f"{d}/sound/summary.json"))["soundness"]["l2"]
check(sound["violations"] == 0, f"{sound['violations']} adversarial examples inside certified radii")
check(sound["certified_examples"] >= 400, f"only {sound['certified_examples']} of 500 examples certified")
check(sound["steps"] == 100 and sound["restarts"] == 10, "the soundness attack is not PGD 100 steps x 10 restarts")
for r in csv.DictReader(open(f"{d}/sound/robustness.csv")):
    cert, emp = float(r["certified_accuracy"]), float(r["accuracy"])
    print(f"eps {r['eps']:>5}: PGD accuracy {emp:.3f}  certified {cert:.3f}")
    check(cert <= emp, f"certified accuracy {cert} above PGD accuracy {emp} at eps {r['eps']}")
    if float(r["eps"]) == 0.5:
        check(cert > 0.5, f"certified accuracy {cert} at eps 0.5: the certificate is nearly vacuous")
wrong = json.load(open(f"{d}/wrong/summary.json"))["soundness"]["l2"]
check(wrong["violations"] > 0, "a certificate 10x too optimistic produced no violation: the check cannot fail")
sys.exit(0 if ok else 1)
PY

# Bad input: clear errors, non-zero exit, no output directory.
expect_error() {  # expect_error PATTERN ARGS...
  local pattern="$1"; shift
  if "$build/lip_robustness" "$@" --out "$tmp/bad" >"$tmp/bad.log" 2>&1; then
    echo "FAIL: lip_robustness $* succeeded"; fail=1
  elif ! grep -q -- "$pattern" "$tmp/bad.log"; then
    echo "FAIL: lip_robustness $*: message lacks '$pattern':"; cat "$tmp/bad.log"; fail=1
  fi
  [ ! -e "$tmp/bad" ] || { echo "FAIL: lip_robustness $* left output"; fail=1; rm -rf "$tmp/bad"; }
}
expect_error "does not exist" "$tmp/no_such_run"
expect_error "without a \`latest\` file" "$tmp"
expect_error "is not one of l2, linf" "$run" --data-dir "$tmp" --norms l3
expect_error "not a non-negative number" "$run" --data-dir "$tmp" --eps-l2 0,abc
exit $fail
