// Input deck: parsing, every user error with its message, overrides, getters, the resolved-deck
// round trip, the typo suggestion and the markdown reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <unistd.h>

#include "core/error.hpp"
#include "io/input_deck.hpp"
#include "support/test_files.hpp"

using lip::io::DeckDefault;
using lip::io::DeckRange;
using lip::io::DeckSchema;
using lip::io::InputDeck;

namespace {

DeckSchema test_schema() {
  DeckSchema s;
  s.add_int("run.steps", DeckDefault::required(), "Number of optimizer steps", DeckRange::at_least(1));
  s.add_string("data.train", DeckDefault::required(), "Training set (HDF5)");
  s.add_int("data.batch_size", 32, "Sequences per rank per step", DeckRange::at_least(1));
  s.add_int("data.offset", -3, "Signed offset");
  s.add_double("optim.lr", 0.02, "Peak learning rate", DeckRange::greater_than(0));
  s.add_double("optim.beta", 0.95, "Momentum coefficient", DeckRange::at_least(0).and_less_than(1));
  s.add_string("optim.kind", "muon", "Optimizer", {"muon", "adamw", "sgd"});
  s.add_bool("optim.nesterov", true, "Use Nesterov momentum");
  s.add_string("run.name", "tiny mlp", "Run label");
  s.add_double_list("model.widths", {64, 64}, "Hidden widths", DeckRange::at_least(1));
  s.add_string_list("run.tags", {}, "Free-form tags");
  s.add_string_list("constraint.kinds", {"hard_cap"}, "Constraint per layer",
                    {"none", "hard_cap", "soft_cap"});
  return s;
}

const char* kMinimal = "run.steps 10\ndata.train data/train.h5\n";

// The message of the lip::Error that `f` throws (a test failure when nothing is thrown).
using lip::test::error_of;

template <class F>
std::string hint_of(F&& f) {
  try {
    f();
  } catch (const lip::Error& e) {
    return e.hint();
  }
  return "<no error>";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { lip::io::parse(text, "deck.in", test_schema()); });
}

// Checks that `message` contains `expected` and is a single line.
#define EXPECT_MESSAGE(message, expected)                                      \
  do {                                                                         \
    const std::string m_ = (message);                                          \
    EXPECT_NE(m_.find(expected), std::string::npos) << "message: " << m_;      \
    EXPECT_EQ(m_.find('\n'), std::string::npos) << "multi-line message: " << m_; \
  } while (0)

}  // namespace

// ---- values ---------------------------------------------------------------------------------

TEST(InputDeck, DefaultsFillUnsetKeys) {
  const auto deck = lip::io::parse(kMinimal, "deck.in", test_schema());
  EXPECT_EQ(deck.get_int("run.steps"), 10);
  EXPECT_EQ(deck.get_string("data.train"), "data/train.h5");
  EXPECT_EQ(deck.get_int("data.batch_size"), 32);
  EXPECT_EQ(deck.get_int("data.offset"), -3);
  EXPECT_EQ(deck.get_double("optim.lr"), 0.02);
  EXPECT_EQ(deck.get_string("optim.kind"), "muon");
  EXPECT_TRUE(deck.get_bool("optim.nesterov"));
  EXPECT_EQ(deck.get_string("run.name"), "tiny mlp");
  EXPECT_EQ(deck.get_double_list("model.widths"), (std::vector<double>{64, 64}));
  EXPECT_TRUE(deck.get_string_list("run.tags").empty());
  EXPECT_TRUE(deck.is_set_explicitly("run.steps"));
  EXPECT_FALSE(deck.is_set_explicitly("optim.lr"));
  EXPECT_EQ(deck.origin("run.steps"), "deck.in:1");
  EXPECT_EQ(deck.origin("optim.lr"), "default");
  EXPECT_EQ(deck.source_name(), "deck.in");
}

