#pragma once
/* The sweep runner (docs/SWEEPS.md): one MPI job trains every configuration of a sweep deck.
 *
 * The world is split (MPI_Comm_split) into groups of deck.group_size consecutive ranks; each group
 * trains one configuration at a time, data-parallel, and takes the next free one from a counter
 * that world rank 0 exposes in an MPI window (MPI_Fetch_and_op): groups never wait for each other.
 * A configuration with a final result (result.txt) is skipped; one with a checkpoint continues
 * from it (resume auto), so a sweep started again finishes the grid with the rows it would have
 * had. Refused and diverged configurations become rows with their message. SIGTERM / SIGUSR1: each
 * group checkpoints its run and takes no further configuration; the job ends normally.
 *
 * Each run's own output goes to <run dir>/log.txt; the console gets one progress line per finished
 * configuration (configurations finished / running / failed, elapsed, ETA). At the end world rank
 * 0 writes results.csv (sweep_results.hpp).
 */
#include "core/comm.hpp"
#include "sweep/sweep_deck.hpp"

namespace lip {

struct SweepSummary {
  size_t configurations = 0;
  size_t trained = 0;   //!< finished by this job (done, diverged or refused)
  size_t failed = 0;    //!< of those, diverged or refused
  size_t skipped = 0;   //!< already final when this job started
  size_t rows = 0;      //!< rows of results.csv
  bool stopped = false; //!< a stop signal ended the job before the grid was done
};

//! Runs the grid on `world`; collective. The summary is complete on world rank 0.
SweepSummary run_sweep(const SweepDeck& deck, Comm& world);

}  // namespace lip
