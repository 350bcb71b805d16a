#include "io/token_shards.hpp"

#include <glob.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"

namespace lip::io {

namespace fs = std::filesystem;

namespace {

bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

int32_t little_endian_i32(const unsigned char* p) {
  return int32_t(uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24));
}

void put_little_endian_i32(int32_t v, unsigned char* p) {
  const auto u = uint32_t(v);
  for (int k = 0; k < 4; ++k) p[k] = static_cast<unsigned char>(u >> (8 * k));
}

bool is_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

//! The first id >= vocab_size in tokens[0, n), or n.
size_t first_out_of_range(const uint16_t* tokens, size_t n, uint32_t vocab_size) {
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] >= vocab_size) return i;
  return n;
}

}  // namespace

// ==== .bin shards ============================================================================

ShardInfo read_shard_header(const std::string& path) {
  const std::string w = "token shard '" + path + "'";
  std::error_code ec;
  LIP_REQUIRE(fs::is_regular_file(path, ec), w << " not found");
  const uint64_t size = fs::file_size(path, ec);
  LIP_REQUIRE(!ec, w << ": cannot read its size: " << ec.message());
  LIP_REQUIRE(size >= kShardHeaderBytes, w << ": " << size << " bytes, shorter than the " << kShardHeaderBytes
                                           << "-byte header (256 int32; truncated or not a shard?)");
  std::ifstream in(path, std::ios::binary);
  LIP_REQUIRE(in, w << " cannot be opened for reading");
  unsigned char header[kShardHeaderBytes];
  in.read(reinterpret_cast<char*>(header), std::streamsize(kShardHeaderBytes));
  LIP_REQUIRE(in.gcount() == std::streamsize(kShardHeaderBytes), w << ": read " << in.gcount() << " of the "
                                                                   << kShardHeaderBytes << " header bytes");
  const int32_t magic = little_endian_i32(header), version = little_endian_i32(header + 4),
                count = little_endian_i32(header + 8);
  LIP_REQUIRE(magic == kShardMagic, w << ": magic " << magic << ", expected " << kShardMagic
                                      << " (modded-nanogpt / llm.c uint16 token shard)");
  LIP_REQUIRE(version == kShardVersion, w << ": version " << version << ", expected " << kShardVersion
                                          << " (uint16 tokens)");
  LIP_REQUIRE(count >= 0, w << ": token count " << count << " in the header is negative");
  const uint64_t want = kShardHeaderBytes + 2 * uint64_t(count);
  LIP_REQUIRE(size == want, w << ": " << size << " bytes, expected " << kShardHeaderBytes << " + 2*" << count
                              << " = " << want << " for the " << count << " tokens in its header"
                              << (size < want ? " (truncated?)" : " (trailing bytes?)"));
  return ShardInfo{path, uint64_t(count)};
}

void read_shard_tokens(const ShardInfo& info, uint16_t* out) {
  const std::string w = "token shard '" + info.path + "'";
  std::ifstream in(info.path, std::ios::binary);
  LIP_REQUIRE(in, w << " cannot be opened for reading");
  in.seekg(std::streamoff(kShardHeaderBytes));
  const auto bytes = std::streamsize(2 * info.count);
  in.read(reinterpret_cast<char*>(out), bytes);
  LIP_REQUIRE(in.gcount() == bytes, w << ": read " << in.gcount() << " of " << bytes
                                      << " body bytes (was the file changed while reading?)");
  if (!host_is_little_endian())
    for (uint64_t i = 0; i < info.count; ++i) out[i] = uint16_t((out[i] >> 8) | (out[i] << 8));
}

void write_shard(const std::string& path, const std::vector<uint16_t>& tokens) {
  LIP_REQUIRE(tokens.size() <= uint64_t(INT32_MAX), "token shard '" << path << "': " << tokens.size()
                                                                    << " tokens do not fit the int32 count");
  unsigned char header[kShardHeaderBytes] = {};
  put_little_endian_i32(kShardMagic, header);
  put_little_endian_i32(kShardVersion, header + 4);
  put_little_endian_i32(int32_t(tokens.size()), header + 8);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  LIP_REQUIRE(out, "token shard '" << path << "' cannot be opened for writing");
  out.write(reinterpret_cast<const char*>(header), std::streamsize(kShardHeaderBytes));
  std::vector<unsigned char> body(2 * tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    body[2 * i] = static_cast<unsigned char>(tokens[i] & 0xFF);
    body[2 * i + 1] = static_cast<unsigned char>(tokens[i] >> 8);
  }
  out.write(reinterpret_cast<const char*>(body.data()), std::streamsize(body.size()));
  out.close();
  LIP_REQUIRE(out, "token shard '" << path << "': write failed (disk full?)");
}

