"""Independent PyTorch reference for the regression suite (issue 6).

Written from the specification (../shared/spec/ALGORITHMS.md §2–§8, NANOGPT.md §3.1), not from the
C++ sources. Everything runs in float64 on the CPU; gradients come from autograd, never from a
hand-written backward, so the C++ backward kernels are checked against an independent derivation.

Conventions (ALGORITHMS §0): a weight W has shape [m, n] = [fan_out, fan_in]; a linear layer maps
rows x to x Wᵀ; c(W) = sqrt(m/n). The embedding E is [D, V] (columns are tokens).

Where the spec lists a CODE behaviour and a recommended one, this file follows what the C++
project documents as its default (all noted inline with the section number):
  * soft-cap strength: k <= w_max gives alpha = 0 (§2.4 recommendation, §13 item 6);
  * power iteration is replaced by an exact SVD (the converged answer), see `top_singular_triple`;
  * a zero matrix is left unchanged by the power-iteration methods (§13 item 7);
  * sensitive (w_max-scaled) semantics for hard_cap / orthogonal / spec_normalize in every model
    (§13 item 1 recommendation);
  * the transformer bound is the finer, forward-order formula of §7.3 / §13 item 14; the
    reference-code formula of §7.2 is provided as well;
  * per-role caps (the C++ options constraint.qk_w_max / head_w_max, NanoGPT's lm_head_w_max):
    the attention query/key matrices q<block>, k<block> and the head (tracker `out`) may carry
    their own w_max, 0 meaning w_max (`param_w_max`);
  * the Unembed head (§4.3) is measured in the bound by its RMS->RMS operator norm sqrt(D/V)·σ1,
    not by the max row RMS of §1.3 (that is not an operator norm, §13 item 14).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import torch

DTYPE = torch.float64

# ---------------------------------------------------------------------------------------------
# Odd-polynomial iteration and Newton–Schulz (§2.3, §5.2)
# ---------------------------------------------------------------------------------------------

#: §5.2, the authors' 6-step table (integers / 1024).
REFERENCE6 = [
    (3955 / 1024, -8306 / 1024, 5008 / 1024),
    (3735 / 1024, -6681 / 1024, 3463 / 1024),
    (3799 / 1024, -6499 / 1024, 3211 / 1024),
    (4019 / 1024, -6385 / 1024, 2906 / 1024),
    (2677 / 1024, -3029 / 1024, 1162 / 1024),
    (2172 / 1024, -1833 / 1024, 682 / 1024),
]
#: NANOGPT.md §3.1, the spectral-cap script's 5-step table (supremum 1.1450204).
NANOGPT5 = [
    (4.0848, -6.8946, 2.9270),
    (3.9505, -6.3029, 2.6377),
    (3.7418, -5.5913, 2.3037),
    (2.8769, -3.1427, 1.2046),
    (2.8366, -3.0525, 1.2012),
]
#: NANOGPT.md §3.1: the upstream Muon coefficients, 5 identical steps.
QUINTIC = [(3.4445, -4.7750, 2.0315)] * 5
#: §2.3 item 3, the hard-cap polynomial (no normalization beforehand).
HARD_CAP = [
    (0.805032, 0.206361, -0.019763),
    (0.649867, 0.162935, -0.011150),
    (1.810259, -0.200265, 0.008251),
    (1.004384, -0.183490, 0.014413),
]

NS_TABLES = {"reference6": REFERENCE6, "nanogpt5": NANOGPT5, "quintic": QUINTIC}


def odd_polynomial(X: torch.Tensor, steps) -> torch.Tensor:
    """§2.3 primitive: transpose a wide X so rows >= cols, then per step G = XᵀX,
    X <- X (a I + b G + c G²); transpose back. Acts as σ -> aσ + bσ³ + cσ⁵."""
    wide = X.shape[1] > X.shape[0]
    if wide:
        X = X.T
    eye = torch.eye(X.shape[1], dtype=X.dtype)
    for a, b, c in steps:
        G = X.T @ X
        X = X @ (a * eye + b * G + c * (G @ G))
    return X.T if wide else X


def newton_schulz(M: torch.Tensor, steps=REFERENCE6) -> torch.Tensor:
    """§5.2: NS(M) = odd-polynomial steps applied to M / (‖M‖_F + 1e-12)."""
    return odd_polynomial(M / (torch.linalg.norm(M) + 1e-12), steps)


def polar_factor(M: torch.Tensor) -> torch.Tensor:
    """msign(M) = U Vᵀ from an exact SVD (§2.7); the limit every Newton–Schulz table approximates."""
    U, _, Vh = torch.linalg.svd(M, full_matrices=False)
    return U @ Vh


# ---------------------------------------------------------------------------------------------
# Spectral maps (§2.2–§2.4, §2.7, §3)
# ---------------------------------------------------------------------------------------------


def top_singular_triple(X: torch.Tensor):
    """(u, σ1, v) with X v = σ1 u, from an exact SVD. §3 specifies 16 power iterations from a random
    start; the converged power iteration equals this triple whenever σ1 > σ2 (the C++ test raises
    the iteration count, see regression/README.md). Zero matrix: σ1 = 0, u = v = 0 (§13 item 7)."""
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    if S[0] == 0:
        return torch.zeros(X.shape[0], dtype=X.dtype), 0.0, torch.zeros(X.shape[1], dtype=X.dtype)
    return U[:, 0], float(S[0]), Vh[0, :]


def singular_values(X: torch.Tensor) -> torch.Tensor:
    return torch.linalg.svdvals(X)


def svd_clip(X: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """U clip(Σ, [lo, hi]) Vᵀ by an exact SVD (§2.3 item 5 for lo = 0, §2.7 in general)."""
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    return U @ torch.diag(S.clamp(min=lo, max=hi)) @ Vh


def soft_cap_strength(w_max: float, decay_coupled: float, update_norm: float) -> float:
    """§2.4: k = w_max (1 − λη) + η'; alpha solves p(k) = w_max with p = p2∘p1.
    With β = k²α: g(β) = β⁴ − 3β³ + 3β² = 1 − w_max/k, g increasing on (0, 1): bisection in double.
    k <= w_max returns 0 (the recommended fix of §13 item 6)."""
    k = w_max * (1.0 - decay_coupled) + update_norm
    if k <= w_max:
        return 0.0
    target = 1.0 - w_max / k

    def g(beta):
        return beta * beta * (beta * beta - 3.0 * beta + 3.0)

    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi:
            break
        if g(mid) < target:
            lo = mid
        else:
            hi = mid
    beta = 0.5 * (lo + hi)
    return min(1.0, beta / (k * k))


def soft_cap_composite(alpha: float, x: float) -> float:
    """p(σ) = p2(p1(σ)), p1 = σ − ασ³, p2 = σ + ασ³ (§2.3 item 4)."""
    y = x - alpha * x ** 3
    return y + alpha * y ** 3


#: Methods whose natural target is 1 and that reach w_max only through the sensitive scaling (§2.2).
SENSITIVE_METHODS = {"hard_cap", "orthogonal", "spec_normalize"}

#: Every method this reference implements: §2.3 (the eight of the paper/code) and §2.7 (exact clip and
#: spectrally clipped weight decay, the paper-only alternatives).
METHODS = ["none", "spec_wd", "spec_normalize", "orthogonal", "spec_hammer", "soft_cap", "hard_cap", "pure_svd",
           "spectral_clip", "clipped_wd"]
#: Methods that use the top singular triple (power iteration in §3).
POWER_ITERATION_METHODS = {"spec_wd", "spec_normalize", "spec_hammer"}


@dataclass
class ProjectionSettings:
    method: str = "none"
    w_max: float = 1.0
    weight_decay: float = 0.0  # wd; coupled λη = wd·lr_t·T
    spectral_wd: float = 0.0
    clip_min: float = 0.0  # lower clip of spectral_clip / pure_svd
    clipped_wd_lambda: float = 0.0
    qk_w_max: float = 0.0  # w_max of the attention query/key matrices (0: w_max)
    head_w_max: float = 0.0  # w_max of the head group (0: w_max)


def apply_method(X: torch.Tensor, method: str, s: ProjectionSettings, alpha: float) -> torch.Tensor:
    """P(X) of §2.3 / §2.7 in the normalized space."""
    if method == "none":
        return X.clone()
    if method == "orthogonal":
        return newton_schulz(X, REFERENCE6)
    if method == "hard_cap":
        return odd_polynomial(X, HARD_CAP)
    if method == "soft_cap":
        return odd_polynomial(X, [(1.0, -alpha, 0.0), (1.0, alpha, 0.0)])
    if method == "pure_svd":
        return svd_clip(X, s.clip_min, s.w_max)
    if method == "spectral_clip":
        return svd_clip(X, s.clip_min, s.w_max)
    if method == "clipped_wd":
        lam = s.clipped_wd_lambda
        return (1.0 - lam) * X + lam * svd_clip(X, 0.0, s.w_max)
    u, sigma, v = top_singular_triple(X)
    if sigma == 0.0:
        return X.clone()
    if method == "spec_normalize":
        return X / max(1.0, sigma)
    if method == "spec_hammer":
        return X + (s.w_max - sigma) * torch.outer(u, v)
    if method == "spec_wd":
        return X - s.spectral_wd * sigma * torch.outer(u, v)
    raise ValueError(f"unknown method {method}")


def projection_alpha(shape, s: ProjectionSettings, lr_t: float, target_norm: float) -> float:
    """§2.2/§2.4 (CODE coupling): α = soft_cap_strength(w_max, wd·η, η / sqrt(m/n)), η = lr_t·T."""
    m, n = shape
    c = math.sqrt(m / n)
    eta = lr_t * target_norm
    return soft_cap_strength(s.w_max, s.weight_decay * eta, eta / c)


def project_linear(W: torch.Tensor, s: ProjectionSettings, lr_t: float, target_norm: float) -> torch.Tensor:
    """§2.2: c = sqrt(m/n); α from the coupling; if sensitive c <- c·w_max (after α); W <- c P(W/c)."""
    m, n = W.shape
    c = math.sqrt(m / n)
    alpha = projection_alpha(W.shape, s, lr_t, target_norm) if s.method == "soft_cap" else 0.0
    if s.method in SENSITIVE_METHODS:
        c *= s.w_max
    return c * apply_method(W / c, s.method, s, alpha)


def rms_normalize_columns(E: torch.Tensor, f: float) -> torch.Tensor:
    """§4.1 rmsnormalize along the D axis: column s -> s / max(1/f, RMS(s)); zero columns stay zero."""
    rms = torch.sqrt((E * E).mean(dim=0, keepdim=True))
    denom = torch.clamp(rms, min=1.0 / f)
    out = E / torch.where(denom > 0, denom, torch.ones_like(denom))
    return out


def rms_normalize_rows(U: torch.Tensor, f: float) -> torch.Tensor:
    """§4.1 rmsnormalize along the D axis of an unembedding [V, D]: row s -> s / max(1/f, RMS(s))."""
    return rms_normalize_columns(U.T, f).T


def project_embedding(E: torch.Tensor) -> torch.Tensor:
    """§4.2: per-token column RMS capped at 1."""
    return rms_normalize_columns(E, 1.0)


def project_unembedding(U: torch.Tensor) -> torch.Tensor:
    """§4.3: per-token row RMS capped at 1 (never inflated); the method and w_max do not apply."""
    return rms_normalize_rows(U, 1.0)


# ---------------------------------------------------------------------------------------------
# Activations and loss (§6.1, §6.2, §6.4, §8)
# ---------------------------------------------------------------------------------------------


class ReluHalfAtZero(torch.autograd.Function):
    """max(0, x) with derivative 1 (x > 0), 0.5 (x == 0), 0 (x < 0): the JAX tie rule that §6.1 and
    §13 item 10 require (the zero-initialized first layer gets gradient only through it)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0.0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = torch.where(x > 0, torch.ones_like(x), torch.where(x == 0, torch.full_like(x, 0.5), torch.zeros_like(x)))
        return grad * slope


