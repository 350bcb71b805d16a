#!/usr/bin/env python3
"""Plot the Lipschitz/performance frontier: final validation accuracy and loss against the
certified bound, one point per run (the paper's Fig. 2, right).

    /usr/bin/python3 scripts/plot_frontier.py [RUN_DIR ...] [--points FILE.csv] --out FILE.png
                                              [--bound-limit 2] [--target-acc 0.55] [--target-loss 1.45]

Each RUN_DIR is a run.output_dir (docs/FORMATS.md): its point is the last row of eval.csv, labelled
with the run's constraint (deck.resolved: constraint.method and constraint.w_max) and grouped by
the number of steps. --points adds points from a CSV with columns
`series,label,log10_bound,val_acc,val_loss` (e.g. runs whose directories are gone; say in the
file's series name where they come from). Dashed lines mark the bound limit and the targets.
"""
import argparse
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_training import read_rows as read_csv  # noqa: E402


def deck_values(run):
    """key -> value of the run's resolved deck (one `key value` per line)."""
    path = os.path.join(run, "deck.resolved")
    values = {}
    if os.path.exists(path):
        for line in open(path):
            parts = line.split(None, 1)
            if len(parts) == 2 and not line.startswith("#"):
                values[parts[0]] = parts[1].strip()
    return values


def run_point(run):
    rows = read_csv(os.path.join(run, "eval.csv"))
    if not rows:
        sys.exit(f"{run}/eval.csv: no evaluations yet")
    for column in ("step", "log10_bound", "eval_accuracy", "eval_loss"):
        if column not in rows[0]:
            sys.exit(f"{run}/eval.csv: no column '{column}' (is this a lip_driver run?)")
    last = rows[-1]
    deck = deck_values(run)
    method, w_max = deck.get("constraint.method", "?"), deck.get("constraint.w_max", "?")
    label = "unconstrained" if method == "none" else f"σ_max {w_max}"
    series = f"{int(float(last['step']))} steps"
    return series, label, float(last["log10_bound"]), float(last["eval_accuracy"]), float(last["eval_loss"])


def file_points(path):
    if not os.path.exists(path):
        sys.exit(f"{path}: no such points file")
    points = []
    for i, r in enumerate(read_csv(path), start=2):
        try:
            points.append((r["series"], r["label"], float(r["log10_bound"]), float(r["val_acc"]), float(r["val_loss"])))
        except (KeyError, ValueError) as e:
            sys.exit(f"{path}:{i}: expected columns series,label,log10_bound,val_acc,val_loss with numbers ({e})")
    return points


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="*", help="run directories (run.output_dir)")
    p.add_argument("--points", help="CSV of further points: series,label,log10_bound,val_acc,val_loss")
    p.add_argument("--out", required=True, help="PNG file")
    p.add_argument("--bound-limit", type=float, default=2.0, help="certified bound to mark (default 2)")
    p.add_argument("--target-acc", type=float, default=0.55, help="validation accuracy to mark (default 0.55)")
    p.add_argument("--target-loss", type=float, default=1.45, help="validation loss to mark (default 1.45)")
    args = p.parse_args()
    points = [run_point(r) for r in args.runs] + (file_points(args.points) if args.points else [])
    if not points:
        sys.exit("no points: give run directories and/or --points")

    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    series = sorted({s for s, *_ in points}, key=lambda s: [q[0] for q in points].index(s))
    markers = "osD^v<>"
    for k, name in enumerate(series):
        mine = sorted((q for q in points if q[0] == name), key=lambda q: q[2])
        xs = [q[2] for q in mine]
        for ax, column in ((ax_acc, 3), (ax_loss, 4)):
            ax.plot(xs, [q[column] for q in mine], marker=markers[k % len(markers)], label=name)
            for q in mine:
                ax.annotate(q[1], (q[2], q[column]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    for ax, target, what in ((ax_acc, args.target_acc, "val accuracy"), (ax_loss, args.target_loss, "val loss")):
        ax.axvline(math.log10(args.bound_limit), color="grey", linestyle="--", linewidth=0.8)
        ax.axhline(target, color="grey", linestyle=":", linewidth=0.8)
        ax.set_xlabel("log10 certified Lipschitz bound")
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
    ax_acc.legend(fontsize=8)
    fig.suptitle(f"bound limit {args.bound_limit:g} (dashed), targets acc ≥ {args.target_acc:g}, "
                 f"loss ≤ {args.target_loss:g} (dotted)", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}: {len(points)} points in {len(series)} series")


if __name__ == "__main__":
    main()