TEST(InputDeck, ParsesEveryTypeCommentsQuotesAndBlankLines) {
  const std::string text =
      "# a full-line comment\n"
      "\n"
      "   \t\n"
      "run.steps    +5000   # trailing comment\n"
      "data.train   \"my data/train #1.h5\"  # '#' inside quotes is data\n"
      "data.offset  -7\n"
      "optim.lr     2e-2\n"
      "optim.kind   adamw#comment right after the value\n"
      "optim.nesterov OFF\r\n"
      "run.name     \"say \\\"hi\\\" \\\\ now\"\n"
      "model.widths 128 64.5\t32\n"
      "run.tags     alpha \"two words\" \"\"\n"
      "constraint.kinds none soft_cap\n";
  const auto deck = lip::io::parse(text, "deck.in", test_schema());
  EXPECT_EQ(deck.get_int("run.steps"), 5000);
  EXPECT_EQ(deck.get_string("data.train"), "my data/train #1.h5");
  EXPECT_EQ(deck.get_int("data.offset"), -7);
  EXPECT_EQ(deck.get_double("optim.lr"), 0.02);
  EXPECT_EQ(deck.get_string("optim.kind"), "adamw");
  EXPECT_FALSE(deck.get_bool("optim.nesterov"));
  EXPECT_EQ(deck.get_string("run.name"), "say \"hi\" \\ now");
  EXPECT_EQ(deck.get_double_list("model.widths"), (std::vector<double>{128, 64.5, 32}));
  EXPECT_EQ(deck.get_string_list("run.tags"), (std::vector<std::string>{"alpha", "two words", ""}));
  EXPECT_EQ(deck.get_string_list("constraint.kinds"), (std::vector<std::string>{"none", "soft_cap"}));
  EXPECT_EQ(deck.origin("optim.kind"), "deck.in:8");
}

TEST(InputDeck, BooleanSpellings) {
  for (const auto& [word, value] : std::vector<std::pair<std::string, bool>>{
           {"true", true}, {"on", true}, {"1", true}, {"True", true},
           {"false", false}, {"off", false}, {"0", false}, {"FALSE", false}}) {
    const auto deck = lip::io::parse(std::string(kMinimal) + "optim.nesterov " + word, "d", test_schema());
    EXPECT_EQ(deck.get_bool("optim.nesterov"), value) << word;
  }
}

TEST(InputDeck, ExplicitEmptyList) {
  const auto deck = lip::io::parse(std::string(kMinimal) + "constraint.kinds\n", "d", test_schema());
  EXPECT_TRUE(deck.get_string_list("constraint.kinds").empty());
  EXPECT_TRUE(deck.is_set_explicitly("constraint.kinds"));
}

TEST(InputDeck, TypedGetTemplate) {
  const auto deck = lip::io::parse(kMinimal, "d", test_schema());
  EXPECT_EQ(deck.get<int>("run.steps"), 10);
  EXPECT_EQ(deck.get<std::int64_t>("run.steps"), 10);
  EXPECT_EQ(deck.get<float>("optim.lr"), 0.02f);
  EXPECT_EQ(deck.get<double>("optim.lr"), 0.02);
  EXPECT_EQ(deck.get<bool>("optim.nesterov"), true);
  EXPECT_EQ(deck.get<std::string>("optim.kind"), "muon");
  EXPECT_EQ(deck.get<std::vector<double>>("model.widths").size(), 2u);
  EXPECT_EQ(deck.get<std::vector<std::string>>("constraint.kinds").size(), 1u);

  const auto big = lip::io::parse("run.steps 3000000000\ndata.train x\n", "deck.in", test_schema());
  EXPECT_EQ(big.get_int("run.steps"), 3000000000LL);
  EXPECT_MESSAGE(error_of([&] { big.get<int>("run.steps"); }),
                 "deck.in:1: run.steps = 3000000000 does not fit in a 32-bit int");
}

// ---- user errors ----------------------------------------------------------------------------

TEST(InputDeckErrors, UnknownKeySuggestsClosest) {
  const std::string text = std::string(kMinimal) + "optim.lrr 0.1\n";
  EXPECT_MESSAGE(parse_error(text), "deck.in:3: unknown key 'optim.lrr'; did you mean 'optim.lr'?");
  EXPECT_MESSAGE(hint_of([&] { lip::io::parse(text, "deck.in", test_schema()); }),
                 "docs/INPUT_DECK.md");
  // Same name in another section.
  EXPECT_MESSAGE(parse_error("model.lr 0.1\n"), "deck.in:1: unknown key 'model.lr'; did you mean 'optim.lr'?");
  // Case slip.
  EXPECT_MESSAGE(parse_error("Optim.LR 0.1\n"), "unknown key 'Optim.LR'; did you mean 'optim.lr'?");
  // Nothing close: no suggestion.
  const std::string far = parse_error("zzz.qqqqqq 1\n");
  EXPECT_MESSAGE(far, "deck.in:1: unknown key 'zzz.qqqqqq'");
  EXPECT_EQ(far.find("did you mean"), std::string::npos) << far;
  // '=' instead of whitespace.
  EXPECT_MESSAGE(parse_error("optim.lr=0.1\n"),
                 "deck.in:1: unknown key 'optim.lr=0.1'; deck lines are 'key value', did you mean 'optim.lr 0.1'?");
}

