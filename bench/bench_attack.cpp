// PGD throughput: examples/s of a full attack (steps forward + input-gradient passes plus the
// projected steps) on an MLP of MNIST or CIFAR shape, the work lip_robustness does per radius.
// The weights are the deck-free initialization (orthogonal, no zero layer) and the inputs uniform
// pixels: throughput does not depend on the values.
//   OMP_NUM_THREADS=2 build/bench_attack [--input 784] [--examples 2000] [--chunk 500] [--steps 50]
//                                        [--norm l2|linf] [--loss ce|margin] [--repeats 3]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/mpi_program.hpp"
#include "kernels/rng.hpp"
#include "robustness/attack.hpp"

namespace {

int run(int argc, char** argv, lip::Comm& comm) {
  CLI::App app{"PGD attack throughput on an MLP"};
  size_t input = 784, examples = 2000, chunk = 500, width = 256;
  int steps = 50, repeats = 3;
  std::string norm = "l2", loss = "ce";
  app.add_option("--input", input, "input features (784 MNIST, 3072 CIFAR)");
  app.add_option("--width", width, "hidden width");
  app.add_option("--examples", examples, "examples attacked per repeat");
  app.add_option("--chunk", chunk, "examples per forward pass (lip_robustness --chunk)");
  app.add_option("--steps", steps, "PGD steps");
  app.add_option("--norm", norm, "l2 | linf");
  app.add_option("--loss", loss, "ce | margin | targeted");
  app.add_option("--repeats", repeats, "timed repeats (the best is reported)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  lip::MlpConfig m;
  m.input_dim = input;
  m.width = width;
  m.zero_init_layer = "none";
  m.max_batch = std::min(chunk, examples);
  lip::Mlp mlp(m);
  mlp.initialize(0);
  lip::Attacker attacker(mlp);
  lip::kernels::Tensor2 x0("bench::x0", examples, input);
  lip::kernels::IndexTensor1 y("bench::y", examples);
  lip::kernels::Tensor1 eps("bench::eps", examples);
  auto xv = lip::kernels::as_vector(x0);
  Kokkos::parallel_for("bench::pixels", xv.extent(0), KOKKOS_LAMBDA(const size_t i) {
    xv(i) = lip::kernels::Real(lip::kernels::uniform_draw(1, 0, i));
  });
  Kokkos::parallel_for("bench::labels", examples, KOKKOS_LAMBDA(const size_t i) { y(i) = int(i % 10); });
  Kokkos::deep_copy(eps, lip::kernels::Real(norm == "l2" ? 1.0 : 8.0 / 255));
  lip::AttackSettings s;
  s.norm = lip::parse_threat_norm(norm);
  s.loss = lip::parse_attack_loss(loss);
  s.steps = steps;
  attacker.run(x0, y, eps, s);  // warm-up
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    attacker.run(x0, y, eps, s);
    Kokkos::fence();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  // Per example and step: forward 2·(d·w + w·w + w·10) FLOP, input backward the same (no dW).
  const double flop = 4.0 * double(input * width + width * width + width * 10) * double(steps + 1) * double(examples);
  if (comm.is_root())
    std::printf("PGD-%s %s, %d steps, MLP %zu-%zu-%zu-10, %zu examples in chunks of %zu, %d thread(s): %.3f s, "
                "%.0f examples/s, %.1f GFLOP/s in the matmuls\n",
                norm.c_str(), loss.c_str(), steps, input, width, width, examples, m.max_batch,
                lip::kernels::ExecSpace().concurrency(), best, double(examples) / best, flop / best * 1e-9);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return lip::run_mpi_program(argc, argv, run); }