def relu(x):
    return ReluHalfAtZero.apply(x)


GELU_DIVISOR = 1.1289


def gelu_tanh_scaled(x):
    """§6.2: ½ x (1 + tanh(sqrt(2/π)(x + 0.044715 x³))) / 1.1289."""
    u = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1.0 + torch.tanh(u)) / GELU_DIVISOR


def cross_entropy(logits, targets):
    """§8: mean over positions of logsumexp(logits) − logits[target]."""
    lse = torch.logsumexp(logits, dim=-1)
    picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (lse - picked).mean()


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


@dataclass
class Param:
    name: str
    kind: str  # "matrix" | "embedding" | "unembedding"
    value: torch.Tensor
    target_norm: float
    group: str = "hidden"  # optimizer group: "hidden" | "embed" | "head" (the transformer's `out`)


@dataclass
class MlpConfig:
    input_dim: int = 20
    width: int = 16
    output_dim: int = 5
    num_layers: int = 3
    final_scale: float = 1.0


def mlp_names(cfg: MlpConfig):
    """§6.1 parameter order = forward order: mlp_in, mlp_{nb−3}, …, mlp_0, mlp_out."""
    L = cfg.num_layers
    return ["mlp_in"] + [f"mlp_{L - 2 - l}" for l in range(1, L - 1)] + ["mlp_out"]


