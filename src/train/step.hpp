#pragma once
/* TrainStep: one training step as one unit (ALGORITHMS §5.6), the same code for the trainer, the
 * regression suite and the benchmarks:
 *
 *   zero grads → micro-batch forward/backward → allreduce (mean) → optimizer directions
 *     → [update rule, e.g. EBC: scales the directions] → decay & step → projection
 *     → [sharded optimizer: all-gather of the parameters]
 *
 * With a sharded optimizer each rank updates and projects only the tensors it owns (its
 * directions slab holds only those); the exchange then gives every rank every tensor.
 * Each tensor's optimizer group and constraint were resolved at set-up (ParamInfo); nothing here
 * looks at names. The stages are public so a test can compare each with the reference; run()
 * calls them in order and times them.
 */
#include <array>
#include <cstdint>
#include <functional>

#include "constraint/projector.hpp"
#include "core/comm.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "train/batch_plan.hpp"

namespace lip {

//! Seconds per phase, summed over the steps run.
struct StepTimes {
  static constexpr int kPhases = 6;
  enum Phase { data, forward, backward, allreduce, optimizer, constraint };
  static constexpr std::array<const char*, kPhases> names = {"data", "forward", "backward", "allreduce", "optimizer",
                                                             "constraint"};
  std::array<double, kPhases> seconds{};
  double total() const;
};

//! Global (all ranks) results of one step, before the update.
struct StepResult {
  double loss = 0;       //!< mean training loss
  double accuracy = 0;   //!< fraction of correct predictions
  double grad_norm = 0;  //!< Frobenius norm of this rank's reduced gradient slab (the same on every rank)
};

//! A rule that rescales the update after dualization and before decay/step and projection
//! (EBC.md: ellipsotope-budgeted clipping). It may scale optimizer.directions(), this rank's
//! segment of the direction slab (optimizer.state_view(…, i) for each tensor i it owns; a rule that
//! needs global quantities reduces them over the ranks itself).
class UpdateRule {
 public:
  virtual ~UpdateRule() = default;
  virtual void adjust(const ParamStore& params, const Optimizer& optimizer, double schedule_factor, long step) = 0;
};

class TrainStep {
 public:
  //! `projection_seed_base` + step seeds the power iterations of step `step` (§3).
  TrainStep(Model& model, Optimizer& optimizer, Projector& projector, Comm& comm, const BatchPlan& plan,
            const Schedule& schedule, uint64_t projection_seed_base);

  //! One whole step on this rank's share of the batch; `step` = updates completed before it.
  StepResult run(const Batch& local, long step);

  // The stages of run(), in order.
  //! Zero the gradients, then forward and backward every micro-batch (gradients accumulate).
  void compute_gradients(const Batch& local);
  //! Mean over micro-batches and ranks; global loss, accuracy and gradient norm; then the check.
  StepResult reduce_gradients();
  //! Optimizer directions, the update rule if any, then decay and step.
  void update(long step);
  //! Every tensor's constraint (constraint/projector.hpp).
  void constrain(long step);
  //! Sharded optimizer (optim/shard_plan.hpp): every rank's updated tensors reach every rank.
  void exchange_parameters();

  //! Called with the reduced results before the update (the trainer agrees on health and stop
  //! signals across ranks there; it may throw to stop before the update).
  void set_check(std::function<void(const StepResult&)> check) { check_ = std::move(check); }
  //! The hook point before decay and projection (not owned; nullptr: none).
  void set_update_rule(UpdateRule* rule) { update_rule_ = rule; }

  StepTimes& times() { return times_; }
  uint64_t projection_seed(long step) const { return projection_seed_base_ + uint64_t(step); }

 private:
  Model& model_;
  Optimizer& optimizer_;
  Projector& projector_;
  Comm& comm_;
  BatchPlan plan_;
  Schedule schedule_;
  uint64_t projection_seed_base_;
  std::function<void(const StepResult&)> check_;
  UpdateRule* update_rule_ = nullptr;
  StepTimes times_;
  std::vector<int> shard_counts_, shard_displacements_;  // of the parameter exchange
  // accumulated by compute_gradients for reduce_gradients
  double local_loss_ = 0, correct_ = 0, predictions_ = 0;
  size_t passes_ = 1;
};

}  // namespace lip
