#include <cmath>
#include <cstdio>

#include "model/model.hpp"

namespace lip {

namespace {

// 10^x as "1.2340e+264" ("inf" / "0" for x = ±inf).
std::string format_power_of_ten(double x) {
  if (!std::isfinite(x)) return x > 0 ? "inf" : "0";
  const double exponent = std::floor(x);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4fe%+03d", std::pow(10.0, x - exponent), int(exponent));
  return buf;
}

}  // namespace

double LipschitzBound::value() const { return std::pow(10.0, log10_bound); }

std::string LipschitzBound::to_string() const { return format_power_of_ten(log10_bound); }

std::string LipschitzBound::budget_table() const {
  std::string table;
  char line[160];
  for (size_t i = 0; i < stage_names.size(); ++i) {
    // The first stage's factor is its own value; after a zero bound (log10 −inf) it is undefined.
    const bool defined = i == 0 || std::isfinite(stage_log10[i - 1]);
    const double factor = i ? stage_log10[i] - stage_log10[i - 1] : stage_log10[i];
    std::snprintf(line, sizeof line, "  %-16s bound %-14s x %s\n", stage_names[i].c_str(),
                  format_power_of_ten(stage_log10[i]).c_str(), defined ? format_power_of_ten(factor).c_str() : "-");
    table += line;
  }
  return table;
}

}  // namespace lip
