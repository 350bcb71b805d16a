// Newton–Schulz: coefficient tables (Appendix R.1, NANOGPT.md §3.1), documented output bands on
// matrices with controlled spectra (checked by exact SVD), host reference on odd shapes, zero
// input, in-place and wide/tall consistency, and the high-accuracy msign table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "kernels/newton_schulz.hpp"
#include "kernels/reference/spectral_reference.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;

namespace {

// Float matrix iteration: rounding moves singular values off the scalar composite by ≤ 2.2e-6
// (measured on the shapes below); the tolerance leaves a 4x margin.
constexpr double kBandTol = 1e-5;

k::Tensor2 device_copy(const ref::HostMatrix& A) {
  k::Tensor2 d("A", A.rows, A.cols);
  ref::to_device(d, A);
  return d;
}

std::vector<double> sorted(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x;
}

// Spectra whose ratios s_i/‖s‖ all lie in [0.003, 1]: log-spaced, and spiked near 1 (covers the
// composite's maximum at 0.975 and the reference6 minimum at 0.984).
std::vector<std::vector<double>> test_spectra(size_t r) {
  std::vector<double> spiked(r, 0.005);
  spiked[0] = 1.0;
  if (r > 1) spiked[1] = 0.3;
  if (r > 2) spiked[2] = 0.1;
  double nrm = 0;
  for (double x : spiked) nrm += x * x;
  for (double& x : spiked) x /= std::sqrt(nrm);
  return {ref::banded_spectrum(r, 0.003), spiked};
}

const size_t kShapes[][2] = {{64, 64}, {256, 1024}, {1024, 256}, {65, 256}};

}  // namespace

// ------------------------------------------------------------------------------------------------
// Scalar composites
// ------------------------------------------------------------------------------------------------

TEST(NewtonSchulzTables, Reference6CompositeMatchesAppendixR1) {
  const auto& t = k::ns_table("reference6");
  ASSERT_EQ(t.steps.size(), 6u);
  const double xs[] = {1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 1.0};
  const double fx[] = {0.01137, 0.11341, 0.86630, 0.99878, 0.99614, 0.99617, 0.99841};
  for (size_t i = 0; i < 7; ++i) EXPECT_NEAR(k::ns_composite(t, xs[i]), fx[i], 6e-6) << "x = " << xs[i];
  const double sums[] = {0.64160, 0.50488, 0.49902, 0.52734, 0.79102, 0.99707};
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(t.steps[i].a + t.steps[i].b + t.steps[i].c, sums[i], 6e-6);
  double mx = 0, argmax = 0, mn = 2;
  for (int i = 1; i <= 100000; ++i) {
    const double x = i / 100000.0, f = k::ns_composite(t, x);
    if (f > mx) mx = f, argmax = x;
    if (x >= 0.003) mn = std::min(mn, f);
  }
  EXPECT_NEAR(mx, 0.999335, 1e-6);
  EXPECT_NEAR(argmax, 0.975, 1e-3);
  EXPECT_LT(mx, 1.0);  // never exceeds 1: the Muon update norm is provably ≤ lr·T
  EXPECT_NEAR(mn, 0.9956, 5e-5);
  EXPECT_GE(mn, t.band_lo);
  EXPECT_LE(mx, t.band_hi);
}

TEST(NewtonSchulzTables, NanoGpt5SupremumIs1p14502) {
  const auto& t = k::ns_table("nanogpt5");
  ASSERT_EQ(t.steps.size(), 5u);
  EXPECT_DOUBLE_EQ(t.steps[0].a, 4.0848);
  EXPECT_DOUBLE_EQ(t.steps[4].c, 1.2012);
  double mx = 0, argmax = 0, mn = 2;
  for (int i = 1; i <= 200000; ++i) {
    const double x = i / 200000.0, f = k::ns_composite(t, x);
    if (f > mx) mx = f, argmax = x;
    if (x >= 0.003) mn = std::min(mn, f);
  }
  EXPECT_NEAR(mx, 1.1450204, 2e-7);
  EXPECT_NEAR(argmax, 0.00407, 2e-5);
  EXPECT_NEAR(mn, 0.97775, 1e-5);
  EXPECT_NEAR(k::ns_composite(t, 1.0), 0.9783, 1e-4);
  EXPECT_NEAR(k::ns_composite(t, 0.001), 0.475, 1e-3);
  EXPECT_LE(mx, t.band_hi + 1e-6);
  EXPECT_GE(mn, t.band_lo - 1e-6);
}

