#pragma once
// Naive host linear layer (test oracle for kernels/linear.hpp).
#include "kernels/reference/host_matrix.hpp"

namespace lip::kernels::reference {

/// Y = X Wᵀ
inline HostMatrix linear_forward(const HostMatrix& X, const HostMatrix& W) {
  HostMatrix Y(X.rows, W.rows);
  for (size_t n = 0; n < X.rows; ++n)
    for (size_t o = 0; o < W.rows; ++o) {
      double s = 0;
      for (size_t i = 0; i < X.cols; ++i) s += X(n, i) * W(o, i);
      Y(n, o) = s;
    }
  return Y;
}

/// dX = dY W,  dW = dYᵀ X  (fresh, not accumulated)
inline void linear_backward(HostMatrix& dX, HostMatrix& dW, const HostMatrix& dY, const HostMatrix& X,
                            const HostMatrix& W) {
  dX = HostMatrix(X.rows, X.cols);
  dW = HostMatrix(W.rows, W.cols);
  for (size_t n = 0; n < X.rows; ++n)
    for (size_t o = 0; o < W.rows; ++o)
      for (size_t i = 0; i < X.cols; ++i) {
        dX(n, i) += dY(n, o) * W(o, i);
        dW(o, i) += dY(n, o) * X(n, i);
      }
}

}  // namespace lip::kernels::reference
