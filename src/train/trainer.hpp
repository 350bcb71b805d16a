#pragma once
/* Trainer: the training loop of ALGORITHMS §5.6 as a short list of named, timed phases.
 *
 *   data → zero_grad → forward → backward → allreduce_mean(grad slab) → optimizer.step → project
 *
 * Rank 0 prints one progress line per logged step and writes train.csv / eval.csv / deck.resolved
 * into the run's output directory. Evaluations measure test loss/accuracy, per-tensor RMS→RMS
 * norms, the certified Lipschitz bound and the max activation entry.
 *
 * Preemption safety (docs/SLURM.md):
 * - Checkpoints (io/checkpoint.hpp) hold everything the next step depends on: parameters,
 *   optimizer slabs, step and data cursor (with the seeds in the deck they are the RNG state), so
 *   resume() + run() continues bit for bit where a straight run would be.
 * - After the gradient allreduce every rank contributes {loss or gradient non-finite, stop signal
 *   received} to one small allreduce (max), so all ranks take the same decision in the same step:
 *   non-finite → CollectiveError before the update (no checkpoint ever holds the bad values);
 *   SIGTERM/SIGUSR1 → finish the step, write a checkpoint, return normally.
 */
#include <array>
#include <map>
#include <memory>

#include "constraint/projector.hpp"
#include "core/comm.hpp"
#include "io/checkpoint.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "train/data_source.hpp"
#include "train/metrics.hpp"

namespace lip {

struct EvalResult {
  double loss = 0, accuracy = 0, max_activation = 0;
  std::vector<double> norms;  ///< per tensor, RMS→RMS (matrices) or max column RMS (embeddings)
  LipschitzBound bound;
};

struct StepTimes {
  static constexpr int kPhases = 6;
  static constexpr std::array<const char*, kPhases> names = {"data", "forward", "backward", "allreduce", "optimizer",
                                                             "constraint"};
  std::array<double, kPhases> seconds{};
};

class Trainer {
 public:
  Trainer(const RunConfig& config, Comm& comm, Model& model, DataSource& data);
  ~Trainer();

  /// Load the state saved in checkpoint `spec` (a path, `latest` = the checkpoint named by
  /// <run.output_dir>/latest, or `auto` = latest when it exists, else start fresh). Rank 0 reads
  /// and validates, then broadcasts; a refused checkpoint is a CollectiveError on every rank.
  void resume(const std::string& spec);
  /// Stop (checkpoint, return from run()) once `step` steps are completed, as if preempted.
  void stop_at(long step) { stop_at_ = step; }

  /// Train until config.steps steps are done (evaluating every eval_every steps and at the end)
  /// or a stop signal / stop_at ends the run early after a checkpoint.
  EvalResult run();
  /// One optimizer step; returns the global mean training loss (before the update).
  double step();
  EvalResult evaluate();
  /// Per-tensor norms as logged (RMS→RMS for matrices, max column RMS for embeddings).
  std::vector<double> measure_norms() const;

  long completed_steps() const { return step_; }
  const StepTimes& times() const { return times_; }
  /// The stop signal (SIGTERM, SIGUSR1) that ended run() early on some rank, 0 if none.
  int stop_signal() const { return stop_signal_; }

 private:
  void project_all(double schedule_factor);
  /// Stop with a CollectiveError on every rank when any rank saw a non-finite loss or gradient;
  /// also records whether any rank received a stop signal. One allreduce.
  void agree_on_health_and_stop(double loss, double grad_norm);
  /// Rank 0 writes <output_dir>/checkpoint_<step>.h5 atomically, points `latest` at it and keeps
  /// the newest checkpoint.keep files (never the one just written). Refuses non-finite weights.
  void save_checkpoint();
  std::vector<io::CheckpointSlab> optimizer_state() const;
  void open_metrics();
  Batch local_slice(const Batch& global) const;
  /// Rows [first, first + rows) of a batch, over the same memory (micro-batches of gradient accumulation).
  static Batch rows_of(const Batch& batch, size_t first, size_t rows);
  /// Examples per forward pass on this rank (data.micro_batch, or the whole local batch).
  size_t micro_rows(size_t local_rows) const;

  const RunConfig& config_;
  Comm& comm_;
  Model& model_;
  DataSource& data_;
  Schedule schedule_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<ProjectionSettings> projections_;  ///< one per tensor: the head and q/k may have their own w_max
  std::map<std::pair<size_t, size_t>, std::unique_ptr<ProjectionWorkspace>> workspaces_;
  Batch train_batch_, eval_batch_;
  long step_ = 0;
  long resumed_step_ = -1;  ///< step of the checkpoint resume() loaded, -1 for a fresh run
  /// Resumed at or past run.steps: run() trains nothing and evaluates the checkpoint once more.
  bool resumed_at_end() const { return resumed_step_ >= config_.steps; }
  long stop_at_ = -1;
  int stop_signal_ = 0;
  std::string last_checkpoint_;  ///< newest checkpoint written or loaded ("" when none)
  double last_accuracy_ = 0;
  StepTimes times_;
  CsvWriter train_csv_, eval_csv_, bound_csv_;
};

}  // namespace lip
