#pragma once
// Test helpers for file-based tests: a scratch directory and the message of an expected lip::Error.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace lip::test {

/// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "lip_test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

/// Runs `f`, which must throw lip::Error; returns the message (and records a failure otherwise).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const lip::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected lip::Error, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected lip::Error, nothing was thrown";
  return {};
}

}  // namespace lip::test
