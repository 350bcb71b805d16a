#include "sweep/sweep_deck.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/input_deck.hpp"
#include "io/run_config.hpp"

namespace lip {

namespace {

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line.substr(0, line.find('#')));
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

double parse_number(const std::string& text, const std::string& where, const std::string& what) {
  size_t used = 0;
  double v = NAN;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  LIP_REQUIRE(used == text.size() && std::isfinite(v), where << ": " << what << " must be a finite number, got '" << text << "'");
  return v;
}

std::string six_digits(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

//! FNV-1a, 64 bits: a stable digest of the overrides (the run's directory name).
std::string digest(const std::vector<std::string>& lines) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& line : lines) {
    for (unsigned char c : line + "\n") {
      h ^= c;
      h *= 1099511628211ull;
    }
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

//! Keys the runner sets itself for every configuration.
const std::set<std::string>& runner_keys() {
  static const std::set<std::string> keys = {"run.output_dir", "run.name"};
  return keys;
}

void check_key(const io::DeckSchema& schema, const std::string& key, const std::string& where) {
  if (!schema.has(key)) {
    const std::string near = schema.closest_key(key);
    throw Error(where + ": unknown deck key '" + key + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"),
                "every valid key is listed in docs/INPUT_DECK.md");
  }
  LIP_REQUIRE(!runner_keys().count(key),
              where << ": " << key << " is set by the sweep for every configuration (the run directory is <output>/runs/<id>)");
}

}  // namespace

std::vector<std::string> expand_sweep_values(const std::vector<std::string>& values, const std::string& where) {
  if (!values.empty() && (values[0] == "logspace" || values[0] == "linspace")) {
    LIP_REQUIRE(values.size() == 4, where << ": expected '" << values[0] << " A B N', got " << values.size() - 1
                                          << " argument(s)");
    const double a = parse_number(values[1], where, values[0] + "'s A");
    const double b = parse_number(values[2], where, values[0] + "'s B");
    const double n_real = parse_number(values[3], where, values[0] + "'s N");
    LIP_REQUIRE(n_real >= 1 && n_real == std::floor(n_real) && n_real <= 100000,
                where << ": " << values[0] << "'s N must be a whole number ≥ 1, got " << values[3]);
    const int n = int(n_real);
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      const double t = n == 1 ? a : a + (b - a) * double(i) / double(n - 1);
      out.push_back(six_digits(values[0] == "logspace" ? std::pow(10.0, t) : t));
    }
    return out;
  }
  LIP_REQUIRE(!values.empty(), where << ": an axis needs at least one value");
  return values;
}

std::vector<std::string> SweepDeck::swept_keys() const {
  std::vector<std::string> keys;
  for (const auto& axis : axes) keys.insert(keys.end(), axis.keys.begin(), axis.keys.end());
  return keys;
}

std::vector<SweepConfiguration> SweepDeck::configurations() const {
  size_t total = 1;
  for (const auto& axis : axes) total *= axis.size();
  std::vector<SweepConfiguration> grid(total);
  for (size_t index = 0; index < total; ++index) {
    SweepConfiguration& c = grid[index];
    c.index = index;
    // Mixed radix, last axis fastest.
    std::vector<size_t> point(axes.size());
    for (size_t a = axes.size(), rest = index; a-- > 0;) {
      point[a] = rest % axes[a].size();
      rest /= axes[a].size();
    }
    for (size_t a = 0; a < axes.size(); ++a)
      for (size_t k = 0; k < axes[a].keys.size(); ++k) c.swept.emplace_back(axes[a].keys[k], axes[a].values[k][point[a]]);
    for (const auto& [key, value] : fixed) c.overrides.push_back(key + "=" + value);
    for (const auto& [key, value] : c.swept) c.overrides.push_back(key + "=" + value);
    std::vector<std::string> sorted(c.overrides);
    std::sort(sorted.begin(), sorted.end());
    c.id = digest(sorted);
  }
  return grid;
}

