#include "core/comm.hpp"

#include <climits>
#include <cstring>
#include <type_traits>

#include "core/error.hpp"

namespace lip {

namespace {
MPI_Datatype mpi_real() { return std::is_same<kernels::Real, double>::value ? MPI_DOUBLE : MPI_FLOAT; }

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void record_stop_signal(int signo) { g_stop_signal = signo; }
}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // interrupted reads and writes resume; the step finishes normally
  for (int signo : {SIGTERM, SIGUSR1})
    LIP_REQUIRE(sigaction(signo, &action, nullptr) == 0, "cannot install the handler of " << signal_name(signo));
}

int received_stop_signal() { return int(g_stop_signal); }

std::string signal_name(int signo) {
  if (signo == SIGTERM) return "SIGTERM";
  if (signo == SIGUSR1) return "SIGUSR1";
  return "signal " + std::to_string(signo);
}

Comm::Comm(MPI_Comm comm) : comm_(comm) {
  LIP_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  LIP_CHECK_MPI(MPI_Comm_size(comm_, &size_));
}

void Comm::allreduce_mean(const kernels::VectorView& x) {
  if (size_ == 1) return;
  const int n = int(x.extent(0));
  LIP_REQUIRE(x.extent(0) < size_t(INT32_MAX), "allreduce_mean: " << x.extent(0) << " entries exceed MPI's int count");
  constexpr bool host_accessible =
      Kokkos::SpaceAccessibility<Kokkos::HostSpace, kernels::MemSpace>::accessible;
  if constexpr (host_accessible) {
    Kokkos::fence();
    LIP_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, x.data(), n, mpi_real(), MPI_SUM, comm_));
  } else {
    if (staging_.extent(0) < x.extent(0)) staging_ = decltype(staging_)("Comm::staging", x.extent(0));
    auto host = Kokkos::subview(staging_, std::make_pair(size_t(0), x.extent(0)));
    Kokkos::deep_copy(host, x);
    LIP_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, host.data(), n, mpi_real(), MPI_SUM, comm_));
    Kokkos::deep_copy(x, host);
  }
  const kernels::Real inv = kernels::Real(1.0 / size_);
  Kokkos::parallel_for("kernels::allreduce_mean_scale", Kokkos::RangePolicy<kernels::ExecSpace>(0, x.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { x(i) *= inv; });
}

double Comm::allreduce_sum(double value) const {
  double out = value;
  LIP_CHECK_MPI(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_SUM, comm_));
  return out;
}

double Comm::allreduce_max(double value) const {
  double out = value;
  LIP_CHECK_MPI(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, comm_));
  return out;
}

bool Comm::any(bool flag) const {
  int in = flag ? 1 : 0, out = 0;
  LIP_CHECK_MPI(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, comm_));
  return out != 0;
}

void Comm::max(std::vector<long>& values) const {
  if (values.empty()) return;
  LIP_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_LONG, MPI_MAX, comm_));
}

void Comm::broadcast(long& value, int root) const { LIP_CHECK_MPI(MPI_Bcast(&value, 1, MPI_LONG, root, comm_)); }

void Comm::broadcast(const kernels::VectorView& x, int root) {
  if (size_ == 1) return;
  LIP_REQUIRE(x.extent(0) < size_t(INT_MAX), "broadcast: " << x.extent(0) << " entries exceed MPI's int count");
  const int n = int(x.extent(0));
  constexpr bool host_accessible = Kokkos::SpaceAccessibility<Kokkos::HostSpace, kernels::MemSpace>::accessible;
  if constexpr (host_accessible) {
    Kokkos::fence();
    LIP_CHECK_MPI(MPI_Bcast(x.data(), n, mpi_real(), root, comm_));
  } else {
    if (staging_.extent(0) < x.extent(0)) staging_ = decltype(staging_)("Comm::staging", x.extent(0));
    auto host = Kokkos::subview(staging_, std::make_pair(size_t(0), x.extent(0)));
    if (rank_ == root) Kokkos::deep_copy(host, x);
    LIP_CHECK_MPI(MPI_Bcast(host.data(), n, mpi_real(), root, comm_));
    Kokkos::deep_copy(x, host);
  }
}

