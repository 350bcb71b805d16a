#pragma once
/* The frame of every MPI program of the project (lip_driver, bench_train_step): MPI first, then
 * Kokkos (its --kokkos-* arguments go to Kokkos, the rest to the program), then the program's body
 * on every rank. An error is printed as `rank N: error: ...` (and `HINT: ...`); a CollectiveError,
 * raised on every rank at the same point, is printed once by rank 0 and every rank finalizes
 * normally; any other error ends the whole job (MPI_Abort), since other ranks may be waiting in a
 * collective for this one. Returns the exit status: 0, or 1 on an error.
 */
#include <functional>

#include "core/comm.hpp"
#include "core/kokkos_args.hpp"

namespace lip {

using MpiProgramBody = std::function<int(int argc, char** argv, Comm& comm)>;

int run_mpi_program(int argc, char** argv, const MpiProgramBody& body,
                    KokkosWarnings warnings = KokkosWarnings::shown);

}  // namespace lip
