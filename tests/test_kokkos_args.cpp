// KokkosArgs: --help/-h reach the program's parser and never Kokkos; everything else reaches
// Kokkos first, and what Kokkos leaves (it removes its --kokkos-* arguments) reaches the program.
// A help request or KokkosWarnings::silenced adds --kokkos-disable-warnings right after the program
// name, so Kokkos' start-up warnings stay out of stdout (checked end to end by test_generate.sh).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/kokkos_args.hpp"

namespace {
std::vector<std::string> strings(char** argv, int argc) { return {argv, argv + argc}; }
std::vector<std::string> strings(const std::vector<char*>& v) { return {v.begin(), v.end()}; }
}  // namespace

TEST(KokkosArgs, HelpIsKeptFromKokkosAndGivenToTheProgram) {
  char a0[] = "lip_driver", a1[] = "deck.in", a2[] = "--help", a3[] = "--kokkos-threads=2";
  char* argv[] = {a0, a1, a2, a3, nullptr};
  lip::KokkosArgs args(4, argv);
  EXPECT_EQ(args.kokkos_argc(), 4);
  EXPECT_EQ(strings(args.kokkos_argv(), args.kokkos_argc()),
            (std::vector<std::string>{"lip_driver", "--kokkos-disable-warnings", "deck.in", "--kokkos-threads=2"}));
  EXPECT_EQ(args.kokkos_argv()[4], nullptr);
  // Kokkos removes its own arguments in place; the program then sees the rest and the help flag.
  args.kokkos_argv()[1] = args.kokkos_argv()[2];
  args.kokkos_argv()[2] = nullptr;
  args.kokkos_argc() = 2;
  EXPECT_EQ(strings(args.program_args()), (std::vector<std::string>{"lip_driver", "deck.in", "--help"}));
}

TEST(KokkosArgs, WithoutHelpEverythingPassesThrough) {
  char a0[] = "lip_generate", a1[] = "-h5", a2[] = "run";
  char* argv[] = {a0, a1, a2, nullptr};
  lip::KokkosArgs args(3, argv);
  EXPECT_EQ(args.kokkos_argc(), 3);  // "-h5" is not "-h"
  EXPECT_EQ(strings(args.program_args()), (std::vector<std::string>{"lip_generate", "-h5", "run"}));
}

TEST(KokkosArgs, ShortHelpAfterTheProgramNameOnly) {
  char a0[] = "-h", a1[] = "-h";  // argv[0] is the program, never a flag
  char* argv[] = {a0, a1, nullptr};
  lip::KokkosArgs args(2, argv);
  EXPECT_EQ(strings(args.kokkos_argv(), args.kokkos_argc()), (std::vector<std::string>{"-h", "--kokkos-disable-warnings"}));
  args.kokkos_argv()[1] = nullptr;
  args.kokkos_argc() = 1;
  EXPECT_EQ(strings(args.program_args()), (std::vector<std::string>{"-h", "-h"}));
}

TEST(KokkosArgs, SilencedWarningsGoRightAfterTheProgramName) {
  char a0[] = "lip_generate", a1[] = "run", a2[] = "--kokkos-threads=1";
  char* argv[] = {a0, a1, a2, nullptr};
  lip::KokkosArgs args(3, argv, lip::KokkosWarnings::silenced);
  EXPECT_EQ(strings(args.kokkos_argv(), args.kokkos_argc()),
            (std::vector<std::string>{"lip_generate", "--kokkos-disable-warnings", "run", "--kokkos-threads=1"}));
  EXPECT_EQ(args.kokkos_argv()[4], nullptr);
  lip::KokkosArgs shown(3, argv);
  EXPECT_EQ(strings(shown.kokkos_argv(), shown.kokkos_argc()),
            (std::vector<std::string>{"lip_generate", "run", "--kokkos-threads=1"}));
}
