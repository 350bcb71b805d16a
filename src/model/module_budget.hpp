#pragma once
/* Module budget: Modula's mass/sensitivity algebra (ALGORITHMS §5.4–5.5), evaluated once at build
 * time to give every weight its target norm T_a. T_a sets the RMS→RMS size of that weight's
 * Muon update (η_a = lr_t·T_a) and couples its weight decay. No module tree exists at run time.
 */
#include <string>
#include <vector>

#include "model/gpt_block_values.hpp"

namespace lip {

/// MLP of `num_layers` Linear layers with final logit scale fs: every layer gets T = 1/(nb·fs)
/// (series composition of nb unit-mass atoms, the last one scaled by fs).
double mlp_target_norm(int num_layers, double final_scale);

/// How Modula's `Mul(s)` bonds count towards sensitivity (ALGORITHMS §13 item 3).
enum class MulSensitivity {
  scalar,        ///< reading (a), the reference code: Mul(s) has sensitivity s
  one_residual,  ///< reading (c), the paper's "1/2 per residual layer": residual Muls have sensitivity 1
};
MulSensitivity parse_mul_sensitivity(const std::string& name);

struct GptBudgetInput {
  int num_blocks = 3;          ///< L
  double blocks_mass = 16;     ///< B
  double residual_scale = 1;   ///< ρ, r = ρ/(2L)
  double softmax_scale = 1;    ///< s
  double final_scale = 1;      ///< fs
  MulSensitivity mul = MulSensitivity::scalar;
};

/// Target norms of one transformer block's weights.
using GptBlockTargets = GptBlockValues;

struct GptTargets {
  double embed = 0, head = 0;
  std::vector<GptBlockTargets> blocks;  ///< indexed by FORWARD position p (0 = first after the embedding)
};

GptTargets gpt_target_norms(const GptBudgetInput& in);

}  // namespace lip
