// Per-tensor policy: the constraint each role gets (constraint/policy.hpp), the GPT layout table
// (model/gpt_layout.hpp) it is read from, and the Projector's per-tensor settings and workspaces.
#include <gtest/gtest.h>

#include "constraint/policy.hpp"
#include "constraint/projector.hpp"
#include "model/gpt.hpp"
#include "model/gpt_layout.hpp"
#include "optim/optimizer.hpp"
#include "support/gpt_configs.hpp"

namespace {
lip::GptConfig small_gpt() { return lip::test::tiny_gpt_config(3); }
}  // namespace

TEST(GptLayout, TableGivesOrderRolesShapesAndCount) {
  const auto c = small_gpt();
  const auto infos = lip::gpt_layout(c);
  ASSERT_EQ(infos.size(), 1 + 3 * lip::kGptBlock.size() + 1);
  EXPECT_EQ(infos.front().role, lip::ParamRole::embed);
  EXPECT_EQ(infos.back().role, lip::ParamRole::head);
  size_t count = 0;
  for (const auto& info : infos) count += info.count();
  EXPECT_EQ(lip::gpt_parameter_count(c), count);
  // 16·11 + 3·(4·16² + 2·16·64) + 11·16: the closed form the layout replaces
  EXPECT_EQ(count, 16u * 11 + 3 * (4 * 256 + 2 * 16 * 64) + 11u * 16);
  for (size_t p = 0; p < 3; ++p)
    for (const auto& row : lip::kGptBlock) {
      const auto& info = infos.at(lip::gpt_param_index(p, row.role));
      EXPECT_EQ(info.role, row.role);
      EXPECT_EQ(info.name, row.name + std::to_string(2 - p));  // tracker index L-1-p
    }
  const auto& mlp_in = infos.at(lip::gpt_param_index(1, lip::ParamRole::mlp_in));
  EXPECT_EQ(mlp_in.rows, 64u);
  EXPECT_EQ(mlp_in.cols, 16u);
}

TEST(GptLayout, BlockNormsArePickedByRole) {
  const auto c = small_gpt();
  const size_t n = lip::gpt_layout(c).size();
  std::vector<double> norms(n);
  for (size_t i = 0; i < n; ++i) norms[i] = double(i);
  const auto b = lip::gpt_block_norms(norms, 1);
  EXPECT_EQ(b.v, double(lip::gpt_param_index(1, lip::ParamRole::attn_v)));
  EXPECT_EQ(b.q, double(lip::gpt_param_index(1, lip::ParamRole::attn_q)));
  EXPECT_EQ(b.k, double(lip::gpt_param_index(1, lip::ParamRole::attn_k)));
  EXPECT_EQ(b.w, double(lip::gpt_param_index(1, lip::ParamRole::attn_out)));
  EXPECT_EQ(b.mlp_in, double(lip::gpt_param_index(1, lip::ParamRole::mlp_in)));
  EXPECT_EQ(b.mlp_out, double(lip::gpt_param_index(1, lip::ParamRole::mlp_out)));
}

TEST(ConstraintPolicy, RolesGetTheirOwnWmaxTokenTablesNone) {
  auto c = small_gpt();
  c.unembed = false;
  lip::Gpt gpt(c);
  const lip::ConstraintPolicy policy{lip::ProjectionMethod::soft_cap, 3.0, 0.5, 2.0};
  lip::assign_constraints(gpt.mutable_params(), policy);
  for (const auto& info : gpt.params().infos()) {
    SCOPED_TRACE(info.name);
    if (info.kind != lip::ParamKind::matrix) {
      EXPECT_EQ(info.constraint.method, lip::ProjectionMethod::none);
      continue;
    }
    EXPECT_EQ(info.constraint.method, lip::ProjectionMethod::soft_cap);
    const double want = info.role == lip::ParamRole::attn_q || info.role == lip::ParamRole::attn_k ? 0.5
                        : info.role == lip::ParamRole::head                                           ? 2.0
                                                                                                      : 3.0;
    EXPECT_EQ(info.constraint.w_max, want);
  }
  // 0 means "the plain w_max"
  lip::assign_constraints(gpt.mutable_params(), {lip::ProjectionMethod::hard_cap, 3.0, 0, 0});
  for (const auto& info : gpt.params().infos())
    if (info.kind == lip::ParamKind::matrix) EXPECT_EQ(info.constraint.w_max, 3.0) << info.name;
}

