#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace lip::io {

std::string temporary_path_for(const std::string& path) { return path + ".tmp"; }

void fsync_path(const std::string& path) {
  // O_RDONLY works for directories too, which is how a rename is made durable.
  const int fd = ::open(path.c_str(), O_RDONLY);
  LIP_REQUIRE(fd >= 0, "cannot open '" << path << "' to flush it to disk: " << std::strerror(errno));
  const int rc = ::fsync(fd);
  const int fsync_errno = errno;
  ::close(fd);
  LIP_REQUIRE(rc == 0, "fsync of '" << path << "' failed: " << std::strerror(fsync_errno));
}

void commit_atomically(const std::string& tmp, const std::string& path) {
  fsync_path(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  LIP_REQUIRE(!ec, "cannot rename '" << tmp << "' to '" << path << "': " << ec.message());
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  fsync_path(dir.empty() ? "." : dir.string());
}

void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write) {
  const std::string tmp = temporary_path_for(path);
  try {
    write(tmp);
    commit_atomically(tmp, path);
  } catch (...) {
    std::error_code ignored;  // the original error is the one worth reporting
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

void write_file_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    LIP_REQUIRE(out, "cannot create '" << tmp << "' (the new contents of '" << path << "'): "
                                       << std::strerror(errno));
    out << text;
    out.close();
    LIP_REQUIRE(out, "cannot write " << text.size() << " bytes to '" << tmp << "' (the new contents of '" << path
                                     << "')");
  });
}

}  // namespace lip::io
