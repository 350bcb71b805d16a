#include "io/image_dataset.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"
#include "kernels/rng.hpp"

namespace lip::io {

namespace {

constexpr const char* kImageFormat = "lipschitz-image-classification";
constexpr const char* kCharFormat = "lipschitz-char-tokens";
constexpr int64_t kVersion = 1;
constexpr size_t kAny = Hdf5File::any;

//! Checks the root `format` and `version` attributes against what this reader understands.
void require_format(const Hdf5File& file, const char* format) {
  LIP_REQUIRE(file.has_attr("/", "format"), "HDF5 file '" << file.path() << "': root attribute 'format' missing "
                                                           << "(expected \"" << format
                                                           << "\"; was it written by lip_prepare?)");
  const std::string found = file.read_attr_string("/", "format");
  LIP_REQUIRE(found == format, "HDF5 file '" << file.path() << "': root attribute 'format' is \"" << found
                                             << "\", expected \"" << format << "\"");
  const int64_t version = file.read_attr_int("/", "version");
  LIP_REQUIRE(version == kVersion, "HDF5 file '" << file.path() << "': root attribute 'version' is " << version
                                                 << ", this reader supports version " << kVersion);
}

//! A new file (truncating `path`) with the root attributes require_format checks, and `source`.
Hdf5File create_with_format(const std::string& path, const char* format, const std::string& source) {
  Hdf5File file = Hdf5File::create(path);
  file.write_attr("/", "format", format);
  file.write_attr("/", "version", kVersion);
  file.write_attr("/", "source", source);
  return file;
}

}  // namespace

// ==== writing ================================================================================

void write_image_dataset(const std::string& path, const ImageDatasetFile& file) {
  Hdf5File h5 = create_with_format(path, kImageFormat, file.source);
  h5.write_attr("/", "layout", file.layout);
  h5.write_attr("/", "num_classes", int64_t(file.num_classes));
  if (!file.class_names.empty()) h5.write_attr("/", "class_names", file.class_names);
  for (const auto& [name, split] : {std::pair<std::string, const ImageDatasetFile::Split*>{"train", &file.train},
                                    std::pair<std::string, const ImageDatasetFile::Split*>{"test", &file.test}}) {
    h5.write<uint8_t>(name + "/images", {split->count, file.height, file.width, file.channels}, split->images);
    h5.write<uint8_t>(name + "/labels", {split->count}, split->labels);
    h5.write_attr(name, "count", int64_t(split->count));
    if (!split->batch_counts.empty()) h5.write_attr(name, "batch_counts", split->batch_counts);
  }
  h5.close();
}

void write_char_tokens(const std::string& path, const CharTokenFile& file) {
  Hdf5File h5 = create_with_format(path, kCharFormat, file.source);
  h5.write_attr("/", "vocabulary", file.vocabulary);
  h5.write_attr("/", "vocab_size", int64_t(file.vocabulary.size()));
  h5.write<uint16_t>("train/tokens", {file.train.size()}, file.train);
  h5.write<uint16_t>("val/tokens", {file.val.size()}, file.val);
  h5.write_attr("train", "count", int64_t(file.train.size()));
  h5.write_attr("val", "count", int64_t(file.val.size()));
  h5.close();
}

// ==== loading ================================================================================

ImageDataset load_image_dataset(const std::string& path, const std::string& split) {
  LIP_REQUIRE(split == "train" || split == "test",
              "image dataset split must be \"train\" or \"test\", got \"" << split << "\"");
  const Hdf5File file = Hdf5File::open_read(path);
  require_format(file, kImageFormat);
  const int64_t num_classes = file.read_attr_int("/", "num_classes");
  LIP_REQUIRE(num_classes >= 1 && num_classes <= 256, "HDF5 file '" << path << "': root attribute 'num_classes' is "
                                                                    << num_classes << ", expected 1..256");
  LIP_REQUIRE(file.has(split), "HDF5 file '" << path << "': group '/" << split << "' not found");
  const std::string images_name = split + "/images", labels_name = split + "/labels";

  ImageDataset d;
  d.path = path;
  d.split = split;
  d.num_classes = size_t(num_classes);
  // (N, H, W, C) uint8; the extents come from the file, the rank and dtype are checked.
  d.pixels = file.read<uint8_t>(images_name, {kAny, kAny, kAny, kAny});
  const std::vector<size_t> shape = file.dims(images_name);
  d.count = shape[0];
  d.height = shape[1];
  d.width = shape[2];
  d.channels = shape[3];
  LIP_REQUIRE(d.features() > 0, "HDF5 file '" << path << "', '/" << images_name << "': image shape "
                                              << shape_string(shape) << " has an empty (H, W, C)");
  const std::vector<size_t> label_shape = file.dims(labels_name);
  LIP_REQUIRE(label_shape.size() == 1 && label_shape[0] == d.count,
              "HDF5 file '" << path << "', '/" << labels_name << "': expected " << d.count << " labels (one per "
                            << "image of " << shape_string(shape) << "), found shape " << shape_string(label_shape));
  d.labels = file.read<uint8_t>(labels_name, {d.count});
  for (size_t i = 0; i < d.count; ++i)
    LIP_REQUIRE(d.labels[i] < d.num_classes, "HDF5 file '" << path << "', '/" << labels_name << "': label "
                                                           << int(d.labels[i]) << " at index " << i
                                                           << " is out of range, expected < num_classes = "
                                                           << d.num_classes);
  return d;
}

CharTokenDataset load_char_tokens(const std::string& path, const std::string& split) {
  LIP_REQUIRE(split == "train" || split == "val",
              "char-token dataset split must be \"train\" or \"val\", got \"" << split << "\"");
  const Hdf5File file = Hdf5File::open_read(path);
  require_format(file, kCharFormat);
  CharTokenDataset d;
  d.path = path;
  d.split = split;
  d.vocabulary = file.read_attr_string("/", "vocabulary");
  const int64_t vocab_size = file.read_attr_int("/", "vocab_size");
  LIP_REQUIRE(vocab_size >= 1 && vocab_size <= 65536, "HDF5 file '" << path << "': root attribute 'vocab_size' is "
                                                                    << vocab_size << ", expected 1..65536");
  d.vocab_size = size_t(vocab_size);
  // The vocabulary string is NUL-padded on disk, so a vocabulary whose last byte is 0 cannot
  // exist; a shorter string than vocab_size therefore means a damaged or foreign file.
  LIP_REQUIRE(d.vocabulary.size() == d.vocab_size, "HDF5 file '" << path << "': root attribute 'vocabulary' has "
                                                                 << d.vocabulary.size()
                                                                 << " bytes, expected vocab_size = " << d.vocab_size);
  LIP_REQUIRE(file.has(split), "HDF5 file '" << path << "': group '/" << split << "' not found");
  const std::string name = split + "/tokens";
  d.tokens = file.read<uint16_t>(name, {kAny});
  for (size_t i = 0; i < d.tokens.size(); ++i)
    LIP_REQUIRE(d.tokens[i] < d.vocab_size, "HDF5 file '" << path << "', '/" << name << "': token " << d.tokens[i]
                                                          << " at index " << i
                                                          << " is out of range, expected < vocab_size = "
                                                          << d.vocab_size);
  return d;
}

// ==== batching ===============================================================================

ImageBatcher::ImageBatcher(const ImageDataset& data, size_t batch_size, uint64_t seed, bool shuffle)
    : data_(&data),
      batch_size_(batch_size),
      batches_per_epoch_(batch_size == 0 ? 0 : data.count / batch_size),
      seed_(seed),
      shuffle_(shuffle) {
  LIP_REQUIRE(batch_size > 0, "ImageBatcher: batch size must be positive, got 0");
  LIP_REQUIRE(batches_per_epoch_ > 0, "ImageBatcher: '" << data.path << "' split '" << data.split << "' has "
                                                        << data.count << " images, fewer than one batch of "
                                                        << batch_size);
  LIP_REQUIRE(data.count <= size_t(UINT32_MAX), "ImageBatcher: " << data.count << " images exceed 2^32-1");
  natural_.resize(data.count);
  std::iota(natural_.begin(), natural_.end(), 0u);
  x_host_ = kernels::Tensor2::HostMirror("ImageBatcher::x_host", batch_size, data.features());
  y_host_ = kernels::IndexTensor1::HostMirror("ImageBatcher::y_host", batch_size);
  make_order(0);
}

void ImageBatcher::make_order(uint64_t epoch) {
  order_ = natural_;
  if (!shuffle_) return;
  // Fisher–Yates from the back: swap slot i with a uniform slot j in [0, i]; draw i of stream
  // `epoch` decides step i, so the permutation is a pure function of (seed, epoch).
  for (size_t i = order_.size(); i-- > 1;) {
    const double u = kernels::uniform_draw(seed_, epoch, i);
    const size_t j = std::min(i, size_t(u * double(i + 1)));
    std::swap(order_[i], order_[j]);
  }
}

void ImageBatcher::set_cursor(uint64_t epoch, size_t position) {
  LIP_REQUIRE(position <= batches_per_epoch_, "ImageBatcher: cursor position " << position << " is past the "
                                                                                << batches_per_epoch_
                                                                                << " batches of an epoch");
  if (epoch != epoch_ || order_.empty()) make_order(epoch);
  epoch_ = epoch;
  position_ = position;
}

void ImageBatcher::next_batch(const kernels::Tensor2& x, const kernels::IndexTensor1& y) {
  if (position_ == batches_per_epoch_) {
    ++epoch_;
    position_ = 0;
    make_order(epoch_);
  }
  fill(order_.data() + position_ * batch_size_, x, y);
  ++position_;
}

void ImageBatcher::batch_at(size_t k, const kernels::Tensor2& x, const kernels::IndexTensor1& y) {
  LIP_REQUIRE(k < batches_per_epoch_, "ImageBatcher: batch " << k << " requested, '" << data_->path << "' split '"
                                                             << data_->split << "' has " << batches_per_epoch_
                                                             << " full batches of " << batch_size_);
  fill(natural_.data() + k * batch_size_, x, y);
}

void ImageBatcher::fill(const uint32_t* indices, const kernels::Tensor2& x, const kernels::IndexTensor1& y) {
  const size_t B = batch_size_, F = data_->features();
  LIP_REQUIRE(x.extent(0) == B && x.extent(1) == F, "ImageBatcher: x must be (B, features) = (" << B << ", " << F
                                                                                              << "), got ("
                                                                                              << x.extent(0) << ", "
                                                                                              << x.extent(1) << ")");
  LIP_REQUIRE(y.extent(0) == B, "ImageBatcher: y must be (B) = (" << B << "), got (" << y.extent(0) << ")");
  // pixel / 255 exactly as the reference computes it (a division, not a multiply by 1/255,
  // which differs in the last bit for some values), tabulated once per call.
  kernels::Real scaled[256];
  for (int v = 0; v < 256; ++v) scaled[v] = kernels::Real(v) / kernels::Real(255);
  // Stored pixels are already HWC row-major, so feature f of image i is pixels[i*F + f].
  for (size_t b = 0; b < B; ++b) {
    const size_t image = indices[b];
    const uint8_t* src = data_->pixels.data() + image * F;
    for (size_t f = 0; f < F; ++f) x_host_(b, f) = scaled[src[f]];
    y_host_(b) = int(data_->labels[image]);
  }
  Kokkos::deep_copy(x, x_host_);
  Kokkos::deep_copy(y, y_host_);
}

}  // namespace lip::io
