// Newton–Schulz in double precision (lip_double): the matrix iteration reproduces the scalar
// composite to ~1e-11 and the host reference to ~1e-12, and the msign table reaches 1 to ~1e-12.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "kernels/newton_schulz.hpp"
#include "kernels/reference/spectral_reference.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;

static_assert(sizeof(k::Real) == sizeof(double), "this test links lip_double");

namespace {
k::Tensor2 device_copy(const ref::HostMatrix& A) {
  k::Tensor2 d("A", A.rows, A.cols);
  ref::to_device(d, A);
  return d;
}
}  // namespace

TEST(NewtonSchulzDouble, MatchesHostReferenceOnOddShapes) {
  const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 3}, {17, 5}, {33, 33}};
  for (auto sh : shapes) {
    for (const auto& name : k::ns_table_names()) {
      const size_t m = sh[0], n = sh[1];
      k::Tensor2 X("X", m, n), out("out", m, n);
      k::fill_normal(X, 3, m * 100 + n);
      k::NsWorkspace ws(m, n);
      const auto hX = ref::to_host(X);
      k::newton_schulz(out, X, ws, k::ns_table(name));
      const auto expect = ref::newton_schulz_reference(hX, k::ns_table(name));
      const auto got = ref::to_host(out);
      for (size_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(got.data[i], expect.data[i], 1e-12) << name << " " << m << "x" << n << " entry " << i;
    }
  }
}

TEST(NewtonSchulzDouble, SingularValuesFollowTheComposite) {
  const size_t m = 256, n = 96;
  const auto s = ref::banded_spectrum(n, 0.003);
  const auto X = device_copy(ref::random_with_spectrum(m, n, s, 4));
  k::Tensor2 out("out", m, n);
  k::NsWorkspace ws(m, n);
  for (const char* name : {"reference6", "nanogpt5", "quintic"}) {
    const auto& t = k::ns_table(name);
    k::newton_schulz(out, X, ws, t);
    auto got = ref::singular_values_only(ref::to_host(out));
    std::vector<double> expect;
    for (double x : s) expect.push_back(k::ns_composite(t, x));
    std::sort(got.begin(), got.end());
    std::sort(expect.begin(), expect.end());
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], expect[i], 1e-11) << name;
  }
}

TEST(NewtonSchulzDouble, MsignReachesOneToMachinePrecision) {
  for (auto sh : std::initializer_list<std::pair<size_t, size_t>>{{64, 64}, {65, 256}, {256, 65}}) {
    const size_t m = sh.first, n = sh.second, r = std::min(m, n);
    std::vector<double> s(r);
    for (size_t i = 0; i < r; ++i) s[i] = std::pow(10.0, -4.0 * double(i) / double(r - 1));  // cond 1e4
    const auto X = device_copy(ref::random_with_spectrum(m, n, s, 9));
    k::Tensor2 out("out", m, n);
    k::NsWorkspace ws(m, n);
    k::msign(out, X, ws);
    for (double v : ref::singular_values_only(ref::to_host(out))) ASSERT_NEAR(v, 1.0, 1e-12) << m << "x" << n;
  }
}
