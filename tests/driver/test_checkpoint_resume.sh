#!/usr/bin/env bash
# Bitwise resume (docs/FORMATS.md, Checkpoints): 2N straight steps versus N steps, stop
# (--stop-at), `--resume latest`, N more steps must give bit-identical parameters and optimizer
# state: an MLP with Muon + soft cap at 1 and 2 MPI ranks and with AdamW at 1 rank, and a tiny GPT at
# 1 rank (token cursor; Muon + AdamW embedding). Then the refusals at the
# driver level: a deck whose model differs, `--resume latest` without a checkpoint, a truncated and
# a byte-flipped checkpoint; `--resume auto` starting fresh; scripts/plot_singular_values.py on the result.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${LIP_SOURCE_DIR:?}"

# A tiny synthetic image dataset (8x8 pixels, class-dependent mean) in the lip_prepare schema.
$py "$LIP_SOURCE_DIR/tests/driver/synthetic_datasets.py" images "$tmp/tiny.h5" --train 96 --test 32 --label-step 7 --noise 40 || exit 1
cat > "$tmp/muon.in" <<DECK
run.name            resume
run.steps           8
run.eval_every      3
data.dataset        mnist
data.file           $tmp/tiny.h5
data.batch_size     16
data.eval_batches   2
model.kind          mlp
model.width         24
model.depth         3
optim.kind          muon
optim.lr            0.1
constraint.method   soft_cap
constraint.w_max    2
checkpoint.every    4
checkpoint.keep     5
DECK
sed -e 's/^optim.kind .*/optim.kind adamw/' -e 's/^optim.lr .*/optim.lr 0.01/' -e 's/^constraint.method .*/constraint.method spec_wd/' \
  "$tmp/muon.in" >"$tmp/adamw.in"

run() {  # run NP LOG ARGS...: lip_driver at NP ranks (NP=1: no mpiexec)
  local np="$1" log="$2"
  shift 2
  if [ "$np" = 1 ]; then
    "$build/lip_driver" "$@" >"$log" 2>&1
  else
    "$mpiexec" -n "$np" --oversubscribe "$build/lip_driver" "$@" >"$log" 2>&1
  fi
}

# same_state A B: every dataset (parameters, optimizer state) and the step/cursor attributes equal bit for bit.
same_state() {
  $py - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
bad = [n for n in names if n not in b or a[n].dtype != b[n].dtype or a[n][...].tobytes() != b[n][...].tobytes()]
for k in ("step", "data_epoch", "data_position"):
    if a.attrs[k] != b.attrs[k]: bad.append(f"attribute {k}: {a.attrs[k]} vs {b.attrs[k]}")
print(f"{len(names)} datasets compared bit for bit" + ("" if not bad else "; DIFFER: " + ", ".join(bad)))
sys.exit(1 if bad else 0)
PY
}

for config in "1 muon" "1 adamw" "2 muon"; do
  read -r np opt <<<"$config"
  case="$opt at $np rank(s)"
  straight="$tmp/${opt}_np${np}_straight" split="$tmp/${opt}_np${np}_split"
  run "$np" "$tmp/straight.log" "$tmp/$opt.in" --set run.output_dir="$straight" ||
    { echo "FAIL $case: straight run"; cat "$tmp/straight.log"; fail=1; continue; }
  run "$np" "$tmp/stop.log" "$tmp/$opt.in" --set run.output_dir="$split" --stop-at 3 ||
    { echo "FAIL $case: run stopped at 3"; cat "$tmp/stop.log"; fail=1; continue; }
  grep -q "stopped: reached --stop-at; finished step 3/8" "$tmp/stop.log" ||
    { echo "FAIL $case: no stop message"; cat "$tmp/stop.log"; fail=1; }
  run "$np" "$tmp/resume.log" "$tmp/$opt.in" --set run.output_dir="$split" --resume latest ||
    { echo "FAIL $case: resume"; cat "$tmp/resume.log"; fail=1; continue; }
  grep -q "resume: loaded $split/checkpoint_00000003.h5 (step 3, data epoch 0 batch 3" "$tmp/resume.log" ||
    { echo "FAIL $case: no resume line"; cat "$tmp/resume.log"; fail=1; }
  msg="" msg4=""
  if msg="$(same_state "$straight/checkpoint_00000008.h5" "$split/checkpoint_00000008.h5")" &&
     msg4="$(same_state "$straight/checkpoint_00000004.h5" "$split/checkpoint_00000004.h5")"; then
    echo "ok   bitwise resume, $case (8 straight vs 3 + stop + resume + 5): $msg"
  else
    echo "FAIL bitwise resume, $case: step 8: $msg; step 4: ${msg4:-}"; fail=1
  fi
  # The resumed run's metrics continue the stopped run's: the same loss column as the straight run.
  if ! cmp -s <(cut -d, -f1-3 "$straight/train.csv") <(cut -d, -f1-3 "$split/train.csv"); then
    echo "FAIL $case: train.csv (step, loss, accuracy) differs from the straight run"
    diff <(cut -d, -f1-3 "$straight/train.csv") <(cut -d, -f1-3 "$split/train.csv"); fail=1
  fi
done