std::vector<std::string> expand_shard_patterns(const std::vector<std::string>& patterns, const std::string& what) {
  LIP_REQUIRE(!patterns.empty(), what << ": no files or patterns given");
  std::vector<std::string> files;
  std::error_code ec;
  for (const std::string& p : patterns) {
    if (!is_glob(p)) {
      LIP_REQUIRE(fs::is_regular_file(p, ec), what << ": '" << p << "' not found");
      files.push_back(p);
      continue;
    }
    glob_t g{};
    const int rc = glob(p.c_str(), 0, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i)
        if (fs::is_regular_file(g.gl_pathv[i], ec)) matches.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    LIP_REQUIRE(rc == 0 || rc == GLOB_NOMATCH, what << ": pattern '" << p << "' could not be expanded (glob error "
                                                    << rc << ")");
    LIP_REQUIRE(!matches.empty(), what << ": pattern '" << p << "' matches no file");
    std::sort(matches.begin(), matches.end());
    files.insert(files.end(), matches.begin(), matches.end());
  }
  std::set<std::string> seen;
  for (const std::string& f : files) {
    const std::string key = fs::weakly_canonical(f, ec).string();
    LIP_REQUIRE(seen.insert(ec ? f : key).second, what << ": '" << f << "' is listed twice");
  }
  return files;
}

std::vector<uint16_t> read_shards(const std::vector<std::string>& paths, uint32_t vocab_size) {
  std::vector<ShardInfo> infos;
  uint64_t total = 0;
  for (const std::string& p : paths) {
    infos.push_back(read_shard_header(p));
    total += infos.back().count;
  }
  std::vector<uint16_t> tokens(total);
  uint64_t at = 0;
  for (const ShardInfo& info : infos) {
    read_shard_tokens(info, tokens.data() + at);
    const size_t bad = first_out_of_range(tokens.data() + at, info.count, vocab_size);
    LIP_REQUIRE(bad == info.count, "token shard '" << info.path << "': token " << bad << " is "
                                                   << tokens[at + bad] << ", expected an id below the vocabulary size "
                                                   << vocab_size);
    at += info.count;
  }
  return tokens;
}

// ==== HDF5 token file ("lipschitz-tokens") ===================================================

void write_token_file(const std::string& path, const TokenFile& file) {
  LIP_REQUIRE(file.vocab_size > 0 && file.vocab_size <= 65536,
              "token file '" << path << "': vocab_size " << file.vocab_size << " does not fit uint16 ids (1..65536)");
  for (const auto& [name, tokens] : {std::pair<const char*, const std::vector<uint16_t>*>{"train", &file.train},
                                     std::pair<const char*, const std::vector<uint16_t>*>{"val", &file.val}}) {
    const size_t bad = first_out_of_range(tokens->data(), tokens->size(), uint32_t(file.vocab_size));
    LIP_REQUIRE(bad == tokens->size(), "token file '" << path << "': " << name << " token " << bad << " is "
                                                      << (*tokens)[bad] << ", expected below vocab_size "
                                                      << file.vocab_size);
  }
  Hdf5File h5 = Hdf5File::create(path);
  h5.write_attr("/", "format", kTokenFormat);
  h5.write_attr("/", "version", kTokenFormatVersion);
  h5.write_attr("/", "vocab_size", file.vocab_size);
  h5.write_attr("/", "tokenizer", file.tokenizer);
  h5.write_attr("/", "source", file.source);
  h5.write<uint16_t>("train/tokens", {file.train.size()}, file.train);
  h5.write<uint16_t>("val/tokens", {file.val.size()}, file.val);
  h5.write_attr("train", "count", int64_t(file.train.size()));
  h5.write_attr("val", "count", int64_t(file.val.size()));
  h5.close();
}

TokenFile read_token_file(const std::string& path) {
  const Hdf5File h5 = Hdf5File::open_read(path);
  const std::string w = "token file '" + path + "'";
  LIP_REQUIRE(h5.has_attr("/", "format"), w << ": no 'format' attribute; expected format '" << kTokenFormat << "'");
  const std::string format = h5.read_attr_string("/", "format");
  LIP_REQUIRE(format == kTokenFormat, w << ": format '" << format << "', expected '" << kTokenFormat << "'");
  const int64_t version = h5.read_attr_int("/", "version");
  LIP_REQUIRE(version == kTokenFormatVersion, w << ": version " << version << ", expected " << kTokenFormatVersion);
  TokenFile file;
  file.vocab_size = h5.read_attr_int("/", "vocab_size");
  LIP_REQUIRE(file.vocab_size > 0 && file.vocab_size <= 65536,
              w << ": vocab_size " << file.vocab_size << ", expected 1..65536 (uint16 ids)");
  file.tokenizer = h5.read_attr_string("/", "tokenizer");
  file.source = h5.read_attr_string("/", "source");
  for (const auto& [name, tokens] : {std::pair<std::string, std::vector<uint16_t>*>{"train", &file.train},
                                     std::pair<std::string, std::vector<uint16_t>*>{"val", &file.val}}) {
    *tokens = h5.read<uint16_t>(name + "/tokens", {Hdf5File::any});
    const int64_t count = h5.read_attr_int(name, "count");
    LIP_REQUIRE(count == int64_t(tokens->size()), w << ": " << name << " count attribute " << count << ", but "
                                                    << name << "/tokens holds " << tokens->size());
    const size_t bad = first_out_of_range(tokens->data(), tokens->size(), uint32_t(file.vocab_size));
    LIP_REQUIRE(bad == tokens->size(), w << ": " << name << " token " << bad << " is " << (*tokens)[bad]
                                         << ", expected below vocab_size " << file.vocab_size);
  }
  return file;
}

}  // namespace lip::io
