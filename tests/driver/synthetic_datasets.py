#!/usr/bin/env python3
"""Tiny synthetic datasets for the driver tests, in the project's HDF5 formats (docs/FORMATS.md).

    synthetic_datasets.py baselines DIR
        DIR/baseline_images.h5 (64 train / 32 test 6x6 images) and DIR/baseline_chars.h5 (a
        repeated English phrase as character tokens, 90/10 split), the files inputs/regression/*.in read.
    synthetic_datasets.py images FILE [--train N] [--test N] [--side S] [--seed K] [--label-step M] [--noise SIGMA]
        grey S x S images; label of example i is (i * M) % 10; pixels are uniform random bytes, or,
        with --noise, Gaussian around 20 * label with that standard deviation (a learnable signal).

Everything is seeded: the same arguments always write the same arrays.
"""
import argparse

import h5py
import numpy as np


def write_images(path, train=64, test=32, side=8, seed=0, label_step=1, noise=None):
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "lipschitz-image-classification"
        f.attrs["version"] = np.int64(1)
        f.attrs["num_classes"] = np.int64(10)
        f.attrs["source"] = "synthetic"
        for split, n in (("train", train), ("test", test)):
            labels = (np.arange(n) * label_step % 10).astype(np.uint8)
            if noise is None:
                images = rng.integers(0, 255, (n, side, side, 1), dtype=np.uint8)
            else:
                images = np.clip(rng.normal(20 * labels[:, None, None, None], noise, (n, side, side, 1)), 0, 255)
            g = f.create_group(split)
            g["images"] = images.astype(np.uint8)
            g["labels"] = labels
            g.attrs["count"] = np.int64(n)


def write_chars(path):
    text = ("to be or not to be that is the question " * 40).encode()
    vocab = sorted(set(text))
    ids = np.array([vocab.index(c) for c in text], dtype=np.uint16)
    cut = len(ids) * 9 // 10
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "lipschitz-char-tokens"
        f.attrs["version"] = np.int64(1)
        f.attrs["vocabulary"] = bytes(vocab).decode()
        f.attrs["vocab_size"] = np.int64(len(vocab))
        f["train/tokens"] = ids[:cut]
        f["val/tokens"] = ids[cut:]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    b = sub.add_parser("baselines")
    b.add_argument("dir")
    i = sub.add_parser("images")
    i.add_argument("file")
    i.add_argument("--train", type=int, default=64)
    i.add_argument("--test", type=int, default=32)
    i.add_argument("--side", type=int, default=8)
    i.add_argument("--seed", type=int, default=0)
    i.add_argument("--label-step", type=int, default=1)
    i.add_argument("--noise", type=float)
    args = p.parse_args()
    if args.what == "baselines":
        write_images(f"{args.dir}/baseline_images.h5", train=64, test=32, side=6, seed=7, label_step=3, noise=30)
        write_chars(f"{args.dir}/baseline_chars.h5")
    else:
        write_images(args.file, args.train, args.test, args.side, args.seed, args.label_step, args.noise)


if __name__ == "__main__":
    main()
