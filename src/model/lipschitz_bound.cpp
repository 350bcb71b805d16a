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

std::string LipschitzBound::budget_table() const {
  std::string table;
  char line[160];
  for (size_t i = 0; i < stage_names.size(); ++i) {
    LipschitzBound running{stage_log10[i], {}, {}};
    // The first stage has no predecessor: its factor is its own value.
    LipschitzBound factor{i ? stage_log10[i] - stage_log10[i - 1] : stage_log10[i], {}, {}};
    if (i && !std::isfinite(stage_log10[i - 1])) factor.log10_bound = std::nan("");
    std::snprintf(line, sizeof line, "  %-16s bound %-14s x %s\n", stage_names[i].c_str(), running.to_string().c_str(),
                  std::isnan(factor.log10_bound) ? "-" : factor.to_string().c_str());
    table += line;
  }
  return table;
}

}  // namespace lip
