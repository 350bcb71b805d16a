#!/usr/bin/env python3
"""Plots of lip_sweep results (docs/SWEEPS.md): the paper's Fig. 2 and Fig. 4 views of a sweep.

  plot_sweep.py RESULTS.csv [RESULTS.csv ...] --out PREFIX [--title TEXT] [--metric acc|loss]

Writes
  PREFIX_frontier.png  Fig. 2 style: per method (optimizer x constraint), the best final validation
                       accuracy and loss among the runs whose certified bound falls in each
                       half-decade bin (top), and the frontier: the best among the runs with a bound
                       at most x (bottom), against the bound on a log scale;
  PREFIX_methods.png   Fig. 4 style: each method's best run (highest final accuracy): its accuracy
                       with its certified bound written on the bar, and the RMS->RMS norm of every
                       layer over training (from the run's eval.csv);
  PREFIX_curves.png    training loss of each method's best run (train.csv);
  PREFIX_best.csv      the best run of each method, and of each method below bounds 10, 100, 1000;
  PREFIX_caps.csv      for the methods with a cap (constraint.w_max), how many finished runs end with
                       a layer norm above it (by more than 1 %), and the largest norm / w_max.
Runs are read from RESULTS.csv's directory (runs/<id>/). Only rows with status `done` are plotted.
"""
import argparse
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METHOD_NAMES = {"none": "weight decay", "spec_wd": "spectral wd", "spec_normalize": "spec. normalize",
                "orthogonal": "Stiefel", "spec_hammer": "hammer", "soft_cap": "soft cap", "hard_cap": "hard cap",
                "spectral_clip": "spectral clip", "pure_svd": "exact SVD clip", "clipped_wd": "clipped wd"}


def method_of(row):
    return f"{row.get('optim.kind', '?')} {METHOD_NAMES.get(row.get('constraint.method', 'none'), row.get('constraint.method'))}"


def read_rows(paths):
    rows = []
    for path in paths:
        if not os.path.exists(path):
            sys.exit(f"plot_sweep: {path} does not exist (run the sweep first)")
        with open(path) as f:
            for row in csv.DictReader(f):
                row["_dir"] = os.path.join(os.path.dirname(os.path.abspath(path)), "runs", row["id"])
                rows.append(row)
    done = [r for r in rows if r["status"] == "done" and r.get("log10_bound")]
    if not done:
        sys.exit("plot_sweep: no finished run in " + ", ".join(paths))
    return rows, done


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def best(runs, key, larger):
    runs = [r for r in runs if r.get(key) not in (None, "") and not math.isnan(float(r[key]))]
    if not runs:
        return None
    return (max if larger else min)(runs, key=lambda r: float(r[key]))


def save(fig, title, path):
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def color_of(methods):
    """One colour per method, the same in every figure (tab20: up to 20 methods)."""
    cmap = plt.get_cmap("tab20")
    return {m: cmap(i % 20) for i, m in enumerate(methods)}


def frontier(done, out, title):
    methods = sorted({method_of(r) for r in done})
    color = color_of(methods)
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for col, (key, larger, label) in enumerate((("final_val_acc", True, "final validation accuracy"),
                                                ("final_val_loss", False, "final validation loss"))):
        for m in methods:
            runs = sorted((r for r in done if method_of(r) == m and not math.isnan(float(r[key]))),
                          key=lambda r: float(r["log10_bound"]))
            bins = {}
            for r in runs:
                b = math.floor(2 * float(r["log10_bound"])) / 2
                if b not in bins or (float(r[key]) > float(bins[b][key]) if larger else float(r[key]) < float(bins[b][key])):
                    bins[b] = r
            style = "-o" if m.startswith("muon") else "--s"
            xs = sorted(bins)
            axes[0][col].plot([10 ** float(bins[x]["log10_bound"]) for x in xs], [float(bins[x][key]) for x in xs],
                              style, color=color[m], label=m, markersize=4)
            # Pareto frontier: the best value among the runs with a bound at most x.
            px, py, best_so_far = [], [], None
            for r in runs:
                v = float(r[key])
                if best_so_far is None or (v > best_so_far if larger else v < best_so_far):
                    best_so_far = v
                    px.append(10 ** float(r["log10_bound"]))
                    py.append(v)
            axes[1][col].step(px, py, where="post", linestyle="-" if m.startswith("muon") else "--", color=color[m],
                              label=m)
        for row, what in ((0, "best in each half-decade of the bound"), (1, "best with bound at most x (frontier)")):
            ax = axes[row][col]
            ax.set_xscale("log")
            ax.set_xlabel("certified Lipschitz bound (the deck's formula, exact norms)")
            ax.set_ylabel(f"{label}: {what}", fontsize=9)
            ax.grid(alpha=0.3)
            if not larger:
                ax.set_yscale("log")
    axes[0][0].legend(fontsize=7, ncol=2)
    save(fig, f"{title}: {len(done)} finished runs", out + "_frontier.png")


