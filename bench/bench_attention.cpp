// Forward + backward time of causal attention (kernels/attention.hpp) at the two production
// shapes: Shakespeare GPT (B=64, T=256, NH=4, HS=64) and NanoGPT heads (B=8, T=1024, NH=6, HS=128).
// Run with OMP_NUM_THREADS pinned (e.g. 2); OMP_WAIT_POLICY=passive matters on few cores, where
// spinning OpenMP workers compete with OpenBLAS's own threads during every matmul.
// Usage: bench_attention [iterations = 5] [query_block = 0 (default)].
// GFLOP/s is reported twice: "issued" counts the matmul flops the causal-block formulation
// actually performs (forward 2 products, backward 4, each 2·rows·keys·HS per head and block);
// "dense-eq" counts the 2·T·T·HS per product of the plain dense formulation, for comparison.
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/rng.hpp"

namespace k = lip::kernels;

namespace {
struct Shape {
  size_t B, T;
  int NH;
  size_t HS;
};

template <class F>
double time_ms(F&& f, int iters) {
  Kokkos::fence();
  Kokkos::Timer timer;
  for (int i = 0; i < iters; ++i) f();
  Kokkos::fence();
  return timer.seconds() * 1e3 / iters;
}

void run(const Shape& s, int iters, size_t query_block) {
  const size_t C = size_t(s.NH) * s.HS;
  k::Tensor3 q("q", s.B, s.T, C), kk("k", s.B, s.T, C), v("v", s.B, s.T, C), out("out", s.B, s.T, C);
  k::Tensor3 dout("dout", s.B, s.T, C), dq("dq", s.B, s.T, C), dk("dk", s.B, s.T, C), dv("dv", s.B, s.T, C);
  k::Tensor4 probs("probs", s.B, size_t(s.NH), s.T, s.T);
  const auto ws = k::make_attention_workspace(s.B, s.T, s.NH, s.HS, true, query_block);
  k::fill_normal(q, 1, 1);
  k::fill_normal(kk, 1, 2);
  k::fill_normal(v, 1, 3);
  k::fill_normal(dout, 1, 4);
  const k::Real scale = k::attention_scale(1.0, int(s.HS));
  auto fwd = [&] { k::attention_forward(out, probs, q, kk, v, s.NH, scale, ws); };
  auto bwd = [&] { k::attention_backward(dq, dk, dv, dout, q, kk, v, probs, s.NH, scale, ws); };
  fwd();  // warm up (first touch, BLAS thread pool)
  bwd();
  const double f_ms = time_ms(fwd, iters), b_ms = time_ms(bwd, iters);
  const double per_head = 2.0 * double(s.B) * s.NH * double(s.HS);
  const double dense = per_head * double(s.T) * double(s.T);  // flops of one dense product
  double issued = 0;                                           // flops of one blocked product
  for (size_t r0 = 0; r0 < s.T; r0 += ws.query_block) {
    const size_t r1 = std::min(s.T, r0 + ws.query_block);
    issued += per_head * double(r1 - r0) * double(r1);
  }
  std::printf("attention B=%zu T=%zu NH=%d HS=%zu query_block=%zu (%s)\n", s.B, s.T, s.NH, s.HS, ws.query_block,
              sizeof(k::Real) == 4 ? "float" : "double");
  std::printf("  forward  %8.2f ms  %6.1f GFLOP/s issued  %6.1f GFLOP/s dense-eq\n", f_ms, 2 * issued / f_ms * 1e-6,
              2 * dense / f_ms * 1e-6);
  std::printf("  backward %8.2f ms  %6.1f GFLOP/s issued  %6.1f GFLOP/s dense-eq\n", b_ms, 4 * issued / b_ms * 1e-6,
              4 * dense / b_ms * 1e-6);
  std::printf("  total    %8.2f ms\n", f_ms + b_ms);
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  const int iters = argc > 1 ? std::atoi(argv[1]) : 5;
  const size_t query_block = argc > 2 ? size_t(std::atoll(argv[2])) : 0;
  std::printf("execution space %s, %d threads, %d iterations\n", k::ExecSpace::name(),
              k::ExecSpace().concurrency(), iters);
  run({64, 256, 4, 64}, iters, query_block);
  run({8, 1024, 6, 128}, iters, query_block);
  return 0;
}
