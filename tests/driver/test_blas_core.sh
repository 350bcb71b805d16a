#!/usr/bin/env bash
# OpenBLAS kernel selection (docs/PERFORMANCE.md): lip_driver names the BLAS core in its banner and
# warns, naming OPENBLAS_CORETYPE, exactly when OpenBLAS runs its generic fallback kernels on a CPU
# with wider vectors; and after scripts/env.sh the driver never runs on the fallback.
# Skips (77) when the BLAS is not OpenBLAS or the CPU has no AVX2 (nothing to choose between).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
src="${LIP_SOURCE_DIR:?}"
grep -qw avx2 /proc/cpuinfo 2>/dev/null || { echo "SKIP: this CPU has no AVX2"; exit 77; }
$py "$src/tests/driver/synthetic_datasets.py" baselines "$tmp" || exit 1
run_tiny() {  # run_tiny NAME [env assignments...]: one training step of the tiny MLP deck
  local name="$1"; shift
  env "$@" "$build/lip_driver" "$src/inputs/regression/mlp_tiny.in" --set data.dir="$tmp" \
    --set run.output_dir="$tmp/$name" --set run.steps=1 --set run.eval_every=1 --set run.progress=false \
    >"$tmp/$name.out" 2>"$tmp/$name.err" || { echo "FAIL $name: the driver failed"; cat "$tmp/$name.err"; exit 1; }
}
expect() {  # expect NAME yes|no PATTERN FILE
  if grep -q -- "$3" "$tmp/$1.$4"; then found=yes; else found=no; fi
  if [ "$found" = "$2" ]; then echo "ok   $1: '$3' in $4: $found"
  else echo "FAIL $1: expected '$3' in $4: $2, found: $found"; cat "$tmp/$1.out" "$tmp/$1.err"; fail=1; fi
}
if grep -qw avx512f /proc/cpuinfo; then wide=SkylakeX; else wide=Haswell; fi

run_tiny generic OPENBLAS_CORETYPE=Prescott
grep -q "OpenBLAS (" "$tmp/generic.out" || { echo "SKIP: the BLAS is not OpenBLAS"; exit 77; }
expect generic yes "| OpenBLAS (Prescott)" out
expect generic yes "OPENBLAS_CORETYPE=$wide" err

run_tiny named OPENBLAS_CORETYPE=Haswell
expect named yes "| OpenBLAS (Haswell)" out
expect named no "warning: OpenBLAS" err

# Whatever this machine's OpenBLAS picks on its own, scripts/env.sh leaves no fallback behind.
core="$(env -u OPENBLAS_CORETYPE bash -c "source '$src/scripts/env.sh' 2>/dev/null; echo \${OPENBLAS_CORETYPE:-}")"
if [ -n "$core" ]; then run_tiny after_env_sh OPENBLAS_CORETYPE="$core"; else run_tiny after_env_sh -u OPENBLAS_CORETYPE; fi
expect after_env_sh no "warning: OpenBLAS" err
echo "scripts/env.sh chose OPENBLAS_CORETYPE='${core}' ($(grep -o 'OpenBLAS ([^)]*)' "$tmp/after_env_sh.out"))"
exit $fail
