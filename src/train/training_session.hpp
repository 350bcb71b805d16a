#pragma once
/* One training, assembled from a resolved deck on a communicator: the batch plan, the data, the
 * model (initialized from the deck's seed) and the trainer around them. lip_driver trains one; the
 * sweep runner (sweep/sweep_runner.hpp) trains one per configuration on its rank group.
 */
#include <memory>

#include "core/comm.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"
#include "train/batch_plan.hpp"
#include "train/data_source.hpp"
#include "train/trainer.hpp"

namespace lip {

class TrainingSession {
 public:
  //! With `announce`, rank 0 prints the data and model lines that lip_driver shows at start-up.
  TrainingSession(RunConfig config, Comm& comm, bool announce);
  TrainingSession(const TrainingSession&) = delete;
  TrainingSession& operator=(const TrainingSession&) = delete;

  const RunConfig& config() const { return config_; }
  Model& model() { return *model_; }
  Trainer& trainer() { return *trainer_; }

 private:
  RunConfig config_;  // the trainer, the model and the data refer to these members: never moved
  BatchPlan plan_;
  std::unique_ptr<DataSource> data_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Trainer> trainer_;
};

}  // namespace lip
