#pragma once
/* Reductions: Frobenius norm, dot product, max |x|, and row-wise sums / maxima / RMS.
 * Scalars are accumulated in double so that float runs stay accurate on large matrices.
 */
#include <string>

#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

/// Σ x_i y_i over flat vectors (double accumulation).
template <class ViewX, class ViewY>
double dot(const ViewX& x, const ViewY& y) {
  LIP_KERNEL_REQUIRE(x.span() == y.span(), "dot: sizes differ (" << x.span() << " vs " << y.span() << ")");
  auto xv = as_vector(x);
  auto yv = as_vector(y);
  double sum = 0;
  Kokkos::parallel_reduce(
      "kernels::dot", Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
      KOKKOS_LAMBDA(const size_t i, double& acc) { acc += double(xv(i)) * double(yv(i)); }, sum);
  return sum;
}

/// ‖x‖_F = sqrt(Σ x_i²).
template <class ViewX>
double frobenius_norm(const ViewX& x) {
  return math::sqrt(dot(x, x));
}

/// max_i |x_i| (0 for an empty view).
template <class ViewX>
double max_abs(const ViewX& x) {
  auto xv = as_vector(x);
  double result = 0;
  Kokkos::parallel_reduce(
      "kernels::max_abs", Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
      KOKKOS_LAMBDA(const size_t i, double& acc) {
        const double a = math::fabs(double(xv(i)));
        if (a > acc) acc = a;
      },
      Kokkos::Max<double>(result));
  return result;
}

/// out(r) = max_c x(r, c)
template <class ViewOut, class ViewX>
void row_max(const ViewOut& out, const ViewX& x) {
  LIP_KERNEL_REQUIRE(out.extent(0) == x.extent(0), "row_max: out has " << out.extent(0) << " rows, x " << x.extent(0));
  const int cols = int(x.extent(1));
  Kokkos::parallel_for("kernels::row_max", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
                       KOKKOS_LAMBDA(const size_t r) {
                         Real m = x(r, 0);
                         for (int c = 1; c < cols; ++c) m = x(r, c) > m ? x(r, c) : m;
                         out(r) = m;
                       });
}

/// out(r) = Σ_c x(r, c)
template <class ViewOut, class ViewX>
void row_sum(const ViewOut& out, const ViewX& x) {
  LIP_KERNEL_REQUIRE(out.extent(0) == x.extent(0), "row_sum: out has " << out.extent(0) << " rows, x " << x.extent(0));
  const int cols = int(x.extent(1));
  Kokkos::parallel_for("kernels::row_sum", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
                       KOKKOS_LAMBDA(const size_t r) {
                         double s = 0;
                         for (int c = 0; c < cols; ++c) s += x(r, c);
                         out(r) = Real(s);
                       });
}

/// out(r) = Σ_c x(r, c)² (double accumulation): per-row squared ℓ2 norms, from which the RMS and
/// ∞RMS norms of examples spanning several rows follow.
template <class ViewOut, class ViewX>
void row_sum_squares(const ViewOut& out, const ViewX& x) {
  LIP_KERNEL_REQUIRE(out.extent(0) == x.extent(0),
                     "row_sum_squares: out has " << out.extent(0) << " rows, x " << x.extent(0));
  const int cols = int(x.extent(1));
  Kokkos::parallel_for("kernels::row_sum_squares", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
                       KOKKOS_LAMBDA(const size_t r) {
                         double s = 0;
                         for (int c = 0; c < cols; ++c) s += double(x(r, c)) * double(x(r, c));
                         out(r) = s;
                       });
}

/// max_r RMS(x(r, :)) — the ∞RMS norm of an activation matrix (ALGORITHMS §1.1).
template <class ViewX>
double max_row_rms(const ViewX& x) {
  const int cols = int(x.extent(1));
  double result = 0;
  Kokkos::parallel_reduce(
      "kernels::max_row_rms", Kokkos::RangePolicy<ExecSpace>(0, x.extent(0)),
      KOKKOS_LAMBDA(const size_t r, double& acc) {
        double s = 0;
        for (int c = 0; c < cols; ++c) s += double(x(r, c)) * double(x(r, c));
        const double rms = cols > 0 ? math::sqrt(s / cols) : 0.0;
        if (rms > acc) acc = rms;
      },
      Kokkos::Max<double>(result));
  return result;
}

}  // namespace lip::kernels

namespace lip::kernels {

/// max_j RMS(x(:, j)) — the ℓ1→RMS norm of an embedding [D, V] (columns = tokens, §1.2).
template <class ViewX>
double max_column_rms(const ViewX& x) {
  const int rows = int(x.extent(0));
  double result = 0;
  Kokkos::parallel_reduce(
      "kernels::max_column_rms", Kokkos::RangePolicy<ExecSpace>(0, x.extent(1)),
      KOKKOS_LAMBDA(const size_t c, double& acc) {
        double s = 0;
        for (int r = 0; r < rows; ++r) s += double(x(r, c)) * double(x(r, c));
        const double rms = rows > 0 ? math::sqrt(s / rows) : 0.0;
        if (rms > acc) acc = rms;
      },
      Kokkos::Max<double>(result));
  return result;
}

}  // namespace lip::kernels
