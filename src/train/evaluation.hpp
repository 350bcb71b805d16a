#pragma once
/* Evaluation (ALGORITHMS §8): validation loss and accuracy over data.eval_batches batches, the max
 * activation entry, each tensor's norm as logged, and the certified Lipschitz bound from them.
 */
#include <vector>

#include "constraint/projector.hpp"
#include "core/comm.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"
#include "train/batch_plan.hpp"
#include "train/data_source.hpp"

namespace lip {

struct EvalResult {
  double loss = 0, accuracy = 0, max_activation = 0;
  std::vector<double> norms;  ///< per tensor, RMS→RMS (matrices) or max column RMS (embeddings)
  LipschitzBound bound;
};

class Evaluator {
 public:
  //! `projector` lends its per-shape power-iteration scratch to the norm measurements.
  Evaluator(const RunConfig& config, const BatchPlan& plan, Comm& comm, Model& model, DataSource& data,
            const Projector& projector);

  EvalResult evaluate();
  //! Per-tensor norms as logged: RMS→RMS for matrices (power iteration, or exact with
  //! metrics.norm_method exact), max column RMS for embeddings.
  std::vector<double> measure_norms() const;

 private:
  const RunConfig& config_;
  BatchPlan plan_;
  Comm& comm_;
  Model& model_;
  DataSource& data_;
  const Projector& projector_;
  Batch batch_;
};

}  // namespace lip
