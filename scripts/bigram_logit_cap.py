#!/usr/bin/env python3
"""The best bigram predictor whose logit vectors are capped in l2 norm: a yardstick for small-logit models.

    /usr/bin/python3 scripts/bigram_logit_cap.py TOKENS.h5 R [R ...]

For each cap R, fits the 65 (or V) logit vectors z(x) of a bigram model, one per previous token
x, to the training split by projected gradient descent under ||z(x) - mean(z(x))||_2 <= R (the
softmax ignores the mean), and prints its training and validation cross-entropy and accuracy.
Any transformer's logits obey ||logits||_2 <= final_scale * sigma_head * sqrt(V) * RMS(h), h the
last residual stream (sigma_head the head's RMS->RMS norm), so a Lipschitz-constrained model that
ignores its context cannot beat this curve at its own logit norm (docs/RESULTS.md).
"""
import sys

import h5py
import numpy as np


def counts(tokens, vocab):
    C = np.zeros((vocab, vocab))
    np.add.at(C, (tokens[:-1], tokens[1:]), 1)
    return C


def cross_entropy(Z, C):
    top = Z.max(1, keepdims=True)
    lse = np.log(np.exp(Z - top).sum(1)) + top[:, 0]
    return (C * (lse[:, None] - Z)).sum() / C.sum()


def accuracy(Z, C):
    return C[np.arange(len(C)), Z.argmax(1)].sum() / C.sum()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with h5py.File(sys.argv[1], "r") as f:
        train, val = f["train/tokens"][:].astype(np.int64), f["val/tokens"][:].astype(np.int64)
    vocab = int(max(train.max(), val.max())) + 1
    C, Cv = counts(train, vocab), counts(val, vocab)
    P = (C + 1e-3) / (C + 1e-3).sum(1, keepdims=True)
    print(f"{sys.argv[1]}: {len(train)} train / {len(val)} val tokens, vocabulary {vocab}")
    for R in (float(a) for a in sys.argv[2:]):
        Z = np.zeros((vocab, vocab))
        for _ in range(20000):
            S = np.exp(Z - Z.max(1, keepdims=True))
            S /= S.sum(1, keepdims=True)
            Z -= 0.5 * (S - P)                       # gradient of the expected cross-entropy
            Z -= Z.mean(1, keepdims=True)
            norm = np.linalg.norm(Z, axis=1, keepdims=True)
            Z *= np.minimum(1.0, R / np.maximum(norm, 1e-12))
        print(f"logit l2 <= {R:8.2f}: train CE {cross_entropy(Z, C):.4f}  val CE {cross_entropy(Z, Cv):.4f}  "
              f"val acc {accuracy(Z, Cv):.4f}")


if __name__ == "__main__":
    main()
