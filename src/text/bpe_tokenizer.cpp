#include "text/bpe_tokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace lip::text {

namespace fs = std::filesystem;

// The published pattern, with \s (and \S) written out as the Unicode White_Space class:
//   White_Space = U+0009..000D, U+0020, U+0085, U+00A0, U+1680, U+2000..200A, U+2028, U+2029,
//                 U+202F, U+205F, U+3000 (PropList.txt; unchanged since Unicode 6.3)
// `regex` (which GPT-2 used) matches \s against exactly this set; PCRE2's UCP \s also matches
// U+180E (MONGOLIAN VOWEL SEPARATOR, a format character since Unicode 6.3).
#define LIP_GPT2_WS R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})"
const char* const Gpt2Tokenizer::kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^)" LIP_GPT2_WS R"(\p{L}\p{N}]+|[)" LIP_GPT2_WS
    R"(]+(?![^)" LIP_GPT2_WS R"(])|[)" LIP_GPT2_WS R"(]+)";
#undef LIP_GPT2_WS
const char* const Gpt2Tokenizer::kPublishedPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

// Pieces longer than this are not cached: they are rare (long runs of one class) and would
// only fill memory. The cache is cleared when it reaches kCacheMaxEntries pieces.
constexpr size_t kCacheMaxPieceBytes = 64;
constexpr size_t kCacheMaxEntries = size_t(1) << 20;

std::string hex_byte(uint8_t b) {
  std::ostringstream os;
  os << "0x" << std::hex << std::setw(2) << std::setfill('0') << int(b);
  return os.str();
}

//! Whole file as a string; names `what` and the path when missing or unreadable.
std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error(what + " '" + path + "' not found",
                "point --vocab-dir (or LIP_DATA_DIR) at the directory holding encoder.json and vocab.bpe "
                "(data/README.md, gpt2/)");
  std::ifstream in(path, std::ios::binary);
  LIP_REQUIRE(in, what << " '" << path << "' cannot be opened for reading");
  std::ostringstream os;
  os << in.rdbuf();
  LIP_REQUIRE(!in.bad(), what << " '" << path << "': read error");
  return os.str();
}

//! Appends code point `cp` to `out` as UTF-8.
void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

//! Code points of GPT-2's byte alphabet, indexed by byte (bytes_to_unicode in encoder.py).
std::vector<uint32_t> byte_alphabet_code_points() {
  std::vector<uint32_t> cp(256);
  uint32_t next = 256;  // bytes that are not printable Latin-1 map to U+0100, U+0101, ... in byte order
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    cp[b] = printable ? b : next++;
  }
  return cp;
}

//! Printable form of a token / line for messages (non-ASCII and control bytes as \xNN).
std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += char(c);
    } else {
      std::ostringstream os;
      os << "\\x" << std::hex << std::setw(2) << std::setfill('0') << int(c);
      out += os.str();
    }
  }
  return out;
}

}  // namespace

// ==== UTF-8 ==================================================================================

size_t find_invalid_utf8(std::string_view s, std::string* why) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  auto fail = [&](size_t at, const std::string& reason) {
    if (why) *why = reason;
    return at;
  };
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min_cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F, min_cp = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F, min_cp = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07, min_cp = 0x10000;
    } else if (c >= 0x80 && c <= 0xBF) {
      return fail(i, "byte " + hex_byte(c) + " is a continuation byte without a lead byte");
    } else {
      return fail(i, "byte " + hex_byte(c) + " never occurs in UTF-8");
    }
    if (i + len > n) return fail(i, "sequence starting with " + hex_byte(c) + " is cut off by the end of the input");
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80)
        return fail(i, "byte " + hex_byte(p[i + k]) + " at +" + std::to_string(k) +
                           " is not a continuation byte of the sequence starting with " + hex_byte(c));
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min_cp) return fail(i, "overlong encoding starting with " + hex_byte(c));
    if (cp >= 0xD800 && cp <= 0xDFFF) return fail(i, "encodes a UTF-16 surrogate (U+D800..U+DFFF)");
    if (cp > 0x10FFFF) return fail(i, "encodes a code point above U+10FFFF");
    i += len;
  }
  return std::string_view::npos;
}

std::vector<std::string> gpt2_byte_alphabet() {
  std::vector<std::string> out(256);
  const std::vector<uint32_t> cp = byte_alphabet_code_points();
  for (size_t b = 0; b < 256; ++b) append_utf8(cp[b], out[b]);
  return out;
}

// ==== PCRE2 ==================================================================================

