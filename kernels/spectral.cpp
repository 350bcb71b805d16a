// Spectral constraint maps (math, contracts and accuracy in spectral.hpp).
#include "spectral.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "blas.hpp"
#include "elementwise.hpp"
#include "math.hpp"
#include "reductions.hpp"
#include "rng.hpp"

extern "C" {
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
             const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
}

namespace lip::kernels {

// ------------------------------------------------------------------------------------------------
// Workspaces
// ------------------------------------------------------------------------------------------------

SingularTriple::SingularTriple(size_t rows_, size_t cols_)
    : rows(rows_),
      cols(cols_),
      u("SingularTriple::u", rows_),
      v("SingularTriple::v", cols_),
      work("SingularTriple::work", rows_),
      sigma("SingularTriple::sigma"),
      norm2("SingularTriple::norm2") {}

ClipWorkspace::ClipWorkspace(size_t rows_, size_t cols_)
    : rows(rows_),
      cols(cols_),
      q("ClipWorkspace::q", rows_, cols_),
      h("ClipWorkspace::h", std::min(rows_, cols_), std::min(rows_, cols_)),
      shifted("ClipWorkspace::shifted", std::min(rows_, cols_), std::min(rows_, cols_)),
      sign("ClipWorkspace::sign", std::min(rows_, cols_), std::min(rows_, cols_)),
      ns(rows_, cols_),
      ns_small(std::min(rows_, cols_), std::min(rows_, cols_)) {}

// ------------------------------------------------------------------------------------------------
// Power iteration (§3)
// ------------------------------------------------------------------------------------------------

uint64_t shape_stream(size_t rows, size_t cols) {
  // "fold in m, then n": distinct for every shape with extents below 2³².
  return (uint64_t(rows) << 32) | (uint64_t(cols) & 0xffffffffu);
}

namespace {

MatrixView column_of(const Tensor1& x) { return MatrixView(x.data(), x.extent(0), 1); }

// norm2 = Σ x_i²   (device scalar: no host sync)
void squared_norm(const DeviceScalar& norm2, const Tensor1& x) {
  Kokkos::parallel_reduce(
      "kernels::power_iterate_norm", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
      KOKKOS_LAMBDA(const size_t i, double& acc) { acc += double(x(i)) * double(x(i)); }, norm2);
}

// x ← x / sqrt(norm2); x ← 0 when norm2 = 0 (the zero-matrix guard, §13 item 7)
void scale_to_unit(const Tensor1& x, const DeviceScalar& norm2) {
  Kokkos::parallel_for("kernels::power_iterate_scale", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         const double s = norm2();
                         x(i) = s > 0 ? Real(double(x(i)) / math::sqrt(s)) : Real(0);
                       });
}

// sigma = sqrt(norm2)
void store_sigma(const DeviceScalar& sigma, const DeviceScalar& norm2) {
  Kokkos::parallel_for("kernels::power_iterate_sigma", Kokkos::RangePolicy<ExecSpace>(0, 1),
                       KOKKOS_LAMBDA(const int) { sigma() = math::sqrt(norm2()); });
}

// Fills top.u, top.v, top.sigma without synchronizing with the host.
void power_iterate_on_device(SingularTriple& top, MatrixView X, uint64_t seed, int iterations) {
  const size_t m = X.extent(0), n = X.extent(1);
  LIP_KERNEL_REQUIRE(top.rows == m && top.cols == n, "power_iterate: SingularTriple is for (" << top.rows << ", "
                                                         << top.cols << "), got X (" << m << ", " << n << ")");
  LIP_KERNEL_REQUIRE(iterations >= 0, "power_iterate: iterations must be >= 0, got " << iterations);
  const uint64_t stream = shape_stream(m, n);
  MatrixView u = column_of(top.u), v = column_of(top.v);
  if (m == 0 || n == 0) {
    Kokkos::deep_copy(top.sigma, 0.0);
    return;
  }
  if (m < n) {
    // Left iteration: u ← X(Xᵀu) / ‖X(Xᵀu)‖
    fill_normal(top.u, seed, stream);
    squared_norm(top.norm2, top.u);
    scale_to_unit(top.u, top.norm2);
    for (int it = 0; it < iterations; ++it) {
      // v = Xᵀ u
      matmul(v, X, u, 'T', 'N');
      // u = X v
      matmul(u, X, v, 'N', 'N');
      squared_norm(top.norm2, top.u);
      scale_to_unit(top.u, top.norm2);
    }
    // z = Xᵀ u, σ = ‖z‖, v = z / σ
    matmul(v, X, u, 'T', 'N');
    squared_norm(top.norm2, top.v);
    store_sigma(top.sigma, top.norm2);
    scale_to_unit(top.v, top.norm2);
  } else {
    // Right iteration: v ← Xᵀ(Xv) / ‖Xᵀ(Xv)‖
    fill_normal(top.v, seed, stream);
    squared_norm(top.norm2, top.v);
    scale_to_unit(top.v, top.norm2);
    for (int it = 0; it < iterations; ++it) {
      // u = X v
      matmul(u, X, v, 'N', 'N');
      // v = Xᵀ u
      matmul(v, X, u, 'T', 'N');
      squared_norm(top.norm2, top.v);
      scale_to_unit(top.v, top.norm2);
    }
    // z = X v, σ = ‖z‖, u = z / σ
    matmul(u, X, v, 'N', 'N');
    squared_norm(top.norm2, top.u);
    store_sigma(top.sigma, top.norm2);
    scale_to_unit(top.u, top.norm2);
  }
}

// X ← X + (coef0 + coef_sigma·σ1)·u vᵀ, with σ1 read on the device.
void rank_one_update(MatrixView X, SingularTriple& top, double coef0, double coef_sigma) {
  auto work = top.work;
  auto u = top.u;
  auto sigma = top.sigma;
  // work = (coef0 + coef_sigma·σ1) · u
  Kokkos::parallel_for("kernels::spectral_rank_one_coefficient", Kokkos::RangePolicy<ExecSpace>(0, u.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { work(i) = Real((coef0 + coef_sigma * sigma()) * double(u(i))); });
  // X += work · vᵀ
  matmul(X, column_of(top.work), column_of(top.v), 'N', 'T', Real(1), Real(1));
}

}  // namespace

double power_iterate(SingularTriple& top, MatrixView X, uint64_t seed, int iterations) {
  power_iterate_on_device(top, X, seed, iterations);
  double sigma = 0;
  Kokkos::deep_copy(sigma, top.sigma);
  return sigma;
}

// ------------------------------------------------------------------------------------------------
// Power-iteration maps
// ------------------------------------------------------------------------------------------------

void spectral_normalize(MatrixView X, SingularTriple& top, uint64_t seed, int iterations) {
  power_iterate_on_device(top, X, seed, iterations);
  auto xv = as_vector(X);
  auto sigma = top.sigma;
  // X ← X / max(1, σ1)
  Kokkos::parallel_for("kernels::spectral_normalize_scale", Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         const double s = sigma();
                         xv(i) = Real(double(xv(i)) / (s > 1 ? s : 1.0));
                       });
}

