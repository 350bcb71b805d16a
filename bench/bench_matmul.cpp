// GFLOP/s of kernels::matmul (row-major operands through the BLAS TPL) for 1024³ and for the
// MLP's own shapes, plus a direct LayoutLeft KokkosBlas::gemm call for comparison.
//   OMP_NUM_THREADS=2 build/bench_matmul [--repeats N]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "kernels/blas.hpp"
#include "kernels/rng.hpp"

namespace k = lip::kernels;

template <class F>
double median_seconds(int repeats, F&& f) {
  f();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    Kokkos::fence();
    const auto start = std::chrono::steady_clock::now();
    f();
    Kokkos::fence();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  CLI::App app{"matmul throughput"};
  int repeats = 10;
  app.add_option("--repeats", repeats, "timed repetitions (median reported)");
  CLI11_PARSE(app, argc, argv);
  std::printf("threads %d, Real = %s\n", k::ExecSpace().concurrency(), sizeof(k::Real) == 4 ? "float" : "double");
  std::printf("%-34s %8s %8s %8s %5s %10s %10s\n", "case", "M", "N", "K", "op", "ms", "GFLOP/s");
  struct Case { const char* name; size_t M, N, K; char ta, tb; };
  const Case cases[] = {
      {"square 1024^3", 1024, 1024, 1024, 'N', 'N'},
      {"square 1024^3 (A^T)", 1024, 1024, 1024, 'T', 'N'},
      {"MNIST mlp_in fwd  X·W^T", 512, 256, 784, 'N', 'T'},
      {"MNIST mlp_in grad dY^T·X", 256, 784, 512, 'T', 'N'},
      {"CIFAR mlp_in fwd  X·W^T", 512, 256, 3072, 'N', 'T'},
      {"CIFAR mlp_in grad dY^T·X", 256, 3072, 512, 'T', 'N'},
      {"mlp_0 fwd", 512, 256, 256, 'N', 'T'},
      {"mlp_0 back dX = dY·W", 512, 256, 256, 'N', 'N'},
      {"mlp_out fwd", 512, 10, 256, 'N', 'T'},
  };
  for (const auto& c : cases) {
    k::Tensor2 A("A", c.ta == 'N' ? c.M : c.K, c.ta == 'N' ? c.K : c.M);
    k::Tensor2 B("B", c.tb == 'N' ? c.K : c.N, c.tb == 'N' ? c.N : c.K);
    k::Tensor2 C("C", c.M, c.N);
    k::fill_normal(A, 1, 1);
    k::fill_normal(B, 1, 2);
    const double s = median_seconds(repeats, [&] { k::matmul(C, A, B, c.ta, c.tb); });
    std::printf("%-34s %8zu %8zu %8zu %4c%c %10.3f %10.1f\n", c.name, c.M, c.N, c.K, c.ta, c.tb, 1e3 * s,
                2.0 * c.M * c.N * c.K / s * 1e-9);
  }
  {
    using Left = Kokkos::View<k::Real**, Kokkos::LayoutLeft, k::MemSpace>;
    Left A("A", 1024, 1024), B("B", 1024, 1024), C("C", 1024, 1024);
    Kokkos::deep_copy(A, 1.0);
    Kokkos::deep_copy(B, 0.5);
    const double s = median_seconds(repeats, [&] { KokkosBlas::gemm("N", "N", 1.0, A, B, 0.0, C); });
    std::printf("%-34s %8d %8d %8d %5s %10.3f %10.1f\n", "direct LayoutLeft KokkosBlas::gemm", 1024, 1024, 1024, "NN",
                1e3 * s, 2.0 * 1024 * 1024 * 1024 / s * 1e-9);
  }
  return 0;
}
