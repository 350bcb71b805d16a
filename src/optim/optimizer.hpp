#pragma once
/* Per-group optimizers: Muon (ALGORITHMS §5.1–5.2), AdamW/Adam (§5.3) and SGD, applied in the
 * order of §5.6 — momentum, dualize, then decay and step. `step` is compute_directions followed by
 * apply_directions; TrainStep calls the two halves itself so that an update-clipping rule can scale
 * the direction slab in between. The projection (weight constraint) follows in TrainStep.
 *
 * Each tensor's role names an OptimizerGroup (`hidden`, `embed`, `head`; ParamInfo::group()), so the
 * NanoGPT run can use Muon for matrices and Adam for the embedding with different learning rates.
 * Groups and Newton–Schulz tables are resolved once, at construction.
 *
 * Sharding (optim/shard_plan.hpp): the optimizer works on the tensors its ShardPlan gives this rank
 * and holds state only for them; its state slabs are this rank's segment of the full-layout slabs
 * (the whole slab when replicated). The caller all-gathers the parameters afterwards (TrainStep).
 */
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/newton_schulz.hpp"
#include "model/param_store.hpp"
#include "optim/shard_plan.hpp"

namespace lip {

enum class OptimizerKind { muon, adamw, sgd };
OptimizerKind parse_optimizer_kind(const std::string& name);

struct OptimizerGroup {
  OptimizerKind kind = OptimizerKind::muon;
  double lr = 0.1;             ///< peak learning rate of the group
  double beta1 = 0.9;          ///< momentum EMA (Muon, Adam); SGD momentum (0 = none)
  double beta2 = 0.95;         ///< Adam second moment
  double eps = 1e-12;          ///< Adam denominator epsilon (reference: 1e-12)
  double weight_decay = 0;     ///< coupled: w ← (1 − wd·lr_t·T)·w
  bool nesterov = false;       ///< Muon: dualize β·buf + (1−β)·g instead of buf
  std::string ns_table = "reference6";   ///< Newton–Schulz coefficient table (Muon)
  double embed_inflation = 16;           ///< max inflation of embedding column normalization
  double momentum_warmup_start = -1;     ///< <0: off; else β1 ramps from this to beta1
  long momentum_warmup_steps = 0;
  bool bias_correction = false;          ///< Adam: divide m, v by (1 − β^t) (NanoGPT's embedding; the reference MLP code does not)
};

/// The optimizer state slabs beyond momentum and direction that a set of tensors needs: Adam's second
/// moment when a group is Adam, Muon's Nesterov blend when a Muon group uses it. Decided over all
/// tensors, so every rank of a sharded optimizer lists the same checkpoint state.
struct OptimizerSlabs {
  bool second_moment = false, nesterov_blend = false;
  int count() const { return 2 + int(second_moment) + int(nesterov_blend); }
};
OptimizerSlabs optimizer_slabs(const std::vector<ParamInfo>& infos,
                               const std::map<std::string, OptimizerGroup>& groups);

class Optimizer {
 public:
  Optimizer(const ParamStore& params, std::map<std::string, OptimizerGroup> groups);
  Optimizer(const ParamStore& params, std::map<std::string, OptimizerGroup> groups, ShardPlan shard);
  ~Optimizer();

  /// One update of every parameter: momentum → dualize → decay & step. `schedule_factor` is f(t)
  /// of the learning-rate schedule; `step` is the number of completed updates (for warm-ups).
  void step(const ParamStore& params, double schedule_factor, long step);
  /// Momentum and dualization of every tensor into the direction slab (nothing is updated yet).
  void compute_directions(const ParamStore& params, long step);
  /// Decay and step with the direction slab: w ← (1 − wd·lr_t·T)·w − lr_t·D.
  void apply_directions(const ParamStore& params, double schedule_factor);

  /// Learning rate of tensor i this step (lr_group · f(t)); the projector couples to it.
  double lr(size_t i, double schedule_factor) const;
  const OptimizerGroup& group_of(size_t i) const;

  /// State slabs: this rank's segment [shard().segment_begin(), + segment_size()) of slabs with the
  /// parameter slab's layout (the whole layout when replicated).
  kernels::Tensor1 first_moment() const { return first_; }
  kernels::Tensor1 second_moment() const { return second_; }
  /// The state a checkpoint holds, by name: first_moment, and second_moment when a group is Adam
  /// (the same list on every rank, also on a rank whose segment is empty).
  std::vector<std::pair<std::string, kernels::Tensor1>> state_slabs() const;
  /// The update directions D of the last compute_directions (the slab an update-clipping rule scales).
  kernels::Tensor1 directions() const { return direction_; }
  /// Tensor i's matrix inside one of the state slabs above (i must be owned by this rank).
  kernels::MatrixView state_view(const kernels::Tensor1& slab, const ParamStore& params, size_t i) const;
  const ShardPlan& shard() const { return shard_; }
  /// Bytes of optimizer state this rank holds (state slabs and Newton–Schulz workspaces).
  size_t state_bytes() const;

 private:
  struct Workspaces;
  void dualize(const ParamStore& params, size_t i, const kernels::MatrixView& out,
               const kernels::MatrixView& in) const;

  ShardPlan shard_;
  OptimizerSlabs slabs_;
  std::map<std::string, OptimizerGroup> groups_;
  std::vector<const OptimizerGroup*> group_of_;
  std::vector<const kernels::NsTable*> ns_table_of_;  ///< Muon matrices; nullptr otherwise
  kernels::Tensor1 first_, second_, direction_, blend_;
  std::unique_ptr<Workspaces> workspaces_;
};

}  // namespace lip
