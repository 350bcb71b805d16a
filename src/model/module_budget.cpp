#include "model/module_budget.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lip {

double mlp_target_norm(int num_layers, double final_scale) {
  LIP_REQUIRE(num_layers >= 1, "MLP needs at least one layer, got " << num_layers);
  LIP_REQUIRE(final_scale > 0, "final_scale must be positive, got " << final_scale);
  return 1.0 / (num_layers * final_scale);
}

MulSensitivity parse_mul_sensitivity(const std::string& name) {
  if (name == "scalar") return MulSensitivity::scalar;
  if (name == "one_residual") return MulSensitivity::one_residual;
  LIP_FAIL("unknown mul sensitivity mode '" << name << "'; expected scalar or one_residual");
}

GptTargets gpt_target_norms(const GptBudgetInput& in) {
  const int L = in.num_blocks;
  LIP_REQUIRE(L >= 1, "num_blocks must be ≥ 1, got " << L);
  const double B = in.blocks_mass, s = in.softmax_scale, fs = in.final_scale;
  const double r = in.residual_scale / (2.0 * L);
  GptTargets t;
  t.blocks.resize(size_t(L));
  // The head is the last atom: it gets mass share 1/(B+2) of the unit total, divided by fs.
  t.head = 1.0 / (fs * (B + 2));
  if (in.mul == MulSensitivity::scalar) {
    // Reading (a): attention branch sensitivity S_att = (1 + 2s)/3, residual R = (1 − r) + r·S_att;
    // MLP residual sensitivity 1. Blocks share B/(B+2), each block 1/L of that, and the earlier
    // block is divided by the sensitivity R of every later block.
    const double S_att = (1 + 2 * s) / 3.0;
    const double R = (1 - r) + r * S_att;
    for (int p = 0; p < L; ++p) {
      const double T_blk = B / (fs * (B + 2) * L * std::pow(R, L - 1 - p));
      auto& b = t.blocks[size_t(p)];
      // Attention gets 4/6 of the block's mass (q, k, v, w), MLP 2/6; branches are boosted by 1/r;
      // q, k, v are divided by the 1/3 output factor's sensitivity (×3/4 after the 1/4 split), q, k by s.
      b.v = T_blk * (2.0 / 3) * (1 / r) * (3.0 / 4);
      b.q = b.k = b.v / s;
      b.w = T_blk * (2.0 / 3) * (1 / r) * (1.0 / 4);
      b.mlp_in = b.mlp_out = T_blk * (1.0 / 3) * (1 / r) * (1.0 / 2);
    }
    t.embed = 1.0 / (fs * (B + 2) * std::pow(R, L));
  } else {
    // Reading (c): residual Muls have sensitivity 1, so each residual connection has sensitivity 2
    // and branches are no longer boosted by 1/r (paper App. E, "1/2 per residual layer").
    LIP_REQUIRE(s == 1, "mul sensitivity 'one_residual' is implemented for softmax_scale 1 only, got " << s);
    for (int p = 0; p < L; ++p) {
      const double T_blk = B / (fs * (B + 2) * L * std::pow(4.0, L - 1 - p));
      auto& b = t.blocks[size_t(p)];
      // Each residual branch keeps 1/3 of the block target; inside attention q, k, v take 3/4
      // and w 1/4, the MLP weights 1/2 each.
      b.v = b.q = b.k = T_blk * (1.0 / 3) * (3.0 / 4);
      b.w = T_blk * (1.0 / 3) * (1.0 / 4);
      b.mlp_in = b.mlp_out = T_blk * (1.0 / 3) * (1.0 / 2);
    }
    t.embed = 1.0 / (fs * (B + 2) * std::pow(4.0, L));
  }
  return t;
}

}  // namespace lip
