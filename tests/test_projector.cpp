// Projector: deck names, the generic wrapper of ALGORITHMS §2.2 (c = sqrt(m/n), α from the
// coupling, sensitive scaling, Y = c·P(W/c)), the RMS→RMS results of every method, zero weights,
// workspace checks, the embedding projection and rms_to_rms_norm.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "constraint/projector.hpp"
#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/reference/spectral_reference.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::ProjectionMethod;

namespace {

k::Tensor2 device_copy(const ref::HostMatrix& A) {
  k::Tensor2 d("A", A.rows, A.cols);
  ref::to_device(d, A);
  return d;
}

// RMS→RMS singular values sqrt(n/m)·σ_i of W, descending (exact).
std::vector<double> rms_spectrum(const ref::HostMatrix& W) {
  auto s = ref::singular_values_only(W);
  for (double& x : s) x *= std::sqrt(double(W.cols) / double(W.rows));
  return s;
}

// A weight (m, n) whose RMS→RMS singular values are `rms` (i.e. σ_i = sqrt(m/n)·rms_i).
ref::HostMatrix weight_with_rms_spectrum(size_t m, size_t n, std::vector<double> rms, uint64_t seed) {
  for (double& x : rms) x *= std::sqrt(double(m) / double(n));
  return ref::random_with_spectrum(m, n, rms, seed);
}

std::vector<double> linspace(double hi, double lo, size_t r) {
  std::vector<double> s(r);
  for (size_t i = 0; i < r; ++i) s[i] = r == 1 ? hi : hi + (lo - hi) * double(i) / double(r - 1);
  return s;
}

}  // namespace

TEST(ProjectionMethodNames, RoundTripAndUnknownNameSuggestsClosest) {
  ASSERT_EQ(lip::constraint_method_names().size(), 10u);
  for (const auto& name : lip::constraint_method_names())
    EXPECT_EQ(lip::projection_method_name(lip::parse_projection_method(name)), name);
  EXPECT_EQ(lip::parse_projection_method("spec_wd"), ProjectionMethod::spectral_weight_decay);
  EXPECT_EQ(lip::parse_projection_method("clipped_wd"), ProjectionMethod::clipped_weight_decay);
  try {
    lip::parse_projection_method("soft_capp");
    FAIL() << "expected lip::Error";
  } catch (const lip::Error& e) {
    const std::string msg = e.what();
    for (const auto& name : lip::constraint_method_names()) EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'soft_cap'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'soft_capp'"), std::string::npos) << msg;
  }
  try {
    lip::parse_projection_method("spec_normalise");
    FAIL() << "expected lip::Error";
  } catch (const lip::Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'spec_normalize'"), std::string::npos) << e.what();
  }
}

TEST(ProjectionSensitivity, UnitTargetMethodsOnly) {
  for (const auto& name : lip::constraint_method_names()) {
    const auto m = lip::parse_projection_method(name);
    const bool unit = name == "hard_cap" || name == "orthogonal" || name == "spec_normalize";
    EXPECT_EQ(lip::projection_is_sensitive(m, true), unit) << name;
    EXPECT_FALSE(lip::projection_is_sensitive(m, false)) << name;
  }
}

TEST(ProjectLinear, NoneLeavesTheWeightUntouched) {
  k::Tensor2 W("W", 12, 7);
  k::fill_normal(W, 1, 1);
  const auto before = ref::to_host(W);
  lip::ProjectionWorkspace ws(12, 7, ProjectionMethod::none);
  lip::ProjectionSettings s;
  lip::project_linear(W, s, 0.1, 1.0, 0, ws);
  EXPECT_EQ(ref::to_host(W).data, before.data);
}

