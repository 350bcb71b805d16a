// Times the Newton–Schulz dualization (Muon) and every spectral constraint on typical weight
// shapes; prints the median over repeats in milliseconds. Run with OMP_NUM_THREADS pinned.
//
//   bench_spectral [--repeats 5] [--shapes 256x256,1024x256,768x3072]
#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/elementwise.hpp"
#include "kernels/newton_schulz.hpp"
#include "kernels/rng.hpp"
#include "kernels/spectral.hpp"

namespace k = lip::kernels;

namespace {

struct Shape {
  size_t rows, cols;
};

std::vector<Shape> parse_shapes(const std::string& list) {
  std::vector<Shape> shapes;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto x = item.find('x');
    if (x == std::string::npos) throw std::invalid_argument("shape '" + item + "' is not ROWSxCOLS");
    shapes.push_back({std::stoul(item.substr(0, x)), std::stoul(item.substr(x + 1))});
  }
  return shapes;
}

// Median wall time (ms) of `op` over `repeats` runs; `reset` restores the input before each run
// (not timed). One untimed warm-up run first.
double median_ms(int repeats, const std::function<void()>& reset, const std::function<void()>& op) {
  std::vector<double> times;
  for (int r = -1; r < repeats; ++r) {
    reset();
    Kokkos::fence();
    const auto t0 = std::chrono::steady_clock::now();
    op();
    Kokkos::fence();
    const auto t1 = std::chrono::steady_clock::now();
    if (r >= 0) times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time Newton-Schulz and the spectral constraints (median ms per call)"};
  int repeats = 5;
  std::string shape_list = "256x256,1024x256,768x3072";
  app.add_option("--repeats", repeats, "timed repeats per op (median reported)")->check(CLI::PositiveNumber);
  app.add_option("--shapes", shape_list, "comma-separated ROWSxCOLS list");
  CLI11_PARSE(app, argc, argv);
  const auto shapes = parse_shapes(shape_list);

  Kokkos::ScopeGuard guard(argc, argv);
  const std::vector<std::string> ops = {"ns_reference6 (Muon dualize)", "ns_nanogpt5", "power_iterate (16)",
                                        "spec_normalize", "spec_hammer", "spec_wd", "orthogonal",
                                        "hard_cap", "soft_cap", "spectral_clip (msign)", "clipped_wd",
                                        "pure_svd (host LAPACK)"};
  std::vector<std::vector<double>> table(ops.size(), std::vector<double>(shapes.size()));

  for (size_t si = 0; si < shapes.size(); ++si) {
    const size_t m = shapes[si].rows, n = shapes[si].cols;
    // Gaussian input scaled to σ1 ≈ 2 (σ1 ≈ √m + √n): inside every map's valid range.
    k::Tensor2 input("bench::input", m, n), X("bench::X", m, n), out("bench::out", m, n);
    k::fill_normal(input, 1, 1);
    k::scale("bench::scale", input, k::Real(2.0 / (std::sqrt(double(m)) + std::sqrt(double(n)))));
    k::NsWorkspace ns(m, n);
    k::SingularTriple top(m, n);
    k::ClipWorkspace clip(m, n);
    const double alpha = k::soft_cap_strength(1.0, 0.0, 0.05);
    auto reset = [&] { Kokkos::deep_copy(X, input); };
    const std::vector<std::function<void()>> run = {
        [&] { k::newton_schulz(out, X, ns, k::ns_table("reference6")); },
        [&] { k::newton_schulz(out, X, ns, k::ns_table("nanogpt5")); },
        [&] { k::power_iterate(top, X, 7); },
        [&] { k::spectral_normalize(X, top, 7); },
        [&] { k::spectral_hammer(X, 1.0, top, 7); },
        [&] { k::spectral_weight_decay(X, 0.1, top, 7); },
        [&] { k::orthogonalize(X, ns); },
        [&] { k::hard_cap(X, ns); },
        [&] { k::soft_cap(X, alpha, ns); },
        [&] { k::spectral_clip(X, 0.0, 1.0, clip); },
        [&] { k::spectral_clipped_weight_decay(X, 1.0, 0.5, clip); },
        [&] { k::pure_svd_clip(X, 0.0, 1.0); },
    };
    for (size_t oi = 0; oi < ops.size(); ++oi) table[oi][si] = median_ms(repeats, reset, run[oi]);
  }

  std::printf("bench_spectral: median of %d runs, ms per call (%s, concurrency %d)\n", repeats,
              k::ExecSpace::name(), int(k::ExecSpace().concurrency()));
  std::printf("%-30s", "op");
  for (const auto& s : shapes) std::printf(" | %12s", (std::to_string(s.rows) + "x" + std::to_string(s.cols)).c_str());
  std::printf("\n");
  for (size_t oi = 0; oi < ops.size(); ++oi) {
    std::printf("%-30s", ops[oi].c_str());
    for (double t : table[oi]) std::printf(" | %12.3f", t);
    std::printf("\n");
  }
  return 0;
}