void spectral_hammer(MatrixView X, double w_max, SingularTriple& top, uint64_t seed, int iterations) {
  power_iterate_on_device(top, X, seed, iterations);
  // X ← X + (w_max − σ1)·u vᵀ   (u = v = 0 for a zero matrix: unchanged)
  rank_one_update(X, top, w_max, -1.0);
}

void spectral_weight_decay(MatrixView X, double spectral_wd, SingularTriple& top, uint64_t seed, int iterations) {
  power_iterate_on_device(top, X, seed, iterations);
  // X ← X − spectral_wd·σ1·u vᵀ
  rank_one_update(X, top, 0.0, -spectral_wd);
}

// ------------------------------------------------------------------------------------------------
// Polynomial maps
// ------------------------------------------------------------------------------------------------

void orthogonalize(MatrixView X, NsWorkspace& ws, const NsTable& table) { newton_schulz(X, X, ws, table); }

const std::vector<NsStep>& hard_cap_steps() {
  // ALGORITHMS §2.3 item 3 (the JAX library's older polynomial hard cap, kept by the authors for
  // reproducibility): composite ≈ min(1, σ) on [0, ~3.5], max 1.010882 at σ ≈ 1.185, h'(0) = 0.951214.
  static const std::vector<NsStep> steps = {{0.805032, 0.206361, -0.019763},
                                            {0.649867, 0.162935, -0.011150},
                                            {1.810259, -0.200265, 0.008251},
                                            {1.004384, -0.183490, 0.014413}};
  return steps;
}

