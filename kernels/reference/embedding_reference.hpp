#pragma once
/* Naive host embedding (test oracle only): h[p, d] = E[d, tok[p]], dE[d, tok[p]] += dh[p, d].
 * Flat row-major vectors: h, dh (B*T, D); E, dE (D, V); tokens (B*T).
 */
#include <vector>

namespace lip::kernels::reference {

inline std::vector<double> embedding_forward(const std::vector<double>& E, int D, int V,
                                             const std::vector<int>& tokens) {
  std::vector<double> h(tokens.size() * size_t(D));
  for (size_t p = 0; p < tokens.size(); ++p)
    for (int d = 0; d < D; ++d) h[p * D + d] = E[size_t(d) * V + tokens[p]];
  return h;
}

inline void embedding_backward(std::vector<double>& dE, int D, int V, const std::vector<double>& dh,
                               const std::vector<int>& tokens) {
  for (size_t p = 0; p < tokens.size(); ++p)
    for (int d = 0; d < D; ++d) dE[size_t(d) * V + tokens[p]] += dh[p * D + d];
}

}  // namespace lip::kernels::reference
