// Forward + backward time of both causal-attention kernels, blocked (kernels/attention.hpp) and
// fused (kernels/attention_fused.hpp), at the production shapes: the Shakespeare GPT (B=64, T=256,
// NH=4, HS=64, and B=32, one rank's half on two ranks) and NanoGPT heads (B=8, T=1024, NH=6, HS=128).
// Run with OMP_NUM_THREADS pinned (e.g. 1 or 2); OMP_WAIT_POLICY=passive matters on few cores, where
// spinning OpenMP workers compete with OpenBLAS's own threads during every matmul.
// Usage: bench_attention [iterations = 5] [query_block = 0] [query_tile = 0] [key_tile = 0]
// (0: each kernel's default). Times are wall-clock per call, with the process's CPU time beside
// them: on a shared machine, CPU time of a one-thread run is the steadier figure.
// GFLOP/s is reported twice: "causal" counts the work of the function itself, 2·HS flops per visible
// (t, u ≤ t) pair and product, with 2 products forward (S, A V) and 5 backward (dA, dS-weighted dQ
// and dK, dV): the same count for both kernels, so its rate compares them. "issued" counts what each
// kernel performs: the blocked form computes whole causal blocks (r1−r0) x r1 (2 products forward,
// 4 backward: it reads A from the cache), the fused form exactly the visible pairs (2 forward, 7
// backward: both passes recompute S and dA).
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/attention_fused.hpp"
#include "kernels/rng.hpp"

namespace k = lip::kernels;

namespace {
struct Shape {
  const char* name;
  size_t B, T;
  int NH;
  size_t HS;
};

struct Settings {
  int iters = 5;
  size_t query_block = 0, query_tile = 0, key_tile = 0;
};

struct Timing {
  double wall_ms, cpu_ms;  // per call; cpu: this process's CPU time (all its threads)
};

template <class F>
Timing time_ms(F&& f, int iters) {
  Kokkos::fence();
  const std::clock_t cpu0 = std::clock();
  Kokkos::Timer timer;
  for (int i = 0; i < iters; ++i) f();
  Kokkos::fence();
  const double wall = timer.seconds() * 1e3 / iters;
  return {wall, double(std::clock() - cpu0) * 1e3 / CLOCKS_PER_SEC / iters};
}

void report(const char* kernel, const std::string& tiles, const Timing& f, const Timing& b, double causal,
            double issued_f, double issued_b) {
  std::printf("  %-7s %-12s forward %8.2f ms (cpu %8.2f) %6.1f GFLOP/s causal %6.1f issued | backward %8.2f ms (cpu "
              "%8.2f) %6.1f causal %6.1f issued | total %8.2f ms\n",
              kernel, tiles.c_str(), f.wall_ms, f.cpu_ms, 2 * causal / f.wall_ms * 1e-6, issued_f / f.wall_ms * 1e-6,
              b.wall_ms, b.cpu_ms, 5 * causal / b.wall_ms * 1e-6, issued_b / b.wall_ms * 1e-6, f.wall_ms + b.wall_ms);
}

void run(const Shape& s, const Settings& set) {
  const size_t C = size_t(s.NH) * s.HS;
  k::Tensor3 q("q", s.B, s.T, C), kk("k", s.B, s.T, C), v("v", s.B, s.T, C), out("out", s.B, s.T, C);
  k::Tensor3 dout("dout", s.B, s.T, C), dq("dq", s.B, s.T, C), dk("dk", s.B, s.T, C), dv("dv", s.B, s.T, C);
  k::fill_normal(q, 1, 1);
  k::fill_normal(kk, 1, 2);
  k::fill_normal(v, 1, 3);
  k::fill_normal(dout, 1, 4);
  const k::Real scale = k::attention_scale(1.0, int(s.HS));
  const double per_head = 2.0 * double(s.B) * s.NH * double(s.HS);  // flops per (t, u) pair and product
  const double causal = per_head * double(s.T) * double(s.T + 1) / 2;  // one product over the visible pairs
  std::printf("%s: B=%zu T=%zu NH=%d HS=%zu (%s)\n", s.name, s.B, s.T, s.NH, s.HS,
              sizeof(k::Real) == 4 ? "float" : "double");
  {
    k::Tensor4 probs("probs", s.B, size_t(s.NH), s.T, s.T);
    const auto ws = k::make_attention_workspace(s.B, s.T, s.NH, s.HS, true, set.query_block);
    auto fwd = [&] { k::attention_forward(out, probs, q, kk, v, s.NH, scale, ws); };
    auto bwd = [&] { k::attention_backward(dq, dk, dv, dout, q, kk, v, probs, s.NH, scale, ws); };
    fwd();  // warm up (first touch, BLAS thread pool)
    bwd();
    const Timing f = time_ms(fwd, set.iters), b = time_ms(bwd, set.iters);
    double issued = 0;  // one blocked product
    for (size_t r0 = 0; r0 < s.T; r0 += ws.query_block) {
      const size_t r1 = std::min(s.T, r0 + ws.query_block);
      issued += per_head * double(r1 - r0) * double(r1);
    }
    report("blocked", "block " + std::to_string(ws.query_block), f, b, causal, 2 * issued, 4 * issued);
  }
  {
    k::Tensor3 lse("lse", s.B, size_t(s.NH), s.T);
    const auto ws = k::make_fused_attention_workspace(s.B, s.T, s.NH, s.HS, true, set.query_tile, set.key_tile);
    auto fwd = [&] { k::attention_fused_forward(out, lse, q, kk, v, s.NH, scale, ws); };
    auto bwd = [&] { k::attention_fused_backward(dq, dk, dv, dout, q, kk, v, out, lse, s.NH, scale, ws); };
    fwd();
    bwd();
    const Timing f = time_ms(fwd, set.iters), b = time_ms(bwd, set.iters);
    const std::string tiles = "tiles " + std::to_string(ws.query_tile) + "x" + std::to_string(ws.key_tile);
    report("fused", tiles, f, b, causal, 2 * causal, 7 * causal);
  }
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  Settings set;
  if (argc > 1) set.iters = std::atoi(argv[1]);
  if (argc > 2) set.query_block = size_t(std::atoll(argv[2]));
  if (argc > 3) set.query_tile = size_t(std::atoll(argv[3]));
  if (argc > 4) set.key_tile = size_t(std::atoll(argv[4]));
  std::printf("execution space %s, %d threads, %d iterations\n", k::ExecSpace::name(), k::ExecSpace().concurrency(),
              set.iters);
  run({"Shakespeare, one rank of two", 32, 256, 4, 64}, set);
  run({"Shakespeare, one rank", 64, 256, 4, 64}, set);
  run({"NanoGPT", 8, 1024, 6, 128}, set);
  return 0;
}
