#!/usr/bin/env python3
"""Paper Fig. 3 style plot from lip_robustness outputs.

    plot_robustness.py OUT.png DIR[:LABEL] [DIR[:LABEL] ...] [--norm l2|linf] [--attack pgd|fgsm] [--title T]

Each DIR is a lip_robustness output directory (robustness.csv + summary.json). Left panel: top-1
accuracy under attack (solid) and certified accuracy (dashed) against the radius; right panel: the
mean correct-class probability under attack. The legend gives each model's certified bound and
clean accuracy.
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(directory):
    rows_path = os.path.join(directory, "robustness.csv")
    summary_path = os.path.join(directory, "summary.json")
    for path in (rows_path, summary_path):
        if not os.path.isfile(path):
            sys.exit(f"plot_robustness: {path} not found (run lip_robustness first)")
    with open(rows_path, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(summary_path) as f:
        summary = json.load(f)
    return rows, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("runs", nargs="+", help="DIR or DIR:LABEL")
    parser.add_argument("--norm", default="l2", choices=["l2", "linf"])
    parser.add_argument("--attack", default="pgd", choices=["pgd", "fgsm"])
    parser.add_argument("--title", default="")
    args = parser.parse_args()

    fig, (ax_acc, ax_prob) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, spec in enumerate(args.runs):
        directory, _, label = spec.partition(":")
        rows, summary = load(directory)
        label = label or os.path.basename(os.path.dirname(os.path.abspath(directory)))
        rows = [r for r in rows if r["norm"] == args.norm and r["attack"] == args.attack]
        if not rows:
            sys.exit(f"plot_robustness: {directory} has no {args.norm}/{args.attack} rows")
        rows.sort(key=lambda r: float(r["eps"]))
        eps = [float(r["eps"]) for r in rows]
        color = f"C{i}"
        legend = f"{label} (bound {summary['certified_bound']:.4g}, clean {summary['clean_accuracy']:.3f})"
        ax_acc.plot(eps, [float(r["accuracy"]) for r in rows], "o-", color=color, label=f"{legend}: {args.attack.upper()}")
        ax_acc.plot(eps, [float(r["certified_accuracy"]) for r in rows], "s--", color=color,
                    label=f"{label}: certified")
        ax_prob.plot(eps, [float(r["mean_correct_prob"]) for r in rows], "o-", color=color, label=label)
    symbol = "ℓ2" if args.norm == "l2" else "ℓ∞"
    for ax in (ax_acc, ax_prob):
        ax.set_xlabel(f"{symbol} attack radius ε")
        ax.grid(alpha=0.3)
        ax.set_ylim(0, 1)
    ax_acc.set_ylabel("top-1 accuracy")
    ax_acc.set_title("accuracy under attack (solid) and certified (dashed)")
    ax_prob.set_ylabel("mean correct-class probability")
    ax_prob.set_title("correct-class probability under attack")
    ax_acc.legend(fontsize=7)
    ax_prob.legend(fontsize=8)
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=130)
    print(f"plot_robustness: wrote {args.out}")


if __name__ == "__main__":
    main()
