#pragma once
// Input deck: the text file that configures a run, and the schema that says which keys exist.
//
// Format (docs/INPUT_DECK.md lists every key):
//   # comment                      '#' starts a comment anywhere on a line (outside quotes)
//   model.width    256             one `key value...` per line; keys are dotted by section
//   optim.lr       0.02
//   model.widths   64 64 32        lists are whitespace-separated tokens
//   run.name       "tiny mlp"      a double-quoted string may hold spaces; \" and \\ escape
//
// The program registers every valid key in a DeckSchema (type, default or required, allowed
// range or choices, one-line doc). parse() resolves a text against the schema; every user
// mistake (unknown or duplicate key, type error, out of range, missing required key, missing
// file) throws one lip::Error whose message starts with where it happened (`deck.in:12:` or
// `--set key=value:`) and which leaves no partially built deck behind. Asking a resolved deck
// for an unregistered key, or with the wrong type, is a programming error and also throws.
//
// MPI: load_and_broadcast() reads the file on rank 0 only and broadcasts the text (or the
// reason it could not be read); every rank then parses the same text, so every rank throws the
// same error or builds the same deck.
#include <mpi.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"  // every failure here is a lip::Error

namespace lip::io {

//! The value types a deck key can hold.
enum class DeckType { Int, Double, Bool, String, DoubleList, StringList };

//! "int", "double", "bool", "string", "list of doubles", "list of strings".
const char* deck_type_name(DeckType type);

//! One deck value; the alternative matches the key's DeckType (Int is std::int64_t).
using DeckValue = std::variant<std::int64_t, double, bool, std::string, std::vector<double>,
                               std::vector<std::string>>;

//! Marks a key as having no default: `schema.add_int("run.steps", DeckDefault::required(), ...)`.
class DeckDefault {
 public:
  static DeckDefault required() { return DeckDefault(Tag{}); }

 private:
  // Constructible only from a private tag: braced defaults such as `{}` (an empty list) or
  // `{64}` (a one-item list) can never convert to DeckDefault, so overloads never clash.
  struct Tag {};
  explicit DeckDefault(Tag) {}
};

//! Inclusive or exclusive bounds for numeric keys (applied to every item of a list).
//! `DeckRange::at_least(1)`, `DeckRange::greater_than(0).and_less_than(1)`.
struct DeckRange {
  std::optional<double> lo, hi;
  bool lo_inclusive = true, hi_inclusive = true;

  static DeckRange at_least(double v) { return DeckRange{}.and_at_least(v); }
  static DeckRange greater_than(double v) { return DeckRange{}.and_greater_than(v); }
  static DeckRange at_most(double v) { return DeckRange{}.and_at_most(v); }
  static DeckRange less_than(double v) { return DeckRange{}.and_less_than(v); }
  //! Closed interval [lo, hi].
  static DeckRange between(double l, double h) { return at_least(l).and_at_most(h); }

  DeckRange and_at_least(double v) const { auto r = *this; r.lo = v, r.lo_inclusive = true; return r; }
  DeckRange and_greater_than(double v) const { auto r = *this; r.lo = v, r.lo_inclusive = false; return r; }
  DeckRange and_at_most(double v) const { auto r = *this; r.hi = v, r.hi_inclusive = true; return r; }
  DeckRange and_less_than(double v) const { auto r = *this; r.hi = v, r.hi_inclusive = false; return r; }

  bool unbounded() const { return !lo && !hi; }
  bool contains(double v) const;
  //! "≥ 1", "> 0", "≤ 4", "in (0, 1]"; empty when unbounded.
  std::string describe() const;
};

//! Everything the schema knows about one key.
struct DeckKey {
  std::string name;                  //!< dotted, e.g. "optim.lr"; section = text before first '.'
  DeckType type = DeckType::Int;
  std::optional<DeckValue> fallback;  //!< the default; empty when the key is required
  DeckRange range;                   //!< numeric keys only
  std::vector<std::string> choices;  //!< string keys only; empty = any string
  std::string doc;                   //!< one line, shown in docs/INPUT_DECK.md and in hints

  bool required() const { return !fallback.has_value(); }
  std::string section() const;
};

//! The set of valid keys. Registration mistakes (bad name, key registered twice, default
//! outside its own range or choices) are programming errors and throw at registration.
class DeckSchema {
 public:
  DeckSchema& add_int(const std::string& key, DeckDefault, const std::string& doc,
                      DeckRange range = {});
  DeckSchema& add_int(const std::string& key, std::int64_t fallback, const std::string& doc,
                      DeckRange range = {});
  DeckSchema& add_double(const std::string& key, DeckDefault, const std::string& doc,
                         DeckRange range = {});
  DeckSchema& add_double(const std::string& key, double fallback, const std::string& doc,
                         DeckRange range = {});
  DeckSchema& add_bool(const std::string& key, DeckDefault, const std::string& doc);
  DeckSchema& add_bool(const std::string& key, bool fallback, const std::string& doc);
  DeckSchema& add_string(const std::string& key, DeckDefault, const std::string& doc,
                         std::vector<std::string> choices = {});
  DeckSchema& add_string(const std::string& key, std::string fallback, const std::string& doc,
                         std::vector<std::string> choices = {});
  DeckSchema& add_double_list(const std::string& key, DeckDefault, const std::string& doc,
                              DeckRange range = {});
  DeckSchema& add_double_list(const std::string& key, std::vector<double> fallback,
                              const std::string& doc, DeckRange range = {});
  DeckSchema& add_string_list(const std::string& key, DeckDefault, const std::string& doc,
                              std::vector<std::string> choices = {});
  DeckSchema& add_string_list(const std::string& key, std::vector<std::string> fallback,
                              const std::string& doc, std::vector<std::string> choices = {});

