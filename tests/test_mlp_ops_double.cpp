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

// Forward mode: relu(X Wᵀ) along the tangent (tX, tW) against central differences of the forward
// at (X + h·tX, W + h·tW); each tangent alone and both together.
TEST(JvpCheck, LinearRelu) {
  const size_t N = 5, in = 7, out = 6;
  auto X = random_tensor(N, in, 11), W = random_tensor(out, in, 12);
  auto tX = random_tensor(N, in, 13), tW = random_tensor(out, in, 14);
  const k::Tensor2 none;
  k::Tensor2 Y("Y", N, out), A("A", N, out), tY("tY", N, out), tA("tA", N, out);
  auto forward_at = [&](double h, bool along_x, bool along_w) {
    k::Tensor2 Xh("Xh", N, in), Wh("Wh", out, in);
    Kokkos::deep_copy(Xh, X);
    Kokkos::deep_copy(Wh, W);
    if (along_x) k::axpby("Xh", Xh, 1, tX, h);
    if (along_w) k::axpby("Wh", Wh, 1, tW, h);
    k::linear_forward(Y, Xh, Wh);
    k::relu_forward(A, Y);
    return flat(A);
  };
  for (auto [along_x, along_w] : {std::pair{true, false}, std::pair{false, true}, std::pair{true, true}}) {
    k::linear_forward(Y, X, W);
    k::linear_jvp(tY, along_x ? tX : none, X, along_w ? tW : none, W);
    k::relu_jvp(tA, tY, Y);
    const double h = 1e-6;
    const auto plus = forward_at(h, along_x, along_w), minus = forward_at(-h, along_x, along_w);
    std::vector<double> fd(plus.size());
    for (size_t i = 0; i < fd.size(); ++i) fd[i] = (plus[i] - minus[i]) / (2 * h);
    EXPECT_LT(max_relative_error(fd, flat(tA)), 1e-6) << along_x << along_w;
  }
  // No tangent at all: a zero output tangent, whatever tY held before.
  Kokkos::deep_copy(tY, 3.0);
  k::linear_jvp(tY, none, X, none, W);
  for (double t : flat(tY)) EXPECT_EQ(t, 0.0);
}
