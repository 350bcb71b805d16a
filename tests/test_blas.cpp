// matmul against a naive host triple loop, on odd shapes and every transpose combination.
#include <gtest/gtest.h>

#include "kernels/blas.hpp"
#include "kernels/reference/host_matrix.hpp"
#include "kernels/rng.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;

namespace {
k::Tensor2 random_matrix(size_t r, size_t c, uint64_t stream) {
  k::Tensor2 m("m", r, c);
  k::fill_normal(m, 7, stream);
  return m;
}
}  // namespace

TEST(Matmul, MatchesHostReferenceOnOddShapes) {
  const size_t shapes[][3] = {{1, 1, 1}, {3, 17, 5}, {17, 3, 1}, {1, 33, 7}, {65, 31, 17}, {128, 64, 96}};
  for (auto s : shapes) {
    for (char ta : {'N', 'T'}) {
      for (char tb : {'N', 'T'}) {
        const size_t m = s[0], kk = s[1], n = s[2];
        auto A = ta == 'N' ? random_matrix(m, kk, 1) : random_matrix(kk, m, 1);
        auto B = tb == 'N' ? random_matrix(kk, n, 2) : random_matrix(n, kk, 2);
        auto C = random_matrix(m, n, 3);
        const auto hA = ref::to_host(A), hB = ref::to_host(B), hC0 = ref::to_host(C);
        k::matmul(C, A, B, ta, tb, 0.5, 2.0);
        const auto expect = ref::gemm(hA, hB, hC0, ta, tb, 0.5, 2.0);
        const auto got = ref::to_host(C);
        for (size_t i = 0; i < m; ++i)
          for (size_t j = 0; j < n; ++j)
            ASSERT_NEAR(got(i, j), expect(i, j), 1e-4 * (1 + std::abs(expect(i, j))))
                << "shape " << m << "x" << kk << "x" << n << " trans " << ta << tb << " at " << i << "," << j;
      }
    }
  }
}

TEST(Matmul, ShapeMismatchNamesEveryExtent) {
  k::Tensor2 A("A", 3, 4), B("B", 5, 2), C("C", 3, 2);
  try {
    k::matmul(C, A, B, 'N', 'N');
    FAIL() << "expected a shape error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("A(3x4)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("B(5x2)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("C(3x2)"), std::string::npos) << msg;
  }
}
