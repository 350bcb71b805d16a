// The sharded optimizer's plan for a deck at any rank count, without data or allocation: how the
// tensors are cut into runs (optim/shard_plan.hpp), each rank's share of the optimizer state
// (momentum and direction slabs, plus Adam's second moment and Muon's Nesterov blend where the deck
// uses them) and of the modelled optimizer + projection work, against the replicated optimizer.
//   build/bench_shard_plan inputs/nanogpt.in --ranks 8 [--vocab 50257] [--set key=value ...]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <mpi.h>

#include "core/mpi_program.hpp"
#include "io/run_config.hpp"
#include "model/factory.hpp"
#include "model/gpt_layout.hpp"
#include "optim/optimizer.hpp"
#include "optim/shard_plan.hpp"
#include "train/setup.hpp"

namespace {

int run(int argc, char** argv, lip::Comm& comm) {
  CLI::App app{"bench_shard_plan: the sharded optimizer's plan for a deck"};
  std::string deck;
  std::vector<std::string> overrides;
  int ranks = 8;
  size_t vocab = 50257;
  app.add_option("deck", deck, "Input deck (a transformer deck)")->required();
  app.add_option("--ranks", ranks, "MPI ranks to plan for")->check(CLI::PositiveNumber);
  app.add_option("--vocab", vocab, "Vocabulary of the data (the GPT-2 BPE: 50257)");
  app.add_option("--set", overrides, "Override a deck key (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return comm.is_root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
  }
  const auto config = lip::make_run_config(lip::io::load_and_broadcast(deck, overrides, lip::deck_schema(), comm.raw()));
  if (!comm.is_root()) return 0;
  auto infos = lip::gpt_layout(lip::make_gpt_config(config, vocab, {1}));
  const size_t offset = lip::assign_slab_offsets(infos);  // ParamStore's layout, nothing allocated
  const int slabs = lip::optimizer_slabs(infos, lip::optimizer_groups(config)).count();
  const double mib = double(slabs) * double(sizeof(lip::kernels::Real)) / 1048576.0;
  const auto plan = lip::ShardPlan::balanced(infos, offset, ranks, 0);
  std::printf("%s: %zu tensors, %zu parameters, %d optimizer state slabs of the parameter layout\n", deck.c_str(),
              infos.size(), offset, slabs);
  std::printf("replicated: %.1f MiB of optimizer state and 100%% of the optimizer work on every rank\n",
              mib * double(offset));
  std::printf("sharded over %d ranks:\n%s", ranks, plan.describe(infos).c_str());
  double largest = 0, work = 0, total = 0;
  for (int r = 0; r < ranks; ++r) {
    largest = std::max(largest, double(plan.slab_begin[size_t(r) + 1] - plan.slab_begin[size_t(r)]));
    work = std::max(work, plan.cost[size_t(r)]);
    total += plan.cost[size_t(r)];
  }
  std::printf("largest rank: %.1f MiB of optimizer state (%.1f%% of replicated), %.1f%% of the optimizer work "
              "(ideal %.1f%%)\n",
              mib * largest, 100 * largest / double(offset), 100 * work / total, 100.0 / ranks);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return lip::run_mpi_program(argc, argv, run); }
