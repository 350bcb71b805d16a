// Spectral constraint maps: each moves singular values as its contract says (checked by exact SVD
// on 64x64, 256x1024, 1024x256 and 65x256), power iteration (reference, zero matrix), the
// soft-cap strength (Appendix R.3, NANOGPT.md §2.2), Theorem 3.1 under adversarial updates, the
// weight-decay (App. A) and clipped-weight-decay (App. B) equilibria, and column/row RMS maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>

#include "kernels/blas.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/reference/spectral_reference.hpp"
#include "kernels/spectral.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;

namespace {

k::Tensor2 device_copy(const ref::HostMatrix& A) {
  k::Tensor2 d("A", A.rows, A.cols);
  ref::to_device(d, A);
  return d;
}

std::vector<double> sorted(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x;
}

bool all_finite(const ref::HostMatrix& A) {
  for (double x : A.data)
    if (!std::isfinite(x)) return false;
  return true;
}

// Normalized-space spectrum: top 3.0 with a gap to 2.0 (power iteration converges to ~1e-6 in 16
// iterations), then log-spaced from 1.8 down to 0.05: spans below, at and above every threshold.
std::vector<double> test_spectrum(size_t r) {
  std::vector<double> s(r);
  s[0] = 3.0;
  if (r > 1) s[1] = 2.0;
  for (size_t i = 2; i < r; ++i) s[i] = 1.8 * std::pow(0.05 / 1.8, double(i - 2) / double(std::max<size_t>(r - 3, 1)));
  return s;
}

const size_t kShapes[][2] = {{64, 64}, {256, 1024}, {1024, 256}, {65, 256}};

struct Contract {
  std::string name;
  double tol;                                   // on each singular value, absolute
  std::function<void(k::MatrixView)> apply;     // the map under test (in place)
  std::function<double(double, double)> maps;   // (σ, ‖X‖_F) -> expected singular value (before |.|)
};

}  // namespace

// ------------------------------------------------------------------------------------------------
// Contracts on singular values
// ------------------------------------------------------------------------------------------------