def mlp_shapes(cfg: MlpConfig):
    L = cfg.num_layers
    shapes = []
    for l in range(L):
        rows = cfg.output_dim if l == L - 1 else cfg.width
        cols = cfg.input_dim if l == 0 else cfg.width
        shapes.append((rows, cols))
    return shapes


def mlp_target_norm(cfg: MlpConfig) -> float:
    """§5.5: every layer T = 1/(nb·fs)."""
    return 1.0 / (cfg.num_layers * cfg.final_scale)


def mlp_forward(cfg: MlpConfig, weights, x, y):
    """§6.1: mlp_in, ReLU, hidden layers with ReLU, mlp_out, × final_scale. Returns (loss, logits)."""
    h = x
    for W in weights[:-1]:
        h = relu(h @ W.T)
    logits = cfg.final_scale * (h @ weights[-1].T)
    return cross_entropy(logits, y), logits


@dataclass
class GptConfig:
    vocab_size: int = 11
    seq_len: int = 8
    width: int = 16
    mlp_hidden: int = 64
    num_heads: int = 2
    num_blocks: int = 2
    softmax_scale: float = 1.0
    residual_scale: float = 1.0
    final_scale: float = 1.0
    blocks_mass: float = 16.0
    rope: str = "textbook"  # textbook | reference
    rope_base: float = 10000.0
    norm: str = "none"  # none | rmsnorm | layernorm (§6.2 layernorm_substitute)


