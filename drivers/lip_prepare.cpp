// lip_prepare: convert the public raw datasets into the HDF5 files the trainer reads.
//
//   lip_prepare mnist       [--raw DIR] [--out FILE]   IDX files          -> image classification
//   lip_prepare cifar10     [--raw DIR] [--out FILE]   binary batches     -> image classification
//   lip_prepare shakespeare [--raw DIR] [--out FILE]   input.txt          -> char tokens
//   lip_prepare tokenize [--text FILE] [--vocab-dir DIR] [--out FILE] [--val-fraction F]
//                                                      UTF-8 text         -> GPT-2 BPE tokens
//   lip_prepare shards --train FILES|GLOBS... --val FILES|GLOBS... --out FILE
//                                                      modded-nanogpt .bin shards -> GPT-2 tokens
//   lip_prepare encode [--vocab-dir DIR] (--string S | --strings-json F | --text F)...
//                                                      GPT-2 ids as JSON lines (tests, inspection)
//
// Schemas: docs/FORMATS.md (token files: docs/TOKENS.md). Raw layouts and the data search order:
// data/README.md. The raw input is read and validated completely before anything is written; the
// output is written to `<out>.tmp` and renamed, so an error never leaves a partial file behind.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/data_paths.hpp"
#include "io/image_dataset.hpp"
#include "io/token_shards.hpp"
#include "text/bpe_tokenizer.hpp"

namespace fs = std::filesystem;
using lip::io::CharTokenFile;
using lip::io::ImageDatasetFile;
using lip::text::Gpt2Tokenizer;
using lip::text::Utf8Policy;

namespace {

// ==== raw file helpers =======================================================================

//! Whole file as bytes; names `what` and the path when it is missing or unreadable.
std::vector<uint8_t> read_bytes(const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    fs::path gz = path;
    gz += ".gz";
    LIP_REQUIRE(!fs::is_regular_file(gz, ec), what << " '" << path.string() << "' not found, but '" << gz.string()
                                                   << "' exists: gunzip it first");
    LIP_FAIL(what << " '" << path.string() << "' not found");
  }
  std::ifstream in(path, std::ios::binary);
  LIP_REQUIRE(in, what << " '" << path.string() << "' cannot be opened for reading");
  std::vector<uint8_t> bytes(fs::file_size(path));
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  LIP_REQUIRE(in.gcount() == std::streamsize(bytes.size()),
              what << " '" << path.string() << "': read " << in.gcount() << " of " << bytes.size() << " bytes");
  return bytes;
}

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex32(uint32_t v) {
  std::ostringstream os;
  os << "0x" << std::hex;
  os.width(8);
  os.fill('0');
  os << v;
  return os.str();
}

//! Label bytes must be class ids 0..num_classes-1.
void require_labels_below(const std::vector<uint8_t>& labels, size_t num_classes, const std::string& where) {
  for (size_t i = 0; i < labels.size(); ++i)
    LIP_REQUIRE(labels[i] < num_classes, where << ": label " << int(labels[i]) << " at index " << i
                                               << " is out of range, expected 0.." << num_classes - 1);
}

// ==== image classification (schema "lipschitz-image-classification") ========================

using ImageSplit = ImageDatasetFile::Split;

// ---- MNIST (IDX; ALGORITHMS.md §9.3, data/README.md) ----------------------------------------

constexpr uint32_t kIdxImagesMagic = 0x00000803, kIdxLabelsMagic = 0x00000801;
constexpr size_t kMnistSide = 28;

