// Whole-transformer gradient check (double build): every parameter gradient of Gpt::backward
// against central finite differences of Gpt::forward, at tiny dimensions, for each rotary
// convention and pre-norm substitute, with non-zero initial weights so every path carries gradient.
#include <gtest/gtest.h>

#include "model/gpt.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"
#include "support/gpt_gradient_check.hpp"

namespace k = lip::kernels;
using lip::test::check_all_parameters;
using lip::test::token_batch;

using lip::test::gradcheck_gpt_config;

TEST(GptGradientCheck, TextbookRopeNoNorm) { EXPECT_LT(check_all_parameters(gradcheck_gpt_config()), 1e-5); }

TEST(GptGradientCheck, ReferenceRopeRmsNormErfGelu) {
  auto c = gradcheck_gpt_config();
  c.rope = k::RopeVariant::reference;
  c.norm = lip::NormKind::rmsnorm;
  c.gelu = k::GeluForm::erf;
  EXPECT_LT(check_all_parameters(c), 1e-5);
}

TEST(GptGradientCheck, NanogptRopeLayerNormAtomicEmbedding) {
  auto c = gradcheck_gpt_config();
  c.rope = k::RopeVariant::nanogpt;
  c.norm = lip::NormKind::layernorm;
  c.num_blocks = 1;
  c.embedding_backward = k::EmbeddingBackwardMode::atomic;
  EXPECT_LT(check_all_parameters(c), 1e-5);
}

TEST(Gpt, ZeroInitStartsAtLogVAndOnlyTheHeadLearnsFirst) {
  auto c = gradcheck_gpt_config();
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
