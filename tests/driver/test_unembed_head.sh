#!/usr/bin/env bash
# model.unembed: a tiny GPT whose head is an unembedding (ALGORITHMS §4.3), trained with a head
# learning rate large enough that the row cap binds. Checks, from the run's files:
#  * the checkpoint stores the head with kind "unembedding", every row's RMS is <= 1 and the
#    largest is at 1 (the cap took effect);
#  * eval.csv's head norm is its RMS->RMS operator norm sqrt(D/V)*sigma_1 (numpy SVD of the
#    checkpoint), the quantity the certified bound needs;
#  * the model learned (final validation loss below the zero head's first loss, ln V);
#  * bad combinations are refused with the keys named: constraint.head_w_max with model.unembed,
#    and model.unembed on an MLP.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
"$build/lip_driver" "$src/inputs/regression/gpt_tiny.in" --set data.dir="$tmp" --set run.output_dir="$tmp/run" \
  --set run.progress=false --set model.unembed=true --set optim.head.lr=100 \
  >"$tmp/run.log" 2>&1 || { echo "FAIL: the driver failed"; tail -5 "$tmp/run.log"; exit 1; }
$py - "$tmp/run" <<'PY' || fail=1
import csv, sys
import h5py, numpy as np
run = sys.argv[1]
latest = open(f"{run}/latest").read().strip()
ok = True
with h5py.File(f"{run}/{latest}", "r") as f:
    names = {f["params"][n].attrs["name"].decode() if isinstance(f["params"][n].attrs["name"], bytes)
             else f["params"][n].attrs["name"]: n for n in f["params"]}
    head = f["params"][names["out"]]
    kind = head.attrs["kind"]
    kind = kind.decode() if isinstance(kind, bytes) else kind
    U = head[...].astype(np.float64)
if kind != "unembedding":
    print(f"FAIL: the head's kind is {kind!r}, expected 'unembedding'"); ok = False
rms = np.sqrt((U * U).mean(axis=1))
print(f"head {U.shape}: row RMS max {rms.max():.6f}, min {rms.min():.6f}")
if rms.max() > 1 + 1e-5:
    print(f"FAIL: a head row has RMS {rms.max():.6f} > 1"); ok = False
if rms.max() < 0.999:
    print(f"FAIL: no head row reached the RMS cap 1 (max {rms.max():.6f}): the test does not exercise the cap"); ok = False
V, D = U.shape
operator = np.sqrt(D / V) * np.linalg.svd(U, compute_uv=False)[0]
last = list(csv.DictReader(open(f"{run}/eval.csv")))[-1]
logged = float(last["norm_out"])
print(f"logged head norm {logged:.6f}, sqrt(D/V)*sigma_1 {operator:.6f}")
if abs(logged - operator) > 1e-4 * operator:
    print("FAIL: the logged head norm is not its RMS->RMS operator norm"); ok = False
first = float(next(csv.DictReader(open(f"{run}/train.csv")))["loss"])
final = float(last["eval_loss"])
print(f"first train loss {first:.4f} (zero head: ln V = {np.log(V):.4f}), final val loss {final:.4f}")
if not final < first - 0.05:
    print("FAIL: the model with an unembedding head did not learn"); ok = False
sys.exit(0 if ok else 1)
PY
expect_refusal() {  # expect_refusal DECK WHAT... : the driver must fail and name every WHAT
  local deck="$1"; shift
  local out
  out="$("$build/lip_driver" "$src/inputs/regression/$deck" --set data.dir="$tmp" --set run.output_dir="$tmp/bad" \
    --set model.unembed=true "${extra[@]}" 2>&1)" && { echo "FAIL: $deck ${extra[*]} was accepted"; fail=1; return; }
  for what in "$@"; do
    grep -q -- "$what" <<<"$out" || { echo "FAIL: the refusal does not name '$what':"; echo "$out" | tail -3; fail=1; }
  done
}
extra=(--set constraint.head_w_max=2); expect_refusal gpt_tiny.in constraint.head_w_max model.unembed
extra=(); expect_refusal mlp_tiny.in model.unembed "model.kind gpt"
[ $fail = 0 ] && echo "ok: unembedding head trained, capped and refused in bad combinations"
exit $fail