TEST(NewtonSchulzTables, QuinticAndMsign) {
  const auto& q = k::ns_table("quintic");
  ASSERT_EQ(q.steps.size(), 5u);
  for (const auto& s : q.steps) EXPECT_TRUE(s.a == 3.4445 && s.b == -4.7750 && s.c == 2.0315);
  const auto& m = k::ns_table("msign");
  double worst = 0;
  for (int i = 0; i <= 6000; ++i) {
    const double x = std::pow(10.0, -i / 1000.0);  // [1e-6, 1]
    if (x < m.band_from) continue;
    worst = std::max(worst, std::fabs(k::ns_composite(m, x) - 1.0));
  }
  EXPECT_LT(worst, 1e-7);
  double qmin = 2, qmax = 0;
  for (int i = 3000; i <= 1000000; ++i) {
    const double f = k::ns_composite(q, i / 1e6);
    qmin = std::min(qmin, f), qmax = std::max(qmax, f);
  }
  EXPECT_GE(qmin, q.band_lo - 1e-6);
  EXPECT_LE(qmax, q.band_hi + 1e-6);
}

TEST(NewtonSchulzTables, UnknownNameListsValidTables) {
  try {
    k::ns_table("reference7");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    for (const auto& n : k::ns_table_names()) EXPECT_NE(msg.find(n), std::string::npos) << msg;
    EXPECT_NE(msg.find("reference7"), std::string::npos) << msg;
  }
}

// ------------------------------------------------------------------------------------------------
// Matrix iteration
// ------------------------------------------------------------------------------------------------

// Output singular values = f(σ_i/‖X‖_F) (a multiset; f is not monotone) and lie in the band.
TEST(NewtonSchulz, OutputSingularValuesInsideEachTablesBand) {
  for (auto shape : kShapes) {
    const size_t m = shape[0], n = shape[1], r = std::min(m, n);
    k::NsWorkspace ws(m, n);
    k::Tensor2 out("out", m, n);
    const auto vectors = ref::random_singular_vectors(m, n, 11);
    for (const auto& s : test_spectra(r)) {
      ASSERT_GE(*std::min_element(s.begin(), s.end()), 0.003);
      // Scale by 7: NS is scale invariant (the Frobenius pre-normalization).
      std::vector<double> scaled = s;
      for (double& x : scaled) x *= 7.0;
      const auto X = device_copy(ref::with_spectrum(vectors.U, scaled, vectors.Vt));
      for (const char* name : {"reference6", "nanogpt5", "quintic"}) {
        const auto& table = k::ns_table(name);
        k::newton_schulz(out, X, ws, table);
        const auto got = sorted(ref::singular_values_only(ref::to_host(out)));
        std::vector<double> expect;
        for (double x : s) expect.push_back(k::ns_composite(table, x));
        expect = sorted(expect);
        ASSERT_EQ(got.size(), expect.size());
        double worst = 0;
        for (size_t i = 0; i < got.size(); ++i) {
          worst = std::max(worst, std::fabs(got[i] - expect[i]));
          ASSERT_GE(got[i], table.band_lo - kBandTol) << name << " " << m << "x" << n << " index " << i;
          ASSERT_LE(got[i], table.band_hi + kBandTol) << name << " " << m << "x" << n << " index " << i;
        }
        EXPECT_LT(worst, kBandTol) << name << " " << m << "x" << n;
      }
    }
  }
}

TEST(NewtonSchulz, GaussianInputLandsInBand) {
  // A Gaussian 1024x256 matrix has σ/‖X‖_F ∈ ~[0.03, 0.09]: well inside [0.003, 1].
  const size_t m = 1024, n = 256;
  k::Tensor2 X("X", m, n), out("out", m, n);
  k::fill_normal(X, 5, 1);
  k::NsWorkspace ws(m, n);
  k::newton_schulz(out, X, ws, k::ns_table("reference6"));
  for (double s : ref::singular_values_only(ref::to_host(out))) {
    EXPECT_GE(s, 0.99558 - kBandTol);
    EXPECT_LE(s, 0.999335 + kBandTol);
  }
}

