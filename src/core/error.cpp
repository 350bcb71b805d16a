#include "core/error.hpp"

#include <cstring>

namespace lip::detail {

void throw_error(const char* file, int line, const std::string& message) {
  // Keep only the path below src/ or kernels/ so messages do not depend on the build machine.
  const char* shown = file;
  for (const char* marker : {"/src/", "/kernels/", "/drivers/"}) {
    if (const char* p = std::strstr(file, marker)) shown = p + 1;
  }
  throw Error(message + " [" + shown + ":" + std::to_string(line) + "]");
}

}  // namespace lip::detail
