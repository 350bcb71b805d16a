#include "train/batch_plan.hpp"

#include <string>

#include "core/comm.hpp"
#include "core/error.hpp"

namespace lip {

namespace {

BatchShape shape_of(const char* key, size_t global, size_t micro_batch, int ranks) {
  if (global % size_t(ranks) != 0)
    throw CollectiveError(std::string(key) + " " + std::to_string(global) + " is not divisible by the " +
                          std::to_string(ranks) + " MPI ranks; the global batch is split evenly across ranks");
  BatchShape s;
  s.global = global;
  s.local = global / size_t(ranks);
  s.micro = micro_batch > 0 && micro_batch < s.local ? micro_batch : s.local;
  if (s.local % s.micro != 0)
    throw CollectiveError("data.micro_batch " + std::to_string(micro_batch) + " does not divide the " +
                          std::to_string(s.local) + " examples each rank gets per step");
  return s;
}

}  // namespace

BatchPlan BatchPlan::make(const RunConfig& config, int ranks, int rank) {
  BatchPlan plan;
  plan.ranks = ranks;
  plan.rank = rank;
  plan.train = shape_of("data.batch_size", config.batch_size, config.micro_batch, ranks);
  plan.eval = shape_of("data.eval_batch_size", config.eval_batch_size, config.micro_batch, ranks);
  return plan;
}

BatchPlan BatchPlan::single(size_t rows) {
  BatchPlan plan;
  plan.train = plan.eval = BatchShape{rows, rows, rows};
  return plan;
}

Batch BatchPlan::local_slice(const Batch& global) const {
  const size_t rows = global.size / size_t(ranks);
  return rows_of(global, rows * size_t(rank), rows);
}

Batch rows_of(const Batch& batch, size_t first, size_t rows) {
  Batch part;
  part.size = rows;
  if (batch.inputs.data()) {
    const size_t f = batch.inputs.extent(1);
    part.inputs = kernels::Tensor2(batch.inputs.data() + first * f, rows, f);
  }
  if (batch.tokens.data()) {
    const size_t t = batch.tokens.extent(1);
    part.tokens = kernels::IndexTensor2(batch.tokens.data() + first * t, rows, t);
  }
  const size_t per = batch.targets.extent(0) / batch.size;  // predictions per example
  part.targets = kernels::IndexTensor1(batch.targets.data() + first * per, rows * per);
  return part;
}

}  // namespace lip
