#pragma once
/* Token data on disk: modded-nanogpt `.bin` shards (input) and the project's HDF5 token file
 * (schema "lipschitz-tokens", docs/TOKENS.md).
 *
 * `.bin` shard (NANOGPT.md §4.1): a header of 256 little-endian int32 (1024 bytes) with
 *   h[0] = 20240520 (magic), h[1] = 1 (version), h[2] = N (token count), the rest zero;
 * then N little-endian uint16 token ids. File size = 1024 + 2N exactly.
 *
 * Token file: root attributes format = "lipschitz-tokens", version = 1, vocab_size, tokenizer,
 * source; uint16 datasets /train/tokens (N_train) and /val/tokens (N_val), each group with a
 * `count` attribute. Every id is below vocab_size.
 */
#include <cstdint>
#include <string>
#include <vector>

namespace lip::io {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr size_t kShardHeaderInts = 256;
constexpr size_t kShardHeaderBytes = kShardHeaderInts * 4;

constexpr const char* kTokenFormat = "lipschitz-tokens";
constexpr int kTokenFormatVersion = 1;

//! What a valid shard header says, plus where it came from.
struct ShardInfo {
  std::string path;
  uint64_t count = 0;  // tokens in the body
};

//! Validates the header of shard `path` against its size (magic, version, count, 1024 + 2N
//! bytes); throws naming the file, the expected and the actual value.
ShardInfo read_shard_header(const std::string& path);
//! Appends the body of a validated shard to `out` (info.count tokens).
void read_shard_tokens(const ShardInfo& info, uint16_t* out);
//! Writes a shard (header + tokens); used by tests and tools.
void write_shard(const std::string& path, const std::vector<uint16_t>& tokens);

//! Expands each argument: a glob pattern (*, ?, [...]) becomes its matches sorted by name and
//! must match at least one file; anything else must be an existing file. Order is kept across
//! arguments. `what` ("train shards") names the list in messages.
std::vector<std::string> expand_shard_patterns(const std::vector<std::string>& patterns, const std::string& what);

//! Concatenated tokens of `paths`; every header is validated before any body is read, and
//! every id is checked against `vocab_size` (an id >= vocab_size names its file and index).
std::vector<uint16_t> read_shards(const std::vector<std::string>& paths, uint32_t vocab_size);

//! Contents of a "lipschitz-tokens" file.
struct TokenFile {
  std::string source;     // free text: where the tokens came from
  std::string tokenizer;  // "gpt2"
  int64_t vocab_size = 0;
  std::vector<uint16_t> train;  // (N_train)
  std::vector<uint16_t> val;    // (N_val)
};

//! Writes `file` to `path` (docs/TOKENS.md); ids must be below vocab_size.
void write_token_file(const std::string& path, const TokenFile& file);
//! Reads and validates a token file (format, version, dtypes, count attributes, id range).
TokenFile read_token_file(const std::string& path);

}  // namespace lip::io
