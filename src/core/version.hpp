#pragma once
// The build's version, "<project version>-<git describe>", from a source generated at build time
// (scripts/version.cmake): printed at start-up and stored in every checkpoint.

namespace lip {

const char* version_string();

}  // namespace lip
