#pragma once
/* Spectral constraint maps: single-matrix functions acting on X (m, n), already in the
 * normalized space of ALGORITHMS §2.2 (X = W / c, so singular values of X are RMS→RMS norms).
 * Every map below is in place; `σ_i` are the singular values of X, `(u, σ1, v)` its top triple.
 *
 *   power_iterate        (u, σ1, v) by 16 (configurable) power iterations, §3. Deterministic
 *                        Gaussian start from (seed, stream = shape_stream(m, n)) — all same-shape
 *                        matrices of a step share the start, as in the reference code. Iterates on
 *                        the left when m < n, else on the right. Guarded (§13 item 7): a zero
 *                        iterate gives σ1 = 0, u = v = 0 and no NaN, so the maps below leave a
 *                        zero matrix unchanged. σ1 is a lower estimate of ‖X‖₂ (exact only when
 *                        the iteration has converged: error ~ (σ2/σ1)^(2·iterations)).
 *   spectral_normalize   X ← X / max(1, σ1)                                (§2.3 item 8)
 *   spectral_hammer      X ← X + (w_max − σ1)·u vᵀ: top singular value set to w_max (item 6)
 *   spectral_weight_decay X ← X − spectral_wd·σ1·u vᵀ: top singular value × (1 − spectral_wd)
 *   orthogonalize        X ← NS(X) (Stiefel projection, reference6 table unless given, §5.2)
 *   hard_cap             X ← h(X), h = 4-step polynomial ≈ min(1, σ) on [0, ~3.5] (§2.3 item 3)
 *   soft_cap             X ← p2(p1(X)), p1 = x − αx³, p2 = x + αx³ (§2.3 item 4);
 *                        on σ: p(σ) = σ − 3α²σ⁵ + 3α³σ⁷ − α⁴σ⁹
 *   spectral_clip        X ← U clip(Σ, [σ_min, σ_max]) Vᵀ, exact up to msign accuracy (paper
 *                        App. B, ALGORITHMS §2.7): with Q = msign(X) and H = QᵀX = V Σ Vᵀ (tall
 *                        form; wide uses H = X Qᵀ = U Σ Uᵀ),
 *                          clip(X) = ½[(a+b)·Q + (aQ − X)·sign(aI − H) − (bQ − X)·sign(bI − H)]
 *                        from clip(x) = ½[a + b + |a − x| − |b − x|]. For a = 0 this is the
 *                        paper's hardcap_β(W) = ½[βQ + W − (βQ − W)·msign(βI − QᵀW)], written on
 *                        the small side. Accuracy: singular values at distance δ from a threshold
 *                        err by at most δ·|1 − sign estimate|, so the error is largest near the
 *                        thresholds and bounded by the msign accuracy elsewhere (newton_schulz.hpp).
 *                        Measured: |error| ≤ 5.1e-7·max(1, σ) in float (tests/test_spectral.cpp,
 *                        singular values at, below and above both thresholds). Singular values
 *                        below ~1e-6·‖X‖_F (not resolved by msign): kept exactly when σ_min = 0;
 *                        with σ_min > 0 they map to σ_min·f(σ/‖X‖_F) < σ_min, f the msign
 *                        composite (their singular direction is numerically undefined).
 *   spectral_clipped_weight_decay  X ← (1 − λ)X + λ·hardcap_β(X) (paper App. B); with updates of
 *                        norm ≤ η its equilibrium top singular value is β + (1 − λ)η/λ.
 *   pure_svd_clip        X ← U clip(Σ, [σ_min, σ_max]) Vᵀ by an exact LAPACK SVD (dgesdd) of a
 *                        HOST MIRROR: host-side, allocates and synchronizes; not for the GPU hot
 *                        path (§2.3 item 5, `pure_svd`).
 *   rms_normalize_columns / rms_normalize_rows  (§4.1) every column (row) slice s of a (D, V)
 *                        matrix becomes s / max(1/f, RMS(s)): f = 1 caps the RMS at 1 (embedding
 *                        projection), finite f > 1 normalizes to RMS 1 but inflates by at most f
 *                        (embedding dualization), f = ∞ normalizes every nonzero slice to RMS 1.
 *                        All-zero slices stay zero.
 *   soft_cap_strength    α for the soft cap from the learning-rate coupling (§2.4, host, double).
 *
 * Scratch: `SingularTriple(rows, cols)` (power iteration), `NsWorkspace(rows, cols)` (polynomial
 * maps), `ClipWorkspace(rows, cols)` (exact clip); allocate each once per matrix shape.
 */
#include <cstdint>
#include <vector>

#include "newton_schulz.hpp"
#include "types.hpp"

