#!/usr/bin/env bash
# lip_generate end to end, on a tiny transformer trained here (inputs/regression/gpt_tiny.in):
#  * greedy decoding (--temperature 0) follows the independent PyTorch forward of
#    regression/reference/lipschitz_reference.py run on the checkpoint's weights: every generated
#    character is the reference's argmax over the last seq_len characters (to float32 rounding);
#  * stdout is exactly the prompt and --length characters of the vocabulary on one line, also with
#    OMP_PROC_BIND unset (Kokkos' start-up warning must not land in the text), and --help likewise;
#  * sampling is reproducible per --seed, changes with it, and --top-k 1 equals greedy decoding;
#  * a prompt character outside the vocabulary and a run directory without `latest` are refused
#    with an error naming them, and nothing is printed on stdout.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py -c 'import torch' 2>/dev/null || { echo "SKIP: $py lacks torch (the reference forward)"; exit 77; }
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
"$build/lip_driver" "$src/inputs/regression/gpt_tiny.in" --set data.dir="$tmp" --set run.output_dir="$tmp/gpt" \
  --set run.steps=60 --set run.eval_every=60 --set run.progress=false >"$tmp/train.log" 2>&1 \
  || { echo "FAIL: training the tiny model failed"; tail -5 "$tmp/train.log"; exit 1; }

