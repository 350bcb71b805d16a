#pragma once
// Regression (issue 6, docs/REGRESSION.md): the transformer against the independent PyTorch
// reference. gpt_tiny.h5 — target norms, logits, loss, every gradient, one Muon step followed by
// each constraint method, certified bounds, a 20-step soft-cap trajectory, and a forward/gradient
// variant (reference rotary layout, rmsnorm, softmax_scale 2, final_scale 1.5, residual_scale 0.5).
// gpt_shakespeare.h5 — one step at the Shakespeare widths. gpt_policy.h5 — the production options
// the other files leave at their defaults: per-role w_max (qk_w_max) with an unembedding head, and
// (group linear_head) head_w_max with a Linear head. Stages run in pipeline order; a failure
// names the first diverging stage.
// Included by test_regression_gpt.cpp (Real = float) and test_regression_gpt_double.cpp (Real = double);
// the tolerance of every dataset is picked by sizeof(Real).
#include <gtest/gtest.h>

#include "model/gpt.hpp"
#include "support/regression_pipeline.hpp"

namespace k = lip::kernels;
using lip::test::Item;
using lip::test::ReferenceFile;
using lip::test::StageRunner;

namespace {

lip::GptConfig gpt_config(const ReferenceFile& ref, const std::string& group) {
  lip::GptConfig c;
  c.vocab_size = size_t(ref.attr_int(group, "vocab_size"));
  c.seq_len = size_t(ref.attr_int(group, "seq_len"));
  c.width = size_t(ref.attr_int(group, "width"));
  c.mlp_hidden = size_t(ref.attr_int(group, "mlp_hidden"));
  c.num_heads = int(ref.attr_int(group, "num_heads"));
  c.num_blocks = int(ref.attr_int(group, "num_blocks"));
  c.softmax_scale = ref.attr(group, "softmax_scale");
  c.residual_scale = ref.attr(group, "residual_scale");
  c.final_scale = ref.attr(group, "final_scale");
  c.blocks_mass = ref.attr(group, "blocks_mass");
  const std::string rope = ref.attr_string(group, "rope");
  c.rope = rope == "reference" ? k::RopeVariant::reference : k::RopeVariant::textbook;
  c.norm = lip::parse_norm_kind(ref.attr_string(group, "norm"));
  c.unembed = ref.has_attr(group, "unembed") && ref.attr_int(group, "unembed") != 0;
  c.gelu = k::GeluForm::tanh;
  c.mul = lip::MulSensitivity::scalar;
  c.zero_init = false;  // the initial parameters come from the reference file
  c.batch_sizes = {size_t(ref.attr_int("config", "batch"))};
  return c;
}

//! inputs/tokens and inputs/targets: [num_batches, B, T] (or [B, T] for one batch).
std::vector<lip::Batch> token_batches(const ReferenceFile& ref) {
  const auto shape = ref.dims("inputs/targets");
  const auto toks = ref.ints("inputs/tokens");
  const auto tgts = ref.ints("inputs/targets");
  const size_t nb = shape.size() == 3 ? shape[0] : 1, B = shape[shape.size() - 2], T = shape.back();
  std::vector<lip::Batch> out;
  for (size_t b = 0; b < nb; ++b) {
    lip::Batch batch;
    batch.size = B;
    batch.tokens = k::IndexTensor2("regression::tokens", B, T);
    batch.targets = k::IndexTensor1("regression::targets", B * T);
    auto ht = Kokkos::create_mirror_view(batch.tokens);
    auto hy = Kokkos::create_mirror_view(batch.targets);
    for (size_t i = 0; i < B; ++i)
      for (size_t t = 0; t < T; ++t) {
        ht(i, t) = toks[(b * B + i) * T + t];
        hy(i * T + t) = tgts[(b * B + i) * T + t];
      }
    Kokkos::deep_copy(batch.tokens, ht);
    Kokkos::deep_copy(batch.targets, hy);
    out.push_back(batch);
  }
  return out;
}

//! The reference-code bound of ALGORITHMS §7.2 (a₀ = 1, α = 1/(2L), tracker order).
double reference_code_bound(const lip::GptConfig& c, const std::vector<double>& norms) {
  lip::GptBoundInput in;
  in.embed = norms.front();
  in.head = norms.back();
  for (size_t p = 0; p < size_t(c.num_blocks); ++p) in.blocks.push_back(lip::gpt_block_norms(norms, p));
  in.softmax_scale = c.softmax_scale;
  in.residual_scale = c.residual_scale;
  in.final_scale = c.final_scale;
  in.formula = lip::BoundFormula::reference_code;
  in.tracker_order = true;
  return lip::gpt_lipschitz_bound(in).value();
}

//! Target norms, then forward (logits, loss) and every gradient from the case's initial parameters.
void forward_stages(const ReferenceFile& ref, StageRunner& st, lip::Gpt& gpt, const lip::Batch& batch,
                    const lip::test::RegressionCase& c = {}) {
  const auto& P = gpt.params();
  ASSERT_TRUE(st.stage(c.stage("target_norms"), {{c("target_norms"), lip::test::target_norms(P)}}));
  lip::test::load_parameters(ref, P, c.init_group());
  P.zero_grad();
  const double loss = gpt.forward(batch);
  ASSERT_TRUE(st.stage(c.stage("forward"),
                       {{c("forward/logits"), lip::test::host_values(gpt.logits())}, {c("forward/loss"), {loss}}}));
  gpt.backward();
  ASSERT_TRUE(st.stage(c.stage("backward.gradients"), lip::test::tensor_items(gpt.params(), c("grad"), true)));
}

//! One production step with every method, then the norms and paper bound of the soft-cap result.
std::vector<double> step_and_bound_stages(const ReferenceFile& ref, StageRunner& st, lip::Gpt& gpt,
                                          const lip::Batch& batch, const lip::test::RegressionCase& c = {}) {
  lip::test::step1_stages(ref, st, gpt, batch, c);
  if (::testing::Test::HasFatalFailure()) return {};
  const auto norms = lip::test::exact_norms(gpt.params());
  EXPECT_TRUE(st.stage(c.stage("bound.norms (after step1.soft_cap)"), {{c("bound/norms"), norms}}));
  EXPECT_TRUE(st.stage(c.stage("bound.value"), {{c("bound/value"), {gpt.certified_bound(norms).value()}}}));
  return norms;
}

}  // namespace

