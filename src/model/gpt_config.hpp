#pragma once
// The transformer's configuration (model/gpt.hpp). Deck strings are parsed into enums once
// (model/factory.cpp), so the forward pass never compares strings.
#include <cstddef>
#include <string>
#include <vector>

#include "kernels/embedding.hpp"
#include "kernels/gelu.hpp"
#include "kernels/rope.hpp"
#include "model/gpt_bound.hpp"
#include "model/module_budget.hpp"

namespace lip {

/// Pre-norm substitute at the start of each branch (model.norm).
enum class NormKind { none, rmsnorm, layernorm };
NormKind parse_norm_kind(const std::string& name);

/// How the embedding is kept at column RMS ≤ 1 (model.embedding_cap).
enum class EmbeddingCap {
  project,  ///< every column capped after each step (§4.2)
  lookup,   ///< the looked-up columns capped in place before each forward (NANOGPT.md §2.4)
};
EmbeddingCap parse_embedding_cap(const std::string& name);

/// Which causal-attention kernel runs (model.attention_kernel); both compute the same function.
enum class AttentionKernel {
  blocked,  ///< kernels/attention.hpp: per-(batch, head, query block) BLAS products, caches probs (B, NH, T, T)
  fused,    ///< kernels/attention_fused.hpp: flash-style teams, online softmax, caches lse (B, NH, T)
};
AttentionKernel parse_attention_kernel(const std::string& name);

struct GptConfig {
  size_t vocab_size = 65, seq_len = 256, width = 256, mlp_hidden = 1024;
  size_t head_rows = 0;  ///< rows of the head (0: vocab_size; NanoGPT pads 50257 to 50304)
  EmbeddingCap embedding_cap = EmbeddingCap::project;
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
  NormKind norm = NormKind::none;
  bool zero_init = true;
  /// The head is an Unembed (§4.3): [V, D], rows = tokens, row-RMS dualization and cap. Its
  /// forward and backward are the Linear head's; the bound uses its RMS→RMS operator norm.
  bool unembed = false;
  kernels::EmbeddingBackwardMode embedding_backward = kernels::EmbeddingBackwardMode::deterministic;
  AttentionKernel attention_kernel = AttentionKernel::blocked;
  BoundFormula bound_formula = BoundFormula::paper;
  std::vector<size_t> batch_sizes = {64};  ///< per-rank batch sizes forward() will see (train, eval)
  size_t head_size() const { return width / size_t(num_heads); }
  size_t logit_rows() const { return head_rows > 0 ? head_rows : vocab_size; }
};

}  // namespace lip