// Soft cap: α = soft_cap_strength(w_max, wd·η, η'/...) with η = lr·T, and Y = c·soft_cap(W/c, α).
TEST(ProjectLinear, SoftCapUsesTheCoupledAlphaInTheNormalizedSpace) {
  const size_t m = 128, n = 64;
  const double c = std::sqrt(2.0), lr = 0.1, T = 0.5, eta = lr * T;
  lip::ProjectionSettings s;
  s.method = ProjectionMethod::soft_cap;
  s.w_max = 2.0;
  s.weight_decay = 0.2;
  EXPECT_DOUBLE_EQ(lip::projection_soft_cap_alpha(m, n, s, lr, T), k::soft_cap_strength(2.0, 0.2 * eta, eta / c));
  s.divide_update_by_fan_scale = false;
  s.update_norm_factor = 1.14502 * 1.05;
  EXPECT_DOUBLE_EQ(lip::projection_soft_cap_alpha(m, n, s, lr, T),
                   k::soft_cap_strength(2.0, 0.2 * eta, eta * 1.14502 * 1.05));
  s.divide_update_by_fan_scale = true;
  s.update_norm_factor = 1.0;
  s.weight_decay = 0.0;

  const auto hW = weight_with_rms_spectrum(m, n, linspace(2.0 + eta / c, 0.1, n), 3);
  auto W = device_copy(hW);
  lip::ProjectionWorkspace ws(m, n, ProjectionMethod::soft_cap);
  lip::project_linear(W, s, lr, T, 0, ws);
  // Manual: X = W/c, soft cap, × c.
  auto X = device_copy(hW);
  k::NsWorkspace ns(m, n);
  k::scale("test::to_normalized", X, k::Real(1 / c));
  k::soft_cap(X, lip::projection_soft_cap_alpha(m, n, s, lr, T), ns);
  k::scale("test::from_normalized", X, k::Real(c));
  const auto got = ref::to_host(W), expect = ref::to_host(X);
  for (size_t i = 0; i < got.data.size(); ++i) ASSERT_NEAR(got.data[i], expect.data[i], 1e-6);
  // The top RMS→RMS singular value k = w_max + η/c lands on the cap.
  EXPECT_NEAR(rms_spectrum(got).front(), 2.0, 1e-5);
}

// hard_cap / spec_normalize / orthogonal: RMS→RMS target w_max when sensitive, 1 in GPT-compat.
TEST(ProjectLinear, SensitiveMethodsTargetWmaxOrOne) {
  const size_t m = 96, n = 48;
  const double w_max = 0.5;
  auto spec = linspace(0.9, 0.2, n);
  spec[0] = 1.4;  // gap for the power iteration of spec_normalize
  const auto hW = weight_with_rms_spectrum(m, n, spec, 4);
  for (bool sensitive_all : {true, false}) {
    const double target = sensitive_all ? w_max : 1.0;
    for (auto method : {ProjectionMethod::hard_cap, ProjectionMethod::spectral_normalize, ProjectionMethod::orthogonal}) {
      lip::ProjectionSettings s;
      s.method = method;
      s.w_max = w_max;
      s.sensitive_all = sensitive_all;
      auto W = device_copy(hW);
      lip::ProjectionWorkspace ws(m, n, method);
      lip::project_linear(W, s, 0.1, 1.0, 11, ws);
      const auto rms = rms_spectrum(ref::to_host(W));
      const std::string what = lip::projection_method_name(method) + (sensitive_all ? " sensitive" : " compat");
      if (method == ProjectionMethod::hard_cap) {
        EXPECT_LE(rms.front(), 1.010882 * target + 1e-5) << what;
        EXPECT_GE(rms.front(), 0.96 * target) << what;
      } else if (method == ProjectionMethod::spectral_normalize) {
        EXPECT_NEAR(rms.front(), target, 1e-5) << what;
        EXPECT_NEAR(rms.back() / rms.front(), 0.2 / 1.4, 1e-5) << what;  // whole spectrum rescaled
      } else {
        for (double x : rms) {
          EXPECT_GE(x, 0.99558 * target - 1e-5) << what;
          EXPECT_LE(x, 0.999335 * target + 1e-5) << what;
        }
      }
    }
  }
}

// Methods with an explicit w_max act on RMS→RMS singular values directly (never sensitive).
TEST(ProjectLinear, ExplicitWmaxMethodsActOnRmsToRmsSingularValues) {
  const size_t m = 64, n = 256;  // c = 1/2
  const double w_max = 1.5;
  auto spec = linspace(2.0, 0.3, m);
  spec[0] = 3.0;  // gap 2/3: 16 power iterations converge to ~1e-6
  const auto hW = weight_with_rms_spectrum(m, n, spec, 5);
  struct Case {
    ProjectionMethod method;
    std::function<double(double)> maps;  // RMS→RMS singular value before -> after
    double tol;
  };
  const std::vector<Case> cases = {
      {ProjectionMethod::pure_svd, [&](double x) { return std::min(x, w_max); }, 1e-5},
      {ProjectionMethod::spectral_clip, [&](double x) { return std::min(w_max, std::max(0.5, x)); }, 2e-5},
      {ProjectionMethod::clipped_weight_decay, [&](double x) { return 0.75 * x + 0.25 * std::min(x, w_max); }, 2e-5},
      {ProjectionMethod::spectral_hammer, [&](double x) { return x == 3.0 ? w_max : x; }, 5e-5},
      {ProjectionMethod::spectral_weight_decay, [&](double x) { return x == 3.0 ? 0.9 * x : x; }, 5e-5},
      // spec_normalize is sensitive: X = W/(c·w_max), σ1(X) = 2 → divided by 2.
      {ProjectionMethod::spectral_normalize, [&](double x) { return x * w_max / 3.0; }, 5e-5},
  };
  for (const auto& cs : cases) {
    lip::ProjectionSettings s;
    s.method = cs.method;
    s.w_max = w_max;
    s.clip_min = cs.method == ProjectionMethod::spectral_clip ? 0.5 : 0.0;
    s.spectral_wd = 0.1;
    s.clipped_wd_lambda = 0.25;
    auto W = device_copy(hW);
    lip::ProjectionWorkspace ws(m, n, cs.method);
    lip::project_linear(W, s, 0.01, 1.0, 17, ws);
    auto got = rms_spectrum(ref::to_host(W));
    std::vector<double> expect;
    for (double x : spec) expect.push_back(cs.maps(x));
    std::sort(got.begin(), got.end());
    std::sort(expect.begin(), expect.end());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], expect[i], cs.tol * std::max(1.0, expect[i])) << lip::projection_method_name(cs.method) << " " << i;
  }
}