TEST(NewtonSchulz, MatchesHostReferenceOnOddShapes) {
  const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 3}, {17, 5}, {5, 5}, {1, 9}, {9, 1}};
  for (auto sh : shapes) {
    for (const char* name : {"reference6", "nanogpt5"}) {
      const size_t m = sh[0], n = sh[1];
      k::Tensor2 X("X", m, n), out("out", m, n);
      k::fill_normal(X, 3, m * 100 + n);
      k::NsWorkspace ws(m, n);
      const auto hX = ref::to_host(X);
      k::newton_schulz(out, X, ws, k::ns_table(name));
      const auto expect = ref::newton_schulz_reference(hX, k::ns_table(name));
      const auto got = ref::to_host(out);
      for (size_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(got.data[i], expect.data[i], 2e-5 + 2e-5 * std::fabs(expect.data[i]))
            << name << " " << m << "x" << n << " entry " << i;
    }
  }
}

TEST(NewtonSchulz, ZeroMatrixGivesZeroWithoutNaN) {
  for (auto shape : std::initializer_list<std::pair<size_t, size_t>>{{8, 8}, {5, 12}, {12, 5}}) {
    k::Tensor2 X("X", shape.first, shape.second), out("out", shape.first, shape.second);
    k::NsWorkspace ws(shape.first, shape.second);
    k::newton_schulz(out, X, ws, k::ns_table("reference6"));
    for (double x : ref::to_host(out).data) ASSERT_EQ(x, 0.0);
  }
}

TEST(NewtonSchulz, InPlaceAndTransposeConsistent) {
  const size_t m = 24, n = 40;
  k::Tensor2 X("X", m, n), out("out", m, n), Xt("Xt", n, m), outT("outT", n, m);
  k::fill_normal(X, 9, 2);
  const auto hX = ref::to_host(X);
  ref::to_device(Xt, ref::transpose(hX));
  k::NsWorkspace ws(m, n), wsT(n, m);
  const auto& t = k::ns_table("reference6");
  k::newton_schulz(out, X, ws, t);
  k::newton_schulz(outT, Xt, wsT, t);
  k::newton_schulz(X, X, ws, t);  // in place
  const auto a = ref::to_host(out), b = ref::transpose(ref::to_host(outT)), c = ref::to_host(X);
  for (size_t i = 0; i < a.data.size(); ++i) {
    EXPECT_EQ(a.data[i], c.data[i]);
    EXPECT_NEAR(a.data[i], b.data[i], 2e-5);
  }
}

TEST(NewtonSchulz, MsignIsAccurateOnRandomMatrices) {
  // Condition number 1e3 (σ/‖X‖_F down to ~1e-4): every singular value maps to 1 within 2e-6
  // (measured ≤ 3.3e-7 in float).
  for (auto shape : kShapes) {
    const size_t m = shape[0], n = shape[1], r = std::min(m, n);
    std::vector<double> s(r);
    for (size_t i = 0; i < r; ++i) s[i] = std::pow(10.0, -3.0 * double(i) / double(r - 1));  // cond 1e3
    const auto X = device_copy(ref::random_with_spectrum(m, n, s, 77));
    k::Tensor2 out("out", m, n);
    k::NsWorkspace ws(m, n);
    k::msign(out, X, ws);
    for (double v : ref::singular_values_only(ref::to_host(out))) ASSERT_NEAR(v, 1.0, 2e-6) << m << "x" << n;
  }
}

TEST(NewtonSchulz, WorkspaceShapeMismatchNamesShapes) {
  k::Tensor2 X("X", 4, 6);
  k::NsWorkspace ws(6, 4);
  try {
    k::newton_schulz(X, X, ws, k::ns_table("reference6"));
    FAIL() << "expected a shape error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("(6, 4)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(4, 6)"), std::string::npos) << msg;
  }
}
