#!/usr/bin/env python3
"""Plot the metrics of one or more lip_driver runs side by side.

    /usr/bin/python3 scripts/plot_training.py RUN_DIR [RUN_DIR ...] [--out FILE.png] [--labels A,B,...]

Each RUN_DIR is a run.output_dir holding train.csv and eval.csv (docs/FORMATS.md). Four panels:
training loss, validation loss, validation accuracy and the certified Lipschitz bound (log10
scale, so bounds such as 10^17 and 1.9 share one axis), each against the optimizer step. The
figure goes to --out (default: RUN_DIR/training.png for one run, training.png otherwise).
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(path):
    if not os.path.exists(path):
        sys.exit(f"{path}: not found (is this a lip_driver run.output_dir?)")
    with open(path) as f:
        return list(csv.DictReader(f))


def column(rows, name, path):
    if rows and name not in rows[0]:
        sys.exit(f"{path}: no column '{name}' (columns: {', '.join(rows[0])})")
    return [float(r[name]) for r in rows]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run directories (run.output_dir)")
    p.add_argument("--out", help="PNG file")
    p.add_argument("--labels", help="comma-separated legend labels (default: directory names)")
    args = p.parse_args()
    labels = args.labels.split(",") if args.labels else [os.path.basename(os.path.normpath(r)) for r in args.runs]
    if len(labels) != len(args.runs):
        sys.exit(f"--labels has {len(labels)} entries for {len(args.runs)} runs")
    out = args.out or (os.path.join(args.runs[0], "training.png") if len(args.runs) == 1 else "training.png")

    fig, ax = plt.subplots(2, 2, figsize=(11, 7.5))
    for run, label in zip(args.runs, labels):
        train_path, eval_path = os.path.join(run, "train.csv"), os.path.join(run, "eval.csv")
        train, evals = read_rows(train_path), read_rows(eval_path)
        ax[0, 0].plot(column(train, "step", train_path), column(train, "loss", train_path), label=label, lw=1)
        steps = column(evals, "step", eval_path)
        ax[0, 1].plot(steps, column(evals, "eval_loss", eval_path), "o-", label=label, ms=3)
        ax[1, 0].plot(steps, column(evals, "eval_accuracy", eval_path), "o-", label=label, ms=3)
        ax[1, 1].plot(steps, column(evals, "log10_bound", eval_path), "o-", label=label, ms=3)
    for a, title in zip(ax.flat, ("training loss", "validation loss", "validation accuracy",
                                  "log10 certified Lipschitz bound")):
        a.set_title(title)
        a.set_xlabel("step")
        a.grid(alpha=0.3)
    ax[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
