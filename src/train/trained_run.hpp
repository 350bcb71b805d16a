#pragma once
/* A finished (or running) training run, opened for inspection tools (lip_generate,
 * lip_robustness, lip_lower_bound): the checkpoint, its metadata and the deck it was trained with.
 */
#include <string>

#include "io/checkpoint.hpp"
#include "io/run_config.hpp"

namespace lip {

struct TrainedRun {
  std::string checkpoint;  ///< the checkpoint file
  io::CheckpointMeta meta;
  RunConfig config;        ///< from the deck stored in the checkpoint
};

//! `given` is a checkpoint file or a run directory (its `latest` checkpoint is used). Errors name
//! the path and what is missing.
TrainedRun open_trained_run(const std::string& given);

}  // namespace lip
