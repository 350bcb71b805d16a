#pragma once
/* From a deck to the parts of a training step: the optimizer groups, each tensor's constraint
 * policy, the projector and the schedule. The trainer and the benchmarks build their TrainStep
 * from these, so a deck means the same step everywhere.
 */
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "certify/target_bound.hpp"
#include "constraint/policy.hpp"
#include "constraint/projector.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"

namespace lip {

//! Deck sections optim.* and the per-group overrides -> the groups hidden, embed and head.
std::map<std::string, OptimizerGroup> optimizer_groups(const RunConfig& config);
//! Deck section constraint.* -> the settings every tensor shares.
ProjectionSettings shared_projection_settings(const RunConfig& config);
//! Deck section constraint.* -> the per-role rule (method, w_max, qk_w_max, head_w_max).
ConstraintPolicy constraint_policy(const RunConfig& config);
Schedule make_schedule(const RunConfig& config);
//! Seeds of the projection's power iterations: this + step (one seed per step, §3).
uint64_t projection_seed_base(const RunConfig& config);

//! The optimizer and projector of a deck for `model`, after writing each tensor's constraint
//! policy into the model's ParamInfo (with certify.target_bound, w_max solved for the target first;
//! an unreachable target throws here, before any training). With optim.sharded and several ranks the optimizer works on
//! this rank's share of the tensors (optim/shard_plan.hpp).
struct StepParts {
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<Projector> projector;
  Schedule schedule;
  std::optional<TargetBoundSolution> target;  //!< with certify.target_bound: the solved caps
};
StepParts make_step_parts(const RunConfig& config, Model& model, int ranks = 1, int rank = 0);

}  // namespace lip
