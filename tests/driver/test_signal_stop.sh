#!/usr/bin/env bash
# Preemption (docs/SLURM.md): SIGTERM or SIGUSR1 makes lip_driver finish the current step, write a
# checkpoint, print `stopped: received SIG...` and exit 0; `--resume latest` then continues from it.
#   1 rank : SIGTERM to the process.
#   2 ranks: SIGTERM to ONE rank only (the per-step allreduce makes both stop at the same step),
#            then SIGUSR1 to mpiexec, which forwards it to the ranks (what Slurm's --signal hits).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

$py "$LIP_SOURCE_DIR/tests/driver/synthetic_datasets.py" images "$tmp/tiny.h5" --train 96 --test 32 --label-step 7 || exit 1
# Many steps, so that only a signal ends the run within the test.
cat > "$tmp/deck.in" <<DECK
run.name            signal
run.steps           1000000
run.eval_every      1000000
data.dataset        mnist
data.file           $tmp/tiny.h5
data.batch_size     16
data.eval_batches   1
model.kind          mlp
model.width         16
model.depth         3
optim.kind          adamw
optim.lr            0.001
checkpoint.every    1000000
DECK

# wait_for_step LOG N: until the progress line of step N appears (at most 60 s).
wait_for_step() {
  for _ in $(seq 600); do
    grep -qE "^step +$2/" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# check CASE OUT LOG RC SIGNAL: exit 0, the stop message, `latest` names the checkpoint of the
# step it reports, and a resume from `latest` runs 2 more steps.
check() {
  local case="$1" out="$2" log="$3" rc="$4" sig="$5"
  local line step
  line="$(grep -m1 "^stopped: received $sig; finished step" "$log")"
  step="$(sed -E 's/.*finished step ([0-9]+)\/.*/\1/' <<<"$line")"
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $case: exit code $rc"; cat "$log"; fail=1; return
  elif [ -z "$line" ]; then
    echo "FAIL $case: no 'stopped: received $sig' line"; cat "$log"; fail=1; return
  elif [ "$(cat "$out/latest")" != "$(printf 'checkpoint_%08d.h5' "$step")" ]; then
    echo "FAIL $case: latest is '$(cat "$out/latest")', expected the checkpoint of step $step"; fail=1; return
  fi
  echo "ok   $case: exit 0, '$line'"
  local resume_log="$tmp/resume.log"
  if [ "$6" = 1 ]; then
    "$build/lip_driver" "$tmp/deck.in" --set run.output_dir="$out" --set run.steps=$((step + 2)) --resume latest \
      >"$resume_log" 2>&1
  else
    "$mpiexec" -n "$6" --oversubscribe "$build/lip_driver" "$tmp/deck.in" --set run.output_dir="$out" \
      --set run.steps=$((step + 2)) --resume latest >"$resume_log" 2>&1
  fi
  local resume_rc=$?
  if [ $resume_rc -eq 0 ] && grep -q "resume: loaded $out/checkpoint_$(printf '%08d' "$step").h5 (step $step," "$resume_log"; then
    grep -qE "^step +$((step + 2))/$((step + 2)) " "$resume_log" && echo "ok   $case: resumed from step $step and ran to $((step + 2))" ||
      { echo "FAIL $case: the resumed run did not reach step $((step + 2))"; cat "$resume_log"; fail=1; }
  else
    echo "FAIL $case: resume from latest"; cat "$resume_log"; fail=1
  fi
}

# ---- 1 rank, SIGTERM -----------------------------------------------------------------------
"$build/lip_driver" "$tmp/deck.in" --set run.output_dir="$tmp/one" >"$tmp/one.log" 2>&1 &
pid=$!
pids+=("$pid")
if wait_for_step "$tmp/one.log" 3; then
  kill -TERM "$pid"
  wait "$pid"
  check "1 rank, SIGTERM" "$tmp/one" "$tmp/one.log" $? SIGTERM 1
else
  echo "FAIL 1 rank: no step 3 within 60 s"; cat "$tmp/one.log"; fail=1
fi

# ---- 2 ranks, SIGTERM to one rank only -----------------------------------------------------
"$mpiexec" -n 2 --oversubscribe "$build/lip_driver" "$tmp/deck.in" --set run.output_dir="$tmp/two" >"$tmp/two.log" 2>&1 &
pid=$!
pids+=("$pid")
if wait_for_step "$tmp/two.log" 3; then
  ranks=($(pgrep -P "$pid" -x lip_driver))
  if [ "${#ranks[@]}" -ne 2 ]; then
    echo "FAIL 2 ranks: expected 2 lip_driver children of mpiexec, found ${#ranks[@]}"; fail=1; kill -9 "$pid"
  else
    kill -TERM "${ranks[1]}"
    wait "$pid"
    check "2 ranks, SIGTERM to one rank" "$tmp/two" "$tmp/two.log" $? SIGTERM 2
  fi
else
  echo "FAIL 2 ranks: no step 3 within 60 s"; cat "$tmp/two.log"; fail=1
fi

# ---- 2 ranks, SIGUSR1 to mpiexec -----------------------------------------------------------
"$mpiexec" -n 2 --oversubscribe "$build/lip_driver" "$tmp/deck.in" --set run.output_dir="$tmp/usr1" >"$tmp/usr1.log" 2>&1 &
pid=$!
pids+=("$pid")
if wait_for_step "$tmp/usr1.log" 3; then
  kill -USR1 "$pid"
  wait "$pid"
  check "2 ranks, SIGUSR1 to mpiexec" "$tmp/usr1" "$tmp/usr1.log" $? SIGUSR1 2
else
  echo "FAIL 2 ranks (SIGUSR1): no step 3 within 60 s"; cat "$tmp/usr1.log"; fail=1
fi
exit $fail