ImageSplit read_mnist_split(const fs::path& raw, const std::string& prefix) {
  const fs::path images_path = raw / (prefix + "-images-idx3-ubyte");
  const fs::path labels_path = raw / (prefix + "-labels-idx1-ubyte");
  const std::vector<uint8_t> img = read_bytes(images_path, "MNIST image file");
  const std::vector<uint8_t> lab = read_bytes(labels_path, "MNIST label file");
  const std::string iw = "MNIST image file '" + images_path.string() + "'";
  const std::string lw = "MNIST label file '" + labels_path.string() + "'";

  // images: magic, count, rows, cols (big-endian uint32), then count*rows*cols bytes
  LIP_REQUIRE(img.size() >= 16, iw << ": " << img.size() << " bytes, shorter than the 16-byte IDX header");
  LIP_REQUIRE(big_endian_u32(&img[0]) == kIdxImagesMagic, iw << ": magic " << hex32(big_endian_u32(&img[0]))
                                                             << ", expected " << hex32(kIdxImagesMagic)
                                                             << " (IDX uint8 rank-3 images)");
  const size_t count = big_endian_u32(&img[4]), rows = big_endian_u32(&img[8]), cols = big_endian_u32(&img[12]);
  LIP_REQUIRE(rows == kMnistSide && cols == kMnistSide,
              iw << ": images are " << rows << "x" << cols << ", expected " << kMnistSide << "x" << kMnistSide);
  const size_t want = 16 + count * rows * cols;
  LIP_REQUIRE(img.size() == want, iw << ": " << img.size() << " bytes, expected 16 + " << count << "*" << rows << "*"
                                     << cols << " = " << want << " for the " << count << " images in its header"
                                     << (img.size() < want ? " (truncated?)" : ""));
  // labels: magic, count, then count bytes
  LIP_REQUIRE(lab.size() >= 8, lw << ": " << lab.size() << " bytes, shorter than the 8-byte IDX header");
  LIP_REQUIRE(big_endian_u32(&lab[0]) == kIdxLabelsMagic, lw << ": magic " << hex32(big_endian_u32(&lab[0]))
                                                             << ", expected " << hex32(kIdxLabelsMagic)
                                                             << " (IDX uint8 rank-1 labels)");
  const size_t label_count = big_endian_u32(&lab[4]);
  LIP_REQUIRE(label_count == count, lw << ": " << label_count << " labels, but the image file holds " << count
                                       << " images");
  LIP_REQUIRE(lab.size() == 8 + count, lw << ": " << lab.size() << " bytes, expected 8 + " << count << " = "
                                          << 8 + count << (lab.size() < 8 + count ? " (truncated?)" : ""));

  ImageSplit split;
  split.count = count;
  split.images.assign(img.begin() + 16, img.end());  // row-major 28x28, C = 1: already HWC
  split.labels.assign(lab.begin() + 8, lab.end());
  require_labels_below(split.labels, 10, lw);
  return split;
}

ImageDatasetFile read_mnist(const fs::path& raw) {
  ImageDatasetFile set;
  set.source = "MNIST IDX files (LeCun, Cortes, Burges) from " + raw.string();
  set.layout = "idx";
  set.height = set.width = kMnistSide;
  set.channels = 1;
  set.class_names = "0\n1\n2\n3\n4\n5\n6\n7\n8\n9";
  set.train = read_mnist_split(raw, "train");
  set.test = read_mnist_split(raw, "t10k");
  return set;
}

// ---- CIFAR-10 (binary version; ALGORITHMS.md §9.2, data/README.md) -------------------------

constexpr size_t kCifarSide = 32, kCifarPixels = kCifarSide * kCifarSide;  // per channel
constexpr size_t kCifarRecord = 1 + 3 * kCifarPixels;                       // label + R, G, B planes
constexpr size_t kCifarBatch = 10000;

//! Appends `records` channel-major CIFAR records to `split` as HWC images.
void append_cifar_records(const std::vector<uint8_t>& bytes, size_t records, ImageSplit& split) {
  const size_t base = split.images.size();
  split.images.resize(base + records * 3 * kCifarPixels);
  split.labels.reserve(split.labels.size() + records);
  for (size_t r = 0; r < records; ++r) {
    const uint8_t* rec = bytes.data() + r * kCifarRecord;
    split.labels.push_back(rec[0]);
    uint8_t* out = split.images.data() + base + r * 3 * kCifarPixels;
    // record byte 1 + c*1024 + h*32 + w  ->  image byte (h*32 + w)*3 + c
    for (size_t c = 0; c < 3; ++c)
      for (size_t hw = 0; hw < kCifarPixels; ++hw) out[hw * 3 + c] = rec[1 + c * kCifarPixels + hw];
  }
  split.count += records;
}

