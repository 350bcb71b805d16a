#pragma once
/* Host-only naive linear algebra used as a test oracle: a row-major matrix type, copies to and
 * from device tensors, a triple-loop gemm, and an exact SVD through LAPACK (dgesdd). Never used
 * by the library itself.
 */
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/types.hpp"

extern "C" void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
                        double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
                        int* iwork, int* info);

namespace lip::kernels::reference {

struct HostMatrix {
  size_t rows = 0, cols = 0;
  std::vector<double> data;
  HostMatrix() = default;
  HostMatrix(size_t r, size_t c, double fill = 0) : rows(r), cols(c), data(r * c, fill) {}
  double& operator()(size_t i, size_t j) { return data[i * cols + j]; }
  double operator()(size_t i, size_t j) const { return data[i * cols + j]; }
};

template <class ViewT>
HostMatrix to_host(const ViewT& v) {
  static_assert(ViewT::rank == 2, "to_host takes a matrix");
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  HostMatrix m(v.extent(0), v.extent(1));
  for (size_t i = 0; i < m.rows; ++i)
    for (size_t j = 0; j < m.cols; ++j) m(i, j) = double(h(i, j));
  return m;
}

template <class ViewT>
void to_device(const ViewT& v, const HostMatrix& m) {
  auto h = Kokkos::create_mirror_view(v);
  for (size_t i = 0; i < m.rows; ++i)
    for (size_t j = 0; j < m.cols; ++j) h(i, j) = typename ViewT::non_const_value_type(m(i, j));
  Kokkos::deep_copy(v, h);
}

/// alpha * op(A) op(B) + beta * C by the triple loop.
inline HostMatrix gemm(const HostMatrix& A, const HostMatrix& B, const HostMatrix& C, char ta, char tb,
                       double alpha, double beta) {
  auto a = [&](size_t i, size_t k) { return ta == 'N' ? A(i, k) : A(k, i); };
  auto b = [&](size_t k, size_t j) { return tb == 'N' ? B(k, j) : B(j, k); };
  const size_t inner = ta == 'N' ? A.cols : A.rows;
  HostMatrix out = C;
  for (size_t i = 0; i < C.rows; ++i)
    for (size_t j = 0; j < C.cols; ++j) {
      double s = 0;
      for (size_t k = 0; k < inner; ++k) s += a(i, k) * b(k, j);
      out(i, j) = alpha * s + beta * C(i, j);
    }
  return out;
}

struct Svd {
  HostMatrix U;              // rows x r
  std::vector<double> s;     // r singular values, descending
  HostMatrix Vt;             // r x cols
};

/// Thin SVD A = U diag(s) Vt by LAPACK dgesdd (double precision).
inline Svd svd(const HostMatrix& A) {
  const int m = int(A.rows), n = int(A.cols), r = std::min(m, n);
  // LAPACK is column-major: pass Aᵀ (row-major A read as column-major) and swap roles.
  std::vector<double> a = A.data;  // column-major n x m == Aᵀ
  std::vector<double> s(r), u(size_t(n) * r), vt(size_t(r) * m);
  int lwork = -1, info = 0;
  std::vector<int> iwork(8 * size_t(r));
  double query = 0;
  const char jobz = 'S';
  dgesdd_(&jobz, &n, &m, a.data(), &n, s.data(), u.data(), &n, vt.data(), &r, &query, &lwork, iwork.data(), &info);
  lwork = int(query);
  std::vector<double> work(static_cast<size_t>(lwork));
  a = A.data;
  dgesdd_(&jobz, &n, &m, a.data(), &n, s.data(), u.data(), &n, vt.data(), &r, work.data(), &lwork, iwork.data(), &info);
  if (info != 0) throw std::runtime_error("dgesdd failed with info " + std::to_string(info));
  // Aᵀ = u s vt (column-major)  =>  A = vtᵀ s uᵀ. In row-major terms: U(i,k) = vt[k + i*r]... handle explicitly.
  Svd out{HostMatrix(size_t(m), size_t(r)), s, HostMatrix(size_t(r), size_t(n))};
  // column-major vt is r x m: element (k, i) at vt[k + i*r]; A's left vectors are its rows.
  for (int i = 0; i < m; ++i)
    for (int k = 0; k < r; ++k) out.U(size_t(i), size_t(k)) = vt[size_t(k) + size_t(i) * r];
  // column-major u is n x r: element (j, k) at u[j + k*n]; A's right vectors Vt(k, j) = u(j, k).
  for (int k = 0; k < r; ++k)
    for (int j = 0; j < n; ++j) out.Vt(size_t(k), size_t(j)) = u[size_t(j) + size_t(k) * n];
  return out;
}

inline std::vector<double> singular_values(const HostMatrix& A) { return svd(A).s; }

}  // namespace lip::kernels::reference