struct Gpt2Tokenizer::Regex {
  pcre2_code* code = nullptr;
  pcre2_match_data* match = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;

  Regex() {
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                         &err, &err_offset, nullptr);
    if (!code) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(err, buf, sizeof(buf));
      LIP_FAIL("PCRE2 cannot compile the GPT-2 pattern at offset " << err_offset << ": "
                                                                   << reinterpret_cast<const char*>(buf));
    }
    match = pcre2_match_data_create_from_pattern(code, nullptr);
    LIP_REQUIRE(match, "PCRE2: out of memory creating match data");
    // JIT makes matching several times faster; without it (unsupported platform) the
    // interpreter gives the same matches. Its stack may grow to 1 MiB for long runs.
    if (pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0) {
      context = pcre2_match_context_create(nullptr);
      jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
      if (context && jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
    }
  }
  ~Regex() {
    if (jit_stack) pcre2_jit_stack_free(jit_stack);
    if (context) pcre2_match_context_free(context);
    if (match) pcre2_match_data_free(match);
    if (code) pcre2_code_free(code);
  }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
};

// ==== loading ================================================================================

Gpt2Tokenizer::Gpt2Tokenizer(const std::string& vocab_dir)
    : Gpt2Tokenizer((fs::path(vocab_dir) / "encoder.json").string(), (fs::path(vocab_dir) / "vocab.bpe").string()) {}

Gpt2Tokenizer::Gpt2Tokenizer(const std::string& encoder_json, const std::string& vocab_bpe) {
  load(encoder_json, vocab_bpe);
  regex_ = std::make_unique<Regex>();
}

Gpt2Tokenizer::~Gpt2Tokenizer() = default;
Gpt2Tokenizer::Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept = default;
Gpt2Tokenizer& Gpt2Tokenizer::operator=(Gpt2Tokenizer&&) noexcept = default;

