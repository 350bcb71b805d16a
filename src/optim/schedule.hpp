#pragma once
/* Learning-rate schedules (ALGORITHMS §5.7): lr_t = lr · f(t), t = completed updates (0-based),
 * S = total steps. No warm-up.
 *   linear        f = (S − t)/S                        (first step full lr, never exactly 0)
 *   cosine        f = ½(1 + cos(π t / S))
 *   sqrt          f = 1 / (1 + sqrt(floor(t / 512)))
 *   none          f = 1
 *   flat_linear   f = 1 for t < c·S, then linear from 1 to `final_fraction` at t = S
 *                 (NanoGPT: c = 0.6, final 0.1; NANOGPT.md)
 */
#include <string>

namespace lip {

struct Schedule {
  enum class Kind { linear, cosine, sqrt, none, flat_linear } kind = Kind::linear;
  long total_steps = 1;
  double flat_fraction = 0.6;   ///< flat_linear only
  double final_fraction = 0.1;  ///< flat_linear only

  static Kind parse(const std::string& name);
  /// Multiplier f(t) for completed-update count t.
  double factor(long t) const;
};

}  // namespace lip
