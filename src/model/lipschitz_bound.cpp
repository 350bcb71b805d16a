#include <cmath>
#include <cstdio>

#include "model/model.hpp"

namespace lip {

double LipschitzBound::value() const { return std::pow(10.0, log10_bound); }

std::string LipschitzBound::to_string() const {
  if (!std::isfinite(log10_bound)) return log10_bound > 0 ? "inf" : "0";
  const double exponent = std::floor(log10_bound);
  const double mantissa = std::pow(10.0, log10_bound - exponent);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4fe%+03d", mantissa, int(exponent));
  return buf;
}

}  // namespace lip
