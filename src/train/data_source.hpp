#pragma once
/* Where batches come from. A DataSource fills GLOBAL batches (identical on every rank: the order
 * comes from the counter-based RNG); the trainer hands each rank its contiguous slice of rows.
 */
#include <map>
#include <memory>

#include "io/image_dataset.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"

namespace lip {

class DataSource {
 public:
  virtual ~DataSource() = default;
  /// Allocate a batch buffer of `rows` examples in this source's shape.
  virtual Batch make_batch(size_t rows) const = 0;
  virtual void next_train_batch(Batch& batch) = 0;
  virtual void eval_batch(size_t k, Batch& batch) = 0;
  /// Number of distinct evaluation batches available.
  virtual size_t available_eval_batches() const = 0;
  /// Whether asking for more evaluation batches than available cycles through them again (the
  /// image sources, for parity with the reference's CIFAR validation, ALGORITHMS §13.17) rather
  /// than being an error (token sources: a repeated window would silently weigh twice).
  virtual bool eval_batches_cycle() const { return false; }
  virtual size_t input_features() const = 0;
  virtual size_t num_classes() const = 0;
  virtual std::string describe() const = 0;
  /// Training cursor: the next training batch is batch `position()` of epoch `epoch()`. With the
  /// data seed it determines every later batch, so it is all a checkpoint needs to resume. The
  /// defaults describe a source without a cursor (e.g. a benchmark's synthetic batches).
  virtual uint64_t epoch() const { return 0; }
  virtual size_t position() const { return 0; }
  /// Restore a cursor saved from epoch()/position(); the default accepts only (0, 0).
  virtual void set_cursor(uint64_t epoch, size_t position);
};

/// Image classification from an HDF5 file of lip_prepare (MNIST, CIFAR-10).
class ImageDataSource : public DataSource {
 public:
  ImageDataSource(const std::string& path, size_t batch_size, size_t eval_batch_size, uint64_t seed, bool shuffle);
  Batch make_batch(size_t rows) const override;
  void next_train_batch(Batch& batch) override;
  void eval_batch(size_t k, Batch& batch) override;
  size_t available_eval_batches() const override { return test_batcher_->batches_per_epoch(); }
  bool eval_batches_cycle() const override { return true; }
  size_t input_features() const override { return train_.features(); }
  size_t num_classes() const override { return train_.num_classes; }
  std::string describe() const override;
  uint64_t epoch() const override { return train_batcher_->epoch(); }
  size_t position() const override { return train_batcher_->position(); }
  void set_cursor(uint64_t epoch, size_t position) override { train_batcher_->set_cursor(epoch, position); }
  io::ImageBatcher& train_batcher() { return *train_batcher_; }

 private:
  io::ImageDataset train_, test_;
  std::unique_ptr<io::ImageBatcher> train_batcher_, test_batcher_;
};

/// Character-level language modelling (ALGORITHMS §9.1) from `lip_prepare shakespeare`.
/// Training windows start at every offset 0 … n−T−2 (input ids[i:i+T], target ids[i+1:i+T+1]),
/// visited in a fresh Philox-keyed permutation every epoch (epochs repeat: ALGORITHMS §13.16).
/// Evaluation uses a fixed, non-overlapping set: window j of the val split starts at j·T,
/// batch k holds windows k·B … k·B+B−1.
class TokenDataSource : public DataSource {
 public:
  TokenDataSource(const std::string& path, size_t batch_size, size_t eval_batch_size, size_t seq_len,
                  uint64_t seed, bool shuffle);
  Batch make_batch(size_t rows) const override;
  void next_train_batch(Batch& batch) override;
  void eval_batch(size_t k, Batch& batch) override;
  size_t available_eval_batches() const override;
  size_t input_features() const override { return seq_len_; }
  size_t num_classes() const override { return train_.vocab_size; }
  std::string describe() const override;
  const std::string& vocabulary() const { return train_.vocabulary; }
  uint64_t epoch() const override { return epoch_; }
  size_t position() const override { return position_; }
  void set_cursor(uint64_t epoch, size_t position) override;

 private:
  void make_order();
  void fill(const std::vector<uint16_t>& ids, const std::vector<size_t>& starts, Batch& batch);

  /// Host staging of each batch buffer (keyed by its device memory), allocated on first use only.
  struct HostStaging {
    kernels::IndexTensor2::HostMirror tokens;
    kernels::IndexTensor1::HostMirror targets;
  };
  std::map<const int*, HostStaging> staging_;
  std::vector<size_t> starts_;

  io::CharTokenDataset train_, val_;
  size_t batch_size_, eval_batch_size_, seq_len_;
  uint64_t seed_;
  bool shuffle_;
  std::vector<uint32_t> order_;
  uint64_t epoch_ = 0;
  size_t position_ = 0;
};

std::unique_ptr<DataSource> make_data_source(const RunConfig& config);

}  // namespace lip