//! Official layout: a full batch of 10000 records.
void read_cifar_official(const fs::path& path, ImageSplit& split) {
  const std::vector<uint8_t> bytes = read_bytes(path, "CIFAR-10 batch file");
  const std::string w = "CIFAR-10 batch file '" + path.string() + "'";
  LIP_REQUIRE(bytes.size() == kCifarBatch * kCifarRecord,
              w << ": " << bytes.size() << " bytes, expected " << kCifarBatch << " records of " << kCifarRecord
                << " bytes = " << kCifarBatch * kCifarRecord
                << (bytes.size() < kCifarBatch * kCifarRecord ? " (truncated?)" : ""));
  for (size_t r = 0; r < kCifarBatch; ++r)
    LIP_REQUIRE(bytes[r * kCifarRecord] < 10, w << ": record " << r << " has label " << int(bytes[r * kCifarRecord])
                                                << ", expected 0..9");
  append_cifar_records(bytes, kCifarBatch, split);
  split.batch_counts += (split.batch_counts.empty() ? "" : " ") + std::to_string(kCifarBatch);
}

//! Partial layout: a prefix of a batch (size/3073 records) plus the batch's full label sequence.
void read_cifar_partial(const fs::path& bin_path, const fs::path& labels_path, ImageSplit& split) {
  const std::vector<uint8_t> bytes = read_bytes(bin_path, "CIFAR-10 partial batch file");
  const std::vector<uint8_t> labels = read_bytes(labels_path, "CIFAR-10 label file");
  const std::string bw = "CIFAR-10 partial batch file '" + bin_path.string() + "'";
  const std::string lw = "CIFAR-10 label file '" + labels_path.string() + "'";
  LIP_REQUIRE(bytes.size() % kCifarRecord == 0,
              bw << ": " << bytes.size() << " bytes is not a multiple of the " << kCifarRecord << "-byte record ("
                 << bytes.size() / kCifarRecord << " records + " << bytes.size() % kCifarRecord
                 << " stray bytes; truncated?)");
  const size_t records = bytes.size() / kCifarRecord;
  LIP_REQUIRE(labels.size() == kCifarBatch, lw << ": " << labels.size() << " bytes, expected " << kCifarBatch
                                               << " (one label per image of the batch)");
  require_labels_below(labels, 10, lw);
  LIP_REQUIRE(records <= labels.size(), bw << ": " << records << " records, more than the " << labels.size()
                                           << " images of a batch");
  for (size_t r = 0; r < records; ++r)
    LIP_REQUIRE(bytes[r * kCifarRecord] == labels[r], bw << ": record " << r << " has label "
                                                         << int(bytes[r * kCifarRecord]) << ", but '"
                                                         << labels_path.filename().string() << "' byte " << r
                                                         << " is " << int(labels[r]));
  append_cifar_records(bytes, records, split);
  split.batch_counts += (split.batch_counts.empty() ? "" : " ") + std::to_string(records);
}

//! Class names from batches.meta.txt (one per line, trailing empty lines ignored), if present.
std::string read_cifar_class_names(const fs::path& raw) {
  const fs::path path = raw / "batches.meta.txt";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return {};
  const std::vector<uint8_t> bytes = read_bytes(path, "CIFAR-10 class-name file");
  std::vector<std::string> names;
  std::string line;
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  LIP_REQUIRE(names.size() == 10, "CIFAR-10 class-name file '" << path.string() << "': " << names.size()
                                                               << " names, expected 10");
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) joined += (i ? "\n" : "") + names[i];
  return joined;
}

