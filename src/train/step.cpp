#include "train/step.hpp"

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/reductions.hpp"
#include "train/timer.hpp"

namespace lip {

double StepTimes::total() const {
  double t = 0;
  for (double s : seconds) t += s;
  return t;
}

TrainStep::TrainStep(Model& model, Optimizer& optimizer, Projector& projector, Comm& comm, const BatchPlan& plan,
                     const Schedule& schedule, uint64_t projection_seed_base)
    : model_(model),
      optimizer_(optimizer),
      projector_(projector),
      comm_(comm),
      plan_(plan),
      schedule_(schedule),
      projection_seed_base_(projection_seed_base),
      shard_counts_(optimizer.shard().counts()),
      shard_displacements_(optimizer.shard().displacements()) {
  LIP_REQUIRE(optimizer.shard().ranks == comm.size() || !optimizer.shard().sharded(),
              "TrainStep: the optimizer is sharded over " << optimizer.shard().ranks << " ranks, the communicator has "
                                                          << comm.size());
}

StepResult TrainStep::run(const Batch& local, long step) {
  Timer timer;
  compute_gradients(local);  // times forward and backward itself
  timer.lap();
  const StepResult result = reduce_gradients();
  times_.seconds[StepTimes::allreduce] += timer.lap();
  update(step);
  times_.seconds[StepTimes::optimizer] += timer.lap();
  constrain(step);
  times_.seconds[StepTimes::constraint] += timer.lap();
  exchange_parameters();
  times_.seconds[StepTimes::allreduce] += timer.lap();
  return result;
}

void TrainStep::compute_gradients(const Batch& local) {
  LIP_REQUIRE(local.size == plan_.train.local, "TrainStep: got " << local.size << " examples, the batch plan gives "
                                                                  << plan_.train.local << " to each rank");
  Timer timer;
  model_.params().zero_grad();
  // Gradient accumulation: every backward adds into the gradient slab; the mean over the
  // micro-batches is the mean over the rank's examples because the micro-batches are equal.
  const size_t micro = plan_.train.micro;
  passes_ = plan_.train.passes();
  local_loss_ = correct_ = predictions_ = 0;
  for (size_t j = 0; j < passes_; ++j) {
    local_loss_ += model_.forward(rows_of(local, j * micro, micro)) / double(passes_);
    correct_ += double(model_.correct());
    predictions_ += double(model_.predictions());
    times_.seconds[StepTimes::forward] += timer.lap();
    model_.backward();
    times_.seconds[StepTimes::backward] += timer.lap();
  }
}

StepResult TrainStep::reduce_gradients() {
  StepResult r;
  r.accuracy = comm_.allreduce_sum(correct_) / comm_.allreduce_sum(predictions_);
  const auto grads = model_.params().grads_slab();
  if (passes_ > 1) kernels::scale("kernels::accumulation_mean", grads, kernels::Real(1.0 / double(passes_)));
  comm_.allreduce_mean(kernels::VectorView(grads.data(), grads.extent(0)));
  r.loss = comm_.allreduce_sum(local_loss_) / comm_.size();
  r.grad_norm = kernels::frobenius_norm(grads);
  if (check_) check_(r);
  return r;
}

void TrainStep::update(long step) {
  const auto& params = model_.params();
  const double factor = schedule_.factor(step);
  optimizer_.compute_directions(params, step);
  // Hook: an update-clipping rule (EBC) scales the update here, before decay and projection.
  if (update_rule_) update_rule_->adjust(params, optimizer_, factor, step);
  optimizer_.apply_directions(params, factor);
}

void TrainStep::constrain(long step) {
  projector_.apply(model_.params(), optimizer_, schedule_.factor(step), projection_seed(step));
}

void TrainStep::exchange_parameters() {
  if (!optimizer_.shard().sharded()) return;
  comm_.allgather_segments(kernels::as_vector(model_.params().params_slab()), shard_counts_, shard_displacements_);
}

}  // namespace lip
