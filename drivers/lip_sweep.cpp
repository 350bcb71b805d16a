// lip_sweep SWEEP_DECK [--sweep-set "KEY VALUE"] [--list]: train every configuration of a sweep deck
// (a base deck, fixed overrides and axes; docs/SWEEPS.md) with one MPI job, in groups of
// group_size ranks, resumably; results in <output>/results.csv. Exit status 0 when the grid is done
// or a stop signal ended the job after checkpoints; 1 on an error that stops the sweep itself.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/mpi_program.hpp"
#include "sweep/sweep_deck.hpp"
#include "sweep/sweep_runner.hpp"

namespace {

int run(int argc, char** argv, lip::Comm& world) {
  CLI::App app{"lip_sweep: train a grid of configurations (a sweep deck) with one MPI job"};
  std::string path;
  std::vector<std::string> overrides;
  bool list = false;
  app.add_option("sweep_deck", path, "Sweep deck (docs/SWEEPS.md)")->required();
  app.add_option("--sweep-set", overrides, "A sweep-deck line given on the command line, e.g. --sweep-set 'group_size 2'");
  app.add_flag("--list", list, "Print the grid (index, id, swept values) and exit without training");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return world.is_root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
  }
  // Every rank reads the same file: a bad sweep deck fails on every rank at once.
  const lip::SweepDeck deck = [&] {
    try {
      return lip::load_sweep_deck(path, overrides);
    } catch (const lip::Error& e) {
      throw lip::CollectiveError(e);
    }
  }();
  const auto grid = deck.configurations();
  if (list) {
    if (world.is_root()) {
      for (const auto& c : grid) {
        std::printf("%zu %s", c.index, c.id.c_str());
        for (const auto& [key, value] : c.swept) std::printf(" %s=%s", key.c_str(), value.c_str());
        std::printf("\n");
      }
    }
    return 0;
  }
  const lip::SweepSummary s = lip::run_sweep(deck, world);
  if (world.is_root()) {
    std::printf("lip_sweep: %zu configurations: %zu trained now (%zu failed), %zu done earlier; %zu rows in %s/results.csv%s\n",
                s.configurations, s.trained, s.failed, s.skipped, s.rows, deck.output_dir.c_str(),
                s.stopped ? " (stopped by a signal: start the same command again to finish)" : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return lip::run_mpi_program(argc, argv, [](int n, char** args, lip::Comm& comm) {
    lip::install_stop_signal_handlers();
    return run(n, args, comm);
  });
}
