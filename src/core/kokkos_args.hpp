#pragma once
// Command-line hand-off between Kokkos and a program's own parser. Kokkos::initialize answers a
// bare --help/-h with its own page; a program that has its own help keeps those two flags away
// from Kokkos, lets Kokkos take its --kokkos-* arguments, and parses what is left plus the help
// flag itself.
//
// Kokkos prints its start-up warnings (e.g. "OMP_PROC_BIND environment variable not set") on
// stdout. Where stdout is the program's product (a help page, generated text) they would be mixed
// into it, so the program can ask for them to be silenced: KokkosArgs then hands Kokkos
// --kokkos-disable-warnings (accepted by Kokkos 3.x and 4.x alike). A help request always does.
#include <cstring>
#include <vector>

namespace lip {

enum class KokkosWarnings { shown, silenced };

class KokkosArgs {
 public:
  KokkosArgs(int argc, char** argv, KokkosWarnings warnings = KokkosWarnings::shown) {
    for (int i = 0; i < argc; ++i) {
      const bool help = i > 0 && (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0);
      if (help)
        help_ = argv[i];
      else
        args_.push_back(argv[i]);
    }
    if (warnings == KokkosWarnings::silenced || help_) args_.insert(args_.begin() + (args_.empty() ? 0 : 1), silence_);
    args_.push_back(nullptr);
    argc_ = int(args_.size()) - 1;
  }
  KokkosArgs(const KokkosArgs&) = delete;  // args_ may point into this object
  KokkosArgs& operator=(const KokkosArgs&) = delete;
  /// For Kokkos::ScopeGuard / Kokkos::initialize, which removes the --kokkos-* arguments in place.
  int& kokkos_argc() { return argc_; }
  char** kokkos_argv() { return args_.data(); }
  /// What remains for the program's parser: the arguments Kokkos left, and the help flag if given.
  std::vector<char*> program_args() const {
    std::vector<char*> out(args_.begin(), args_.begin() + argc_);
    if (help_) out.push_back(help_);
    return out;
  }

 private:
  char silence_[26] = "--kokkos-disable-warnings";
  std::vector<char*> args_;
  int argc_ = 0;
  char* help_ = nullptr;
};

}  // namespace lip
