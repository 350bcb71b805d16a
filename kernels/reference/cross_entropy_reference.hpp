#pragma once
// Naive host softmax cross-entropy (test oracle for kernels/cross_entropy.hpp).
#include <cmath>
#include <vector>

#include "kernels/reference/host_matrix.hpp"

namespace lip::kernels::reference {

/// Mean over rows of −log softmax(z_n)[y_n], computed in long double without max-shifting tricks
/// beyond what is needed for range.
inline double cross_entropy(const HostMatrix& Z, const std::vector<int>& y) {
  long double total = 0;
  for (size_t n = 0; n < Z.rows; ++n) {
    long double m = Z(n, 0);
    for (size_t v = 0; v < Z.cols; ++v) m = std::max<long double>(m, Z(n, v));
    long double s = 0;
    for (size_t v = 0; v < Z.cols; ++v) s += std::exp((long double)Z(n, v) - m);
    total += std::log(s) + m - Z(n, size_t(y[n]));
  }
  return double(total / Z.rows);
}

/// Gradient of the mean loss: (softmax(z) − onehot(y)) / N.
inline HostMatrix cross_entropy_grad(const HostMatrix& Z, const std::vector<int>& y) {
  HostMatrix G(Z.rows, Z.cols);
  for (size_t n = 0; n < Z.rows; ++n) {
    double m = Z(n, 0);
    for (size_t v = 0; v < Z.cols; ++v) m = std::max(m, Z(n, v));
    double s = 0;
    for (size_t v = 0; v < Z.cols; ++v) s += std::exp(Z(n, v) - m);
    for (size_t v = 0; v < Z.cols; ++v)
      G(n, v) = (std::exp(Z(n, v) - m) / s - (int(v) == y[n] ? 1.0 : 0.0)) / double(Z.rows);
  }
  return G;
}

}  // namespace lip::kernels::reference
