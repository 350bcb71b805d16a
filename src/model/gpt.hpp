#pragma once
/* The Lipschitz transformer (ALGORITHMS §6.2, NANOGPT.md §1): token embedding, L blocks of
 * causal attention and MLP, each a convex residual (1 − r)·h + r·branch with r = ρ/(2L), then a
 * Linear head times final_scale. No biases, no learned positions (rotary only), optional pre-norm
 * substitutes (none by default).
 *
 * Per block (forward position p; tracker index L−1−p, the reference's naming):
 *   z = norm(h);  q = rope(z W_qᵀ);  k = rope(z W_kᵀ);  v = z W_vᵀ
 *   o = (1/3) · merge(softmax_causal(s/d_head · q kᵀ) v)        (1/d logit scaling, 1/3 factor;
 *                                                                 kernel by GptConfig::attention_kernel)
 *   h ← (1 − r)·h + r·(o W_wᵀ)
 *   z = norm(h);  h ← (1 − r)·h + r·((gelu(z W_inᵀ)/1.1289) W_outᵀ)
 * logits = fs · (h W_headᵀ)
 *
 * Parameter (checkpoint) order: embed, then per block in forward order v, q, k, w, mlp_in,
 * mlp_out, then out (§6.2): the table kGptBlock in model/gpt_layout.hpp. Output projections w,
 * mlp_out and the head start at zero (zero_init).
 */
#include <map>
#include <memory>

#include "kernels/attention.hpp"
#include "kernels/attention_fused.hpp"
#include "model/gpt_bound.hpp"
#include "model/gpt_config.hpp"
#include "model/gpt_layout.hpp"
#include "model/model.hpp"

namespace lip {

class Gpt : public Model {
 public:
  explicit Gpt(const GptConfig& config);
  ~Gpt() override;

  const ParamStore& params() const override { return params_; }
  ParamStore& mutable_params() override { return params_; }
  void initialize(uint64_t seed) override;
  double forward(const Batch& batch) override;
  void backward() override;
  size_t correct() const override { return correct_; }
  size_t predictions() const override { return rows_ * config_.seq_len; }
  double max_activation() const override { return activation_statistic(false); }
  /// Largest per-token RMS over the same tensors (the NanoGPT script's companion metric).
  double max_token_rms() const { return activation_statistic(true); }
  LipschitzBound certified_bound(const std::vector<double>& norms) const override;
  /// What the certified bound is computed from: these norms (exact_norms order) and the deck's
  /// scales and formula.
  GptBoundInput bound_input(const std::vector<double>& norms) const;

  /// Logits of the last forward, (rows·T, V).
  kernels::MatrixView logits() const;

  // The map from the embedding output x (the residual stream entering the first block) to the
  // logits: forward(batch) is the token lookup followed by forward_embedded. Input derivatives are
  // taken at the last forward's x, have its shape (rows, T, C), and touch no parameter gradient.
  /// The embedding output of the last forward, (rows, T, C).
  kernels::Tensor3 embedding_output() const;
  /// Forward from a given embedding output x (rows, T, C) instead of the token lookup; returns the
  /// mean cross-entropy against `targets` (rows·T), or 0 when `targets` is empty (logits only).
  /// A later backward() accumulates every parameter gradient but the embedding's (no tokens).
  double forward_embedded(const kernels::Tensor3& x, const kernels::IndexTensor1& targets);
  /// d_x = ∂loss/∂x of the last forward's mean cross-entropy (it needs targets).
  void loss_input_gradient(const kernels::Tensor3& d_x);
  /// d_x = Jᵀ·u with J = ∂logits/∂x and u a logits cotangent (rows·T, V).
  void logits_vjp(const kernels::Tensor3& d_x, const kernels::MatrixView& u);
  const GptConfig& config() const { return config_; }
  /// Block p's weight of this role (the layout table's order).
  kernels::MatrixView weight(size_t block, ParamRole role) const { return params_.param(gpt_param_index(block, role)); }
  kernels::MatrixView weight_grad(size_t block, ParamRole role) const {
    return params_.grad(gpt_param_index(block, role));
  }

 private:
  struct Buffers;
  double activation_statistic(bool token_rms) const;
  size_t head_index() const { return params_.num_tensors() - 1; }
  void apply_norm_forward(const kernels::Tensor3& z, const kernels::Tensor3& h, const kernels::Tensor2& rstd);
  void apply_norm_backward(const kernels::Tensor3& dh, const kernels::Tensor3& dz, const kernels::Tensor3& h,
                           const kernels::Tensor2& rstd);
  bool built_for_batch(size_t rows) const;
  /// The forward after the lookup: blocks and head on the embedding output of `rows` rows, then
  /// the loss when `targets` is not empty.
  double forward_blocks(size_t rows, const kernels::IndexTensor1& targets);
  /// Backward from d_logits to the embedding output, whose gradient it returns (a view of a
  /// gradient buffer); parameter gradients (but the embedding's) are accumulated when asked.
  kernels::Tensor3 backpropagate(bool parameter_gradients);
  /// dW of a tensor when parameter gradients are wanted, else an empty view (skipped by the kernels).
  kernels::MatrixView grad_if(bool wanted, size_t index) const {
    return wanted ? params_.grad(index) : kernels::MatrixView();
  }
  /// Block p's attention over the first `rows` batch rows by the configured kernel.
  void apply_attention_forward(size_t p, size_t rows, kernels::Real scale);
  void apply_attention_backward(size_t p, size_t rows, kernels::Real scale, const kernels::Tensor3& dq,
                                const kernels::Tensor3& dk, const kernels::Tensor3& dv,
                                const kernels::Tensor3& d_attn);

  GptConfig config_;
  ParamStore params_;
  kernels::RopeTable rope_table_;
  std::map<size_t, kernels::AttentionWorkspace> attention_ws_;  ///< blocked kernel: one per batch size
  std::map<size_t, kernels::FusedAttentionWorkspace> fused_attention_ws_;  ///< fused kernel: one per batch size
  std::unique_ptr<Buffers> buf_;
  kernels::View1<int> used_tokens_;  ///< scratch of the lookup cap
  kernels::IndexTensor2 tokens_;
  kernels::IndexTensor1 targets_;
  size_t rows_ = 0, correct_ = 0;
};

}  // namespace lip