TEST(SpectralMaps, MoveSingularValuesAsTheirContractsSay) {
  for (auto shape : kShapes) {
    const size_t m = shape[0], n = shape[1], r = std::min(m, n);
    const auto s = test_spectrum(r);
    const auto hX = ref::random_with_spectrum(m, n, s, 5);
    k::SingularTriple top(m, n);
    k::NsWorkspace ns(m, n);
    k::ClipWorkspace clip(m, n);
    const double soft_alpha = k::soft_cap_strength(2.0, 0.0, 1.0);  // k = 3 → p(3) = 2
    const auto& ref6 = k::ns_table("reference6");
    // Tolerances (relative to max(1, σ); float; measured worst on these shapes in brackets):
    // power-iteration maps 1e-5 (3e-8; bounded by the unconverged part (2/3)^32 ≈ 2e-6 of the top
    // pair), polynomial maps 2e-6 (2.4e-7), msign clip 5e-6 (5.1e-7), LAPACK clip 1e-6 (2.4e-8).
    const std::vector<Contract> contracts = {
        {"spectral_normalize", 1e-5, [&](k::MatrixView X) { k::spectral_normalize(X, top, 42); },
         [](double x, double) { return x / 3.0; }},
        {"spectral_hammer", 1e-5, [&](k::MatrixView X) { k::spectral_hammer(X, 1.5, top, 42); },
         [](double x, double) { return x == 3.0 ? 1.5 : x; }},
        {"spectral_weight_decay", 1e-5, [&](k::MatrixView X) { k::spectral_weight_decay(X, 0.1, top, 42); },
         [](double x, double) { return x == 3.0 ? 2.7 : x; }},
        {"orthogonalize", 2e-6, [&](k::MatrixView X) { k::orthogonalize(X, ns); },
         [&](double x, double fro) { return k::ns_composite(ref6, x / fro); }},
        {"hard_cap", 2e-6, [&](k::MatrixView X) { k::hard_cap(X, ns); },
         [](double x, double) { return k::hard_cap_composite(x); }},
        {"soft_cap", 2e-6, [&](k::MatrixView X) { k::soft_cap(X, soft_alpha, ns); },
         [&](double x, double) { return k::soft_cap_composite(soft_alpha, x); }},
        {"spectral_clip", 5e-6, [&](k::MatrixView X) { k::spectral_clip(X, 0.5, 2.0, clip); },
         [](double x, double) { return std::min(2.0, std::max(0.5, x)); }},
        {"spectral_clip_upper", 5e-6, [&](k::MatrixView X) { k::spectral_clip(X, 0.0, 1.0, clip); },
         [](double x, double) { return std::min(1.0, x); }},
        {"clipped_weight_decay", 5e-6,
         [&](k::MatrixView X) { k::spectral_clipped_weight_decay(X, 1.0, 0.3, clip); },
         [](double x, double) { return 0.7 * x + 0.3 * std::min(1.0, x); }},
        {"pure_svd_clip", 1e-6, [&](k::MatrixView X) { k::pure_svd_clip(X, 0.5, 2.0); },
         [](double x, double) { return std::min(2.0, std::max(0.5, x)); }},
    };
    double fro = 0;
    for (double x : s) fro += x * x;
    fro = std::sqrt(fro);
    for (const auto& c : contracts) {
      auto X = device_copy(hX);
      c.apply(X);
      const auto hY = ref::to_host(X);
      ASSERT_TRUE(all_finite(hY)) << c.name;
      const auto got = sorted(ref::singular_values_only(hY));
      std::vector<double> expect;
      for (double x : s) expect.push_back(std::fabs(c.maps(x, fro)));
      expect = sorted(expect);
      double worst = 0;
      for (size_t i = 0; i < r; ++i) worst = std::max(worst, std::fabs(got[i] - expect[i]) / std::max(1.0, expect[i]));
      EXPECT_LT(worst, c.tol) << c.name << " on " << m << "x" << n;
    }
  }
}

TEST(HardCapComposite, AppendixR2Values) {
  const double xs[] = {0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 3.6, 3.7};
  const double hx[] = {0.09533, 0.24102, 0.49793, 0.76336, 0.90050, 0.93661, 0.96607, 0.98813, 1.00250, 1.01068,
                       1.00323, 1.00131, 0.99815, 1.00198, 0.99849, 1.00090, 1.01042, 0.65727, -0.32111};
  for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); ++i)
    EXPECT_NEAR(k::hard_cap_composite(xs[i]), hx[i], 6e-6) << "x = " << xs[i];
  double mx = 0, argmax = 0;
  for (int i = 1; i <= 300000; ++i) {
    const double x = i / 100000.0, h = k::hard_cap_composite(x);
    if (h > mx) mx = h, argmax = x;
  }
  EXPECT_NEAR(mx, 1.010882, 1e-6);
  EXPECT_NEAR(argmax, 1.185, 1e-3);
  EXPECT_NEAR(k::hard_cap_composite(1e-7) / 1e-7, 0.951214, 1e-6);  // h'(0) = Π a
}

TEST(SpectralMaps, HardCapCapsEverythingUpToThree) {
  // Contract: h(σ) ≤ 1.010882 for σ ∈ [0, 3]; small singular values shrink by ≤ 4.9 %.
  const size_t m = 96, n = 48;
  std::vector<double> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = 3.0 * double(i + 1) / double(n);
  auto X = device_copy(ref::random_with_spectrum(m, n, s, 8));
  k::NsWorkspace ns(m, n);
  k::hard_cap(X, ns);
  const auto got = ref::singular_values_only(ref::to_host(X));
  EXPECT_LE(got.front(), 1.010882 + 1e-5);
  EXPECT_GE(got.back(), 0.951214 * s.front() * (1 - 1e-3));
}

