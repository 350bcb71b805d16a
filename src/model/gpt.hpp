#pragma once
/* The Lipschitz transformer (ALGORITHMS §6.2, NANOGPT.md §1): token embedding, L blocks of
 * causal attention and MLP, each a convex residual (1 − r)·h + r·branch with r = ρ/(2L), then a
 * Linear head times final_scale. No biases, no learned positions (rotary only), optional pre-norm
 * substitutes (none by default).
 *
 * Per block (forward position p; tracker index L−1−p, the reference's naming):
 *   z = norm(h);  q = rope(z W_qᵀ);  k = rope(z W_kᵀ);  v = z W_vᵀ
 *   o = (1/3) · merge(softmax_causal(s/d_head · q kᵀ) v)        (1/d logit scaling, 1/3 factor)
 *   h ← (1 − r)·h + r·(o W_wᵀ)
 *   z = norm(h);  h ← (1 − r)·h + r·((gelu(z W_inᵀ)/1.1289) W_outᵀ)
 * logits = fs · (h W_headᵀ)
 *
 * Parameter (checkpoint) order: embed, then per block in forward order v, q, k, w, mlp_in,
 * mlp_out, then out (§6.2). Output projections w, mlp_out and the head start at zero (zero_init).
 */
#include <map>
#include <memory>

#include "kernels/attention.hpp"
#include "kernels/embedding.hpp"
#include "kernels/gelu.hpp"
#include "kernels/rope.hpp"
#include "model/gpt_bound.hpp"
#include "model/model.hpp"
#include "model/module_budget.hpp"

namespace lip {

struct GptConfig {
  size_t vocab_size = 65, seq_len = 256, width = 256, mlp_hidden = 1024;
  size_t head_rows = 0;  ///< rows of the head (0: vocab_size; NanoGPT pads 50257 to 50304)
  /// Embedding constraint: "project" caps every column's RMS at 1 after each step (§4.2);
  /// "lookup" caps the looked-up columns in place before each forward (NANOGPT.md §2.4).
  std::string embedding_cap = "project";
  int num_heads = 4, num_blocks = 3;
  double softmax_scale = 1;    ///< attention logits = softmax_scale / d_head · q·k
  double residual_scale = 1;   ///< ρ; r = ρ/(2L)
  double final_scale = 1;
  double blocks_mass = 16;
  MulSensitivity mul = MulSensitivity::scalar;
  bool unit_target_norms = false;  ///< every T_a = 1 (NanoGPT: no Modula masses; lr sets the update norm)
  kernels::GeluForm gelu = kernels::GeluForm::tanh;
  kernels::RopeVariant rope = kernels::RopeVariant::textbook;
  double rope_base = 0;        ///< 0: the variant's default
  std::string norm = "none";   ///< none | rmsnorm | layernorm
  bool zero_init = true;
  /// The head is an Unembed (§4.3): [V, D], rows = tokens, row-RMS dualization and cap. Its
  /// forward and backward are the Linear head's; the bound uses its RMS→RMS operator norm.
  bool unembed = false;
  kernels::EmbeddingBackwardMode embedding_backward = kernels::EmbeddingBackwardMode::deterministic;
  BoundFormula bound_formula = BoundFormula::paper;
  std::vector<size_t> batch_sizes = {64};  ///< per-rank batch sizes forward() will see (train, eval)
};

class Gpt : public Model {
 public:
  explicit Gpt(const GptConfig& config);
  ~Gpt() override;

  const ParamStore& params() const override { return params_; }
  void initialize(uint64_t seed) override;
  double forward(const Batch& batch) override;
  void backward() override;
  size_t correct() const override { return correct_; }
  size_t predictions() const override { return rows_ * config_.seq_len; }
  double max_activation() const override { return activation_statistic(false); }
  /// Largest per-token RMS over the same tensors (the NanoGPT script's companion metric).
  double max_token_rms() const { return activation_statistic(true); }
  LipschitzBound certified_bound(const std::vector<double>& norms) const override;

  /// Logits of the last forward, (rows·T, V).
  kernels::MatrixView logits() const;
  const GptConfig& config() const { return config_; }
  /// Parameter index of (forward position p, weight name) — for tests and tools.
  size_t param_index(int p, const std::string& weight) const;

 private:
  struct Buffers;
  double activation_statistic(bool token_rms) const;
  void apply_norm_forward(const kernels::Tensor3& z, const kernels::Tensor3& h, const kernels::Tensor2& rstd);
  void apply_norm_backward(const kernels::Tensor3& dh, const kernels::Tensor3& dz, const kernels::Tensor3& h,
                           const kernels::Tensor2& rstd);

  GptConfig config_;
  ParamStore params_;
  kernels::RopeTable rope_table_;
  std::map<size_t, kernels::AttentionWorkspace> attention_ws_;  ///< one per batch size
  std::unique_ptr<Buffers> buf_;
  kernels::View1<int> used_tokens_;  ///< scratch of the lookup cap
  kernels::IndexTensor2 tokens_;
  kernels::IndexTensor1 targets_;
  size_t rows_ = 0, correct_ = 0;
};

}  // namespace lip
