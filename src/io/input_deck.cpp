#include "io/input_deck.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/comm.hpp"
#include "core/edit_distance.hpp"
#include "core/error.hpp"

namespace lip::io {

namespace {

// ============================================================================================
// Small text helpers
// ============================================================================================

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// The closest candidate to `word` that is plausibly a typo of it; empty when none is.
// Case-insensitive; allows about one edit per four characters (at least two).
std::string closest_word(const std::vector<std::string>& candidates, const std::string& word) {
  const std::string w = lower(word);
  std::vector<std::string> lowered;
  for (const auto& c : candidates) lowered.push_back(lower(c));
  const std::string nearest = closest_name(w, lowered);
  if (lowered.empty() || edit_distance(nearest, w) > std::max<std::size_t>(2, w.size() / 4)) return {};
  // The first candidate that lowers to `nearest` is the one closest_name chose.
  return candidates[std::size_t(std::find(lowered.begin(), lowered.end(), nearest) - lowered.begin())];
}

// ============================================================================================
// Value types: names, conversion from tokens, formatting
// ============================================================================================

// How a message refers to what a key expects: "optim.lr expects a number".
const char* expects_phrase(DeckType t) {
  switch (t) {
    case DeckType::Int: return "an integer";
    case DeckType::Double: return "a number";
    case DeckType::Bool: return "a boolean (true/false/on/off/1/0)";
    case DeckType::String: return "a string";
    case DeckType::DoubleList: return "a list of numbers";
    case DeckType::StringList: return "a list of strings";
  }
  return "?";
}

// The singular phrase used for "expects one integer, got 2 values".
const char* one_phrase(DeckType t) {
  switch (t) {
    case DeckType::Int: return "one integer";
    case DeckType::Double: return "one number";
    case DeckType::Bool: return "one boolean";
    default: return "one string";
  }
}

bool is_list(DeckType t) { return t == DeckType::DoubleList || t == DeckType::StringList; }
bool is_numeric(DeckType t) {
  return t == DeckType::Int || t == DeckType::Double || t == DeckType::DoubleList;
}

std::optional<std::int64_t> to_int(const std::string& tok) {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b != e && *b == '+') ++b;  // from_chars rejects a leading '+'
  std::int64_t v = 0;
  const auto r = std::from_chars(b, e, v);
  if (b == e || r.ec != std::errc() || r.ptr != e) return std::nullopt;
  return v;
}

// from_chars is locale-independent, unlike strtod. Non-finite values are rejected.
std::optional<double> to_double(const std::string& tok) {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b != e && *b == '+') ++b;
  double v = 0;
  const auto r = std::from_chars(b, e, v);
  if (b == e || r.ec != std::errc() || r.ptr != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> to_bool(const std::string& tok) {
  const std::string t = lower(tok);
  if (t == "true" || t == "on" || t == "1") return true;
  if (t == "false" || t == "off" || t == "0") return false;
  return std::nullopt;
}

// Shortest "%.*g" text that reads back as exactly `v`.
std::string format_double(double v) {
  char buf[40];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (to_double(buf) == v) break;
  }
  return buf;
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  for (char c : s)
    if (is_space(c) || c == '\n' || c == '#' || c == '"' || c == '\\') return true;
  return false;
}

std::string format_string(const std::string& s) {
  if (!needs_quotes(s)) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// ============================================================================================
// Tokenizer: one deck line (or one --set value) into tokens
// ============================================================================================

// Splits `line` at whitespace. A token that starts with '"' runs to the matching '"' and may
// hold spaces and '#'; inside it \" is a quote and \\ a backslash (any other backslash is kept).
// With `comments`, an unquoted '#' ends the line. `where` prefixes every error.
std::vector<std::string> tokenize(const std::string& line, bool comments, const std::string& where,
                                  std::vector<bool>* was_quoted = nullptr) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i == n || (comments && line[i] == '#')) break;
    std::string tok;
    bool q = false;
    if (line[i] == '"') {
      q = true;
      const std::size_t open = i++;
      bool closed = false;
      while (i < n) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < n && (line[i] == '"' || line[i] == '\\')) {
          tok += line[i++];
          continue;
        }
        tok += c;
      }
      if (!closed)
        throw Error(where + ": unterminated quoted string starting at column " +
                        std::to_string(open + 1),
                    "close the string with '\"'; write \\\" for a quote inside it");
      if (i < n && !is_space(line[i]) && !(comments && line[i] == '#'))
        throw Error(where + ": expected a space after the closing quote at column " +
                        std::to_string(i) + ", got '" + line[i] + "'",
                    "quote the whole value: \"like this\"");
    } else {
      const std::size_t start = i;
      while (i < n && !is_space(line[i]) && !(comments && line[i] == '#')) {
        if (line[i] == '"')
          throw Error(where + ": unexpected '\"' inside " +
                          in_quotes(line.substr(start, line.find_first_of(" \t", start) - start)),
                      "quote the whole value: \"like this\"");
        tok += line[i++];
      }
    }
    tokens.push_back(std::move(tok));
    if (was_quoted) was_quoted->push_back(q);
  }
  return tokens;
}

