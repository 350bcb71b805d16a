#pragma once
// Host <-> device helpers and comparisons shared by the transformer-op tests (embedding, rope,
// attention, gelu, residual, norms and their finite-difference checks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/types.hpp"

namespace lip::test {

//! Flat host copy (as double) of any LayoutRight device view.
template <class ViewT>
std::vector<double> to_host_vector(const ViewT& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  std::vector<double> out(v.span());
  for (size_t i = 0; i < out.size(); ++i) out[i] = double(h.data()[i]);
  return out;
}

//! Copy a flat host vector into a LayoutRight device view of the same size.
template <class ViewT>
void to_device_vector(const ViewT& v, const std::vector<double>& x) {
  auto h = Kokkos::create_mirror_view(v);
  for (size_t i = 0; i < x.size(); ++i) h.data()[i] = typename ViewT::non_const_value_type(x[i]);
  Kokkos::deep_copy(v, h);
}

//! n draws of N(0, 1) from a seeded host generator.
inline std::vector<double> normal_vector(size_t n, unsigned seed, double stddev = 1.0) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> dist(0.0, stddev);
  std::vector<double> x(n);
  for (auto& e : x) e = dist(gen);
  return x;
}

//! Fill a device view with N(0, stddev) (seeded, host-generated) and return the host copy.
template <class ViewT>
std::vector<double> fill_random(const ViewT& v, unsigned seed, double stddev = 1.0) {
  auto x = normal_vector(v.span(), seed, stddev);
  to_device_vector(v, x);
  return to_host_vector(v);  // rounded to Real, so references see exactly what the kernel sees
}

//! Expect |got − want| ≤ atol + rtol·|want| everywhere; reports max difference, worst index and
//! the first few mismatches.
inline void expect_close(const std::string& name, const std::vector<double>& got, const std::vector<double>& want,
                         double atol, double rtol) {
  ASSERT_EQ(got.size(), want.size()) << name << ": sizes differ";
  double worst = 0;
  size_t worst_i = 0, bad = 0;
  std::ostringstream first;
  for (size_t i = 0; i < got.size(); ++i) {
    const double diff = std::abs(got[i] - want[i]);
    if (!(diff <= atol + rtol * std::abs(want[i]))) {
      if (bad < 5) first << "  [" << i << "] got " << got[i] << " want " << want[i] << "\n";
      ++bad;
    }
    if (diff > worst || std::isnan(diff)) {
      worst = diff;
      worst_i = i;
    }
  }
  EXPECT_EQ(bad, 0u) << name << ": " << bad << " of " << got.size() << " entries off; max |diff| " << worst
                     << " at " << worst_i << "\n"
                     << first.str();
}

//! max|fd − analytic| / max(max|analytic|, tiny): the gradient-check error measure.
inline double relative_gradient_error(const std::vector<double>& fd, const std::vector<double>& analytic) {
  double num = 0, den = 0;
  for (size_t i = 0; i < fd.size(); ++i) {
    num = std::max(num, std::abs(fd[i] - analytic[i]));
    den = std::max(den, std::abs(analytic[i]));
  }
  return num / std::max(den, 1e-300);
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace lip::test
