#pragma once
/* Optional pre-norms for baselines (ALGORITHMS §6.2, `layernorm_substitute`): no gain, no bias.
 * The Lipschitz models use `none`; these exist so unconstrained baselines can be compared.
 *
 *   rmsnorm:   y = x · ρ,          ρ = 1 / sqrt(mean_c x² + ε)
 *   layernorm: y = (x − μ) · ρ,    μ = mean_c x,  ρ = 1 / sqrt(mean_c (x − μ)² + ε)
 *   ε = 1e-5 (norm_eps), over the last (feature) axis of each row.
 *
 * Shapes: x, y, dx, dy (B, T, C); cached per row: rstd ρ (B, T) (caller-owned, written by the
 * forward). The backward recomputes y from x and ρ (layernorm: μ recomputed in double).
 * Backward (dy given, ⟨·⟩ = mean over c):
 *   rmsnorm:   dx += ρ · (dy − y · ⟨dy·y⟩)
 *   layernorm: dx += ρ · (dy − ⟨dy⟩ − y · ⟨dy·y⟩)
 * Row sums (and layernorm's centering) are in double. Parallel over rows (B*T).
 */
#include "flat_views.hpp"
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

//! ε inside the square root of both norms (the reference code's value, ALGORITHMS §6.2).
constexpr double norm_eps = 1e-5;