// ============================================================================================
// Resolving one key from its tokens
// ============================================================================================

std::string key_summary(const DeckKey& k) {
  std::string s = k.name + " (" + deck_type_name(k.type) + ", ";
  s += k.required() ? std::string("required") : "default " + format_deck_value(*k.fallback);
  return s + "): " + k.doc;
}

void check_range(const DeckKey& k, double v, const std::string& text, const std::string& where,
                 std::size_t item) {
  if (k.range.contains(v)) return;
  std::string msg = where + ": " + k.name + " must be " + k.range.describe();
  if (item) msg += " (every item)";
  msg += ", got " + text;
  if (item) msg += " (item " + std::to_string(item) + ")";
  throw Error(msg, key_summary(k));
}

void check_choice(const DeckKey& k, const std::string& v, const std::string& where,
                  std::size_t item) {
  if (k.choices.empty() || std::find(k.choices.begin(), k.choices.end(), v) != k.choices.end())
    return;
  std::string msg = where + ": " + k.name + " must be one of " + join(k.choices, ", ") + "; got " +
                    in_quotes(v);
  if (item) msg += " (item " + std::to_string(item) + ")";
  const std::string near = closest_word(k.choices, v);
  if (!near.empty()) msg += "; did you mean " + in_quotes(near) + "?";
  throw Error(msg, key_summary(k));
}

// Converts the value tokens of key `k` (everything after the key on its line) into a value,
// checking type, count, range and choices. Throws lip::Error prefixed with `where`.
DeckValue resolve_value(const DeckKey& k, const std::vector<std::string>& tok,
                        const std::string& where) {
  const std::string all = join(tok, " ");
  auto type_error = [&](const std::string& got, std::size_t item) {
    std::string msg = where + ": " + k.name + " expects " + expects_phrase(k.type) + ", got " + got;
    if (item) msg += " (item " + std::to_string(item) + ")";
    return Error(msg, key_summary(k));
  };
  if (!is_list(k.type)) {
    if (tok.empty()) throw type_error("nothing", 0);
    if (tok.size() > 1) {
      std::string msg = where + ": " + k.name + " expects " + one_phrase(k.type) + ", got " +
                        std::to_string(tok.size()) + " values " + in_quotes(all);
      std::string hint = key_summary(k);
      if (k.type == DeckType::String)
        hint = "quote a string with spaces: " + k.name + " " + format_string(all) + ". " + hint;
      throw Error(msg, hint);
    }
  }
  switch (k.type) {
    case DeckType::Int: {
      const auto v = to_int(tok[0]);
      if (!v) throw type_error(in_quotes(tok[0]), 0);
      check_range(k, static_cast<double>(*v), tok[0], where, 0);
      return *v;
    }
    case DeckType::Double: {
      const auto v = to_double(tok[0]);
      if (!v) throw type_error(in_quotes(tok[0]), 0);
      check_range(k, *v, tok[0], where, 0);
      return *v;
    }
    case DeckType::Bool: {
      const auto v = to_bool(tok[0]);
      if (!v) throw type_error(in_quotes(tok[0]), 0);
      return *v;
    }
    case DeckType::String:
      check_choice(k, tok[0], where, 0);
      return tok[0];
    case DeckType::DoubleList: {
      std::vector<double> out;
      for (std::size_t i = 0; i < tok.size(); ++i) {
        const auto v = to_double(tok[i]);
        if (!v) throw type_error(in_quotes(tok[i]), i + 1);
        check_range(k, *v, tok[i], where, i + 1);
        out.push_back(*v);
      }
      return out;
    }
    case DeckType::StringList:
      for (std::size_t i = 0; i < tok.size(); ++i) check_choice(k, tok[i], where, i + 1);
      return tok;
  }
  return {};
}

