#include "core/edit_distance.hpp"

#include <algorithm>

namespace lip {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Two-row dynamic programme: row[j] = distance(a[0..i), b[0..j)).
  std::vector<std::size_t> prev(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, substitute});
    }
    std::swap(prev, row);
  }
  return prev[b.size()];
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    const std::size_t d = edit_distance(name, candidate);
    if (!best || d < best_distance) best = &candidate, best_distance = d;  // strict: first wins ties
  }
  return best ? *best : std::string();
}

}  // namespace lip
