#pragma once
/* Rotary position embedding on queries or keys laid out (B, T, NH*HS): head j owns features
 * [j*HS, (j+1)*HS). Positions are t = 0..T−1 within each sequence. Every variant pairs the two
 * halves of a head, a = x[i] and b = x[i + HS/2] for i < HS/2, and maps each pair by a 2×2
 * orthogonal matrix of the angle θ[t, i] = t·ω_i (c = cos θ, s = sin θ):
 *
 *   textbook  (RopeVariant::textbook, the default; GPT-NeoX / Llama "rotate_half" layout):
 *       ω_i = base^(−2i/HS) = base^(−i/(HS/2)), base = 10000
 *       a' = c·a − s·b,   b' = s·a + c·b            (rotation by +θ)
 *   reference (RopeVariant::reference; the JAX reference code exactly, ALGORITHMS §6.2): same ω_i;
 *       the code swaps sin/cos and the output halves, which gives
 *       a' = c·a + s·b,   b' = s·a − c·b            (a reflection; still orthogonal, and q·k
 *                                                    still depends only on t − u)
 *   nanogpt   (RopeVariant::nanogpt; half-truncated rotary, NANOGPT.md §1.3):
 *       ω_i = (1/base)^(i/(HS/4 − 1)) for i < HS/4 (HS/4 frequencies from 1 down to 1/base,
 *       base = 1024; ω_0 = 1 when HS = 4), ω_i = 0 for HS/4 ≤ i < HS/2 (those pairs pass through)
 *       a' = c·a + s·b,   b' = −s·a + c·b           (rotation by −θ)
 *
 * Angles are formed and evaluated in double (accurate at large t), then rounded to Real once
 * into a table (NanoGPT's script does this in fp32; the difference is rounding only).
 *
 * Shapes: x, y, dx, dy (B, T, NH*HS). Table: cos θ, sin θ (T_max, HS/2), built once at setup by
 * make_rope_table (a constant, not a cache); T ≤ T_max.
 * Cached for the backward: nothing (the map is linear, fixed by t).
 * Backward: dx += Mᵀ dy per pair (the transpose map).
 */
#include "flat_views.hpp"
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

//! Which rotary convention (see the header comment for the exact maps).
enum class RopeVariant { textbook, reference, nanogpt };

//! cos/sin table for one variant and head size; built once (allocation at setup only).
struct RopeTable {
  RopeVariant variant = RopeVariant::textbook;
  double base = 0;     // frequency base actually used (after resolving the default)
  Tensor2 cos_theta;   // (T_max, HS/2)
  Tensor2 sin_theta;   // (T_max, HS/2)
};

//! Frequency base used when make_rope_table gets base = 0: 10000 (textbook, reference), 1024 (nanogpt).
inline double rope_default_base(RopeVariant variant) { return variant == RopeVariant::nanogpt ? 1024.0 : 10000.0; }

//! Allocate and fill the cos/sin table for positions 0..max_seq_len−1 (base 0 = variant default).
inline RopeTable make_rope_table(RopeVariant variant, int max_seq_len, int head_size, double base = 0) {
  LIP_KERNEL_REQUIRE(head_size > 0 && head_size % 2 == 0,
                     "make_rope_table: head size must be positive and even, got " << head_size);
  LIP_KERNEL_REQUIRE(variant != RopeVariant::nanogpt || head_size % 4 == 0,
                     "make_rope_table: the nanogpt (half-truncated) variant needs head size % 4 == 0, got "
                         << head_size);
  LIP_KERNEL_REQUIRE(max_seq_len >= 0, "make_rope_table: max_seq_len must be >= 0, got " << max_seq_len);
  LIP_KERNEL_REQUIRE(base >= 0, "make_rope_table: base must be > 0 (or 0 for the default), got " << base);
  RopeTable table;
  table.variant = variant;
  table.base = base > 0 ? base : rope_default_base(variant);
  const int half = head_size / 2;
  table.cos_theta = Tensor2("RopeTable::cos_theta", size_t(max_seq_len), size_t(half));
  table.sin_theta = Tensor2("RopeTable::sin_theta", size_t(max_seq_len), size_t(half));
  auto cos_t = table.cos_theta;
  auto sin_t = table.sin_theta;
  const double b = table.base;
  const bool truncated = variant == RopeVariant::nanogpt;
  const int quarter = head_size / 4;
  Kokkos::parallel_for("kernels::rope_table", Kokkos::RangePolicy<ExecSpace>(0, size_t(max_seq_len) * half),
                       KOKKOS_LAMBDA(const size_t idx) {
                         const int t = int(idx / half), i = int(idx % half);
                         double omega;
                         if (!truncated) {
                           omega = math::pow(b, -double(i) / double(half));  // base^(−2i/HS)
                         } else if (i < quarter) {
                           // linspace(0, 1, HS/4)[i] as the exponent of 1/base
                           omega = quarter > 1 ? math::pow(b, -double(i) / double(quarter - 1)) : 1.0;
                         } else {
                           omega = 0.0;  // half-truncation: these pairs are not rotated
                         }
                         const double theta = double(t) * omega;
                         cos_t(t, i) = Real(math::cos(theta));
                         sin_t(t, i) = Real(math::sin(theta));
                       });
  return table;
}

