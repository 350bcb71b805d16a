#!/usr/bin/env bash
# lip_sweep on tiny MLP decks (synthetic data, 2 ranks):
#  * rank-layout independence: the same grid with group_size 1 (two groups take configurations
#    from the shared counter) and group_size 2 (one group trains each configuration on 2 ranks)
#    gives identical rows, apart from the timing columns (the decks fix data.micro_batch, so every
#    forward pass sees the same rows);
#  * a refused value (constraint.w_max -1) and a diverged run (AdamW at lr 3e38) are rows with
#    their status and message, and the sweep goes on;
#  * resumability: a sweep stopped by SIGTERM after its first finished run (the others checkpoint
#    mid-run) and started again finishes the grid with the rows of an uninterrupted sweep; the
#    stopped job says so, and a third start trains nothing;
#  * bad sweep decks fail before training, naming the file, line and key.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
cp "$src/inputs/regression/mlp_tiny.in" "$tmp/base.in"

# sweep_deck FILE OUTPUT STEPS: the grid (2 seeds x 4 zipped configurations) on the tiny deck.
sweep_deck() {
  cat >"$1" <<DECK
base        base.in
output      $2
group_size  1
set         data.dir $tmp
set         data.micro_batch 8
set         run.progress false
set         run.steps $3
set         run.eval_every $(($3 / 4))
set         run.log_every $(($3 / 4))
set         checkpoint.every $(($3 / 8))
axis        run.seed 1 2
zip point   optim.kind        adamw    muon      muon      adamw
zip point   constraint.method spec_wd  soft_cap  soft_cap  none
zip point   constraint.w_max  2        3         -1        3
zip point   optim.lr          0.03     0.2       0.2       3e38
DECK
}
sweep() {  # sweep LOG ARGS...: lip_sweep on 2 ranks
  local log="$1"
  shift
  (cd "$tmp" && "$mpiexec" -n 2 --oversubscribe "$build/lip_sweep" "$@" >"$log" 2>&1)
}
# same_rows A B: results.csv A and B agree in every column but the timing ones.
same_rows() {
  $py - "$1" "$2" <<'PY'
import csv, sys
timing = {"rate", "train_s", "setup_s", "wall_s"}
def rows(path):  # a message naming a checkpoint names it inside the sweep's own directory
    out = path.rsplit("/", 1)[0]
    return [{k: v.replace(out, "<sweep>") for k, v in r.items() if k not in timing} for r in csv.DictReader(open(path))]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
diff = [(i, k, x[k], y.get(k)) for i, (x, y) in enumerate(zip(a, b)) for k in x if x[k] != y.get(k)]
if len(a) != len(b) or diff or len(a) != 8:
    print(f"FAIL: {sys.argv[1]} ({len(a)} rows) and {sys.argv[2]} ({len(b)} rows) differ: {diff[:5]}")
    sys.exit(1)
print(f"ok   {len(a)} identical rows: {sys.argv[1]} and {sys.argv[2]}")
PY
}

# 1. group_size 1 and 2, the same rows; statuses and messages.
sweep_deck "$tmp/short.in" "$tmp/g1" 12
sweep "$tmp/g1.log" short.in || { echo "FAIL: group_size 1 sweep"; cat "$tmp/g1.log"; exit 1; }
sweep "$tmp/g2.log" short.in --sweep-set "group_size 2" --sweep-set "output $tmp/g2" ||
  { echo "FAIL: group_size 2 sweep"; cat "$tmp/g2.log"; exit 1; }
grep -q "2 group(s) of 1 rank(s)" "$tmp/g1.log" && grep -q "1 group(s) of 2 rank(s)" "$tmp/g2.log" ||
  { echo "FAIL: the group layouts were not the ones asked for"; fail=1; }
same_rows "$tmp/g1/results.csv" "$tmp/g2/results.csv" || fail=1
$py - "$tmp/g1/results.csv" <<'PY' || fail=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
status = [r["status"] for r in rows]
want = ["done", "done", "refused", "diverged"] * 2
ok = status == want
ok &= all("constraint.w_max must be > 0, got -1" in r["message"] for r in rows if r["status"] == "refused")
ok &= all("not finite" in r["message"] for r in rows if r["status"] == "diverged")
ok &= all(r["final_val_loss"] and float(r["bound"]) > 0 and r["norm_mlp_in"] for r in rows if r["status"] == "done")
ok &= [r["run.seed"] for r in rows] == ["1"] * 4 + ["2"] * 4
print(("ok   " if ok else "FAIL ") + f"statuses {status}; messages {sorted({r['message'][:60] for r in rows if r['message']})}")
sys.exit(0 if ok else 1)
PY

# 1b. The plots and tables of scripts/plot_sweep.py from those rows: the figures exist, and the
# best-per-method table agrees with the rows (the highest final accuracy of each method's done runs).
$py "$src/scripts/plot_sweep.py" "$tmp/g1/results.csv" --out "$tmp/plots" --title test >"$tmp/plot.log" 2>&1 ||
  { echo "FAIL: plot_sweep.py"; cat "$tmp/plot.log"; fail=1; }
$py - "$tmp/g1/results.csv" "$tmp/plots" <<'PY' || fail=1
import csv, os, sys
rows, prefix = list(csv.DictReader(open(sys.argv[1]))), sys.argv[2]
missing = [f for f in ("_frontier.png", "_methods.png", "_curves.png", "_best.csv", "_caps.csv")
           if not os.path.getsize(prefix + f)]
