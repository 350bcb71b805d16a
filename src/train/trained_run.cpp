#include "train/trained_run.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "train/run_dir.hpp"

namespace lip {

TrainedRun open_trained_run(const std::string& given) {
  namespace fs = std::filesystem;
  LIP_REQUIRE(fs::exists(given), given << " does not exist; pass a run directory or a checkpoint_*.h5 file");
  TrainedRun run;
  if (fs::is_directory(given)) {
    run.checkpoint = RunDir(given, 1).latest_checkpoint();
    LIP_REQUIRE(!run.checkpoint.empty(),
                given << " is a directory without a `latest` file; pass a run directory with a checkpoint "
                         "(run.checkpoint_every > 0) or a checkpoint_*.h5 file");
  } else {
    run.checkpoint = given;
  }
  run.meta = io::read_checkpoint_meta(run.checkpoint);
  run.config = make_run_config(io::parse(run.meta.deck, run.checkpoint + ":deck", deck_schema()));
  return run;
}

}  // namespace lip
