#pragma once
/* MPI communicator wrapper. Every rank holds all parameters (data parallel); after the backward
 * pass there is one allreduce of the flat gradient slab. Device buffers go to MPI directly when
 * they live in host-accessible memory, otherwise through a host staging buffer allocated once
 * (Comm is the only place that decides this).
 */
#include <mpi.h>

#include <string>
#include <vector>

#include "kernels/types.hpp"

namespace lip {

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
  void broadcast(std::string& text, int root = 0) const;
  void broadcast(std::vector<double>& values, int root = 0) const;
  void barrier() const;

 private:
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
