#pragma once
// Levenshtein distance and the "did you mean ...?" pick built on it, shared by every message that
// suggests a name for a mistyped one (deck keys and choices, projection methods).
#include <cstddef>
#include <string>
#include <vector>

namespace lip {

//! Levenshtein edit distance (insertions, deletions, substitutions each cost 1); case-sensitive.
std::size_t edit_distance(const std::string& a, const std::string& b);

//! The candidate nearest to `name` by edit_distance, the first one on ties (so a caller that
//! passes sorted candidates gets a deterministic answer); "" when `candidates` is empty. Callers
//! decide whether the distance is small enough to suggest it.
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace lip
