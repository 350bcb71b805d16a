#pragma once
/* Trainer: the training loop of ALGORITHMS §5.6 around one TrainStep (train/step.hpp) — the
 * cadence of logging, evaluation and checkpoints, and the resume.
 *
 *   data → TrainStep (zero_grad → forward → backward → allreduce → optimizer → project)
 *
 * Rank 0 prints one progress line per logged step and writes the run directory (train/run_dir.hpp:
 * deck.resolved, train.csv, eval.csv, checkpoints). Evaluations (train/evaluation.hpp) measure test
 * loss/accuracy, per-tensor RMS→RMS norms, the certified Lipschitz bound and the max activation.
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
#include <memory>

#include "core/comm.hpp"
#include "io/checkpoint.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"
#include "train/batch_plan.hpp"
#include "train/data_source.hpp"
#include "train/evaluation.hpp"
#include "train/metrics.hpp"
#include "train/run_dir.hpp"
#include "train/setup.hpp"
#include "train/step.hpp"

namespace lip {

class Trainer {
 public:
  //! Resolves each tensor's policy into `model` and builds the optimizer, projector and step.
  Trainer(const RunConfig& config, const BatchPlan& plan, Comm& comm, Model& model, DataSource& data);
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
  EvalResult evaluate() { return evaluator_->evaluate(); }

  long completed_steps() const { return step_; }
  const StepTimes& times() { return train_step_->times(); }
  /// The stop signal (SIGTERM, SIGUSR1) that ended run() early on some rank, 0 if none.
  int stop_signal() const { return stop_signal_; }

 private:
  /// Stop with a CollectiveError on every rank when any rank saw a non-finite loss or gradient;
  /// also records whether any rank received a stop signal. One allreduce.
  void agree_on_health_and_stop(const StepResult& r);
  /// Rank 0 writes the checkpoint of this step (RunDir); refuses non-finite weights on every rank.
  void save_checkpoint();
  /// Slabs in the checkpoint's (full) layout for each optimizer state: the optimizer's own when it
  /// is replicated, new ones when it is sharded.
  std::vector<io::CheckpointSlab> full_layout_state() const;
  /// The optimizer state in the full layout on rank 0 (gathered from every rank when sharded).
  std::vector<io::CheckpointSlab> gathered_optimizer_state() const;
  void open_metrics();
  void log_eval(const EvalResult& e);
  void print_summary(const EvalResult& last, double seconds);

  const RunConfig& config_;
  BatchPlan plan_;
  Comm& comm_;
  Model& model_;
  DataSource& data_;
  RunDir run_dir_;
  StepParts parts_;
  std::unique_ptr<TrainStep> train_step_;
  std::unique_ptr<Evaluator> evaluator_;
  Batch train_batch_;
  long step_ = 0;
  long resumed_step_ = -1;  ///< step of the checkpoint resume() loaded, -1 for a fresh run
  /// Resumed at or past run.steps: run() trains nothing and evaluates the checkpoint once more.
  bool resumed_at_end() const { return resumed_step_ >= config_.steps; }
  long stop_at_ = -1;
  int stop_signal_ = 0;
  std::string last_checkpoint_;  ///< newest checkpoint written or loaded ("" when none)
  double last_accuracy_ = 0;
  CsvWriter train_csv_, eval_csv_, bound_csv_;
};

}  // namespace lip
