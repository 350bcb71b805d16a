#!/usr/bin/env bash
# certify.target_bound (a certified bound chosen before training), end to end on tiny synthetic data:
#  * refused before training (exit non-zero, one error line naming the key, no output directory):
#    a target below the smallest reachable bound (a fixed head cap and final_scale keep the bound
#    above 0.8), a negative target, a method that does not guarantee its cap (soft_cap), and an
#    explicit constraint.w_max beside the target; each refused deck trains with a reachable target
#    or the method replaced (so the refusals have no other cause);
#  * a tiny MLP (pure_svd, target 3) and a tiny transformer (spectral_clip, target 2) print the
#    solved caps and the worst-case bound at start-up and keep eval.csv's certified bound <= target
#    at every evaluation, with norms measured by exact SVD. Negative controls against a vacuous
#    pass: the bound ends within 1 % of the target (the caps bind), and the same MLP trained without
#    the target (soft cap at 6) ends above it (the check can fail).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
# The regression decks without their constraint.w_max (solved from the target instead).
grep -v '^constraint.w_max' "$src/inputs/regression/mlp_tiny.in" >"$tmp/mlp.in"
grep -v '^constraint.w_max' "$src/inputs/regression/gpt_tiny.in" >"$tmp/gpt.in"

# run NAME OUTDIR DECK ARGS...: the driver on DECK in $tmp, output in $tmp/OUTDIR; returns its exit code.
run() {
  local name="$1" out="$2" deck="$3"
  shift 3
  rm -rf "$tmp/$out"
  (cd "$tmp" && "$build/lip_driver" "$deck" --set data.dir="$tmp" --set run.output_dir="$tmp/$out" \
    --set run.progress=false "$@" >"$tmp/$name.out" 2>"$tmp/$name.err")
}

# refused NAME PATTERN DECK ARGS...: non-zero exit, PATTERN in the one error line, no output directory.
refused() {
  local name="$1" pattern="$2" deck="$3"
  shift 3
  run "$name" refused_out "$deck" "$@"
  local rc=$?
  if [ $rc -eq 0 ]; then
    echo "FAIL $name: exit code 0"; fail=1
  elif ! grep -qE "$pattern" "$tmp/$name.err"; then
    echo "FAIL $name: stderr lacks /$pattern/:"; cat "$tmp/$name.err"; fail=1
  elif [ "$(grep -c 'error' "$tmp/$name.err")" -ne 1 ]; then
    echo "FAIL $name: expected exactly one error line:"; cat "$tmp/$name.err"; fail=1
  elif [ -e "$tmp/refused_out" ] || grep -q '^step ' "$tmp/$name.out"; then
    echo "FAIL $name: trained or left an output directory behind"; fail=1
  else
    echo "ok   $name: $(grep -m1 error "$tmp/$name.err")"
  fi
}

# trains NAME DECK ARGS...: the control run of a refused case finishes (a few steps).
trains() {
  local name="$1" deck="$2"
  shift 2
  run "$name" control_out "$deck" --set run.steps=2 "$@" ||
    { echo "FAIL $name: the control run failed:"; tail -3 "$tmp/$name.err"; fail=1; return; }
  echo "ok   $name: trains"
}

# Smallest reachable with the head fixed at 0.5 and final_scale 4: (1 - 1/4)^4 * 0.5 * 4 = 0.63.
fixed_head=(--set constraint.method=spectral_clip --set constraint.head_w_max=0.5 --set model.final_scale=4)
refused "unreachable target" \
  "certify.target_bound 0.5 cannot be reached: the smallest certified bound this deck can reach is 6\.32" \
  "$tmp/gpt.in" "${fixed_head[@]}" --set certify.target_bound=0.5
trains "reachable target, same deck" "$tmp/gpt.in" "${fixed_head[@]}" --set certify.target_bound=0.7
refused "negative target" "certify.target_bound .*-2" "$tmp/mlp.in" --set constraint.method=pure_svd \
  --set certify.target_bound=-2
