// load_and_broadcast: rank 0 reads, every rank resolves the same deck, and every rank throws
// the same error (without hanging) when rank 0 cannot read the file or the text is invalid.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "core/error.hpp"
#include "io/input_deck.hpp"

using lip::io::DeckDefault;
using lip::io::DeckRange;
using lip::io::DeckSchema;

namespace {

DeckSchema test_schema() {
  DeckSchema s;
  s.add_int("run.steps", DeckDefault::required(), "Number of optimizer steps", DeckRange::at_least(1));
  s.add_double("optim.lr", 0.02, "Peak learning rate", DeckRange::greater_than(0));
  s.add_string("optim.kind", "muon", "Optimizer", {"muon", "adamw", "sgd"});
  s.add_string("run.name", "run", "Run label");
  s.add_double_list("model.widths", {64}, "Hidden widths");
  return s;
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Rank 0's copy of `s` (on every rank).
std::string from_rank0(std::string s) {
  unsigned long long n = s.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  s.resize(n);
  if (n) MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
  return s;
}

// True on every rank only when `ok` holds on every rank (so rank 0 reports a failure anywhere).
bool all_ranks(bool ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

// A file named by rank 0 and written there only; removed at scope exit.
struct TempDeck {
  std::string path;
  explicit TempDeck(const std::string& text) {
    static int count = 0;
    if (rank() == 0) {
      path = (std::filesystem::temp_directory_path() /
              ("lip_deck_bcast_" + std::to_string(::getpid()) + "_" + std::to_string(count++) + ".in"))
                 .string();
      std::ofstream(path) << text;
    }
    path = from_rank0(path);
  }
  ~TempDeck() {
    MPI_Barrier(MPI_COMM_WORLD);  // every rank is done with it
    if (rank() == 0) std::filesystem::remove(path);
  }
};

// The lip::Error message every rank got from load_and_broadcast, or "<no error>".
std::string broadcast_error(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    lip::io::load_and_broadcast(path, overrides, test_schema(), MPI_COMM_WORLD);
  } catch (const lip::Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST(InputDeckBroadcast, EveryRankResolvesTheSameDeck) {
  TempDeck file("run.steps 40 # steps\nrun.name \"two words\"\nmodel.widths 32 16\n");
  // Only rank 0's overrides count: the others pass different ones, which must be ignored.
  const std::vector<std::string> overrides =
      rank() == 0 ? std::vector<std::string>{"optim.lr=0.5", "optim.kind=adamw"}
                  : std::vector<std::string>{"optim.lr=9"};
  const auto deck = lip::io::load_and_broadcast(file.path, overrides, test_schema(), MPI_COMM_WORLD);
  const std::string text = deck.resolved_text();
  EXPECT_TRUE(all_ranks(text == from_rank0(text))) << text;
  const bool values_ok = deck.get_int("run.steps") == 40 && deck.get_double("optim.lr") == 0.5 &&
                         deck.get_string("optim.kind") == "adamw" &&
                         deck.get_string("run.name") == "two words" &&
                         deck.get_double_list("model.widths") == std::vector<double>{32, 16} &&
                         deck.origin("run.steps") == file.path + ":1";
  EXPECT_TRUE(all_ranks(values_ok)) << text;
}

TEST(InputDeckBroadcast, MissingFileThrowsOnEveryRank) {
  const std::string path = "/nonexistent-dir/lip-deck.in";
  const std::string msg = broadcast_error(path);
  EXPECT_NE(msg.find("cannot open input deck '/nonexistent-dir/lip-deck.in': No such file or directory"),
            std::string::npos)
      << msg;
  EXPECT_TRUE(all_ranks(msg.find("cannot open input deck") != std::string::npos)) << msg;
  EXPECT_TRUE(all_ranks(msg == from_rank0(msg))) << msg;
}

TEST(InputDeckBroadcast, InvalidDeckThrowsTheSameErrorOnEveryRank) {
  TempDeck file("run.steps 4\noptim.lrr 0.1\n");
  const std::string msg = broadcast_error(file.path);
  EXPECT_NE(msg.find(file.path + ":2: unknown key 'optim.lrr'; did you mean 'optim.lr'?"), std::string::npos)
      << msg;
  EXPECT_TRUE(all_ranks(msg == from_rank0(msg))) << msg;

  TempDeck good("run.steps 4\n");
  const std::string bad_override = broadcast_error(good.path, {"optim.lr=fast"});
  EXPECT_NE(bad_override.find("--set optim.lr=fast: optim.lr expects a number, got 'fast'"), std::string::npos)
      << bad_override;
  EXPECT_TRUE(all_ranks(bad_override == from_rank0(bad_override))) << bad_override;
}