# ---- the transformer: token cursor, Muon for matrices and AdamW for the embedding (1 rank) ----
$py - "$tmp/chars.h5" <<'PY'
import sys, h5py, numpy as np
vocab = "abcdefgh\n "
ids = np.random.default_rng(0).integers(0, len(vocab), 1200).astype(np.uint16)
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["format"], f.attrs["version"], f.attrs["source"] = "lipschitz-char-tokens", np.int64(1), "synthetic"
    f.attrs["vocabulary"], f.attrs["vocab_size"] = vocab, np.int64(len(vocab))
    for split, part in (("train", ids[:1000]), ("val", ids[1000:])):
        g = f.create_group(split)
        g["tokens"] = part
        g.attrs["count"] = np.int64(len(part))
PY
cat > "$tmp/gpt.in" <<DECK
run.steps           6
run.eval_every      3
data.dataset        shakespeare
data.file           $tmp/chars.h5
data.batch_size     4
data.eval_batches   1
model.kind          gpt
model.width         16
model.depth         2
model.heads         2
model.seq_len       16
optim.kind          muon
optim.lr            0.05
optim.embed.kind    adamw
optim.embed.lr      0.01
constraint.method   soft_cap
DECK
if run 1 "$tmp/g1.log" "$tmp/gpt.in" --set run.output_dir="$tmp/gpt_straight" &&
   run 1 "$tmp/g2.log" "$tmp/gpt.in" --set run.output_dir="$tmp/gpt_split" --stop-at 2 &&
   run 1 "$tmp/g3.log" "$tmp/gpt.in" --set run.output_dir="$tmp/gpt_split" --resume latest &&
   msg="$(same_state "$tmp/gpt_straight/checkpoint_00000006.h5" "$tmp/gpt_split/checkpoint_00000006.h5")"; then
  echo "ok   bitwise resume, gpt at 1 rank (6 straight vs 2 + stop + resume + 4): $msg"
else
  echo "FAIL bitwise resume, gpt: ${msg:-a run failed}"; cat "$tmp/g1.log" "$tmp/g2.log" "$tmp/g3.log"; fail=1
fi

# ---- refusals ------------------------------------------------------------------------------
ck="$tmp/muon_np1_straight/checkpoint_00000004.h5"
# expect NAME PATTERN ARGS...: the driver fails, prints PATTERN and exactly one error line.
expect() {
  local name="$1" pattern="$2"
  shift 2
  "$build/lip_driver" "$@" >"$tmp/out.log" 2>"$tmp/err.log"
  local rc=$?
  if [ $rc -eq 0 ]; then
    echo "FAIL $name: exit code 0"; fail=1
  elif ! grep -qE -- "$pattern" "$tmp/err.log"; then
    echo "FAIL $name: stderr lacks /$pattern/:"; cat "$tmp/err.log"; fail=1
  elif [ "$(grep -c 'error' "$tmp/err.log")" -ne 1 ]; then
    echo "FAIL $name: expected exactly one error line:"; cat "$tmp/err.log"; fail=1
  else
    echo "ok   $name: $(grep -m1 error "$tmp/err.log" | cut -c1-220)"
  fi
}
expect "other model width" "tensor 0 'mlp_in': expected shape \[32, 64\], found \[24, 64\]" \
  "$tmp/muon.in" --set model.width=32 --set run.output_dir="$tmp/x" --resume "$ck"
expect "other optimizer" "no optimizer state 'second_moment'" \
  "$tmp/adamw.in" --set run.output_dir="$tmp/x" --resume "$ck"
expect "resume latest without a checkpoint" "$tmp/empty/latest does not exist" \
  "$tmp/muon.in" --set run.output_dir="$tmp/empty" --resume latest
size=$(stat -c %s "$ck")
head -c $((size / 2)) "$ck" >"$tmp/truncated.h5"
expect "truncated checkpoint" "truncated.h5.*(truncated|eof)" "$tmp/muon.in" --set run.output_dir="$tmp/x" --resume "$tmp/truncated.h5"
# Flip one byte inside the stored bytes of the last parameter tensor.
$py - "$ck" "$tmp/flipped.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    name = sorted(f["params"])[-1]
    off = f["params"][name].id.get_chunk_info(0).byte_offset
data = bytearray(open(sys.argv[1], "rb").read())
data[off + 5] ^= 0x40
open(sys.argv[2], "wb").write(data)
PY
expect "byte-flipped checkpoint" "flipped.h5.*Fletcher" "$tmp/muon.in" --set run.output_dir="$tmp/x" --resume "$tmp/flipped.h5"

"$build/lip_driver" "$tmp/muon.in" --set run.output_dir="$tmp/fresh" --set run.steps=2 --resume auto >"$tmp/auto.log" 2>&1 &&
  grep -q "resume: no checkpoint in $tmp/fresh yet; starting from step 0" "$tmp/auto.log" &&
  [ -f "$tmp/fresh/checkpoint_00000002.h5" ] && echo "ok   --resume auto without a checkpoint starts fresh" ||
  { echo "FAIL --resume auto"; cat "$tmp/auto.log"; fail=1; }

# scripts/plot_singular_values.py reads a checkpoint (a run directory: its `latest`) with h5py.
if $py -c 'import matplotlib' 2>/dev/null; then
  if line="$($py "$LIP_SOURCE_DIR/scripts/plot_singular_values.py" "$tmp/muon_np1_split" --tensor mlp_0 --out "$tmp/sv.png" 2>&1)" &&
     [ -s "$tmp/sv.png" ]; then
    echo "ok   plot_singular_values.py: $line"
  else
    echo "FAIL plot_singular_values.py: $line"; fail=1
  fi
fi
exit $fail
