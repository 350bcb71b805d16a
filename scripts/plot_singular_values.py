#!/usr/bin/env python3
"""Plot the singular values of one weight matrix stored in a lip_driver checkpoint.

    /usr/bin/python3 scripts/plot_singular_values.py CHECKPOINT [--tensor NAME] [--out FILE.png]

CHECKPOINT is a checkpoint_*.h5 file or a run directory (its `latest` checkpoint is used).
--tensor picks the parameter by name (e.g. mlp_0, 3_block0.attn_q) or index (default: the first
matrix). The left panel shows the raw singular values sigma_i of W (fan_out, fan_in), the right
panel the same in RMS->RMS units, sqrt(fan_in / fan_out) * sigma_i, the norm the constraints and
the certified bound use (docs/FORMATS.md, "Checkpoints"). --list prints every tensor and its
largest RMS->RMS singular value instead of plotting.
"""
import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_files import checkpoint_path  # noqa: E402


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--tensor", help="parameter name or index (default: the first matrix)")
    p.add_argument("--out", help="PNG file (default: <checkpoint>_<tensor>_sv.png)")
    p.add_argument("--list", action="store_true", help="list the tensors and their top RMS->RMS singular value")
    args = p.parse_args()

    path = checkpoint_path(args.checkpoint)
    with h5py.File(path, "r") as f:
        if text(f.attrs.get("format", b"")) != "lipschitz-checkpoint":
            sys.exit(f"{path}: format attribute is {f.attrs.get('format')!r}, expected 'lipschitz-checkpoint'")
        step = int(f.attrs["step"])
        entries = sorted(f["params"], key=lambda n: int(n.split("_", 1)[0]))
        tensors = {text(f["params"][n].attrs["name"]): (n, text(f["params"][n].attrs["kind"])) for n in entries}
        if args.list:
            for n in entries:
                W = f["params"][n][...].astype(np.float64)
                s = np.linalg.svd(W, compute_uv=False)
                print(f"{n:24s} {text(f['params'][n].attrs['kind']):9s} {str(W.shape):14s} "
                      f"sigma_max {s[0]:.4g}  RMS->RMS {np.sqrt(W.shape[1] / W.shape[0]) * s[0]:.4g}")
            return
        if args.tensor is None:
            name = next((t for t, (_, kind) in tensors.items() if kind == "matrix"), None)
        elif args.tensor.isdigit():
            name = text(f["params"][entries[int(args.tensor)]].attrs["name"])
        else:
            name = args.tensor
        if name not in tensors:
            sys.exit(f"{path}: no parameter '{args.tensor}'; it holds: {', '.join(tensors)}")
        dataset, kind = tensors[name]
        W = f["params"][dataset][...].astype(np.float64)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fan_out, fan_in = W.shape
    sigma = np.linalg.svd(W, compute_uv=False)
    scale = np.sqrt(fan_in / fan_out)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, values, label in ((axes[0], sigma, "singular value $\\sigma_i$"),
                              (axes[1], scale * sigma, "RMS$\\to$RMS: $\\sqrt{fan_{in}/fan_{out}}\\,\\sigma_i$")):
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", linewidth=1)
        ax.set_xlabel("index i")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[1].set_title(f"max {scale * sigma[0]:.4g}")
    axes[0].set_title(f"max {sigma[0]:.4g}")
    fig.suptitle(f"{name} ({kind}, {fan_out}x{fan_in}) at step {step}: {os.path.basename(path)}")
    fig.tight_layout()
    out = args.out or f"{os.path.splitext(path)[0]}_{name}_sv.png"
    fig.savefig(out, dpi=120)
    print(f"{out}: {name} {W.shape}, sigma_max {sigma[0]:.6g}, RMS->RMS {scale * sigma[0]:.6g}")


if __name__ == "__main__":
    main()
