#include "optim/schedule.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lip {

Schedule::Kind Schedule::parse(const std::string& name) {
  if (name == "linear") return Kind::linear;
  if (name == "cosine") return Kind::cosine;
  if (name == "sqrt") return Kind::sqrt;
  if (name == "none") return Kind::none;
  if (name == "flat_linear") return Kind::flat_linear;
  LIP_FAIL("unknown schedule '" << name << "'; expected linear, cosine, sqrt, none or flat_linear");
}

double Schedule::factor(long t) const {
  const double S = double(total_steps);
  switch (kind) {
    case Kind::linear: return (S - double(t)) / S;
    case Kind::cosine: return 0.5 * (1 + std::cos(M_PI * double(t) / S));
    case Kind::sqrt: return 1.0 / (1.0 + std::sqrt(std::floor(double(t) / 512.0)));
    case Kind::none: return 1.0;
    case Kind::flat_linear: {
      const double start = flat_fraction * S;
      if (double(t) < start) return 1.0;
      const double progress = (double(t) - start) / std::max(1.0, S - start);
      return 1.0 + (final_fraction - 1.0) * std::min(1.0, progress);
    }
  }
  return 1.0;
}

}  // namespace lip
