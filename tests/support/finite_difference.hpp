#pragma once
/* Central finite differences for gradient checks (double builds).
 *
 * `check_gradient(values, analytic, loss)` perturbs every entry of `values` (a host vector that
 * `loss()` reads through a device copy the caller refreshes) by ±h and compares
 * (loss(+h) − loss(−h)) / 2h with the analytic gradient. Returns the max relative error
 * max|fd − analytic| / max(max|analytic|, 1e-12) over all entries.
 */
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "kernels/types.hpp"

namespace lip::test {

//! Every entry of a device view, on the host (works for any memory space).
template <class ViewT>
std::vector<double> host_entries(const ViewT& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), kernels::as_vector(v));
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}
//! Entry j (flat, row-major) of a device view, read and written one element at a time through
//! deep_copy, so a finite-difference loop works on device memory too.
template <class ViewT>
double read_entry(const ViewT& v, size_t j) {
  kernels::Real x;
  Kokkos::deep_copy(x, Kokkos::subview(kernels::as_vector(v), j));
  return double(x);
}
template <class ViewT>
void write_entry(const ViewT& v, size_t j, double x) {
  Kokkos::deep_copy(Kokkos::subview(kernels::as_vector(v), j), kernels::Real(x));
}

inline double max_relative_error(const std::vector<double>& fd, const std::vector<double>& analytic) {
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < fd.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(fd[i] - analytic[i]));
    max_ref = std::max(max_ref, std::abs(analytic[i]));
  }
  return max_diff / std::max(max_ref, 1e-12);
}

/// `set(i, value)` writes entry i of the perturbed tensor, `loss()` evaluates the scalar loss.
inline std::vector<double> central_differences(size_t count, const std::function<double(size_t)>& get,
                                               const std::function<void(size_t, double)>& set,
                                               const std::function<double()>& loss, double h = 1e-6) {
  std::vector<double> fd(count);
  for (size_t i = 0; i < count; ++i) {
    const double x0 = get(i);
    set(i, x0 + h);
    const double lp = loss();
    set(i, x0 - h);
    const double lm = loss();
    set(i, x0);
    fd[i] = (lp - lm) / (2 * h);
  }
  return fd;
}

}  // namespace lip::test