TEST(SpectralMaps, MatchHostReferenceOnOddShapes) {
  const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 3}, {17, 5}};
  for (auto sh : shapes) {
    const size_t m = sh[0], n = sh[1];
    k::Tensor2 X("X", m, n);
    k::fill_normal(X, 4, m * 31 + n);
    k::scale("test::scale", X, k::Real(0.3));
    const auto hX = ref::to_host(X);
    k::NsWorkspace ns(m, n);
    auto check = [&](const ref::HostMatrix& expect, const char* what, double tol) {
      const auto got = ref::to_host(X);
      for (size_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(got.data[i], expect.data[i], tol * (1 + std::fabs(expect.data[i]))) << what << " " << m << "x" << n;
      ref::to_device(X, hX);
    };
    k::hard_cap(X, ns);
    check(ref::odd_polynomial_reference(hX, k::hard_cap_steps().data(), 4), "hard_cap", 1e-5);
    k::soft_cap(X, 0.05, ns);
    const k::NsStep soft[2] = {{1, -0.05, 0}, {1, 0.05, 0}};
    check(ref::odd_polynomial_reference(hX, soft, 2), "soft_cap", 1e-5);
    k::pure_svd_clip(X, 0.1, 0.4);
    check(ref::spectral_clip_reference(hX, 0.1, 0.4), "pure_svd_clip", 1e-5);
  }
}

// ------------------------------------------------------------------------------------------------
// Power iteration
// ------------------------------------------------------------------------------------------------

TEST(PowerIterate, MatchesExactTopTripleInEveryOrientation) {
  const size_t shapes[][2] = {{64, 64}, {40, 100}, {100, 40}};
  for (auto sh : shapes) {
    const size_t m = sh[0], n = sh[1];
    const auto s = test_spectrum(std::min(m, n));
    const auto hX = ref::random_with_spectrum(m, n, s, 21);
    auto X = device_copy(hX);
    k::SingularTriple top(m, n);
    const double sigma = k::power_iterate(top, X, 1234);
    EXPECT_NEAR(sigma, 3.0, 3e-5);
    // X v = σ u and Xᵀ u = σ v
    auto hu = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), top.u);
    auto hv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), top.v);
    for (size_t i = 0; i < m; ++i) {
      double xv = 0;
      for (size_t j = 0; j < n; ++j) xv += hX(i, j) * hv(j);
      ASSERT_NEAR(xv, sigma * hu(i), 2e-4) << m << "x" << n;
    }
  }
}

TEST(PowerIterate, MatchesHostReferenceWithTheSameStart) {
  const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 3}, {9, 9}};
  for (auto sh : shapes) {
    const size_t m = sh[0], n = sh[1];
    k::Tensor2 X("X", m, n);
    k::fill_normal(X, 6, m + 7 * n);
    k::SingularTriple top(m, n);
    const double sigma = k::power_iterate(top, X, 99, 5);
    std::vector<double> u, v;
    const double expect = ref::power_iterate_reference(ref::to_host(X), 99, k::shape_stream(m, n), 5, u, v);
    EXPECT_NEAR(sigma, expect, 1e-5 * expect);
    auto hu = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), top.u);
    auto hv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), top.v);
    for (size_t i = 0; i < m; ++i) EXPECT_NEAR(hu(i), u[i], 1e-5);
    for (size_t j = 0; j < n; ++j) EXPECT_NEAR(hv(j), v[j], 1e-5);
  }
}