TEST(InputDeckErrors, DuplicateKeyNamesBothLines) {
  EXPECT_MESSAGE(parse_error("optim.lr 0.1\nrun.steps 3\n\noptim.lr 0.2\n"),
                 "deck.in:4: duplicate key 'optim.lr' (already set at deck.in:1)");
}

TEST(InputDeckErrors, MissingRequiredKeys) {
  EXPECT_MESSAGE(parse_error("data.train x\n"), "deck.in: missing required key 'run.steps'");
  EXPECT_MESSAGE(parse_error("# nothing\n"), "deck.in: missing required keys 'run.steps', 'data.train'");
  EXPECT_MESSAGE(hint_of([] { lip::io::parse("data.train x", "deck.in", test_schema()); }),
                 "--set run.steps=<value>");
}

TEST(InputDeckErrors, TypeErrors) {
  const std::string m = kMinimal;
  EXPECT_MESSAGE(parse_error(m + "optim.lr fast\n"), "deck.in:3: optim.lr expects a number, got 'fast'");
  EXPECT_MESSAGE(hint_of([&] { lip::io::parse(m + "optim.lr fast\n", "deck.in", test_schema()); }),
                 "optim.lr (double, default 0.02): Peak learning rate");
  EXPECT_MESSAGE(parse_error(m + "optim.lr nan\n"), "optim.lr expects a number, got 'nan'");
  EXPECT_MESSAGE(parse_error(m + "optim.lr inf\n"), "optim.lr expects a number, got 'inf'");
  EXPECT_MESSAGE(parse_error(m + "optim.lr 1e999\n"), "optim.lr expects a number, got '1e999'");
  EXPECT_MESSAGE(parse_error(m + "optim.lr 0.1x\n"), "optim.lr expects a number, got '0.1x'");
  EXPECT_MESSAGE(parse_error(m + "optim.lr\n"), "deck.in:3: optim.lr expects a number, got nothing");
  EXPECT_MESSAGE(parse_error(m + "optim.lr 0.1 0.2\n"),
                 "deck.in:3: optim.lr expects one number, got 2 values '0.1 0.2'");
  EXPECT_MESSAGE(parse_error(m + "data.batch_size 1.5\n"),
                 "deck.in:3: data.batch_size expects an integer, got '1.5'");
  EXPECT_MESSAGE(parse_error(m + "data.batch_size 99999999999999999999\n"),
                 "data.batch_size expects an integer, got '99999999999999999999'");
  EXPECT_MESSAGE(parse_error(m + "optim.nesterov yes\n"),
                 "deck.in:3: optim.nesterov expects a boolean (true/false/on/off/1/0), got 'yes'");
  EXPECT_MESSAGE(parse_error(m + "model.widths 64 x 3\n"),
                 "deck.in:3: model.widths expects a list of numbers, got 'x' (item 2)");
  EXPECT_MESSAGE(parse_error(m + "run.name tiny mlp\n"),
                 "deck.in:3: run.name expects one string, got 2 values 'tiny mlp'");
  EXPECT_MESSAGE(hint_of([&] { lip::io::parse(m + "run.name tiny mlp\n", "d", test_schema()); }),
                 "quote a string with spaces: run.name \"tiny mlp\"");
}

TEST(InputDeckErrors, OutOfRange) {
  const std::string m = kMinimal;
  EXPECT_MESSAGE(parse_error(m + "data.batch_size -4\n"), "deck.in:3: data.batch_size must be ≥ 1, got -4");
  EXPECT_MESSAGE(parse_error(m + "optim.lr 0\n"), "deck.in:3: optim.lr must be > 0, got 0");
  EXPECT_MESSAGE(parse_error(m + "optim.beta 1\n"), "deck.in:3: optim.beta must be in [0, 1), got 1");
  EXPECT_MESSAGE(parse_error(m + "model.widths 8 0.5\n"),
                 "deck.in:3: model.widths must be ≥ 1 (every item), got 0.5 (item 2)");
  EXPECT_MESSAGE(parse_error("run.steps 0\ndata.train x\n"), "deck.in:1: run.steps must be ≥ 1, got 0");
}