namespace detail {
inline void check_norm_shapes(const char* op, const ConstTensor3& a, const ConstTensor3& x,
                              const ConstTensor2& stat) {
  LIP_KERNEL_REQUIRE(a.extent(0) == x.extent(0) && a.extent(1) == x.extent(1) && a.extent(2) == x.extent(2) &&
                         stat.extent(0) == x.extent(0) && stat.extent(1) == x.extent(1),
                     op << ": x is (" << x.extent(0) << ", " << x.extent(1) << ", " << x.extent(2)
                        << "); expected the other activation to match (got (" << a.extent(0) << ", "
                        << a.extent(1) << ", " << a.extent(2) << ")) and the row statistic to be ("
                        << x.extent(0) << ", " << x.extent(1) << ") (got (" << stat.extent(0) << ", "
                        << stat.extent(1) << "))");
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// rmsnorm
// ---------------------------------------------------------------------------------------------

//! y = x / sqrt(mean x² + ε) per row; writes rstd = 1/sqrt(mean x² + ε) (B, T).
inline void rmsnorm_forward(const Tensor3& y,          // (B, T, C)
                            const Tensor2& rstd,       // (B, T) cached
                            const ConstTensor3& x) {   // (B, T, C)
  detail::check_norm_shapes("rmsnorm_forward", y, x, rstd);
  const int C = int(x.extent(2));
  auto X = matrix_view(x.data(), x.extent(0) * x.extent(1), x.extent(2));
  auto Y = matrix_view(y.data(), x.extent(0) * x.extent(1), x.extent(2));
  auto rs = flat_view(rstd);
  Kokkos::parallel_for("kernels::rmsnorm_forward", Kokkos::RangePolicy<ExecSpace>(0, X.extent(0)),
                       KOKKOS_LAMBDA(const size_t row) {
                         double ss = 0;
                         for (int c = 0; c < C; ++c) ss += double(X(row, c)) * double(X(row, c));
                         const Real r = Real(1.0 / math::sqrt(ss / C + norm_eps));
                         rs(row) = r;
                         for (int c = 0; c < C; ++c) Y(row, c) = X(row, c) * r;
                       });
}

//! dx += ρ (dy − y ⟨dy·y⟩), with y = x·ρ recomputed from the forward input and cached rstd.
inline void rmsnorm_backward(const Tensor3& dx,          // (B, T, C)
                             const ConstTensor3& dy,     // (B, T, C)
                             const ConstTensor3& x,      // (B, T, C) forward input
                             const ConstTensor2& rstd) { // (B, T) cached by the forward
  detail::check_norm_shapes("rmsnorm_backward", dx, x, rstd);
  detail::check_norm_shapes("rmsnorm_backward", dy, x, rstd);
  LIP_KERNEL_REQUIRE(dx.data() != dy.data(), "rmsnorm_backward: dx must not alias dy (gradients accumulate)");
  const int C = int(x.extent(2));
  const size_t rows = x.extent(0) * x.extent(1);
  auto X = matrix_view(x.data(), rows, x.extent(2));
  auto DY = matrix_view(dy.data(), rows, x.extent(2));
  auto DX = matrix_view(dx.data(), rows, x.extent(2));
  auto rs = flat_view(rstd);
  Kokkos::parallel_for("kernels::rmsnorm_backward", Kokkos::RangePolicy<ExecSpace>(0, rows),
                       KOKKOS_LAMBDA(const size_t row) {
                         const Real r = rs(row);
                         // y = x·ρ, ρ = (⟨x²⟩ + ε)^(−1/2)  =>  dx = ρ (dy − y ⟨dy·y⟩)
                         double dyy = 0;
                         for (int c = 0; c < C; ++c) dyy += double(DY(row, c)) * double(X(row, c) * r);
                         const Real m = Real(dyy / C);
                         for (int c = 0; c < C; ++c) DX(row, c) += r * (DY(row, c) - X(row, c) * r * m);
                       });
}

//! ty = ρ (tx − y ⟨tx·y⟩): the JVP at the forward input x (the Jacobian ρ(I − y yᵀ/C) is symmetric,
//! so this is the backward's formula, written instead of accumulated).
inline void rmsnorm_jvp(const Tensor3& ty,           // (B, T, C)
                        const ConstTensor3& tx,      // (B, T, C)
                        const ConstTensor3& x,       // (B, T, C) forward input
                        const ConstTensor2& rstd) {  // (B, T) cached by the forward
  detail::check_norm_shapes("rmsnorm_jvp", ty, x, rstd);
  detail::check_norm_shapes("rmsnorm_jvp", tx, x, rstd);
  LIP_KERNEL_REQUIRE(ty.data() != tx.data(), "rmsnorm_jvp: ty must not alias tx");
  const int C = int(x.extent(2));
  const size_t rows = x.extent(0) * x.extent(1);
  auto X = matrix_view(x.data(), rows, x.extent(2));
  auto TX = matrix_view(tx.data(), rows, x.extent(2));
  auto TY = matrix_view(ty.data(), rows, x.extent(2));
  auto rs = flat_view(rstd);
  Kokkos::parallel_for("kernels::rmsnorm_jvp", Kokkos::RangePolicy<ExecSpace>(0, rows),
                       KOKKOS_LAMBDA(const size_t row) {
                         const Real r = rs(row);
                         double txy = 0;
                         for (int c = 0; c < C; ++c) txy += double(TX(row, c)) * double(X(row, c) * r);
                         const Real m = Real(txy / C);
                         for (int c = 0; c < C; ++c) TY(row, c) = r * (TX(row, c) - X(row, c) * r * m);
                       });
}

// ---------------------------------------------------------------------------------------------
// layernorm
// ---------------------------------------------------------------------------------------------

//! y = (x − mean) / sqrt(var + ε) per row (biased variance); writes rstd (B, T).
inline void layernorm_forward(const Tensor3& y,         // (B, T, C)
                              const Tensor2& rstd,      // (B, T) cached
                              const ConstTensor3& x) {  // (B, T, C)
  detail::check_norm_shapes("layernorm_forward", y, x, rstd);
  const int C = int(x.extent(2));
  const size_t rows = x.extent(0) * x.extent(1);
  auto X = matrix_view(x.data(), rows, x.extent(2));
  auto Y = matrix_view(y.data(), rows, x.extent(2));
  auto rs = flat_view(rstd);
  Kokkos::parallel_for("kernels::layernorm_forward", Kokkos::RangePolicy<ExecSpace>(0, rows),
                       KOKKOS_LAMBDA(const size_t row) {
                         double s = 0;
                         for (int c = 0; c < C; ++c) s += double(X(row, c));
                         const double m = s / C;
                         double ss = 0;  // two-pass variance: no cancellation for large means
                         for (int c = 0; c < C; ++c) ss += (double(X(row, c)) - m) * (double(X(row, c)) - m);
                         const double r = 1.0 / math::sqrt(ss / C + norm_eps);
                         rs(row) = Real(r);
                         for (int c = 0; c < C; ++c) Y(row, c) = Real((double(X(row, c)) - m) * r);
                       });
}

//! dx += ρ (dy − ⟨dy⟩ − y ⟨dy·y⟩), with y = (x − μ)·ρ recomputed from x (μ in double) and the
//! cached ρ. μ is recomputed rather than cached: a μ rounded to float loses relative accuracy in
//! x − μ when a row's spread is small, and the backward amplifies that error by ρ.
inline void layernorm_backward(const Tensor3& dx,          // (B, T, C)
                               const ConstTensor3& dy,     // (B, T, C)
                               const ConstTensor3& x,      // (B, T, C) forward input
                               const ConstTensor2& rstd) { // (B, T) cached by the forward
  detail::check_norm_shapes("layernorm_backward", dx, x, rstd);
  detail::check_norm_shapes("layernorm_backward", dy, x, rstd);
  LIP_KERNEL_REQUIRE(dx.data() != dy.data(), "layernorm_backward: dx must not alias dy (gradients accumulate)");
  const int C = int(x.extent(2));
  const size_t rows = x.extent(0) * x.extent(1);
  auto X = matrix_view(x.data(), rows, x.extent(2));
  auto DY = matrix_view(dy.data(), rows, x.extent(2));
  auto DX = matrix_view(dx.data(), rows, x.extent(2));
  auto rs = flat_view(rstd);
  Kokkos::parallel_for("kernels::layernorm_backward", Kokkos::RangePolicy<ExecSpace>(0, rows),
                       KOKKOS_LAMBDA(const size_t row) {
                         const double r = rs(row);
                         double s = 0;
                         for (int c = 0; c < C; ++c) s += double(X(row, c));
                         const double m = s / C;
                         // y = (x − μ)·ρ  =>  dx = ρ (dy − ⟨dy⟩ − y ⟨dy·y⟩)
                         double sdy = 0, sdyy = 0;
                         for (int c = 0; c < C; ++c) {
                           const double g = DY(row, c);
                           sdy += g;
                           sdyy += g * (double(X(row, c)) - m) * r;
                         }
                         const double mdy = sdy / C, mdyy = sdyy / C;
                         for (int c = 0; c < C; ++c)
                           DX(row, c) += Real(r * (double(DY(row, c)) - mdy - (double(X(row, c)) - m) * r * mdyy));
                       });
}

//! ty = ρ (tx − ⟨tx⟩ − y ⟨tx·y⟩): the JVP at the forward input x (symmetric Jacobian
//! ρ(I − 11ᵀ/C − y yᵀ/C); μ recomputed in double as in the backward).
inline void layernorm_jvp(const Tensor3& ty,           // (B, T, C)
                          const ConstTensor3& tx,      // (B, T, C)
                          const ConstTensor3& x,       // (B, T, C) forward input
                          const ConstTensor2& rstd) {  // (B, T) cached by the forward
  detail::check_norm_shapes("layernorm_jvp", ty, x, rstd);
  detail::check_norm_shapes("layernorm_jvp", tx, x, rstd);
  LIP_KERNEL_REQUIRE(ty.data() != tx.data(), "layernorm_jvp: ty must not alias tx");
  const int C = int(x.extent(2));
  const size_t rows = x.extent(0) * x.extent(1);
  auto X = matrix_view(x.data(), rows, x.extent(2));
  auto TX = matrix_view(tx.data(), rows, x.extent(2));
  auto TY = matrix_view(ty.data(), rows, x.extent(2));
  auto rs = flat_view(rstd);
  Kokkos::parallel_for("kernels::layernorm_jvp", Kokkos::RangePolicy<ExecSpace>(0, rows),
                       KOKKOS_LAMBDA(const size_t row) {
                         const double r = rs(row);
                         double s = 0;
                         for (int c = 0; c < C; ++c) s += double(X(row, c));
                         const double m = s / C;
                         double st = 0, sty = 0;
                         for (int c = 0; c < C; ++c) {
                           const double t = TX(row, c);
                           st += t;
                           sty += t * (double(X(row, c)) - m) * r;
                         }
                         const double mt = st / C, mty = sty / C;
                         for (int c = 0; c < C; ++c)
                           TY(row, c) = Real(r * (double(TX(row, c)) - mt - (double(X(row, c)) - m) * r * mty));
                       });
}

}  // namespace lip::kernels
