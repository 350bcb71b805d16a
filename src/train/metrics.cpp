#include "train/metrics.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace lip {

CsvWriter::CsvWriter(const std::string& path, const std::vector<std::string>& columns)
    : path_(path), columns_(columns.size()), out_(path) {
  LIP_REQUIRE(out_.is_open(), "cannot open metrics file " << path << " for writing");
  for (size_t i = 0; i < columns.size(); ++i) out_ << (i ? "," : "") << columns[i];
  out_ << "\n";
  out_.flush();
}

void CsvWriter::write(const std::vector<double>& values) {
  LIP_REQUIRE(values.size() == columns_, path_ << ": row has " << values.size() << " values for " << columns_ << " columns");
  char buf[64];
  for (size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.9g", values[i]);
    out_ << (i ? "," : "") << buf;
  }
  out_ << "\n";
  out_.flush();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = long(std::lround(seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm%02lds", s / 3600, (s / 60) % 60, s % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

}  // namespace lip
