#pragma once
// Host <-> device helpers and comparisons shared by the transformer-op tests (embedding, rope,
// attention, gelu, residual, norms and their finite-difference checks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
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

constexpr double fd_step = 1e-6;
constexpr double fd_tolerance = 1e-5;

//! Central differences of `loss` at x, one coordinate at a time.
inline std::vector<double> fd_gradient(std::vector<double> x,
                                       const std::function<double(const std::vector<double>&)>& loss) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    x[i] = x0 + fd_step;
    const double fp = loss(x);
    x[i] = x0 - fd_step;
    const double fm = loss(x);
    x[i] = x0;
    g[i] = (fp - fm) / (2 * fd_step);
  }
  return g;
}

//! Expects relative_gradient_error < fd_tolerance and a gradient that is not (nearly) zero (the
//! check would be vacuous); prints and returns the error.
inline double expect_gradient(const std::string& name, const std::vector<double>& fd,
                              const std::vector<double>& analytic) {
  const double err = relative_gradient_error(fd, analytic);
  EXPECT_LT(err, fd_tolerance) << name << ": relative gradient error " << err;
  std::printf("  %-40s relative error %.2e\n", name.c_str(), err);
  double mx = 0;
  for (double a : analytic) mx = std::max(mx, std::abs(a));
  EXPECT_GT(mx, 1e-3) << name << ": gradient is (nearly) zero, the check would be vacuous";
  return err;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b);

//! Finite-difference check of an attention kernel on random q, k, v (B, T, NH·HS), loss ⟨w, out⟩:
//! `forward(out, q, k, v)` runs the kernel's forward (its cache is the caller's), `backward(dq, dk, dv,
//! w, q, k, v, out)` adds the gradients given dout = w after a forward at the unperturbed inputs.
inline void check_attention_gradients(
    const std::string& name, size_t B, size_t T, int NH, size_t HS,
    const std::function<void(const kernels::Tensor3&, const kernels::Tensor3&, const kernels::Tensor3&,
                             const kernels::Tensor3&)>& forward,
    const std::function<void(const kernels::Tensor3&, const kernels::Tensor3&, const kernels::Tensor3&,
                             const kernels::Tensor3&, const kernels::Tensor3&, const kernels::Tensor3&,
                             const kernels::Tensor3&, const kernels::Tensor3&)>& backward) {
  const size_t C = size_t(NH) * HS;
  kernels::Tensor3 q("q", B, T, C), k("k", B, T, C), v("v", B, T, C), out("out", B, T, C), w("w", B, T, C);
  const auto hq = fill_random(q, 5, 1.5), hk = fill_random(k, 6, 1.5), hv = fill_random(v, 7), hw = fill_random(w, 8);
  auto run = [&]() {
    forward(out, q, k, v);
    return dot(to_host_vector(out), hw);
  };
  auto fd_of = [&](const kernels::Tensor3& x, const std::vector<double>& hx) {
    const auto fd = fd_gradient(hx, [&](const std::vector<double>& y) { to_device_vector(x, y); return run(); });
    to_device_vector(x, hx);
    return fd;
  };
  const auto fd_q = fd_of(q, hq), fd_k = fd_of(k, hk), fd_v = fd_of(v, hv);
  run();  // the forward's cache for the unperturbed inputs
  kernels::Tensor3 dq("dq", B, T, C), dk("dk", B, T, C), dv("dv", B, T, C);
  backward(dq, dk, dv, w, q, k, v, out);
  expect_gradient(name + " dq", fd_q, to_host_vector(dq));
  expect_gradient(name + " dk", fd_k, to_host_vector(dk));
  expect_gradient(name + " dv", fd_v, to_host_vector(dv));
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace lip::test
