// Empirical Lipschitz lower bounds (src/robustness/lipschitz_estimate.hpp), double build:
//  (i)  a known constant: a depth-2 MLP with positive weights on positive inputs has every ReLU
//       active, so its Jacobian is fs·W₂W₁ and its local constant sqrt(n_in/n_out)·σ₁(W₂W₁)·|fs|
//       (exact SVD); the power iteration reaches it within 1e-3 and the pair ascent stays below;
//  (ii) lower ≤ certified upper on random MLPs and transformers (the transformer on its embedding
//       output, ∞RMS, the domain per-position RMS ≤ embedding norm), every estimator and block;
//  (iii) negative control: a map reporting a tenth of the certified bound fails lower ≤ upper.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/reductions.hpp"
#include "kernels/rng.hpp"
#include "kernels/spectral.hpp"
#include "model/mlp.hpp"
#include "robustness/lipschitz_estimate.hpp"
#include "robustness/logit_maps.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"
#include "support/gpt_gradient_check.hpp"

namespace k = lip::kernels;

namespace {

//! Uniform draws in [lo, hi) written into a device view.
template <class ViewT>
void fill_uniform(const ViewT& v, double lo, double hi, uint64_t stream) {
  auto h = Kokkos::create_mirror_view(k::as_vector(v));
  for (size_t i = 0; i < h.extent(0); ++i) h(i) = k::Real(lo + (hi - lo) * k::uniform_draw(7, stream, i));
  Kokkos::deep_copy(k::as_vector(v), h);
}

lip::MlpConfig positive_mlp_config() {
  lip::MlpConfig c;
  c.input_dim = 13;
  c.width = 9;
  c.output_dim = 5;
  c.num_layers = 2;
  c.final_scale = 1.5;
  c.zero_init_layer = "none";
  c.max_batch = 12;
  return c;
}

//! Positive weights and positive inputs: every ReLU is active, so f(x) = fs·W₂W₁x near every input
//! and its exact Jacobian norm is the Lipschitz constant there.
class AllActiveReluNetwork : public ::testing::Test {
 protected:
  const lip::MlpConfig c = positive_mlp_config();
  lip::Mlp mlp{c};
  const k::Tensor2 x{"x", 6, c.input_dim};
  void SetUp() override {
    fill_uniform(mlp.params().param(0), 0.0, 1.0, 1);
    fill_uniform(mlp.params().param(1), 0.0, 1.0, 2);
    fill_uniform(x, 0.1, 1.0, 3);
  }
};

//! True when every reported lower bound is at most the map's (reported) upper bound.
bool lower_within_upper(lip::LogitMap& f, const k::MatrixView& x, const lip::LowerBoundOptions& o,
                        const std::vector<lip::PositionBlock>& blocks, double* largest = nullptr) {
  const double upper = std::pow(10.0, f.log10_upper_bound());
  double lower = lip::pair_lower_bound(f, x, o).value;
  for (const auto& b : blocks) lower = std::max(lower, lip::jacobian_lower_bound(f, x, o, b).value);
  if (largest) *largest = lower;
  return lower <= upper * (1 + 1e-9);
}

//! The map of another, reporting a tenth of its upper bound (a wrong certificate).
class TooSmallBound : public lip::LogitMap {
 public:
  explicit TooSmallBound(lip::LogitMap& f) : f_(f) {}
  size_t positions() const override { return f_.positions(); }
  size_t input_features() const override { return f_.input_features(); }
  size_t output_features() const override { return f_.output_features(); }
  double log10_upper_bound() const override { return f_.log10_upper_bound() - 1; }
  double domain_radius() const override { return f_.domain_radius(); }
  void evaluate(const k::MatrixView& l, const k::MatrixView& x) override { f_.evaluate(l, x); }
  void vjp(const k::MatrixView& d, const k::MatrixView& u) override { f_.vjp(d, u); }
  bool exact_jvp() const override { return f_.exact_jvp(); }
  void jvp(const k::MatrixView& t, const k::MatrixView& v) override { f_.jvp(t, v); }

 private:
  lip::LogitMap& f_;
};

}  // namespace