BLOCK_WEIGHTS = ["v", "q", "k", "w", "mlp_in", "mlp_out"]


def gpt_names(cfg: GptConfig):
    """§6.2 parameter order: embed, per block in forward order (tracker L−1 first) v, q, k, w,
    mlp_in, mlp_out, then out."""
    names = ["embed"]
    for p in range(cfg.num_blocks):
        tracker = cfg.num_blocks - 1 - p
        names += [f"{w}{tracker}" for w in BLOCK_WEIGHTS]
    return names + ["out"]


def gpt_shapes(cfg: GptConfig):
    C, H = cfg.width, cfg.mlp_hidden
    shapes = [(C, cfg.vocab_size)]
    for _ in range(cfg.num_blocks):
        shapes += [(C, C), (C, C), (C, C), (C, C), (H, C), (C, H)]
    return shapes + [(cfg.vocab_size, C)]


def gpt_target_norms(cfg: GptConfig):
    """§5.5 CODE reading (a): per-weight T in gpt_names order."""
    L, B, s, fs = cfg.num_blocks, cfg.blocks_mass, cfg.softmax_scale, cfg.final_scale
    r = cfg.residual_scale / (2 * L)
    S_att = (1 + 2 * s) / 3
    R = (1 - r) + r * S_att
    out = [1.0 / (fs * (B + 2) * R ** L)]
    for p in range(L):
        T_blk = B / (fs * (B + 2) * L * R ** (L - 1 - p))
        v = T_blk * (2 / 3) * (1 / r) * (3 / 4)
        qk = v / s
        w = T_blk * (2 / 3) * (1 / r) * (1 / 4)
        mlp = T_blk * (1 / 3) * (1 / r) * (1 / 2)
        out += [v, qk, qk, w, mlp, mlp]
    return out + [1.0 / (fs * (B + 2))]


