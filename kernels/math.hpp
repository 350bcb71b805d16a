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

#undef LIP_KOKKOS_MATH_NS

}  // namespace lip::kernels::math