TEST(RegressionGpt, TinyMatchesReferenceStageByStage) {
  ReferenceFile ref("gpt_tiny.h5");
  StageRunner st(ref);
  const auto cfg = gpt_config(ref, "config");
  lip::Gpt gpt(cfg);
  const auto batches = token_batches(ref);
  forward_stages(ref, st, gpt, batches[0]);
  if (HasFatalFailure()) return;
  const auto norms = step_and_bound_stages(ref, st, gpt, batches[0]);
  if (HasFailure()) return;
  ASSERT_TRUE(st.stage("bound.value_reference_code",
                       {{"bound/value_reference_code", {reference_code_bound(cfg, norms)}}}));
  lip::test::trajectory_stages(ref, st, gpt, batches);
}

TEST(RegressionGpt, TinyVariantReferenceRopeRmsnormScales) {
  ReferenceFile ref("gpt_tiny.h5");
  StageRunner st(ref);
  lip::Gpt gpt(gpt_config(ref, "variant"));
  // the same initial parameters and first batch, the variant's own forward and gradients
  forward_stages(ref, st, gpt, token_batches(ref)[0], {"variant", "variant/", "init"});
}

TEST(RegressionGpt, ShakespeareWidthsOneStep) {
  ReferenceFile ref("gpt_shakespeare.h5");
  StageRunner st(ref);
  const auto cfg = gpt_config(ref, "config");
  lip::Gpt gpt(cfg);
  const auto& P = gpt.params();
  const auto batches = token_batches(ref);

  // Parameters from the shared splitmix64 recipe (too large to store).
  for (size_t i = 0; i < P.num_tensors(); ++i) {
    const auto& info = P.info(i);
    const auto seed = uint64_t(ref.attr_int("init_recipe", info.name + ".seed"));
    const double scale = ref.attr("init_recipe", info.name + ".scale");
    lip::test::set_values(P.param(i), lip::test::splitmix64_matrix(seed, info.rows, info.cols, scale), info.name);
  }
  auto spot = [&](size_t i) {
    const auto v = lip::test::host_values(P.param(i));
    std::vector<double> s;
    for (size_t r = 0; r < 2; ++r)
      for (size_t c = 0; c < 8; ++c) s.push_back(v[r * P.info(i).cols + c]);
    return s;
  };
  ASSERT_TRUE(st.stage("init_recipe", {{"init_spot/embed", spot(0)}, {"init_spot/out", spot(P.num_tensors() - 1)}}));
  ASSERT_TRUE(st.stage("target_norms", {{"target_norms", lip::test::target_norms(P)}}));

  P.zero_grad();
  const double loss = gpt.forward(batches[0]);
  ASSERT_TRUE(st.stage("forward", {{"forward/logits", lip::test::host_values(gpt.logits())}, {"forward/loss", {loss}}}));
  gpt.backward();
  std::vector<Item> grads;
  for (size_t i = 0; i < P.num_tensors(); ++i) {
    const auto& info = P.info(i);
    const std::string ds = "grad_summary/" + info.name;
    const auto g = lip::test::host_values(P.grad(i));
    grads.push_back({ds, lip::test::tensor_summary(g, info.rows, info.cols, uint64_t(ref.attr_int(ds, "probe_seed")))});
    if (ref.has("grad/" + info.name)) grads.push_back({"grad/" + info.name, g});
  }
  ASSERT_TRUE(st.stage("backward.gradients (summaries + embed, out, v2)", grads));

  // the same forward/backward again inside the production step
  lip::test::RegressionStep step(ref, {}, gpt, "soft_cap", batches[0].size, 12345);
  step.step->run(batches[0], 0);
  std::vector<Item> after;
  for (size_t i = 0; i < P.num_tensors(); ++i) {
    const auto& info = P.info(i);
    const std::string ds = "step1/soft_cap_summary/" + info.name;
    after.push_back({ds, lip::test::tensor_summary(lip::test::host_values(P.param(i)), info.rows, info.cols,
                                                   uint64_t(ref.attr_int(ds, "probe_seed")))});
  }
  after.push_back({"step1/soft_cap/out", lip::test::host_values(P.param(P.num_tensors() - 1))});
  ASSERT_TRUE(st.stage("step1.soft_cap (summaries + out)", after));

  const auto norms = lip::test::exact_norms(P);
  ASSERT_TRUE(st.stage("bound.norms", {{"bound/norms", norms}}));
  ASSERT_TRUE(st.stage("bound.value", {{"bound/value", {gpt.certified_bound(norms).value()}}}));
}

