#pragma once
/* Lookup-time embedding cap (NANOGPT.md §2.4): before the lookup, every column of E that the
 * batch uses and whose RMS exceeds `max_rms` is rescaled IN PLACE to RMS `max_rms`
 * (L2 norm ≤ max_rms·sqrt(D), factor max_norm/(n + 1e-7)). Columns not looked up are untouched;
 * the rescaling is not differentiated (the gradient flows as a plain lookup).
 *
 *   E       (D, V)  embedding table, columns are tokens
 *   tokens  (B, T)  ids in [0, V)
 *   used    (V)     int scratch (caller-owned); overwritten
 * Deterministic: columns are marked first (idempotent stores), then capped one thread per column.
 */
#include "flat_views.hpp"
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

inline void embedding_lookup_cap(const Tensor2& E, const View2<const int>& tokens, const View1<int>& used,
                                 double max_rms) {
  const size_t D = E.extent(0), V = E.extent(1);
  LIP_KERNEL_REQUIRE(used.extent(0) == V, "embedding_lookup_cap: scratch has " << used.extent(0) << " entries, table has "
                                                                              << V << " columns");
  Kokkos::deep_copy(used, 0);
  auto tok = flat_view(tokens);
  Kokkos::parallel_for("kernels::embedding_lookup_cap_mark", Kokkos::RangePolicy<ExecSpace>(0, tok.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { used(size_t(tok(i))) = 1; });
  const double max_norm = max_rms * math::sqrt(double(D));
  Kokkos::parallel_for("kernels::embedding_lookup_cap_scale", Kokkos::RangePolicy<ExecSpace>(0, V),
                       KOKKOS_LAMBDA(const size_t v) {
                         if (!used(v)) return;
                         double s = 0;
                         for (size_t d = 0; d < D; ++d) s += double(E(d, v)) * double(E(d, v));
                         const double n = math::sqrt(s);
                         if (n <= max_norm) return;
                         const Real f = Real(max_norm / (n + 1e-7));
                         for (size_t d = 0; d < D; ++d) E(d, v) *= f;
                       });
}

}  // namespace lip::kernels
