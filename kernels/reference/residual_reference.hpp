#pragma once
/* Naive host convex residual (test oracle only): out = (1 − r) h + r branch. */
#include <vector>

namespace lip::kernels::reference {

inline std::vector<double> residual_forward(const std::vector<double>& h, const std::vector<double>& branch,
                                            double r) {
  std::vector<double> out(h.size());
  for (size_t i = 0; i < h.size(); ++i) out[i] = (1 - r) * h[i] + r * branch[i];
  return out;
}

inline void residual_backward(std::vector<double>& dh, std::vector<double>& dbranch,
                              const std::vector<double>& dout, double r) {
  for (size_t i = 0; i < dout.size(); ++i) {
    dh[i] += (1 - r) * dout[i];
    dbranch[i] += r * dout[i];
  }
}

}  // namespace lip::kernels::reference