  //! nullptr when `key` is not registered.
  const DeckKey* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }
  //! In registration order.
  const std::vector<DeckKey>& keys() const { return keys_; }
  //! The registered key closest to `key` (Levenshtein distance, or the same last component
  //! in another section); empty when nothing is close enough to be a plausible typo.
  std::string closest_key(const std::string& key) const;

 private:
  DeckSchema& add(DeckKey key);
  std::vector<DeckKey> keys_;
  std::map<std::string, std::size_t> index_;
};

//! A deck resolved against its schema: every schema key has a value (explicit or default).
class InputDeck {
 public:
  //! An empty deck over an empty schema (every getter throws); assign a parsed deck to it.
  InputDeck() = default;

  std::int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  const std::vector<double>& get_double_list(const std::string& key) const;
  const std::vector<std::string>& get_string_list(const std::string& key) const;
  //! Typed access for T in {int, std::int64_t, double, float, bool, std::string,
  //! std::vector<double>, std::vector<std::string>}. get<int> checks that the value fits.
  template <class T>
  T get(const std::string& key) const;

  //! True when the value came from the deck text or a --set override, not the default.
  bool is_set_explicitly(const std::string& key) const;
  //! Where the value came from: "deck.in:12", "--set optim.lr=0.1" or "default".
  std::string origin(const std::string& key) const;

  //! Apply one command-line override `key=value` (value tokenized like a deck line, without
  //! comments). Beats the file value. Throws, leaving the deck unchanged, on any error; a key
  //! overridden twice is an error.
  void apply_override(const std::string& assignment);

  //! Every schema key with its effective value, sorted by key, one `key value` line each;
  //! defaults are marked `# default`. parse(resolved_text()) gives back the same values.
  std::string resolved_text() const;

  const DeckSchema& schema() const { return schema_; }
  //! The file name (or label) the deck was parsed from.
  const std::string& source_name() const { return source_; }

 private:
  friend InputDeck parse(const std::string&, const std::string&, const DeckSchema&,
                         const std::vector<std::string>&);
  struct Entry {
    DeckValue value;
    std::string origin;  // "" = default
  };
  const Entry& entry(const std::string& key, DeckType type, const char* getter) const;

  DeckSchema schema_;
  std::string source_;
  std::map<std::string, Entry> values_;
};

//! Resolve deck `text` against `schema`, then apply `overrides` ("key=value", in order), then
//! check that every required key is set. `source_name` prefixes every error ("deck.in:12: ...").
InputDeck parse(const std::string& text, const std::string& source_name, const DeckSchema& schema,
                const std::vector<std::string>& overrides = {});

//! Read `path` and parse it (see parse). A file that cannot be read is a lip::Error naming it.
InputDeck load(const std::string& path, const DeckSchema& schema,
               const std::vector<std::string>& overrides = {});

//! Read `path` into a string; throws lip::Error naming the file when it cannot be read.
std::string read_deck_text(const std::string& path);

//! Rank 0 reads `path`; the text, or the reason it could not be read, is broadcast over `comm`
//! together with rank 0's `path` and `overrides` (other ranks' copies are ignored); every rank
//! then parses the same text with the same overrides. All ranks return equal decks or
//! all throw the same lip::Error; no rank is left waiting.
InputDeck load_and_broadcast(const std::string& path, const std::vector<std::string>& overrides,
                             const DeckSchema& schema, MPI_Comm comm);

//! A markdown reference of every key, one table per section (key, type, default, allowed,
//! meaning), in registration order. Used to generate docs/INPUT_DECK.md.
std::string schema_markdown(const DeckSchema& schema);

//! `value` written as it appears in a deck: shortest round-trip doubles, `true`/`false`,
//! strings quoted when they hold spaces, '#', quotes or backslashes, or are empty.
std::string format_deck_value(const DeckValue& value);

// ---- get<T> ---------------------------------------------------------------------------------

namespace detail {
template <class>
inline constexpr bool unsupported_deck_type = false;
}

template <class T>
T InputDeck::get(const std::string&) const {
  static_assert(detail::unsupported_deck_type<T>,
                "InputDeck::get<T>: T must be int, std::int64_t, double, float, bool, std::string, "
                "std::vector<double> or std::vector<std::string>");
  return T{};
}
// Explicit specializations, defined in input_deck.cpp.
template <>
std::int64_t InputDeck::get<std::int64_t>(const std::string& key) const;
template <>
int InputDeck::get<int>(const std::string& key) const;
template <>
double InputDeck::get<double>(const std::string& key) const;
template <>
float InputDeck::get<float>(const std::string& key) const;
template <>
bool InputDeck::get<bool>(const std::string& key) const;
template <>
std::string InputDeck::get<std::string>(const std::string& key) const;
template <>
std::vector<double> InputDeck::get<std::vector<double>>(const std::string& key) const;
template <>
std::vector<std::string> InputDeck::get<std::vector<std::string>>(const std::string& key) const;

}  // namespace lip::io
