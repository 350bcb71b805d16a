#pragma once
// Host-side error reporting. Kernels never report errors: validate before launching.
#include <sstream>
#include <stdexcept>
#include <string>

namespace lip {

/// An error the user can act on: `what()` says where, what was expected and what was found.
/// `hint()` (possibly empty) is printed on a `HINT:` line by the drivers.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string hint = {})
      : std::runtime_error(message), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);
}

}  // namespace lip

/// Throw lip::Error with the caller's file:line when `cond` is false. `msg` is a stream
/// expression: LIP_REQUIRE(n > 0, "batch size must be positive, got " << n).
#define LIP_REQUIRE(cond, msg)                                   \
  do {                                                           \
    if (!(cond)) {                                               \
      std::ostringstream lip_require_os_;                        \
      lip_require_os_ << msg;                                    \
      ::lip::detail::throw_error(__FILE__, __LINE__, lip_require_os_.str()); \
    }                                                            \
  } while (0)

/// Throw lip::Error unconditionally (same message convention as LIP_REQUIRE).
#define LIP_FAIL(msg) LIP_REQUIRE(false, msg)
