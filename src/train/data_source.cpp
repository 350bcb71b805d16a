#include "train/data_source.hpp"

#include <sstream>

#include "core/error.hpp"
#include "io/data_paths.hpp"
#include "io/hdf5_file.hpp"
#include "io/token_shards.hpp"
#include "kernels/rng.hpp"

namespace lip {

void DataSource::set_cursor(uint64_t epoch, size_t position) {
  LIP_REQUIRE(epoch == 0 && position == 0, "data source " << describe() << " keeps no data cursor; cannot resume at epoch "
                                                          << epoch << ", batch " << position);
}

ImageDataSource::ImageDataSource(const std::string& path, size_t batch_size, size_t eval_batch_size, uint64_t seed,
                                 bool shuffle)
    : train_(io::load_image_dataset(path, "train")), test_(io::load_image_dataset(path, "test")) {
  LIP_REQUIRE(train_.features() == test_.features(),
              path << ": train images have " << train_.features() << " features, test images " << test_.features());
  LIP_REQUIRE(batch_size <= train_.count, "data.batch_size " << batch_size << " exceeds the " << train_.count
                                                             << " training images of " << path);
  LIP_REQUIRE(eval_batch_size <= test_.count, "data.eval_batch_size " << eval_batch_size << " exceeds the "
                                                                      << test_.count << " test images of " << path);
  train_batcher_ = std::make_unique<io::ImageBatcher>(train_, batch_size, seed, shuffle);
  test_batcher_ = std::make_unique<io::ImageBatcher>(test_, eval_batch_size, seed, false);
}

Batch ImageDataSource::make_batch(size_t rows) const {
  Batch b;
  b.inputs = kernels::Tensor2("Batch::inputs", rows, train_.features());
  b.targets = kernels::IndexTensor1("Batch::targets", rows);
  b.size = rows;
  return b;
}

void ImageDataSource::next_train_batch(Batch& batch) { train_batcher_->next_batch(batch.inputs, batch.targets); }

void ImageDataSource::eval_batch(size_t k, Batch& batch) {
  test_batcher_->batch_at(k % test_batcher_->batches_per_epoch(), batch.inputs, batch.targets);
}

std::string ImageDataSource::describe() const {
  std::ostringstream os;
  os << train_.path << ": " << train_.count << " train / " << test_.count << " test images of " << train_.height << "x"
     << train_.width << "x" << train_.channels << ", " << train_.num_classes << " classes";
  return os.str();
}

namespace {
// Character tokens (lip_prepare shakespeare) or GPT-2 BPE tokens (lip_prepare tokenize / shards).
io::CharTokenDataset load_token_split(const std::string& path, const std::string& split) {
  std::string format;
  {
    const io::Hdf5File f = io::Hdf5File::open_read(path);
    format = f.has_attr("/", "format") ? f.read_attr_string("/", "format") : "";
  }
  if (format != io::kTokenFormat) return io::load_char_tokens(path, split);
  const io::Hdf5File f = io::Hdf5File::open_read(path);
  const int64_t version = f.read_attr_int("/", "version");
  LIP_REQUIRE(version == io::kTokenFormatVersion, "HDF5 file '" << path << "': root attribute 'version' is "
                                                                << version << ", this reader supports version "
                                                                << io::kTokenFormatVersion);
  io::CharTokenDataset d;
  d.path = path;
  d.split = split;
  d.vocab_size = size_t(f.read_attr_int("/", "vocab_size"));
  const std::string name = "/" + split + "/tokens";
  LIP_REQUIRE(f.has(name), "HDF5 file '" << path << "' has no dataset " << name);
  d.tokens = f.read<uint16_t>(name, {io::Hdf5File::any});
  for (uint16_t t : d.tokens)
    LIP_REQUIRE(t < d.vocab_size, "HDF5 file '" << path << "', " << name << ": token " << t << " >= vocab_size "
                                                << d.vocab_size);
  return d;
}
}  // namespace

TokenDataSource::TokenDataSource(const std::string& path, size_t batch_size, size_t eval_batch_size, size_t seq_len,
                                 uint64_t seed, bool shuffle)
    : train_(load_token_split(path, "train")),
      val_(load_token_split(path, "val")),
      batch_size_(batch_size),
      eval_batch_size_(eval_batch_size),
      seq_len_(seq_len),
      seed_(seed),
      shuffle_(shuffle) {
  LIP_REQUIRE(train_.tokens.size() > seq_len + 1, path << ": the train split has " << train_.tokens.size()
                                                       << " tokens, fewer than model.seq_len + 2 = " << seq_len + 2);
  const size_t windows = train_.tokens.size() - seq_len - 1;
  LIP_REQUIRE(batch_size <= windows, "data.batch_size " << batch_size << " exceeds the " << windows
                                                        << " training windows of " << path);
  LIP_REQUIRE(available_eval_batches() >= 1, path << ": the val split (" << val_.tokens.size()
                                                  << " tokens) holds no full evaluation batch of " << eval_batch_size
                                                  << " windows of " << seq_len);
  make_order();
}

size_t TokenDataSource::available_eval_batches() const {
  return (val_.tokens.size() - 1) / seq_len_ / eval_batch_size_;
}

void TokenDataSource::make_order() {
  const size_t windows = train_.tokens.size() - seq_len_ - 1;
  order_.resize(windows);
  for (size_t i = 0; i < windows; ++i) order_[i] = uint32_t(i);
  if (!shuffle_) return;
  // Fisher–Yates driven by Philox draws keyed by (seed, epoch, i): independent of threads and ranks.
  for (size_t i = windows - 1; i > 0; --i) {
    const size_t j = size_t(kernels::uniform_draw(seed_, epoch_, i) * double(i + 1));
    std::swap(order_[i], order_[std::min(j, i)]);
  }
}

void TokenDataSource::set_cursor(uint64_t epoch, size_t position) {
  // position == batches per epoch is valid: the epoch is used up and the next batch starts the next one.
  LIP_REQUIRE(position <= order_.size() / batch_size_, "data cursor position " << position << " is past the "
                                                                              << order_.size() / batch_size_
                                                                              << " batches of an epoch");
  if (epoch != epoch_) {
    epoch_ = epoch;
    make_order();
  }
  position_ = position;
}

Batch TokenDataSource::make_batch(size_t rows) const {
  Batch b;
  b.tokens = kernels::IndexTensor2("Batch::tokens", rows, seq_len_);
  b.targets = kernels::IndexTensor1("Batch::targets", rows * seq_len_);
  b.size = rows;
  return b;
}

void TokenDataSource::fill(const std::vector<uint16_t>& ids, const std::vector<size_t>& starts, Batch& batch) {
  auto& staging = staging_[batch.tokens.data()];
  if (!staging.tokens.data()) {
    staging.tokens = Kokkos::create_mirror_view(batch.tokens);
    staging.targets = Kokkos::create_mirror_view(batch.targets);
  }
  const auto& x = staging.tokens;
  const auto& y = staging.targets;
  for (size_t i = 0; i < starts.size(); ++i)
    for (size_t t = 0; t < seq_len_; ++t) {
      x(i, t) = int(ids[starts[i] + t]);
      y(i * seq_len_ + t) = int(ids[starts[i] + t + 1]);
    }
  Kokkos::deep_copy(batch.tokens, x);
  Kokkos::deep_copy(batch.targets, y);
}

void TokenDataSource::next_train_batch(Batch& batch) {
  if (position_ >= order_.size() / batch_size_) {
    ++epoch_;
    position_ = 0;
    make_order();
  }
  starts_.resize(batch_size_);
  for (size_t i = 0; i < batch_size_; ++i) starts_[i] = order_[position_ * batch_size_ + i];
  ++position_;
  fill(train_.tokens, starts_, batch);
}

void TokenDataSource::eval_batch(size_t k, Batch& batch) {
  const size_t kk = k % available_eval_batches();
  starts_.resize(eval_batch_size_);
  for (size_t i = 0; i < eval_batch_size_; ++i) starts_[i] = (kk * eval_batch_size_ + i) * seq_len_;
  fill(val_.tokens, starts_, batch);
}

std::string TokenDataSource::describe() const {
  std::ostringstream os;
  os << train_.path << ": " << train_.tokens.size() << " train / " << val_.tokens.size() << " val tokens, vocabulary "
     << train_.vocab_size << ", " << order_.size() << " training windows of " << seq_len_ << " (" << order_.size() / batch_size_
     << " batches per epoch), " << available_eval_batches() << " fixed evaluation batches";
  return os.str();
}

std::unique_ptr<DataSource> make_data_source(const RunConfig& c) {
  const std::string path = io::resolve_data_file(c.data_file, c.data_dir);
  if (c.dataset == "shakespeare" || c.dataset == "tokens")
    return std::make_unique<TokenDataSource>(path, c.batch_size, c.eval_batch_size, c.seq_len, c.data_seed, c.shuffle);
  if (c.dataset == "mnist" || c.dataset == "cifar10")
    return std::make_unique<ImageDataSource>(path, c.batch_size, c.eval_batch_size, c.data_seed, c.shuffle);
  LIP_FAIL("data.dataset '" << c.dataset << "' has no data source");
}

}  // namespace lip
