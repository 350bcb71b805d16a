#pragma once
/* Empirical LOWER bounds of a model's Lipschitz constant, to set next to the certified UPPER bound.
 *
 * The map is f: x ↦ logits, seen through LogitMap (logit_maps.hpp: the MLP on its input features,
 * the transformer on its embedding output). An example is `positions()` rows of input features and
 * as many rows of logits; the norm on both sides is ∞RMS over positions (the largest per-position
 * RMS, ALGORITHMS §1.1), which for one position (the MLP) is the RMS norm — the norms in which the
 * certified bounds are stated (§7).
 *
 * Two estimators, each reporting only quantities that cannot exceed the true constant except by
 * floating-point rounding, so that lower ≤ upper is a theorem:
 *  (a) jacobian_lower_bound: power iteration on JᵀJ per example (J = ∂f/∂x at a test input), in ℓ2,
 *      optionally restricted to one input position and one output position (a block of J); the
 *      reported value is ‖J v‖/‖v‖ in ∞RMS for the final direction v. With an exact forward-mode
 *      product (LogitMap::exact_jvp) that is an exact Jacobian product; otherwise J·v is a central
 *      difference during the iteration, and the reported value is the secant
 *      ‖f(a) − f(b)‖/‖a − b‖ of two actual forward evaluations a, b = x ± h·v projected onto the
 *      domain (a ratio of forward evaluations is a lower bound by definition).
 *  (b) pair_lower_bound: gradient ascent of log‖f(x) − f(x')‖ − log‖x − x'‖ over pairs started at
 *      a test input and a small random perturbation of it (the ∞RMS subgradient: the worst position
 *      on each side; the gradient through f by the VJP); the best ratio of actual forward
 *      evaluations is kept. Pairs stay in the domain by projection after every step, and ratios of
 *      pairs closer than `min_distance` are not recorded (rounding would dominate them).
 * The domain is where the upper bound holds: per-position RMS ≤ LogitMap::domain_radius().
 */
#include <cstdint>
#include <string>

#include "kernels/types.hpp"

namespace lip {

//! A differentiable map from a batch of examples to their logits. Batches are matrices
//! (examples·positions, features), example e owning rows [e·positions, (e+1)·positions).
class LogitMap {
 public:
  virtual ~LogitMap() = default;
  virtual size_t positions() const = 0;
  virtual size_t input_features() const = 0;
  virtual size_t output_features() const = 0;
  //! Certified upper bound of the Lipschitz constant of f on the domain, as log10.
  virtual double log10_upper_bound() const = 0;
  //! The domain of that bound: inputs whose every position has RMS ≤ this (infinity: everywhere).
  virtual double domain_radius() const = 0;
  //! logits = f(x); the derivatives below are taken at this x.
  virtual void evaluate(const kernels::MatrixView& logits, const kernels::MatrixView& x) = 0;
  //! d_x = Jᵀ·u at the last evaluated x (the backward; exact).
  virtual void vjp(const kernels::MatrixView& d_x, const kernels::MatrixView& u) = 0;
  //! Whether jvp is implemented (exact forward mode at the last evaluated x).
  virtual bool exact_jvp() const { return false; }
  //! t = J·v at the last evaluated x (only when exact_jvp()).
  virtual void jvp(const kernels::MatrixView& t, const kernels::MatrixView& v);
};

//! Restricts the power iteration to one block of J: the input at position `input` and the output at
//! position `output` (−1: every position). For a causal transformer the block (T−1, T−1) is all
//! that the last position's input reaches, so its ℓ2 optimum is also its ∞RMS optimum.
struct PositionBlock {
  int input = -1, output = -1;
  std::string name() const;  //!< "all→all", "t→s"
};

struct LowerBoundOptions {
  int iterations = 20;         //!< (a) power iterations
  int steps = 20;              //!< (b) ascent steps per pair
  double secant_step = 1e-2;   //!< central-difference step h, relative to each example's ∞RMS norm
  double pair_start = 1e-2;    //!< initial ‖x − x'‖, relative to each example's ∞RMS norm
  double min_distance = 1e-3;  //!< pairs closer than this (relative) are not recorded
  uint64_t seed = 0;           //!< random start directions and perturbations
};

//! A lower bound and the example (row block of the inputs) that attains it.
struct LowerBound {
  double value = 0;
  size_t example = 0;
};

//! (a) The largest Jacobian ratio over the examples of x (examples·positions, input_features).
LowerBound jacobian_lower_bound(LogitMap& f, const kernels::MatrixView& x, const LowerBoundOptions& options,
                                PositionBlock block = {});

//! (b) The largest ratio ‖f(x) − f(x')‖/‖x − x'‖ found by ascent from each example of x.
LowerBound pair_lower_bound(LogitMap& f, const kernels::MatrixView& x, const LowerBoundOptions& options);

}  // namespace lip
