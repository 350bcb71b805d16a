#include "sweep/sweep_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include "io/atomic_file.hpp"
#include "io/input_deck.hpp"
#include "io/run_config.hpp"
#include "model/gpt.hpp"
#include "model/gpt_bound.hpp"
#include "sweep/sweep_results.hpp"
#include "train/metrics.hpp"
#include "train/timer.hpp"
#include "train/training_session.hpp"

namespace lip {

namespace {

//! Counters in world rank 0's window: the next configuration to hand out, and the ones finished.
enum Counter : int { next_configuration = 0, finished = 1, failed = 2, skipped = 3, counters = 4 };

class SweepCounters {
 public:
  explicit SweepCounters(MPI_Comm world) {
    int rank = 0;
    MPI_Comm_rank(world, &rank);
    const MPI_Aint bytes = rank == 0 ? MPI_Aint(counters * sizeof(long)) : 0;
    LIP_CHECK_MPI(MPI_Win_allocate(bytes, sizeof(long), MPI_INFO_NULL, world, &values_, &window_));
    if (rank == 0) {
      LIP_CHECK_MPI(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_));
      for (int i = 0; i < counters; ++i) values_[i] = 0;
      LIP_CHECK_MPI(MPI_Win_unlock(0, window_));
    }
    LIP_CHECK_MPI(MPI_Barrier(world));
  }
  ~SweepCounters() { MPI_Win_free(&window_); }
  SweepCounters(const SweepCounters&) = delete;
  SweepCounters& operator=(const SweepCounters&) = delete;

  //! Atomically adds `delta` to the counter; returns its value before (delta 0: a plain read).
  long add(Counter counter, long delta) {
    long before = 0;
    LIP_CHECK_MPI(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_));
    LIP_CHECK_MPI(MPI_Fetch_and_op(&delta, &before, MPI_LONG, 0, counter, delta == 0 ? MPI_NO_OP : MPI_SUM, window_));
    LIP_CHECK_MPI(MPI_Win_unlock(0, window_));
    return before;
  }

 private:
  long* values_ = nullptr;
  MPI_Win window_ = MPI_WIN_NULL;
};

//! While alive, this process's stdout appends to `path` (the run's log.txt).
class StdoutToFile {
 public:
  explicit StdoutToFile(const std::string& path) {
    std::fflush(stdout);
    saved_ = dup(STDOUT_FILENO);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    LIP_REQUIRE(saved_ >= 0 && fd >= 0, "cannot open the run log " << path);
    dup2(fd, STDOUT_FILENO);
    close(fd);
  }
  ~StdoutToFile() {
    std::fflush(stdout);
    dup2(saved_, STDOUT_FILENO);
    close(saved_);
  }
  StdoutToFile(const StdoutToFile&) = delete;
  StdoutToFile& operator=(const StdoutToFile&) = delete;

 private:
  int saved_ = -1;
};

//! The message of the lowest rank of `group` that has one ("" on every rank when none has).
std::string agreed_message(const Comm& group, const std::string& mine) {
  const double first = -group.allreduce_max(mine.empty() ? -1e9 : -double(group.rank()));
  if (first >= double(group.size())) return {};
  std::string message = mine;
  group.broadcast(message, int(first));
  return message;
}

struct Outcome {
  bool final = false;  //!< false: stopped by a signal (no result; resumed next time)
  RunResult result;
};

//! The reference code's bound (ALGORITHMS §7.2) from the final norms, for the transformer.
std::string reference_log10_bound(Model& model, const std::vector<double>& norms) {
  const auto* gpt = dynamic_cast<const Gpt*>(&model);
  if (!gpt || norms.empty()) return {};
  GptBoundInput in = gpt->bound_input(norms);
  in.formula = BoundFormula::reference_code;
  in.tracker_order = true;
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", gpt_lipschitz_bound(in).log10_bound);
  return text;
}

Outcome train_configuration(const SweepDeck& deck, const SweepConfiguration& c, Comm& group) {
  const std::string dir = run_directory(deck, c);
  if (group.is_root()) std::filesystem::create_directories(dir);
  group.barrier();
  std::unique_ptr<StdoutToFile> log;
  if (group.is_root()) log = std::make_unique<StdoutToFile>(dir + "/log.txt");
  Timer wall;
  Outcome out;
  std::vector<std::string> overrides = c.overrides;
  overrides.push_back("run.output_dir=" + dir);
  overrides.push_back("run.name=" + c.id);

  // Set-up: a refusal (deck value, combination, unreachable target, data) on any rank is agreed on
  // by the group and becomes the run's row.
  std::unique_ptr<TrainingSession> session;
  std::string error;
  try {
    RunConfig config = make_run_config(io::load_and_broadcast(deck.base_deck, overrides, deck_schema(), group.raw()));
    if (group.is_root())
      std::printf("lip_sweep configuration %zu (%s) on %d rank(s)\n---- resolved deck ----\n%s---- end of deck ----\n",
                  c.index, c.id.c_str(), group.size(), config.resolved_deck.c_str());
    session = std::make_unique<TrainingSession>(std::move(config), group, true);
    session->trainer().resume("auto");
  } catch (const Error& e) {
    error = e.what();
  }
  error = agreed_message(group, error);
  if (!error.empty()) {
    if (group.is_root()) std::printf("refused: %s\n", error.c_str());
    out.final = true;
    out.result.status = RunStatus::refused;
    out.result.message = error;
    return out;
  }
  const double setup_s = wall.elapsed();

  EvalResult last;
  try {
    last = session->trainer().run();
  } catch (const CollectiveError& e) {  // a non-finite loss or gradient, agreed by every rank
    out.result.status = RunStatus::diverged;
    out.result.message = e.what();
    if (group.is_root()) std::printf("diverged: %s\n", e.what());
  }
  if (session->trainer().stop_signal() != 0) return out;  // checkpointed; continued next time
  out.final = true;
  if (group.is_root()) {
    try {
      out.result.figures = summarize_run(dir);
    } catch (const Error& e) {
      if (out.result.status == RunStatus::done) throw;  // a finished run always has its metrics
    }
    if (out.result.status == RunStatus::done)
      out.result.figures["reference_log10_bound"] = reference_log10_bound(session->model(), last.norms);
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", setup_s);
    out.result.figures["setup_s"] = text;
    std::snprintf(text, sizeof text, "%.3f", wall.elapsed());
    out.result.figures["wall_s"] = text;
  }
  return out;
}