def rope_tables(T: int, hs: int, base: float):
    """θ[t, j] = t · base^(−j/(hs/2)), j < hs/2 (§6.2)."""
    h2 = hs // 2
    t = torch.arange(T, dtype=DTYPE).unsqueeze(1)
    j = torch.arange(h2, dtype=DTYPE).unsqueeze(0)
    theta = t * base ** (-j / h2)
    return torch.cos(theta), torch.sin(theta)


def rope(x, cfg: GptConfig):
    """x [B, H, T, hs]. Halves xa = x[..., :hs/2], xb = x[..., hs/2:].
    textbook (rotation by +θ, the rotate-half layout): a' = c·xa − s·xb, b' = s·xa + c·xb.
    reference (§6.2 exact CODE): out[j] = s·xb + c·xa; out[h2 + j] = −c·xb + s·xa."""
    hs = x.shape[-1]
    h2 = hs // 2
    cos, sin = rope_tables(x.shape[-2], hs, cfg.rope_base)
    xa, xb = x[..., :h2], x[..., h2:]
    if cfg.rope == "textbook":
        return torch.cat([cos * xa - sin * xb, sin * xa + cos * xb], dim=-1)
    if cfg.rope == "reference":
        return torch.cat([sin * xb + cos * xa, -cos * xb + sin * xa], dim=-1)
    raise ValueError(cfg.rope)


def pre_norm(x, cfg: GptConfig):
    """§6.2 layernorm_substitute (no gain/bias, ε = 1e-5)."""
    if cfg.norm == "none":
        return x
    if cfg.norm == "rmsnorm":
        return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + 1e-5)
    if cfg.norm == "layernorm":
        mu = x.mean(dim=-1, keepdim=True)
        var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + 1e-5)
    raise ValueError(cfg.norm)


def gpt_forward(cfg: GptConfig, weights, tokens, targets):
    """§6.2 forward. weights in gpt_names order; tokens, targets [B, T] int64. Returns (loss, logits)."""
    Bsz, T = tokens.shape
    C, H = cfg.width, cfg.num_heads
    hs = C // H
    r = cfg.residual_scale / (2 * cfg.num_blocks)
    E = weights[0]
    h = E.T[tokens]  # [B, T, C]: column E[:, x] per token
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    lowest = torch.finfo(DTYPE).min

    def heads(z):  # [B, T, C] -> [B, H, T, hs]
        return z.reshape(Bsz, T, H, hs).permute(0, 2, 1, 3)

    for p in range(cfg.num_blocks):
        Wv, Wq, Wk, Ww, Win, Wout = weights[1 + 6 * p: 7 + 6 * p]
        z = pre_norm(h, cfg)
        Q = rope(heads(z @ Wq.T), cfg)
        K = rope(heads(z @ Wk.T), cfg)
        Vv = heads(z @ Wv.T)
        S = (Q @ K.transpose(-1, -2)) / hs  # 1/d scaling
        S = torch.where(causal, S, torch.full_like(S, lowest))  # mask before the scale
        S = cfg.softmax_scale * S
        A = torch.softmax(S, dim=-1)
        O = (1.0 / 3.0) * (A @ Vv)  # the 1/3 factor
        merged = O.permute(0, 2, 1, 3).reshape(Bsz, T, C)
        h = (1 - r) * h + r * (merged @ Ww.T)
        z = pre_norm(h, cfg)
        m = gelu_tanh_scaled(z @ Win.T) @ Wout.T
        h = (1 - r) * h + r * m
    logits = cfg.final_scale * (h @ weights[-1].T)
    return cross_entropy(logits.reshape(-1, cfg.vocab_size), targets.reshape(-1)), logits.reshape(-1, cfg.vocab_size)


def loss_and_grads(forward, weights):
    """Autograd gradients of the mean loss with respect to every weight."""
    leaves = [w.detach().clone().requires_grad_(True) for w in weights]
    loss, logits = forward(leaves)
    grads = torch.autograd.grad(loss, leaves)
    return float(loss), logits.detach(), [g.detach() for g in grads]


# ---------------------------------------------------------------------------------------------
# Muon (§5.1, §5.6) and schedules (§5.7)
# ---------------------------------------------------------------------------------------------


def linear_schedule(t: int, total: int) -> float:
    return (total - t) / total


