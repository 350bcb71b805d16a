#pragma once
// Small test utilities: random device tensors, host copies of vectors, index tensors.
#include <vector>

#include "kernels/reference/host_matrix.hpp"
#include "kernels/rng.hpp"

namespace lip::test {

inline kernels::Tensor2 random_tensor(size_t rows, size_t cols, uint64_t stream, double scale = 1.0) {
  kernels::Tensor2 t("random", rows, cols);
  kernels::fill_normal(t, 1234, stream);
  if (scale != 1.0) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t);
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j) h(i, j) *= kernels::Real(scale);
    Kokkos::deep_copy(t, h);
  }
  return t;
}

inline kernels::IndexTensor1 index_tensor(const std::vector<int>& values) {
  kernels::IndexTensor1 t("indices", values.size());
  auto h = Kokkos::create_mirror_view(t);
  for (size_t i = 0; i < values.size(); ++i) h(i) = values[i];
  Kokkos::deep_copy(t, h);
  return t;
}

inline std::vector<int> random_labels(size_t n, int classes, uint64_t stream) {
  std::vector<int> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = int(kernels::uniform_draw(99, stream, i) * classes);
  return y;
}

}  // namespace lip::test
