#pragma once
/* The models as LogitMaps (lipschitz_estimate.hpp), each with the certified upper bound of the map
 * it exposes, computed from exact norms (exact_norms.hpp) so that it is a certificate.
 *
 *  MlpLogitMap: input features → logits, RMS → RMS; bound Π_l ‖W_l‖_{RMS→RMS}·|final_scale|
 *    (ALGORITHMS §7.1), valid everywhere; exact JVP (Mlp::logits_jvp).
 *  GptLogitMap: embedding output x (T, C) → logits (T, V), ∞RMS → ∞RMS. The paper recursion of
 *    §7.3 (gpt_bound.hpp) is a product L = L_E · Π_branches(|1−α| + α·L_branch(a)) · L_head·|fs| whose
 *    activation bounds start at a₀ = L_E, the embedding's max column RMS, because every lookup
 *    output has per-position RMS ≤ a₀. The factors after L_E are therefore a Lipschitz bound of
 *    x ↦ logits on {x : ‖x‖_∞RMS ≤ a₀}: the certified bound divided by L_E, on that domain. The
 *    paper formula is used whatever the deck's model.bound_formula (the reference recursion starts
 *    its activation bound at 1 and is not valid for softmax_scale < 1). No exact JVP: the
 *    estimators use central differences and secants of the forward.
 */
#include <cmath>

#include "model/gpt.hpp"
#include "model/mlp.hpp"
#include "robustness/lipschitz_estimate.hpp"

namespace lip {

class MlpLogitMap : public LogitMap {
 public:
  //! Batches up to the MLP's max_batch rows.
  explicit MlpLogitMap(Mlp& mlp);
  size_t positions() const override { return 1; }
  size_t input_features() const override { return mlp_.config().input_dim; }
  size_t output_features() const override { return mlp_.config().output_dim; }
  double log10_upper_bound() const override { return log10_upper_; }
  double domain_radius() const override;
  void evaluate(const kernels::MatrixView& logits, const kernels::MatrixView& x) override;
  void vjp(const kernels::MatrixView& d_x, const kernels::MatrixView& u) override;
  bool exact_jvp() const override { return true; }
  void jvp(const kernels::MatrixView& t, const kernels::MatrixView& v) override;

 private:
  Mlp& mlp_;
  double log10_upper_;
  kernels::IndexTensor1 targets_;  ///< placeholder classes: the forward computes a loss nobody reads
};

class GptLogitMap : public LogitMap {
 public:
  //! Batches of the transformer's configured batch sizes (in examples = sequences).
  explicit GptLogitMap(Gpt& gpt);
  size_t positions() const override { return gpt_.config().seq_len; }
  size_t input_features() const override { return gpt_.config().width; }
  size_t output_features() const override { return gpt_.config().logit_rows(); }
  double log10_upper_bound() const override { return log10_upper_; }
  double domain_radius() const override { return embed_norm_; }
  //! log10 of the certified bound of the whole transformer (tokens → logits, paper formula).
  double log10_certified_bound() const { return log10_upper_ + std::log10(embed_norm_); }
  void evaluate(const kernels::MatrixView& logits, const kernels::MatrixView& x) override;
  void vjp(const kernels::MatrixView& d_x, const kernels::MatrixView& u) override;

 private:
  kernels::Tensor3 sequences(const kernels::MatrixView& m) const;
  Gpt& gpt_;
  double embed_norm_ = 0, log10_upper_ = 0;
};

}  // namespace lip