namespace detail {
//! Signs of the pair map [[c, σ01·s], [σ10·s, σ11·c]] (see the header comment); the transpose
//! (backward) swaps σ01 and σ10.
struct RopeSigns {
  Real s01, s10, s11;
};
inline RopeSigns rope_signs(RopeVariant variant, bool transpose) {
  RopeSigns m{};
  switch (variant) {
    case RopeVariant::textbook: m = {Real(-1), Real(1), Real(1)}; break;
    case RopeVariant::reference: m = {Real(1), Real(1), Real(-1)}; break;
    case RopeVariant::nanogpt: m = {Real(1), Real(-1), Real(1)}; break;
  }
  if (transpose) {
    const Real t = m.s01;
    m.s01 = m.s10;
    m.s10 = t;
  }
  return m;
}

inline void check_rope_shapes(const char* op, const ConstTensor3& out, const ConstTensor3& in, int n_head,
                              const RopeTable& table) {
  const size_t half = table.cos_theta.extent(1);
  LIP_KERNEL_REQUIRE(n_head > 0 && half > 0 && in.extent(2) == size_t(n_head) * 2 * half &&
                         out.extent(0) == in.extent(0) && out.extent(1) == in.extent(1) &&
                         out.extent(2) == in.extent(2) && in.extent(1) <= table.cos_theta.extent(0),
                     op << ": input (" << in.extent(0) << ", " << in.extent(1) << ", " << in.extent(2)
                        << "), output (" << out.extent(0) << ", " << out.extent(1) << ", " << out.extent(2)
                        << "), n_head " << n_head << ", table (" << table.cos_theta.extent(0) << ", " << half
                        << "); expected both (B, T, NH*HS) with NH*HS = " << n_head << "*" << 2 * half
                        << " and T <= " << table.cos_theta.extent(0));
}

// out = M x per pair (M or Mᵀ chosen by the signs); accumulate adds instead of overwriting.
inline void rope_apply(const char* label, const Tensor3& out, const ConstTensor3& in, int n_head,
                       const RopeTable& table, bool transpose, bool accumulate) {
  const size_t B = in.extent(0), T = in.extent(1), C = in.extent(2);
  const size_t half = table.cos_theta.extent(1), HS = 2 * half, NH = size_t(n_head);
  const RopeSigns m = rope_signs(table.variant, transpose);
  auto cos_t = table.cos_theta;
  auto sin_t = table.sin_theta;
  auto X = matrix_view(in.data(), B * T, C);
  auto Y = matrix_view(out.data(), B * T, C);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, B * T * NH * half), KOKKOS_LAMBDA(const size_t idx) {
    const size_t i = idx % half;
    const size_t head = (idx / half) % NH;
    const size_t row = idx / (half * NH);  // b*T + t
    const size_t t = row % T;
    const size_t ca = head * HS + i, cb = ca + half;
    const Real c = cos_t(t, i), s = sin_t(t, i);
    const Real a = X(row, ca), b = X(row, cb);
    const Real a2 = c * a + m.s01 * s * b;
    const Real b2 = m.s10 * s * a + m.s11 * c * b;
    if (accumulate) {
      Y(row, ca) += a2;
      Y(row, cb) += b2;
    } else {
      Y(row, ca) = a2;
      Y(row, cb) = b2;
    }
  });
}
}  // namespace detail

//! y = rope(x) per head and position (y may alias x: each pair is read before it is written).
inline void rope_forward(const Tensor3& y,          // (B, T, NH*HS)
                         const ConstTensor3& x,     // (B, T, NH*HS)
                         int n_head, const RopeTable& table) {
  detail::check_rope_shapes("rope_forward", y, x, n_head, table);
  detail::rope_apply("kernels::rope_forward", y, x, n_head, table, /*transpose=*/false, /*accumulate=*/false);
}

//! ty = rope(tx): the rotation is linear, so its JVP is the forward on the tangent (ty may alias tx).
inline void rope_jvp(const Tensor3& ty, const ConstTensor3& tx, int n_head, const RopeTable& table) {
  detail::check_rope_shapes("rope_jvp", ty, tx, n_head, table);
  detail::rope_apply("kernels::rope_jvp", ty, tx, n_head, table, /*transpose=*/false, /*accumulate=*/false);
}

//! dx += Mᵀ dy per pair (the transpose of the forward map). dx must not alias dy.
inline void rope_backward(const Tensor3& dx,         // (B, T, NH*HS)
                          const ConstTensor3& dy,    // (B, T, NH*HS)
                          int n_head, const RopeTable& table) {
  detail::check_rope_shapes("rope_backward", dx, dy, n_head, table);
  LIP_KERNEL_REQUIRE(dx.data() != dy.data(), "rope_backward: dx must not alias dy (gradients accumulate)");
  // y = M x  =>  dx += Mᵀ dy
  detail::rope_apply("kernels::rope_backward", dx, dy, n_head, table, /*transpose=*/true, /*accumulate=*/true);
}

}  // namespace lip::kernels