gen() {  # gen NAME ARGS...: stdout to NAME.out, stderr to NAME.err, OMP_PROC_BIND unset
  local name="$1"; shift
  env -u OMP_PROC_BIND "$build/lip_generate" "$tmp/gpt" --data-dir "$tmp" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
prompt="to be or"
gen greedy --prompt "$prompt" --length 40 --temperature 0 || { echo "FAIL: greedy generation failed"; cat "$tmp/greedy.err"; exit 1; }
gen sample_a --prompt "$prompt" --length 60 --temperature 1.5 --seed 7 || fail=1
gen sample_b --prompt "$prompt" --length 60 --temperature 1.5 --seed 7 || fail=1
gen sample_c --prompt "$prompt" --length 60 --temperature 1.5 --seed 8 || fail=1
gen top1 --prompt "$prompt" --length 40 --temperature 1.5 --top-k 1 --seed 7 || fail=1
cmp -s "$tmp/sample_a.out" "$tmp/sample_b.out" || { echo "FAIL: the same seed gave different samples"; fail=1; }
cmp -s "$tmp/sample_a.out" "$tmp/sample_c.out" && { echo "FAIL: seeds 7 and 8 gave the same 60 characters"; fail=1; }
cmp -s "$tmp/greedy.out" "$tmp/top1.out" || { echo "FAIL: --top-k 1 differs from greedy decoding"; fail=1; }

env -u OMP_PROC_BIND "$build/lip_generate" --help >"$tmp/help.out" 2>&1 || { echo "FAIL: --help failed"; fail=1; }
grep -q -- "--temperature" "$tmp/help.out" || { echo "FAIL: --help does not describe --temperature"; fail=1; }
grep -qi "warning" "$tmp/help.out" && { echo "FAIL: --help printed a warning:"; head -3 "$tmp/help.out"; fail=1; }

if gen bad_char --prompt "to bZ" --length 5; then echo "FAIL: a prompt character outside the vocabulary was accepted"; fail=1; fi
grep -q "prompt character 'Z' is not in the model's vocabulary" "$tmp/bad_char.err" || { echo "FAIL: bad prompt error: $(cat "$tmp/bad_char.err")"; fail=1; }
[ ! -s "$tmp/bad_char.out" ] || { echo "FAIL: stdout not empty after a refused prompt"; fail=1; }
mkdir "$tmp/empty_run"
if env -u OMP_PROC_BIND "$build/lip_generate" "$tmp/empty_run" >"$tmp/no_latest.out" 2>"$tmp/no_latest.err"; then
  echo "FAIL: a run directory without checkpoints was accepted"; fail=1
fi
grep -q "empty_run is a directory without a \`latest\` file" "$tmp/no_latest.err" || { echo "FAIL: missing-latest error: $(cat "$tmp/no_latest.err")"; fail=1; }

PYTHONPATH="$src/regression/reference" $py - "$tmp" "$prompt" <<'PY' || fail=1
import sys
import h5py, torch
import lipschitz_reference as ref

tmp, prompt = sys.argv[1], sys.argv[2]
run = f"{tmp}/gpt"
ok = True
def text_attr(obj, key):
    value = obj.attrs[key]
    return value.decode() if isinstance(value, bytes) else str(value)

with h5py.File(f"{run}/" + open(f"{run}/latest").read().strip()) as f:
    deck = {p[0]: p[1] for p in (line.split() for line in text_attr(f, "deck").splitlines()) if len(p) >= 2}
    names = text_attr(f, "tensor_names").splitlines()
    weights = [torch.tensor(f["params"][f"{i}_{n}"][...], dtype=torch.float64) for i, n in enumerate(names)]
with h5py.File(f"{tmp}/baseline_chars.h5") as f:
    vocab = text_attr(f, "vocabulary")
assert deck["model.rope"] == "textbook" and float(deck["model.rope_base"]) == 0 and deck["model.gelu"] == "tanh", deck
assert deck["model.norm"] == "none" and deck["model.unembed"] == "false", deck
depth = int(deck["model.depth"])
cfg = ref.GptConfig(vocab_size=len(vocab), seq_len=int(deck["model.seq_len"]), width=int(deck["model.width"]),
                    mlp_hidden=weights[5].shape[0], num_heads=int(deck["model.heads"]), num_blocks=depth,
                    softmax_scale=float(deck["model.softmax_scale"]), residual_scale=float(deck["model.residual_scale"]),
                    final_scale=float(deck["model.final_scale"]), rope_base=10000.0)
if names != ref.gpt_names(cfg):
    print(f"FAIL: checkpoint tensors {names}, reference order {ref.gpt_names(cfg)}"); sys.exit(1)

for name in ["greedy", "sample_a", "sample_c", "top1"]:
    out = open(f"{tmp}/{name}.out").read()
    length = 60 if name.startswith("sample") else 40
    text = out[:-1]
    if not out.endswith("\n") or "\n" in text or len(text) != len(prompt) + length or not text.startswith(prompt):
        print(f"FAIL: {name}: stdout is not the prompt and {length} characters on one line: {out!r}"); ok = False
    elif any(c not in vocab for c in text):
        print(f"FAIL: {name}: characters outside the vocabulary {vocab!r}: {text!r}"); ok = False

text = open(f"{tmp}/greedy.out").read()[:-1]
ids = [vocab.index(c) for c in text]
worst_gap, decided = 0.0, 0
with torch.no_grad():
    for n in range(len(prompt), len(ids)):
        ctx = torch.tensor([ids[max(0, n - cfg.seq_len):n]], dtype=torch.int64)
        _, logits = ref.gpt_forward(cfg, weights, ctx, torch.zeros_like(ctx))
        row = logits[-1]
        top = torch.topk(row, 2).values
        gap = float(top[0] - row[ids[n]])  # 0 when the generated character is the reference's argmax
        tol = 1e-4 * (1.0 + float(row.abs().max()))
        worst_gap = max(worst_gap, gap)
        decided += float(top[0] - top[1]) > tol
        if gap > tol:
            print(f"FAIL: greedy character {n - len(prompt)} is {text[n]!r}, the reference's argmax is "
                  f"{vocab[int(row.argmax())]!r} (logit gap {gap:.3g} > {tol:.3g})"); ok = False
print(f"greedy decoding: {len(ids) - len(prompt)} characters match the PyTorch reference's argmax "
      f"(largest logit shortfall {worst_gap:.3g}; {decided} of them with a clear top-2 margin): {text!r}")
if decided < (len(ids) - len(prompt)) // 2:
    print("FAIL: the trained model's logits are too flat for the comparison to mean anything"); ok = False
sys.exit(0 if ok else 1)
PY
exit $fail
