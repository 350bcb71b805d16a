// lip_driver DECK [--set key=value ...] [--resume PATH|latest|auto]: train a Lipschitz-constrained
// model as the deck says. Exit status: 0 when training finished or stopped on SIGTERM/SIGUSR1 after
// a checkpoint; 1 on any error (printed as `rank N: error: ...`; the whole MPI job ends).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <iostream>

#include "core/blas_runtime.hpp"
#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/mpi_program.hpp"
#include "core/version.hpp"
#include "io/run_config.hpp"
#include "train/training_session.hpp"

namespace {

int run(int argc, char** argv, lip::Comm& comm) {
  CLI::App app{"lip_driver: train MLPs and transformers with enforced Lipschitz constants"};
  std::string deck_path;
  std::vector<std::string> overrides;
  std::string resume;
  long stop_at = -1;
  bool describe_keys = false, check_only = false;
  app.add_option("deck", deck_path, "Input deck (key value lines; see docs/INPUT_DECK.md)");
  app.add_option("--set", overrides, "Override a deck key: --set optim.lr=0.1 (repeatable)");
  app.add_option("--resume", resume,
                 "Continue from a checkpoint: a file, `latest` (the one <run.output_dir>/latest names) or `auto` "
                 "(latest when it exists, else start fresh)");
  app.add_option("--stop-at", stop_at, "Stop after this step with a checkpoint, as if preempted (tests)");
  app.add_flag("--describe-keys", describe_keys, "Print every deck key as a markdown table and exit");
  app.add_flag("--check", check_only, "Validate the deck (keys, types, ranges, combinations) and exit without data");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return comm.is_root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
  }
  const auto schema = lip::deck_schema();
  if (describe_keys) {
    if (comm.is_root()) std::cout << lip::io::schema_markdown(schema);
    return 0;
  }
  LIP_REQUIRE(!deck_path.empty(), "no input deck given; usage: lip_driver DECK [--set key=value ...]");
  // The deck reaches every rank from rank 0, so a bad deck fails on every rank at once.
  const lip::RunConfig config = [&] {
    try {
      return lip::make_run_config(lip::io::load_and_broadcast(deck_path, overrides, schema, comm.raw()));
    } catch (const lip::Error& e) {
      throw lip::CollectiveError(e);
    }
  }();
  if (check_only) {
    if (comm.is_root()) std::printf("%s: deck OK (%s on %s)\n", deck_path.c_str(), config.model_kind.c_str(), config.dataset.c_str());
    return 0;
  }
  if (comm.is_root()) {
    const lip::BlasRuntime blas = lip::detect_blas_runtime();
    std::printf("lip_driver %s | %d MPI rank(s) x %d thread(s) | Kokkos %s | %s\n", lip::version_string(), comm.size(),
                Kokkos::DefaultExecutionSpace().concurrency(), typeid(Kokkos::DefaultExecutionSpace).name(),
                lip::describe(blas).c_str());
    if (const std::string warning = lip::slow_blas_warning(blas); !warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
    std::printf("---- resolved deck (%s) ----\n%s---- end of deck ----\n", deck_path.c_str(), config.resolved_deck.c_str());
  }
  lip::TrainingSession session(config, comm, true);
  lip::Trainer& trainer = session.trainer();
  if (!resume.empty()) trainer.resume(resume);
  if (stop_at >= 0) trainer.stop_at(stop_at);
  trainer.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return lip::run_mpi_program(argc, argv, [](int n, char** args, lip::Comm& comm) {
    lip::install_stop_signal_handlers();
    return run(n, args, comm);
  });
}
