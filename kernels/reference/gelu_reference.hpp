#pragma once
/* Naive host GeLU / 1.1289 in double (test oracle only), both forms, with derivatives written
 * out from the formulas in ALGORITHMS §6.4 and NANOGPT.md §1.2.
 */
#include <cmath>

namespace lip::kernels::reference {

inline double gelu_tanh(double x) {
  const double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1 + std::tanh(u)) / 1.1289;
}
inline double gelu_tanh_derivative(double x) {
  const double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  const double th = std::tanh(u);
  return (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * std::sqrt(2.0 / M_PI) * (1 + 3 * 0.044715 * x * x)) / 1.1289;
}
inline double gelu_erf(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))) / 1.1289; }
inline double gelu_erf_derivative(double x) {
  const double cdf = 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
  const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
  return (cdf + x * pdf) / 1.1289;
}

}  // namespace lip::kernels::reference