void Gpt2Tokenizer::load(const std::string& encoder_json, const std::string& vocab_bpe) {
  // ---- encoder.json: {"token in the byte alphabet": id, ...}, ids exactly 0..V-1 ----------
  const std::string ew = "GPT-2 encoder file '" + encoder_json + "'";
  const std::string json_text = read_text_file(encoder_json, "GPT-2 encoder file");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    LIP_FAIL(ew << ": not valid JSON (" << e.what() << ")");
  }
  LIP_REQUIRE(json.is_object(), ew << ": expected a JSON object mapping token -> id, got " << json.type_name());
  LIP_REQUIRE(!json.empty(), ew << ": the token table is empty");
  const size_t V = json.size();
  LIP_REQUIRE(V <= std::numeric_limits<uint32_t>::max(), ew << ": " << V << " tokens is too many");

  // byte alphabet: code point -> byte (code points are all below U+0144)
  const std::vector<uint32_t> alphabet = byte_alphabet_code_points();
  std::vector<int> byte_of_cp(0x144, -1);
  for (size_t b = 0; b < 256; ++b) byte_of_cp[alphabet[b]] = int(b);

  std::unordered_map<std::string, uint32_t> id_of;  // token string (byte alphabet) -> id
  id_of.reserve(V);
  token_bytes_.assign(V, std::string());
  std::vector<bool> seen(V, false);
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& key = it.key();
    LIP_REQUIRE(it.value().is_number_integer(), ew << ": token '" << shown(key) << "' maps to "
                                                   << it.value().dump() << ", expected an integer id");
    const int64_t id = it.value().get<int64_t>();
    LIP_REQUIRE(id >= 0 && uint64_t(id) < V, ew << ": token '" << shown(key) << "' has id " << id
                                                << ", expected 0.." << V - 1 << " (ids must be dense)");
    LIP_REQUIRE(!seen[size_t(id)], ew << ": id " << id << " is used twice (again by token '" << shown(key) << "')");
    seen[size_t(id)] = true;
    // The key's characters are byte-alphabet characters; map them back to bytes.
    const size_t bad = find_invalid_utf8(key);
    LIP_REQUIRE(bad == std::string_view::npos, ew << ": token '" << shown(key) << "' is not valid UTF-8");
    std::string bytes;
    for (size_t i = 0; i < key.size();) {
      const auto c = static_cast<unsigned char>(key[i]);
      uint32_t cp = c;
      size_t len = 1;
      if (c >= 0xC0) {
        len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        cp = c & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(key[i + k]) & 0x3F);
      }
      LIP_REQUIRE(cp < byte_of_cp.size() && byte_of_cp[cp] >= 0,
                  ew << ": token '" << shown(key) << "' (id " << id << ") contains U+" << std::hex << std::uppercase
                     << cp << ", which is not in GPT-2's byte alphabet (bytes_to_unicode)");
      bytes += char(byte_of_cp[cp]);
      i += len;
    }
    LIP_REQUIRE(!bytes.empty(), ew << ": the empty string is a token (id " << id << ")");
    token_bytes_[size_t(id)] = std::move(bytes);
    id_of.emplace(key, uint32_t(id));
  }

  std::vector<std::string> alphabet_utf8 = gpt2_byte_alphabet();
  for (size_t b = 0; b < 256; ++b) {
    const auto it = id_of.find(alphabet_utf8[b]);
    LIP_REQUIRE(it != id_of.end(), ew << ": no single-byte token for byte " << hex_byte(uint8_t(b)) << " (written '"
                                      << shown(alphabet_utf8[b]) << "'); byte-level BPE needs all 256");
    byte_token_[b] = it->second;
  }
  const auto eot = id_of.find("<|endoftext|>");
  LIP_REQUIRE(eot != id_of.end(), ew << ": no '<|endoftext|>' token");
  eot_id_ = eot->second;

  // ---- vocab.bpe: "#version: 0.2", then "left right" per line; line order = merge rank ----
  const std::string mw = "GPT-2 merges file '" + vocab_bpe + "'";
  const std::string merges_text = read_text_file(vocab_bpe, "GPT-2 merges file");
  std::vector<std::string_view> lines;
  {
    std::string_view rest = merges_text;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  }
  size_t first = 0;
  if (!lines.empty() && lines[0].substr(0, 8) == "#version") first = 1;  // "#version: 0.2"
  size_t last = lines.size();
  while (last > first && lines[last - 1].empty()) --last;  // trailing newline(s)
  merges_.reserve(last - first);
  std::unordered_map<uint64_t, size_t> line_of;  // pair -> line number, for duplicate messages
  line_of.reserve(last - first);
  auto lookup = [&](std::string_view sym, size_t line_no, std::string_view line) {
    const auto it = id_of.find(std::string(sym));
    LIP_REQUIRE(it != id_of.end(), mw << " line " << line_no << ": symbol '" << shown(sym) << "' of merge '"
                                      << shown(line) << "' is not a token of encoder.json");
    return it->second;
  };
  for (size_t i = first; i < last; ++i) {
    const size_t line_no = i + 1;
    const std::string_view line = lines[i];
    const size_t sp = line.find(' ');
    LIP_REQUIRE(sp != std::string_view::npos && sp > 0 && sp + 1 < line.size() &&
                    line.find(' ', sp + 1) == std::string_view::npos,
                mw << " line " << line_no << ": expected two symbols separated by one space, got '" << shown(line)
                   << "'");
    const std::string_view left = line.substr(0, sp), right = line.substr(sp + 1);
    const uint32_t a = lookup(left, line_no, line), b = lookup(right, line_no, line);
    const std::string joined = std::string(left) + std::string(right);
    const auto merged = id_of.find(joined);
    LIP_REQUIRE(merged != id_of.end(), mw << " line " << line_no << ": merge '" << shown(line) << "' produces '"
                                          << shown(joined) << "', which is not a token of encoder.json");
    const uint32_t result = merged->second;
    const uint64_t key = (uint64_t(a) << 32) | b;
    const auto [it, fresh] = line_of.emplace(key, line_no);
    LIP_REQUIRE(fresh, mw << " line " << line_no << ": merge '" << shown(line) << "' repeats line " << it->second);
    merges_.emplace(key, Merge{uint32_t(i - first), result});
  }
}

// ==== encoding ===============================================================================

