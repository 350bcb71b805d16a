// The fused (flash-style) causal attention against the blocked form (kernels/attention.hpp) and the
// naive host reference: forward output and all three gradients on shapes that exercise every tile
// boundary, a negative control proving the comparison catches a wrong input, the log-sum-exp cache,
// determinism, and a whole transformer giving the same loss and gradients with either kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/attention.hpp"
#include "kernels/attention_fused.hpp"
#include "kernels/reference/attention_reference.hpp"
#include "model/factory.hpp"
#include "model/gpt.hpp"
#include "support/device_helpers.hpp"
#include "support/gpt_configs.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::relative_gradient_error;
using lip::test::to_host_vector;

namespace {

// max|got − want| / max|want| (relative to the tensor's largest entry) must stay below this.
constexpr double float_tolerance = 1e-5;

struct Case {
  size_t B, T;
  int NH;
  size_t HS;
  size_t query_tile, key_tile;  // 0: the default
  double softmax_scale;
};

std::string describe(const Case& c, const k::FusedAttentionWorkspace& ws) {
  return " B" + std::to_string(c.B) + " T" + std::to_string(c.T) + " NH" + std::to_string(c.NH) + " HS" +
         std::to_string(c.HS) + " tiles " + std::to_string(ws.query_tile) + "x" + std::to_string(ws.key_tile) +
         " softmax_scale " + std::to_string(int(c.softmax_scale));
}

//! Inputs, outputs and gradient buffers of one attention call; gradients start from the same
//! random values in every instance (the kernels accumulate into them).
struct Problem {
  size_t B, T, C;
  int NH;
  k::Tensor3 q, k, v, dout, out, dq, dk, dv;
  std::vector<double> hq, hk, hv, hdout, hdq0, hdk0, hdv0;
  Problem(size_t B_, size_t T_, int NH_, size_t HS)
      : B(B_), T(T_), C(size_t(NH_) * HS), NH(NH_), q("q", B, T, C), k("k", B, T, C), v("v", B, T, C),
        dout("dout", B, T, C), out("out", B, T, C), dq("dq", B, T, C), dk("dk", B, T, C), dv("dv", B, T, C) {
    hq = lip::test::fill_random(q, 1);
    hk = lip::test::fill_random(k, 2);
    hv = lip::test::fill_random(v, 3);
    hdout = lip::test::fill_random(dout, 4);
    reset_gradients();
  }
  void reset_gradients() {
    hdq0 = lip::test::fill_random(dq, 5);
    hdk0 = lip::test::fill_random(dk, 6);
    hdv0 = lip::test::fill_random(dv, 7);
  }
};

struct Results {
  std::vector<double> out, dq, dk, dv;
};

Results run_fused(Problem& p, k::Real scale, const k::FusedAttentionWorkspace& ws) {
  p.reset_gradients();
  k::Tensor3 lse("lse", p.B, size_t(p.NH), p.T);
  k::attention_fused_forward(p.out, lse, p.q, p.k, p.v, p.NH, scale, ws);
  k::attention_fused_backward(p.dq, p.dk, p.dv, p.dout, p.q, p.k, p.v, p.out, lse, p.NH, scale, ws);
  return {to_host_vector(p.out), to_host_vector(p.dq), to_host_vector(p.dk), to_host_vector(p.dv)};
}

Results run_blocked(Problem& p, k::Real scale) {
  p.reset_gradients();
  k::Tensor4 probs("probs", p.B, size_t(p.NH), p.T, p.T);
  const auto ws = k::make_attention_workspace(p.B, p.T, p.NH, p.C / size_t(p.NH));
  k::attention_forward(p.out, probs, p.q, p.k, p.v, p.NH, scale, ws);
  k::attention_backward(p.dq, p.dk, p.dv, p.dout, p.q, p.k, p.v, probs, p.NH, scale, ws);
  return {to_host_vector(p.out), to_host_vector(p.dq), to_host_vector(p.dk), to_host_vector(p.dv)};
}

Results run_reference(const Problem& p, double scale) {
  const int HS = int(p.C / size_t(p.NH));
  const auto fwd = ref::attention_forward(p.hq, p.hk, p.hv, int(p.B), int(p.T), p.NH, HS, scale);
  Results r{fwd.out, p.hdq0, p.hdk0, p.hdv0};
  ref::attention_backward(r.dq, r.dk, r.dv, p.hdout, p.hq, p.hk, p.hv, fwd.probs, int(p.B), int(p.T), p.NH, HS,
                          scale);
  return r;
}

//! The largest of the four relative errors (out, dq, dk, dv), each also checked on its own.
double compare(const std::string& what, const Results& got, const Results& want, double* worst_by_tensor) {
  const std::vector<double>* g[] = {&got.out, &got.dq, &got.dk, &got.dv};
  const std::vector<double>* w[] = {&want.out, &want.dq, &want.dk, &want.dv};
  const char* names[] = {"out", "dq", "dk", "dv"};
  double worst = 0;
  for (int i = 0; i < 4; ++i) {
    const double err = relative_gradient_error(*g[i], *w[i]);
    EXPECT_LT(err, float_tolerance) << what << ": " << names[i] << " relative error " << err;
    if (worst_by_tensor) worst_by_tensor[i] = std::max(worst_by_tensor[i], err);
    worst = std::max(worst, err);
  }
  return worst;
}

}  // namespace

