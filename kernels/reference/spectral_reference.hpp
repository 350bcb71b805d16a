#pragma once
/* Host-only naive versions of newton_schulz.hpp and spectral.hpp (test oracles only), in double:
 * the odd-polynomial iteration by triple-loop products, power iteration with the same Philox
 * start as the kernel, maps applied exactly through an SVD (U f(Σ) Vᵀ), matrices with a
 * prescribed spectrum, column/row RMS normalization, and the soft-cap strength by plain bisection
 * on the quartic in α (independent of the kernel's β-substitution and Newton steps).
 */
#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/newton_schulz.hpp"
#include "kernels/reference/host_matrix.hpp"
#include "kernels/rng.hpp"

namespace lip::kernels::reference {

inline HostMatrix transpose(const HostMatrix& A) {
  HostMatrix T(A.cols, A.rows);
  for (size_t i = 0; i < A.rows; ++i)
    for (size_t j = 0; j < A.cols; ++j) T(j, i) = A(i, j);
  return T;
}

inline double frobenius(const HostMatrix& A) {
  double s = 0;
  for (double x : A.data) s += x * x;
  return std::sqrt(s);
}

/// Odd-polynomial steps on prescale·X, literally X ← X(aI + bG + cG²) with G = XᵀX on the tall form.
inline HostMatrix odd_polynomial_reference(HostMatrix X, const NsStep* steps, size_t n_steps, double prescale = 1) {
  const bool wide = X.cols > X.rows;
  if (wide) X = transpose(X);
  for (double& x : X.data) x *= prescale;
  for (size_t k = 0; k < n_steps; ++k) {
    const HostMatrix zero_g(X.cols, X.cols);
    const HostMatrix G = gemm(X, X, zero_g, 'T', 'N', 1, 0);
    HostMatrix P = gemm(G, G, zero_g, 'N', 'N', steps[k].c, 0);
    for (size_t i = 0; i < P.rows; ++i)
      for (size_t j = 0; j < P.cols; ++j) P(i, j) += steps[k].b * G(i, j) + (i == j ? steps[k].a : 0.0);
    X = gemm(X, P, HostMatrix(X.rows, X.cols), 'N', 'N', 1, 0);
  }
  return wide ? transpose(X) : X;
}

/// NS(M) of ALGORITHMS §5.2 in double.
inline HostMatrix newton_schulz_reference(const HostMatrix& M, const NsTable& table) {
  return odd_polynomial_reference(M, table.steps.data(), table.steps.size(), 1.0 / (frobenius(M) + 1e-12));
}

/// Power iteration of §3 with the kernel's Philox start; returns σ and fills u, v.
inline double power_iterate_reference(const HostMatrix& A, uint64_t seed, uint64_t stream, int iterations,
                                      std::vector<double>& u, std::vector<double>& v) {
  const size_t m = A.rows, n = A.cols;
  u.assign(m, 0.0);
  v.assign(n, 0.0);
  auto normalize = [](std::vector<double>& x) {
    double s = 0;
    for (double e : x) s += e * e;
    const double nrm = std::sqrt(s);
    for (double& e : x) e = nrm > 0 ? e / nrm : 0.0;
    return nrm;
  };
  auto mul = [&](std::vector<double>& out, const std::vector<double>& in, bool trans) {
    for (double& e : out) e = 0;
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n; ++j) {
        if (trans) out[j] += A(i, j) * in[i];
        else out[i] += A(i, j) * in[j];
      }
  };
  double sigma = 0;
  if (m < n) {
    for (size_t i = 0; i < m; ++i) u[i] = normal_draw(seed, stream, i);
    normalize(u);
    for (int it = 0; it < iterations; ++it) {
      mul(v, u, true);
      mul(u, v, false);
      normalize(u);
    }
    mul(v, u, true);
    sigma = normalize(v);
  } else {
    for (size_t j = 0; j < n; ++j) v[j] = normal_draw(seed, stream, j);
    normalize(v);
    for (int it = 0; it < iterations; ++it) {
      mul(u, v, false);
      mul(v, u, true);
      normalize(v);
    }
    mul(u, v, false);
    sigma = normalize(u);
  }
  return sigma;
}

/// U diag(s) Vt from the leading len(s) columns of U and rows of Vt.
inline HostMatrix with_spectrum(const HostMatrix& U, const std::vector<double>& s, const HostMatrix& Vt) {
  HostMatrix A(U.rows, Vt.cols);
  for (size_t i = 0; i < A.rows; ++i)
    for (size_t k = 0; k < s.size(); ++k) {
      const double us = U(i, k) * s[k];
      if (us == 0) continue;
      for (size_t j = 0; j < A.cols; ++j) A(i, j) += us * Vt(k, j);
    }
  return A;
}

