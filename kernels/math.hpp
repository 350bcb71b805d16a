#pragma once
/* Device-callable scalar math. Kokkos 3.4 keeps these in Kokkos::Experimental; Kokkos >= 3.7
 * (and 4.x, which drops the Experimental aliases) has them in Kokkos::. This header is the one
 * place that difference is handled (docs/KOKKOS_COMPAT.md).
 */
#include <Kokkos_Core.hpp>

namespace lip::kernels::math {

#if KOKKOS_VERSION >= 30700
#define LIP_KOKKOS_MATH_NS Kokkos
#else
#define LIP_KOKKOS_MATH_NS Kokkos::Experimental
#endif

template <class T> KOKKOS_INLINE_FUNCTION T sqrt(T x) { return LIP_KOKKOS_MATH_NS::sqrt(x); }
template <class T> KOKKOS_INLINE_FUNCTION T exp(T x) { return LIP_KOKKOS_MATH_NS::exp(x); }
template <class T> KOKKOS_INLINE_FUNCTION T log(T x) { return LIP_KOKKOS_MATH_NS::log(x); }
template <class T> KOKKOS_INLINE_FUNCTION T tanh(T x) { return LIP_KOKKOS_MATH_NS::tanh(x); }
template <class T> KOKKOS_INLINE_FUNCTION T erf(T x) { return LIP_KOKKOS_MATH_NS::erf(x); }
template <class T> KOKKOS_INLINE_FUNCTION T sin(T x) { return LIP_KOKKOS_MATH_NS::sin(x); }
template <class T> KOKKOS_INLINE_FUNCTION T cos(T x) { return LIP_KOKKOS_MATH_NS::cos(x); }
template <class T> KOKKOS_INLINE_FUNCTION T pow(T x, T y) { return LIP_KOKKOS_MATH_NS::pow(x, y); }
template <class T> KOKKOS_INLINE_FUNCTION T fabs(T x) { return x < T(0) ? -x : x; }

//! exp(x) for x <= 0 (softmax and GeLU arguments), in (0, 1]. In float on the host: Cody–Waite
//! reduction x = n·ln2 + r, |r| <= ln2/2, a degree-7 polynomial for exp(r) (Cephes expf
//! coefficients) and 2^n assembled in the exponent bits; relative error < 2.5e-7 against exp in
//! double over [-87.3, 0] (test_gelu; 8e-8 measured), 0 below -87.3 where expf is denormal. NaN
//! propagates. Positive arguments are outside its contract (they give 1). Unlike libm's
//! expf it has no call and no branch, so a pointwise loop over it vectorizes (docs/PERFORMANCE.md).
//! Double, and the device (whose expf is a fast intrinsic), use exp itself.
template <class T> KOKKOS_INLINE_FUNCTION T exp_nonpositive(T x) { return exp(x); }
KOKKOS_INLINE_FUNCTION float exp_nonpositive(float x) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__) || defined(__SYCL_DEVICE_ONLY__)
  return exp(x);
#else
  const float below = x < -87.3f ? 0.0f : 1.0f;  // exp underflows to 0 (expf: denormals)
  // Clamped to [-87.3, 0], NaN included, so that the int conversion and the shift below are defined.
  const float xc = x >= -87.3f ? (x < 0.0f ? x : 0.0f) : -87.3f;
  const int n = int(xc * 1.44269504088896341f - 0.5f);  // round(xc / ln2) for xc <= 0 (truncates toward 0)
  const float nf = float(n);
  float r = xc - nf * 0.693359375f;  // ln2 split in two (Cody–Waite): exact high part ...
  r = r + nf * 2.12194440e-4f;      // ... and the low part
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int bits = (n + 127) << 23;  // 2^n, n in [-126, 0]
  float scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  const float value = p * scale * below;
  return x == x ? value : x;  // NaN propagates
#endif
}

#undef LIP_KOKKOS_MATH_NS

}  // namespace lip::kernels::math
