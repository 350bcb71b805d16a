// Whole-transformer gradient check (double build): every parameter gradient of Gpt::backward
// against central finite differences of Gpt::forward, at tiny dimensions, for each rotary
// convention and pre-norm substitute, with non-zero initial weights so every path carries gradient.
#include <gtest/gtest.h>

#include "model/gpt.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"

namespace k = lip::kernels;

namespace {

lip::Batch token_batch(size_t B, size_t T, int V) {
  lip::Batch b;
  b.size = B;
  b.tokens = k::IndexTensor2("tokens", B, T);
  const auto ids = lip::test::random_labels(B * T, V, 41);
  const auto next = lip::test::random_labels(B * T, V, 42);
  auto h = Kokkos::create_mirror_view(b.tokens);
  for (size_t i = 0; i < B; ++i)
    for (size_t t = 0; t < T; ++t) h(i, t) = ids[i * T + t];
  Kokkos::deep_copy(b.tokens, h);
  b.targets = lip::test::index_tensor(next);
  return b;
}

double check_all_parameters(const lip::GptConfig& c) {
  lip::Gpt gpt(c);
  gpt.initialize(3);
  const auto batch = token_batch(c.batch_sizes[0], c.seq_len, int(c.vocab_size));
  const auto& params = gpt.params();
  params.zero_grad();
  gpt.forward(batch);
  gpt.backward();
  double worst = 0;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto W = params.param(i);
    const auto G = params.grad(i);
    const std::vector<double> analytic = lip::test::host_entries(G);
    const auto fd = lip::test::central_differences(
        W.span(), [&](size_t j) { return lip::test::read_entry(W, j); },
        [&](size_t j, double v) { lip::test::write_entry(W, j, v); },
        [&] { return gpt.forward(batch); });
    const double err = lip::test::max_relative_error(fd, analytic);
    EXPECT_LT(err, 1e-5) << params.info(i).name;
    worst = std::max(worst, err);
  }
  return worst;
}

lip::GptConfig tiny() {
  lip::GptConfig c;
  c.vocab_size = 7;
  c.seq_len = 5;
  c.width = 8;
  c.mlp_hidden = 12;
  c.num_heads = 2;
  c.num_blocks = 2;
  c.zero_init = false;  // non-zero output projections: every weight gets gradient
  c.final_scale = 1.5;
  c.softmax_scale = 2.0;
  c.batch_sizes = {2};
  return c;
}

}  // namespace

TEST(GptGradientCheck, TextbookRopeNoNorm) { EXPECT_LT(check_all_parameters(tiny()), 1e-5); }

TEST(GptGradientCheck, ReferenceRopeRmsNormErfGelu) {
  auto c = tiny();
  c.rope = k::RopeVariant::reference;
  c.norm = lip::NormKind::rmsnorm;
  c.gelu = k::GeluForm::erf;
  EXPECT_LT(check_all_parameters(c), 1e-5);
}

TEST(GptGradientCheck, NanogptRopeLayerNormAtomicEmbedding) {
  auto c = tiny();
  c.rope = k::RopeVariant::nanogpt;
  c.norm = lip::NormKind::layernorm;
  c.num_blocks = 1;
  c.embedding_backward = k::EmbeddingBackwardMode::atomic;
  EXPECT_LT(check_all_parameters(c), 1e-5);
}

TEST(Gpt, ZeroInitStartsAtLogVAndOnlyTheHeadLearnsFirst) {
  auto c = tiny();
  c.zero_init = true;
  lip::Gpt gpt(c);
  gpt.initialize(1);
  const auto batch = token_batch(2, c.seq_len, int(c.vocab_size));
  const auto& params = gpt.params();
  params.zero_grad();
  EXPECT_NEAR(gpt.forward(batch), std::log(double(c.vocab_size)), 1e-12);  // logits are exactly 0
  gpt.backward();
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto G = params.grad(i);
    double s = 0;
    for (double x : lip::test::host_entries(G)) s += x * x;
    if (params.info(i).name == "out") EXPECT_GT(s, 0.0);
    else EXPECT_EQ(s, 0.0) << params.info(i).name;  // the zero head blocks all backprop (§6.2)
  }
}