Error unknown_key_error(const DeckSchema& schema, const std::string& key,
                        const std::string& where) {
  std::string msg = where + ": unknown key " + in_quotes(key);
  const auto eq = key.find('=');
  if (eq != std::string::npos && schema.has(key.substr(0, eq))) {
    // `optim.lr=0.02` in a deck file: the separator is whitespace, not '='.
    msg += "; deck lines are 'key value', did you mean '" + key.substr(0, eq) + " " +
           key.substr(eq + 1) + "'?";
  } else if (const std::string near = schema.closest_key(key); !near.empty()) {
    msg += "; did you mean " + in_quotes(near) + "?";
  }
  return Error(msg, "every valid key is listed, with its type and default, in docs/INPUT_DECK.md");
}

// Splits "key=value" (from --set) into the key and the value tokens.
std::pair<std::string, std::vector<std::string>> split_override(const std::string& assignment,
                                                                const std::string& where) {
  if (assignment.find_first_of("\n") != std::string::npos)
    throw Error(where + ": a --set value cannot contain a line break");
  const auto eq = assignment.find('=');
  const std::string key = trim(assignment.substr(0, eq));
  if (eq == std::string::npos || key.empty())
    throw Error(where + ": expected key=value, e.g. --set optim.lr=0.02",
                "lists are space-separated: --set \"model.widths=64 64\"");
  // No comments in a --set value: a '#' there is data, and resolved_text() quotes it.
  return {key, tokenize(assignment.substr(eq + 1), false, where)};
}

// True when the line ends with the unquoted comment '# default' that resolved_text() writes.
bool ends_with_default_marker(const std::string& line, const std::string& where) {
  std::vector<bool> was_quoted;
  std::vector<std::string> tok;
  try {
    tok = tokenize(line, false, where, &was_quoted);  // the comment too: any text, quotes included
  } catch (const Error&) {
    return false;  // a comment that is not a sequence of tokens is not the marker
  }
  const std::size_t n = tok.size();
  return n >= 2 && tok[n - 2] == "#" && tok[n - 1] == "default" && !was_quoted[n - 2] && !was_quoted[n - 1];
}

std::string override_origin(const std::string& assignment) {
  return "--set " + trim(assignment);
}

bool is_override_origin(const std::string& origin) { return origin.rfind("--set ", 0) == 0; }

}  // namespace

// ============================================================================================
// Public helpers
// ============================================================================================

const char* deck_type_name(DeckType type) {
  switch (type) {
    case DeckType::Int: return "int";
    case DeckType::Double: return "double";
    case DeckType::Bool: return "bool";
    case DeckType::String: return "string";
    case DeckType::DoubleList: return "list of doubles";
    case DeckType::StringList: return "list of strings";
  }
  return "?";
}

