#pragma once
// Certified Lipschitz upper bound of the transformer (ALGORITHMS §7.2–7.3, §13 items 13–15;
// NANOGPT §7), with respect to ‖·‖_{∞RMS} on activations.
//
// The recursion has two stages. Stage 1 bounds the ∞RMS norm of the activations entering each
// residual branch; stage 2 multiplies per-branch Lipschitz constants through the convex residuals
// x ← (1−α)·x + α·block(x). Every quantity (bounds, activation bounds, norms) is carried as a
// log10, so a bound of 10^264 or 10^4000 keeps all its digits and never overflows; sums such as
// (1−α)·x + α·x·y are formed with a log-sum-exp helper. Zero norms (zero-initialized projections
// or head) are exact: their log10 is −inf and the sums treat it as an additive zero.
#include <vector>

#include "kernels/gelu.hpp"
#include "model/gpt_block_values.hpp"
#include "model/model.hpp"

namespace lip {

//! RMS→RMS operator norms of one block's matrices.
using GptBlockNorms = GptBlockValues;

//! Which recursion to evaluate.
enum class BoundFormula {
  //! The finer, valid bound of ALGORITHMS §7.3 (recommended, §13 item 14):
  //!   a₀ = embed; α = residual_scale/(2L); L_att = (1/3)·w·v·(1 + 2·s·a²·q·k);
  //!   result × head × |final_scale|; always forward order.
  paper,
  //! Exactly the reference code of ALGORITHMS §7.2 (for matching published numbers):
  //!   a₀ = 1 whatever `embed` is; α = 1/(2L) (residual_scale ignored);
  //!   L_att = (1/3)·w·(v + 2·v·a²·q·k)·s (whole bracket scaled by s: not valid for s < 1);
  //!   final_scale ignored; iterates in tracker order when `tracker_order` is set.
  reference_code,
  //! The authors' calculator as NANOGPT.md §7 writes it: the reference_code recursion in
  //! forward order, multiplied by |final_scale|. Reproduces NANOGPT §7's reference table.
  nanogpt_reference,
};

//! Everything the bound depends on. Norms are those last measured on the weights.
struct GptBoundInput {
  //! Lipschitz constant of the token embedding, ℓ1→RMS: its max column RMS (the max row RMS of
  //! a (V, C) lookup table, = emb_w_max in NanoGPT). The embedding output's RMS is at most this,
  //! so the paper formula also starts the activation bound at it.
  double embed = 1;
  double head = 1;                    //!< RMS→RMS norm of the head (unembedding)
  std::vector<GptBlockNorms> blocks;  //!< FORWARD order: blocks[0] follows the embedding
  double softmax_scale = 1;           //!< s: attention logits are s·(q·k)/d_head (NanoGPT cap script: 24)
  double residual_scale = 1;          //!< ρ: residual share α = ρ/(2L) (NanoGPT: ρ = 1, α = 1/24)
  double final_scale = 1;             //!< logit multiplier (Table 1's σ_max = 1 row: 8)
  double mlp_divisor = kernels::gelu_max_slope;  //!< GeLU is divided by its max slope to make it 1-Lipschitz
  BoundFormula formula = BoundFormula::paper;
  //! reference_code only: iterate tracker index 0 (= the LAST block) first and index a[2i] in
  //! that order, as the reference code does (§13 item 13). An error with the other formulas.
  bool tracker_order = false;
};

//! The certified bound, as log10. With `with_table`, stage_names/stage_log10 hold the running
//! bound after each step of the recursion: "embed", "block<j>.attn", "block<j>.mlp" (j = index
//! into `blocks`, listed in iteration order), and "head" (which includes final_scale when the
//! formula uses it, so its value equals log10_bound).
LipschitzBound gpt_lipschitz_bound(const GptBoundInput& in, bool with_table = false);

//! Stage 1 alone: log10 of the activation bounds a[0..2L] in the formula's iteration order
//! (a[2i] enters the attention of the i-th block visited, a[2i+1] its MLP, a[2L] the head).
std::vector<double> gpt_activation_log10(const GptBoundInput& in);

}  // namespace lip
