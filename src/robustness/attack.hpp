#pragma once
/* White-box attacks on a trained MLP (docs/ROBUSTNESS.md): FGSM/FGM and PGD in ℓ2 or ℓ∞ with
 * random starts and restarts, projection onto each example's ε-ball and the data range [0, 1].
 * The kernels are in kernels/attack.hpp; this file sequences forward, input gradient and step.
 *
 * Starts: the first pass starts at the clean input (one restart; for the targeted loss one per
 * wrong class), later restarts at uniform random points of the ball (unless random_start is off).
 * A fixed-step projected ascent slides along the sphere only slowly (the angle to the best direction
 * shrinks by about the step fraction per step), so a clean start is what lets PGD reach the exact
 * boundary of a near-linear model; random starts add diversity for the non-linear ones.
 *
 * An example counts as broken when ANY point visited by any restart (the start and every step) is
 * misclassified; `worst_prob` is the lowest correct-class probability over the same points.
 */
#include <string>
#include <vector>

#include "kernels/attack.hpp"
#include "model/mlp.hpp"

namespace lip {

using kernels::ThreatNorm;
ThreatNorm parse_threat_norm(const std::string& name);  //!< "l2" | "linf"
const char* threat_norm_name(ThreatNorm norm);

enum class AttackLoss {
  cross_entropy,  //!< ascend the example's cross-entropy
  margin,         //!< ascend z_{j*} − z_y, j* the best wrong class (Carlini–Wagner margin)
  targeted,       //!< restart r ascends z_j − z_y for the fixed class j = (y + 1 + r) mod K: with
                  //!< K − 1 restarts every wrong class is tried (multi-targeted PGD)
};
AttackLoss parse_attack_loss(const std::string& name);  //!< "ce" | "margin" | "targeted"

struct AttackSettings {
  ThreatNorm norm = ThreatNorm::l2;
  int steps = 50;                //!< gradient steps per restart (FGSM: 1)
  double step_fraction = 0;      //!< step size as a fraction of ε; 0: 2.5/steps (Madry et al.)
  int restarts = 1;
  bool random_start = true;      //!< restarts after the first pass start at random points; FGSM: false
  AttackLoss loss = AttackLoss::cross_entropy;
  uint64_t seed = 0;

  static AttackSettings fgsm(ThreatNorm norm);
  double step() const { return step_fraction > 0 ? step_fraction : 2.5 / steps; }
  //! Restarts that start at the clean input: 1, or K − 1 for the targeted loss.
  int deterministic_restarts(int classes) const;
};

//! Per example: broken (some visited point misclassified) and the lowest correct-class probability.
struct AttackOutcome {
  std::vector<int> broken;
  std::vector<double> worst_prob;
};

//! Attacks examples x0 [N, features] with labels y [N], each within its own radius eps [N],
//! in chunks of the model's batch size. `first_example` offsets the random draws (docs above).
class Attacker {
 public:
  explicit Attacker(Mlp& model);
  AttackOutcome run(const kernels::Tensor2& x0, const kernels::IndexTensor1& y, const kernels::Tensor1& eps,
                    const AttackSettings& settings);

 private:
  Mlp& model_;
  size_t chunk_;
  Batch batch_;                    //!< the current adversarial points of one chunk
  kernels::Tensor2 grad_, cotangent_;
  kernels::View1<int> fooled_;
  kernels::Tensor1 worst_;
};

}  // namespace lip