TEST(AttentionFused, MatchesBlockedAndReferenceOnEveryTileBoundary) {
  std::vector<Case> cases = {
      {2, 1, 1, 4, 0, 0, 1},     // T = 1: one key, A = 1
      {1, 37, 4, 5, 0, 0, 1},    // odd HS, one tile of 37
      {3, 70, 1, 8, 0, 0, 1},    // default tiles 64 + 6
      {2, 130, 4, 16, 0, 0, 1},  // default tiles 64 + 64 + 2
      {2, 17, 2, 3, 4, 3, 1},    // query and key tiles of different sizes, neither dividing T
      {2, 17, 2, 3, 5, 8, 1},
      {1, 9, 4, 7, 1, 1, 1},     // one row and one key per tile
      {2, 33, 1, 6, 8, 8, 1},
  };
  const size_t n_base = cases.size();
  for (size_t i = 0; i < n_base; ++i) {  // each shape again at NanoGPT's softmax_scale
    cases.push_back(cases[i]);
    cases.back().softmax_scale = 24;
  }
  double worst_vs_blocked[4] = {0, 0, 0, 0}, worst_vs_reference[4] = {0, 0, 0, 0};
  for (const auto& c : cases) {
    Problem p(c.B, c.T, c.NH, c.HS);
    const auto ws = k::make_fused_attention_workspace(c.B, c.T, c.NH, c.HS, true, c.query_tile, c.key_tile);
    const k::Real scale = k::attention_scale(c.softmax_scale, int(c.HS));
    const auto fused = run_fused(p, scale, ws);
    const auto blocked = run_blocked(p, scale);
    const auto reference = run_reference(p, double(scale));
    compare("fused vs blocked" + describe(c, ws), fused, blocked, worst_vs_blocked);
    compare("fused vs reference" + describe(c, ws), fused, reference, worst_vs_reference);
  }
  std::printf("  worst relative error vs blocked:   out %.2e  dq %.2e  dk %.2e  dv %.2e\n", worst_vs_blocked[0],
              worst_vs_blocked[1], worst_vs_blocked[2], worst_vs_blocked[3]);
  std::printf("  worst relative error vs reference: out %.2e  dq %.2e  dk %.2e  dv %.2e\n", worst_vs_reference[0],
              worst_vs_reference[1], worst_vs_reference[2], worst_vs_reference[3]);
}