TEST(PowerIterate, ZeroMatrixGivesZeroAndNoNaN) {
  for (auto sh : std::initializer_list<std::pair<size_t, size_t>>{{16, 16}, {8, 24}, {24, 8}}) {
    const size_t m = sh.first, n = sh.second;
    k::Tensor2 X("X", m, n);
    k::SingularTriple top(m, n);
    EXPECT_EQ(k::power_iterate(top, X, 3), 0.0);
    auto hu = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), top.u);
    auto hv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), top.v);
    for (size_t i = 0; i < m; ++i) EXPECT_EQ(hu(i), 0.0);
    for (size_t j = 0; j < n; ++j) EXPECT_EQ(hv(j), 0.0);
    // §13 item 7: the three power-iteration maps leave a zero matrix unchanged.
    k::spectral_normalize(X, top, 3);
    k::spectral_hammer(X, 2.0, top, 3);
    k::spectral_weight_decay(X, 0.5, top, 3);
    for (double x : ref::to_host(X).data) ASSERT_EQ(x, 0.0);
  }
}

TEST(PowerIterate, DeterministicForSeedAndShape) {
  k::Tensor2 X("X", 30, 20);
  k::fill_normal(X, 1, 1);
  k::SingularTriple a(30, 20), b(30, 20);
  EXPECT_EQ(k::power_iterate(a, X, 7, 3), k::power_iterate(b, X, 7, 3));
  EXPECT_NE(k::power_iterate(a, X, 7, 1), k::power_iterate(b, X, 8, 1));
  EXPECT_NE(k::shape_stream(30, 20), k::shape_stream(20, 30));
}

// ------------------------------------------------------------------------------------------------
// Soft-cap strength (§2.4)
// ------------------------------------------------------------------------------------------------

TEST(SoftCapStrength, AppendixR3Values) {
  struct Row {
    double w_max, update, alpha;
  };
  const Row rows[] = {
      {6, 0.1 * 8 / 9, 1.951731e-3},                    // GPT q/k/v
      {6, 0.1 * 8 / 27, 1.136608e-3},                   // GPT w
      {6, 0.1 * 8 / 27 / 2, 8.036667e-4},               // GPT mlp_in (c = 2, code divides)
      {6, 0.1 * 8 / 27 / 0.5, 1.602012e-3},             // GPT mlp_out (c = 0.5)
      {6, 0.1 / 18 / std::sqrt(65.0 / 256), 6.929841e-4},  // GPT head (V = 65)
      {6, 0.2 / 3 / std::sqrt(256.0 / 3072), 3.040474e-3},  // MLP mlp_in
      {6, 0.2 / 3, 1.697162e-3},                        // MLP mlp_0
      {6, 0.2 / 3 / std::sqrt(10.0 / 256), 3.569095e-3},  // MLP mlp_out
      {1, 0.1, 0.1588644},
      {3, 0.23 / 3, 1.010761e-2},
  };
  for (const auto& r : rows) {
    const double alpha = k::soft_cap_strength(r.w_max, 0.0, r.update);
    EXPECT_NEAR(alpha, r.alpha, 2e-6 * r.alpha + 1e-10) << "w_max " << r.w_max << " update " << r.update;
    // p(k) = w_max: a singular value at the cap after a worst-case update returns to the cap.
    EXPECT_NEAR(k::soft_cap_composite(alpha, r.w_max + r.update), r.w_max, 1e-9 * r.w_max);
  }
  // k < w_max (λη = 0.05, η' = 0.1): recommended 0 (the code returns 1; §13 item 6).
  EXPECT_EQ(k::soft_cap_strength(6, 0.05, 0.1), 0.0);
  EXPECT_EQ(k::soft_cap_strength(6, 0.0, 0.0), 0.0);
  // Composite sanity with the q/k/v α.
  const double a = k::soft_cap_strength(6, 0.0, 0.1 * 8 / 9);
  EXPECT_NEAR(k::soft_cap_composite(a, 6.0), 5.917235, 2e-6);
  EXPECT_NEAR(k::soft_cap_composite(a, 3.0) / 3.0, 0.999091, 2e-6);
}

