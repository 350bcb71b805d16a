#include "train/training_session.hpp"

#include <cstdio>

#include "model/factory.hpp"

namespace lip {

TrainingSession::TrainingSession(RunConfig config, Comm& comm, bool announce)
    : config_(std::move(config)), plan_(BatchPlan::make(config_, comm.size(), comm.rank())) {
  data_ = make_data_source(config_);
  model_ = make_model(config_, data_->input_features(), data_->num_classes(), plan_.forward_rows(),
                      announce && comm.is_root());
  model_->initialize(config_.seed);
  if (announce && comm.is_root())
    std::printf("data: %s\nmodel: %s with %zu parameters in %zu tensors\n", data_->describe().c_str(),
                config_.model_kind.c_str(), model_->params().num_parameters(), model_->params().num_tensors());
  trainer_ = std::make_unique<Trainer>(config_, plan_, comm, *model_, *data_);
}

}  // namespace lip