TEST(ConstraintPolicy, OptimizerGroupFollowsTheRole) {
  EXPECT_STREQ(lip::optimizer_group_of(lip::ParamRole::embed), "embed");
  EXPECT_STREQ(lip::optimizer_group_of(lip::ParamRole::head), "head");
  for (auto r : {lip::ParamRole::attn_q, lip::ParamRole::attn_k, lip::ParamRole::attn_v, lip::ParamRole::attn_out,
                 lip::ParamRole::mlp_in, lip::ParamRole::mlp_hidden, lip::ParamRole::mlp_out})
    EXPECT_STREQ(lip::optimizer_group_of(r), "hidden") << lip::role_name(r);
}

TEST(Projector, SettingsPerTensorAndScratchPerMethod) {
  lip::Gpt gpt(small_gpt());
  lip::assign_constraints(gpt.mutable_params(), {lip::ProjectionMethod::spectral_clip, 1.5, 0.25, 0});
  lip::ProjectionSettings shared;
  shared.clip_min = 0.1;
  lip::Projector projector(gpt.params(), shared);
  const auto& P = gpt.params();
  for (size_t i = 0; i < P.num_tensors(); ++i) {
    SCOPED_TRACE(P.info(i).name);
    EXPECT_EQ(projector.settings(i).method, P.info(i).constraint.method);
    EXPECT_EQ(projector.settings(i).w_max, P.info(i).constraint.w_max);
    EXPECT_EQ(projector.settings(i).clip_min, 0.1);  // shared
    auto& ws = projector.workspace(i);
    EXPECT_EQ(ws.rows, P.info(i).rows);
    EXPECT_EQ(ws.cols, P.info(i).cols);
  }
  // one workspace per shape; the exact clip's scratch only, no Newton–Schulz scratch
  const size_t q = lip::gpt_param_index(0, lip::ParamRole::attn_q), v = lip::gpt_param_index(1, lip::ParamRole::attn_v);
  EXPECT_EQ(&projector.workspace(q), &projector.workspace(v));
  EXPECT_TRUE(projector.workspace(q).clip.has_value());
  EXPECT_FALSE(projector.workspace(q).ns.has_value());
}

TEST(Projector, EmbeddingCappedAtLookupIsLeftAlone) {
  auto c = small_gpt();
  c.embedding_cap = lip::EmbeddingCap::lookup;
  lip::Gpt gpt(c);
  const auto& P = gpt.params();
  ASSERT_FALSE(P.info(0).projected);
  lip::assign_constraints(gpt.mutable_params(), {lip::ProjectionMethod::none, 1.0, 0, 0});
  lip::Projector projector(P, {});
  lip::Optimizer opt(P, {{"hidden", {}}, {"embed", {}}, {"head", {}}});
  // columns of RMS 3: project would cap them at 1
  Kokkos::deep_copy(P.param(0), lip::kernels::Real(3));
  projector.apply(P, opt, 1.0, 0);
  const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), P.param(0));
  for (size_t r = 0; r < h.extent(0); ++r)
    for (size_t j = 0; j < h.extent(1); ++j) ASSERT_EQ(double(h(r, j)), 3.0) << r << ", " << j;
  // negative control: a projected embedding is capped
  lip::Gpt projected(small_gpt());
  ASSERT_TRUE(projected.params().info(0).projected);
  lip::Projector projector2(projected.params(), {});
  lip::Optimizer opt2(projected.params(), {{"hidden", {}}, {"embed", {}}, {"head", {}}});
  Kokkos::deep_copy(projected.params().param(0), lip::kernels::Real(3));
  projector2.apply(projected.params(), opt2, 1.0, 0);
  const auto h2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), projected.params().param(0));
  EXPECT_NEAR(double(h2(0, 0)), 1.0, 1e-6);
}
