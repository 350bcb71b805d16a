#include "train/run_dir.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace lip {

namespace fs = std::filesystem;

namespace {

// Rows of an existing metrics file whose first column (the step) is <= max_step.
std::vector<std::vector<double>> rows_up_to(const std::string& path, long max_step, size_t columns) {
  std::vector<std::vector<double>> rows;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return rows;  // header
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) row.push_back(std::strtod(cell.c_str(), nullptr));
    if (row.size() == columns && row[0] <= double(max_step)) rows.push_back(row);
  }
  return rows;
}

// "key value" per line of a resolved deck ("  # default" markers dropped).
std::map<std::string, std::string> deck_values(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) {
    if (const auto hash = line.find("  # default"); hash != std::string::npos) line.erase(hash);
    std::istringstream ls(line);
    std::string key, word, value;
    if (!(ls >> key)) continue;
    while (ls >> word) value += (value.empty() ? "" : " ") + word;
    out[key] = value;
  }
  return out;
}

}  // namespace

void RunDir::create(const std::string& resolved_deck) const {
  fs::create_directories(dir_);
  std::ofstream deck(dir_ + "/deck.resolved");
  deck << resolved_deck;
}

CsvWriter RunDir::open_metrics(const std::string& file, const std::vector<std::string>& columns,
                               long keep_through) const {
  const std::string path = dir_ + "/" + file;
  const auto rows = rows_up_to(path, keep_through, columns.size());
  CsvWriter csv(path, columns);
  for (const auto& row : rows) csv.write(row);
  return csv;
}

std::string RunDir::latest_checkpoint() const {
  std::ifstream latest(dir_ + "/latest");
  if (!latest) return "";
  std::string name;
  latest >> name;
  LIP_REQUIRE(!name.empty(), dir_ << "/latest is empty; pass a checkpoint file to --resume instead");
  const std::string path = dir_ + "/" + name;
  LIP_REQUIRE(fs::exists(path), dir_ << "/latest names " << name << ", which does not exist");
  return path;
}

std::string RunDir::checkpoint_path(long step) const {
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint_%08ld.h5", step);
  return dir_ + "/" + name;
}

void RunDir::save_checkpoint(const ParamStore& params, const std::vector<io::CheckpointSlab>& state,
                             const io::CheckpointMeta& meta) const {
  const fs::path path = checkpoint_path(meta.step);
  const std::string name = path.filename().string();
  io::write_checkpoint(path.string(), params, state, meta);
  io::write_file_atomically(dir_ + "/latest", name + "\n");
  std::vector<fs::path> older;
  for (const auto& e : fs::directory_iterator(dir_)) {
    const auto f = e.path().filename().string();
    if (f.rfind("checkpoint_", 0) != 0) continue;
    if (e.path().extension() == ".tmp") {
      fs::remove(e.path());  // left by a process killed while writing (rank 0 is the only writer)
    } else if (e.path().extension() == ".h5" && f != name) {
      older.push_back(e.path());
    }
  }
  std::sort(older.begin(), older.end());
  for (size_t k = 0; k + size_t(keep_) < older.size() + 1; ++k) fs::remove(older[k]);
}

std::vector<std::string> deck_changes(const std::string& then_text, const std::string& now_text) {
  std::vector<std::string> lines;
  const auto now = deck_values(now_text), then = deck_values(then_text);
  for (const auto& [key, value] : now) {
    const auto it = then.find(key);
    if (it == then.end())
      lines.push_back("resume: deck key " + key + " = " + value + " is new (not in the checkpoint's deck)");
    else if (it->second != value)
      lines.push_back("resume: deck key " + key + " changed: " + it->second + " -> " + value);
  }
  return lines;
}

}  // namespace lip