std::string format_deck_value(const DeckValue& value) {
  switch (value.index()) {
    case 0: return std::to_string(std::get<std::int64_t>(value));
    case 1: return format_double(std::get<double>(value));
    case 2: return std::get<bool>(value) ? "true" : "false";
    case 3: return format_string(std::get<std::string>(value));
    case 4: {
      std::vector<std::string> items;
      for (double v : std::get<std::vector<double>>(value)) items.push_back(format_double(v));
      return join(items, " ");
    }
    default: {
      std::vector<std::string> items;
      for (const auto& s : std::get<std::vector<std::string>>(value)) items.push_back(format_string(s));
      return join(items, " ");
    }
  }
}

bool DeckRange::contains(double v) const {
  if (lo && (lo_inclusive ? v < *lo : v <= *lo)) return false;
  if (hi && (hi_inclusive ? v > *hi : v >= *hi)) return false;
  return true;
}

std::string DeckRange::describe() const {
  if (lo && hi)
    return std::string("in ") + (lo_inclusive ? "[" : "(") + format_double(*lo) + ", " +
           format_double(*hi) + (hi_inclusive ? "]" : ")");
  if (lo) return std::string(lo_inclusive ? "≥ " : "> ") + format_double(*lo);
  if (hi) return std::string(hi_inclusive ? "≤ " : "< ") + format_double(*hi);
  return {};
}

std::string DeckKey::section() const { return name.substr(0, name.find('.')); }

// ============================================================================================
// DeckSchema
// ============================================================================================

DeckSchema& DeckSchema::add(DeckKey key) {
  // A key is dotted segments of letters, digits and '_': "section.name" or deeper.
  bool valid = key.name.find('.') != std::string::npos;
  std::size_t segment = 0;
  for (char c : key.name) {
    if (c == '.') {
      valid = valid && segment > 0;
      segment = 0;
    } else {
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
      ++segment;
    }
  }
  valid = valid && segment > 0;
  LIP_REQUIRE(valid, "DeckSchema: key " << in_quotes(key.name)
                                        << " must be dotted like 'section.name' (letters, digits, '_')");
  LIP_REQUIRE(!has(key.name), "DeckSchema: key " << in_quotes(key.name) << " is registered twice");
  LIP_REQUIRE(!key.doc.empty() && key.doc.find('\n') == std::string::npos,
              "DeckSchema: key " << in_quotes(key.name) << " needs a one-line doc string, got "
                                 << in_quotes(key.doc));
  for (const auto& c : key.choices)
    LIP_REQUIRE(!c.empty(), "DeckSchema: key " << in_quotes(key.name) << " has an empty choice");
  if (key.fallback) {
    // The default must pass the same checks as a value written in a deck.
    try {
      const std::string text = format_deck_value(*key.fallback);
      resolve_value(key, tokenize(text, false, "default"), "default");
    } catch (const Error& e) {
      LIP_FAIL("DeckSchema: default of key " << in_quotes(key.name) << " is invalid: " << e.what());
    }
  }
  index_[key.name] = keys_.size();
  keys_.push_back(std::move(key));
  return *this;
}

namespace {
DeckKey make_key(const std::string& name, DeckType type, std::optional<DeckValue> fallback,
                 const std::string& doc, DeckRange range = {},
                 std::vector<std::string> choices = {}) {
  DeckKey k;
  k.name = name;
  k.type = type;
  k.fallback = std::move(fallback);
  k.doc = doc;
  k.range = range;
  k.choices = std::move(choices);
  return k;
}
}  // namespace

