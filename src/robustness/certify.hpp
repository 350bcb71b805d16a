#pragma once
/* Certified radii from the logit margin and the certified Lipschitz bound (docs/ROBUSTNESS.md).
 *
 * The MLP's bound L is RMS→RMS: ‖f(x) − f(x')‖_RMS ≤ L·‖x − x'‖_RMS with RMS over the d inputs
 * and the K logits, i.e. ‖Δz‖₂ ≤ L·√(K/d)·‖Δx‖₂. Turning class y into class j needs the margin
 * m = z_y − max_{j≠y} z_j to vanish, and |Δ(z_y − z_j)| ≤ √2·‖Δz‖₂. So no perturbation with
 *   ‖Δx‖₂ < r₂ = m / (√2 · L · √(K/d))       or       ‖Δx‖∞ < r∞ = r₂ / √d
 * changes the prediction. A misclassified example has radius 0.
 */
#include <cstddef>
#include <vector>

#include "kernels/attack.hpp"

namespace lip {

//! The ℓ2→ℓ2 Lipschitz constant of the logits implied by an RMS→RMS bound.
double l2_lipschitz_from_rms(double rms_bound, size_t input_dim, size_t output_dim);

struct CertifiedExample {
  int label = 0, prediction = 0;
  double margin = 0;             //!< z_y − max_{j≠y} z_j (≤ 0 when misclassified)
  double radius_l2 = 0, radius_linf = 0;
  double radius(kernels::ThreatNorm norm) const {
    return norm == kernels::ThreatNorm::l2 ? radius_l2 : radius_linf;
  }
};

//! Radii of every example from its logits (row-major [N, K] on the host) and labels.
std::vector<CertifiedExample> certify_examples(const std::vector<double>& logits, const std::vector<int>& labels,
                                               size_t input_dim, double rms_bound);

//! Fraction of examples certified at radius ε: correctly classified with radius > ε.
double certified_accuracy(const std::vector<CertifiedExample>& examples, kernels::ThreatNorm norm, double eps);

}  // namespace lip
