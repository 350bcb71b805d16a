#!/usr/bin/env bash
# Bad input to lip_driver: each case must print one clear error line naming the file/key and
# what was expected, exit non-zero, and leave no output directory behind.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"

# A tiny valid dataset in the lip_prepare schema, then broken variants of it.
$py - "$tmp" <<'PY'
import sys, h5py, numpy as np
d = sys.argv[1]
def write(name, images_shape=(64, 28, 28, 1), dtype=np.uint8, fmt="lipschitz-image-classification", version=1):
    with h5py.File(f"{d}/{name}", "w") as f:
        f.attrs["format"] = fmt
        f.attrs["version"] = np.int64(version)
        f.attrs["num_classes"] = np.int64(10)
        f.attrs["source"] = "synthetic"
        for split in ("train", "test"):
            g = f.create_group(split)
            g["images"] = np.zeros(images_shape, dtype=dtype)
            g["labels"] = (np.arange(images_shape[0]) % 10).astype(np.uint8)
write("good.h5")
write("wrong_shape.h5", images_shape=(64, 28, 28))
write("wrong_dtype.h5", dtype=np.float32)
write("wrong_format.h5", fmt="something-else")
write("wrong_version.h5", version=7)
PY
cat > "$tmp/base.in" <<'DECK'
run.name        bad_input_case
run.steps       2
data.dataset    mnist
data.batch_size 8
model.kind      mlp
optim.kind      adamw
optim.lr        0.001
DECK

# expect NAME PATTERN ARGS...: run the driver, require failure, the pattern in stderr, one error line.
expect() {
  local name="$1" pattern="$2"
  shift 2
  rm -rf "$tmp/out"
  (cd "$tmp" && OMP_NUM_THREADS=1 "$build/lip_driver" "$@" --set run.output_dir="$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr")
  local rc=$?
  local msg
  msg="$(grep -m1 'error' "$tmp/stderr")"
  if [ $rc -eq 0 ]; then
    echo "FAIL $name: exit code 0"; fail=1
  elif ! grep -qE "$pattern" "$tmp/stderr"; then
    echo "FAIL $name: stderr lacks /$pattern/:"; cat "$tmp/stderr"; fail=1
  elif [ "$(grep -c 'error' "$tmp/stderr")" -ne 1 ]; then
    echo "FAIL $name: expected exactly one error line:"; cat "$tmp/stderr"; fail=1
  elif [ -e "$tmp/out" ]; then
    echo "FAIL $name: left an output directory behind"; fail=1
  else
    echo "ok   $name: $msg"
  fi
}

printf 'optim.lrr 0.1\n' | cat "$tmp/base.in" - >"$tmp/typo.in"
expect "unknown key" "typo.in:[0-9]+: unknown key 'optim.lrr'; did you mean 'optim.lr'" "$tmp/typo.in" --set data.file=good.h5
sed 's/^optim.lr .*/optim.lr fast/' "$tmp/base.in" >"$tmp/nonnumeric.in"
expect "non-numeric value" "nonnumeric.in:[0-9]+: optim.lr expects a number, got 'fast'" "$tmp/nonnumeric.in" --set data.file=good.h5
sed 's/^data.batch_size .*/data.batch_size -4/' "$tmp/base.in" >"$tmp/negative.in"
expect "negative batch size" "negative.in:[0-9]+: data.batch_size .*-4" "$tmp/negative.in" --set data.file=good.h5
expect "missing deck" "nonexistent.in" "$tmp/nonexistent.in"
expect "missing data file" "missing_file.h5" "$tmp/base.in" --set data.file=missing_file.h5 --set data.dir="$tmp"
expect "wrong shape" "wrong_shape.h5.*images" "$tmp/base.in" --set data.file=wrong_shape.h5 --set data.dir="$tmp"
expect "wrong dtype" "wrong_dtype.h5.*(uint8|dtype|type)" "$tmp/base.in" --set data.file=wrong_dtype.h5 --set data.dir="$tmp"
expect "wrong format attribute" "wrong_format.h5.*format" "$tmp/base.in" --set data.file=wrong_format.h5 --set data.dir="$tmp"
expect "wrong version" "wrong_version.h5.*version" "$tmp/base.in" --set data.file=wrong_version.h5 --set data.dir="$tmp"
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
expect "more evaluation batches than the val split holds" \
  "data.eval_batches 100000 exceeds the [0-9]+ distinct evaluation batches of 4 windows.*baseline_chars.h5" \
  "$src/inputs/regression/gpt_tiny.in" --set data.dir="$tmp" --set data.eval_batches=100000

# The good file trains (proves the cases above fail for their stated reason only).
(cd "$tmp" && OMP_NUM_THREADS=1 "$build/lip_driver" "$tmp/base.in" --set data.file=good.h5 --set data.dir="$tmp" \
  --set run.output_dir="$tmp/good_out" >"$tmp/good.log" 2>&1) || { echo "FAIL: the valid deck did not run"; cat "$tmp/good.log"; fail=1; }
[ -f "$tmp/good_out/train.csv" ] && [ -f "$tmp/good_out/deck.resolved" ] || { echo "FAIL: valid run wrote no metrics"; fail=1; }
exit $fail
