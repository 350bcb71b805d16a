// MLP training throughput: samples/s of full training steps (TrainStep: forward, backward,
// optimizer, constraint) on synthetic data of MNIST or CIFAR shape, with the phase split.
//   OMP_NUM_THREADS=2 build/bench_mlp_step [--input 784] [--batch 512] [--optimizer adamw|muon]
//                                         [--constraint none|soft_cap|...] [--steps 50]
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/comm.hpp"
#include "kernels/rng.hpp"
#include "model/mlp.hpp"
#include "train/data_source.hpp"
#include "train/setup.hpp"
#include "train/step.hpp"

namespace {

// Random images and labels drawn once; every "batch" is the same buffer (no I/O in the timing).
class SyntheticSource : public lip::DataSource {
 public:
  SyntheticSource(size_t features, size_t classes) : features_(features), classes_(classes) {}
  lip::Batch make_batch(size_t rows) const override {
    lip::Batch b;
    b.size = rows;
    b.inputs = lip::kernels::Tensor2("bench::inputs", rows, features_);
    lip::kernels::fill_normal(b.inputs, 3, 0);
    b.targets = lip::kernels::IndexTensor1("bench::targets", rows);
    auto y = b.targets;
    const int c = int(classes_);
    Kokkos::parallel_for("bench::labels", rows, KOKKOS_LAMBDA(const size_t i) { y(i) = int(i) % c; });
    return b;
  }
  void next_train_batch(lip::Batch&) override {}
  void eval_batch(size_t, lip::Batch&) override {}
  size_t available_eval_batches() const override { return 1; }
  size_t input_features() const override { return features_; }
  size_t num_classes() const override { return classes_; }
  std::string describe() const override { return "synthetic"; }

 private:
  size_t features_, classes_;
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    Kokkos::ScopeGuard guard(argc, argv);
    lip::Comm comm;
    CLI::App app{"MLP training-step throughput"};
    size_t input = 784, batch = 512;
    long steps = 50;
    std::string optimizer = "adamw", constraint = "none";
    app.add_option("--input", input, "input features (784 MNIST, 3072 CIFAR)");
    app.add_option("--batch", batch, "global batch");
    app.add_option("--steps", steps, "timed steps");
    app.add_option("--optimizer", optimizer, "adamw | muon | sgd");
    app.add_option("--constraint", constraint, "constraint.method");
    CLI11_PARSE(app, argc, argv);

    lip::RunConfig c;
    c.steps = steps + 5;
    c.batch_size = c.eval_batch_size = batch;
    c.eval_batches = 1;
    c.optimizer = optimizer;
    c.lr = optimizer == "adamw" ? 1e-3 : 0.1;
    c.schedule = "none";
    c.ns_table = "reference6";
    c.constraint.method = constraint;
    c.constraint.w_max = 3;
    SyntheticSource data(input, 10);
    lip::MlpConfig m;
    m.input_dim = input;
    m.max_batch = batch / size_t(comm.size());
    lip::Mlp mlp(m);
    mlp.initialize(0);
    const auto plan = lip::BatchPlan::make(c, comm.size(), comm.rank());
    auto parts = lip::make_step_parts(c, mlp, comm.size(), comm.rank());
    lip::TrainStep step(mlp, *parts.optimizer, *parts.projector, comm, plan, parts.schedule, 0);
    const lip::Batch global = data.make_batch(batch);
    const lip::Batch local = plan.local_slice(global);
    long t = 0;
    for (; t < 5; ++t) step.run(local, t);  // warm-up
    const auto before = step.times();
    const double t0 = MPI_Wtime();
    for (; t < 5 + steps; ++t) step.run(local, t);
    const double seconds = MPI_Wtime() - t0;
    if (comm.is_root()) {
      std::printf("MLP %zu-256-256-10, batch %zu, %s + %s, %d rank(s) x %d thread(s): %.1f ms/step, %.0f samples/s\n",
                  input, batch, optimizer.c_str(), constraint.c_str(), comm.size(), lip::kernels::ExecSpace().concurrency(),
                  1e3 * seconds / steps, double(steps * batch) / seconds);
      std::printf("  phase ms/step:");
      for (int p = 0; p < lip::StepTimes::kPhases; ++p)
        std::printf(" %s %.2f", lip::StepTimes::names[size_t(p)],
                    1e3 * (step.times().seconds[size_t(p)] - before.seconds[size_t(p)]) / steps);
      std::printf("\n");
    }
  }
  MPI_Finalize();
  return 0;
}
