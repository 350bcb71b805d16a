#!/usr/bin/env python3
"""Tiny synthetic datasets for the driver tests, in the project's HDF5 formats (docs/FORMATS.md).

    synthetic_datasets.py DIR

writes DIR/baseline_images.h5 (64 train / 32 test 6x6 grey images whose mean grows with the
label; seeded, so every run writes the same bytes) and DIR/baseline_chars.h5 (a repeated English
phrase as character tokens, 90/10 split). inputs/regression/*.in read them by these names.
"""
import sys

import h5py
import numpy as np


def write_images(path):
    rng = np.random.default_rng(7)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "lipschitz-image-classification"
        f.attrs["version"] = np.int64(1)
        f.attrs["num_classes"] = np.int64(10)
        f.attrs["source"] = "synthetic"
        for split, n in (("train", 64), ("test", 32)):
            labels = (np.arange(n) * 3 % 10).astype(np.uint8)
            g = f.create_group(split)
            g["images"] = np.clip(rng.normal(20 * labels[:, None, None, None], 30, (n, 6, 6, 1)), 0, 255).astype(np.uint8)
            g["labels"] = labels


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


if __name__ == "__main__":
    write_images(f"{sys.argv[1]}/baseline_images.h5")
    write_chars(f"{sys.argv[1]}/baseline_chars.h5")
