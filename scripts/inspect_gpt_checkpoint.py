#!/usr/bin/env python3
"""Where a trained transformer spends its Lipschitz budget: per-block activation and attention statistics.

    /usr/bin/python3 scripts/inspect_gpt_checkpoint.py CHECKPOINT --tokens FILE.h5 [--windows 16]

CHECKPOINT is a checkpoint_*.h5 of a `model.kind gpt` run or its run directory (`latest` is used);
the model is rebuilt from the resolved deck stored in it and evaluated, in double precision with
the independent PyTorch reference of regression/reference/, on the first --windows validation
windows of the token file (lip_prepare shakespeare / tokenize output). Printed per block: the
attention logit range, the mean attention entropy against that of uniform causal attention, the
RMS of both branch outputs and of the residual stream; then the RMS and l2 norm of the logits,
the loss, and the head's RMS->RMS singular values. Needs python3-torch and python3-h5py.
"""
import argparse
import math
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "regression", "reference"))
import lipschitz_reference as ref  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_files import checkpoint_path  # noqa: E402


def deck_values(text):
    values = {}
    for line in text.splitlines():
        parts = line.split("#")[0].split()
        if len(parts) >= 2:
            values[parts[0]] = parts[1]
    return values


def rms(t):
    return float(t.pow(2).mean(-1).sqrt().mean())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--tokens", required=True, help="token file with a val/tokens dataset")
    p.add_argument("--windows", type=int, default=16, help="validation windows to evaluate")
    args = p.parse_args()
    path = checkpoint_path(args.checkpoint)
    f = h5py.File(path, "r")
    deck_text = f.attrs["deck"]
    deck = deck_values(deck_text.decode() if isinstance(deck_text, bytes) else deck_text)
    if deck.get("model.kind") != "gpt":
        sys.exit(f"{path}: model.kind is {deck.get('model.kind')}, this tool reads gpt checkpoints")
    names = sorted(f["params"].keys(), key=lambda s: int(s.split("_")[0]))
    W = [torch.tensor(f["params"][n][:], dtype=ref.DTYPE) for n in names]
    width, depth, heads = int(deck["model.width"]), int(deck["model.depth"]), int(deck["model.heads"])
    T = int(deck["model.seq_len"])
    vocab = W[0].shape[1]
    if deck.get("model.gelu", "tanh") != "tanh" or deck.get("model.rope", "textbook") not in ("textbook", "reference"):
        sys.exit("this tool follows the reference forward: model.gelu tanh, model.rope textbook or reference")
    cfg = ref.GptConfig(vocab_size=vocab, seq_len=T, width=width, mlp_hidden=W[5].shape[0], num_heads=heads,
                        num_blocks=depth, softmax_scale=float(deck.get("model.softmax_scale", 1)),
                        residual_scale=float(deck.get("model.residual_scale", 1)),
                        final_scale=float(deck.get("model.final_scale", 1)), rope=deck.get("model.rope", "textbook"),
                        rope_base=float(deck.get("model.rope_base", 0)) or 10000.0, norm=deck.get("model.norm", "none"))
    val = h5py.File(args.tokens, "r")["val/tokens"][:]
    n = min(args.windows, (len(val) - 1) // T)
    if n < 1:
        sys.exit(f"{args.tokens}: val/tokens holds fewer than {T + 1} tokens")
    x = torch.tensor(np.stack([val[j * T:j * T + T] for j in range(n)]).astype(np.int64))
    y = torch.tensor(np.stack([val[j * T + 1:j * T + T + 1] for j in range(n)]).astype(np.int64))
    print(f"{path}: step {int(f.attrs['step'])}, {n} validation windows of {T} tokens")

    hs, r = width // heads, cfg.residual_scale / (2 * depth)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    uniform_entropy = float(np.mean(np.log(np.arange(1, T + 1))))
    h = W[0].T[x]
    print(f"embedding output RMS {rms(h):.3f}")

    def split(z):
        return z.reshape(n, T, heads, hs).permute(0, 2, 1, 3)

    for p in range(depth):
        Wv, Wq, Wk, Ww, Win, Wout = W[1 + 6 * p:7 + 6 * p]
        z = ref.pre_norm(h, cfg)
        Q, K, V = ref.rope(split(z @ Wq.T), cfg), ref.rope(split(z @ Wk.T), cfg), split(z @ Wv.T)
        S = cfg.softmax_scale * (Q @ K.transpose(-1, -2)) / hs
        A = torch.softmax(S.masked_fill(~causal, -math.inf), dim=-1)
        entropy = float(-(A * torch.log(A.clamp_min(1e-300))).sum(-1).mean())
        visible = S.masked_select(causal.expand_as(S))
        a = ((A @ V) / 3).permute(0, 2, 1, 3).reshape(n, T, width) @ Ww.T
        h = (1 - r) * h + r * a
        m = ref.gelu_tanh_scaled(ref.pre_norm(h, cfg) @ Win.T) @ Wout.T
        h = (1 - r) * h + r * m
        print(f"block {p} (forward order): attention logits [{float(visible.min()):.2f}, {float(visible.max()):.2f}], "
              f"entropy {entropy:.2f} (uniform {uniform_entropy:.2f}); branch RMS attention {rms(a):.3f} "
              f"MLP {rms(m):.3f}; residual stream RMS {rms(h):.3f}")
    logits = cfg.final_scale * (h @ W[-1].T)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
    acc = float((logits.argmax(-1) == y).double().mean())
    print(f"logits RMS {rms(logits):.3f}, l2 {float(logits.norm(dim=-1).mean()):.3f}; loss {float(loss):.4f}, "
          f"accuracy {acc:.4f}")
    sv = torch.linalg.svdvals(W[-1]) * math.sqrt(W[-1].shape[1] / W[-1].shape[0])
    print("head RMS->RMS singular values: " + " ".join(f"{float(s):.3f}" for s in sv[:8]) + " ... " +
          " ".join(f"{float(s):.2e}" for s in sv[-3:]))


if __name__ == "__main__":
    main()
