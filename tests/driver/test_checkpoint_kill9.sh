#!/usr/bin/env bash
# kill -9 at 10 random moments of a run that writes a checkpoint after every step (so most of its
# time is spent writing them): after every kill `latest` must name a complete checkpoint that
# h5py reads in full (every checksum verified) and that `--resume latest` loads; the next trial
# continues from it. Finally one resumed run trains to the end. Prints how many kills hit a write
# in progress (a `checkpoint_*.h5.tmp` left behind).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

$py "$LIP_SOURCE_DIR/tests/driver/synthetic_datasets.py" images "$tmp/tiny.h5" --train 64 --test 16 --side 28 || exit 1
# ~270k parameters and 3 slabs (AdamW): a ~3 MB checkpoint per step of a batch of 8.
cat > "$tmp/deck.in" <<DECK
run.name            kill9
run.output_dir      $tmp/out
run.steps           1000000
run.eval_every      1000000
run.log_every       1000000
data.dataset        mnist
data.file           $tmp/tiny.h5
data.batch_size     8
data.eval_batches   1
model.kind          mlp
model.width         256
model.depth         3
optim.kind          adamw
optim.lr            0.001
checkpoint.every    1
checkpoint.keep     2
DECK

# verify: `latest` names a checkpoint that h5py reads completely; prints its step.
verify() {
  $py - "$tmp/out" <<'PY'
import sys, os, h5py
d = sys.argv[1]
name = open(os.path.join(d, "latest")).read().strip()
with h5py.File(os.path.join(d, name), "r") as f:
    f.visititems(lambda n, o: o[...] if isinstance(o, h5py.Dataset) else None)
    assert f.attrs["format"] == b"lipschitz-checkpoint", f.attrs["format"]
    print(int(f.attrs["step"]))
PY
}

mid_write=0
expected_step=""
for trial in $(seq 10); do
  resume=(--resume auto)
  "$build/lip_driver" "$tmp/deck.in" "${resume[@]}" >"$tmp/trial.log" 2>&1 &
  pid=$!
  # Let it write at least one checkpoint of its own, then kill at a random moment 0-300 ms later.
  for _ in $(seq 600); do grep -q "^checkpoint: wrote" "$tmp/trial.log" && break; sleep 0.05; done
  sleep "0.$(printf '%03d' $((RANDOM % 300)))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  pid=""
  ls "$tmp/out"/checkpoint_*.h5.tmp >/dev/null 2>&1 && mid_write=$((mid_write + 1))
  if [ -n "$expected_step" ] && ! grep -q "resume: loaded $tmp/out/checkpoint_$(printf '%08d' "$expected_step").h5 (step $expected_step," "$tmp/trial.log"; then
    echo "FAIL trial $trial: did not resume from step $expected_step"; head -20 "$tmp/trial.log"; fail=1
  fi
  if ! step="$(verify 2>&1)"; then
    echo "FAIL trial $trial: latest is not loadable after kill -9: $step"; fail=1; break
  fi
  expected_step="$step"
  echo "trial $trial: killed; latest = step $step"
done

"$build/lip_driver" "$tmp/deck.in" --resume latest --set run.steps=$((expected_step + 2)) >"$tmp/final.log" 2>&1 &&
  grep -q "resume: loaded $tmp/out/checkpoint_$(printf '%08d' "$expected_step").h5" "$tmp/final.log" &&
  grep -q "^done: $((expected_step + 2)) steps" "$tmp/final.log" ||
  { echo "FAIL: the final resume"; cat "$tmp/final.log"; fail=1; }
echo "$mid_write of 10 kills interrupted a checkpoint write (left a .tmp); the previous checkpoint loaded every time"
[ $fail -eq 0 ] && echo "ok   kill -9 at 10 random moments"
exit $fail
