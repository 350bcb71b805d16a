// Certified transformer Lipschitz bound (src/model/gpt_bound): ALGORITHMS §7.2–7.3 and
// Appendix R.5, the NANOGPT §7 reference table, closed forms, hand-worked cases, huge bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/gpt_bound.hpp"

namespace {

using lip::BoundFormula;
using lip::GptBlockNorms;
using lip::GptBoundInput;

GptBlockNorms uniform_block(double sigma) { return {sigma, sigma, sigma, sigma, sigma, sigma}; }

//! `n_blocks` blocks and the head at norm sigma, embedding at 1 (the setting of R.5 and NANOGPT §7).
GptBoundInput uniform(size_t n_blocks, double sigma, BoundFormula formula, double s = 1, double fs = 1) {
  GptBoundInput in;
  in.embed = 1;
  in.head = sigma;
  in.blocks.assign(n_blocks, uniform_block(sigma));
  in.softmax_scale = s;
  in.final_scale = fs;
  in.formula = formula;
  return in;
}

double bound(const GptBoundInput& in) { return lip::gpt_lipschitz_bound(in).value(); }

//! `value` agrees with a table entry printed to `digits` significant digits (half a unit in the
//! last printed place, plus a hair for the last bit of the computation).
void expect_printed(const char* what, double value, double printed, int digits) {
  const double unit = std::pow(10.0, std::floor(std::log10(std::abs(printed))) - (digits - 1));
  EXPECT_LE(std::abs(value - printed), 0.5 * unit * (1 + 1e-9))
      << what << ": computed " << value << ", table " << printed << " (" << digits << " digits)";
}

//! `value` agrees with a number printed to `decimals` decimal places.
void expect_printed_decimals(const char* what, double value, double printed, int decimals) {
  EXPECT_LE(std::abs(value - printed), 0.5 * std::pow(10.0, -decimals) * (1 + 1e-9))
      << what << ": computed " << value << ", table " << printed;
}

void expect_rel(const char* what, double value, double expected, double rtol) {
  EXPECT_LE(std::abs(value - expected), rtol * std::abs(expected))
      << what << ": computed " << value << ", expected " << expected;
}

//! Independent evaluation in plain long-double arithmetic (no logarithms), straight from the
//! formulas of ALGORITHMS §7.2/§7.3; long double's exponent range reaches ~10^4932 on x86-64.
long double direct_bound(const GptBoundInput& in) {
  const bool ref = in.formula != BoundFormula::paper;
  const size_t N = in.blocks.size();
  const long double alpha = ref ? 1.0L / (2 * N) : (long double)in.residual_scale / (2 * N);
  const long double keep = std::fabs(1 - alpha), div = in.mlp_divisor, s = in.softmax_scale;
  auto block = [&](size_t i) -> const GptBlockNorms& { return in.blocks[in.tracker_order ? N - 1 - i : i]; };
  std::vector<long double> a{ref ? 1.0L : (long double)in.embed};
  for (size_t i = 0; i < N; ++i) {
    const GptBlockNorms& b = block(i);
    a.push_back(keep * a.back() + alpha * ((long double)b.w * b.v / 3) * a.back());
    a.push_back(keep * a.back() + alpha * ((long double)b.mlp_out * b.mlp_in / div) * a.back());
  }
  long double L = in.embed;
  for (size_t i = 0; i < N; ++i) {
    const GptBlockNorms& b = block(i);
    const long double a2 = a[2 * i] * a[2 * i], q = b.q, k = b.k, v = b.v, w = b.w;
    const long double att = ref ? w * (v + 2 * v * a2 * q * k) * s / 3 : w * v * (1 + 2 * s * a2 * q * k) / 3;
    L = keep * L + alpha * L * att;
    L = keep * L + alpha * L * ((long double)b.mlp_out * b.mlp_in / div);
  }
  L *= in.head;
  if (in.formula != BoundFormula::reference_code) L *= std::fabs((long double)in.final_scale);
  return L;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ALGORITHMS Appendix R.5: code formula, N = 3, s = 1, embed 1, all block norms and head = σ.
// ---------------------------------------------------------------------------------------------

TEST(GptBound, AppendixR5ReferenceCode) {
  struct Row {
    double sigma, bound;
    std::vector<double> a;  // printed to 4 decimals
  };
  // "17.42" and "303.457" drop trailing zeros: the values are 17.4200 and 303.4570.
  const std::vector<Row> rows = {
      {1.0, 0.875778, {1, 0.8889, 0.8720, 0.7751, 0.7603, 0.6759, 0.6630}},
      {1.2, 1.95013, {1, 0.9133, 0.9553, 0.8725, 0.9126, 0.8335, 0.8718}},
      {1.5, 10.9957, {1, 0.9583, 1.1170, 1.0704, 1.2476, 1.1956, 1.3935}},
      {2.0, 840.191, {1, 1.0556, 1.5030, 1.5865, 2.2590, 2.3845, 3.3952}},
      {3.0, 1.48557e7, {1, 1.3333, 2.8827, 3.8437, 8.3102, 11.0803, 23.9563}},
      {6.0, 1.18652e17, {1, 2.8333, 17.42, 49.3567, 303.457, 859.7949, 5286.2269}},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE("sigma = " + std::to_string(r.sigma));
    GptBoundInput in = uniform(3, r.sigma, BoundFormula::reference_code);
    expect_printed("bound", bound(in), r.bound, 6);
    const std::vector<double> a = lip::gpt_activation_log10(in);
    ASSERT_EQ(a.size(), r.a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      expect_printed_decimals(("a[" + std::to_string(i) + "]").c_str(), std::pow(10.0, a[i]), r.a[i], 4);
    }
    // Uniform norms: tracker order changes nothing.
    in.tracker_order = true;
    expect_printed("bound (tracker order)", bound(in), r.bound, 6);
  }
}

// ---------------------------------------------------------------------------------------------
// Closed form with every weight norm (embed, blocks, head) at 1.
//
// Let α be the residual share, κ = |1−α| (= 1−α unless ρ > 2N; the triangle inequality needs
// the absolute value) and m = 1/mlp_divisor. Each residual multiplies the activation bound by a
// constant: attention by g_a = κ + α·(1·1/3) (= 1 − 2α/3 for α ≤ 1), the MLP by g_m = κ + α·m.
// Starting from a[0] = 1 (embed = 1, both formulas), the bound entering block i's attention is
//   a[2i] = (g_a·g_m)^i.
// Then L_att,i = (1/3)·(1 + 2·s·a[2i]²)   (paper)
//              = (s/3)·(1 + 2·a[2i]²)      (reference: whole bracket × s)
// and L_mlp = m, so with L₀ = embed = 1 and head = 1:
//   bound = Π_{i<N} [κ + α·L_att,i] · g_m^N · |fs|^[fs counted],
// with α = ρ/(2N) (paper) or 1/(2N) (reference formulas); fs is counted by paper and
// nanogpt_reference, not by reference_code.
// ---------------------------------------------------------------------------------------------

TEST(GptBound, AllNormsOneClosedForm) {
  for (BoundFormula f :
       {BoundFormula::paper, BoundFormula::reference_code, BoundFormula::nanogpt_reference}) {
    for (size_t N : {1, 2, 3, 12, 48}) {
      for (double s : {0.25, 1.0, 24.0}) {
        for (double rho : {1.0, 0.5, 3.0}) {
          GptBoundInput in = uniform(N, 1.0, f, s, -8.0);
          in.residual_scale = rho;
          const bool ref = f != BoundFormula::paper;
          const long double alpha = ref ? 1.0L / (2 * N) : (long double)rho / (2 * N);
          const long double m = 1 / (long double)in.mlp_divisor;
          const long double keep = std::fabs(1 - alpha);  // α = 3/2 when N = 1, ρ = 3
          const long double ga = keep + alpha / 3, gm = keep + alpha * m;
          long double closed = std::pow(gm, (long double)N);
          if (f != BoundFormula::reference_code) closed *= 8;
          for (size_t i = 0; i < N; ++i) {
            const long double a = std::pow(ga * gm, (long double)i);
            const long double att = ref ? s * (1 + 2 * a * a) / 3 : (1 + 2 * s * a * a) / 3;
            closed *= keep + alpha * att;
          }
          SCOPED_TRACE("N = " + std::to_string(N) + ", s = " + std::to_string(s) +
                       ", rho = " + std::to_string(rho));
          expect_rel("closed form", bound(in), double(closed), 1e-13);
        }
      }
    }
  }
  // At s = 1, ρ = 1 the paper and reference recursions coincide (ALGORITHMS §7.3).
  expect_rel("paper = reference at s = 1", bound(uniform(5, 1.0, BoundFormula::paper)),
             bound(uniform(5, 1.0, BoundFormula::reference_code)), 1e-14);
}

// ---------------------------------------------------------------------------------------------
// Monotonic in a uniform norm σ (every factor is increasing in σ).
// ---------------------------------------------------------------------------------------------

TEST(GptBound, StrictlyIncreasingInUniformNorm) {
  for (BoundFormula f : {BoundFormula::paper, BoundFormula::reference_code}) {
    for (size_t N : {1, 3, 12}) {
      double prev = -INFINITY;
      for (int step = 1; step <= 400; ++step) {
        const double sigma = 0.05 * step;  // 0.05 .. 20
        const double lb = lip::gpt_lipschitz_bound(uniform(N, sigma, f, 2.0)).log10_bound;
        ASSERT_TRUE(std::isfinite(lb)) << "sigma " << sigma;
        ASSERT_GT(lb, prev) << "N " << N << ", sigma " << sigma;
        prev = lb;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-worked configurations (exact rationals; checked to 1e-12 relative).
// ---------------------------------------------------------------------------------------------

TEST(GptBound, HandWorkedPaperOneBlock) {
  // paper, N = 1, ρ = 1 → α = 1/2. embed 2, head 2, s = 1, fs = 1, divisor 1.1289.
  // Block: q 1, k 2, v 3, w 1, mi 1.1289, mo 2  →  L_mlp = 2·1.1289/1.1289 = 2.
  //   a0 = embed = 2.
  //   L_att = (1/3)·w·v·(1 + 2·s·a0²·q·k) = (1/3)·3·(1 + 2·1·4·1·2) = 17
  //   L = 2                        (embed)
  //   L = ½·2 + ½·2·17 = 18        (attention residual)
  //   L = ½·18 + ½·18·2 = 27       (MLP residual)
  //   bound = 27 · head 2 = 54.
  GptBoundInput in;
  in.embed = 2;
  in.head = 2;
  in.blocks = {{1, 2, 3, 1, 1.1289, 2}};
  expect_rel("paper one block", bound(in), 54.0, 1e-12);
  // Activations: a1 = ½·2 + ½·(1·3/3)·2 = 2; a2 = ½·2 + ½·2·2 = 3.
  const auto a = lip::gpt_activation_log10(in);
  ASSERT_EQ(a.size(), 3u);
  expect_rel("a0", std::pow(10.0, a[0]), 2.0, 1e-12);
  expect_rel("a1", std::pow(10.0, a[1]), 2.0, 1e-12);
  expect_rel("a2", std::pow(10.0, a[2]), 3.0, 1e-12);
}

TEST(GptBound, HandWorkedPaperTwoBlocks) {
  // paper, N = 2, ρ = 2 → α = ρ/(2N) = 1/2. embed ½, head 3, s = ½, fs = −2, divisor 1.
  // blocks[0]: q 1, k 2, v 3, w 2, mi 1, mo 2.    blocks[1]: q 2, k 1, v 1, w 3, mi 2, mo ½.
  // Stage 1 (a0 = embed = ½):
  //   block0 attn: w·v/3 = 2 → a1 = ½·½ + ½·2·½ = 3/4
  //   block0 mlp:  mo·mi = 2 → a2 = ¾·(½ + 1) = 9/8
  //   block1 attn: 3·1/3 = 1 → a3 = 9/8;   block1 mlp: ½·2 = 1 → a4 = 9/8
  // Stage 2 (L = embed = ½):
  //   block0: L_att = (1/3)·2·3·(1 + 2·½·(¼)·1·2) = 2·(3/2) = 3   → L = ½·(½ + ½·3) = 1
  //           L_mlp = 2                                           → L = 1·(½ + 1) = 3/2
  //   block1: L_att = (1/3)·3·1·(1 + 2·½·(81/64)·2·1) = 1 + 81/32 = 113/32
  //                                 → L = (3/2)·(½ + 113/64) = (3/2)·(145/64) = 435/128
  //           L_mlp = 1             → L = 435/128
  //   bound = 435/128 · head 3 · |fs| 2 = 2610/128 = 20.390625
  GptBoundInput in;
  in.embed = 0.5;
  in.head = 3;
  in.blocks = {{1, 2, 3, 2, 1, 2}, {2, 1, 1, 3, 2, 0.5}};
  in.softmax_scale = 0.5;
  in.residual_scale = 2;
  in.final_scale = -2;
  in.mlp_divisor = 1;
  expect_rel("paper two blocks", bound(in), 20.390625, 1e-12);
  const auto a = lip::gpt_activation_log10(in);
  const double expected_a[] = {0.5, 0.75, 1.125, 1.125, 1.125};
  ASSERT_EQ(a.size(), 5u);
  for (size_t i = 0; i < 5; ++i) expect_rel("a", std::pow(10.0, a[i]), expected_a[i], 1e-12);
}

TEST(GptBound, HandWorkedReferenceCodeTrackerOrder) {
  // reference_code, N = 2 → α = 1/(2N) = 1/4 (ρ = 7 ignored), s = 2, embed 3 (enters L only;
  // a[0] = 1), head 2, fs = 5 (ignored), divisor 2.
  // blocks[0]: q 1, k 1, v 2, w 3/2, mi 1, mo 2.    blocks[1]: q ½, k 2, v 1, w 3, mi 4, mo 1.
  //
  // Tracker order visits blocks[1] first, then blocks[0].
  // Stage 1: a0 = 1
  //   blocks[1] attn: w·v/3 = 1   → a1 = 1;     mlp: mo·mi/2 = 2 → a2 = ¾ + ¼·2 = 5/4
  //   blocks[0] attn: 1.5·2/3 = 1 → a3 = 5/4;   mlp: 2·1/2 = 1   → a4 = 5/4
  // Stage 2: L = embed = 3
  //   blocks[1], a[0] = 1:   L_att = (1/3)·w·(v + 2·v·a²·q·k)·s = (1/3)·3·(1 + 2·1·1·½·2)·2 = 6
  //                          L = 3·(¾ + ¼·6) = 27/4;   L_mlp = 2 → L = (27/4)·(5/4) = 135/16
  //   blocks[0], a[2] = 5/4: L_att = (1/3)·(3/2)·(2 + 2·2·(25/16)·1·1)·2 = ½·(33/4)·2 = 33/4
  //                          L = (135/16)·(¾ + 33/16) = (135/16)·(45/16) = 6075/256
  //                          L_mlp = 1 → L = 6075/256
  //   bound = 6075/256 · head 2 = 6075/128 = 47.4609375
  //
  // Forward order (same input, tracker_order = false) visits blocks[0] first:
  //   Stage 1: a0 = 1; blocks[0]: a1 = 1, a2 = 1; blocks[1]: a3 = 1, a4 = 5/4.
  //   blocks[0], a = 1: L_att = (1/3)·(3/2)·(2 + 4)·2 = 6 → L = 3·(9/4) = 27/4; L_mlp = 1
  //   blocks[1], a = 1: L_att = 6 → L = (27/4)·(9/4) = 243/16; L_mlp = 2 → L = (243/16)·(5/4)
  //                     = 1215/64
  //   bound = 1215/64 · 2 = 1215/32 = 37.96875
  GptBoundInput in;
  in.embed = 3;
  in.head = 2;
  in.blocks = {{1, 1, 2, 1.5, 1, 2}, {0.5, 2, 1, 3, 4, 1}};
  in.softmax_scale = 2;
  in.residual_scale = 7;
  in.final_scale = 5;
  in.mlp_divisor = 2;
  in.formula = BoundFormula::reference_code;
  in.tracker_order = true;
  expect_rel("reference, tracker order", bound(in), 47.4609375, 1e-12);
  const auto a = lip::gpt_activation_log10(in);
  const double expected_a[] = {1, 1, 1.25, 1.25, 1.25};
  ASSERT_EQ(a.size(), 5u);
  for (size_t i = 0; i < 5; ++i) expect_rel("a (tracker order)", std::pow(10.0, a[i]), expected_a[i], 1e-12);
  in.tracker_order = false;
  expect_rel("reference, forward order", bound(in), 37.96875, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Huge bounds stay finite in log10 and agree with a long-double evaluation.
// ---------------------------------------------------------------------------------------------

TEST(GptBound, HugeBoundsInLogSpace) {
  for (BoundFormula f :
       {BoundFormula::paper, BoundFormula::reference_code, BoundFormula::nanogpt_reference}) {
    for (double sigma : {8.0, 16.0, 40.0, 100.0}) {
      GptBoundInput in = uniform(12, sigma, f, 1.5, 8.0);
      const lip::LipschitzBound b = lip::gpt_lipschitz_bound(in);
      const long double direct = direct_bound(in);
      ASSERT_TRUE(std::isfinite(b.log10_bound)) << "sigma " << sigma;
      ASSERT_TRUE(std::isfinite(direct)) << "long double overflowed at sigma " << sigma;
      // Absolute error in log10 ~ (terms)·eps·|log10|; 1e-11 is ~2e-11 relative in the value.
      EXPECT_NEAR(b.log10_bound, double(std::log10(direct)), 1e-11 + 1e-14 * std::abs(b.log10_bound))
          << "sigma " << sigma << ": " << b.to_string();
      for (double la : lip::gpt_activation_log10(in)) ASSERT_TRUE(std::isfinite(la));
      if (sigma >= 16.0) {
        EXPECT_GE(b.log10_bound, 264.0) << b.to_string();
      }
      if (b.log10_bound > 308.5) {
        EXPECT_TRUE(std::isinf(b.value()));  // value() is a double; log10_bound carries the digits
      }
      EXPECT_EQ(b.to_string().find("inf"), std::string::npos) << b.to_string();
    }
  }
  // σ = 16 on 12 layers with s = fs = 1: 1.672149363e273 (NANOGPT §7: "w = 16 gives ~10^273").
  const lip::LipschitzBound b = lip::gpt_lipschitz_bound(uniform(12, 16.0, BoundFormula::nanogpt_reference));
  EXPECT_EQ(b.to_string(), "1.6721e+273");
  const lip::LipschitzBound huge = lip::gpt_lipschitz_bound(uniform(12, 100.0, BoundFormula::paper));
  std::printf("[ bound  ] 12 layers, s 1: sigma 16 %s, sigma 100 %s\n", b.to_string().c_str(),
              huge.to_string().c_str());
}

// ---------------------------------------------------------------------------------------------
// Block order (ALGORITHMS §13 item 13).
// ---------------------------------------------------------------------------------------------

TEST(GptBound, TrackerOrderVersusForwardOrder) {
  GptBoundInput in = uniform(4, 1.3, BoundFormula::reference_code, 1.0);
  in.tracker_order = true;
  const double equal_tracker = bound(in);
  in.tracker_order = false;
  EXPECT_EQ(equal_tracker, bound(in)) << "equal blocks must not depend on the order";

  in.blocks = {{1.0, 1.1, 0.9, 1.2, 1.0, 0.8},
               {2.0, 1.5, 1.8, 1.6, 2.2, 1.9},
               {0.7, 0.6, 1.0, 0.9, 1.1, 1.2},
               {3.0, 2.5, 2.0, 1.5, 1.2, 1.0}};
  const double forward = bound(in);
  in.tracker_order = true;
  const double tracker = bound(in);
  EXPECT_GT(std::abs(forward - tracker), 1e-6 * forward) << "forward " << forward << ", tracker " << tracker;
  // Reversing the blocks and iterating in tracker order is the forward recursion again.
  GptBoundInput reversed = in;
  reversed.blocks.assign(in.blocks.rbegin(), in.blocks.rend());
  reversed.tracker_order = false;
  EXPECT_EQ(bound(reversed), tracker);
  // Both agree with the long-double evaluation.
  expect_rel("tracker vs direct", tracker, double(direct_bound(in)), 1e-13);
  in.tracker_order = false;
  expect_rel("forward vs direct", forward, double(direct_bound(in)), 1e-13);
  // The finer paper formula is always forward order; asking for the code's order is an error.
  in.formula = BoundFormula::paper;
  in.tracker_order = true;
  EXPECT_THROW(bound(in), lip::Error);
}

// ---------------------------------------------------------------------------------------------
// Budget table, zero norms and input validation.
// ---------------------------------------------------------------------------------------------

TEST(GptBound, StageTable) {
  GptBoundInput in = uniform(3, 1.5, BoundFormula::reference_code);
  in.blocks[0].q = 2;  // make the blocks distinguishable
  in.tracker_order = true;
  const lip::LipschitzBound b = lip::gpt_lipschitz_bound(in, true);
  const std::vector<std::string> names = {"embed",      "block2.attn", "block2.mlp", "block1.attn",
                                          "block1.mlp", "block0.attn", "block0.mlp", "head"};
  EXPECT_EQ(b.stage_names, names);
  ASSERT_EQ(b.stage_log10.size(), names.size());
  EXPECT_EQ(b.stage_log10.front(), 0.0);  // log10(embed = 1)
  EXPECT_EQ(b.stage_log10.back(), b.log10_bound);
  EXPECT_TRUE(lip::gpt_lipschitz_bound(in).stage_names.empty());
  in.tracker_order = false;
  EXPECT_EQ(lip::gpt_lipschitz_bound(in, true).stage_names[1], "block0.attn");
}

TEST(GptBound, ZeroNormsAreExact) {
  // NanoGPT initializes the attention and MLP output projections and the head to zero: then each
  // residual only shrinks by (1−α), and a zero head makes the bound exactly 0.
  GptBoundInput in = uniform(2, 1.0, BoundFormula::paper);
  for (auto& b : in.blocks) b.w = b.mlp_out = 0;
  in.head = 2;
  expect_rel("zero branches", bound(in), 2 * std::pow(0.75, 4), 1e-14);  // α = 1/4, 4 residuals
  in.head = 0;
  const lip::LipschitzBound b = lip::gpt_lipschitz_bound(in);
  EXPECT_EQ(b.value(), 0.0);
  EXPECT_EQ(b.to_string(), "0");
  in.head = 1;
  in.embed = 0;
  EXPECT_EQ(bound(in), 0.0);
}

TEST(GptBound, RejectsInvalidInput) {
  const GptBoundInput in = uniform(2, 1.0, BoundFormula::paper);
  GptBoundInput bad = in;
  bad.blocks.clear();
  EXPECT_THROW(bound(bad), lip::Error);
  bad = in;
  bad.blocks[1].k = -1;
  EXPECT_THROW(bound(bad), lip::Error);
  bad = in;
  bad.head = NAN;
  EXPECT_THROW(bound(bad), lip::Error);
  bad = in;
  bad.softmax_scale = -1;
  EXPECT_THROW(bound(bad), lip::Error);
  bad = in;
  bad.mlp_divisor = 0;
  EXPECT_THROW(bound(bad), lip::Error);
  bad = in;
  bad.final_scale = INFINITY;
  EXPECT_THROW(bound(bad), lip::Error);
}

// ---------------------------------------------------------------------------------------------
// NANOGPT §7 reference table: 12 layers (α = 1/24, 24 residuals), all hidden norms and the head
// at w, emb_w_max = 1, the authors' recursion (nanogpt_reference). The paper formula is printed
// beside it; it is equal at s = 1 and tighter for s > 1.
// ---------------------------------------------------------------------------------------------

TEST(GptBound, NanoGptReferenceTable) {
  struct Row {
    size_t layers;
    double w, s, fs, lip;
    int lip_digits;
    double a_last;  // NaN: not in the table
  };
  const std::vector<Row> rows = {
      {12, 1, 1, 1, 0.858128406, 9, 0.6734929594},
      {12, 1, 1, 8, 6.865027248, 10, 0.6734929594},
      {12, 1, 24, 1, 860.4312096, 10, 0.6734929594},
      {12, 2, 1, 1, 1.379831046e6, 10, 3.951873144},
      {12, 8, 1, 1, 6.562569118e135, 10, 2.835925321e9},
      // "Four layers (α = 1/8), w = 1, s = 1: Lip = 0.8695244241 (×8 with final_scale 8:
      //  6.956195392), and with s = 24: 122.017633."
      {4, 1, 1, 1, 0.8695244241, 10, NAN},
      {4, 1, 1, 8, 6.956195392, 10, NAN},
      {4, 1, 24, 1, 122.017633, 9, NAN},
  };
  std::printf("[ nanogpt] layers     w      s     fs   reference (table)      paper formula\n");
  for (const Row& r : rows) {
    SCOPED_TRACE("layers " + std::to_string(r.layers) + ", w " + std::to_string(r.w) + ", s " +
                 std::to_string(r.s) + ", fs " + std::to_string(r.fs));
    GptBoundInput in = uniform(r.layers, r.w, BoundFormula::nanogpt_reference, r.s, r.fs);
    const lip::LipschitzBound ref = lip::gpt_lipschitz_bound(in);
    expect_printed("Lip_total", ref.value(), r.lip, r.lip_digits);
    const std::vector<double> a = lip::gpt_activation_log10(in);
    ASSERT_EQ(a.size(), 2 * r.layers + 1);
    if (!std::isnan(r.a_last)) {
      expect_printed("a_24", std::pow(10.0, a.back()), r.a_last, 10);
    }
    in.formula = BoundFormula::paper;
    const lip::LipschitzBound paper = lip::gpt_lipschitz_bound(in);
    if (r.s == 1) {
      expect_rel("paper = reference at s = 1", paper.value(), ref.value(), 1e-13);
    } else {
      EXPECT_LT(paper.log10_bound, ref.log10_bound);  // tighter for s > 1
    }
    std::printf("[ nanogpt] %6zu %5g %6g %6g   %-22s %s\n", r.layers, r.w, r.s, r.fs, ref.to_string().c_str(),
                paper.to_string().c_str());
  }
  // "With w = 1, s = 1 and a₀ = 1, the activation bounds are:
  //  1, 0.972222, 0.967597, 0.940719, 0.936244, …, 0.696047, 0.676712, 0.673493."
  const std::vector<double> a = lip::gpt_activation_log10(uniform(12, 1.0, BoundFormula::nanogpt_reference));
  const double first[] = {1, 0.972222, 0.967597, 0.940719, 0.936244};
  const double last[] = {0.696047, 0.676712, 0.673493};
  for (size_t i = 0; i < 5; ++i) expect_printed("a (first)", std::pow(10.0, a[i]), first[i], 6);
  for (size_t i = 0; i < 3; ++i) expect_printed("a (last)", std::pow(10.0, a[22 + i]), last[i], 6);
  // "w = 8 gives ~10^136 and w = 16 gives ~10^273. With the normalize script's s = sqrt(128)/w²,
  //  they give ~10^127 and ~10^257." The σ_max = 1 row "with the normalize script's default
  //  s = sqrt(128) would be about 250" (final_scale 8).
  auto lg = [](double w, double s, double fs) {
    return lip::gpt_lipschitz_bound(uniform(12, w, BoundFormula::nanogpt_reference, s, fs)).log10_bound;
  };
  EXPECT_EQ(std::lround(lg(8, 1, 1)), 136);
  EXPECT_EQ(std::lround(lg(16, 1, 1)), 273);
  EXPECT_EQ(std::lround(lg(8, std::sqrt(128.0) / 64, 1)), 127);
  EXPECT_EQ(std::lround(lg(16, std::sqrt(128.0) / 256, 1)), 257);
  const double normalize_default = std::pow(10.0, lg(1, std::sqrt(128.0), 8));
  EXPECT_NEAR(normalize_default, 250, 5);
  const GptBoundInput p = uniform(12, 1.0, BoundFormula::paper, std::sqrt(128.0), 8);
  std::printf("[ nanogpt] sigma_max 1 row, s = sqrt(128), fs 8: reference %.4f, paper %.4f\n",
              normalize_default, bound(p));
}
