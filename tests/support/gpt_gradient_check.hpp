#pragma once
// Whole-transformer gradient check (double builds): every parameter gradient of Gpt::backward
// against central finite differences of Gpt::forward on a random token batch.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/gpt.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"
#include "support/gpt_configs.hpp"

namespace lip::test {

//! Tiny transformer whose every weight gets gradient (non-zero output projections), softmax_scale 2
//! and final_scale 1.5 so both scales are checked.
inline GptConfig gradcheck_gpt_config() {
  GptConfig c = small_gpt_config(7, 5, 8, 12, 2);
  c.zero_init = false;
  c.final_scale = 1.5;
  c.softmax_scale = 2.0;
  return c;
}

inline Batch token_batch(size_t B, size_t T, int V) {
  Batch b;
  b.size = B;
  b.tokens = kernels::IndexTensor2("tokens", B, T);
  const auto ids = random_labels(B * T, V, 41);
  const auto next = random_labels(B * T, V, 42);
  auto h = Kokkos::create_mirror_view(b.tokens);
  for (size_t i = 0; i < B; ++i)
    for (size_t t = 0; t < T; ++t) h(i, t) = ids[i * T + t];
  Kokkos::deep_copy(b.tokens, h);
  b.targets = index_tensor(next);
  return b;
}

inline double check_all_parameters(const GptConfig& c) {
  Gpt gpt(c);
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
    const std::vector<double> analytic = host_entries(G);
    const auto fd = central_differences(
        W.span(), [&](size_t j) { return read_entry(W, j); },
        [&](size_t j, double v) { write_entry(W, j, v); },
        [&] { return gpt.forward(batch); });
    const double err = max_relative_error(fd, analytic);
    EXPECT_LT(err, 1e-5) << params.info(i).name;
    worst = std::max(worst, err);
  }
  return worst;
}

}  // namespace lip::test
