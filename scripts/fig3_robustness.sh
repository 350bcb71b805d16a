#!/usr/bin/env bash
# Paper Fig. 3 on real data: the AdamW + weight decay MLP and the Muon + soft cap (sigma_max 3) MLP,
# trained 20 epochs on CIFAR-10 and on MNIST (inputs/fig3_*.in), then attacked and certified with
# lip_robustness (FGSM and PGD, l2 and linf; 2000 test images, or all 1017 of the shared CIFAR copy),
# plotted with plot_robustness.py. Resumable: finished trainings and attack runs are skipped.
#   scripts/fig3_robustness.sh [OUTDIR]            (default runs/fig3)
# Extra lip_robustness arguments go in LIP_ROBUSTNESS_ARGS (e.g. "--restarts 5").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
out="${1:-$LIP_REPO/runs/fig3}"
mkdir -p "$out"
for dataset in cifar mnist; do
  for opt in adamw muon; do
    name="fig3_${dataset}_${opt}"
    deck="$LIP_REPO/inputs/$name.in"
    bash "$here/prepare_data.sh" "$deck" >/dev/null
    steps="$(awk '$1 == "run.steps" {print $2}' "$deck")"
    if ! grep -q "^done" "$out/$name.log" 2>/dev/null; then
      echo "fig3: training $name ($steps steps)"
      "$LIP_BUILD_DIR/lip_driver" "$deck" --set run.output_dir="$out/$name" --set run.progress=false \
        --resume auto >"$out/$name.log" 2>&1 || { tail -5 "$out/$name.log"; exit 1; }
    fi
    grep "^done" "$out/$name.log"
    if [ ! -f "$out/$name/robustness/summary.json" ]; then
      soundness=""; [ "$opt" = muon ] && soundness="--soundness"
      "$LIP_BUILD_DIR/lip_robustness" "$out/$name" --examples 2000 $soundness ${LIP_ROBUSTNESS_ARGS:-} \
        >"$out/$name.robustness.log" 2>&1 || { tail -5 "$out/$name.robustness.log"; exit 1; }
    fi
    grep -E "^(certified bound|clean accuracy|soundness)" "$out/$name.robustness.log"
  done
  for norm in l2 linf; do
    "$LIP_PYTHON" "$here/plot_robustness.py" "$out/fig3_${dataset}_${norm}.png" --norm "$norm" \
      --title "${dataset^^} MLP, 20 epochs: AdamW + weight decay vs Muon + soft cap (sigma_max 3)" \
      "$out/fig3_${dataset}_adamw/robustness:AdamW wd 0.1" "$out/fig3_${dataset}_muon/robustness:Muon soft cap 3"
  done
done
