// Transformer input derivatives in embedding space (double build), with both attention kernels:
//  * the token forward is the lookup followed by forward_embedded, bit for bit (logits and loss);
//  * ∂loss/∂x (loss_input_gradient) and Jᵀu (logits_vjp) against central differences of the
//    forward from the embedding output x, with the parameter gradients left untouched;
//  * backward() after forward_embedded gives the token forward's parameter gradients (all but the
//    embedding's, which it does not touch).
#include <gtest/gtest.h>

#include "model/gpt.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"
#include "support/gpt_gradient_check.hpp"

namespace k = lip::kernels;
using lip::test::host_entries;

namespace {

class GptInputDerivatives : public ::testing::TestWithParam<lip::AttentionKernel> {
 protected:
  lip::GptConfig config() const {
    auto c = lip::test::gradcheck_gpt_config();
    c.attention_kernel = GetParam();
    return c;
  }
};

//! A copy of the embedding output of a token forward: the x of the tests, (B, T, C).
k::Tensor3 embedded_tokens(lip::Gpt& gpt, const lip::Batch& batch) {
  gpt.forward(batch);
  const auto h = gpt.embedding_output();
  k::Tensor3 x("x", h.extent(0), h.extent(1), h.extent(2));
  Kokkos::deep_copy(x, h);
  return x;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

void expect_no_parameter_gradient(const lip::ParamStore& params) {
  for (size_t i = 0; i < params.num_tensors(); ++i)
    EXPECT_EQ(max_abs(host_entries(params.grad(i))), 0.0) << params.info(i).name;
}

//! The analytic derivative d_x of `objective` (a scalar function of the embedding output x, which it
//! reads) agrees with central differences in x and is not vacuously small.
template <class Objective>
void expect_matches_central_differences(const k::Tensor3& x, const k::Tensor3& d_x, Objective&& objective,
                                        double smallest_entry) {
  const auto analytic = host_entries(d_x);
  const auto fd = lip::test::central_differences(
      x.span(), [&](size_t j) { return lip::test::read_entry(x, j); },
      [&](size_t j, double v) { lip::test::write_entry(x, j, v); }, objective);
  EXPECT_GT(max_abs(analytic), smallest_entry);
  EXPECT_LT(lip::test::max_relative_error(fd, analytic), 1e-6);
}

}  // namespace

TEST_P(GptInputDerivatives, TokenForwardIsLookupThenEmbeddedForwardBitForBit) {
  const auto c = config();
  lip::Gpt gpt(c);
  gpt.initialize(3);
  const auto batch = lip::test::token_batch(c.batch_sizes[0], c.seq_len, int(c.vocab_size));
  const double token_loss = gpt.forward(batch);
  const auto token_logits = host_entries(gpt.logits());
  const k::Tensor3 x = embedded_tokens(gpt, batch);
  const double embedded_loss = gpt.forward_embedded(x, batch.targets);
  EXPECT_EQ(token_loss, embedded_loss);
  EXPECT_EQ(token_logits, host_entries(gpt.logits()));
  EXPECT_GT(max_abs(token_logits), 1e-3);  // not vacuous
  // without targets the same logits, no loss
  EXPECT_EQ(gpt.forward_embedded(x, k::IndexTensor1()), 0.0);
  EXPECT_EQ(token_logits, host_entries(gpt.logits()));
}

TEST_P(GptInputDerivatives, LossInputGradientMatchesFiniteDifferences) {
  const auto c = config();
  lip::Gpt gpt(c);
  gpt.initialize(3);
  const auto batch = lip::test::token_batch(c.batch_sizes[0], c.seq_len, int(c.vocab_size));
  const k::Tensor3 x = embedded_tokens(gpt, batch);
  gpt.params().zero_grad();
  gpt.forward_embedded(x, batch.targets);
  k::Tensor3 d_x("d_x", x.extent(0), x.extent(1), x.extent(2));
  gpt.loss_input_gradient(d_x);
  expect_no_parameter_gradient(gpt.params());
  expect_matches_central_differences(x, d_x, [&] { return gpt.forward_embedded(x, batch.targets); }, 1e-4);
}

TEST_P(GptInputDerivatives, LogitsVjpMatchesFiniteDifferences) {
  const auto c = config();
  lip::Gpt gpt(c);
  gpt.initialize(4);
  const auto batch = lip::test::token_batch(c.batch_sizes[0], c.seq_len, int(c.vocab_size));
  const k::Tensor3 x = embedded_tokens(gpt, batch);
  const size_t rows = x.extent(0) * x.extent(1), V = c.logit_rows();
  const k::Tensor2 u = lip::test::random_tensor(rows, V, 51);
  const auto uh = host_entries(u);
  auto u_dot_logits = [&] {
    gpt.forward_embedded(x, k::IndexTensor1());
    const auto z = host_entries(gpt.logits());
    double s = 0;
    for (size_t i = 0; i < z.size(); ++i) s += z[i] * uh[i];
    return s;
  };
  gpt.params().zero_grad();
  u_dot_logits();
  k::Tensor3 d_x("d_x", x.extent(0), x.extent(1), x.extent(2));
  gpt.logits_vjp(d_x, k::MatrixView(u.data(), rows, V));
  expect_no_parameter_gradient(gpt.params());
  expect_matches_central_differences(x, d_x, u_dot_logits, 1e-3);
}

TEST_P(GptInputDerivatives, BackwardAfterEmbeddedForwardMatchesTokenBackwardButTheEmbedding) {
  const auto c = config();
  lip::Gpt gpt(c);
  gpt.initialize(5);
  const auto batch = lip::test::token_batch(c.batch_sizes[0], c.seq_len, int(c.vocab_size));
  const auto& params = gpt.params();
  params.zero_grad();
  gpt.forward(batch);
  gpt.backward();
  std::vector<std::vector<double>> token_grads;
  for (size_t i = 0; i < params.num_tensors(); ++i) token_grads.push_back(host_entries(params.grad(i)));
  const k::Tensor3 x = embedded_tokens(gpt, batch);
  params.zero_grad();
  gpt.forward_embedded(x, batch.targets);
  gpt.backward();
  EXPECT_GT(max_abs(token_grads[0]), 0.0);
  EXPECT_EQ(max_abs(host_entries(params.grad(0))), 0.0);  // no tokens: the embedding gets nothing
  for (size_t i = 1; i < params.num_tensors(); ++i)
    EXPECT_EQ(token_grads[i], host_entries(params.grad(i))) << params.info(i).name;
}

INSTANTIATE_TEST_SUITE_P(AttentionKernels, GptInputDerivatives,
                         ::testing::Values(lip::AttentionKernel::blocked, lip::AttentionKernel::fused),
                         [](const ::testing::TestParamInfo<lip::AttentionKernel>& info) {
                           return info.param == lip::AttentionKernel::fused ? "fused" : "blocked";
                         });
