// Embedding gather / scatter-add against the naive host reference, both backward modes.
#include <gtest/gtest.h>

#include "kernels/embedding.hpp"
#include "kernels/reference/embedding_reference.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::expect_close;
using lip::test::to_host_vector;

namespace {
std::vector<int> random_tokens(size_t n, int V, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, V - 1);
  std::vector<int> t(n);
  for (auto& e : t) e = dist(gen);
  return t;
}
k::IndexTensor2 device_tokens(const std::vector<int>& t, size_t B, size_t T) {
  k::IndexTensor2 d("tokens", B, T);
  auto h = Kokkos::create_mirror_view(d);
  for (size_t i = 0; i < t.size(); ++i) h.data()[i] = t[i];
  Kokkos::deep_copy(d, h);
  return d;
}
}  // namespace

TEST(Embedding, ForwardAndBackwardMatchReference) {
  for (size_t B : {1, 2, 3})
    for (size_t T : {1, 3, 17})
      for (auto [D, V] : std::vector<std::pair<size_t, int>>{{1, 1}, {5, 3}, {8, 65}}) {
        const auto tok = random_tokens(B * T, V, unsigned(B * 100 + T));
        auto tokens = device_tokens(tok, B, T);
        k::Tensor2 E("E", D, size_t(V));
        k::Tensor3 h("h", B, T, D), dh("dh", B, T, D);
        const auto hE = lip::test::fill_random(E, 1);
        const auto hdh = lip::test::fill_random(dh, 2);
        k::embedding_forward(h, E, tokens);
        expect_close("embedding_forward", to_host_vector(h), ref::embedding_forward(hE, int(D), V, tok), 0, 0);
        for (auto mode : {k::EmbeddingBackwardMode::deterministic, k::EmbeddingBackwardMode::atomic}) {
          k::Tensor2 dE("dE", D, size_t(V));
          auto want = lip::test::fill_random(dE, 3);  // accumulate onto existing values
          k::embedding_backward(dE, dh, tokens, mode);
          ref::embedding_backward(want, int(D), V, hdh, tok);
          expect_close("embedding_backward", to_host_vector(dE), want, 1e-6, 1e-5);
        }
        EXPECT_EQ(k::count_tokens_out_of_range(tokens, V), 0u);
      }
}

TEST(Embedding, DeterministicBackwardIsBitwiseReproducible) {
  // Many repeats of few tokens: the adversarial case for summation order.
  const size_t B = 3, T = 257, D = 7;
  const int V = 4;
  auto tokens = device_tokens(random_tokens(B * T, V, 9), B, T);
  k::Tensor3 dh("dh", B, T, D);
  lip::test::fill_random(dh, 4);
  k::Tensor2 a("a", D, size_t(V)), b("b", D, size_t(V));
  k::embedding_backward(a, dh, tokens);
  k::embedding_backward(b, dh, tokens);
  EXPECT_EQ(to_host_vector(a), to_host_vector(b));
}

TEST(Embedding, OutOfRangeTokensAreCountedAndShapesChecked) {
  auto tokens = device_tokens({0, 5, -1, 2}, 2, 2);
  EXPECT_EQ(k::count_tokens_out_of_range(tokens, 5), 2u);
  k::Tensor2 E("E", 4, 5);
  k::Tensor3 h("h", 2, 2, 3);
  EXPECT_THROW(k::embedding_forward(h, E, tokens), std::invalid_argument);
}
