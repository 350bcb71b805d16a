#pragma once
// Wall-clock timer for phase timings; lap() fences the device so kernels are charged to their phase.
#include <Kokkos_Core.hpp>
#include <chrono>

namespace lip {

class Timer {
 public:
  Timer() : start_(clock::now()), lap_(start_) {}
  double elapsed() const { return std::chrono::duration<double>(clock::now() - start_).count(); }
  double lap() {
    Kokkos::fence();
    const auto now = clock::now();
    const double s = std::chrono::duration<double>(now - lap_).count();
    lap_ = now;
    return s;
  }

 private:
  using clock = std::chrono::steady_clock;
  clock::time_point start_, lap_;
};

}  // namespace lip
