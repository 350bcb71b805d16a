// Training-step throughput of a deck: the deck's data, model and TrainStep (train/step.hpp), the
// same step lip_driver runs, timed without evaluation, logging or checkpoints, with the phase split.
//   OMP_NUM_THREADS=1 mpirun -n 2 build/bench_train_step inputs/shakespeare.in [--steps 10] [--warmup 2]
//                                                       [--set key=value ...]
// Prints ms/step and tokens/s (transformers) or samples/s (MLPs) over the timed steps, as rank 0
// sees them, the optimizer state of the largest rank, and the milliseconds per step of each phase
// (the sharded optimizer's parameter all-gather counts as allreduce).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cstdio>

#include "core/blas_runtime.hpp"
#include "core/comm.hpp"
#include "core/mpi_program.hpp"
#include "io/run_config.hpp"
#include "model/factory.hpp"
#include "train/batch_plan.hpp"
#include "train/data_source.hpp"
#include "train/setup.hpp"
#include "train/step.hpp"
#include "train/timer.hpp"

namespace {

int run(int argc, char** argv, lip::Comm& comm) {
  CLI::App app{"bench_train_step: training-step throughput of an input deck"};
  std::string deck;
  std::vector<std::string> overrides;
  long steps = 10, warmup = 2;
  app.add_option("deck", deck, "Input deck")->required();
  app.add_option("--set", overrides, "Override a deck key: --set data.batch_size=32 (repeatable)");
  app.add_option("--steps", steps, "Timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return comm.is_root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
  }
  const auto config = lip::make_run_config(lip::io::load_and_broadcast(deck, overrides, lip::deck_schema(), comm.raw()));
  const auto plan = lip::BatchPlan::make(config, comm.size(), comm.rank());
  auto data = lip::make_data_source(config);
  auto model = lip::make_model(config, data->input_features(), data->num_classes(), plan.forward_rows(), false);
  model->initialize(config.seed);
  auto parts = lip::make_step_parts(config, *model, comm.size(), comm.rank());
  lip::TrainStep step(*model, *parts.optimizer, *parts.projector, comm, plan, parts.schedule,
                      lip::projection_seed_base(config));
  lip::Batch batch = data->make_batch(config.batch_size);
  const bool tokens = config.model_kind == "gpt";
  long t = 0;
  auto one_step = [&] {
    lip::Timer timer;
    data->next_train_batch(batch);
    step.times().seconds[lip::StepTimes::data] += timer.lap();
    step.run(plan.local_slice(batch), t++);
  };
  for (long i = 0; i < warmup; ++i) one_step();
  const lip::StepTimes before = step.times();
  comm.barrier();
  const double t0 = MPI_Wtime();
  for (long i = 0; i < steps; ++i) one_step();
  comm.barrier();
  const double seconds = MPI_Wtime() - t0;
  const double state_mib = comm.allreduce_max(double(parts.optimizer->state_bytes())) / 1048576.0;
  if (comm.is_root()) {
    const double per_step = double(config.batch_size) * (tokens ? double(config.seq_len) : 1.0);
    std::printf("%s | %s | %d rank(s) x %d thread(s) | %s\n", deck.c_str(), config.model_kind.c_str(), comm.size(),
                Kokkos::DefaultExecutionSpace().concurrency(), lip::describe(lip::detect_blas_runtime()).c_str());
    std::printf("%ld steps: %.1f ms/step, %.0f %s\n", steps, 1e3 * seconds / double(steps),
                per_step * double(steps) / seconds, tokens ? "tokens/s" : "samples/s");
    std::printf("optimizer state: %.2f MiB on the largest rank (%s)\n", state_mib,
                parts.optimizer->shard().sharded() ? "sharded" : "replicated");
    std::printf("phase ms/step:");
    for (int p = 0; p < lip::StepTimes::kPhases; ++p)
      std::printf(" %s %.1f", lip::StepTimes::names[size_t(p)],
                  1e3 * (step.times().seconds[size_t(p)] - before.seconds[size_t(p)]) / double(steps));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return lip::run_mpi_program(argc, argv, run); }
