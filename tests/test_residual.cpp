// Convex residual against the naive host reference; the backward accumulates.
#include <gtest/gtest.h>

#include "kernels/reference/residual_reference.hpp"
#include "kernels/residual.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::test::expect_close;
using lip::test::to_host_vector;

TEST(Residual, ForwardAndBackwardMatchReference) {
  const double r = double(k::residual_share(1.0, 3));  // 1/6, the Shakespeare example
  EXPECT_NEAR(r, 1.0 / 6, 1e-7);
  for (size_t T : {1, 3, 17}) {
    k::Tensor3 h("h", 2, T, 5), br("br", 2, T, 5), out("out", 2, T, 5);
    k::Tensor3 dout("dout", 2, T, 5), dh("dh", 2, T, 5), dbr("dbr", 2, T, 5);
    const auto hh = lip::test::fill_random(h, 1), hb = lip::test::fill_random(br, 2);
    const auto hdo = lip::test::fill_random(dout, 3);
    auto hdh = lip::test::fill_random(dh, 4), hdb = lip::test::fill_random(dbr, 5);
    k::residual_forward(out, h, br, k::Real(r));
    k::residual_backward(dh, dbr, dout, k::Real(r));
    expect_close("residual_forward", to_host_vector(out), ref::residual_forward(hh, hb, r), 1e-6, 1e-6);
    ref::residual_backward(hdh, hdb, hdo, r);
    expect_close("residual_backward dh", to_host_vector(dh), hdh, 1e-6, 1e-6);
    expect_close("residual_backward dbranch", to_host_vector(dbr), hdb, 1e-6, 1e-6);
  }
}

TEST(Residual, InPlaceForwardAndAliasedBackwardRejected) {
  k::Tensor3 h("h", 1, 3, 4), br("br", 1, 3, 4);
  const auto hh = lip::test::fill_random(h, 1), hb = lip::test::fill_random(br, 2);
  k::residual_forward(h, h, br, k::Real(0.25));
  expect_close("residual_forward in place", to_host_vector(h), ref::residual_forward(hh, hb, 0.25), 1e-6, 1e-6);
  EXPECT_THROW(k::residual_backward(h, br, h, k::Real(0.25)), std::invalid_argument);
}
