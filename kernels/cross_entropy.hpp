#pragma once
/* Softmax cross-entropy, mean over positions (ALGORITHMS §8), and accuracy.
 *
 *   forward : p = softmax(z) row-wise;  loss = (1/N) Σ_n [logsumexp(z_n) − z_n[y_n]]
 *             writes p [N, V] (cached for the backward) and returns the loss (host double).
 *   backward: dz += grad_scale · (p − onehot(y)) / N
 *             (grad_scale carries an upstream factor, e.g. 1 for the loss itself).
 *   accuracy: number of rows whose first argmax equals the target (ties → first index).
 * Targets are ints in [0, V); the caller validates them (data loaders check label ranges).
 */
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

template <class ViewP, class ViewZ, class ViewY>
double softmax_cross_entropy_forward(const ViewP& probs, const ViewZ& logits, const ViewY& targets) {
  const size_t N = logits.extent(0);
  const int V = int(logits.extent(1));
  LIP_KERNEL_REQUIRE(probs.extent(0) == N && probs.extent(1) == size_t(V) && targets.extent(0) == N,
                     "softmax_cross_entropy_forward: logits (" << N << "x" << V << "), probs ("
                         << probs.extent(0) << "x" << probs.extent(1) << "), targets (" << targets.extent(0)
                         << "); expected probs like logits and one target per row");
  double total = 0;
  Kokkos::parallel_reduce(
      "kernels::softmax_cross_entropy_forward", Kokkos::RangePolicy<ExecSpace>(0, N),
      KOKKOS_LAMBDA(const size_t n, double& acc) {
        double m = logits(n, 0);
        for (int v = 1; v < V; ++v) m = double(logits(n, v)) > m ? double(logits(n, v)) : m;
        double sum = 0;
        for (int v = 0; v < V; ++v) sum += math::exp(double(logits(n, v)) - m);
        const double log_sum = math::log(sum);
        for (int v = 0; v < V; ++v) probs(n, v) = Real(math::exp(double(logits(n, v)) - m - log_sum));
        acc += m + log_sum - double(logits(n, targets(n)));
      },
      total);
  return N > 0 ? total / double(N) : 0.0;
}

/// dz += grad_scale · (p − onehot(y)) / N
template <class ViewDZ, class ViewP, class ViewY>
void softmax_cross_entropy_backward(const ViewDZ& dlogits, const ViewP& probs, const ViewY& targets,
                                    double grad_scale = 1.0) {
  const size_t N = probs.extent(0);
  const int V = int(probs.extent(1));
  LIP_KERNEL_REQUIRE(dlogits.extent(0) == N && dlogits.extent(1) == size_t(V),
                     "softmax_cross_entropy_backward: dlogits (" << dlogits.extent(0) << "x" << dlogits.extent(1)
                                                                 << ") must match probs (" << N << "x" << V << ")");
  const Real w = Real(grad_scale / double(N > 0 ? N : 1));
  Kokkos::parallel_for("kernels::softmax_cross_entropy_backward", Kokkos::RangePolicy<ExecSpace>(0, N),
                       KOKKOS_LAMBDA(const size_t n) {
                         const int y = targets(n);
                         for (int v = 0; v < V; ++v) dlogits(n, v) += w * (probs(n, v) - (v == y ? Real(1) : Real(0)));
                       });
}

/// Number of rows whose first argmax equals the target.
template <class ViewZ, class ViewY>
size_t count_correct(const ViewZ& logits, const ViewY& targets) {
  const int V = int(logits.extent(1));
  size_t correct = 0;
  Kokkos::parallel_reduce(
      "kernels::accuracy", Kokkos::RangePolicy<ExecSpace>(0, logits.extent(0)),
      KOKKOS_LAMBDA(const size_t n, size_t& acc) {
        int best = 0;
        for (int v = 1; v < V; ++v)
          if (logits(n, v) > logits(n, best)) best = v;
        acc += best == targets(n) ? 1 : 0;
      },
      correct);
  return correct;
}

}  // namespace lip::kernels