ImageDatasetFile read_cifar10(const fs::path& raw) {
  ImageDatasetFile set;
  set.height = set.width = kCifarSide;
  set.channels = 3;
  std::error_code ec;
  const std::array<std::string, 5> train_batches = {"data_batch_1", "data_batch_2", "data_batch_3",
                                                    "data_batch_4", "data_batch_5"};
  if (fs::is_regular_file(raw / "data_batch_1.bin", ec)) {
    set.layout = "official-binary";
    for (const auto& b : train_batches) read_cifar_official(raw / (b + ".bin"), set.train);
    read_cifar_official(raw / "test_batch.bin", set.test);
  } else if (fs::is_regular_file(raw / "data_batch_1.partial.bin", ec)) {
    set.layout = "partial-binary";
    for (const auto& b : train_batches)
      read_cifar_partial(raw / (b + ".partial.bin"), raw / (b + ".labels"), set.train);
    read_cifar_partial(raw / "test_batch.partial.bin", raw / "test_batch.labels", set.test);
  } else {
    LIP_FAIL("no CIFAR-10 batches in '" << raw.string() << "': expected data_batch_{1..5}.bin + test_batch.bin "
                                        << "(official binary) or data_batch_{1..5}.partial.bin + .labels "
                                        << "(partial); run data/fetch_cifar10.sh");
  }
  set.source = "CIFAR-10 binary version (Krizhevsky 2009), " + set.layout + " layout, from " + raw.string();
  set.class_names = read_cifar_class_names(raw);
  return set;
}

// ==== char tokens (schema "lipschitz-char-tokens"; ALGORITHMS.md §9.1) ======================

CharTokenFile read_shakespeare(const fs::path& raw) {
  const fs::path text_path = raw / "input.txt";
  const std::vector<uint8_t> text = read_bytes(text_path, "Shakespeare text");
  const std::string w = "Shakespeare text '" + text_path.string() + "'";
  CharTokenFile set;
  set.source = "tiny shakespeare (karpathy/char-rnn input.txt) from " + raw.string();
  const size_t n = text.size();
  // Split: the first floor(0.9 N) characters train, the rest val (exact integer arithmetic).
  const size_t n_train = n * 9 / 10;
  LIP_REQUIRE(n_train >= 1 && n_train < n, w << ": " << n << " bytes is too short for a 90/10 split");
  // Vocabulary: the sorted unique bytes; id = rank in that order.
  std::array<bool, 256> seen{};
  for (uint8_t ch : text) seen[ch] = true;
  // The vocabulary is stored as a NUL-padded string attribute, so NUL cannot be a symbol.
  LIP_REQUIRE(!seen[0], w << ": contains NUL bytes; expected plain text");
  std::array<uint16_t, 256> id{};
  for (size_t b = 0; b < 256; ++b)
    if (seen[b]) {
      id[b] = uint16_t(set.vocabulary.size());
      set.vocabulary.push_back(char(b));
    }
  std::vector<uint16_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = id[text[i]];
  set.train.assign(ids.begin(), ids.begin() + std::ptrdiff_t(n_train));
  set.val.assign(ids.begin() + std::ptrdiff_t(n_train), ids.end());
  return set;
}

// ==== output =================================================================================

//! Writes `out` through `write(tmp)` and lip::io::write_atomically, creating its directory first
//! (the default output, <repo>/data, need not exist yet).
void write_output(const std::string& out, const std::function<void(const std::string& tmp)>& write) {
  const fs::path out_path(out);
  if (out_path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(out_path.parent_path(), ec);
    LIP_REQUIRE(!ec, "cannot create output directory '" << out_path.parent_path().string() << "': " << ec.message());
  }
  lip::io::write_atomically(out, write);
}

void write_images(const ImageDatasetFile& set, const std::string& out) {
  write_output(out, [&](const std::string& tmp) { lip::io::write_image_dataset(tmp, set); });
  std::cout << "lip_prepare: wrote " << out << " (" << set.layout << ": train " << set.train.count << ", test "
            << set.test.count << " images of " << set.height << "x" << set.width << "x" << set.channels << ")\n";
}

// ==== GPT-2 BPE tokens (schema "lipschitz-tokens"; docs/TOKENS.md) ===========================

constexpr uint32_t kGpt2VocabSize = 50257;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

//! The GPT-2 vocabulary directory: --vocab-dir, else gpt2/ in the data search dirs.
std::string gpt2_vocab_dir(const std::string& given) {
  const std::string dir = given.empty() ? lip::io::raw_data_dir("gpt2", "") : given;
  std::error_code ec;
  LIP_REQUIRE(fs::is_directory(dir, ec), "GPT-2 vocabulary directory '" << dir << "' does not exist; pass "
                                                                        << "--vocab-dir DIR (encoder.json + vocab.bpe)");
  return dir;
}