double hard_cap_composite(double x) {
  return odd_polynomial_composite(hard_cap_steps().data(), hard_cap_steps().size(), x);
}

void hard_cap(MatrixView X, NsWorkspace& ws) {
  // No normalization beforehand: the polynomial acts on the normalized-space singular values.
  odd_polynomial_iterate(X, X, ws, hard_cap_steps().data(), hard_cap_steps().size());
}

double soft_cap_composite(double alpha, double x) {
  const NsStep steps[2] = {{1.0, -alpha, 0.0}, {1.0, alpha, 0.0}};
  return odd_polynomial_composite(steps, 2, x);
}

void soft_cap(MatrixView X, double alpha, NsWorkspace& ws) {
  if (alpha == 0) return;  // p1 = p2 = identity
  // p1(σ) = σ − ασ³ then p2(σ) = σ + ασ³ (the linear-in-α terms cancel in the composite)
  const NsStep steps[2] = {{1.0, -alpha, 0.0}, {1.0, alpha, 0.0}};
  odd_polynomial_iterate(X, X, ws, steps, 2);
}

// ------------------------------------------------------------------------------------------------
// Exact clip via msign (paper App. B)
// ------------------------------------------------------------------------------------------------

namespace {

// acc = weight · (tQ − X)·msign(tI − H) + beta·acc   (tall; wide: msign(tI − H)·(tQ − X))
void signed_distance_term(MatrixView acc, MatrixView X, double t, double weight, double beta, ClipWorkspace& ws) {
  const bool wide = ws.cols > ws.rows;
  const size_t s = ws.h.extent(0);
  auto h = ws.h;
  auto shifted = ws.shifted;
  const Real tr = Real(t);
  // shifted = t·I − ½(H + Hᵀ)   (H is symmetric in exact arithmetic; symmetrize the rounding)
  Kokkos::parallel_for("kernels::spectral_clip_shift", Kokkos::RangePolicy<ExecSpace>(0, s * s),
                       KOKKOS_LAMBDA(const size_t idx) {
                         const size_t i = idx / s, j = idx % s;
                         shifted(i, j) = (i == j ? tr : Real(0)) - Real(0.5) * (h(i, j) + h(j, i));
                       });
  // sign = msign(t·I − H) = V sign(t − Σ) Vᵀ
  msign(ws.sign, ws.shifted, ws.ns_small);
  // d = t·Q − X   (ns.x is free once msign(X) is done)
  MatrixView d = ws.ns.x;
  {
    auto dv = as_vector(d);
    auto qv = as_vector(ws.q);
    auto xv = as_vector(X);
    Kokkos::parallel_for("kernels::spectral_clip_distance", Kokkos::RangePolicy<ExecSpace>(0, dv.extent(0)),
                         KOKKOS_LAMBDA(const size_t i) { dv(i) = tr * qv(i) - xv(i); });
  }
  if (wide) {
    // acc = weight · sign · d + beta · acc
    matmul(acc, ws.sign, d, 'N', 'N', Real(weight), Real(beta));
  } else {
    // acc = weight · d · sign + beta · acc
    matmul(acc, d, ws.sign, 'N', 'N', Real(weight), Real(beta));
  }
}

// X ← (1 − λ)·X + λ·U clip(Σ, [a, b]) Vᵀ, with
// U clip(Σ) Vᵀ = ½[(a+b)Q + (aQ − X)·sign(aI − H) − (bQ − X)·sign(bI − H)].
void clip_and_blend(MatrixView X, double a, double b, double lambda, ClipWorkspace& ws) {
  LIP_KERNEL_REQUIRE(X.extent(0) == ws.rows && X.extent(1) == ws.cols,
                     "spectral_clip: ClipWorkspace is for (" << ws.rows << ", " << ws.cols << "), got X ("
                                                             << X.extent(0) << ", " << X.extent(1) << ")");
  LIP_KERNEL_REQUIRE(a >= 0 && b >= a, "spectral_clip: need 0 <= sigma_min <= sigma_max, got [" << a << ", " << b
                                                                                                 << "]");
  if (ws.rows == 0 || ws.cols == 0) return;
  const bool wide = ws.cols > ws.rows;
  // Q = msign(X) = U Vᵀ
  msign(ws.q, X, ws.ns);
  if (wide) {
    // H = X Qᵀ = U Σ Uᵀ   (m, m)
    matmul(ws.h, X, ws.q, 'N', 'T');
  } else {
    // H = Qᵀ X = V Σ Vᵀ   (n, n)
    matmul(ws.h, ws.q, X, 'T', 'N');
  }
  MatrixView acc = ws.ns.x_next;  // free once msign(X) is done
  // acc = −½ (bQ − X)·sign(bI − H) = −½ U (b − Σ)·sign(b − Σ) Vᵀ = −½ U |b − Σ| Vᵀ
  signed_distance_term(acc, X, b, -0.5, 0.0, ws);
  // acc += ½ (aQ − X)·sign(aI − H) = ½ U |a − Σ| Vᵀ; for a = 0 (H ⪰ 0) this is ½ X, added below
  const bool lower = a > 0;
  if (lower) signed_distance_term(acc, X, a, 0.5, 1.0, ws);
  auto xv = as_vector(X);
  auto qv = as_vector(ws.q);
  auto accv = as_vector(acc);
  const Real half_sum = Real(0.5 * (a + b));
  const Real half_x = lower ? Real(0) : Real(0.5);
  const Real keep = Real(1 - lambda), take = Real(lambda);
  // X ← (1 − λ)·X + λ·(½(a+b)·Q + acc [+ ½X when a = 0])   (pointwise, so X may be read and written)
  Kokkos::parallel_for("kernels::spectral_clip_combine", Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         const Real clipped = half_sum * qv(i) + accv(i) + half_x * xv(i);
                         xv(i) = keep * xv(i) + take * clipped;
                       });
}

}  // namespace

