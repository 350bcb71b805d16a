// linear, ReLU and softmax cross-entropy kernels against naive host references on odd shapes.
#include <gtest/gtest.h>

#include "kernels/cross_entropy.hpp"
#include "kernels/linear.hpp"
#include "kernels/reference/cross_entropy_reference.hpp"
#include "kernels/reference/linear_reference.hpp"
#include "kernels/reference/relu_reference.hpp"
#include "kernels/relu.hpp"
#include "support/device_helpers.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::random_tensor;

TEST(Linear, ForwardAndBackwardMatchReferenceOnOddShapes) {
  const size_t shapes[][3] = {{1, 1, 1}, {3, 17, 5}, {17, 1, 3}, {33, 65, 10}};
  for (auto s : shapes) {
    const size_t N = s[0], in = s[1], out = s[2];
    auto X = random_tensor(N, in, 1), W = random_tensor(out, in, 2), dY = random_tensor(N, out, 3);
    k::Tensor2 Y("Y", N, out);
    auto dX = random_tensor(N, in, 4), dW = random_tensor(out, in, 5);  // non-zero: tests +=
    const auto dX0 = ref::to_host(dX), dW0 = ref::to_host(dW);
    k::linear_forward(Y, X, W);
    k::linear_backward(dX, dW, dY, X, W);
    const auto Yr = ref::linear_forward(ref::to_host(X), ref::to_host(W));
    ref::HostMatrix dXr, dWr;
    ref::linear_backward(dXr, dWr, ref::to_host(dY), ref::to_host(X), ref::to_host(W));
    const auto Yh = ref::to_host(Y), dXh = ref::to_host(dX), dWh = ref::to_host(dW);
    for (size_t i = 0; i < Yr.data.size(); ++i) ASSERT_NEAR(Yh.data[i], Yr.data[i], 1e-4 * (1 + std::abs(Yr.data[i])));
    for (size_t i = 0; i < dXr.data.size(); ++i)
      ASSERT_NEAR(dXh.data[i], dX0.data[i] + dXr.data[i], 1e-4 * (1 + std::abs(dXr.data[i])));
    for (size_t i = 0; i < dWr.data.size(); ++i)
      ASSERT_NEAR(dWh.data[i], dW0.data[i] + dWr.data[i], 1e-4 * (1 + std::abs(dWr.data[i])));
  }
}

TEST(Relu, ForwardBackwardIncludingTieAtZero) {
  k::Tensor2 x("x", 1, 5), y("y", 1, 5), dx("dx", 1, 5), dy("dy", 1, 5);
  auto hx = Kokkos::create_mirror_view(x);
  const double values[5] = {-2.0, -0.0, 0.0, 1e-30, 3.5};
  for (int i = 0; i < 5; ++i) hx(0, i) = k::Real(values[i]);
  Kokkos::deep_copy(x, hx);
  Kokkos::deep_copy(dy, 2.0);
  k::relu_forward(y, x);
  k::relu_backward(dx, dy, x);
  const auto hy = ref::to_host(y), hdx = ref::to_host(dx);
  for (int i = 0; i < 5; ++i) {
    const double xi = double(k::Real(values[i]));
    EXPECT_EQ(hy(0, i), ref::relu(xi));
    EXPECT_EQ(hdx(0, i), 2.0 * ref::relu_derivative(xi)) << "x = " << xi;
  }
  EXPECT_EQ(hdx(0, 1), 1.0);  // −0 and +0 both take the 0.5 tie derivative
  EXPECT_EQ(hdx(0, 2), 1.0);
}

TEST(CrossEntropy, LossGradientAndAccuracyMatchReference) {
  for (auto shape : std::initializer_list<std::pair<size_t, int>>{{1, 1}, {3, 10}, {17, 65}, {64, 3}}) {
    const size_t N = shape.first;
    const int V = shape.second;
    auto Z = random_tensor(N, size_t(V), 11, 3.0);
    const auto labels = lip::test::random_labels(N, V, 5);
    auto y = lip::test::index_tensor(labels);
    k::Tensor2 P("P", N, size_t(V)), dZ("dZ", N, size_t(V));
    const double loss = k::softmax_cross_entropy_forward(P, Z, y);
    k::softmax_cross_entropy_backward(dZ, P, y, 2.0);
    const auto hZ = ref::to_host(Z);
    EXPECT_NEAR(loss, ref::cross_entropy(hZ, labels), 1e-5 * (1 + loss));
    const auto G = ref::cross_entropy_grad(hZ, labels);
    const auto hdZ = ref::to_host(dZ);
    for (size_t i = 0; i < G.data.size(); ++i) ASSERT_NEAR(hdZ.data[i], 2.0 * G.data[i], 1e-6);
    size_t expect_correct = 0;
    for (size_t n = 0; n < N; ++n) {
      int best = 0;
      for (int v = 1; v < V; ++v)
        if (hZ(n, size_t(v)) > hZ(n, size_t(best))) best = v;
      expect_correct += best == labels[n];
    }
    EXPECT_EQ(k::count_correct(Z, y), expect_correct);
  }
}

TEST(CrossEntropy, ZeroLogitsGiveLogV) {
  k::Tensor2 Z("Z", 4, 10), P("P", 4, 10);
  auto y = lip::test::index_tensor({0, 3, 9, 2});
  EXPECT_NEAR(k::softmax_cross_entropy_forward(P, Z, y), std::log(10.0), 1e-6);
  EXPECT_EQ(k::count_correct(Z, y), 1u);  // ties resolve to index 0
}
