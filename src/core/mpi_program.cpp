#include "core/mpi_program.hpp"

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdio>

#include "core/error.hpp"

namespace lip {

int run_mpi_program(int argc, char** argv, const MpiProgramBody& body, KokkosWarnings warnings) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  {
    KokkosArgs args(argc, argv, warnings);
    Kokkos::ScopeGuard kokkos(args.kokkos_argc(), args.kokkos_argv());
    auto program_args = args.program_args();
    Comm comm;
    bool everywhere = false;  // the error was raised on every rank at the same point
    try {
      rc = body(int(program_args.size()), program_args.data(), comm);
    } catch (const Error& e) {
      everywhere = dynamic_cast<const CollectiveError*>(&e) != nullptr;
      if (!everywhere || comm.is_root()) {
        std::fprintf(stderr, "rank %d: error: %s\n", comm.rank(), e.what());
        if (!e.hint().empty()) std::fprintf(stderr, "HINT: %s\n", e.hint().c_str());
      }
      rc = 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rank %d: error: %s\n", comm.rank(), e.what());
      rc = 1;
    }
    if (rc != 0 && comm.size() > 1 && !everywhere) MPI_Abort(MPI_COMM_WORLD, rc);
  }
  MPI_Finalize();
  return rc;
}

}  // namespace lip
