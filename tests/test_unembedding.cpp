// The unembedding head (model.unembed, ALGORITHMS §4.3): U is [V, D] with one row per token.
//  * initialization: N(0,1) rows normalized to RMS exactly 1, or zeros with zero_init;
//  * Muon's duality map: rows of the momentum normalized to RMS 1 with inflation at most f, times
//    the target norm, checked against a host computation of one whole optimizer step;
//  * projection: every row's RMS capped at 1, smaller rows and zero rows untouched;
//  * the GPT with model.unembed marks its head as an unembedding, the Linear head stays a matrix.
#include <gtest/gtest.h>

#include <cmath>

#include "constraint/projector.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/reference/spectral_reference.hpp"
#include "model/gpt.hpp"
#include "model/init.hpp"
#include "optim/optimizer.hpp"
#include "support/gpt_configs.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;

namespace {

lip::ParamInfo unembedding_info(size_t V, size_t D, bool zero_init) {
  lip::ParamInfo info;
  info.name = "out";
  info.kind = lip::ParamKind::unembedding;
  info.rows = V;
  info.cols = D;
  info.target_norm = 0.3;
  info.zero_init = zero_init;
  info.role = lip::ParamRole::head;
  return info;
}

double row_rms(const ref::HostMatrix& A, size_t r) {
  double ss = 0;
  for (size_t j = 0; j < A.cols; ++j) ss += A(r, j) * A(r, j);
  return std::sqrt(ss / double(A.cols));
}

}  // namespace

TEST(Unembedding, InitializesRowsToRmsOneOrZeros) {
  for (bool zero : {false, true}) {
    lip::ParamStore params({unembedding_info(11, 24, zero)});
    lip::initialize_parameters(params, 5);
    const auto U = ref::to_host(params.param(0));
    for (size_t r = 0; r < U.rows; ++r) EXPECT_NEAR(row_rms(U, r), zero ? 0.0 : 1.0, 1e-6) << "row " << r;
  }
}

TEST(Unembedding, MuonStepNormalizesMomentumRowsWithInflationCap) {
  const size_t V = 6, D = 16;
  const double lr = 0.5, beta1 = 0.9, inflation = 4, T = 0.3;
  lip::ParamStore params({unembedding_info(V, D, false)});
  lip::initialize_parameters(params, 3);
  const auto W0 = ref::to_host(params.param(0));
  // Gradient rows of very different sizes: momentum row RMS (1 − β1)·RMS(G) above 1/f (rows
  // normalized to RMS 1), below 1/f (multiplied by exactly f, so their RMS stays below 1), and zero.
  k::fill_normal(params.grad(0), 7, 1);
  auto G = ref::to_host(params.grad(0));
  const double scales[V] = {40.0, 2.0, 0.01, 0.0, 1.0, 100.0};
  for (size_t r = 0; r < V; ++r)
    for (size_t j = 0; j < D; ++j) G(r, j) *= scales[r];
  ref::to_device(params.grad(0), G);
  const auto G_used = ref::to_host(params.grad(0));  // the float values the optimizer sees

  lip::OptimizerGroup g;
  g.kind = lip::OptimizerKind::muon;
  g.lr = lr;
  g.beta1 = beta1;
  g.embed_inflation = inflation;
  lip::Optimizer optimizer(params, {{"head", g}});
  optimizer.step(params, 1.0, 0);

  // Host: m = (1 − β1)·G (the momentum starts at zero); D_r = m_r / max(1/f, RMS(m_r))·T; W1 = W0 − lr·D.
  const auto W1 = ref::to_host(params.param(0));
  for (size_t r = 0; r < V; ++r) {
    double ss = 0;
    for (size_t j = 0; j < D; ++j) ss += std::pow((1 - beta1) * G_used(r, j), 2);
    const double rms = std::sqrt(ss / double(D));
    const double denom = std::max(1.0 / inflation, rms);
    for (size_t j = 0; j < D; ++j) {
      const double direction = rms > 0 ? (1 - beta1) * G_used(r, j) / denom * T : 0.0;
      EXPECT_NEAR(W1(r, j), W0(r, j) - lr * direction, 2e-6) << "row " << r << " col " << j;
    }
  }
}

TEST(Unembedding, ProjectionCapsRowRmsAtOne) {
  const size_t V = 5, D = 32;
  k::Tensor2 U("U", V, D);
  k::fill_normal(U, 4, 2);
  auto h = ref::to_host(U);
  for (size_t j = 0; j < D; ++j) {
    h(0, j) *= 3.0;  // RMS ≈ 3 → capped to exactly 1
    h(1, j) *= 0.2;  // RMS ≈ 0.2 → untouched
    h(2, j) = 0.0;   // zero → stays zero
  }
  ref::to_device(U, h);
  const auto before = ref::to_host(U);
  lip::project_unembedding(U);
  const auto after = ref::to_host(U);
  EXPECT_NEAR(row_rms(after, 0), 1.0, 1e-6);
  for (size_t j = 0; j < D; ++j) {
    EXPECT_NEAR(after(0, j), before(0, j) / row_rms(before, 0), 1e-6);
    EXPECT_EQ(after(1, j), before(1, j));
    EXPECT_EQ(after(2, j), 0.0);
  }
  for (size_t r = 0; r < V; ++r) EXPECT_LE(row_rms(after, r), 1.0 + 1e-6);
}

TEST(Unembedding, GptHeadKindFollowsTheOption) {
  for (bool unembed : {false, true}) {
    auto c = lip::test::tiny_gpt_config();
    c.unembed = unembed;
    lip::Gpt model(c);
    const auto& head = model.params().info(model.params().num_tensors() - 1);
    EXPECT_EQ(head.name, "out");
    EXPECT_EQ(head.kind, unembed ? lip::ParamKind::unembedding : lip::ParamKind::matrix);
    EXPECT_EQ(head.rows, 11u);
    EXPECT_EQ(head.cols, 16u);
  }
}