std::string grid_table(const SweepDeck& deck, const std::vector<SweepConfiguration>& grid) {
  std::string text = "index,id";
  for (const auto& key : deck.swept_keys()) text += "," + key;
  text += "\n";
  for (const auto& c : grid) {
    text += std::to_string(c.index) + "," + c.id;
    for (const auto& [key, value] : c.swept) text += "," + value;
    text += "\n";
  }
  return text;
}

}  // namespace

SweepSummary run_sweep(const SweepDeck& deck, Comm& world) {
  const auto grid = deck.configurations();
  SweepSummary summary;
  summary.configurations = grid.size();
  if (world.size() % deck.group_size != 0)
    throw CollectiveError(deck.source + ": group_size " + std::to_string(deck.group_size) + " does not divide the " +
                              std::to_string(world.size()) + " MPI ranks",
                          "start the sweep on a multiple of group_size ranks");
  {
    std::set<std::string> ids;
    for (const auto& c : grid)
      if (!ids.insert(c.id).second)
        throw CollectiveError(deck.source + ": configuration " + std::to_string(c.index) +
                              " repeats the overrides of an earlier one (an axis lists a value twice)");
  }
  if (!grid.empty()) {
    // The base deck itself must read (syntax, keys, types) with the first configuration's
    // overrides: an error there is every configuration's, so it ends the sweep before any run.
    // Errors that an override causes ("--set …") are that configuration's row.
    try {
      io::load(deck.base_deck, deck_schema(), grid[0].overrides);
    } catch (const Error& e) {
      if (std::string(e.what()).rfind("--set ", 0) != 0)
        throw CollectiveError(deck.source + ": base deck: " + e.what(), e.hint());
    }
  }
  if (world.is_root()) {
    std::filesystem::create_directories(deck.output_dir + "/runs");
    io::write_file_atomically(deck.output_dir + "/grid.csv", grid_table(deck, grid));
  }
  MPI_Comm group_comm = MPI_COMM_NULL;
  LIP_CHECK_MPI(MPI_Comm_split(world.raw(), world.rank() / deck.group_size, world.rank(), &group_comm));
  {
    Comm group(group_comm);
    SweepCounters counters(world.raw());
    const int groups = world.size() / deck.group_size;
    if (world.is_root())
      std::printf("lip_sweep: %zu configurations, %d group(s) of %d rank(s); runs in %s/runs\n", grid.size(), groups,
                  deck.group_size, deck.output_dir.c_str());
    std::fflush(stdout);
    Timer wall;
    while (true) {
      long index = group.is_root() ? counters.add(next_configuration, 1) : 0;
      group.broadcast(index);
      if (index >= long(grid.size())) break;
      const SweepConfiguration& c = grid[size_t(index)];
      long already_final = 0;
      if (group.is_root()) {
        RunResult existing;
        already_final = read_run_result(run_directory(deck, c), existing) ? 1 : 0;
      }
      group.broadcast(already_final);
      if (already_final) {
        if (group.is_root()) counters.add(skipped, 1);
        continue;
      }
      const Outcome out = train_configuration(deck, c, group);
      if (!out.final) {
        summary.stopped = true;
        break;
      }
      if (group.is_root()) {
        write_run_result(run_directory(deck, c), out.result);
        const bool bad = out.result.status != RunStatus::done;
        const long failures = counters.add(failed, bad ? 1 : 0) + (bad ? 1 : 0);
        const long now = counters.add(finished, 1) + 1;
        const long before = counters.add(skipped, 0);
        const long handed = std::min<long>(counters.add(next_configuration, 0), long(grid.size()));
        const long running = std::max<long>(0, handed - now - before);
        const double elapsed = wall.elapsed();
        const double remaining = double(grid.size()) - double(now + before);
        std::printf("sweep: %ld/%zu configurations finished (%ld earlier), %ld running, %ld failed | config %zu %s: %s"
                    " | elapsed %s | ETA %s\n",
                    now + before, grid.size(), before, running, failures, c.index, c.id.c_str(),
                    to_string(out.result.status).c_str(), format_duration(elapsed).c_str(),
                    format_duration(remaining * elapsed / double(now)).c_str());
        std::fflush(stdout);
      }
      if (group.any(received_stop_signal() != 0)) {
        summary.stopped = true;
        break;
      }
    }
    std::vector<long> flags = {summary.stopped ? 1 : 0};
    world.max(flags);
    summary.stopped = flags[0] != 0;
    world.barrier();
    if (world.is_root()) {
      summary.trained = size_t(counters.add(finished, 0));
      summary.failed = size_t(counters.add(failed, 0));
      summary.skipped = size_t(counters.add(skipped, 0));
      summary.rows = write_results_table(deck);
    }
  }
  MPI_Comm_free(&group_comm);
  return summary;
}

}  // namespace lip