Utf8Policy parse_utf8_policy(const std::string& name) {
  if (name == "error") return Utf8Policy::strict;
  if (name == "bytes") return Utf8Policy::bytes;
  LIP_FAIL("--invalid-utf8 '" << name << "': expected 'error' or 'bytes'");
}

Gpt2Tokenizer load_gpt2(const std::string& vocab_dir) {
  Gpt2Tokenizer tok(vocab_dir);
  LIP_REQUIRE(tok.vocab_size() == kGpt2VocabSize && tok.eot_id() == kGpt2VocabSize - 1,
              "GPT-2 vocabulary in '" << vocab_dir << "': " << tok.vocab_size() << " tokens with <|endoftext|> = "
                                      << tok.eot_id() << ", expected " << kGpt2VocabSize << " with <|endoftext|> = "
                                      << kGpt2VocabSize - 1 << " (the original OpenAI files)");
  return tok;
}

struct TokenizeJob {
  std::string text, vocab_dir, out, invalid_utf8 = "error";
  double val_fraction = 0.1;
};

void run_tokenize(TokenizeJob job) {
  LIP_REQUIRE(job.val_fraction > 0.0 && job.val_fraction < 1.0,
              "--val-fraction " << job.val_fraction << ": expected a value in (0, 1)");
  const Utf8Policy policy = parse_utf8_policy(job.invalid_utf8);
  std::string name = fs::path(job.text).stem().string();
  if (job.text.empty()) {  // tiny Shakespeare, found like `lip_prepare shakespeare` finds it
    job.text = (fs::path(lip::io::raw_data_dir("shakespeare", "")) / "input.txt").string();
    name = "shakespeare";
  }
  if (job.out.empty()) job.out = (fs::path(lip::io::repo_data_dir()) / (name + "_gpt2.h5")).string();
  job.vocab_dir = gpt2_vocab_dir(job.vocab_dir);

  const auto t_load = std::chrono::steady_clock::now();
  Gpt2Tokenizer tok = load_gpt2(job.vocab_dir);
  const double load_s = seconds_since(t_load);
  const std::vector<uint8_t> bytes = read_bytes(job.text, "text file");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto t_encode = std::chrono::steady_clock::now();
  std::vector<uint32_t> ids;
  try {
    ids = tok.encode(text, policy);
  } catch (const lip::Error& e) {
    throw lip::Error("text file '" + job.text + "': " + e.what(),
                     "pass --invalid-utf8 bytes to tokenize invalid bytes as single-byte tokens");
  }
  const double encode_s = seconds_since(t_encode);

  // Split: the first floor(N (1 - f)) tokens train, the rest val.
  const size_t n = ids.size();
  const auto n_train = size_t(std::floor(double(n) * (1.0 - job.val_fraction)));
  LIP_REQUIRE(n_train >= 1 && n_train < n, "text file '" << job.text << "': " << n << " tokens is too few for "
                                                          << "--val-fraction " << job.val_fraction);
  lip::io::TokenFile file;
  file.tokenizer = "gpt2";
  file.vocab_size = kGpt2VocabSize;
  file.source = "'" + job.text + "' tokenized with GPT-2 BPE (" + job.vocab_dir + "), val fraction " +
                std::to_string(job.val_fraction);
  file.train.assign(ids.begin(), ids.begin() + std::ptrdiff_t(n_train));
  file.val.assign(ids.begin() + std::ptrdiff_t(n_train), ids.end());
  write_output(job.out, [&](const std::string& tmp) { lip::io::write_token_file(tmp, file); });
  std::cout << "lip_prepare: wrote " << job.out << " (train " << file.train.size() << ", val " << file.val.size()
            << " GPT-2 tokens from " << bytes.size() << " bytes)\n";
  std::cout << "lip_prepare: tokenizer load " << load_s << " s; encode " << encode_s << " s = "
            << double(bytes.size()) / 1e6 / std::max(encode_s, 1e-9) << " MB/s ("
            << double(bytes.size()) / double(std::max<size_t>(n, 1)) << " bytes/token)\n";
}

struct ShardsJob {
  std::vector<std::string> train, val;
  std::string out;
};

