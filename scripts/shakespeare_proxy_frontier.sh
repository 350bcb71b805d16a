#!/usr/bin/env bash
# The Shakespeare proxy frontier (paper Fig. 2 right on a scaled deck; issue 17): the two sweep decks
# inputs/sweeps/shakespeare_proxy_{muon,adamw}.sweep (48 + 48 runs of 300 steps on
# inputs/sweeps/shakespeare_proxy.in) with lip_sweep on LIP_SWEEP_RANKS ranks (default 2, one
# configuration per rank, 1 thread each), then scripts/plot_sweep.py (OUTDIR/shakespeare_proxy_*).
# Resumable: start it again after an interruption.
#   scripts/shakespeare_proxy_frontier.sh [OUTDIR]     (default runs/; sweeps in OUTDIR/shakespeare_proxy_*)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/run_sweeps.sh" "${1:-$here/../runs}" shakespeare_proxy "Shakespeare proxy, 300 steps" \
  "$here/../inputs/sweeps/shakespeare_proxy_muon.sweep" "$here/../inputs/sweeps/shakespeare_proxy_adamw.sweep"