refused "method without a cap guarantee" \
  "certify.target_bound needs a constraint.method .*\(orthogonal, spectral_clip, pure_svd\), got constraint.method soft_cap" \
  "$tmp/mlp.in" --set certify.target_bound=3
trains "guaranteed method, same deck" "$tmp/mlp.in" --set certify.target_bound=3 --set constraint.method=pure_svd
refused "explicit constraint.w_max" "constraint.w_max 2 is solved from certify.target_bound 3" \
  "$tmp/mlp.in" --set constraint.method=pure_svd --set certify.target_bound=3 --set constraint.w_max=2

# check_bound NAME RUN TARGET [above]: eval.csv's bound <= TARGET at every evaluation and the last
# within 1 % of it; with `above`, the last bound must exceed TARGET instead (negative control).
check_bound() {
  $py - "$tmp/$2/eval.csv" "$3" "${4:-}" "$1" <<'PY' || fail=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
target, mode, name = float(sys.argv[2]), sys.argv[3], sys.argv[4]
bounds = [float(r["bound"]) for r in rows]
print(f"{name}: certified bound at steps {[int(r['step']) for r in rows]}: {[f'{b:.6g}' for b in bounds]} (target {target:g})")
if mode == "above":
    sys.exit(0 if bounds[-1] > target else print(f"FAIL {name}: the control never exceeded the target") or 1)
bad = [b for b in bounds if not b <= target]
if bad: print(f"FAIL {name}: bound above the target: {bad}")
if bounds[-1] < 0.99 * target: print(f"FAIL {name}: final bound {bounds[-1]:.6g} not within 1 % of the target (caps never bound)")
sys.exit(1 if bad or bounds[-1] < 0.99 * target else 0)
PY
}

run mlp_target mlp_target "$tmp/mlp.in" --set constraint.method=pure_svd --set certify.target_bound=3 \
  --set run.steps=30 --set run.eval_every=3 --set optim.lr=1 ||
  { echo "FAIL: the MLP run failed"; tail -5 "$tmp/mlp_target.err"; fail=1; }
grep -A3 '^certify.target_bound 3: constraint.w_max solved = 1.44224' "$tmp/mlp_target.out" |
  grep -q 'worst-case certified bound 3.0000e+00' ||
  { echo "FAIL: the MLP run did not print the solved caps and the worst-case bound"; fail=1; }
check_bound "MLP, pure_svd, target 3" mlp_target 3
# The run's own deck (deck.resolved, as stored in its checkpoints) opens again: the keys it left at
# their defaults, constraint.w_max among them, are not read back as set beside the target.
"$build/lip_lower_bound" "$tmp/mlp_target" --data-dir "$tmp" --examples 2 --iterations 2 --pairs 2 --steps 2 \
  >"$tmp/reopen.out" 2>&1 || { echo "FAIL: the target run's checkpoint does not open again:"; cat "$tmp/reopen.out"; fail=1; }
run mlp_control mlp_control "$tmp/mlp.in" --set constraint.w_max=6 --set run.steps=30 --set run.eval_every=3 \
  --set optim.lr=1 || { echo "FAIL: the MLP control run failed"; tail -5 "$tmp/mlp_control.err"; fail=1; }
check_bound "MLP control, soft cap 6, no target" mlp_control 3 above

run gpt_target gpt_target "$tmp/gpt.in" --set constraint.method=spectral_clip --set certify.target_bound=2 \
  --set run.steps=20 --set optim.lr=0.5 --set optim.head.lr=5 ||
  { echo "FAIL: the transformer run failed"; tail -5 "$tmp/gpt_target.err"; fail=1; }
grep -q 'worst-case certified bound 2.0000e+00' "$tmp/gpt_target.out" ||
  { echo "FAIL: the transformer run did not print the worst-case bound"; fail=1; }
check_bound "transformer, spectral_clip, target 2" gpt_target 2
exit $fail
