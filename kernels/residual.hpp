#pragma once
/* Convex residual connection (ALGORITHMS §6.2, paper Eq. (1)):
 *
 *   h_out = (1 − r)·h + r·branch,      r = residual_scale / (2L)
 *
 * The convex mix (instead of h + branch) keeps the residual stream's norm and Lipschitz constant
 * bounded by those of its inputs: the paper writes (N−1)/N·x + 1/N·block(x) with N = 2L residual
 * connections (one attention and one MLP per layer), so the bound grows at most additively.
 *
 * Shapes: h_out, h, branch, dout, dh, dbranch all (B, T, C) (any equal-size LayoutRight views).
 * Cached for the backward: nothing (the map is linear).
 * Backward: dh += (1 − r)·dout,  dbranch += r·dout.
 */
#include "flat_views.hpp"
#include "types.hpp"

namespace lip::kernels {

//! The residual share r = residual_scale / (2·n_layer): each layer has two residual connections
//! (attention, MLP), so the stream is a convex mix over 2L branches (ALGORITHMS §6.2).
inline Real residual_share(double residual_scale, int n_layer) {
  LIP_KERNEL_REQUIRE(n_layer > 0, "residual_share: n_layer must be positive, got " << n_layer);
  return Real(residual_scale / (2.0 * n_layer));
}

//! h_out = (1 − r)·h + r·branch (h_out may alias h or branch).
template <class ViewOut, class ViewH, class ViewB>
void residual_forward(const ViewOut& h_out, const ViewH& h, const ViewB& branch, Real r) {
  LIP_KERNEL_REQUIRE(h_out.span() == h.span() && branch.span() == h.span(),
                     "residual_forward: h_out, h, branch have " << h_out.span() << ", " << h.span() << ", "
                                                                << branch.span() << " entries; expected all equal");
  auto out = flat_view(h_out);
  auto hv = flat_view(h);
  auto bv = flat_view(branch);
  const Real keep = Real(1) - r;
  Kokkos::parallel_for("kernels::residual_forward", Kokkos::RangePolicy<ExecSpace>(0, out.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { out(i) = keep * hv(i) + r * bv(i); });
}

//! t_out = (1 − r)·t_h + r·t_branch: the map is linear, so its JVP is the forward on the tangents.
template <class ViewTOut, class ViewTH, class ViewTB>
void residual_jvp(const ViewTOut& t_out, const ViewTH& t_h, const ViewTB& t_branch, Real r) {
  residual_forward(t_out, t_h, t_branch, r);
}

//! dh += (1 − r)·dout, dbranch += r·dout. dh and dbranch must not alias dout or each other.
template <class ViewDH, class ViewDB, class ViewDOut>
void residual_backward(const ViewDH& dh, const ViewDB& dbranch, const ViewDOut& dout, Real r) {
  LIP_KERNEL_REQUIRE(dh.span() == dout.span() && dbranch.span() == dout.span(),
                     "residual_backward: dh, dbranch, dout have " << dh.span() << ", " << dbranch.span() << ", "
                                                                  << dout.span() << " entries; expected all equal");
  LIP_KERNEL_REQUIRE(dh.data() != dout.data() && dbranch.data() != dout.data() && dh.data() != dbranch.data(),
                     "residual_backward: dh, dbranch and dout must be distinct buffers (gradients accumulate)");
  auto dhv = flat_view(dh);
  auto dbv = flat_view(dbranch);
  auto dov = flat_view(dout);
  const Real keep = Real(1) - r;
  Kokkos::parallel_for("kernels::residual_backward", Kokkos::RangePolicy<ExecSpace>(0, dov.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         const Real g = dov(i);
                         // h_out = (1 − r)·h + r·branch
                         dhv(i) += keep * g;
                         dbv(i) += r * g;
                       });
}

}  // namespace lip::kernels