TEST(ProjectLinear, ZeroWeightStaysZeroForEveryMethod) {
  const size_t m = 32, n = 48;
  lip::ProjectionWorkspace ws(m, n);
  for (const auto& name : lip::constraint_method_names()) {
    lip::ProjectionSettings s;
    s.method = lip::parse_projection_method(name);
    s.w_max = 2.0;
    s.spectral_wd = 0.1;
    s.clipped_wd_lambda = 0.5;
    k::Tensor2 W("W", m, n);
    lip::project_linear(W, s, 0.1, 1.0, 3, ws);
    for (double x : ref::to_host(W).data) ASSERT_EQ(x, 0.0) << name;
  }
}

TEST(ProjectLinear, WorkspaceChecksNameShapesAndMethods) {
  k::Tensor2 W("W", 8, 6);
  lip::ProjectionSettings s;
  s.method = ProjectionMethod::hard_cap;
  lip::ProjectionWorkspace wrong(6, 8);
  try {
    lip::project_linear(W, s, 0.1, 1.0, 0, wrong);
    FAIL() << "expected lip::Error";
  } catch (const lip::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("(6, 8)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(8, 6)"), std::string::npos) << msg;
  }
  lip::ProjectionWorkspace for_normalize(8, 6, ProjectionMethod::spectral_normalize);
  try {
    lip::project_linear(W, s, 0.1, 1.0, 0, for_normalize);
    FAIL() << "expected lip::Error";
  } catch (const lip::Error& e) {
    EXPECT_NE(std::string(e.what()).find("hard_cap"), std::string::npos) << e.what();
  }
}

TEST(ProjectEmbedding, CapsColumnRmsAtOne) {
  const size_t D = 16, V = 40;
  k::Tensor2 E("E", D, V);
  k::fill_normal(E, 2, 9);
  auto h = ref::to_host(E);
  for (size_t i = 0; i < D; ++i) {
    h(i, 0) *= 3.0;   // RMS ≈ 3 → capped to 1
    h(i, 1) *= 0.1;   // RMS ≈ 0.1 → untouched
    h(i, 2) = 0.0;    // zero → stays zero
  }
  ref::to_device(E, h);
  lip::project_embedding(E);
  const auto expect = ref::rms_normalize_reference(h, 1.0, true);
  const auto got = ref::to_host(E);
  for (size_t i = 0; i < got.data.size(); ++i) ASSERT_NEAR(got.data[i], expect.data[i], 1e-6);
  for (size_t i = 0; i < D; ++i) {
    EXPECT_EQ(got(i, 1), float(h(i, 1)));
    EXPECT_EQ(got(i, 2), 0.0);
  }
}

TEST(RmsToRmsNorm, IsSqrtFanInOverFanOutTimesSigma1) {
  for (auto sh : std::initializer_list<std::pair<size_t, size_t>>{{96, 32}, {32, 96}, {50, 50}}) {
    const size_t m = sh.first, n = sh.second;
    auto spec = linspace(1.0, 0.1, std::min(m, n));
    spec[0] = 2.5;
    auto W = device_copy(weight_with_rms_spectrum(m, n, spec, 6));
    lip::ProjectionWorkspace ws(m, n, ProjectionMethod::none);
    EXPECT_NEAR(lip::rms_to_rms_norm(W, 1, ws), 2.5, 1e-5) << m << "x" << n;
  }
}