namespace lip::kernels {

using DeviceScalar = Kokkos::View<double, MemSpace>;

//! Power-iteration result and scratch for one shape: X v ≈ σ1 u.
struct SingularTriple {
  SingularTriple() = default;
  SingularTriple(size_t rows, size_t cols);
  size_t rows = 0, cols = 0;
  Tensor1 u;           // (rows) top left singular vector (0 when σ1 = 0)
  Tensor1 v;           // (cols) top right singular vector (0 when σ1 = 0)
  Tensor1 work;        // (rows) scratch: coefficient·u for the rank-one updates
  DeviceScalar sigma;  // σ1 estimate, on the device (no host sync needed by the maps)
  DeviceScalar norm2;  // scratch: squared norm of the current iterate
};

//! Scratch for the exact (msign-based) clip of one shape.
struct ClipWorkspace {
  ClipWorkspace() = default;
  ClipWorkspace(size_t rows, size_t cols);
  size_t rows = 0, cols = 0;
  Tensor2 q;              // (rows, cols) Q = msign(X)
  Tensor2 h;              // (s, s) H = QᵀX (tall) or X Qᵀ (wide), s = min(rows, cols)
  Tensor2 shifted;        // (s, s) t·I − sym(H)
  Tensor2 sign;           // (s, s) msign(t·I − H)
  NsWorkspace ns;         // (rows, cols) for msign(X); its x / x_next are reused afterwards
  NsWorkspace ns_small;   // (s, s) for msign(t·I − H)
};

//! Stream of the power-iteration start for an (m, n) matrix: the shape folded into the seed.
uint64_t shape_stream(size_t rows, size_t cols);

//! Top singular triple of X by `iterations` power iterations (fills top.u, top.v, top.sigma);
//! returns σ1 (one host sync). Zero matrix: σ1 = 0, u = v = 0.
double power_iterate(SingularTriple& top, MatrixView X, uint64_t seed, int iterations = 16);

//! Scales X so that σ1 ≤ 1: X ← X / max(1, σ1).
void spectral_normalize(MatrixView X, SingularTriple& top, uint64_t seed, int iterations = 16);

//! Sets the top singular value to w_max: X ← X + (w_max − σ1)·u vᵀ (others unchanged).
void spectral_hammer(MatrixView X, double w_max, SingularTriple& top, uint64_t seed, int iterations = 16);

//! Shrinks the top singular value by (1 − spectral_wd): X ← X − spectral_wd·σ1·u vᵀ.
void spectral_weight_decay(MatrixView X, double spectral_wd, SingularTriple& top, uint64_t seed,
                           int iterations = 16);

//! Stiefel projection: every singular value ≥ band_from·‖X‖_F moves into the table's band (≈ 1).
void orthogonalize(MatrixView X, NsWorkspace& ws, const NsTable& table = ns_table("reference6"));

//! The 4-step hard-cap polynomial table (ALGORITHMS §2.3 item 3).
const std::vector<NsStep>& hard_cap_steps();

//! Scalar composite h(σ) of the hard cap (host; Appendix R.2).
double hard_cap_composite(double x);

//! Caps singular values at ≈ 1: σ ↦ h(σ) (max 1.0109 on [0, 3]; 1 → 0.96607; diverges σ ≳ 3.6).
void hard_cap(MatrixView X, NsWorkspace& ws);

//! Scalar composite p(σ) = p2(p1(σ)) of the soft cap (host).
double soft_cap_composite(double alpha, double x);

//! Soft cap: σ ↦ σ − 3α²σ⁵ + 3α³σ⁷ − α⁴σ⁹ (α = 0 is the identity).
void soft_cap(MatrixView X, double alpha, NsWorkspace& ws);

//! Exact clip of singular values to [sigma_min, sigma_max] via msign (accuracy in the header).
void spectral_clip(MatrixView X, double sigma_min, double sigma_max, ClipWorkspace& ws);

//! Spectrally clipped weight decay: X ← (1 − lambda)·X + lambda·hardcap_beta(X).
void spectral_clipped_weight_decay(MatrixView X, double beta, double lambda, ClipWorkspace& ws);

//! HOST-SIDE exact clip by LAPACK SVD of a host mirror (allocates; not for the hot path).
void pure_svd_clip(MatrixView X, double sigma_min, double sigma_max);

//! HOST-SIDE exact σ1 by LAPACK SVD of a host mirror (allocates; metrics and tests only).
double spectral_norm_exact(MatrixView X);

//! out(:, j) = in(:, j) / max(1/f, RMS(in(:, j))) for every column; zero columns stay zero.
void rms_normalize_columns(MatrixView out, MatrixView in, double f);
//! In-place column variant (f = 1: embedding projection, cap column RMS at 1).
void rms_normalize_columns(MatrixView E, double f);

//! out(i, :) = in(i, :) / max(1/f, RMS(in(i, :))) for every row; zero rows stay zero.
void rms_normalize_rows(MatrixView out, MatrixView in, double f);
//! In-place row variant.
void rms_normalize_rows(MatrixView U, double f);

//! Soft-cap strength α (ALGORITHMS §2.4): k = w_max·(1 − decay_coupled) + update_norm; k ≤ w_max
//! gives 0; else β solves β⁴ − 3β³ + 3β² = 1 − w_max/k on (0, 1) (safeguarded Newton in double)
//! and α = min(1, β/k²), so that p(k) = w_max.
double soft_cap_strength(double w_max, double decay_coupled, double update_norm);

}  // namespace lip::kernels