best = {r["method"]: float(r["final_val_acc"]) for r in csv.DictReader(open(prefix + "_best.csv")) if not r["bound_limit"]}
names = {"none": "weight decay", "spec_wd": "spectral wd", "soft_cap": "soft cap"}
want = {}
for r in rows:
    if r["status"] == "done":
        m = f"{r['optim.kind']} {names[r['constraint.method']]}"
        want[m] = max(want.get(m, 0.0), float(r["final_val_acc"]))
ok = not missing and best == want
print(("ok   " if ok else "FAIL ") + f"plot_sweep: best per method {best} (from the rows: {want}); missing {missing}")
sys.exit(0 if ok else 1)
PY

# 2. SIGTERM after the first finished run, then start again: the rows of an uninterrupted sweep.
sweep_deck "$tmp/long.in" "$tmp/stopped" 20000
(cd "$tmp" && exec "$mpiexec" -n 2 --oversubscribe "$build/lip_sweep" long.in >"$tmp/stop1.log" 2>&1) &
job=$!
for _ in $(seq 600); do ls "$tmp"/stopped/runs/*/result.txt >/dev/null 2>&1 && break; sleep 0.1; done
kill -TERM $job
wait $job
if ! grep -q "stopped by a signal" "$tmp/stop1.log" || [ "$(($(wc -l <"$tmp/stopped/results.csv") - 1))" -ge 8 ]; then
  echo "FAIL: the SIGTERM did not stop the sweep mid-way:"; cat "$tmp/stop1.log"; fail=1
else
  echo "ok   stopped by SIGTERM with $(($(wc -l <"$tmp/stopped/results.csv") - 1)) of 8 rows;" \
    "$(ls "$tmp"/stopped/runs/*/checkpoint_* 2>/dev/null | wc -l) checkpoints"
fi
sweep "$tmp/stop2.log" long.in || { echo "FAIL: the restarted sweep failed"; cat "$tmp/stop2.log"; fail=1; }
grep -q "done earlier" "$tmp/stop2.log" || { echo "FAIL: no summary line"; cat "$tmp/stop2.log"; fail=1; }
sweep "$tmp/full.log" long.in --sweep-set "group_size 2" --sweep-set "output $tmp/full" ||
  { echo "FAIL: the uninterrupted sweep failed"; cat "$tmp/full.log"; fail=1; }
same_rows "$tmp/stopped/results.csv" "$tmp/full/results.csv" || fail=1
sweep "$tmp/stop3.log" long.in
grep -q "0 trained now (0 failed), 8 done earlier" "$tmp/stop3.log" ||
  { echo "FAIL: a finished sweep trained again:"; cat "$tmp/stop3.log"; fail=1; }

# 2b. The transformer's reference-code bound column against the trainer's own reference_code bound:
# the formula does not change the training, so row 0's reference_log10_bound (paper formula run) must
# be row 1's log10_bound (reference_code run).
cp "$src/inputs/regression/gpt_tiny.in" "$tmp/gpt.in"
printf '%s\n' "base gpt.in" "output $tmp/gpt_sweep" "set data.dir $tmp" "set run.progress false" \
  "axis model.bound_formula paper reference_code" >"$tmp/gpt.sweep"
sweep "$tmp/gpt.log" gpt.sweep || { echo "FAIL: transformer sweep"; cat "$tmp/gpt.log"; fail=1; }
$py - "$tmp/gpt_sweep/results.csv" <<'PY' || fail=1
import csv, sys
paper, ref = list(csv.DictReader(open(sys.argv[1])))
a, b = float(paper["reference_log10_bound"]), float(ref["log10_bound"])
ok = paper["status"] == ref["status"] == "done" and abs(a - b) <= 1e-6 * max(1, abs(b)) and paper["log10_bound"] != ref["log10_bound"]
print(("ok   " if ok else "FAIL ") + f"reference-code bound column 10^{a:.7g} vs the reference_code run's 10^{b:.7g} "
      f"(paper formula 10^{float(paper['log10_bound']):.7g})")
sys.exit(0 if ok else 1)
PY

# 3. Bad sweep decks: one error naming the place, nothing trained.
bad() {  # bad NAME PATTERN LINE...
  local name="$1" pattern="$2"
  shift 2
  printf '%s\n' "base ${base_deck:-base.in}" "output $tmp/bad_$name" "$@" >"$tmp/bad.in"
  if sweep "$tmp/bad.log" bad.in; then echo "FAIL $name: accepted"; fail=1
  elif ! grep -qE "$pattern" "$tmp/bad.log"; then echo "FAIL $name: no /$pattern/ in:"; cat "$tmp/bad.log"; fail=1
  elif [ -e "$tmp/bad_$name/runs" ]; then echo "FAIL $name: runs were started"; fail=1
  else echo "ok   $name: $(grep -m1 error "$tmp/bad.log")"; fi
}
bad unknown_key "bad.in:3: unknown deck key 'optim.lrr' \(did you mean 'optim.lr'" "axis optim.lrr 0.1 0.2"
bad runner_key "bad.in:3: run.output_dir is set by the sweep" "axis run.output_dir a b"
bad zip_lengths "bad.in:4: zip group 'p' has 2 values per key, optim.lr has 3" "zip p optim.kind adamw muon" "zip p optim.lr 1 2 3"
bad logspace "bad.in:3: expected 'logspace A B N'" "axis optim.lr logspace -3 0"
bad group_size "group_size 3 does not divide the 2 MPI ranks" "group_size 3" "axis optim.lr 0.1"
bad repeated "configuration 1 repeats the overrides" "axis optim.lr 0.1 0.1"
printf 'run.steps 3\noptim.lr "0.1\n' >"$tmp/broken.in"
base_deck=broken.in bad base_deck "bad.in: base deck: .*broken.in:2: unterminated quoted string" "axis optim.beta1 0.8 0.9"
exit $fail
