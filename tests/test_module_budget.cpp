// Target norms from the module algebra against the hand-derived tables of ALGORITHMS §5.5 / R.4.
#include <gtest/gtest.h>

#include "model/module_budget.hpp"

using namespace lip;

TEST(ModuleBudget, MlpIsOneOverLayersTimesFinalScale) {
  EXPECT_DOUBLE_EQ(mlp_target_norm(3, 1.0), 1.0 / 3);
  EXPECT_DOUBLE_EQ(mlp_target_norm(4, 2.0), 1.0 / 8);
}

TEST(ModuleBudget, GptScalarReadingMatchesSpecTables) {
  for (auto [B, qkv, wm, embed] : {std::tuple{16.0, 8.0 / 9, 8.0 / 27, 1.0 / 18},
                                   std::tuple{32.0, 16.0 / 17, 16.0 / 51, 1.0 / 34}}) {
    GptBudgetInput in;
    in.blocks_mass = B;
    const auto t = gpt_target_norms(in);
    EXPECT_NEAR(t.embed, embed, 1e-12);
    EXPECT_NEAR(t.head, embed, 1e-12);  // head 1/(B+2) equals embed when R = 1
    for (const auto& b : t.blocks) {
      EXPECT_NEAR(b.q, qkv, 1e-12);
      EXPECT_NEAR(b.k, qkv, 1e-12);
      EXPECT_NEAR(b.v, qkv, 1e-12);
      EXPECT_NEAR(b.w, wm, 1e-12);
      EXPECT_NEAR(b.mlp_in, wm, 1e-12);
      EXPECT_NEAR(b.mlp_out, wm, 1e-12);
    }
  }
}

TEST(ModuleBudget, GptGeneralFormulaMatchesAppendixR4) {
  GptBudgetInput in;  // L = 3, B = 16, s = 2, fs = 2, ρ = 1
  in.softmax_scale = 2;
  in.final_scale = 2;
  const auto t = gpt_target_norms(in);
  EXPECT_NEAR(t.embed, 0.02025, 1e-5);
  EXPECT_NEAR(t.head, 0.027778, 1e-6);
  const double v[3] = {0.36, 0.4, 0.444444}, qk[3] = {0.18, 0.2, 0.222222}, wm[3] = {0.12, 0.133333, 0.148148};
  for (int p = 0; p < 3; ++p) {
    EXPECT_NEAR(t.blocks[p].v, v[p], 1e-6);
    EXPECT_NEAR(t.blocks[p].q, qk[p], 1e-6);
    EXPECT_NEAR(t.blocks[p].w, wm[p], 1e-6);
    EXPECT_NEAR(t.blocks[p].mlp_out, wm[p], 1e-6);
  }
}

TEST(ModuleBudget, GptOneResidualReadingMatchesSpecTable) {
  GptBudgetInput in;
  in.mul = MulSensitivity::one_residual;
  const auto t = gpt_target_norms(in);  // B = 16: column (c) of the §5.5 table
  EXPECT_NEAR(t.embed, 1.0 / 1152, 1e-12);
  EXPECT_NEAR(t.head, 1.0 / 18, 1e-12);
  // forward position 0 = tracker block 2 (first), position 2 = tracker block 0 (last)
  const double qkv[3] = {1.0 / 216, 1.0 / 54, 2.0 / 27}, w[3] = {1.0 / 648, 1.0 / 162, 2.0 / 81},
               mlp[3] = {1.0 / 324, 1.0 / 81, 4.0 / 81};
  for (int p = 0; p < 3; ++p) {
    EXPECT_NEAR(t.blocks[p].q, qkv[p], 1e-12);
    EXPECT_NEAR(t.blocks[p].v, qkv[p], 1e-12);
    EXPECT_NEAR(t.blocks[p].w, w[p], 1e-12);
    EXPECT_NEAR(t.blocks[p].mlp_in, mlp[p], 1e-12);
  }
  in.blocks_mass = 32;
  EXPECT_NEAR(gpt_target_norms(in).blocks[2].mlp_in, 8.0 / 153, 1e-12);
}