DeckSchema& DeckSchema::add_int(const std::string& key, DeckDefault, const std::string& doc,
                                DeckRange range) {
  return add(make_key(key, DeckType::Int, std::nullopt, doc, range));
}
DeckSchema& DeckSchema::add_int(const std::string& key, std::int64_t fallback,
                                const std::string& doc, DeckRange range) {
  return add(make_key(key, DeckType::Int, DeckValue(fallback), doc, range));
}
DeckSchema& DeckSchema::add_double(const std::string& key, DeckDefault, const std::string& doc,
                                   DeckRange range) {
  return add(make_key(key, DeckType::Double, std::nullopt, doc, range));
}
DeckSchema& DeckSchema::add_double(const std::string& key, double fallback,
                                   const std::string& doc, DeckRange range) {
  LIP_REQUIRE(std::isfinite(fallback),
              "DeckSchema: default of key " << in_quotes(key) << " must be finite, got " << fallback);
  return add(make_key(key, DeckType::Double, DeckValue(fallback), doc, range));
}
DeckSchema& DeckSchema::add_bool(const std::string& key, DeckDefault, const std::string& doc) {
  return add(make_key(key, DeckType::Bool, std::nullopt, doc));
}
DeckSchema& DeckSchema::add_bool(const std::string& key, bool fallback, const std::string& doc) {
  return add(make_key(key, DeckType::Bool, DeckValue(fallback), doc));
}
DeckSchema& DeckSchema::add_string(const std::string& key, DeckDefault, const std::string& doc,
                                   std::vector<std::string> choices) {
  return add(make_key(key, DeckType::String, std::nullopt, doc, {}, std::move(choices)));
}
DeckSchema& DeckSchema::add_string(const std::string& key, std::string fallback,
                                   const std::string& doc, std::vector<std::string> choices) {
  return add(make_key(key, DeckType::String, DeckValue(std::move(fallback)), doc, {},
                      std::move(choices)));
}
DeckSchema& DeckSchema::add_double_list(const std::string& key, DeckDefault,
                                        const std::string& doc, DeckRange range) {
  return add(make_key(key, DeckType::DoubleList, std::nullopt, doc, range));
}
DeckSchema& DeckSchema::add_double_list(const std::string& key, std::vector<double> fallback,
                                        const std::string& doc, DeckRange range) {
  for (double v : fallback)
    LIP_REQUIRE(std::isfinite(v), "DeckSchema: default of key " << in_quotes(key)
                                                                << " must be finite, got " << v);
  return add(make_key(key, DeckType::DoubleList, DeckValue(std::move(fallback)), doc, range));
}
DeckSchema& DeckSchema::add_string_list(const std::string& key, DeckDefault,
                                        const std::string& doc, std::vector<std::string> choices) {
  return add(make_key(key, DeckType::StringList, std::nullopt, doc, {}, std::move(choices)));
}
DeckSchema& DeckSchema::add_string_list(const std::string& key, std::vector<std::string> fallback,
                                        const std::string& doc, std::vector<std::string> choices) {
  return add(make_key(key, DeckType::StringList, DeckValue(std::move(fallback)), doc, {},
                      std::move(choices)));
}

