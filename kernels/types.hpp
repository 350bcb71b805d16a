#pragma once
/* View aliases shared by every kernel.
 *
 * Real is float by default; configure with -DLIP_REAL_DOUBLE=ON (the `lip_double` library that
 * the gradient-check tests link) to get double. All tensors are LayoutRight (row-major) in the
 * default execution space's memory; `(B, T, C)` activations are viewed as `(B*T, C)` matrices
 * through `as_matrix` (an unmanaged View over the same memory, never a copy).
 */
#include <Kokkos_Core.hpp>

#include <sstream>
#include <stdexcept>

namespace lip::kernels {

#ifdef LIP_REAL_DOUBLE
using Real = double;
#else
using Real = float;
#endif

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;
using Layout = Kokkos::LayoutRight;

template <class T>
using View1 = Kokkos::View<T*, Layout, MemSpace>;
template <class T>
using View2 = Kokkos::View<T**, Layout, MemSpace>;
template <class T>
using View3 = Kokkos::View<T***, Layout, MemSpace>;
template <class T>
using View4 = Kokkos::View<T****, Layout, MemSpace>;

using Tensor1 = View1<Real>;
using Tensor2 = View2<Real>;
using Tensor3 = View3<Real>;
using Tensor4 = View4<Real>;
using ConstTensor1 = View1<const Real>;
using ConstTensor2 = View2<const Real>;
using ConstTensor3 = View3<const Real>;
using ConstTensor4 = View4<const Real>;
using IndexTensor1 = View1<int>;
using IndexTensor2 = View2<int>;
using ConstIndexTensor1 = View1<const int>;

using Unmanaged = Kokkos::MemoryTraits<Kokkos::Unmanaged>;
using MatrixView = Kokkos::View<Real**, Layout, MemSpace, Unmanaged>;
using VectorView = Kokkos::View<Real*, Layout, MemSpace, Unmanaged>;

/// View a rank-3 tensor (B, T, C) as the (B*T, C) matrix over the same memory.
inline MatrixView as_matrix(const Tensor3& x) {
  return MatrixView(x.data(), x.extent(0) * x.extent(1), x.extent(2));
}

/// View a contiguous block of `rows*cols` reals (e.g. a slice of a parameter slab) as a matrix.
inline MatrixView as_matrix(Real* data, size_t rows, size_t cols) { return MatrixView(data, rows, cols); }

/// View any LayoutRight tensor as a flat vector over the same memory.
template <class ViewT>
inline VectorView as_vector(const ViewT& x) {
  return VectorView(x.data(), x.span());
}

}  // namespace lip::kernels

namespace lip::kernels {
/// Kernels validate host-side before launching and report with std::invalid_argument (the
/// drivers print it like any lip::Error); `kernels/` never includes from `src/`.
#define LIP_KERNEL_REQUIRE(cond, msg)                        \
  do {                                                       \
    if (!(cond)) {                                           \
      std::ostringstream lip_kernel_os_;                     \
      lip_kernel_os_ << msg;                                 \
      throw std::invalid_argument(lip_kernel_os_.str());     \
    }                                                        \
  } while (0)
}  // namespace lip::kernels
