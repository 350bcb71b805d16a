// Rotary embedding (textbook, reference, nanogpt) against the naive host reference, plus the
// properties every rotary map must have.
#include <gtest/gtest.h>

#include "kernels/reference/rope_reference.hpp"
#include "kernels/rope.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::expect_close;
using lip::test::to_host_vector;

namespace {
const k::RopeVariant variants[] = {k::RopeVariant::textbook, k::RopeVariant::reference, k::RopeVariant::nanogpt};
const char* name(k::RopeVariant v) {
  return v == k::RopeVariant::textbook ? "textbook" : v == k::RopeVariant::reference ? "reference" : "nanogpt";
}
}  // namespace

TEST(Rope, ForwardAndBackwardMatchReferenceOnOddShapes) {
  // Every T and HS, with B and NH cycling through 1..3 (each value of every extent is covered
  // without the full product, which keeps the test fast on 2 cores).
  int n = 0;
  for (auto variant : variants)
    for (int T : {1, 3, 17})
      for (int HS : {2, 4, 8}) {
        const int B = 1 + n % 3, NH = 1 + (n / 3 + n) % 3;
        ++n;
        if (variant == k::RopeVariant::nanogpt && HS % 4 != 0) continue;
        const auto table = k::make_rope_table(variant, T + 2, HS);  // T_max > T is allowed
        const size_t C = size_t(NH * HS);
        k::Tensor3 x("x", B, T, C), y("y", B, T, C), dy("dy", B, T, C), dx("dx", B, T, C);
        const auto hx = lip::test::fill_random(x, unsigned(B + 10 * T + 100 * NH + 1000 * HS));
        const auto hdy = lip::test::fill_random(dy, 7);
        auto hdx = lip::test::fill_random(dx, 8);
        k::rope_forward(y, x, NH, table);
        k::rope_backward(dx, dy, NH, table);
        const std::string where = std::string(name(variant)) + " B" + std::to_string(B) + " T" +
                                  std::to_string(T) + " NH" + std::to_string(NH) + " HS" + std::to_string(HS);
        expect_close("rope_forward " + where, to_host_vector(y),
                     ref::rope_forward(hx, B, T, NH, HS, variant, table.base), 1e-5, 1e-5);
        ref::rope_backward(hdx, hdy, B, T, NH, HS, variant, table.base);
        expect_close("rope_backward " + where, to_host_vector(dx), hdx, 1e-5, 1e-5);
        // in place
        k::rope_forward(x, x, NH, table);
        expect_close("rope_forward in place " + where, to_host_vector(x), to_host_vector(y), 0, 0);
      }
}

TEST(Rope, DefaultBasesAndLongPositions) {
  EXPECT_EQ(k::make_rope_table(k::RopeVariant::textbook, 4, 8).base, 10000.0);
  EXPECT_EQ(k::make_rope_table(k::RopeVariant::reference, 4, 8).base, 10000.0);
  EXPECT_EQ(k::make_rope_table(k::RopeVariant::nanogpt, 4, 8).base, 1024.0);
  EXPECT_EQ(k::make_rope_table(k::RopeVariant::textbook, 4, 8, 500.0).base, 500.0);
  // Large positions (NanoGPT packs 49,152 tokens): the table is exact to Real rounding.
  const int T = 50000, HS = 128;
  const auto table = k::make_rope_table(k::RopeVariant::nanogpt, T, HS);
  auto c = to_host_vector(table.cos_theta);
  auto s = to_host_vector(table.sin_theta);
  for (int i : {0, 1, 17, 31, 32, 63}) {
    const double theta = (T - 1) * ref::rope_frequency(k::RopeVariant::nanogpt, i, HS, 1024.0);
    EXPECT_NEAR(c[size_t(T - 1) * 64 + i], std::cos(theta), 1e-6) << i;
    EXPECT_NEAR(s[size_t(T - 1) * 64 + i], std::sin(theta), 1e-6) << i;
  }
  // NanoGPT frequencies: 1 rad/token at i = 0, 1/1024 at i = HS/4 − 1, then zero.
  EXPECT_DOUBLE_EQ(ref::rope_frequency(k::RopeVariant::nanogpt, 0, HS, 1024.0), 1.0);
  EXPECT_NEAR(ref::rope_frequency(k::RopeVariant::nanogpt, 31, HS, 1024.0), 1.0 / 1024, 1e-15);
  EXPECT_EQ(ref::rope_frequency(k::RopeVariant::nanogpt, 32, HS, 1024.0), 0.0);
}

TEST(Rope, NormPreservedAndScoresDependOnlyOnOffset) {
  // ⟨rope(q)_t, rope(k)_u⟩ for the same q, k vectors placed at every position depends on t − u.
  const int T = 9, NH = 2, HS = 8, C = NH * HS;
  for (auto variant : variants) {
    const auto table = k::make_rope_table(variant, T, HS);
    const auto q0 = lip::test::normal_vector(C, 1), k0 = lip::test::normal_vector(C, 2);
    std::vector<double> hq(size_t(T) * C), hk(size_t(T) * C);
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < C; ++c) {
        hq[size_t(t) * C + c] = q0[c];
        hk[size_t(t) * C + c] = k0[c];
      }
    k::Tensor3 q("q", 1, T, C), kk("k", 1, T, C);
    lip::test::to_device_vector(q, hq);
    lip::test::to_device_vector(kk, hk);
    k::rope_forward(q, q, NH, table);
    k::rope_forward(kk, kk, NH, table);
    const auto rq = to_host_vector(q), rk = to_host_vector(kk);
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < T; ++t) {
        double n0 = 0, n1 = 0;
        for (int e = 0; e < HS; ++e) {
          n0 += q0[h * HS + e] * q0[h * HS + e];
          n1 += rq[size_t(t) * C + h * HS + e] * rq[size_t(t) * C + h * HS + e];
        }
        EXPECT_NEAR(n0, n1, 1e-4 * n0) << name(variant);
        for (int u = 0; u <= t; ++u) {
          auto score = [&](int a, int b) {
            double s = 0;
            for (int e = 0; e < HS; ++e) s += rq[size_t(a) * C + h * HS + e] * rk[size_t(b) * C + h * HS + e];
            return s;
          };
          EXPECT_NEAR(score(t, u), score(t - u, 0), 1e-4) << name(variant) << " t " << t << " u " << u;
        }
      }
  }
}

TEST(Rope, ShapeErrorsAreReported) {
  const auto table = k::make_rope_table(k::RopeVariant::textbook, 4, 8);
  k::Tensor3 x("x", 1, 5, 16), y("y", 1, 5, 16);
  EXPECT_THROW(k::rope_forward(y, x, 2, table), std::invalid_argument);  // T = 5 > T_max = 4
  k::Tensor3 x2("x", 1, 4, 16), y2("y", 1, 4, 16);
  EXPECT_THROW(k::rope_forward(y2, x2, 4, table), std::invalid_argument);  // HS would be 4, table has 8
  EXPECT_THROW(k::make_rope_table(k::RopeVariant::nanogpt, 4, 6), std::invalid_argument);
}
