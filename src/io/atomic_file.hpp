#pragma once
/* Replacing a file so that readers, and a process killed at any moment, only ever see the old
 * complete file or the new complete one: write `<path>.tmp`, fsync it, rename it over `<path>`,
 * fsync the directory. The rename is atomic on POSIX file systems; the two fsyncs make the new
 * contents and the new directory entry durable before anyone is told the file exists (a
 * checkpoint's `latest` pointer, a dataset a job is about to read).
 *
 * A killed process can leave `<path>.tmp` behind (never a partial `<path>`); an error thrown while
 * writing removes it.
 */
#include <functional>
#include <string>

namespace lip::io {

//! The temporary file `path` is written to before it is committed: `<path>.tmp`.
std::string temporary_path_for(const std::string& path);

//! Flushes the file or directory `path` to disk (open + fsync); throws naming `path` and what
//! failed.
void fsync_path(const std::string& path);

//! Makes the complete file `tmp` the new `path`: fsyncs `tmp`, renames it over `path`, fsyncs the
//! directory holding `path`.
void commit_atomically(const std::string& tmp, const std::string& path);

//! Calls `write(tmp)` with tmp = temporary_path_for(path), then commit_atomically(tmp, path). When
//! either throws, tmp is removed and the error propagates; `path` still holds complete contents
//! (the old ones, or the new ones when only the final directory fsync failed).
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write);

//! Replaces the text file `path` by `text` atomically (write_atomically with a plain file).
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace lip::io
