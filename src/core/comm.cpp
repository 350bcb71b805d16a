#include "core/comm.hpp"

#include <type_traits>

#include "core/error.hpp"

namespace lip {

namespace {
MPI_Datatype mpi_real() { return std::is_same<kernels::Real, double>::value ? MPI_DOUBLE : MPI_FLOAT; }
}  // namespace

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

void Comm::broadcast(std::string& text, int root) const {
  long long n = static_cast<long long>(text.size());
  LIP_CHECK_MPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm_));
  text.resize(size_t(n));
  if (n > 0) LIP_CHECK_MPI(MPI_Bcast(text.data(), int(n), MPI_CHAR, root, comm_));
}

void Comm::broadcast(std::vector<double>& values, int root) const {
  long long n = static_cast<long long>(values.size());
  LIP_CHECK_MPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm_));
  values.resize(size_t(n));
  if (n > 0) LIP_CHECK_MPI(MPI_Bcast(values.data(), int(n), MPI_DOUBLE, root, comm_));
}

void Comm::barrier() const { LIP_CHECK_MPI(MPI_Barrier(comm_)); }

}  // namespace lip
