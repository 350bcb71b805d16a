// lip_prepare: convert the public raw datasets into the HDF5 files the trainer reads.
//
//   lip_prepare mnist       [--raw DIR] [--out FILE]   IDX files          -> image classification
//   lip_prepare cifar10     [--raw DIR] [--out FILE]   binary batches     -> image classification
//   lip_prepare shakespeare [--raw DIR] [--out FILE]   input.txt          -> char tokens
//
// Schemas: docs/FORMATS.md. Raw layouts and the data search order: data/README.md. The raw input
// is read and validated completely before anything is written; the output is written to
// `<out>.tmp` and renamed, so an error never leaves a partial file behind.
#include <CLI/CLI.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/data_paths.hpp"
#include "io/hdf5_file.hpp"

namespace fs = std::filesystem;
using lip::io::Hdf5File;

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

struct ImageSplit {
  size_t count = 0;
  std::vector<uint8_t> images;  // (count, H, W, C) HWC row-major
  std::vector<uint8_t> labels;  // (count)
  std::string batch_counts;     // CIFAR: images taken from each source batch, e.g. "4000 1017 ..."
};

struct ImageSet {
  std::string source, layout, class_names;
  size_t height = 0, width = 0, channels = 0, num_classes = 10;
  ImageSplit train, test;
};

void write_image_set(const ImageSet& set, const std::string& path) {
  Hdf5File file = Hdf5File::create(path);
  file.write_attr("/", "format", "lipschitz-image-classification");
  file.write_attr("/", "version", 1);
  file.write_attr("/", "source", set.source);
  file.write_attr("/", "layout", set.layout);
  file.write_attr("/", "num_classes", int64_t(set.num_classes));
  if (!set.class_names.empty()) file.write_attr("/", "class_names", set.class_names);
  for (const auto& [name, split] : {std::pair<std::string, const ImageSplit*>{"train", &set.train},
                                    std::pair<std::string, const ImageSplit*>{"test", &set.test}}) {
    file.write<uint8_t>(name + "/images", {split->count, set.height, set.width, set.channels}, split->images);
    file.write<uint8_t>(name + "/labels", {split->count}, split->labels);
    file.write_attr(name, "count", int64_t(split->count));
    if (!split->batch_counts.empty()) file.write_attr(name, "batch_counts", split->batch_counts);
  }
  file.close();
}

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

ImageSet read_mnist(const fs::path& raw) {
  ImageSet set;
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

ImageSet read_cifar10(const fs::path& raw) {
  ImageSet set;
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

struct CharSet {
  std::string source, vocabulary;
  std::vector<uint16_t> ids;  // (N) token ids of the whole text
  size_t n_train = 0;         // ids[0, n_train) train, the rest val
};

CharSet read_shakespeare(const fs::path& raw) {
  const fs::path text_path = raw / "input.txt";
  const std::vector<uint8_t> text = read_bytes(text_path, "Shakespeare text");
  const std::string w = "Shakespeare text '" + text_path.string() + "'";
  CharSet set;
  set.source = "tiny shakespeare (karpathy/char-rnn input.txt) from " + raw.string();
  const size_t n = text.size();
  // Split: the first floor(0.9 N) characters train, the rest val (exact integer arithmetic).
  set.n_train = n * 9 / 10;
  LIP_REQUIRE(set.n_train >= 1 && set.n_train < n, w << ": " << n << " bytes is too short for a 90/10 split");
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
  set.ids.resize(n);
  for (size_t i = 0; i < n; ++i) set.ids[i] = id[text[i]];
  return set;
}

void write_char_set(const CharSet& set, const std::string& path) {
  const size_t n = set.ids.size();
  Hdf5File file = Hdf5File::create(path);
  file.write_attr("/", "format", "lipschitz-char-tokens");
  file.write_attr("/", "version", 1);
  file.write_attr("/", "source", set.source);
  file.write_attr("/", "vocabulary", set.vocabulary);
  file.write_attr("/", "vocab_size", int64_t(set.vocabulary.size()));
  file.write<uint16_t>("train/tokens", {set.n_train}, set.ids.data());
  file.write<uint16_t>("val/tokens", {n - set.n_train}, set.ids.data() + set.n_train);
  file.write_attr("train", "count", int64_t(set.n_train));
  file.write_attr("val", "count", int64_t(n - set.n_train));
  file.close();
}

// ==== output =================================================================================

//! Runs `write(tmp)` on `<out>.tmp`, then renames it to `out`; the tmp file is removed on error.
void write_atomically(const std::string& out, const std::function<void(const std::string&)>& write) {
  const fs::path out_path(out);
  std::error_code ec;
  if (out_path.has_parent_path()) {
    fs::create_directories(out_path.parent_path(), ec);
    LIP_REQUIRE(!ec, "cannot create output directory '" << out_path.parent_path().string() << "': " << ec.message());
  }
  const std::string tmp = out + ".tmp";
  try {
    write(tmp);
    fs::rename(tmp, out_path, ec);
    LIP_REQUIRE(!ec, "cannot rename '" << tmp << "' to '" << out << "': " << ec.message());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

void write_images(const ImageSet& set, const std::string& out) {
  write_atomically(out, [&](const std::string& tmp) { write_image_set(set, tmp); });
  std::cout << "lip_prepare: wrote " << out << " (" << set.layout << ": train " << set.train.count << ", test "
            << set.test.count << " images of " << set.height << "x" << set.width << "x" << set.channels << ")\n";
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "lip_prepare: " << e.what() << " (see lip_prepare --help)\n";
    return 2;
  }

  try {
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
        const CharSet set = read_shakespeare(job.raw);
        write_atomically(job.out, [&](const std::string& tmp) { write_char_set(set, tmp); });
        std::cout << "lip_prepare: wrote " << job.out << " (train " << set.n_train << ", val "
                  << set.ids.size() - set.n_train << " tokens, vocabulary " << set.vocabulary.size() << ")\n";
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