@dataclass
class Muon:
    lr: float
    beta1: float = 0.9
    weight_decay: float = 0.0
    embed_inflation: float = 16.0
    table: list = field(default_factory=lambda: REFERENCE6)
    buffers: list = None

    def momentum(self, grads):
        """Mbuf <- β·Mbuf + (1 − β)·G (EMA, no Nesterov, no bias correction)."""
        if self.buffers is None:
            self.buffers = [torch.zeros_like(g) for g in grads]
        self.buffers = [self.beta1 * b + (1 - self.beta1) * g for b, g in zip(self.buffers, grads)]
        return self.buffers

    def dualize(self, kind, buf, target_norm):
        """Linear: NS(M)·sqrt(m/n)·T. Embedding (unembedding): column (row) RMS normalization with
        inflation cap, ·T (§4.2, §4.3)."""
        if kind == "embedding":
            return rms_normalize_columns(buf, self.embed_inflation) * target_norm
        if kind == "unembedding":
            return rms_normalize_rows(buf, self.embed_inflation) * target_norm
        m, n = buf.shape
        return newton_schulz(buf, self.table) * math.sqrt(m / n) * target_norm

    def step(self, params, grads, schedule_factor):
        """Momentum, dualize, then W <- W·(1 − wd·η) − lr_t·D with η = lr_t·T. Returns (new weights,
        dualized directions)."""
        lr_t = self.lr * schedule_factor
        bufs = self.momentum(grads)
        new, dirs = [], []
        for p, buf in zip(params, bufs):
            D = self.dualize(p.kind, buf, p.target_norm)
            eta = lr_t * p.target_norm
            new.append(p.value * (1 - self.weight_decay * eta) - lr_t * D)
            dirs.append(D)
        return new, dirs


def is_query_or_key(name: str) -> bool:
    """Attention query/key matrices are q<block>, k<block> (gpt_names)."""
    return len(name) > 1 and name[0] in "qk" and name[1:].isdigit()


def param_w_max(p: Param, s: ProjectionSettings) -> float:
    """Per-role cap: the head group takes head_w_max, else q/k matrices take qk_w_max; 0 (or any
    other tensor) falls back to w_max. Embeddings and unembeddings ignore it (their own maps)."""
    own = s.head_w_max if p.group == "head" else s.qk_w_max if is_query_or_key(p.name) else 0.0
    return own if own > 0 else s.w_max


def param_settings(p: Param, s: ProjectionSettings) -> ProjectionSettings:
    """The settings project_linear gets for this tensor: `s` with the tensor's own w_max."""
    return dataclasses.replace(s, w_max=param_w_max(p, s))


def project_all(params, weights, settings: ProjectionSettings, lr_t: float):
    """§2.1: embedding columns / unembedding rows capped at RMS 1, every matrix through
    project_linear with its own w_max."""
    out = []
    for p, W in zip(params, weights):
        if p.kind == "embedding":
            out.append(project_embedding(W))
        elif p.kind == "unembedding":
            out.append(project_unembedding(W))
        else:
            out.append(project_linear(W, param_settings(p, settings), lr_t, p.target_norm))
    return out


# ---------------------------------------------------------------------------------------------
# Norms and certified bounds (§1.2, §1.3, §7)
# ---------------------------------------------------------------------------------------------


def rms_to_rms_norm(W: torch.Tensor) -> float:
    """‖W‖_{RMS→RMS} = sqrt(n/m)·σ1 with σ1 from an exact SVD."""
    m, n = W.shape
    return math.sqrt(n / m) * float(torch.linalg.matrix_norm(W, ord=2))


def max_column_rms(E: torch.Tensor) -> float:
    """ℓ1→RMS norm of the embedding: max column RMS (§1.2)."""
    return float(torch.sqrt((E * E).mean(dim=0)).max())


def param_norms(params, weights):
    """Bound norms: max column RMS (ℓ1→RMS) for the embedding, RMS→RMS for every matrix and for the
    unembedding (an operator norm, unlike its max row RMS)."""
    return [max_column_rms(W) if p.kind == "embedding" else rms_to_rms_norm(W) for p, W in zip(params, weights)]


def mlp_bound(norms, final_scale=1.0) -> float:
    """§7.1 (any depth, ×|final_scale| per §13 item 14): Π ‖W_l‖."""
    b = abs(final_scale)
    for x in norms:
        b *= x
    return b