TEST(InputDeckErrors, NotAChoice) {
  const std::string m = kMinimal;
  EXPECT_MESSAGE(parse_error(m + "optim.kind adam\n"),
                 "deck.in:3: optim.kind must be one of muon, adamw, sgd; got 'adam'; did you mean 'adamw'?");
  const std::string far = parse_error(m + "optim.kind lbfgs\n");
  EXPECT_MESSAGE(far, "deck.in:3: optim.kind must be one of muon, adamw, sgd; got 'lbfgs'");
  EXPECT_EQ(far.find("did you mean"), std::string::npos) << far;
  EXPECT_MESSAGE(parse_error(m + "constraint.kinds none soft_capp\n"),
                 "constraint.kinds must be one of none, hard_cap, soft_cap; got 'soft_capp' (item 2); did you mean 'soft_cap'?");
}

TEST(InputDeckErrors, Quoting) {
  const std::string m = kMinimal;
  EXPECT_MESSAGE(parse_error(m + "run.name \"tiny mlp\n"),
                 "deck.in:3: unterminated quoted string starting at column 10");
  EXPECT_MESSAGE(parse_error(m + "run.name \"tiny\"mlp\n"), "deck.in:3: expected a space after the closing quote");
  EXPECT_MESSAGE(parse_error(m + "run.name ti\"ny\n"), "deck.in:3: unexpected '\"' inside 'ti\"ny'");
  EXPECT_MESSAGE(parse_error(m + "\"run.name\" x\n"), "deck.in:3: expected a key at the start of the line");
}

TEST(InputDeckErrors, MissingFileIsNamed) {
  const std::string path = "/nonexistent-dir/deck.in";
  EXPECT_MESSAGE(error_of([&] { lip::io::load(path, test_schema()); }),
                 "cannot open input deck '/nonexistent-dir/deck.in': No such file or directory");
  EXPECT_MESSAGE(hint_of([&] { lip::io::load(path, test_schema()); }), "working directory");
  const auto dir = std::filesystem::temp_directory_path();
  EXPECT_MESSAGE(error_of([&] { lip::io::load(dir.string(), test_schema()); }), "it is a directory");
}

TEST(InputDeck, LoadReadsAFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("lip_test_input_deck_" + std::to_string(::getpid()) + ".in");
  {
    std::ofstream out(path);
    out << kMinimal << "optim.lr 0.5\noptim.bogus 1\n";
  }
  EXPECT_MESSAGE(error_of([&] { lip::io::load(path.string(), test_schema()); }),
                 path.string() + ":4: unknown key 'optim.bogus'");
  {
    std::ofstream out(path);
    out << kMinimal << "optim.lr 0.5\n";
  }
  const auto deck = lip::io::load(path.string(), test_schema(), {"optim.kind=sgd"});
  EXPECT_EQ(deck.get_double("optim.lr"), 0.5);
  EXPECT_EQ(deck.get_string("optim.kind"), "sgd");
  EXPECT_EQ(deck.origin("optim.lr"), path.string() + ":3");
  std::filesystem::remove(path);
}

// ---- overrides ------------------------------------------------------------------------------

TEST(InputDeckOverrides, BeatFileValues) {
  const auto deck = lip::io::parse(std::string(kMinimal) + "optim.lr 0.1\n", "deck.in", test_schema(),
                                   {"optim.lr=0.5", " model.widths = 32 \"16\" ", "run.tags=a#b"});
  EXPECT_EQ(deck.get_double("optim.lr"), 0.5);
  EXPECT_EQ(deck.origin("optim.lr"), "--set optim.lr=0.5");
  EXPECT_EQ(deck.get_double_list("model.widths"), (std::vector<double>{32, 16}));
  EXPECT_TRUE(deck.is_set_explicitly("model.widths"));
  // No comments in a --set value: '#' is data, and the string needs quoting on output.
  EXPECT_EQ(deck.get_string_list("run.tags"), (std::vector<std::string>{"a#b"}));
  EXPECT_NE(deck.resolved_text().find("run.tags         \"a#b\"\n"), std::string::npos)
      << deck.resolved_text();
  EXPECT_MESSAGE(error_of([] {
                   lip::io::parse(kMinimal, "deck.in", test_schema(), {"run.name=a b"});
                 }),
                 "--set run.name=a b: run.name expects one string, got 2 values 'a b'");
  const auto quoted = lip::io::parse(kMinimal, "deck.in", test_schema(), {"run.name=\"a # b\""});
  EXPECT_EQ(quoted.get_string("run.name"), "a # b");
}