const DeckKey* DeckSchema::find(const std::string& key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

std::string DeckSchema::closest_key(const std::string& key) const {
  std::vector<std::string> names;
  for (const auto& [name, i] : index_) names.push_back(name);  // sorted: deterministic ties
  std::string near = closest_word(names, key);
  if (!near.empty()) return near;
  // Same last component in another section: 'model.lr' -> 'optim.lr'.
  const std::string leaf = lower(key.substr(key.rfind('.') + 1));
  for (const auto& name : names)
    if (lower(name.substr(name.rfind('.') + 1)) == leaf) return name;
  return {};
}

// ============================================================================================
// Parsing
// ============================================================================================

InputDeck parse(const std::string& text, const std::string& source_name, const DeckSchema& schema,
                const std::vector<std::string>& overrides) {
  InputDeck deck;
  deck.schema_ = schema;
  deck.source_ = source_name;

  std::istringstream lines(text);
  std::string line;
  for (int line_no = 1; std::getline(lines, line); ++line_no) {
    const std::string where = source_name + ":" + std::to_string(line_no);
    std::vector<bool> was_quoted;
    auto tok = tokenize(line, true, where, &was_quoted);
    if (tok.empty()) continue;
    const std::string key = tok[0];
    if (was_quoted[0])
      throw Error(where + ": expected a key at the start of the line, got the quoted string " +
                  in_quotes(key));
    const DeckKey* k = schema.find(key);
    if (!k) throw unknown_key_error(schema, key, where);
    if (const auto it = deck.values_.find(key); it != deck.values_.end())
      throw Error(where + ": duplicate key " + in_quotes(key) + " (already set at " +
                      it->second.origin + ")",
                  "keep one of the two lines");
    tok.erase(tok.begin());
    DeckValue value = resolve_value(*k, tok, where);
    // resolved_text() marks a key left at its default with '# default'; reading that text back keeps
    // the key unset (the marker beside any other value is an ordinary comment).
    const bool left_at_default = k->fallback && ends_with_default_marker(line, where) &&
                                 format_deck_value(value) == format_deck_value(*k->fallback);
    deck.values_[key] = {std::move(value), left_at_default ? std::string() : where};
  }

  for (const auto& o : overrides) deck.apply_override(o);

  std::vector<const DeckKey*> missing;
  for (const auto& k : schema.keys()) {
    if (deck.values_.count(k.name)) continue;
    if (k.required())
      missing.push_back(&k);
    else
      deck.values_[k.name] = {*k.fallback, ""};
  }
  if (!missing.empty()) {
    std::vector<std::string> names;
    for (const DeckKey* k : missing) names.push_back(in_quotes(k->name));
    const DeckKey& first = *missing[0];
    throw Error(source_name + ": missing required key" + (missing.size() > 1 ? "s " : " ") +
                    join(names, ", "),
                "add a line '" + first.name + " <value>' to the deck or pass --set " +
                    first.name + "=<value>; " + key_summary(first));
  }
  return deck;
}

void InputDeck::apply_override(const std::string& assignment) {
  const std::string where = override_origin(assignment);
  const auto [key, tok] = split_override(assignment, where);
  const DeckKey* k = schema_.find(key);
  if (!k) throw unknown_key_error(schema_, key, where);
  const auto it = values_.find(key);
  if (it != values_.end() && is_override_origin(it->second.origin))
    throw Error(where + ": duplicate key " + in_quotes(key) + " (already set at " +
                    it->second.origin + ")",
                "pass each key to --set once");
  // Everything is validated before the deck changes: a throw leaves it as it was.
  values_[key] = {resolve_value(*k, tok, where), where};
}

std::string read_deck_text(const std::string& path) {
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec).string();
  const std::string hint = "relative paths are taken from the working directory " + cwd;
  if (std::filesystem::is_directory(path, ec))
    throw Error("cannot read input deck " + in_quotes(path) + ": it is a directory", hint);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw Error("cannot open input deck " + in_quotes(path) + ": " +
                    (err ? std::strerror(err) : "unknown error"),
                hint);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read input deck " + in_quotes(path) + ": read error", hint);
  return text.str();
}

InputDeck load(const std::string& path, const DeckSchema& schema,
               const std::vector<std::string>& overrides) {
  return parse(read_deck_text(path), path, schema, overrides);
}

// ============================================================================================
// MPI broadcast
// ============================================================================================

namespace {

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  LIP_FAIL("load_and_broadcast: " << call << " failed: " << std::string(text, len));
}

}  // namespace

