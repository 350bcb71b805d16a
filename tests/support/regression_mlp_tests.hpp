#pragma once
// Regression (issue 6, docs/REGRESSION.md): the MLP against the independent PyTorch reference in
// regression/mlp_tiny.h5 — target norms, loss, every gradient, one Muon step followed by each
// constraint method, certified bound, and a 20-step soft-cap trajectory. Stages run in pipeline
// order; a failure names the first diverging stage.
// Included by test_regression_mlp.cpp (Real = float) and test_regression_mlp_double.cpp (Real = double);
// the tolerance of every dataset is picked by sizeof(Real).
#include <gtest/gtest.h>

#include "model/mlp.hpp"
#include "support/regression_pipeline.hpp"

namespace k = lip::kernels;
using lip::test::Item;
using lip::test::ReferenceFile;
using lip::test::StageRunner;

namespace {

lip::MlpConfig mlp_config(const ReferenceFile& ref) {
  lip::MlpConfig c;
  c.input_dim = size_t(ref.attr_int("config", "input_dim"));
  c.width = size_t(ref.attr_int("config", "width"));
  c.output_dim = size_t(ref.attr_int("config", "output_dim"));
  c.num_layers = int(ref.attr_int("config", "num_layers"));
  c.final_scale = ref.attr("config", "final_scale");
  c.zero_init_layer = ref.attr_string("config", "zero_init_layer");
  c.max_batch = size_t(ref.attr_int("config", "batch"));
  return c;
}

//! Batch `b` of inputs/x [num_batches, B, F] and inputs/y [num_batches, B].
std::vector<lip::Batch> mlp_batches(const ReferenceFile& ref) {
  std::vector<size_t> shape;
  const auto x = ref.values("inputs/x", &shape);
  const auto y = ref.ints("inputs/y");
  const size_t nb = shape.at(0), B = shape.at(1), F = shape.at(2);
  std::vector<lip::Batch> out;
  for (size_t b = 0; b < nb; ++b) {
    lip::Batch batch;
    batch.size = B;
    batch.inputs = k::Tensor2("regression::inputs", B, F);
    lip::test::set_values(k::MatrixView(batch.inputs.data(), B, F),
                          std::vector<double>(x.begin() + long(b * B * F), x.begin() + long((b + 1) * B * F)),
                          "inputs/x");
    batch.targets = k::IndexTensor1("regression::targets", B);
    auto h = Kokkos::create_mirror_view(batch.targets);
    for (size_t i = 0; i < B; ++i) h(i) = y[b * B + i];
    Kokkos::deep_copy(batch.targets, h);
    out.push_back(batch);
  }
  return out;
}

}  // namespace

TEST(RegressionMlp, MatchesReferenceStageByStage) {
  ReferenceFile ref("mlp_tiny.h5");
  StageRunner st(ref);
  lip::Mlp mlp(mlp_config(ref));
  const auto& P = mlp.params();
  const auto batches = mlp_batches(ref);

  ASSERT_TRUE(st.stage("target_norms", {{"target_norms", lip::test::target_norms(P)}}));
  lip::test::load_parameters(ref, P, "init");
  P.zero_grad();
  const double loss = mlp.forward(batches[0]);
  // The Mlp exposes no logits; the zero first layer makes them exactly 0 here anyway (loss = ln 5).
  ASSERT_TRUE(st.stage("forward.loss", {{"forward/loss", {loss}}}));
  mlp.backward();
  ASSERT_TRUE(st.stage("backward.gradients", lip::test::tensor_items(P, "grad", true)));

  lip::test::step1_stages(ref, st, mlp, batches[0]);
  if (HasFatalFailure()) return;

  const auto norms = lip::test::exact_norms(P);
  ASSERT_TRUE(st.stage("bound.norms (after step1.soft_cap)", {{"bound/norms", norms}}));
  ASSERT_TRUE(st.stage("bound.value", {{"bound/value", {mlp.certified_bound(norms).value()}}}));

  lip::test::trajectory_stages(ref, st, mlp, batches);
}