TEST(InputDeckOverrides, SatisfyRequiredKeys) {
  const auto deck = lip::io::parse("data.train x\n", "deck.in", test_schema(), {"run.steps=7"});
  EXPECT_EQ(deck.get_int("run.steps"), 7);
}

TEST(InputDeckOverrides, ErrorsAreReportedAsSet) {
  auto err = [](const std::string& o) {
    return error_of([&] { lip::io::parse(kMinimal, "deck.in", test_schema(), {o}); });
  };
  EXPECT_MESSAGE(err("optim.lr=fast"), "--set optim.lr=fast: optim.lr expects a number, got 'fast'");
  EXPECT_MESSAGE(err("optim.lrr=0.1"), "--set optim.lrr=0.1: unknown key 'optim.lrr'; did you mean 'optim.lr'?");
  EXPECT_MESSAGE(err("optim.lr"), "--set optim.lr: expected key=value");
  EXPECT_MESSAGE(err("=3"), "--set =3: expected key=value");
  EXPECT_MESSAGE(err("data.batch_size=-4"), "--set data.batch_size=-4: data.batch_size must be ≥ 1, got -4");
  EXPECT_MESSAGE(error_of([] {
                   lip::io::parse(kMinimal, "deck.in", test_schema(), {"optim.lr=0.1", "optim.lr=0.2"});
                 }),
                 "--set optim.lr=0.2: duplicate key 'optim.lr' (already set at --set optim.lr=0.1)");
}

TEST(InputDeckOverrides, FailedOverrideLeavesDeckUnchanged) {
  auto deck = lip::io::parse(std::string(kMinimal) + "optim.lr 0.1\n", "deck.in", test_schema());
  const std::string before = deck.resolved_text();
  EXPECT_MESSAGE(error_of([&] { deck.apply_override("optim.lr=-1"); }), "must be > 0, got -1");
  EXPECT_MESSAGE(error_of([&] { deck.apply_override("model.widths=4 x"); }), "got 'x' (item 2)");
  EXPECT_EQ(deck.resolved_text(), before);
  EXPECT_EQ(deck.origin("optim.lr"), "deck.in:3");
  deck.apply_override("optim.lr=0.3");
  EXPECT_EQ(deck.get_double("optim.lr"), 0.3);
  EXPECT_MESSAGE(error_of([&] { deck.apply_override("optim.lr=0.4"); }), "duplicate key 'optim.lr'");
  EXPECT_EQ(deck.get_double("optim.lr"), 0.3);
}

// ---- programming errors ---------------------------------------------------------------------

TEST(InputDeckGetters, UnregisteredKeyOrWrongTypeThrows) {
  const auto deck = lip::io::parse(kMinimal, "deck.in", test_schema());
  EXPECT_MESSAGE(error_of([&] { deck.get_double("optim.lrr"); }),
                 "InputDeck::get_double: key 'optim.lrr' is not registered in the deck schema; did you mean 'optim.lr'?");
  EXPECT_MESSAGE(error_of([&] { deck.get_int("optim.lr"); }),
                 "InputDeck::get_int: key 'optim.lr' is registered as double, not int");
  EXPECT_MESSAGE(error_of([&] { deck.get_string_list("model.widths"); }),
                 "key 'model.widths' is registered as list of doubles, not list of strings");
  EXPECT_MESSAGE(error_of([&] { deck.is_set_explicitly("nope.nope"); }), "not registered");
  const InputDeck empty;
  EXPECT_MESSAGE(error_of([&] { empty.get_int("run.steps"); }), "not registered");
}

