// Causal multi-head attention against the naive host reference on odd shapes, plus the
// properties the spec pins down: T = 1 gives v/3, masked probabilities are exactly 0.
#include <gtest/gtest.h>

#include "kernels/attention.hpp"
#include "kernels/reference/attention_reference.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::expect_close;
using lip::test::to_host_vector;

namespace {
struct Case {
  size_t B, T;
  int NH;
  size_t HS;
  size_t query_block;  // 0 = default (one block for these short T)
};
}  // namespace

TEST(Attention, ForwardAndBackwardMatchReferenceOnOddShapes) {
  // Every T, HS and query block (0 = one block here; 1 and 4 = several causal blocks), with B and
  // NH cycling through 1..3 so each value of every extent is covered without the full product.
  std::vector<Case> cases;
  size_t n = 0;
  for (size_t T : {1, 3, 17})
    for (size_t HS : {2, 4, 8})
      for (size_t qb : {0, 1, 4}) {
        cases.push_back({1 + n % 3, T, int(1 + (n / 3 + n) % 3), HS, qb});
        ++n;
      }
  for (const auto& c : cases) {
    const size_t C = size_t(c.NH) * c.HS;
    const double scale = 3.0 / double(c.HS);  // softmax_scale 3: sharper than the default 1/d
    k::Tensor3 q("q", c.B, c.T, C), kk("k", c.B, c.T, C), v("v", c.B, c.T, C), out("out", c.B, c.T, C);
    k::Tensor3 dout("dout", c.B, c.T, C), dq("dq", c.B, c.T, C), dk("dk", c.B, c.T, C), dv("dv", c.B, c.T, C);
    k::Tensor4 probs("probs", c.B, size_t(c.NH), c.T, c.T);
    const auto ws = k::make_attention_workspace(c.B, c.T, c.NH, c.HS, true, c.query_block);
    const auto hq = lip::test::fill_random(q, 1), hk = lip::test::fill_random(kk, 2);
    const auto hv = lip::test::fill_random(v, 3), hdo = lip::test::fill_random(dout, 4);
    auto hdq = lip::test::fill_random(dq, 5), hdk = lip::test::fill_random(dk, 6), hdv = lip::test::fill_random(dv, 7);
    k::attention_forward(out, probs, q, kk, v, c.NH, k::Real(scale), ws);
    k::attention_backward(dq, dk, dv, dout, q, kk, v, probs, c.NH, k::Real(scale), ws);
    const auto want = ref::attention_forward(hq, hk, hv, int(c.B), int(c.T), c.NH, int(c.HS), scale);
    const std::string where = " B" + std::to_string(c.B) + " T" + std::to_string(c.T) + " NH" +
                              std::to_string(c.NH) + " HS" + std::to_string(c.HS) +
                              " query_block " + std::to_string(ws.query_block);
    expect_close("attention_forward out" + where, to_host_vector(out), want.out, 1e-5, 1e-4);
    expect_close("attention_forward probs" + where, to_host_vector(probs), want.probs, 1e-6, 1e-4);
    ref::attention_backward(hdq, hdk, hdv, hdo, hq, hk, hv, want.probs, int(c.B), int(c.T), c.NH, int(c.HS), scale);
    expect_close("attention_backward dq" + where, to_host_vector(dq), hdq, 1e-5, 1e-4);
    expect_close("attention_backward dk" + where, to_host_vector(dk), hdk, 1e-5, 1e-4);
    expect_close("attention_backward dv" + where, to_host_vector(dv), hdv, 1e-5, 1e-4);
  }
}

