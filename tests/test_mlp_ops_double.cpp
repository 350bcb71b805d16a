// Central finite-difference checks (double build) for linear, ReLU and softmax cross-entropy.
#include <gtest/gtest.h>

#include "kernels/cross_entropy.hpp"
#include "kernels/linear.hpp"
#include "kernels/relu.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"

namespace k = lip::kernels;
using lip::test::central_differences;
using lip::test::max_relative_error;
using lip::test::random_tensor;

static_assert(std::is_same<k::Real, double>::value, "gradient checks run in the double build");

namespace {
std::vector<double> flat(const k::Tensor2& t) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t);
  return std::vector<double>(h.data(), h.data() + h.span());
}
auto getter(const k::Tensor2& t) {
  return [t](size_t i) { return lip::test::read_entry(t, i); };
}
auto setter(const k::Tensor2& t) {
  return [t](size_t i, double v) { lip::test::write_entry(t, i, v); };
}
}  // namespace

// loss(X, W) = Σ R ⊙ relu(X Wᵀ) followed by cross-entropy on a second linear map: exercises
// linear (dX and dW), ReLU and cross-entropy in one scalar.
TEST(GradientCheck, LinearReluCrossEntropy) {
  const size_t N = 5, in = 7, hidden = 6, V = 4;
  auto X = random_tensor(N, in, 1), W1 = random_tensor(hidden, in, 2), W2 = random_tensor(V, hidden, 3);
  auto y = lip::test::index_tensor({0, 3, 1, 2, 3});
  k::Tensor2 H("H", N, hidden), A("A", N, hidden), Z("Z", N, V), P("P", N, V);
  auto loss = [&]() {
    k::linear_forward(H, X, W1);
    k::relu_forward(A, H);
    k::linear_forward(Z, A, W2);
    return k::softmax_cross_entropy_forward(P, Z, y);
  };
  loss();
  k::Tensor2 dZ("dZ", N, V), dA("dA", N, hidden), dH("dH", N, hidden), dX("dX", N, in), dW1("dW1", hidden, in),
      dW2("dW2", V, hidden);
  k::softmax_cross_entropy_backward(dZ, P, y);
  k::linear_backward(dA, dW2, dZ, A, W2);
  k::relu_backward(dH, dA, H);
  k::linear_backward(dX, dW1, dH, X, W1);
  for (auto [param, grad, name] : {std::tuple{X, dX, "X"}, std::tuple{W1, dW1, "W1"}, std::tuple{W2, dW2, "W2"}}) {
    const auto fd = central_differences(param.span(), getter(param), setter(param), loss);
    const double err = max_relative_error(fd, flat(grad));
    EXPECT_LT(err, 1e-6) << name;
  }
}