template <class F>
void Gpt2Tokenizer::for_each_piece(std::string_view text, F&& piece) const {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t offset = 0;
  while (offset < text.size()) {
    // The text was validated as UTF-8 by the caller, so PCRE2's own O(n) check is skipped.
    const int rc = pcre2_match(regex_->code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK, regex_->match,
                               regex_->context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(rc, buf, sizeof(buf));
      LIP_FAIL("GPT-2 pre-tokenizer: PCRE2 match failed at byte " << offset << ": "
                                                                  << reinterpret_cast<const char*>(buf));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(regex_->match);
    // Every character is a letter, number, White_Space or other, so the pattern matches at
    // every position: pieces tile the text. A gap or empty match would mean a broken pattern.
    LIP_REQUIRE(ov[0] == offset && ov[1] > ov[0], "GPT-2 pre-tokenizer: expected a non-empty match at byte "
                                                      << offset << ", got [" << ov[0] << ", " << ov[1] << ")");
    piece(text.substr(offset, ov[1] - offset));
    offset = ov[1];
  }
  LIP_REQUIRE(offset == text.size(), "GPT-2 pre-tokenizer: no match at byte " << offset << " of " << text.size());
}

std::vector<std::string> Gpt2Tokenizer::pre_tokenize(std::string_view text) const {
  std::string why;
  const size_t bad = find_invalid_utf8(text, &why);
  LIP_REQUIRE(bad == std::string_view::npos, "GPT-2 pre-tokenizer: input is not valid UTF-8 at byte " << bad << ": "
                                                                                                    << why);
  std::vector<std::string> pieces;
  for_each_piece(text, [&](std::string_view p) { pieces.emplace_back(p); });
  return pieces;
}

void Gpt2Tokenizer::bpe_piece(std::string_view piece, std::vector<uint32_t>& out) {
  const bool cacheable = piece.size() <= kCacheMaxPieceBytes;
  if (cacheable) {
    const auto hit = cache_.find(std::string(piece));
    if (hit != cache_.end()) {
      out.insert(out.end(), hit->second.begin(), hit->second.end());
      return;
    }
  }
  std::vector<uint32_t>& w = work_;  // (n) symbols of the piece, as token ids
  w.resize(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) w[i] = byte_token_[static_cast<unsigned char>(piece[i])];
  while (w.size() > 1) {
    // the adjacent pair with the lowest rank
    uint32_t best_rank = std::numeric_limits<uint32_t>::max(), a = 0, b = 0, result = 0;
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      const auto it = merges_.find((uint64_t(w[i]) << 32) | w[i + 1]);
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank, a = w[i], b = w[i + 1], result = it->second.result;
      }
    }
    if (best_rank == std::numeric_limits<uint32_t>::max()) break;
    // merge all its non-overlapping occurrences, left to right
    size_t j = 0;
    for (size_t i = 0; i < w.size();) {
      if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
        w[j++] = result;
        i += 2;
      } else {
        w[j++] = w[i++];
      }
    }
    w.resize(j);
  }
  out.insert(out.end(), w.begin(), w.end());
  if (cacheable) {
    if (cache_.size() >= kCacheMaxEntries) cache_.clear();
    cache_.emplace(std::string(piece), w);
  }
}

void Gpt2Tokenizer::encode_valid(std::string_view text, std::vector<uint32_t>& out) {
  for_each_piece(text, [&](std::string_view p) { bpe_piece(p, out); });
}

void Gpt2Tokenizer::encode_append(std::string_view text, std::vector<uint32_t>& out, Utf8Policy policy) {
  std::string why;
  size_t bad = find_invalid_utf8(text, &why);
  if (bad == std::string_view::npos) {
    encode_valid(text, out);
    return;
  }
  LIP_REQUIRE(policy == Utf8Policy::bytes,
              "GPT-2 tokenizer: input is not valid UTF-8 at byte "
                  << bad << ": " << why << "; GPT-2 is defined on Unicode text (fix the encoding, or "
                  << "use the 'bytes' policy, which gives each invalid byte its single-byte token)");
  // bytes policy: valid runs are tokenized normally, each invalid byte is a piece of its own.
  size_t start = 0;
  while (bad != std::string_view::npos) {
    encode_valid(text.substr(start, bad - start), out);
    out.push_back(byte_token_[static_cast<unsigned char>(text[bad])]);
    start = bad + 1;
    const size_t next = find_invalid_utf8(text.substr(start));
    bad = next == std::string_view::npos ? next : start + next;
  }
  encode_valid(text.substr(start), out);
}

std::vector<uint32_t> Gpt2Tokenizer::encode(std::string_view text, Utf8Policy policy) {
  std::vector<uint32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  encode_append(text, ids, policy);
  return ids;
}

// ==== decoding ===============================================================================

const std::string& Gpt2Tokenizer::token_bytes(uint32_t id) const {
  LIP_REQUIRE(id < token_bytes_.size(), "GPT-2 tokenizer: token id " << id << " is out of range, expected 0.."
                                                                     << token_bytes_.size() - 1);
  return token_bytes_[id];
}

std::string Gpt2Tokenizer::decode(const std::vector<uint32_t>& ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    LIP_REQUIRE(ids[i] < token_bytes_.size(), "GPT-2 tokenizer: token id " << ids[i] << " at position " << i
                                                                           << " is out of range, expected 0.."
                                                                           << token_bytes_.size() - 1);
    out += token_bytes_[ids[i]];
  }
  return out;
}

}  // namespace lip::text