TEST(Attention, SingleTokenReturnsVOverThree) {
  const size_t B = 2, T = 1, HS = 4;
  const int NH = 3;
  const size_t C = NH * HS;
  k::Tensor3 q("q", B, T, C), kk("k", B, T, C), v("v", B, T, C), out("out", B, T, C);
  k::Tensor4 probs("probs", B, NH, T, T);
  lip::test::fill_random(q, 1, 10.0);
  lip::test::fill_random(kk, 2, 10.0);
  const auto hv = lip::test::fill_random(v, 3);
  k::attention_forward(out, probs, q, kk, v, NH, k::attention_scale(1.0, HS), k::make_attention_workspace(B, T, NH, HS, false));
  const auto got = to_host_vector(out);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], hv[i] / 3, 1e-7 * (1 + std::abs(hv[i])));
  for (double p : to_host_vector(probs)) EXPECT_EQ(p, 1.0);
}

TEST(Attention, MaskedProbabilitiesAreExactlyZeroAndGetNoGradient) {
  const size_t B = 2, T = 17, HS = 8;
  const int NH = 2;
  const size_t C = NH * HS;
  k::Tensor3 q("q", B, T, C), kk("k", B, T, C), v("v", B, T, C), out("out", B, T, C);
  k::Tensor4 probs("probs", B, NH, T, T);
  lip::test::fill_random(q, 1, 4.0);
  lip::test::fill_random(kk, 2, 4.0);
  lip::test::fill_random(v, 3);
  const auto ws = k::make_attention_workspace(B, T, NH, HS, true, 5);  // blocks 5, 5, 5, 2
  Kokkos::deep_copy(probs, 123.0);  // stale garbage must be overwritten
  k::attention_forward(out, probs, q, kk, v, NH, k::attention_scale(24.0, HS), ws);
  const auto p = to_host_vector(probs);
  for (size_t bh = 0; bh < B * NH; ++bh)
    for (size_t t = 0; t < T; ++t) {
      double sum = 0;
      for (size_t u = 0; u < T; ++u) {
        const double a = p[(bh * T + t) * T + u];
        if (u > t) EXPECT_EQ(a, 0.0) << "bh " << bh << " t " << t << " u " << u;
        else EXPECT_GE(a, 0.0);
        sum += a;
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  // The future cannot influence the past: changing k, v at the last position leaves earlier
  // outputs unchanged, and dq at the first position depends only on position 0.
  k::Tensor3 dout("dout", B, T, C), dq("dq", B, T, C), dk("dk", B, T, C), dv("dv", B, T, C);
  auto hdo = lip::test::normal_vector(B * T * C, 9);
  for (size_t b = 0; b < B; ++b)
    for (size_t c = 0; c < C; ++c) hdo[(b * T + (T - 1)) * C + c] = 0;  // no gradient from the last query
  lip::test::to_device_vector(dout, hdo);
  k::attention_backward(dq, dk, dv, dout, q, kk, v, probs, NH, k::attention_scale(24.0, HS), ws);
  const auto gk = to_host_vector(dk), gv = to_host_vector(dv);
  for (size_t b = 0; b < B; ++b)
    for (size_t c = 0; c < C; ++c) {
      EXPECT_EQ(gk[(b * T + (T - 1)) * C + c], 0.0);  // key T−1 is only visible to query T−1
      EXPECT_EQ(gv[(b * T + (T - 1)) * C + c], 0.0);
    }
}

TEST(Attention, WorkspaceMismatchIsReported) {
  k::Tensor3 q("q", 1, 3, 8), out("out", 1, 3, 8);
  k::Tensor4 probs("probs", 1, 2, 3, 3);
  const auto ws = k::make_attention_workspace(1, 3, 2, 2, false);  // wrong head size
  EXPECT_THROW(k::attention_forward(out, probs, q, q, q, 2, 0.25, ws), std::invalid_argument);
  const auto ws2 = k::make_attention_workspace(1, 3, 2, 4, false);
  k::attention_forward(out, probs, q, q, q, 2, 0.25, ws2);
  k::Tensor3 g("g", 1, 3, 8);
  EXPECT_THROW(k::attention_backward(g, g, g, out, q, q, q, probs, 2, 0.25, ws2), std::invalid_argument);
}
