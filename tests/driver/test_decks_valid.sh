#!/usr/bin/env bash
# Every committed input deck stays valid as the schema evolves: `lip_driver --check` parses and
# resolves each deck in inputs/ and inputs/regression/ (no data needed).
set -u
build="${LIP_BUILD_DIR:?}"
src="${LIP_SOURCE_DIR:?}"
export OMP_NUM_THREADS=1 OMP_PROC_BIND=false OMP_WAIT_POLICY=passive
fail=0
for deck in "$src"/inputs/*.in "$src"/inputs/regression/*.in; do
  if out="$("$build/lip_driver" "$deck" --check 2>&1)"; then
    echo "ok   $(basename "$deck"): ${out##*: }"
  else
    echo "FAIL $deck:"; echo "$out"; fail=1
  fi
done
exit $fail
