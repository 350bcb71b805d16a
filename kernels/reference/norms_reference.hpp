#pragma once
/* Naive host rmsnorm / layernorm without gain or bias (test oracle only), ε = 1e-5.
 * Flat row-major vectors of `rows` rows and C columns. The backward is the explicit Jacobian
 * product dx_i += Σ_j dy_j ∂y_j/∂x_i, formed entry by entry.
 */
#include <cmath>
#include <vector>

namespace lip::kernels::reference {

inline std::vector<double> rmsnorm_forward(const std::vector<double>& x, size_t rows, size_t C) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (size_t c = 0; c < C; ++c) ss += x[r * C + c] * x[r * C + c];
    const double rho = 1 / std::sqrt(ss / C + 1e-5);
    for (size_t c = 0; c < C; ++c) y[r * C + c] = x[r * C + c] * rho;
  }
  return y;
}

inline void rmsnorm_backward(std::vector<double>& dx, const std::vector<double>& dy, const std::vector<double>& x,
                             size_t rows, size_t C) {
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = &x[r * C];
    double ss = 0;
    for (size_t c = 0; c < C; ++c) ss += xr[c] * xr[c];
    const double rho = 1 / std::sqrt(ss / C + 1e-5);
    // ∂y_j/∂x_i = ρ δ_ij − x_j ρ³ x_i / C
    for (size_t i = 0; i < C; ++i)
      for (size_t j = 0; j < C; ++j)
        dx[r * C + i] += dy[r * C + j] * ((i == j ? rho : 0.0) - xr[j] * rho * rho * rho * xr[i] / C);
  }
}

inline std::vector<double> layernorm_forward(const std::vector<double>& x, size_t rows, size_t C) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < rows; ++r) {
    double mu = 0, var = 0;
    for (size_t c = 0; c < C; ++c) mu += x[r * C + c] / C;
    for (size_t c = 0; c < C; ++c) var += (x[r * C + c] - mu) * (x[r * C + c] - mu) / C;
    const double rho = 1 / std::sqrt(var + 1e-5);
    for (size_t c = 0; c < C; ++c) y[r * C + c] = (x[r * C + c] - mu) * rho;
  }
  return y;
}

inline void layernorm_backward(std::vector<double>& dx, const std::vector<double>& dy, const std::vector<double>& x,
                               size_t rows, size_t C) {
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = &x[r * C];
    double mu = 0, var = 0;
    for (size_t c = 0; c < C; ++c) mu += xr[c] / C;
    for (size_t c = 0; c < C; ++c) var += (xr[c] - mu) * (xr[c] - mu) / C;
    const double rho = 1 / std::sqrt(var + 1e-5);
    // y_j = (x_j − μ) ρ:  ∂y_j/∂x_i = ρ (δ_ij − 1/C) − (x_j − μ) ρ³ (x_i − μ) / C
    for (size_t i = 0; i < C; ++i)
      for (size_t j = 0; j < C; ++j)
        dx[r * C + i] += dy[r * C + j] * (rho * ((i == j ? 1.0 : 0.0) - 1.0 / C) -
                                          (xr[j] - mu) * rho * rho * rho * (xr[i] - mu) / C);
  }
}

}  // namespace lip::kernels::reference