/// Random orthonormal singular vectors of a (rows, cols) matrix: the SVD of a Philox Gaussian matrix.
inline Svd random_singular_vectors(size_t rows, size_t cols, uint64_t seed) {
  HostMatrix G(rows, cols);
  for (size_t i = 0; i < G.data.size(); ++i) G.data[i] = normal_draw(seed, 991, i);
  return svd(G);
}

/// A random (rows, cols) matrix with singular values s (descending order not required).
inline HostMatrix random_with_spectrum(size_t rows, size_t cols, const std::vector<double>& s, uint64_t seed) {
  const Svd f = random_singular_vectors(rows, cols, seed);
  return with_spectrum(f.U, s, f.Vt);
}

/// Singular values only (LAPACK dgesdd, jobz = 'N'), descending.
inline std::vector<double> singular_values_only(const HostMatrix& A) {
  const int m = int(A.rows), n = int(A.cols), r = std::min(m, n);
  if (r == 0) return {};
  std::vector<double> a = A.data, s(static_cast<size_t>(r)), dummy(1);
  std::vector<int> iwork(8 * static_cast<size_t>(r));
  int lwork = -1, info = 0, one = 1;
  double query = 0;
  const char jobz = 'N';
  dgesdd_(&jobz, &n, &m, a.data(), &n, s.data(), dummy.data(), &one, dummy.data(), &one, &query, &lwork,
          iwork.data(), &info);
  lwork = int(query) + 1;
  std::vector<double> work(static_cast<size_t>(lwork));
  dgesdd_(&jobz, &n, &m, a.data(), &n, s.data(), dummy.data(), &one, dummy.data(), &one, work.data(), &lwork,
          iwork.data(), &info);
  if (info != 0) throw std::runtime_error("dgesdd (values only) failed with info " + std::to_string(info));
  return s;
}

/// U f(Σ) Vᵀ by the exact SVD: the oracle for every map that acts on singular values.
inline HostMatrix apply_to_singular_values(const HostMatrix& A, const std::function<double(double)>& fn) {
  Svd f = svd(A);
  for (double& x : f.s) x = fn(x);
  return with_spectrum(f.U, f.s, f.Vt);
}

/// Exact clip of singular values to [lo, hi].
inline HostMatrix spectral_clip_reference(const HostMatrix& A, double lo, double hi) {
  return apply_to_singular_values(A, [=](double x) { return std::min(hi, std::max(lo, x)); });
}

/// Column (axis 0) or row (axis 1) RMS normalization: slice / max(1/f, RMS(slice)); zero slices stay zero.
inline HostMatrix rms_normalize_reference(const HostMatrix& A, double f, bool columns) {
  HostMatrix out = A;
  const size_t slices = columns ? A.cols : A.rows, len = columns ? A.rows : A.cols;
  for (size_t s = 0; s < slices; ++s) {
    double ss = 0;
    for (size_t k = 0; k < len; ++k) {
      const double x = columns ? A(k, s) : A(s, k);
      ss += x * x;
    }
    const double rms = std::sqrt(ss / double(len));
    const double denom = std::max(1.0 / f, rms);
    for (size_t k = 0; k < len; ++k) {
      double& x = columns ? out(k, s) : out(s, k);
      x = rms > 0 ? x / denom : 0.0;
    }
  }
  return out;
}

/// Soft-cap α by bisection on q(α) = p_α(k) − w_max (p_α(k) = k − 3α²k⁵ + 3α³k⁷ − α⁴k⁹) over
/// [0, 1/k²] (β = αk² ∈ [0, 1]); 0 when k ≤ w_max.
inline double soft_cap_strength_reference(double w_max, double decay_coupled, double update_norm) {
  const double k = w_max * (1 - decay_coupled) + update_norm;
  if (k <= w_max) return 0.0;
  auto q = [&](double a) {
    return k - 3 * a * a * std::pow(k, 5) + 3 * a * a * a * std::pow(k, 7) - std::pow(a, 4) * std::pow(k, 9) - w_max;
  };
  double lo = 0, hi = 1 / (k * k);
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (q(mid) > 0 ? lo : hi) = mid;
  }
  return std::min(1.0, 0.5 * (lo + hi));
}

/// r singular values with ‖s‖₂ = 1, log-spaced from 1 down to 1e-3 relative and raised so that
/// every s_i ≥ min_ratio (= s_i/‖s‖ ≥ min_ratio·(1 − O(r·min_ratio²))); descending.
inline std::vector<double> banded_spectrum(size_t r, double min_ratio) {
  std::vector<double> s(r);
  for (size_t i = 0; i < r; ++i) s[i] = r == 1 ? 1.0 : std::pow(10.0, -3.0 * double(i) / double(r - 1));
  double nrm = 0;
  for (double x : s) nrm += x * x;
  nrm = std::sqrt(nrm);
  for (double& x : s) x = std::max(x / nrm, 1.05 * min_ratio);
  nrm = 0;
  for (double x : s) nrm += x * x;
  nrm = std::sqrt(nrm);
  for (double& x : s) x /= nrm;
  return s;
}

}  // namespace lip::kernels::reference