TEST(AttentionFused, ComparisonCatchesAPerturbedKey) {
  // Negative control: the same comparison, with one of the 2,240 entries of k moved by 0.01 before
  // the fused run, must report the output and every gradient as off.
  const size_t B = 2, T = 70, HS = 8;
  const int NH = 2;
  Problem p(B, T, NH, HS);
  const k::Real scale = k::attention_scale(24.0, int(HS));
  const auto blocked = run_blocked(p, scale);
  auto hk = p.hk;
  hk[(1 * T + 40) * NH * HS + 3] += 0.01;  // batch 1, key 40, head 0
  lip::test::to_device_vector(p.k, hk);
  const auto fused = run_fused(p, scale, k::make_fused_attention_workspace(B, T, NH, HS));
  const std::vector<double>* g[] = {&fused.out, &fused.dq, &fused.dk, &fused.dv};
  const std::vector<double>* w[] = {&blocked.out, &blocked.dq, &blocked.dk, &blocked.dv};
  const char* names[] = {"out", "dq", "dk", "dv"};
  for (int i = 0; i < 4; ++i) {
    const double err = relative_gradient_error(*g[i], *w[i]);
    std::printf("  perturbed k: %s relative error %.2e\n", names[i], err);
    EXPECT_GT(err, 10 * float_tolerance) << names[i] << ": the comparison did not notice the perturbed key";
  }
}

