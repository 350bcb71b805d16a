#pragma once
/* Token embedding (ALGORITHMS §4.2, §6.4): gather columns of E ∈ R^{D×V}.
 *
 *   forward:  h[b, t, d] = E[d, x[b, t]]
 *   backward: dE[d, v] += Σ_{(b,t) : x[b,t] = v} dh[b, t, d]      (scatter-add, accumulates)
 *
 * Shapes: h, dh (B, T, D); E, dE (D, V) (columns are tokens, as in the reference code); tokens
 * (B, T) int. Nothing is cached (the backward needs only the tokens).
 *
 * Layout note: E is stored (D, V) row-major, so one token's embedding E[:, v] is strided by V.
 * The forward is parallel over (b, t, d) with d fastest: writes to h are contiguous and the
 * strided reads of E touch D cache lines per token. At D = 256..768 that is the same traffic as
 * writing h; it is acceptable and keeps E in the spec's layout (no transposed copy to keep in
 * sync with the projection and the optimizer, which work on columns of E).
 *
 * Precondition: 0 ≤ x[b, t] < V. Kernels never report errors, so the dataset validates tokens
 * when it loads them; `count_tokens_out_of_range` is available for that check.
 *
 * Backward modes:
 *   deterministic (default): parallel over the D feature rows of dE; each row loops over the
 *     positions in order (b, then t). No atomics, and the summation order is fixed, so the
 *     result is bitwise reproducible for every thread count and backend. Work is O(B·T·D), the
 *     same as the atomic form; on a GPU consecutive threads (d, d+1) read consecutive dh
 *     entries, so the reads coalesce.
 *   atomic: parallel over (b, t, d) with Kokkos::atomic_add into dE. More parallelism, but the
 *     order in which repeated tokens are added depends on scheduling, so results are NOT
 *     bitwise reproducible (floating-point addition is not associative).
 */
#include "flat_views.hpp"
#include "types.hpp"

namespace lip::kernels {

using ConstIndexTensor2 = View2<const int>;

//! How embedding_backward resolves repeated tokens (see the header comment).
enum class EmbeddingBackwardMode { deterministic, atomic };

namespace detail {
inline void check_embedding_shapes(const char* op, size_t hB, size_t hT, size_t hD, size_t eD, size_t eV,
                                   const ConstIndexTensor2& tokens) {
  LIP_KERNEL_REQUIRE(tokens.extent(0) == hB && tokens.extent(1) == hT && eD == hD && eV > 0,
                     op << ": activations (" << hB << ", " << hT << ", " << hD << "), table (" << eD << ", "
                        << eV << "), tokens (" << tokens.extent(0) << ", " << tokens.extent(1)
                        << "); expected tokens (B, T) = (" << hB << ", " << hT << "), table (D, V) with D = "
                        << hD << " and V > 0");
}
}  // namespace detail

//! h[b, t, :] = E[:, tokens[b, t]].
inline void embedding_forward(const Tensor3& h,                    // (B, T, D)
                              const ConstTensor2& E,               // (D, V)
                              const ConstIndexTensor2& tokens) {   // (B, T)
  detail::check_embedding_shapes("embedding_forward", h.extent(0), h.extent(1), h.extent(2), E.extent(0),
                                 E.extent(1), tokens);
  const size_t D = h.extent(2);
  auto hv = flat_view(h);
  auto tok = flat_view(tokens);
  Kokkos::parallel_for("kernels::embedding_forward", Kokkos::RangePolicy<ExecSpace>(0, hv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         const size_t pos = i / D, d = i % D;
                         hv(i) = E(d, tok(pos));
                       });
}

//! th[b, t, :] = tE[:, tokens[b, t]]: the lookup is linear in the table, so its JVP along a table
//! tangent tE is the lookup of tE.
inline void embedding_jvp(const Tensor3& th, const ConstTensor2& tE, const ConstIndexTensor2& tokens) {
  embedding_forward(th, tE, tokens);
}

//! dE[:, v] += Σ over positions holding token v of dh[b, t, :].
inline void embedding_backward(const Tensor2& dE,                  // (D, V)
                               const ConstTensor3& dh,             // (B, T, D)
                               const ConstIndexTensor2& tokens,    // (B, T)
                               EmbeddingBackwardMode mode = EmbeddingBackwardMode::deterministic) {
  detail::check_embedding_shapes("embedding_backward", dh.extent(0), dh.extent(1), dh.extent(2), dE.extent(0),
                                 dE.extent(1), tokens);
  const size_t D = dh.extent(2);
  const size_t positions = dh.extent(0) * dh.extent(1);
  auto g = matrix_view(dh.data(), positions, D);  // (B*T, D)
  auto tok = flat_view(tokens);
  // h[pos, d] = E[d, tok[pos]]  =>  dE[d, tok[pos]] += dh[pos, d]
  if (mode == EmbeddingBackwardMode::deterministic) {
    Kokkos::parallel_for("kernels::embedding_backward", Kokkos::RangePolicy<ExecSpace>(0, D),
                         KOKKOS_LAMBDA(const size_t d) {
                           for (size_t pos = 0; pos < positions; ++pos) dE(d, tok(pos)) += g(pos, d);
                         });
  } else {
    Kokkos::parallel_for("kernels::embedding_backward_atomic", Kokkos::RangePolicy<ExecSpace>(0, positions * D),
                         KOKKOS_LAMBDA(const size_t i) {
                           const size_t pos = i / D, d = i % D;
                           Kokkos::atomic_add(&dE(d, tok(pos)), g(pos, d));
                         });
  }
}

//! Number of tokens outside [0, V) (host-side validation helper for loaders and tests).
inline size_t count_tokens_out_of_range(const ConstIndexTensor2& tokens, int V) {
  auto tok = flat_view(tokens);
  size_t bad = 0;
  Kokkos::parallel_reduce(
      "kernels::embedding_count_bad_tokens", Kokkos::RangePolicy<ExecSpace>(0, tok.extent(0)),
      KOKKOS_LAMBDA(const size_t i, size_t& acc) { acc += (tok(i) < 0 || tok(i) >= V) ? 1 : 0; }, bad);
  return bad;
}

}  // namespace lip::kernels
