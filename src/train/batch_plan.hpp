#pragma once
/* The batch contract, computed once from the deck and the rank count: each rank takes a contiguous
 * share of every global batch and runs it through the model in equal micro-batches
 * (data.micro_batch; gradient accumulation). The model is sized from forward_rows(), the trainer
 * and TrainStep slice with the same numbers.
 */
#include <vector>

#include "io/run_config.hpp"
#include "model/model.hpp"

namespace lip {

struct BatchShape {
  size_t global = 0;  ///< examples in the global batch
  size_t local = 0;   ///< this rank's share
  size_t micro = 0;   ///< examples per forward pass
  size_t passes() const { return local / micro; }
};

struct BatchPlan {
  int ranks = 1, rank = 0;
  BatchShape train, eval;

  /// Validates that the ranks divide both global batches and the micro-batch divides each rank's
  /// share. Decided from the deck alone, so every rank fails here together (CollectiveError).
  static BatchPlan make(const RunConfig& config, int ranks, int rank);
  /// One rank, one pass per batch of `rows` (tests, benchmarks).
  static BatchPlan single(size_t rows);

  /// The per-rank batch sizes forward() sees: {train micro-batch, eval micro-batch}.
  std::vector<size_t> forward_rows() const { return {train.micro, eval.micro}; }
  /// This rank's contiguous rows of a global batch.
  Batch local_slice(const Batch& global) const;
};

/// Rows [first, first + rows) of a batch, over the same memory.
Batch rows_of(const Batch& batch, size_t first, size_t rows);

}  // namespace lip
