#pragma once
/* Metrics files written by rank 0: train.csv (one row per logged step) and eval.csv (one row per
 * evaluation). Columns are fixed at construction; values are written with full precision.
 */
#include <fstream>
#include <string>
#include <vector>

namespace lip {

class CsvWriter {
 public:
  CsvWriter() = default;
  CsvWriter(const std::string& path, const std::vector<std::string>& columns);
  bool is_open() const { return out_.is_open(); }
  void write(const std::vector<double>& values);

 private:
  std::string path_;
  size_t columns_ = 0;
  std::ofstream out_;
};

/// "1h02m03s" / "4m05s" / "12s"
std::string format_duration(double seconds);

}  // namespace lip
