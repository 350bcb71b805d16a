#pragma once
/* Trainer: the training loop of ALGORITHMS §5.6 as a short list of named, timed phases.
 *
 *   data → zero_grad → forward → backward → allreduce_mean(grad slab) → optimizer.step → project
 *
 * Rank 0 prints one progress line per logged step and writes train.csv / eval.csv / deck.resolved
 * into the run's output directory. Evaluations measure test loss/accuracy, per-tensor RMS→RMS
 * norms, the certified Lipschitz bound and the max activation entry.
 */
#include <array>
#include <map>
#include <memory>

#include "constraint/projector.hpp"
#include "core/comm.hpp"
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

  /// Train for config.steps steps, evaluating every eval_every steps and at the end.
  EvalResult run();
  /// One optimizer step; returns the global mean training loss (before the update).
  double step();
  EvalResult evaluate();
  /// Per-tensor norms as logged (RMS→RMS for matrices, max column RMS for embeddings).
  std::vector<double> measure_norms() const;

  long completed_steps() const { return step_; }
  const StepTimes& times() const { return times_; }

 private:
  void project_all(double schedule_factor);
  /// Rank 0 writes <output_dir>/checkpoint_<step>.h5 atomically, points `latest` at it and keeps
  /// the newest checkpoint.keep files.
  void save_checkpoint();
  void open_metrics();
  Batch local_slice(const Batch& global) const;

  const RunConfig& config_;
  Comm& comm_;
  Model& model_;
  DataSource& data_;
  Schedule schedule_;
  std::unique_ptr<Optimizer> optimizer_;
  ProjectionSettings projection_;
  std::map<std::pair<size_t, size_t>, std::unique_ptr<ProjectionWorkspace>> workspaces_;
  Batch train_batch_, eval_batch_;
  long step_ = 0;
  double last_accuracy_ = 0;
  StepTimes times_;
  CsvWriter train_csv_, eval_csv_;
};

}  // namespace lip