TEST(SoftCapStrength, NanoGptTable) {
  const double factor = 1.14502 * 1.05;
  const double rows[][3] = {{1, 0.05, 0.131992406},   {1, 0.0275, 0.102313141}, {1, 0.005, 0.0451243113},
                            {1, 0.0005, 0.0142355867}, {8, 0.05, 7.8754858e-4},  {8, 0.005, 2.48803905e-4},
                            {16, 0.05, 1.39447601e-4}, {16, 0.005, 4.39203401e-5}};
  for (auto r : rows) EXPECT_NEAR(k::soft_cap_strength(r[0], 0.0, r[1] * factor), r[2], 1e-8 * r[2]) << r[0] << " " << r[1];
}

TEST(SoftCapStrength, AgreesWithBisectionOnTheQuartic) {
  for (double w : {0.5, 1.0, 3.0, 6.0, 16.0})
    for (double wd : {0.0, 0.01, 0.1})
      for (double eta : {1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0}) {
        const double got = k::soft_cap_strength(w, wd * eta, eta);
        const double expect = ref::soft_cap_strength_reference(w, wd * eta, eta);
        EXPECT_NEAR(got, expect, 1e-9 * expect + 1e-15) << w << " " << wd << " " << eta;
      }
}

// ------------------------------------------------------------------------------------------------
// Theorem 3.1 and the equilibria of App. A and App. B
// ------------------------------------------------------------------------------------------------

// Start at spectral norm w_max; 200 updates of spectral norm lr aligned with the top singular
// pair, each followed by the soft cap with the solved α: σ_max stays ≤ w_max·(1 + 1e-3).
TEST(SoftCapTheorem31, AdversarialUpdatesNeverExceedTheCap) {
  const size_t m = 24, n = 16;
  for (double w_max : {1.0, 2.0, 6.0}) {
    for (double lr : {0.01, 0.1, 1.0}) {
      std::vector<double> s(n);
      for (size_t i = 0; i < n; ++i) s[i] = w_max * (1.0 - 0.9 * double(i) / double(n - 1));
      auto hW = ref::random_with_spectrum(m, n, s, 17);
      auto hFree = hW;  // the same updates without the cap
      auto W = device_copy(hW);
      k::NsWorkspace ns(m, n);
      const double alpha = k::soft_cap_strength(w_max, 0.0, lr);
      double worst = 0;
      for (int step = 0; step < 200; ++step) {
        for (auto* M : {&hW, &hFree}) {
          const auto f = ref::svd(*M);
          for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < n; ++j) (*M)(i, j) += lr * f.U(i, 0) * f.Vt(0, j);
        }
        ref::to_device(W, hW);
        k::soft_cap(W, alpha, ns);
        hW = ref::to_host(W);
        worst = std::max(worst, ref::singular_values_only(hW).front());
      }
      EXPECT_LE(worst, w_max * (1 + 1e-3)) << "w_max " << w_max << " lr " << lr;
      EXPECT_GT(ref::singular_values_only(hFree).front(), w_max * (1 + 1e-3) + 199 * lr);
    }
  }
}

// App. A: decay W ← (1 − λη)W then a step of norm η along the top pair: σ1 → 1/λ.
TEST(Equilibrium, WeightDecayUnderBoundedUpdatesConvergesToInverseLambda) {
  const size_t m = 48, n = 32;
  const double lambda = 0.5, eta = 0.1;
  k::Tensor2 W("W", m, n);
  k::fill_normal(W, 2, 2);
  k::scale("test::init", W, k::Real(0.02));
  k::SingularTriple top(m, n);
  for (int step = 0; step < 400; ++step) {
    k::power_iterate(top, W, step);
    // W ← (1 − λη)·W
    k::scale("test::decay", W, k::Real(1 - lambda * eta));
    // W += η·u vᵀ
    k::matmul(W, k::MatrixView(top.u.data(), m, 1), k::MatrixView(top.v.data(), n, 1), 'N', 'T', k::Real(eta), 1);
  }
  EXPECT_NEAR(k::spectral_norm_exact(W), 1 / lambda, 1e-4);
}

