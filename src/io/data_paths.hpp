#pragma once
/* Where dataset files are looked up. Search order (first hit wins):
 *   1. the deck's data directory (`deck_data_dir`, when non-empty),
 *   2. the environment variable LIP_DATA_DIR (when set and non-empty),
 *   3. <repo>/data,
 *   4. <repo>/../shared/data,
 *   5. the current directory.
 * <repo> is the source tree this library was compiled from (derived from this file's path at
 * compile time); the two repo entries are skipped when it is unknown. See data/README.md.
 */
#include <string>
#include <vector>

namespace lip::io {

//! One candidate directory and why it is searched (for messages), e.g. {"$LIP_DATA_DIR", "/data"}.
struct DataDir {
  std::string origin;
  std::string path;
};

//! The directories searched for data, in order (missing ones included, empty entries skipped).
std::vector<DataDir> data_search_dirs(const std::string& deck_data_dir);

//! Absolute path of the source tree this library was built from ("" when unknown).
std::string repo_root();

//! <repo>/data, where lip_prepare writes by default ("data" when the repo is unknown).
std::string repo_data_dir();

//! Find `relative` (e.g. "cifar10.h5") in the data search dirs and return its path. An absolute
//! `relative` is returned as is when it exists. Throws, listing every directory tried and how to
//! produce the file (lip_prepare / data/fetch_*.sh), when nothing is found.
std::string resolve_data_file(const std::string& relative, const std::string& deck_data_dir);

//! Find the directory of raw originals for dataset `name` ("mnist", "cifar10", "shakespeare"):
//! <dir>/raw/<name> (where data/fetch_*.sh download to) or <dir>/<name>, for each search dir.
std::string raw_data_dir(const std::string& name, const std::string& deck_data_dir);

}  // namespace lip::io
