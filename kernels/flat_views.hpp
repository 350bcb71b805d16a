#pragma once
/* Const-correct unmanaged re-views used by the transformer kernels (embedding, rope, attention,
 * norms, residual). `as_vector` / `as_matrix` in types.hpp take non-const tensors; these keep the
 * value type of their argument, so a ConstTensor3 becomes a `const Real` matrix over the same
 * memory (never a copy).
 */
#include "types.hpp"

namespace lip::kernels {

//! Flat unmanaged view over all `span()` entries of a LayoutRight view, keeping its constness.
template <class ViewT>
Kokkos::View<typename ViewT::value_type*, Layout, MemSpace, Unmanaged> flat_view(const ViewT& x) {
  return Kokkos::View<typename ViewT::value_type*, Layout, MemSpace, Unmanaged>(x.data(), x.span());
}

//! Row-major `rows x cols` unmanaged matrix over `data` (constness follows the pointer).
template <class T>
Kokkos::View<T**, Layout, MemSpace, Unmanaged> matrix_view(T* data, size_t rows, size_t cols) {
  return Kokkos::View<T**, Layout, MemSpace, Unmanaged>(data, rows, cols);
}

}  // namespace lip::kernels