// App. B: step of norm η along the top pair, then clipped weight decay with (β, λ):
// σ_eq = β + (1 − λ)η/λ.
TEST(Equilibrium, ClippedWeightDecayMatchesAppendixB) {
  const size_t m = 40, n = 24;
  for (auto p : std::initializer_list<std::array<double, 3>>{{1.0, 0.2, 0.05}, {2.0, 0.5, 0.1}}) {
    const double beta = p[0], lambda = p[1], eta = p[2];
    std::vector<double> s(n);
    for (size_t i = 0; i < n; ++i) s[i] = 0.5 * beta * (1.0 - 0.5 * double(i) / double(n));
    auto W = device_copy(ref::random_with_spectrum(m, n, s, 3));
    k::SingularTriple top(m, n);
    k::ClipWorkspace clip(m, n);
    for (int step = 0; step < 150; ++step) {
      k::power_iterate(top, W, step);
      k::matmul(W, k::MatrixView(top.u.data(), m, 1), k::MatrixView(top.v.data(), n, 1), 'N', 'T', k::Real(eta), 1);
      k::spectral_clipped_weight_decay(W, beta, lambda, clip);
    }
    EXPECT_NEAR(k::spectral_norm_exact(W), beta + (1 - lambda) * eta / lambda, 1e-4 * beta)
        << "beta " << beta << " lambda " << lambda << " eta " << eta;
  }
}

// ------------------------------------------------------------------------------------------------
// Column / row RMS normalization (§4.1)
// ------------------------------------------------------------------------------------------------

TEST(RmsNormalize, ColumnsAndRowsMatchReference) {
  const size_t D = 7, V = 13;
  ref::HostMatrix A(D, V);
  for (size_t i = 0; i < D; ++i)
    for (size_t j = 0; j < V; ++j) A(i, j) = (j == 3 || j == 9) ? 0.0 : std::sin(1.0 + i * 3.1 + j * 0.7) * (j % 4 + 0.01) * (j == 5 ? 1e-3 : 1.0);
  for (double f : {1.0, 16.0, std::numeric_limits<double>::infinity()}) {
    for (bool columns : {true, false}) {
      auto E = device_copy(A);
      k::Tensor2 out("out", D, V);
      if (columns) k::rms_normalize_columns(out, E, f);
      else k::rms_normalize_rows(out, E, f);
      const auto expect = ref::rms_normalize_reference(A, f, columns);
      const auto got = ref::to_host(out);
      for (size_t i = 0; i < A.data.size(); ++i)
        ASSERT_NEAR(got.data[i], expect.data[i], 1e-6 * (1 + std::fabs(expect.data[i]))) << f << " " << columns;
      // In place gives the same.
      if (columns) k::rms_normalize_columns(E, f);
      else k::rms_normalize_rows(E, f);
      const auto inplace = ref::to_host(E);
      for (size_t i = 0; i < A.data.size(); ++i) ASSERT_EQ(inplace.data[i], got.data[i]);
    }
  }
  // f = 1 caps at RMS 1 and keeps zero columns zero.
  auto E = device_copy(A);
  k::rms_normalize_columns(E, 1.0);
  const auto h = ref::to_host(E);
  for (size_t j = 0; j < V; ++j) {
    double ss = 0;
    for (size_t i = 0; i < D; ++i) ss += h(i, j) * h(i, j);
    EXPECT_LE(std::sqrt(ss / D), 1.0 + 1e-6);
    if (j == 3 || j == 9) {
      EXPECT_EQ(ss, 0.0);
    }
  }
}

TEST(ExactNorm, SpectralNormExactMatchesLapack) {
  k::Tensor2 X("X", 33, 17);
  k::fill_normal(X, 8, 8);
  EXPECT_NEAR(k::spectral_norm_exact(X), ref::singular_values(ref::to_host(X)).front(), 1e-5);
}
