#pragma once
/* The run directory (run.output_dir), written by rank 0: deck.resolved, the metrics files
 * train.csv / eval.csv / bound_table.csv (docs/FORMATS.md), the checkpoints checkpoint_<step>.h5
 * and `latest`, which names the newest complete one.
 *
 * A kill at any moment leaves `latest` naming a complete checkpoint: the checkpoint is written
 * atomically first, `latest` moves only after that, and older checkpoints go only after that.
 */
#include <string>
#include <vector>

#include "io/checkpoint.hpp"
#include "train/metrics.hpp"

namespace lip {

class RunDir {
 public:
  RunDir(std::string dir, int keep) : dir_(std::move(dir)), keep_(keep) {}
  const std::string& path() const { return dir_; }

  //! Create the directory and write deck.resolved.
  void create(const std::string& resolved_deck) const;
  //! Open a metrics file with these columns, keeping the rows of an existing one whose step (first
  //! column) is <= keep_through (a resumed run continues the file of the run it resumes).
  CsvWriter open_metrics(const std::string& file, const std::vector<std::string>& columns, long keep_through) const;

  //! The checkpoint `latest` names, "" when there is no `latest` (errors when it is empty or dangling).
  std::string latest_checkpoint() const;
  std::string checkpoint_path(long step) const;
  //! Write the checkpoint of `meta.step`, point `latest` at it, keep the newest `keep` files.
  void save_checkpoint(const ParamStore& params, const std::vector<io::CheckpointSlab>& state,
                       const io::CheckpointMeta& meta) const;

 private:
  std::string dir_;
  int keep_;
};

//! "resume: deck key ..." lines for every key whose value differs between two resolved decks
//! (a checkpoint's and the current one) or that only the current one has.
std::vector<std::string> deck_changes(const std::string& then, const std::string& now);

}  // namespace lip