void run_shards(const ShardsJob& job) {
  const std::vector<std::string> train = lip::io::expand_shard_patterns(job.train, "train shards (--train)");
  const std::vector<std::string> val = lip::io::expand_shard_patterns(job.val, "val shards (--val)");
  std::error_code ec;
  for (const std::string& v : val)
    for (const std::string& t : train)
      LIP_REQUIRE(fs::weakly_canonical(v, ec) != fs::weakly_canonical(t, ec),
                  "shard '" << v << "' is listed in both --train and --val");
  lip::io::TokenFile file;
  file.tokenizer = "gpt2";
  file.vocab_size = kGpt2VocabSize;
  file.train = lip::io::read_shards(train, kGpt2VocabSize);
  file.val = lip::io::read_shards(val, kGpt2VocabSize);
  auto names = [](const std::vector<std::string>& paths) {
    std::string s;
    for (const std::string& p : paths) s += (s.empty() ? "" : " ") + fs::path(p).filename().string();
    return s;
  };
  file.source = "modded-nanogpt .bin shards (GPT-2 tokens); train: " + names(train) + "; val: " + names(val);
  write_output(job.out, [&](const std::string& tmp) { lip::io::write_token_file(tmp, file); });
  std::cout << "lip_prepare: wrote " << job.out << " (train " << file.train.size() << " tokens from " << train.size()
            << " shards, val " << file.val.size() << " tokens from " << val.size() << " shards)\n";
}

struct EncodeJob {
  std::vector<std::string> strings, strings_json, texts;
  std::string vocab_dir, invalid_utf8 = "error";
  bool pieces = false;
};

