#pragma once
/* GeLU divided by its maximum slope, in two forms, as pointwise ops through elementwise.hpp.
 *
 *   tanh form (JAX default, Shakespeare GPT, ALGORITHMS §6.2):
 *     gelu(x)  = ½ x (1 + tanh u),   u = sqrt(2/π) (x + 0.044715 x³)
 *     gelu'(x) = ½ (1 + tanh u) + ½ x (1 − tanh² u) · sqrt(2/π) (1 + 3·0.044715 x²)   (§6.4)
 *   erf form (exact; NanoGPT, NANOGPT.md §1.2):
 *     gelu(x)  = x Φ(x) = ½ x (1 + erf(x/√2))
 *     gelu'(x) = Φ(x) + x φ(x),   φ(x) = exp(−x²/2) / sqrt(2π)
 *
 * Both are returned divided by `gelu_max_slope` = 1.1289, so the activation is (≈)1-Lipschitz.
 *
 * Shapes: any LayoutRight view, y and x of equal size (typically (B, T, H) with H = 4C).
 * Cached for the backward: the input x (the pre-activation), which the MLP keeps anyway.
 * Backward: dx += dy · gelu'(x) / 1.1289 (accumulates, like every backward).
 */
#include "elementwise.hpp"
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

//! Maximum slope of GeLU: exact form Φ(√2) + √2·φ(√2) = 1.128904 (at x = √2), tanh form 1.128993
//! (at x ≈ 1.4185). Dividing by it makes the activation 1-Lipschitz (tanh form: ≤ 1.00008), which
//! the Lipschitz bound (ALGORITHMS §7) assumes for the MLP branch.
constexpr double gelu_max_slope = 1.1289;

//! Which GeLU: the tanh approximation (reference GPT) or the exact erf form (NanoGPT).
enum class GeluForm { tanh, erf };

//! ½ x (1 + tanh(sqrt(2/π)(x + 0.044715 x³))) / 1.1289 and its derivative.
//! Evaluated through e = exp(−2|u|) ∈ (0, 1]: ½(1 + tanh u) = 1/(1 + e) for u ≥ 0 and e/(1 + e)
//! for u < 0, and ½(1 − tanh² u) = 2e/(1 + e)² for both signs. The same function to rounding, with
//! no overflow and no cancellation in 1 − tanh², and one exp instead of a libm tanh (which took
//! a fifth of a Shakespeare training step on the CPU; docs/PERFORMANCE.md).
struct GeluTanhScaled {
  struct Parts {
    Real half_one_plus_tanh;   // ½(1 + tanh u)
    Real half_one_minus_tanh2;  // ½(1 − tanh² u)
  };
  KOKKOS_INLINE_FUNCTION static Parts parts(Real u) {
    const Real e = math::exp_nonpositive(Real(-2) * math::fabs(u));
    const Real inv = Real(1) / (Real(1) + e);
    const Real e_inv = e * inv;  // computed outside the select, so the loop stays branch-free
    return {u >= Real(0) ? inv : e_inv, Real(2) * e_inv * inv};
  }
  KOKKOS_INLINE_FUNCTION Real value(Real x) const {
    const Real u = Real(0.7978845608028654) * (x + Real(0.044715) * x * x * x);  // sqrt(2/π) = 0.79788...
    return x * parts(u).half_one_plus_tanh * Real(1.0 / gelu_max_slope);
  }
  KOKKOS_INLINE_FUNCTION Real derivative(Real x) const {
    const Real c = Real(0.7978845608028654);
    const Parts p = parts(c * (x + Real(0.044715) * x * x * x));
    const Real du = c * (Real(1) + Real(3 * 0.044715) * x * x);
    return (p.half_one_plus_tanh + x * p.half_one_minus_tanh2 * du) * Real(1.0 / gelu_max_slope);
  }
};

//! x Φ(x) / 1.1289 (exact GeLU) and its derivative (Φ(x) + x φ(x)) / 1.1289.
struct GeluErfScaled {
  KOKKOS_INLINE_FUNCTION Real value(Real x) const {
    return Real(0.5) * x * (Real(1) + math::erf(x * Real(0.7071067811865476))) * Real(1.0 / gelu_max_slope);
  }
  KOKKOS_INLINE_FUNCTION Real derivative(Real x) const {
    const Real cdf = Real(0.5) * (Real(1) + math::erf(x * Real(0.7071067811865476)));  // Φ(x), 1/√2
    const Real pdf = Real(0.3989422804014327) * math::exp(Real(-0.5) * x * x);          // φ(x), 1/sqrt(2π)
    return (cdf + x * pdf) * Real(1.0 / gelu_max_slope);
  }
};

//! y = gelu(x) / 1.1289 (y may alias x).
template <class ViewY, class ViewX>
void gelu_forward(const ViewY& y, const ViewX& x, GeluForm form) {
  if (form == GeluForm::tanh)
    pointwise_forward("kernels::gelu_forward", y, x, GeluTanhScaled{});
  else
    pointwise_forward("kernels::gelu_forward", y, x, GeluErfScaled{});
}

//! ty = gelu'(x) / 1.1289 · tx: the forward-mode derivative (JVP) at the forward input x.
template <class ViewTY, class ViewTX, class ViewX>
void gelu_jvp(const ViewTY& ty, const ViewTX& tx, const ViewX& x, GeluForm form) {
  if (form == GeluForm::tanh)
    pointwise_jvp("kernels::gelu_jvp", ty, tx, x, GeluTanhScaled{});
  else
    pointwise_jvp("kernels::gelu_jvp", ty, tx, x, GeluErfScaled{});
}

//! dx += dy · gelu'(x) / 1.1289, with x the forward input (dx must not alias dy).
template <class ViewDX, class ViewDY, class ViewX>
void gelu_backward(const ViewDX& dx, const ViewDY& dy, const ViewX& x, GeluForm form) {
  // y = gelu(x) / 1.1289  =>  dx += dy · gelu'(x) / 1.1289
  if (form == GeluForm::tanh)
    pointwise_backward("kernels::gelu_backward", dx, dy, x, GeluTanhScaled{});
  else
    pointwise_backward("kernels::gelu_backward", dx, dy, x, GeluErfScaled{});
}

}  // namespace lip::kernels
