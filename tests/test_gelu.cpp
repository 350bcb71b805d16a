// GeLU / 1.1289 (tanh and erf forms) against the naive host reference, plus properties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "kernels/gelu.hpp"
#include "kernels/reference/gelu_reference.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::expect_close;

namespace {
struct Form {
  k::GeluForm form;
  double (*value)(double);
  double (*derivative)(double);
  const char* name;
};
const Form forms[] = {{k::GeluForm::tanh, ref::gelu_tanh, ref::gelu_tanh_derivative, "tanh"},
                      {k::GeluForm::erf, ref::gelu_erf, ref::gelu_erf_derivative, "erf"}};
}  // namespace

TEST(Gelu, ForwardAndBackwardMatchReferenceOnOddShapes) {
  for (const auto& f : forms)
    for (size_t n : {1, 3, 17, 1027}) {
      k::Tensor3 x("x", 1, n, 3), y("y", 1, n, 3), dy("dy", 1, n, 3), dx("dx", 1, n, 3);
      const auto hx = lip::test::fill_random(x, 11 + n, 3.0);
      const auto hdy = lip::test::fill_random(dy, 12 + n);
      const auto hdx0 = lip::test::fill_random(dx, 13 + n);  // backward must accumulate onto this
      k::gelu_forward(y, x, f.form);
      k::gelu_backward(dx, dy, x, f.form);
      std::vector<double> want_y(hx.size()), want_dx(hx.size());
      for (size_t i = 0; i < hx.size(); ++i) {
        want_y[i] = f.value(hx[i]);
        want_dx[i] = hdx0[i] + hdy[i] * f.derivative(hx[i]);
      }
      expect_close(std::string("gelu_forward ") + f.name, lip::test::to_host_vector(y), want_y, 1e-6, 1e-5);
      expect_close(std::string("gelu_backward ") + f.name, lip::test::to_host_vector(dx), want_dx, 1e-6, 1e-5);
    }
}

TEST(Gelu, DerivativeAtZeroIsHalfOverMaxSlope) {
  for (const auto& f : forms) {
    k::Tensor1 x("x", 1), dy("dy", 1), dx("dx", 1);
    Kokkos::deep_copy(dy, 1.0);
    k::gelu_backward(dx, dy, x, f.form);
    EXPECT_NEAR(lip::test::to_host_vector(dx)[0], 0.5 / 1.1289, 1e-7) << f.name;
    k::Tensor1 y("y", 1);
    k::gelu_forward(y, x, f.form);
    EXPECT_EQ(lip::test::to_host_vector(y)[0], 0.0) << f.name;
  }
}

TEST(Gelu, ScaledSlopeIsAtMostOne) {
  // Max slope: exact form 1.128904 at √2, tanh form 1.128993 near 1.4185 (ALGORITHMS §6.2).
  const size_t n = 8001;
  std::vector<double> grid(n);
  for (size_t i = 0; i < n; ++i) grid[i] = -8.0 + 16.0 * double(i) / (n - 1);
  for (const auto& f : forms) {
    k::Tensor1 x("x", n), dy("dy", n), dx("dx", n);
    lip::test::to_device_vector(x, grid);
    Kokkos::deep_copy(dy, 1.0);
    k::gelu_backward(dx, dy, x, f.form);
    const auto d = lip::test::to_host_vector(dx);
    const double mx = *std::max_element(d.begin(), d.end());
    EXPECT_LE(mx, 1.0001) << f.name;
    EXPECT_GE(mx, 0.9999) << f.name;
  }
}

TEST(Gelu, ExpOfNonpositiveArgumentsMatchesExpInDouble) {
  // math::exp_nonpositive (the vectorizable float exp behind the tanh form and the softmax)
  // against exp in double on a dense grid of [-87.3, 0] and beyond, where it must flush to 0.
  double worst = 0.0;
  for (int i = 0; i <= 2000000; ++i) {
    const float x = float(-87.3 * double(i) / 2000000.0);
    const double want = std::exp(double(x));
    worst = std::max(worst, std::abs(double(k::math::exp_nonpositive(x)) - want) / want);
  }
  std::printf("exp_nonpositive: worst relative error %.3g on [-87.3, 0]\n", worst);
  EXPECT_LT(worst, 2.5e-7) << "worst relative error on [-87.3, 0]";
  EXPECT_EQ(k::math::exp_nonpositive(0.0f), 1.0f);
  EXPECT_TRUE(std::isnan(k::math::exp_nonpositive(std::numeric_limits<float>::quiet_NaN()))) << "NaN must propagate";
  for (float x : {-87.4f, -100.0f, -1e30f, -std::numeric_limits<float>::infinity()}) EXPECT_EQ(k::math::exp_nonpositive(x), 0.0f) << x;
  EXPECT_EQ(k::math::exp_nonpositive(-3.0), std::exp(-3.0)) << "double goes through exp itself";
}
