#!/usr/bin/env bash
# Driver baselines: the tiny decks in inputs/regression/ run end to end (1 rank, 1 thread) and
# their train.csv / eval.csv are compared column by column with the committed files in
# regression/baselines/ (relative tolerance 1e-4 on every number except timings: float32 results
# may change with the BLAS build's summation order, never by more). A difference names the file,
# column, row and both values. Regenerate after an intended change with
#   LIP_REGENERATE_BASELINES=1 ctest -R test_driver_baselines
# and review the diff of regression/baselines/ like code.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
export OPENBLAS_NUM_THREADS=1
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
for deck in mlp_tiny gpt_tiny; do
  out="$tmp/$deck"
  if ! "$build/lip_driver" "$src/inputs/regression/$deck.in" --set data.dir="$tmp" --set run.output_dir="$out" \
       --set run.progress=false >"$tmp/$deck.log" 2>&1; then
    echo "FAIL $deck: the driver failed"; cat "$tmp/$deck.log"; fail=1; continue
  fi
  for csv in train eval; do
    ref="$src/regression/baselines/${deck}_$csv.csv"
    if [ "${LIP_REGENERATE_BASELINES:-0}" = 1 ]; then
      cp "$out/$csv.csv" "$ref"; echo "regenerated $ref"; continue
    fi
    $py - "$ref" "$out/$csv.csv" <<'PY' || fail=1
import csv, sys
ref, got = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
skip = {"elapsed_s", "samples_per_s", "tokens_per_s"}
assert len(ref) == len(got), f"{sys.argv[1]}: {len(ref)} rows, the run wrote {len(got)}"
worst = 0.0
for i, (r, g) in enumerate(zip(ref, got)):
    for k in r:
        if k in skip: continue
        a, b = float(r[k]), float(g[k])
        rel = abs(a - b) / max(abs(a), 1e-6)
        worst = max(worst, rel)
        if rel > 1e-4:
            sys.exit(f"FAIL {sys.argv[1]}: column {k}, row {i}: baseline {a!r}, run {b!r} (relative difference {rel:.2e} > 1e-4)")
print(f"ok   {sys.argv[1].split('/')[-1]}: {len(ref)} rows, worst relative difference {worst:.2e}")
PY
  done
done
exit $fail
