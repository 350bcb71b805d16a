#!/usr/bin/env bash
# Divergence: a run whose loss or gradient becomes NaN/Inf (forced by resuming with SGD at
# optim.lr 1e30) must stop on every rank with one clear error, exit non-zero, and leave every
# checkpoint that existed byte-identical, `latest` naming a checkpoint with finite weights, and no
# checkpoint anywhere holding a non-finite value. At 1 and 2 ranks.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

$py "$LIP_SOURCE_DIR/tests/driver/synthetic_datasets.py" images "$tmp/tiny.h5" --train 96 --test 32 || exit 1
cat > "$tmp/deck.in" <<DECK
run.name            diverge
run.steps           3
data.dataset        mnist
data.file           $tmp/tiny.h5
data.batch_size     16
data.eval_batches   1
model.kind          mlp
model.width         16
model.depth         3
model.zero_init_layer none
optim.kind          sgd
optim.lr            0.01
optim.schedule      none
checkpoint.every    1
checkpoint.keep     20
DECK

for np in 1 2; do
  out="$tmp/np$np"
  launch=("$build/lip_driver")
  [ "$np" = 1 ] || launch=("$mpiexec" -n "$np" --oversubscribe "$build/lip_driver")
  "${launch[@]}" "$tmp/deck.in" --set run.output_dir="$out" >"$tmp/good.log" 2>&1 ||
    { echo "FAIL $np rank(s): the healthy run failed"; cat "$tmp/good.log"; fail=1; continue; }
  before="$(cd "$out" && md5sum checkpoint_*.h5)"
  timeout 120 "${launch[@]}" "$tmp/deck.in" --set run.output_dir="$out" --set run.steps=30 --set optim.lr=1e30 \
    --resume latest >"$tmp/bad.out" 2>"$tmp/bad.err"
  rc=$?
  msg="$(grep -m1 'error' "$tmp/bad.err")"
  if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
    echo "FAIL $np rank(s): exit code $rc after divergence"; cat "$tmp/bad.out" "$tmp/bad.err"; fail=1; continue
  elif ! grep -qE "rank 0: error: step [0-9]+: the (training loss or the gradient|parameters) (is|are) not finite" "$tmp/bad.err"; then
    echo "FAIL $np rank(s): no clear message:"; cat "$tmp/bad.err"; fail=1; continue
  elif [ "$(grep -c 'error' "$tmp/bad.err")" -ne 1 ]; then
    echo "FAIL $np rank(s): expected exactly one error line (all ranks agree, rank 0 reports):"; cat "$tmp/bad.err"; fail=1
  fi
  if ! (cd "$out" && md5sum --quiet -c <<<"$before"); then
    echo "FAIL $np rank(s): a checkpoint that existed before the divergence changed"; fail=1
  fi
  if report="$($py - "$out" <<'PY'
import sys, os, h5py, numpy as np
d = sys.argv[1]
latest = open(os.path.join(d, "latest")).read().strip()
bad = []
for name in sorted(os.listdir(d)):
    if name.startswith("checkpoint_") and name.endswith(".h5"):
        with h5py.File(os.path.join(d, name), "r") as f:
            vals = []
            f.visititems(lambda n, o: vals.append(np.asarray(o[...])) if isinstance(o, h5py.Dataset) else None)
            if not all(np.isfinite(v).all() for v in vals): bad.append(name)
print(f"latest = {latest}; checkpoints {sorted(n for n in os.listdir(d) if n.endswith('.h5'))}; non-finite: {bad or 'none'}")
sys.exit(1 if bad or not os.path.exists(os.path.join(d, latest)) else 0)
PY
)"; then
    echo "ok   $np rank(s): exit $rc, '${msg:0:200}'; $report"
  else
    echo "FAIL $np rank(s): $report"; fail=1
  fi
done
exit $fail