void spectral_clip(MatrixView X, double sigma_min, double sigma_max, ClipWorkspace& ws) {
  clip_and_blend(X, sigma_min, sigma_max, 1.0, ws);
}

void spectral_clipped_weight_decay(MatrixView X, double beta, double lambda, ClipWorkspace& ws) {
  LIP_KERNEL_REQUIRE(lambda >= 0 && lambda <= 1,
                     "spectral_clipped_weight_decay: lambda must be in [0, 1], got " << lambda);
  clip_and_blend(X, 0.0, beta, lambda, ws);
}

// ------------------------------------------------------------------------------------------------
// Host-side exact SVD (pure_svd)
// ------------------------------------------------------------------------------------------------

namespace {

// Thin SVD of the row-major (m, n) matrix `a` (destroyed). Row-major A is column-major Aᵀ (n, m),
// so LAPACK factors Aᵀ = U' S V'ᵀ, i.e. A = V' S U'ᵀ. With jobz = 'N' only s is computed.
void host_svd(std::vector<double>& a, int m, int n, char jobz, std::vector<double>& s, std::vector<double>& u_t,
              std::vector<double>& vt_t) {
  const int r = std::min(m, n);
  s.assign(size_t(r), 0.0);
  if (jobz == 'S') {
    u_t.assign(size_t(n) * size_t(r), 0.0);   // column-major (n, r): U' of Aᵀ
    vt_t.assign(size_t(r) * size_t(m), 0.0);  // column-major (r, m): V'ᵀ of Aᵀ
  } else {
    u_t.assign(1, 0.0);
    vt_t.assign(1, 0.0);
  }
  const int ldu = jobz == 'S' ? n : 1, ldvt = jobz == 'S' ? r : 1;
  std::vector<int> iwork(8 * size_t(r));
  int lwork = -1, info = 0;
  double query = 0;
  dgesdd_(&jobz, &n, &m, a.data(), &n, s.data(), u_t.data(), &ldu, vt_t.data(), &ldvt, &query, &lwork, iwork.data(),
          &info);
  lwork = int(query) + 1;
  std::vector<double> work(static_cast<size_t>(lwork));
  dgesdd_(&jobz, &n, &m, a.data(), &n, s.data(), u_t.data(), &ldu, vt_t.data(), &ldvt, work.data(), &lwork,
          iwork.data(), &info);
  LIP_KERNEL_REQUIRE(info == 0, "pure_svd: LAPACK dgesdd failed with info = " << info << " on a (" << m << ", " << n
                                                                              << ") matrix");
}

std::vector<double> host_copy(MatrixView X) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), X);
  std::vector<double> a(X.span());
  for (size_t i = 0; i < X.extent(0); ++i)
    for (size_t j = 0; j < X.extent(1); ++j) a[i * X.extent(1) + j] = double(h(i, j));
  return a;
}

}  // namespace

