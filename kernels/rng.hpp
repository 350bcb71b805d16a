#pragma once
/* Counter-based random numbers: every draw is a pure function of (seed, stream, counter), so
 * results do not depend on thread count, rank count or backend. The generator is Philox-4x32-10
 * (Salmon et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3"), the same family cuRAND
 * and JAX use; normals come from Box–Muller on two uniforms.
 *
 * Convention: a tensor of n normal draws uses counters 0..n-1 of its own stream (e.g. a
 * parameter's index), so draws for entry i never depend on how the loop is split.
 */
#include <cstdint>

#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

struct Philox4x32 {
  uint32_t v[4];
};

/// Philox-4x32-10 block: 4 uniform 32-bit words for (key = seed, counter = (stream, index)).
KOKKOS_INLINE_FUNCTION Philox4x32 philox4x32(uint64_t seed, uint64_t stream, uint64_t index) {
  uint32_t c0 = uint32_t(index), c1 = uint32_t(index >> 32), c2 = uint32_t(stream), c3 = uint32_t(stream >> 32);
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  constexpr uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(M0) * c0;
    const uint64_t p1 = uint64_t(M1) * c2;
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n1 = uint32_t(p1);
    const uint32_t n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    const uint32_t n3 = uint32_t(p0);
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += W0; k1 += W1;
  }
  return Philox4x32{{c0, c1, c2, c3}};
}

/// Uniform double in (0, 1) from two 32-bit words (53 random bits, never exactly 0 or 1).
KOKKOS_INLINE_FUNCTION double uniform_open01(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (uint64_t(hi) << 21) ^ uint64_t(lo >> 11);
  return (double(bits & ((uint64_t(1) << 53) - 1)) + 0.5) * (1.0 / 9007199254740992.0);
}

/// Standard normal draw number `index` of `stream` under `seed` (Box–Muller, cosine branch).
KOKKOS_INLINE_FUNCTION double normal_draw(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4x32 r = philox4x32(seed, stream, index);
  const double u1 = uniform_open01(r.v[0], r.v[1]);
  const double u2 = uniform_open01(r.v[2], r.v[3]);
  return math::sqrt(-2.0 * math::log(u1)) * math::cos(6.283185307179586 * u2);
}

/// Uniform double in [0, 1) draw number `index` of `stream`.
KOKKOS_INLINE_FUNCTION double uniform_draw(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4x32 r = philox4x32(seed, stream, index);
  return uniform_open01(r.v[0], r.v[1]) - 0.5 / 9007199254740992.0;
}

/// Fill x (any LayoutRight view, flat order) with N(0, 1) draws of `stream`.
template <class ViewX>
void fill_normal(const ViewX& x, uint64_t seed, uint64_t stream) {
  auto xv = as_vector(x);
  Kokkos::parallel_for("kernels::fill_normal", Kokkos::RangePolicy<ExecSpace>(0, xv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { xv(i) = Real(normal_draw(seed, stream, i)); });
}

}  // namespace lip::kernels
