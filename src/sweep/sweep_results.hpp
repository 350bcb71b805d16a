#pragma once
/* What a sweep keeps of each run, and the results table (docs/SWEEPS.md).
 *
 * A run's outcome is written, atomically, to <run dir>/result.txt (`key value` lines) once it is
 * final: trained to the end (`done`), stopped by a non-finite loss (`diverged`), or refused before
 * training (`refused`: a value the deck rejects, a target no cap reaches). A run stopped by SIGTERM
 * has no result.txt and continues from its checkpoint when the sweep is started again. The
 * results table, results.csv, has one row per configuration with a result, in grid order: every
 * swept key, every fixed (`set`) key, the status and message, then the figures of summarize_run().
 */
#include <map>
#include <string>
#include <vector>

#include "sweep/sweep_deck.hpp"

namespace lip {

//! Final statuses (a result.txt exists); anything else is trained again.
enum class RunStatus { done, diverged, refused };
std::string to_string(RunStatus status);

struct RunResult {
  RunStatus status = RunStatus::done;
  std::string message;  //!< the error of a diverged or refused run (one line)
  //! Figures by column name (final/best val loss and accuracy, bounds, norms, times, rate).
  std::map<std::string, std::string> figures;
};

//! Figures from a finished run directory: steps, final_val_loss, final_val_acc, best_val_loss and
//! its step, best_val_acc and its step, log10_bound and bound (the last evaluation), max_activation,
//! norm_<tensor> at the end (eval.csv); rate (median of the logged samples/s or tokens/s) and
//! rate_unit, train_s (the last logged elapsed_s) (train.csv).
std::map<std::string, std::string> summarize_run(const std::string& run_dir);

void write_run_result(const std::string& run_dir, const RunResult& result);
//! The result of `run_dir`, or false when it has none (not started, interrupted).
bool read_run_result(const std::string& run_dir, RunResult& result);

//! <sweep dir>/runs/<id>
std::string run_directory(const SweepDeck& deck, const SweepConfiguration& c);

//! Writes <sweep dir>/results.csv (atomically) from every configuration's result.txt; returns the
//! number of rows.
size_t write_results_table(const SweepDeck& deck);

}  // namespace lip