void pure_svd_clip(MatrixView X, double sigma_min, double sigma_max) {
  LIP_KERNEL_REQUIRE(sigma_min >= 0 && sigma_max >= sigma_min,
                     "pure_svd_clip: need 0 <= sigma_min <= sigma_max, got [" << sigma_min << ", " << sigma_max << "]");
  const int m = int(X.extent(0)), n = int(X.extent(1)), r = std::min(m, n);
  if (r == 0) return;
  std::vector<double> a = host_copy(X), s, u_t, vt_t;
  host_svd(a, m, n, 'S', s, u_t, vt_t);
  // Aᵀ_clip (n, m) = (U' · diag(clip(s))) · V'ᵀ, column-major == row-major A_clip (m, n)
  for (int k = 0; k < r; ++k) {
    const double c = std::min(sigma_max, std::max(sigma_min, s[size_t(k)]));
    for (int j = 0; j < n; ++j) u_t[size_t(j) + size_t(k) * size_t(n)] *= c;
  }
  const double one = 1, zero = 0;
  const char no = 'N';
  dgemm_(&no, &no, &n, &m, &r, &one, u_t.data(), &n, vt_t.data(), &r, &zero, a.data(), &n);
  auto h = Kokkos::create_mirror_view(X);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) h(size_t(i), size_t(j)) = Real(a[size_t(i) * size_t(n) + size_t(j)]);
  Kokkos::deep_copy(X, h);
}

double spectral_norm_exact(MatrixView X) {
  const int m = int(X.extent(0)), n = int(X.extent(1));
  if (m == 0 || n == 0) return 0.0;
  std::vector<double> a = host_copy(X), s, u_t, vt_t;
  host_svd(a, m, n, 'N', s, u_t, vt_t);
  return s.front();
}

// ------------------------------------------------------------------------------------------------
// Column / row RMS normalization (§4.1)
// ------------------------------------------------------------------------------------------------

void rms_normalize_columns(MatrixView out, MatrixView in, double f) {
  LIP_KERNEL_REQUIRE(f > 0, "rms_normalize_columns: inflation cap f must be > 0 (use infinity for 'no cap'), got " << f);
  LIP_KERNEL_REQUIRE(out.extent(0) == in.extent(0) && out.extent(1) == in.extent(1),
                     "rms_normalize_columns: out (" << out.extent(0) << ", " << out.extent(1) << ") vs in ("
                                                    << in.extent(0) << ", " << in.extent(1) << ")");
  const size_t D = in.extent(0);
  const double floor_rms = 1.0 / f;  // 0 for f = ∞
  // out(:, j) = in(:, j) / max(1/f, RMS(in(:, j)))
  Kokkos::parallel_for("kernels::rms_normalize_columns_apply", Kokkos::RangePolicy<ExecSpace>(0, in.extent(1)),
                       KOKKOS_LAMBDA(const size_t j) {
                         double ss = 0;
                         for (size_t d = 0; d < D; ++d) ss += double(in(d, j)) * double(in(d, j));
                         const double rms = math::sqrt(ss / double(D));
                         const double denom = rms > floor_rms ? rms : floor_rms;
                         for (size_t d = 0; d < D; ++d)
                           out(d, j) = rms > 0 ? Real(double(in(d, j)) / denom) : Real(0);
                       });
}

