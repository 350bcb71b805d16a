#!/usr/bin/env bash
# Errors under MPI end the whole job with a message, never a hang (each case has a 60 s timeout):
#   - a deck error at 2 ranks: every rank raises it, rank 0 prints it once, exit non-zero;
#   - a failure on rank 1 only (its data file is corrupt: per-rank LIP_DATA_DIR through mpiexec's
#     MPMD syntax) while rank 0 carries on into training: rank 1 prints `rank 1: error: ...`
#     and MPI_Abort ends rank 0 too.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$tmp/good" "$tmp/bad"
name=lip_mpi_errors_tiny.h5  # a name no default data directory holds

$py "$LIP_SOURCE_DIR/tests/driver/synthetic_datasets.py" images "$tmp/good/$name" --train 64 --test 32 || exit 1
head -c 3000 "$tmp/good/$name" >"$tmp/bad/$name"  # truncated
cat > "$tmp/deck.in" <<DECK
run.name            mpi_errors
run.output_dir      $tmp/out
run.steps           1000
data.dataset        mnist
data.file           $name
data.batch_size     16
model.kind          mlp
model.width         16
optim.kind          adamw
optim.lr            0.001
DECK

# case NAME PATTERN LINES CMD...: non-zero exit before the timeout, PATTERN in stderr, LINES error lines.
case_() {
  local name="$1" pattern="$2" lines="$3"
  shift 3
  local start=$SECONDS
  (cd "$tmp" && timeout 60 "$@" >"$tmp/out.log" 2>"$tmp/err.log")
  local rc=$? took=$((SECONDS - start))
  if [ $rc -eq 124 ]; then
    echo "FAIL $name: hung (killed after 60 s)"; cat "$tmp/err.log"; fail=1
  elif [ $rc -eq 0 ]; then
    echo "FAIL $name: exit code 0"; fail=1
  elif ! grep -qE "$pattern" "$tmp/err.log"; then
    echo "FAIL $name: stderr lacks /$pattern/:"; cat "$tmp/err.log"; fail=1
  elif [ -n "$lines" ] && [ "$(grep -c 'error:' "$tmp/err.log")" -ne "$lines" ]; then
    echo "FAIL $name: expected $lines error line(s):"; cat "$tmp/err.log"; fail=1
  else
    echo "ok   $name: exit $rc after ${took} s: $(grep -m1 -E "$pattern" "$tmp/err.log" | cut -c1-200)"
  fi
}

printf 'optim.lrr 0.1\n' | cat "$tmp/deck.in" - >"$tmp/typo.in"
case_ "deck error at 2 ranks" "^rank 0: error: .*typo.in:[0-9]+: unknown key 'optim.lrr'" 1 \
  "$mpiexec" -n 2 --oversubscribe "$build/lip_driver" "$tmp/typo.in"
case_ "batch not divisible by 3 ranks" "^rank 0: error: data.batch_size 16 is not divisible by the 3 MPI ranks" 1 \
  "$mpiexec" -n 3 --oversubscribe -x LIP_DATA_DIR="$tmp/good" "$build/lip_driver" "$tmp/deck.in"
case_ "corrupt data on rank 1 only" "^rank 1: error: .*bad/$name" "" \
  "$mpiexec" --oversubscribe -n 1 -x LIP_DATA_DIR="$tmp/good" "$build/lip_driver" "$tmp/deck.in" \
  : -n 1 -x LIP_DATA_DIR="$tmp/bad" "$build/lip_driver" "$tmp/deck.in"
exit $fail
