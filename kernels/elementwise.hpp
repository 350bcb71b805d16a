#pragma once
/* The shared launcher for pointwise forward/backward ops.
 *
 * A pointwise op is a struct with two KOKKOS_INLINE_FUNCTION members:
 *   Real value(Real x) const;        // y = f(x)
 *   Real derivative(Real x) const;   // f'(x)
 * `pointwise_forward` writes y = f(x); `pointwise_backward` accumulates dx += dy * f'(x)
 * (the repository-wide `+=` gradient convention); `pointwise_jvp` writes the forward-mode
 * tangent ty = f'(x) * tx (a directional derivative, so it overwrites). Activations (relu.hpp, gelu.hpp) supply only
 * the per-element math; they never write their own loop.
 */
#include <string>

#include "types.hpp"

namespace lip::kernels {

template <class Op, class ViewY, class ViewX>
void pointwise_forward(const std::string& label, const ViewY& y, const ViewX& x, const Op op) {
  LIP_KERNEL_REQUIRE(y.span() == x.span(), label << ": output has " << y.span() << " entries, input "
                                                  << x.span());
  auto yv = as_vector(y);
  auto xv = as_vector(x);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { yv(i) = op.value(xv(i)); });
}

template <class Op, class ViewDX, class ViewDY, class ViewX>
void pointwise_backward(const std::string& label, const ViewDX& dx, const ViewDY& dy, const ViewX& x,
                        const Op op) {
  LIP_KERNEL_REQUIRE(dx.span() == x.span() && dy.span() == x.span(),
                     label << ": dx, dy, x have " << dx.span() << ", " << dy.span() << ", " << x.span()
                           << " entries; expected all equal");
  auto dxv = as_vector(dx);
  auto dyv = as_vector(dy);
  auto xv = as_vector(x);
  // dx += dy * f'(x)
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { dxv(i) += dyv(i) * op.derivative(xv(i)); });
}

template <class Op, class ViewTY, class ViewTX, class ViewX>
void pointwise_jvp(const std::string& label, const ViewTY& ty, const ViewTX& tx, const ViewX& x, const Op op) {
  LIP_KERNEL_REQUIRE(ty.span() == x.span() && tx.span() == x.span(),
                     label << ": ty, tx, x have " << ty.span() << ", " << tx.span() << ", " << x.span()
                           << " entries; expected all equal");
  auto tyv = as_vector(ty);
  auto txv = as_vector(tx);
  auto xv = as_vector(x);
  // ty = f'(x) * tx
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { tyv(i) = txv(i) * op.derivative(xv(i)); });
}

/// y = a*y + b*x over flat vectors (the one axpby the optimizers and residuals share).
template <class ViewY, class ViewX>
void axpby(const std::string& label, const ViewY& y, Real a, const ViewX& x, Real b) {
  LIP_KERNEL_REQUIRE(y.span() == x.span(), label << ": y has " << y.span() << " entries, x " << x.span());
  auto yv = as_vector(y);
  auto xv = as_vector(x);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, yv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { yv(i) = a * yv(i) + b * xv(i); });
}

/// y = a*y over a flat vector.
template <class ViewY>
void scale(const std::string& label, const ViewY& y, Real a) {
  auto yv = as_vector(y);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, yv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { yv(i) *= a; });
}

/// x(r, :) *= factor(r): one factor per row (per-example normalization, masks, projections).
template <class ViewX, class ViewF>
void scale_rows(const std::string& label, const ViewX& x, const ViewF& factor) {
  LIP_KERNEL_REQUIRE(factor.extent(0) == x.extent(0),
                     label << ": " << factor.extent(0) << " factors for " << x.extent(0) << " rows");
  const size_t cols = x.extent(1);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, x.extent(0) * cols),
                       KOKKOS_LAMBDA(const size_t i) { x(i / cols, i % cols) *= factor(i / cols); });
}

}  // namespace lip::kernels