InputDeck load_and_broadcast(const std::string& path, const std::vector<std::string>& overrides,
                             const DeckSchema& schema, MPI_Comm comm) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  LIP_REQUIRE(initialized, "load_and_broadcast: MPI is not initialized");
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");

  // Rank 0 reads. Status first, then either the text or the error, so a failed read on rank 0
  // turns into the same error on every rank instead of a hang.
  // The path is rank 0's too: it names the source in every error, which must match on all ranks.
  std::string source = path;
  broadcast_string(comm, source);
  int status = 0;
  std::string payload, hint;
  if (rank == 0) {
    try {
      payload = read_deck_text(source);
      // Refused here, as a read error, so that every rank reports it with the deck's name.
      LIP_REQUIRE(payload.size() <= static_cast<std::size_t>(INT_MAX),
                  "load_and_broadcast: input deck is " << payload.size() << " bytes; at most " << INT_MAX
                                                       << " can be broadcast");
    } catch (const Error& e) {
      status = 1, payload = e.what(), hint = e.hint();
    } catch (const std::exception& e) {
      status = 1, payload = "cannot read input deck " + in_quotes(source) + ": " + e.what();
    }
  }
  check_mpi(MPI_Bcast(&status, 1, MPI_INT, 0, comm), "MPI_Bcast(status)");
  broadcast_string(comm, payload);
  broadcast_string(comm, hint);
  if (status != 0) throw Error(payload, hint);

  // Overrides come from rank 0 too, so every rank resolves exactly the same input.
  std::vector<std::string> ov = rank == 0 ? overrides : std::vector<std::string>{};
  int count = static_cast<int>(ov.size());
  check_mpi(MPI_Bcast(&count, 1, MPI_INT, 0, comm), "MPI_Bcast(override count)");
  ov.resize(count);
  for (auto& o : ov) broadcast_string(comm, o);

  // Parsing is deterministic, so every rank throws the same error or builds the same deck.
  return parse(payload, source, schema, ov);
}

// ============================================================================================
// InputDeck getters and output
// ============================================================================================

const InputDeck::Entry& InputDeck::entry(const std::string& key, DeckType type,
                                         const char* getter) const {
  const DeckKey* k = schema_.find(key);
  if (!k) {
    const std::string near = schema_.closest_key(key);
    LIP_FAIL("InputDeck::" << getter << ": key " << in_quotes(key)
                           << " is not registered in the deck schema"
                           << (near.empty() ? "" : "; did you mean " + in_quotes(near) + "?"));
  }
  LIP_REQUIRE(k->type == type, "InputDeck::" << getter << ": key " << in_quotes(key)
                                             << " is registered as " << deck_type_name(k->type)
                                             << ", not " << deck_type_name(type));
  const auto it = values_.find(key);
  LIP_REQUIRE(it != values_.end(), "InputDeck::" << getter << ": key " << in_quotes(key)
                                                 << " has no value (deck not resolved)");
  return it->second;
}

std::int64_t InputDeck::get_int(const std::string& key) const {
  return std::get<std::int64_t>(entry(key, DeckType::Int, "get_int").value);
}
double InputDeck::get_double(const std::string& key) const {
  return std::get<double>(entry(key, DeckType::Double, "get_double").value);
}
bool InputDeck::get_bool(const std::string& key) const {
  return std::get<bool>(entry(key, DeckType::Bool, "get_bool").value);
}
const std::string& InputDeck::get_string(const std::string& key) const {
  return std::get<std::string>(entry(key, DeckType::String, "get_string").value);
}
const std::vector<double>& InputDeck::get_double_list(const std::string& key) const {
  return std::get<std::vector<double>>(entry(key, DeckType::DoubleList, "get_double_list").value);
}
const std::vector<std::string>& InputDeck::get_string_list(const std::string& key) const {
  return std::get<std::vector<std::string>>(
      entry(key, DeckType::StringList, "get_string_list").value);
}