def gpt_bound_paper(cfg: GptConfig, norms) -> float:
    """§7.3 / §13 item 14 (recommended): forward order, α = residual_scale/(2N),
    L_att = (1/3)·w·v·(1 + 2·s·a²·q·k), L_mlp = mo·mi/1.1289, a₀ = L_E (the embedding output's ∞RMS
    is at most its max column RMS), result × L_O × |final_scale|."""
    return gpt_bound_paper_stages(cfg, norms)[-1][1]


def gpt_bound_paper_stages(cfg: GptConfig, norms):
    """The recursion of gpt_bound_paper as (stage, running bound) pairs: "embed", then per block
    p in forward order "block{p}.attn" and "block{p}.mlp", then "head" (× L_O × |final_scale|)."""
    N = cfg.num_blocks
    alpha = cfg.residual_scale / (2 * N)
    s = cfg.softmax_scale
    L_E, L_O = norms[0], norms[-1]
    a = L_E
    L = L_E
    stages = [("embed", L)]
    for p in range(N):
        v, q, k, w, mi, mo = norms[1 + 6 * p: 7 + 6 * p]
        L_att = (1 / 3) * w * v * (1 + 2 * s * a * a * q * k)
        L = (1 - alpha) * L + alpha * L * L_att
        a = (1 - alpha) * a + alpha * (w * v / 3) * a
        stages.append((f"block{p}.attn", L))
        L_mlp = mo * mi / GELU_DIVISOR
        L = (1 - alpha) * L + alpha * L * L_mlp
        a = (1 - alpha) * a + alpha * (mo * mi / GELU_DIVISOR) * a
        stages.append((f"block{p}.mlp", L))
    stages.append(("head", L * L_O * abs(cfg.final_scale)))
    return stages


def gpt_bound_reference_code(cfg: GptConfig, norms) -> float:
    """§7.2 exactly: a[0] = 1, α = 1/(2N), tracker index 0 first (= the LAST forward block),
    L_att = (1/3)·w·(v + 2·v·a[2i]²·q·k)·s, final_scale ignored."""
    N = cfg.num_blocks
    alpha = 1 / (2 * N)
    s = cfg.softmax_scale
    L_E, L_O = norms[0], norms[-1]
    blocks = {}
    for p in range(N):
        v, q, k, w, mi, mo = norms[1 + 6 * p: 7 + 6 * p]
        blocks[N - 1 - p] = dict(v=v, q=q, k=k, w=w, mi=mi, mo=mo)
    a = [1.0]
    for i in range(N):
        b = blocks[i]
        a.append((1 - alpha) * a[-1] + alpha * (b["w"] * b["v"] / 3) * a[-1])
        a.append((1 - alpha) * a[-1] + alpha * (b["mo"] * b["mi"] / GELU_DIVISOR) * a[-1])
    L = L_E
    for i in range(N):
        b = blocks[i]
        L_att = (1 / 3) * b["w"] * (b["v"] + 2 * b["v"] * a[2 * i] ** 2 * b["q"] * b["k"]) * s
        L_mlp = b["mo"] * b["mi"] / GELU_DIVISOR
        L = (1 - alpha) * L + alpha * L * L_att
        L = (1 - alpha) * L + alpha * L * L_mlp
    return L * L_O


# ---------------------------------------------------------------------------------------------
# Deterministic generators shared with the C++ tests
# ---------------------------------------------------------------------------------------------


def splitmix64_uniform(seed: int, count: int):
    """u_i = (splitmix64(seed·2^32 + i) >> 11)·2^-53 in [0, 1), i = 0..count−1, bit-exact with the
    ~10 lines in tests/support/regression_compare.hpp. Used only for the Shakespeare-size parameters,
    which are too large (2.4 M values) to store; it is a shared recipe, not the C++ RNG."""
    import numpy as np

    mask = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) << np.uint64(32)) + np.arange(count, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        z = z & mask
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def splitmix64_matrix(seed: int, rows: int, cols: int, scale: float) -> torch.Tensor:
    """W[i, j] = scale·(2·u(i·cols + j) − 1): uniform on [−scale, scale)."""
    u = splitmix64_uniform(seed, rows * cols)
    return torch.from_numpy(scale * (2.0 * u - 1.0)).reshape(rows, cols).to(DTYPE)