TEST(AttentionFused, LogSumExpAndSingleToken) {
  // lse[t] = log Σ_{u ≤ t} exp(S[t, u]) (checked in double, to float rounding of the scores); row 0
  // sees only key 0, so its lse is S[0, 0] and its output v[0]/3, whatever the tiles.
  const size_t B = 2, T = 11, HS = 4;
  const int NH = 3;
  const size_t C = NH * HS;
  k::Tensor3 q("q", B, T, C), kk("k", B, T, C), v("v", B, T, C), out("out", B, T, C), lse("lse", B, NH, T);
  const auto hq = lip::test::fill_random(q, 1, 3.0), hk = lip::test::fill_random(kk, 2, 3.0);
  const auto hv = lip::test::fill_random(v, 3);
  const k::Real scale = k::attention_scale(24.0, int(HS));
  const auto ws = k::make_fused_attention_workspace(B, T, NH, HS, false, 4, 3);
  k::attention_fused_forward(out, lse, q, kk, v, NH, scale, ws);
  const auto ho = to_host_vector(out), hl = to_host_vector(lse);
  for (size_t b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      for (size_t e = 0; e < HS; ++e)
        EXPECT_NEAR(ho[b * T * C + h * HS + e], hv[b * T * C + h * HS + e] / 3, 1e-6);
      for (size_t t = 0; t < T; ++t) {
        std::vector<double> s(t + 1);
        for (size_t u = 0; u <= t; ++u) {
          double dot = 0;
          for (size_t e = 0; e < HS; ++e) dot += hq[(b * T + t) * C + h * HS + e] * hk[(b * T + u) * C + h * HS + e];
          s[u] = double(scale) * dot;
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double z = 0;
        for (double x : s) z += std::exp(x - mx);
        const double want = mx + std::log(z);
        // the scores reach |S| ~ 100 here: float rounding of S is ~1e-7·|S|
        EXPECT_NEAR(hl[(b * NH + h) * T + t], want, 1e-6 * (1 + std::abs(want)))
            << "b " << b << " h " << h << " t " << t;
        if (t == 0) EXPECT_NEAR(hl[(b * NH + h) * T], s[0], 1e-6 * (1 + std::abs(s[0])));
      }
    }
}

TEST(AttentionFused, BackwardIsDeterministic) {
  // No atomics: two runs give bitwise the same gradients.
  const size_t B = 2, T = 130, HS = 16;
  const int NH = 2;
  Problem p(B, T, NH, HS);
  const auto ws = k::make_fused_attention_workspace(B, T, NH, HS, true, 32, 16);
  const k::Real scale = k::attention_scale(24.0, int(HS));
  const auto first = run_fused(p, scale, ws), second = run_fused(p, scale, ws);
  EXPECT_EQ(first.out, second.out);
  EXPECT_EQ(first.dq, second.dq);
  EXPECT_EQ(first.dk, second.dk);
  EXPECT_EQ(first.dv, second.dv);
}

TEST(AttentionFused, WorkspaceMismatchIsReported) {
  k::Tensor3 q("q", 1, 3, 8), out("out", 1, 3, 8), g("g", 1, 3, 8);
  k::Tensor3 lse("lse", 1, 2, 3), bad_lse("bad_lse", 1, 2, 4);
  const auto forward_only = k::make_fused_attention_workspace(1, 3, 2, 4, false);
  EXPECT_THROW(k::attention_fused_forward(out, bad_lse, q, q, q, 2, 0.25, forward_only), std::invalid_argument);
  k::attention_fused_forward(out, lse, q, q, q, 2, 0.25, forward_only);
  EXPECT_THROW(k::attention_fused_backward(g, g, g, out, q, q, q, out, lse, 2, 0.25, forward_only),
               std::invalid_argument);  // no row_dot buffer
  const auto ws = k::make_fused_attention_workspace(1, 3, 2, 4);
  EXPECT_THROW(k::attention_fused_backward(g, g, g, g, q, q, q, out, lse, 2, 0.25, ws),
               std::invalid_argument);  // dq aliases dout
}

namespace {

lip::Batch token_batch(size_t B, size_t T, int V) {
  lip::Batch batch;
  batch.size = B;
  batch.tokens = k::IndexTensor2("tokens", B, T);
  const auto ids = lip::test::random_labels(B * T, V, 41);
  auto h = Kokkos::create_mirror_view(batch.tokens);
  for (size_t i = 0; i < B; ++i)
    for (size_t t = 0; t < T; ++t) h(i, t) = ids[i * T + t];
  Kokkos::deep_copy(batch.tokens, h);
  batch.targets = lip::test::index_tensor(lip::test::random_labels(B * T, V, 42));
  return batch;
}

struct LossAndGradients {
  double loss;
  std::vector<std::vector<double>> grads;
};

LossAndGradients loss_and_gradients(const lip::GptConfig& c) {
  lip::Gpt gpt(c);
  gpt.initialize(3);
  const auto batch = token_batch(c.batch_sizes[0], c.seq_len, int(c.vocab_size));
  gpt.params().zero_grad();
  LossAndGradients r{gpt.forward(batch), {}};
  gpt.backward();
  for (size_t i = 0; i < gpt.params().num_tensors(); ++i) r.grads.push_back(to_host_vector(gpt.params().grad(i)));
  return r;
}

}  // namespace

TEST(AttentionFused, TransformerGivesTheSameLossAndGradientsAsBlocked) {
  auto c = lip::test::tiny_gpt_config(2);
  c.seq_len = 70;  // two query tiles
  c.zero_init = false;
  c.softmax_scale = 24;
  c.batch_sizes = {3};
  const auto blocked = loss_and_gradients(c);
  c.attention_kernel = lip::AttentionKernel::fused;
  const auto fused = loss_and_gradients(c);
  EXPECT_NEAR(fused.loss, blocked.loss, 1e-6 * std::abs(blocked.loss));
  double worst = 0;
  for (size_t i = 0; i < blocked.grads.size(); ++i) {
    const double err = relative_gradient_error(fused.grads[i], blocked.grads[i]);
    EXPECT_LT(err, float_tolerance) << "parameter " << i;
    worst = std::max(worst, err);
  }
  std::printf("  loss blocked %.8f fused %.8f; worst parameter-gradient relative error %.2e\n", blocked.loss,
              fused.loss, worst);
}

TEST(AttentionFused, MemoryEstimateHasNoProbabilities) {
  auto c = lip::test::tiny_gpt_config(3);
  c.seq_len = 256;
  c.batch_sizes = {32};
  const auto blocked = lip::estimate_gpt_memory(c);
  c.attention_kernel = lip::AttentionKernel::fused;
  const auto fused = lip::estimate_gpt_memory(c);
  const double R = sizeof(k::Real), B = 32, NH = double(c.num_heads), T = 256, L = 3;
  EXPECT_GE(blocked.attention_bytes, R * L * B * NH * T * T);  // (B, NH, T, T) per block
  EXPECT_DOUBLE_EQ(fused.attention_bytes, R * (L + 1) * B * NH * T);  // lse per block, D once
  EXPECT_LT(fused.total_bytes, blocked.total_bytes);
}
