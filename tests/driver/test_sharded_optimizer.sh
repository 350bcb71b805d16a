#!/usr/bin/env bash
# Sharded optimizer (optim.sharded, optim/shard_plan.hpp): each rank owns a run of tensors, updates
# and projects only those and all-gathers the parameters. Checks, on the Shakespeare deck (tiny
# Shakespeare when the data are found, else a synthetic text; widths of the deck, shorter windows
# and batches) and the MNIST deck (synthetic 28x28 images):
#   1. after 20 steps the parameters and optimizer state are bit for bit those of the replicated
#      optimizer (optim.sharded false) at 1, 2 and 4 ranks (h5diff of the checkpoints);
#   2. a checkpoint written sharded at 2 ranks equals, bit for bit, the one written replicated
#      (the state is gathered into the unchanged format);
#   3. that checkpoint resumes at 4 ranks sharded and replicated to the same parameters bit for bit
#      (the state is cut anew), and at 1 rank to a loss within 1e-5 of the straight 2-rank run;
#   and, as a negative control, that the comparison sees the difference of one more step.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$LIP_SOURCE_DIR/tests/driver/data_dirs.sh"
src="${LIP_SOURCE_DIR:?}"
export OPENBLAS_NUM_THREADS=1

raw="$(find_data_dir shakespeare input.txt)"
if [ -n "$raw" ]; then
  "$build/lip_prepare" shakespeare --raw "$raw" --out "$tmp/chars.h5" >/dev/null || exit 1
else
  $py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" && mv "$tmp/baseline_chars.h5" "$tmp/chars.h5"
fi
$py "$src/tests/driver/synthetic_datasets.py" images "$tmp/images.h5" --train 512 --test 64 --side 28 --seed 3 \
  --label-step 3 --noise 40 || exit 1

gpt_args=(--set data.file="$tmp/chars.h5" --set model.seq_len=32 --set data.batch_size=8 --set data.eval_batch_size=8
          --set data.eval_batches=1 --set run.eval_every=1000 --set run.log_every=1 --set checkpoint.every=10
          --set checkpoint.keep=10 --set run.steps=20 --set run.progress=false)
mlp_args=(--set data.file="$tmp/images.h5" --set data.batch_size=64 --set data.eval_batch_size=64
          --set data.eval_batches=1 --set run.eval_every=1000 --set run.log_every=1 --set checkpoint.every=10
          --set checkpoint.keep=10 --set run.steps=20 --set run.progress=false)

# run NAME NP SHARDED DECK ARGS... : trains into $tmp/NAME
run() {
  local name=$1 np=$2 sharded=$3 deck=$4; shift 4
  "$mpiexec" -n "$np" --oversubscribe "$build/lip_driver" "$src/inputs/$deck" "$@" --set optim.sharded="$sharded" \
    --set run.output_dir="$tmp/$name" >"$tmp/$name.log" 2>&1 || { echo "FAIL: $name"; cat "$tmp/$name.log"; exit 1; }
}
# same A B STEP: parameters and optimizer state of two checkpoints are identical
same() {
  local a="$tmp/$1/checkpoint_$(printf %08d "$3").h5" b="$tmp/$2/checkpoint_$(printf %08d "$3").h5"
  if h5diff -q "$a" "$b" /params /params && h5diff -q "$a" "$b" /optimizer /optimizer; then
    echo "ok   $1 = $2 at step $3 (parameters and optimizer state bit for bit)"
  else
    echo "FAIL $1 != $2 at step $3:"; h5diff -r "$a" "$b" /params /params | head -5; fail=1
  fi
}

for deck in gpt mlp; do
  if [ $deck = gpt ]; then file=shakespeare.in; args=("${gpt_args[@]}"); else file=mnist_mlp_muon_softcap.in; args=("${mlp_args[@]}"); fi
  for np in 1 2 4; do
    run ${deck}_np${np}_sharded $np true $file "${args[@]}"
    run ${deck}_np${np}_replicated $np false $file "${args[@]}"
    same ${deck}_np${np}_sharded ${deck}_np${np}_replicated 20
  done
  grep -q "optimizer: sharded over 4 ranks" "$tmp/${deck}_np4_sharded.log" ||
    { echo "FAIL: the 4-rank run did not report its shards"; cat "$tmp/${deck}_np4_sharded.log"; fail=1; }
  # negative control: one step apart, the same comparison must see a difference
  if h5diff -q "$tmp/${deck}_np2_sharded/checkpoint_00000010.h5" "$tmp/${deck}_np2_sharded/checkpoint_00000020.h5" \
       /params /params >/dev/null 2>&1; then
    echo "FAIL: checkpoints of steps 10 and 20 compare equal: the comparison cannot fail"; fail=1
  fi
  # 2. written at step 10 by 2 sharded ranks (gathered) = written by 2 replicated ranks
  same ${deck}_np2_sharded ${deck}_np2_replicated 10
  # 3. resumed from the sharded 2-rank checkpoint at another rank count
  for np in 4 1; do
    for sharded in true false; do
      name=${deck}_resume_np${np}_$sharded
      mkdir -p "$tmp/$name"
      run $name $np $sharded $file "${args[@]}" --resume "$tmp/${deck}_np2_sharded/checkpoint_00000010.h5"
    done
    same ${deck}_resume_np${np}_true ${deck}_resume_np${np}_false 20
  done
  $py - "$tmp/${deck}_np2_sharded/train.csv" "$tmp/${deck}_resume_np1_true/train.csv" <<'PY' || fail=1
import csv, sys
straight, resumed = ({int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(p))} for p in sys.argv[1:3])
rel = abs(straight[20] - resumed[20]) / abs(straight[20])
print(("ok  " if rel <= 1e-5 else "FAIL") + f" loss at step 20: 2 ranks straight {straight[20]:.9g}, resumed at 1 rank"
      f" {resumed[20]:.9g} (relative {rel:.1e}, tolerance 1e-5)")
sys.exit(0 if rel <= 1e-5 else 1)
PY
done
exit $fail