TEST(DeckSchema, RegistrationMistakesThrow) {
  DeckSchema s;
  s.add_int("a.b", 1, "doc");
  EXPECT_MESSAGE(error_of([&] { s.add_int("a.b", 2, "doc"); }), "key 'a.b' is registered twice");
  EXPECT_MESSAGE(error_of([&] { s.add_int("nodot", 2, "doc"); }), "must be dotted like 'section.name'");
  EXPECT_MESSAGE(error_of([&] { s.add_int("a..b", 2, "doc"); }), "must be dotted");
  EXPECT_MESSAGE(error_of([&] { s.add_int("a.b c", 2, "doc"); }), "must be dotted");
  EXPECT_MESSAGE(error_of([&] { s.add_int("a.c", 2, ""); }), "needs a one-line doc string");
  EXPECT_MESSAGE(error_of([&] { s.add_int("a.d", 0, "doc", DeckRange::at_least(1)); }),
                 "default of key 'a.d' is invalid: default: a.d must be ≥ 1, got 0");
  EXPECT_MESSAGE(error_of([&] { s.add_string("a.e", "x", "doc", {"y", "z"}); }),
                 "default of key 'a.e' is invalid");
  EXPECT_MESSAGE(error_of([&] { s.add_double("a.f", std::nan(""), "doc"); }), "must be finite");
  EXPECT_EQ(s.keys().size(), 1u);
}

TEST(DeckSchema, BracedListDefaultsPickTheListOverload) {
  DeckSchema s;
  s.add_double_list("a.one", {64}, "one item");
  s.add_double_list("a.none", {}, "empty");
  s.add_string_list("a.words", {"x"}, "one word");
  s.add_string_list("a.nowords", {}, "empty", {"x", "y"});
  const auto deck = lip::io::parse("", "d", s);
  EXPECT_EQ(deck.get_double_list("a.one"), std::vector<double>{64});
  EXPECT_TRUE(deck.get_double_list("a.none").empty());
  EXPECT_EQ(deck.get_string_list("a.words"), std::vector<std::string>{"x"});
  EXPECT_TRUE(deck.get_string_list("a.nowords").empty());
}

// ---- resolved text --------------------------------------------------------------------------

TEST(InputDeckResolved, SortedWithDefaultsMarked) {
  DeckSchema s;
  s.add_int("run.steps", DeckDefault::required(), "Steps");
  s.add_double("optim.lr", 0.02, "LR");
  s.add_string("run.name", "tiny mlp", "Name");
  s.add_double_list("model.widths", {}, "Widths");
  s.add_bool("optim.nesterov", false, "Nesterov");
  const auto deck = lip::io::parse("run.steps 12\n", "d", s, {"optim.nesterov=on"});
  EXPECT_EQ(deck.resolved_text(),
            "model.widths  # default\n"
            "optim.lr       0.02  # default\n"
            "optim.nesterov true\n"
            "run.name       \"tiny mlp\"  # default\n"
            "run.steps      12\n");
}

TEST(InputDeckResolved, RoundTripGivesTheSameDeck) {
  const std::string text =
      "run.steps 9223372036854775807\n"
      "data.train \"we\\\"ird \\\\ path #1\"\n"
      "data.offset -9223372036854775808\n"
      "optim.lr 0.1\n"
      "optim.beta 0.333333333333333314829616256247390992939472198486328125\n"
      "model.widths 1e300 1.0000000000000002 3\n"
      "run.tags \"\" \"a b\" c\\d \"#x\"\n"
      "run.name \"\"\n";
  const DeckSchema schema = test_schema();
  const auto deck = lip::io::parse(text, "deck.in", schema, {"optim.kind=sgd"});
  const std::string resolved = deck.resolved_text();
  const auto again = lip::io::parse(resolved, "resolved", test_schema());
  for (const auto& k : schema.keys()) {
    switch (k.type) {
      case lip::io::DeckType::Int: EXPECT_EQ(again.get_int(k.name), deck.get_int(k.name)) << k.name; break;
      case lip::io::DeckType::Double: EXPECT_EQ(again.get_double(k.name), deck.get_double(k.name)) << k.name; break;
      case lip::io::DeckType::Bool: EXPECT_EQ(again.get_bool(k.name), deck.get_bool(k.name)) << k.name; break;
      case lip::io::DeckType::String: EXPECT_EQ(again.get_string(k.name), deck.get_string(k.name)) << k.name; break;
      case lip::io::DeckType::DoubleList:
        EXPECT_EQ(again.get_double_list(k.name), deck.get_double_list(k.name)) << k.name;
        break;
      case lip::io::DeckType::StringList:
        EXPECT_EQ(again.get_string_list(k.name), deck.get_string_list(k.name)) << k.name;
        break;
    }
  }
  EXPECT_EQ(again.get_string("data.train"), "we\"ird \\ path #1");
  EXPECT_EQ(again.get_string_list("run.tags"), (std::vector<std::string>{"", "a b", "c\\d", "#x"}));
  EXPECT_EQ(again.get_double("optim.beta"), 1.0 / 3.0);
  // The text is a fixed point, '# default' markers included: a key left at its default stays unset
  // when the resolved deck is read back (a run's deck.resolved is a deck like any other).
  EXPECT_EQ(again.resolved_text(), resolved);
  for (const auto& k : schema.keys())
    EXPECT_EQ(again.is_set_explicitly(k.name), deck.is_set_explicitly(k.name)) << k.name;
  EXPECT_FALSE(again.is_set_explicitly("optim.nesterov"));
  EXPECT_NE(resolved.find("optim.lr         0.1\n"), std::string::npos) << resolved;
}

