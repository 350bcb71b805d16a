#!/usr/bin/env bash
# Training-step speed of two builds of the project in one run, alternating old and new binaries so
# that both see the same machine (compare speeds only within one run of this script):
#   bench/compare_step_speed.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS=3]
# Prints the CPU and the SGEMM rate of NEW's bench_matmul (1024^3, 2 threads) first, then per round:
#   * MLP: bench_mlp_step (synthetic MNIST shapes, batch 512, Muon + soft cap, 1 rank x 2 threads), samples/s;
#   * Shakespeare: lip_driver inputs/shakespeare.in for 8 steps, 2 ranks x 1 thread, the mean of
#     the tokens/s the driver logs for steps 3-8 (steps 1-2 warm up).
# Needs the Shakespeare dataset where lip_driver finds it (scripts/prepare_data.sh inputs/shakespeare.in).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../scripts/env.sh"
old="${1:?usage: compare_step_speed.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS]}"
new="${2:?usage: compare_step_speed.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS]}"
rounds="${3:-3}"
for b in "$old" "$new"; do
  for exe in lip_driver bench_mlp_step; do
    [ -x "$b/$exe" ] || { echo "compare_step_speed: $b/$exe not found (build it first)" >&2; exit 1; }
  done
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
if [ -x "$new/bench_matmul" ]; then
  OMP_NUM_THREADS=2 "$new/bench_matmul" --repeats 3 2>/dev/null | grep -m1 'square 1024' |
    awk '{print "sgemm 1024^3 (2 threads): " $NF " GFLOP/s"}'
fi

mlp() {
  OMP_NUM_THREADS=2 "$1/bench_mlp_step" --input 784 --batch 512 --optimizer muon --constraint soft_cap --steps 30 \
    2>/dev/null | grep -o '[0-9]* samples/s' | cut -d' ' -f1
}
shakespeare() {
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 mpirun --oversubscribe -n 2 "$1/lip_driver" "$LIP_REPO/inputs/shakespeare.in" \
    --set run.steps=8 --set run.log_every=1 --set run.eval_every=1000 --set "run.output_dir=$tmp/run" \
    >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; return 1; }
  rm -rf "$tmp/run"
  awk '/^step/ { split($2, s, "/"); if (s[1] >= 3) { for (i = 1; i <= NF; ++i) if ($i == "tokens/s") { sum += $(i-1); n++ } } }
       END { printf "%.0f\n", sum / n }' "$tmp/log"
}

printf '%-6s %-12s %14s %14s\n' round benchmark old new
for r in $(seq 1 "$rounds"); do
  printf '%-6s %-12s %14s %14s\n' "$r" "mlp samples/s" "$(mlp "$old")" "$(mlp "$new")"
  printf '%-6s %-12s %14s %14s\n' "$r" "gpt tokens/s" "$(shakespeare "$old")" "$(shakespeare "$new")"
done