template <>
std::int64_t InputDeck::get<std::int64_t>(const std::string& key) const {
  return get_int(key);
}
template <>
int InputDeck::get<int>(const std::string& key) const {
  const std::int64_t v = get_int(key);
  if (v < INT_MIN || v > INT_MAX)
    throw Error(origin(key) + ": " + key + " = " + std::to_string(v) +
                " does not fit in a 32-bit int (range " + std::to_string(INT_MIN) + " to " +
                std::to_string(INT_MAX) + ")");
  return static_cast<int>(v);
}
template <>
double InputDeck::get<double>(const std::string& key) const {
  return get_double(key);
}
template <>
float InputDeck::get<float>(const std::string& key) const {
  return static_cast<float>(get_double(key));
}
template <>
bool InputDeck::get<bool>(const std::string& key) const {
  return get_bool(key);
}
template <>
std::string InputDeck::get<std::string>(const std::string& key) const {
  return get_string(key);
}
template <>
std::vector<double> InputDeck::get<std::vector<double>>(const std::string& key) const {
  return get_double_list(key);
}
template <>
std::vector<std::string> InputDeck::get<std::vector<std::string>>(const std::string& key) const {
  return get_string_list(key);
}

bool InputDeck::is_set_explicitly(const std::string& key) const {
  const DeckKey* k = schema_.find(key);
  LIP_REQUIRE(k, "InputDeck::is_set_explicitly: key " << in_quotes(key)
                                                      << " is not registered in the deck schema");
  const auto it = values_.find(key);
  return it != values_.end() && !it->second.origin.empty();
}

std::string InputDeck::origin(const std::string& key) const {
  const DeckKey* k = schema_.find(key);
  LIP_REQUIRE(k, "InputDeck::origin: key " << in_quotes(key) << " is not registered in the deck schema");
  const auto it = values_.find(key);
  return it == values_.end() || it->second.origin.empty() ? "default" : it->second.origin;
}

std::string InputDeck::resolved_text() const {
  std::size_t width = 0;
  for (const auto& [key, e] : values_) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, e] : values_) {  // std::map: sorted by key
    const std::string value = format_deck_value(e.value);  // empty for an empty list
    std::string line = key;
    if (!value.empty()) line += std::string(width - key.size() + 1, ' ') + value;
    if (e.origin.empty()) line += "  # default";
    out += line + "\n";
  }
  return out;
}

// ============================================================================================
// Markdown reference
// ============================================================================================

std::string schema_markdown(const DeckSchema& schema) {
  // Plain text: '|' would end the cell, '<name>' would be taken for an HTML tag and '*' for
  // emphasis. In a code span only '|' needs escaping.
  auto cell = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '|') out += "\\|";
      else if (c == '<') out += "&lt;";
      else if (c == '*') out += "\\*";
      else out += c;
    }
    return out;
  };
  auto code = [](const std::string& s) {
    std::string out = "`";
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out + "`";
  };

  std::vector<std::string> sections;
  for (const auto& k : schema.keys())
    if (std::find(sections.begin(), sections.end(), k.section()) == sections.end())
      sections.push_back(k.section());

  std::string out;
  for (const auto& section : sections) {
    out += (out.empty() ? "" : "\n") + std::string("## ") + section + "\n\n";
    out += "| key | type | default | allowed | meaning |\n";
    out += "| --- | --- | --- | --- | --- |\n";
    for (const auto& k : schema.keys()) {
      if (k.section() != section) continue;
      std::string def;
      if (k.required())
        def = "**required**";
      else if (const std::string v = format_deck_value(*k.fallback); v.empty())
        def = "(empty)";
      else
        def = code(v);
      std::string allowed;
      if (!k.choices.empty()) {
        std::vector<std::string> c;
        for (const auto& s : k.choices) c.push_back(code(s));
        allowed = join(c, ", ");
      } else if (is_numeric(k.type) && !k.range.unbounded()) {
        allowed = cell(k.range.describe());
      } else if (k.type == DeckType::Bool) {
        allowed = "true/false/on/off/1/0";
      }
      out += "| " + code(k.name) + " | " + deck_type_name(k.type) + " | " + def + " | " + allowed +
             " | " + cell(k.doc) + " |\n";
    }
  }
  return out;
}

}  // namespace lip::io