TEST(InputDeckResolved, DefaultMarkerBesideAnotherValueIsAComment) {
  // Negative control of the round trip: the marker only unsets a key whose value is its default.
  const auto deck = lip::io::parse("optim.beta 0.5  # default\noptim.lr 0.02 # default\nrun.steps 3\ndata.train x\n",
                                   "deck.in", test_schema());
  EXPECT_TRUE(deck.is_set_explicitly("optim.beta"));
  EXPECT_EQ(deck.get_double("optim.beta"), 0.5);
  EXPECT_FALSE(deck.is_set_explicitly("optim.lr"));
  EXPECT_TRUE(deck.is_set_explicitly("run.steps"));
  // A comment is any text: quotes in it are not the deck's quoting.
  const auto quoted = lip::io::parse("optim.lr 0.02  # see \"Constraint accuracy\") and \"x\ndata.train x\nrun.steps 3\n",
                                     "deck.in", test_schema());
  EXPECT_TRUE(quoted.is_set_explicitly("optim.lr"));
}

// ---- suggestions and docs -------------------------------------------------------------------

// The distance itself is tested in test_edit_distance.cpp.
TEST(InputDeck, ClosestKey) {
  const auto s = test_schema();
  EXPECT_EQ(s.closest_key("data.batchsize"), "data.batch_size");
  EXPECT_EQ(s.closest_key("optim.kinds"), "optim.kind");
  EXPECT_EQ(s.closest_key("completely.different"), "");
}

TEST(InputDeck, SchemaMarkdownGroupsBySection) {
  const DeckSchema schema = test_schema();
  const std::string md = lip::io::schema_markdown(schema);
  // Sections in order of first registration.
  const auto run = md.find("## run\n"), data = md.find("## data\n"), optim = md.find("## optim\n");
  ASSERT_NE(run, std::string::npos) << md;
  ASSERT_NE(data, std::string::npos) << md;
  ASSERT_NE(optim, std::string::npos) << md;
  EXPECT_LT(run, data);
  EXPECT_LT(data, optim);
  EXPECT_NE(md.find("| key | type | default | allowed | meaning |"), std::string::npos);
  EXPECT_NE(md.find("| `run.steps` | int | **required** | ≥ 1 | Number of optimizer steps |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `optim.lr` | double | `0.02` | > 0 | Peak learning rate |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `optim.beta` | double | `0.95` | in [0, 1) | Momentum coefficient |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `optim.kind` | string | `muon` | `muon`, `adamw`, `sgd` | Optimizer |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `run.tags` | list of strings | (empty) |  | Free-form tags |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `run.name` | string | `\"tiny mlp\"` |  | Run label |"), std::string::npos) << md;
  // Plain-text cells escape what markdown would eat.
  DeckSchema odd;
  odd.add_string("x.y", "a|b", "w <- (1 - wd*lr) w | see <name>");
  EXPECT_NE(lip::io::schema_markdown(odd).find("| `x.y` | string | `a\\|b` |  | w &lt;- (1 - wd\\*lr) w \\| see &lt;name> |"),
            std::string::npos)
      << lip::io::schema_markdown(odd);
  // Every key appears exactly once.
  for (const auto& k : schema.keys()) {
    const auto first = md.find("`" + k.name + "`");
    EXPECT_NE(first, std::string::npos) << k.name;
    EXPECT_EQ(md.find("`" + k.name + "` |", first + 1), std::string::npos) << k.name;
  }
}
