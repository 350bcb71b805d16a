#pragma once
/* Naive host rotary embedding (test oracle only), written from the spec text of each variant
 * (ALGORITHMS §6.2 for `reference`, NANOGPT.md §1.3 for `nanogpt`, the rotate_half convention for
 * `textbook`), angles and trig in double. Layout (B*T, NH*HS) flat row-major. The backward
 * applies the transpose of each pair's 2×2 matrix, read off the forward map's columns.
 */
#include <cmath>
#include <vector>

#include "kernels/rope.hpp"

namespace lip::kernels::reference {

inline double rope_frequency(RopeVariant variant, int i, int HS, double base) {
  if (variant != RopeVariant::nanogpt) return std::pow(base, -2.0 * i / HS);  // base^(−2i/HS)
  const int q = HS / 4;
  if (i >= q) return 0.0;
  const double frac = q > 1 ? double(i) / (q - 1) : 0.0;  // torch.linspace(0, 1, q)[i]
  return std::pow(1.0 / base, frac);
}

// The pair map (a, b) -> (a', b') at angle theta.
inline void rope_pair(RopeVariant variant, double theta, double a, double b, double& a2, double& b2) {
  const double c = std::cos(theta), s = std::sin(theta);
  switch (variant) {
    case RopeVariant::textbook:  // rotate_half: x·cos + rotate_half(x)·sin, rotate_half(a, b) = (−b, a)
      a2 = a * c - b * s;
      b2 = b * c + a * s;
      break;
    case RopeVariant::reference:  // out[j] = sin·xb + cos·xa; out[h2+j] = −cos·xb + sin·xa
      a2 = s * b + c * a;
      b2 = -c * b + s * a;
      break;
    case RopeVariant::nanogpt:  // a' = a cos + b sin, b' = −a sin + b cos
      a2 = a * c + b * s;
      b2 = -a * s + b * c;
      break;
  }
}

inline std::vector<double> rope_forward(const std::vector<double>& x, int B, int T, int NH, int HS,
                                        RopeVariant variant, double base) {
  std::vector<double> y(x.size());
  const int C = NH * HS, h2 = HS / 2;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < NH; ++h)
        for (int i = 0; i < h2; ++i) {
          const size_t ia = size_t(b * T + t) * C + h * HS + i, ib = ia + h2;
          rope_pair(variant, t * rope_frequency(variant, i, HS, base), x[ia], x[ib], y[ia], y[ib]);
        }
  return y;
}

inline void rope_backward(std::vector<double>& dx, const std::vector<double>& dy, int B, int T, int NH, int HS,
                          RopeVariant variant, double base) {
  const int C = NH * HS, h2 = HS / 2;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < NH; ++h)
        for (int i = 0; i < h2; ++i) {
          const size_t ia = size_t(b * T + t) * C + h * HS + i, ib = ia + h2;
          const double theta = t * rope_frequency(variant, i, HS, base);
          double m00, m10, m01, m11;  // columns of M: M e_a, M e_b
          rope_pair(variant, theta, 1, 0, m00, m10);
          rope_pair(variant, theta, 0, 1, m01, m11);
          dx[ia] += m00 * dy[ia] + m10 * dy[ib];  // Mᵀ dy
          dx[ib] += m01 * dy[ia] + m11 * dy[ib];
        }
}

}  // namespace lip::kernels::reference
