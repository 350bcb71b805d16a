#pragma once
/* Naive host causal attention (test oracle only), in double, layout (B*T, NH*HS) flat row-major:
 * S = scale q·k, softmax over u ≤ t, O = (1/3) A V, heads merged; probs (B, NH, T, T) with zeros
 * above the diagonal. The backward follows the chain rule entry by entry.
 */
#include <algorithm>
#include <cmath>
#include <vector>

namespace lip::kernels::reference {

struct AttentionReference {
  std::vector<double> out;    // (B*T, NH*HS)
  std::vector<double> probs;  // (B, NH, T, T)
};

inline AttentionReference attention_forward(const std::vector<double>& q, const std::vector<double>& k,
                                            const std::vector<double>& v, int B, int T, int NH, int HS,
                                            double scale) {
  const int C = NH * HS;
  AttentionReference r{std::vector<double>(size_t(B) * T * C, 0.0), std::vector<double>(size_t(B) * NH * T * T, 0.0)};
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < T; ++t) {
        std::vector<double> s(size_t(t) + 1);
        for (int u = 0; u <= t; ++u) {
          double acc = 0;
          for (int e = 0; e < HS; ++e) acc += q[size_t(b * T + t) * C + h * HS + e] * k[size_t(b * T + u) * C + h * HS + e];
          s[u] = scale * acc;
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double z = 0;
        for (auto& x : s) z += std::exp(x - mx);
        double* p = &r.probs[((size_t(b) * NH + h) * T + t) * T];
        for (int u = 0; u <= t; ++u) p[u] = std::exp(s[u] - mx) / z;
        for (int e = 0; e < HS; ++e) {
          double acc = 0;
          for (int u = 0; u <= t; ++u) acc += p[u] * v[size_t(b * T + u) * C + h * HS + e];
          r.out[size_t(b * T + t) * C + h * HS + e] = acc / 3;
        }
      }
  return r;
}

inline void attention_backward(std::vector<double>& dq, std::vector<double>& dk, std::vector<double>& dv,
                               const std::vector<double>& dout, const std::vector<double>& q,
                               const std::vector<double>& k, const std::vector<double>& v,
                               const std::vector<double>& probs, int B, int T, int NH, int HS, double scale) {
  const int C = NH * HS;
  auto at = [&](const std::vector<double>& x, int b, int t, int h, int e) { return x[size_t(b * T + t) * C + h * HS + e]; };
  auto idx = [&](int b, int t, int h, int e) { return size_t(b * T + t) * C + h * HS + e; };
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < T; ++t) {
        const double* p = &probs[((size_t(b) * NH + h) * T + t) * T];
        std::vector<double> dA(size_t(t) + 1);
        for (int u = 0; u <= t; ++u) {
          double acc = 0;
          for (int e = 0; e < HS; ++e) {
            acc += at(dout, b, t, h, e) * at(v, b, u, h, e) / 3;     // dA = dO·v / 3
            dv[idx(b, u, h, e)] += p[u] * at(dout, b, t, h, e) / 3;  // dv += A dO / 3
          }
          dA[u] = acc;
        }
        double pd = 0;
        for (int u = 0; u <= t; ++u) pd += p[u] * dA[u];
        for (int u = 0; u <= t; ++u) {
          const double dS = p[u] * (dA[u] - pd);
          for (int e = 0; e < HS; ++e) {
            dq[idx(b, t, h, e)] += scale * dS * at(k, b, u, h, e);
            dk[idx(b, u, h, e)] += scale * dS * at(q, b, t, h, e);
          }
        }
      }
}

}  // namespace lip::kernels::reference