SweepDeck parse_sweep_deck(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  const auto schema = deck_schema();
  SweepDeck deck;
  deck.source = source;
  std::string base;
  std::map<std::string, size_t> axis_of;  // axis or zip name → index in deck.axes
  std::set<std::string> used_keys;
  auto use_key = [&](const std::string& key, const std::string& where) {
    check_key(schema, key, where);
    LIP_REQUIRE(used_keys.insert(key).second, where << ": " << key << " is already set or swept earlier in the sweep deck");
  };

  std::vector<std::pair<std::string, std::string>> lines;  // (where, text)
  {
    std::istringstream in(text);
    int number = 0;
    for (std::string line; std::getline(in, line);) lines.emplace_back(source + ":" + std::to_string(++number), line);
    for (const auto& o : overrides) lines.emplace_back("--sweep-set '" + o + "'", o);
  }
  for (const auto& [where, line] : lines) {
    const auto w = split_words(line);
    if (w.empty()) continue;
    const std::string& word = w[0];
    if (word == "base" || word == "output") {
      LIP_REQUIRE(w.size() == 2, where << ": expected '" << word << " PATH'");
      (word == "base" ? base : deck.output_dir) = w[1];
    } else if (word == "group_size") {
      LIP_REQUIRE(w.size() == 2, where << ": expected 'group_size N'");
      const double g = parse_number(w[1], where, "group_size");
      LIP_REQUIRE(g >= 1 && g == std::floor(g) && g < 1e6, where << ": group_size must be a whole number ≥ 1, got " << w[1]);
      deck.group_size = int(g);
    } else if (word == "set") {
      LIP_REQUIRE(w.size() >= 3, where << ": expected 'set KEY VALUE'");
      use_key(w[1], where);
      std::string value = w[2];
      for (size_t i = 3; i < w.size(); ++i) value += " " + w[i];
      deck.fixed.emplace_back(w[1], value);
    } else if (word == "axis") {
      LIP_REQUIRE(w.size() >= 3, where << ": expected 'axis KEY VALUE…' or 'axis KEY logspace|linspace A B N'");
      use_key(w[1], where);
      deck.axes.push_back({w[1], {w[1]}, {expand_sweep_values({w.begin() + 2, w.end()}, where)}});
    } else if (word == "zip") {
      LIP_REQUIRE(w.size() >= 4, where << ": expected 'zip NAME KEY VALUE…'");
      use_key(w[2], where);
      const auto values = expand_sweep_values({w.begin() + 3, w.end()}, where);
      auto [it, fresh] = axis_of.emplace("zip " + w[1], deck.axes.size());
      if (fresh) {
        deck.axes.push_back({w[1], {}, {}});
      } else {
        LIP_REQUIRE(deck.axes[it->second].size() == values.size(),
                    where << ": zip group '" << w[1] << "' has " << deck.axes[it->second].size() << " values per key, "
                          << w[2] << " has " << values.size());
      }
      deck.axes[it->second].keys.push_back(w[2]);
      deck.axes[it->second].values.push_back(values);
    } else {
      throw Error(where + ": unknown sweep line '" + word + "'", "a sweep deck has base, output, group_size, set, axis "
                  "and zip lines (docs/SWEEPS.md); training keys go after 'set' or 'axis'");
    }
  }
  LIP_REQUIRE(!base.empty(), source << ": missing 'base DECK' (the deck every configuration starts from)");
  LIP_REQUIRE(!deck.output_dir.empty(), source << ": missing 'output DIR' (the sweep directory)");
  const std::filesystem::path base_path(base);
  deck.base_deck = base_path.is_absolute() ? base : (std::filesystem::path(source).parent_path() / base_path).string();
  return deck;
}

SweepDeck load_sweep_deck(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_sweep_deck(io::read_deck_text(path), path, overrides);
}

}  // namespace lip
