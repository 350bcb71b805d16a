#pragma once
/* matmul: the only place KokkosBlas::gemm is called.
 *
 *   C = alpha * op(A) * op(B) + beta * C,   op(X) = X or Xᵀ (trans = 'N' or 'T')
 *
 * All operands are row-major (LayoutRight) matrices. Row-major memory read as column-major is
 * the transpose, so the call is issued on LayoutLeft views of the same memory as
 *   Cᵀ = alpha * op(B)ᵀ * op(A)ᵀ + beta * Cᵀ,
 * which is exactly the layout the BLAS TPL (OpenBLAS, cuBLAS) accepts without a copy. The
 * benchmark bench/bench_matmul proves the TPL dispatch by its GFLOP/s.
 */
#include <KokkosBlas3_gemm.hpp>

#include "types.hpp"

namespace lip::kernels {

/// Row-major `rows x cols` contiguous matrix over existing memory (weights, activations,
/// slices of a parameter slab). Extents come from the view.
template <class ViewC, class ViewA, class ViewB>
void matmul(const ViewC& C, const ViewA& A, const ViewB& B, char trans_a, char trans_b,
            Real alpha = 1, Real beta = 0) {
  static_assert(ViewC::rank == 2 && ViewA::rank == 2 && ViewB::rank == 2, "matmul takes matrices");
  LIP_KERNEL_REQUIRE((trans_a == 'N' || trans_a == 'T') && (trans_b == 'N' || trans_b == 'T'),
                     "matmul: trans flags must be 'N' or 'T', got '" << trans_a << "', '" << trans_b << "'");
  const size_t a_rows = trans_a == 'N' ? A.extent(0) : A.extent(1);
  const size_t a_cols = trans_a == 'N' ? A.extent(1) : A.extent(0);
  const size_t b_rows = trans_b == 'N' ? B.extent(0) : B.extent(1);
  const size_t b_cols = trans_b == 'N' ? B.extent(1) : B.extent(0);
  LIP_KERNEL_REQUIRE(a_cols == b_rows && C.extent(0) == a_rows && C.extent(1) == b_cols,
                     "matmul: C(" << C.extent(0) << "x" << C.extent(1) << ") = op" << trans_a << "(A("
                                  << A.extent(0) << "x" << A.extent(1) << ")) * op" << trans_b << "(B("
                                  << B.extent(0) << "x" << B.extent(1) << ")): expected C to be "
                                  << a_rows << "x" << b_cols << " and inner extents to match ("
                                  << a_cols << " vs " << b_rows << ")");
  if (C.extent(0) == 0 || C.extent(1) == 0) return;
  using LeftConst = Kokkos::View<const Real**, Kokkos::LayoutLeft, MemSpace, Unmanaged>;
  using Left = Kokkos::View<Real**, Kokkos::LayoutLeft, MemSpace, Unmanaged>;
  // Row-major X (r x c) == column-major Xᵀ (c x r) over the same memory.
  LeftConst a_t(A.data(), A.extent(1), A.extent(0));
  LeftConst b_t(B.data(), B.extent(1), B.extent(0));
  Left c_t(C.data(), C.extent(1), C.extent(0));
  if (a_cols == 0) {  // empty inner dimension: C = beta*C (BLAS would reject ld = 0)
    Kokkos::parallel_for("kernels::matmul_scale_only", Kokkos::RangePolicy<ExecSpace>(0, C.span()),
                         KOKKOS_LAMBDA(const size_t i) { c_t.data()[i] *= beta; });
    return;
  }
  const char tb[2] = {trans_b, '\0'};
  const char ta[2] = {trans_a, '\0'};
  // Cᵀ = alpha * op(B)ᵀ * op(A)ᵀ + beta * Cᵀ
  KokkosBlas::gemm(tb, ta, alpha, b_t, a_t, beta, c_t);
}

}  // namespace lip::kernels
