#pragma once
/* Newton–Schulz orthogonalization and the odd-polynomial iteration it is built on.
 *
 * Odd-polynomial iteration (ALGORITHMS §2.3). One step with coefficients (a, b, c) maps
 *   tall X (m >= n):  X ← X · (a·I + b·G + c·G²),   G = Xᵀ X   (n, n)
 *   wide X (m <  n):  X ← (a·I + b·A + c·A²) · X,   A = X Xᵀ   (m, m)
 * The wide form is the tall form applied to Xᵀ and transposed back ((Xᵀ P)ᵀ = Pᵀ X, P symmetric),
 * so the Gram matrix is always formed on the small side, without copying a transpose. On the
 * singular values σ of X (singular vectors unchanged) one step is σ ↦ a σ + b σ³ + c σ⁵; the
 * host function `odd_polynomial_composite` evaluates the composite of a step list on a scalar.
 *
 * Newton–Schulz NS(M) (ALGORITHMS §5.2): X = M / (‖M‖_F + 1e-12), then the steps of a named
 * coefficient table. After the pre-normalization every σ/‖M‖_F lies in [0, 1], and the output
 * singular values are f(σ/‖M‖_F) with f the table's scalar composite. NS(0) = 0 (no NaN).
 *
 * Tables (`ns_table(name)`; band = range of f on [band_from, 1], computed from the composite on a
 * 2·10⁵-point grid; the matrix iteration in float adds O(1e-5) rounding):
 *   reference6  6 steps, the authors' JAX/Modula table (integers /1024). The composite never
 *               exceeds 0.999335 on [0, 1], which makes the Muon update norm provably ≤ lr·T.
 *               Band [0.99558, 0.999335] for σ ≥ 0.003·‖M‖_F (spec rounds to [0.9956, 0.99934]).
 *   nanogpt5    5 steps, the NanoGPT spectral-cap script (NANOGPT.md §3.1). Supremum 1.1450204
 *               at σ ≈ 0.00407·‖M‖_F: the reason for the coupling factor 1.14502·1.05.
 *               Band [0.97775, 1.1450204] for σ ≥ 0.003·‖M‖_F.
 *   quintic     Keller Jordan's upstream (3.4445, −4.7750, 2.0315) × 5. Band [0.68183, 1.20237]
 *               for σ ≥ 0.003·‖M‖_F (it trades accuracy for speed of lifting small σ).
 *   msign       High-accuracy matrix sign / polar factor U Vᵀ (paper App. B exact clipping):
 *               10 × quintic (lifts every σ ≥ 1.5e-6·‖M‖_F into [0.68, 1.21]) then
 *               4 × (15/8, −10/8, 3/8) (the degree-5 Newton–Schulz step: p(1) = 1,
 *               p'(1) = p''(1) = 0, cubic convergence). In exact arithmetic |f(x) − 1| < 1e-7
 *               for x ≥ 1.5e-6 and < 2e-14 for x ≥ 2.2e-6. Measured on matrices with condition
 *               number 1e3: singular values within 1 ± 3.3e-7 in float and 1 ± 1e-12 in double
 *               (tests/test_newton_schulz*.cpp).
 *               Singular values below ~1e-6·‖M‖_F are not lifted (sign of ~0 is ill-posed).
 *
 * Scratch: `NsWorkspace(rows, cols)` holds two (rows, cols) iterates and two (s, s) matrices,
 * s = min(rows, cols); allocate it once per matrix shape. `out` may alias `in`.
 */
#include <string>
#include <vector>

#include "types.hpp"

namespace lip::kernels {

//! One odd-polynomial step σ ↦ a σ + b σ³ + c σ⁵.
struct NsStep {
  double a, b, c;
};

//! A named coefficient table with its documented output band.
struct NsTable {
  std::string name;
  std::string source;          // where the coefficients come from and how they were tuned
  std::vector<NsStep> steps;   // applied in order
  double band_from;            // the band holds for inputs σ ≥ band_from·‖M‖_F ...
  double band_lo, band_hi;     // ... output singular values lie in [band_lo, band_hi]
};

//! The table called `name` (reference6, nanogpt5, quintic, msign); unknown names throw
//! std::invalid_argument listing the valid ones.
const NsTable& ns_table(const std::string& name);

//! Names accepted by ns_table, in a fixed order.
const std::vector<std::string>& ns_table_names();

//! Scalar composite of `n_steps` odd-polynomial steps at x (host; tests and docs).
double odd_polynomial_composite(const NsStep* steps, size_t n_steps, double x);

//! Scalar composite f(x) of a Newton–Schulz table: NS maps singular value σ to f(σ/‖M‖_F).
double ns_composite(const NsTable& table, double x);

//! Scratch for the odd-polynomial iteration of one matrix shape (allocate once per shape).
struct NsWorkspace {
  NsWorkspace() = default;
  NsWorkspace(size_t rows, size_t cols);
  size_t rows = 0, cols = 0;
  Tensor2 x;       // (rows, cols) current iterate
  Tensor2 x_next;  // (rows, cols) next iterate (ping-pong)
  Tensor2 gram;    // (s, s) Gram matrix on the small side, s = min(rows, cols)
  Tensor2 poly;    // (s, s) a·I + b·G + c·G²
};

//! out = odd-polynomial steps applied to prescale·in (no normalization beyond `prescale`).
//! Shapes: out, in (ws.rows, ws.cols). `out` may alias `in`.
void odd_polynomial_iterate(MatrixView out, MatrixView in, NsWorkspace& ws, const NsStep* steps,
                            size_t n_steps, double prescale = 1.0);

//! out = NS(in): Frobenius pre-normalization (+1e-12), then the table's steps. Output singular
//! values are f(σ/‖in‖_F) (see the band of each table above). `out` may alias `in`.
void newton_schulz(MatrixView out, MatrixView in, NsWorkspace& ws, const NsTable& table);

//! out ≈ msign(in) = U Vᵀ (polar factor) via the high-accuracy `msign` table.
void msign(MatrixView out, MatrixView in, NsWorkspace& ws);

}  // namespace lip::kernels
