#pragma once
/* Elementwise optimizer math over flat parameter-shaped vectors (ALGORITHMS §5.1, §5.3, §5.6).
 *
 *   ema_momentum      buf ← β·buf + (1−β)·g                      (Muon's EMA, no bias correction)
 *   nesterov_blend    out ← β·buf + (1−β)·g                      (Nesterov look-ahead of the EMA)
 *   adam_direction    m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  d ← m / (sqrt(v) + ε)
 *                     (no bias correction, as in the reference)
 *   decay_and_step    w ← (1 − λη)·w − lr·d                      (decoupled decay, then the step)
 */
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

template <class ViewB, class ViewG>
void ema_momentum(const ViewB& buf, const ViewG& g, Real beta) {
  auto b = as_vector(buf);
  auto gv = as_vector(g);
  Kokkos::parallel_for("kernels::ema_momentum", Kokkos::RangePolicy<ExecSpace>(0, b.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { b(i) = beta * b(i) + (Real(1) - beta) * gv(i); });
}

template <class ViewO, class ViewB, class ViewG>
void nesterov_blend(const ViewO& out, const ViewB& buf, const ViewG& g, Real beta) {
  auto o = as_vector(out);
  auto b = as_vector(buf);
  auto gv = as_vector(g);
  Kokkos::parallel_for("kernels::nesterov_blend", Kokkos::RangePolicy<ExecSpace>(0, o.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { o(i) = beta * b(i) + (Real(1) - beta) * gv(i); });
}

template <class ViewD, class ViewM, class ViewV, class ViewG>
void adam_direction(const ViewD& d, const ViewM& m, const ViewV& v, const ViewG& g, Real beta1, Real beta2, Real eps) {
  auto dv = as_vector(d);
  auto mv = as_vector(m);
  auto vv = as_vector(v);
  auto gv = as_vector(g);
  Kokkos::parallel_for("kernels::adam_direction", Kokkos::RangePolicy<ExecSpace>(0, dv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) {
                         const Real gi = gv(i);
                         mv(i) = beta1 * mv(i) + (Real(1) - beta1) * gi;
                         vv(i) = beta2 * vv(i) + (Real(1) - beta2) * gi * gi;
                         dv(i) = mv(i) / (math::sqrt(vv(i)) + eps);
                       });
}

/// d ← (m·s1) / (sqrt(v·s2) + ε): Adam with bias correction, s1 = 1/(1 − β1^t), s2 = 1/(1 − β2^t).
template <class ViewD, class ViewM, class ViewV>
void adam_corrected_direction(const ViewD& d, const ViewM& m, const ViewV& v, Real s1, Real s2, Real eps) {
  auto dv = as_vector(d);
  auto mv = as_vector(m);
  auto vv = as_vector(v);
  Kokkos::parallel_for("kernels::adam_corrected_direction", Kokkos::RangePolicy<ExecSpace>(0, dv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { dv(i) = mv(i) * s1 / (math::sqrt(vv(i) * s2) + eps); });
}

/// w ← (1 − decay)·w − lr·d, with decay = wd·lr_t·T (coupled by the caller).
template <class ViewW, class ViewD>
void decay_and_step(const ViewW& w, const ViewD& d, Real decay, Real lr) {
  auto wv = as_vector(w);
  auto dv = as_vector(d);
  Kokkos::parallel_for("kernels::decay_and_step", Kokkos::RangePolicy<ExecSpace>(0, wv.extent(0)),
                       KOKKOS_LAMBDA(const size_t i) { wv(i) = (Real(1) - decay) * wv(i) - lr * dv(i); });
}

}  // namespace lip::kernels
