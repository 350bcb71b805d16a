#include "io/data_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace lip::io {

namespace fs = std::filesystem;

namespace {

// This file is <repo>/src/io/data_paths.cpp; CMake passes absolute source paths, so __FILE__
// minus that suffix is the repository root. A relative __FILE__ (another build system) gives "".
constexpr const char* kThisFile = __FILE__;
constexpr const char* kSuffix = "src/io/data_paths.cpp";

std::string lexically_clean(const fs::path& p) { return p.lexically_normal().string(); }

//! Names the dataset a file or folder belongs to, for the "how to get it" part of messages.
std::string how_to_get(const std::string& name) {
  const std::string stem = fs::path(name).stem().string();
  for (const char* known : {"mnist", "cifar10", "shakespeare"}) {
    if (stem == known)
      return std::string("run `lip_prepare ") + known + "` (raw files from data/fetch_" + known + ".sh)";
  }
  return "run `lip_prepare <dataset>` after data/fetch_<dataset>.sh, or set LIP_DATA_DIR";
}

std::string tried_list(const std::vector<std::string>& tried) {
  std::ostringstream os;
  for (size_t i = 0; i < tried.size(); ++i) os << (i ? ", " : "") << tried[i];
  return os.str();
}

}  // namespace

std::string repo_root() {
  const std::string file = kThisFile;
  const std::string suffix = kSuffix;
  if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  const fs::path root = file.substr(0, file.size() - suffix.size());
  if (!root.is_absolute()) return {};
  std::string clean = lexically_clean(root);
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  return clean;
}

std::string repo_data_dir() {
  const std::string root = repo_root();
  return root.empty() ? std::string("data") : lexically_clean(fs::path(root) / "data");
}

std::vector<DataDir> data_search_dirs(const std::string& deck_data_dir) {
  std::vector<DataDir> dirs;
  if (!deck_data_dir.empty()) dirs.push_back({"deck data dir", deck_data_dir});
  if (const char* env = std::getenv("LIP_DATA_DIR"); env && *env) dirs.push_back({"$LIP_DATA_DIR", env});
  const std::string root = repo_root();
  if (!root.empty()) {
    dirs.push_back({"repo data", lexically_clean(fs::path(root) / "data")});
    dirs.push_back({"shared data", lexically_clean(fs::path(root) / ".." / "shared" / "data")});
  }
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  dirs.push_back({"current dir", ec ? std::string(".") : cwd.string()});
  return dirs;
}

std::string resolve_data_file(const std::string& relative, const std::string& deck_data_dir) {
  LIP_REQUIRE(!relative.empty(), "data file name is empty");
  std::error_code ec;
  if (fs::path(relative).is_absolute()) {
    LIP_REQUIRE(fs::is_regular_file(relative, ec),
                "data file '" << relative << "' not found; " << how_to_get(relative));
    return relative;
  }
  std::vector<std::string> tried;
  for (const DataDir& dir : data_search_dirs(deck_data_dir)) {
    const fs::path candidate = fs::path(dir.path) / relative;
    if (fs::is_regular_file(candidate, ec)) return lexically_clean(candidate);
    tried.push_back(dir.path + " (" + dir.origin + ")");
  }
  LIP_FAIL("data file '" << relative << "' not found; looked in: " << tried_list(tried) << "; "
                         << how_to_get(relative));
}

std::string raw_data_dir(const std::string& name, const std::string& deck_data_dir) {
  LIP_REQUIRE(!name.empty(), "raw dataset name is empty");
  std::error_code ec;
  std::vector<std::string> tried;
  for (const DataDir& dir : data_search_dirs(deck_data_dir)) {
    for (const fs::path& candidate : {fs::path(dir.path) / "raw" / name, fs::path(dir.path) / name}) {
      if (fs::is_directory(candidate, ec)) return lexically_clean(candidate);
      tried.push_back(lexically_clean(candidate));
    }
  }
  LIP_FAIL("raw " << name << " files not found; looked in: " << tried_list(tried) << "; run data/fetch_" << name
                  << ".sh, set LIP_DATA_DIR, or pass --raw DIR");
}

}  // namespace lip::io
