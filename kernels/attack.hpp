#pragma once
/* Projected-gradient attack steps on a batch of inputs (docs/ROBUSTNESS.md), one row per example.
 * Each example n has its own radius eps(n) around its clean input x0(n, :); the data range is
 * [0, 1]. Norms are plain ℓ2 or ℓ∞ over the row.
 *
 *   random start:  ℓ∞: x = clip(x0 + U(−ε, ε))
 *                  ℓ2: x = clip(x0 + ε·u^(1/F)·g/‖g‖₂), g ~ N(0, I), u ~ U(0, 1) (uniform in the ball)
 *   step        :  ℓ∞: x = clip(x0 + clamp(x + a·ε·sign(∇) − x0, −ε, ε))
 *                  ℓ2: x = clip(x0 + P_ε(x + a·ε·∇/‖∇‖₂ − x0)),  P_ε scales δ down to ‖δ‖₂ ≤ ε
 *   a = step size as a fraction of ε. FGSM/FGM is one step with a = 1 from x0.
 * Clipping to [0, 1] after the ball projection keeps the point in the ball: x0 lies in the box, so
 * clipping moves every coordinate towards x0.
 *
 * Random draws are Philox (seed, stream, example·F + feature): the same for any chunking of the
 * examples (`first_example` is the global index of row 0) and any backend.
 *
 * record: after each forward, example n is `fooled` once its argmax (first maximum, as
 * kernels::count_correct) differs from its label, and `worst_prob` keeps the lowest correct-class
 * probability seen. margin_cotangent: u = e_j − e_y, so Jᵀu is the input gradient of the logit
 * margin z_j − z_y (the margin loss of Carlini–Wagner); j is the best wrong class when
 * `target_offset` is 0, else the fixed target class (y + target_offset) mod K.
 */
#include "math.hpp"
#include "rng.hpp"
#include "types.hpp"

namespace lip::kernels {

enum class ThreatNorm { l2, linf };

namespace detail {
KOKKOS_INLINE_FUNCTION Real clip01(double v) { return Real(v < 0 ? 0.0 : (v > 1 ? 1.0 : v)); }
using TeamMember = Kokkos::TeamPolicy<ExecSpace>::member_type;
}  // namespace detail

template <class ViewX, class ViewX0, class ViewEps>
void attack_random_start(const ViewX& x, const ViewX0& x0, const ViewEps& eps, ThreatNorm norm, uint64_t seed,
                         uint64_t stream, size_t first_example) {
  const int F = int(x.extent(1));
  LIP_KERNEL_REQUIRE(x0.extent(0) == x.extent(0) && x0.extent(1) == x.extent(1) && eps.extent(0) == x.extent(0),
                     "attack_random_start: x (" << x.extent(0) << "x" << F << "), x0 (" << x0.extent(0) << "x"
                                                << x0.extent(1) << "), eps (" << eps.extent(0) << ") must agree");
  Kokkos::parallel_for(
      "kernels::attack_random_start", Kokkos::TeamPolicy<ExecSpace>(int(x.extent(0)), Kokkos::AUTO),
      KOKKOS_LAMBDA(const detail::TeamMember& team) {
        const int n = team.league_rank();
        const uint64_t base = (first_example + uint64_t(n)) * uint64_t(F);
        const double e = eps(n);
        if (norm == ThreatNorm::linf) {
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, F), [&](const int f) {
            x(n, f) = detail::clip01(x0(n, f) + e * (2 * uniform_draw(seed, stream, base + uint64_t(f)) - 1));
          });
          return;
        }
        double g2 = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, F),
            [&](const int f, double& s) {
              const double g = normal_draw(seed, stream, base + uint64_t(f));
              s += g * g;
            },
            g2);
        // radius ε·u^(1/F): uniform in the ball (u from a separate stream index past the features)
        const double u = uniform_draw(seed, stream ^ 0x5bd1e995u, first_example + uint64_t(n));
        const double scale = g2 > 0 ? e * math::pow(u, 1.0 / F) / math::sqrt(g2) : 0.0;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, F), [&](const int f) {
          x(n, f) = detail::clip01(x0(n, f) + scale * normal_draw(seed, stream, base + uint64_t(f)));
        });
      });
}

