#pragma once
/* MPI communicator wrapper. Every rank holds all parameters (data parallel); after the backward
 * pass there is one allreduce of the flat gradient slab. Device buffers go to MPI directly when
 * they live in host-accessible memory, otherwise through a host staging buffer allocated once
 * (Comm is the only place that decides this).
 *
 * Also here, because they decide how the whole job ends:
 * - CollectiveError: an error raised on every rank at the same point (a deck error, a checkpoint
 *   refused by rank 0 and broadcast, a non-finite loss agreed by allreduce). Only rank 0 prints
 *   it and the job ends without MPI_Abort. Every other error is printed as `rank N: ...` by the
 *   rank that hit it, which then calls MPI_Abort so that no rank waits forever in a collective.
 * - Stop signals: SIGTERM and SIGUSR1 (Slurm `--signal`) only set a flag; the trainer agrees on it
 *   across ranks once per step (Comm::max) and stops after a checkpoint.
 */
#include <mpi.h>

#include <csignal>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "kernels/types.hpp"

namespace lip {

//! An error thrown on every rank at once (identical input or a broadcast decision): the driver
//! prints it once (rank 0) and finalizes MPI normally instead of aborting.
class CollectiveError : public Error {
 public:
  explicit CollectiveError(const std::string& message, std::string hint = {}) : Error(message, std::move(hint)) {}
  explicit CollectiveError(const Error& e) : Error(e.what(), e.hint()) {}
};

//! Route SIGTERM and SIGUSR1 to a flag (SA_RESTART) instead of ending the process.
void install_stop_signal_handlers();
//! The last stop signal this process received (SIGTERM, SIGUSR1), 0 when none.
int received_stop_signal();
//! "SIGTERM", "SIGUSR1", or "signal N".
std::string signal_name(int signo);

//! text ← root's text on every rank of `comm` (size first, then the bytes). Every rank throws the
//! same error when root's text is longer than one MPI_Bcast can carry (INT_MAX bytes). A free
//! function so that code holding only an MPI_Comm (the input deck) shares it with Comm.
void broadcast_string(MPI_Comm comm, std::string& text, int root = 0);

class Comm {
 public:
  explicit Comm(MPI_Comm comm = MPI_COMM_WORLD);

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  MPI_Comm raw() const { return comm_; }

  /// x ← mean over ranks of x (in place; x is a flat device vector, e.g. the gradient slab).
  void allreduce_mean(const kernels::VectorView& x);
  double allreduce_sum(double value) const;
  double allreduce_max(double value) const;
  /// True on every rank when `flag` is true on any rank.
  bool any(bool flag) const;
  /// values[i] ← max over ranks of values[i] (in place; one MPI_Allreduce for all of them).
  void max(std::vector<long>& values) const;
  void broadcast(std::string& text, int root = 0) const;
  void broadcast(std::vector<double>& values, int root = 0) const;
  void broadcast(long& value, int root = 0) const;
  /// Broadcast a flat device vector (e.g. the parameter slab) from `root`, in place.
  void broadcast(const kernels::VectorView& x, int root = 0);
  /// Segments of a flat device vector (rank r's is [displs[r], displs[r] + counts[r])): every rank
  /// ends with every rank's segment, in place (the sharded optimizer's parameter exchange).
  void allgather_segments(const kernels::VectorView& x, const std::vector<int>& counts,
                          const std::vector<int>& displs);
  /// `full` (root only; any View elsewhere) ← every rank's `local` segment at its displacement.
  void gather_segments(const kernels::VectorView& local, const kernels::VectorView& full,
                       const std::vector<int>& counts, const std::vector<int>& displs, int root = 0);
  /// Each rank's `local` ← its segment of root's `full`.
  void scatter_segments(const kernels::VectorView& full, const kernels::VectorView& local,
                        const std::vector<int>& counts, const std::vector<int>& displs, int root = 0);
  void barrier() const;

 private:
  void move_segments(const kernels::VectorView& local, const kernels::VectorView& full, const std::vector<int>& counts,
                     const std::vector<int>& displs, int root, bool gather);
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  Kokkos::View<kernels::Real*, Kokkos::HostSpace> staging_;  // used only for non-host memory
};

}  // namespace lip

#define LIP_CHECK_MPI(call)                                                              \
  do {                                                                                   \
    const int lip_mpi_rc_ = (call);                                                      \
    LIP_REQUIRE(lip_mpi_rc_ == MPI_SUCCESS, #call " failed with MPI error " << lip_mpi_rc_); \
  } while (0)
