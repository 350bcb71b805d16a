#pragma once
/* Linear layer without bias (ALGORITHMS §0): a weight W [fan_out, fan_in] maps row vectors.
 *
 *   forward :  Y = X · Wᵀ                 X [N, fan_in], Y [N, fan_out]
 *   backward:  dX += dY · W               (skipped when dX is empty: the input needs no gradient)
 *              dW += dYᵀ · X              (skipped when dW is empty: input derivatives only)
 *   jvp     :  tY = tX · Wᵀ + X · tWᵀ     (forward-mode tangent; an empty tX or tW is a zero tangent)
 * No cached tensors beyond the forward input X, which the caller keeps.
 */
#include "blas.hpp"

namespace lip::kernels {

template <class ViewY, class ViewX, class ViewW>
void linear_forward(const ViewY& Y, const ViewX& X, const ViewW& W) {
  // Y = X · Wᵀ
  matmul(Y, X, W, 'N', 'T', 1, 0);
}

template <class ViewDX, class ViewDW, class ViewDY, class ViewX, class ViewW>
void linear_backward(const ViewDX& dX, const ViewDW& dW, const ViewDY& dY, const ViewX& X, const ViewW& W) {
  if (dX.data() != nullptr) {
    // dX += dY · W
    matmul(dX, dY, W, 'N', 'N', 1, 1);
  }
  if (dW.data() != nullptr) {
    // dW += dYᵀ · X
    matmul(dW, dY, X, 'T', 'N', 1, 1);
  }
}

template <class ViewTY, class ViewTX, class ViewX, class ViewTW, class ViewW>
void linear_jvp(const ViewTY& tY, const ViewTX& tX, const ViewX& X, const ViewTW& tW, const ViewW& W) {
  Real beta = 0;
  if (tX.data() != nullptr) {
    // tY = tX · Wᵀ
    matmul(tY, tX, W, 'N', 'T', 1, beta);
    beta = 1;
  }
  if (tW.data() != nullptr) {
    // tY += X · tWᵀ
    matmul(tY, X, tW, 'N', 'T', 1, beta);
    beta = 1;
  }
  if (beta == 0) Kokkos::deep_copy(tY, Real(0));
}

}  // namespace lip::kernels