template <class ViewX, class ViewX0, class ViewG, class ViewEps>
void attack_step(const ViewX& x, const ViewX0& x0, const ViewG& grad, const ViewEps& eps, double step_fraction,
                 ThreatNorm norm) {
  const int F = int(x.extent(1));
  LIP_KERNEL_REQUIRE(x0.extent(0) == x.extent(0) && x0.extent(1) == x.extent(1) && grad.extent(0) == x.extent(0) &&
                         grad.extent(1) == x.extent(1) && eps.extent(0) == x.extent(0),
                     "attack_step: x (" << x.extent(0) << "x" << F << "), x0, grad and eps must agree");
  Kokkos::parallel_for(
      "kernels::attack_step", Kokkos::TeamPolicy<ExecSpace>(int(x.extent(0)), Kokkos::AUTO),
      KOKKOS_LAMBDA(const detail::TeamMember& team) {
        const int n = team.league_rank();
        const double e = eps(n), a = step_fraction * e;
        if (norm == ThreatNorm::linf) {
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, F), [&](const int f) {
            const double g = grad(n, f);
            const double moved = x(n, f) + a * (g > 0 ? 1.0 : (g < 0 ? -1.0 : 0.0)) - x0(n, f);
            x(n, f) = detail::clip01(x0(n, f) + (moved > e ? e : (moved < -e ? -e : moved)));
          });
          return;
        }
        double g2 = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, F), [&](const int f, double& s) { s += double(grad(n, f)) * grad(n, f); },
            g2);
        const double s = g2 > 0 ? a / math::sqrt(g2) : 0.0;
        // ‖δ + s·∇‖₂ before writing, so every thread reads the old x
        double d2 = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, F),
            [&](const int f, double& acc) {
              const double d = double(x(n, f)) - x0(n, f) + s * grad(n, f);
              acc += d * d;
            },
            d2);
        const double shrink = d2 > e * e ? e / math::sqrt(d2) : 1.0;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, F), [&](const int f) {
          const double d = double(x(n, f)) - x0(n, f) + s * grad(n, f);
          x(n, f) = detail::clip01(x0(n, f) + shrink * d);
        });
      });
}

template <class ViewZ, class ViewP, class ViewY, class ViewFooled, class ViewWorst>
void attack_record(const ViewZ& logits, const ViewP& probs, const ViewY& labels, const ViewFooled& fooled,
                   const ViewWorst& worst_prob) {
  const int V = int(logits.extent(1));
  LIP_KERNEL_REQUIRE(probs.extent(0) == logits.extent(0) && labels.extent(0) == logits.extent(0) &&
                         fooled.extent(0) == logits.extent(0) && worst_prob.extent(0) == logits.extent(0),
                     "attack_record: logits (" << logits.extent(0) << " rows), probs, labels, fooled and worst_prob "
                                                  "must have one entry per row");
  Kokkos::parallel_for(
      "kernels::attack_record", Kokkos::RangePolicy<ExecSpace>(0, logits.extent(0)), KOKKOS_LAMBDA(const size_t n) {
        int best = 0;
        for (int v = 1; v < V; ++v)
          if (logits(n, v) > logits(n, best)) best = v;
        if (best != labels(n)) fooled(n) = 1;
        const double p = probs(n, labels(n));
        if (p < worst_prob(n)) worst_prob(n) = p;
      });
}

template <class ViewU, class ViewZ, class ViewY>
void margin_cotangent(const ViewU& u, const ViewZ& logits, const ViewY& labels, int target_offset) {
  const int V = int(logits.extent(1));
  LIP_KERNEL_REQUIRE(u.extent(0) == logits.extent(0) && u.extent(1) == logits.extent(1) &&
                         labels.extent(0) == logits.extent(0),
                     "margin_cotangent: u must have the logits' shape and labels one entry per row");
  Kokkos::parallel_for(
      "kernels::margin_cotangent", Kokkos::RangePolicy<ExecSpace>(0, logits.extent(0)), KOKKOS_LAMBDA(const size_t n) {
        const int y = labels(n);
        int other = y == 0 ? 1 : 0;
        if (target_offset > 0) {
          other = (y + target_offset) % V;
        } else {
          for (int v = 0; v < V; ++v)
            if (v != y && logits(n, v) > logits(n, other)) other = v;
        }
        for (int v = 0; v < V; ++v) u(n, v) = v == other ? Real(1) : (v == y ? Real(-1) : Real(0));
      });
}

}  // namespace lip::kernels
