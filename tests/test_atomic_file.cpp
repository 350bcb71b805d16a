// Atomic file replacement: the new contents appear whole under the final name, no temporary file
// stays behind, and a failure leaves the old file and names what failed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "support/test_files.hpp"

namespace fs = std::filesystem;
using lip::test::error_of;
using lip::test::TempDir;

namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST(AtomicFile, WritesAndReplacesTextWithoutLeavingTheTemporaryFile) {
  TempDir dir("lip_atomic");
  const std::string path = dir.file("latest");
  EXPECT_EQ(lip::io::temporary_path_for(path), path + ".tmp");
  lip::io::write_file_atomically(path, "checkpoint_00000001.h5\n");
  EXPECT_EQ(contents(path), "checkpoint_00000001.h5\n");
  lip::io::write_file_atomically(path, "checkpoint_00000002.h5\n");
  EXPECT_EQ(contents(path), "checkpoint_00000002.h5\n");
  lip::io::write_file_atomically(path, "");
  EXPECT_EQ(contents(path), "");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(AtomicFile, AFailedWriteKeepsTheOldFileAndRemovesTheTemporaryOne) {
  TempDir dir("lip_atomic");
  const std::string path = dir.file("data.h5");
  lip::io::write_file_atomically(path, "old");
  const std::string msg = error_of([&] {
    lip::io::write_atomically(path, [](const std::string& tmp) {
      std::ofstream(tmp) << "half written";
      LIP_FAIL("writer gave up on '" << tmp << "'");
    });
  });
  EXPECT_NE(msg.find("writer gave up on '" + path + ".tmp'"), std::string::npos) << msg;
  EXPECT_EQ(contents(path), "old");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(AtomicFile, ErrorsNameTheFileAndWhatFailed) {
  TempDir dir("lip_atomic");
  const std::string missing_dir = dir.file("no/such/dir/latest");
  std::string msg = error_of([&] { lip::io::write_file_atomically(missing_dir, "x"); });
  EXPECT_NE(msg.find("cannot create '" + missing_dir + ".tmp'"), std::string::npos) << msg;

  msg = error_of([&] { lip::io::fsync_path(dir.file("absent")); });
  EXPECT_NE(msg.find("cannot open '" + dir.file("absent") + "' to flush it to disk: No such file or directory"),
            std::string::npos)
      << msg;

  msg = error_of([&] { lip::io::commit_atomically(dir.file("absent.tmp"), dir.file("absent")); });
  EXPECT_NE(msg.find(dir.file("absent.tmp")), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir.file("absent")));
}

TEST(AtomicFile, CommitMovesACompleteFileIntoPlace) {
  TempDir dir("lip_atomic");
  const std::string path = dir.file("out.bin"), tmp = dir.file("staging.bin");
  std::ofstream(tmp, std::ios::binary) << std::string("\0\1\2", 3);
  lip::io::commit_atomically(tmp, path);
  EXPECT_EQ(contents(path), std::string("\0\1\2", 3));
  EXPECT_FALSE(fs::exists(tmp));
}
