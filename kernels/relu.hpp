#pragma once
/* ReLU, y = max(0, x), through the shared pointwise launcher.
 *
 * Derivative: 1 for x > 0, 0 for x < 0 and exactly 0.5 at x == 0 (JAX's tie rule for max).
 * ALGORITHMS §6.1: with the MLP's zero-initialized first layer every hidden pre-activation is
 * exactly 0 at step 0; with ReLU'(0) = 0 every gradient would vanish and the model would never
 * train. No cached tensors beyond the forward input x.
 */
#include "elementwise.hpp"

namespace lip::kernels {

struct ReluOp {
  KOKKOS_INLINE_FUNCTION Real value(Real x) const { return x > Real(0) ? x : Real(0); }
  KOKKOS_INLINE_FUNCTION Real derivative(Real x) const {
    return x > Real(0) ? Real(1) : (x < Real(0) ? Real(0) : Real(0.5));
  }
};

template <class ViewY, class ViewX>
void relu_forward(const ViewY& y, const ViewX& x) {
  pointwise_forward("kernels::relu_forward", y, x, ReluOp{});
}

/// dx += dy * relu'(x)
template <class ViewDX, class ViewDY, class ViewX>
void relu_backward(const ViewDX& dx, const ViewDY& dy, const ViewX& x) {
  pointwise_backward("kernels::relu_backward", dx, dy, x, ReluOp{});
}

/// Forward mode: ty = relu'(x) * tx (the tangent of y along the input tangent tx)
template <class ViewTY, class ViewTX, class ViewX>
void relu_jvp(const ViewTY& ty, const ViewTX& tx, const ViewX& x) {
  pointwise_jvp("kernels::relu_jvp", ty, tx, x, ReluOp{});
}

}  // namespace lip::kernels