//! One JSON line per input: its ids (or, with --pieces, its pre-tokenizer pieces).
void run_encode(EncodeJob job) {
  const Utf8Policy policy = parse_utf8_policy(job.invalid_utf8);
  Gpt2Tokenizer tok = load_gpt2(gpt2_vocab_dir(job.vocab_dir));
  std::vector<std::string> inputs = job.strings;
  for (const std::string& path : job.strings_json) {
    const std::vector<uint8_t> bytes = read_bytes(path, "strings file");
    nlohmann::json list;
    try {
      list = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
      LIP_FAIL("strings file '" << path << "': not valid JSON (" << e.what() << ")");
    }
    LIP_REQUIRE(list.is_array(), "strings file '" << path << "': expected a JSON array of strings");
    for (size_t i = 0; i < list.size(); ++i) {
      LIP_REQUIRE(list[i].is_string(), "strings file '" << path << "': element " << i << " is not a string");
      inputs.push_back(list[i].get<std::string>());
    }
  }
  for (const std::string& path : job.texts) {
    const std::vector<uint8_t> bytes = read_bytes(path, "text file");
    inputs.emplace_back(bytes.begin(), bytes.end());
  }
  LIP_REQUIRE(!inputs.empty(), "encode: nothing to encode; give --string, --strings-json or --text");
  for (const std::string& s : inputs) {
    const nlohmann::json line = job.pieces ? nlohmann::json(tok.pre_tokenize(s)) : nlohmann::json(tok.encode(s, policy));
    std::cout << line.dump(-1, ' ', true) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lip_prepare: convert raw public datasets into the HDF5 files the trainer reads "
               "(schemas: docs/FORMATS.md; raw files: data/README.md)"};
  app.require_subcommand(1);
  struct Job {
    std::string name, raw, out;
  };
  std::vector<Job> jobs = {{"mnist", "", ""}, {"cifar10", "", ""}, {"shakespeare", "", ""}};
  const char* help[] = {"MNIST IDX files -> image classification (28x28x1)",
                        "CIFAR-10 binary batches (official or partial layout) -> image classification (32x32x3)",
                        "tiny shakespeare input.txt -> char tokens (90/10 train/val)"};
  std::vector<CLI::App*> subs;
  for (size_t i = 0; i < jobs.size(); ++i) {
    CLI::App* sub = app.add_subcommand(jobs[i].name, help[i]);
    sub->add_option("--raw", jobs[i].raw,
                    "directory of the raw files (default: raw/" + jobs[i].name + " or " + jobs[i].name +
                        " under $LIP_DATA_DIR, <repo>/data, <repo>/../shared/data, .)");
    sub->add_option("--out", jobs[i].out, "output HDF5 file (default: <repo>/data/" + jobs[i].name + ".h5)");
    subs.push_back(sub);
  }

  TokenizeJob tokenize;
  CLI::App* tokenize_cmd = app.add_subcommand("tokenize", "UTF-8 text -> GPT-2 BPE tokens (docs/TOKENS.md)");
  tokenize_cmd->add_option("--text", tokenize.text,
                           "UTF-8 text file (default: tiny shakespeare input.txt, found like `shakespeare`)");
  tokenize_cmd->add_option("--vocab-dir", tokenize.vocab_dir,
                           "directory with encoder.json and vocab.bpe (default: gpt2/ under the data search dirs)");
  tokenize_cmd->add_option("--out", tokenize.out,
                           "output HDF5 file (default: <repo>/data/<text stem>_gpt2.h5; shakespeare_gpt2.h5)");
  tokenize_cmd->add_option("--val-fraction", tokenize.val_fraction,
                           "fraction of the tokens, taken from the end, that go to val (default 0.1)");
  tokenize_cmd->add_option("--invalid-utf8", tokenize.invalid_utf8,
                           "error (default) or bytes: each invalid byte becomes its single-byte token");

  ShardsJob shards;
  CLI::App* shards_cmd =
      app.add_subcommand("shards", "modded-nanogpt .bin shards (GPT-2 uint16 tokens) -> token file (docs/TOKENS.md)");
  shards_cmd->add_option("--train", shards.train, "train shard files or glob patterns, concatenated in order")
      ->required();
  shards_cmd->add_option("--val", shards.val, "val shard files or glob patterns")->required();
  shards_cmd->add_option("--out", shards.out, "output HDF5 file")->required();

  EncodeJob encode;
  CLI::App* encode_cmd = app.add_subcommand("encode", "print GPT-2 token ids as one JSON array per input");
  encode_cmd->add_option("--string", encode.strings, "a string to encode (repeatable)");
  encode_cmd->add_option("--strings-json", encode.strings_json, "file holding a JSON array of strings");
  encode_cmd->add_option("--text", encode.texts, "a file encoded as a whole");
  encode_cmd->add_option("--vocab-dir", encode.vocab_dir, "directory with encoder.json and vocab.bpe");
  encode_cmd->add_option("--invalid-utf8", encode.invalid_utf8, "error (default) or bytes");
  encode_cmd->add_flag("--pieces", encode.pieces, "print the pre-tokenizer pieces instead of ids");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "lip_prepare: " << e.what() << " (see lip_prepare --help)\n";
    return 2;
  }

  try {
    if (tokenize_cmd->parsed()) run_tokenize(tokenize);
    if (shards_cmd->parsed()) run_shards(shards);
    if (encode_cmd->parsed()) run_encode(encode);
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!subs[i]->parsed()) continue;
      Job& job = jobs[i];
      if (job.raw.empty()) job.raw = lip::io::raw_data_dir(job.name, "");
      std::error_code ec;
      LIP_REQUIRE(fs::is_directory(job.raw, ec), "raw " << job.name << " directory '" << job.raw
                                                        << "' does not exist; run data/fetch_" << job.name
                                                        << ".sh or pass --raw DIR");
      if (job.out.empty()) job.out = (fs::path(lip::io::repo_data_dir()) / (job.name + ".h5")).string();
      if (job.name == "mnist") {
        write_images(read_mnist(job.raw), job.out);
      } else if (job.name == "cifar10") {
        write_images(read_cifar10(job.raw), job.out);
      } else {
        const CharTokenFile set = read_shakespeare(job.raw);
        write_output(job.out, [&](const std::string& tmp) { lip::io::write_char_tokens(tmp, set); });
        std::cout << "lip_prepare: wrote " << job.out << " (train " << set.train.size() << ", val "
                  << set.val.size() << " tokens, vocabulary " << set.vocabulary.size() << ")\n";
      }
    }
  } catch (const lip::Error& e) {
    std::cerr << "lip_prepare: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "HINT: " << e.hint() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "lip_prepare: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
