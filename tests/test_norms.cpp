// rmsnorm / layernorm (no gain, no bias) against the naive host reference.
#include <gtest/gtest.h>

#include "kernels/norms.hpp"
#include "kernels/reference/norms_reference.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::expect_close;
using lip::test::to_host_vector;

TEST(Norms, RmsnormMatchesReference) {
  for (size_t B : {1, 2})
    for (size_t T : {1, 3, 17})
      for (size_t C : {1, 5, 64}) {
        k::Tensor3 x("x", B, T, C), y("y", B, T, C), dy("dy", B, T, C), dx("dx", B, T, C);
        k::Tensor2 rstd("rstd", B, T);
        const auto hx = lip::test::fill_random(x, 1 + C, 2.0);
        const auto hdy = lip::test::fill_random(dy, 2 + C);
        auto hdx = lip::test::fill_random(dx, 3 + C);
        k::rmsnorm_forward(y, rstd, x);
        k::rmsnorm_backward(dx, dy, x, rstd);
        expect_close("rmsnorm_forward", to_host_vector(y), ref::rmsnorm_forward(hx, B * T, C), 1e-5, 1e-5);
        ref::rmsnorm_backward(hdx, hdy, hx, B * T, C);
        expect_close("rmsnorm_backward", to_host_vector(dx), hdx, 2e-5, 1e-4);
      }
}

TEST(Norms, LayernormMatchesReference) {
  for (size_t B : {1, 3})
    for (size_t T : {1, 3, 17})
      for (size_t C : {2, 5, 64}) {
        k::Tensor3 x("x", B, T, C), y("y", B, T, C), dy("dy", B, T, C), dx("dx", B, T, C);
        k::Tensor2 rstd("rstd", B, T);
        auto hx = lip::test::normal_vector(B * T * C, 4 + C, 2.0);
        for (auto& e : hx) e += 3.0;  // non-zero mean
        lip::test::to_device_vector(x, hx);
        hx = to_host_vector(x);
        const auto hdy = lip::test::fill_random(dy, 5 + C);
        auto hdx = lip::test::fill_random(dx, 6 + C);
        k::layernorm_forward(y, rstd, x);
        k::layernorm_backward(dx, dy, x, rstd);
        expect_close("layernorm_forward", to_host_vector(y), ref::layernorm_forward(hx, B * T, C), 2e-5, 1e-5);
        ref::layernorm_backward(hdx, hdy, hx, B * T, C);
        expect_close("layernorm_backward", to_host_vector(dx), hdx, 5e-5, 1e-4);
      }
}

TEST(Norms, ShapeMismatchIsReported) {
  k::Tensor3 x("x", 2, 3, 4), y("y", 2, 3, 4);
  k::Tensor2 rstd("rstd", 2, 2);
  EXPECT_THROW(k::rmsnorm_forward(y, rstd, x), std::invalid_argument);
}