def methods_panels(done, out, title):
    methods = sorted({method_of(r) for r in done})
    color = color_of(methods)
    chosen = {m: best([r for r in done if method_of(r) == m], "final_val_acc", True) for m in methods}
    # layers in forward order where the names say it (..._in first, ..._out / norm_out last)
    layers = sorted({k for r in done for k in r if k.startswith("norm_") and r[k]},
                    key=lambda k: (0 if k.endswith("_in") or k == "norm_embed" else 2 if k.endswith("out") else 1, k))
    fig, axes = plt.subplots(1, 1 + len(layers), figsize=(5 + 4.2 * len(layers), 5))
    ax = axes[0]
    accs = [float(chosen[m]["final_val_acc"]) for m in methods]
    bars = ax.barh(range(len(methods)), accs, color=[color[m] for m in methods])
    for bar, m in zip(bars, methods):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" bound {float(chosen[m]['bound']):.3g}",
                va="center", fontsize=7)
    ax.set_yticks(range(len(methods)))
    ax.set_yticklabels(methods, fontsize=8)
    ax.set_xlim(min(accs) - 0.05, 1.0 if max(accs) > 0.9 else max(accs) + 0.15)
    ax.set_xlabel("final validation accuracy of the best run")
    for ax, layer in zip(axes[1:], layers):
        for i, m in enumerate(methods):
            ev = read_csv(os.path.join(chosen[m]["_dir"], "eval.csv"))
            ax.plot([int(e["step"]) for e in ev], [float(e[layer]) for e in ev], "-o" if m.startswith("muon") else "--s",
                    color=color[m], label=f"{m} (w_max {chosen[m].get('constraint.w_max', '-')})", markersize=3)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(f"{layer[5:]} RMS->RMS norm")
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=6)
    save(fig, f"{title}: the best run of each method", out + "_methods.png")
    return chosen


def curves(chosen, out, title):
    fig, ax = plt.subplots(figsize=(7, 5))
    color = color_of(sorted(chosen))
    for m, r in sorted(chosen.items()):
        tr = read_csv(os.path.join(r["_dir"], "train.csv"))
        ax.plot([int(t["step"]) for t in tr], [float(t["loss"]) for t in tr], color=color[m], label=m,
                linestyle="-" if m.startswith("muon") else "--")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, f"{title}: training loss of each method's best run", out + "_curves.png")


def best_table(rows, done, out):
    methods = sorted({method_of(r) for r in done})
    with open(out + "_best.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "runs", "finished", "bound_limit", "final_val_acc", "final_val_loss", "bound",
                    "optim.lr", "constraint.w_max", "optim.weight_decay", "constraint.spectral_wd", "id"])
        for m in methods:
            runs = [r for r in done if method_of(r) == m]
            total = len([r for r in rows if method_of(r) == m])
            for limit in (math.inf, 1000, 100, 10):
                r = best([x for x in runs if float(x["log10_bound"]) < math.log10(limit)], "final_val_acc", True)
                if r is None:
                    continue
                w.writerow([m, total, len(runs), "" if limit == math.inf else limit, r["final_val_acc"],
                            r["final_val_loss"], r["bound"], r.get("optim.lr", ""), r.get("constraint.w_max", ""),
                            r.get("optim.weight_decay", ""), r.get("constraint.spectral_wd", ""), r["id"]])


CAPPED = {"spec_normalize", "orthogonal", "spec_hammer", "soft_cap", "hard_cap", "spectral_clip", "pure_svd"}


def caps_table(done, out):
    """Whether each capped method keeps every layer's final RMS->RMS norm at or below w_max."""
    with open(out + "_caps.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "finished", "above_cap", "largest_norm_over_cap"])
        for m in sorted({method_of(r) for r in done if r.get("constraint.method") in CAPPED}):
            runs = [r for r in done if method_of(r) == m]
            ratios = [max(float(r[k]) for k in r if k.startswith("norm_") and r[k]) / float(r["constraint.w_max"])
                      for r in runs]
            w.writerow([m, len(runs), sum(x > 1.01 for x in ratios), f"{max(ratios):.4g}"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("results", nargs="+")
    p.add_argument("--out", required=True, help="prefix of the output files")
    p.add_argument("--title", default="sweep")
    a = p.parse_args()
    rows, done = read_rows(a.results)
    frontier(done, a.out, a.title)
    chosen = methods_panels(done, a.out, a.title)
    curves(chosen, a.out, a.title)
    best_table(rows, done, a.out)
    caps_table(done, a.out)
    print(f"plot_sweep: {len(done)} finished of {len(rows)} rows; wrote {a.out}_frontier.png, _methods.png, "
          f"_curves.png, _best.csv, _caps.csv")


if __name__ == "__main__":
    main()
