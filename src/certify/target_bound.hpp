#pragma once
/* certify.target_bound: a Lipschitz bound chosen before training (ALGORITHMS §7). The cap of every
 * matrix without a per-role cap of its own (the role of constraint.w_max) is solved so that the
 * model's certified bound, evaluated at the norm each tensor's projection leaves it with at most,
 * is the target. The bound is the model's own certified_bound (Mlp: Π layer norms × |final_scale|;
 * Gpt: gpt_lipschitz_bound with the deck's formula, residual and softmax scales and final_scale),
 * so the bound measured at every evaluation stays at or below the target by construction.
 *
 *   caps_i(σ) = enforced_norm_cap(tensor i under the policy with w_max = σ)   (constraint/projector.hpp)
 *   B(σ)      = certified_bound(caps(σ) · (1 + kCapSlack))
 *   σ*        = the largest σ with B(σ) ≤ target, by bisection on log10 σ (B is non-decreasing
 *               in every norm, hence in σ)
 *
 * Fixed parts: the embedding (column RMS ≤ 1), an unembedding head (RMS→RMS ≤ D), and an explicit
 * constraint.head_w_max / constraint.qk_w_max, which keep their value. The smallest reachable bound is
 * B(0) (every free cap at zero); a target at or below it is refused, naming both numbers.
 * MLP with n layers: σ* = (target/|final_scale|)^(1/n) / (1 + kCapSlack).
 */
#include <string>
#include <vector>

#include "constraint/policy.hpp"
#include "model/model.hpp"

namespace lip {

//! Relative allowance for the float rounding of the cap-guaranteeing methods: the caps are solved
//! as if every tensor could end at cap × (1 + kCapSlack). Measured overshoot of every such method
//! (exact SVD, tests/test_target_bound.cpp, caps 0.1 to 6): spectral_clip 3.1e-7, pure_svd 2.6e-8,
//! orthogonal none (its composite stays below 0.99934).
constexpr double kCapSlack = 1e-5;

struct TargetBoundSolution {
  double target = 0;
  double w_max = 0;             //!< the solved cap of every matrix without a per-role cap
  ConstraintPolicy policy;      //!< the deck's policy with w_max solved
  std::vector<double> caps;     //!< per tensor: the largest norm its projection leaves (no slack)
  LipschitzBound worst_case;    //!< certified_bound(caps × (1 + kCapSlack)) ≤ target
  LipschitzBound smallest;      //!< B(0): the infimum over w_max (not reached: w_max > 0)
  //! The caps grouped by role and the worst-case bound, for the start-up report.
  std::string describe(const ParamStore& params) const;
};

//! Why `method` cannot serve certify.target_bound ("" when it can): it must guarantee its cap
//! (registry: guarantees_cap), and a unit-target one must be sensitive to w_max.
std::string target_bound_method_problem(ProjectionMethod method, bool sensitive_all);

//! The largest norm each tensor of `params` ends with under `policy` (enforced_norm_cap).
std::vector<double> enforced_caps(const ParamStore& params, const ConstraintPolicy& policy, bool sensitive_all);

//! Solves w_max of `policy` for `target` on `model` (header). Throws lip::Error naming
//! certify.target_bound when the policy's method does not guarantee its cap, or when the target
//! is not finite and positive or not above the smallest reachable bound.
TargetBoundSolution solve_target_bound(const Model& model, const ConstraintPolicy& policy, bool sensitive_all,
                                       double target);

}  // namespace lip
