#include "train/evaluation.hpp"

#include <algorithm>
#include <cmath>

#include "core/comm.hpp"
#include "kernels/reductions.hpp"
#include "kernels/spectral.hpp"
#include "model/exact_norms.hpp"

namespace lip {

Evaluator::Evaluator(const RunConfig& config, const BatchPlan& plan, Comm& comm, Model& model, DataSource& data,
                     const Projector& projector)
    : config_(config), plan_(plan), comm_(comm), model_(model), data_(data), projector_(projector) {
  if (!data.eval_batches_cycle() && config.eval_batches > data.available_eval_batches())
    throw CollectiveError("data.eval_batches " + std::to_string(config.eval_batches) + " exceeds the " +
                              std::to_string(data.available_eval_batches()) + " distinct evaluation batches of " +
                              std::to_string(config.eval_batch_size) + " windows the validation split holds (" +
                              data.describe() + ")",
                          "set data.eval_batches (or data.eval_tokens) to at most " +
                              std::to_string(data.available_eval_batches()));
  batch_ = data.make_batch(plan.eval.global);
}

std::vector<double> Evaluator::measure_norms() const {
  const auto& params = model_.params();
  std::vector<double> norms;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    if (info.kind == ParamKind::embedding || config_.norm_method == "exact") {
      norms.push_back(exact_tensor_norm(info, params.param(i)));
    } else {
      norms.push_back(rms_to_rms_norm(params.param(i), config_.seed + 17, projector_.workspace(i),
                                      config_.norm_power_iterations));
    }
  }
  return norms;
}

EvalResult Evaluator::evaluate() {
  EvalResult r;
  double loss_sum = 0, correct = 0, predictions = 0;
  const size_t n = config_.eval_batches, micro = plan_.eval.micro, passes = plan_.eval.passes();
  for (size_t k = 0; k < n; ++k) {
    data_.eval_batch(k, batch_);
    const Batch local = plan_.local_slice(batch_);
    for (size_t j = 0; j < passes; ++j) {
      loss_sum += model_.forward(rows_of(local, j * micro, micro)) / double(passes);
      correct += double(model_.correct());
      predictions += double(model_.predictions());
      r.max_activation = std::max(r.max_activation, model_.max_activation());
    }
  }
  // Unweighted mean of per-batch means (ALGORITHMS §8), averaged over ranks.
  r.loss = comm_.allreduce_sum(loss_sum / double(n)) / comm_.size();
  r.accuracy = comm_.allreduce_sum(correct) / comm_.allreduce_sum(predictions);
  r.max_activation = comm_.allreduce_max(r.max_activation);
  r.norms = measure_norms();
  r.bound = model_.certified_bound(r.norms);
  return r;
}

}  // namespace lip