// The production per-tensor policy stage by stage: q/k matrices at qk_w_max, an unembedding head
// (row-RMS dualization and cap), weight decay coupled into the soft cap; one step with every method
// and a 20-step soft-cap trajectory.
TEST(RegressionGpt, PolicyPerRoleWmaxAndUnembeddingHead) {
  ReferenceFile ref("gpt_policy.h5");
  StageRunner st(ref);
  const auto cfg = gpt_config(ref, "config");
  ASSERT_TRUE(cfg.unembed);
  lip::Gpt gpt(cfg);
  ASSERT_EQ(gpt.params().info(gpt.params().num_tensors() - 1).kind, lip::ParamKind::unembedding);
  const auto batches = token_batches(ref);
  forward_stages(ref, st, gpt, batches[0]);
  if (HasFatalFailure()) return;
  step_and_bound_stages(ref, st, gpt, batches[0]);
  if (HasFailure()) return;
  lip::test::trajectory_stages(ref, st, gpt, batches);
}

// A Linear head with its own cap (head_w_max) beside q/k at qk_w_max: one step with every method.
TEST(RegressionGpt, PolicyLinearHeadWithItsOwnWmax) {
  ReferenceFile ref("gpt_policy.h5");
  StageRunner st(ref);
  const lip::test::RegressionCase linear_head{"linear_head", "linear_head/"};
  const auto cfg = gpt_config(ref, linear_head.attrs);
  ASSERT_FALSE(cfg.unembed);
  ASSERT_GT(ref.attr(linear_head.attrs, "head_w_max"), 0.0);
  lip::Gpt gpt(cfg);
  const auto batches = token_batches(ref);
  forward_stages(ref, st, gpt, batches[0], linear_head);
  if (HasFatalFailure()) return;
  step_and_bound_stages(ref, st, gpt, batches[0], linear_head);
}

// Negative control: a step that gives every matrix the plain w_max (what a policy that ignores roles
// would do) must fail the comparison on the q/k matrices and the head, so the two tests above
// cannot pass without the per-role policy.
TEST(RegressionGpt, PolicyIgnoringRolesFailsTheReference) {
  ReferenceFile ref("gpt_policy.h5");
  StageRunner st(ref);
  const lip::test::RegressionCase linear_head{"linear_head", "linear_head/"};
  lip::Gpt gpt(gpt_config(ref, linear_head.attrs));
  const auto& P = gpt.params();
  const auto batches = token_batches(ref);
  lip::test::load_parameters(ref, P, linear_head.init_group());
  const lip::ConstraintPolicy roles_ignored{lip::ProjectionMethod::soft_cap, ref.attr(linear_head.attrs, "w_max"), 0, 0};
  lip::test::RegressionStep step(ref, linear_head, gpt, "soft_cap", batches[0].size, 12345, roles_ignored);
  step.step->run(batches[0], 0);
  for (const auto role : {lip::ParamRole::attn_q, lip::ParamRole::attn_k}) {
    const size_t i = lip::gpt_param_index(0, role);
    EXPECT_FALSE(st.stage("control", {{"linear_head/step1/soft_cap/" + P.info(i).name, lip::test::host_values(P.param(i))}}))
        << P.info(i).name;
  }
  const size_t head = P.num_tensors() - 1;
  EXPECT_FALSE(st.stage("control", {{"linear_head/step1/soft_cap/out", lip::test::host_values(P.param(head))}}));
  // ... while the tensors whose cap is the plain w_max still match.
  const size_t v = lip::gpt_param_index(0, lip::ParamRole::attn_v);
  EXPECT_TRUE(st.stage("control", {{"linear_head/step1/soft_cap/" + P.info(v).name, lip::test::host_values(P.param(v))}}));
}