void rms_normalize_columns(MatrixView E, double f) { rms_normalize_columns(E, E, f); }

void rms_normalize_rows(MatrixView out, MatrixView in, double f) {
  LIP_KERNEL_REQUIRE(f > 0, "rms_normalize_rows: inflation cap f must be > 0 (use infinity for 'no cap'), got " << f);
  LIP_KERNEL_REQUIRE(out.extent(0) == in.extent(0) && out.extent(1) == in.extent(1),
                     "rms_normalize_rows: out (" << out.extent(0) << ", " << out.extent(1) << ") vs in ("
                                                 << in.extent(0) << ", " << in.extent(1) << ")");
  const size_t D = in.extent(1);
  const double floor_rms = 1.0 / f;
  // out(i, :) = in(i, :) / max(1/f, RMS(in(i, :)))
  Kokkos::parallel_for("kernels::rms_normalize_rows_apply", Kokkos::RangePolicy<ExecSpace>(0, in.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         double ss = 0;
                         for (size_t d = 0; d < D; ++d) ss += double(in(i, d)) * double(in(i, d));
                         const double rms = math::sqrt(ss / double(D));
                         const double denom = rms > floor_rms ? rms : floor_rms;
                         for (size_t d = 0; d < D; ++d)
                           out(i, d) = rms > 0 ? Real(double(in(i, d)) / denom) : Real(0);
                       });
}

void rms_normalize_rows(MatrixView U, double f) { rms_normalize_rows(U, U, f); }

// ------------------------------------------------------------------------------------------------
// Soft-cap strength (§2.4)
// ------------------------------------------------------------------------------------------------

double soft_cap_strength(double w_max, double decay_coupled, double update_norm) {
  LIP_KERNEL_REQUIRE(std::isfinite(w_max) && w_max > 0, "soft_cap_strength: w_max must be finite and > 0, got " << w_max);
  LIP_KERNEL_REQUIRE(std::isfinite(decay_coupled) && std::isfinite(update_norm),
                     "soft_cap_strength: decay " << decay_coupled << " and update norm " << update_norm
                                                 << " must be finite");
  // Worst case after decay + step for a singular value at the cap.
  const double k = w_max * (1.0 - decay_coupled) + update_norm;
  // k ≤ w_max: no cap needed (the reference code returns 1 here, which wrecks the spectrum; §13 item 6).
  if (!(k > w_max)) return 0.0;
  // p(k) = w_max  ⇔  g(β) = β⁴ − 3β³ + 3β² = 1 − w_max/k with β = α k²; g increases from 0 to 1 on [0, 1].
  const double target = 1.0 - w_max / k;
  auto g = [&](double b) { return b * b * (b * b - 3.0 * b + 3.0) - target; };
  auto dg = [](double b) { return b * (4.0 * b * b - 9.0 * b + 6.0); };
  double lo = 0.0, hi = 1.0;
  double beta = std::min(std::sqrt(target / 3.0), 0.5);  // g ≈ 3β² for small β
  for (int it = 0; it < 200; ++it) {
    const double gb = g(beta);
    if (gb == 0) break;
    if (gb > 0) hi = beta; else lo = beta;
    double next = beta - gb / dg(beta);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);  // safeguard: stay inside the bracket
    const bool converged = std::fabs(next - beta) <= 4 * std::numeric_limits<double>::epsilon() * next;
    beta = next;
    if (converged || hi - lo <= std::numeric_limits<double>::min()) break;
  }
  return std::min(1.0, beta / (k * k));
}

}  // namespace lip::kernels