namespace {

using HostStaging = Kokkos::View<kernels::Real*, Kokkos::HostSpace>;

// Runs `mpi(pointer)` on x's data where the host can address it, else on a host copy of x (copied
// in before when `in`, back after when `out`) kept in `staging`, which grows as needed.
template <class Mpi>
void on_host(const kernels::VectorView& x, bool in, bool out, HostStaging& staging, Mpi&& mpi) {
  constexpr bool host_accessible = Kokkos::SpaceAccessibility<Kokkos::HostSpace, kernels::MemSpace>::accessible;
  if constexpr (host_accessible) {
    Kokkos::fence();
    mpi(x.data());
  } else {
    if (staging.extent(0) < x.extent(0)) staging = HostStaging("Comm::staging", x.extent(0));
    auto host = Kokkos::subview(staging, std::make_pair(size_t(0), x.extent(0)));
    if (in) Kokkos::deep_copy(host, x);
    mpi(host.data());
    if (out) Kokkos::deep_copy(x, host);
  }
}

}  // namespace

void Comm::allgather_segments(const kernels::VectorView& x, const std::vector<int>& counts,
                              const std::vector<int>& displs) {
  if (size_ == 1) return;
  on_host(x, true, true, staging_, [&](kernels::Real* data) {
    LIP_CHECK_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts.data(), displs.data(), mpi_real(),
                                 comm_));
  });
}

void Comm::gather_segments(const kernels::VectorView& local, const kernels::VectorView& full,
                           const std::vector<int>& counts, const std::vector<int>& displs, int root) {
  move_segments(local, full, counts, displs, root, true);
}

void Comm::scatter_segments(const kernels::VectorView& full, const kernels::VectorView& local,
                            const std::vector<int>& counts, const std::vector<int>& displs, int root) {
  move_segments(local, full, counts, displs, root, false);
}

void Comm::move_segments(const kernels::VectorView& local, const kernels::VectorView& full,
                         const std::vector<int>& counts, const std::vector<int>& displs, int root, bool gather) {
  const char* op = gather ? "gather_segments" : "scatter_segments";
  LIP_REQUIRE(local.extent(0) == size_t(counts.at(size_t(rank_))),
              op << ": local segment of " << local.extent(0) << " entries, expected " << counts[size_t(rank_)]);
  // one MPI call either way; the root's full vector takes part only on the root
  auto call = [&](kernels::Real* mine, kernels::Real* all) {
    const int n = counts[size_t(rank_)];
    const bool at_root = rank_ == root;
    if (gather)
      LIP_CHECK_MPI(MPI_Gatherv(mine, n, mpi_real(), all, at_root ? counts.data() : nullptr,
                                at_root ? displs.data() : nullptr, mpi_real(), root, comm_));
    else
      LIP_CHECK_MPI(MPI_Scatterv(all, at_root ? counts.data() : nullptr, at_root ? displs.data() : nullptr, mpi_real(),
                                 mine, n, mpi_real(), root, comm_));
  };
  HostStaging local_staging, full_staging;  // checkpoints only: not worth keeping
  on_host(local, gather, !gather, local_staging, [&](kernels::Real* mine) {
    if (rank_ != root) return call(mine, nullptr);
    on_host(full, !gather, gather, full_staging, [&](kernels::Real* all) { call(mine, all); });
  });
}

void broadcast_string(MPI_Comm comm, std::string& text, int root) {
  unsigned long long size = text.size();
  LIP_CHECK_MPI(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, root, comm));
  // Checked after the size is shared, so that every rank throws instead of some waiting forever.
  LIP_REQUIRE(size <= static_cast<unsigned long long>(INT_MAX),
              "broadcast_string: the root's string is " << size << " bytes; at most " << INT_MAX << " can be broadcast");
  text.resize(size_t(size));
  if (size > 0) LIP_CHECK_MPI(MPI_Bcast(text.data(), int(size), MPI_CHAR, root, comm));
}

void Comm::broadcast(std::string& text, int root) const { broadcast_string(comm_, text, root); }

void Comm::broadcast(std::vector<double>& values, int root) const {
  long long n = static_cast<long long>(values.size());
  LIP_CHECK_MPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm_));
  values.resize(size_t(n));
  if (n > 0) LIP_CHECK_MPI(MPI_Bcast(values.data(), int(n), MPI_DOUBLE, root, comm_));
}

void Comm::barrier() const { LIP_CHECK_MPI(MPI_Barrier(comm_)); }

}  // namespace lip