TEST_F(AllActiveReluNetwork, JacobianEstimateRecoversItsExactNorm) {
  // J = fs·W₂W₁ on the positive orthant
  const auto W1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mlp.params().param(0));
  const auto W2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mlp.params().param(1));
  k::Tensor2 J("J", c.output_dim, c.input_dim);
  auto Jh = Kokkos::create_mirror_view(J);
  for (size_t o = 0; o < c.output_dim; ++o)
    for (size_t i = 0; i < c.input_dim; ++i) {
      double s = 0;
      for (size_t h = 0; h < c.width; ++h) s += W2(o, h) * W1(h, i);
      Jh(o, i) = c.final_scale * s;
    }
  Kokkos::deep_copy(J, Jh);
  const double exact = std::sqrt(double(c.input_dim) / double(c.output_dim)) *
                       k::spectral_norm_exact(k::MatrixView(J.data(), c.output_dim, c.input_dim));

  lip::MlpLogitMap f(mlp);
  lip::LowerBoundOptions o;
  o.iterations = 30;
  const lip::LowerBound jac = lip::jacobian_lower_bound(f, k::MatrixView(x.data(), 6, c.input_dim), o);
  EXPECT_NEAR(jac.value, exact, 1e-3 * exact);
  EXPECT_LE(jac.value, exact * (1 + 1e-12));
  const lip::LowerBound pair = lip::pair_lower_bound(f, k::MatrixView(x.data(), 6, c.input_dim), o);
  EXPECT_LE(pair.value, exact * (1 + 1e-9));  // the map is piecewise linear with this as its largest slope
  EXPECT_GT(pair.value, 0.5 * exact);
  // and both are below the certified product of the layer norms
  EXPECT_LE(exact, std::pow(10.0, f.log10_upper_bound()) * (1 + 1e-12));
}

TEST(LipschitzEstimate, LowerBoundsStayBelowTheCertifiedBoundOfRandomMlps) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    lip::MlpConfig c;
    c.input_dim = 11;
    c.width = 16;
    c.output_dim = 6;
    c.num_layers = int(2 + seed % 3);
    c.final_scale = 0.7 * double(seed);
    c.zero_init_layer = "none";
    c.max_batch = 16;
    lip::Mlp mlp(c);
    mlp.initialize(seed);
    const k::Tensor2 x = lip::test::random_tensor(8, c.input_dim, 10 + seed);
    lip::MlpLogitMap f(mlp);
    lip::LowerBoundOptions o;
    o.seed = seed;
    double lower = 0;
    EXPECT_TRUE(lower_within_upper(f, k::MatrixView(x.data(), 8, c.input_dim), o, {{}}, &lower)) << seed;
    EXPECT_GT(lower, 0.05 * std::pow(10.0, f.log10_upper_bound())) << seed;  // a meaningful estimate
  }
}

TEST(LipschitzEstimate, LowerBoundsStayBelowTheCertifiedBoundOfRandomTransformers) {
  for (auto kernel : {lip::AttentionKernel::blocked, lip::AttentionKernel::fused}) {
    auto c = lip::test::gradcheck_gpt_config();
    c.attention_kernel = kernel;
    c.batch_sizes = {2, 4};
    lip::Gpt gpt(c);
    gpt.initialize(kernel == lip::AttentionKernel::fused ? 6 : 7);
    const auto batch = lip::test::token_batch(2, c.seq_len, int(c.vocab_size));
    gpt.forward(batch);
    const size_t rows = 2 * c.seq_len;
    k::Tensor2 x("x", rows, c.width);
    Kokkos::deep_copy(x, k::as_matrix(gpt.embedding_output()));
    lip::GptLogitMap f(gpt);
    EXPECT_EQ(f.domain_radius(), k::max_column_rms(gpt.params().param(0)));
    lip::LowerBoundOptions o;
    o.steps = 30;
    double lower = 0;
    const int T = int(c.seq_len);
    EXPECT_TRUE(
        lower_within_upper(f, k::MatrixView(x.data(), rows, c.width), o, {{}, {T - 1, T - 1}, {0, -1}}, &lower));
    EXPECT_GT(lower, 0.0);
  }
}

TEST_F(AllActiveReluNetwork, NegativeControlATenthOfTheBoundFailsTheCheck) {
  lip::MlpLogitMap f(mlp);
  TooSmallBound wrong(f);
  const lip::LowerBoundOptions o;
  EXPECT_TRUE(lower_within_upper(f, k::MatrixView(x.data(), 6, c.input_dim), o, {{}}));
  EXPECT_FALSE(lower_within_upper(wrong, k::MatrixView(x.data(), 6, c.input_dim), o, {{}}));
}
