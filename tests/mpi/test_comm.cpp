// Comm pieces that resume and preemption rely on, at 1 and 2 ranks: broadcasting a device slab
// from rank 0 (checkpoint loading) and strings (deck text, errors), the per-step max of flags
// (stop signals, non-finite values), the gradient mean, and the stop-signal handlers (a signal
// sets a flag instead of ending the process).
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "core/comm.hpp"

using lip::Comm;
using lip::kernels::Real;

namespace {

TEST(Comm, BroadcastsADeviceSlabFromRankZero) {
  Comm comm;
  const size_t n = 1037;  // not a multiple of any vector width
  Kokkos::View<Real*, lip::kernels::MemSpace> slab("test::slab", n);
  auto h = Kokkos::create_mirror_view(slab);
  for (size_t i = 0; i < n; ++i) h(i) = Real(comm.rank() * 1000 + 0.37 * double(i));
  Kokkos::deep_copy(slab, h);
  comm.broadcast(lip::kernels::as_vector(slab));
  Kokkos::deep_copy(h, slab);
  for (size_t i = 0; i < n; ++i) {
    const Real expected = Real(0.37 * double(i));
    ASSERT_EQ(std::memcmp(&h(i), &expected, sizeof(Real)), 0) << "entry " << i << " on rank " << comm.rank();
  }
}

TEST(Comm, MaxOfFlagsAgreesOnEveryRank) {
  Comm comm;
  std::vector<long> flags = {comm.rank() == comm.size() - 1 ? 1 : 0, long(comm.rank()), -5};
  comm.max(flags);
  EXPECT_EQ(flags, (std::vector<long>{1, long(comm.size() - 1), -5}));
  long value = comm.is_root() ? 42 : 7;
  comm.broadcast(value);
  EXPECT_EQ(value, 42);
}

TEST(Comm, BroadcastsStringsFromTheRoot) {
  Comm comm;
  // Binary-safe (NUL, newline), any length, also empty, from any root.
  std::string text = comm.is_root() ? std::string("deck\0line\n", 10) + std::string(70000, 'x') : "stale";
  comm.broadcast(text);
  EXPECT_EQ(text, std::string("deck\0line\n", 10) + std::string(70000, 'x'));
  std::string empty = comm.is_root() ? "" : "stale";
  lip::broadcast_string(comm.raw(), empty);
  EXPECT_EQ(empty, "");
  const int last = comm.size() - 1;
  std::string from_last = comm.rank() == last ? "rank " + std::to_string(last) : "";
  lip::broadcast_string(comm.raw(), from_last, last);
  EXPECT_EQ(from_last, "rank " + std::to_string(last));
}

TEST(Comm, AllreduceMeanAveragesTheSlab) {
  Comm comm;
  Kokkos::View<Real*, lip::kernels::MemSpace> g("test::grad", 5);
  Kokkos::deep_copy(g, Real(comm.rank() + 1));
  comm.allreduce_mean(lip::kernels::as_vector(g));
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), g);
  const double expected = (comm.size() + 1) / 2.0;
  for (size_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(double(h(i)), expected);
}

TEST(Comm, StopSignalsSetAFlag) {
  lip::install_stop_signal_handlers();
  EXPECT_EQ(lip::received_stop_signal(), 0);
  std::raise(SIGUSR1);
  EXPECT_EQ(lip::received_stop_signal(), SIGUSR1);
  std::raise(SIGTERM);  // still alive: the handler only records it
  EXPECT_EQ(lip::received_stop_signal(), SIGTERM);
  EXPECT_EQ(lip::signal_name(SIGUSR1), "SIGUSR1");
  // Only this rank was signalled; the flags agree anyway.
  Comm comm;
  std::vector<long> flags = {comm.is_root() ? long(lip::received_stop_signal()) : 0};
  comm.max(flags);
  EXPECT_EQ(flags[0], long(SIGTERM));
}

TEST(Comm, CollectiveErrorIsAnError) {
  const lip::CollectiveError e(lip::Error("deck.in:3: unknown key", "fix the key"));
  const lip::Error& base = e;
  EXPECT_STREQ(base.what(), "deck.in:3: unknown key");
  EXPECT_EQ(base.hint(), "fix the key");
}

}  // namespace
