#pragma once
/* Linear layer without bias (ALGORITHMS §0): a weight W [fan_out, fan_in] maps row vectors.
 *
 *   forward :  Y = X · Wᵀ                 X [N, fan_in], Y [N, fan_out]
 *   backward:  dX += dY · W               (skipped when dX is empty: the input needs no gradient)
 *              dW += dYᵀ · X
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
  // dW += dYᵀ · X
  matmul(dW, dY, X, 'T', 'N', 1, 1);
}

}  // namespace lip::kernels
