#pragma once
/* GPT-2 byte-level BPE tokenizer (Radford et al. 2019; openai/gpt-2 encoder.py).
 *
 * encode(text):
 *   1. Pre-tokenize with GPT-2's pattern (PCRE2, UTF + UCP, JIT when available):
 *        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *      The published pattern was run by Python's `regex` module, whose \s on str patterns is the
 *      Unicode White_Space property. PCRE2's \s under UCP is its own fixed list of horizontal and
 *      vertical spaces, which still holds U+180E (MONGOLIAN VOWEL SEPARATOR, White_Space only
 *      before Unicode 6.3, now Cf), so kPattern spells \s out as the White_Space class;
 *      everything else is the published pattern verbatim. \p{L} / \p{N} come from PCRE2's
 *      Unicode tables.
 *   2. Each piece is a byte string; its bytes start as the 256 single-byte tokens.
 *   3. BPE: repeatedly merge every non-overlapping occurrence (left to right) of the adjacent
 *      pair with the lowest merge rank (line order of vocab.bpe), until no pair has a rank.
 *      Results are cached per piece (pieces repeat: "the", " of", "\n").
 *   4. The symbols are token ids (encoder.json); merge rank r yields id 256 + r in GPT-2's files.
 *
 * Vocabulary files (data/README.md, gpt2/): encoder.json maps each token, written in the
 * bytes_to_unicode alphabet, to its id; vocab.bpe holds "#version: 0.2" then one merge per line.
 * Both are validated completely on load; errors name the file (and line or token).
 *
 * Invalid UTF-8: GPT-2 is defined on Unicode text (its reference takes a Python str), so input
 * bytes that are not valid UTF-8 have no reference tokenization. Utf8Policy::strict (default)
 * throws, naming the byte offset and the reason. Utf8Policy::bytes keeps byte-level BPE total:
 * every byte of an invalid sequence becomes a piece of its own (its single-byte token) and the
 * valid runs between them are tokenized normally, so decode(encode(s)) == s for any bytes.
 *
 * `<|endoftext|>` (id 50256) is never produced from text: the string "<|endoftext|>" in the
 * input is tokenized as ordinary characters, as in GPT-2's encoder. Callers insert eot_id().
 *
 * Not thread-safe: the piece cache and the PCRE2 match data are per object.
 */
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lip::text {

//! What encode() does with bytes that are not valid UTF-8 (see the header comment).
enum class Utf8Policy { strict, bytes };

//! Offset of the first invalid UTF-8 sequence in `s` (npos when valid); `why` gets the reason.
//! Valid = RFC 3629: no overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF.
size_t find_invalid_utf8(std::string_view s, std::string* why = nullptr);

//! GPT-2's byte -> printable character table (as UTF-8 strings), bytes_to_unicode() in
//! encoder.py: printable Latin-1 bytes map to themselves, the other 68 to U+0100 + k.
std::vector<std::string> gpt2_byte_alphabet();

//! GPT-2 byte-level BPE over encoder.json + vocab.bpe.
class Gpt2Tokenizer {
 public:
  //! The pre-tokenizer pattern handed to PCRE2 (GPT-2's, with \s spelled out; see above).
  static const char* const kPattern;
  //! The published pattern, for messages and documentation.
  static const char* const kPublishedPattern;

  //! Load `<vocab_dir>/encoder.json` and `<vocab_dir>/vocab.bpe`.
  explicit Gpt2Tokenizer(const std::string& vocab_dir);
  //! Load from explicit file paths.
  Gpt2Tokenizer(const std::string& encoder_json, const std::string& vocab_bpe);
  ~Gpt2Tokenizer();
  Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept;
  Gpt2Tokenizer& operator=(Gpt2Tokenizer&&) noexcept;
  Gpt2Tokenizer(const Gpt2Tokenizer&) = delete;
  Gpt2Tokenizer& operator=(const Gpt2Tokenizer&) = delete;

  //! Token ids of UTF-8 `text`.
  std::vector<uint32_t> encode(std::string_view text, Utf8Policy policy = Utf8Policy::strict);
  //! As encode(), appending to `out`.
  void encode_append(std::string_view text, std::vector<uint32_t>& out, Utf8Policy policy = Utf8Policy::strict);
  //! The bytes the ids stand for (throws on an id outside [0, vocab_size())).
  std::string decode(const std::vector<uint32_t>& ids) const;
  //! GPT-2's pre-tokenizer pieces of valid UTF-8 `text` (tests and inspection).
  std::vector<std::string> pre_tokenize(std::string_view text) const;

  //! Number of tokens in encoder.json (50257 for GPT-2).
  uint32_t vocab_size() const { return uint32_t(token_bytes_.size()); }
  //! Number of merge rules in vocab.bpe (50000 for GPT-2).
  size_t merge_count() const { return merges_.size(); }
  //! Id of `<|endoftext|>` (50256 for GPT-2).
  uint32_t eot_id() const { return eot_id_; }
  //! The bytes of token `id`.
  const std::string& token_bytes(uint32_t id) const;
  //! Pieces currently in the BPE cache.
  size_t cache_size() const { return cache_.size(); }

 private:
  struct Merge {
    uint32_t rank;    // line order in vocab.bpe: lower merges first
    uint32_t result;  // id of the merged token
  };
  struct Regex;  // PCRE2 code + match data

  void load(const std::string& encoder_json, const std::string& vocab_bpe);
  //! Calls `piece(begin, end)` for each pre-tokenizer match of valid UTF-8 `text`.
  template <class F>
  void for_each_piece(std::string_view text, F&& piece) const;
  //! BPE of one piece (bytes), appended to `out`; uses and fills the cache.
  void bpe_piece(std::string_view piece, std::vector<uint32_t>& out);
  void encode_valid(std::string_view text, std::vector<uint32_t>& out);

  std::vector<std::string> token_bytes_;                // (V) id -> bytes
  uint32_t byte_token_[256] = {};                       // byte -> id of its single-byte token
  std::unordered_map<uint64_t, Merge> merges_;          // (left id << 32 | right id) -> merge
  std::unordered_map<std::string, std::vector<uint32_t>> cache_;  // piece bytes -> ids
  std::vector<uint32_t> work_;                          // BPE scratch (symbols of one piece)
  uint32_t eot_id_ = 0;
  std::unique_ptr<Regex> regex_;
};

}  // namespace lip::text
